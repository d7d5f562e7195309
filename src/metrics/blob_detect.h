// Private helpers of the pore and scar metrics: a smooth local background of linear
// luminance and a scale-space detector of dark blobs on Weber darkness.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace skintrack::metrics::internal {

// A smooth field stored on a coarse grid of square cells of `cell` px; cell (i, j) is centred
// on image pixel ((j + 0.5) cell - 0.5, (i + 0.5) cell - 0.5). Values between cell centres are
// bilinear, constant beyond the outer centres.
struct CoarseField {
  cv::Mat grid;  // CV_32FC1
  int cell = 1;
  // Values at image row y, columns [x0, x1), into out[0 .. x1 - x0).
  void Row(int y, int x0, int x1, float* out) const;
};

// Means of `src` (CV_32FC1) over blocks of factor x factor px (partial blocks at the right and
// bottom edges average what they hold); block (i, j) is centred on image pixel
// ((j + 0.5) factor - 0.5, (i + 0.5) factor - 0.5). With `mask` (CV_8UC1, may be empty), also
// the fraction of each block's pixels where mask != 0 into *fraction.
cv::Mat1f BlockMean(const cv::Mat& src, int factor, const cv::Mat& mask = cv::Mat(),
                    cv::Mat1f* fraction = nullptr);

// Local background of linear luminance `y` (CV_32FC1): a Gaussian of `sigma_px` over the
// cell means of the pixels where `mask` != 0 (normalised convolution, so pixels outside the
// mask do not pull it; cells far from the mask fall back to all pixels), computed twice: the
// second pass replaces cell means darker than `clip` x the first background by that bound,
// so that dark features (pores, scars) smaller than sigma do not lower it.
CoarseField LocalBackground(const cv::Mat& y, const cv::Mat& mask, int cell, double sigma_px,
                            double clip);

// A dark-blob candidate: a local maximum over position and scale of the scale-normalised
// difference of Gaussians of the Weber darkness D = 1 - Y / B.
struct BlobCandidate {
  double x = 0, y = 0;    // centre, px (sub-pixel)
  double radius = 0;      // sqrt(2) x the effective Gaussian sigma of the maximum, px
  double response = 0;    // (G_s - G_ks) * D / (k - 1); a flat disc of darkness c gives ~0.65 c
  int level = 0;          // scale level (index into the per-level spreads)
};

struct BlobScaleSpace {
  double radius_min_px = 1.0;  // blob radii searched (maxima strictly inside this range)
  double radius_max_px = 6.0;
  double min_response = 0.02;
  int scales_per_octave = 3;
};

// Finds dark blobs of `y` (CV_32FC1 linear luminance) against `background`: 3D local maxima
// of the normalised DoG of D = 1 - y / B with response >= min_response, radius in the range,
// centre on a pixel where `mask` != 0. Octave pyramid (every octave halves the resolution),
// processed in parallel tiles; the result does not depend on the tiling. Sorted by response,
// largest first.
std::vector<BlobCandidate> DetectDarkBlobs(const cv::Mat& y, const CoarseField& background,
                                           const cv::Mat& mask, const BlobScaleSpace& options,
                                           std::vector<double>* level_spread = nullptr);

}  // namespace skintrack::metrics::internal
