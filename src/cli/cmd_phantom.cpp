// skintrack phantom --out-dir DIR [--seed N] [--width W --height H] [--low-texture] ...
// Renders a synthetic before/after pair (or re-photographs a real image with --from-image)
// and writes before.*, after.* and truth.json.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/cli_common.h"
#include "skintrack/core/image.h"
#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/report/compare_report.h"

namespace skintrack::cli {
namespace fs = std::filesystem;

namespace {

// Rotation by `deg` (image frame, y down: positive turns clockwise as seen on screen) and
// isotropic scale about the image centre.
cv::Matx33d RotationScaleAboutCentre(double deg, double scale, cv::Size size) {
  const double r = deg * CV_PI / 180.0;
  const double cx = (size.width - 1) * 0.5, cy = (size.height - 1) * 0.5;
  const cv::Matx33d t1(1, 0, cx, 0, 1, cy, 0, 0, 1), t0(1, 0, -cx, 0, 1, -cy, 0, 0, 1);
  const cv::Matx33d rs(scale * std::cos(r), -scale * std::sin(r), 0, scale * std::sin(r),
                       scale * std::cos(r), 0, 0, 0, 1);
  return t1 * rs * t0;
}

}  // namespace

int RunPhantom(const std::vector<std::string>& args) {
  const std::string cmd = "phantom";
  const phantom::PhantomOptions d;
  const phantom::RandomCaptureOptions rd;
  po::options_description desc("Options");
  desc.add_options()("out-dir", po::value<std::string>()->required(),
                     "directory for before.*, after.*, truth.json")(
      "seed", po::value<std::uint64_t>()->default_value(d.seed),
      "random seed (deterministic output)")("width", po::value<int>()->default_value(d.width),
                                            "image width, px")(
      "height", po::value<int>()->default_value(d.height), "image height, px")(
      "px-per-mm", po::value<double>()->default_value(d.skin.px_per_mm),
      "skin sampling, px per mm")("low-texture", po::bool_switch(),
                                  "faint pores, no micro-relief, scars, wrinkles or spots")(
      "hairs", po::value<int>()->default_value(d.skin.hair_count), "number of hairs")(
      "hair-contrast-min", po::value<double>()->default_value(d.skin.hair_contrast_min),
      "hairs' Weber darkness, uniform from this (grey or blond hairs: ~0.1-0.25)")(
      "hair-contrast-max", po::value<double>()->default_value(d.skin.hair_contrast_max),
      "... to this")("striae", po::value<int>()->default_value(d.skin.striae_count),
                     "number of stretch marks")(
      "from-image", po::value<std::string>(),
      "re-photograph this real image instead of rendering skin (no treatment)")(
      "max-rotation-deg", po::value<double>()->default_value(rd.max_rotation_deg),
      "random after-capture rotation range, +-deg")(
      "max-scale-change", po::value<double>()->default_value(rd.max_scale_change),
      "random after-capture scale range, 1 +- this")(
      "max-perspective", po::value<double>()->default_value(rd.max_perspective),
      "random keystone, corner shift as a fraction of the size")(
      "rotation-deg", po::value<double>(), "fixed after-capture rotation, deg (overrides random)")(
      "still-before", po::bool_switch(),
      "before photo on the skin's pixel grid (no pose); default: a small booth-like pose")(
      "scale", po::value<double>(), "fixed after-capture scale (overrides random)")(
      "max-exposure-change", po::value<double>()->default_value(rd.max_exposure_change),
      "random exposure gain range, 1 +- this (each session)")(
      "max-white-balance-change", po::value<double>()->default_value(rd.max_white_balance_change),
      "random white-balance gain range per channel, 1 +- this")(
      "max-side-light", po::value<double>()->default_value(rd.max_side_light),
      "random side-light strength range, [0, this]")(
      "noise", po::value<double>()->default_value(rd.noise_sigma), "noise sd, linear units")(
      "blur", po::value<double>()->default_value(rd.blur_sigma_px), "blur sigma, px")(
      "jpeg-quality", po::value<int>()->default_value(rd.jpeg_quality),
      "JPEG quality of the written photos (0 = lossless PNG)")(
      "pore-radius-scale", po::value<double>()->default_value(d.treatment.pore_radius_scale),
      "treatment: pore radius factor")(
      "pore-close-fraction", po::value<double>()->default_value(d.treatment.pore_close_fraction),
      "treatment: fraction of pores that close")(
      "scar-contrast-scale", po::value<double>()->default_value(d.treatment.scar_contrast_scale),
      "treatment: scar contrast factor")(
      "wrinkle-contrast-scale",
      po::value<double>()->default_value(d.treatment.wrinkle_contrast_scale),
      "treatment: wrinkle contrast factor")(
      "redness-scale", po::value<double>()->default_value(d.treatment.redness_scale),
      "treatment: redness factor")(
      "relief-scale", po::value<double>()->default_value(d.treatment.micro_relief_scale),
      "treatment: micro-relief amplitude factor")(
      "marker-mm", po::value<double>()->default_value(d.marker.side_mm),
      "put a printed ArUco marker of this side (mm, black border) on the skin; 0 = none")(
      "marker-in", po::value<std::string>()->default_value("both"),
      "which capture shows the marker: before, after or both")(
      "marker-id", po::value<int>()->default_value(d.marker.id), "marker id")(
      "marker-dictionary", po::value<std::string>()->default_value(d.marker.dictionary),
      "ArUco dictionary of the marker")(
      "chart-width", po::value<double>()->default_value(d.chart.width_fraction),
      "put a ColorChecker (24 patches) on the skin, this fraction of the image width wide "
      "(0.3-0.4 for `compare --chart`); 0 = none");
  po::positional_options_description pos;
  po::variables_map vm;
  bool help = false;
  if (int rc = ParseCommandLine(cmd, "--out-dir DIR [options]", desc, pos, args, &vm, &help);
      rc != kExitOk || help) {
    return rc;
  }

  phantom::PhantomOptions o;
  o.seed = vm["seed"].as<std::uint64_t>();
  o.width = vm["width"].as<int>();
  o.height = vm["height"].as<int>();
  o.skin.px_per_mm = vm["px-per-mm"].as<double>();
  o.skin.low_texture = vm["low-texture"].as<bool>();
  o.skin.hair_count = vm["hairs"].as<int>();
  o.skin.hair_contrast_min = vm["hair-contrast-min"].as<double>();
  o.skin.hair_contrast_max = vm["hair-contrast-max"].as<double>();
  o.skin.striae_count = vm["striae"].as<int>();
  o.treatment.pore_radius_scale = vm["pore-radius-scale"].as<double>();
  o.treatment.pore_close_fraction = vm["pore-close-fraction"].as<double>();
  o.treatment.scar_contrast_scale = vm["scar-contrast-scale"].as<double>();
  o.treatment.wrinkle_contrast_scale = vm["wrinkle-contrast-scale"].as<double>();
  o.treatment.redness_scale = vm["redness-scale"].as<double>();
  o.treatment.micro_relief_scale = vm["relief-scale"].as<double>();
  o.marker.side_mm = vm["marker-mm"].as<double>();
  o.marker.id = vm["marker-id"].as<int>();
  o.marker.dictionary = vm["marker-dictionary"].as<std::string>();
  const std::string marker_in = vm["marker-in"].as<std::string>();
  if (marker_in != "before" && marker_in != "after" && marker_in != "both") {
    return Fail(cmd, Status::InvalidArgument("--marker-in must be before, after or both, got '" +
                                             marker_in + "'"));
  }
  o.marker.in_before = marker_in != "after";
  o.marker.in_after = marker_in != "before";
  if (o.marker.side_mm < 0.0)
    return Fail(cmd, Status::InvalidArgument("--marker-mm must be >= 0 (0 = no marker)"));
  o.chart.width_fraction = vm["chart-width"].as<double>();
  if (!(o.chart.width_fraction == 0.0 ||
        (o.chart.width_fraction >= 0.05 && o.chart.width_fraction <= 0.9)))
    return Fail(cmd, Status::InvalidArgument(
                         "--chart-width must be 0 (no chart) or in [0.05, 0.9] of the width"));

  phantom::RandomCaptureOptions rc;
  rc.max_rotation_deg = vm["max-rotation-deg"].as<double>();
  rc.max_scale_change = vm["max-scale-change"].as<double>();
  rc.max_perspective = vm["max-perspective"].as<double>();
  rc.max_exposure_change = vm["max-exposure-change"].as<double>();
  rc.max_white_balance_change = vm["max-white-balance-change"].as<double>();
  rc.max_side_light = vm["max-side-light"].as<double>();
  rc.noise_sigma = vm["noise"].as<double>();
  rc.blur_sigma_px = vm["blur"].as<double>();
  rc.jpeg_quality = 0;  // the written file is the JPEG: encode once, at write time
  const int jpeg_quality = vm["jpeg-quality"].as<int>();
  if (jpeg_quality < 0 || jpeg_quality > 100)
    return Fail(cmd, Status::InvalidArgument("--jpeg-quality must be in [0, 100]"));
  if (Status st = rc.Check(); !st.ok()) return Fail(cmd, st);

  const bool from_image = vm.count("from-image") > 0;
  if (from_image && (o.marker.side_mm > 0.0 || o.chart.width_fraction > 0.0)) {
    return Fail(cmd, Status::InvalidArgument("--marker-mm and --chart-width need a rendered skin "
                                             "(its mm scale); not with --from-image"));
  }
  io::LoadedImage source;
  if (from_image) {
    if (Status st = io::LoadImage(vm["from-image"].as<std::string>(), io::LoadOptions(), &source);
        !st.ok()) {
      return Fail(cmd, st);
    }
    WarnIfDamaged(cmd, source);
    o.width = source.image.cols;
    o.height = source.image.rows;
  }
  const cv::Size size(o.width, o.height);
  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + 7);
  // Before: a small booth-like pose (rotation +-2 deg, scale +-2 %, translation +-1 %, keystone
  // 1 %), so that both photos are resampled from the skin as two camera photos are: a before
  // photo on the skin's pixel grid (--still-before) reads 3-7 % rougher than any posed one
  // (docs/accuracy.md, diagnostics), a texture "change" no real pair has. Still with
  // --rotation-deg / --scale, whose values are then the true rotation and scale between the
  // photos.
  const bool still_before =
      vm["still-before"].as<bool>() || vm.count("rotation-deg") || vm.count("scale");
  phantom::RandomCaptureOptions before_pose = rc;
  before_pose.max_rotation_deg = still_before ? 0.0 : std::min(2.0, rc.max_rotation_deg);
  before_pose.max_scale_change = still_before ? 0.0 : std::min(0.02, rc.max_scale_change);
  before_pose.max_translation_fraction =
      still_before ? 0.0 : std::min(0.01, rc.max_translation_fraction);
  before_pose.max_perspective = still_before ? 0.0 : std::min(0.01, rc.max_perspective);
  o.before_capture = phantom::RandomCapture(before_pose, size, rng);
  o.after_capture = phantom::RandomCapture(rc, size, rng);
  if (vm.count("rotation-deg") || vm.count("scale")) {
    const double deg = vm.count("rotation-deg") ? vm["rotation-deg"].as<double>() : 0.0;
    const double s = vm.count("scale") ? vm["scale"].as<double>() : 1.0;
    if (!(s > 0.2 && s < 5.0))
      return Fail(cmd, Status::InvalidArgument("--scale must be in (0.2, 5)"));
    phantom::RandomCaptureOptions fixed = rc;
    fixed.max_rotation_deg = 0.0;
    fixed.max_scale_change = 0.0;
    std::mt19937_64 rng2(o.seed * 0x9E3779B97F4A7C15ull + 11);
    o.after_capture = phantom::RandomCapture(fixed, size, rng2);
    o.after_capture.image_from_skin =
        o.after_capture.image_from_skin * RotationScaleAboutCentre(deg, s, size);
  }
  if (Status st = o.Check(); !st.ok()) return Fail(cmd, st);

