// Multi-scale Hessian line filter on a Gaussian pyramid (see ridge_filter.h).
#include "metrics/ridge_filter.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

namespace skintrack::metrics::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kMaxLevels = 8;

// Gaussian blur split into row strips run in parallel (each strip reads its neighbours' rows,
// so the result equals one whole-image blur).
cv::Mat ParallelBlur(const cv::Mat& src, double sigma) {
  cv::Mat dst(src.size(), src.type());
  const int strips = std::max(1, std::min(src.rows / 64, 4 * std::max(1, cv::getNumThreads())));
  cv::parallel_for_(cv::Range(0, strips), [&](const cv::Range& r) {
    for (int i = r.start; i < r.end; ++i) {
      const int a = src.rows * i / strips, b = src.rows * (i + 1) / strips;
      cv::Mat out = dst.rowRange(a, b);
      cv::GaussianBlur(src.rowRange(a, b), out, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
    }
  });
  return dst;
}

// Line (and blob) strength of one pixel from its 3x3 neighbourhood (columns xm, x, xp of the rows
// above, at and below); scalar version of the SIMD loop below.
template <Polarity P>
inline void PixelStrength(const float* g0, const float* g1, const float* g2, int xm, int x, int xp,
                          float s2, float* v, float* blob) {
  const float hxx = g1[xp] - 2.0f * g1[x] + g1[xm];
  const float hyy = g2[x] - 2.0f * g1[x] + g0[x];
  const float hxy = 0.25f * (g2[xp] - g2[xm] - g0[xp] + g0[xm]);
  const float tr = hxx + hyy, dd = hxx - hyy;
  const float d = std::sqrt(dd * dd + 4.0f * hxy * hxy);
  const float m2 = 0.5f * (tr + d), m1 = 0.5f * (tr - d);
  const float dark = s2 * (std::max(m2, 0.0f) - std::max(m1, 0.0f));
  const float bright = s2 * (std::max(-m1, 0.0f) - std::max(-m2, 0.0f));
  const float dark_blob = s2 * std::max(m1, 0.0f), bright_blob = s2 * std::max(-m2, 0.0f);
  if constexpr (P == Polarity::kDark) {
    *v = dark;
    *blob = dark_blob;
  } else if constexpr (P == Polarity::kBright) {
    *v = -bright;
    *blob = bright_blob;
  } else {
    *v = dark >= bright ? dark : -bright;
    *blob = std::max(dark_blob, bright_blob);
  }
}

// Folds scale `index` (smoothed image g, scale normalisation s2 = sigma^2 in g's px) into the
// running best strength and scale maps, and the blob map when given (all of g's size).
template <Polarity P>
void AccumulateScale(const cv::Mat& g, float s2, unsigned char index, cv::Mat* best, cv::Mat* scale,
                     cv::Mat* blob) {
  const int h = g.rows;
  cv::parallel_for_(cv::Range(0, h), [&g, s2, index, best, scale, blob, h](const cv::Range& r) {
    const int w = g.cols;  // local: the byte stores below could alias a captured reference
    std::vector<float> sf(static_cast<size_t>(w));  // this row's scale index, as float
    const float fidx = index;
    for (int y = r.start; y < r.end; ++y) {
      const float* g0 = g.ptr<float>(y > 0 ? y - 1 : std::min(1, h - 1));
      const float* g1 = g.ptr<float>(y);
      const float* g2 = g.ptr<float>(y + 1 < h ? y + 1 : std::max(0, h - 2));
      float* b = best->ptr<float>(y);
      unsigned char* sc = scale->ptr<unsigned char>(y);
      float* bl = blob != nullptr ? blob->ptr<float>(y) : nullptr;
      for (int x = 0; x < w; ++x) sf[static_cast<size_t>(x)] = sc[x];
      auto scalar = [&](int xm, int x, int xp) {
        float v, bv;
        PixelStrength<P>(g0, g1, g2, xm, x, xp, s2, &v, &bv);
        if (std::abs(v) > std::abs(b[x])) {
          b[x] = v;
          sf[static_cast<size_t>(x)] = fidx;
        }
        if (bl != nullptr) bl[x] = std::max(bl[x], bv);
      };
      scalar(std::min(1, w - 1), 0, std::min(1, w - 1));
      int x = 1;
#if CV_SIMD128
      using cv::v_float32x4;
      const v_float32x4 vs2 = cv::v_setall_f32(s2), vidx = cv::v_setall_f32(fidx);
      const v_float32x4 two = cv::v_setall_f32(2.0f), four = cv::v_setall_f32(4.0f);
      const v_float32x4 half = cv::v_setall_f32(0.5f), quarter = cv::v_setall_f32(0.25f);
      const v_float32x4 zero = cv::v_setzero_f32();
      for (; x + 4 < w; x += 4) {
        const v_float32x4 c = cv::v_load(g1 + x);
        const v_float32x4 hxx = cv::v_load(g1 + x - 1) + cv::v_load(g1 + x + 1) - two * c;
        const v_float32x4 hyy = cv::v_load(g0 + x) + cv::v_load(g2 + x) - two * c;
        const v_float32x4 hxy = quarter * (cv::v_load(g2 + x + 1) - cv::v_load(g2 + x - 1) -
                                           cv::v_load(g0 + x + 1) + cv::v_load(g0 + x - 1));
        const v_float32x4 tr = hxx + hyy, dd = hxx - hyy;
        const v_float32x4 d = cv::v_sqrt(dd * dd + four * hxy * hxy);
        const v_float32x4 m2 = half * (tr + d), m1 = half * (tr - d);
        const v_float32x4 dark = vs2 * (cv::v_max(m2, zero) - cv::v_max(m1, zero));
        const v_float32x4 bright = vs2 * (cv::v_max(zero - m1, zero) - cv::v_max(zero - m2, zero));
        v_float32x4 v, bv;
        if constexpr (P == Polarity::kDark) {
          v = dark;
          bv = vs2 * cv::v_max(m1, zero);
        } else if constexpr (P == Polarity::kBright) {
          v = zero - bright;
          bv = vs2 * cv::v_max(zero - m2, zero);
        } else {
          v = cv::v_select(dark >= bright, dark, zero - bright);
          bv = vs2 * cv::v_max(cv::v_max(m1, zero), cv::v_max(zero - m2, zero));
        }
        const v_float32x4 vb = cv::v_load(b + x);
        const v_float32x4 better = cv::v_abs(v) > cv::v_abs(vb);
        cv::v_store(b + x, cv::v_select(better, v, vb));
        cv::v_store(sf.data() + x, cv::v_select(better, vidx, cv::v_load(sf.data() + x)));
        if (bl != nullptr) cv::v_store(bl + x, cv::v_max(cv::v_load(bl + x), bv));
      }
#endif
      for (; x + 1 < w; ++x) scalar(x - 1, x, x + 1);
      if (w > 1) scalar(w - 2, w - 1, w - 2);
      for (int i = 0; i < w; ++i) sc[i] = static_cast<unsigned char>(sf[static_cast<size_t>(i)]);
    }
  });
}

// Upsamples a coarse level's map onto the next finer level (fine px x <-> coarse x / 2, the
// pyrDown geometry): CV_32FC1 bilinear, CV_8UC1 nearest.
cv::Mat Upsample(const cv::Mat& c, cv::Size size) {
  cv::Mat f(size, c.type());
  const bool linear = c.type() == CV_32FC1;
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& r) {
    for (int y = r.start; y < r.end; ++y) {
      const int y0 = std::min(y / 2, c.rows - 1), y1 = std::min(y0 + (y & 1), c.rows - 1);
      if (!linear) {
        const unsigned char* s = c.ptr<unsigned char>(y0);
        unsigned char* o = f.ptr<unsigned char>(y);
        for (int x = 0; x < size.width; ++x) o[x] = s[std::min(x / 2, c.cols - 1)];
        continue;
      }
      const float* a0 = c.ptr<float>(y0);
      const float* a1 = c.ptr<float>(y1);
      float* o = f.ptr<float>(y);
      for (int x = 0; x < size.width; ++x) {
        const int x0 = std::min(x / 2, c.cols - 1), x1 = std::min(x0 + (x & 1), c.cols - 1);
        o[x] = 0.25f * (a0[x0] + a0[x1] + a1[x0] + a1[x1]);
      }
    }
  });
  return f;
}

}  // namespace

