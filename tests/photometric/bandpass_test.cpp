// Band-passed log luminance: options, flat fields, exposure and side-light invariance,
// RobustSpread, SoftClip and the 8-bit mapping, with hand-computed expectations.
#include "skintrack/photometric/bandpass.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

namespace skintrack::photometric {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// Deterministic skin-like texture: blurred Gaussian noise stretched to [lo, hi].
cv::Mat Texture(cv::Size size, double lo, double hi, std::uint64_t seed) {
  cv::Mat noise(size, CV_32FC1);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 1.0);
  cv::GaussianBlur(noise, noise, cv::Size(), 1.5, 1.5, cv::BORDER_REFLECT);
  cv::Mat out;
  cv::normalize(noise, out, lo, hi, cv::NORM_MINMAX);
  return out;
}

double Rms(const cv::Mat& m) { return std::sqrt(cv::mean(m.mul(m))[0]); }

TEST(BandpassOptionsTest, DefaultsAreDocumentedAndValid) {
  const BandpassOptions o;
  EXPECT_DOUBLE_EQ(o.sigma_lo_px, 0.7);
  EXPECT_DOUBLE_EQ(o.sigma_hi_fraction, 1.0 / 40.0);
  EXPECT_DOUBLE_EQ(o.log_offset, 0.01);
  EXPECT_TRUE(o.Check().ok()) << o.Check().ToString();
}

TEST(BandpassOptionsTest, BadValuesFailWithInvalidArgument) {
  const auto expect_bad = [](void (*set)(BandpassOptions*), const char* field) {
    BandpassOptions o;
    set(&o);
    const Status st = o.Check();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
  };
  expect_bad([](BandpassOptions* o) { o->sigma_lo_px = -0.1; }, "sigma_lo_px");
  expect_bad([](BandpassOptions* o) { o->sigma_lo_px = 50.0; }, "sigma_lo_px");
  expect_bad([](BandpassOptions* o) { o->sigma_lo_px = kNan; }, "sigma_lo_px");
  expect_bad([](BandpassOptions* o) { o->sigma_hi_fraction = 0.0; }, "sigma_hi_fraction");
  expect_bad([](BandpassOptions* o) { o->sigma_hi_fraction = 0.6; }, "sigma_hi_fraction");
  expect_bad([](BandpassOptions* o) { o->sigma_hi_fraction = kNan; }, "sigma_hi_fraction");
  expect_bad([](BandpassOptions* o) { o->log_offset = 0.0; }, "log_offset");
  expect_bad([](BandpassOptions* o) { o->log_offset = 1.0; }, "log_offset");
  expect_bad([](BandpassOptions* o) { o->log_offset = kNan; }, "log_offset");
  // Edge values that are allowed.
  BandpassOptions ok;
  ok.sigma_lo_px = 0.0;  // no fine blur
  ok.sigma_hi_fraction = 0.5;
  EXPECT_TRUE(ok.Check().ok());
}

TEST(BandpassTest, ConstantImageGivesZeroEverywhere) {
  for (float v : {0.0f, 0.05f, 0.35f, 1.0f}) {
    const cv::Mat y(240, 320, CV_32FC1, cv::Scalar(v));
    const cv::Mat bp = BandpassLogLuminance(y, BandpassOptions());
    ASSERT_EQ(bp.type(), CV_32FC1);
    ASSERT_EQ(bp.size(), y.size());
    EXPECT_LT(cv::norm(bp, cv::NORM_INF), 1e-5) << v;  // borders included
  }
}

TEST(BandpassTest, SameSizeForOddShapes) {
  const cv::Mat y = Texture({97, 65}, 0.2, 0.6, 3);
  const cv::Mat bp = BandpassLogLuminance(y, BandpassOptions());
  EXPECT_EQ(bp.size(), y.size());
  EXPECT_GT(RobustSpread(bp), 1e-3);  // texture survives
}

TEST(BandpassTest, ExposureGainIsRemovedExactlyWithATinyLogOffset) {
  // log(kY) = log k + log Y and both Gaussians keep a constant: the band-pass is invariant.
  BandpassOptions o;
  o.log_offset = 1e-7;
  const cv::Mat y = Texture({320, 240}, 0.2, 0.6, 11);
  const cv::Mat bp = BandpassLogLuminance(y, o);
  const double spread = RobustSpread(bp);
  for (double k : {0.7, 1.3}) {
    const cv::Mat diff = BandpassLogLuminance(y * k, o) - bp;
    EXPECT_LT(cv::norm(diff, cv::NORM_INF), 1e-4 * spread) << k;
  }
}

