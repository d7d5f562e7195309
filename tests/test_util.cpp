#include "test_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace skintrack::test {

std::string RealDataDir() {
  const fs::path dir = fs::path(SKINTRACK_SHARED_DIR) / "data" / "real";
  return fs::is_directory(dir) ? dir.string() : std::string();
}

std::string SourceDir() { return SKINTRACK_SOURCE_DIR; }

std::string CliPath() { return SKINTRACK_CLI_PATH; }

namespace {

// The directories MakeTempDir created in this process, removed when it exits: all of them when
// every test passed, none when one failed (they are kept for a look, and named on stderr) or
// when SKINTRACK_KEEP_TEST_DIRS is set. Constructed after gtest's UnitTest (first used inside a
// test), so destroyed before it.
class TempDirs {
 public:
  void Add(const fs::path& dir) {
    const std::lock_guard<std::mutex> hold(lock_);
    dirs_.push_back(dir);
  }
  ~TempDirs() {
    const bool failed = ::testing::UnitTest::GetInstance()->Failed();
    const char* keep = std::getenv("SKINTRACK_KEEP_TEST_DIRS");
    for (const fs::path& dir : dirs_) {
      if (failed || (keep != nullptr && *keep != '\0')) {
        std::cerr << "test temporary directory kept: " << dir.string() << "\n";
        continue;
      }
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  }

 private:
  std::mutex lock_;
  std::vector<fs::path> dirs_;
};

TempDirs& CreatedTempDirs() {
  static TempDirs dirs;
  return dirs;
}

}  // namespace

std::string MakeTempDir(const std::string& tag) {
  static int counter = 0;
  const fs::path dir =
      fs::temp_directory_path() / ("skintrack_test_" + tag + "_" + std::to_string(::getpid()) +
                                   "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  CreatedTempDirs().Add(dir);
  return dir.string();
}

int RunCommand(const std::string& command, std::string* output) {
  const std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string();
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'' ? std::string("'\\''") : std::string(1, c));
  return out + "'";
}

cv::Point2d ApplyHomography(const cv::Matx33d& h, const cv::Point2d& p) {
  const cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1.0);
  return {v[0] / v[2], v[1] / v[2]};
}

TreStats GridTre(const std::function<cv::Point2d(const cv::Point2d&)>& before_to_after,
                 const cv::Matx33d& truth_after_to_before, cv::Size before_size,
                 cv::Size after_size, double margin) {
  const cv::Matx33d truth_b2a = truth_after_to_before.inv();
  std::vector<double> errors;
  for (int iy = 0; iy < 30; ++iy) {
    for (int ix = 0; ix < 40; ++ix) {
      const cv::Point2d p(ix * (before_size.width - 1) / 39.0,
                          iy * (before_size.height - 1) / 29.0);
      const cv::Point2d q = ApplyHomography(truth_b2a, p);
      if (q.x < margin || q.y < margin || q.x > after_size.width - 1 - margin ||
          q.y > after_size.height - 1 - margin) {
        continue;
      }
      errors.push_back(cv::norm(ApplyHomography(truth_after_to_before, before_to_after(p)) - p));
    }
  }
  TreStats stats;
  stats.points = static_cast<int>(errors.size());
  if (errors.empty()) return stats;
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  stats.median = errors[errors.size() / 2];
  stats.max = *std::max_element(errors.begin(), errors.end());
  return stats;
}

int RunCli(const std::string& args, std::string* output) {
  std::string sink;
  return RunCommand(ShellQuote(CliPath()) + " " + args, output ? output : &sink);
}

int RunCliStdout(const std::string& args, std::string* output) {
  return RunCommand("{ " + ShellQuote(CliPath()) + " " + args + " 2>/dev/null; }", output);
}

}  // namespace skintrack::test
