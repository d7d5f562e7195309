// Multi-scale Hessian line filter on a Gaussian pyramid (see ridge_filter.h).
#include "metrics/ridge_filter.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace skintrack::metrics::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
// A scale is computed on the coarsest pyramid level where its residual Gaussian is still at
// least this wide (level px), so that 3-point second differences stay accurate.
constexpr double kMinLevelSigma = 1.25;
constexpr int kMaxLevels = 8;

// Gaussian blur split into row strips run in parallel (each strip reads its neighbours' rows,
// so the result equals one whole-image blur).
void ParallelBlur(const cv::Mat& src, cv::Mat* dst, double sigma) {
  dst->create(src.size(), src.type());
  const int strips = std::max(1, std::min(src.rows / 64, 4 * std::max(1, cv::getNumThreads())));
  cv::parallel_for_(cv::Range(0, strips), [&](const cv::Range& r) {
    for (int i = r.start; i < r.end; ++i) {
      const int a = src.rows * i / strips, b = src.rows * (i + 1) / strips;
      cv::Mat out = dst->rowRange(a, b);
      cv::GaussianBlur(src.rowRange(a, b), out, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
    }
  });
}

unsigned short Pack(int scale_index, float hxx, float hyy, float hxy, bool bright) {
  // Normal of a valley: eigenvector of the largest eigenvalue; of a ridge: of the smallest.
  double deg = 0.5 * cv::fastAtan2(2.0f * hxy, hxx - hyy);  // [0, 180)
  if (bright) deg += 90.0;
  int a = static_cast<int>(deg * (256.0 / 180.0) + 0.5) & 255;
  return static_cast<unsigned short>((scale_index << 8) | a);
}

// Folds scale `index` (smoothed image g, scale-normalisation s2 = sigma^2 in g's px) into the
// running best strength / packed maps (same size as g).
void AccumulateScale(const cv::Mat& g, float s2, int index, Polarity polarity, float store_min,
                     cv::Mat* best, cv::Mat* packed, cv::Mat* blob) {
  const int w = g.cols, h = g.rows;
  cv::parallel_for_(cv::Range(0, h), [&](const cv::Range& r) {
    for (int y = r.start; y < r.end; ++y) {
      const float* g0 = g.ptr<float>(y > 0 ? y - 1 : std::min(1, h - 1));
      const float* g1 = g.ptr<float>(y);
      const float* g2 = g.ptr<float>(y + 1 < h ? y + 1 : std::max(0, h - 2));
      float* b = best->ptr<float>(y);
      unsigned short* p = packed->ptr<unsigned short>(y);
      float* bl = blob != nullptr ? blob->ptr<float>(y) : nullptr;
      for (int x = 0; x < w; ++x) {
        const int xm = x > 0 ? x - 1 : std::min(1, w - 1);
        const int xp = x + 1 < w ? x + 1 : std::max(0, w - 2);
        const float hxx = g1[xp] - 2.0f * g1[x] + g1[xm];
        const float hyy = g2[x] - 2.0f * g1[x] + g0[x];
        const float hxy = 0.25f * (g2[xp] - g2[xm] - g0[xp] + g0[xm]);
        const float tr = hxx + hyy, dd = hxx - hyy;
        const float d = std::sqrt(dd * dd + 4.0f * hxy * hxy);
        const float m2 = 0.5f * (tr + d), m1 = 0.5f * (tr - d);
        const float dark = s2 * (std::max(m2, 0.0f) - std::max(m1, 0.0f));
        const float bright = s2 * (std::max(-m1, 0.0f) - std::max(-m2, 0.0f));
        float v;
        if (polarity == Polarity::kDark) {
          v = dark;
        } else if (polarity == Polarity::kBright) {
          v = -bright;
        } else {
          v = dark >= bright ? dark : -bright;
        }
        if (bl != nullptr) {
          const float dark_blob = s2 * std::max(m1, 0.0f), bright_blob = s2 * std::max(-m2, 0.0f);
          const float bv = polarity == Polarity::kDark     ? dark_blob
                           : polarity == Polarity::kBright ? bright_blob
                                                           : std::max(dark_blob, bright_blob);
          bl[x] = std::max(bl[x], bv);
        }
        if (std::abs(v) > std::abs(b[x])) {
          b[x] = v;
          if (std::abs(v) >= store_min) p[x] = Pack(index, hxx, hyy, hxy, v < 0.0f);
        }
      }
    }
  });
}

// Upsamples a coarse level's map onto the next finer level (fine px x <-> coarse x / 2, the
// pyrDown geometry): CV_32FC1 bilinear, CV_16UC1 (packed) nearest.
cv::Mat Upsample(const cv::Mat& c, cv::Size size) {
  cv::Mat f(size, c.type());
  const bool linear = c.type() == CV_32FC1;
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& r) {
    for (int y = r.start; y < r.end; ++y) {
      const int y0 = std::min(y / 2, c.rows - 1), y1 = std::min(y0 + (y & 1), c.rows - 1);
      for (int x = 0; x < size.width; ++x) {
        const int x0 = std::min(x / 2, c.cols - 1), x1 = std::min(x0 + (x & 1), c.cols - 1);
        if (linear) {
          f.at<float>(y, x) = 0.25f * (c.at<float>(y0, x0) + c.at<float>(y0, x1) +
                                       c.at<float>(y1, x0) + c.at<float>(y1, x1));
        } else {
          f.at<unsigned short>(y, x) = c.at<unsigned short>(y0, x0);
        }
      }
    }
  });
  return f;
}

}  // namespace

