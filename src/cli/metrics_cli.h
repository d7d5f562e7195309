// CLI options shared by `analyze` and `compare` for the metrics: --preset, --roi,
// --detections, --mm-per-px handling.
#pragma once

#include <optional>
#include <string>

#include "cli/cli_common.h"
#include "skintrack/metrics/metrics.h"

namespace skintrack::cli {

// Adds --preset, --roi, --detections to `desc`.
void AddMetricsOptions(po::options_description* desc);

// Reads the preset named in vm (a name in the models directory or a .preset path) into
// *options. Errors name the preset file.
Status ResolvePreset(const po::variables_map& vm, metrics::MetricsOptions* options);

// The error for a measurement that found nothing to measure (the measured region, after hair,
// has 0 px): kInvalidInput naming `photos` (one path, or "A and B"), or the --roi mask when vm
// has one. Without a mask the automatic skin mask found no skin (a greyscale, very dark or
// non-skin photo): the message says to give the region with --roi.
// `json_path` ("-" for stdout) is named as where the result is recorded.
Status NothingToMeasure(const po::variables_map& vm, const std::string& photos,
                        const std::string& json_path);

// Path of the models directory: $SKINTRACK_MODELS_DIR, else the source tree's models/.
std::string ModelsDir();

}  // namespace skintrack::cli