TEST(BandpassTest, ExposureGainChangesTheDefaultBandpassOnlyThroughTheLogOffset) {
  // With log_offset a = 0.01, log(kY + a) - log(Y + a) = log k + log((Y + a/k) / (Y + a)).
  // log k is removed exactly; the second term has slope ~ -a (1/k - 1) / Y in log Y, so to
  // first order the band-pass changes by a relative e = a |1/k - 1| E[1/Y] (RMS) and at most
  // a |1/k - 1| / Y_min at a pixel. For Y in [0.2, 0.6] (E[1/Y] ~ 2.6): e = 1.1 % (k = 0.7)
  // and 0.6 % (k = 1.3). Tolerance: 1.5x the first-order figure, i.e. RMS < 1.7 % / 0.9 % of
  // the band-pass RMS, and max < 1.5 a |1/k - 1| / Y_min of the band-pass maximum. (A
  // strict "< 1 %" holds for k = 1.3 but not for k = 0.7: that is the offset, not a bug.)
  const BandpassOptions o;
  const double a = o.log_offset;
  const cv::Mat y = Texture({320, 240}, 0.2, 0.6, 12);
  const cv::Mat bp = BandpassLogLuminance(y, o);
  const double rms = Rms(bp), bp_max = cv::norm(bp, cv::NORM_INF);
  ASSERT_GT(RobustSpread(bp), 0.05);  // a real texture, not a flat field
  cv::Mat inv_y;
  cv::divide(1.0, y, inv_y);
  const double mean_inv_y = cv::mean(inv_y)[0];
  for (double k : {0.7, 1.3}) {
    const double slope = a * std::abs(1.0 / k - 1.0);
    const cv::Mat diff = BandpassLogLuminance(y * k, o) - bp;
    EXPECT_LT(Rms(diff), 1.5 * slope * mean_inv_y * rms) << "k = " << k;
    EXPECT_LT(cv::norm(diff, cv::NORM_INF), 1.5 * slope / 0.2 * bp_max) << "k = " << k;
    if (k > 1.0) {
      EXPECT_LT(Rms(diff), 1e-2 * rms);
    }
    // And it is far smaller than the change of log luminance itself (|log k| >= 0.26).
    EXPECT_LT(Rms(diff), 0.01 * std::abs(std::log(k)));
  }
}

TEST(BandpassTest, SlowSideLightRampLeavesTheInteriorNearlyUnchanged) {
  // Y' = Y (1 + 0.2 u), u from -1 (left) to +1 (right): +-20 % side light. log(1 + 0.2u) is
  // nearly linear, and a symmetric Gaussian keeps linear functions, so the band-pass changes
  // only by the ramp's curvature (~1e-4) and the log offset (~1 %), away from the borders
  // where reflection breaks linearity (3 sigma_hi = 3 * 320 / 40 = 24 px).
  const BandpassOptions o;
  const cv::Mat y = Texture({320, 240}, 0.2, 0.6, 13);
  cv::Mat lit = y.clone();
  for (int r = 0; r < lit.rows; ++r) {
    for (int c = 0; c < lit.cols; ++c) {
      const double u = 2.0 * c / (lit.cols - 1) - 1.0;
      lit.at<float>(r, c) *= static_cast<float>(1.0 + 0.2 * u);
    }
  }
  const cv::Mat bp = BandpassLogLuminance(y, o);
  const cv::Mat diff = BandpassLogLuminance(lit, o) - bp;
  const int m = 24;
  const cv::Rect inner(m, m, y.cols - 2 * m, y.rows - 2 * m);
  EXPECT_LT(Rms(diff(inner)), 2e-2 * Rms(bp(inner)));
  EXPECT_LT(cv::norm(diff(inner), cv::NORM_INF), 0.1 * RobustSpread(bp));
  // The ramp itself is large: without the band-pass, log Y changes by up to
  // |log 0.8|.
  cv::Mat log_y, log_lit;
  cv::log(y, log_y);
  cv::log(lit, log_lit);
  EXPECT_GT(cv::norm(log_lit - log_y, cv::NORM_INF), 0.2);  // log(0.8) = -0.22
}

TEST(BandpassTest, RemovesALinearGradientExactlyInTheInterior) {
  // A pure ramp in log luminance is not texture: the interior band-pass is ~0.
  BandpassOptions o;
  o.log_offset = 1e-7;
  cv::Mat y(240, 320, CV_32FC1);
  for (int r = 0; r < y.rows; ++r)
    for (int c = 0; c < y.cols; ++c)
      y.at<float>(r, c) = static_cast<float>(0.3 * std::exp(c / 400.0));
  const cv::Mat bp = BandpassLogLuminance(y, o);
  const cv::Rect inner(24, 24, 320 - 48, 240 - 48);
  EXPECT_LT(cv::norm(bp(inner), cv::NORM_INF), 1e-4);
}

