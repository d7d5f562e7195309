#include "skintrack/photometric/color.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/core/hal/intrin.hpp>
#include <vector>

namespace skintrack::photometric {
namespace {

double SrgbToLinearExact(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}
double LinearToSrgbExact(double v) {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
}

// Rec. 709 / sRGB primaries: Y = 0.2126 R + 0.7152 G + 0.0722 B.
constexpr float kWeightB = 0.0722f, kWeightG = 0.7152f, kWeightR = 0.2126f;

// A transfer curve on [0, 1] tabulated at kNodes + 1 points, evaluated by linear interpolation
// (measured max error 6.5e-8 decoding, 7.5e-6 encoding near black, over every float in [0, 1]);
// inputs are clamped to [0, 1] (NaN -> 0). Much faster than std::pow per element.
//
// Speed (bench/color_bench.cpp): the element loop runs on OpenCV universal intrinsics, which
// compile for the baseline (SSE2 on x86-64, NEON on ARM) and dispatch nothing at run time: the
// clamp and the index arithmetic are vector operations and only the two table reads per element
// are scalar loads (v_lut). The vector and the scalar (tail) forms perform the same IEEE float
// operations, so a result never depends on where an element falls. One core, 36 M floats: 0.93
// ns per element, vs 1.7 for the former scalar loop. Measured and rejected: polynomial log2/exp2
// approximations of x^2.4 and x^(1/2.4) that GCC vectorises (2.2-3.0 ns at SSE2 width; 1.5 as
// an AVX2 target_clone, 0.6-0.8 only as an AVX-512 one, whose results would then differ between
// CPUs), this loop as an AVX2 clone (gathers: within 5 %), a (value, slope) pair table (no gain).
class Curve {
 public:
  static constexpr int kNodes = 8192;
  explicit Curve(double (*f)(double)) : table_(kNodes + 2) {
    for (int i = 0; i <= kNodes; ++i) table_[i] = static_cast<float>(f(double(i) / kNodes));
    table_[kNodes + 1] = table_[kNodes];
  }
  float operator()(float v) const {
    // Written so that NaN fails the first test and maps to 0 (never an out-of-table index).
    v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
    const float x = v * kNodes;
    const int i = static_cast<int>(x);
    const float t = x - static_cast<float>(i);
    return table_[i] + t * (table_[i + 1] - table_[i]);
  }
#if CV_SIMD
  // The same operations on a vector (v_min's NaN behaviour does not matter: NaN fails v > 0).
  cv::v_float32 operator()(const cv::v_float32& v) const {
    const cv::v_float32 zero = cv::vx_setzero_f32();
    const cv::v_float32 c = cv::v_select(v > zero, cv::v_min(v, cv::vx_setall_f32(1.0f)), zero);
    const cv::v_float32 x = c * cv::vx_setall_f32(static_cast<float>(kNodes));
    const cv::v_int32 i = cv::v_trunc(x);
    const cv::v_float32 t = x - cv::v_cvt_f32(i);
    const cv::v_float32 a = cv::v_lut(table_.data(), i);
    const cv::v_float32 b = cv::v_lut(table_.data() + 1, i);
    return a + t * (b - a);
  }
#endif
  // d[i] = curve(s[i]) for i < n.
  void Apply(const float* s, float* d, size_t n) const {
    size_t i = 0;
#if CV_SIMD
    constexpr size_t kLanes = cv::v_float32::nlanes;
    for (; i + kLanes <= n; i += kLanes) cv::v_store(d + i, (*this)(cv::vx_load(s + i)));
#endif
    for (; i < n; ++i) d[i] = (*this)(s[i]);
  }

