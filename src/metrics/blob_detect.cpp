// Scale-space dark-blob detection (see blob_detect.h).
#include "metrics/blob_detect.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace skintrack::metrics::internal {
namespace {

constexpr int kTile = 256;       // tile core, octave px (even: subsampling stays aligned)
constexpr int kSampleStep = 8;   // spread samples: every 8th pixel in x and y
constexpr int kMinSamples = 64;  // fewer ROI samples in a tile: use the whole tile
// Octave 0 (full resolution) ends at the level of this sigma, px: the next octave starts from
// it subsampled by 2 (0.5 octave px: some aliasing, harmless for detection because every
// candidate is measured again at full resolution; 1.6 px gave the same pores, 25 % slower).
constexpr double kOctaveSwitch = 1.0;

// Gaussian blur of `src` by `sigma` px with the right variance also for small sigma: a 3-tap
// [a, 1 - 2a, a] kernel (variance 2a = sigma^2) up to sigma 0.8, sampled Gaussian above.
void Blur(const cv::Mat1f& src, cv::Mat1f& dst, double sigma) {
  if (sigma < 0.05) {
    src.copyTo(dst);
    return;
  }
  cv::Mat kernel;
  if (sigma <= 0.8) {
    // [a, 1 - 2a, a] down the columns, then along the rows (border reflected), in one pass.
    const float a = static_cast<float>(0.5 * sigma * sigma), c = 1.0f - 2.0f * a;
    const int h = src.rows, w = src.cols;
    dst.create(src.size());
    thread_local std::vector<float> tmp;
    tmp.resize(static_cast<size_t>(w) + 2);
    float* t = tmp.data() + 1;
    for (int i = 0; i < h; ++i) {
      const float* r0 = src.ptr<float>(std::max(i - 1, 0));
      const float* r1 = src.ptr<float>(i);
      const float* r2 = src.ptr<float>(std::min(i + 1, h - 1));
      for (int j = 0; j < w; ++j) t[j] = a * (r0[j] + r2[j]) + c * r1[j];
      t[-1] = t[0];
      t[w] = t[w - 1];
      float* d = dst.ptr<float>(i);
      for (int j = 0; j < w; ++j) d[j] = a * (t[j - 1] + t[j + 1]) + c * t[j];
    }
    return;
  } else {
    kernel = cv::getGaussianKernel(2 * static_cast<int>(std::ceil(3.0 * sigma)) + 1, sigma, CV_32F);
  }
  cv::sepFilter2D(src, dst, CV_32F, kernel, kernel, cv::Point(-1, -1), 0.0, cv::BORDER_REFLECT);
}

// The DoG levels of a tile, evaluated from adjacent Gaussian levels on demand.
struct Dog {
  const std::vector<cv::Mat1f>& gauss;
  float norm;
  float operator()(int l, int i, int j) const {
    return norm * (gauss[l](i, j) - gauss[l + 1](i, j));
  }
  // Whether level l at (i, j) is a strict-in-order maximum of its 3x3x3 neighbourhood: >=
  // every neighbour and > the neighbours that precede it in (level, row, column) order, so
  // that a plateau yields one maximum.
  bool IsMaximum(int l, int i, int j) const {
    const float v = (*this)(l, i, j);
    for (int dl : {0, -1, 1}) {  // own level first: most candidates fail there
      for (int di = -1; di <= 1; ++di) {
        const float* a = gauss[l + dl].ptr<float>(i + di);
        const float* b = gauss[l + dl + 1].ptr<float>(i + di);
        for (int dj = -1; dj <= 1; ++dj) {
          if (dl == 0 && di == 0 && dj == 0) continue;
          const float n = norm * (a[j + dj] - b[j + dj]);
          const bool before = dl < 0 || (dl == 0 && (di < 0 || (di == 0 && dj < 0)));
          if (before ? !(v > n) : !(v >= n)) return false;
        }
      }
    }
    return true;
  }
};

// Vertex offset of the parabola through (-1, a), (0, b), (1, c), clamped to [-0.5, 0.5].
double ParabolaPeak(double a, double b, double c) {
  const double den = a - 2.0 * b + c;
  if (!(den < 0.0)) return 0.0;
  return std::clamp(0.5 * (a - c) / den, -0.5, 0.5);
}

// Gaussian level g has sigma_a k^g (image px); DoG level d = (G_d - G_{d+1}) / (k - 1) has the
// effective sigma sigma_a k^(d + 1/2). Octave o (pixels of 2^o image px) finds maxima on DoG
// levels d_begin .. d_end (Gaussian levels g_begin .. d_end + 2). Octave 0 runs at full
// resolution up to the level whose sigma reaches kOctaveSwitch; each later octave starts
// from a level of its predecessor subsampled by 2 and covers `per_octave` levels.
// Consecutive octaves overlap by one level: their responses differ slightly, and a maximum
// midway between two levels would otherwise be lost at the seam.
struct OctavePlan {
  int g_begin, d_begin, d_end;
};

std::vector<OctavePlan> PlanOctaves(double sigma_a, double k, int per_octave, int last) {
  int g_base = 0;
  while (sigma_a * std::pow(k, g_base) < kOctaveSwitch) ++g_base;
  std::vector<OctavePlan> plan{{0, 1, std::max(1, std::min(last, g_base + 1))}};
  while (plan.back().d_end < last) {
    const int g0 = plan.size() == 1 ? g_base : plan.back().g_begin + per_octave;
    plan.push_back({g0, g0 + 1, std::min(last, g0 + per_octave + 1)});
  }
  return plan;
}

// Robust spread 1.4826 median |v| of the samples (reordered).
float Spread(std::vector<float>& v) {
  if (v.empty()) return 0.0f;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return 1.4826f * v[v.size() / 2];
}

}  // namespace

