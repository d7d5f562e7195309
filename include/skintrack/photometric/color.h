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

}  // namespace skintrack::photometric
