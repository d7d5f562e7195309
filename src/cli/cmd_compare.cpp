// skintrack compare BEFORE AFTER [--json FILE|-] [--out-dir DIR] [--mm-per-px X] [--no-nonrigid]
//                   [--roi MASK] [--preset NAME] [--detections FILE] [--no-metrics]
//                   [--flat-field CARD] [--chart] [--reference-roi MASK] [--no-stats]
#include <array>
#include <filesystem>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/marker_cli.h"
#include "cli/metrics_cli.h"
#include "cli/session_cli.h"
#include "skintrack/compare/change_stats.h"
#include "skintrack/compare/compare.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/io/image_io.h"
#include "skintrack/report/change_maps.h"
#include "skintrack/report/compare_report.h"
#include "skintrack/report/metrics_report.h"

namespace skintrack::cli {
namespace fs = std::filesystem;

namespace {

// The metrics' images of session i (0 before, 1 after): the detections overlay and the
// redness map.
std::array<std::string, 2> MetricsImageNames(int i) {
  const std::string s = i == 0 ? "before" : "after";
  return {"overlay_" + s + ".jpg", "redness_map_" + s + ".jpg"};
}

// Overlays of both sessions over the common region, in the before frame.
Status WriteMetricsImages(const fs::path& dir, const cv::Mat& before,
                          const compare::SessionMetrics& m) {
  // One session's two images at a time: each is a full-size 8-bit copy of the photo.
  for (int i = 0; i < 2; ++i) {
    const std::array<std::string, 2> names = MetricsImageNames(i);
    const cv::Mat& photo = i == 0 ? before : m.aligned_after;
    SKINTRACK_RETURN_IF_ERROR(io::WriteImages(
        {{(dir / names[0]).string(),
          report::DrawDetections(photo, (i == 0 ? m.before : m.after).detections, m.region,
                                 m.hair[static_cast<size_t>(i)]),
          90},
         {(dir / names[1]).string(), report::RednessMap(photo, m.region, 0.0, 40.0), 90}}));
  }
  return Status::Ok();
}

// Removes from `dir` the images an earlier compare may have written there (regular files of
// these names only: the registration images, the overlays and redness maps, change_map_*.png),
// so that a run that writes fewer (the pair not aligned, --no-metrics, --no-stats) leaves none
// of another run's beside its own JSON. kIoError naming a file that cannot be removed.
Status RemoveEarlierImages(const fs::path& dir) {
  std::vector<fs::path> stale;
  for (const char* n : report::kCompareImageNames) stale.push_back(dir / n);
  for (int i = 0; i < 2; ++i)
    for (const std::string& n : MetricsImageNames(i)) stale.push_back(dir / n);
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(report::kChangeMapPrefix, 0) == 0 && e.path().extension() == ".png")
      stale.push_back(e.path());
  }
  for (const fs::path& f : stale) {
    if (!fs::is_regular_file(fs::symlink_status(f, ec))) continue;
    if (!fs::remove(f, ec) && ec)
      return Status::IoError(f.string() + ": cannot remove an earlier run's image (" +
                             ec.message() + ")");
  }
  return Status::Ok();
}

}  // namespace

