// Centre-line skeletons of ridge candidates (private to the wrinkle and stretch-mark metrics).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace skintrack::metrics::internal {

// One traced line: an ordered path of skeleton pixels.
struct RidgeComponent {
  std::vector<cv::Point> path;  // image px, ordered
  double length_px = 0.0;       // steps of 1 (4-neighbours) or sqrt 2 (diagonal)
};

// A thinned skeleton network: a binary crop and its offset in the image.
struct RidgeSkeleton {
  cv::Mat thin;  // CV_8UC1, 255 = skeleton pixel; 1-px wide, 8-connected
  cv::Point origin;
};

// Skeletons: the 8-connected components of `centres` (CV_8UC1) whose maximum |strength|
// (CV_32FC1; empty = no such test) reaches `high` are thinned (Zhang-Suen, core/thinning.h),
// stripped of spurs (end branches shorter than spur_px), and kept when their skeleton is at least
// min_length_px long.
std::vector<RidgeSkeleton> TraceRidges(const cv::Mat& centres, const cv::Mat& strength, float high,
                                       double min_length_px, double spur_px);

// Branches of a skeleton: maximal paths whose inner pixels have two neighbours, ordered, in
// image px; a junction pixel (three or more neighbours) ends, and belongs to, every branch
// meeting there.
std::vector<std::vector<cv::Point>> SkeletonBranches(const RidgeSkeleton& skeleton);

// Splits a skeleton into lines: repeatedly the longest path of each connected part, removed
// from the skeleton, while it is at least min_length_px long.
std::vector<RidgeComponent> SkeletonPaths(const RidgeSkeleton& skeleton, double min_length_px);

// Skeleton length (steps of 1 or sqrt 2 between neighbours, corners not counted twice).
double SkeletonLength(const cv::Mat& thin);

}  // namespace skintrack::metrics::internal
