// Plane homographies (3x3, mapping (x, y, 1) to homogeneous coordinates): applying one to a
// point and its local scale. Frames follow the project's `x_from_y` naming; pixel centres at
// integer coordinates.
#pragma once

#include <opencv2/core.hpp>

namespace skintrack {

// h (x, y, 1), divided by its third component.
cv::Point2d ApplyHomography(const cv::Matx33d& h, const cv::Point2d& p);

// Local isotropic scale of the mapping p -> ApplyHomography(h, p) at p: sqrt(|det J|), output
// units per input unit (e.g. image px per mm for an image_from_marker_mm homography).
double LocalScale(const cv::Matx33d& h, const cv::Point2d& p);

}  // namespace skintrack
