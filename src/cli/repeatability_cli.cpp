// skintrack repeatability IMAGES... [--json FILE|-] [--out-dir DIR] [--model-out FILE]
//                        [--mm-per-px X] [--roi MASK] [--preset NAME] [--quiet]
//
// The first photo is the reference; every other photo is aligned onto it (compare's
// registration). All photos are measured over ONE region in the reference frame: the
// intersection of every aligned photo's overlap (less the warp kernel's reach, as compare), the
// user ROI (or every photo's automatic skin mask), minus hair seen in any photo. Per metric (those
// with per-tile sums, docs/statistics.md): the values of the k photos -> mean, CV % (SD / mean),
// SEM (the SD of the k values: one subject, so ICC cannot separate subjects), MDC95 = 1.96 sqrt(2)
// SEM; and ICC(2,1) with the TILES as subjects (tiles x photos matrix of per-tile values; tiles
// where a ratio has no support in some photo are left out), i.e. how reliably the change maps
// repeat.
#include "cli/repeatability_cli.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "cli/cli_common.h"
#include "cli/metrics_cli.h"
#include "skintrack/align/align.h"
#include "skintrack/compare/change_stats.h"
#include "skintrack/compare/compare.h"
#include "skintrack/core/image.h"
#include "skintrack/io/image_io.h"
#include "skintrack/photometric/color.h"
#include "skintrack/report/compare_report.h"
#include "skintrack/roi/roi.h"
#include "skintrack/stats/repeatability.h"

