// skintrack analyze IMAGE [--mm-per-px X] [--roi MASK.png] [--preset NAME] [--json FILE|-]
//                         [--detections FILE] [--out-dir DIR]
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/marker_cli.h"
#include "cli/metrics_cli.h"
#include "cli/session_cli.h"
#include "skintrack/calib/marker.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/core/version.h"
#include "skintrack/io/image_io.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/photometric/color.h"
#include "skintrack/report/compare_report.h"
#include "skintrack/report/metrics_report.h"

namespace skintrack::cli {
namespace fs = std::filesystem;

int RunAnalyze(const std::vector<std::string>& args) {
  const std::string cmd = "analyze";
  const io::LoadOptions load_defaults;
  po::options_description desc("Options");
  desc.add_options()("image", po::value<std::string>()->required(), "photo to measure")(
      "json", po::value<std::string>(),
      "write the JSON result to FILE ('-' = stdout); default: DIR/analyze.json with --out-dir, "
      "else stdout")("out-dir", po::value<std::string>(),
                     "write overlay.jpg and redness_map.jpg here")(
      "mm-per-px", po::value<double>(),
      "physical scale of the photo, mm per pixel (overrides a marker)")(
      "max-megapixels", po::value<double>()->default_value(load_defaults.max_pixels / 1e6),
      "refuse images whose header claims more megapixels");
  AddScaleTargetOptions(&desc, true);
  AddMetricsOptions(&desc);
  AddSessionOptions(&desc, false);
  po::positional_options_description pos;
  pos.add("image", 1);
  po::variables_map vm;
  bool help = false;
  if (int rc = ParseCommandLine(cmd, "IMAGE [options]", desc, pos, args, &vm, &help);
      rc != kExitOk || help) {
    return rc;
  }
  metrics::MetricsOptions options;
  if (Status st = ResolvePreset(vm, &options); !st.ok()) return Fail(cmd, st);
  std::optional<double> mm_per_px;
  if (Status st = ReadMmPerPx(vm, &mm_per_px); !st.ok()) return Fail(cmd, st);
  calib::MarkerOptions marker_options;
  if (Status st = ReadScaleTargetOptions(vm, &marker_options); !st.ok()) return Fail(cmd, st);
  io::LoadOptions load;
  if (Status st = ReadMaxMegapixels(vm, &load); !st.ok()) return Fail(cmd, st);
  std::string out_dir, json_path;
  if (Status st = PrepareOutputs(vm, "analyze.json", &out_dir, &json_path); !st.ok())
    return Fail(cmd, st);

  io::LoadedImage image;
  if (Status st = io::LoadImage(vm["image"].as<std::string>(), load, &image); !st.ok())
    return Fail(cmd, st);
  WarnIfDamaged(cmd, image);
  cv::Mat roi;
  if (Status st = LoadRegionMask(vm, "roi", load, image.image.size(), &roi); !st.ok())
    return Fail(cmd, st);
  ColourInfo colour;
  if (Status st = PrepareColour(vm, load, "image", &image.image, &colour); !st.ok())
    return Fail(cmd, st);
  if (Status st = RoiWithoutChart(image.image, colour.chart_mask, options, &roi); !st.ok())
    return Fail(cmd, st);
  // The photo as io::LoadImage decoded it is finite (core/image.h), and so is its luminance:
  // the stages' input checks skip their scans of them. (Named before the quality gate's
  // thread starts, so that it outlives it.)
  FiniteImageScope known;
  if (!colour.image_replaced) known.Add(image.image);
  // Scale: --mm-per-px, else a marker in the photo, else unknown.
  calib::MarkerScale marker;
  if (!mm_per_px) {
    if (Status st = calib::DetectMarkerScale(image.image, marker_options, &marker); !st.ok())
      return Fail(cmd, st);
  }
  const compare::ScaleInfo scale = compare::ResolvePhotoScale(mm_per_px, marker, marker_options);
  mm_per_px = scale.mm_per_px;
  // The metrics and the quality gate are independent: run at once (the quality gate on a
  // second thread, at a low priority, fills the cores through the metrics' serial stretches
  // instead of slowing their parallel ones), on one linear-luminance plane converted once for
  // both.
  const cv::Mat linear_y = photometric::SrgbToLinearLuminance(image.image);
  if (!colour.image_replaced) known.Add(linear_y);
  metrics::MetricsResult result;
  quality::PhotoQuality photo_quality;
  nlohmann::json quality_json;
  BackgroundTask quality_task(
      [&] {
        return AssessPhotoJson(image.image, roi, mm_per_px, options, &photo_quality, &quality_json,
                               linear_y);
      },
      "quality", TaskPriority::kLow);
  // (An exception here reaches main's handlers; the quality task is joined on the way.)
  metrics::AnalyzeExtras extras;
  extras.linear_y = linear_y;
  // The region measured and the hair left out of it, for the overlay (--out-dir).
  cv::Mat measured_region, hair;
  if (!out_dir.empty()) {
    extras.region = &measured_region;
    extras.hair = &hair;
  }
  const Status metrics_status =
      metrics::Analyze(image.image, roi, cv::Mat(), mm_per_px, options, &result, extras);
  const Status quality_status = quality_task.Wait();
  if (!metrics_status.ok()) return Fail(cmd, metrics_status);
  if (!quality_status.ok()) return Fail(cmd, quality_status);

  nlohmann::json j;
  j["schema"] = report::kAnalyzeSchema;
  j["skintrack_version"] = kVersion;
  j["image"] = report::ImageToJson({image.path, image.image.cols, image.image.rows, image.warning});
  j["scale"] = report::PhotoScaleToJson(scale);
  j["parameters"] = report::ParametersToJson(result.effective, result.px_per_mm);
  j["metrics"] = report::MetricsToJson(result);
  j["colour"] = colour.json;
  j["quality"] = quality_json;
  // Nothing measured (no skin found, or the region is all hair): every metric is a
  // meaningless zero. The JSON still records the photo (its scale, quality), then the run fails.
  const bool nothing = result.roi_area_px == 0;
  MarkNotMeaningful(nothing ? quality::AllFamilies() : photo_quality.meaningless_families,
                    result.effective.not_meaningful, &j["metrics"]);
  if (Status st = report::WriteTextFile(json_path, j.dump(2) + "\n"); !st.ok())
    return Fail(cmd, st);
  if (vm.count("detections")) {
    nlohmann::json d = {{"schema", "skintrack.detections.v1"},
                        {"frame", "image px, pixel centres at integers"},
                        {"image", image.path},
                        {"detections", report::DetectionsToJson(result.detections)}};
    if (Status st = report::WriteTextFile(vm["detections"].as<std::string>(), d.dump(1) + "\n");
        !st.ok())
      return Fail(cmd, st);
  }
  if (!out_dir.empty()) {
    const fs::path d(out_dir);
    if (Status st = io::WriteImage(
            (d / "overlay.jpg").string(),
            report::DrawDetections(image.image, result.detections, measured_region, hair), 90);
        !st.ok())
      return Fail(cmd, st);
    if (Status st = io::WriteImage((d / "redness_map.jpg").string(),
                                   report::RednessMap(image.image, measured_region, 0.0, 40.0), 90);
        !st.ok())
      return Fail(cmd, st);
  }
  if (nothing) return Fail(cmd, NothingToMeasure(vm, image.path, json_path));
  return kExitOk;
}

}  // namespace skintrack::cli
