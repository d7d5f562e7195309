// MetricsOptions, presets and the Analyze orchestrator (families are tested beside their code).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "skintrack/core/image.h"
#include "skintrack/io/image_io.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/photometric/color.h"
#include "skintrack/roi/roi.h"
#include "test_util.h"

namespace skintrack::metrics {
namespace {

std::string ReadPreset(const std::string& name) {
  std::ifstream in(test::SourceDir() + "/models/" + name + ".preset");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MetricsOptionsTest, DefaultsAreValid) { EXPECT_TRUE(MetricsOptions().Check().ok()); }

TEST(MetricsOptionsTest, BadValuesAreRefused) {
  std::vector<std::pair<const char*, void (*)(MetricsOptions*)>> cases = {
      {"px_per_mm", [](MetricsOptions* o) { o->assumed_px_per_mm = 0; }},
      {"bands",
       [](MetricsOptions* o) {
         o->texture_band_edges_mm = {0.4, 0.2};
       }},
      {"pore range", [](MetricsOptions* o) { o->pore_radius_max_mm = o->pore_radius_min_mm; }},
      {"contrast", [](MetricsOptions* o) { o->wrinkle_min_contrast = 1.5; }},
      {"glcm", [](MetricsOptions* o) { o->glcm_levels = 1; }},
      {"field", [](MetricsOptions* o) { o->assumed_field_mm = 0.5; }},
      {"field nan", [](MetricsOptions* o) { o->assumed_field_mm = std::nan(""); }},
      {"faint hair", [](MetricsOptions* o) { o->hair.faint_min_contrast = 0.3; }},
  };
  for (const auto& [what, mutate] : cases) {
    MetricsOptions o;
    mutate(&o);
    EXPECT_EQ(o.Check().code(), StatusCode::kInvalidArgument) << what;
  }
}

TEST(PresetTest, ShippedPresetsParseAndDiffer) {
  MetricsOptions face, body, derm, def;
  ASSERT_TRUE(ParsePreset(ReadPreset("face"), &face).ok());
  ASSERT_TRUE(ParsePreset(ReadPreset("body"), &body).ok());
  ASSERT_TRUE(ParsePreset(ReadPreset("dermoscope"), &derm).ok());
  ASSERT_TRUE(ParsePreset(ReadPreset("default"), &def).ok());
  EXPECT_EQ(face.preset, "face");
  EXPECT_EQ(body.preset, "body");
  EXPECT_DOUBLE_EQ(face.assumed_px_per_mm, 20.0);
  EXPECT_DOUBLE_EQ(body.assumed_px_per_mm, 10.0);
  EXPECT_DOUBLE_EQ(derm.assumed_field_mm, 20.0);
  EXPECT_DOUBLE_EQ(face.assumed_field_mm, 0.0);
  EXPECT_DOUBLE_EQ(derm.hair.faint_min_contrast, 0.12);
  EXPECT_DOUBLE_EQ(face.hair.faint_min_contrast, 0.0);
  EXPECT_DOUBLE_EQ(body.hair.faint_min_contrast, 0.0);
  EXPECT_DOUBLE_EQ(body.texture_band_edges_mm.front(), 0.3);
  EXPECT_DOUBLE_EQ(derm.hair.min_length_mm, 1.5);
  EXPECT_DOUBLE_EQ(derm.striae_min_length_mm, 20.0);
  EXPECT_EQ(derm.not_meaningful, (std::vector<std::string>{"wrinkles"}));
  EXPECT_TRUE(face.not_meaningful.empty());
  EXPECT_DOUBLE_EQ(def.pore_radius_max_mm, face.pore_radius_max_mm);
}

TEST(PresetTest, ParsesCommentsListsAndHairKeys) {
  MetricsOptions o;
  ASSERT_TRUE(ParsePreset("# c\n\n pore_min_darkness = 0.08  # trailing\n"
                          "texture_band_edges_mm = 0.2 0.4 0.8\nhair_min_contrast=0.3\n",
                          &o)
                  .ok());
  EXPECT_DOUBLE_EQ(o.pore_min_darkness, 0.08);
  EXPECT_EQ(o.texture_band_edges_mm, (std::vector<double>{0.2, 0.4, 0.8}));
  EXPECT_DOUBLE_EQ(o.hair.min_contrast, 0.3);
}

TEST(PresetTest, EveryNumericKeySetsItsOwnFieldOnly) {
  MetricsOptions defaults;
  const auto keys = NumericPresetFields(&defaults);
  ASSERT_GE(keys.size(), 35u);
  for (size_t k = 0; k < keys.size(); ++k) {
    // Near the default: still valid (the field of view is 0 = off, or >= 1 mm).
    const double v =
        std::string(keys[k].first) == "assumed_field_mm" ? 20.0 : *keys[k].second * 1.01 + 0.001;
    MetricsOptions o;
    ASSERT_TRUE(ParsePreset(std::string(keys[k].first) + " = " + std::to_string(v) + "\n", &o).ok())
        << keys[k].first;
    const auto fields = NumericPresetFields(&o);
    ASSERT_EQ(fields.size(), keys.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      EXPECT_STREQ(fields[i].first, keys[i].first);
      if (i == k) {
        EXPECT_NEAR(*fields[i].second, v, 1e-6) << keys[k].first;
      } else {
        EXPECT_EQ(*fields[i].second, *keys[i].second)
            << keys[k].first << " moved " << keys[i].first;
      }
    }
  }
  MetricsOptions o;  // the skin mask's glare and component keys, too
  ASSERT_TRUE(
      ParsePreset("skin_glare_l = 90\nskin_min_component_fraction = 0.02\nskin_min_a = -5\n", &o)
          .ok());
  EXPECT_EQ(o.skin.min_a, -5.0);
  EXPECT_EQ(o.skin.glare_l, 90.0);
  EXPECT_EQ(o.skin.min_component_fraction, 0.02);
}

TEST(PresetTest, ErrorsNameTheLineAndKey) {
  MetricsOptions o;
  Status st = ParsePreset("pore_min_darkness = 0.1\nno_such_key = 3\n", &o);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("no_such_key"), std::string::npos);
  st = ParsePreset("pore_min_darkness = abc\n", &o);
  EXPECT_NE(st.message().find("not a number"), std::string::npos) << st.message();
  st = ParsePreset("just words\n", &o);
  EXPECT_NE(st.message().find("key = value"), std::string::npos) << st.message();
  st = ParsePreset("pore_min_darkness = 2\n", &o);  // parsed, then refused by Check()
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  MetricsOptions unknown;
  st = ParsePreset("not_meaningful = wrinkles, freckles\n", &unknown);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown family 'freckles'"), std::string::npos) << st.message();
  MetricsOptions families;
  ASSERT_TRUE(ParsePreset("not_meaningful = striae,wrinkles\n", &families).ok());
  EXPECT_EQ(families.not_meaningful, (std::vector<std::string>{"striae", "wrinkles"}));
  ASSERT_TRUE(ParsePreset("not_meaningful =\n", &families).ok());  // a preset's list cleared
  EXPECT_TRUE(families.not_meaningful.empty());
}

TEST(AnalyzeTest, ScaleDecidesPhysicalFields) {
  cv::Mat img(200, 300, kImageType, cv::Scalar(0.45, 0.55, 0.75));
  cv::Mat roi(img.size(), CV_8UC1, cv::Scalar(255));
  MetricsResult r;
  ASSERT_TRUE(Analyze(img, roi, std::nullopt, MetricsOptions(), &r).ok());
  EXPECT_EQ(r.roi_area_px, 200 * 300);
  EXPECT_FALSE(r.roi_area_cm2.has_value());
  ASSERT_TRUE(Analyze(img, roi, 0.05, MetricsOptions(), &r).ok());
  ASSERT_TRUE(r.roi_area_cm2.has_value());
  // 60000 px * (0.05 mm)^2 = 150 mm^2 = 1.5 cm^2.
  EXPECT_NEAR(*r.roi_area_cm2, 1.5, 1e-9);
}

TEST(MetricsOptionsTest, TheScaleIsTheKnownOneElseTheFieldElseTheAssumedOne) {
  MetricsOptions o;
  EXPECT_DOUBLE_EQ(o.PxPerMm(0.05, cv::Size(3000, 2000)), 20.0);
  EXPECT_DOUBLE_EQ(o.PxPerMm(std::nullopt, cv::Size(3000, 2000)), o.assumed_px_per_mm);
  o.assumed_field_mm = 20.0;
  EXPECT_DOUBLE_EQ(o.PxPerMm(std::nullopt, cv::Size(3000, 2000)), 150.0);  // the long side
  EXPECT_DOUBLE_EQ(o.PxPerMm(std::nullopt, cv::Size(768, 1024)), 51.2);
  EXPECT_DOUBLE_EQ(o.PxPerMm(0.1, cv::Size(3000, 2000)), 10.0);  // a known scale wins
  // Analyze uses it: the texture bands' scale follows the photo's size, and the result says so.
  cv::Mat img(300, 400, kImageType, cv::Scalar(0.45, 0.55, 0.75));
  cv::Mat roi(img.size(), CV_8UC1, cv::Scalar(255));
  MetricsResult r;
  ASSERT_TRUE(Analyze(img, roi, std::nullopt, o, &r).ok());
  EXPECT_DOUBLE_EQ(r.px_per_mm, 20.0);       // 400 px / 20 mm
  EXPECT_FALSE(r.roi_area_cm2.has_value());  // still an assumption: no physical units
}

TEST(AnalyzeTest, RoiRestrictsTheArea) {
  cv::Mat img(200, 300, kImageType, cv::Scalar(0.45, 0.55, 0.75));
  cv::Mat roi = cv::Mat::zeros(img.size(), CV_8UC1);
  roi(cv::Rect(10, 20, 100, 50)).setTo(255);
  MetricsResult r;
  ASSERT_TRUE(Analyze(img, roi, std::nullopt, MetricsOptions(), &r).ok());
  EXPECT_EQ(r.roi_area_px, 100 * 50);
}

// The region and hair mask Analyze returns on request are the ones it measured with: skin
// (here: the left half; the right half is blue, not skin) minus hair, and the hair fraction
// counts that hair over region + hair.
TEST(AnalyzeTest, ReturnsTheRegionMeasuredAndTheHair) {
  cv::Mat img(400, 600, kImageType, cv::Scalar(0.55, 0.62, 0.80));  // skin-coloured (BGR)
  img.colRange(300, 600).setTo(cv::Scalar(0.80, 0.45, 0.20));       // blue: not skin
  for (int x : {60, 140, 220})
    cv::line(img, cv::Point(x, 20), cv::Point(x + 30, 380), cv::Scalar(0.08, 0.08, 0.1), 2,
             cv::LINE_AA);  // dark hairs 2 px wide, 18 mm long at 20 px/mm
  cv::Mat region, hair;
  AnalyzeExtras extras;
  extras.region = &region;
  extras.hair = &hair;
  MetricsResult r;
  ASSERT_TRUE(Analyze(img, cv::Mat(), cv::Mat(), std::nullopt, MetricsOptions(), &r, extras).ok());
  ASSERT_EQ(region.type(), CV_8UC1);
  ASSERT_EQ(hair.type(), CV_8UC1);
  ASSERT_EQ(region.size(), img.size());
  EXPECT_EQ(cv::countNonZero(region), r.roi_area_px);
  EXPECT_EQ(cv::countNonZero(region.colRange(310, 600)), 0);               // the blue half is out
  EXPECT_EQ(cv::countNonZero(region & hair), 0);                           // hair is left out of it
  EXPECT_GT(cv::countNonZero(hair(cv::Rect(50, 40, 220, 320))), 3 * 300);  // the three hairs
  EXPECT_GT(r.hair_area_fraction, 0.0);
  EXPECT_DOUBLE_EQ(r.hair_area_fraction, static_cast<double>(cv::countNonZero(hair)) /
                                             static_cast<double>(cv::countNonZero(region | hair)));
}

AnalyzeExtras Extras(const cv::Mat& linear_y) {
  AnalyzeExtras e;
  e.linear_y = linear_y;
  return e;
}

// A precomputed linear luminance is used as given (here: a darker plane than the image's own
// reads as darker texture signal, and the same plane gives the same metrics); planes of the
// wrong size or type are refused.
TEST(AnalyzeTest, PrecomputedLinearLuminance) {
  cv::Mat img(240, 320, kImageType);
  cv::randu(img, cv::Scalar::all(0.3), cv::Scalar::all(0.7));
  cv::GaussianBlur(img, img, cv::Size(), 2.0);
  const cv::Mat roi(img.size(), CV_8UC1, cv::Scalar(255));
  const cv::Mat y = photometric::SrgbToLinearLuminance(img);
  MetricsResult own, given, flat;
  ASSERT_TRUE(Analyze(img, roi, std::nullopt, MetricsOptions(), &own).ok());
  ASSERT_TRUE(Analyze(img, roi, cv::Mat(), std::nullopt, MetricsOptions(), &given, Extras(y)).ok());
  EXPECT_EQ(own.texture.roughness, given.texture.roughness);
  EXPECT_EQ(own.pores.count, given.pores.count);
  const cv::Mat constant(img.size(), CV_32FC1, cv::Scalar(0.2));
  ASSERT_TRUE(
      Analyze(img, roi, cv::Mat(), std::nullopt, MetricsOptions(), &flat, Extras(constant)).ok());
  EXPECT_GT(own.texture.roughness, 0.0);
  EXPECT_EQ(flat.texture.roughness, 0.0);  // a constant plane has no texture
  EXPECT_FALSE(Analyze(img, roi, cv::Mat(), std::nullopt, MetricsOptions(), &flat,
                       Extras(y(cv::Rect(0, 0, 20, 20))))
                   .ok());
  EXPECT_FALSE(Analyze(img, roi, cv::Mat(), std::nullopt, MetricsOptions(), &flat,
                       Extras(cv::Mat(img.size(), CV_8UC1, cv::Scalar(1))))
                   .ok());
}

TEST(AnalyzeTest, BadInputsAreStatusesNotCrashes) {
  MetricsResult r;
  const cv::Mat img(100, 100, kImageType, cv::Scalar::all(0.5));
  EXPECT_FALSE(Analyze(cv::Mat(), cv::Mat(), std::nullopt, MetricsOptions(), &r).ok());
  EXPECT_FALSE(
      Analyze(cv::Mat(100, 100, CV_8UC3), cv::Mat(), std::nullopt, MetricsOptions(), &r).ok());
  EXPECT_FALSE(Analyze(img, cv::Mat(50, 50, CV_8UC1), std::nullopt, MetricsOptions(), &r).ok());
  EXPECT_FALSE(Analyze(img, cv::Mat(), -1.0, MetricsOptions(), &r).ok());
  EXPECT_FALSE(Analyze(img, cv::Mat(), std::nullopt, MetricsOptions(), nullptr).ok());
}

}  // namespace
}  // namespace skintrack::metrics

