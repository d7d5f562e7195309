// The comparability layer of `compare` and `analyze` end to end: quality gate, colour state,
// change statistics (ci95, mdc, significant), change maps, flat field / reference-region
// options and their errors; and the `repeatability` command.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <utility>

#include "../photometric/colour_scene.h"
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

// compare assesses the before photo's quality while the pair is registered when the scale
// is known without the alignment (here the user's): the same quality as analyze reports for
// that photo at that scale.
TEST(CliSessionTest, CompareAssessesTheBeforePhotoAsAnalyzeDoes) {
  const std::string p = PhantomDir();
  std::string c_out, a_out;
  ASSERT_EQ(test::RunCliStdout("compare " + ShellQuote(p + "/before.png") + " " +
                                   ShellQuote(p + "/after.png") + " --mm-per-px 0.05 -q",
                               &c_out),
            0);
  ASSERT_EQ(test::RunCliStdout(
                "analyze " + ShellQuote(p + "/before.png") + " --mm-per-px 0.05 --json -", &a_out),
            0);
  const json c = json::parse(c_out), a = json::parse(a_out);
  ASSERT_TRUE(a.contains("quality"));
  EXPECT_EQ(c["quality"]["before"], a["quality"]);
}

// Without --repeatability-model, compare takes the preset's own model when models/ has one.
TEST(CliSessionTest, ThePresetChoosesItsOwnRepeatabilityModel) {
  const std::string p = PhantomDir();
  for (const auto& [preset, model] :
       {std::pair<std::string, std::string>{"dermoscope", "repeatability_dermoscope.json"},
        {"face", "repeatability.json"}}) {
    std::string out;
    ASSERT_EQ(test::RunCliStdout("compare " + ShellQuote(p + "/before.png") + " " +
                                     ShellQuote(p + "/after.png") + " --preset " + preset + " -q",
                                 &out),
              0)
        << preset;
    const json j = json::parse(out);
    EXPECT_EQ(std::filesystem::path(j["metrics"]["repeatability_model"].get<std::string>())
                  .filename()
                  .string(),
              model)
        << preset;
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

namespace skintrack {
namespace {

// End to end with a ColorChecker in view: two sessions of the same skin under different
// exposure, white balance and side light, each with its own grey card, measured by `analyze`
// with --chart --flat-field: the chart is fitted in both photos (colour.state "chart") and the
// a* difference between the sessions shrinks to under 3 %; and `compare` of the two photos,
// which registers them with the charts hidden.
TEST(CliSessionTest, ChartAndFlatFieldCalibrateBothSessions) {
  colour_scene::Scene scene;
  ASSERT_TRUE(colour_scene::MakeScene(5, 1.0, &scene).ok());
  phantom::CaptureOptions cb, ca;
  cb.exposure = 0.75;
  ca.exposure = 0.75 * 1.25;
  ca.white_balance = cv::Vec3d(1.06, 1.0, 0.95);
  ca.side_light_strength = 0.2;
  ca.side_light_angle_deg = 30.0;
  colour_scene::Shot sb, sa;
  ASSERT_TRUE(colour_scene::Photograph(scene.before, cb, 1, &sb).ok());
  ASSERT_TRUE(colour_scene::Photograph(scene.after, ca, 2, &sa).ok());
  const std::string dir = test::MakeTempDir("cli_session_chart");
  auto write = [&](const std::string& name, const cv::Mat& img) {
    cv::Mat u8;
    img.convertTo(u8, CV_8UC3, 255.0);
    ASSERT_TRUE(cv::imwrite(dir + "/" + name, u8));
  };
  write("before.png", sb.image);
  write("after.png", sa.image);
  write("card_before.png", sb.grey_card);
  write("card_after.png", sa.grey_card);
  // The skin away from the chart, as a mask (the chart is in the lower-left corner).
  cv::Mat roi(sb.image.size(), CV_8UC1, cv::Scalar(0));
  roi(cv::Rect(sb.image.cols / 2, 40, sb.image.cols / 2 - 40, sb.image.rows / 2)).setTo(255);
  ASSERT_TRUE(cv::imwrite(dir + "/roi.png", roi));
  auto run = [&](const std::string& session, bool calibrate) {
    std::string out;
    std::string args = "analyze " + ShellQuote(dir + "/" + session + ".png") + " --roi " +
                       ShellQuote(dir + "/roi.png") + " --json -";
    if (calibrate) args += " --chart --flat-field " + ShellQuote(dir + "/card_" + session + ".png");
    EXPECT_EQ(test::RunCliStdout(args, &out), 0) << args;
    return json::parse(out, nullptr, false);
  };
  const json rb = run("before", false), ra = run("after", false);
  const json cb_json = run("before", true), ca_json = run("after", true);
  ASSERT_FALSE(cb_json.is_discarded() || ca_json.is_discarded());
  for (const json* j : {&cb_json, &ca_json}) {
    ASSERT_EQ((*j)["colour"]["state"], "chart") << (*j)["colour"].dump();
    EXPECT_EQ((*j)["colour"]["chart"]["found"], true);
    EXPECT_LT((*j)["colour"]["chart"]["mean_de2000"].get<double>(), 2.0);
    EXPECT_TRUE((*j)["colour"].contains("flat_field"));
  }
  auto a_star = [](const json& j) { return j["metrics"]["redness"]["a_star_mean"].get<double>(); };
  const double raw = std::abs(a_star(ra) / a_star(rb) - 1.0);
  const double cal = std::abs(a_star(ca_json) / a_star(cb_json) - 1.0);
  EXPECT_LT(cal, 0.03) << "uncalibrated " << raw;
  EXPECT_GT(raw, 2.0 * cal);
  // compare: registered with the charts hidden (their patch grid would fail the shift test),
  // both photos calibrated, the chart left out of the measured region.
  std::string out;
  ASSERT_EQ(test::RunCliStdout("compare " + ShellQuote(dir + "/before.png") + " " +
                                   ShellQuote(dir + "/after.png") + " --chart --flat-field " +
                                   ShellQuote(dir + "/card_before.png") + " --flat-field-after " +
                                   ShellQuote(dir + "/card_after.png") + " --no-stats -q --json -",
                               &out),
            0);
  const json c = json::parse(out);
  EXPECT_EQ(c["alignment"]["status"], "ok");
  EXPECT_EQ(c["colour"]["state"], "chart");
  const json& a_change = c["metrics"]["change"]["redness.a_star_mean"];
  EXPECT_LT(std::abs(a_change["percent"].get<double>()), 3.0) << a_change.dump();
  EXPECT_EQ(a_change["meaningful"], true);
}

}  // namespace
}  // namespace skintrack
