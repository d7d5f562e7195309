// Median cross-profile of a traced line (see ridge_profile.h).
#include "metrics/ridge_profile.h"

#include <algorithm>
#include <cmath>

namespace skintrack::metrics::internal {
namespace {

// Profile sampling step: max(0.5 px, width guess / kStepsPerWidth).
constexpr double kStepsPerWidth = 10.0;
constexpr size_t kMaxLag = 32;  // autocorrelation of the centre residuals: up to
constexpr double kMinCorrelation =
    0.05;  // this lag, while above this     // side windows placed from the previous pass's width

double Median(std::vector<double>* v) {
  const size_t m = v->size() / 2;
  std::nth_element(v->begin(), v->begin() + static_cast<long>(m), v->end());
  return (*v)[m];
}

}  // namespace

std::vector<ProfileSample> CentreLine(const RidgeMap& map, const std::vector<cv::Point>& path,
                                      int smooth) {
  const int n = static_cast<int>(path.size());
  std::vector<cv::Point2d> c(path.size());
  for (int i = 0; i < n; ++i) {
    const cv::Point& p = path[static_cast<size_t>(i)];
    c[static_cast<size_t>(i)] = cv::Point2d(p) + map.Normal(p.x, p.y) * CentreOffset(map, p.x, p.y);
  }
  std::vector<ProfileSample> out(path.size());
  for (int i = 0; i < n; ++i) {
    const int k = std::min({smooth, i, n - 1 - i});  // symmetric window, shrinking at the ends
    cv::Point2d m(0.0, 0.0);
    for (int j = i - k; j <= i + k; ++j) m += c[static_cast<size_t>(j)];
    out[static_cast<size_t>(i)].centre = m / (2 * k + 1);
  }
  for (int i = 0; i < n; ++i) {
    const int a = std::max(0, i - std::max(smooth, 1)),
              b = std::min(n - 1, i + std::max(smooth, 1));
    const cv::Point2d t = out[static_cast<size_t>(b)].centre - out[static_cast<size_t>(a)].centre;
    const double len = cv::norm(t);
    const cv::Point p = path[static_cast<size_t>(i)];
    out[static_cast<size_t>(i)].normal =
        len > 1e-9 ? cv::Point2d(-t.y / len, t.x / len) : map.Normal(p.x, p.y);
  }
  return out;
}

ProfileResult MeasureProfile(const cv::Mat& log_image, double offset,
                             const std::vector<ProfileSample>& all, double fwhm_guess_px,
                             double side_start, const cv::Mat& exclude, int passes) {
  ProfileResult r;
  if (all.empty() || !(fwhm_guess_px > 0.0)) return r;
  const double kStep = std::max(0.5, fwhm_guess_px / kStepsPerWidth);
  std::vector<ProfileSample> kept;
  if (!exclude.empty()) {
    const int kc = static_cast<int>(0.75 * fwhm_guess_px / kStep);
    for (const ProfileSample& s : all) {
      bool hit = false;
      for (int k = -kc; k <= kc && !hit; ++k) {
        const cv::Point2d p = s.centre + s.normal * (k * kStep);
        const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
        hit = x >= 0 && y >= 0 && x < exclude.cols && y < exclude.rows &&
              exclude.at<unsigned char>(y, x) != 0;
      }
      if (!hit) kept.push_back(s);
    }
  }
  const std::vector<ProfileSample>& samples = 4 * kept.size() >= all.size() ? kept : all;
  const double reach = (side_start + 1.0) * 1.5 * fwhm_guess_px + 2.0;
  const int k_max = static_cast<int>(std::ceil(reach / kStep));
  const int n = 2 * k_max + 1;
  const size_t count = samples.size();
  std::vector<float> prof(count * static_cast<size_t>(n));
  for (size_t i = 0; i < count; ++i) {
    const ProfileSample& s = samples[i];
    for (int k = -k_max; k <= k_max; ++k) {
      const cv::Point2d p = s.centre + s.normal * (k * kStep);
      prof[i * n + static_cast<size_t>(k + k_max)] = SampleBilinear(log_image, p.x, p.y);
    }
  }
  std::vector<double> med(static_cast<size_t>(n)), col(count), base(count), step(count);
  double width = fwhm_guess_px;
  for (int pass = 0; pass < passes; ++pass) {
    const double w = std::min(std::max(width, 0.5 * fwhm_guess_px), 1.5 * fwhm_guess_px);
    const int ka = static_cast<int>(std::ceil(side_start * w / kStep));
    const int kb = std::min(k_max, static_cast<int>((side_start * w + std::max(w, 2.0)) / kStep));
    const double dmid = 0.5 * (ka + kb) * kStep;
    std::vector<double> slope(count);
    for (size_t i = 0; i < count; ++i) {
      const float* p = &prof[i * n];
      double left = 0.0, right = 0.0;
      for (int k = ka; k <= kb; ++k) {
        left += p[k_max - k];
        right += p[k_max + k];
      }
      left /= (kb - ka + 1);
      right /= (kb - ka + 1);
      base[i] = 0.5 * (left + right);
      step[i] = right - left;
      slope[i] = (right - left) / (2.0 * dmid);
    }
    for (int k = 0; k < n; ++k) {
      const double t = (k - k_max) * kStep;
      for (size_t i = 0; i < count; ++i) col[i] = prof[i * n + k] - base[i] - slope[i] * t;
      med[static_cast<size_t>(k)] = Median(&col);
    }
    std::vector<double> b = base;
    const double base_log = Median(&b);
    b = step;
    r.flank_step = Median(&b);
    const double yb = std::exp(base_log) - offset;
    if (!(yb > 0.0)) return r;
    auto rel = [&](int k) { return (std::exp(base_log + med[k]) - offset) / yb - 1.0; };
    int kc = k_max;
    for (int k = k_max - 1; k <= k_max + 1; ++k)
      if (std::abs(med[k]) > std::abs(med[kc])) kc = k;
    const double c = rel(kc);
    r.contrast = c;
    if (c == 0.0) return r;
    // Half-level crossings, walking outwards from the extremum.
    double tl = 0.0, tr = 0.0;
    bool found_l = false, found_r = false;
    for (int k = kc - 1; k >= 0 && !found_l; --k) {
      const double a = rel(k) / c, a1 = rel(k + 1) / c;
      if (a <= 0.5) {
        tl = (k - k_max + (0.5 - a) / (a1 - a)) * kStep;
        found_l = true;
      }
    }
    for (int k = kc + 1; k < n && !found_r; ++k) {
      const double a = rel(k) / c, a0 = rel(k - 1) / c;
      if (a <= 0.5) {
        tr = (k - 1 - k_max + (a0 - 0.5) / (a0 - a)) * kStep;
        found_r = true;
      }
    }
    r.ok = found_l && found_r;
    for (size_t i = 0; i < count; ++i)
      col[i] = prof[i * n + static_cast<size_t>(kc)] - base[i] - slope[i] * (kc - k_max) * kStep;
    const double mc = Median(&col);
    std::vector<double> e(count);  // centre residuals in line order (col is reordered below)
    for (size_t i = 0; i < count; ++i)
      e[i] = prof[i * n + static_cast<size_t>(kc)] - base[i] - slope[i] * (kc - k_max) * kStep - mc;
    for (double& v : col) v = std::abs(v - mc);
    r.spread = 1.4826 * Median(&col);
    // Effective number of independent samples from the residuals' autocorrelation along the
    // line (summed until it first drops below kMinCorrelation).
    double e2 = 0.0, rho_sum = 0.0;
    for (double v : e) e2 += v * v;
    for (size_t lag = 1; lag < std::min<size_t>(kMaxLag, count / 4 + 1) && e2 > 0.0; ++lag) {
      double cov = 0.0;
      for (size_t i = 0; i + lag < count; ++i) cov += e[i] * e[i + lag];
      const double rho = cov / e2;
      if (rho < kMinCorrelation) break;
      rho_sum += rho;
    }
    r.std_error = r.spread / std::sqrt(static_cast<double>(count) / (1.0 + 2.0 * rho_sum));
    if (!r.ok) return r;
    width = tr - tl;
    r.width_px = width;
    r.shift_px = 0.5 * (tl + tr);
  }
  // Symmetry within the line (|t| <= 1.3 width).
  double sym = 0.0, anti = 0.0;
  const int kw = std::min(k_max, static_cast<int>(1.3 * width / kStep));
  for (int k = 0; k <= kw; ++k) {
    const double p = med[static_cast<size_t>(k_max + k)], m = med[static_cast<size_t>(k_max - k)];
    sym += 0.25 * (p + m) * (p + m);
    anti += 0.25 * (p - m) * (p - m);
  }
  r.asymmetry = sym > 0.0 ? std::sqrt(anti / sym) : 1e9;
  return r;
}

}  // namespace skintrack::metrics::internal
