// Paired tile bootstrap: a confidence interval for the change of one metric between two
// sessions measured over the same tiles of the same skin.
//
// The metric must be a function of a ratio of sums over tiles (pore density = sum of counts /
// sum of areas, roughness = sqrt(sum of squares / sum of pixels - noise), mean EI = sum of EI /
// sum of pixels, ...). A resample draws as many tiles as there are, with replacement, and the
// SAME tile indices for the before and the after session (paired), so that the skin's own
// spatial variation cancels and only the tile-to-tile variation of the change remains. The
// interval is the percentile interval of the resampled deltas.
//
// What the interval covers: spatial sampling only (which skin the region happened to contain).
// It does not cover re-photographing (pose, light, camera): a capture change that shifts every
// tile alike gives a narrow interval excluding zero. Combine it with a minimal detectable
// change from repeated captures (stats/repeatability.h) before calling a change real.
#pragma once

#include <cstdint>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack::stats {

// One tile's sums for one metric in both sessions (units of the metric's sums; e.g. pore count
// and tile area in cm^2). Denominators are >= 0.
struct TileSums {
  double numerator_before = 0.0, denominator_before = 0.0;
  double numerator_after = 0.0, denominator_after = 0.0;
};

// How the ratio of sums becomes the metric.
enum class RatioForm {
  kRatio,      // value = scale * (sum num / sum den - offset)
  kSqrtRatio,  // value = scale * sqrt(max(0, sum num / sum den - offset))  (RMS metrics)
};

struct RatioMetric {
  RatioForm form = RatioForm::kRatio;  // Default: plain ratio.
  double scale = 1.0;                  // multiplies the value (e.g. a total area). Default 1.
  // Subtracted from each session's ratio before the form is applied (e.g. a noise variance
  // floor estimated once per session). Default 0.
  double offset_before = 0.0, offset_after = 0.0;
};

// The metric's value for the given sums; 0 when denominator <= 0 (no support: the metric
// families report 0 for an empty region or an empty family).
double RatioValue(const RatioMetric& metric, double numerator, double denominator, bool after);

struct BootstrapOptions {
  int resamples = 1000;      // bootstrap resamples. Default 1000 (>= 100).
  std::uint64_t seed = 1;    // seed of the std::mt19937_64 drawing tiles. Default 1.
  double confidence = 0.95;  // central percentile interval. Default 0.95, in (0, 1).
  // Fewer tiles than this: no interval (ci_valid false), as a handful of tiles cannot
  // represent spatial variation. Default 5 (>= 2).
  int min_tiles = 5;
  Status Check() const;
};

struct BootstrapResult {
  int tiles = 0;  // tiles given
  // Point estimates over all tiles, in the metric's units; delta = after - before.
  double before = 0.0, after = 0.0, delta = 0.0;
  bool ci_valid = false;  // false with fewer than min_tiles tiles (ci_* then equal delta)
  // Percentile interval of the resampled deltas (Hyndman-Fan type 7 quantiles at
  // (1 - confidence) / 2 and (1 + confidence) / 2), metric units.
  double ci_lo = 0.0, ci_hi = 0.0;
  double se = 0.0;  // standard deviation of the resampled deltas (bootstrap standard error)
  // True when the interval is valid and does not contain 0.
  bool ExcludesZero() const { return ci_valid && (ci_lo > 0.0 || ci_hi < 0.0); }
};

// Runs the paired bootstrap. Deterministic for options.seed (tile indices are drawn from
// std::mt19937_64 by rejection sampling, so the draws are the same on every platform).
// Errors: invalid options, no tiles, a negative or non-finite sum.
Status PairedTileBootstrap(const std::vector<TileSums>& tiles, const RatioMetric& metric,
                           const BootstrapOptions& options, BootstrapResult* result);

// PairedTileBootstrap of several metrics at once: (*results)[i] equals
// PairedTileBootstrap(*tiles[i], metrics[i], options) exactly. The draws depend only on the
// seed and the tile count, so metrics with equal tile counts share one draw sequence (drawn
// once, not once per metric); groups run in parallel. Errors as PairedTileBootstrap's (the
// first failing metric's), or sizes that differ / a null tile list.
Status PairedTileBootstrapMany(const std::vector<const std::vector<TileSums>*>& tiles,
                               const std::vector<RatioMetric>& metrics,
                               const BootstrapOptions& options,
                               std::vector<BootstrapResult>* results);

// Quantile of sorted values (Hyndman-Fan type 7: linear interpolation between order
// statistics, p in [0, 1]). `sorted` must be non-empty and ascending.
double SortedQuantile(const std::vector<double>& sorted, double p);

}  // namespace skintrack::stats
