// The comparison report: JSON schema skintrack.compare.v1, the checkerboard and side-by-side
// images (hand-computed), WriteCompareImages and atomic text writing.
#include "skintrack/report/compare_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>

#include "skintrack/core/version.h"
#include "test_util.h"

namespace skintrack::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

compare::CompareResult HandMadeResult() {
  compare::CompareResult r;
  r.before = {"b.jpg", 1600, 1200, ""};
  r.after = {"a.png", 1500, 1000, "JPEG data corrupt in places, decoded anyway (premature end)"};
  align::AlignmentResult& a = r.alignment;
  a.status = align::AlignmentStatus::kPoor;
  a.reason = "ECC 0.350 below 0.40: weak match";
  a.method = "orb+magsac+ecc";
  a.after_to_before = cv::Matx33d(1.01, 0.02, 5.5, -0.03, 0.99, -7.25, 1e-5, 2e-5, 1.0);
  a.nonrigid_used = false;
  a.median_fb_error_px = -1.0;
  a.inliers = 412;
  a.inlier_ratio = 0.61;
  a.ecc = 0.35;
  a.ncc_unaligned = 0.01;
  a.ncc_aligned = 0.42;
  a.ncc_shift_ratio = 7.5;
  a.ncc_shift_px = 4.0;
  a.overlap_fraction = 0.93;
  return r;
}

TEST(CompareToJsonTest, HasTheDocumentedKeysAndValues) {
  const json j = CompareToJson(HandMadeResult());
  EXPECT_EQ(j.at("schema"), "skintrack.compare.v1");
  EXPECT_EQ(j.at("schema"), kCompareSchema);
  EXPECT_EQ(j.at("skintrack_version"), kVersion);
  for (const char* side : {"before", "after"}) {
    ASSERT_TRUE(j.at(side).is_object()) << side;
    for (const char* k : {"path", "width", "height", "decode_warning"})
      EXPECT_TRUE(j.at(side).contains(k)) << k;
  }
  EXPECT_TRUE(j["before"]["decode_warning"].is_null());  // decoded cleanly
  EXPECT_EQ(j["after"]["decode_warning"],
            "JPEG data corrupt in places, decoded anyway (premature end)");
  EXPECT_EQ(j["before"]["path"], "b.jpg");
  EXPECT_EQ(j["before"]["width"], 1600);
  EXPECT_EQ(j["before"]["height"], 1200);
  EXPECT_EQ(j["after"]["path"], "a.png");
  EXPECT_EQ(j["after"]["width"], 1500);
  EXPECT_EQ(j["after"]["height"], 1000);

  const json& a = j.at("alignment");
  for (const char* k :
       {"status", "reason", "method", "after_to_before", "nonrigid", "inliers", "inlier_ratio",
        "ecc", "ncc_unaligned", "ncc_aligned", "overlap_fraction"}) {
    EXPECT_TRUE(a.contains(k)) << k;
  }
  EXPECT_EQ(a["status"], "poor");
  EXPECT_EQ(a["reason"], "ECC 0.350 below 0.40: weak match");
  EXPECT_EQ(a["method"], "orb+magsac+ecc");
  // 3x3 nested arrays, row-major.
  const json& h = a.at("after_to_before");
  ASSERT_TRUE(h.is_array());
  ASSERT_EQ(h.size(), 3u);
  const cv::Matx33d m = HandMadeResult().alignment.after_to_before;
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(h[r].is_array());
    ASSERT_EQ(h[r].size(), 3u);
    for (int c = 0; c < 3; ++c) EXPECT_DOUBLE_EQ(h[r][c].get<double>(), m(r, c)) << r << c;
  }
  EXPECT_DOUBLE_EQ(h[0][2].get<double>(), 5.5);
  EXPECT_DOUBLE_EQ(h[1][2].get<double>(), -7.25);
  ASSERT_TRUE(a["nonrigid"].is_object());
  EXPECT_EQ(a["nonrigid"]["used"], false);
  ASSERT_TRUE(a["nonrigid"].contains("median_fb_error_px"));
  EXPECT_TRUE(a["nonrigid"]["median_fb_error_px"].is_null());  // -1: not computed
  EXPECT_EQ(a["inliers"], 412);
  EXPECT_DOUBLE_EQ(a["inlier_ratio"].get<double>(), 0.61);
  EXPECT_DOUBLE_EQ(a["ecc"].get<double>(), 0.35);
  EXPECT_DOUBLE_EQ(a["ncc_unaligned"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(a["ncc_aligned"].get<double>(), 0.42);
  EXPECT_DOUBLE_EQ(a["overlap_fraction"].get<double>(), 0.93);
  EXPECT_DOUBLE_EQ(a["ncc_shift_ratio"].get<double>(), 7.5);
  EXPECT_DOUBLE_EQ(a["ncc_shift_px"].get<double>(), 4.0);
  EXPECT_TRUE(a.contains("seconds"));

  const json& s = j.at("scale");
  ASSERT_TRUE(s.contains("mm_per_px"));
  EXPECT_TRUE(s["mm_per_px"].is_null());  // unset
  EXPECT_EQ(s.at("source"), "none");
  for (const char* k : {"session", "marker_id", "fit_residual_px", "marker_centre_px"})
    EXPECT_TRUE(s.at(k).is_null()) << k;  // only a marker has these
}

TEST(CompareToJsonTest, NonrigidAndUserScale) {
  compare::CompareResult r = HandMadeResult();
  r.alignment.status = align::AlignmentStatus::kOk;
  r.alignment.nonrigid_used = true;
  r.alignment.median_fb_error_px = 0.04;
  r.scale.mm_per_px = 0.05;
  r.scale.source = "user";
  const json j = CompareToJson(r);
  EXPECT_EQ(j["alignment"]["status"], "ok");
  EXPECT_EQ(j["alignment"]["nonrigid"]["used"], true);
  EXPECT_DOUBLE_EQ(j["alignment"]["nonrigid"]["median_fb_error_px"].get<double>(), 0.04);
  EXPECT_DOUBLE_EQ(j["scale"]["mm_per_px"].get<double>(), 0.05);
  EXPECT_EQ(j["scale"]["source"], "user");
  r.alignment.status = align::AlignmentStatus::kFailed;
  EXPECT_EQ(CompareToJson(r)["alignment"]["status"], "failed");
  // Round trip through text.
  EXPECT_EQ(json::parse(j.dump(2)), j);
  // A forward-backward error of exactly 0 is a value, not "not computed".
  r.alignment.median_fb_error_px = 0.0;
  EXPECT_EQ(CompareToJson(r)["alignment"]["nonrigid"]["median_fb_error_px"], 0.0);
}

TEST(CheckerboardTest, ConstantImagesGiveTheHandComputedPattern) {
  const cv::Mat before(8, 8, CV_8UC1, cv::Scalar(20)), after(8, 8, CV_8UC1, cv::Scalar(200));
  const cv::Mat out = Checkerboard(before, after, cv::Mat(), 4);
  ASSERT_EQ(out.size(), before.size());
  ASSERT_EQ(out.type(), before.type());
  // Tiles (0,0) and (1,1) before; (1,0) and (0,1) after.
  const int expected[8][8] = {
      {20, 20, 20, 20, 200, 200, 200, 200}, {20, 20, 20, 20, 200, 200, 200, 200},
      {20, 20, 20, 20, 200, 200, 200, 200}, {20, 20, 20, 20, 200, 200, 200, 200},
      {200, 200, 200, 200, 20, 20, 20, 20}, {200, 200, 200, 200, 20, 20, 20, 20},
      {200, 200, 200, 200, 20, 20, 20, 20}, {200, 200, 200, 200, 20, 20, 20, 20}};
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) EXPECT_EQ(out.at<uchar>(y, x), expected[y][x]) << x << "," << y;
  EXPECT_EQ(before.at<uchar>(0, 4), 20);  // inputs untouched
}

