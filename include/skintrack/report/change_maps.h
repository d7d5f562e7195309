// Change maps: heat maps of a tile grid of change (compare/change_stats.h) over the before
// photo, for the eye. The numbers are in the JSON (ChangeGridsToJson).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "skintrack/compare/change_stats.h"
#include "skintrack/core/status.h"

namespace skintrack::report {

struct ChangeMapOptions {
  // Longest side of a map, px: a before photo whose long side is larger is scaled down to it
  // (area averaging), its tiles and region with it; a smaller one keeps its size. 0 = always
  // the before photo's size. Default 2048: the tiles (millimetres across) stay tens of px wide,
  // and a 4000x3000 photo's map has about a quarter of its pixels (its PNG a quarter the bytes).
  int max_side_px = 2048;
  // InvalidArgument unless max_side_px is 0 or in [256, 65536].
  Status Check() const;
};

// 8-bit BGR image of the before photo (CV_32FC3; scaled down when its long side exceeds
// options.max_side_px): every measured tile of `grid` tinted with a diverging scale (blue =
// decrease, white = no change, red = increase) saturating at +-range (metric units; range <= 0
// or NaN: the 98th percentile of |change| over the measured tiles), blended 55 % over the
// photo inside `region` (CV_8UC1 of the before photo's size, non-zero = in; empty =
// everywhere; a scaled map pixel is in when at least half its area is); unmeasured tiles and
// pixels outside the region show the photo dimmed. A legend in the top-left corner names the
// metric and the range. Tile (r, c) covers before px [c t, (c + 1) t) x [r t, (r + 1) t),
// t = grid.tile_px; in a scaled map those edges times the map's scale per axis, rounded to
// whole px and trimmed to the image. Tile borders are drawn on tiles of 4 map px or more; a
// grid with tile_px <= 0 draws the dimmed photo and the legend only. Invalid options or inputs
// (see WriteChangeMaps) give an empty image.
cv::Mat ChangeMapImage(const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeGrid& grid, double range = 0.0,
                       const ChangeMapOptions& options = ChangeMapOptions());

// File name of a grid's map: kChangeMapPrefix <family> .png, e.g. change_map_texture.png
// (families texture, pores, redness, scars).
inline constexpr const char* kChangeMapPrefix = "change_map_";
std::string ChangeMapFileName(const compare::ChangeGrid& grid);

// Writes every grid of `stats` into `dir` (which must exist) as ChangeMapFileName PNGs.
// Errors: CheckImage's code (`before` not the internal form), InvalidArgument (options;
// `region` not empty or CV_8UC1 of its size; a grid's change not CV_64FC1), kIoError naming
// the file.
Status WriteChangeMaps(const std::string& dir, const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeStats& stats,
                       const ChangeMapOptions& options = ChangeMapOptions());

}  // namespace skintrack::report
