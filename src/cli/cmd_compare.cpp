// skintrack compare BEFORE AFTER [--json FILE|-] [--out-dir DIR] [--mm-per-px X] [--no-nonrigid]
#include <filesystem>
#include <iostream>

#include "cli/cli_common.h"
#include "skintrack/compare/compare.h"
#include "skintrack/io/image_io.h"
#include "skintrack/report/compare_report.h"

namespace skintrack::cli {

int RunCompare(const std::vector<std::string>& args) {
  const std::string cmd = "compare";
  const compare::CompareOptions defaults;
  const io::LoadOptions load_defaults;
  po::options_description desc("Options");
  desc.add_options()
      ("before", po::value<std::string>()->required(), "before photo (JPEG, PNG, TIFF, WebP, BMP)")
      ("after", po::value<std::string>()->required(), "after photo, aligned onto the before photo")
      ("json", po::value<std::string>(),
       "write the JSON result to FILE ('-' = stdout); default: DIR/compare.json with --out-dir, "
       "else stdout")
      ("out-dir", po::value<std::string>(),
       "write after_aligned.png, overlap_mask.png, checkerboard.jpg, side_by_side.jpg here")
      ("mm-per-px", po::value<double>(), "physical scale of the before photo, mm per pixel")
      ("no-nonrigid", po::bool_switch(), "global homography only (no DIS flow residual)")
      ("working-size", po::value<int>()->default_value(defaults.align.working_long_side),
       "long side (px) of the images registration runs on")
      ("max-megapixels", po::value<double>()->default_value(load_defaults.max_pixels / 1e6),
       "refuse images whose header claims more megapixels")
      ("quiet,q", po::bool_switch(), "no summary on stderr");
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
  options.align.nonrigid = !vm["no-nonrigid"].as<bool>();
  if (vm.count("mm-per-px")) options.mm_per_px = vm["mm-per-px"].as<double>();
  io::LoadOptions load;
  load.max_pixels = static_cast<std::int64_t>(vm["max-megapixels"].as<double>() * 1e6);
  if (Status st = options.Check(); !st.ok()) return Fail(cmd, st);
  if (Status st = load.Check(); !st.ok()) return Fail(cmd, st);
  const bool quiet = vm["quiet"].as<bool>();
  const std::string out_dir = vm.count("out-dir") ? vm["out-dir"].as<std::string>() : "";
  std::string json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  if (json_path.empty()) {
    json_path = out_dir.empty() ? "-" : (std::filesystem::path(out_dir) / "compare.json").string();
  }
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) return Fail(cmd, Status::IoError(out_dir + ": cannot create directory (" +
                                             ec.message() + ")"));
  }

  // Full-size pixels are needed only for the images written with --out-dir.
  compare::LoadedPair pair;
  if (Status st = compare::LoadPair(vm["before"].as<std::string>(), vm["after"].as<std::string>(),
                                    load, options, !out_dir.empty(), &pair);
      !st.ok()) {
    return Fail(cmd, st);
  }
  compare::CompareResult result;
  if (Status st = compare::ComparePair(pair, options, &result); !st.ok()) return Fail(cmd, st);

  const auto& a = result.alignment;
  if (Status st = report::WriteTextFile(json_path, report::CompareToJson(result).dump(2) + "\n");
      !st.ok()) {
    return Fail(cmd, st);
  }
  if (!out_dir.empty() && a.status != align::AlignmentStatus::kFailed) {
    if (Status st = report::WriteCompareImages(out_dir, pair.before.image, pair.after.image, result);
        !st.ok()) {
      return Fail(cmd, st);
    }
  }
  if (!quiet) {
    std::cerr << "alignment " << align::AlignmentStatusName(a.status) << " (" << a.method
              << ", " << a.seconds << " s): " << a.reason << "\n";
    if (json_path != "-") std::cerr << "wrote " << json_path << "\n";
    if (!out_dir.empty() && a.status != align::AlignmentStatus::kFailed)
      std::cerr << "wrote images to " << out_dir << "\n";
  }
  return a.status == align::AlignmentStatus::kFailed ? kExitAlignFailed : kExitOk;
}

}  // namespace skintrack::cli
