#include "cli/session_cli.h"

#include <algorithm>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "cli/metrics_cli.h"
#include "skintrack/align/align.h"
#include "skintrack/compare/change_stats.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/photometric/color.h"
#include "skintrack/photometric/colour_calibration.h"
#include "skintrack/photometric/flat_field.h"
#include "skintrack/photometric/reference_normalise.h"
#include "skintrack/report/change_maps.h"
#include "skintrack/report/change_stats_report.h"
#include "skintrack/report/quality_report.h"
#include "skintrack/roi/roi.h"

namespace skintrack::cli {

using nlohmann::json;

void AddSessionOptions(po::options_description* desc, bool compare) {
  desc->add_options()("flat-field", po::value<std::string>(),
                      "photo of a uniform grey card taken with the same setup: divides out "
                      "vignetting and uneven light (same size as the photos)")(
      "chart", po::bool_switch(),
      "detect a ColorChecker (Macbeth 24) in each photo and correct its colour (3x3 CCM on "
      "linear RGB) before the colour metrics");
  if (!compare) return;
  desc->add_options()("flat-field-after", po::value<std::string>(),
                      "grey card photographed with the after session's setup (default: the "
                      "--flat-field card for both)")(
      "reference-roi", po::value<std::string>(),
      "mask (before frame, non-zero = skin assumed unchanged) to normalise the "
      "after photo's colour to the before photo's when no chart calibrates both")(
      "repeatability-model", po::value<std::string>(),
      "repeatability model for the minimal detectable change (default: "
      "models/repeatability_PRESET.json for --preset PRESET when it exists, else "
      "models/repeatability.json)")("no-stats", po::bool_switch(),
                                    "no change statistics (ci95, mdc, significant, change maps)");
}

Status PrepareColour(const po::variables_map& vm, const io::LoadOptions& load,
                     const std::string& session, cv::Mat* image, ColourInfo* info) {
  info->json = json::object();
  const bool after_card = session == "after" && vm.count("flat-field-after");
  if (vm.count("flat-field") || after_card) {
    const std::string path =
        after_card ? vm["flat-field-after"].as<std::string>() : vm["flat-field"].as<std::string>();
    io::LoadedImage card;
    SKINTRACK_RETURN_IF_ERROR(io::LoadImage(path, load, &card));
    photometric::FlatFieldResult ff;
    const Status st =
        photometric::FlatFieldCorrect(*image, card.image, photometric::FlatFieldOptions(), &ff);
    if (!st.ok())
      return Status(st.code(),
                    path + ": flat field for the " + session + " photo: " + st.message());
    *image = ff.image;
    info->image_replaced = true;
    info->json["flat_field"] = {{"file", path},
                                {"field_min", ff.field_min},
                                {"field_max", ff.field_max},
                                {"fit_residual", ff.fit_residual}};
  }
  if (vm.count("chart") && vm["chart"].as<bool>()) {
    photometric::ColourCalibration cal;
    SKINTRACK_RETURN_IF_ERROR(
        photometric::CalibrateColour(*image, photometric::ColourOptions(), &cal));
    json c = {{"found", cal.found}, {"message", cal.message}};
    if (cal.found) {
      // Chart body plus 2 % of the image's long side.
      info->chart_mask =
          photometric::ChartMask(image->size(), cal, 0.02 * std::max(image->cols, image->rows));
      *image = photometric::ApplyColourCalibration(*image, cal);
      info->image_replaced = true;
      info->state = "chart";
      c["mean_de2000"] = cal.mean_de2000;
      c["max_de2000"] = cal.max_de2000;
      c["patches_used"] = cal.patches_used;
      json corners = json::array();
      for (const cv::Point2f& p : cal.chart_corners) corners.push_back({p.x, p.y});
      c["corners_px"] = corners;
    }
    info->json["chart"] = c;
  }
  info->json["state"] = info->state;
  return Status::Ok();
}

Status RoiWithoutChart(const cv::Mat& image, const cv::Mat& chart_mask,
                       const metrics::MetricsOptions& options, cv::Mat* roi) {
  if (!roi->empty() || chart_mask.empty()) return Status::Ok();
  cv::Mat skin;
  SKINTRACK_RETURN_IF_ERROR(roi::SkinMask(image, options.skin, &skin));
  *roi = skin & ~chart_mask;
  return Status::Ok();
}

Status AssessPhotoJson(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
                       const metrics::MetricsOptions& metric_options, quality::PhotoQuality* q,
                       json* out, const cv::Mat& linear_y) {
  quality::PhotoMeasures measures;
  SKINTRACK_RETURN_IF_ERROR(quality::MeasurePhoto(
      image, roi, quality::PhotoQualityOptionsFor(metric_options, image.size()), &measures,
      linear_y));
  return AssessMeasuredJson(measures, mm_per_px, q, out);
}

Status AssessMeasuredJson(const quality::PhotoMeasures& measures, std::optional<double> mm_per_px,
                          quality::PhotoQuality* q, json* out) {
  std::optional<double> px_per_mm;
  if (mm_per_px) px_per_mm = 1.0 / *mm_per_px;
  SKINTRACK_RETURN_IF_ERROR(quality::AssessMeasuredPhoto(measures, px_per_mm, q));
  *out = report::PhotoQualityToJson(*q);
  return Status::Ok();
}

void MarkNotMeaningful(const std::vector<std::string>& not_meaningful,
                       const std::vector<std::string>& by_preset, json* metrics) {
  std::vector<std::string> families;
  for (const std::string& f : quality::AllFamilies()) {
    const auto listed = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), f) != v.end();
    };
    if (listed(not_meaningful) || listed(by_preset)) families.push_back(f);
  }
  (*metrics)["not_meaningful"] = families;
  if (!metrics->contains("change")) return;
  for (auto it = (*metrics)["change"].begin(); it != (*metrics)["change"].end(); ++it) {
    const std::string family = it.key().substr(0, it.key().find('.'));
    const bool bad = std::find(families.begin(), families.end(), family) != families.end();
    (*it)["meaningful"] = !bad;
    if (bad) (*it)["significant"] = false;
  }
}

