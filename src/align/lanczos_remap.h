// Lanczos-4 resampling of a 3-channel float image through a map (private to align).
#pragma once

#include <opencv2/core.hpp>

namespace skintrack::align::internal {

// dst(y, x) = sum over the 8 x 8 source pixels around map(y, x) = (sx, sy) of src times
// L(sx - i) L(sy - j), L the Lanczos-4 kernel sinc(t) sinc(t / 4) (|t| < 4), the 8 weights of
// each axis normalised to sum 1, the fraction of sx, sy rounded to 1/256 px. Source pixels
// outside `src` count as 0 (as cv::remap with INTER_LANCZOS4 and BORDER_CONSTANT 0, which
// rounds the fraction to 1/32 px). src: CV_32FC3; map: CV_32FC2 (source x, y in px, pixel
// centres at integers); dst: CV_32FC3 of the map's size. Rows in parallel; the interior (all
// 64 taps inside) in SIMD; deterministic.
void RemapLanczos4(const cv::Mat& src, const cv::Mat& map, cv::Mat* dst);

}  // namespace skintrack::align::internal
