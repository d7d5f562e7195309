// Lanczos-4 resampling of a 3-channel float image through a map (private to align).
#pragma once

#include <opencv2/core.hpp>

namespace skintrack::align::internal {

// dst(y, x) = sum over the n x n source pixels around map(y, x) = (sx, sy) of src times
// k(sx - i) k(sy - j), k the kernel's 1-D weights of the taps at floor(s) - n / 2 + 1 ..
// floor(s) + n / 2, looked up for the fraction of s rounded to 1 / fractions px: n = 8,
// sinc(t) sinc(t / 4) for |t| < 4, the 8 weights normalised to sum 1 (OpenCV's
// INTER_LANCZOS4), fractions 256 (cv::remap: 32). (A bicubic version of the same code was no
// faster than cv::remap's INTER_CUBIC and is not kept.)
// Source pixels outside `src` count as 0 (cv::remap with BORDER_CONSTANT 0); a non-finite or
// huge (> 1e6 px) coordinate reads 0. src: CV_32FC3 or CV_32FC1; map: CV_32FC2 (source x, y in
// px, pixel centres at integers); dst: src's type, of the map's size. Rows in parallel; the
// interior (all taps inside) in 4-lane SIMD (OpenCV's remap of this kernel is a scalar loop);
// deterministic.
void RemapLanczos4(const cv::Mat& src, const cv::Mat& map, cv::Mat* dst);

}  // namespace skintrack::align::internal
