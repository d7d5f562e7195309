// Lanczos-4 remap (lanczos_remap.h). OpenCV's INTER_LANCZOS4 remap is a scalar loop over 64
// taps x 3 channels per pixel; here the 8 taps x 3 channels of a source row are 24 contiguous
// floats, weighted down the 8 rows in 4-lane vectors and by the column weights once.
#include "align/lanczos_remap.h"

#include <array>
#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/core/utility.hpp>

namespace skintrack::align::internal {
namespace {

constexpr int kTaps = 8;
constexpr int kFractions = 256;  // weight table resolution: 1/256 px (Locate shifts by 8)
static_assert(kFractions == 256, "Locate divides by shifting 8 bits");
constexpr double kPi = 3.14159265358979323846;

// Normalised Lanczos-4 weights of the taps at offsets -3 .. 4 from floor(s), for the fraction
// f = s - floor(s) = k / kFractions: kFractions + 1 rows (the last is f = 1, used after
// rounding up).
struct Weights {
  std::array<std::array<float, kTaps>, kFractions + 1> w;
  Weights() {
    for (int k = 0; k <= kFractions; ++k) {
      const double f = static_cast<double>(k) / kFractions;
      double sum = 0.0;
      std::array<double, kTaps> v{};
      for (int i = 0; i < kTaps; ++i) {
        const double t = (i - 3) - f;  // tap offset from the sample point, px
        const double a = kPi * t;
        v[i] = std::abs(t) < 1e-12 ? 1.0 : 4.0 * std::sin(a) * std::sin(a / 4.0) / (a * a);
        sum += v[i];
      }
      for (int i = 0; i < kTaps; ++i) w[k][i] = static_cast<float>(v[i] / sum);
    }
  }
};

const Weights& Table() {
  static const Weights table;
  return table;
}

// Integer tap origin (floor(s) - 3) and weight row of coordinate s (|s| < 2^22 px).
inline void Locate(float s, int* origin, const float** weights) {
  const int q = static_cast<int>(std::lrint(s * static_cast<float>(kFractions)));  // 1/256 px
  *origin = (q >> 8) - 3;  // arithmetic shift: floor division by kFractions = 256
  *weights = Table().w[static_cast<size_t>(q & (kFractions - 1))].data();
}

}  // namespace

void RemapLanczos4(const cv::Mat& src, const cv::Mat& map, cv::Mat* dst) {
  CV_Assert(src.type() == CV_32FC3 && map.type() == CV_32FC2);
  dst->create(map.size(), CV_32FC3);
  const int cols = src.cols, rows = src.rows;
  const float limit = 1e6f;  // coordinates beyond this (or NaN) read nothing
  cv::parallel_for_(cv::Range(0, map.rows), [&](const cv::Range& range) {
    for (int y = range.start; y < range.end; ++y) {
      const cv::Vec2f* m = map.ptr<cv::Vec2f>(y);
      cv::Vec3f* out = dst->ptr<cv::Vec3f>(y);
      for (int x = 0; x < map.cols; ++x) {
        const float sx = m[x][0], sy = m[x][1];
        if (!(std::abs(sx) < limit && std::abs(sy) < limit)) {
          out[x] = cv::Vec3f(0, 0, 0);
          continue;
        }
        int x0, y0;
        const float *wx, *wy;
        Locate(sx, &x0, &wx);
        Locate(sy, &y0, &wy);
        if (x0 + kTaps <= 0 || y0 + kTaps <= 0 || x0 >= cols || y0 >= rows) {
          out[x] = cv::Vec3f(0, 0, 0);
          continue;
        }
        if (x0 >= 0 && y0 >= 0 && x0 + kTaps <= cols && y0 + kTaps <= rows) {
#if CV_SIMD128
          // Column sums: t[k] = sum_j wy[j] src(y0 + j, x0 .. x0 + 7)[k], k < 24 (taps x BGR).
          cv::v_float32x4 t0 = cv::v_setzero_f32(), t1 = t0, t2 = t0, t3 = t0, t4 = t0, t5 = t0;
          for (int j = 0; j < kTaps; ++j) {
            const float* p = src.ptr<float>(y0 + j) + 3 * x0;
            const cv::v_float32x4 w = cv::v_setall_f32(wy[j]);
            t0 = cv::v_fma(cv::v_load(p), w, t0);
            t1 = cv::v_fma(cv::v_load(p + 4), w, t1);
            t2 = cv::v_fma(cv::v_load(p + 8), w, t2);
            t3 = cv::v_fma(cv::v_load(p + 12), w, t3);
            t4 = cv::v_fma(cv::v_load(p + 16), w, t4);
            t5 = cv::v_fma(cv::v_load(p + 20), w, t5);
          }
          // Row weights per lane: lane k of the 24 holds tap k / 3.
          const cv::v_float32x4 w0(wx[0], wx[0], wx[0], wx[1]), w1(wx[1], wx[1], wx[2], wx[2]),
              w2(wx[2], wx[3], wx[3], wx[3]), w3(wx[4], wx[4], wx[4], wx[5]),
              w4(wx[5], wx[5], wx[6], wx[6]), w5(wx[6], wx[7], wx[7], wx[7]);
          // Taps 0-3 and 4-7 share the lane pattern: add them, then sum by channel.
          float a[12];
          cv::v_store(a, t0 * w0 + t3 * w3);
          cv::v_store(a + 4, t1 * w1 + t4 * w4);
          cv::v_store(a + 8, t2 * w2 + t5 * w5);
          out[x] = cv::Vec3f((a[0] + a[3]) + (a[6] + a[9]), (a[1] + a[4]) + (a[7] + a[10]),
                             (a[2] + a[5]) + (a[8] + a[11]));
          continue;
#endif
        }
        // Near the border (or without SIMD): scalar, taps outside the image read 0.
        float acc[3] = {0, 0, 0};
        for (int j = 0; j < kTaps; ++j) {
          const int yy = y0 + j;
          if (yy < 0 || yy >= rows) continue;
          const float* p = src.ptr<float>(yy);
          float r[3] = {0, 0, 0};
          for (int i = 0; i < kTaps; ++i) {
            const int xx = x0 + i;
            if (xx < 0 || xx >= cols) continue;
            for (int c = 0; c < 3; ++c) r[c] += wx[i] * p[3 * xx + c];
          }
          for (int c = 0; c < 3; ++c) acc[c] += wy[j] * r[c];
        }
        out[x] = cv::Vec3f(acc[0], acc[1], acc[2]);
      }
    }
  });
}

}  // namespace skintrack::align::internal
