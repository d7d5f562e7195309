// Skin mask: options, the CIELAB colour gate on synthetic colours, glare at full resolution,
// cleanup of small components, robustness to capture changes, real dermoscopy images.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <string>

#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"
#include "skintrack/roi/roi.h"
#include "test_util.h"

namespace skintrack::roi {
namespace {

// Internal-form image (sRGB-encoded BGR float) of one CIELAB colour.
cv::Mat LabImage(cv::Size size, double l, double a, double b) {
  cv::Mat lab(size, CV_32FC3, cv::Scalar(l, a, b)), bgr;
  cv::cvtColor(lab, bgr, cv::COLOR_Lab2BGR);
  return bgr;
}

void Paint(cv::Mat* image, const cv::Rect& r, double l, double a, double b) {
  LabImage(r.size(), l, a, b).copyTo((*image)(r));
}

double Fraction(const cv::Mat& mask) {
  return static_cast<double>(cv::countNonZero(mask)) / static_cast<double>(mask.total());
}

TEST(SkinMaskOptionsTest, DefaultsAreValid) {
  const SkinMaskOptions o;
  EXPECT_TRUE(o.Check().ok()) << o.Check().ToString();
  EXPECT_DOUBLE_EQ(o.min_l, 15.0);
  EXPECT_DOUBLE_EQ(o.min_component_fraction, 0.01);
}

TEST(SkinMaskOptionsTest, BadValuesNameTheField) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto expect_bad = [](SkinMaskOptions o, const char* field) {
    const Status st = o.Check();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
  };
  SkinMaskOptions o;
  o.min_l = 99;
  expect_bad(o, "min_l");
  o = SkinMaskOptions();
  o.max_hue_deg = -20;
  expect_bad(o, "hue");
  o = SkinMaskOptions();
  o.min_chroma = -1;
  expect_bad(o, "min_chroma");
  o = SkinMaskOptions();
  o.glare_l = 120;
  expect_bad(o, "glare_l");
  o = SkinMaskOptions();
  o.min_component_fraction = 1.0;
  expect_bad(o, "min_component_fraction");
  o = SkinMaskOptions();
  o.min_a = 45.0;  // above max_lip_a: nothing could pass
  expect_bad(o, "min_a");
  o = SkinMaskOptions();
  o.max_lip_a = nan;
  expect_bad(o, "finite");
  cv::Mat mask;
  EXPECT_EQ(SkinMask(cv::Mat(), SkinMaskOptions(), &mask).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SkinMask(cv::Mat::zeros(64, 64, CV_8UC3), SkinMaskOptions(), &mask).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SkinMask(LabImage({64, 64}, 60, 10, 15), SkinMaskOptions(), nullptr).code(),
            StatusCode::kInvalidArgument);
}

TEST(SkinMaskTest, SkinIsInBlueBackgroundIsOut) {
  cv::Mat image = LabImage({640, 480}, 66, 13, 17);
  Paint(&image, cv::Rect(320, 0, 320, 480), 50, 0, -40);  // blue background, hue -90 deg
  cv::Mat mask;
  ASSERT_TRUE(SkinMask(image, SkinMaskOptions(), &mask).ok());
  ASSERT_EQ(mask.type(), CV_8UC1);
  ASSERT_EQ(mask.size(), image.size());
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(0, 0, 310, 480))), 310 * 480);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(330, 0, 310, 480))), 0);
  EXPECT_NEAR(Fraction(mask), 0.5, 0.01);
}

