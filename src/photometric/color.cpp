#include "skintrack/photometric/color.h"

#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace skintrack::photometric {
namespace {

// Lookup-free exact conversions; cv::Mat::forEach keeps them parallel.
inline float SrgbToLinearValue(float v) {
  return v <= 0.04045f ? v / 12.92f : std::pow((v + 0.055f) / 1.055f, 2.4f);
}
inline float LinearToSrgbValue(float v) {
  v = std::min(1.0f, std::max(0.0f, v));
  return v <= 0.0031308f ? 12.92f * v : 1.055f * std::pow(v, 1.0f / 2.4f) - 0.055f;
}

template <float (*F)(float)>
cv::Mat ApplyPerElement(const cv::Mat& in) {
  CV_Assert(in.depth() == CV_32F);
  cv::Mat out = in.clone();
  cv::Mat flat = out.reshape(1);
  flat.forEach<float>([](float& v, const int*) { v = F(v); });
  return out;
}

}  // namespace

cv::Mat SrgbToLinear(const cv::Mat& srgb) { return ApplyPerElement<SrgbToLinearValue>(srgb); }

cv::Mat LinearToSrgb(const cv::Mat& linear) { return ApplyPerElement<LinearToSrgbValue>(linear); }

cv::Mat LinearLuminance(const cv::Mat& linear_bgr) {
  CV_Assert(linear_bgr.type() == CV_32FC3);
  cv::Mat y;
  // Rec. 709 / sRGB primaries: Y = 0.2126 R + 0.7152 G + 0.0722 B; channels are B, G, R.
  cv::transform(linear_bgr, y, cv::Matx13f(0.0722f, 0.7152f, 0.2126f));
  return y;
}

}  // namespace skintrack::photometric
