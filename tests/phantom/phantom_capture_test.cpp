// The capture model: exposure, white balance, side light, noise, JPEG, RandomCapture and
// ApplyCapture.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"

namespace skintrack::phantom {
namespace {

using photometric::LinearLuminance;
using photometric::SrgbToLinear;

PhantomOptions Small() {
  PhantomOptions o;
  o.width = 320;
  o.height = 240;
  o.seed = 5;
  return o;
}

// after / before in linear light, per pixel, for one channel (-1: luminance).
cv::Mat Ratio(const PhantomPair& pair, int channel) {
  cv::Mat b = SrgbToLinear(pair.before), a = SrgbToLinear(pair.after);
  if (channel < 0) {
    b = LinearLuminance(b);
    a = LinearLuminance(a);
  } else {
    cv::extractChannel(b, b, channel);
    cv::extractChannel(a, a, channel);
  }
  return a / b;
}

TEST(PhantomCaptureTest, ExposureMultipliesLinearLuminance) {
  PhantomOptions o = Small();
  o.after_capture.exposure = 1.3;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  double lo = 0.0, hi = 0.0;
  cv::minMaxLoc(Ratio(pair, -1)(cv::Rect(40, 40, 240, 160)), &lo, &hi);
  EXPECT_NEAR(lo, 1.3, 1e-4);
  EXPECT_NEAR(hi, 1.3, 1e-4);
}

TEST(PhantomCaptureTest, WhiteBalanceGainsActPerChannel) {
  PhantomOptions o = Small();
  o.after_capture.white_balance = {0.8, 1.0, 1.25};  // B, G, R
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const double expected[3] = {0.8, 1.0, 1.25};
  for (int c = 0; c < 3; ++c) {
    double lo = 0.0, hi = 0.0;
    cv::minMaxLoc(Ratio(pair, c), &lo, &hi);
    EXPECT_NEAR(lo, expected[c], 1e-4) << c;
    EXPECT_NEAR(hi, expected[c], 1e-4) << c;
  }
}

TEST(PhantomCaptureTest, SideLightIsACosineRampAcrossTheImage) {
  PhantomOptions o = Small();
  o.after_capture.side_light_strength = 0.2;
  o.after_capture.side_light_angle_deg = 0.0;  // light from the left
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  cv::Mat r = Ratio(pair, -1);
  // f(u) = 1 + s cos(pi (u + 1) / 2), u = -1 at x = 0, +1 at x = w - 1.
  EXPECT_NEAR(r.at<float>(100, 0), 1.2, 1e-4);
  EXPECT_NEAR(r.at<float>(100, 319), 0.8, 1e-4);
  EXPECT_NEAR(r.at<float>(100, 0) - r.at<float>(7, 0), 0.0, 1e-4);  // constant along y
  // x = (w - 1) / 4 = 79.75 is u = -0.5: 1 + 0.2 cos(pi / 4); x = 80 is u = -0.49843.
  EXPECT_NEAR(r.at<float>(100, 80), 1.0 + 0.2 * std::cos(CV_PI / 2 * (1.0 - 0.49843)), 1e-4);

  o.after_capture.side_light_angle_deg = 90.0;  // light from the top
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  r = Ratio(pair, -1);
  EXPECT_NEAR(r.at<float>(0, 150), 1.2, 1e-4);
  EXPECT_NEAR(r.at<float>(239, 150), 0.8, 1e-4);
}

TEST(PhantomCaptureTest, NoiseHasTheRequestedSdInLinearUnits) {
  PhantomOptions o = Small();
  o.after_capture.noise_sigma = 0.004;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const cv::Mat diff = SrgbToLinear(pair.after) - SrgbToLinear(pair.before);
  cv::Scalar mean, sd;
  cv::meanStdDev(diff.reshape(1), mean, sd);
  EXPECT_NEAR(sd[0], 0.004, 0.0002);
  EXPECT_NEAR(mean[0], 0.0, 0.0002);
}

TEST(PhantomCaptureTest, JpegRoundTripIsSmallButReal) {
  PhantomOptions o = Small();
  o.after_capture.jpeg_quality = 90;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const double mad = cv::norm(pair.after, pair.before, cv::NORM_L1) / (pair.after.total() * 3);
  EXPECT_GT(mad, 1e-4);
  EXPECT_LT(mad, 0.01);
  // 8-bit values after the round trip.
  const float v = pair.after.at<cv::Vec3f>(10, 10)[1] * 255.0f;
  EXPECT_NEAR(v, std::round(v), 1e-3);
}

TEST(PhantomCaptureTest, ZoomOutHalvesTheScaleInTheTruth) {
  PhantomOptions o = Small();
  o.skin.scar_count = 0;
  o.before_capture.image_from_skin = cv::Matx33d(0.5, 0, 80, 0, 0.5, 60, 0, 0, 1);
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  EXPECT_DOUBLE_EQ(pair.truth.px_per_mm_before, 10.0);
  for (const TruthPore& p : pair.truth.pores) {
    EXPECT_GE(p.radius_before_px, 0.05 * 10.0 - 1e-9);
    EXPECT_LE(p.radius_before_px, 0.15 * 10.0 + 1e-9);
  }
  // The before image sees 4x the skin area: ~4x as many pores as the after image's skin area.
  EXPECT_NEAR(static_cast<double>(pair.truth.pores.size()), 80.0 * 4 * 16 * 12 / 100.0, 30.0);
  // after (identity) sees the centre of the before view at twice the size.
  const cv::Point2d c(80 + 0.5 * 100, 60 + 0.5 * 50);
  const cv::Vec3d q = pair.truth.after_to_before * cv::Vec3d(100, 50, 1);
  EXPECT_NEAR(q[0] / q[2], c.x, 1e-9);
  EXPECT_NEAR(q[1] / q[2], c.y, 1e-9);
}

TEST(PhantomCaptureTest, TheMarkersScaleInEachPhotoFollowsItsOwnCapture) {
  // The after capture zoomed out 2x about the image origin: the marker reads 20 px/mm in the
  // before photo and 10 in the after photo.
  PhantomOptions o = Small();
  o.skin.scar_count = 0;
  o.marker.side_mm = 3.0;
  o.after_capture.image_from_skin = cv::Matx33d(0.5, 0, 0, 0, 0.5, 0, 0, 0, 1);
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  ASSERT_TRUE(pair.truth.marker.in_before);
  EXPECT_NEAR(pair.truth.marker.px_per_mm_before, 20.0, 1e-9);
  EXPECT_NEAR(pair.truth.marker.px_per_mm_after, 10.0, 1e-9);
}

TEST(PhantomCaptureTest, RandomCaptureStaysWithinItsRangesAndIsDeterministic) {
  const RandomCaptureOptions r;
  const cv::Size size(1000, 800);
  std::mt19937_64 rng(42), rng2(42);
  for (int i = 0; i < 200; ++i) {
    const CaptureOptions c = RandomCapture(r, size, rng);
    const CaptureOptions c2 = RandomCapture(r, size, rng2);
    ASSERT_TRUE(c.image_from_skin == c2.image_from_skin);
    ASSERT_EQ(c.exposure, c2.exposure);
    ASSERT_TRUE(c.Check().ok()) << c.Check().ToString();
    // The centre maps to centre + t with Jacobian s R(theta) (the keystone is the identity there).
    const cv::Matx33d& h = c.image_from_skin;
    const double cx = 499.5, cy = 399.5;
    const cv::Vec3d q = h * cv::Vec3d(cx, cy, 1.0);
    EXPECT_LE(std::abs(q[0] / q[2] - cx), 0.03 * 1000 + 1e-9);
    EXPECT_LE(std::abs(q[1] / q[2] - cy), 0.03 * 800 + 1e-9);
    const double e = 1e-3;  // numeric Jacobian
    const cv::Vec3d qx = h * cv::Vec3d(cx + e, cy, 1.0), qy = h * cv::Vec3d(cx, cy + e, 1.0);
    const double j00 = (qx[0] / qx[2] - q[0] / q[2]) / e, j10 = (qx[1] / qx[2] - q[1] / q[2]) / e;
    const double j01 = (qy[0] / qy[2] - q[0] / q[2]) / e, j11 = (qy[1] / qy[2] - q[1] / q[2]) / e;
    const double scale = std::sqrt(j00 * j11 - j01 * j10);
    EXPECT_GE(scale, 0.9 - 1e-5);
    EXPECT_LE(scale, 1.1 + 1e-5);
    EXPECT_LE(std::abs(std::atan2(j10, j00)) * 180.0 / CV_PI, 10.0 + 1e-3);
    EXPECT_GE(c.exposure, 0.7);
    EXPECT_LE(c.exposure, 1.3);
    for (int k = 0; k < 3; ++k) {
      EXPECT_GE(c.white_balance[k], 0.92);
      EXPECT_LE(c.white_balance[k], 1.08);
    }
    EXPECT_GE(c.side_light_strength, 0.0);
    EXPECT_LE(c.side_light_strength, 0.3);
    EXPECT_EQ(c.jpeg_quality, 85);
    EXPECT_EQ(c.noise_sigma, 0.003);
  }
  // Keystone alone: corners move by at most max_perspective (5 %) of the size.
  RandomCaptureOptions k;
  k.max_rotation_deg = k.max_scale_change = k.max_translation_fraction = 0.0;
  double worst = 0.0;
  for (int i = 0; i < 200; ++i) {
    const cv::Matx33d h = RandomCapture(k, size, rng).image_from_skin;
    for (const cv::Point2d& p : {cv::Point2d(-0.5, -0.5), cv::Point2d(999.5, 799.5),
                                 cv::Point2d(999.5, -0.5), cv::Point2d(-0.5, 799.5)}) {
      const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
      worst = std::max(
          {worst, std::abs(q[0] / q[2] - p.x) / 1000.0, std::abs(q[1] / q[2] - p.y) / 800.0});
    }
  }
  EXPECT_GT(worst, 0.02);
  EXPECT_LE(worst, 0.05 + 1e-9);
}

cv::Mat TestImage() {
  PhantomOptions o = Small();
  o.skin.hair_count = 3;
  PhantomPair pair;
  EXPECT_TRUE(RenderPair(o, &pair).ok());
  return pair.before;
}

TEST(PhantomCaptureTest, ApplyCaptureWithIdentityReturnsTheInput) {
  const cv::Mat in = TestImage();
  cv::Mat out;
  ASSERT_TRUE(ApplyCapture(in, CaptureOptions(), in.size(), 1, &out).ok());
  ASSERT_EQ(out.type(), CV_32FC3);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_LE(cv::norm(out, in, cv::NORM_INF), 1.0 / 255.0);
  EXPECT_LE(cv::norm(out, in, cv::NORM_INF), 1e-5);  // in fact an sRGB round trip in float
}

TEST(PhantomCaptureTest, ApplyCaptureShiftsPixelsAndReflectsTheBorder) {
  const cv::Mat in = TestImage();
  CaptureOptions c;
  c.image_from_skin = cv::Matx33d(1, 0, 10, 0, 1, 5, 0, 0, 1);  // image = skin + (10, 5)
  c.exposure = 1.25;
  cv::Mat out;
  ASSERT_TRUE(ApplyCapture(in, c, in.size(), 1, &out).ok());
  const cv::Mat lin_in = SrgbToLinear(in), lin_out = SrgbToLinear(out);
  for (int y = 0; y < in.rows - 5; y += 7) {
    for (int x = 0; x < in.cols - 10; x += 5) {
      for (int k = 0; k < 3; ++k) {
        ASSERT_NEAR(lin_out.at<cv::Vec3f>(y + 5, x + 10)[k], 1.25f * lin_in.at<cv::Vec3f>(y, x)[k],
                    1e-5);
      }
    }
  }
  // Reflected border (BORDER_REFLECT: column -1 is column 0, -10 is 9).
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(lin_out.at<cv::Vec3f>(50, 9)[k], 1.25f * lin_in.at<cv::Vec3f>(45, 0)[k], 1e-5);
    EXPECT_NEAR(lin_out.at<cv::Vec3f>(50, 0)[k], 1.25f * lin_in.at<cv::Vec3f>(45, 9)[k], 1e-5);
  }
}

TEST(PhantomCaptureTest, ApplyCaptureIsDeterministicAndValidates) {
  const cv::Mat in = TestImage();
  std::mt19937_64 rng(9);
  const CaptureOptions c = RandomCapture(RandomCaptureOptions(), in.size(), rng);
  cv::Mat a, b, d;
  ASSERT_TRUE(ApplyCapture(in, c, {200, 150}, 7, &a).ok());
  ASSERT_TRUE(ApplyCapture(in, c, {200, 150}, 7, &b).ok());
  ASSERT_TRUE(ApplyCapture(in, c, {200, 150}, 8, &d).ok());
  EXPECT_EQ(a.size(), cv::Size(200, 150));
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(a, d, cv::NORM_INF), 0.0);  // other noise

  cv::Mat out;
  EXPECT_FALSE(ApplyCapture(cv::Mat(), c, in.size(), 1, &out).ok());
  cv::Mat gray8(100, 100, CV_8UC1, cv::Scalar(128));
  EXPECT_EQ(ApplyCapture(gray8, c, in.size(), 1, &out).code(), StatusCode::kInvalidArgument);
  CaptureOptions bad;
  bad.exposure = -1.0;
  const Status st = ApplyCapture(in, bad, in.size(), 1, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("exposure"), std::string::npos);
  EXPECT_EQ(ApplyCapture(in, c, {0, 10}, 1, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyCapture(in, c, in.size(), 1, nullptr).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skintrack::phantom
