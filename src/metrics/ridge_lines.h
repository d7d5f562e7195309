// Line search shared by the wrinkle and stretch-mark metrics (private): Hessian ridge map,
// oriented-template tracking above the texture floor, skeleton (Zhang-Suen thinning), and the
// measured cross-profile of every line. See docs/metrics.md.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <opencv2/core.hpp>
#include <vector>

#include "metrics/ridge_filter.h"
#include "metrics/ridge_profile.h"

namespace skintrack::metrics::internal {

// The offset of the log image the line families search, log(Y + kLineLogOffset): a bounded
// response in the darkest pixels (wrinkles, stretch marks).
inline constexpr double kLineLogOffset = 0.01;
// A line must stand out of the texture: |log contrast| >= this x its standard error (x
// sqrt(significance_length_px / length) for shorter lines: LineSignificanceNeed).
inline constexpr double kMinLineSignificance = 6.0;
// The significance (|log contrast| / standard error) a line of length_px needs: more for short
// lines (many more chance alignments of the texture are short than long).
inline double LineSignificanceNeed(double length_px, double significance_length_px) {
  return kMinLineSignificance * std::sqrt(std::max(1.0, significance_length_px / length_px));
}

struct LineSearchOptions {
  Polarity polarity = Polarity::kDark;
  std::vector<double> sigmas;      // Hessian scales, px of the searched image
  double min_level_sigma = 1.25;   // RidgeFilterOptions::min_level_sigma
  double min_contrast = 0.04;      // Weber contrast a line needs (> 0)
  double min_length_px = 20.0;     // skeleton length a line needs
  double fwhm_per_scale = 1.665;   // width guess per best scale (Gaussian valley: 2.355/sqrt 2)
  double side_start = 1.6;         // profile side windows start at this x the width
  double template_half_px = 8.0;   // oriented templates: half length >= this and >= 3 sigma
  double step_px = 2.0;            // tracking step
  double seed_block_px = 6.0;      // one seed candidate per block of this size
  double central_fraction = 0.15;  // trimmed off each end of a line for its reported profile
  double end_fraction = 0.5;       // tracks end where the contrast falls below this x theirs
  // Wide lines: each centre point is moved to the midpoint of the half-contrast crossings of
  // the median profile over +-refine_points neighbours (0: off), then the line re-smoothed.
  int refine_points = 0;
  // Fragments of one line (broken at a pore, a crossing or a faint stretch) whose ends face each
  // other within this gap are joined into one line.
  double link_gap_px = 0.0;
  // Lines shorter than this need a proportionally higher significance (x sqrt(this / length)).
  double significance_length_px = 0.0;
  // Family test on a measured profile (the central part for a whole line; the whole branch
  // with length_px = infinity when pruning branches).
  std::function<bool(const ProfileResult&, double length_px)> accept;
  // Marginal lines (FindLines' `marginal`): a path that fails `accept` or the significance
  // test but passes `accept_relaxed` and relaxed_significance x the significance it needed.
  std::function<bool(const ProfileResult&, double length_px)> accept_relaxed;
  double relaxed_significance = 1.0;
};

struct FoundLine {
  std::vector<cv::Point2d> centre;  // smoothed centre line, px of the searched image
  double length_px = 0.0;           // skeleton length (steps of 1 or sqrt 2)
  ProfileResult profile;            // of the central part (contrast: Weber, > 0 brighter)
};

// Finds the lines of `log_image` = log(Y + log_offset) (CV_32FC1) inside `roi` (CV_8UC1, empty =
// all). A skeleton path of at least 2 x min_length_px that fails `accept` or the significance
// test is judged again in halves (split at its middle pixel; recursively; a half shorter than
// min_length_px is dropped); passing pieces whose ends face each other are joined by the link
// step.
// `marginal` (optional, needs options.accept_relaxed): also the failed paths that pass the
// relaxed tests (a half of a failed path only when the whole was not marginal; not linked),
// with their centre lines. The lines returned are the same either way.
std::vector<FoundLine> FindLines(const cv::Mat& log_image, double log_offset, const cv::Mat& roi,
                                 const LineSearchOptions& options,
                                 std::vector<FoundLine>* marginal = nullptr);

}  // namespace skintrack::metrics::internal