 private:
  std::vector<float> table_;
};

const Curve& DecodeCurve() {
  static const Curve curve(SrgbToLinearExact);
  return curve;
}
const Curve& EncodeCurve() {
  static const Curve curve(LinearToSrgbExact);
  return curve;
}

// CIELAB's f(t) on [0, 1] (t = X / Xn, Y / Yn or Z / Zn of linear light in [0, 1], at most
// 1 + 1e-5, clamped to 1 by the table).
double LabFExact(double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0; }
const Curve& LabFCurve() {
  static const Curve curve(LabFExact);
  return curve;
}

// OpenCV's sRGB -> XYZ (D65) matrix (its sRGB2XYZ_D65) with each row divided by the white
// point's component (Xn 0.950456, Yn 1, Zn 1.088754), as its float BGR2Lab applies it.
constexpr float kXr = static_cast<float>(0.412453 / 0.950456),
                kXg = static_cast<float>(0.357580 / 0.950456),
                kXb = static_cast<float>(0.180423 / 0.950456);
constexpr float kYr = 0.212671f, kYg = 0.715160f, kYb = 0.072169f;
constexpr float kZr = static_cast<float>(0.019334 / 1.088754),
                kZg = static_cast<float>(0.119193 / 1.088754),
                kZb = static_cast<float>(0.950227 / 1.088754);

cv::Mat ApplyCurve(const cv::Mat& in, const Curve& curve) {
  CV_Assert(in.depth() == CV_32F);
  cv::Mat out(in.size(), in.type());
  const size_t row_elems = static_cast<size_t>(in.cols) * in.channels();
  if (in.isContinuous()) {
    const float* s = in.ptr<float>();
    float* d = out.ptr<float>();
    const size_t n = in.total() * in.channels();
    constexpr size_t kChunk = 65536;
    cv::parallel_for_(cv::Range(0, static_cast<int>((n + kChunk - 1) / kChunk)),
                      [&](const cv::Range& r) {
                        const size_t begin = static_cast<size_t>(r.start) * kChunk;
                        const size_t end = std::min(n, static_cast<size_t>(r.end) * kChunk);
                        curve.Apply(s + begin, d + begin, end - begin);
                      });
  } else {
    // A view into a larger image: row by row, without a continuous copy.
    cv::parallel_for_(cv::Range(0, in.rows), [&](const cv::Range& r) {
      for (int y = r.start; y < r.end; ++y)
        curve.Apply(in.ptr<float>(y), out.ptr<float>(y), row_elems);
    });
  }
  return out;
}

// y[j] = luminance of the BGR pixel s[3j..3j+2], j < n, decoded by `curve` first when not null.
// One fixed sequence of float operations, (wb B + wg G) + wr R, in the vector body and in the
// tail alike, so LinearLuminance(SrgbToLinear(x)) == SrgbToLinearLuminance(x) exactly.
void LuminanceRow(const float* s, float* y, int n, const Curve* curve) {
  int j = 0;
#if CV_SIMD
  constexpr int kLanes = cv::v_float32::nlanes;
  const cv::v_float32 wb = cv::vx_setall_f32(kWeightB), wg = cv::vx_setall_f32(kWeightG),
                      wr = cv::vx_setall_f32(kWeightR);
  for (; j + kLanes <= n; j += kLanes) {
    cv::v_float32 b, g, r;
    cv::v_load_deinterleave(s + 3 * j, b, g, r);
    if (curve) {
      b = (*curve)(b);
      g = (*curve)(g);
      r = (*curve)(r);
    }
    cv::v_store(y + j, (wb * b + wg * g) + wr * r);
  }
#endif
  for (; j < n; ++j) {
    const float* p = s + 3 * j;
    const float b = curve ? (*curve)(p[0]) : p[0];
    const float g = curve ? (*curve)(p[1]) : p[1];
    const float r = curve ? (*curve)(p[2]) : p[2];
    y[j] = (kWeightB * b + kWeightG * g) + kWeightR * r;
  }
}

// row_fn(row) for every row of `image`, in bands of ~64K pixels on every core (each row is
// independent).
template <typename RowFn>
void ForEachRow(const cv::Mat& image, const RowFn& row_fn) {
  if (image.empty()) return;
  const int band = std::max(1, 65536 / std::max(1, image.cols));
  cv::parallel_for_(cv::Range(0, (image.rows + band - 1) / band), [&](const cv::Range& r) {
    const int end = std::min(image.rows, r.end * band);
    for (int row = r.start * band; row < end; ++row) row_fn(row);
  });
}

// Luminance of a CV_32FC3 image.
cv::Mat Luminance(const cv::Mat& bgr, const Curve* curve) {
  CV_Assert(bgr.type() == CV_32FC3);
  cv::Mat y(bgr.size(), CV_32FC1);
  ForEachRow(
      bgr, [&](int row) { LuminanceRow(bgr.ptr<float>(row), y.ptr<float>(row), bgr.cols, curve); });
  return y;
}

}  // namespace

void SrgbToLinearLabRow(const float* s, int n, float* linear, float* lab) {
  const Curve& decode = DecodeCurve();
  const Curve& f = LabFCurve();
  int j = 0;
#if CV_SIMD
  constexpr int kLanes = cv::v_float32::nlanes;
  const cv::v_float32 xr = cv::vx_setall_f32(kXr), xg = cv::vx_setall_f32(kXg),
                      xb = cv::vx_setall_f32(kXb), yr = cv::vx_setall_f32(kYr),
                      yg = cv::vx_setall_f32(kYg), yb = cv::vx_setall_f32(kYb),
                      zr = cv::vx_setall_f32(kZr), zg = cv::vx_setall_f32(kZg),
                      zb = cv::vx_setall_f32(kZb), k116 = cv::vx_setall_f32(116.0f),
                      k16 = cv::vx_setall_f32(16.0f), k500 = cv::vx_setall_f32(500.0f),
                      k200 = cv::vx_setall_f32(200.0f);
  for (; j + kLanes <= n; j += kLanes) {
    cv::v_float32 b, g, r;
    cv::v_load_deinterleave(s + 3 * j, b, g, r);
    b = decode(b);
    g = decode(g);
    r = decode(r);
    if (linear != nullptr) cv::v_store_interleave(linear + 3 * j, b, g, r);
    if (lab == nullptr) continue;
    const cv::v_float32 fx = f((xr * r + xg * g) + xb * b);
    const cv::v_float32 fy = f((yr * r + yg * g) + yb * b);
    const cv::v_float32 fz = f((zr * r + zg * g) + zb * b);
    cv::v_store_interleave(lab + 3 * j, k116 * fy - k16, k500 * (fx - fy), k200 * (fy - fz));
  }
#endif
  // The tail: the same float operations, one pixel at a time.
  for (; j < n; ++j) {
    const float b = decode(s[3 * j]), g = decode(s[3 * j + 1]), r = decode(s[3 * j + 2]);
    if (linear != nullptr) {
      linear[3 * j] = b;
      linear[3 * j + 1] = g;
      linear[3 * j + 2] = r;
    }
    if (lab == nullptr) continue;
    const float fx = f((kXr * r + kXg * g) + kXb * b);
    const float fy = f((kYr * r + kYg * g) + kYb * b);
    const float fz = f((kZr * r + kZg * g) + kZb * b);
    lab[3 * j] = 116.0f * fy - 16.0f;
    lab[3 * j + 1] = 500.0f * (fx - fy);
    lab[3 * j + 2] = 200.0f * (fy - fz);
  }
}

cv::Mat SrgbToLab(const cv::Mat& srgb_bgr) {
  CV_Assert(srgb_bgr.type() == CV_32FC3);
  cv::Mat lab(srgb_bgr.size(), CV_32FC3);
  ForEachRow(srgb_bgr, [&](int row) {
    SrgbToLinearLabRow(srgb_bgr.ptr<float>(row), srgb_bgr.cols, nullptr, lab.ptr<float>(row));
  });
  return lab;
}

cv::Mat SrgbToLinear(const cv::Mat& srgb) { return ApplyCurve(srgb, DecodeCurve()); }

cv::Mat LinearToSrgb(const cv::Mat& linear) { return ApplyCurve(linear, EncodeCurve()); }

cv::Mat LinearLuminance(const cv::Mat& linear_bgr) { return Luminance(linear_bgr, nullptr); }

// Fused: each pixel is decoded and summed in registers; no linear-light copy is written.
cv::Mat SrgbToLinearLuminance(const cv::Mat& srgb_bgr) {
  return Luminance(srgb_bgr, &DecodeCurve());
}

}  // namespace skintrack::photometric
