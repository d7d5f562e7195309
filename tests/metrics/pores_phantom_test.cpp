// Pores on phantoms with exact truth (docs/phantom.md): detection, size, a known treatment
// and capture invariance. Full figures over more phantoms: bench/blob_accuracy_eval.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "metrics/families.h"
#include "metrics_test_util.h"
#include "skintrack/phantom/phantom.h"

namespace skintrack::metrics::internal {
namespace {

phantom::PhantomPair Render(const phantom::PhantomOptions& o) {
  phantom::PhantomPair pair;
  const Status st = phantom::RenderPair(o, &pair);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return pair;
}

phantom::PhantomOptions Small(std::uint64_t seed) {
  phantom::PhantomOptions o;
  o.seed = seed;
  o.width = 800;
  o.height = 600;
  return o;
}

struct Measured {
  PoreMetrics metrics;
  std::vector<Pore> pores;
};

Measured Measure(const cv::Mat& image, double px_per_mm) {
  const Context ctx = test::ContextOver(image, 1.0 / px_per_mm);
  Measured m;
  EXPECT_TRUE(MeasurePores(ctx, MetricsOptions(), &m.metrics, &m.pores).ok());
  return m;
}

// True pores (open in the frame measured) and detections 12 px or more inside the image.
struct Score {
  int truth = 0, found = 0, matched = 0;
  double truth_d = 0, found_d = 0;
};

Score Match(const std::vector<phantom::TruthPore>& truth, bool after,
            const std::vector<Pore>& found, cv::Size size) {
  auto inside = [&](double x, double y) {
    return x >= 12 && y >= 12 && x <= size.width - 13 && y <= size.height - 13;
  };
  Score s;
  std::vector<const Pore*> pool;
  for (const Pore& p : found) {
    if (!inside(p.x, p.y)) continue;
    pool.push_back(&p);
    s.found_d += p.diameter_px;
    ++s.found;
  }
  for (const phantom::TruthPore& t : truth) {
    const double r = after ? t.radius_after_px : t.radius_before_px;
    if (r <= 0 || !inside(t.x, t.y)) continue;
    ++s.truth;
    s.truth_d += 2 * r;
    // Pores keep >= 2 px apart: a detection within R of a pore is near no other (one-to-one).
    for (const Pore*& p : pool) {
      if (p != nullptr && std::hypot(p->x - t.x, p->y - t.y) <= r) {
        ++s.matched;
        p = nullptr;
        break;
      }
    }
  }
  s.truth_d /= std::max(1, s.truth);
  s.found_d /= std::max(1, s.found);
  return s;
}

TEST(PoresPhantomTest, RecallPrecisionAndMeanDiameter) {
  for (std::uint64_t seed : {11u, 12u}) {
    const phantom::PhantomPair pair = Render(Small(seed));
    const Measured m = Measure(pair.before, pair.truth.px_per_mm_before);
    const Score s = Match(pair.truth.pores, false, m.pores, pair.before.size());
    ASSERT_GT(s.truth, 800);  // 80 / cm^2 over 40 x 30 mm
    EXPECT_GE(s.matched, 0.97 * s.truth) << seed;
    EXPECT_GE(s.matched, 0.97 * s.found) << seed;
    EXPECT_NEAR(s.found_d, s.truth_d, 0.03 * s.truth_d) << seed;
    EXPECT_NEAR(*m.metrics.density_per_cm2, 80.0, 8.0) << seed;
  }
}

TEST(PoresPhantomTest, TreatmentChangeMatchesTruth) {
  phantom::PhantomOptions o = Small(13);
  o.treatment.pore_radius_scale = 0.8;
  o.treatment.pore_close_fraction = 0.2;
  const phantom::PhantomPair pair = Render(o);
  const double ppm = pair.truth.px_per_mm_before;
  const Measured b = Measure(pair.before, ppm), a = Measure(pair.after, ppm);
  const Score tb = Match(pair.truth.pores, false, b.pores, pair.before.size());
  const Score ta = Match(pair.truth.pores, true, a.pores, pair.after.size());
  const double true_count = double(ta.truth) / tb.truth, count = double(ta.found) / tb.found;
  const double true_d = ta.truth_d / tb.truth_d, d = ta.found_d / tb.found_d;
  // Within 10 % of the true change (count about -20 %, mean diameter -20 %).
  EXPECT_NEAR(count - 1.0, true_count - 1.0, 0.1 * std::abs(true_count - 1.0));
  EXPECT_NEAR(d - 1.0, true_d - 1.0, 0.1 * std::abs(true_d - 1.0));
}

TEST(PoresPhantomTest, InvariantToCapture) {
  phantom::PhantomOptions o = Small(14);
  o.after_capture.exposure = 1.3;
  o.after_capture.white_balance = {1.08, 0.95, 1.0};
  o.after_capture.side_light_strength = 0.3;
  o.after_capture.side_light_angle_deg = 30.0;
  o.after_capture.noise_sigma = 0.003;
  o.after_capture.jpeg_quality = 85;
  const phantom::PhantomPair pair = Render(o);  // identity geometry and treatment
  const double ppm = pair.truth.px_per_mm_before;
  const Measured b = Measure(pair.before, ppm), a = Measure(pair.after, ppm);
  ASSERT_GT(b.metrics.count, 800);
  EXPECT_NEAR(a.metrics.count, b.metrics.count, 0.02 * b.metrics.count);
  EXPECT_NEAR(a.metrics.mean_diameter_px, b.metrics.mean_diameter_px,
              0.02 * b.metrics.mean_diameter_px);
  EXPECT_NEAR(*a.metrics.density_per_cm2, *b.metrics.density_per_cm2,
              0.02 * *b.metrics.density_per_cm2);
}

}  // namespace
}  // namespace skintrack::metrics::internal
