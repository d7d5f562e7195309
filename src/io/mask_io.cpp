#include <opencv2/imgproc.hpp>
#include <string>

#include "skintrack/io/image_io.h"

namespace skintrack::io {

Status LoadMask(const std::string& path, const LoadOptions& options, cv::Size expected_size,
                cv::Mat* mask) {
  if (mask == nullptr) return Status::InvalidArgument("LoadMask: mask is null");
  LoadOptions o = options;
  o.min_side = 1;
  o.reduction = 1;
  LoadedImage loaded;
  SKINTRACK_RETURN_IF_ERROR(LoadImage(path, o, &loaded));
  if (!expected_size.empty() && loaded.image.size() != expected_size) {
    return Status::InvalidInput(path + ": mask is " + std::to_string(loaded.image.cols) + "x" +
                                std::to_string(loaded.image.rows) + " px, the image is " +
                                std::to_string(expected_size.width) + "x" +
                                std::to_string(expected_size.height) + " px");
  }
  cv::Mat any;
  cv::transform(loaded.image, any, cv::Matx13f(1.f, 1.f, 1.f));  // sum of channels
  *mask = any > 0.0f;
  return Status::Ok();
}

}  // namespace skintrack::io
