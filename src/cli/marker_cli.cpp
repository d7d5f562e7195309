#include "cli/marker_cli.h"

#include <string>

namespace skintrack::cli {

void AddScaleTargetOptions(po::options_description* desc, bool with_marker) {
  const calib::MarkerOptions d;
  if (with_marker) {
    desc->add_options()("marker-mm", po::value<double>()->default_value(d.side_mm),
                        "side of the ArUco scale marker in the photo (black border), mm")(
        "marker-dictionary", po::value<std::string>()->default_value(d.dictionary),
        "ArUco dictionary of the scale marker (and of a ChArUco board's markers)");
  }
  desc->add_options()("charuco", po::value<std::string>(),
                      "a ChArUco board instead of a marker: squares across x down, e.g. 5x7")(
      "charuco-square-mm", po::value<double>()->default_value(d.charuco_square_mm),
      "ChArUco chessboard square side, mm")(
      "charuco-marker-mm", po::value<double>()->default_value(d.charuco_marker_mm),
      "side of the markers in the ChArUco board's white squares, mm");
}

Status ReadScaleTargetOptions(const po::variables_map& vm, calib::MarkerOptions* options) {
  if (vm.count("marker-mm")) {
    options->side_mm = vm["marker-mm"].as<double>();
    if (!(options->side_mm > 0.0 && options->side_mm <= 1000.0))  // (NaN fails too)
      return Status::InvalidArgument("--marker-mm must be in (0, 1000] mm, got " +
                                     FormatNumber(options->side_mm));
  }
  if (vm.count("marker-dictionary"))
    options->dictionary = vm["marker-dictionary"].as<std::string>();
  if (!vm.count("charuco")) {
    for (const char* flag : {"charuco-square-mm", "charuco-marker-mm"}) {
      if (vm.count(flag) && !vm[flag].defaulted())
        return Status::InvalidArgument(std::string("--") + flag + " needs --charuco WxH");
    }
  }
  if (vm.count("charuco")) {
    const std::string v = vm["charuco"].as<std::string>();
    const size_t x = v.find_first_of("xX");
    int w = 0, h = 0;
    try {
      size_t used_w = 0, used_h = 0;
      if (x != std::string::npos) {
        w = std::stoi(v.substr(0, x), &used_w);
        h = std::stoi(v.substr(x + 1), &used_h);
      }
      if (x == std::string::npos || used_w != x || used_h != v.size() - x - 1) w = h = 0;
    } catch (const std::exception&) {
      w = h = 0;
    }
    if (w <= 0 || h <= 0)
      return Status::InvalidArgument("--charuco '" + v + "': expected squares as WxH, e.g. 5x7");
    options->charuco_squares_x = w;
    options->charuco_squares_y = h;
    options->charuco_square_mm = vm["charuco-square-mm"].as<double>();
    options->charuco_marker_mm = vm["charuco-marker-mm"].as<double>();
    // Name the flags, not the option fields, in what the user reads.
    if (Status st = options->Check(); !st.ok())
      return Status::InvalidArgument(
          "--charuco " + v + " --charuco-square-mm " + FormatNumber(options->charuco_square_mm) +
          " --charuco-marker-mm " + FormatNumber(options->charuco_marker_mm) + ": " + st.message());
  }
  return options->Check();
}

}  // namespace skintrack::cli
