// Change statistics JSON, merge into change entries, change maps and the model file.
#include "skintrack/report/change_stats_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "skintrack/report/change_maps.h"
#include "test_util.h"

namespace skintrack::report {
namespace {

compare::ChangeStats Example() {
  compare::ChangeStats s;
  compare::MetricChangeStats m;
  m.before = 10;
  m.after = 8;
  m.delta = -2;
  m.ci_valid = true;
  m.ci_lo = -2.5;
  m.ci_hi = -1.5;
  m.mdc = 1.0;
  m.significant = true;
  m.tiles = 12;
  m.tile_mm = 5;
  s.metrics["pores.count"] = m;
  compare::MetricChangeStats few;
  few.tiles = 2;
  s.metrics["scars.mean_contrast"] = few;
  compare::ChangeGrid g;
  g.key = "pores.density_per_cm2";
  g.unit = "per cm^2";
  g.tile_mm = 5;
  g.tile_px = 50;
  g.change = (cv::Mat_<double>(2, 3) << 1, -2, NAN, 0, 3, -1);
  s.grids.push_back(g);
  return s;
}

TEST(ChangeStatsReportTest, EntriesHaveCiMdcAndVerdict) {
  const nlohmann::json j = ChangeStatsToJson(Example());
  EXPECT_EQ(j["pores.count"]["ci95"], nlohmann::json::array({-2.5, -1.5}));
  EXPECT_EQ(j["pores.count"]["mdc"], 1.0);
  EXPECT_EQ(j["pores.count"]["significant"], true);
  EXPECT_TRUE(j["scars.mean_contrast"]["ci95"].is_null());
  EXPECT_TRUE(j["scars.mean_contrast"]["mdc"].is_null());
  EXPECT_EQ(j["scars.mean_contrast"]["significant"], false);
}

TEST(ChangeStatsReportTest, MergeFillsEveryChangeEntry) {
  nlohmann::json change = {{"pores.count", {{"before", 10}, {"after", 8}, {"delta", -2}}},
                           {"texture.glcm_entropy", {{"before", 1}, {"after", 1}}}};
  MergeChangeStats(Example(), &change);
  EXPECT_EQ(change["pores.count"]["delta"], -2);
  EXPECT_EQ(change["pores.count"]["significant"], true);
  EXPECT_TRUE(change["texture.glcm_entropy"]["ci95"].is_null());
  EXPECT_EQ(change["texture.glcm_entropy"]["significant"], false);
}

TEST(ChangeStatsReportTest, GridsAsArraysWithNullForUnmeasuredTiles) {
  const nlohmann::json j = ChangeGridsToJson(Example());
  const auto& g = j["pores.density_per_cm2"];
  EXPECT_EQ(g["rows"], 2);
  EXPECT_EQ(g["cols"], 3);
  EXPECT_EQ(g["change"][0][1], -2.0);
  EXPECT_TRUE(g["change"][0][2].is_null());
}

TEST(ChangeMapsTest, HeatMapTintsMeasuredTilesOnly) {
  const cv::Mat before(100, 150, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  const compare::ChangeGrid g = Example().grids[0];
  const cv::Mat img = ChangeMapImage(before, cv::Mat(), g, 3.0);
  ASSERT_EQ(img.size(), before.size());
  ASSERT_EQ(img.type(), CV_8UC3);
  // Tile (1, 1) = +3 -> red dominant; tile (0, 2) unmeasured -> grey (dimmed photo).
  const cv::Vec3b inc = img.at<cv::Vec3b>(75, 75), none = img.at<cv::Vec3b>(25, 125);
  EXPECT_GT(inc[2], inc[0] + 40);
  EXPECT_NEAR(none[0], none[2], 2);
  EXPECT_EQ(ChangeMapFileName(g), "change_map_pores.png");
  const std::string dir = test::MakeTempDir("change_maps");
  compare::ChangeStats s = Example();
  ASSERT_TRUE(WriteChangeMaps(dir, before, cv::Mat(), s).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/change_map_pores.png"));
  EXPECT_EQ(WriteChangeMaps(dir + "/missing/dir", before, cv::Mat(), s).code(),
            StatusCode::kIoError);
}

TEST(ChangeMapsTest, WithoutARangeTheMapScalesToThe98thPercentile) {
  // 10 x 10 tiles of 20 px reading +1 .. +100 and range 0 (automatic): the range is the 98th
  // percentile of |change|, 99, so +99 and +100 are tinted alike (saturated) and +50 about half
  // as much.
  const cv::Mat before(200, 200, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  compare::ChangeGrid g;
  g.key = "texture.roughness";
  g.tile_px = 20;
  g.change = cv::Mat(10, 10, CV_64FC1);
  for (int i = 0; i < 100; ++i) g.change.at<double>(i / 10, i % 10) = i + 1;
  const cv::Mat img = ChangeMapImage(before, cv::Mat(), g, 0.0);
  ASSERT_EQ(img.size(), before.size());
  const auto tint = [&](int value) {  // red minus blue at the tile's centre
    const int i = value - 1;
    const cv::Vec3b p = img.at<cv::Vec3b>((i / 10) * 20 + 10, (i % 10) * 20 + 10);
    return int(p[2]) - int(p[0]);
  };
  EXPECT_EQ(tint(99), tint(100));
  EXPECT_GT(tint(99), tint(50) + 20) << tint(99) << " vs " << tint(50);
  EXPECT_GT(tint(50), tint(1) + 20) << tint(50) << " vs " << tint(1);
}

TEST(ChangeMapsTest, ALargePhotoIsScaledToTheMaxSideWithItsTiles) {
  const cv::Mat before(600, 800, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  compare::ChangeGrid g = Example().grids[0];  // 2 x 3 tiles: 1 -2 nan / 0 3 -1
  g.tile_px = 200;                             // before px: 100 map px at half size
  ChangeMapOptions o;
  o.max_side_px = 400;
  const cv::Mat img = ChangeMapImage(before, cv::Mat(), g, 3.0, o);
  ASSERT_EQ(img.size(), cv::Size(400, 300));
  // Tile (1, 1) = +3 covers map px [100, 200) x [100, 200): red; the tile left of it (0) is
  // neutral up to its edge; tile (0, 1) = -2 is blue; tile (0, 2) and beyond the grid: dimmed.
  const cv::Vec3b inc = img.at<cv::Vec3b>(150, 102), zero = img.at<cv::Vec3b>(150, 97);
  const cv::Vec3b dec = img.at<cv::Vec3b>(75, 150), none = img.at<cv::Vec3b>(75, 250);
  const cv::Vec3b outside = img.at<cv::Vec3b>(250, 350);
  EXPECT_GT(inc[2], inc[0] + 40);
  EXPECT_NEAR(zero[0], zero[2], 2);
  EXPECT_GT(zero[1], 150);  // the white end of the scale over the grey photo
  EXPECT_GT(dec[0], dec[2] + 40);
  EXPECT_NEAR(none[1], 0.45 * 128, 2);
  EXPECT_NEAR(outside[1], 0.45 * 128, 2);
  // A photo within the limit, or no limit, keeps its size; a bad limit is refused.
  o.max_side_px = 0;
  EXPECT_EQ(ChangeMapImage(before, cv::Mat(), g, 3.0, o).size(), before.size());
  EXPECT_EQ(ChangeMapImage(before, cv::Mat(), g, 3.0).size(), before.size());  // 2048 default
  o.max_side_px = 10;
  EXPECT_FALSE(o.Check().ok());
  EXPECT_TRUE(ChangeMapImage(before, cv::Mat(), g, 3.0, o).empty());
  compare::ChangeStats s = Example();
  EXPECT_EQ(WriteChangeMaps(test::MakeTempDir("change_maps_bad"), before, cv::Mat(), s, o).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(ChangeMapOptions().Check().ok());
  // A grid without a tile size draws no tiles (and does not loop on its borders).
  g.tile_px = 0;
  const cv::Mat plain = ChangeMapImage(before, cv::Mat(), g, 3.0);
  ASSERT_EQ(plain.size(), before.size());
  EXPECT_NEAR(plain.at<cv::Vec3b>(300, 400)[1], 0.45 * 128, 2);
}

TEST(ChangeMapsTest, TheRegionIsScaledWithThePhoto) {
  const cv::Mat before(600, 800, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  cv::Mat region = cv::Mat::zeros(before.size(), CV_8UC1);
  region(cv::Rect(0, 0, 800, 300)).setTo(255);  // the upper half of the before photo
  compare::ChangeGrid g = Example().grids[0];
  g.tile_px = 200;
  ChangeMapOptions o;
  o.max_side_px = 400;
  const cv::Mat img = ChangeMapImage(before, region, g, 3.0, o);
  ASSERT_EQ(img.size(), cv::Size(400, 300));
  // Tile (1, 1) spans map rows 100-199: tinted above row 150 (in the region), dimmed below.
  const cv::Vec3b in = img.at<cv::Vec3b>(140, 150), out = img.at<cv::Vec3b>(160, 150);
  EXPECT_GT(in[2], in[0] + 40);
  EXPECT_NEAR(out[1], 0.45 * 128, 2);
  EXPECT_NEAR(out[0], out[2], 2);
  // A map row exactly half in the region (photo rows 300 and 301, the region ending after
  // 300) is in it: tinted.
  region(cv::Rect(0, 300, 800, 1)).setTo(255);
  const cv::Mat half = ChangeMapImage(before, region, g, 3.0, o);
  const cv::Vec3b edge = half.at<cv::Vec3b>(150, 150), below = half.at<cv::Vec3b>(151, 150);
  EXPECT_GT(edge[2], edge[0] + 40);
  EXPECT_NEAR(below[0], below[2], 2);
}

// A checkerboard of +-1 tiles of `tile_px` covering a `size` photo.
compare::ChangeGrid Checkerboard(cv::Size size, int tile_px) {
  compare::ChangeGrid g;
  g.key = "texture.roughness";
  g.tile_px = tile_px;
  g.change.create((size.height + tile_px - 1) / tile_px, (size.width + tile_px - 1) / tile_px,
                  CV_64FC1);
  for (int r = 0; r < g.change.rows; ++r)
    for (int c = 0; c < g.change.cols; ++c) g.change.at<double>(r, c) = (r + c) % 2 ? -1 : 1;
  return g;
}

TEST(ChangeMapsTest, ScaledTilesLeaveNoGapAndKeepTheirShareAtAnyScale) {
  // 1001 x 751 px to 400 x 300: 64-px tiles become 25.57 x 25.57 map px, edges rounded.
  const cv::Mat before(751, 1001, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  const compare::ChangeGrid g = Checkerboard(before.size(), 64);
  ChangeMapOptions o;
  o.max_side_px = 400;
  const cv::Mat img = ChangeMapImage(before, cv::Mat(), g, 1.0, o);
  ASSERT_EQ(img.size(), cv::Size(400, 300));
  const double sx = 400.0 / 1001, sy = 300.0 / 751;
  int checked = 0;
  for (int y = 60; y < img.rows; ++y) {  // below the legend
    for (int x = 0; x < img.cols; ++x) {
      // Tile of the map pixel's centre; skip pixels within 1 px of a tile edge.
      const double u = (x + 0.5) / (64 * sx), v = (y + 0.5) / (64 * sy);
      const double du = std::abs(u - std::round(u)) * 64 * sx,
                   dv = std::abs(v - std::round(v)) * 64 * sy;
      if (du < 1.0 || dv < 1.0) continue;
      const int c = static_cast<int>(u), r = static_cast<int>(v);
      const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
      const bool increase = (r + c) % 2 == 0;
      ASSERT_TRUE(increase ? p[2] > p[0] + 40 : p[0] > p[2] + 40)
          << "map px (" << x << ", " << y << ") tile (" << r << ", " << c << ")";
      ++checked;
    }
  }
  EXPECT_GT(checked, 300 * 240 / 2);
  // The written file has the map's size; without a limit, the photo's.
  const std::string dir = test::MakeTempDir("change_maps_scaled");
  compare::ChangeStats s;
  s.grids.push_back(g);
  ASSERT_TRUE(WriteChangeMaps(dir, before, cv::Mat(), s, o).ok());
  EXPECT_EQ(cv::imread(dir + "/change_map_texture.png").size(), cv::Size(400, 300));
  o.max_side_px = 0;
  ASSERT_TRUE(WriteChangeMaps(dir, before, cv::Mat(), s, o).ok());
  EXPECT_EQ(cv::imread(dir + "/change_map_texture.png").size(), before.size());
}

TEST(ChangeMapsTest, AnyNonZeroRegionValueIsInsideAndBadInputsAreRefused) {
  const cv::Mat before(600, 800, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  const compare::ChangeGrid g = Checkerboard(before.size(), 200);
  cv::Mat region = cv::Mat::zeros(before.size(), CV_8UC1);
  region(cv::Rect(0, 0, 800, 300)).setTo(1);  // a 0 / 1 mask: the upper half
  ChangeMapOptions o;
  for (int limit : {400, 0}) {  // scaled and not
    o.max_side_px = limit;
    const cv::Mat img = ChangeMapImage(before, region, g, 1.0, o);
    const double s = limit == 0 ? 1.0 : 0.5;
    const cv::Vec3b in = img.at<cv::Vec3b>(static_cast<int>(250 * s), static_cast<int>(300 * s));
    const cv::Vec3b out = img.at<cv::Vec3b>(static_cast<int>(350 * s), static_cast<int>(300 * s));
    EXPECT_GT(in[2], in[0] + 40) << limit;  // tile (1, 1) of the checkerboard: +1, red
    EXPECT_NEAR(out[1], 0.45 * 128, 2) << limit;
  }
  // A negative tile size draws the dimmed photo only (and ends).
  compare::ChangeGrid negative = g;
  negative.tile_px = -5;
  const cv::Mat plain = ChangeMapImage(before, cv::Mat(), negative, 1.0, o);
  ASSERT_EQ(plain.size(), before.size());
  EXPECT_NEAR(plain.at<cv::Vec3b>(300, 400)[1], 0.45 * 128, 2);
  // Wrong inputs: an empty image, or InvalidArgument when writing.
  const std::string dir = test::MakeTempDir("change_maps_inputs");
  compare::ChangeStats s;
  s.grids.push_back(g);
  const cv::Mat small_region = cv::Mat::zeros(10, 10, CV_8UC1);
  EXPECT_TRUE(ChangeMapImage(before, small_region, g, 1.0, o).empty());
  EXPECT_EQ(WriteChangeMaps(dir, before, small_region, s, o).code(), StatusCode::kInvalidArgument);
  const cv::Mat bgr8(600, 800, CV_8UC3, cv::Scalar(128, 128, 128));
  EXPECT_TRUE(ChangeMapImage(bgr8, cv::Mat(), g, 1.0, o).empty());
  EXPECT_EQ(WriteChangeMaps(dir, bgr8, cv::Mat(), s, o).code(), StatusCode::kInvalidArgument);
  s.grids[0].change.convertTo(s.grids[0].change, CV_32F);
  EXPECT_TRUE(ChangeMapImage(before, cv::Mat(), s.grids[0], 1.0, o).empty());
  EXPECT_EQ(WriteChangeMaps(dir, before, cv::Mat(), s, o).code(), StatusCode::kInvalidArgument);
}

TEST(RepeatabilityModelFileTest, ShippedModelLoadsAndBadFilesNameThePath) {
  stats::RepeatabilityModel model;
  const std::string shipped = test::SourceDir() + "/models/repeatability.json";
  const Status st = LoadRepeatabilityModel(shipped, &model);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(model.metrics.count("pores.count"));
  EXPECT_TRUE(model.metrics.count("texture.roughness"));
  const std::string dir = test::MakeTempDir("model");
  const std::string bad = dir + "/bad.json";
  std::ofstream(bad) << "{not json";
  const Status b = LoadRepeatabilityModel(bad, &model);
  EXPECT_EQ(b.code(), StatusCode::kInvalidInput);
  EXPECT_NE(b.message().find(bad), std::string::npos);
  EXPECT_FALSE(LoadRepeatabilityModel(dir + "/absent.json", &model).ok());
}

}  // namespace
}  // namespace skintrack::report