namespace skintrack::metrics {
namespace {

// Pale body skin under a cool cast, or a white stretch mark (a* 2): out of the default gate,
// in with the body preset (its redness bound is a* >= 0).
TEST(SkinPresetTest, BodyPresetKeepsPaleSkin) {
  MetricsOptions body;
  ASSERT_TRUE(ParsePreset(ReadPreset("body"), &body).ok());
  cv::Mat lab(240, 320, CV_32FC3, cv::Scalar(72, 2, 12)), image;
  cv::cvtColor(lab, image, cv::COLOR_Lab2BGR);
  cv::Mat def_mask, body_mask;
  ASSERT_TRUE(roi::SkinMask(image, roi::SkinMaskOptions(), &def_mask).ok());
  ASSERT_TRUE(roi::SkinMask(image, body.skin, &body_mask).ok());
  EXPECT_EQ(cv::countNonZero(def_mask), 0);
  EXPECT_EQ(cv::countNonZero(body_mask), 240 * 320);
}

// Colour-cast dermoscope photos (ISIC_0000035 blue cast, ISIC_0000134 near-neutral,
// ISIC_0000421 yellow with median a* 0.9, under the default a* bound): the default colour
// gate keeps little of the frame; the dermoscope preset's skin options keep
// the field.
TEST(SkinPresetTest, DermoscopePresetKeepsColourCastFields) {
  const std::string dir = test::RealDataDir();
  if (dir.empty())
    GTEST_SKIP() << "../shared/data/real not found: skipping the ISIC skin-mask test";
  MetricsOptions derm;
  ASSERT_TRUE(ParsePreset(ReadPreset("dermoscope"), &derm).ok());
  EXPECT_LE(derm.skin.min_a, -100.0);
  for (const char* name : {"ISIC_0000035", "ISIC_0000134", "ISIC_0000421"}) {
    io::LoadOptions lo;
    lo.reduction = 4;
    io::LoadedImage im;
    ASSERT_TRUE(io::LoadImage(dir + "/isic_cc0/" + name + ".jpg", lo, &im).ok()) << name;
    cv::Mat def_mask, derm_mask;
    ASSERT_TRUE(roi::SkinMask(im.image, roi::SkinMaskOptions(), &def_mask).ok());
    ASSERT_TRUE(roi::SkinMask(im.image, derm.skin, &derm_mask).ok());
    const double n = static_cast<double>(im.image.total());
    const double def_fraction = cv::countNonZero(def_mask) / n;
    const double derm_fraction = cv::countNonZero(derm_mask) / n;
    EXPECT_GT(derm_fraction, 0.6) << name << " (default gate keeps " << def_fraction << ")";
    EXPECT_GT(derm_fraction, def_fraction + 0.3) << name;
  }
}

}  // namespace
}  // namespace skintrack::metrics
