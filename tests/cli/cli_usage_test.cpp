// The skintrack binary: version, help, usage errors (exit 1), invalid inputs (exit 2) and
// unwritable outputs (exit 4). Inputs come from `skintrack phantom` (800x600), made once.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "skintrack/core/version.h"
#include "test_util.h"

namespace skintrack {
namespace {

namespace fs = std::filesystem;
using test::ShellQuote;

// Runs `skintrack <args>`; returns the exit code; stdout+stderr in *out.
int Cli(const std::string& args, std::string* out = nullptr) { return test::RunCli(args, out); }

class CliUsageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::MakeTempDir("cli_usage"));
    std::string out;
    const int rc =
        Cli("phantom --out-dir " + ShellQuote(*dir_) + " --seed 1 --width 800 --height 600", &out);
    ASSERT_EQ(rc, 0) << out;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string Q(const std::string& name) { return ShellQuote(Path(name)); }
  static std::string* dir_;
};
std::string* CliUsageTest::dir_ = nullptr;

TEST_F(CliUsageTest, VersionPrintsTheVersion) {
  std::string out;
  EXPECT_EQ(Cli("--version", &out), 0);
  EXPECT_EQ(out, std::string("skintrack ") + kVersion + "\n");
}

// The launcher starts skintrack-core from its own directory; a launcher without it says so in
// one line and exits 5 (internal error), whatever the command.
TEST_F(CliUsageTest, TheLauncherWithoutTheCoreBesideItIsAOneLineError) {
  const std::string lonely = Path("lonely_skintrack");
  fs::copy_file(test::CliPath(), lonely, fs::copy_options::overwrite_existing);
  for (const char* args : {" --version", " analyze x.jpg"}) {
    std::string out;
    EXPECT_EQ(test::RunCommand(ShellQuote(lonely) + args, &out), 5) << out;
    EXPECT_NE(out.find("cannot run "), std::string::npos) << out;
    EXPECT_NE(out.find("/skintrack-core: "), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  }
}

TEST_F(CliUsageTest, HelpListsTheCommandsAndExitCodes) {
  std::string out;
  EXPECT_EQ(Cli("--help", &out), 0);
  EXPECT_NE(out.find("compare"), std::string::npos) << out;
  EXPECT_NE(out.find("phantom"), std::string::npos) << out;
  EXPECT_NE(out.find("Exit codes"), std::string::npos) << out;
  EXPECT_EQ(Cli("", &out), 1);  // no command: usage on stderr, exit 1
  EXPECT_NE(out.find("compare"), std::string::npos) << out;
}

TEST_F(CliUsageTest, CompareHelpShowsTheRealDefaults) {
  std::string out;
  EXPECT_EQ(Cli("compare --help", &out), 0);
  EXPECT_NE(out.find("(=1024)"), std::string::npos) << out;  // AlignOptions working size
  EXPECT_NE(out.find("(=120)"), std::string::npos) << out;   // LoadOptions 120 MP
  for (const char* opt : {"--json", "--out-dir", "--mm-per-px", "--no-nonrigid", "--working-size",
                          "--max-megapixels"}) {
    EXPECT_NE(out.find(opt), std::string::npos) << opt;
  }
}

TEST_F(CliUsageTest, PhantomHelpShowsItsOptions) {
  std::string out;
  EXPECT_EQ(Cli("phantom --help", &out), 0);
  for (const char* opt : {"--out-dir", "--seed", "--width", "--height", "--from-image"}) {
    EXPECT_NE(out.find(opt), std::string::npos) << opt;
  }
  EXPECT_NE(out.find("(=1600)"), std::string::npos) << out;  // PhantomOptions default width
}

TEST_F(CliUsageTest, UsageErrorsExitWith1) {
  std::string out;
  EXPECT_EQ(Cli("frobnicate", &out), 1);
  EXPECT_NE(out.find("frobnicate"), std::string::npos) << out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --bogus", &out), 1);
  EXPECT_NE(out.find("bogus"), std::string::npos) << out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg"), &out), 1);  // AFTER missing
  EXPECT_EQ(Cli("compare", &out), 1);
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --working-size abc", &out),
            1);
  EXPECT_EQ(Cli("phantom --seed 3", &out), 1);  // --out-dir is required
  // Values that parse but fail the options' Check().
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --working-size 100", &out),
            1);
  EXPECT_NE(out.find("--working-size must be in [256, 8000] px, got 100"), std::string::npos)
      << out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --max-megapixels 0", &out),
            1);
  EXPECT_EQ(Cli("phantom --width 10 --out-dir " + Q("never"), &out), 1);
  EXPECT_FALSE(fs::exists(Path("never")));
}

