// Change statistics as JSON (the per-metric ci95 / mdc / significant fields added to the
// compare JSON's metrics.change entries, and the change-map arrays), and the repeatability
// model file (models/repeatability.json). docs/statistics.md documents every field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "skintrack/compare/change_stats.h"
#include "skintrack/core/status.h"
#include "skintrack/stats/repeatability.h"

namespace skintrack::report {

// One entry per metric, keyed "family.name" like ChangeToJson's:
// {"ci95": [lo, hi] (metric units, null when too few tiles), "mdc": MDC95 (metric units, null
//  when the repeatability model lacks the metric), "significant": bool, "tiles": n,
//  "tile_mm": side}.
nlohmann::json ChangeStatsToJson(const compare::ChangeStats& stats);

// Adds each ChangeStatsToJson entry's fields to the matching entry of `change` (the object
// ChangeToJson made); metrics without statistics get "ci95": null, "mdc": null,
// "significant": false.
void MergeChangeStats(const compare::ChangeStats& stats, nlohmann::json* change);

// The change maps as arrays: {"texture.roughness": {"unit", "tile_mm", "tile_px", "rows",
// "cols", "change": [[row 0 ...], ...]} (after - before per tile, metric units; null where the
// tile is not measured)}, ...; tile (r, c) covers before px [c tile_px, (c+1) tile_px) x
// [r tile_px, (r+1) tile_px).
nlohmann::json ChangeGridsToJson(const compare::ChangeStats& stats);

// Reads models/repeatability.json (or a clinic's own file). Errors name the file.
Status LoadRepeatabilityModel(const std::string& path, stats::RepeatabilityModel* model);

}  // namespace skintrack::report
