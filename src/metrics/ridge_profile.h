// Cross-profile of a traced line: contrast against the adjacent skin and width, measured directly
// on log luminance (private to the wrinkle and stretch-mark metrics).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "metrics/ridge_filter.h"

namespace skintrack::metrics::internal {

struct ProfileSample {
  cv::Point2d centre;  // a centre-line point, px of the profiled image
  cv::Point2d normal;  // unit vector across the line
};

struct ProfileResult {
  bool ok = false;        // a contrast and both half-level crossings were found
  double contrast = 0.0;  // Weber contrast (Y_centre - Y_sides) / Y_sides; > 0 brighter
  double width_px = 0.0;  // full width at half contrast (in Y), px
  double shift_px = 0.0;  // midpoint of the half-level crossings, px along the normal
  // Antisymmetric / symmetric RMS of the profile within the line: ~0 for a line, ~1 or more
  // for an edge (a step between two levels looks like half a line to the Hessian).
  double asymmetry = 0.0;
  // Log ratio of the two flanks (side windows), right over left (along the normal): the median
  // over the samples of the difference of their side-window means, natural-log units. ~0 for a
  // band in uniform skin (a smooth side light adds a little); about the step's size for a band
  // found beside an edge between two levels (a lesion's border, a vignetted corner).
  double flank_step = 0.0;
  // Robust spread (1.4826 MAD) over the samples of the detrended log value at the centre: the
  // texture noise of one sample, for significance tests.
  double spread = 0.0;
  // Standard error of the centre value: spread / sqrt(effective number of samples), the samples
  // counted as independent as their autocorrelation along the line allows.
  double std_error = 0.0;
};

// Centre line of an ordered pixel path: each pixel moved across the line to the sub-pixel
// strength maximum (CentreOffset), then positions averaged over +-smooth neighbours along the
// path (noise in the offsets averages out, the slow bends of a line stay); normals from the
// smoothed tangent.
std::vector<ProfileSample> CentreLine(const RidgeMap& map, const std::vector<cv::Point>& path,
                                      int smooth);

// Samples log(Y + offset) (`log_image`, CV_32FC1) along the normal of every sample at steps of
// 0.5 px, removes each profile's linear trend through its two side windows (so a smooth light
// gradient cancels), and takes the median profile over the samples (robust to pores and
// crossings). Side windows start at side_start x the width (first guess fwhm_guess_px, then the
// measured width) and are max(width, 2 px) long. The contrast is read at the extremum within
// +-0.5 px of the centre and converted to Weber contrast in linear Y. Samples whose centre part
// (+-0.75 x the width guess) touches `exclude` (CV_8UC1, e.g. pores and spots; may be empty)
// are left out unless fewer than a quarter would remain. `passes`: side windows placed from the
// guess, then from the previous pass's measured width.
ProfileResult MeasureProfile(const cv::Mat& log_image, double offset,
                             const std::vector<ProfileSample>& samples, double fwhm_guess_px,
                             double side_start = 1.6, const cv::Mat& exclude = cv::Mat(),
                             int passes = 3);

}  // namespace skintrack::metrics::internal
