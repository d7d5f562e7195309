// Quality gate and comparability as JSON (the "quality" object of skintrack.analyze.v1 and the
// "quality" / "comparability" objects of skintrack.compare.v1; schema in docs/quality.md).
#pragma once

#include <nlohmann/json.hpp>

#include "skintrack/quality/quality.h"

namespace skintrack::report {

// {"verdict", "scale_known", "px_per_mm" (null when unknown), "px_per_mm_used", "roi_px",
//  "roi_median_y", "checks": {name: {"value" (null when unknown), "unit", "threshold",
//  "caution_threshold", "direction" ("max": fail above threshold, "min": fail below),
//  "verdict", "message", "meaningless": [families]}}, "meaningless_families": [...],
//  "meaningful_families": [...]}
nlohmann::json PhotoQualityToJson(const quality::PhotoQuality& quality);

// {"verdict", "reasons": [...], "not_meaningful": [families], "evidence": {"alignment_status",
//  "overlap_fraction", "scale_ratio", "effective_px_per_mm" (null when unknown),
//  "colour_calibration", "lighting": {"luminance_ratio", "field_spread", "chroma_shift",
//  "region_px"} or null when not measured}}
nlohmann::json ComparabilityToJson(const quality::PairComparability& comparability);

}  // namespace skintrack::report
