// Private helpers of the pore and scar metrics: sizing of one dark blob by its component at
// half darkness against the local surround, in linear luminance.
#pragma once

#include <opencv2/core.hpp>

#include "metrics/blob_detect.h"

namespace skintrack::metrics::internal {

struct BlobFit {
  bool ok = false;
  double x = 0, y = 0;  // darkness-weighted centroid of the component, px
  double area_px = 0;   // sub-pixel area of the half-darkness component, px^2
  double darkness = 0;  // 1 - Y_centre / Y_surround (Weber, > 0 = darker)
  // The darkness of the darkest pixel alone (before the small-disc fit refines `darkness`):
  // the early test is centre_darkness >= min_darkness / 2.
  double centre_darkness = 0;
  double elongation = 1;  // sqrt(lambda_max / lambda_min) of the component's 2nd moments
  // Whether the component stays within the unscaled isolation limit 2 r + 1.5 px (always true
  // for a fit with ok and limit_scale 1).
  bool isolated = false;
};

// Measures the dark blob seeded by candidate `c` on linear luminance `y` (CV_32FC1):
//  * surround level Y_s = median of Y over the annulus [1.5 r + 1.5, 2.5 r + 3] px around the
//    centre (r = c.radius, at least 1 px); centre level Y_c = the darkest pixel within 1 px;
//  * darkness = 1 - Y_c / Y_s;
//  * component: the 8-connected pixels with Y <= (Y_c + Y_s) / 2 grown from that pixel, within
//    limit_scale x (2 r + 1.5) px of the centre. Not ok when it reaches that limit (the blob is
//    not isolated: a line, an edge or a texture valley) or when darkness < min_darkness - 0.005;
//  * area: each component pixel and each pixel of its 1-px outer ring counts
//    clamp(0.5 + (Y_t - Y) / (Y_s - Y_c), 0, 1), Y_t the threshold: the pixel coverage of a
//    linear edge, so that a disc of radius R drawn with a 1-px edge gives pi R^2 without the
//    lattice quantisation of a pixel count;
//  * blobs smaller than radius 2 px: area and darkness from a least-squares fit of a disc
//    with a 1-px edge (c clamp(R + 0.5 - d, 0, 1)) to the pixels within 3.5 px, because the
//    darkest pixel of such a blob rarely lies on its flat bottom.
// `limit_scale` (>= 1) widens the isolation limit (for the marginal pores of compare); `isolated`
// says whether the component kept within the unscaled one. `level` (in (0, 0.5]) grows the
// component over Y <= Y_c + level (Y_s - Y_c) instead of half darkness (for the guided pores of
// compare, GuidePores: a tighter region that can stay isolated where the half-darkness one
// reaches a neighbouring dark structure); the area, centroid and axis ratio are still those at
// half darkness, over that component and its 1-px ring. A blob under radius 2 px is still sized
// by the disc fit over every pixel within 3.5 px, so a dark structure the cut left out beside
// it enters its size and darkness (a 1.5-px disc of darkness 0.40 beside a bar of 0.25 reads
// 3.6 px and 0.36). 0.5 is the measurement above exactly.
BlobFit MeasureDarkBlob(const cv::Mat& y, const BlobCandidate& c, double min_darkness,
                        double limit_scale = 1.0, float level = 0.5f);

// Whether a fit made with a lower min_darkness passes the darkness gates of `min_darkness`
// too: MeasureDarkBlob(y, c, min_darkness).ok == (MeasureDarkBlob(y, c, m).ok &&
// PassesDarkness(fit, min_darkness)) for any m <= min_darkness.
bool PassesDarkness(const BlobFit& fit, double min_darkness);

}  // namespace skintrack::metrics::internal