  phantom::PhantomPair pair;
  if (from_image) {
    if (Status st =
            phantom::ApplyCapture(source.image, o.before_capture, size, o.seed, &pair.before);
        !st.ok()) {
      return Fail(cmd, st);
    }
    if (Status st =
            phantom::ApplyCapture(source.image, o.after_capture, size, o.seed + 1, &pair.after);
        !st.ok()) {
      return Fail(cmd, st);
    }
    pair.truth.before_from_skin = o.before_capture.image_from_skin;
    pair.truth.after_from_skin = o.after_capture.image_from_skin;
    pair.truth.after_to_before = pair.truth.before_from_skin * pair.truth.after_from_skin.inv();
  } else if (Status st = phantom::RenderPair(o, &pair); !st.ok()) {
    return Fail(cmd, st);
  }

  const std::string out_dir = vm["out-dir"].as<std::string>();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec)
    return Fail(cmd, Status::IoError(out_dir + ": cannot create directory (" + ec.message() + ")"));
  const std::string ext = jpeg_quality > 0 ? ".jpg" : ".png";
  const std::string before_path = (fs::path(out_dir) / ("before" + ext)).string();
  const std::string after_path = (fs::path(out_dir) / ("after" + ext)).string();
  if (Status st = io::WriteImage(before_path, pair.before, jpeg_quality); !st.ok())
    return Fail(cmd, st);
  if (Status st = io::WriteImage(after_path, pair.after, jpeg_quality); !st.ok())
    return Fail(cmd, st);
  nlohmann::json truth = phantom::TruthToJson(pair.truth, o);
  truth["before_image"] = "before" + ext;
  truth["after_image"] = "after" + ext;
  truth["jpeg_quality"] = jpeg_quality;
  if (from_image) truth["source_image"] = source.path;
  const std::string truth_path = (fs::path(out_dir) / "truth.json").string();
  if (Status st = report::WriteTextFile(truth_path, truth.dump(2) + "\n"); !st.ok())
    return Fail(cmd, st);
  std::cerr << "wrote " << before_path << ", " << after_path << ", " << truth_path << "\n";
  return kExitOk;
}

}  // namespace skintrack::cli
