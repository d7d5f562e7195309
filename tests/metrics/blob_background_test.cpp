// Block means and the pores' local background on small images with hand-computed answers.
#include "metrics/blob_background.h"

#include <gtest/gtest.h>

#include <cstring>
#include <opencv2/core.hpp>

namespace skintrack::metrics::internal {
namespace {

// 5 x 4 px in blocks of 2: full blocks, a partial column and a partial row at the edges.
TEST(BlockMeanTest, HandComputedMeansFractionsAndMaskedMeans) {
  cv::Mat1f src(4, 5);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 5; ++c) src(r, c) = static_cast<float>(10 * r + c);
  cv::Mat1b mask(4, 5, uchar{0});
  mask(0, 0) = mask(1, 1) = mask(3, 4) = 255;
  cv::Mat1f fraction, masked;
  const cv::Mat1f mean = BlockMean(src, 2, mask, &fraction, &masked);
  ASSERT_EQ(mean.size(), cv::Size(3, 2));
  EXPECT_FLOAT_EQ(mean(0, 0), (0 + 1 + 10 + 11) / 4.0f);
  EXPECT_FLOAT_EQ(mean(0, 2), (4 + 14) / 2.0f);  // the partial column
  EXPECT_FLOAT_EQ(mean(1, 2), (24 + 34) / 2.0f);
  EXPECT_FLOAT_EQ(fraction(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(fraction(1, 2), 0.5f);
  EXPECT_FLOAT_EQ(fraction(0, 1), 0.0f);
  // Pixels outside the mask read as 0, over the block's whole pixel count.
  EXPECT_FLOAT_EQ(masked(0, 0), (0 + 11) / 4.0f);
  EXPECT_FLOAT_EQ(masked(1, 2), 34 / 2.0f);
  EXPECT_FLOAT_EQ(masked(0, 1), 0.0f);
}

// The masked means are bit for bit those of a zero-filled masked copy (what LocalBackground
// used to build), on random values and a random mask with partial blocks.
TEST(BlockMeanTest, MaskedMeansEqualThoseOfAZeroFilledCopy) {
  cv::RNG rng(7);
  cv::Mat1f src(203, 311);
  rng.fill(src, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::Mat1b mask(src.size());
  rng.fill(mask, cv::RNG::UNIFORM, 0, 2);
  mask *= 255;
  for (int factor : {1, 3, 16}) {
    cv::Mat1f fraction, masked;
    BlockMean(src, factor, mask, &fraction, &masked);
    cv::Mat1f copy(src.size(), 0.0f);
    src.copyTo(copy, mask);
    const cv::Mat1f expected = BlockMean(copy, factor);
    ASSERT_EQ(masked.size(), expected.size());
    EXPECT_EQ(std::memcmp(masked.data, expected.data, expected.total() * sizeof(float)), 0)
        << "factor " << factor;
  }
}

}  // namespace
}  // namespace skintrack::metrics::internal
