// `skintrack marker` (printable marker files) and the marker scale end to end: phantom pairs
// with a rendered marker (`phantom --marker-mm`) through `compare` and `analyze`.
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

json ParseFile(const std::string& path) {
  return json::parse(test::ReadFile(path), nullptr, /*allow_exceptions=*/false);
}

int Lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(CliMarkerTest, WritesPngOfExactPixelSizeWithDpi) {
  const std::string dir = test::MakeTempDir("cli_marker_png");
  const std::string path = dir + "/marker.png";
  std::string out;
  ASSERT_EQ(Cli("marker --out " + ShellQuote(path) + " --mm 10 --dpi 600 --id 5", &out), 0) << out;
  const cv::Mat img = cv::imread(path, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(img.empty());
  const int side = static_cast<int>(std::lround(10.0 / 25.4 * 600));  // 236 px
  const int quiet = static_cast<int>(std::lround(side / 6.0));        // 1 cell of 6
  EXPECT_EQ(img.cols, side + 2 * quiet);
  EXPECT_EQ(img.rows, side + 2 * quiet);
  EXPECT_EQ(img.channels(), 1);
  // Black square exactly `side` px: first and last black column of the middle-top border row.
  const cv::Mat row = img.row(quiet + 2);
  int first = -1, last = -1;
  for (int x = 0; x < row.cols; ++x) {
    if (row.at<uchar>(0, x) == 0) {
      if (first < 0) first = x;
      last = x;
    }
  }
  EXPECT_EQ(last - first + 1, side);
  // pHYs: 600 dpi = 23622 px per metre, unit metre.
  const std::string bytes = test::ReadFile(path);
  const size_t at = bytes.find("pHYs");
  ASSERT_NE(at, std::string::npos);
  const auto u8 = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned ppm = (u8(at + 4) << 24) | (u8(at + 5) << 16) | (u8(at + 6) << 8) | u8(at + 7);
  EXPECT_EQ(ppm, 23622u);
  EXPECT_EQ(u8(at + 12), 1);
  fs::remove_all(dir);
}

TEST(CliMarkerTest, BadArgumentsExit1WithOneLineError) {
  const std::string dir = test::MakeTempDir("cli_marker_bad");
  const std::string png = ShellQuote(dir + "/m.png");
  const std::string cases[] = {
      "marker",                                          // --out missing
      "marker --out " + png + " --mm -2",                // negative size
      "marker --out " + png + " --mm abc",               // not a number
      "marker --out " + png + " --dpi 10",               // dpi out of range
      "marker --out " + png + " --id 50",                // DICT_4X4_50 has ids 0..49
      "marker --out " + png + " --dictionary DICT_9X9",  // unknown dictionary
      "marker --out " + ShellQuote(dir + "/m.jpg"),      // lossy format
      "marker --out " + png + " --mm 0.5 --dpi 72",      // < 2 px per cell
  };
  for (const std::string& c : cases) {
    std::string out;
    EXPECT_EQ(Cli(c, &out), 1) << c << "\n" << out;
    EXPECT_EQ(Lines(out), 1) << c << "\n" << out;
    EXPECT_EQ(out.rfind("skintrack marker: error:", 0), 0u) << out;
  }
  EXPECT_FALSE(fs::exists(dir + "/m.png"));
  std::string out;
  EXPECT_EQ(Cli("marker --out " + ShellQuote(dir + "/no/such/dir/m.png"), &out), 4) << out;
  EXPECT_NE(out.find("no/such/dir/m.png"), std::string::npos) << out;
  fs::remove_all(dir);
}

// A printed ChArUco board (`marker --charuco`) photographed as it is: `analyze --charuco` reads
// its scale, 25.4 / 203.2 = 0.125 mm per px, from all 24 chessboard corners.
TEST(CliMarkerTest, CharucoBoardRoundTrip) {
  const std::string dir = test::MakeTempDir("cli_charuco");
  const std::string png = dir + "/board.png";
  std::string out;
  ASSERT_EQ(Cli("marker --out " + ShellQuote(png) +
                    " --charuco 5x7 --charuco-square-mm 5 --charuco-marker-mm 3.5 --dpi 203.2",
                &out),
            0)
      << out;
  EXPECT_NE(out.find("ChArUco board 5x7 of 5.00 mm squares"), std::string::npos) << out;
  const cv::Mat img = cv::imread(png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.cols, 7 * 40);
  EXPECT_EQ(img.rows, 9 * 40);
  // The board on a grey page (a photo of it), then analyze with the board. The page holds no
  // skin: analyze fails with one line (exit 2), but its JSON records the scale.
  cv::Mat page(600, 500, CV_8UC1, cv::Scalar(140));
  img.copyTo(page(cv::Rect(100, 120, img.cols, img.rows)));
  const std::string photo = dir + "/photo.png";
  ASSERT_TRUE(cv::imwrite(photo, page));
  ASSERT_EQ(
      Cli("analyze " + ShellQuote(photo) + " --charuco 5x7 --json " + ShellQuote(dir + "/a.json"),
          &out),
      2)
      << out;
  EXPECT_EQ(Lines(out), 1) << out;
  EXPECT_NE(out.find("no skin to measure"), std::string::npos) << out;
  const json j = ParseFile(dir + "/a.json");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["scale"]["source"], "marker");
  EXPECT_EQ(j["scale"]["target"], "charuco");
  EXPECT_EQ(j["scale"]["board_corners"], 24);
  EXPECT_NEAR(j["scale"]["mm_per_px"].get<double>(), 0.125, 0.125 * 0.001);
  EXPECT_NE(j["scale"]["reason"].get<std::string>().find("ChArUco board 5x7"), std::string::npos);
  // Without --charuco the same photo is searched for a single 10 mm marker instead.
  ASSERT_EQ(Cli("analyze " + ShellQuote(photo) + " --json " + ShellQuote(dir + "/m.json"), &out), 2)
      << out;
  const json m = ParseFile(dir + "/m.json");
  EXPECT_NE(m["scale"]["target"], "charuco");
  // Malformed board options: exit 1, one line naming the value.
  for (const std::string& bad :
       {std::string("--charuco 5by7"), std::string("--charuco 2x7"), std::string("--charuco x"),
        std::string("--charuco 5x7 --charuco-marker-mm 6"), std::string("--charuco-square-mm 4")}) {
    EXPECT_EQ(Cli("analyze " + ShellQuote(photo) + " " + bad, &out), 1) << bad << "\n" << out;
    EXPECT_EQ(Lines(out), 1) << bad << "\n" << out;
  }
  EXPECT_NE(out.find("--charuco"), std::string::npos) << out;
  fs::remove_all(dir);
}

