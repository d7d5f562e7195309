// Colour conversions between the internal sRGB-encoded form and linear light.
#pragma once

#include <opencv2/core.hpp>

namespace skintrack::photometric {

// sRGB-encoded [0,1] (CV_32F, any channels) -> linear light [0,1] (IEC 61966-2-1). Inputs are
// clamped to [0,1] (NaN -> 0, +inf -> 1, -inf -> 0); evaluated from an interpolated table (max
// abs error 6.5e-8 over every float in [0,1]). Deterministic: independent of threads and layout.
cv::Mat SrgbToLinear(const cv::Mat& srgb);
// Linear light [0,1] -> sRGB-encoded [0,1] (CV_32F); values are clamped to [0,1] first (NaN -> 0);
// interpolated table, max abs error 7.5e-6 (near black, 0.0031308).
cv::Mat LinearToSrgb(const cv::Mat& linear);
// Relative luminance Y (Rec. 709 weights) of a linear-light BGR CV_32FC3 image -> CV_32FC1,
// computed as (0.0722 B + 0.7152 G) + 0.2126 R in float (the same on every CPU).
cv::Mat LinearLuminance(const cv::Mat& linear_bgr);
// LinearLuminance(SrgbToLinear(srgb_bgr)) fused (each pixel decoded and summed in registers, no
// linear-light copy): internal-form CV_32FC3 -> linear Y CV_32FC1 (bitwise the same values).
cv::Mat SrgbToLinearLuminance(const cv::Mat& srgb_bgr);

// Internal-form BGR (sRGB-encoded [0,1], CV_32FC3) -> CIELAB, CV_32FC3 (L* in [0,100], a*,
// b*; D65 white, the sRGB primaries), by the formulas of OpenCV's float cv::COLOR_BGR2Lab:
// X, Y, Z of the linear light (SrgbToLinear) over the white point, f(t) = cbrt(t) above
// 0.008856 and 7.787 t + 16/116 below, L* = 116 f(Y) - 16, a* = 500 (f(X) - f(Y)),
// b* = 200 (f(Y) - f(Z)). f is read from an interpolated table like SrgbToLinear's curve, whose
// error is largest just above t = 0.008856 (1.1e-6 in f, 5.5e-4 once times 500): L* within
// 1.3e-4 and a*, b* within 6e-4 of the exact formulas in double precision (measured: 1.27e-4 and
// 5.4e-4 on a 65^3 colour cube, tests/photometric/lab_test.cpp; 6.0e-4 at worst in a search over
// dark colours). cv::cvtColor's coarser tables miss them by up to 0.47 (0.33 for L* 40-70, over
// all 8-bit colours). Inputs are clamped to [0,1] (NaN -> 0) like
// SrgbToLinear's. Deterministic: the same value for a pixel whatever its position, the image's
// layout or the number of threads. Speed (bench/color_bench.cpp, 4000x3000, one core): 0.29 s
// against cv::cvtColor's 0.32 s, and no one-time set-up (cv::cvtColor's first Lab call builds
// its tables: 0.18-0.19 s on one core, measured 2026-11-22).
cv::Mat SrgbToLab(const cv::Mat& srgb_bgr);
// One row of SrgbToLab: `n` internal-form BGR pixels (3n floats) -> the linear light
// (SrgbToLinear's values, 3n floats, BGR; nullptr to skip) and CIELAB (3n floats, L* a* b*;
// nullptr to skip). Buffers must not overlap the input.
void SrgbToLinearLabRow(const float* srgb_bgr, int n, float* linear_bgr, float* lab);

}  // namespace skintrack::photometric
