// Scale-target options shared by `analyze` and `compare` (and the board part by `marker`):
// --marker-mm, --marker-dictionary, and a ChArUco board (--charuco WxH, --charuco-square-mm,
// --charuco-marker-mm).
#pragma once

#include "cli/cli_common.h"
#include "skintrack/calib/marker.h"

namespace skintrack::cli {

// Adds --marker-mm and --marker-dictionary (with_marker) and the ChArUco options.
void AddScaleTargetOptions(po::options_description* desc, bool with_marker);

// Reads them into *options (the rest keeps its value) and checks the result. A malformed
// --charuco (not WxH) is kInvalidArgument naming the value.
Status ReadScaleTargetOptions(const po::variables_map& vm, calib::MarkerOptions* options);

}  // namespace skintrack::cli
