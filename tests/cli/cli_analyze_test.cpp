// `skintrack analyze` and the metrics part of `skintrack compare`, end to end on a phantom pair.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "test_util.h"

namespace skintrack {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::ShellQuote;

int Cli(const std::string& args, std::string* out = nullptr) { return test::RunCli(args, out); }

class CliAnalyzeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::MakeTempDir("cli_analyze"));
    std::string out;
    ASSERT_EQ(Cli("phantom --width 800 --height 600 --seed 3 --out-dir " + ShellQuote(*dir_), &out),
              0)
        << out;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string* dir_;
};
std::string* CliAnalyzeTest::dir_ = nullptr;

TEST_F(CliAnalyzeTest, WritesSchemaMetricsParametersAndOverlays) {
  const std::string out_dir = *dir_ + "/a1";
  std::string out;
  ASSERT_EQ(Cli("analyze " + ShellQuote(*dir_ + "/before.jpg") + " --mm-per-px 0.05 --preset face" +
                    " --detections " + ShellQuote(*dir_ + "/det.json") + " --out-dir " +
                    ShellQuote(out_dir),
                &out),
            0)
      << out;
  const json j = json::parse(test::ReadFile(out_dir + "/analyze.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "skintrack.analyze.v1");
  EXPECT_EQ(j["scale"]["source"], "user");
  EXPECT_EQ(j["parameters"]["preset"], "face");
  EXPECT_TRUE(j["metrics"]["roi_area_cm2"].is_number());  // scale known -> physical fields
  EXPECT_EQ(j["image"]["width"], 800);
  const json d = json::parse(test::ReadFile(*dir_ + "/det.json"), nullptr, false);
  ASSERT_FALSE(d.is_discarded());
  EXPECT_TRUE(d["detections"]["pores"].is_array());
  EXPECT_EQ(cv::imread(out_dir + "/overlay.jpg").size(), cv::Size(800, 600));
  EXPECT_EQ(cv::imread(out_dir + "/redness_map.jpg").size(), cv::Size(800, 600));
}

// The overlay shows what was measured without --roi: outside the automatic skin mask dimmed,
// the hair left out of it shaded blue, the measured skin as photographed (JPEG q90: +-6).
TEST_F(CliAnalyzeTest, OverlayShowsTheMeasuredRegionAndHair) {
  cv::Mat img(600, 800, CV_8UC3, cv::Scalar(140, 158, 204));  // skin (BGR)
  img.colRange(400, 800).setTo(cv::Scalar(204, 115, 51));     // blue backdrop: not skin
  cv::line(img, cv::Point(150, 30), cv::Point(180, 570), cv::Scalar(20, 20, 26), 2, cv::LINE_AA);
  const std::string path = *dir_ + "/half_skin.png", out_dir = *dir_ + "/a_overlay";
  ASSERT_TRUE(cv::imwrite(path, img));
  std::string out;
  ASSERT_EQ(Cli("analyze " + ShellQuote(path) + " --out-dir " + ShellQuote(out_dir), &out), 0)
      << out;
  const cv::Mat overlay = cv::imread(out_dir + "/overlay.jpg");
  ASSERT_EQ(overlay.size(), img.size());
  const auto near = [](const cv::Vec3b& a, const cv::Vec3b& b) {
    for (int c = 0; c < 3; ++c)
      if (std::abs(int(a[c]) - int(b[c])) > 6) return false;
    return true;
  };
  EXPECT_TRUE(near(overlay.at<cv::Vec3b>(300, 300), cv::Vec3b(140, 158, 204)))
      << overlay.at<cv::Vec3b>(300, 300);
  EXPECT_TRUE(near(overlay.at<cv::Vec3b>(300, 600), cv::Vec3b(82, 46, 20)))  // x 0.4
      << overlay.at<cv::Vec3b>(300, 600);
  const cv::Vec3b on_hair = overlay.at<cv::Vec3b>(300, 165);    // the hair at y 300: x ~165
  EXPECT_GT(int(on_hair[0]), int(on_hair[2]) + 80) << on_hair;  // blue, not the dark hair
}

// The launcher starts skintrack-core with glibc malloc tunables (src/cli/malloc_tunables.h),
// and skintrack-core run directly re-executes itself once with them: the arguments reach the
// core unchanged and the results equal a run without them (SKINTRACK_NO_REEXEC), a run whose
// GLIBC_TUNABLES asks for huge pages (added after the core's own tunables) and a run of the
// core itself.
TEST_F(CliAnalyzeTest, MallocTunableReexecKeepsArgumentsAndResults) {
  const std::string args =
      "analyze " + ShellQuote(*dir_ + "/before.jpg") + " --mm-per-px 0.05 --preset face --json -";
  std::string a, b, c;
  ASSERT_EQ(test::RunCliStdout(args, &a), 0);
  ASSERT_EQ(test::RunCommand("{ SKINTRACK_NO_REEXEC=1 " + ShellQuote(test::CliPath()) + " " + args +
                                 " 2>/dev/null; }",
                             &b),
            0);
  ASSERT_EQ(test::RunCommand("{ GLIBC_TUNABLES=glibc.malloc.hugetlb=1 " +
                                 ShellQuote(test::CliPath()) + " " + args + " 2>/dev/null; }",
                             &c),
            0);
  const std::string core =
      std::filesystem::path(test::CliPath()).parent_path().string() + "/skintrack-core";
  std::string d;
  ASSERT_EQ(test::RunCommand("{ " + ShellQuote(core) + " " + args + " 2>/dev/null; }", &d), 0);
  const json ja = json::parse(a, nullptr, false), jb = json::parse(b, nullptr, false),
             jc = json::parse(c, nullptr, false), jd = json::parse(d, nullptr, false);
  ASSERT_FALSE(ja.is_discarded() || jb.is_discarded() || jc.is_discarded() || jd.is_discarded());
  EXPECT_EQ(ja["parameters"]["preset"], "face");
  EXPECT_EQ(ja["metrics"], jb["metrics"]);
  EXPECT_EQ(ja["metrics"], jc["metrics"]);
  EXPECT_EQ(ja["metrics"], jd["metrics"]);
}

TEST_F(CliAnalyzeTest, NoScaleMeansNullPhysicalFields) {
  std::string out;
  ASSERT_EQ(test::RunCommand("{ " + ShellQuote(test::CliPath()) + " analyze " +
                                 ShellQuote(*dir_ + "/before.jpg") + " 2>/dev/null; }",
                             &out),
            0);
  const json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out.substr(0, 200);
  EXPECT_TRUE(j["scale"]["mm_per_px"].is_null());
  EXPECT_TRUE(j["metrics"]["roi_area_cm2"].is_null());
  EXPECT_TRUE(j["metrics"]["pores"]["density_per_cm2"].is_null());
  EXPECT_TRUE(j["metrics"]["pores"]["mean_diameter_px"].is_number());
}

TEST_F(CliAnalyzeTest, BadPresetRoiAndImageAreClearErrors) {
  std::string out;
  EXPECT_EQ(Cli("analyze " + ShellQuote(*dir_ + "/before.jpg") + " --preset nosuch", &out), 1);
  EXPECT_NE(out.find("nosuch"), std::string::npos) << out;
  EXPECT_EQ(Cli("analyze " + ShellQuote(*dir_ + "/missing.jpg"), &out), 2);
  EXPECT_NE(out.find("missing.jpg"), std::string::npos) << out;
  // A mask of the wrong size names the mask file.
  const std::string mask = *dir_ + "/small_mask.png";
  cv::imwrite(mask, cv::Mat(100, 100, CV_8UC1, cv::Scalar(255)));
  EXPECT_EQ(
      Cli("analyze " + ShellQuote(*dir_ + "/before.jpg") + " --roi " + ShellQuote(mask), &out), 2);
  EXPECT_NE(out.find("small_mask.png"), std::string::npos) << out;
}

TEST_F(CliAnalyzeTest, RoiMaskRestrictsTheMeasuredArea) {
  const std::string mask = *dir_ + "/half_mask.png";
  cv::Mat m = cv::Mat::zeros(600, 800, CV_8UC1);
  m(cv::Rect(0, 0, 400, 600)).setTo(255);
  cv::imwrite(mask, m);
  std::string out;
  ASSERT_EQ(test::RunCommand("{ " + ShellQuote(test::CliPath()) + " analyze " +
                                 ShellQuote(*dir_ + "/before.jpg") + " --roi " + ShellQuote(mask) +
                                 " 2>/dev/null; }",
                             &out),
            0);
  const json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_LE(j["metrics"]["roi_area_px"].get<long long>(), 400 * 600);
  EXPECT_GT(j["metrics"]["roi_area_px"].get<long long>(), 400 * 600 / 2);
}

TEST_F(CliAnalyzeTest, CompareMeasuresBothSessionsOverOneRegion) {
  const std::string out_dir = *dir_ + "/c1";
  std::string out;
  ASSERT_EQ(Cli("compare " + ShellQuote(*dir_ + "/before.jpg") + " " +
                    ShellQuote(*dir_ + "/after.jpg") + " --detections " +
                    ShellQuote(*dir_ + "/cdet.json") + " --out-dir " + ShellQuote(out_dir),
                &out),
            0)
      << out;
  const json j = json::parse(test::ReadFile(out_dir + "/compare.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "skintrack.compare.v1");
  // The identical region: the same ROI area in both sessions.
  EXPECT_EQ(j["metrics"]["before"]["roi_area_px"], j["metrics"]["after"]["roi_area_px"]);
  const json& c = j["metrics"]["change"]["pores.count"];
  EXPECT_DOUBLE_EQ(c["delta"].get<double>(), c["after"].get<double>() - c["before"].get<double>());
  const json d = json::parse(test::ReadFile(*dir_ + "/cdet.json"), nullptr, false);
  EXPECT_TRUE(d["before"]["pores"].is_array());
  EXPECT_TRUE(d["after"]["pores"].is_array());
  // Each wrinkle says whether the other photo's lines paired or guided it in and whether it
  // extends a counted line; the count leaves out the extensions.
  EXPECT_FALSE(d["before"]["wrinkles"].empty());  // the phantom has wrinkles
  for (const char* session : {"before", "after"}) {
    int counted = 0;
    for (const json& w : d[session]["wrinkles"]) {
      ASSERT_TRUE(w["paired"].is_boolean()) << session;
      ASSERT_TRUE(w["extends"].is_boolean()) << session;
      counted += w["extends"].get<bool>() ? 0 : 1;
    }
    EXPECT_EQ(counted, j["metrics"][session]["wrinkles"]["count"].get<int>()) << session;
  }
  for (const char* f : {"overlay_before.jpg", "overlay_after.jpg", "redness_map_before.jpg"})
    EXPECT_TRUE(fs::exists(out_dir + "/" + f)) << f;
  // --no-metrics: alignment only.
  ASSERT_EQ(test::RunCommand("{ " + ShellQuote(test::CliPath()) + " compare " +
                                 ShellQuote(*dir_ + "/before.jpg") + " " +
                                 ShellQuote(*dir_ + "/after.jpg") + " --no-metrics 2>/dev/null; }",
                             &out),
            0);
  const json k = json::parse(out, nullptr, false);
  ASSERT_FALSE(k.is_discarded());
  EXPECT_FALSE(k.contains("metrics"));
}

}  // namespace
}  // namespace skintrack
