// Zhang-Suen thinning of a binary mask (private to the library: the hair mask and the line
// metrics).
#pragma once

#include <opencv2/core.hpp>

namespace skintrack::internal {

// Thins `mask` (CV_8UC1; 255 = foreground, 0 = background; other values are read as
// round(v / 255), as OpenCV's ximgproc::thinning reads them) to a 1-px wide, 8-connected
// skeleton by the two-subiteration algorithm of Zhang & Suen (CACM 27(3), 1984): a foreground
// pixel is removed when it has 2..6 foreground neighbours, exactly one 0->1 transition around
// it, and (first subiteration) not all of N,E,S nor all of E,S,W, (second) not all of N,E,W
// nor all of N,S,W are set; the subiterations alternate until neither removes a pixel. Pixels
// on the image border are never removed. The result equals cv::ximgproc::thinning(mask, out,
// THINNING_ZHANGSUEN) (tested), without linking ximgproc, whose dependencies (imgcodecs and
// its ~120 libraries) cost every process ~0.1 s to load. *thin: CV_8UC1, 0 / 255, mask's
// size and pixel frame. Work is proportional to the foreground area times the iterations.
void ThinZhangSuen(const cv::Mat& mask, cv::Mat* thin);

}  // namespace skintrack::internal
