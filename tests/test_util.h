// Helpers shared by the tests.
#pragma once

#include <functional>
#include <opencv2/core.hpp>
#include <string>

namespace skintrack::test {

// ../shared/data/real beside the project, or "" when absent.
std::string RealDataDir();
// The project's source directory.
std::string SourceDir();
// A fresh, empty temporary directory unique to this test process, removed with its contents when
// the process exits after every test passed (kept when one failed, or when the environment sets
// SKINTRACK_KEEP_TEST_DIRS; each kept one is named on stderr).
std::string MakeTempDir(const std::string& tag);
// Path of the built CLI binary.
std::string CliPath();
// Runs a shell command; returns its exit code; stdout+stderr go to *output when non-null.
int RunCommand(const std::string& command, std::string* output);

// The whole file as bytes ("" when it cannot be read).
std::string ReadFile(const std::string& path);
// `s` quoted for /bin/sh (single quotes).
std::string ShellQuote(const std::string& s);

// Maps p by the homography h (homogeneous divide).
cv::Point2d ApplyHomography(const cv::Matx33d& h, const cv::Point2d& p);

// Target registration error over a 40x30 grid of before-image points p whose true after point
// truth_after_to_before^-1(p) lies inside the after image, at least `margin` px from its border:
// |truth_after_to_before(before_to_after(p)) - p| in before px.
struct TreStats {
  double median = -1.0;
  double max = -1.0;
  int points = 0;  // grid points used
};
TreStats GridTre(const std::function<cv::Point2d(const cv::Point2d&)>& before_to_after,
                 const cv::Matx33d& truth_after_to_before, cv::Size before_size,
                 cv::Size after_size, double margin = 0.0);

// Runs the CLI with `args` (already shell-quoted where needed); stdout+stderr into *output
// (may be null). RunCliStdout keeps stdout only.
int RunCli(const std::string& args, std::string* output);
int RunCliStdout(const std::string& args, std::string* output);

}  // namespace skintrack::test
