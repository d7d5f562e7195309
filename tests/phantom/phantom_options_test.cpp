// Option validation and the truth JSON schema.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "skintrack/phantom/phantom.h"

namespace skintrack::phantom {
namespace {

template <class T>
void ExpectInvalid(const T& options, const std::string& field) {
  const Status st = options.Check();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << field;
  EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
}

TEST(PhantomOptionsTest, DefaultsPassCheck) {
  EXPECT_TRUE(SkinOptions().Check().ok());
  EXPECT_TRUE(TreatmentOptions().Check().ok());
  EXPECT_TRUE(CaptureOptions().Check().ok());
  EXPECT_TRUE(RandomCaptureOptions().Check().ok());
  EXPECT_TRUE(PhantomOptions().Check().ok()) << PhantomOptions().Check().ToString();
  SkinOptions low;
  low.low_texture = true;
  EXPECT_TRUE(low.Check().ok());
}

TEST(PhantomOptionsTest, BadSkinValuesFailNamingTheField) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::pair<std::function<void(SkinOptions&)>, std::string>> cases = {
      {[](SkinOptions& s) { s.px_per_mm = 0.0; }, "px_per_mm"},
      {[](SkinOptions& s) { s.base_l = 120.0; }, "base_l"},
      {[&](SkinOptions& s) { s.micro_relief_rms = nan; }, "micro_relief_rms"},
      {[](SkinOptions& s) { s.pore_density_per_cm2 = -1.0; }, "pore_density_per_cm2"},
      {[](SkinOptions& s) { s.pore_radius_min_mm = 0.2; }, "pore_radius_min_mm"},  // > max
      {[](SkinOptions& s) { s.pore_radius_min_mm = 0.0; }, "pore_radius_min_mm"},
      {[](SkinOptions& s) { s.pore_contrast = 1.5; }, "pore_contrast"},
      {[](SkinOptions& s) { s.scar_count = -1; }, "scar_count"},
      {[](SkinOptions& s) { s.scar_radius_max_mm = 0.1; }, "scar_radius"},
      {[](SkinOptions& s) { s.wrinkle_width_max_mm = -0.1; }, "wrinkle_width_max_mm"},
      {[](SkinOptions& s) { s.wrinkle_contrast = -0.1; }, "wrinkle_contrast"},
      {[](SkinOptions& s) { s.striae_contrast = 2.0; }, "striae_contrast"},
      {[](SkinOptions& s) { s.redness_radius_min_mm = 10.0; }, "redness_radius"},
      {[](SkinOptions& s) { s.spot_delta_l = -150.0; }, "spot_delta_l"},
      {[](SkinOptions& s) { s.hair_width_mm = 0.0; }, "hair_width_mm"},
  };
  for (const auto& [mutate, field] : cases) {
    SkinOptions s;
    mutate(s);
    ExpectInvalid(s, field);
  }
}

TEST(PhantomOptionsTest, BadTreatmentCaptureAndRandomCaptureValuesFail) {
  {
    TreatmentOptions t;
    t.pore_radius_scale = 0.0;
    ExpectInvalid(t, "pore_radius_scale");
    t = TreatmentOptions();
    t.pore_close_fraction = 1.5;
    ExpectInvalid(t, "pore_close_fraction");
    t = TreatmentOptions();
    t.micro_relief_scale = -1.0;
    ExpectInvalid(t, "micro_relief_scale");
  }
  {
    CaptureOptions c;
    c.exposure = 0.0;
    ExpectInvalid(c, "exposure");
    c = CaptureOptions();
    c.white_balance[1] = -1.0;
    ExpectInvalid(c, "white_balance[1]");
    c = CaptureOptions();
    c.side_light_strength = 1.0;  // the field would reach 0
    ExpectInvalid(c, "side_light_strength");
    c = CaptureOptions();
    c.jpeg_quality = 101;
    ExpectInvalid(c, "jpeg_quality");
    c = CaptureOptions();
    c.noise_sigma = -0.1;
    ExpectInvalid(c, "noise_sigma");
    c = CaptureOptions();
    c.image_from_skin = cv::Matx33d(1, 0, 0, 2, 0, 0, 0, 0, 1);  // singular
    ExpectInvalid(c, "image_from_skin");
    c = CaptureOptions();
    c.image_from_skin(0, 2) = std::numeric_limits<double>::infinity();
    ExpectInvalid(c, "image_from_skin");
  }
  {
    RandomCaptureOptions r;
    r.max_scale_change = 1.0;
    ExpectInvalid(r, "max_scale_change");
    r = RandomCaptureOptions();
    r.jpeg_quality = -1;
    ExpectInvalid(r, "jpeg_quality");
    r = RandomCaptureOptions();
    r.max_rotation_deg = 200.0;
    ExpectInvalid(r, "max_rotation_deg");
  }
}

TEST(PhantomOptionsTest, BadPhantomValuesFailAndRenderPairRefuses) {
  PhantomOptions o;
  o.width = 10;
  ExpectInvalid(o, "width");

  o = PhantomOptions();
  o.skin.pore_contrast = 2.0;
  ExpectInvalid(o, "skin");
  ExpectInvalid(o, "pore_contrast");

  o = PhantomOptions();
  o.skin.scar_contrast = 0.6;
  o.treatment.scar_contrast_scale = 2.0;  // 1.2: brighter than black is impossible
  ExpectInvalid(o, "scar_contrast_scale");

  o = PhantomOptions();
  // x_image = x / (1 + x / 800) < 800 for every skin x > -800: image columns beyond 800 would
  // show points beyond the horizon.
  o.after_capture.image_from_skin = cv::Matx33d(1, 0, 0, 0, 1, 0, 1.0 / 800.0, 0, 1);
  ExpectInvalid(o, "after_capture.image_from_skin");

  PhantomPair pair;
  pair.before = cv::Mat::ones(2, 2, CV_32FC3);
  const Status st = RenderPair(o, &pair);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pair.before.rows, 2);  // untouched on failure
  EXPECT_EQ(RenderPair(PhantomOptions(), nullptr).code(), StatusCode::kInvalidArgument);