TEST_F(CliUsageTest, BadScaleExitsWith1) {
  std::string out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --mm-per-px -1", &out), 1)
      << out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --mm-per-px=-1", &out), 1)
      << out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --mm-per-px 0", &out), 1)
      << out;
  EXPECT_NE(out.find("mm-per-px"), std::string::npos) << out;
}

TEST_F(CliUsageTest, MissingFileExitsWith2AndNamesIt) {
  std::string out;
  const std::string missing = Path("no_such_photo.jpg");
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + ShellQuote(missing), &out), 2);
  EXPECT_NE(out.find(missing), std::string::npos) << out;
  EXPECT_EQ(Cli("compare " + ShellQuote(missing) + " " + Q("after.jpg"), &out), 2);
  EXPECT_NE(out.find(missing), std::string::npos) << out;
}

TEST_F(CliUsageTest, DirectoryAsInputExitsWith2) {
  std::string out;
  fs::create_directories(Path("a_dir.jpg"));
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("a_dir.jpg"), &out), 2) << out;
  EXPECT_NE(out.find("a_dir.jpg"), std::string::npos) << out;
}

TEST_F(CliUsageTest, EmptyFileExitsWith2) {
  std::string out;
  std::ofstream(Path("empty.jpg")).close();
  EXPECT_EQ(Cli("compare " + Q("empty.jpg") + " " + Q("after.jpg"), &out), 2) << out;
  EXPECT_NE(out.find("empty.jpg"), std::string::npos) << out;
}

TEST_F(CliUsageTest, TextFileNamedJpgExitsWith2) {
  std::string out;
  std::ofstream(Path("text.jpg")) << "this is not a photograph\n";
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("text.jpg"), &out), 2) << out;
  EXPECT_NE(out.find("text.jpg"), std::string::npos) << out;
}

TEST_F(CliUsageTest, TruncatedJpegExitsWith2) {
  const std::string bytes = test::ReadFile(Path("after.jpg"));
  ASSERT_GT(bytes.size(), 10000u);
  std::ofstream(Path("truncated.jpg"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::string out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("truncated.jpg"), &out), 2) << out;
  EXPECT_NE(out.find("truncated.jpg"), std::string::npos) << out;
}

TEST_F(CliUsageTest, TooManyMegapixelsExitsWith2) {
  std::string out;  // 800 x 600 = 0.48 MP > 0.1 MP
  EXPECT_EQ(
      Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --max-megapixels 0.1", &out), 2)
      << out;
}

TEST_F(CliUsageTest, UnwritableOutDirExitsWith4) {
  std::ofstream(Path("regular_file")) << "x";
  std::string out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " --out-dir " +
                    ShellQuote(Path("regular_file") + "/sub"),
                &out),
            4)
      << out;
  EXPECT_EQ(Cli("compare " + Q("before.jpg") + " " + Q("after.jpg") + " -q --json " +
                    ShellQuote(Path("regular_file") + "/compare.json"),
                &out),
            4)
      << out;
  EXPECT_EQ(
      Cli("phantom --width 128 --height 96 --out-dir " + ShellQuote(Path("regular_file") + "/sub"),
          &out),
      4)
      << out;
}

}  // namespace
}  // namespace skintrack