Status NormaliseAfterToReference(const po::variables_map& vm, const io::LoadOptions& load,
                                 const cv::Mat& before, const align::AlignmentResult& alignment,
                                 cv::Mat* after, ColourInfo* after_info) {
  if (!vm.count("reference-roi")) return Status::Ok();
  const std::string path = vm["reference-roi"].as<std::string>();
  cv::Mat reference;
  SKINTRACK_RETURN_IF_ERROR(LoadRegionMask(vm, "reference-roi", load, before.size(), &reference));
  cv::Mat aligned, valid;
  SKINTRACK_RETURN_IF_ERROR(
      align::WarpAfterToBefore(*after, alignment, before.size(), &aligned, &valid));
  photometric::ReferenceNormalisation n;
  const Status st = photometric::NormaliseToReference(before, aligned, reference, valid,
                                                      photometric::ReferenceNormaliseOptions(), &n);
  if (!st.ok()) return Status(st.code(), path + ": " + st.message());
  // The gains are linear per channel: apply them to the after photo itself (the metrics warp
  // it again).
  cv::Mat linear = photometric::SrgbToLinear(*after);
  cv::multiply(linear, cv::Scalar(n.gains_bgr[0], n.gains_bgr[1], n.gains_bgr[2]), linear);
  // A new image, not known finite (core/image.h); forgotten, the old one is freed.
  ForgetKnownFinite(*after);
  *after = photometric::LinearToSrgb(linear);
  after_info->state = "reference-normalised";
  after_info->json["state"] = after_info->state;
  after_info->json["reference"] = {{"file", path},
                                   {"gains_bgr", {n.gains_bgr[0], n.gains_bgr[1], n.gains_bgr[2]}},
                                   {"pixels_used", n.pixels_used}};
  return Status::Ok();
}

std::string DefaultRepeatabilityModel(const std::string& preset) {
  const std::filesystem::path own =
      std::filesystem::path(ModelsDir()) / ("repeatability_" + preset + ".json");
  std::error_code ec;
  if (preset != "default" && std::filesystem::is_regular_file(own, ec)) return own.string();
  return ModelsDir() + "/repeatability.json";
}

namespace {

// The change statistics (unless --no-stats) merged into the metrics JSON `m`, and the change
// maps written to out_dir (when not empty).
Status ChangeStatsJson(const po::variables_map& vm, const cv::Mat& before,
                       const compare::SessionMetrics& session, std::optional<double> mm,
                       const metrics::MetricsOptions& metric_options, const std::string& out_dir,
                       json* m) {
  if (vm.count("no-stats") && vm["no-stats"].as<bool>()) return Status::Ok();
  const std::string model_path = vm.count("repeatability-model")
                                     ? vm["repeatability-model"].as<std::string>()
                                     : DefaultRepeatabilityModel(metric_options.preset);
  stats::RepeatabilityModel model;
  SKINTRACK_RETURN_IF_ERROR(report::LoadRepeatabilityModel(model_path, &model));
  compare::ChangeStats cs;
  SKINTRACK_RETURN_IF_ERROR(compare::ComputeChangeStats(before, session, mm, metric_options, model,
                                                        compare::ChangeStatsOptions(), &cs));
  report::MergeChangeStats(cs, &(*m)["change"]);
  (*m)["change_maps"] = report::ChangeGridsToJson(cs);
  (*m)["repeatability_model"] = model_path;
  if (!out_dir.empty())
    SKINTRACK_RETURN_IF_ERROR(report::WriteChangeMaps(out_dir, before, session.region, cs));
  return Status::Ok();
}

}  // namespace

