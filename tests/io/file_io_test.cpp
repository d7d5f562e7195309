// io::WriteFile and io::ReadSmallFile: atomic replacement of regular files, devices written in
// place, and the checks before reading (regular file, size limit).
#include "skintrack/io/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"

namespace skintrack::io {
namespace {

namespace fs = std::filesystem;

TEST(WriteFileTest, ReplacesARegularFileAndLeavesNoTemporaryBehind) {
  const std::string dir = test::MakeTempDir("file_io_write");
  const std::string path = dir + "/out.json";
  ASSERT_TRUE(WriteFile(path, std::string("first")).ok());
  ASSERT_TRUE(WriteFile(path, std::string("second, longer")).ok());
  EXPECT_EQ(test::ReadFile(path), "second, longer");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);  // no "out.json.tmp-..." left
}

TEST(WriteFileTest, ASymbolicLinkIsWrittenThroughAndKept) {
  // (As /dev/stdout -> /proc/self/fd/1: a rename over the link would replace it.)
  const std::string dir = test::MakeTempDir("file_io_link");
  const std::string target = dir + "/target.json", link = dir + "/link.json";
  fs::create_symlink(target, link);  // dangling: the target is created through it
  ASSERT_TRUE(WriteFile(link, std::string("first, longer")).ok());
  ASSERT_TRUE(WriteFile(link, std::string("second")).ok());  // truncated, not appended
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(test::ReadFile(target), "second");
}

TEST(WriteFileTest, ErrorsNameTheFileAndTheReason) {
  const std::string dir = test::MakeTempDir("file_io_errors");
  Status s = WriteFile(dir, std::string("x"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), dir + ": cannot write (is a directory)");
  s = WriteFile(dir + "/missing/out.json", std::string("x"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("directory does not exist"), std::string::npos) << s.message();
  struct stat st {};
  if (::stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
    s = WriteFile("/dev/full", std::string(100000, 'x'));
    EXPECT_EQ(s.code(), StatusCode::kIoError);
    EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
    ASSERT_EQ(::stat("/dev/full", &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));  // never replaced, never removed
  }
  ASSERT_TRUE(WriteFile("/dev/null", std::string("x")).ok());
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(ReadSmallFileTest, RegularFilesUpToTheLimitOnly) {
  const std::string dir = test::MakeTempDir("file_io_read");
  const std::string path = dir + "/p.preset";
  std::ofstream(path) << "preset = x\n";
  std::string text;
  ASSERT_TRUE(ReadSmallFile(path, 100, "a preset", &text).ok());
  EXPECT_EQ(text, "preset = x\n");
  Status s = ReadSmallFile(path, 5, "a preset", &text);
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(s.message(), path + ": is 11 bytes, more than the 5 bytes a preset may have");
  ASSERT_TRUE(ReadSmallFile(path, 11, "a preset", &text).ok());  // exactly the limit: read
  EXPECT_EQ(text, "preset = x\n");
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  s = ReadSmallFile(fifo, 100, "a preset", &text);  // refused before opening: no block
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(s.message(), fifo + ": not a regular file");
  s = ReadSmallFile(dir, 100, "a preset", &text);
  EXPECT_EQ(s.message(), dir + ": is a directory");
  s = ReadSmallFile(dir + "/none", 100, "a preset", &text);
  EXPECT_EQ(s.message(), dir + "/none: file not found");
}

}  // namespace
}  // namespace skintrack::io
