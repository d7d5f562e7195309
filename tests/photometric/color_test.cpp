// sRGB <-> linear conversions and Rec. 709 luminance, against hand-computed values.
#include "skintrack/photometric/color.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

namespace skintrack::photometric {
namespace {

// A 1xN ramp 0, 1/(N-1), ..., 1 of type CV_32FC1.
cv::Mat Ramp(int n) {
  cv::Mat m(1, n, CV_32FC1);
  for (int i = 0; i < n; ++i) m.at<float>(0, i) = static_cast<float>(i) / (n - 1);
  return m;
}

float At(const cv::Mat& m) { return m.at<float>(0, 0); }

cv::Mat Scalar1(float v) { return cv::Mat(1, 1, CV_32FC1, cv::Scalar(v)); }

TEST(ColorTest, SrgbToLinearKnownValues) {
  // IEC 61966-2-1: v <= 0.04045 -> v / 12.92, else ((v + 0.055) / 1.055)^2.4.
  EXPECT_NEAR(At(SrgbToLinear(Scalar1(0.5f))), 0.214041, 1e-6);
  EXPECT_NEAR(At(SrgbToLinear(Scalar1(0.0f))), 0.0, 1e-9);
  EXPECT_NEAR(At(SrgbToLinear(Scalar1(1.0f))), 1.0, 1e-6);
  EXPECT_NEAR(At(SrgbToLinear(Scalar1(0.04045f))), 0.04045 / 12.92, 1e-7);  // linear segment
  EXPECT_NEAR(At(SrgbToLinear(Scalar1(0.02f))), 0.02 / 12.92, 1e-7);
  EXPECT_NEAR(At(SrgbToLinear(Scalar1(0.8f))), std::pow((0.8 + 0.055) / 1.055, 2.4), 1e-6);
}

TEST(ColorTest, LinearToSrgbKnownValuesAndClamp) {
  EXPECT_NEAR(At(LinearToSrgb(Scalar1(0.214041f))), 0.5, 1e-5);
  EXPECT_NEAR(At(LinearToSrgb(Scalar1(0.002f))), 12.92 * 0.002, 1e-6);  // linear segment
  EXPECT_NEAR(At(LinearToSrgb(Scalar1(0.18f))), 1.055 * std::pow(0.18, 1 / 2.4) - 0.055, 1e-6);
  // Values are clamped to [0, 1] first.
  EXPECT_EQ(At(LinearToSrgb(Scalar1(-0.5f))), 0.0f);
  EXPECT_NEAR(At(LinearToSrgb(Scalar1(2.0f))), 1.0, 1e-6);
}

TEST(ColorTest, RoundTripOnARampIsExact) {
  const cv::Mat ramp = Ramp(4097);
  const cv::Mat back = LinearToSrgb(SrgbToLinear(ramp));
  ASSERT_EQ(back.type(), CV_32FC1);
  ASSERT_EQ(back.size(), ramp.size());
  EXPECT_LT(cv::norm(back, ramp, cv::NORM_INF), 1e-5);
  const cv::Mat back2 = SrgbToLinear(LinearToSrgb(ramp));
  EXPECT_LT(cv::norm(back2, ramp, cv::NORM_INF), 1e-5);
}

TEST(ColorTest, ConversionIsMonotonicAndDarkensMidtones) {
  const cv::Mat lin = SrgbToLinear(Ramp(1001));
  for (int i = 1; i < lin.cols; ++i) {
    ASSERT_GT(lin.at<float>(0, i), lin.at<float>(0, i - 1)) << i;
    // Linear light is never brighter than the encoded value on [0, 1].
    ASSERT_LE(lin.at<float>(0, i), i / 1000.0f + 1e-6f) << i;
  }
}

TEST(ColorTest, ConversionsKeepTypeAndChannelsAndActPerElement) {
  cv::Mat img(3, 5, CV_32FC3, cv::Scalar(0.5, 0.0, 1.0));
  img.at<cv::Vec3f>(1, 2) = cv::Vec3f(0.04045f, 0.8f, 0.25f);
  const cv::Mat lin = SrgbToLinear(img);
  ASSERT_EQ(lin.type(), CV_32FC3);
  ASSERT_EQ(lin.size(), img.size());
  const cv::Vec3f v = lin.at<cv::Vec3f>(0, 0);
  EXPECT_NEAR(v[0], 0.214041, 1e-6);
  EXPECT_NEAR(v[1], 0.0, 1e-9);
  EXPECT_NEAR(v[2], 1.0, 1e-6);
  const cv::Vec3f w = lin.at<cv::Vec3f>(1, 2);
  EXPECT_NEAR(w[0], 0.04045 / 12.92, 1e-7);
  EXPECT_NEAR(w[1], std::pow((0.8 + 0.055) / 1.055, 2.4), 1e-6);
  EXPECT_NEAR(w[2], std::pow((0.25 + 0.055) / 1.055, 2.4), 1e-6);
  // The input is not modified.
  EXPECT_EQ(img.at<cv::Vec3f>(0, 0), cv::Vec3f(0.5f, 0.0f, 1.0f));
  EXPECT_LT(cv::norm(LinearToSrgb(lin), img, cv::NORM_INF), 1e-5);
}

TEST(ColorTest, InfinitiesAreClampedLikeOtherOutOfRangeValues) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_NEAR(At(SrgbToLinear(Scalar1(inf))), 1.0, 1e-6);
  EXPECT_EQ(At(SrgbToLinear(Scalar1(-inf))), 0.0f);
  EXPECT_NEAR(At(LinearToSrgb(Scalar1(inf))), 1.0, 1e-6);
  EXPECT_EQ(At(LinearToSrgb(Scalar1(-inf))), 0.0f);
}

// Regression: the tabulated curves once let NaN through their clamp and indexed the table with
// static_cast<int>(NaN) (a segfault). NaN now maps to 0. Runs in a child process.
TEST(ColorDeathTest, NanInputDoesNotCrash) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto convert = [] {
    cv::Mat m(1, 3, CV_32FC1, cv::Scalar(0.5));
    m.at<float>(0, 1) = std::numeric_limits<float>::quiet_NaN();
    const cv::Mat a = SrgbToLinear(m), b = LinearToSrgb(m);
    // The finite neighbours are converted; the NaN maps to NaN or into [0, 1].
    const float va = a.at<float>(0, 1), vb = b.at<float>(0, 1);
    const bool ok = std::abs(a.at<float>(0, 0) - 0.214041f) < 1e-5f &&
                    (std::isnan(va) || (va >= 0.0f && va <= 1.0f)) &&
                    (std::isnan(vb) || (vb >= 0.0f && vb <= 1.0f));
    std::exit(ok ? 0 : 1);
  };
  EXPECT_EXIT(convert(), ::testing::ExitedWithCode(0), "");
}

