// sRGB -> CIELAB (SrgbToLab, SrgbToLinearLabRow) against hand-computed values, the exact
// formulas in double precision and OpenCV's float cv::COLOR_BGR2Lab.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/photometric/color.h"

namespace skintrack::photometric {
namespace {

double Decode(double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); }
double F(double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0; }

// The exact CIELAB of one internal-form BGR pixel (OpenCV's matrix and white point).
cv::Vec3d ExactLab(const cv::Vec3f& bgr) {
  const double b = Decode(bgr[0]), g = Decode(bgr[1]), r = Decode(bgr[2]);
  const double x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.950456;
  const double y = 0.212671 * r + 0.715160 * g + 0.072169 * b;
  const double z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.088754;
  return {116.0 * F(y) - 16.0, 500.0 * (F(x) - F(y)), 200.0 * (F(y) - F(z))};
}

cv::Mat Pixel(float b, float g, float r) { return cv::Mat(1, 1, CV_32FC3, cv::Scalar(b, g, r)); }

TEST(LabTest, KnownValues) {
  // The same values from the vector loop: a row of 40 identical pixels.
  for (const cv::Vec3f& c : {cv::Vec3f(1, 1, 1), cv::Vec3f(0.5f, 0.5f, 0.5f), cv::Vec3f(0, 0, 1)}) {
    const cv::Mat lab = SrgbToLab(cv::Mat(1, 40, CV_32FC3, cv::Scalar(c[0], c[1], c[2])));
    for (int i = 1; i < lab.cols; ++i) EXPECT_EQ(lab.at<cv::Vec3f>(0, i), lab.at<cv::Vec3f>(0, 0));
    EXPECT_EQ(lab.at<cv::Vec3f>(0, 0), SrgbToLab(Pixel(c[0], c[1], c[2])).at<cv::Vec3f>(0, 0));
  }
  // White: L* 100, neutral (each row of the matrix sums to its white point component).
  cv::Vec3f v = SrgbToLab(Pixel(1, 1, 1)).at<cv::Vec3f>(0, 0);
  EXPECT_NEAR(v[0], 100.0, 2e-4);
  EXPECT_NEAR(v[1], 0.0, 1e-3);
  EXPECT_NEAR(v[2], 0.0, 1e-3);
  v = SrgbToLab(Pixel(0, 0, 0)).at<cv::Vec3f>(0, 0);
  EXPECT_NEAR(v[0], 0.0, 1e-4);
  EXPECT_NEAR(v[1], 0.0, 1e-4);
  EXPECT_NEAR(v[2], 0.0, 1e-4);
  // Mid grey: linear 0.214041, L* = 116 cbrt(0.214041) - 16 = 53.3890.
  v = SrgbToLab(Pixel(0.5f, 0.5f, 0.5f)).at<cv::Vec3f>(0, 0);
  EXPECT_NEAR(v[0], 53.3890, 2e-3);
  EXPECT_NEAR(v[1], 0.0, 1e-3);
  // Pure red (BGR 0, 0, 1): L* 53.24, a* 80.09, b* 67.20 (OpenCV's D65 matrix).
  v = SrgbToLab(Pixel(0, 0, 1)).at<cv::Vec3f>(0, 0);
  EXPECT_NEAR(v[0], 53.24, 0.01);
  EXPECT_NEAR(v[1], 80.09, 0.02);
  EXPECT_NEAR(v[2], 67.20, 0.02);
}

// Every combination of 65 levels per channel (274625 colours), including the dark end where
// f changes from its linear segment to the cube root.
cv::Mat ColourCube() {
  constexpr int kLevels = 65;
  cv::Mat cube(kLevels * kLevels, kLevels, CV_32FC3);
  for (int b = 0; b < kLevels; ++b)
    for (int g = 0; g < kLevels; ++g)
      for (int r = 0; r < kLevels; ++r)
        cube.at<cv::Vec3f>(b * kLevels + g, r) =
            cv::Vec3f(b / 64.0f, g / 64.0f, static_cast<float>(std::pow(r / 64.0, 2.0)));
  return cube;
}

TEST(LabTest, WithinItsBoundsOfTheExactFormulasAndOfOpenCv) {
  const cv::Mat cube = ColourCube();
  const cv::Mat lab = SrgbToLab(cube);
  cv::Mat cv_lab;
  cv::cvtColor(cube, cv_lab, cv::COLOR_BGR2Lab);
  double worst_l = 0, worst_ab = 0, worst_cv = 0;
  for (int y = 0; y < cube.rows; ++y)
    for (int x = 0; x < cube.cols; ++x) {
      const cv::Vec3d exact = ExactLab(cube.at<cv::Vec3f>(y, x));
      const cv::Vec3f ours = lab.at<cv::Vec3f>(y, x), theirs = cv_lab.at<cv::Vec3f>(y, x);
      worst_l = std::max(worst_l, std::abs(ours[0] - exact[0]));
      worst_ab = std::max({worst_ab, std::abs(ours[1] - exact[1]), std::abs(ours[2] - exact[2])});
      for (int c = 0; c < 3; ++c)
        worst_cv = std::max(worst_cv, static_cast<double>(std::abs(ours[c] - theirs[c])));
    }
  EXPECT_LE(worst_l, 1.5e-4);  // measured 1.27e-4
  EXPECT_LE(worst_ab, 7e-4);   // measured 5.4e-4; 6.0e-4 at worst on dark colours
  // OpenCV's float tables (its sRGB curve and cube root) are coarser: measured 0.47 at worst
  // (L* < 10) on this cube. Ours are the closer to the exact formulas.
  EXPECT_LE(worst_cv, 0.6);
  EXPECT_GT(worst_cv, 10 * worst_ab);
}

TEST(LabTest, RowFormGivesTheLinearLightAndTheSameLabAtEveryPosition) {
  // 37 pixels (a vector width never divides it), the same colours shifted by one per row: a
  // colour's result must not depend on whether it falls in the vector loop or the tail.
  constexpr int kN = 37;
  cv::Mat colours(1, kN, CV_32FC3);
  cv::RNG rng(3);
  rng.fill(colours, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::Mat ref_lab(1, kN, CV_32FC3), ref_linear(1, kN, CV_32FC3);
  SrgbToLinearLabRow(colours.ptr<float>(), kN, ref_linear.ptr<float>(), ref_lab.ptr<float>());
  const cv::Mat linear = SrgbToLinear(colours);
  for (int i = 0; i < kN; ++i)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(ref_linear.at<cv::Vec3f>(0, i)[c], linear.at<cv::Vec3f>(0, i)[c]) << i;
  for (int shift = 1; shift < 9; ++shift) {
    cv::Mat shifted(1, kN, CV_32FC3);
    for (int i = 0; i < kN; ++i)
      shifted.at<cv::Vec3f>(0, (i + shift) % kN) = colours.at<cv::Vec3f>(0, i);
    cv::Mat lab(1, kN, CV_32FC3);
    SrgbToLinearLabRow(shifted.ptr<float>(), kN, nullptr, lab.ptr<float>());
    for (int i = 0; i < kN; ++i)
      EXPECT_EQ(lab.at<cv::Vec3f>(0, (i + shift) % kN), ref_lab.at<cv::Vec3f>(0, i)) << i;
  }
  // A non-continuous view gives the same values as the whole image.
  cv::Mat big(8, 50, CV_32FC3);
  rng.fill(big, cv::RNG::UNIFORM, 0.0, 1.0);
  const cv::Mat view = big(cv::Rect(3, 2, 37, 5));
  const cv::Mat whole = SrgbToLab(big), part = SrgbToLab(view);
  ASSERT_EQ(part.size(), view.size());
  for (int y = 0; y < part.rows; ++y)
    for (int x = 0; x < part.cols; ++x)
      EXPECT_EQ(part.at<cv::Vec3f>(y, x), whole.at<cv::Vec3f>(y + 2, x + 3));
}

TEST(LabTest, OutOfRangeAndNanAreClampedLikeTheLinearConversion) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const cv::Vec3f odd[3] = {cv::Vec3f(nan, nan, nan),        // -> black
                            cv::Vec3f(inf, 2.0f, 1.5f),      // -> white
                            cv::Vec3f(-1.0f, -inf, -0.5f)};  // -> black
  const cv::Vec3f black = SrgbToLab(Pixel(0, 0, 0)).at<cv::Vec3f>(0, 0);
  const cv::Vec3f white = SrgbToLab(Pixel(1, 1, 1)).at<cv::Vec3f>(0, 0);
  // A row of 37 pixels, so that the vector loop sees them as well as the scalar tail.
  cv::Mat row(1, 37, CV_32FC3);
  for (int i = 0; i < row.cols; ++i) row.at<cv::Vec3f>(0, i) = odd[i % 3];
  const cv::Mat lab = SrgbToLab(row);
  for (int i = 0; i < row.cols; ++i)
    EXPECT_EQ(lab.at<cv::Vec3f>(0, i), i % 3 == 1 ? white : black) << i;
  EXPECT_EQ(black, cv::Vec3f(0, 0, 0));
  EXPECT_TRUE(SrgbToLab(cv::Mat(0, 0, CV_32FC3)).empty());
}

}  // namespace
}  // namespace skintrack::photometric