std::vector<BlobCandidate> DetectDarkBlobs(const cv::Mat& y, const CoarseField& background,
                                           const cv::Mat& mask, const BlobScaleSpace& o) {
  const int per_octave = std::max(1, o.scales_per_octave);
  const double k = std::pow(2.0, 1.0 / per_octave);
  const double sigma_min = o.radius_min_px / std::sqrt(2.0);
  const double sigma_max = std::max(o.radius_max_px, o.radius_min_px) / std::sqrt(2.0);
  // Maxima are searched on DoG levels 1 .. last: level 1 has the effective sigma sigma_min,
  // level `last` the first >= sigma_max.
  const double sigma_a = sigma_min / std::pow(k, 1.5);
  const int last =
      std::max(1, static_cast<int>(std::ceil(std::log(sigma_max / sigma_a) / std::log(k) - 0.5)));
  const std::vector<OctavePlan> plan = PlanOctaves(sigma_a, k, per_octave, last);
  const float norm = static_cast<float>(1.0 / (k - 1.0));
  const bool has_mask = !mask.empty();

  std::vector<BlobCandidate> found;
  std::mutex lock;
  cv::Mat1f input;  // octave input for octaves >= 1 (octave 0 computes D tile by tile)
  for (size_t oct = 0; oct < plan.size(); ++oct) {
    const OctavePlan& p = plan[oct];
    const int step = 1 << oct;
    const cv::Size size = oct == 0 ? y.size() : input.size();
    const double base_sigma = oct == 0 ? 0.0 : sigma_a * std::pow(k, p.g_begin) / step;
    const double top_sigma = sigma_a * std::pow(k, p.d_end + 2) / step;
    const int margin = static_cast<int>(std::ceil(
                           3.0 * std::sqrt(top_sigma * top_sigma - base_sigma * base_sigma))) +
                       2;
    const bool more = oct + 1 < plan.size();
    cv::Mat1f next;
    if (more) next.create((size.height + 1) / 2, (size.width + 1) / 2);
    const int tiles_x = (size.width + kTile - 1) / kTile,
              tiles_y = (size.height + kTile - 1) / kTile;
    cv::parallel_for_(cv::Range(0, tiles_x * tiles_y), [&](const cv::Range& range) {
      std::vector<BlobCandidate> local;
      std::vector<float> samples;
      // Buffers reused from tile to tile (same sizes: no allocation, no page faults).
      std::vector<cv::Mat1f> gauss(p.d_end + 3 - p.g_begin);
      cv::Mat1f base;
      for (int t = range.start; t < range.end; ++t) {
        const cv::Rect core = cv::Rect((t % tiles_x) * kTile, (t / tiles_x) * kTile, kTile, kTile) &
                              cv::Rect({}, size);
        const cv::Rect ext = cv::Rect(core.x - margin, core.y - margin, core.width + 2 * margin,
                                      core.height + 2 * margin) &
                             cv::Rect({}, size);
        if (oct == 0) {  // Weber darkness D = 1 - Y / B of the tile
          background.Fill(ext, &base);
          for (int i = 0; i < ext.height; ++i) {
            const float* yr = y.ptr<float>(ext.y + i) + ext.x;
            float* br = base.ptr<float>(i);
            for (int j = 0; j < ext.width; ++j) br[j] = 1.0f - yr[j] / br[j];
          }
        } else {
          input(ext).copyTo(base);
        }
        double s_prev = base_sigma;
        for (int g = p.g_begin; g <= p.d_end + 2; ++g) {
          const double s = sigma_a * std::pow(k, g) / step;  // octave px
          const int idx = g - p.g_begin;
          Blur(idx == 0 ? base : gauss[idx - 1], gauss[idx],
               std::sqrt(std::max(0.0, s * s - s_prev * s_prev)));
          s_prev = s;
        }
        const Dog dog{gauss, norm};
        const int i0 = std::max(1, core.y - ext.y),
                  i1 = std::min(ext.height - 1, core.br().y - ext.y);
        const int j0 = std::max(1, core.x - ext.x),
                  j1 = std::min(ext.width - 1, core.br().x - ext.x);
        auto in_mask = [&](int i, int j) {
          return !has_mask || mask.ptr<uchar>((ext.y + i) * step)[(ext.x + j) * step] != 0;
        };
        for (int d = p.d_begin; d <= p.d_end; ++d) {
          const int l = d - p.g_begin;
          // The level's spread over the tile's ROI pixels (the whole tile when it has few).
          samples.clear();
          for (int pass = 0; pass < 2 && samples.size() < kMinSamples; ++pass) {
            samples.clear();
            for (int i = core.y - ext.y; i < core.br().y - ext.y; i += kSampleStep)
              for (int j = core.x - ext.x; j < core.br().x - ext.x; j += kSampleStep)
                if (pass == 1 || in_mask(i, j)) samples.push_back(std::abs(dog(l, i, j)));
          }
          const float spread = Spread(samples);
          const float thr = std::max(static_cast<float>(o.min_response),
                                     static_cast<float>(o.significance) * spread);
          const float full_lim = thr / norm;
          // Pixels above the (relaxed) threshold: difference and comparison 4 pixels at a
          // time, the few that pass tested for a maximum.
          const float lim = o.relaxed < 1.0 ? static_cast<float>(o.relaxed) * full_lim : full_lim;
          for (int i = i0; i < i1; ++i) {
            const float* ga = gauss[l].ptr<float>(i);
            const float* gb = gauss[l + 1].ptr<float>(i);
            for (int j = j0; j < j1; ++j) {
#if CV_SIMD128
              if (j + 4 <= j1) {
                const cv::v_float32x4 dv = cv::v_load(ga + j) - cv::v_load(gb + j);
                if (!cv::v_check_any(dv >= cv::v_setall_f32(lim))) {
                  j += 3;
                  continue;
                }
              }
#endif
              if (!(ga[j] - gb[j] >= lim) || !dog.IsMaximum(l, i, j) || !in_mask(i, j)) continue;
              const float v = dog(l, i, j);
              const double ox = ParabolaPeak(dog(l, i, j - 1), v, dog(l, i, j + 1));
              const double oy = ParabolaPeak(dog(l, i - 1, j), v, dog(l, i + 1, j));
              const double os = ParabolaPeak(dog(l - 1, i, j), v, dog(l + 1, i, j));
              BlobCandidate c;
              c.x = (ext.x + j + ox) * step;
              c.y = (ext.y + i + oy) * step;
              c.radius = std::sqrt(2.0) * sigma_a * std::pow(k, d + 0.5 + os);
              c.response = v;
              c.spread = spread;
              c.full = ga[j] - gb[j] >= full_lim;
              local.push_back(c);
            }
          }
        }
        if (more) {  // the next octave's base: its first level, every other pixel of the core
          const cv::Mat1f& src = gauss[plan[oct + 1].g_begin - p.g_begin];
          for (int i = core.y; i < core.br().y; i += 2) {
            const float* sr = src.ptr<float>(i - ext.y);
            float* dr = next.ptr<float>(i / 2);
            for (int j = core.x; j < core.br().x; j += 2) dr[j / 2] = sr[j - ext.x];
          }
        }
      }
      std::lock_guard<std::mutex> guard(lock);
      found.insert(found.end(), local.begin(), local.end());
    });
    input = next;
  }
  std::sort(found.begin(), found.end(), [](const BlobCandidate& a, const BlobCandidate& b) {
    if (a.response != b.response) return a.response > b.response;
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  return found;
}

}  // namespace skintrack::metrics::internal
