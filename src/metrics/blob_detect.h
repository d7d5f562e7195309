// Private helper of the pore and scar metrics: a scale-space detector of dark blobs on Weber
// darkness.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "metrics/blob_background.h"

namespace skintrack::metrics::internal {

// A dark-blob candidate: a local maximum over position and scale of the scale-normalised
// difference of Gaussians of the Weber darkness D = 1 - Y / B.
struct BlobCandidate {
  double x = 0, y = 0;  // centre, px (sub-pixel)
  double radius = 0;    // sqrt(2) x the effective Gaussian sigma of the maximum, px
  double response = 0;  // (G_s - G_ks) * D / (k - 1); a flat disc of darkness c gives ~0.65 c
  double spread = 0;    // robust spread of the response at that scale around the candidate
  // Whether it passes the full thresholds (min_response, significance); false only for the
  // extra candidates that BlobScaleSpace::relaxed < 1 lets through.
  bool full = true;
};

struct BlobScaleSpace {
  double radius_min_px = 1.0;  // blob radii searched (maxima strictly inside this range)
  double radius_max_px = 6.0;
  double min_response = 0.02;  // absolute floor of the response
  // A maximum must also exceed `significance` x the spread of the response at its scale:
  // 1.4826 x the median |response| over the ROI pixels of its tile (256 x 256 px of its
  // octave), i.e. stand out of the skin's own texture at that scale.
  double significance = 4.5;
  // Candidates down to `relaxed` x both thresholds are returned too, flagged full = false
  // (the full ones are exactly those of relaxed = 1). In (0, 1]; 1 = none.
  double relaxed = 1.0;
  int scales_per_octave = 3;
};

// Finds dark blobs of `y` (CV_32FC1 linear luminance) against `background`: 3D local maxima
// (x, y, scale) of the normalised DoG of D = 1 - y / B above both thresholds, with the radius
// in range and the centre on a pixel where `mask` != 0 (all pixels when `mask` is empty).
// Octave pyramid (each octave halves the resolution), processed in parallel tiles; the
// result does not depend on the number of threads. Sorted by response, largest first; the
// same blob may appear twice (adjacent octaves overlap by one scale).
std::vector<BlobCandidate> DetectDarkBlobs(const cv::Mat& y, const CoarseField& background,
                                           const cv::Mat& mask, const BlobScaleSpace& options);

}  // namespace skintrack::metrics::internal
