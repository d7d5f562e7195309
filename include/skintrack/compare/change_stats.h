// Change statistics of a compared pair: per-metric 95 % intervals from a paired tile bootstrap,
// the minimal detectable change (MDC) from a repeatability model, a `significant` verdict, and
// tile grids of the change (change maps). Defined in docs/statistics.md.
//
// Frame: the BEFORE image (px, pixel centres at integers); the after session is the aligned
// after photo (SessionMetrics::aligned_after) measured over the same common region. Tiles are
// squares of tile_px = max(8, round(tile_mm * px_per_mm)) px on a grid anchored at (0, 0) of the
// before image; tile (r, c) covers x in [c tile_px, (c+1) tile_px), y in [r tile_px, ...)
// (clipped at the image's right and bottom edges). Only tiles holding region pixels (or
// detections) take part.
//
// Per metric the value over any set of tiles is a ratio of per-tile sums (see
// docs/statistics.md for each metric's numerator and denominator); over all tiles it
// reproduces the metric of the metrics module (exactly for pores, scars, wrinkles and the
// colour means; texture within ~1 %, as the per-band mean is not subtracted and the noise
// floor is subtracted from the band sum once instead of per band).
#pragma once

#include <map>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "skintrack/compare/compare.h"
#include "skintrack/core/status.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/stats/bootstrap.h"
#include "skintrack/stats/repeatability.h"

namespace skintrack::compare {

struct ChangeStatsOptions {
  // Tile side per metric family, mm (converted with the scale, or the preset's
  // assumed_px_per_mm when the scale is unknown). A tile must hold enough of the family's
  // structure to have a stable value, and the region must hold enough tiles (>= 5, see
  // bootstrap.min_tiles) for an interval.
  double texture_tile_mm = 3.0;   // texture.*: ~15 periods of the coarsest band. Default 3 mm.
  double pores_tile_mm = 5.0;     // pores.*: ~20 pores at 80 /cm^2. Default 5 mm.
  double redness_tile_mm = 3.0;   // redness.* and tone.*: Default 3 mm.
  double scars_tile_mm = 10.0;    // scars.*: a scar is 1-6 mm across. Default 10 mm.
  double wrinkles_tile_mm = 5.0;  // wrinkles.*: Default 5 mm.
  // Bootstrap settings. Default 1000 resamples, seed 1, 95 %, at least 5 tiles.
  stats::BootstrapOptions bootstrap;
  // Grid cells whose fraction of region pixels is below this are NaN in the change maps
  // (border slivers). Default 0.5, in [0, 1].
  double map_min_coverage = 0.5;
  Status Check() const;
};

// One metric's per-tile sums (before and after) and how they combine (stats/bootstrap.h).
struct MetricTiles {
  std::string key;   // "family.name", as the compare JSON's metrics.change keys
  std::string unit;  // e.g. "per cm^2", "ln units", "EI units"; "" for unit-free
  stats::RatioMetric metric;
  double tile_mm = 0.0;  // tile side (mm; at the assumed scale when unknown)
  int tile_px = 0;       // tile side, before px
  cv::Size grid;         // columns x rows of the tile grid over the before image
  std::vector<stats::TileSums> tiles;
  std::vector<cv::Point> cells;  // grid cell (x = column, y = row) of each tile
  std::vector<double> coverage;  // fraction of each tile's pixels inside the region
};

// The per-tile sums to ask the metrics for (CompareMetrics' `tiles`) so that
// ComputeTileSums / ComputeChangeStats reuse them instead of filtering both photos again:
// the texture and colour grids of these options at this scale. The reuse is checked (grid,
// bands and pixel counts must match); sums that do not match are computed afresh.
metrics::TileRequest ChangeStatsTiles(cv::Size before_size, std::optional<double> mm_per_px,
                                      const metrics::MetricsOptions& metric_options,
                                      const ChangeStatsOptions& options);

// Per-tile sums of every metric that admits them (docs/statistics.md lists them). Metrics
// needing the physical scale (per cm^2, mm) are omitted when mm_per_px is nullopt.
// `before`: internal-form before image; `session`: CompareMetrics' output for this pair
// (region, aligned_after, detections in the before frame); mm_per_px: before-image scale or
// nullopt; metric_options: the options the session was measured with.
Status ComputeTileSums(const cv::Mat& before, const SessionMetrics& session,
                       std::optional<double> mm_per_px,
                       const metrics::MetricsOptions& metric_options,
                       const ChangeStatsOptions& options, std::vector<MetricTiles>* out);

struct MetricChangeStats {
  // Over all tiles (metric units): before, after, delta = after - before.
  double before = 0.0, after = 0.0, delta = 0.0;
  bool ci_valid = false;            // false with too few tiles (ci95 then null in JSON)
  double ci_lo = 0.0, ci_hi = 0.0;  // 95 % paired tile bootstrap interval of delta
  std::optional<double> mdc;        // MDC95 at this before level (metric units); nullopt when
                                    // the repeatability model has no entry for the metric
  // CI valid and excluding 0, AND mdc known AND |delta| > mdc.
  bool significant = false;
  int tiles = 0;
  double tile_mm = 0.0;
};

// Tile grid of a metric's change for maps: change(r, c) = metric(after) - metric(before)
// within grid cell (r, c), metric units; NaN where the cell's region coverage is below
// map_min_coverage (or, for scars.mean_contrast, where neither session has a scar).
struct ChangeGrid {
  std::string key;   // "texture.roughness", "pores.density_per_cm2",
                     // "redness.erythema_index_mean", "scars.mean_contrast"
  std::string unit;  // as MetricTiles::unit
  double tile_mm = 0.0;
  int tile_px = 0;
  cv::Mat change;  // CV_64FC1, grid rows x columns
};

struct ChangeStats {
  std::map<std::string, MetricChangeStats> metrics;  // keyed "family.name"
  std::vector<ChangeGrid> grids;  // texture, pore density, redness, scar contrast
  double px_per_mm = 0.0;         // scale used for tiles (assumed when !scale_known)
  bool scale_known = false;
};

// The single entry point: tile sums -> bootstrap -> MDC from `model` -> significant; and the
// change grids. Deterministic for options.bootstrap.seed. Errors: invalid options, images or
// region of mismatched size/type.
Status ComputeChangeStats(const cv::Mat& before, const SessionMetrics& session,
                          std::optional<double> mm_per_px,
                          const metrics::MetricsOptions& metric_options,
                          const stats::RepeatabilityModel& model, const ChangeStatsOptions& options,
                          ChangeStats* out);

}  // namespace skintrack::compare