  // A capture that zooms out so far that the skin canvas would be enormous is refused.
  o = PhantomOptions();
  o.width = o.height = 8000;
  o.after_capture.image_from_skin = cv::Matx33d(0.25, 0, 0, 0, 0.25, 0, 0, 0, 1);
  EXPECT_EQ(RenderPair(o, &pair).code(), StatusCode::kInvalidArgument);
}

TEST(PhantomTruthJsonTest, SchemaHoldsEveryField) {
  PhantomOptions o;
  o.width = 320;
  o.height = 240;
  o.seed = 0xFFFFFFFFFFFFFFF1ULL;  // does not fit in a signed 64-bit integer
  o.skin.hair_count = 2;
  o.skin.striae_count = 1;
  o.treatment.pore_close_fraction = 0.5;
  o.after_capture.image_from_skin = cv::Matx33d(1, 0, 3, 0, 1, -2, 0, 0, 1);
  o.after_capture.exposure = 1.2;
  o.after_capture.white_balance = {0.9, 1.0, 1.1};  // B, G, R
  o.treatment.micro_relief_scale = 0.5;
  o.marker.side_mm = 4.0;  // a marker in view, at the default 20 px/mm
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const PhantomTruth& t = pair.truth;
  const nlohmann::json j = nlohmann::json::parse(TruthToJson(t, o).dump());

  EXPECT_EQ(j.at("schema"), "skintrack.phantom_truth.v1");
  EXPECT_EQ(j.at("seed").get<std::uint64_t>(), o.seed);
  EXPECT_EQ(j.at("width"), 320);
  EXPECT_EQ(j.at("height"), 240);
  EXPECT_DOUBLE_EQ(j.at("px_per_mm_before").get<double>(), t.px_per_mm_before);
  for (const char* key : {"after_to_before", "before_from_skin", "after_from_skin"}) {
    ASSERT_EQ(j.at(key).size(), 3u) << key;
    for (int r = 0; r < 3; ++r) ASSERT_EQ(j.at(key)[r].size(), 3u) << key;
  }
  EXPECT_DOUBLE_EQ(j.at("after_to_before")[0][2].get<double>(), -3.0);  // after = before + (3,-2)
  EXPECT_DOUBLE_EQ(j.at("after_to_before")[1][2].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j.at("after_from_skin")[0][2].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j.at("after_capture").at("exposure").get<double>(), 1.2);
  EXPECT_DOUBLE_EQ(j.at("treatment").at("pore_close_fraction").get<double>(), 0.5);
  EXPECT_EQ(j.at("after_capture").at("white_balance_bgr"), nlohmann::json({0.9, 1.0, 1.1}));
  EXPECT_DOUBLE_EQ(j.at("micro_relief_rms_before").get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(j.at("micro_relief_rms_after").get<double>(), 0.025);  // x 0.5
  ASSERT_TRUE(j.contains("marker") && !j.at("marker").is_null());
  const auto& m = j.at("marker");
  EXPECT_NEAR(m.at("px_per_mm_before").get<double>(), 20.0, 1e-9);
  EXPECT_NEAR(m.at("mm_per_px_before").get<double>(), 1.0 / 20.0, 1e-12);
  EXPECT_NEAR(m.at("px_per_mm_after").get<double>(), 20.0, 1e-9);  // the after capture: a shift
  EXPECT_NEAR(m.at("mm_per_px_after").get<double>(), 1.0 / m.at("px_per_mm_after").get<double>(),
              1e-12);

  const auto& f = j.at("features");
  ASSERT_EQ(f.at("pores").size(), t.pores.size());
  ASSERT_FALSE(t.pores.empty());
  const auto& p0 = f.at("pores")[0];
  EXPECT_DOUBLE_EQ(p0.at("x").get<double>(), t.pores[0].x);
  EXPECT_DOUBLE_EQ(p0.at("y").get<double>(), t.pores[0].y);
  EXPECT_DOUBLE_EQ(p0.at("radius_before_px").get<double>(), t.pores[0].radius_before_px);
  EXPECT_DOUBLE_EQ(p0.at("radius_after_px").get<double>(), t.pores[0].radius_after_px);
  EXPECT_EQ(p0.at("closed").get<bool>(), t.pores[0].closed);
  EXPECT_EQ(f.at("scars").size(), t.scars.size());
  EXPECT_EQ(f.at("redness").size(), t.redness.size());
  EXPECT_EQ(f.at("spots").size(), t.spots.size());
  ASSERT_EQ(f.at("wrinkles").size(), t.wrinkles.size());
  EXPECT_EQ(f.at("striae").size(), t.striae.size());
  EXPECT_EQ(f.at("hairs").size(), t.hairs.size());
  ASSERT_FALSE(t.scars.empty());
  EXPECT_DOUBLE_EQ(f.at("scars")[0].at("radius_px").get<double>(), t.scars[0].radius_px);
  EXPECT_DOUBLE_EQ(f.at("scars")[0].at("before").get<double>(), 0.15);
  ASSERT_FALSE(t.wrinkles.empty());
  const auto& w0 = f.at("wrinkles")[0];
  ASSERT_EQ(w0.at("polyline").size(), t.wrinkles[0].polyline.size());
  EXPECT_EQ(w0.at("polyline")[0].size(), 2u);
  EXPECT_DOUBLE_EQ(w0.at("polyline")[0][0].get<double>(), t.wrinkles[0].polyline[0].x);
  EXPECT_DOUBLE_EQ(w0.at("width_px").get<double>(), t.wrinkles[0].width_px);
}

}  // namespace
}  // namespace skintrack::phantom
