// skintrack repeatability IMAGES... : test-retest repeatability of every metric from several
// photos of the same, unchanged skin (docs/statistics.md).
#pragma once

#include <string>
#include <vector>

namespace skintrack::cli {

// Runs the command; args exclude the command name. Returns a documented exit code.
int RunRepeatability(const std::vector<std::string>& args);

}  // namespace skintrack::cli