// Phantom pairs (960x720, 20 px/mm, marker 8 mm) made once.
class CliMarkerScaleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::MakeTempDir("cli_marker_scale"));
    const std::string common =
        "phantom --width 960 --height 720 --seed 5 --max-rotation-deg 6 --marker-mm 8 ";
    for (const char* in : {"both", "after"}) {
      std::string out;
      ASSERT_EQ(
          Cli(common + "--marker-in " + in + " --out-dir " + ShellQuote(*dir_ + "/" + in), &out), 0)
          << out;
    }
    std::string out;
    ASSERT_EQ(Cli("phantom --width 960 --height 720 --seed 5 --max-rotation-deg 6 --out-dir " +
                      ShellQuote(*dir_ + "/none"),
                  &out),
              0)
        << out;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Pair(const std::string& sub) {
    return ShellQuote(*dir_ + "/" + sub + "/before.jpg") + " " +
           ShellQuote(*dir_ + "/" + sub + "/after.jpg");
  }
  static json Truth(const std::string& sub) { return ParseFile(*dir_ + "/" + sub + "/truth.json"); }
  static json Compare(const std::string& sub, const std::string& extra) {
    const std::string json_path = *dir_ + "/" + sub + "/compare.json";
    std::string out;
    EXPECT_EQ(Cli("compare " + Pair(sub) + " --marker-mm 8 -q --json " + ShellQuote(json_path) +
                      " " + extra,
                  &out),
              0)
        << out;
    return ParseFile(json_path);
  }
  static std::string* dir_;
};
std::string* CliMarkerScaleTest::dir_ = nullptr;

TEST_F(CliMarkerScaleTest, TruthCarriesMarkerScale) {
  const json t = Truth("both");
  ASSERT_TRUE(t["marker"].is_object()) << t.dump();
  EXPECT_EQ(t["marker"]["side_mm"], 8.0);
  EXPECT_TRUE(t["marker"]["in_before"].get<bool>());
  EXPECT_NEAR(
      t["marker"]["px_per_mm_before"].get<double>() * t["marker"]["mm_per_px_before"].get<double>(),
      1.0, 1e-12);
  EXPECT_TRUE(Truth("none")["marker"].is_null());
  EXPECT_FALSE(Truth("after")["marker"]["in_before"].get<bool>());
}

