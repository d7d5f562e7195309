// Private helpers of the pore and scar metrics: block means and a smooth local background of
// linear luminance, robust to the dark features measured against it.
#pragma once

#include <opencv2/core.hpp>

namespace skintrack::metrics::internal {

// A smooth field stored on a coarse grid of square cells of `cell` px; cell (i, j) is centred
// on image pixel ((j + 0.5) cell - 0.5, (i + 0.5) cell - 0.5). Values between cell centres are
// bilinear, constant beyond the outer centres.
struct CoarseField {
  cv::Mat1f grid;
  int cell = 1;
  // Values over the image rectangle `r` into *out (resized to r.size()).
  void Fill(const cv::Rect& r, cv::Mat1f* out) const;
};

// Means of `src` (CV_32FC1) over blocks of factor x factor px (partial blocks at the right and
// bottom edges average what they hold); block (i, j) is centred on image pixel
// ((j + 0.5) factor - 0.5, (i + 0.5) factor - 0.5). With `mask` (CV_8UC1, may be empty), also
// the fraction of each block's pixels where mask != 0 into *fraction, and into *masked_mean
// the block means of `src` with the pixels outside the mask read as 0 (the same float sums as
// BlockMean of such a copy: one pass, no copy).
cv::Mat1f BlockMean(const cv::Mat& src, int factor, const cv::Mat& mask = cv::Mat(),
                    cv::Mat1f* fraction = nullptr, cv::Mat1f* masked_mean = nullptr);

// Local background of linear luminance `y` (CV_32FC1): a Gaussian of `sigma_px` over the
// means of cells of sigma / 4 px of the pixels where `mask` != 0 (normalised convolution, so
// pixels outside the mask do not pull it; cells far from the mask fall back to all pixels),
// computed twice: the second pass raises cell means darker than `clip` x the first background
// to that bound, so that dark features (pores, scars) smaller than sigma barely lower it.
CoarseField LocalBackground(const cv::Mat& y, const cv::Mat& mask, double sigma_px, double clip);

}  // namespace skintrack::metrics::internal
