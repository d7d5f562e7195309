// Sizing of one dark blob at half darkness (see blob_measure.h).
#include "metrics/blob_measure.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/core/hal/intrin.hpp>
#include <vector>

namespace skintrack::metrics::internal {
namespace {

// A blob at exactly the threshold darkness counts: its estimate scatters by about this much
// (8-bit quantisation of Weber darkness at mid-grey, sampling of small blobs).
constexpr double kDarknessTolerance = 0.005;

// Blobs with a half-darkness area below this (radius 2 px) are sized by a model fit.
constexpr double kSmallArea = CV_PI * 4.0;

// Least-squares fit of a disc with a linear 1-px edge, D = c clamp(R + 0.5 - d, 0, 1), to the
// Weber darkness D = 1 - Y / Y_s of the pixels within 3.5 px of the blob's centroid (held
// fixed): c is linear given R, R is searched on a 0.1-px grid, then by golden section. Below 2 px
// radius the darkest pixel rarely lies on the flat bottom, so thresholding at half of it
// overestimates the size (by ~16 % at R = 0.9 px); the fit uses all the pixels instead.
void FitSmallDisc(const cv::Mat& y, float ys, BlobFit* fit) {
  constexpr double kReach = 3.5;
  float d[68], v[68];
  int n = 0;
  const int x0 = static_cast<int>(std::floor(fit->x - kReach));
  const int y0 = static_cast<int>(std::floor(fit->y - kReach));
  for (int r = std::max(0, y0); r <= std::min(y.rows - 1, y0 + 8); ++r) {
    const float* row = y.ptr<float>(r);
    for (int x = std::max(0, x0); x <= std::min(y.cols - 1, x0 + 8) && n < 64; ++x) {
      const double ex = x - fit->x, ey = r - fit->y, d2 = ex * ex + ey * ey;
      if (d2 > kReach * kReach) continue;
      d[n] = static_cast<float>(std::sqrt(d2));
      v[n++] = 1.0f - row[x] / ys;
    }
  }
  // Residual sum of squares at radius R with the best contrast c(R) = <D, m> / <m, m>.
  // Padded to a multiple of 4 with pixels that never count (m = 0, D = 0).
  for (int i = n; i < ((n + 3) & ~3); ++i) d[i] = 1e3f, v[i] = 0.0f;
  const int n4 = (n + 3) & ~3;
  float sdd = 0;
  for (int i = 0; i < n; ++i) sdd += v[i] * v[i];
  auto residual = [&](float radius, float* contrast) {
    float sdm = 0, smm = 0;
#if CV_SIMD128
    const cv::v_float32x4 r = cv::v_setall_f32(radius + 0.5f), zero = cv::v_setzero_f32(),
                          one = cv::v_setall_f32(1.0f);
    cv::v_float32x4 adm = zero, amm = zero;
    for (int i = 0; i < n4; i += 4) {
      const cv::v_float32x4 m = cv::v_min(cv::v_max(r - cv::v_load(d + i), zero), one);
      adm = cv::v_fma(cv::v_load(v + i), m, adm);
      amm = cv::v_fma(m, m, amm);
    }
    sdm = cv::v_reduce_sum(adm);
    smm = cv::v_reduce_sum(amm);
#else
    for (int i = 0; i < n4; ++i) {
      const float m = std::clamp(radius + 0.5f - d[i], 0.0f, 1.0f);
      sdm += v[i] * m;
      smm += m * m;
    }
#endif
    if (!(smm > 0.0f)) return sdd;
    *contrast = sdm / smm;
    return sdd - sdm * sdm / smm;
  };
  // Grid of 0.1 px over [0.3, 2.6] px, then golden-section search within +-0.1 px of the best.
  float best_r = 0, best = 1e30f, c = 0;
  for (int k = 0; k <= 23; ++k) {
    const float r = 0.3f + 0.1f * k;
    float cr = 0;
    const float e = residual(r, &cr);
    if (e < best) best = e, best_r = r, c = cr;
  }
  constexpr float kGolden = 0.618034f;
  float lo = best_r - 0.1f, hi = best_r + 0.1f;
  float a = hi - kGolden * (hi - lo), b = lo + kGolden * (hi - lo), ca = 0, cb = 0;
  float ea = residual(a, &ca), eb = residual(b, &cb);
  for (int it = 0; it < 10; ++it) {  // bracket 0.2 x 0.618^10 = 0.002 px
    if (ea < eb) {
      hi = b, b = a, eb = ea, cb = ca;
      a = hi - kGolden * (hi - lo);
      ea = residual(a, &ca);
    } else {
      lo = a, a = b, ea = eb, ca = cb;
      b = lo + kGolden * (hi - lo);
      eb = residual(b, &cb);
    }
  }
  if (std::min(ea, eb) < best) best_r = ea < eb ? a : b, c = ea < eb ? ca : cb;
  if (!(c > 0.0f)) return;
  fit->area_px = CV_PI * best_r * best_r;
  fit->darkness = c;
}

}  // namespace

BlobFit MeasureDarkBlob(const cv::Mat& y, const BlobCandidate& c, double min_darkness,
                        double limit_scale, float level) {
  BlobFit fit;
  const double r = std::max(1.0, c.radius);
  const double ann_in = 1.5 * r + 1.5, ann_out = 2.5 * r + 3.0;
  const double full_limit = 2.0 * r + 1.5, limit = limit_scale * full_limit;
  const double in2 = ann_in * ann_in, out2 = ann_out * ann_out, limit2 = limit * limit;
  const int ann_half = static_cast<int>(std::ceil(ann_out)) + 1;  // the annulus' own window
  const int half = std::max(ann_half, static_cast<int>(std::ceil(limit)) + 1);
  const int cx = static_cast<int>(std::lround(c.x)), cy = static_cast<int>(std::lround(c.y));
  const cv::Rect win =
      cv::Rect(cx - half, cy - half, 2 * half + 1, 2 * half + 1) & cv::Rect(0, 0, y.cols, y.rows);
  if (win.width < 3 || win.height < 3) return fit;
  auto at = [&](cv::Point p) { return y.at<float>(p.y + win.y, p.x + win.x); };

  // Surround (median over the annulus) and centre (darkest pixel within 1 px).
  // Large annuli: every other pixel (a checkerboard) is enough for the median.
  const bool sparse = CV_PI * (out2 - in2) > 128.0;
  const int step = sparse ? 2 : 1;
  thread_local std::vector<float> ring;
  ring.clear();
  float yc = 1e30f;
  cv::Point seed(-1, -1);
  for (int i = 0; i < win.height; ++i) {
    const float* row = y.ptr<float>(win.y + i) + win.x;
    const double ey = win.y + i - c.y, ey2 = ey * ey;
    if (ey2 > out2) continue;
    // Columns of the annulus on this row: |dx| in [a, b].
    const double b = std::sqrt(out2 - ey2), a = ey2 < in2 ? std::sqrt(in2 - ey2) : -1.0;
    const int jb0 = std::max(0, static_cast<int>(std::ceil(c.x - b)) - win.x);
    const int jb1 = std::min(win.width - 1, static_cast<int>(std::floor(c.x + b)) - win.x);
    const int ja0 = static_cast<int>(std::floor(c.x - a)) - win.x;  // inner gap (exclusive)
    const int ja1 = static_cast<int>(std::ceil(c.x + a)) - win.x;
    // The checkerboard's parity counted from the annulus' own window's corner, so that a
    // wider flood window (limit_scale > 1) samples the same pixels.
    const int parity =
        (win.y + i - std::max(0, cy - ann_half)) + (win.x + jb0 - std::max(0, cx - ann_half));
    for (int j = jb0 + (sparse ? parity & 1 : 0); j <= jb1; j += step)
      if (a < 0.0 || j <= ja0 || j >= ja1) ring.push_back(row[j]);
    if (ey2 <= 1.0) {
      for (int j = std::max(0, cx - 1 - win.x); j <= std::min(win.width - 1, cx + 1 - win.x); ++j) {
        const double ex = win.x + j - c.x;
        if (ex * ex + ey2 <= 1.0 && row[j] < yc) yc = row[j], seed = cv::Point(j, i);
      }
    }
  }
  if (ring.size() < 8 || seed.x < 0) return fit;
  std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
  const float ys = ring[ring.size() / 2];
  if (!(ys > 0.0f)) return fit;
  fit.darkness = fit.centre_darkness = 1.0 - yc / ys;
  // Cheap early exit; the darkness test proper follows the size fit below.
  if (fit.darkness < 0.5 * min_darkness) return fit;

  // 8-connected component of Y <= Y_c + level (Y_s - Y_c) grown from the seed, within `limit`
  // (level 0.5: half darkness).
  const float yt = level == 0.5f ? 0.5f * (yc + ys) : yc + level * (ys - yc);
  thread_local cv::Mat1b state;  // 1 = component or ring
  thread_local std::vector<cv::Point> stack, support;
  state.create(win.size());
  state.setTo(0);
  stack.assign(1, seed);
  support.clear();
  double reach2 = 0.0;  // the component's farthest pixel from the centre, squared
  state(seed) = 1;
  while (!stack.empty()) {
    const cv::Point p = stack.back();
    stack.pop_back();
    support.push_back(p);
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const cv::Point q(p.x + dx, p.y + dy);
        if (q.x < 0 || q.y < 0 || q.x >= win.width || q.y >= win.height) continue;
        if (state(q) != 0 || at(q) > yt) continue;
        const double ex = q.x + win.x - c.x, ey = q.y + win.y - c.y;
        const double d2 = ex * ex + ey * ey;
        if (d2 > limit2) return fit;  // not isolated
        reach2 = std::max(reach2, d2);
        state(q) = 1;
        stack.push_back(q);
      }
    }
  }
  const size_t n_comp = support.size();
  for (size_t k = 0; k < n_comp; ++k) {  // add the 1-px outer ring
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const cv::Point q(support[k].x + dx, support[k].y + dy);
        if (q.x < 0 || q.y < 0 || q.x >= win.width || q.y >= win.height || state(q) != 0) continue;
        state(q) = 1;
        support.push_back(q);
      }
    }
  }

  // Sub-pixel area (pixel coverage of a linear edge), centroid and second moments.
  auto stats = [&](float threshold, float depth) {
    double sw = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (const cv::Point& p : support) {
      const double w = std::clamp(0.5 + (threshold - at(p)) / depth, 0.0, 1.0);
      sw += w, sx += w * p.x, sy += w * p.y;
      sxx += w * p.x * p.x, syy += w * p.y * p.y, sxy += w * p.x * p.y;
    }
    if (!(sw > 0.0)) return false;
    fit.x = sx / sw + win.x;
    fit.y = sy / sw + win.y;
    fit.area_px = sw;
    const double mx = sx / sw, my = sy / sw;
    const double a = sxx / sw - mx * mx, b = syy / sw - my * my, cc = sxy / sw - mx * my;
    const double det = std::sqrt(0.25 * (a - b) * (a - b) + cc * cc);
    const double l1 = 0.5 * (a + b) + det, l2 = std::max(1e-9, 0.5 * (a + b) - det);
    fit.elongation = std::sqrt(std::max(l1, 0.0) / l2);
    return true;
  };
  // Sized at half darkness (over the component grown at `level` and its ring).
  if (!stats(0.5f * (yc + ys), ys - yc)) return fit;
  if (fit.area_px < kSmallArea) FitSmallDisc(y, ys, &fit);
  fit.ok = fit.darkness >= min_darkness - kDarknessTolerance;
  fit.isolated = reach2 <= full_limit * full_limit;
  return fit;
}

bool PassesDarkness(const BlobFit& fit, double min_darkness) {
  return fit.centre_darkness >= 0.5 * min_darkness &&
         fit.darkness >= min_darkness - kDarknessTolerance;
}

}  // namespace skintrack::metrics::internal
