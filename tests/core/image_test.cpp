// CheckImage: the entry check every pipeline stage runs on its input images.
#include "skintrack/core/image.h"

#include <gtest/gtest.h>

#include <limits>

namespace skintrack {
namespace {

TEST(CheckImageTest, AcceptsFiniteImage) {
  const cv::Mat image(40, 50, kImageType, cv::Scalar(0.2, 0.5, 1.0));
  EXPECT_TRUE(CheckImage(image, kImageType, 16, "x").ok());
}

TEST(CheckImageTest, RefusesEmptyWrongTypeAndSmall) {
  EXPECT_EQ(CheckImage(cv::Mat(), kImageType, 1, "x").code(), StatusCode::kInvalidInput);
  EXPECT_EQ(CheckImage(cv::Mat(40, 40, CV_8UC3), kImageType, 1, "x").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckImage(cv::Mat(40, 10, kImageType, cv::Scalar::all(0)), kImageType, 16, "x").code(),
            StatusCode::kInvalidInput);
}

// The message names the FIRST bad pixel in row-major order, whichever thread finds which.
TEST(CheckImageTest, NamesFirstNonFinitePixel) {
  cv::Mat image(600, 300, kImageType, cv::Scalar::all(0.5));
  image.at<cv::Vec3f>(590, 3)[0] = std::numeric_limits<float>::infinity();
  image.at<cv::Vec3f>(417, 250)[2] = std::numeric_limits<float>::quiet_NaN();
  image.at<cv::Vec3f>(417, 251)[1] = -std::numeric_limits<float>::infinity();
  const Status st = CheckImage(image, kImageType, 16, "photo.jpg");
  ASSERT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("photo.jpg: pixel (250, 417) is not a finite value"),
            std::string::npos)
      << st.message();
}

TEST(CheckImageTest, RefusesHugeValuesAndChecksDoubleImages) {
  cv::Mat image(32, 32, kImageType, cv::Scalar::all(0.5));
  image.at<cv::Vec3f>(31, 31)[2] = 2e6f;
  EXPECT_EQ(CheckImage(image, kImageType, 16, "x").code(), StatusCode::kInvalidInput);
  image.at<cv::Vec3f>(31, 31)[2] = -9e5f;  // large but inside [-1e6, 1e6]
  EXPECT_TRUE(CheckImage(image, kImageType, 16, "x").ok());
  cv::Mat d(32, 32, CV_64FC1, cv::Scalar(1.0));
  d.at<double>(5, 7) = std::numeric_limits<double>::quiet_NaN();
  const Status st = CheckImage(d, CV_64FC1, 16, "d");
  EXPECT_NE(st.message().find("pixel (7, 5)"), std::string::npos) << st.message();
}

// A view into a larger image (non-continuous rows) is checked over the view only.
TEST(CheckImageTest, ChecksViewsOnly) {
  cv::Mat image(64, 64, kImageType, cv::Scalar::all(0.5));
  image.at<cv::Vec3f>(0, 0)[0] = std::numeric_limits<float>::quiet_NaN();
  const cv::Mat view = image(cv::Rect(8, 8, 40, 40));
  EXPECT_TRUE(CheckImage(view, kImageType, 16, "view").ok());
  image.at<cv::Vec3f>(20, 30)[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(CheckImage(view, kImageType, 16, "view").message().find("pixel (22, 12)"),
            std::string::npos);
}

}  // namespace
}  // namespace skintrack
