// Median cross-profile of a traced line (see ridge_profile.h).
#include "metrics/ridge_profile.h"

#include <algorithm>
#include <cmath>

#include "metrics/ridge_filter.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kStep = 0.5;  // profile sampling step, px

double Median(std::vector<double>* v) {
  const size_t m = v->size() / 2;
  std::nth_element(v->begin(), v->begin() + static_cast<long>(m), v->end());
  return (*v)[m];
}

}  // namespace

ProfileResult MeasureProfile(const cv::Mat& log_image, double offset,
                             const std::vector<ProfileSample>& samples, double fwhm_guess_px) {
  ProfileResult r;
  if (samples.empty() || !(fwhm_guess_px > 0.0)) return r;
  const double reach = 3.5 * fwhm_guess_px + 2.0;
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
  std::vector<double> med(static_cast<size_t>(n)), col(count), base(count);
  double width = fwhm_guess_px;
  for (int pass = 0; pass < 2; ++pass) {
    const double w = std::min(std::max(width, 0.5 * fwhm_guess_px), 1.5 * fwhm_guess_px);
    const int ka = static_cast<int>(std::ceil(1.3 * w / kStep));
    const int kb = std::min(k_max, static_cast<int>((1.3 * w + std::max(w, 2.0)) / kStep));
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
      slope[i] = (right - left) / (2.0 * dmid);
    }
    for (int k = 0; k < n; ++k) {
      const double t = (k - k_max) * kStep;
      for (size_t i = 0; i < count; ++i) col[i] = prof[i * n + k] - base[i] - slope[i] * t;
      med[static_cast<size_t>(k)] = Median(&col);
    }
    std::vector<double> b = base;
    const double base_log = Median(&b);
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