int RidgeMap::ScaleIndex(int x, int y) const {
  if (!traced.empty() && traced.at<unsigned short>(y, x) != kUnset)
    return traced.at<unsigned short>(y, x) >> 8;
  return scale.at<unsigned char>(y, x);
}

int RidgeMap::AngleBin(int x, int y) const {
  if (!traced.empty() && traced.at<unsigned short>(y, x) != kUnset)
    return traced.at<unsigned short>(y, x) & 255;
  // The Hessian eigenvector at the best scale: of the largest eigenvalue for a valley, of the
  // smallest for a ridge.
  const int i = ScaleIndex(x, y);
  const cv::Mat& g = smoothed[static_cast<size_t>(i)];
  const int level = levels[static_cast<size_t>(i)], half = (1 << level) >> 1;
  const int xl = std::min((x + half) >> level, g.cols - 1);
  const int yl = std::min((y + half) >> level, g.rows - 1);
  auto at = [&](int dx, int dy) {
    return g.at<float>(std::min(std::max(yl + dy, 0), g.rows - 1),
                       std::min(std::max(xl + dx, 0), g.cols - 1));
  };
  const float hxx = at(1, 0) - 2.0f * at(0, 0) + at(-1, 0);
  const float hyy = at(0, 1) - 2.0f * at(0, 0) + at(0, -1);
  const float hxy = 0.25f * (at(1, 1) - at(-1, 1) - at(1, -1) + at(-1, -1));
  double deg = 0.5 * cv::fastAtan2(2.0f * hxy, hxx - hyy);  // [0, 180)
  const bool bright = polarity == Polarity::kBright ||
                      (polarity == Polarity::kBoth && strength.at<float>(y, x) < 0.0f);
  if (bright) deg += 90.0;
  return static_cast<int>(deg * (kAngleBins / 180.0) + 0.5) & (kAngleBins - 1);
}