namespace skintrack::cli {
namespace {

using nlohmann::json;

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

struct Photo {
  io::LoadedImage loaded;            // the reference only (the others are loaded when warped)
  cv::Mat hair;                      // in the reference frame
  align::AlignmentResult alignment;  // onto the reference (status kFailed: not aligned yet)
};

}  // namespace

int RunRepeatability(const std::vector<std::string>& args) {
  const std::string cmd = "repeatability";
  const io::LoadOptions load_defaults;
  po::options_description desc("Options");
  desc.add_options()("images", po::value<std::vector<std::string>>()->multitoken(),
                     "photos of the same unchanged skin (>= 2; the first is the reference)")(
      "json", po::value<std::string>(),
      "write the JSON result to FILE ('-' = stdout); default: DIR/repeatability.json with "
      "--out-dir, else stdout")("out-dir", po::value<std::string>(), "output directory")(
      "model-out", po::value<std::string>(),
      "also write these figures as a repeatability model (models/repeatability.json format)")(
      "mm-per-px", po::value<double>(), "physical scale of the reference photo, mm per pixel")(
      "preset", po::value<std::string>()->default_value("default"),
      "metric scales/thresholds: a name in models/ or a .preset file")(
      "roi", po::value<std::string>(),
      "mask image (non-zero = measure) in the reference frame; default: automatic skin mask")(
      "max-megapixels", po::value<double>()->default_value(load_defaults.max_pixels / 1e6),
      "refuse images whose header claims more megapixels")("quiet,q", po::bool_switch(),
                                                           "no table on stderr");
  po::positional_options_description pos;
  pos.add("images", -1);
  po::variables_map vm;
  bool help = false;
  if (int rc =
          ParseCommandLine(cmd, "IMAGE IMAGE [IMAGE...] [options]", desc, pos, args, &vm, &help);
      rc != kExitOk || help) {
    return rc;
  }
  const std::vector<std::string> paths =
      vm.count("images") ? vm["images"].as<std::vector<std::string>>() : std::vector<std::string>();
  if (paths.size() < 2) {
    std::cerr << "skintrack repeatability: error: give at least 2 photos of the same skin\n";
    return kExitUsage;
  }
  compare::CompareOptions options;
  options.detect_marker = false;  // registration only: the scale is --mm-per-px or unknown
  if (Status st = ReadMmPerPx(vm, &options.mm_per_px); !st.ok()) return Fail(cmd, st);
  io::LoadOptions load;
  if (Status st = options.Check(); !st.ok()) return Fail(cmd, st);
  if (Status st = ReadMaxMegapixels(vm, &load); !st.ok()) return Fail(cmd, st);
  metrics::MetricsOptions mo;
  if (Status st = ResolvePreset(vm, &mo); !st.ok()) return Fail(cmd, st);
  std::string out_dir, json_path;
  if (Status st = PrepareOutputs(vm, "repeatability.json", &out_dir, &json_path); !st.ok())
    return Fail(cmd, st);
  const bool quiet = vm["quiet"].as<bool>();

  // Every file's header first (a bad photo fails before any work), then the reference.
  for (const std::string& path : paths) {
    io::ImageHeader header;
    if (Status st = io::ReadImageHeader(path, &header); !st.ok()) return Fail(cmd, st);
  }
  std::vector<Photo> photos(paths.size());
  if (Status st = io::LoadImage(paths[0], load, &photos[0].loaded); !st.ok()) return Fail(cmd, st);
  WarnIfDamaged(cmd, photos[0].loaded);
  const cv::Mat& ref = photos[0].loaded.image;
  const cv::Mat ref_y = photometric::SrgbToLinearLuminance(ref);
  // Decoded photos are finite (core/image.h), and so is what is computed from them (their
  // luminance, WarpForMeasuring's warps): the stages' input checks skip their scans of them.
  const FiniteImageScope known{ref, ref_y};
  cv::Mat roi;
  if (Status st = LoadRegionMask(vm, "roi", load, ref.size(), &roi); !st.ok()) return Fail(cmd, st);
  const double px_per_mm = mo.PxPerMm(options.mm_per_px, ref.size());

  // A photo in the reference frame as compare measures it: the reference itself, or loaded,
  // aligned (the first time) and warped (WarpForMeasuring; deterministic, so the second pass
  // warps exactly as the first). Only one photo's full-size copies are held at a time (~0.4 GB
  // at 12 MP), so the memory does not grow with the number of photos.
  struct Warped {
    cv::Mat aligned, texture, overlap;
  };
  auto warp = [&](size_t i, Warped* w) -> Status {
    if (i == 0) {
      w->aligned = ref;
      w->texture = ref_y;
      return Status::Ok();
    }
    Photo& p = photos[i];
    io::LoadedImage loaded;
    SKINTRACK_RETURN_IF_ERROR(io::LoadImage(paths[i], load, &loaded));
    const FiniteImageScope loaded_known{loaded.image};
    if (p.alignment.status == align::AlignmentStatus::kFailed) {  // not aligned yet
      WarnIfDamaged(cmd, loaded);  // once per photo: the first of its two loads
      compare::CompareResult cr;
      SKINTRACK_RETURN_IF_ERROR(compare::ComparePair(ref, loaded.image, options, &cr));
      if (cr.alignment.status == align::AlignmentStatus::kFailed)
        return Status::AlignmentFailed(paths[i] + ": cannot be aligned onto " + paths[0] + " (" +
                                       cr.alignment.reason + ")");
      p.alignment = cr.alignment;
    }
    // As CompareMetrics: bicubic for the metrics, Lanczos for the texture.
    return compare::WarpForMeasuring(ref, loaded.image, p.alignment, &w->aligned, &w->texture,
                                     &w->overlap, ref_y);
  };

  // Pass 1: the region common to all photos (overlaps, skin masks, hair of any photo) and the
  // texture's region (no pixel clipped in any photo).
  cv::Mat region(ref.size(), CV_8UC1, cv::Scalar(255));
  if (!roi.empty()) region &= roi;
  cv::Mat hair_any = cv::Mat::zeros(ref.size(), CV_8UC1);
  cv::Mat clipped_any = cv::Mat::zeros(ref.size(), CV_8UC1);
  for (size_t i = 0; i < photos.size(); ++i) {
    Photo& p = photos[i];
    Warped w;
    if (Status st = warp(i, &w); !st.ok()) return Fail(cmd, st);
    const FiniteImageScope warped_known{w.aligned, w.texture};
    if (!w.overlap.empty()) region &= w.overlap;
    if (Status st = roi::HairMask(w.aligned, px_per_mm, mo.hair, &p.hair); !st.ok())
      return Fail(cmd, st);
    hair_any |= p.hair;
    if (roi.empty()) {
      cv::Mat skin;
      if (Status st = roi::SkinMask(w.aligned, mo.skin, &skin); !st.ok()) return Fail(cmd, st);
      region &= skin;
    }
    clipped_any |= compare::ClippedPixels(w.aligned);
  }
  region &= ~hair_any;
  const cv::Mat texture_region = region & ~clipped_any;  // as compare's texture_region
  if (cv::countNonZero(region) < 64 * 64)
    return Fail(cmd,
                Status::InvalidInput(paths[0] + ": the region common to all photos is "
                                                "smaller than 64x64 px (check overlap or --roi)"));

  // Pass 2: every photo measured over the common region (the metrics gather the texture and
  // colour tile sums on the way), and its per-tile sums against the reference.
  const compare::ChangeStatsOptions cso;
  metrics::AnalyzeExtras extras;
  extras.tiles = compare::ChangeStatsTiles(ref.size(), options.mm_per_px, mo, cso);
  extras.measure_texture = false;  // measured below, on the texture warp and region
  extras.marginal = true;          // pores and wrinkles paired with the reference, as compare
  // values[key][photo] (whole region) and tile values[key][tile][photo].
  std::map<std::string, std::vector<double>> values;
  // Tiles keyed by grid cell (row * columns + column), so that the photos' tiles match.
  std::map<std::string, std::map<int, std::vector<double>>> tile_values;
  std::map<std::string, std::map<int, bool>> tile_ok;
  metrics::MetricsResult reference;
  for (size_t i = 0; i < photos.size(); ++i) {
    Warped w;
    if (Status st = warp(i, &w); !st.ok()) return Fail(cmd, st);
    metrics::MetricsResult measured;
    // Its luminance, converted once for its metrics, GuidePores and GuideWrinkles below.
    const cv::Mat aligned_y = i == 0 ? ref_y : photometric::SrgbToLinearLuminance(w.aligned);
    const FiniteImageScope warped_known{w.aligned, w.texture, aligned_y};
    extras.linear_y = aligned_y;
    if (Status st = metrics::Analyze(w.aligned, region, photos[i].hair, options.mm_per_px, mo,
                                     &measured, extras);
        !st.ok())
      return Fail(cmd, st);
    extras.linear_y = cv::Mat();
    if (Status st = metrics::MeasureTextureOnly(w.aligned, texture_region, photos[i].hair,
                                                options.mm_per_px, mo, measured.detections,
                                                &measured.texture, &measured.tiles, w.texture);
        !st.ok())
      return Fail(cmd, st);
    if (i == 0) {
      reference = std::move(measured);
      continue;
    }
    compare::SessionMetrics s;
    s.before = reference;
    s.after = std::move(measured);
    // As compare measures a pair: each photo's pores and wrinkles paired with the reference's
    // (the reference's own values: paired with the second photo, taken at i == 1).
    metrics::PairPores(&s.before, &s.after);
    metrics::PairWrinkles(&s.before, &s.after);
    if (Status st = metrics::GuidePores(ref_y, aligned_y, region, &s.before, &s.after); !st.ok())
      return Fail(cmd, st);
    if (Status st = metrics::GuideWrinkles(ref_y, aligned_y, region, &s.before, &s.after); !st.ok())
      return Fail(cmd, st);
    s.region = region;
    s.aligned_after = w.aligned;
    s.texture_after = w.texture;
    s.texture_region = texture_region;
    std::vector<compare::MetricTiles> tiles;
    if (Status st = compare::ComputeTileSums(ref, s, options.mm_per_px, mo, cso, &tiles); !st.ok())
      return Fail(cmd, st);
    for (const compare::MetricTiles& t : tiles) {
      double nb = 0, db = 0, na = 0, da = 0;
      auto& tv = tile_values[t.key];
      auto& ok = tile_ok[t.key];
      for (size_t k = 0; k < t.tiles.size(); ++k) {
        const stats::TileSums& ts = t.tiles[k];
        const int cell = t.cells[k].y * t.grid.width + t.cells[k].x;
        nb += ts.numerator_before;
        db += ts.denominator_before;
        na += ts.numerator_after;
        da += ts.denominator_after;
        std::vector<double>& row = tv[cell];
        if (row.empty()) {  // first time this tile is seen: the reference's value first
          row.push_back(
              stats::RatioValue(t.metric, ts.numerator_before, ts.denominator_before, false));
          ok[cell] = true;
        }
        row.push_back(stats::RatioValue(t.metric, ts.numerator_after, ts.denominator_after, true));
        if (!(ts.denominator_before > 0) || !(ts.denominator_after > 0) || row.size() != i + 1)
          ok[cell] = false;
      }
      auto& v = values[t.key];
      if (i == 1) v.push_back(stats::RatioValue(t.metric, nb, db, false));
      v.push_back(stats::RatioValue(t.metric, na, da, true));
    }
  }

  json metrics_json = json::object();
  stats::RepeatabilityModel model;
  char prov[256];
  std::snprintf(prov, sizeof(prov),
                "skintrack repeatability: %zu photos of one skin area, "
                "reference %s",
                paths.size(), paths[0].c_str());
  model.provenance = prov;
  if (!quiet)
    std::fprintf(stderr, "%-40s %11s %8s %11s %11s %8s %7s\n", "metric", "mean", "CV %", "SEM",
                 "MDC95", "ICC", "tiles");
  for (const auto& [key, v] : values) {
    stats::RepeatabilityResult whole;
    if (!stats::ComputeRepeatability({v}, &whole).ok()) continue;
    std::vector<std::vector<double>> rows;
    const auto& tv = tile_values[key];
    const auto& ok = tile_ok[key];
    for (const auto& [cell, row] : tv)
      if (ok.at(cell) && row.size() == v.size()) rows.push_back(row);
    stats::RepeatabilityResult tiles;
    std::optional<double> icc;
    if (rows.size() >= 2 && stats::ComputeRepeatability(rows, &tiles).ok()) icc = tiles.icc;
    stats::MetricRepeatability entry = stats::ToModelEntry(whole, prov);
    entry.icc = icc;
    model.metrics[key] = entry;
    metrics_json[key] = {{"values", v},
                         {"mean", whole.mean},
                         {"cv_percent", Opt(whole.cv_percent)},
                         {"sem", whole.sem},
                         {"mdc95", whole.mdc95},
                         {"mdc95_percent", entry.mdc95_percent},
                         {"icc", Opt(icc)},
                         {"icc_subjects", "tiles"},
                         {"icc_tiles", static_cast<int>(rows.size())}};
    if (!quiet)
      std::fprintf(stderr, "%-40s %11.5g %8s %11.4g %11.4g %8s %7zu\n", key.c_str(), whole.mean,
                   whole.cv_percent ? cv::format("%.2f", *whole.cv_percent).c_str() : "-",
                   whole.sem, whole.mdc95, icc ? cv::format("%.3f", *icc).c_str() : "-",
                   rows.size());
  }
  json images = json::array();
  for (size_t i = 0; i < photos.size(); ++i) {
    json e = {{"path", paths[i]}};
    if (i > 0) {
      e["alignment"] = align::AlignmentStatusName(photos[i].alignment.status);
      e["ecc"] = photos[i].alignment.ecc;
    }
    images.push_back(e);
  }
  const json j = {
      {"schema", "skintrack.repeatability.v1"},
      {"images", images},
      {"region_px", cv::countNonZero(region)},
      {"scale",
       {{"mm_per_px", Opt(options.mm_per_px)}, {"source", options.mm_per_px ? "user" : "none"}}},
      {"sem_definition", "SD of the photos' values (one subject)"},
      {"icc_definition", "ICC(2,1), tiles as subjects, photos as repeats"},
      {"metrics", metrics_json}};
  if (Status st = report::WriteTextFile(json_path, j.dump(2) + "\n"); !st.ok())
    return Fail(cmd, st);
  if (vm.count("model-out")) {
    if (Status st = report::WriteTextFile(vm["model-out"].as<std::string>(),
                                          stats::RepeatabilityModelToJson(model).dump(2) + "\n");
        !st.ok())
      return Fail(cmd, st);
  }
  if (!quiet && json_path != "-") std::cerr << "wrote " << json_path << "\n";
  return kExitOk;
}

}  // namespace skintrack::cli
