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

// Path of the models directory: $SKINTRACK_MODELS_DIR, else the source tree's models/.
std::string ModelsDir();

}  // namespace skintrack::cli
