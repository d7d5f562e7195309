// Change maps: heat maps of a tile grid of change (compare/change_stats.h) over the before
// photo, for the eye. The numbers are in the JSON (ChangeGridsToJson).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "skintrack/compare/change_stats.h"
#include "skintrack/core/status.h"

namespace skintrack::report {

// 8-bit BGR image of the before photo's size: every measured tile of `grid` tinted with a
// diverging scale (blue = decrease, white = no change, red = increase) saturating at +-range
// (metric units; range <= 0: the 98th percentile of |change| over the measured tiles), blended
// 55 % over the photo inside `region` (CV_8UC1, before frame; empty = everywhere); unmeasured
// tiles and pixels outside the region show the photo dimmed. A legend in the top-left corner
// names the metric and the range.
cv::Mat ChangeMapImage(const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeGrid& grid, double range = 0.0);

// File name of a grid's map: change_map_<family>.png (texture, pores, redness, scars).
std::string ChangeMapFileName(const compare::ChangeGrid& grid);

// Writes every grid of `stats` into `dir` (which must exist) as ChangeMapFileName PNGs.
// Errors (kIoError) name the file.
Status WriteChangeMaps(const std::string& dir, const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeStats& stats);

}  // namespace skintrack::report
