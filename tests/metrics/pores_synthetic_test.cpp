// Pores on synthetic images with hand-computed answers: flat-bottom discs (the phantom's
// profile: darkness c inside R - 0.5, linear 1-px edge, c / 2 at radius R) on a flat grey.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "metrics/families.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kPxPerMm = 20.0;

struct Disc {
  double x, y, radius, darkness;
};

// Linear grey luminance `level` with the discs multiplied in.
cv::Mat1f DiscImage(cv::Size size, float level, const std::vector<Disc>& discs) {
  cv::Mat1f y(size, level);
  for (const Disc& d : discs) {
    for (int r = 0; r < size.height; ++r) {
      for (int c = 0; c < size.width; ++c) {
        const double cover = std::clamp(d.radius + 0.5 - std::hypot(c - d.x, r - d.y), 0.0, 1.0);
        y(r, c) *= static_cast<float>(1.0 - d.darkness * cover);
      }
    }
  }
  return y;
}

// The measurement context of a neutral (grey) linear luminance image.
Context GreyContext(const cv::Mat1f& y, const cv::Mat& roi, bool scale_known) {
  Context ctx;
  cv::Mat linear_bgr;
  cv::merge(std::vector<cv::Mat>{y, y, y}, linear_bgr);
  ctx.linear_y = photometric::LinearLuminance(linear_bgr);
  ctx.srgb = photometric::LinearToSrgb(linear_bgr);
  ctx.roi = roi.empty() ? cv::Mat(y.size(), CV_8UC1, cv::Scalar(255)) : roi;
  ctx.hair = cv::Mat::zeros(y.size(), CV_8UC1);
  ctx.px_per_mm = kPxPerMm;
  ctx.scale_known = scale_known;
  ctx.roi_area_px = cv::countNonZero(ctx.roi);
  return ctx;
}

struct Result {
  PoreMetrics metrics;
  std::vector<Pore> pores;
};

Result MeasureAll(const Context& ctx, const MetricsOptions& o = MetricsOptions()) {
  Result r;
  EXPECT_TRUE(MeasurePores(ctx, o, &r.metrics, &r.pores).ok());
  return r;
}

TEST(PoresSyntheticTest, FlatImageHasNoPores) {
  const Result r = MeasureAll(GreyContext(cv::Mat1f(300, 400, 0.35f), cv::Mat(), true));
  EXPECT_EQ(r.metrics.count, 0);
  EXPECT_TRUE(r.pores.empty());
  EXPECT_EQ(r.metrics.area_fraction, 0.0);
  EXPECT_EQ(r.metrics.mean_diameter_px, 0.0);
  ASSERT_TRUE(r.metrics.density_per_cm2.has_value());
  EXPECT_EQ(*r.metrics.density_per_cm2, 0.0);
  EXPECT_FALSE(r.metrics.mean_diameter_mm.has_value());
}

TEST(PoresSyntheticTest, SingleDiscFoundOnceWithItsDiameterAndDarkness) {
  // R = 3 px (0.15 mm), darkness 0.30, at a sub-pixel position.
  const Disc disc{100.3, 80.6, 3.0, 0.30};
  const Result r = MeasureAll(GreyContext(DiscImage({200, 160}, 0.35f, {disc}), cv::Mat(), true));
  ASSERT_EQ(r.metrics.count, 1);
  const Pore& p = r.pores[0];
  EXPECT_NEAR(p.x, disc.x, 0.1);
  EXPECT_NEAR(p.y, disc.y, 0.1);
  EXPECT_NEAR(p.diameter_px, 6.0, 0.15);  // 2R
  EXPECT_NEAR(p.darkness, 0.30, 0.005);
  EXPECT_NEAR(*r.metrics.mean_diameter_mm, 6.0 / kPxPerMm, 0.15 / kPxPerMm);
  EXPECT_NEAR(*r.metrics.median_diameter_mm, 6.0 / kPxPerMm, 0.15 / kPxPerMm);
  // One pore of area pi R^2 in 200 x 160 px.
  EXPECT_NEAR(r.metrics.area_fraction, CV_PI * 9.0 / (200.0 * 160.0), 0.05 * CV_PI * 9.0 / 32000);
}

