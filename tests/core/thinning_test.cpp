// Zhang-Suen thinning: hand-computed skeletons, and equality with OpenCV's ximgproc::thinning
// (which the library no longer links) on random shapes.
#include "core/thinning.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc.hpp>
#include <random>

namespace skintrack::internal {
namespace {

cv::Mat Thin(const cv::Mat& mask) {
  cv::Mat out;
  ThinZhangSuen(mask, &out);
  return out;
}

int Differences(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::compare(a, b, diff, cv::CMP_NE);
  return cv::countNonZero(diff);
}

TEST(ThinningTest, ThreePixelBarThinsToItsCentreRow) {
  // A 3 x 9 bar (rows 2..4) inside a 7 x 13 image thins onto its centre row.
  cv::Mat mask = cv::Mat::zeros(7, 13, CV_8UC1);
  mask(cv::Rect(2, 2, 9, 3)).setTo(255);
  const cv::Mat thin = Thin(mask);
  cv::Mat ref;
  cv::ximgproc::thinning(mask, ref, cv::ximgproc::THINNING_ZHANGSUEN);
  EXPECT_EQ(Differences(thin, ref), 0);
  // Every kept pixel is on the centre row, the row is connected and spans most of the bar.
  EXPECT_EQ(cv::countNonZero(thin.row(2)) + cv::countNonZero(thin.row(4)), 0);
  EXPECT_GE(cv::countNonZero(thin.row(3)), 6);
}

TEST(ThinningTest, OnePixelLinesAndIsolatedPixelsStay) {
  cv::Mat mask = cv::Mat::zeros(20, 20, CV_8UC1);
  cv::line(mask, {2, 3}, {17, 3}, 255, 1, cv::LINE_8);
  cv::line(mask, {2, 6}, {15, 17}, 255, 1, cv::LINE_8);
  mask.at<uchar>(15, 3) = 255;
  EXPECT_EQ(Differences(Thin(mask), mask), 0);
}

TEST(ThinningTest, BorderPixelsAreNeverRemoved) {
  // A 5-px wide bar from the top edge to the bottom edge: its pixels on rows 0 and 8 stay,
  // the rows between thin down.
  cv::Mat mask = cv::Mat::zeros(9, 9, CV_8UC1);
  mask(cv::Rect(2, 0, 5, 9)).setTo(255);
  const cv::Mat thin = Thin(mask);
  EXPECT_EQ(cv::countNonZero(thin.row(0)), 5);
  EXPECT_EQ(cv::countNonZero(thin.row(8)), 5);
  EXPECT_LT(cv::countNonZero(thin(cv::Rect(0, 1, 9, 7))), 5 * 7 / 2);
  // With no background at all nothing has a 0-to-1 transition around it: nothing is removed.
  const cv::Mat full(9, 9, CV_8UC1, cv::Scalar(255));
  EXPECT_EQ(cv::countNonZero(Thin(full)), 81);
}

TEST(ThinningTest, OutputIsZeroOr255AndASubsetOfTheMask) {
  cv::Mat mask = cv::Mat::zeros(40, 40, CV_8UC1);
  cv::circle(mask, {20, 20}, 12, 200, cv::FILLED);  // 200 reads as foreground (>= 128)
  cv::circle(mask, {5, 5}, 3, 100, cv::FILLED);     // 100 reads as background
  const cv::Mat thin = Thin(mask);
  EXPECT_EQ(cv::countNonZero(thin(cv::Rect(0, 0, 10, 10))), 0);
  cv::Mat outside = thin & (mask < 128);
  EXPECT_EQ(cv::countNonZero(outside), 0);
  cv::Mat other = (thin != 0) & (thin != 255);
  EXPECT_EQ(cv::countNonZero(other), 0);
  EXPECT_GT(cv::countNonZero(thin), 0);
}

TEST(ThinningTest, EqualsXimgprocOnRandomShapes) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    const int w = 20 + static_cast<int>(rng() % 120), h = 20 + static_cast<int>(rng() % 90);
    cv::Mat mask = cv::Mat::zeros(h, w, CV_8UC1);
    const int shapes = 1 + static_cast<int>(rng() % 6);
    for (int s = 0; s < shapes; ++s) {
      const cv::Point a(static_cast<int>(rng() % w), static_cast<int>(rng() % h));
      const cv::Point b(static_cast<int>(rng() % w), static_cast<int>(rng() % h));
      switch (rng() % 3) {
        case 0:
          cv::line(mask, a, b, 255, 1 + static_cast<int>(rng() % 9));
          break;
        case 1:
          cv::ellipse(mask, a, {2 + static_cast<int>(rng() % 20), 1 + static_cast<int>(rng() % 8)},
                      static_cast<double>(rng() % 180), 0, 360, 255, cv::FILLED);
          break;
        default:
          cv::rectangle(mask, a, b, 255, cv::FILLED);
      }
    }
    if (trial % 4 == 0) {  // ragged edges and holes
      cv::Mat noise(h, w, CV_8UC1);
      cv::randu(noise, 0, 256);
      mask &= (noise > 40);
    }
    cv::Mat ref;
    cv::ximgproc::thinning(mask, ref, cv::ximgproc::THINNING_ZHANGSUEN);
    ASSERT_EQ(Differences(Thin(mask), ref), 0) << "trial " << trial;
  }
}

}  // namespace
}  // namespace skintrack::internal
