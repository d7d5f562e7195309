// The project's Lanczos-4 remap against hand-computed expectations and against OpenCV's
// cv::remap(INTER_LANCZOS4), which it replaces for the internal form.
#include "align/fast_remap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/align/align.h"

namespace skintrack::align::internal {
namespace {

cv::Mat SmoothRandom(cv::Size size) {
  cv::Mat img(size, CV_32FC3);
  cv::RNG rng(5);
  rng.fill(img, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::GaussianBlur(img, img, cv::Size(), 2.0);
  return img;
}

// Source coordinates of a rotation by `deg` about the centre and a shift.
cv::Mat RotationMap(cv::Size size, double deg, double dx, double dy) {
  cv::Mat map(size, CV_32FC2);
  const double r = deg * CV_PI / 180.0, cx = 0.5 * (size.width - 1), cy = 0.5 * (size.height - 1);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const double u = x - cx, v = y - cy;
      map.at<cv::Vec2f>(y, x) =
          cv::Vec2f(static_cast<float>(cx + std::cos(r) * u - std::sin(r) * v + dx),
                    static_cast<float>(cy + std::sin(r) * u + std::cos(r) * v + dy));
    }
  return map;
}

TEST(RemapLanczos4Test, IntegerMapCopiesExactly) {
  const cv::Mat src = SmoothRandom(cv::Size(40, 30));
  cv::Mat map(src.size(), CV_32FC2);
  for (int y = 0; y < map.rows; ++y)
    for (int x = 0; x < map.cols; ++x) map.at<cv::Vec2f>(y, x) = cv::Vec2f(float(x), float(y));
  cv::Mat dst;
  RemapLanczos4(src, map, &dst);
  EXPECT_EQ(cv::norm(dst, src, cv::NORM_INF), 0.0);
}

// Weights sum to 1: a constant image stays constant wherever all taps are inside; a point 4 px
// or more outside the image reads 0; a NaN coordinate reads 0.
TEST(RemapLanczos4Test, ConstantsBordersAndNaN) {
  const cv::Mat src(30, 40, CV_32FC3, cv::Scalar(0.25, 0.5, 0.75));
  cv::Mat map(1, 4, CV_32FC2);
  map.at<cv::Vec2f>(0, 0) = cv::Vec2f(17.3f, 11.8f);  // interior
  map.at<cv::Vec2f>(0, 1) = cv::Vec2f(-5.0f, 10.0f);  // fully outside
  map.at<cv::Vec2f>(0, 2) = cv::Vec2f(20.0f, NAN);    // NaN
  map.at<cv::Vec2f>(0, 3) = cv::Vec2f(39.0f, 15.0f);  // on the last column: integer, exact
  cv::Mat dst;
  RemapLanczos4(src, map, &dst);
  const cv::Vec3f a = dst.at<cv::Vec3f>(0, 0);
  EXPECT_NEAR(a[0], 0.25, 1e-6);
  EXPECT_NEAR(a[1], 0.5, 1e-6);
  EXPECT_NEAR(a[2], 0.75, 1e-6);
  EXPECT_EQ(dst.at<cv::Vec3f>(0, 1), cv::Vec3f(0, 0, 0));
  EXPECT_EQ(dst.at<cv::Vec3f>(0, 2), cv::Vec3f(0, 0, 0));
  EXPECT_NEAR(dst.at<cv::Vec3f>(0, 3)[1], 0.5, 1e-6);
}

// Against OpenCV on a smooth image under a rotation (interior, border band and outside): the
// same kernel and border rule. On a map of 1/32-px coordinates, where OpenCV's rounding of the
// fraction (1/32 px) and this one's (1/256 px) agree, they differ by float rounding only; on the
// exact map, by OpenCV's coarser rounding (within 2e-3 where all taps are inside).
TEST(RemapLanczos4Test, MatchesOpenCv) {
  const cv::Mat src = SmoothRandom(cv::Size(160, 120));
  const cv::Mat exact = RotationMap(src.size(), 7.0, 3.3, -2.7);
  cv::Mat grid = exact.clone();
  for (int y = 0; y < grid.rows; ++y)
    for (int x = 0; x < grid.cols; ++x) {
      cv::Vec2f& m = grid.at<cv::Vec2f>(y, x);
      m = cv::Vec2f(std::round(m[0] * 32.0f) / 32.0f, std::round(m[1] * 32.0f) / 32.0f);
    }
  cv::Mat ours, theirs;
  RemapLanczos4(src, grid, &ours);
  cv::remap(src, theirs, grid, cv::noArray(), cv::INTER_LANCZOS4, cv::BORDER_CONSTANT, 0);
  EXPECT_LT(cv::norm(ours, theirs, cv::NORM_INF), 1e-5);
  RemapLanczos4(src, exact, &ours);
  cv::remap(src, theirs, exact, cv::noArray(), cv::INTER_LANCZOS4, cv::BORDER_CONSTANT, 0);
  const cv::Rect inner(20, 20, 120, 80);  // every tap inside the source
  EXPECT_LT(cv::norm(ours(inner), theirs(inner), cv::NORM_INF), 2e-3);
}

// One channel (the texture's luminance): each channel of a 3-channel image remapped alone gives
// that channel of the 3-channel result (interior, border band, outside), to float rounding.
TEST(RemapLanczos4Test, OneChannelMatchesEachChannel) {
  const cv::Mat src = SmoothRandom(cv::Size(160, 120));
  const cv::Mat map = RotationMap(src.size(), 7.0, 3.3, -2.7);
  cv::Mat three;
  RemapLanczos4(src, map, &three);
  std::vector<cv::Mat> in, out;
  cv::split(src, in);
  cv::split(three, out);
  for (int c = 0; c < 3; ++c) {
    cv::Mat one;
    RemapLanczos4(in[static_cast<size_t>(c)], map, &one);
    ASSERT_EQ(one.type(), CV_32FC1);
    EXPECT_LT(cv::norm(one, out[static_cast<size_t>(c)], cv::NORM_INF), 1e-6) << c;
  }
}

}  // namespace
}  // namespace skintrack::align::internal