TEST(ColorTest, LinearLuminanceUsesRec709WeightsInBgrOrder) {
  const auto y = [](float b, float g, float r) {
    const cv::Mat m(1, 1, CV_32FC3, cv::Scalar(b, g, r));
    const cv::Mat out = LinearLuminance(m);
    EXPECT_EQ(out.type(), CV_32FC1);
    return static_cast<double>(out.at<float>(0, 0));
  };
  EXPECT_NEAR(y(1, 0, 0), 0.0722, 1e-6);  // pure blue
  EXPECT_NEAR(y(0, 1, 0), 0.7152, 1e-6);  // pure green
  EXPECT_NEAR(y(0, 0, 1), 0.2126, 1e-6);  // pure red
  EXPECT_NEAR(y(1, 1, 1), 1.0, 1e-6);     // white
  EXPECT_NEAR(y(0.5f, 0.25f, 0.1f), 0.0722 * 0.5 + 0.7152 * 0.25 + 0.2126 * 0.1, 1e-6);
}

TEST(ColorTest, LinearLuminanceKeepsTheImageSize) {
  const cv::Mat m(7, 11, CV_32FC3, cv::Scalar(0.2, 0.4, 0.6));
  const cv::Mat y = LinearLuminance(m);
  ASSERT_EQ(y.size(), m.size());
  double lo = 0, hi = 0;
  cv::minMaxLoc(y, &lo, &hi);
  const double expected = 0.0722 * 0.2 + 0.7152 * 0.4 + 0.2126 * 0.6;
  EXPECT_NEAR(lo, expected, 1e-6);
  EXPECT_NEAR(hi, expected, 1e-6);
}

}  // namespace
}  // namespace skintrack::photometric

namespace skintrack::photometric {
namespace {

// The banded fused conversion equals the two-step one on an image taller than one band, with
// a random (seeded) content and an odd height.
TEST(ColorTest, SrgbToLinearLuminanceEqualsTheTwoStepConversion) {
  cv::Mat srgb(203, 37, CV_32FC3);
  cv::RNG rng(7);
  rng.fill(srgb, cv::RNG::UNIFORM, 0.0, 1.0);
  const cv::Mat fused = SrgbToLinearLuminance(srgb);
  const cv::Mat two_step = LinearLuminance(SrgbToLinear(srgb));
  ASSERT_EQ(fused.type(), CV_32FC1);
  ASSERT_EQ(fused.size(), srgb.size());
  EXPECT_EQ(cv::norm(fused, two_step, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace skintrack::photometric