Status MeasurePairPhotos(const compare::LoadedPair& pair, const cv::Mat& roi, bool with_after,
                         const metrics::MetricsOptions& metric_options, PairPhotoMeasures* out) {
  return RunEach(
      with_after ? 2 : 1,
      [&](int i) {
        const cv::Mat& image = i == 0 ? pair.before.image : pair.after.image;
        return quality::MeasurePhoto(image, i == 0 ? roi : cv::Mat(),
                                     quality::PhotoQualityOptionsFor(metric_options, image.size()),
                                     i == 0 ? &out->before : &out->after);
      },
      "quality");
}

Status AssessPairPhotosEarly(std::optional<double> mm_per_px, PairPhotoMeasures* measures) {
  const bool after = !mm_per_px && !measures->after.linear_y.empty();
  AssessedPhoto assessed[2];
  SKINTRACK_RETURN_IF_ERROR(RunEach(
      after ? 2 : 1,
      [&](int i) {
        return AssessMeasuredJson(i == 0 ? measures->before : measures->after, mm_per_px,
                                  &assessed[i].quality, &assessed[i].json);
      },
      "quality"));
  measures->before_assessed = std::move(assessed[0]);
  if (after) measures->after_assessed = std::move(assessed[1]);
  return Status::Ok();
}

Status AssessPairPhotos(const compare::LoadedPair& pair, const compare::CompareResult& result,
                        const metrics::MetricsOptions& metric_options, PairPhotoMeasures* measures,
                        PairPhotoQuality* out) {
  if (measures->after.linear_y.empty()) {  // not measured yet
    SKINTRACK_RETURN_IF_ERROR(quality::MeasurePhoto(
        pair.after.image, cv::Mat(),
        quality::PhotoQualityOptionsFor(metric_options, pair.after.image.size()),
        &measures->after));
  }
  const std::optional<double> mm = result.scale.mm_per_px;
  const double ratio = quality::AfterPxPerBeforePx(
      result.alignment, cv::Point2d(pair.before.image.cols / 2.0, pair.before.image.rows / 2.0));
  std::optional<double> mm_after;
  if (mm && ratio > 0) mm_after = *mm / ratio;
  out->scale_ratio = ratio > 0 ? ratio : 1.0;
  SKINTRACK_RETURN_IF_ERROR(RunEach(
      2,
      [&](int i) {
        const std::optional<AssessedPhoto>& early =
            i == 0 ? measures->before_assessed : measures->after_assessed;
        quality::PhotoQuality* q = i == 0 ? &out->before : &out->after;
        json* j = i == 0 ? &out->before_json : &out->after_json;
        if (early) {  // assessed while the pair was registered, with the same scale
          *q = early->quality;
          *j = early->json;
          return Status::Ok();
        }
        return AssessMeasuredJson(i == 0 ? measures->before : measures->after,
                                  i == 0 ? mm : mm_after, q, j);
      },
      "quality"));
  out->before_linear_y = std::move(measures->before.linear_y);
  out->after_linear_y = std::move(measures->after.linear_y);
  *measures = PairPhotoMeasures();
  return Status::Ok();
}

Status AddPairAssessment(const po::variables_map& vm, const cv::Mat& before,
                         const compare::CompareResult& result, const PairPhotoQuality& photos,
                         const compare::SessionMetrics& session,
                         const metrics::MetricsOptions& metric_options,
                         const std::string& colour_state, const std::string& out_dir, json* j) {
  const align::AlignmentResult& a = result.alignment;
  const std::optional<double> mm = result.scale.mm_per_px;
  quality::PairEvidence evidence;
  evidence.overlap_fraction = a.overlap_fraction;
  evidence.scale_ratio = photos.scale_ratio;
  evidence.colour_calibration = colour_state;
  // The lighting difference on a second thread while the change statistics run: both only
  // read the images and the region (joined on every path, exceptions included).
  quality::LightingDifference lighting;
  BackgroundTask lighting_task(
      [&] {
        return quality::MeasureLightingDifference(before, session.aligned_after, session.region,
                                                  quality::LightingOptions(), &lighting);
      },
      "lighting difference");
  json& m = (*j)["metrics"];
  const Status stats_status = ChangeStatsJson(vm, before, session, mm, metric_options, out_dir, &m);
  // Without a lighting difference the pair is judged on the other evidence.
  const bool lighting_ok = lighting_task.Wait().ok();
  SKINTRACK_RETURN_IF_ERROR(stats_status);
  if (lighting_ok) evidence.lighting = lighting;
  quality::PairComparability pc;
  SKINTRACK_RETURN_IF_ERROR(quality::AssessPair(
      photos.before, photos.after, a, evidence, quality::PairComparabilityOptions(),
      quality::PhotoQualityOptionsFor(metric_options, before.size()), &pc));
  (*j)["quality"] = {{"before", photos.before_json},
                     {"after", photos.after_json},
                     {"pair", report::ComparabilityToJson(pc)}};

  MarkNotMeaningful(pc.not_meaningful, metric_options.not_meaningful, &m);
  return Status::Ok();
}

}  // namespace skintrack::cli
