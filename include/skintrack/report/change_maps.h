// Change maps: heat maps of a tile grid of change (compare/change_stats.h) over the before
// photo, for the eye. The numbers are in the JSON (ChangeGridsToJson).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "skintrack/compare/change_stats.h"
#include "skintrack/core/status.h"

namespace skintrack::report {

struct ChangeMapOptions {
  // Longest side of a map, px: a larger before photo is scaled down to it (area averaging),
  // its tiles with it; a smaller one keeps its size. 0 = the before photo's size. Default 2048:
  // the tiles (millimetres across) stay tens of px wide on a 12-Mpx photo, and a map is about
  // a sixth of the photo's pixels (its PNG is written in about a sixth of the time).
  int max_side_px = 2048;
  // InvalidArgument unless max_side_px is 0 or in [64, 65536].
  Status Check() const;
};

// 8-bit BGR image of the before photo (scaled to options.max_side_px): every measured tile of
// `grid` tinted with a diverging scale (blue = decrease, white = no change, red = increase)
// saturating at +-range (metric units; range <= 0: the 98th percentile of |change| over the
// measured tiles), blended 55 % over the photo inside `region` (CV_8UC1, before frame; empty =
// everywhere); unmeasured tiles and pixels outside the region show the photo dimmed. A legend
// in the top-left corner names the metric and the range. Tile (r, c) covers before px
// [c, c + 1) x [r, r + 1) x grid.tile_px, i.e. those times the scale in the map.
// An invalid `options` gives an empty image.
cv::Mat ChangeMapImage(const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeGrid& grid, double range = 0.0,
                       const ChangeMapOptions& options = ChangeMapOptions());

// File name of a grid's map: change_map_<family>.png (texture, pores, redness, scars).
std::string ChangeMapFileName(const compare::ChangeGrid& grid);

// Writes every grid of `stats` into `dir` (which must exist) as ChangeMapFileName PNGs.
// Errors: InvalidArgument (options), kIoError naming the file.
Status WriteChangeMaps(const std::string& dir, const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeStats& stats,
                       const ChangeMapOptions& options = ChangeMapOptions());

}  // namespace skintrack::report
