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

// Folds scale `index` (smoothed image g, scale normalisation s2 = sigma^2 in g's px) into row y
// of the running best strength b and scale sf (as float), and the blob row bl when given (all
// of g's width).
template <Polarity P>
void AccumulateRow(const cv::Mat& g, int y, float s2, float fidx, float* b, float* sf, float* bl) {
  const int w = g.cols, h = g.rows;
  const float* g0 = g.ptr<float>(y > 0 ? y - 1 : std::min(1, h - 1));
  const float* g1 = g.ptr<float>(y);
  const float* g2 = g.ptr<float>(y + 1 < h ? y + 1 : std::max(0, h - 2));
  auto scalar = [&](int xm, int x, int xp) {
    float v, bv;
    PixelStrength<P>(g0, g1, g2, xm, x, xp, s2, &v, &bv);
    if (std::abs(v) > std::abs(b[x])) {
      b[x] = v;
      sf[x] = fidx;
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
    cv::v_store(sf + x, cv::v_select(better, vidx, cv::v_load(sf + x)));
    if (bl != nullptr) cv::v_store(bl + x, cv::v_max(cv::v_load(bl + x), bv));
  }
#endif
  for (; x + 1 < w; ++x) scalar(x - 1, x, x + 1);
  if (w > 1) scalar(w - 2, w - 1, w - 2);
}

// One scale of a pyramid level: its smoothed image and how it is folded in.
struct LevelScale {
  const cv::Mat* g;
  float s2;             // scale normalisation, level px^2
  unsigned char index;  // scale index
  bool blob;            // contributes to the blob map
};

// One pass over a pyramid level: the coarser level's maps (empty at the top) upsampled onto
// this level (fine px x <-> coarse x / 2, the pyrDown geometry: strength and blob bilinear,
// scale nearest), then every scale of the level folded in, row by row. With blob_mask > 0 the
// blob map comes out as CV_8UC1 (255 where >= blob_mask) instead of CV_32FC1.
template <Polarity P>
void AccumulateLevel(cv::Size size, const std::vector<LevelScale>& scales, bool want_blob,
                     float blob_mask, const cv::Mat& c_best, const cv::Mat& c_scale,
                     const cv::Mat& c_blob, cv::Mat* best, cv::Mat* scale, cv::Mat* blob) {
  const bool top = c_best.empty();
  best->create(size, CV_32FC1);
  scale->create(size, CV_8UC1);
  if (want_blob) blob->create(size, blob_mask > 0.0f ? CV_8UC1 : CV_32FC1);
  const int w = size.width;
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& r) {
    std::vector<float> sf(static_cast<size_t>(w)), bl_buf;
    if (want_blob && blob_mask > 0.0f) bl_buf.resize(static_cast<size_t>(w));
    for (int y = r.start; y < r.end; ++y) {
      float* b = best->ptr<float>(y);
      unsigned char* sc = scale->ptr<unsigned char>(y);
      float* bl = !want_blob ? nullptr : blob_mask > 0.0f ? bl_buf.data() : blob->ptr<float>(y);
      if (top) {
        std::fill(b, b + w, 0.0f);
        std::fill(sf.begin(), sf.end(), 0.0f);
        if (bl != nullptr) std::fill(bl, bl + w, 0.0f);
      } else {
        const int y0 = std::min(y / 2, c_best.rows - 1);
        const int y1 = std::min(y0 + (y & 1), c_best.rows - 1);
        const int cw = c_best.cols;
        const float* a0 = c_best.ptr<float>(y0);
        const float* a1 = c_best.ptr<float>(y1);
        const unsigned char* s0 = c_scale.ptr<unsigned char>(y0);
        const float* l0 = bl != nullptr ? c_blob.ptr<float>(y0) : nullptr;
        const float* l1 = bl != nullptr ? c_blob.ptr<float>(y1) : nullptr;
        // Pairs of fine pixels (2i, 2i + 1) inside the coarse map first, then the rest.
        const int pairs = std::min(w / 2, cw - 1);
        for (int i = 0; i < pairs; ++i) {
          b[2 * i] = 0.25f * (a0[i] + a0[i] + a1[i] + a1[i]);
          b[2 * i + 1] = 0.25f * (a0[i] + a0[i + 1] + a1[i] + a1[i + 1]);
          sf[2 * static_cast<size_t>(i)] = sf[2 * static_cast<size_t>(i) + 1] = s0[i];
        }
        if (bl != nullptr) {
          for (int i = 0; i < pairs; ++i) {
            bl[2 * i] = 0.25f * (l0[i] + l0[i] + l1[i] + l1[i]);
            bl[2 * i + 1] = 0.25f * (l0[i] + l0[i + 1] + l1[i] + l1[i + 1]);
          }
        }
        for (int x = 2 * pairs; x < w; ++x) {
          const int x0 = std::min(x / 2, cw - 1), x1 = std::min(x0 + (x & 1), cw - 1);
          b[x] = 0.25f * (a0[x0] + a0[x1] + a1[x0] + a1[x1]);
          sf[static_cast<size_t>(x)] = s0[x0];
          if (bl != nullptr) bl[x] = 0.25f * (l0[x0] + l0[x1] + l1[x0] + l1[x1]);
        }
      }
      for (const LevelScale& ls : scales)
        AccumulateRow<P>(*ls.g, y, ls.s2, ls.index, b, sf.data(), ls.blob ? bl : nullptr);
      // Locals, not captures: a byte store may alias a captured value, which the compiler
      // would then reload for every pixel (and not vectorise the loop).
      const int n = w;
      const float* sfp = sf.data();
      for (int i = 0; i < n; ++i) sc[i] = static_cast<unsigned char>(sfp[i]);
      if (bl != nullptr && blob_mask > 0.0f) {
        unsigned char* m = blob->ptr<unsigned char>(y);
        const float limit = blob_mask;
        for (int i = 0; i < n; ++i) m[i] = bl[i] >= limit ? 255 : 0;
      }
    }
  });
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
    std::vector<LevelScale> here;
    for (size_t i = 0; i < sigmas.size(); ++i) {
      if (level[i] != l) continue;
      const double pre = (std::pow(4.0, l) - 1.0) / 3.0;
      const double s = std::sqrt(std::max(sigmas[i] * sigmas[i] - pre, 0.0)) / std::pow(2.0, l);
      const double s_total = sigmas[i] / std::pow(2.0, l);  // effective scale, level px
      map->smoothed[i] = s > 0.05 ? ParallelBlur(pyr[l], s) : pyr[l];
      here.push_back({&map->smoothed[i], static_cast<float>(s_total * s_total),
                      static_cast<unsigned char>(i),
                      want_blob && sigmas[i] <= options.blob_max_sigma * 1.001});
    }
    // The coarser level's maps are released as soon as this level's are built.
    cv::Mat c_best = best, c_scale = scale, c_blob = blob;
    best = cv::Mat();
    scale = cv::Mat();
    blob = cv::Mat();
    const float mask = l == 0 ? static_cast<float>(options.blob_mask) : 0.0f;
    if (options.polarity == Polarity::kDark) {
      AccumulateLevel<Polarity::kDark>(pyr[l].size(), here, want_blob, mask, c_best, c_scale,
                                       c_blob, &best, &scale, &blob);
    } else if (options.polarity == Polarity::kBright) {
      AccumulateLevel<Polarity::kBright>(pyr[l].size(), here, want_blob, mask, c_best, c_scale,
                                         c_blob, &best, &scale, &blob);
    } else {
      AccumulateLevel<Polarity::kBoth>(pyr[l].size(), here, want_blob, mask, c_best, c_scale,
                                       c_blob, &best, &scale, &blob);
    }
    if (l > 0) pyr[l] = cv::Mat();  // only the smoothed images of a level are kept
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
