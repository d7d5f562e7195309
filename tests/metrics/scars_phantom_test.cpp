// Scars on phantoms with exact truth: the truth mask is the set of pixels darker than half the
// floor contrast in the ratio of the phantom to the same phantom rendered without scars (every
// other feature is drawn from its own random stream, so it is identical). Full figures over
// more phantoms: bench/blob_accuracy_eval.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "metrics/families.h"
#include "metrics_test_util.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics::internal {
namespace {

phantom::PhantomPair Render(const phantom::PhantomOptions& o) {
  phantom::PhantomPair pair;
  const Status st = phantom::RenderPair(o, &pair);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return pair;
}

struct Measured {
  ScarMetrics metrics;
  std::vector<Scar> scars;
};

Measured Measure(const cv::Mat& image, double px_per_mm) {
  const Context ctx = test::ContextOver(image, 1.0 / px_per_mm);
  Measured m;
  EXPECT_TRUE(MeasureScars(ctx, MetricsOptions(), &m.metrics, &m.scars).ok());
  return m;
}

cv::Mat1f LinearY(const cv::Mat& image) {
  return photometric::LinearLuminance(photometric::SrgbToLinear(image));
}

// F1 by area of the detected scars against the exact truth mask of the before image.
double ScarF1(const phantom::PhantomOptions& o, const phantom::PhantomPair& pair,
              const std::vector<Scar>& scars) {
  phantom::PhantomOptions bare = o;
  bare.skin.scar_contrast = 0.0;
  const phantom::PhantomPair plain = Render(bare);
  const cv::Mat truth =
      (1.0f - LinearY(pair.before) / LinearY(plain.before)) >= 0.5 * o.skin.scar_contrast;
  cv::Mat1b found = cv::Mat1b::zeros(truth.size());
  for (const Scar& s : scars)
    cv::drawContours(found, std::vector<std::vector<cv::Point>>{s.contour}, 0, 255, cv::FILLED);
  const double tp = cv::countNonZero(found & truth);
  return 2.0 * tp / (cv::countNonZero(found) + cv::countNonZero(truth));
}

TEST(ScarsPhantomTest, AreaF1ContrastAndNoSpots) {
  for (std::uint64_t seed : {21u, 22u}) {
    phantom::PhantomOptions o;
    o.seed = seed;
    const phantom::PhantomPair pair = Render(o);
    const Measured m = Measure(pair.before, pair.truth.px_per_mm_before);
    EXPECT_GE(ScarF1(o, pair, m.scars), 0.85) << seed;
    // Mean darkness inside the half-darkness outline: the floor contrast less the edge band.
    EXPECT_NEAR(m.metrics.mean_contrast, o.skin.scar_contrast, 0.15 * o.skin.scar_contrast);
    for (const Scar& s : m.scars) {
      const cv::Point2d c(s.bbox.x + 0.5 * s.bbox.width, s.bbox.y + 0.5 * s.bbox.height);
      for (const phantom::TruthBlob& spot : pair.truth.spots)
        EXPECT_GT(std::hypot(c.x - spot.x, c.y - spot.y), spot.radius_px) << "a spot as a scar";
    }
  }
}

TEST(ScarsPhantomTest, HalfTheContrastReadsAsHalf) {
  phantom::PhantomOptions o;
  o.seed = 23;
  o.treatment.scar_contrast_scale = 0.5;
  const phantom::PhantomPair pair = Render(o);
  const double ppm = pair.truth.px_per_mm_before;
  const Measured b = Measure(pair.before, ppm), a = Measure(pair.after, ppm);
  ASSERT_GT(b.metrics.count, 0);
  EXPECT_NEAR(a.metrics.mean_contrast / b.metrics.mean_contrast, 0.5, 0.1);
}

TEST(ScarsPhantomTest, InvariantToExposureWhiteBalanceAndSideLight) {
  phantom::PhantomOptions o;
  o.seed = 24;
  o.after_capture.exposure = 0.75;
  o.after_capture.white_balance = {0.93, 1.0, 1.07};
  o.after_capture.side_light_strength = 0.3;
  o.after_capture.side_light_angle_deg = 120.0;
  const phantom::PhantomPair pair = Render(o);
  const double ppm = pair.truth.px_per_mm_before;
  const Measured b = Measure(pair.before, ppm), a = Measure(pair.after, ppm);
  ASSERT_GT(b.metrics.count, 0);
  EXPECT_EQ(a.metrics.count, b.metrics.count);
  EXPECT_NEAR(a.metrics.area_fraction, b.metrics.area_fraction, 0.04 * b.metrics.area_fraction);
  EXPECT_NEAR(a.metrics.mean_contrast, b.metrics.mean_contrast, 0.04 * b.metrics.mean_contrast);
}

}  // namespace
}  // namespace skintrack::metrics::internal
