// Per-tile sums of each metric family for the change statistics (private to compare; the
// definitions are in change_stats.cpp's header comment and docs/statistics.md).
#pragma once

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "metrics/texture_bands.h"
#include "skintrack/core/status.h"
#include "skintrack/metrics/metrics.h"

namespace skintrack::compare::internal {

// Square tiles of tile_px px anchored at (0, 0) of the before image; cell = row * cols + col.
struct Grid {
  int tile_px = 0, cols = 0, rows = 0;
  double tile_mm = 0.0;
  int Cell(double x, double y) const {
    const int c = std::clamp(static_cast<int>(std::floor((x + 0.5) / tile_px)), 0, cols - 1);
    const int r = std::clamp(static_cast<int>(std::floor((y + 0.5) / tile_px)), 0, rows - 1);
    return r * cols + c;
  }
  int Cells() const { return rows * cols; }
};

// tile_px = max(8, round(tile_mm * px_per_mm)).
Grid MakeGrid(cv::Size size, double tile_mm, double px_per_mm);

// Region pixels and pixel count of each cell.
void CellCounts(const cv::Mat& region, const Grid& g, std::vector<double>* inside,
                std::vector<double>* total);

// Per-cell accumulators of one family in one session.
struct CellSums {
  std::vector<std::vector<double>> v;  // [quantity][cell]
  CellSums(size_t quantities, int cells)
      : v(quantities, std::vector<double>(static_cast<size_t>(cells), 0.0)) {}
};

// ---- texture ----
struct TextureSession {
  CellSums sums;                // [band] sum of B^2 / gain^2; [bands] pixel count
  double noise_variance = 0.0;  // summed over bands (ln units^2)
  std::vector<double> band_noise;
  TextureSession(size_t bands, int cells) : sums(bands + 1, cells), band_noise(bands, 0.0) {}
};

// The texture sums the metrics gathered (MetricsTileSums), when they are of this grid, these
// bands and `measured_px` pixels (the same measured mask); false otherwise.
bool TextureFromMetrics(const metrics::MetricsTileSums& t,
                        const std::vector<metrics::internal::TextureBand>& bands, const Grid& g,
                        double measured_px, TextureSession* out);

// ---- colour: [0] sum EI, [1] sum a*, [2] sum L*, [3] pixel count ----
// The colour sums the metrics gathered, when they are of this grid and `region_px` px.
bool ColourFromMetrics(const metrics::MetricsTileSums& t, const Grid& g, double region_px,
                       CellSums* out);

// For sessions whose metrics did not gather the sums: the metrics' own texture pass
// (MeasureTexture) and colour pass (MeasureColour) over `roi` of `image` (internal form), for
// the grids `request` asks for; `out` receives those sums of MetricsTileSums (none when the
// measured region is empty). `linear_y` (optional): the luminance the texture pass reads
// instead of the image's (the after photo's Lanczos warp, SessionMetrics::texture_after).
Status MeasureTileSums(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
                       const metrics::MetricsOptions& o, const metrics::TileRequest& request,
                       metrics::MetricsTileSums* out, const cv::Mat& linear_y = cv::Mat());

// ---- detections ----
CellSums PoreSums(const std::vector<metrics::Pore>& pores, const Grid& g);  // count, area, d
CellSums ScarSums(const std::vector<metrics::Scar>& scars, const cv::Mat& region,
                  const Grid& g);                                           // area, contrast x area
CellSums LineSums(const std::vector<metrics::Line>& lines, const Grid& g);  // length, w x l, d x l

}  // namespace skintrack::compare::internal