TEST_F(CliMarkerScaleTest, MarkerInBeforePhotoGivesScale) {
  const json j = Compare("both", "");
  const json& s = j["scale"];
  ASSERT_EQ(s["source"], "marker") << s.dump();
  EXPECT_EQ(s["session"], "before");
  EXPECT_EQ(s["marker_id"], 0);
  EXPECT_LT(s["fit_residual_px"].get<double>(), 5.0);
  const double truth = Truth("both")["marker"]["mm_per_px_before"].get<double>();
  EXPECT_NEAR(s["mm_per_px"].get<double>() / truth, 1.0, 0.005) << s.dump();
  // Both photos show it: the after marker carried through the alignment agrees.
  ASSERT_TRUE(s["mm_per_px_from_after"].is_number()) << s.dump();
  EXPECT_NEAR(s["mm_per_px_from_after"].get<double>() / truth, 1.0, 0.01);
  EXPECT_TRUE(s["markers"]["before"].is_object());
  EXPECT_TRUE(s["markers"]["after"].is_object());
}

TEST_F(CliMarkerScaleTest, MarkerOnlyInAfterPhotoIsCarriedToBefore) {
  const json j = Compare("after", "");
  const json& s = j["scale"];
  ASSERT_EQ(s["source"], "marker") << s.dump();
  EXPECT_EQ(s["session"], "after");
  EXPECT_TRUE(s["markers"]["before"].is_null());
  const json t = Truth("after")["marker"];
  EXPECT_NEAR(s["mm_per_px"].get<double>() / t["mm_per_px_before"].get<double>(), 1.0, 0.01)
      << s.dump();
  EXPECT_NEAR(s["marker_centre_px"][0].get<double>(), t["centre_before"][0].get<double>(), 2.0);
  EXPECT_NEAR(s["marker_centre_px"][1].get<double>(), t["centre_before"][1].get<double>(), 2.0);
}

TEST_F(CliMarkerScaleTest, NoMarkerGivesSourceNoneAndNullPhysicalFields) {
  const json j = Compare("none", "");
  EXPECT_EQ(j["scale"]["source"], "none") << j["scale"].dump();
  EXPECT_TRUE(j["scale"]["mm_per_px"].is_null());
  EXPECT_TRUE(j["scale"]["marker_id"].is_null());
  EXPECT_NE(j["scale"]["reason"].get<std::string>().find("no "), std::string::npos);
  ASSERT_TRUE(j.contains("metrics")) << j.dump();
  EXPECT_TRUE(j["metrics"]["before"]["pores"]["density_per_cm2"].is_null())
      << j["metrics"]["before"]["pores"].dump();
}

TEST_F(CliMarkerScaleTest, MarkerScaleReachesPhysicalMetrics) {
  const json j = Compare("both", "");
  ASSERT_TRUE(j.contains("metrics")) << j.dump();
  EXPECT_TRUE(j["metrics"]["before"]["pores"]["density_per_cm2"].is_number())
      << j["metrics"]["before"]["pores"].dump();
}

TEST_F(CliMarkerScaleTest, UserScaleOverridesMarker) {
  const json j = Compare("both", "--no-metrics --mm-per-px 0.1");
  EXPECT_EQ(j["scale"]["source"], "user");
  EXPECT_EQ(j["scale"]["mm_per_px"], 0.1);
  EXPECT_TRUE(j["scale"]["session"].is_null());
}

TEST_F(CliMarkerScaleTest, WrongDictionaryFindsNoMarker) {
  const json j = Compare("both", "--no-metrics --marker-dictionary DICT_5X5_50");
  EXPECT_EQ(j["scale"]["source"], "none");
}

TEST_F(CliMarkerScaleTest, AnalyzeUsesMarker) {
  const std::string json_path = *dir_ + "/analyze.json";
  std::string out;
  ASSERT_EQ(Cli("analyze " + ShellQuote(*dir_ + "/both/before.jpg") + " --marker-mm 8 --json " +
                    ShellQuote(json_path),
                &out),
            0)
      << out;
  const json j = ParseFile(json_path);
  EXPECT_EQ(j["scale"]["source"], "marker") << j["scale"].dump();
  EXPECT_EQ(j["scale"]["session"], "image");
  const double truth = Truth("both")["marker"]["mm_per_px_before"].get<double>();
  EXPECT_NEAR(j["scale"]["mm_per_px"].get<double>() / truth, 1.0, 0.005);
}

TEST_F(CliMarkerScaleTest, PhantomAndCompareRejectBadMarkerOptions) {
  std::string out;
  EXPECT_EQ(
      Cli("phantom --out-dir " + ShellQuote(*dir_ + "/x") + " --marker-mm 8 --marker-in top", &out),
      1)
      << out;
  EXPECT_EQ(Lines(out), 1) << out;
  EXPECT_EQ(Cli("compare " + Pair("both") + " --marker-dictionary NOPE", &out), 1) << out;
  EXPECT_NE(out.find("NOPE"), std::string::npos) << out;
  EXPECT_EQ(Cli("compare " + Pair("both") + " --marker-mm 0", &out), 1) << out;
}

}  // namespace
}  // namespace skintrack
