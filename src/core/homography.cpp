#include "skintrack/core/homography.h"

#include <cmath>

namespace skintrack {

cv::Point2d ApplyHomography(const cv::Matx33d& h, const cv::Point2d& p) {
  const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
  return {q[0] / q[2], q[1] / q[2]};
}

double LocalScale(const cv::Matx33d& h, const cv::Point2d& p) {
  // J of (x, y) -> (u / w, v / w): (A - q c^T) / w, A the top-left 2x2 block, c the first two
  // entries of the third row, q the mapped point.
  const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
  const double w = q[2], x = q[0] / w, y = q[1] / w;
  const double j00 = (h(0, 0) - x * h(2, 0)) / w, j01 = (h(0, 1) - x * h(2, 1)) / w;
  const double j10 = (h(1, 0) - y * h(2, 0)) / w, j11 = (h(1, 1) - y * h(2, 1)) / w;
  return std::sqrt(std::abs(j00 * j11 - j01 * j10));
}

}  // namespace skintrack