cv::Point2d RidgeMap::Normal(int x, int y) const {
  const double t = AngleBin(x, y) * (kPi / kAngleBins);
  return {std::cos(t), std::sin(t)};
}

void RidgeMap::SetTraced(int x, int y, int scale_index, int angle_bin) {
  if (traced.empty()) traced = cv::Mat(strength.size(), CV_16UC1, cv::Scalar(kUnset));
  traced.at<unsigned short>(y, x) =
      static_cast<unsigned short>((scale_index << 8) | (angle_bin & (kAngleBins - 1)));
}

std::vector<double> RidgeScales(double lo, double hi) {
  std::vector<double> s;
  for (double v = lo; v < hi * 0.97; v *= std::sqrt(2.0)) s.push_back(v);
  s.push_back(hi);
  return s;
}

void ComputeRidgeMap(const cv::Mat& image, const RidgeFilterOptions& options, RidgeMap* map) {
  const std::vector<double>& sigmas = options.sigmas;
  *map = RidgeMap();
  map->polarity = options.polarity;
  map->sigmas = sigmas;
  map->smoothed.assign(sigmas.size(), cv::Mat());
  // Level of each scale: the coarsest whose residual sigma is >= min_level_sigma.
  std::vector<int> level(sigmas.size(), 0);
  int top = 0;
  for (size_t i = 0; i < sigmas.size(); ++i) {
    for (int l = kMaxLevels; l > 0; --l) {
      const double pre = (std::pow(4.0, l) - 1.0) / 3.0;  // pyrDown variance, input px^2
      const double rest = sigmas[i] * sigmas[i] - pre;
      if (rest > 0.0 && std::sqrt(rest) / std::pow(2.0, l) >= options.min_level_sigma &&
          (image.cols >> l) >= 8 && (image.rows >> l) >= 8) {
        level[i] = l;
        break;
      }
    }
    top = std::max(top, level[i]);
  }
  map->levels = level;
  std::vector<cv::Mat> pyr{image};
  for (int l = 1; l <= top; ++l) {
    cv::Mat down;
    cv::pyrDown(pyr.back(), down, cv::Size(), cv::BORDER_REFLECT);
    pyr.push_back(down);
  }
  const bool want_blob = options.blob_max_sigma > 0.0;
  cv::Mat best, scale, blob;
  for (int l = top; l >= 0; --l) {
    if (l == top) {
      best = cv::Mat::zeros(pyr[l].size(), CV_32FC1);
      scale = cv::Mat::zeros(pyr[l].size(), CV_8UC1);
      if (want_blob) blob = cv::Mat::zeros(pyr[l].size(), CV_32FC1);
    } else {
      best = Upsample(best, pyr[l].size());
      scale = Upsample(scale, pyr[l].size());
      if (want_blob) blob = Upsample(blob, pyr[l].size());
    }
    for (size_t i = 0; i < sigmas.size(); ++i) {
      if (level[i] != l) continue;
      const double pre = (std::pow(4.0, l) - 1.0) / 3.0;
      const double s = std::sqrt(std::max(sigmas[i] * sigmas[i] - pre, 0.0)) / std::pow(2.0, l);
      const double s_total = sigmas[i] / std::pow(2.0, l);  // effective scale, level px
      const cv::Mat g = s > 0.05 ? ParallelBlur(pyr[l], s) : pyr[l];
      map->smoothed[i] = g;
      cv::Mat* b = want_blob && sigmas[i] <= options.blob_max_sigma * 1.001 ? &blob : nullptr;
      const auto s2 = static_cast<float>(s_total * s_total);
      const auto idx = static_cast<unsigned char>(i);
      if (options.polarity == Polarity::kDark) {
        AccumulateScale<Polarity::kDark>(g, s2, idx, &best, &scale, b);
      } else if (options.polarity == Polarity::kBright) {
        AccumulateScale<Polarity::kBright>(g, s2, idx, &best, &scale, b);
      } else {
        AccumulateScale<Polarity::kBoth>(g, s2, idx, &best, &scale, b);
      }
    }
  }
  map->strength = best;
  map->scale = scale;
  map->blob = blob;
}