TEST(CheckerboardTest, OutsideTheMaskBeforeIsShown) {
  const cv::Mat before(8, 8, CV_32FC3, cv::Scalar::all(0.1)),
      after(8, 8, CV_32FC3, cv::Scalar::all(0.9));
  cv::Mat mask(8, 8, CV_8UC1, cv::Scalar(255));
  mask(cv::Rect(6, 0, 2, 8)).setTo(0);  // columns 6, 7 have no after data
  const cv::Mat out = Checkerboard(before, after, mask, 4);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      const bool after_tile = ((x / 4) + (y / 4)) % 2 == 1;
      const float want = (after_tile && x < 6) ? 0.9f : 0.1f;
      EXPECT_EQ(out.at<cv::Vec3f>(y, x)[0], want) << x << "," << y;
      EXPECT_EQ(out.at<cv::Vec3f>(y, x)[2], want) << x << "," << y;
    }
  }
}

TEST(CheckerboardTest, PartialTilesAtTheBorder) {
  const cv::Mat before(6, 10, CV_8UC1, cv::Scalar(0)), after(6, 10, CV_8UC1, cv::Scalar(1));
  const cv::Mat out = Checkerboard(before, after, cv::Mat(), 4);
  ASSERT_EQ(out.size(), cv::Size(10, 6));
  EXPECT_EQ(out.at<uchar>(0, 9), 0);  // tile (2, 0): before
  EXPECT_EQ(out.at<uchar>(5, 9), 1);  // tile (2, 1): after
  EXPECT_EQ(out.at<uchar>(5, 0), 1);  // tile (0, 1): after
  EXPECT_EQ(cv::countNonZero(out), 4 * 4 + 2 * 4 + 2 * 2);
}

