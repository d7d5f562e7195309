#include "skintrack/core/image.h"

#include <string>

namespace skintrack {

Status CheckImage(const cv::Mat& image, int type, int min_side, const std::string& what) {
  if (image.empty()) return Status::InvalidInput(what + ": image is empty");
  if (image.type() != type) {
    return Status::InvalidArgument(what + ": image type " + cv::typeToString(image.type()) +
                                   ", expected " + cv::typeToString(type));
  }
  if (image.depth() == CV_32F || image.depth() == CV_64F) {
    cv::Point bad;
    if (!cv::checkRange(image, true, &bad, -1e6, 1e6)) {
      return Status::InvalidInput(what + ": pixel (" + std::to_string(bad.x) + ", " +
                                  std::to_string(bad.y) + ") is not a finite value");
    }
  }
  if (image.cols < min_side || image.rows < min_side) {
    return Status::InvalidInput(what + ": image is " + std::to_string(image.cols) + "x" +
                                std::to_string(image.rows) + " px, smaller than " +
                                std::to_string(min_side) + " px on a side");
  }
  return Status::Ok();
}

cv::Mat ToBgr8(const cv::Mat& image) {
  cv::Mat out;
  image.convertTo(out, CV_8U, 255.0);  // convertTo rounds and saturates
  return out;
}

cv::Mat FromBgr8(const cv::Mat& bgr8) {
  cv::Mat out;
  bgr8.convertTo(out, CV_32F, 1.0 / 255.0);
  return out;
}

}  // namespace skintrack
