// align::FillExcluded: objects that are not skin are blanked out of the registration evidence.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "skintrack/align/align.h"
#include "skintrack/core/image.h"

namespace skintrack::align {
namespace {

TEST(FillExcludedTest, EmptyOrAllZeroMaskReturnsTheImageUncopied) {
  const cv::Mat image(50, 60, kImageType, cv::Scalar(0.1, 0.2, 0.3));
  EXPECT_EQ(FillExcluded(image, cv::Mat()).data, image.data);
  EXPECT_EQ(FillExcluded(image, cv::Mat::zeros(image.size(), CV_8UC1)).data, image.data);
}

// Left half 0.2, right half 0.6; the excluded square sits in the right half, so the ring
// around it (radius 3 px: 1 % of 100 px is below the 3 px floor) is all 0.6.
TEST(FillExcludedTest, FillsWithTheRingMeanAndLeavesTheRestAlone) {
  cv::Mat image(100, 100, kImageType, cv::Scalar::all(0.2));
  image(cv::Rect(50, 0, 50, 100)).setTo(cv::Scalar::all(0.6));
  image(cv::Rect(70, 40, 10, 10)).setTo(cv::Scalar(1.0, 0.0, 0.0));  // a "chart patch"
  cv::Mat exclude = cv::Mat::zeros(image.size(), CV_8UC1);
  exclude(cv::Rect(70, 40, 10, 10)).setTo(255);
  const cv::Mat out = FillExcluded(image, exclude);
  ASSERT_NE(out.data, image.data);
  const cv::Vec3f filled = out.at<cv::Vec3f>(45, 75);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(filled[c], 0.6f, 1e-6f);
  EXPECT_EQ(out.at<cv::Vec3f>(45, 10), image.at<cv::Vec3f>(45, 10));
  EXPECT_EQ(out.at<cv::Vec3f>(45, 90), image.at<cv::Vec3f>(45, 90));
  // The input is untouched.
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(45, 75)[0], 1.0f);
}

// A mask at another size (e.g. full-size while the photo was decoded at half size) is resized.
TEST(FillExcludedTest, ResizesAMaskOfAnotherSize) {
  const cv::Mat image(50, 50, kImageType, cv::Scalar::all(0.5));
  cv::Mat half = image.clone();
  half(cv::Rect(20, 20, 5, 5)).setTo(cv::Scalar::all(0.0));
  cv::Mat exclude = cv::Mat::zeros(100, 100, CV_8UC1);
  exclude(cv::Rect(40, 40, 10, 10)).setTo(255);
  const cv::Mat out = FillExcluded(half, exclude);
  EXPECT_NEAR(out.at<cv::Vec3f>(22, 22)[1], 0.5f, 1e-6f);
}

}  // namespace
}  // namespace skintrack::align
