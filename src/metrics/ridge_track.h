// Line tracking with oriented templates (private to the wrinkle and stretch-mark metrics).
//
// Isotropic skin texture (micro-relief, pores) gives Hessian responses as large as a shallow
// line, but only a line adds up along a straight template. Lines are therefore traced: from
// seeds with a strong oriented response, step along the line, re-centre across it and follow
// while the mean oriented response of the last steps stays above a lower threshold (so a pore
// or a crossing does not stop a track); the ends are placed where the response falls to a
// fraction of the track's own.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "metrics/ridge_filter.h"

namespace skintrack::metrics::internal {

// Oriented line contrast by table look-up: at scale s (a RidgeMap scale) and normal angle bin a
// (theta = a pi / 256), the second difference across the line at spacing 2.5 s,
// (v(+d) + v(-d)) / 2 - v(0), on the image smoothed at s, averaged over points every level px
// along the line within +-max(half_length, half_length_per_sigma * s) input px (elongated, so
// that blobs respond much less than lines). Points whose samples touch `exclude` are
// skipped (0 when fewer than half remain). Log-contrast units, > 0 for a dark valley; a Gaussian
// valley of log depth D gives ~kLineContrastGain * D at its best scale.
constexpr double kLineContrastGain = 0.5;

class LineTemplates {
 public:
  LineTemplates(const RidgeMap& map, const cv::Mat& exclude, double half_length,
                double half_length_per_sigma);
  float Contrast(int scale, int angle, int x, int y) const;
  // Same without the interpolation between level pixels on coarse levels (4x cheaper there),
  // over every stride-th template point.
  float ContrastNearest(int scale, int angle, int x, int y, int stride) const;

 private:
  // At input px (x, y) (exclusion) and level px (xl, yl) (samples).
  float At(int scale, int angle, int x, int y, int xl, int yl, int stride = 1) const;
  struct Tap {
    int dx[3], dy[3];      // level px: centre, +d, -d
    int ex[3], ey[3];      // input px (exclusion mask)
    int goff[3], eoff[3];  // the same as linear offsets (smoothed image, exclusion mask)
  };
  const RidgeMap& map_;
  cv::Mat exclude_;
  std::vector<std::vector<Tap>> taps_;  // [scale * 256 + angle]
  std::vector<int> reach_;              // [scale]: max |offset|, input px
  std::vector<int> level_reach_;        // [scale]: max |dx|, |dy|, level px
};

struct TrackOptions {
  std::vector<float> seed;     // per scale: oriented contrast to start a track
  std::vector<float> grow;     // per scale: mean contrast of the last steps to continue
  double step_px = 2.0;        // step along the line
  int window_steps = 8;        // steps averaged for `grow` (the window starts filled at `grow`)
  double max_turn_deg = 3.0;   // direction change per step
  double end_fraction = 0.5;   // ends trimmed to this x the upper-quartile contrast of the track
  double min_length_px = 0.0;  // shorter tracks are dropped
  double seed_block_px = 6.0;  // one seed candidate (max |strength|) per block
  float seed_strength = 0.0f;  // and only when |strength| >= this
  int sign = 1;                // +1 dark valleys, -1 bright ridges
};

// Robust noise level (1.4826 MAD) of the oriented contrast at one scale, over a grid of about
// 20000 points of `roi` (empty = all) x 4 orientations: the texture floor for thresholds.
float TemplateNoise(const LineTemplates& templates, const cv::Mat& roi, cv::Size size, int scale);

// Traces lines over `roi` (CV_8UC1, empty = all). Returns a CV_8UC1 mask (255) of the traced
// centre lines, 8-connected; records the track's direction and scale on them
// (map->SetTraced, so map->Normal / ScaleIndex describe the traced line).
cv::Mat TrackLines(const LineTemplates& templates, const cv::Mat& roi, const TrackOptions& options,
                   RidgeMap* map);

}  // namespace skintrack::metrics::internal
