// The malloc tunables the launcher and the core set before their exec (src/cli/malloc_tunables.h).
#include "cli/malloc_tunables.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <optional>
#include <string>

namespace skintrack::cli {
namespace {

// Saves and restores the variables SetMallocTunables reads and writes.
class MallocTunablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (size_t i = 0; i < kNames.size(); ++i) {
      const char* v = std::getenv(kNames[i]);
      if (v != nullptr) saved_[i] = v;
      unsetenv(kNames[i]);
    }
  }
  void TearDown() override {
    for (size_t i = 0; i < kNames.size(); ++i) {
      if (saved_[i]) {
        setenv(kNames[i], saved_[i]->c_str(), 1);
      } else {
        unsetenv(kNames[i]);
      }
    }
  }
  static std::string Env(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? "<unset>" : v;
  }

 private:
  static constexpr std::array<const char*, 3> kNames = {"GLIBC_TUNABLES", "SKINTRACK_NO_REEXEC",
                                                        "SKINTRACK_REEXECED"};
  std::array<std::optional<std::string>, 3> saved_;
};

// Huge pages are not asked for (each is fresh host memory on a machine with free page
// reporting); the heap is kept and shared by all threads.
TEST_F(MallocTunablesTest, NoHugePagesAndTheHeapIsKept) {
  const std::string t = kMallocTunables;
  EXPECT_EQ(t.find("hugetlb"), std::string::npos);
  EXPECT_NE(t.find("glibc.malloc.mmap_max=0"), std::string::npos);
  EXPECT_NE(t.find("glibc.malloc.trim_threshold=4294967296"), std::string::npos);
  EXPECT_NE(t.find("glibc.malloc.arena_max=1"), std::string::npos);
}

// The user's own GLIBC_TUNABLES comes after the project's (its values win); a failed exec
// gets the environment back as it was.
TEST_F(MallocTunablesTest, UserSettingsComeLastAndAreRestored) {
  setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
  std::string previous;
  bool had_previous = false;
  ASSERT_TRUE(SetMallocTunables(&previous, &had_previous));
  EXPECT_TRUE(had_previous);
  EXPECT_EQ(previous, "glibc.malloc.hugetlb=1");
  EXPECT_EQ(Env("GLIBC_TUNABLES"), std::string(kMallocTunables) + ":glibc.malloc.hugetlb=1");
  EXPECT_EQ(Env("SKINTRACK_REEXECED"), "1");
  // Once set, the process started with them does not set them again.
  std::string again;
  bool had_again = false;
  EXPECT_FALSE(SetMallocTunables(&again, &had_again));
  RestoreMallocTunables(previous, had_previous);
  EXPECT_EQ(Env("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(Env("SKINTRACK_REEXECED"), "<unset>");
}

TEST_F(MallocTunablesTest, UnsetUserTunablesAndOptOut) {
  std::string previous;
  bool had_previous = true;
  ASSERT_TRUE(SetMallocTunables(&previous, &had_previous));
  EXPECT_FALSE(had_previous);
  EXPECT_EQ(Env("GLIBC_TUNABLES"), kMallocTunables);
  RestoreMallocTunables(previous, had_previous);
  EXPECT_EQ(Env("GLIBC_TUNABLES"), "<unset>");
  setenv("SKINTRACK_NO_REEXEC", "1", 1);
  EXPECT_FALSE(SetMallocTunables(&previous, &had_previous));
  EXPECT_EQ(Env("GLIBC_TUNABLES"), "<unset>");
  EXPECT_EQ(Env("SKINTRACK_REEXECED"), "<unset>");
}

}  // namespace
}  // namespace skintrack::cli
