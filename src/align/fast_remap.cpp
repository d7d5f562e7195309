// Lanczos-4 remap (fast_remap.h). The n taps x 3 channels of a source row are 3n
// contiguous floats: weighted down the n rows in 4-lane vectors, then by the column weights
// once (lane k holds tap k / 3), and summed per channel.
#include "align/fast_remap.h"

#include <array>
#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/core/utility.hpp>
#include <vector>

namespace skintrack::align::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Kernel weights per fraction: n taps at offsets 1 - n / 2 .. n / 2 from floor(s), for the
// fraction f = k / fractions (k < fractions).
class Kernel {
 public:
  Kernel(int taps, int fraction_bits, double (*weight)(double t))
      : taps_(taps), bits_(fraction_bits), w_(static_cast<size_t>(taps) << fraction_bits) {
    const int fractions = 1 << bits_;
    for (int k = 0; k < fractions; ++k) {
      const double f = static_cast<double>(k) / fractions;
      std::vector<double> v(static_cast<size_t>(taps));
      double sum = 0.0;
      for (int i = 0; i < taps; ++i) {
        v[static_cast<size_t>(i)] = weight((i + 1 - taps / 2) - f);  // tap minus sample, px
        sum += v[static_cast<size_t>(i)];
      }
      for (int i = 0; i < taps; ++i)
        w_[static_cast<size_t>(k * taps + i)] = static_cast<float>(v[static_cast<size_t>(i)] / sum);
    }
  }
  int taps() const { return taps_; }
  // Integer origin of the taps and their weights for coordinate s (|s| < 2^20 px).
  void Locate(float s, int* origin, const float** weights) const {
    const int q = static_cast<int>(std::lrint(s * static_cast<float>(1 << bits_)));
    *origin = (q >> bits_) + 1 - taps_ / 2;  // arithmetic shift: floor division
    *weights = &w_[static_cast<size_t>((q & ((1 << bits_) - 1)) * taps_)];
  }

 private:
  int taps_, bits_;
  std::vector<float> w_;
};

double LanczosWeight(double t) {  // sinc(t) sinc(t / 4), |t| < 4
  if (std::abs(t) < 1e-12) return 1.0;
  if (std::abs(t) >= 4.0) return 0.0;
  const double x = kPi * t;
  return 4.0 * std::sin(x) * std::sin(x / 4.0) / (x * x);
}

const Kernel& Lanczos() {
  static const Kernel k(8, 8, LanczosWeight);  // 1/256 px
  return k;
}

// Per lane of the 3n floats of a row (tap = lane / 3), the column weight: n / 4 x 3 vectors.
#if CV_SIMD128
template <int N>
cv::Vec3f InteriorSample(const cv::Mat& src, int x0, int y0, const float* wx, const float* wy) {
  constexpr int kVecs = 3 * N / 4;
  cv::v_float32x4 t[kVecs];
  for (int v = 0; v < kVecs; ++v) t[v] = cv::v_setzero_f32();
  for (int j = 0; j < N; ++j) {
    const float* p = src.ptr<float>(y0 + j) + 3 * x0;
    const cv::v_float32x4 w = cv::v_setall_f32(wy[j]);
    for (int v = 0; v < kVecs; ++v) t[v] = cv::v_fma(cv::v_load(p + 4 * v), w, t[v]);
  }
  // Groups of 4 taps share the lane pattern (3 vectors): add them up, then weight.
  float a[12] = {};
  for (int g = 0; g < N / 4; ++g) {
    const float* w = wx + 4 * g;
    const cv::v_float32x4 w0(w[0], w[0], w[0], w[1]), w1(w[1], w[1], w[2], w[2]),
        w2(w[2], w[3], w[3], w[3]);
    cv::v_float32x4 s0 = t[3 * g] * w0, s1 = t[3 * g + 1] * w1, s2 = t[3 * g + 2] * w2;
    if (g > 0) {
      s0 += cv::v_load(a);
      s1 += cv::v_load(a + 4);
      s2 += cv::v_load(a + 8);
    }
    cv::v_store(a, s0);
    cv::v_store(a + 4, s1);
    cv::v_store(a + 8, s2);
  }
  return cv::Vec3f((a[0] + a[3]) + (a[6] + a[9]), (a[1] + a[4]) + (a[7] + a[10]),
                   (a[2] + a[5]) + (a[8] + a[11]));
}
#endif