float SampleBilinear(const cv::Mat& image, double x, double y) {
  x = std::min(std::max(x, 0.0), image.cols - 1.0);
  y = std::min(std::max(y, 0.0), image.rows - 1.0);
  const int x0 = std::min(static_cast<int>(x), std::max(image.cols - 2, 0));
  const int y0 = std::min(static_cast<int>(y), std::max(image.rows - 2, 0));
  const int x1 = std::min(x0 + 1, image.cols - 1), y1 = std::min(y0 + 1, image.rows - 1);
  const float fx = static_cast<float>(x - x0), fy = static_cast<float>(y - y0);
  const float* r0 = image.ptr<float>(y0);
  const float* r1 = image.ptr<float>(y1);
  return (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x1]);
}

double CentreOffset(const RidgeMap& map, int x, int y) {
  const cv::Mat& s = map.strength;
  const cv::Point2d n = map.Normal(x, y);
  const double f0 = std::abs(s.at<float>(y, x));
  const double sign = s.at<float>(y, x) >= 0.0f ? 1.0 : -1.0;
  const double fp = sign * SampleBilinear(s, x + n.x, y + n.y);
  const double fm = sign * SampleBilinear(s, x - n.x, y - n.y);
  const double den = fm - 2.0 * f0 + fp;
  if (!(den < -1e-12)) return 0.0;
  return std::min(0.5, std::max(-0.5, 0.5 * (fm - fp) / den));
}

}  // namespace skintrack::metrics::internal