TEST(SkinMaskTest, GreyBlackLipsAreExcluded) {
  cv::Mat image = LabImage({800, 600}, 60, 15, 20);
  Paint(&image, cv::Rect(40, 40, 200, 200), 60, 0, 0);        // grey card: C* 0 < 4
  Paint(&image, cv::Rect(300, 40, 200, 200), 8, 3, 4);        // near black: L* 8 < 15
  Paint(&image, cv::Rect(560, 40, 200, 200), 45, 48, 20);     // lips: a* 48 > 40
  Paint(&image, cv::Rect(300, 340, 200, 200), 55, 25, 30);    // redder skin: in
  Paint(&image, cv::Rect(560, 340, 200, 200), 60, 2.1, 2.1);  // nearly grey: C* 2.97 < 4
  cv::Mat mask;
  ASSERT_TRUE(SkinMask(image, SkinMaskOptions(), &mask).ok());
  for (const cv::Rect& out : {cv::Rect(50, 50, 180, 180), cv::Rect(310, 50, 180, 180),
                              cv::Rect(570, 50, 180, 180), cv::Rect(570, 350, 180, 180)})
    EXPECT_EQ(cv::countNonZero(mask(out)), 0) << out;
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(300, 340, 200, 200))), 200 * 200);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(0, 300, 250, 300))), 250 * 300);
}

// Skin is reddish (blood: a* 5-25 across skin types); a beige wall and blond or brown hair are
// near a* 0-3 with a skin-like hue and chroma, which the hue and chroma gates let through.
TEST(SkinMaskTest, NeutralBeigeAndBlondHairAreExcludedByTheRednessGate) {
  cv::Mat image = LabImage({800, 600}, 70, 9, 17);          // pale skin: a* 9, hue 62 deg
  Paint(&image, cv::Rect(40, 40, 200, 200), 80, 2.4, 4.5);  // beige wall: C* 5.1, a* 2.4
  Paint(&image, cv::Rect(300, 40, 200, 200), 55, 2.0, 24);  // blond hair: hue 85 deg, a* 2
  Paint(&image, cv::Rect(560, 40, 200, 200), 50, 3.5, 14);  // a* 3.5 >= 3: in
  Paint(&image, cv::Rect(300, 340, 200, 200), 35, 10, 14);  // dark skin: in
  cv::Mat mask;
  ASSERT_TRUE(SkinMask(image, SkinMaskOptions(), &mask).ok());
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(50, 50, 180, 180))), 0);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(310, 50, 180, 180))), 0);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(560, 40, 200, 200))), 200 * 200);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(300, 340, 200, 200))), 200 * 200);
  // Without the gate (min_a far below) both are taken for skin.
  SkinMaskOptions open;
  open.min_a = -100.0;
  ASSERT_TRUE(SkinMask(image, open, &mask).ok());
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(40, 40, 200, 200))), 200 * 200);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(300, 40, 200, 200))), 200 * 200);
}

TEST(SkinMaskTest, GlareIsRemovedAtFullResolutionWithItsHalo) {
  // 2048 px wide: the colour gate runs at half resolution, a 3x3 glare spot is averaged away
  // there; the full-resolution glare test must still remove it (plus a 2-px halo).
  cv::Mat image = LabImage({2048, 1536}, 66, 13, 17);
  Paint(&image, cv::Rect(1000, 700, 3, 3), 99, 0.5, 1.0);
  cv::Mat mask;
  ASSERT_TRUE(SkinMask(image, SkinMaskOptions(), &mask).ok());
  // The 3x3 spot dilated by OpenCV's 5x5 ellipse: rows of 3, 7, 7, 7, 7, 7, 3 px.
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(998, 699, 7, 5))), 0);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(1000, 698, 3, 1))), 0);
  EXPECT_EQ(cv::countNonZero(mask), 2048 * 1536 - 41);
  // Bright but coloured (C* 20) is not glare; its red channel clips at 1 (a* reads 1.7 after
  // the clip), so the a* bound does not apply to it.
  cv::Mat bright = LabImage({640, 480}, 96, 8, 18);
  ASSERT_TRUE(SkinMask(bright, SkinMaskOptions(), &mask).ok());
  EXPECT_EQ(cv::countNonZero(mask), 640 * 480);
}

