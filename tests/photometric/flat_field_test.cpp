// Flat-field correction from a grey card: removes a known light field, keeps global colour,
// refuses unusable cards.
#include "skintrack/photometric/flat_field.h"

#include <gtest/gtest.h>

#include <cmath>

#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"

namespace skintrack::photometric {
namespace {

// A smooth field: vignetting 1 - 0.35 r^2 (r = 1 at the corners) times a 25 % side ramp.
cv::Mat Field(cv::Size size) {
  cv::Mat f(size, CV_32FC1);
  const double cx = 0.5 * (size.width - 1), cy = 0.5 * (size.height - 1);
  const double rmax2 = cx * cx + cy * cy;
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const double r2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / rmax2;
      f.at<float>(y, x) = static_cast<float>((1.0 - 0.35 * r2) * (1.0 + 0.25 * (x - cx) / cx));
    }
  return f;
}

// sRGB-encoded image times the field in linear light (optionally different per channel).
cv::Mat Lit(const cv::Mat& srgb, const cv::Mat& field, cv::Vec3d tint = {1, 1, 1}) {
  cv::Mat f3;
  cv::merge(std::vector<cv::Mat>{field * tint[0], field * tint[1], field * tint[2]}, f3);
  return LinearToSrgb(SrgbToLinear(srgb).mul(f3));
}

cv::Mat Skin() {
  phantom::PhantomOptions o;
  o.width = 640;
  o.height = 480;
  phantom::PhantomPair pair;
  EXPECT_TRUE(phantom::RenderPair(o, &pair).ok());
  return pair.before;
}

// Worst relative linear-light error of `got` against `want` over the image.
double MaxRelativeError(const cv::Mat& got, const cv::Mat& want) {
  cv::Mat ratio;
  cv::divide(SrgbToLinear(got), SrgbToLinear(want) + cv::Scalar::all(1e-6), ratio);
  double lo = 0, hi = 0;
  cv::minMaxLoc(ratio.reshape(1), &lo, &hi);
  return std::max(1.0 - lo, hi - 1.0);
}

TEST(FlatFieldTest, RemovesVignettingAndSideLight) {
  const cv::Mat skin = Skin();
  const cv::Mat field = Field(skin.size());
  const cv::Mat card(skin.size(), CV_32FC3, cv::Scalar::all(0.6));
  const double mean_field = cv::mean(field)[0];
  FlatFieldResult r;
  ASSERT_TRUE(FlatFieldCorrect(Lit(skin, field), Lit(card, field), FlatFieldOptions(), &r).ok());
  ASSERT_EQ(r.image.type(), CV_32FC3);
  ASSERT_EQ(r.image.size(), skin.size());
  // Corrected = skin x mean(field): the spatial variation is gone everywhere, corners too.
  cv::Mat want = LinearToSrgb(SrgbToLinear(skin) * mean_field);
  EXPECT_LT(MaxRelativeError(r.image, want), 0.005);
  EXPECT_GT(MaxRelativeError(Lit(skin, field), want), 0.3);  // it was visible
  EXPECT_NEAR(cv::mean(r.field)[0], 1.0, 1e-4);
  EXPECT_LT(r.field_min, 0.7);
  EXPECT_GT(r.field_max, 1.1);
  EXPECT_LT(r.fit_residual, 0.005);
}

TEST(FlatFieldTest, NoisyJpegCardStillWorks) {
  const cv::Mat skin = Skin();
  phantom::CaptureOptions cap;
  cap.side_light_strength = 0.3;
  cap.side_light_angle_deg = 135;
  cap.noise_sigma = 0.003;
  cap.jpeg_quality = 85;
  cap.exposure = 0.8;
  cv::Mat lit, card, flat;
  ASSERT_TRUE(phantom::ApplyCapture(skin, cap, skin.size(), 1, &lit).ok());
  ASSERT_TRUE(phantom::ApplyCapture(cv::Mat(skin.size(), CV_32FC3, cv::Scalar::all(0.6)), cap,
                                    skin.size(), 2, &card)
                  .ok());
  phantom::CaptureOptions plain = cap;
  plain.side_light_strength = 0.0;
  ASSERT_TRUE(phantom::ApplyCapture(skin, plain, skin.size(), 1, &flat).ok());
  FlatFieldResult r;
  ASSERT_TRUE(FlatFieldCorrect(lit, card, FlatFieldOptions(), &r).ok());
  // Mean linear luminance of 8x8 grid cells agrees with the unlit capture within 1 %, against
  // up to ~30 % before correction. (Colour ratios are not compared: JPEG's 4:2:0 chroma
  // subsampling alone shifts mean R/G by ~1 % between differently lit captures, docs/colour.md.)
  const auto worst_cell = [&](const cv::Mat& x) {
    const cv::Mat a = SrgbToLinearLuminance(x), b = SrgbToLinearLuminance(flat);
    double worst = 0.0;
    for (int gy = 0; gy < 8; ++gy)
      for (int gx = 0; gx < 8; ++gx) {
        const cv::Rect cell(gx * skin.cols / 8, gy * skin.rows / 8, skin.cols / 8, skin.rows / 8);
        worst = std::max(worst, std::abs(cv::mean(a(cell))[0] / cv::mean(b(cell))[0] - 1.0));
      }
    return worst;
  };
  EXPECT_LT(worst_cell(r.image), 0.01);
  EXPECT_GT(worst_cell(lit), 0.2);
}

TEST(FlatFieldTest, PerChannelFieldRemovesColourShading) {
  const cv::Mat skin = Skin();
  const cv::Mat field = Field(skin.size());
  // Blue falls off faster than red: a lens colour cast.
  cv::Mat fb = field.mul(field);
  std::vector<cv::Mat> planes = {fb, field, field};
  cv::Mat f3;
  cv::merge(planes, f3);
  const cv::Mat lit = LinearToSrgb(SrgbToLinear(skin).mul(f3));
  const cv::Mat card = LinearToSrgb(cv::Mat(skin.size(), CV_32FC3, cv::Scalar::all(0.3)).mul(f3));
  FlatFieldOptions o;
  o.per_channel = true;
  FlatFieldResult r;
  ASSERT_TRUE(FlatFieldCorrect(lit, card, o, &r).ok());
  ASSERT_EQ(r.field.type(), CV_32FC3);
  cv::Mat want_lin = SrgbToLinear(skin);
  const cv::Scalar mf = cv::mean(f3);
  cv::multiply(want_lin, mf, want_lin);
  EXPECT_LT(MaxRelativeError(r.image, LinearToSrgb(want_lin)), 0.01);
  // The achromatic default leaves the cast (blue off by > 5 % somewhere).
  FlatFieldResult g;
  ASSERT_TRUE(FlatFieldCorrect(lit, card, FlatFieldOptions(), &g).ok());
  EXPECT_GT(MaxRelativeError(g.image, LinearToSrgb(want_lin)), 0.05);
}

TEST(FlatFieldTest, RefusesUnusableCards) {
  const cv::Size size(320, 240);
  const cv::Mat image(size, CV_32FC3, cv::Scalar::all(0.5));
  FlatFieldResult r;
  // Size mismatch.
  Status st = FlatFieldCorrect(image, cv::Mat(200, 200, CV_32FC3, cv::Scalar::all(0.5)),
                               FlatFieldOptions(), &r);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("200x200"), std::string::npos) << st.message();
  // Clipped.
  cv::Mat clipped(size, CV_32FC3, cv::Scalar::all(0.6));
  clipped(cv::Rect(0, 0, 40, 40)).setTo(cv::Scalar::all(1.0));
  st = FlatFieldCorrect(image, clipped, FlatFieldOptions(), &r);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("clipped"), std::string::npos) << st.message();
  // Too dark.
  st = FlatFieldCorrect(image, cv::Mat(size, CV_32FC3, cv::Scalar::all(0.05)), FlatFieldOptions(),
                        &r);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("dark"), std::string::npos) << st.message();
  // A shadow across the card: not a smooth light field.
  cv::Mat shadow(size, CV_32FC3, cv::Scalar::all(0.6));
  shadow(cv::Rect(100, 0, 30, 240)).setTo(cv::Scalar::all(0.25));
  st = FlatFieldCorrect(image, shadow, FlatFieldOptions(), &r);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("smooth"), std::string::npos) << st.message();
  // Options.
  FlatFieldOptions bad;
  bad.polynomial_degree = 0;
  EXPECT_EQ(FlatFieldCorrect(image, image, bad, &r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FlatFieldCorrect(image, image, FlatFieldOptions(), nullptr).code(),
            StatusCode::kInvalidArgument);
  // A uniform card changes nothing.
  ASSERT_TRUE(
      FlatFieldCorrect(image, cv::Mat(size, CV_32FC3, cv::Scalar::all(0.6)), FlatFieldOptions(), &r)
          .ok());
  EXPECT_LT(cv::norm(r.image, image, cv::NORM_INF), 1e-4);
}

}  // namespace
}  // namespace skintrack::photometric
