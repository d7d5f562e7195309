// Reference normalisation: gains fitted on an unchanged region only; the treated change stays.
#include "skintrack/photometric/reference_normalise.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "skintrack/photometric/color.h"

namespace skintrack::photometric {
namespace {

// A textured skin-coloured image (deterministic).
cv::Mat Texture(cv::Size size) {
  cv::Mat noise(size, CV_32FC1);
  cv::RNG rng(7);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.05);
  cv::GaussianBlur(noise, noise, cv::Size(), 2.0);
  cv::Mat lin;
  cv::merge(
      std::vector<cv::Mat>{0.18f * (1.0f + noise), 0.25f * (1.0f + noise), 0.42f * (1.0f + noise)},
      lin);
  return LinearToSrgb(lin);
}

// Multiplies linear B, G, R by `gains` inside `where` (everywhere when empty).
cv::Mat Scaled(const cv::Mat& srgb, cv::Vec3d gains, const cv::Mat& where = cv::Mat()) {
  cv::Mat lin = SrgbToLinear(srgb), scaled;
  cv::multiply(lin, cv::Scalar(gains[0], gains[1], gains[2]), scaled);
  if (where.empty()) return LinearToSrgb(scaled);
  scaled.copyTo(lin, where);
  return LinearToSrgb(lin);
}

TEST(ReferenceNormaliseTest, RecoversExposureAndWhiteBalanceAndKeepsTheTreatment) {
  const cv::Size size(400, 300);
  const cv::Mat before = Texture(size);
  // Treatment: the centre gets redder (R x 1.2) in the after skin.
  cv::Mat treated(size, CV_8UC1, cv::Scalar(0));
  cv::circle(treated, cv::Point(200, 150), 60, cv::Scalar(255), cv::FILLED);
  const cv::Mat after_skin = Scaled(before, {1.0, 1.0, 1.2}, treated);
  // Session difference: exposure 1.3, white balance B 0.92, R 1.08.
  const cv::Vec3d session(1.3 * 0.92, 1.3, 1.3 * 1.08);
  const cv::Mat after = Scaled(after_skin, session);
  cv::Mat reference(size, CV_8UC1, cv::Scalar(255));
  cv::circle(reference, cv::Point(200, 150), 80, cv::Scalar(0), cv::FILLED);

  ReferenceNormalisation r;
  ASSERT_TRUE(
      NormaliseToReference(before, after, reference, cv::Mat(), ReferenceNormaliseOptions(), &r)
          .ok());
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(r.gains_bgr[c], 1.0 / session[c], 1e-3) << c;
  EXPECT_EQ(r.pixels_used, cv::countNonZero(reference));
  EXPECT_NE(r.message.find("reference-normalised"), std::string::npos);
  // Outside: equal to before; inside: the treatment's R x 1.2 is kept.
  const cv::Scalar out_b = cv::mean(SrgbToLinear(before), reference);
  const cv::Scalar out_a = cv::mean(SrgbToLinear(r.after), reference);
  const cv::Scalar in_b = cv::mean(SrgbToLinear(before), treated);
  const cv::Scalar in_a = cv::mean(SrgbToLinear(r.after), treated);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(out_a[c] / out_b[c], 1.0, 2e-3) << c;
  EXPECT_NEAR(in_a[2] / in_b[2], 1.2, 5e-3);
  EXPECT_NEAR(in_a[1] / in_b[1], 1.0, 5e-3);

  // Fitting on the whole image (treated area included) equalises part of the change away:
  // why the reference must exclude the treated area.
  ReferenceNormalisation whole;
  ASSERT_TRUE(NormaliseToReference(before, after, cv::Mat(size, CV_8UC1, cv::Scalar(255)),
                                   cv::Mat(), ReferenceNormaliseOptions(), &whole)
                  .ok());
  const cv::Scalar in_w = cv::mean(SrgbToLinear(whole.after), treated);
  EXPECT_LT(in_w[2] / in_b[2], 1.19);
}

TEST(ReferenceNormaliseTest, LeavesOutInvalidAndClippedPixels) {
  const cv::Size size(200, 150);
  const cv::Mat before = Texture(size);
  cv::Mat after = Scaled(before, {0.8, 0.8, 0.8});
  // Half of the after photo has no data (zeros) and is marked invalid; a clipped patch.
  cv::Mat valid(size, CV_8UC1, cv::Scalar(255));
  valid(cv::Rect(0, 0, 100, 150)).setTo(0);
  after(cv::Rect(0, 0, 100, 150)).setTo(cv::Scalar::all(0));
  after(cv::Rect(150, 0, 20, 20)).setTo(cv::Scalar::all(1.0));
  // A patch whose red channel alone is below dark_level (B, G fine): left out too.
  after(cv::Rect(150, 100, 10, 10)).setTo(cv::Scalar(0.5, 0.5, 0.01));
  ReferenceNormalisation r;
  ASSERT_TRUE(NormaliseToReference(before, after, cv::Mat(size, CV_8UC1, cv::Scalar(255)), valid,
                                   ReferenceNormaliseOptions(), &r)
                  .ok());
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(r.gains_bgr[c], 1.25, 2e-3) << c;
  EXPECT_EQ(r.pixels_used, 100 * 150 - 400 - 100);
}

TEST(ReferenceNormaliseTest, RefusesBadInput) {
  const cv::Size size(100, 80);
  const cv::Mat img = Texture(size);
  const cv::Mat roi(size, CV_8UC1, cv::Scalar(255));
  ReferenceNormalisation r;
  const ReferenceNormaliseOptions o;
  EXPECT_EQ(NormaliseToReference(img, img, cv::Mat::zeros(size, CV_8UC1), cv::Mat(), o, &r).code(),
            StatusCode::kInvalidInput);  // empty reference
  EXPECT_EQ(NormaliseToReference(img, Texture(cv::Size(90, 80)), roi, cv::Mat(), o, &r).code(),
            StatusCode::kInvalidInput);
  EXPECT_EQ(NormaliseToReference(img, img, cv::Mat(size, CV_32FC1), cv::Mat(), o, &r).code(),
            StatusCode::kInvalidInput);
  EXPECT_EQ(NormaliseToReference(img, img, roi, cv::Mat(10, 10, CV_8UC1), o, &r).code(),
            StatusCode::kInvalidInput);
  EXPECT_EQ(NormaliseToReference(img, img, roi, cv::Mat(), o, nullptr).code(),
            StatusCode::kInvalidArgument);
  ReferenceNormaliseOptions bad;
  bad.min_pixels = 0;
  EXPECT_EQ(NormaliseToReference(img, img, roi, cv::Mat(), bad, &r).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skintrack::photometric
