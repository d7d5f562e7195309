// Pores paired across two photos of the same skin (metrics::PairPores) on synthetic discs with
// hand-set darkness: 0.30 (counted), 0.05 (between the relaxed gate 0.75 x 0.06 - 0.005 = 0.04
// and the full gate 0.06 - 0.005 = 0.055: marginal), 0.03 (below both: nothing).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <vector>

#include "metrics/metrics_test_util.h"
#include "skintrack/metrics/metrics.h"

namespace skintrack::metrics {
namespace {

constexpr double kMmPerPx = 0.05;  // 20 px/mm

struct Disc {
  double x, y, radius, darkness;
};

// Grey linear luminance 0.35 with the discs (flat bottom, 1-px linear edge) multiplied in.
cv::Mat1f DiscPlane(cv::Size size, const std::vector<Disc>& discs) {
  cv::Mat1f y(size, 0.35f);
  for (const Disc& d : discs)
    for (int r = 0; r < size.height; ++r)
      for (int c = 0; c < size.width; ++c) {
        const double cover = std::clamp(d.radius + 0.5 - std::hypot(c - d.x, r - d.y), 0.0, 1.0);
        y(r, c) *= static_cast<float>(1.0 - d.darkness * cover);
      }
  return y;
}

MetricsResult AnalyzeDiscs(const std::vector<Disc>& discs, bool marginal) {
  const cv::Mat image = internal::test::GreyImage(DiscPlane({320, 120}, discs));
  const cv::Mat roi(image.size(), CV_8UC1, cv::Scalar(255));
  AnalyzeExtras extras;
  extras.marginal_pores = marginal;
  MetricsResult r;
  EXPECT_TRUE(Analyze(image, roi, cv::Mat(), kMmPerPx, MetricsOptions(), &r, extras).ok());
  return r;
}

// The pore of `pores` nearest (x, y) within 2 px, or nullptr.
const Pore* At(const std::vector<Pore>& pores, double x, double y) {
  for (const Pore& p : pores)
    if (std::hypot(p.x - x, p.y - y) < 2.0) return &p;
  return nullptr;
}

TEST(PoresPairingTest, MarginalPoresAreGatheredWithoutChangingTheCountedOnes) {
  const std::vector<Disc> discs = {
      {40.3, 60.2, 3.0, 0.30}, {120.6, 60.4, 3.0, 0.05}, {200.2, 59.7, 3.0, 0.03}};
  const MetricsResult plain = AnalyzeDiscs(discs, false), with = AnalyzeDiscs(discs, true);
  EXPECT_TRUE(plain.detections.pores_marginal.empty());
  ASSERT_EQ(plain.pores.count, 1);
  ASSERT_EQ(with.pores.count, 1);
  EXPECT_EQ(with.detections.pores[0].x, plain.detections.pores[0].x);
  EXPECT_EQ(with.detections.pores[0].diameter_px, plain.detections.pores[0].diameter_px);
  EXPECT_EQ(with.pores.mean_diameter_px, plain.pores.mean_diameter_px);
  ASSERT_EQ(with.detections.pores_marginal.size(), 1u);
  const Pore& m = with.detections.pores_marginal[0];
  EXPECT_NEAR(m.x, 120.6, 0.2);
  EXPECT_NEAR(m.darkness, 0.05, 0.01);
  EXPECT_NEAR(m.diameter_px, 6.0, 0.3);
  EXPECT_FALSE(m.paired);
  EXPECT_EQ(with.px_per_mm, 20.0);
  EXPECT_TRUE(with.scale_known);
}

TEST(PoresPairingTest, NearThresholdPoresCountInBothPhotosGonePoresInNeither) {
  // x: A both clear; B marginal before, clear after; C marginal before, absent after;
  // D clear before, closed after; E clear before, marginal after (shrunk to R 2.5).
  MetricsResult before = AnalyzeDiscs({{30.2, 60.3, 3.0, 0.30},
                                       {90.4, 59.8, 3.0, 0.05},
                                       {150.1, 60.6, 3.0, 0.05},
                                       {210.7, 60.1, 3.0, 0.30},
                                       {270.5, 59.6, 3.0, 0.30}},
                                      true);
  MetricsResult after = AnalyzeDiscs(
      {{30.2, 60.3, 3.0, 0.30}, {90.4, 59.8, 3.0, 0.30}, {270.5, 59.6, 2.5, 0.05}}, true);
  ASSERT_EQ(before.pores.count, 3);  // A, D, E
  ASSERT_EQ(after.pores.count, 2);   // A, B
  PairPores(&before, &after);
  EXPECT_EQ(before.pores.count, 4);  // + B
  EXPECT_EQ(after.pores.count, 3);   // + E
  ASSERT_EQ(before.detections.pores.size(), 4u);
  ASSERT_EQ(after.detections.pores.size(), 3u);
  EXPECT_TRUE(before.detections.pores_marginal.empty());
  EXPECT_TRUE(after.detections.pores_marginal.empty());
  const Pore* b = At(before.detections.pores, 90.4, 59.8);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->paired);
  EXPECT_NEAR(b->darkness, 0.05, 0.01);                          // its own photo's measurement
  EXPECT_EQ(At(before.detections.pores, 150.1, 60.6), nullptr);  // C: nothing after
  EXPECT_EQ(At(after.detections.pores, 210.7, 60.1), nullptr);   // D: closed
  const Pore* e = At(after.detections.pores, 270.5, 59.6);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->paired);
  EXPECT_NEAR(e->diameter_px, 5.0, 0.3);  // the after photo's size, not the before's 6
  EXPECT_FALSE(At(before.detections.pores, 30.2, 60.3)->paired);
  // The metrics are those of the lists: mean diameter (6 + 6 + 5) / 3 after.
  EXPECT_NEAR(after.pores.mean_diameter_px,
              (At(after.detections.pores, 30.2, 60.3)->diameter_px +
               At(after.detections.pores, 90.4, 59.8)->diameter_px + e->diameter_px) /
                  3.0,
              1e-9);
  ASSERT_TRUE(after.pores.density_per_cm2.has_value());
  EXPECT_NEAR(*after.pores.density_per_cm2, 3.0 / (320.0 * 120.0 * kMmPerPx * kMmPerPx / 100.0),
              1e-9);
}

TEST(PoresPairingTest, PairingIsSymmetricAndIdempotentOnIdenticalPhotos) {
  const std::vector<Disc> discs = {{60.2, 60.3, 3.0, 0.30}, {160.4, 59.8, 3.0, 0.05}};
  MetricsResult a = AnalyzeDiscs(discs, true), b = AnalyzeDiscs(discs, true);
  PairPores(&a, &b);
  EXPECT_EQ(a.pores.count, 1);  // the marginal pore has no counted partner: not counted
  EXPECT_EQ(b.pores.count, 1);
}

}  // namespace
}  // namespace skintrack::metrics
