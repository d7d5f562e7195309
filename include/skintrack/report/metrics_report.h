// Metrics as JSON (the "metrics" object of skintrack.analyze.v1 and skintrack.compare.v1,
// docs/metrics.md), before/after change entries, detections, and overlay images.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

#include "skintrack/core/status.h"
#include "skintrack/metrics/metrics.h"

namespace skintrack::report {

inline constexpr const char* kAnalyzeSchema = "skintrack.analyze.v1";

// The "metrics" object; physical-unit fields are null when the scale is unknown.
nlohmann::json MetricsToJson(const metrics::MetricsResult& result);

// The effective parameters (every MetricsOptions field, lengths in mm), and `px_per_mm_used`:
// the scale the metrics converted mm with (MetricsResult::px_per_mm: the photo's, or the
// preset's assumption for it).
nlohmann::json ParametersToJson(const metrics::MetricsOptions& options, double px_per_mm_used);

// One entry per numeric metric, keyed "family.name" (nested objects flattened with dots):
// {"before": x, "after": x, "delta": after - before, "percent": 100 * delta / |before| or
// null when before is 0 or either side is null}.
nlohmann::json ChangeToJson(const nlohmann::json& before_metrics,
                            const nlohmann::json& after_metrics);

// Detections in the analysed image's px frame: pores [{x, y, diameter_px, darkness}],
// scars [{contour: [[x,y]...], bbox: [x,y,w,h], area_px, contrast}], wrinkles and striae
// [{polyline: [[x,y]...], length_px, width_px, contrast}].
nlohmann::json DetectionsToJson(const metrics::Detections& detections);

// Overlay for the eye: pores circled (cyan), scars outlined (yellow), wrinkles traced (red),
// stretch marks traced (magenta), outside the ROI (the region measured) dimmed to 40 %, and
// hair (excluded from it) shaded blue: half the dimmed photo, half pure blue. `image` is
// internal form; `roi` and `hair` CV_8UC1 of its size (non-zero = in) or empty (no dimming,
// no shading). Returns 8-bit BGR.
cv::Mat DrawDetections(const cv::Mat& image, const metrics::Detections& detections,
                       const cv::Mat& roi, const cv::Mat& hair = cv::Mat());

// Erythema-index heat map over the image (8-bit BGR): EI = 100 log10(R_lin / G_lin),
// colour-mapped over [ei_lo, ei_hi], blended 50 % over the photo inside `roi`.
cv::Mat RednessMap(const cv::Mat& image, const cv::Mat& roi, double ei_lo, double ei_hi);

}  // namespace skintrack::report
