// `skintrack phantom`: determinism, outputs, --from-image on a real photograph.
#include <gtest/gtest.h>

#include <cmath>
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

int Cli(const std::string& args, std::string* out = nullptr) { return test::RunCli(args, out); }

TEST(CliPhantomTest, SameSeedGivesByteIdenticalFiles) {
  const std::string dir = test::MakeTempDir("cli_phantom_det");
  std::string out;
  for (const char* sub : {"a", "b"}) {
    ASSERT_EQ(
        Cli("phantom --width 800 --height 600 --seed 7 --out-dir " + ShellQuote(dir + "/" + sub),
            &out),
        0)
        << out;
  }
  ASSERT_EQ(
      Cli("phantom --width 800 --height 600 --seed 8 --out-dir " + ShellQuote(dir + "/c"), &out), 0)
      << out;
  for (const char* name : {"before.jpg", "after.jpg", "truth.json"}) {
    const std::string a = test::ReadFile(dir + "/a/" + name);
    ASSERT_FALSE(a.empty()) << name;
    EXPECT_TRUE(a == test::ReadFile(dir + "/b/" + name)) << name << " differs for the same seed";
    EXPECT_FALSE(a == test::ReadFile(dir + "/c/" + name)) << name << " same for another seed";
  }
  const json truth = json::parse(test::ReadFile(dir + "/a/truth.json"), nullptr, false);
  ASSERT_FALSE(truth.is_discarded());
  EXPECT_EQ(truth["schema"], "skintrack.phantom_truth.v1");
  EXPECT_EQ(truth["seed"], 7);
  EXPECT_EQ(truth["width"], 800);
  EXPECT_EQ(truth["height"], 600);
  EXPECT_EQ(truth["before_image"], "before.jpg");
  EXPECT_EQ(truth["after_image"], "after.jpg");
  const cv::Mat before = cv::imread(dir + "/a/before.jpg");
  EXPECT_EQ(before.size(), cv::Size(800, 600));
  fs::remove_all(dir);
}

// Regression: --jpeg-quality 0 ("lossless PNG") was refused because WriteImage validated the
// JPEG quality for PNG too.
TEST(CliPhantomTest, JpegQualityZeroWritesPng) {
  const std::string dir = test::MakeTempDir("cli_phantom_png");
  std::string out;
  ASSERT_EQ(
      Cli("phantom --width 160 --height 120 --jpeg-quality 0 --out-dir " + ShellQuote(dir), &out),
      0)
      << out;
  EXPECT_TRUE(fs::exists(dir + "/before.png"));
  EXPECT_TRUE(fs::exists(dir + "/after.png"));
  EXPECT_FALSE(fs::exists(dir + "/before.jpg"));
  const json truth = json::parse(test::ReadFile(dir + "/truth.json"), nullptr, false);
  ASSERT_FALSE(truth.is_discarded());
  EXPECT_EQ(truth["before_image"], "before.png");
  fs::remove_all(dir);
}

// The before photo gets a small pose by default (both photos resampled, as two camera photos
// are), none with --still-before; on the default pair compare reads no texture change (an
// unposed before read ~7 % rougher, a significant "change" of unchanged skin).
TEST(CliPhantomTest, BeforeIsPosedUnlessStill) {
  const std::string dir = test::MakeTempDir("cli_phantom_pose");
  std::string out;
  for (const std::string& sub : {std::string("posed"), std::string("still")}) {
    ASSERT_EQ(Cli("phantom --width 1000 --height 750 --seed 3 --out-dir " +
                      ShellQuote(dir + "/" + sub) + (sub == "still" ? " --still-before" : ""),
                  &out),
              0)
        << out;
  }
  auto before_from_skin = [&](const std::string& sub) {
    const json t = json::parse(test::ReadFile(dir + "/" + sub + "/truth.json"), nullptr, false);
    return t["before_capture"]["image_from_skin"];
  };
  const json posed = before_from_skin("posed"), still = before_from_skin("still");
  EXPECT_GT(std::abs(posed[0][1].get<double>()) + std::abs(posed[0][2].get<double>()), 1e-3);
  EXPECT_EQ(still[0][1].get<double>(), 0.0);
  EXPECT_EQ(still[0][2].get<double>(), 0.0);
  ASSERT_EQ(test::RunCliStdout("compare " + ShellQuote(dir + "/posed/before.jpg") + " " +
                                   ShellQuote(dir + "/posed/after.jpg") + " -q --json -",
                               &out),
            0);
  const json c = json::parse(out, nullptr, false);
  ASSERT_FALSE(c.is_discarded());
  const json& rough = c["metrics"]["change"]["texture.roughness"];
  EXPECT_LT(std::abs(rough["percent"].get<double>()), 2.0) << rough.dump();
  EXPECT_FALSE(rough["significant"].get<bool>()) << rough.dump();
  fs::remove_all(dir);
}

