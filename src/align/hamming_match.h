// Brute-force two-nearest-neighbour matching of binary descriptors (private to align).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace skintrack::align::internal {

// For every row of `query` (CV_8UC1, one binary descriptor per row, e.g. ORB's 32 bytes), the
// two rows of `train` (same type and width) nearest in Hamming distance, nearest first; ties
// go to the lower train row. The same matches as cv::BFMatcher(cv::NORM_HAMMING).knnMatch(
// query, train, matches, 2): queryIdx, trainIdx, imgIdx 0 and the distance in bits (as float);
// a query gets fewer than two only when `train` has fewer rows. It avoids OpenCV's per-pair
// function call and trace bookkeeping (9 M pairs at 3000 keypoints a photo: ~1.2 G
// instructions there, ~0.15 G here) and runs its query rows on every core.
std::vector<std::vector<cv::DMatch>> HammingKnn2(const cv::Mat& query, const cv::Mat& train);

}  // namespace skintrack::align::internal
