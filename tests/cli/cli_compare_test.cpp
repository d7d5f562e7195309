// `skintrack compare` end to end on phantom pairs (800x600, made once with `skintrack phantom`):
// JSON on stdout or in a file, the image outputs, alignment failure (exit 3) and the scale.
#include <gtest/gtest.h>

#include <algorithm>
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

int CliStdout(const std::string& args, std::string* out) { return test::RunCliStdout(args, out); }

json ParseFile(const std::string& path) {
  const std::string text = test::ReadFile(path);
  EXPECT_FALSE(text.empty()) << path;
  return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

class CliCompareTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::MakeTempDir("cli_compare"));
    for (const char* seed : {"1", "2"}) {
      std::string out;
      const int rc = Cli("phantom --width 800 --height 600 --seed " + std::string(seed) +
                             " --out-dir " + ShellQuote(*dir_ + "/seed" + seed),
                         &out);
      ASSERT_EQ(rc, 0) << out;
    }
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string Q(const std::string& name) { return ShellQuote(Path(name)); }
  static std::string Pair() { return Q("seed1/before.jpg") + " " + Q("seed1/after.jpg"); }
  static std::string* dir_;
};
std::string* CliCompareTest::dir_ = nullptr;

TEST_F(CliCompareTest, PhantomPairGivesJsonOnStdoutAndExit0) {
  std::string out;
  ASSERT_EQ(CliStdout("compare " + Pair(), &out), 0) << out;
  const json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["schema"], "skintrack.compare.v1");
  EXPECT_EQ(j["alignment"]["status"], "ok") << j["alignment"]["reason"];
  EXPECT_EQ(j["before"]["path"], Path("seed1/before.jpg"));
  EXPECT_EQ(j["after"]["path"], Path("seed1/after.jpg"));
  EXPECT_EQ(j["before"]["width"], 800);
  EXPECT_EQ(j["before"]["height"], 600);
  EXPECT_TRUE(j["scale"]["mm_per_px"].is_null());
  EXPECT_EQ(j["scale"]["source"], "none");
  // The homography agrees with the phantom's truth (global TRE well below 1 px).
  const json truth = ParseFile(Path("seed1/truth.json"));
  ASSERT_FALSE(truth.is_discarded());
  cv::Matx33d est, tru;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      est(r, c) = j["alignment"]["after_to_before"][r][c].get<double>();
      tru(r, c) = truth["after_to_before"][r][c].get<double>();
    }
  }
  const cv::Matx33d est_b2a = est.inv();
  const test::TreStats tre =
      test::GridTre([&](const cv::Point2d& p) { return test::ApplyHomography(est_b2a, p); }, tru,
                    {800, 600}, {800, 600});
  ASSERT_GT(tre.points, 600);
  EXPECT_LT(tre.median, 0.3);
  EXPECT_LT(tre.max, 1.0);
}

