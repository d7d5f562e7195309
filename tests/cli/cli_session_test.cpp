// The comparability layer of `compare` and `analyze` end to end: quality gate, colour state,
// change statistics (ci95, mdc, significant), change maps, flat field / reference-region
// options and their errors; and the `repeatability` command.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "test_util.h"

namespace skintrack {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::ShellQuote;

int Lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A small phantom pair (seeded, 800x600) shared by the tests of this file.
const std::string& PhantomDir() {
  static const std::string dir = [] {
    const std::string d = test::MakeTempDir("cli_session_phantom");
    std::string out;
    EXPECT_EQ(test::RunCli("phantom --out-dir " + ShellQuote(d) +
                               " --seed 4 --width 800 --height 600 --jpeg-quality 0",
                           &out),
              0)
        << out;
    return d;
  }();
  return dir;
}

TEST(CliSessionTest, CompareReportsQualityColourStatsAndMaps) {
  const std::string p = PhantomDir(), out_dir = test::MakeTempDir("cli_session_compare");
  std::string out;
  ASSERT_EQ(
      test::RunCli("compare " + ShellQuote(p + "/before.png") + " " + ShellQuote(p + "/after.png") +
                       " --mm-per-px 0.05 --out-dir " + ShellQuote(out_dir),
                   &out),
      0)
      << out;
  const json j = json::parse(test::ReadFile(out_dir + "/compare.json"));
  EXPECT_EQ(j["colour"]["state"], "uncalibrated");
  ASSERT_TRUE(j.contains("quality"));
  EXPECT_TRUE(j["quality"]["before"].contains("checks"));
  EXPECT_TRUE(j["quality"]["pair"].contains("verdict"));
  const json& change = j["metrics"]["change"];
  const json& pores = change["pores.count"];
  ASSERT_TRUE(pores["ci95"].is_array());
  EXPECT_LE(pores["ci95"][0].get<double>(), pores["ci95"][1].get<double>());
  EXPECT_TRUE(pores["mdc"].is_number());
  EXPECT_TRUE(pores["significant"].is_boolean());
  EXPECT_TRUE(pores["meaningful"].is_boolean());
  // Uncalibrated colour under a different exposure: redness is not meaningful, never
  // significant.
  EXPECT_EQ(change["redness.a_star_mean"]["meaningful"], false);
  EXPECT_EQ(change["redness.a_star_mean"]["significant"], false);
  EXPECT_TRUE(j["metrics"]["change_maps"].contains("texture.roughness"));
  for (const char* f : {"change_map_texture.png", "change_map_pores.png", "change_map_redness.png",
                        "change_map_scars.png"}) {
    const cv::Mat m = cv::imread(out_dir + "/" + f);
    EXPECT_EQ(m.cols, 800) << f;
  }
}

TEST(CliSessionTest, ReferenceRoiNormalisesTheAfterPhoto) {
  const std::string p = PhantomDir(), dir = test::MakeTempDir("cli_session_reference");
  const std::string mask = dir + "/reference.png";
  cv::Mat m(600, 800, CV_8UC1, cv::Scalar(0));
  m(cv::Rect(200, 150, 400, 300)).setTo(255);
  ASSERT_TRUE(cv::imwrite(mask, m));
  std::string out;
  ASSERT_EQ(test::RunCliStdout("compare " + ShellQuote(p + "/before.png") + " " +
                                   ShellQuote(p + "/after.png") + " --reference-roi " +
                                   ShellQuote(mask) + " --no-stats -q",
                               &out),
            0);
  const json j = json::parse(out);
  EXPECT_EQ(j["colour"]["state"], "reference-normalised");
  EXPECT_EQ(j["colour"]["after"]["reference"]["gains_bgr"].size(), 3u);
  EXPECT_FALSE(j["metrics"]["change"]["pores.count"].contains("ci95"));  // --no-stats
}

TEST(CliSessionTest, BadCalibrationInputsAreOneLineErrors) {
  const std::string p = PhantomDir(), dir = test::MakeTempDir("cli_session_bad");
  const std::string pair = ShellQuote(p + "/before.png") + " " + ShellQuote(p + "/after.png");
  std::string out;
  EXPECT_EQ(
      test::RunCli("compare " + pair + " --flat-field " + ShellQuote(dir + "/none.png"), &out), 2);
  EXPECT_EQ(Lines(out), 1) << out;
  EXPECT_NE(out.find("none.png"), std::string::npos) << out;
  const std::string small = dir + "/small.png";
  ASSERT_TRUE(cv::imwrite(small, cv::Mat(100, 100, CV_8UC3, cv::Scalar(128, 128, 128))));
  EXPECT_EQ(
      test::RunCli(
          "analyze " + ShellQuote(p + "/before.png") + " --flat-field " + ShellQuote(small), &out),
      2);
  EXPECT_NE(out.find("small.png"), std::string::npos) << out;
  EXPECT_EQ(
      test::RunCli(
          "compare " + pair + " --repeatability-model " + ShellQuote(dir + "/missing.json"), &out),
      2);
  EXPECT_NE(out.find("missing.json"), std::string::npos) << out;
}

TEST(CliSessionTest, AnalyzeReportsQualityAndAMissingChart) {
  const std::string p = PhantomDir();
  std::string out;
  ASSERT_EQ(
      test::RunCliStdout("analyze " + ShellQuote(p + "/before.png") + " --chart --json -", &out),
      0);
  const json j = json::parse(out);
  EXPECT_EQ(j["colour"]["state"], "uncalibrated");
  EXPECT_EQ(j["colour"]["chart"]["found"], false);
  EXPECT_TRUE(j["quality"].contains("checks"));
  EXPECT_TRUE(j["metrics"]["not_meaningful"].is_array());
}

TEST(CliSessionTest, RepeatabilityOfUnchangedSkin) {
  const std::string p = PhantomDir(), dir = test::MakeTempDir("cli_session_repeat");
  // Three photos of the same unchanged skin: the before photo and two re-captures of it.
  for (int i = 0; i < 2; ++i) {
    std::string out;
    ASSERT_EQ(test::RunCli("phantom --from-image " + ShellQuote(p + "/before.png") + " --out-dir " +
                               ShellQuote(dir + "/r" + std::to_string(i)) + " --seed " +
                               std::to_string(10 + i) + " --jpeg-quality 0",
                           &out),
              0)
        << out;
  }
  std::string out;
  const int rc = test::RunCliStdout("repeatability " + ShellQuote(p + "/before.png") + " " +
                                        ShellQuote(dir + "/r0/after.png") + " " +
                                        ShellQuote(dir + "/r1/after.png") + " --json -",
                                    &out);
  ASSERT_EQ(rc, 0) << out;
  const json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_NE(out.find("pores.count"), std::string::npos);
  EXPECT_EQ(test::RunCli("repeatability " + ShellQuote(p + "/before.png"), &out), 1);
}

}  // namespace
}  // namespace skintrack