TEST(CliPhantomTest, JpegQualityOutOfRangeExitsWith1) {
  const std::string dir = test::MakeTempDir("cli_phantom_q");
  std::string out;
  EXPECT_EQ(
      Cli("phantom --width 160 --height 120 --jpeg-quality 101 --out-dir " + ShellQuote(dir + "/x"),
          &out),
      1)
      << out;
  EXPECT_NE(out.find("jpeg-quality"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir + "/x"));  // nothing written
  fs::remove_all(dir);
}

// --chart-width puts a ColorChecker on the skin of both captures: the truth names its corners
// and `compare --chart` fits it in both photos (colour state "chart"), registering them with
// the charts left out.
TEST(CliPhantomTest, ChartWidthRendersAChartCompareCalibratesWith) {
  const std::string dir = test::MakeTempDir("cli_phantom_chart");
  std::string out;
  ASSERT_EQ(Cli("phantom --width 1000 --height 750 --seed 6 --chart-width 0.4 --still-before "
                "--out-dir " +
                    ShellQuote(dir),
                &out),
            0)
      << out;
  const json truth = json::parse(test::ReadFile(dir + "/truth.json"), nullptr, false);
  ASSERT_TRUE(truth.is_object());
  ASSERT_EQ(truth["chart"]["corners_before"].size(), 4u);
  EXPECT_NEAR(truth["chart"]["corners_before"][1][0].get<double>() -
                  truth["chart"]["corners_before"][0][0].get<double>(),
              400.0, 1e-3);
  ASSERT_EQ(
      test::RunCliStdout("compare " + ShellQuote(dir + "/before.jpg") + " " +
                             ShellQuote(dir + "/after.jpg") + " --chart --no-metrics -q --json -",
                         &out),
      0)
      << out;
  const json c = json::parse(out, nullptr, false);
  ASSERT_TRUE(c.is_object()) << out;
  EXPECT_EQ(c["colour"]["state"], "chart");
  EXPECT_EQ(c["colour"]["before"]["chart"]["found"], true);
  EXPECT_EQ(c["colour"]["after"]["chart"]["found"], true);
  EXPECT_NE(c["alignment"]["status"], "failed");
  // The detected chart sits where the truth put it (within 2 px at each corner).
  for (int k = 0; k < 4; ++k)
    for (int a = 0; a < 2; ++a)
      EXPECT_NEAR(c["colour"]["before"]["chart"]["corners_px"][k][a].get<double>(),
                  truth["chart"]["corners_before"][k][a].get<double>(), 2.0);
  EXPECT_EQ(Cli("phantom --width 160 --height 120 --chart-width 1.5 --out-dir " +
                    ShellQuote(dir + "/bad"),
                &out),
            1)
      << out;
  EXPECT_NE(out.find("--chart-width"), std::string::npos) << out;
  fs::remove_all(dir);
}

TEST(CliPhantomTest, FromImageRephotographsARealPhoto) {
  const std::string real = test::RealDataDir();
  if (real.empty()) GTEST_SKIP() << "real data not found (../shared/data/real beside the project)";
  const std::string src = real + "/isic_cc0/ISIC_0000321.jpg";  // 767x576
  if (!fs::exists(src)) GTEST_SKIP() << "real image not found: " << src;
  const std::string dir = test::MakeTempDir("cli_phantom_real");
  std::string out;
  ASSERT_EQ(
      Cli("phantom --from-image " + ShellQuote(src) + " --seed 3 --out-dir " + ShellQuote(dir),
          &out),
      0)
      << out;
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 3);
  const cv::Mat before = cv::imread(dir + "/before.jpg"), after = cv::imread(dir + "/after.jpg");
  EXPECT_EQ(before.size(), cv::Size(767, 576));  // the source's size
  EXPECT_EQ(after.size(), cv::Size(767, 576));
  const json truth = json::parse(test::ReadFile(dir + "/truth.json"), nullptr, false);
  ASSERT_FALSE(truth.is_discarded());
  EXPECT_EQ(truth["source_image"], src);
  EXPECT_EQ(truth["width"], 767);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skintrack
