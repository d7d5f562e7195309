// The internal image form and small checks on it.
//
// Every image that enters the pipeline is converted (by io::LoadImage) to ONE form:
//   cv::Mat of type CV_32FC3, channel order B, G, R, values are the sRGB-encoded
//   (display-referred, gamma-compressed) intensities scaled to [0, 1].
// 8-bit sources are divided by 255, 16-bit sources by 65535; grey is replicated to three
// channels; alpha is dropped. Pixel (x, y) has its centre at integer coordinates (OpenCV
// convention); x to the right, y down. Linear light is obtained with photometric::SrgbToLinear.
#pragma once

#include <opencv2/core.hpp>

#include "skintrack/core/status.h"

namespace skintrack {

// Type of the internal colour form.
inline constexpr int kImageType = CV_32FC3;

// Ok when `image` is non-empty, of type `type`, at least min_side px on each side and (for
// float images) free of NaN / infinite values.
// `what` names the image in the message (e.g. a file path).
Status CheckImage(const cv::Mat& image, int type, int min_side, const std::string& what);

// Converts an internal-form image to 8-bit BGR for writing or display (rounding, clamped).
cv::Mat ToBgr8(const cv::Mat& image);

// Converts 8-bit BGR to the internal form.
cv::Mat FromBgr8(const cv::Mat& bgr8);

}  // namespace skintrack