TEST(SkinMaskTest, SmallIslandsDroppedSmallHolesFilled) {
  cv::Mat image = LabImage({640, 480}, 50, 0, -40);         // background
  Paint(&image, cv::Rect(100, 100, 10, 10), 66, 13, 17);    // skin speck: 0.03 % < 1 %
  Paint(&image, cv::Rect(300, 100, 300, 300), 66, 13, 17);  // skin
  Paint(&image, cv::Rect(400, 200, 20, 20), 8, 2, 2);       // dark hole in skin: 0.1 %
  cv::Mat mask;
  ASSERT_TRUE(SkinMask(image, SkinMaskOptions(), &mask).ok());
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(90, 90, 30, 30))), 0);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(310, 110, 280, 280))), 280 * 280);
  // A small non-skin patch at the image's edge is not a hole: it stays out.
  cv::Mat skin = LabImage({640, 480}, 66, 13, 17);
  Paint(&skin, cv::Rect(0, 200, 20, 20), 50, 0, -40);  // 0.13 % of the image, on the left edge
  ASSERT_TRUE(SkinMask(skin, SkinMaskOptions(), &mask).ok());
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(0, 204, 14, 12))), 0);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(40, 0, 600, 480))), 600 * 480);
  SkinMaskOptions keep;
  keep.min_component_fraction = 0.0;  // no component filtering: the hole stays out
  ASSERT_TRUE(SkinMask(image, keep, &mask).ok());
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(404, 204, 12, 12))), 0);
}

TEST(SkinMaskTest, PhantomSkinUnderCaptureChangesIsAllSkin) {
  for (double exposure : {0.7, 1.0, 1.3}) {
    phantom::PhantomOptions o;
    o.width = 800;
    o.height = 600;
    o.skin.hair_count = 10;
    o.before_capture.exposure = exposure;
    o.before_capture.white_balance = cv::Vec3d(1.08, 1.0, 0.92);
    o.before_capture.side_light_strength = 0.3;
    o.before_capture.noise_sigma = 0.003;
    o.before_capture.jpeg_quality = 85;
    phantom::PhantomPair p;
    ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
    cv::Mat mask;
    ASSERT_TRUE(SkinMask(p.before, SkinMaskOptions(), &mask).ok());
    EXPECT_GT(Fraction(mask), 0.99) << "exposure " << exposure;
  }
}

double RealSkinFraction(const std::string& name, const SkinMaskOptions& options) {
  io::LoadedImage img;
  io::LoadOptions lo;
  lo.reduction = 2;
  EXPECT_TRUE(io::LoadImage(test::RealDataDir() + "/isic_cc0/" + name + ".jpg", lo, &img).ok());
  cv::Mat mask;
  EXPECT_TRUE(SkinMask(img.image, options, &mask).ok());
  return Fraction(mask);
}

TEST(SkinMaskRealTest, DermoscopyImages) {
  if (test::RealDataDir().empty()) GTEST_SKIP() << "../shared/data/real not found";
  // Normally coloured skin (median hue 28 deg, C* 20): all but the dark lesion and the
  // vignetted corners.
  for (const char* name : {"ISIC_0000098", "ISIC_0000132", "ISIC_0000080"})
    EXPECT_GT(RealSkinFraction(name, SkinMaskOptions()), 0.8) << name;
  // Dermoscope colour casts fail the default (absolute) gate: ISIC_0000035 is bluish (median
  // hue -62 deg), ISIC_0000134 near neutral (median C* 4.1). A gate widened through the
  // options takes them in.
  EXPECT_LT(RealSkinFraction("ISIC_0000035", SkinMaskOptions()), 0.1);
  EXPECT_LT(RealSkinFraction("ISIC_0000134", SkinMaskOptions()), 0.3);
  SkinMaskOptions wide;
  wide.min_hue_deg = -100.0;
  wide.min_chroma = 1.0;
  wide.min_a = -100.0;
  EXPECT_GT(RealSkinFraction("ISIC_0000035", wide), 0.6);
  EXPECT_GT(RealSkinFraction("ISIC_0000134", wide), 0.6);
}

