// Helpers shared by the metric family tests (private: they use metrics/families.h).
#pragma once

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "metrics/families.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics::internal::test {

// The internal form (sRGB-encoded BGR) of a grey linear-luminance plane (CV_32FC1).
inline cv::Mat GreyImage(const cv::Mat& linear_y) {
  cv::Mat bgr;
  cv::merge(std::vector<cv::Mat>{linear_y, linear_y, linear_y}, bgr);
  return photometric::LinearToSrgb(bgr);
}

// BuildContext of `image` over `roi` (empty: the whole frame) at mm_per_px (nullopt: unknown).
inline Context ContextOver(const cv::Mat& image, std::optional<double> mm_per_px,
                           const MetricsOptions& options = MetricsOptions(),
                           const cv::Mat& roi = cv::Mat()) {
  Context ctx;
  const cv::Mat full = roi.empty() ? cv::Mat(image.size(), CV_8UC1, cv::Scalar(255)) : roi;
  EXPECT_TRUE(BuildContext(image, full, mm_per_px, options, &ctx).ok());
  return ctx;
}

}  // namespace skintrack::metrics::internal::test
