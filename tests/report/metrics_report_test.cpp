#include "skintrack/report/metrics_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "skintrack/core/image.h"

namespace skintrack::report {
namespace {

using nlohmann::json;

TEST(MetricsJsonTest, HasTheDocumentedKeysAndNullsWithoutScale) {
  metrics::MetricsResult r;
  r.roi_area_px = 1000;
  r.pores.count = 3;
  r.texture.roughness_bands["0.2-0.4mm"] = 0.02;
  const json j = MetricsToJson(r);
  for (const char* k : {"roi_area_px", "roi_area_cm2", "texture", "pores", "scars", "wrinkles",
                        "striae", "redness", "tone", "hair"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k :
       {"roughness", "roughness_bands", "glcm_contrast", "glcm_homogeneity", "glcm_entropy"})
    EXPECT_TRUE(j["texture"].contains(k)) << k;
  for (const char* k : {"count", "density_per_cm2", "visible_density_per_cm2", "mean_diameter_px",
                        "mean_diameter_mm", "median_diameter_mm", "area_fraction"})
    EXPECT_TRUE(j["pores"].contains(k)) << k;
  for (const char* k : {"count", "length_px", "length_density_mm_per_cm2", "mean_width_mm",
                        "mean_depth", "area_fraction"})
    EXPECT_TRUE(j["wrinkles"].contains(k)) << k;
  for (const char* k :
       {"l_star_mean", "l_star_std", "ita_deg_mean", "spot_count", "spot_area_fraction"})
    EXPECT_TRUE(j["tone"].contains(k)) << k;
  EXPECT_TRUE(j["roi_area_cm2"].is_null());
  EXPECT_TRUE(j["pores"]["density_per_cm2"].is_null());
  EXPECT_EQ(j["pores"]["count"], 3);
  EXPECT_DOUBLE_EQ(j["texture"]["roughness_bands"]["0.2-0.4mm"].get<double>(), 0.02);
}

TEST(MetricsJsonTest, EveryValueGoesToItsOwnKey) {
  // Every field a distinct value: a key written under another name, or fed from a neighbouring
  // field, shows.
  metrics::MetricsResult r;
  r.roi_area_px = 1000;
  r.roi_area_cm2 = 0.25;
  r.scars = {2, 0.03, 1.5, 0.07};
  r.striae = {3, 0.04, 2.5, -0.06};
  r.redness = {12.0, 18.0, 0.08};
  r.tone = {61.0, 3.5, 22.0, 4, 0.09};
  r.wrinkles = {5, 700.0, 30.0, 0.2, 0.11, 0.05};
  r.hair_area_fraction = 0.01;
  const json j = MetricsToJson(r);
  EXPECT_EQ(j["scars"], json({{"count", 2},
                              {"area_fraction", 0.03},
                              {"total_area_mm2", 1.5},
                              {"mean_contrast", 0.07}}));
  EXPECT_EQ(j["striae"], json({{"count", 3},
                               {"area_fraction", 0.04},
                               {"mean_width_mm", 2.5},
                               {"mean_contrast", -0.06}}));
  EXPECT_EQ(j["redness"],
            json({{"erythema_index_mean", 12.0}, {"a_star_mean", 18.0}, {"area_fraction", 0.08}}));
  EXPECT_EQ(j["tone"], json({{"l_star_mean", 61.0},
                             {"l_star_std", 3.5},
                             {"ita_deg_mean", 22.0},
                             {"spot_count", 4},
                             {"spot_area_fraction", 0.09}}));
  EXPECT_EQ(j["wrinkles"], json({{"count", 5},
                                 {"length_px", 700.0},
                                 {"length_density_mm_per_cm2", 30.0},
                                 {"mean_width_mm", 0.2},
                                 {"mean_depth", 0.11},
                                 {"area_fraction", 0.05}}));
  EXPECT_EQ(j["hair"], json({{"area_fraction", 0.01}}));
  EXPECT_EQ(j["roi_area_cm2"], 0.25);
}

TEST(ParametersJsonTest, EchoesEveryPresetKeyWithItsValue) {
  metrics::MetricsOptions o;
  o.preset = "mine";
  o.skin.glare_l = 91.5;
  o.hair.min_contrast = 0.3;
  const json j = ParametersToJson(o, 51.2);
  EXPECT_EQ(j["preset"], "mine");
  EXPECT_EQ(j["glcm_levels"], o.glcm_levels);
  EXPECT_EQ(j["texture_band_edges_mm"].size(), o.texture_band_edges_mm.size());
  metrics::MetricsOptions copy = o;
  const auto keys = metrics::NumericPresetFields(&copy);
  // every numeric key, preset, bands, levels, families, the scale used
  EXPECT_EQ(j.size(), keys.size() + 5);
  EXPECT_EQ(j["px_per_mm_used"], 51.2);
  EXPECT_TRUE(j["not_meaningful"].is_array());
  for (const auto& [key, value] : keys) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j[key].get<double>(), *value) << key;
  }
  EXPECT_EQ(j["skin_glare_l"], 91.5);
  EXPECT_EQ(j["hair_min_contrast"], 0.3);
  EXPECT_TRUE(j.contains("skin_min_component_fraction"));
}

TEST(ChangeJsonTest, FlattensAndComputesDeltaAndPercent) {
  const json before = {{"pores", {{"count", 40}, {"mean_diameter_mm", nullptr}}},
                       {"texture", {{"roughness_bands", {{"0.2-0.4mm", 0.02}}}}},
                       {"scars", {{"count", 0}}}};
  const json after = {{"pores", {{"count", 30}, {"mean_diameter_mm", nullptr}}},
                      {"texture", {{"roughness_bands", {{"0.2-0.4mm", 0.01}}}}},
                      {"scars", {{"count", 2}}}};
  const json c = ChangeToJson(before, after);
  EXPECT_DOUBLE_EQ(c["pores.count"]["delta"].get<double>(), -10.0);
  EXPECT_DOUBLE_EQ(c["pores.count"]["percent"].get<double>(), -25.0);
  EXPECT_DOUBLE_EQ(c["texture.roughness_bands.0.2-0.4mm"]["percent"].get<double>(), -50.0);
  EXPECT_TRUE(c["pores.mean_diameter_mm"]["delta"].is_null());
  EXPECT_TRUE(c["scars.count"]["percent"].is_null());  // before 0: no percentage
  EXPECT_DOUBLE_EQ(c["scars.count"]["delta"].get<double>(), 2.0);
  // A negative level (ITA, a contrast): the percentage is of its magnitude, so a rise reads
  // positive.
  const json ita =
      ChangeToJson({{"tone", {{"ita_deg_mean", -20.0}}}}, {{"tone", {{"ita_deg_mean", -10.0}}}});
  EXPECT_DOUBLE_EQ(ita["tone.ita_deg_mean"]["delta"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(ita["tone.ita_deg_mean"]["percent"].get<double>(), 50.0);
}

TEST(DetectionsJsonTest, CarriesEveryDetection) {
  metrics::Detections d;
  d.pores.push_back({10.5, 20.25, 4.0, 0.3});
  d.pores.back().paired = true;
  d.scars.push_back({{{1, 1}, {5, 1}, {5, 5}}, cv::Rect(1, 1, 5, 5), 12.0, 0.1});
  d.wrinkles.push_back({{{0, 0}, {10, 0}}, 10.0, 3.0, 0.12});
  const json j = DetectionsToJson(d);
  EXPECT_DOUBLE_EQ(j["pores"][0]["x"].get<double>(), 10.5);
  EXPECT_DOUBLE_EQ(j["pores"][0]["y"].get<double>(), 20.25);
  EXPECT_DOUBLE_EQ(j["pores"][0]["diameter_px"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["pores"][0]["darkness"].get<double>(), 0.3);
  EXPECT_EQ(j["pores"][0]["paired"], true);
  EXPECT_EQ(j["scars"][0]["bbox"], json({1, 1, 5, 5}));
  EXPECT_EQ(j["scars"][0]["contour"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["wrinkles"][0]["length_px"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["wrinkles"][0]["width_px"].get<double>(), 3.0);
  EXPECT_TRUE(j["striae"].empty());
}

TEST(OverlayTest, DrawsPoresAndDimsOutsideRoi) {
  const cv::Mat img(60, 80, kImageType, cv::Scalar::all(0.5));
  cv::Mat roi = cv::Mat::zeros(img.size(), CV_8UC1);
  roi(cv::Rect(0, 0, 40, 60)).setTo(255);
  metrics::Detections d;
  d.pores.push_back({20, 30, 8, 0.3});
  const cv::Mat out = DrawDetections(img, d, roi);
  ASSERT_EQ(out.type(), CV_8UC3);
  EXPECT_EQ(out.at<cv::Vec3b>(30, 70), cv::Vec3b(51, 51, 51));   // 128 * 0.4, dimmed
  EXPECT_EQ(out.at<cv::Vec3b>(5, 5), cv::Vec3b(128, 128, 128));  // untouched inside
  const cv::Vec3b on_circle = out.at<cv::Vec3b>(30, 20 + 5);     // circle of radius 5, cyan
  EXPECT_GT(on_circle[0], 200);
  EXPECT_GT(on_circle[1], 200);
  EXPECT_LT(on_circle[2], 60);
}

// Hair (left out of the region) is shaded blue over the dimmed photo: (51 + 255) / 2 in blue,
// 51 / 2 in green and red; hair inside the ROI (never, from Analyze) over the photo itself.
TEST(OverlayTest, ShadesHairBlue) {
  const cv::Mat img(60, 80, kImageType, cv::Scalar::all(0.5));
  cv::Mat roi = cv::Mat::zeros(img.size(), CV_8UC1);
  roi(cv::Rect(0, 0, 40, 60)).setTo(255);
  cv::Mat hair = cv::Mat::zeros(img.size(), CV_8UC1);
  hair(cv::Rect(50, 10, 3, 40)).setTo(255);  // a hair outside the ROI
  hair(cv::Rect(10, 50, 3, 3)).setTo(1);     // any non-zero value counts, inside too
  const cv::Mat out = DrawDetections(img, metrics::Detections(), roi, hair);
  EXPECT_EQ(out.at<cv::Vec3b>(30, 51), cv::Vec3b(153, 26, 26));  // (51 + 255) / 2, 51 / 2
  EXPECT_EQ(out.at<cv::Vec3b>(30, 70), cv::Vec3b(51, 51, 51));   // dimmed, no hair
  EXPECT_EQ(out.at<cv::Vec3b>(51, 11), cv::Vec3b(192, 64, 64));  // (128 + 255) / 2, 128 / 2
  EXPECT_EQ(out.at<cv::Vec3b>(5, 5), cv::Vec3b(128, 128, 128));
  // Without a hair mask nothing is shaded.
  EXPECT_EQ(DrawDetections(img, metrics::Detections(), roi).at<cv::Vec3b>(30, 51),
            cv::Vec3b(51, 51, 51));
}

// The erythema heat map, hand-computed: EI = 100 log10((R_lin + 1e-4) / (G_lin + 1e-4)) mapped
// over [0, 40] to 0..255, INFERNO-coloured and blended 50 % over the photo inside the ROI; the
// photo itself outside. 150 rows: the map is built in bands of rows, every one must be right.
TEST(OverlayTest, RednessMapIsTheBlendedErythemaIndex) {
  const cv::Vec3f reddish(0.45f, 0.40f, 0.80f), neutral(0.5f, 0.5f, 0.5f);  // BGR, sRGB
  cv::Mat img(150, 70, kImageType, cv::Scalar(neutral[0], neutral[1], neutral[2]));
  img.colRange(0, 35).setTo(cv::Scalar(reddish[0], reddish[1], reddish[2]));
  cv::Mat roi(img.size(), CV_8UC1, cv::Scalar(255));
  roi.rowRange(140, 150).setTo(0);
  const cv::Mat out = RednessMap(img, roi, 0.0, 40.0);
  ASSERT_EQ(out.type(), CV_8UC3);
  ASSERT_EQ(out.size(), img.size());
  auto lin = [](double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
  auto expected = [&](const cv::Vec3f& c, bool inside) {
    const cv::Vec3b photo(cv::saturate_cast<uchar>(c[0] * 255.0),
                          cv::saturate_cast<uchar>(c[1] * 255.0),
                          cv::saturate_cast<uchar>(c[2] * 255.0));
    if (!inside) return photo;
    const double ei = 100.0 * std::log10((lin(c[2]) + 1e-4) / (lin(c[1]) + 1e-4));
    cv::Mat v(1, 1, CV_8UC1, cv::Scalar(cv::saturate_cast<uchar>(255.0 * ei / 40.0))), heat;
    cv::applyColorMap(v, heat, cv::COLORMAP_INFERNO);
    const cv::Vec3b h = heat.at<cv::Vec3b>(0, 0);
    cv::Vec3b e;
    for (int k = 0; k < 3; ++k) e[k] = cv::saturate_cast<uchar>(0.5 * photo[k] + 0.5 * h[k]);
    return e;
  };
  for (int y = 0; y < out.rows; ++y) {
    for (int x : {0, 20, 34, 35, 50, 69}) {
      const cv::Vec3b want = expected(x < 35 ? reddish : neutral, y < 140);
      const cv::Vec3b got = out.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k)
        ASSERT_NEAR(got[k], want[k], 1) << "row " << y << " col " << x << " channel " << k;
    }
  }
  // The reddish half reads red on the map (EI ~ 26 of 40), the neutral half dark (EI 0).
  EXPECT_NE(out.at<cv::Vec3b>(10, 10), out.at<cv::Vec3b>(10, 60));
}

}  // namespace
}  // namespace skintrack::report