// One channel: the n taps of a source row are n contiguous floats.
#if CV_SIMD128
template <int N>
float InteriorSample1(const cv::Mat& src, int x0, int y0, const float* wx, const float* wy) {
  constexpr int kVecs = N / 4;
  cv::v_float32x4 t[kVecs];
  for (int v = 0; v < kVecs; ++v) t[v] = cv::v_setzero_f32();
  for (int j = 0; j < N; ++j) {
    const float* p = src.ptr<float>(y0 + j) + x0;
    const cv::v_float32x4 w = cv::v_setall_f32(wy[j]);
    for (int v = 0; v < kVecs; ++v) t[v] = cv::v_fma(cv::v_load(p + 4 * v), w, t[v]);
  }
  cv::v_float32x4 s = t[0] * cv::v_load(wx);
  for (int v = 1; v < kVecs; ++v) s = cv::v_fma(t[v], cv::v_load(wx + 4 * v), s);
  return cv::v_reduce_sum(s);
}
#endif

// C channels (1 or 3), n taps.
template <int N, int C>
void Remap(const cv::Mat& src, const cv::Mat& map, const Kernel& kernel, cv::Mat* dst) {
  static_assert(C == 1 || C == 3, "one or three channels");
  CV_Assert(src.type() == CV_MAKETYPE(CV_32F, C) && map.type() == CV_32FC2 && kernel.taps() == N);
  dst->create(map.size(), src.type());
  const int cols = src.cols, rows = src.rows;
  const float limit = 1e6f;  // coordinates beyond this (or NaN) read nothing
  cv::parallel_for_(cv::Range(0, map.rows), [&](const cv::Range& range) {
    for (int y = range.start; y < range.end; ++y) {
      const cv::Vec2f* m = map.ptr<cv::Vec2f>(y);
      float* row_out = dst->ptr<float>(y);
      for (int x = 0; x < map.cols; ++x) {
        float* out = row_out + C * x;
        for (int c = 0; c < C; ++c) out[c] = 0.0f;
        const float sx = m[x][0], sy = m[x][1];
        if (!(std::abs(sx) < limit && std::abs(sy) < limit)) continue;
        int x0, y0;
        const float *wx, *wy;
        kernel.Locate(sx, &x0, &wx);
        kernel.Locate(sy, &y0, &wy);
        if (x0 + N <= 0 || y0 + N <= 0 || x0 >= cols || y0 >= rows) continue;
#if CV_SIMD128
        if (x0 >= 0 && y0 >= 0 && x0 + N <= cols && y0 + N <= rows) {
          if constexpr (C == 3) {
            const cv::Vec3f v = InteriorSample<N>(src, x0, y0, wx, wy);
            for (int c = 0; c < 3; ++c) out[c] = v[c];
          } else {
            out[0] = InteriorSample1<N>(src, x0, y0, wx, wy);
          }
          continue;
        }
#endif
        // Near the border (or without SIMD): scalar, taps outside the image read 0.
        float acc[C] = {};
        for (int j = 0; j < N; ++j) {
          const int yy = y0 + j;
          if (yy < 0 || yy >= rows) continue;
          const float* p = src.ptr<float>(yy);
          float r[C] = {};
          for (int i = 0; i < N; ++i) {
            const int xx = x0 + i;
            if (xx < 0 || xx >= cols) continue;
            for (int c = 0; c < C; ++c) r[c] += wx[i] * p[C * xx + c];
          }
          for (int c = 0; c < C; ++c) acc[c] += wy[j] * r[c];
        }
        for (int c = 0; c < C; ++c) out[c] = acc[c];
      }
    }
  });
}

}  // namespace

void RemapLanczos4(const cv::Mat& src, const cv::Mat& map, cv::Mat* dst) {
  if (src.type() == CV_32FC1) {
    Remap<8, 1>(src, map, Lanczos(), dst);
  } else {
    Remap<8, 3>(src, map, Lanczos(), dst);
  }
}

}  // namespace skintrack::align::internal