double RidgeMap::NormalAngle(int x, int y) const {
  return (packed.at<unsigned short>(y, x) & 255) * (kPi / 256.0);
}

cv::Point2d RidgeMap::Normal(int x, int y) const {
  const double t = NormalAngle(x, y);
  return {std::cos(t), std::sin(t)};
}

std::vector<double> RidgeScales(double lo, double hi) {
  std::vector<double> s;
  for (double v = lo; v < hi * 0.97; v *= std::sqrt(2.0)) s.push_back(v);
  s.push_back(hi);
  return s;
}

void ComputeRidgeMap(const cv::Mat& image, const RidgeFilterOptions& options, RidgeMap* map) {
  const std::vector<double>& sigmas = options.sigmas;
  map->sigmas = sigmas;
  map->smoothed.assign(sigmas.size(), cv::Mat());
  // Level of each scale: the coarsest whose residual sigma is >= kMinLevelSigma.
  std::vector<int> level(sigmas.size(), 0);
  int top = 0;
  for (size_t i = 0; i < sigmas.size(); ++i) {
    for (int l = kMaxLevels; l > 0; --l) {
      const double pre = (std::pow(4.0, l) - 1.0) / 3.0;  // pyrDown variance, input px^2
      const double rest = sigmas[i] * sigmas[i] - pre;
      if (rest > 0.0 && std::sqrt(rest) / std::pow(2.0, l) >= kMinLevelSigma &&
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
  cv::Mat best, packed, blob, g;
  for (int l = top; l >= 0; --l) {
    if (l == top) {
      best = cv::Mat::zeros(pyr[l].size(), CV_32FC1);
      packed = cv::Mat::zeros(pyr[l].size(), CV_16UC1);
      if (want_blob) blob = cv::Mat::zeros(pyr[l].size(), CV_32FC1);
    } else {
      best = Upsample(best, pyr[l].size());
      packed = Upsample(packed, pyr[l].size());
      if (want_blob) blob = Upsample(blob, pyr[l].size());
    }
    for (size_t i = 0; i < sigmas.size(); ++i) {
      if (level[i] != l) continue;
      const double pre = (std::pow(4.0, l) - 1.0) / 3.0;
      const double s = std::sqrt(std::max(sigmas[i] * sigmas[i] - pre, 0.0)) / std::pow(2.0, l);
      const double s_total = sigmas[i] / std::pow(2.0, l);  // effective scale, level px
      if (s > 0.05) {
        g = cv::Mat();
        ParallelBlur(pyr[l], &g, s);
      } else {
        g = pyr[l];
      }
      if (options.keep_smoothed) map->smoothed[i] = g;
      const bool blob_scale = want_blob && sigmas[i] <= options.blob_max_sigma * 1.001;
      AccumulateScale(g, static_cast<float>(s_total * s_total), static_cast<int>(i),
                      options.polarity, options.store_min, &best, &packed,
                      blob_scale ? &blob : nullptr);
    }
  }
  map->strength = best;
  map->packed = packed;
  map->blob = blob;
}

float SampleBilinear(const cv::Mat& image, double x, double y) {
  x = std::min(std::max(x, 0.0), image.cols - 1.0);
  y = std::min(std::max(y, 0.0), image.rows - 1.0);
  const int x0 = std::min(static_cast<int>(x), image.cols - 2 < 0 ? 0 : image.cols - 2);
  const int y0 = std::min(static_cast<int>(y), image.rows - 2 < 0 ? 0 : image.rows - 2);
  const int x1 = std::min(x0 + 1, image.cols - 1), y1 = std::min(y0 + 1, image.rows - 1);
  const float fx = static_cast<float>(x - x0), fy = static_cast<float>(y - y0);
  const float* r0 = image.ptr<float>(y0);
  const float* r1 = image.ptr<float>(y1);
  return (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x1]);
}

cv::Mat RidgeCentres(const RidgeMap& map, const cv::Mat& roi, float low) {
  const cv::Mat& s = map.strength;
  cv::Mat out = cv::Mat::zeros(s.size(), CV_8UC1);
  cv::parallel_for_(cv::Range(0, s.rows), [&](const cv::Range& r) {
    for (int y = r.start; y < r.end; ++y) {
      const float* sr = s.ptr<float>(y);
      const unsigned char* m = roi.empty() ? nullptr : roi.ptr<unsigned char>(y);
      unsigned char* o = out.ptr<unsigned char>(y);
      for (int x = 0; x < s.cols; ++x) {
        const float v = std::abs(sr[x]);
        if (v < low || (m != nullptr && m[x] == 0)) continue;
        const float sign = sr[x] > 0.0f ? 1.0f : -1.0f;
        const cv::Point2d n = map.Normal(x, y);
        const float a = sign * SampleBilinear(s, x + n.x, y + n.y);
        const float b = sign * SampleBilinear(s, x - n.x, y - n.y);
        if (v >= a && v > b) o[x] = 255;
      }
    }
  });
  return out;
}

float LineContrast(const RidgeMap& map, const cv::Mat& exclude, int x, int y,
                   double half_length) {
  const int i = map.ScaleIndex(x, y);
  const cv::Mat& g = map.smoothed[static_cast<size_t>(i)];
  const double f = 1.0 / (1 << map.levels[static_cast<size_t>(i)]);  // level px per input px
  const cv::Point2d n = map.Normal(x, y), e(-n.y, n.x);
  const double d = 2.5 * map.Sigma(i);  // input px
  const int k = std::max(0, static_cast<int>(half_length));
  auto excluded = [&](double px, double py) {
    const int ix = static_cast<int>(std::lround(px)), iy = static_cast<int>(std::lround(py));
    return ix >= 0 && iy >= 0 && ix < exclude.cols && iy < exclude.rows &&
           exclude.at<unsigned char>(iy, ix) != 0;
  };
  double sum = 0.0;
  int used = 0;
  for (int t = -k; t <= k; ++t) {
    const double px = x + e.x * t, py = y + e.y * t;
    if (!exclude.empty() && (excluded(px, py) || excluded(px + d * n.x, py + d * n.y) ||
                             excluded(px - d * n.x, py - d * n.y)))
      continue;
    const double c = SampleBilinear(g, px * f, py * f);
    sum += 0.5 * (SampleBilinear(g, (px + d * n.x) * f, (py + d * n.y) * f) +
                  SampleBilinear(g, (px - d * n.x) * f, (py - d * n.y) * f)) -
           c;
    ++used;
  }
  return 2 * used >= 2 * k + 1 ? static_cast<float>(sum / used) : 0.0f;
}

void BridgeGaps(const RidgeMap& map, double max_gap, cv::Mat* centres) {
  const int g = static_cast<int>(max_gap);
  if (g < 1) return;
  // Marks p + k e (ahead) and p - k e (behind), e the tangent with a canonical sign.
  cv::Mat ahead = cv::Mat::zeros(centres->size(), CV_8UC1), behind = ahead.clone();
  const int w = centres->cols, h = centres->rows;
  for (int y = 0; y < h; ++y) {
    const unsigned char* c = centres->ptr<unsigned char>(y);
    for (int x = 0; x < w; ++x) {
      if (!c[x]) continue;
      const cv::Point2d n = map.Normal(x, y);
      cv::Point2d e(-n.y, n.x);
      if (e.x < 0.0 || (e.x == 0.0 && e.y < 0.0)) e = -e;
      for (int k = 1; k <= g; ++k) {
        const int ax = static_cast<int>(std::lround(x + k * e.x));
        const int ay = static_cast<int>(std::lround(y + k * e.y));
        const int bx = static_cast<int>(std::lround(x - k * e.x));
        const int by = static_cast<int>(std::lround(y - k * e.y));
        if (ax >= 0 && ay >= 0 && ax < w && ay < h) ahead.at<unsigned char>(ay, ax) = 255;
        if (bx >= 0 && by >= 0 && bx < w && by < h) behind.at<unsigned char>(by, bx) = 255;
      }
    }
  }
  *centres |= ahead & behind;
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