// Values +-1 in a checker pattern: median |v| = 1, so RobustSpread = 1.4826.
cv::Mat PlusMinusOne(int n) {
  cv::Mat m(n, n, CV_32FC1);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) m.at<float>(r, c) = ((r + c) % 2 == 0) ? 1.0f : -1.0f;
  return m;
}

TEST(RobustSpreadTest, IsScaledMedianAbsoluteValue) {
  cv::Mat m = PlusMinusOne(100);
  EXPECT_NEAR(RobustSpread(m), 1.4826, 1e-6);
  // A few outliers do not move it.
  for (int i = 0; i < 50; ++i) m.at<float>(i, 2 * i % 100) = 1000.0f;
  EXPECT_NEAR(RobustSpread(m), 1.4826, 1e-6);
  EXPECT_NEAR(RobustSpread(m * 0.5), 0.5 * 1.4826, 1e-6);
}

TEST(SoftClipTest, SmallValuesUnchangedLargeValuesBounded) {
  cv::Mat m = PlusMinusOne(100);
  m.at<float>(0, 0) = 1000.0f;
  m.at<float>(0, 2) = -1000.0f;
  m.at<float>(0, 4) = 1e-3f;
  m.at<float>(0, 6) = 0.0f;
  const double k = 3.0, c = k * 1.4826;  // clip level c = k * RobustSpread
  const cv::Mat s = SoftClip(m, k);
  ASSERT_EQ(s.type(), CV_32FC1);
  ASSERT_EQ(s.size(), m.size());
  EXPECT_NEAR(s.at<float>(0, 0), c, 1e-4);   // bounded by c
  EXPECT_NEAR(s.at<float>(0, 2), -c, 1e-4);  // sign kept
  EXPECT_NEAR(s.at<float>(0, 4), 1e-3, 1e-8);
  EXPECT_EQ(s.at<float>(0, 6), 0.0f);
  EXPECT_NEAR(s.at<float>(5, 5), c * std::tanh(1.0 / c), 1e-5);  // = 0.9850 for v = 1
  EXPECT_NEAR(s.at<float>(5, 6), -c * std::tanh(1.0 / c), 1e-5);
  EXPECT_GT(s.at<float>(5, 5), 0.98f);  // texture at 1 sd stays nearly linear
  EXPECT_LE(cv::norm(s, cv::NORM_INF), c + 1e-5);
  EXPECT_EQ(m.at<float>(0, 0), 1000.0f);  // input untouched
}

TEST(BandpassTo8uTest, MapsZeroTo128AndScalesByTheRobustSpread) {
  cv::Mat m = PlusMinusOne(100);
  m.at<float>(0, 0) = 0.0f;
  m.at<float>(0, 2) = 100.0f;
  m.at<float>(0, 4) = -100.0f;
  const cv::Mat u = BandpassTo8u(m);
  ASSERT_EQ(u.type(), CV_8UC1);
  ASSERT_EQ(u.size(), m.size());
  EXPECT_EQ(u.at<uchar>(0, 0), 128);
  // gain = 127 / (4 * 1.4826) = 21.415: +1 -> 149.4 -> 149, -1 -> 106.6 -> 107.
  EXPECT_EQ(u.at<uchar>(5, 5), 149);
  EXPECT_EQ(u.at<uchar>(5, 6), 107);
  EXPECT_EQ(u.at<uchar>(0, 2), 255);  // clamped
  EXPECT_EQ(u.at<uchar>(0, 4), 0);
  // A flat zero image maps to mid grey.
  const cv::Mat z = BandpassTo8u(cv::Mat::zeros(16, 16, CV_32FC1));
  EXPECT_EQ(cv::countNonZero(z != 128), 0);
}

TEST(LuminanceOfTest, IsLinearLuminanceOfTheSrgbImage) {
  // sRGB 0.5 grey -> linear 0.214041 on every channel -> Y = 0.214041.
  const cv::Mat img(8, 8, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  const cv::Mat y = LuminanceOf(img);
  ASSERT_EQ(y.type(), CV_32FC1);
  EXPECT_NEAR(y.at<float>(3, 3), 0.214041, 1e-5);
  // Pure sRGB red 1.0 -> Y = 0.2126.
  const cv::Mat red(8, 8, CV_32FC3, cv::Scalar(0, 0, 1));
  EXPECT_NEAR(LuminanceOf(red).at<float>(0, 0), 0.2126, 1e-5);
}

}  // namespace
}  // namespace skintrack::photometric
