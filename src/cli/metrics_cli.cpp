#include "cli/metrics_cli.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "skintrack/io/file_io.h"

namespace skintrack::cli {
namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kMaxPresetBytes = 1 << 20;  // 1 MiB (the bundled ones are ~1 kB)
}  // namespace

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

Status NothingToMeasure(const po::variables_map& vm, const std::string& photos,
                        const std::string& json_path) {
  const std::string recorded =
      json_path == "-" ? std::string()
                       : "; the result (every metric marked not meaningful) is in " + json_path;
  if (vm.count("roi")) {
    return Status::InvalidInput(vm["roi"].as<std::string>() + ": nothing left to measure in " +
                                photos + ": the region (within the photos' overlap) is all hair" +
                                recorded);
  }
  return Status::InvalidInput(
      photos +
      ": no skin to measure: the automatic skin mask found no skin-coloured pixels (a "
      "greyscale, very dark or non-skin photo?); give the region with --roi MASK.png" +
      recorded);
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
  // A preset is a short text file (~1 kB): a directory, FIFO, device or huge file is refused
  // before reading (it could block, or fill the memory).
  std::string text;
  if (Status st = io::ReadSmallFile(path.string(), kMaxPresetBytes, "a preset", &text); !st.ok()) {
    return Status::InvalidArgument("--preset " + name + ": " + st.message() +
                                   " (known presets: default, face, body, dermoscope)");
  }
  *options = metrics::MetricsOptions();
  if (Status st = metrics::ParsePreset(text, options); !st.ok()) {
    return Status::InvalidArgument(path.string() + ": " + st.message());
  }
  return Status::Ok();
}

}  // namespace skintrack::cli
