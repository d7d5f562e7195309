// Line templates of the wrinkle tracker (internal::LineTemplates) at the image border: every
// read must stay inside the pyramid level it samples. The level images are placed inside a
// NaN-filled frame, so a read past a level's edge turns the contrast into NaN instead of
// reading whatever memory lies there (on an ISIC pair the tracker read a freed block past a
// 100x75 level and traced different lines from run to run).
#include "metrics/ridge_track.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>

#include "metrics/ridge_filter.h"

namespace skintrack::metrics::internal {
namespace {

TEST(LineTemplatesTest, ContrastAtTheBorderReadsOnlyInsideEachLevel) {
  const cv::Size size(1600, 1200);
  cv::Mat1f image(size);
  for (int r = 0; r < size.height; ++r)
    for (int c = 0; c < size.width; ++c)
      image(r, c) = static_cast<float>(0.5 + 0.1 * std::sin(0.05 * c) * std::cos(0.03 * r));
  RidgeFilterOptions fo;
  fo.sigmas = RidgeScales(2.0, 40.0);
  RidgeMap map;
  ComputeRidgeMap(image, fo, &map);
  ASSERT_GE(*std::max_element(map.levels.begin(), map.levels.end()), 4);
  // Each level image inside a NaN frame of 16 px (same pixels, a view of the framed copy).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (cv::Mat& g : map.smoothed) {
    cv::Mat framed(g.rows + 32, g.cols + 32, CV_32FC1, cv::Scalar(nan));
    g.copyTo(framed(cv::Rect(16, 16, g.cols, g.rows)));
    g = framed(cv::Rect(16, 16, g.cols, g.rows));
  }
  const cv::Mat exclude = cv::Mat::zeros(size, CV_8UC1);
  const LineTemplates lt(map, exclude, 10.0, 3.0);
  int bad = 0, checked = 0;
  for (int s = 0; s < static_cast<int>(map.sigmas.size()); ++s)
    for (int a = 0; a < kAngleBins; ++a)
      for (int k = 0; k < 400; ++k) {
        // Along the right and the bottom border, and across the bottom-right corner.
        const int x = size.width - 1 - k / 2, y = 100 + 2 * k;
        const int x2 = 100 + 3 * k, y2 = size.height - 1 - k / 2;
        for (const cv::Point p : {cv::Point(x, std::min(y, size.height - 1)), cv::Point(x2, y2),
                                  cv::Point(size.width - 1 - k, size.height - 1 - k)}) {
          ++checked;
          bad += !std::isfinite(lt.Contrast(s, a, p.x, p.y));
          bad += !std::isfinite(lt.ContrastNearest(s, a, p.x, p.y, 1));
        }
      }
  EXPECT_EQ(bad, 0) << "of " << 2 * checked << " contrasts";
}

}  // namespace
}  // namespace skintrack::metrics::internal
