#include "cli/metrics_cli.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace skintrack::cli {
namespace fs = std::filesystem;

void AddMetricsOptions(po::options_description* desc) {
  desc->add_options()(
      "preset", po::value<std::string>()->default_value("default"),
      "metric scales/thresholds: a name in models/ (default, face, body, dermoscope) or a "
      ".preset file")(
      "roi", po::value<std::string>(),
      "mask image (non-zero = measure) in the (before) image frame; default: automatic skin mask")(
      "detections", po::value<std::string>(),
      "write every detected pore, scar, wrinkle and stretch mark to this JSON file");
}

std::string ModelsDir() {
  if (const char* env = std::getenv("SKINTRACK_MODELS_DIR"); env && *env) return env;
  return SKINTRACK_SOURCE_MODELS_DIR;
}

Status ResolvePreset(const po::variables_map& vm, metrics::MetricsOptions* options) {
  const std::string name = vm["preset"].as<std::string>();
  fs::path path(name);
  if (name.find('/') == std::string::npos && path.extension() != ".preset") {
    path = fs::path(ModelsDir()) / (name + ".preset");
  }
  std::ifstream in(path);
  if (!in) {
    return Status::InvalidArgument("--preset " + name + ": cannot read " + path.string() +
                                   " (known presets: default, face, body, dermoscope)");
  }
  std::stringstream text;
  text << in.rdbuf();
  *options = metrics::MetricsOptions();
  if (Status st = metrics::ParsePreset(text.str(), options); !st.ok()) {
    return Status::InvalidArgument(path.string() + ": " + st.message());
  }
  return Status::Ok();
}

}  // namespace skintrack::cli
