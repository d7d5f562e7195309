// Pores guided across two photos of the same skin (metrics::GuidePores) on synthetic linear
// luminance planes: grey 0.35 with flat-bottomed discs (1-px linear edge) of hand-set darkness
// and, for the isolation case, a dark bar touching a disc. The guide is a pore counted in one
// result; the other result is empty, so everything it gains comes from GuidePores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <vector>

#include "skintrack/metrics/metrics.h"

namespace skintrack::metrics {
namespace {

constexpr int kW = 160, kH = 100;

// Grey 0.35 with a disc of `darkness` (Weber) and radius `radius` px at (x, y).
cv::Mat1f Disc(double x, double y, double radius, double darkness) {
  cv::Mat1f img(kH, kW, 0.35f);
  for (int r = 0; r < kH; ++r)
    for (int c = 0; c < kW; ++c) {
      const double cover = std::clamp(radius + 0.5 - std::hypot(c - x, r - y), 0.0, 1.0);
      img(r, c) *= static_cast<float>(1.0 - darkness * cover);
    }
  return img;
}

// A result holding `pores` as its counted pores over the whole plane (20 px/mm).
MetricsResult WithPores(const std::vector<Pore>& pores) {
  MetricsResult r;
  r.detections.pores = pores;
  r.roi_area_px = static_cast<long long>(kW) * kH;
  r.px_per_mm = 20.0;
  r.scale_known = true;
  r.pores = PoreMetricsOf(pores, r.roi_area_px, r.px_per_mm, r.scale_known, r.effective);
  return r;
}

// A counted pore as MeasurePores reports one: a 3-px disc of darkness 0.30, found at scale 2.5.
Pore Guide(double x, double y, double darkness = 0.30) {
  Pore p{x, y, 6.0, darkness};
  p.scale_px = 2.5;
  return p;
}

const cv::Mat kAll(kH, kW, CV_8UC1, cv::Scalar(255));

TEST(GuidePoresTest, APoreTheOtherPhotoMissedIsMeasuredThereAndCounted) {
  const cv::Mat1f before = Disc(60.3, 50.4, 3.0, 0.30), after = Disc(60.3, 50.4, 3.0, 0.30);
  MetricsResult b = WithPores({Guide(60.3, 50.4)}), a = WithPores({});
  ASSERT_TRUE(GuidePores(before, after, kAll, &b, &a).ok());
  EXPECT_EQ(b.pores.count, 1);  // the guide's own photo is unchanged
  ASSERT_EQ(a.pores.count, 1);
  const Pore& p = a.detections.pores[0];
  EXPECT_TRUE(p.paired);
  EXPECT_NEAR(p.x, 60.3, 0.2);
  EXPECT_NEAR(p.y, 50.4, 0.2);
  EXPECT_NEAR(p.darkness, 0.30, 0.02);
  EXPECT_NEAR(p.diameter_px, 6.0, 0.3);  // sized at half darkness: 2 R
  EXPECT_EQ(p.scale_px, 2.5);
  // PoreMetrics recomputed: pi (3 px)^2 over the plane.
  EXPECT_NEAR(a.pores.area_fraction, CV_PI * 9.0 / (kW * kH), 0.1 * CV_PI * 9.0 / (kW * kH));
  EXPECT_NEAR(a.pores.mean_diameter_px, p.diameter_px, 1e-12);
}

TEST(GuidePoresTest, IdenticalDetectionsChangeNothing) {
  const cv::Mat1f img = Disc(60.3, 50.4, 3.0, 0.30);
  MetricsResult b = WithPores({Guide(60.3, 50.4)}), a = WithPores({Guide(60.3, 50.4)});
  const PoreMetrics before_b = b.pores, before_a = a.pores;
  ASSERT_TRUE(GuidePores(img, img, kAll, &b, &a).ok());
  EXPECT_EQ(b.detections.pores.size(), 1u);
  EXPECT_EQ(a.detections.pores.size(), 1u);
  EXPECT_EQ(a.pores.area_fraction, before_a.area_fraction);
  EXPECT_EQ(b.pores.mean_diameter_px, before_b.mean_diameter_px);
}

TEST(GuidePoresTest, AClosedPoreIsNotFoundAgain) {
  // Nothing at the guide's place in the other photo (flat grey; then a faint disc reading less
  // than half the guide's darkness: 0.10 < 0.5 x 0.30).
  for (const double darkness : {0.0, 0.10}) {
    const cv::Mat1f before = Disc(60.3, 50.4, 3.0, 0.30), after = Disc(60.3, 50.4, 3.0, darkness);
    MetricsResult b = WithPores({Guide(60.3, 50.4)}), a = WithPores({});
    ASSERT_TRUE(GuidePores(before, after, kAll, &b, &a).ok());
    EXPECT_EQ(a.pores.count, 0) << "darkness " << darkness;
  }
  // 0.20 >= 0.5 x 0.30 and above the marginal gate: counted.
  MetricsResult b = WithPores({Guide(60.3, 50.4)}), a = WithPores({});
  ASSERT_TRUE(
      GuidePores(Disc(60.3, 50.4, 3.0, 0.30), Disc(60.3, 50.4, 3.0, 0.20), kAll, &b, &a).ok());
  EXPECT_EQ(a.pores.count, 1);
}

TEST(GuidePoresTest, OnlyInsideTheRegionAndAtTheGuidesPlace) {
  const cv::Mat1f img = Disc(60.3, 50.4, 3.0, 0.30);
  {
    cv::Mat region = kAll.clone();
    region(cv::Rect(50, 40, 20, 20)).setTo(0);
    MetricsResult b = WithPores({Guide(60.3, 50.4)}), a = WithPores({});
    ASSERT_TRUE(GuidePores(img, img, region, &b, &a).ok());
    EXPECT_EQ(a.pores.count, 0);
  }
  {
    // The other photo's disc lies 3.4 px from the guide: dark at the guide's centre (its edge),
    // but its fitted centre is farther than max(2 px, 3 px) from the guide's.
    MetricsResult b = WithPores({Guide(60.3, 50.4)}), a = WithPores({});
    ASSERT_TRUE(GuidePores(img, Disc(63.7, 50.4, 3.0, 0.6), kAll, &b, &a).ok());
    EXPECT_EQ(a.pores.count, 0);
  }
  {
    // A blob a counted pore of that photo already covers is not added again: the blob lies
    // 1.5 px from the guide (its place), the counted pore 4.2 px from the guide (not at its
    // place: the guide is followed) but 2.7 px from the blob (at the blob's place).
    const cv::Mat1f after = Disc(61.8, 50.4, 3.0, 0.30);
    MetricsResult b = WithPores({Guide(60.3, 50.4)}), a = WithPores({Guide(64.5, 50.4)});
    ASSERT_TRUE(GuidePores(img, after, kAll, &b, &a).ok());
    EXPECT_EQ(a.pores.count, 1);
  }
  {
    // Two guides close together that lead to one blob add it once.
    MetricsResult b = WithPores({Guide(60.3, 50.4), Guide(61.3, 50.9)}), a = WithPores({});
    ASSERT_TRUE(GuidePores(img, img, kAll, &b, &a).ok());
    EXPECT_EQ(a.pores.count, 1);
  }
  {
    // A guide of unknown detection scale is not followed.
    Pore g = Guide(60.3, 50.4);
    g.scale_px = 0;
    MetricsResult b = WithPores({g}), a = WithPores({});
    ASSERT_TRUE(GuidePores(img, img, kAll, &b, &a).ok());
    EXPECT_EQ(a.pores.count, 0);
  }
}

TEST(GuidePoresTest, ARegionReachingADarkBarIsCutAtADarkerLevel) {
  // A disc of darkness 0.40 (radius 3) touching a long bar of darkness 0.25: at half darkness
  // (0.20) the region runs along the bar, past the isolation limit; at 0.4 of the way from the
  // centre to the surround (darkness 0.24) too; at kGuidedPoreMinLevel 0.3 (darkness 0.28) it
  // is the disc alone.
  cv::Mat1f after = Disc(60.0, 50.0, 3.0, 0.40);
  after(cv::Rect(63, 49, 80, 3)) *= 0.75f;
  const cv::Mat1f before = Disc(60.0, 50.0, 3.0, 0.40);
  MetricsResult b = WithPores({Guide(60.0, 50.0, 0.40)}), a = WithPores({});
  ASSERT_TRUE(GuidePores(before, after, kAll, &b, &a).ok());
  ASSERT_EQ(a.pores.count, 1);
  const Pore& p = a.detections.pores[0];
  EXPECT_NEAR(p.darkness, 0.40, 0.02);
  // Sized at half darkness within the cut region: the disc and the bar pixels beside it, not
  // the bar's 80 px.
  EXPECT_GT(p.diameter_px, 5.0);
  EXPECT_LT(p.diameter_px, 8.0);
  EXPECT_NEAR(p.y, 50.0, 0.5);
}

TEST(GuidePoresTest, AShortBarWithinTheWidenedLimitIsCutToo) {
  // The same disc touching a 6-px bar: at half darkness the region takes the bar in and
  // reaches past the unscaled isolation limit (2 x 2.5 + 1.5 px from the centre) but stays
  // within the widened one (x 1.6); the loosest level within the unscaled limit is taken, and
  // the pore is sized as the disc.
  cv::Mat1f after = Disc(60.0, 50.0, 3.0, 0.40);
  after(cv::Rect(63, 49, 6, 3)) *= 0.75f;
  MetricsResult b = WithPores({Guide(60.0, 50.0, 0.40)}), a = WithPores({});
  ASSERT_TRUE(GuidePores(Disc(60.0, 50.0, 3.0, 0.40), after, kAll, &b, &a).ok());
  ASSERT_EQ(a.pores.count, 1);
  EXPECT_NEAR(a.detections.pores[0].diameter_px, 6.0, 0.45);
  EXPECT_NEAR(a.detections.pores[0].x, 60.0, 0.5);
}

TEST(GuidePoresTest, ABlobOverTwiceTheGuidesDiameterIsNotItsPore) {
  // The other photo holds a 6-px disc at the guide's place; a guide of diameter 2.8 px (under
  // half of it, kPairedMaxDiameterRatio) is not that pore, one of 3.2 px is.
  const cv::Mat1f before = Disc(60.3, 50.4, 3.0, 0.30), after = Disc(60.3, 50.4, 3.0, 0.30);
  for (const double d : {2.8, 3.2}) {
    Pore g = Guide(60.3, 50.4);
    g.diameter_px = d;
    MetricsResult b = WithPores({g}), a = WithPores({});
    ASSERT_TRUE(GuidePores(before, after, kAll, &b, &a).ok());
    EXPECT_EQ(a.pores.count, d < 3.0 ? 0 : 1) << d;
  }
}

TEST(GuidePoresTest, BadArgumentsAreErrors) {
  const cv::Mat1f img = Disc(60.3, 50.4, 3.0, 0.30);
  MetricsResult b, a;
  EXPECT_FALSE(GuidePores(img, img, kAll, nullptr, &a).ok());
  EXPECT_FALSE(GuidePores(img, img, kAll, &b, nullptr).ok());
  EXPECT_FALSE(GuidePores(img, cv::Mat1f(kH / 2, kW, 0.35f), kAll, &b, &a).ok());
  EXPECT_FALSE(GuidePores(img, img, cv::Mat(kH, kW, CV_32FC1, 1.0f), &b, &a).ok());
  EXPECT_FALSE(GuidePores(cv::Mat(kH, kW, CV_8UC1, cv::Scalar(90)), img, kAll, &b, &a).ok());
}

}  // namespace
}  // namespace skintrack::metrics