namespace skintrack::align {
namespace {

// WarpAfterToBefore with Lanczos on the internal form (the project's remap, the overlap from
// the map) agrees with the OpenCV path (warpPerspective) on the overlap and, inside it, on the
// warped pixels of a smooth image.
TEST(WarpAfterToBeforeTest, LanczosPathAgreesWithOpenCv) {
  cv::Mat after(300, 400, CV_32FC3);
  cv::RNG rng(9);
  rng.fill(after, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::GaussianBlur(after, after, cv::Size(), 3.0);
  AlignmentResult r;
  r.status = AlignmentStatus::kOk;
  const double a = 4.0 * CV_PI / 180.0;
  r.after_to_before = cv::Matx33d(std::cos(a), -std::sin(a), 12.5, std::sin(a), std::cos(a), -7.25,
                                  1e-5, -2e-5, 1.0);
  cv::Mat ours, theirs, overlap_ours, overlap_theirs;
  ASSERT_TRUE(
      WarpAfterToBefore(after, r, cv::Size(380, 290), &ours, &overlap_ours, cv::INTER_LANCZOS4)
          .ok());
  cv::warpPerspective(after, theirs, cv::Mat(r.after_to_before), cv::Size(380, 290),
                      cv::INTER_LANCZOS4, cv::BORDER_CONSTANT, 0);
  ASSERT_TRUE(
      WarpAfterToBefore(after, r, cv::Size(380, 290), nullptr, &overlap_theirs, cv::INTER_LINEAR)
          .ok());
  cv::Mat differ;
  cv::compare(overlap_ours, overlap_theirs, differ, cv::CMP_NE);
  EXPECT_LT(cv::countNonZero(differ), 0.002 * differ.total());  // a few boundary pixels
  cv::Mat inner;
  // 5 px inside the overlap and the frame (the 8 x 8 window then lies inside the after image).
  cv::erode(overlap_ours, inner, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(11, 11)),
            cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat diff;
  cv::absdiff(ours, theirs, diff);
  double inner_worst = 0.0;
  for (int y = 0; y < inner.rows; ++y)
    for (int x = 0; x < inner.cols; ++x)
      if (inner.at<uchar>(y, x))
        for (int c = 0; c < 3; ++c)
          inner_worst = std::max(inner_worst, double(diff.at<cv::Vec3f>(y, x)[c]));
  EXPECT_LT(inner_worst, 2e-3);
}

// The overload with several images and interpolations gives each the single call's image (one
// mapping for all), with and without a non-rigid residual; a one-channel plane (the
// luminance) too.
TEST(WarpAfterToBeforeTest, SeveralInterpolationsEqualSingleCalls) {
  cv::Mat after(120, 160, CV_32FC3);
  cv::RNG rng(3);
  rng.fill(after, cv::RNG::UNIFORM, 0.0, 1.0);
  AlignmentResult r;
  r.status = AlignmentStatus::kOk;
  r.after_to_before = cv::Matx33d(0.99, -0.05, 3.5, 0.05, 0.99, -2.25, 0, 0, 1);
  for (const bool nonrigid : {false, true}) {
    SCOPED_TRACE(nonrigid);
    r.nonrigid_used = nonrigid;
    r.before_scale = 0.5;
    r.flow = nonrigid ? cv::Mat(60, 80, CV_32FC2, cv::Scalar(0.4, -0.3)) : cv::Mat();
    std::vector<cv::Mat> both;
    cv::Mat overlap_both;
    cv::Mat plane;
    cv::extractChannel(after, plane, 1);
    ASSERT_TRUE(WarpAfterToBefore(std::vector<cv::Mat>{after, after, plane}, r, cv::Size(150, 110),
                                  {cv::INTER_CUBIC, cv::INTER_LANCZOS4, cv::INTER_LANCZOS4}, &both,
                                  &overlap_both)
                    .ok());
    ASSERT_EQ(both.size(), 3u);
    cv::Mat plane_lanczos;
    ASSERT_TRUE(
        WarpAfterToBefore(plane, r, cv::Size(150, 110), &plane_lanczos, nullptr, cv::INTER_LANCZOS4)
            .ok());
    EXPECT_EQ(cv::norm(both[2], plane_lanczos, cv::NORM_INF), 0.0);
    cv::Mat lanczos, overlap;
    ASSERT_TRUE(
        WarpAfterToBefore(after, r, cv::Size(150, 110), &lanczos, &overlap, cv::INTER_LANCZOS4)
            .ok());
    EXPECT_EQ(cv::norm(both[1], lanczos, cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::countNonZero(overlap_both != overlap), 0);
    EXPECT_FALSE(WarpAfterToBefore(std::vector<cv::Mat>{after}, r, cv::Size(150, 110),
                                   {cv::INTER_CUBIC, cv::INTER_LANCZOS4}, &both, nullptr)
                     .ok());  // one interpolation per image
    if (nonrigid) {           // the single cubic call goes through the same map only with a flow
      cv::Mat cubic;
      ASSERT_TRUE(
          WarpAfterToBefore(after, r, cv::Size(150, 110), &cubic, nullptr, cv::INTER_CUBIC).ok());
      EXPECT_EQ(cv::norm(both[0], cubic, cv::NORM_INF), 0.0);
    }
  }
}

}  // namespace
}  // namespace skintrack::align