TEST(PoresSyntheticTest, SmallDiscSizedByTheModelFit) {
  // R = 1.2 px: the darkest pixel is not on the flat bottom for most sub-pixel positions.
  for (const cv::Point2d c :
       {cv::Point2d(50.0, 50.0), cv::Point2d(50.5, 50.5), cv::Point2d(50.3, 49.8)}) {
    const Result r = MeasureAll(
        GreyContext(DiscImage({100, 100}, 0.35f, {{c.x, c.y, 1.2, 0.35}}), cv::Mat(), true));
    ASSERT_EQ(r.metrics.count, 1) << c;
    EXPECT_NEAR(r.pores[0].diameter_px, 2.4, 0.05) << c;  // reads 2.387-2.400
    EXPECT_NEAR(r.pores[0].darkness, 0.35, 0.03) << c;
  }
}

TEST(PoresSyntheticTest, SeveralDiscsDensityAndVisibleDensity) {
  // 12 discs on a 4 x 3 grid, 40 px apart: radii 1.6 .. 4.35 px (0.08 .. 0.2175 mm).
  std::vector<Disc> discs;
  for (int i = 0; i < 12; ++i)
    discs.push_back({30.0 + 40 * (i % 4), 30.0 + 40 * (i / 4), 1.6 + 0.25 * i, 0.35});
  const cv::Size size(160, 120);
  const Result r = MeasureAll(GreyContext(DiscImage(size, 0.3f, discs), cv::Mat(), true));
  ASSERT_EQ(r.metrics.count, 12);
  double mean_d = 0;
  for (const Disc& d : discs) mean_d += 2 * d.radius / discs.size();
  EXPECT_NEAR(r.metrics.mean_diameter_px, mean_d, 0.02 * mean_d);
  // Area 160 x 120 px at 20 px/mm = 8 x 6 mm = 0.48 cm^2.
  EXPECT_NEAR(*r.metrics.density_per_cm2, 12 / 0.48, 1e-9);
  // Diameter >= 0.25 mm = 5 px: radii 2.6 .. 4.35, i.e. discs 4 .. 11 (8 discs).
  EXPECT_NEAR(*r.metrics.visible_density_per_cm2, 8 / 0.48, 1e-9);
  // An even count: the median is the mean of the middle two measured diameters (truth: radii
  // 2.85 and 3.1 px, 0.2975 mm).
  std::vector<double> diameters;
  for (const Pore& p : r.pores) diameters.push_back(p.diameter_px);
  std::sort(diameters.begin(), diameters.end());
  ASSERT_TRUE(r.metrics.median_diameter_mm.has_value());
  EXPECT_NEAR(*r.metrics.median_diameter_mm, 0.5 * (diameters[5] + diameters[6]) / kPxPerMm, 1e-12);
  EXPECT_NEAR(*r.metrics.median_diameter_mm, 0.2975, 0.01);
  for (const Pore& p : r.pores) {
    const Disc* best = &discs[0];
    for (const Disc& d : discs)
      if (std::hypot(d.x - p.x, d.y - p.y) < std::hypot(best->x - p.x, best->y - p.y)) best = &d;
    EXPECT_NEAR(p.diameter_px, 2 * best->radius, 0.04 * 2 * best->radius) << best->radius;
  }
}

TEST(PoresSyntheticTest, UnknownScaleGivesNoPhysicalValues) {
  const Result r =
      MeasureAll(GreyContext(DiscImage({100, 100}, 0.3f, {{50, 50, 3, 0.3}}), cv::Mat(), false));
  EXPECT_EQ(r.metrics.count, 1);
  EXPECT_GT(r.metrics.mean_diameter_px, 0.0);
  EXPECT_FALSE(r.metrics.density_per_cm2.has_value());
  EXPECT_FALSE(r.metrics.visible_density_per_cm2.has_value());
  EXPECT_FALSE(r.metrics.mean_diameter_mm.has_value());
  EXPECT_FALSE(r.metrics.median_diameter_mm.has_value());
}

