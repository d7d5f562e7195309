// The test helpers' own contract: MakeTempDir's directories are removed when the test process
// exits after its tests passed, and kept when one failed.
#include "test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace skintrack {
namespace {

// Runs in a child process only (SKINTRACK_TEMP_DIR_PROBE names a file): makes a directory with
// a file in it, writes its path to the probe file, and fails when asked to.
TEST(TempDirChild, MakeDirAndMaybeFail) {
  const char* probe = std::getenv("SKINTRACK_TEMP_DIR_PROBE");
  if (probe == nullptr) GTEST_SKIP() << "runs only as TempDirTest's child process";
  const std::string dir = test::MakeTempDir("probe");
  std::ofstream(dir + "/f.txt") << "x";
  std::ofstream(probe) << dir;
  const char* fail = std::getenv("SKINTRACK_TEMP_DIR_FAIL");
  EXPECT_TRUE(fail == nullptr) << "failing on purpose";
}

std::string SelfPath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Runs the child test with `env` prepended; returns the directory it made.
std::string RunChild(const std::string& env, int* code) {
  const std::string self = SelfPath();
  const std::string probe = test::MakeTempDir("probe_parent") + "/dir.txt";
  *code = test::RunCommand(env + " SKINTRACK_TEMP_DIR_PROBE=" + test::ShellQuote(probe) + " " +
                               test::ShellQuote(self) +
                               " --gtest_filter=TempDirChild.MakeDirAndMaybeFail",
                           nullptr);
  return test::ReadFile(probe);
}

TEST(TempDirTest, RemovedWhenTheTestsPassKeptWhenOneFails) {
  int code = -1;
  const std::string passed = RunChild("", &code);
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(passed.empty());
  EXPECT_FALSE(fs::exists(passed)) << passed;

  const std::string failed = RunChild("SKINTRACK_TEMP_DIR_FAIL=1", &code);
  EXPECT_NE(code, 0);
  ASSERT_FALSE(failed.empty());
  EXPECT_TRUE(fs::exists(fs::path(failed) / "f.txt")) << failed;
  fs::remove_all(failed);

  const std::string kept = RunChild("SKINTRACK_KEEP_TEST_DIRS=1", &code);
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(kept.empty());
  EXPECT_TRUE(fs::exists(kept)) << kept;
  fs::remove_all(kept);
}

}  // namespace
}  // namespace skintrack
