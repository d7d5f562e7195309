// CLI layer of issue 4 shared by `analyze` and `compare`: colour calibration options (flat
// field, chart, reference region), the quality gate and the change statistics, assembled into
// the JSON. Thin: each step is one library call.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "skintrack/compare/compare.h"
#include "skintrack/io/image_io.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/quality/quality.h"

namespace skintrack::cli {

// Adds --flat-field, --chart; with `compare`, also --flat-field-after, --reference-roi,
// --repeatability-model and --no-stats.
void AddSessionOptions(po::options_description* desc, bool compare);

// Colour state of one photo after PrepareColour.
struct ColourInfo {
  std::string state = "uncalibrated";  // "chart" | "reference-normalised" | "uncalibrated"
  nlohmann::json json = nlohmann::json::object();
  cv::Mat chart_mask;  // CV_8UC1, 255 = the chart (dilated), when one was fitted; else empty
  bool image_replaced = false;  // the photo was flat-fielded or calibrated: a new image
};

// Without a user roi (`roi` empty) and with a fitted chart: the automatic skin mask of `image`
// minus the chart, so the chart's skin-coloured patches are not measured. Otherwise `roi`.
Status RoiWithoutChart(const cv::Mat& image, const cv::Mat& chart_mask,
                       const metrics::MetricsOptions& options, cv::Mat* roi);

// Flat field (--flat-field; for session "after" --flat-field-after when given) and chart
// (--chart) applied to `image` in place (internal form).
// `session`: "before", "after" or "image", for messages. A chart that is not found leaves the
// photo uncalibrated (reported, not an error); an unusable grey card is an error naming it.
Status PrepareColour(const po::variables_map& vm, const io::LoadOptions& load,
                     const std::string& session, cv::Mat* image, ColourInfo* info);

// The quality of one photo as JSON, and the families it makes meaningless, judged at the
// scale `metric_options` assume when mm_per_px is unknown (quality::PhotoQualityOptionsFor).
// `linear_y`: the photo's linear luminance when already computed, or empty.
Status AssessPhotoJson(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
                       const metrics::MetricsOptions& metric_options,
                       quality::PhotoQuality* quality, nlohmann::json* json,
                       const cv::Mat& linear_y = cv::Mat());

// The same from quality::MeasurePhoto's measures (the photo measured before its scale was known).
Status AssessMeasuredJson(const quality::PhotoMeasures& measures, std::optional<double> mm_per_px,
                          quality::PhotoQuality* quality, nlohmann::json* json);

// Marks the metric families in `not_meaningful` and in `by_preset` (the preset's own,
// metrics::MetricsOptions::not_meaningful) in a metrics JSON ("not_meaningful" list, in
// report order) and, when `change` is given, each of their change entries ("meaningful":
// false, "significant": false).
void MarkNotMeaningful(const std::vector<std::string>& not_meaningful,
                       const std::vector<std::string>& by_preset, nlohmann::json* metrics);

// compare: --reference-roi normalisation of the after photo (in place, before the metrics),
// when no chart calibrated both photos. Updates `after_info`.
Status NormaliseAfterToReference(const po::variables_map& vm, const io::LoadOptions& load,
                                 const cv::Mat& before, const align::AlignmentResult& alignment,
                                 cv::Mat* after, ColourInfo* after_info);

// compare: the quality of both photos (assessed at once, each in its own frame: the after
// photo at the before scale divided by the alignment's local scale ratio).
struct PairPhotoQuality {
  quality::PhotoQuality before, after;
  nlohmann::json before_json, after_json;
  double scale_ratio = 1.0;  // after px per before px at the before photo's centre
  // Each photo's photometric::SrgbToLinearLuminance (CV_32FC1 of its size), converted once for
  // the quality gate and handed on to the metrics.
  cv::Mat before_linear_y, after_linear_y;
};
// One photo's finished quality gate (AssessMeasuredJson's outputs).
struct AssessedPhoto {
  quality::PhotoQuality quality;
  nlohmann::json json;
};
// compare: the scale-free half of both photos' quality gate (quality::MeasurePhoto: median
// luminance, noise, clipping, glare, and each photo's linear luminance), which needs neither
// the alignment nor the scale and so runs while the pair is registered. The before photo over
// `roi` (empty = whole photo), the after photo over all of it, unless `with_after` is false
// (its pixels change after the registration: --reference-roi).
struct PairPhotoMeasures {
  quality::PhotoMeasures before, after;  // `after` empty (no linear_y) until measured
  // Set by AssessPairPhotosEarly: a photo already assessed, exactly as AssessPairPhotos would.
  std::optional<AssessedPhoto> before_assessed, after_assessed;
};
// Each photo with quality::PhotoQualityOptionsFor(metric_options, its size).
Status MeasurePairPhotos(const compare::LoadedPair& pair, const cv::Mat& roi, bool with_after,
                         const metrics::MetricsOptions& metric_options, PairPhotoMeasures* out);

// The gate finished early, while the pair is registered, for what the before photo's scale
// `mm_per_px` (from compare::ComparePair's EarlyScaleCallback) decides alone: the before
// photo, and the after photo when the scale is unknown (its own scale is then unknown too;
// with a scale it needs the alignment's scale ratio).
Status AssessPairPhotosEarly(std::optional<double> mm_per_px, PairPhotoMeasures* measures);

// The gate finished with the scale (measuring the after photo first when `measures` lacks it);
// `measures` is consumed (its luminance planes move into `out`).
Status AssessPairPhotos(const compare::LoadedPair& pair, const compare::CompareResult& result,
                        const metrics::MetricsOptions& metric_options, PairPhotoMeasures* measures,
                        PairPhotoQuality* out);

// The repeatability model compare uses without --repeatability-model: the preset's own
// models/repeatability_<preset>.json when it exists (fitted on photos of that kind), else
// models/repeatability.json.
std::string DefaultRepeatabilityModel(const std::string& preset);

// compare: pair comparability (from `photos`, assessed before the metrics), change statistics
// (ci95, mdc, significant merged into j["metrics"]["change"], grids in
// j["metrics"]["change_maps"]) and the change-map PNGs in out_dir (when not empty).
Status AddPairAssessment(const po::variables_map& vm, const cv::Mat& before,
                         const compare::CompareResult& result, const PairPhotoQuality& photos,
                         const compare::SessionMetrics& session,
                         const metrics::MetricsOptions& metric_options,
                         const std::string& colour_state, const std::string& out_dir,
                         nlohmann::json* j);

}  // namespace skintrack::cli
