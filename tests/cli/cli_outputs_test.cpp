// The CLI's outputs and odd inputs found by a robustness sweep: a full disk or stdout is an
// error (exit 4), a device is written in place and never replaced, an output that names an
// input or another output is refused, a preset or model that is not a small regular file is
// refused before it is read, a photo without skin fails with one line (its JSON still written),
// an alignment failure is one line, and a decoder warning is recorded in the JSON.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace skintrack {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::ShellQuote;

int Cli(const std::string& args, std::string* out) { return test::RunCli(args, out); }

int Lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n' ? 1 : 0);
}

std::string Photo() { return test::SourceDir() + "/sample_images/before.jpg"; }
std::string Photo2() { return test::SourceDir() + "/sample_images/after.jpg"; }

bool IsCharDevice(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

TEST(CliOutputsTest, AFullDiskIsAnErrorAndADeviceIsNeverReplaced) {
  if (!IsCharDevice("/dev/full")) GTEST_SKIP() << "/dev/full is not available";
  std::string out;
  EXPECT_EQ(Cli("analyze " + ShellQuote(Photo()) + " --json /dev/full", &out), 4) << out;
  EXPECT_EQ(Lines(out), 1) << out;
  EXPECT_NE(out.find("/dev/full: cannot write (No space left on device)"), std::string::npos)
      << out;
  EXPECT_TRUE(IsCharDevice("/dev/full"));  // written in place, not renamed over
  const std::string dir = test::MakeTempDir("cli_outputs_full");
  EXPECT_EQ(Cli("analyze " + ShellQuote(Photo()) + " --json " + ShellQuote(dir + "/a.json") +
                    " --detections /dev/full",
                &out),
            4)
      << out;
  EXPECT_TRUE(IsCharDevice("/dev/full"));
  // The JSON on a full standard output.
  EXPECT_EQ(test::RunCommand("{ " + ShellQuote(test::CliPath()) + " analyze " +
                                 ShellQuote(Photo()) + " > /dev/full; }",
                             &out),
            4)
      << out;
  EXPECT_NE(out.find("standard output: cannot write"), std::string::npos) << out;
  // A device that takes the bytes is fine (and stays a device).
  EXPECT_EQ(
      Cli("analyze " + ShellQuote(Photo()) + " --json /dev/null --detections /dev/null", &out), 0)
      << out;
  EXPECT_TRUE(IsCharDevice("/dev/null"));
}

TEST(CliOutputsTest, AnOutputNamingAnInputOrAnotherOutputIsRefused) {
  const std::string dir = test::MakeTempDir("cli_outputs_same");
  const std::string photo = dir + "/p.jpg";
  fs::copy_file(Photo(), photo);
  const std::string before = test::ReadFile(photo);
  std::string out;
  for (const char* option : {"--json", "--detections"}) {
    EXPECT_EQ(Cli("analyze " + ShellQuote(photo) + " " + option + " " + ShellQuote(photo), &out), 1)
        << out;
    EXPECT_EQ(Lines(out), 1) << out;
    EXPECT_NE(out.find("is an input file"), std::string::npos) << out;
  }
  EXPECT_EQ(Cli("compare " + ShellQuote(photo) + " " + ShellQuote(Photo2()) + " --json " +
                    ShellQuote(Photo2()),
                &out),
            1)
      << out;
  EXPECT_EQ(test::ReadFile(photo), before);  // untouched
  const std::string j = ShellQuote(dir + "/r.json");
  EXPECT_EQ(Cli("analyze " + ShellQuote(photo) + " --json " + j + " --detections " + j, &out), 1)
      << out;
  EXPECT_NE(out.find("both write"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir + "/r.json"));
}

TEST(CliOutputsTest, APresetOrModelThatIsNotASmallRegularFileIsRefusedBeforeReading) {
  const std::string dir = test::MakeTempDir("cli_outputs_preset");
  std::string out;
  // A directory, a FIFO (reading it would block), a device and a 2 MB file; `timeout` guards
  // against a hang.
  const std::string fifo = dir + "/f.preset";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string big = dir + "/big.preset";
  std::ofstream(big) << std::string(2 << 20, '#');
  for (const std::string& preset : {dir, fifo, std::string("/dev/zero"), big}) {
    EXPECT_EQ(test::RunCommand("timeout 60 " + ShellQuote(test::CliPath()) + " analyze " +
                                   ShellQuote(Photo()) + " --preset " + ShellQuote(preset) +
                                   " --json " + ShellQuote(dir + "/a.json"),
                               &out),
              1)
        << preset << "\n"
        << out;
    EXPECT_EQ(Lines(out), 1) << out;
    EXPECT_NE(out.find(preset), std::string::npos) << out;
  }
  EXPECT_NE(out.find("more than the 1.0 MB a preset may have"), std::string::npos) << out;
  EXPECT_EQ(
      test::RunCommand("timeout 60 " + ShellQuote(test::CliPath()) + " compare " +
                           ShellQuote(Photo()) + " " + ShellQuote(Photo2()) +
                           " --repeatability-model /dev/zero --json " + ShellQuote(dir + "/c.json"),
                       &out),
      2)
      << out;
  EXPECT_NE(out.find("/dev/zero: not a regular file"), std::string::npos) << out;
}

TEST(CliOutputsTest, APhotoWithoutSkinFailsWithOneLineAndItsJsonSaysSo) {
  const std::string dir = test::MakeTempDir("cli_outputs_grey");
  cv::Mat grey;
  cv::cvtColor(cv::imread(Photo()), grey, cv::COLOR_BGR2GRAY);
  const std::string photo = dir + "/grey.png";
  ASSERT_TRUE(cv::imwrite(photo, grey));
  std::string out;
  EXPECT_EQ(Cli("analyze " + ShellQuote(photo) + " --json " + ShellQuote(dir + "/a.json"), &out), 2)
      << out;
  EXPECT_EQ(Lines(out), 1) << out;
  EXPECT_NE(out.find("no skin to measure"), std::string::npos) << out;
  const json a = json::parse(test::ReadFile(dir + "/a.json"));
  EXPECT_EQ(a["metrics"]["roi_area_px"], 0);
  EXPECT_EQ(a["metrics"]["not_meaningful"].size(), 8u);  // every family
  EXPECT_EQ(Cli("compare " + ShellQuote(photo) + " " + ShellQuote(Photo2()) + " --json " +
                    ShellQuote(dir + "/c.json"),
                &out),
            2)
      << out;
  EXPECT_EQ(Lines(out), 1) << out;
  const json c = json::parse(test::ReadFile(dir + "/c.json"));
  EXPECT_EQ(c["metrics"]["not_meaningful"].size(), 8u);
  ASSERT_GT(c["metrics"]["change"].size(), 30u);
  for (const auto& [key, change] : c["metrics"]["change"].items()) {
    if (key.rfind("roi_area", 0) == 0) continue;  // the region's area (0) is what was measured
    EXPECT_EQ(change["meaningful"], false) << key;
  }
}

TEST(CliOutputsTest, AnAlignmentFailureIsOneLineNamingBothPhotos) {
  const std::string dir = test::MakeTempDir("cli_outputs_noise");
  cv::Mat noise(600, 800, CV_8UC3);
  cv::randu(noise, 0, 256);
  const std::string photo = dir + "/noise.png";
  ASSERT_TRUE(cv::imwrite(photo, noise));
  std::string out;
  for (const std::string& extra : {std::string(" -q"), std::string()}) {
    EXPECT_EQ(Cli("compare " + ShellQuote(Photo()) + " " + ShellQuote(photo) + extra + " --json " +
                      ShellQuote(dir + "/c.json"),
                  &out),
              3)
        << out;
    EXPECT_EQ(Lines(out), 1) << out;
    EXPECT_NE(out.find("skintrack compare: error: cannot align " + Photo() + " and " + photo),
              std::string::npos)
        << out;
    EXPECT_EQ(json::parse(test::ReadFile(dir + "/c.json"))["alignment"]["status"], "failed");
  }
}

TEST(CliOutputsTest, ADecoderWarningIsRecordedInTheJson) {
  const std::string dir = test::MakeTempDir("cli_outputs_corrupt");
  std::string bytes = test::ReadFile(Photo());
  ASSERT_GT(bytes.size(), 20000u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 5000; ++i) bytes[i] = 0;  // mid-scan
  const std::string photo = dir + "/zeroed.jpg";
  std::ofstream(photo, std::ios::binary) << bytes;
  std::string out;
  const int rc2 =
      Cli("analyze " + ShellQuote(photo) + " --json " + ShellQuote(dir + "/a.json"), &out);
  ASSERT_TRUE(fs::exists(dir + "/a.json")) << out;
  const json a = json::parse(test::ReadFile(dir + "/a.json"));
  ASSERT_TRUE(a["image"]["decode_warning"].is_string()) << a["image"].dump();
  EXPECT_NE(a["image"]["decode_warning"].get<std::string>().find("corrupt"), std::string::npos);
  EXPECT_TRUE(rc2 == 0 || rc2 == 2) << out;  // the grey fill may leave no skin
  const json clean = [&] {
    EXPECT_EQ(
        Cli("analyze " + ShellQuote(Photo()) + " --json " + ShellQuote(dir + "/b.json"), &out), 0)
        << out;
    return json::parse(test::ReadFile(dir + "/b.json"));
  }();
  EXPECT_TRUE(clean["image"]["decode_warning"].is_null());
}

TEST(CliOutputsTest, BadOptionValuesAreOneLineNamingTheOption) {
  const std::string photo = ShellQuote(Photo());
  struct Case {
    std::string args;
    int code;
    std::string says;
  };
  const std::string dir = test::MakeTempDir("cli_outputs_values");
  const std::string empty = dir + "/empty.png";
  ASSERT_TRUE(cv::imwrite(empty, cv::Mat::zeros(768, 1024, CV_8UC1)));
  for (const Case& c : std::vector<Case>{
           {"analyze " + photo + " --max-megapixels nan", 1, "--max-megapixels must be in"},
           {"analyze " + photo + " --mm-per-px 1e-300", 1, "--mm-per-px must be in"},
           {"compare " + photo + " " + photo + " --mm-per-px inf", 1, "--mm-per-px must be in"},
           {"analyze " + photo + " --marker-mm 1e300", 1,
            "--marker-mm must be in (0, 1000] mm, got 1e+300"},
           {"analyze " + photo + " --roi " + ShellQuote(empty), 2, "the --roi mask is empty"},
           {"frob", 1, "unknown command 'frob' (commands: analyze"},
           // Output paths that cannot be written fail before the measurement.
           {"analyze " + photo + " --json " + ShellQuote(dir), 4, "cannot write (is a directory)"},
           {"analyze " + photo + " --detections " + ShellQuote(dir + "/no/d.json"), 4,
            "cannot write (directory does not exist)"},
       }) {
    std::string out;
    EXPECT_EQ(Cli(c.args, &out), c.code) << c.args << "\n" << out;
    EXPECT_EQ(Lines(out), 1) << c.args << "\n" << out;
    EXPECT_NE(out.find(c.says), std::string::npos) << c.args << "\n" << out;
  }
}

TEST(CliOutputsTest, ADecoderLibrarysOwnMessagesStayOffTheTerminal) {
  // A PNG whose IDAT chunk fails its CRC: libpng prints "libpng error: IDAT: CRC error" to
  // stderr itself; the user sees one line, with libpng's words inside it.
  const std::string dir = test::MakeTempDir("cli_outputs_png");
  const std::string good = dir + "/good.png";
  ASSERT_TRUE(cv::imwrite(good, cv::imread(Photo())));
  std::string bytes = test::ReadFile(good);
  const size_t idat = bytes.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  bytes[idat + 100] = static_cast<char>(bytes[idat + 100] ^ 0x55);
  const std::string bad = dir + "/bad.png";
  std::ofstream(bad, std::ios::binary) << bytes;
  std::string out;
  EXPECT_EQ(Cli("analyze " + ShellQuote(bad) + " --json " + ShellQuote(dir + "/a.json"), &out), 2)
      << out;
  EXPECT_EQ(Lines(out), 1) << out;
  EXPECT_NE(out.find(bad + ": cannot decode PNG data (corrupt: libpng error: IDAT: CRC error)"),
            std::string::npos)
      << out;
}

TEST(CliOutputsTest, ARunIntoAnEarlierOutDirLeavesNoneOfItsImages) {
  // A full compare writes its images; a second compare into the same directory whose pair
  // cannot be aligned writes only its JSON, and no image of the first run may stay beside it
  // (this also keeps the list of names compare removes complete). Other files stay.
  const std::string dir = test::MakeTempDir("cli_outputs_outdir");
  const std::string out = dir + "/out";
  std::string log;
  ASSERT_EQ(Cli("compare " + ShellQuote(Photo()) + " " + ShellQuote(Photo2()) + " --out-dir " +
                    ShellQuote(out) + " -q",
                &log),
            0)
      << log;
  int images = 0;
  for (const auto& e : fs::directory_iterator(out)) images += e.path().filename() != "compare.json";
  EXPECT_GE(images, 10);  // registration images, overlays, redness and change maps
  std::ofstream(out + "/notes.txt") << "mine";
  cv::Mat noise(600, 800, CV_8UC3);
  cv::randu(noise, 0, 256);
  ASSERT_TRUE(cv::imwrite(dir + "/noise.png", noise));
  EXPECT_EQ(Cli("compare " + ShellQuote(Photo()) + " " + ShellQuote(dir + "/noise.png") +
                    " --out-dir " + ShellQuote(out) + " -q",
                &log),
            3)
      << log;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(out)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"compare.json", "notes.txt"}));
}

}  // namespace
}  // namespace skintrack