// The one real face photo (astronaut.png, 512x512, NASA, public domain): a fair face (median
// a* 9, hue 62 deg), blond-brown hair (a* 2, hue 84 deg) and a beige studio backdrop (C* 5,
// a* 2). Regions drawn by hand on the image: an ellipse inside the face, a box inside the hair,
// two boxes of bare backdrop. Each capture: exposure x0.7 / 1 / 1.3 and white balance (red
// gain g, blue gain 2 - g, in linear RGB) g = 0.92 / 1 / 1.08.
struct FaceRegions {
  double face, hair, backdrop;  // fraction of each region the mask takes as skin
};

FaceRegions AstronautRegions(const cv::Mat& srgb, const SkinMaskOptions& options) {
  cv::Mat mask;
  EXPECT_TRUE(SkinMask(srgb, options, &mask).ok());
  cv::Mat face = cv::Mat::zeros(mask.size(), CV_8UC1), hair = face.clone(), backdrop = face.clone();
  cv::ellipse(face, cv::Point(224, 122), cv::Size(36, 48), 0, 0, 360, 255, cv::FILLED);
  cv::rectangle(hair, cv::Rect(180, 30, 90, 28), 255, cv::FILLED);
  cv::rectangle(backdrop, cv::Rect(300, 20, 70, 180), 255, cv::FILLED);
  cv::rectangle(backdrop, cv::Rect(470, 20, 40, 230), 255, cv::FILLED);
  const auto in = [&](const cv::Mat& region) {
    return static_cast<double>(cv::countNonZero(mask & region)) /
           static_cast<double>(cv::countNonZero(region));
  };
  return {in(face), in(hair), in(backdrop)};
}

TEST(SkinMaskRealTest, FaceKeptHairAndBackdropExcluded) {
  if (test::RealDataDir().empty()) GTEST_SKIP() << "../shared/data/real not found";
  io::LoadedImage img;
  ASSERT_TRUE(
      io::LoadImage(test::RealDataDir() + "/textures_cc0/astronaut.png", io::LoadOptions(), &img)
          .ok());
  SkinMaskOptions open;  // the gate as it was before the a* bound
  open.min_a = -100.0;
  const cv::Mat linear = photometric::SrgbToLinear(img.image);
  for (double exposure : {0.7, 1.0, 1.3}) {
    for (double red_gain : {0.92, 1.0, 1.08}) {
      cv::Mat captured = linear.mul(
          cv::Scalar((2.0 - red_gain) * exposure, exposure, red_gain * exposure));  // B, G, R
      captured = photometric::LinearToSrgb(cv::min(captured, 1.0));
      const FaceRegions gated = AstronautRegions(captured, SkinMaskOptions());
      const FaceRegions ungated = AstronautRegions(captured, open);
      const std::string at =
          "exposure " + std::to_string(exposure) + ", red gain " + std::to_string(red_gain);
      // The redness gate costs at most 2 % of the face in any capture.
      EXPECT_GE(gated.face, ungated.face - 0.02) << at;
      EXPECT_GE(gated.face, 0.78) << at;  // (bright forehead over L* 98 at x1.3)
      // It never takes in more hair or backdrop than the hue / chroma gate alone ...
      EXPECT_LE(gated.hair, ungated.hair) << at;
      EXPECT_LE(gated.backdrop, ungated.backdrop) << at;
      if (red_gain <= 1.0) {
        // ... and without a warm cast it leaves out nearly all of them, where the hue / chroma
        // gate took in 77-98 % of the hair and up to 66 % of the backdrop.
        EXPECT_LE(gated.hair, 0.06) << at;
        EXPECT_LE(gated.backdrop, 0.2) << at;
      }
    }
  }
  const FaceRegions neutral = AstronautRegions(img.image, open);
  EXPECT_GT(neutral.hair, 0.9);  // what the a* bound is for
  EXPECT_GT(neutral.backdrop, 0.5);
}

}  // namespace
}  // namespace skintrack::roi
