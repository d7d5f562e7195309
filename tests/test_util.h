// Helpers shared by the tests.
#pragma once

#include <string>

namespace skintrack::test {

// ../shared/data/real beside the project, or "" when absent.
std::string RealDataDir();
// The project's source directory.
std::string SourceDir();
// A fresh, empty temporary directory unique to this test (removed at exit is not guaranteed).
std::string MakeTempDir(const std::string& tag);
// Path of the built CLI binary.
std::string CliPath();
// Runs a shell command; returns its exit code; stdout+stderr go to *output when non-null.
int RunCommand(const std::string& command, std::string* output);

}  // namespace skintrack::test
