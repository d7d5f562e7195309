// HammingKnn2 against OpenCV's brute-force matcher, match for match (ties included).
#include "align/hamming_match.h"

#include <gtest/gtest.h>

#include <opencv2/features2d.hpp>
#include <vector>

namespace skintrack::align::internal {
namespace {

// Rows of `bytes` random bytes drawn from `alphabet` (a small alphabet gives many equal
// distances and duplicate rows).
cv::Mat Descriptors(int rows, int bytes, const std::vector<uchar>& alphabet, uint64 seed) {
  cv::RNG rng(seed);
  cv::Mat d(rows, bytes, CV_8UC1);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < bytes; ++j)
      d.at<uchar>(i, j) =
          alphabet.empty()
              ? static_cast<uchar>(rng.uniform(0, 256))
              : alphabet[static_cast<size_t>(rng.uniform(0, static_cast<int>(alphabet.size())))];
  return d;
}

void ExpectSameAsBfMatcher(const cv::Mat& query, const cv::Mat& train) {
  std::vector<std::vector<cv::DMatch>> want;
  cv::BFMatcher(cv::NORM_HAMMING).knnMatch(query, train, want, 2);
  const std::vector<std::vector<cv::DMatch>> got = HammingKnn2(query, train);
  ASSERT_EQ(got.size(), want.size());
  for (size_t q = 0; q < want.size(); ++q) {
    ASSERT_EQ(got[q].size(), want[q].size()) << "query " << q;
    for (size_t k = 0; k < want[q].size(); ++k) {
      EXPECT_EQ(got[q][k].queryIdx, want[q][k].queryIdx) << q << " " << k;
      EXPECT_EQ(got[q][k].trainIdx, want[q][k].trainIdx) << q << " " << k;
      EXPECT_EQ(got[q][k].imgIdx, want[q][k].imgIdx) << q << " " << k;
      EXPECT_EQ(got[q][k].distance, want[q][k].distance) << q << " " << k;
    }
  }
}

TEST(HammingKnn2Test, SameMatchesAsBfMatcherOnOrbSizedDescriptors) {
  ExpectSameAsBfMatcher(Descriptors(400, 32, {}, 1), Descriptors(700, 32, {}, 2));
}

TEST(HammingKnn2Test, TiesGoToTheLowerTrainRowAsInBfMatcher) {
  // Bytes from {0, 1, 3, 255}: distances repeat often; the train set holds duplicate rows.
  const std::vector<uchar> few = {0, 1, 3, 255};
  cv::Mat train = Descriptors(300, 32, few, 3);
  train.rowRange(0, 50).copyTo(train.rowRange(100, 150));
  cv::Mat query = Descriptors(300, 32, few, 4);
  train.rowRange(10, 40).copyTo(query.rowRange(0, 30));  // exact matches (distance 0, twice)
  ExpectSameAsBfMatcher(query, train);
  // All equal: every query's matches are train rows 0 and 1.
  const cv::Mat zeros = cv::Mat::zeros(20, 32, CV_8UC1);
  const auto all = HammingKnn2(zeros, zeros);
  for (const auto& m : all) {
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].trainIdx, 0);
    EXPECT_EQ(m[1].trainIdx, 1);
  }
  ExpectSameAsBfMatcher(zeros, zeros);
}

TEST(HammingKnn2Test, OddWidthsFewTrainRowsAndEmptyQuery) {
  for (int bytes : {1, 7, 13, 61, 64}) {
    SCOPED_TRACE(bytes);
    ExpectSameAsBfMatcher(Descriptors(60, bytes, {}, 5), Descriptors(80, bytes, {0, 128}, 6));
  }
  ExpectSameAsBfMatcher(Descriptors(10, 32, {}, 7), Descriptors(1, 32, {}, 8));  // one match each
  EXPECT_TRUE(HammingKnn2(cv::Mat(0, 32, CV_8UC1), Descriptors(5, 32, {}, 9)).empty());
}

}  // namespace
}  // namespace skintrack::align::internal