TEST_F(CliCompareTest, TheBundledNoChangeSampleCallsNothingSignificantEitherWay) {
  // The README's quick start: a real (ISIC, CC0) dermoscopic photo re-captured with a new pose,
  // exposure, white balance and side light and no treatment, measured with the dermoscope
  // preset. No change may be called significant, in either order. The preset marks wrinkles
  // not meaningful (on dermoscopic photos the traced lines are mostly faint hairs).
  const std::string a = ShellQuote(test::SourceDir() + "/sample_images/before.jpg");
  const std::string b = ShellQuote(test::SourceDir() + "/sample_images/after.jpg");
  for (const std::string& pair : {a + " " + b, b + " " + a}) {
    std::string out;
    ASSERT_EQ(CliStdout("compare " + pair + " --preset dermoscope", &out), 0) << out;
    const json j = json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["alignment"]["status"], "ok") << pair;
    // Each photo's quality gate assumes the preset's field over its own long side.
    for (const char* photo : {"before", "after"}) {
      const double long_side =
          std::max(j[photo]["width"].get<double>(), j[photo]["height"].get<double>());
      EXPECT_DOUBLE_EQ(j["quality"][photo]["px_per_mm_used"].get<double>(), long_side / 20.0)
          << photo;
    }
    const json& change = j["metrics"]["change"];
    ASSERT_GT(change.size(), 30u);
    int judged = 0;
    for (const auto& [key, entry] : change.items()) {
      EXPECT_FALSE(entry.at("significant").get<bool>())
          << pair << ": " << key << " " << entry.dump();
      judged += entry.contains("mdc") && !entry["mdc"].is_null();
    }
    EXPECT_GT(judged, 10) << "too few entries have an MDC to judge by";
    // The dermoscope preset declares wrinkles not meaningful (the lines are mostly faint hair).
    const json& listed = j["metrics"]["not_meaningful"];
    EXPECT_NE(std::find(listed.begin(), listed.end(), "wrinkles"), listed.end()) << listed;
    EXPECT_EQ(change["wrinkles.length_px"]["meaningful"], false);
    EXPECT_EQ(j["parameters"]["not_meaningful"], json::array({"wrinkles"}));
  }
  std::string out;
  ASSERT_EQ(CliStdout("analyze " + a + " --preset dermoscope", &out), 0) << out;
  const json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  const json& listed = j["metrics"]["not_meaningful"];
  EXPECT_NE(std::find(listed.begin(), listed.end(), "wrinkles"), listed.end()) << listed;
  // The 1024-px sample's long side spans the dermoscope's assumed 20 mm; its hair is flagged
  // (0.053 of the measured area, the faint tier included), 5 faint lines are left (36 with the
  // face preset, which has no faint tier and assumes 20 px/mm).
  EXPECT_DOUBLE_EQ(j["parameters"]["px_per_mm_used"].get<double>(), 1024.0 / 20.0);
  // The quality gate judges sharpness at the same assumed scale.
  EXPECT_DOUBLE_EQ(j["quality"]["px_per_mm_used"].get<double>(), 1024.0 / 20.0);
  EXPECT_GT(j["metrics"]["hair"]["area_fraction"].get<double>(), 0.03);
  EXPECT_LE(j["metrics"]["wrinkles"]["count"].get<int>(), 10);
  ASSERT_EQ(CliStdout("analyze " + a, &out), 0) << out;  // the default preset: measured as usual
  const json d = json::parse(out, nullptr, false);
  const json& none = d["metrics"]["not_meaningful"];
  EXPECT_EQ(std::find(none.begin(), none.end(), "wrinkles"), none.end()) << none;
  EXPECT_DOUBLE_EQ(d["parameters"]["px_per_mm_used"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(d["quality"]["px_per_mm_used"].get<double>(), 20.0);
  EXPECT_LT(d["metrics"]["hair"]["area_fraction"].get<double>(), 0.01);
  EXPECT_GT(d["metrics"]["wrinkles"]["count"].get<int>(), 20);
}

TEST_F(CliCompareTest, OutDirWritesJsonAndImagesOfTheRightSizes) {
  const std::string out_dir = Path("out");
  std::string out;
  ASSERT_EQ(Cli("compare " + Pair() + " --out-dir " + ShellQuote(out_dir), &out), 0) << out;
  const json j = ParseFile(out_dir + "/compare.json");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "skintrack.compare.v1");
  EXPECT_EQ(j["alignment"]["status"], "ok");
  const cv::Mat aligned = cv::imread(out_dir + "/after_aligned.png", cv::IMREAD_UNCHANGED);
  const cv::Mat mask = cv::imread(out_dir + "/overlap_mask.png", cv::IMREAD_UNCHANGED);
  const cv::Mat checker = cv::imread(out_dir + "/checkerboard.jpg");
  const cv::Mat side = cv::imread(out_dir + "/side_by_side.jpg");
  ASSERT_FALSE(aligned.empty());
  ASSERT_FALSE(mask.empty());
  ASSERT_FALSE(checker.empty());
  ASSERT_FALSE(side.empty());
  EXPECT_EQ(aligned.size(), cv::Size(800, 600));  // the before image's size
  EXPECT_EQ(mask.size(), cv::Size(800, 600));
  EXPECT_EQ(mask.type(), CV_8UC1);
  EXPECT_EQ(checker.size(), cv::Size(800, 600));
  EXPECT_EQ(side.size(), cv::Size(2 * 800 + 8, 600));
  // The mask is binary and covers most of the frame (random capture: rotation <= 10 deg).
  EXPECT_EQ(cv::countNonZero(mask) + cv::countNonZero(mask == 0), 800 * 600);
  EXPECT_GT(cv::countNonZero(mask), 800 * 600 / 2);
  EXPECT_EQ(cv::countNonZero((mask != 0) & (mask != 255)), 0);
}

TEST_F(CliCompareTest, JsonFileGoesWhereAsked) {
  const std::string path = Path("result.json");
  std::string out;
  ASSERT_EQ(CliStdout("compare " + Pair() + " --json " + ShellQuote(path), &out), 0);
  EXPECT_EQ(out.find("skintrack.compare.v1"), std::string::npos) << "JSON also on stdout";
  const json j = ParseFile(path);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["alignment"]["status"], "ok");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(CliCompareTest, DifferentSkinExits3AndStillWritesTheJson) {
  const std::string path = Path("different.json");
  std::string out;
  EXPECT_EQ(Cli("compare " + Q("seed1/before.jpg") + " " + Q("seed2/after.jpg") + " --json " +
                    ShellQuote(path),
                &out),
            3)
      << out;
  const json j = ParseFile(path);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "skintrack.compare.v1");
  EXPECT_EQ(j["alignment"]["status"], "failed");
  EXPECT_FALSE(j["alignment"]["reason"].get<std::string>().empty());
}

TEST_F(CliCompareTest, UserScaleAndNoNonrigidAreReported) {
  std::string out;
  ASSERT_EQ(CliStdout("compare " + Pair() + " --mm-per-px 0.05 --no-nonrigid", &out), 0) << out;
  const json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_TRUE(j["scale"]["mm_per_px"].is_number()) << j["scale"];
  EXPECT_DOUBLE_EQ(j["scale"]["mm_per_px"].get<double>(), 0.05);
  EXPECT_EQ(j["scale"]["source"], "user");
  EXPECT_EQ(j["alignment"]["nonrigid"]["used"], false);
  EXPECT_EQ(j["alignment"]["method"].get<std::string>().find("dis"), std::string::npos);
}

}  // namespace
}  // namespace skintrack
