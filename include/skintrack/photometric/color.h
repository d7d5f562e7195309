// Colour conversions between the internal sRGB-encoded form and linear light.
#pragma once

#include <opencv2/core.hpp>

namespace skintrack::photometric {

// sRGB-encoded [0,1] (CV_32F, any channels) -> linear light [0,1] (IEC 61966-2-1). Inputs are
// clamped to [0,1] (NaN -> 0); evaluated from an interpolated table (max error 1.3e-7).
cv::Mat SrgbToLinear(const cv::Mat& srgb);
// Linear light [0,1] -> sRGB-encoded [0,1] (CV_32F); values are clamped to [0,1] first;
// interpolated table, max error 7.5e-6 (near black).
cv::Mat LinearToSrgb(const cv::Mat& linear);
// Relative luminance Y (Rec. 709 weights) of a linear-light BGR CV_32FC3 image -> CV_32FC1.
cv::Mat LinearLuminance(const cv::Mat& linear_bgr);
// LinearLuminance(SrgbToLinear(srgb_bgr)) without the full-size linear-light temporary:
// internal-form CV_32FC3 -> linear Y CV_32FC1 (same values).
cv::Mat SrgbToLinearLuminance(const cv::Mat& srgb_bgr);

}  // namespace skintrack::photometric
