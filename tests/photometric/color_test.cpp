// sRGB <-> linear conversions and Rec. 709 luminance, against hand-computed values.
#include "skintrack/photometric/color.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <limits>
#include <sstream>
#include <vector>

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

namespace skintrack::photometric {
namespace {

double DecodeExact(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}
double EncodeExact(double v) {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
}

float FromBits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// A 1xN CV_32FC1 row: 0, 1e-7, 2e-7, ..., 1 (10^7 + 1 values), then every float of
// [2^-9, 2^-8) (the encode's linear/power junction, 0.0031308, where its error peaks) and of
// [0.5, 1) (where the decode's absolute error peaks), all 2^23 mantissas each.
cv::Mat DenseSweep() {
  constexpr int kSteps = 10000000;
  std::vector<float> v;
  v.reserve(kSteps + 1 + 2 * (1 << 23));
  for (int i = 0; i <= kSteps; ++i) v.push_back(static_cast<float>(i / double(kSteps)));
  for (const std::uint32_t base : {0x3b000000u, 0x3f000000u})  // 2^-9, 2^-1
    for (std::uint32_t m = 0; m < (1u << 23); ++m) v.push_back(FromBits(base + m));
  return cv::Mat(v, true).reshape(1, 1);
}

double MaxAbsError(const cv::Mat& in, const cv::Mat& out, double (*exact)(double)) {
  double worst = 0;
  const float* x = in.ptr<float>();
  const float* y = out.ptr<float>();
  for (size_t i = 0; i < in.total(); ++i) worst = std::max(worst, std::abs(y[i] - exact(x[i])));
  return worst;
}

// Accuracy bounds on a dense sweep against the exact double formulas (IEC 61966-2-1). The
// interpolated tables measure 6.5e-8 (decode) and 7.5e-6 (encode, near black).
TEST(ColorTest, CurvesMeetTheirErrorBoundsOnADenseSweep) {
  const cv::Mat x = DenseSweep();
  const double decode_error = MaxAbsError(x, SrgbToLinear(x), DecodeExact);
  const double encode_error = MaxAbsError(x, LinearToSrgb(x), EncodeExact);
  EXPECT_LE(decode_error, 2e-7);
  EXPECT_LE(encode_error, 1e-5);
  std::ostringstream os;
  os << std::setprecision(3) << "decode " << decode_error << ", encode " << encode_error;
  RecordProperty("max_abs_errors", os.str());
}

// Out-of-range inputs are clamped to [0, 1] first and NaN maps to 0, at every position of the
// row (vector body and scalar tail alike) and for both curves.
TEST(ColorTest, ClampingAndNanRulesHoldAtEveryPosition) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float denormal = std::numeric_limits<float>::denorm_min();
  // Input, and whether it maps to the curve's value at 0 (else at 1).
  const std::vector<std::pair<float, bool>> cases = {
      {nan, true},
      {-nan, true},
      {-inf, true},
      {-1.0f, true},
      {-0.0f, true},
      {-denormal, true},
      {inf, false},
      {2.0f, false},
      {1.0f, false},
      {1.0000001f, false},
      {std::numeric_limits<float>::max(), false},
      {FromBits(0x7fa00000u), true},  // signalling NaN
  };
  for (auto* f : {&SrgbToLinear, &LinearToSrgb}) {
    const float at0 = At(f(Scalar1(0.0f))), at1 = At(f(Scalar1(1.0f)));
    EXPECT_EQ(at0, 0.0f);
    EXPECT_NEAR(at1, 1.0, 1e-6);
    EXPECT_LE(at1, 1.0f);
    for (int offset = 0; offset < 19; ++offset) {
      // The special values at every lane position, with ordinary values around them.
      cv::Mat m(1, 41, CV_32FC1, cv::Scalar(0.5));
      for (size_t k = 0; k < cases.size(); ++k)
        m.at<float>(0, (offset + 2 * static_cast<int>(k)) % m.cols) = cases[k].first;
      const cv::Mat out = f(m);
      const float mid = At(f(Scalar1(0.5f)));
      for (size_t k = 0; k < cases.size(); ++k) {
        const int i = (offset + 2 * static_cast<int>(k)) % m.cols;
        EXPECT_EQ(out.at<float>(0, i), cases[k].second ? at0 : at1) << "case " << k << " at " << i;
      }
      for (int i = 0; i < m.cols; ++i) {
        if (m.at<float>(0, i) == 0.5f) {
          EXPECT_EQ(out.at<float>(0, i), mid) << i;
        }
      }
    }
  }
}

// A value's result does not depend on where it falls (vector body or scalar tail), on the
// number of threads, or on the image being a view into a larger one.
TEST(ColorTest, ResultsIndependentOfPositionThreadsAndLayout) {
  cv::Mat big(157, 211, CV_32FC3);  // odd sizes: a scalar tail in every chunk and row
  cv::RNG rng(11);
  rng.fill(big, cv::RNG::UNIFORM, -0.1, 1.1);
  const cv::Mat view = big(cv::Rect(3, 5, 151, 149));  // not continuous
  ASSERT_FALSE(view.isContinuous());
  const cv::Mat cont = view.clone();
  const int threads = cv::getNumThreads();
  for (auto* f : {&SrgbToLinear, &LinearToSrgb, &SrgbToLinearLuminance, &LinearLuminance}) {
    cv::setNumThreads(1);
    const cv::Mat one = f(cont);
    cv::setNumThreads(2);
    const cv::Mat two = f(cont);
    cv::setNumThreads(threads);
    EXPECT_EQ(cv::norm(one, two, cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(f(view), one, cv::NORM_INF), 0.0);
    // Element by element through the scalar path (a 1x1 image).
    for (int y = 0; y < cont.rows; y += 7)
      for (int x = 0; x < cont.cols; x += 5) {
        const cv::Mat px = f(cont(cv::Rect(x, y, 1, 1)).clone());
        for (int c = 0; c < one.channels(); ++c)
          ASSERT_EQ(px.ptr<float>()[c], one.ptr<float>(y, x)[c]) << x << "," << y << "," << c;
      }
  }
}

// The fused luminance against the exact double formulas (decode error plus the weighted sum's
// float rounding).
TEST(ColorTest, SrgbToLinearLuminanceIsAccurate) {
  cv::Mat srgb(64, 256, CV_32FC3);
  cv::RNG rng(5);
  rng.fill(srgb, cv::RNG::UNIFORM, 0.0, 1.0);
  const cv::Mat y = SrgbToLinearLuminance(srgb);
  double worst = 0;
  for (int r = 0; r < srgb.rows; ++r)
    for (int c = 0; c < srgb.cols; ++c) {
      const cv::Vec3f p = srgb.at<cv::Vec3f>(r, c);
      const double exact =
          0.0722 * DecodeExact(p[0]) + 0.7152 * DecodeExact(p[1]) + 0.2126 * DecodeExact(p[2]);
      worst = std::max(worst, std::abs(y.at<float>(r, c) - exact));
    }
  EXPECT_LE(worst, 3e-7);
}

}  // namespace
}  // namespace skintrack::photometric
