// The internal image form and small checks on it.
//
// Every image that enters the pipeline is converted (by io::LoadImage) to ONE form:
//   cv::Mat of type CV_32FC3, channel order B, G, R, values are the sRGB-encoded
//   (display-referred, gamma-compressed) intensities scaled to [0, 1].
// 8-bit sources are divided by 255, 16-bit sources by 65535; grey is replicated to three
// channels; alpha is dropped. Pixel (x, y) has its centre at integer coordinates (OpenCV
// convention); x to the right, y down. Linear light is obtained with photometric::SrgbToLinear.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <opencv2/core.hpp>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack {

// Type of the internal colour form.
inline constexpr int kImageType = CV_32FC3;

// Ok when `image` is non-empty, of type `type`, at least min_side px on each side and (for
// float images) free of NaN / infinite values and of values outside [-1e6, 1e6] -- a scan of
// every value, skipped for an image known finite (IsKnownFinite below).
// `what` names the image in the message (e.g. a file path).
Status CheckImage(const cv::Mat& image, int type, int min_side, const std::string& what);

// Images known to hold only finite values in [-1e6, 1e6] while a FiniteImageScope naming them
// lives: CheckImage skips its scan of their values (it still checks emptiness, type and size).
// The scan reads the whole image (144 MB for a 12 MP photo), and on its way through `compare`
// a photo meets a dozen checks, one per stage that may also be called on its own.
// What qualifies: io::LoadImage's output (8- and 16-bit samples scaled to [0, 1]; float files
// with NaN replaced and clamped to [0, 1]) and what the library computes from such images with
// bounded arithmetic (a warp, a luminance plane). Whoever names an image promises that nothing
// writes other values into it while the scope lives. A view (ROI) of a named image, or any
// header on the same buffer with the same depth, is known too; an image on user-allocated
// memory (no cv::UMatData) cannot be named. The scope holds a reference to each image, so its
// buffer is not freed, nor its address reused, while the scope lives: ForgetKnownFinite drops
// the references early. Thread-safe; scopes may nest and name the same image.
class FiniteImageScope {
 public:
  FiniteImageScope() = default;
  FiniteImageScope(std::initializer_list<cv::Mat> images);
  ~FiniteImageScope();
  FiniteImageScope(const FiniteImageScope&) = delete;
  FiniteImageScope& operator=(const FiniteImageScope&) = delete;
  // Names `image` (ignored when empty or on user-allocated memory).
  void Add(const cv::Mat& image);

 private:
  std::vector<std::uint64_t> ids_;  // this scope's entries in the process-wide registry
};

// Whether a live FiniteImageScope names `image`'s buffer with `image`'s depth.
bool IsKnownFinite(const cv::Mat& image);

// Drops every scope's reference to `image`'s buffer, which is no longer known finite: for an
// image to be released or replaced while a scope naming it lives (so that its memory is freed).
void ForgetKnownFinite(const cv::Mat& image);

// Converts an internal-form image to 8-bit BGR for writing or display (rounding, clamped).
cv::Mat ToBgr8(const cv::Mat& image);

// Converts 8-bit BGR to the internal form.
cv::Mat FromBgr8(const cv::Mat& bgr8);

}  // namespace skintrack
