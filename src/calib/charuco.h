// ChArUco board scale (internal to calib; the public entry is DetectMarkerScale).
#pragma once

#include <opencv2/core.hpp>

#include "skintrack/calib/marker.h"

namespace skintrack::calib::internal {

// DetectMarkerScale for options.UsesBoard(): `image` already checked (internal form).
Status DetectCharucoScale(const cv::Mat& image, const MarkerOptions& options, MarkerScale* out);

}  // namespace skintrack::calib::internal