TEST(PoresSyntheticTest, OnlyInsideTheRoi) {
  const cv::Mat1f y = DiscImage({200, 100}, 0.3f, {{50, 50, 3, 0.3}, {150, 50, 3, 0.3}});
  cv::Mat roi = cv::Mat::zeros(y.size(), CV_8UC1);
  roi(cv::Rect(0, 0, 100, 100)).setTo(255);  // left half: one disc
  const Result r = MeasureAll(GreyContext(y, roi, true));
  ASSERT_EQ(r.metrics.count, 1);
  EXPECT_NEAR(r.pores[0].x, 50.0, 0.1);
  EXPECT_NEAR(*r.metrics.density_per_cm2, 1 / 0.25, 1e-9);  // 5 x 5 mm
  EXPECT_NEAR(r.metrics.area_fraction, CV_PI * 9.0 / 10000.0, 0.05 * CV_PI * 9.0 / 10000.0);
}

TEST(PoresSyntheticTest, FaintDiscBelowTheThresholdIsNotAPore) {
  // Darkness 0.04 < pore_min_darkness 0.06; 0.08 is found.
  const Result faint =
      MeasureAll(GreyContext(DiscImage({100, 100}, 0.3f, {{50, 50, 3, 0.04}}), {}, true));
  EXPECT_EQ(faint.metrics.count, 0);
  const Result weak =
      MeasureAll(GreyContext(DiscImage({100, 100}, 0.3f, {{50, 50, 3, 0.08}}), {}, true));
  EXPECT_EQ(weak.metrics.count, 1);
}

TEST(PoresSyntheticTest, DarkLineAndLargeDiscAreNotPores) {
  cv::Mat1f y(200, 200, 0.3f);
  cv::line(y, {20, 60}, {180, 90}, cv::Scalar(0.3 * 0.7), 4, cv::LINE_AA);        // wrinkle-like
  cv::circle(y, {100, 150}, 20, cv::Scalar(0.3 * 0.8), cv::FILLED, cv::LINE_AA);  // 1 mm disc
  const Result r = MeasureAll(GreyContext(y, cv::Mat(), true));
  EXPECT_EQ(r.metrics.count, 0);
}

TEST(PoresSyntheticTest, InvariantToAGainAndASmoothLightField) {
  std::vector<Disc> discs;
  for (int i = 0; i < 9; ++i)
    discs.push_back({25.0 + 50 * (i % 3) + 0.2 * i, 25.0 + 50 * (i / 3), 1.5 + 0.4 * i, 0.3});
  const cv::Mat1f y = DiscImage({150, 150}, 0.4f, discs);
  cv::Mat1f lit = y.clone();  // exposure 0.6 and a side-light ramp 1.3 .. 0.7
  for (int r = 0; r < lit.rows; ++r)
    for (int c = 0; c < lit.cols; ++c) lit(r, c) *= 0.6f * (1.3f - 0.6f * c / (lit.cols - 1));
  const Result a = MeasureAll(GreyContext(y, cv::Mat(), true)),
               b = MeasureAll(GreyContext(lit, cv::Mat(), true));
  ASSERT_EQ(a.metrics.count, 9);
  ASSERT_EQ(b.metrics.count, 9);
  EXPECT_NEAR(b.metrics.mean_diameter_px, a.metrics.mean_diameter_px,
              0.01 * a.metrics.mean_diameter_px);
  EXPECT_NEAR(b.metrics.area_fraction, a.metrics.area_fraction, 0.02 * a.metrics.area_fraction);
  // A pure gain changes nothing but float rounding (0.1 %: the small-disc fit is in float).
  const Result g = MeasureAll(GreyContext(cv::Mat1f(y * 0.6f), cv::Mat(), true));
  ASSERT_EQ(g.metrics.count, 9);
  EXPECT_NEAR(g.metrics.mean_diameter_px, a.metrics.mean_diameter_px,
              1e-3 * a.metrics.mean_diameter_px);
}

TEST(PoresSyntheticTest, TinyAndOddSizedImagesAreHandled) {
  for (const cv::Size size : {cv::Size(16, 16), cv::Size(17, 41), cv::Size(257, 19)}) {
    const Result r =
        MeasureAll(GreyContext(DiscImage(size, 0.3f, {{8.0, 8.0, 2.0, 0.3}}), cv::Mat(), true));
    EXPECT_LE(r.metrics.count, 1) << size;
  }
}

}  // namespace
}  // namespace skintrack::metrics::internal
