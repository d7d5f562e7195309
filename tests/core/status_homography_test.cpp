// Status names and text; homography application and local scale, by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "skintrack/core/homography.h"
#include "skintrack/core/status.h"

namespace skintrack {
namespace {

TEST(StatusTest, EveryCodeHasItsDocumentedName) {
  EXPECT_STREQ(StatusCodeName(StatusCode::kOk), "ok");
  EXPECT_STREQ(StatusCodeName(StatusCode::kInvalidArgument), "invalid_argument");
  EXPECT_STREQ(StatusCodeName(StatusCode::kInvalidInput), "invalid_input");
  EXPECT_STREQ(StatusCodeName(StatusCode::kIoError), "io_error");
  EXPECT_STREQ(StatusCodeName(StatusCode::kAlignmentFailed), "alignment_failed");
  EXPECT_STREQ(StatusCodeName(StatusCode::kInternal), "internal");
  EXPECT_EQ(Status::Ok().ToString(), "ok");
  EXPECT_EQ(Status::AlignmentFailed("no match").ToString(), "alignment_failed: no match");
  EXPECT_EQ(Status::IoError("x.json: cannot write").code(), StatusCode::kIoError);
}

TEST(HomographyTest, ApplyAndLocalScaleByHand) {
  // A rotation by 30 deg with scale 2 and a shift: the local scale is 2 everywhere.
  const double c = 2.0 * std::cos(CV_PI / 6), s = 2.0 * std::sin(CV_PI / 6);
  const cv::Matx33d rs(c, -s, 5, s, c, -3, 0, 0, 1);
  const cv::Point2d q = ApplyHomography(rs, {1.0, 0.0});
  EXPECT_NEAR(q.x, c + 5, 1e-12);
  EXPECT_NEAR(q.y, s - 3, 1e-12);
  EXPECT_NEAR(LocalScale(rs, {0.0, 0.0}), 2.0, 1e-12);
  EXPECT_NEAR(LocalScale(rs, {100.0, -40.0}), 2.0, 1e-12);
  // Anisotropic: sqrt(|det|) = sqrt(3 x 0.5).
  EXPECT_NEAR(LocalScale(cv::Matx33d(3, 0, 0, 0, 0.5, 0, 0, 0, 1), {7.0, 9.0}), std::sqrt(1.5),
              1e-12);
  // Projective: x' = x / (1 + x / 100), y' = y / (1 + x / 100). At (100, 0): w = 2,
  // dx'/dx = 1 / w^2 = 0.25, dy'/dy = 1 / w = 0.5: scale sqrt(0.125).
  const cv::Matx33d p(1, 0, 0, 0, 1, 0, 0.01, 0, 1);
  EXPECT_NEAR(LocalScale(p, {100.0, 0.0}), std::sqrt(0.125), 1e-9);
  const cv::Point2d r = ApplyHomography(p, {100.0, 50.0});
  EXPECT_NEAR(r.x, 50.0, 1e-12);
  EXPECT_NEAR(r.y, 25.0, 1e-12);
}

}  // namespace
}  // namespace skintrack