int RunCompare(const std::vector<std::string>& args) {
  const std::string cmd = "compare";
  const compare::CompareOptions defaults;
  const io::LoadOptions load_defaults;
  po::options_description desc("Options");
  desc.add_options()("before", po::value<std::string>()->required(),
                     "before photo (JPEG, PNG, TIFF, WebP, BMP)")(
      "after", po::value<std::string>()->required(), "after photo, aligned onto the before photo")(
      "json", po::value<std::string>(),
      "write the JSON result to FILE ('-' = stdout); default: DIR/compare.json with --out-dir, "
      "else stdout")(
      "out-dir", po::value<std::string>(),
      "write after_aligned.png, overlap_mask.png, checkerboard.jpg, side_by_side.jpg (and "
      "metric overlays) here")("mm-per-px", po::value<double>(),
                               "physical scale of the before photo, mm per pixel (overrides a "
                               "marker)")("no-nonrigid", po::bool_switch(),
                                          "global homography only (no DIS flow residual)")(
      "no-metrics", po::bool_switch(), "align only: no skin metrics (faster)")(
      "working-size", po::value<int>()->default_value(defaults.align.working_long_side),
      "long side (px) of the images registration runs on")(
      "max-megapixels", po::value<double>()->default_value(load_defaults.max_pixels / 1e6),
      "refuse images whose header claims more megapixels")("quiet,q", po::bool_switch(),
                                                           "no summary on stderr");
  AddScaleTargetOptions(&desc, true);
  AddMetricsOptions(&desc);
  AddSessionOptions(&desc, true);
  po::positional_options_description pos;
  pos.add("before", 1).add("after", 1);
  po::variables_map vm;
  bool help = false;
  if (int rc = ParseCommandLine(cmd, "BEFORE AFTER [options]", desc, pos, args, &vm, &help);
      rc != kExitOk || help) {
    return rc;
  }

  compare::CompareOptions options;
  options.align.working_long_side = vm["working-size"].as<int>();
  if (const int w = options.align.working_long_side;
      w < align::AlignOptions::kMinWorkingLongSide || w > align::AlignOptions::kMaxWorkingLongSide)
    return Fail(cmd, Status::InvalidArgument(
                         "--working-size must be in [" +
                         std::to_string(align::AlignOptions::kMinWorkingLongSide) + ", " +
                         std::to_string(align::AlignOptions::kMaxWorkingLongSide) + "] px, got " +
                         std::to_string(w)));
  options.align.nonrigid = !vm["no-nonrigid"].as<bool>();
  if (Status st = ReadMmPerPx(vm, &options.mm_per_px); !st.ok()) return Fail(cmd, st);
  if (Status st = ReadScaleTargetOptions(vm, &options.marker); !st.ok()) return Fail(cmd, st);
  io::LoadOptions load;
  if (Status st = options.Check(); !st.ok()) return Fail(cmd, st);
  if (Status st = ReadMaxMegapixels(vm, &load); !st.ok()) return Fail(cmd, st);
  const bool with_metrics = !vm["no-metrics"].as<bool>();
  metrics::MetricsOptions metric_options;
  if (with_metrics) {
    if (Status st = ResolvePreset(vm, &metric_options); !st.ok()) return Fail(cmd, st);
  }
  const bool quiet = vm["quiet"].as<bool>();
  std::string out_dir, json_path;
  if (Status st = PrepareOutputs(vm, "compare.json", &out_dir, &json_path); !st.ok())
    return Fail(cmd, st);

  // Full-size pixels are needed for the written images and for the metrics.
  compare::LoadedPair pair;
  if (Status st = compare::LoadPair(vm["before"].as<std::string>(), vm["after"].as<std::string>(),
                                    load, options, !out_dir.empty() || with_metrics, &pair);
      !st.ok()) {
    return Fail(cmd, st);
  }
  WarnIfDamaged(cmd, pair.before);
  WarnIfDamaged(cmd, pair.after);
  cv::Mat roi;
  if (Status st = LoadRegionMask(vm, "roi", load, pair.before.image.size(), &roi); !st.ok())
    return Fail(cmd, st);
  // Colour: flat field and chart per photo (before the alignment: both are photometric).
  ColourInfo colour_before, colour_after;
  if (Status st = PrepareColour(vm, load, "before", &pair.before.image, &colour_before); !st.ok())
    return Fail(cmd, st);
  if (Status st = PrepareColour(vm, load, "after", &pair.after.image, &colour_after); !st.ok())
    return Fail(cmd, st);
  // The photos as io::LoadImage decoded them are finite (core/image.h): the stages' input
  // checks skip their scans of them, and of the images computed from them. (Named before the
  // threads below start, so that it outlives them.)
  FiniteImageScope known;
  if (!colour_before.image_replaced) known.Add(pair.before.image);
  if (!colour_after.image_replaced) known.Add(pair.after.image);
  // Register without the charts: their patch grids would dominate the evidence.
  pair.before_exclude = colour_before.chart_mask;
  pair.after_exclude = colour_after.chart_mask;
  // The scale-free half of the quality gate on a second thread beside the registration, whose
  // serial stretches (ECC, MAGSAC) leave a core idle. (OpenCV runs a parallel_for_ serially
  // while another thread is inside one: the two threads share the cores, results do not
  // depend on it.) The region's error, if any, is reported where it used to be: after the
  // registration, and only for an aligned pair.
  const Status roi_status =
      with_metrics
          ? RoiWithoutChart(pair.before.image, colour_before.chart_mask, metric_options, &roi)
          : Status::Ok();
  const bool measure_after = !vm.count("reference-roi");  // else its pixels change below
  // Once the scale is known without the alignment (ComparePair's early callback), the same
  // thread goes on to the scale-dependent half where it can (AssessPairPhotosEarly). At a low
  // priority, so that this work fills the registration's serial stretches instead of slowing
  // its parallel ones (at the normal priority the early half gained nothing).
  PairPhotoMeasures measures;
  OneShot<std::optional<double>> early_scale;
  BackgroundTask measuring(
      [&] {
        if (!with_metrics || !roi_status.ok()) return Status::Ok();
        SKINTRACK_RETURN_IF_ERROR(
            MeasurePairPhotos(pair, roi, measure_after, metric_options, &measures));
        const std::optional<std::optional<double>> mm = early_scale.Wait();
        return mm ? AssessPairPhotosEarly(*mm, &measures) : Status::Ok();
      },
      "quality", TaskPriority::kLow);
  compare::CompareResult result;
  {
    // Closed on every path: the measuring thread never waits past the registration.
    const OneShot<std::optional<double>>::CloseOnExit close(&early_scale);
    if (Status st = compare::ComparePair(pair, options, &result,
                                         [&](std::optional<double> mm) { early_scale.Set(mm); });
        !st.ok())
      return Fail(cmd, st);
  }
  const auto& a = result.alignment;
  const bool aligned = a.status != align::AlignmentStatus::kFailed;
  const bool chart_both = colour_before.state == "chart" && colour_after.state == "chart";
  if (aligned && !chart_both) {
    if (Status st = NormaliseAfterToReference(vm, load, pair.before.image, a, &pair.after.image,
                                              &colour_after);
        !st.ok())
      return Fail(cmd, st);
  }
  const std::string colour_state = chart_both ? "chart"
                                   : colour_after.state == "reference-normalised"
                                       ? "reference-normalised"
                                       : "uncalibrated";

  nlohmann::json j = report::CompareToJson(result);
  j["colour"] = {
      {"state", colour_state}, {"before", colour_before.json}, {"after", colour_after.json}};
  // An earlier run's images go first, whatever this run writes. Then the registration images:
  // they need the after photo as it is, which the metrics then take over (and free once
  // warped, before their memory peak).
  if (!out_dir.empty()) {
    if (Status st = RemoveEarlierImages(out_dir); !st.ok()) return Fail(cmd, st);
  }
  if (!out_dir.empty() && aligned) {
    if (Status st =
            report::WriteCompareImages(out_dir, pair.before.image, pair.after.image, result);
        !st.ok()) {
      return Fail(cmd, st);
    }
  }
  compare::SessionMetrics session;
  bool nothing = false;
  if (with_metrics && aligned) {
    if (!roi_status.ok()) return Fail(cmd, roi_status);
    if (Status st = measuring.Wait(); !st.ok()) return Fail(cmd, st);
    PairPhotoQuality photos;
    if (Status st = AssessPairPhotos(pair, result, metric_options, &measures, &photos); !st.ok())
      return Fail(cmd, st);
    // The luminance planes of known photos, and (CompareMetrics' contract) the after photo it
    // warps from them, for the lighting difference.
    const bool before_known = IsKnownFinite(pair.before.image),
               after_known = IsKnownFinite(pair.after.image);
    if (before_known) known.Add(photos.before_linear_y);
    if (after_known) known.Add(photos.after_linear_y);
    // The after photo is not needed past its warp: moved in, it is freed before the metrics'
    // peak. The metrics gather the change statistics' texture and colour tile sums on the way.
    const bool stats = !(vm.count("no-stats") && vm["no-stats"].as<bool>());
    const metrics::TileRequest tiles =
        stats ? compare::ChangeStatsTiles(pair.before.image.size(), result.scale.mm_per_px,
                                          metric_options, compare::ChangeStatsOptions())
              : metrics::TileRequest();
    if (Status st =
            compare::CompareMetrics(pair.before.image, std::move(pair.after.image), a, roi,
                                    result.scale.mm_per_px, metric_options, &session, tiles,
                                    photos.before_linear_y, std::move(photos.after_linear_y));
        !st.ok()) {
      return Fail(cmd, st);
    }
    if (before_known && after_known) known.Add(session.aligned_after);
    const nlohmann::json mb = report::MetricsToJson(session.before);
    const nlohmann::json ma = report::MetricsToJson(session.after);
    j["parameters"] = report::ParametersToJson(metric_options, session.before.px_per_mm);
    j["metrics"] = {{"before", mb}, {"after", ma}, {"change", report::ChangeToJson(mb, ma)}};
    if (Status st = AddPairAssessment(vm, pair.before.image, result, photos, session,
                                      metric_options, colour_state, out_dir, &j);
        !st.ok())
      return Fail(cmd, st);
    // Nothing measured (no skin in the common region, or all hair): every metric and change is
    // a meaningless zero. The JSON records the pair, then the run fails.
    nothing = session.before.roi_area_px == 0 && session.after.roi_area_px == 0;
    if (nothing) MarkNotMeaningful(quality::AllFamilies(), {}, &j["metrics"]);
  }
  if (Status st = report::WriteTextFile(json_path, j.dump(2) + "\n"); !st.ok()) {
    return Fail(cmd, st);
  }
  if (vm.count("detections") && with_metrics && aligned) {
    const nlohmann::json d = {{"schema", "skintrack.detections.v1"},
                              {"frame", "before image px, pixel centres at integers"},
                              {"before", report::DetectionsToJson(session.before.detections)},
                              {"after", report::DetectionsToJson(session.after.detections)}};
    if (Status st = report::WriteTextFile(vm["detections"].as<std::string>(), d.dump(1) + "\n");
        !st.ok())
      return Fail(cmd, st);
  }
  if (!out_dir.empty() && aligned && with_metrics) {
    if (Status st = WriteMetricsImages(out_dir, pair.before.image, session); !st.ok())
      return Fail(cmd, st);
  }
  if (!aligned) {
    // One line, also with -q: the JSON (and --out-dir's JSON) records the attempt.
    std::string why = a.reason;
    for (char& c : why) c = (c == '\n' || c == '\r') ? ' ' : c;
    return Fail(cmd,
                Status::AlignmentFailed(
                    "cannot align " + pair.before.path + " and " + pair.after.path + ": " + why +
                    (json_path != "-" ? "; the attempt is recorded in " + json_path : "")));
  }
  if (nothing) {
    return Fail(cmd, NothingToMeasure(vm, pair.before.path + " and " + pair.after.path, json_path));
  }
  if (!quiet) {
    std::cerr << "alignment " << align::AlignmentStatusName(a.status) << " (" << a.method << ", "
              << a.seconds << " s): " << a.reason << "\n";
    std::cerr << "scale " << result.scale.source;
    if (result.scale.mm_per_px) std::cerr << " (" << *result.scale.mm_per_px << " mm/px)";
    std::cerr << ": " << result.scale.reason << "\n";
    if (json_path != "-") std::cerr << "wrote " << json_path << "\n";
    if (!out_dir.empty()) std::cerr << "wrote images to " << out_dir << "\n";
  }
  return kExitOk;
}

}  // namespace skintrack::cli