TEST(SideBySideTest, SizeGapAndScaling) {
  const cv::Mat before(50, 100, CV_32FC3, cv::Scalar::all(0.2)),
      after(50, 100, CV_32FC3, cv::Scalar::all(0.6));
  const cv::Mat out = SideBySide(before, after, 1000);
  ASSERT_EQ(out.size(), cv::Size(2 * 100 + 8, 50));
  ASSERT_EQ(out.type(), CV_32FC3);
  EXPECT_FLOAT_EQ(out.at<cv::Vec3f>(25, 99)[1], 0.2f);
  EXPECT_FLOAT_EQ(out.at<cv::Vec3f>(25, 103)[1], 1.0f);  // white gap
  EXPECT_FLOAT_EQ(out.at<cv::Vec3f>(25, 108)[1], 0.6f);
  // Scaled to at most max_width, keeping the aspect ratio: 208 -> 104 is a factor 0.5.
  const cv::Mat half = SideBySide(before, after, 104);
  EXPECT_EQ(half.size(), cv::Size(104, 25));
  EXPECT_EQ(SideBySide(before, after, 208).size(), cv::Size(208, 50));
}

TEST(WriteTextFileTest, WritesAtomicallyAndOverwrites) {
  const std::string dir = test::MakeTempDir("report_text");
  const std::string path = dir + "/out.json";
  ASSERT_TRUE(WriteTextFile(path, "{\"a\": 1}\n").ok());
  ASSERT_TRUE(WriteTextFile(path, "second\nline\n").ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "second\nline\n");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "out.json");  // no .tmp left behind
  }
  EXPECT_EQ(files, 1);
}

TEST(WriteTextFileTest, MissingDirectoryIsAnIoError) {
  const std::string dir = test::MakeTempDir("report_missing");
  const Status st = WriteTextFile(dir + "/no/such/dir/out.json", "x");
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("out.json"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(dir + "/no"));
}

TEST(WriteTextFileTest, DashWritesToStdout) {
  testing::internal::CaptureStdout();
  const Status st = WriteTextFile("-", "hello stdout\n");
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "hello stdout\n");
  EXPECT_TRUE(st.ok());
}

TEST(WriteCompareImagesTest, WritesTheFourImagesWithTheRightSizes) {
  const std::string dir = test::MakeTempDir("report_images") + "/new/sub";  // created
  const cv::Mat before(48, 64, CV_32FC3, cv::Scalar(0.2, 0.4, 0.6));
  const cv::Mat after(60, 80, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  compare::CompareResult r;
  r.alignment.status = align::AlignmentStatus::kOk;
  r.alignment.after_to_before = cv::Matx33d(1, 0, 10, 0, 1, 0, 0, 0, 1);  // shift right 10 px
  ASSERT_TRUE(WriteCompareImages(dir, before, after, r).ok());
  const cv::Mat aligned = cv::imread(dir + "/after_aligned.png", cv::IMREAD_UNCHANGED);
  const cv::Mat mask = cv::imread(dir + "/overlap_mask.png", cv::IMREAD_UNCHANGED);
  const cv::Mat checker = cv::imread(dir + "/checkerboard.jpg");
  const cv::Mat side = cv::imread(dir + "/side_by_side.jpg");
  ASSERT_FALSE(aligned.empty());
  ASSERT_FALSE(mask.empty());
  ASSERT_FALSE(checker.empty());
  ASSERT_FALSE(side.empty());
  EXPECT_EQ(aligned.size(), before.size());
  EXPECT_EQ(mask.size(), before.size());
  EXPECT_EQ(mask.type(), CV_8UC1);
  EXPECT_EQ(mask.at<uchar>(10, 5), 0);  // left of the shifted after image
  EXPECT_EQ(mask.at<uchar>(10, 20), 255);
  EXPECT_EQ(aligned.at<cv::Vec3b>(10, 20), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(checker.size(), before.size());
  EXPECT_EQ(side.size(), cv::Size(2 * 64 + 8, 48));
}

TEST(WriteCompareImagesTest, UnwritableDirectoryIsAnIoError) {
  const std::string dir = test::MakeTempDir("report_unwritable");
  std::ofstream(dir + "/file") << "x";
  const cv::Mat img(48, 64, CV_32FC3, cv::Scalar::all(0.5));
  compare::CompareResult r;
  EXPECT_EQ(WriteCompareImages(dir + "/file/sub", img, img, r).code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace skintrack::report
