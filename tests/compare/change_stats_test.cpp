// Change statistics over phantom pairs seen through identical captures: per-tile sums
// reproduce the session metrics, no change gives zero-width intervals, a known treatment is
// significant with the right sign, and the verdict needs both the interval and the MDC.
#include "skintrack/compare/change_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "skintrack/phantom/phantom.h"

namespace skintrack::compare {
namespace {

struct Measured {
  cv::Mat before;
  SessionMetrics session;
  double mm_per_px = 0.05;
};

Measured Measure(const phantom::TreatmentOptions& treatment) {
  phantom::PhantomOptions o;
  o.width = 1000;
  o.height = 800;
  o.seed = 11;
  o.treatment = treatment;
  phantom::PhantomPair pair;
  EXPECT_TRUE(phantom::RenderPair(o, &pair).ok());
  align::AlignmentResult identity;
  identity.status = align::AlignmentStatus::kOk;
  Measured m;
  m.before = pair.before;
  m.mm_per_px = 1.0 / pair.truth.px_per_mm_before;
  const Status st = CompareMetrics(pair.before, pair.after, identity, cv::Mat(), m.mm_per_px,
                                   metrics::MetricsOptions(), &m.session);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return m;
}

// A model with the same relative MDC for every metric.
stats::RepeatabilityModel Model(double mdc_percent) {
  stats::RepeatabilityModel model;
  for (const char* key :
       {"texture.roughness", "pores.count", "pores.density_per_cm2", "pores.area_fraction",
        "redness.erythema_index_mean", "scars.mean_contrast", "wrinkles.length_px"}) {
    stats::MetricRepeatability e;
    e.mdc95_percent = mdc_percent;
    e.mdc95 = 1e-12;
    model.metrics[key] = e;
  }
  return model;
}

// The change map of `key` in `s`, or null.
const ChangeGrid* FindGrid(const ChangeStats& s, const std::string& key) {
  for (const ChangeGrid& g : s.grids)
    if (g.key == key) return &g;
  return nullptr;
}

// ComputeChangeStats of `m` with the default options and Model(mdc_percent).
ChangeStats StatsOf(const Measured& m, double mdc_percent) {
  ChangeStats s;
  const Status st = ComputeChangeStats(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(),
                                       Model(mdc_percent), ChangeStatsOptions(), &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

class ChangeStatsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    unchanged_ = new Measured(Measure(phantom::TreatmentOptions()));
    phantom::TreatmentOptions t;
    t.pore_close_fraction = 0.3;
    treated_ = new Measured(Measure(t));
  }
  static void TearDownTestSuite() {
    delete unchanged_;
    delete treated_;
  }
  static Measured* unchanged_;
  static Measured* treated_;
};
Measured* ChangeStatsTest::unchanged_ = nullptr;
Measured* ChangeStatsTest::treated_ = nullptr;

TEST_F(ChangeStatsTest, TileSumsReproduceTheSessionMetrics) {
  const Measured& m = *unchanged_;
  ChangeStats s;
  ASSERT_TRUE(ComputeChangeStats(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(),
                                 Model(1.0), ChangeStatsOptions(), &s)
                  .ok());
  const metrics::MetricsResult& b = m.session.before;
  ASSERT_GT(b.pores.count, 50);
  ASSERT_GT(b.scars.count, 0);
  EXPECT_NEAR(s.metrics.at("pores.count").before, b.pores.count, 1e-6);
  EXPECT_NEAR(s.metrics.at("pores.density_per_cm2").before, *b.pores.density_per_cm2,
              1e-9 * *b.pores.density_per_cm2);
  EXPECT_NEAR(s.metrics.at("pores.area_fraction").before, b.pores.area_fraction, 1e-12);
  EXPECT_NEAR(s.metrics.at("pores.mean_diameter_px").before, b.pores.mean_diameter_px, 1e-9);
  EXPECT_NEAR(s.metrics.at("scars.area_fraction").before, b.scars.area_fraction, 1e-12);
  EXPECT_NEAR(s.metrics.at("scars.mean_contrast").before, b.scars.mean_contrast, 1e-12);
  ASSERT_TRUE(b.scars.total_area_mm2.has_value());
  EXPECT_NEAR(s.metrics.at("scars.total_area_mm2").before, *b.scars.total_area_mm2,
              1e-9 * *b.scars.total_area_mm2);
  EXPECT_NEAR(s.metrics.at("wrinkles.length_px").before, b.wrinkles.length_px, 1e-6);
  EXPECT_NEAR(s.metrics.at("wrinkles.mean_depth").before, b.wrinkles.mean_depth, 1e-12);
  EXPECT_NEAR(s.metrics.at("redness.erythema_index_mean").before, b.redness.erythema_index_mean,
              1e-4);
  EXPECT_NEAR(s.metrics.at("redness.a_star_mean").before, b.redness.a_star_mean, 1e-4);
  EXPECT_NEAR(s.metrics.at("tone.l_star_mean").before, b.tone.l_star_mean, 1e-4);
  // Texture: per-band mean not subtracted, noise floor on the sum: within 1 %.
  EXPECT_NEAR(s.metrics.at("texture.roughness").before, b.texture.roughness,
              0.01 * b.texture.roughness);
  for (const auto& [k, v] : b.texture.roughness_bands)
    EXPECT_NEAR(s.metrics.at("texture.roughness_bands." + k).before, v, 0.01 * v) << k;
  // Tile sizes: texture 3 mm = 60 px at 20 px/mm.
  EXPECT_DOUBLE_EQ(s.metrics.at("texture.roughness").tile_mm, 3.0);
  EXPECT_GE(s.metrics.at("scars.area_fraction").tiles, 5);
}

TEST_F(ChangeStatsTest, NoChangeGivesZeroIntervalsAndNothingSignificant) {
  const Measured& m = *unchanged_;
  ChangeStats s;
  ASSERT_TRUE(ComputeChangeStats(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(),
                                 Model(1e-6), ChangeStatsOptions(), &s)
                  .ok());
  ASSERT_FALSE(s.metrics.empty());
  for (const auto& [key, c] : s.metrics) {
    EXPECT_NEAR(c.delta, 0.0, 1e-9) << key;
    EXPECT_TRUE(c.ci_valid) << key;
    EXPECT_NEAR(c.ci_lo, 0.0, 1e-9) << key;
    EXPECT_NEAR(c.ci_hi, 0.0, 1e-9) << key;
    EXPECT_FALSE(c.significant) << key;
  }
  ASSERT_EQ(s.grids.size(), 4u);
  for (const ChangeGrid& g : s.grids) {
    EXPECT_EQ(g.change.type(), CV_64FC1);
    int finite = 0;
    for (int r = 0; r < g.change.rows; ++r)
      for (int c = 0; c < g.change.cols; ++c) {
        const double v = g.change.at<double>(r, c);
        if (!std::isfinite(v)) continue;
        ++finite;
        EXPECT_NEAR(v, 0.0, 1e-9) << g.key;
      }
    EXPECT_GT(finite, 0) << g.key;
  }
}

TEST_F(ChangeStatsTest, ClosedPoresAreSignificantDecreaseOnlyAboveTheMdc) {
  const Measured& m = *treated_;
  ChangeStats small, large;
  ASSERT_TRUE(ComputeChangeStats(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(),
                                 Model(5.0), ChangeStatsOptions(), &small)
                  .ok());
  const MetricChangeStats& c = small.metrics.at("pores.count");
  // 30 % of the pores closed.
  EXPECT_LT(c.delta, -0.2 * c.before);
  EXPECT_GT(c.delta, -0.4 * c.before);
  EXPECT_LT(c.ci_hi, 0.0);
  EXPECT_LE(c.ci_lo, c.delta);
  EXPECT_GE(c.ci_hi, c.delta);
  ASSERT_TRUE(c.mdc.has_value());
  EXPECT_NEAR(*c.mdc, 0.05 * c.before, 1e-9);
  EXPECT_TRUE(c.significant);
  EXPECT_TRUE(small.metrics.at("pores.density_per_cm2").significant);
  // Same interval, an MDC above |delta|: not significant.
  ASSERT_TRUE(ComputeChangeStats(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(),
                                 Model(60.0), ChangeStatsOptions(), &large)
                  .ok());
  EXPECT_FALSE(large.metrics.at("pores.count").significant);
  // The verdict's edge is |delta| = MDC itself: an MDC of 0.75 |delta| is passed, one of 1.5
  // |delta| is not (the interval excludes 0 in both).
  const double delta_percent = 100.0 * std::abs(c.delta) / c.before;
  for (const auto& [factor, expect] : {std::pair{0.75, true}, std::pair{1.5, false}})
    EXPECT_EQ(StatsOf(m, factor * delta_percent).metrics.at("pores.count").significant, expect)
        << factor;
  // A metric without a model entry is never significant.
  EXPECT_FALSE(small.metrics.at("pores.mean_diameter_px").mdc.has_value());
  EXPECT_FALSE(small.metrics.at("pores.mean_diameter_px").significant);
  // The pore-density map shows the decrease in most tiles.
  const ChangeGrid* density = FindGrid(small, "pores.density_per_cm2");
  ASSERT_NE(density, nullptr);
  int negative = 0, finite = 0;
  for (int r = 0; r < density->change.rows; ++r)
    for (int col = 0; col < density->change.cols; ++col) {
      const double v = density->change.at<double>(r, col);
      if (!std::isfinite(v)) continue;
      ++finite;
      negative += v < 0;
    }
  EXPECT_GT(negative, finite / 2);
  // ... in the metric's own units: the tiles' median change is the region's density change
  // within a factor of 2 (per cm^2, not per px or per mm^2).
  std::vector<double> values;
  for (int r = 0; r < density->change.rows; ++r)
    for (int col = 0; col < density->change.cols; ++col)
      if (const double v = density->change.at<double>(r, col); std::isfinite(v))
        values.push_back(v);
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  const double overall = small.metrics.at("pores.density_per_cm2").delta;
  ASSERT_LT(overall, 0.0);
  EXPECT_GT(values[values.size() / 2], 2.0 * overall);
  EXPECT_LT(values[values.size() / 2], 0.5 * overall);
}

TEST_F(ChangeStatsTest, MapTilesMostlyOutsideTheRegionAreBlank) {
  Measured m = *treated_;
  const ChangeStats first = StatsOf(m, 5.0);
  const ChangeGrid* g = FindGrid(first, "pores.density_per_cm2");
  ASSERT_NE(g, nullptr);
  ASSERT_GT(g->tile_px, 10);
  // Leave 30 % of the first tile column in the region (< map_min_coverage 0.5), all of the rest.
  const int cut = static_cast<int>(0.7 * g->tile_px);
  m.session.region = m.session.region.clone();
  m.session.region.colRange(0, cut).setTo(0);
  m.session.texture_region = m.session.texture_region.clone();
  m.session.texture_region.colRange(0, cut).setTo(0);
  const ChangeStats s = StatsOf(m, 5.0);
  for (const char* key : {"pores.density_per_cm2", "texture.roughness"}) {
    const ChangeGrid* found = FindGrid(s, key);
    ASSERT_NE(found, nullptr) << key;
    const ChangeGrid& grid = *found;
    int finite_next = 0;
    for (int r = 0; r < grid.change.rows; ++r) {
      EXPECT_FALSE(std::isfinite(grid.change.at<double>(r, 0))) << grid.key << " row " << r;
      finite_next += std::isfinite(grid.change.at<double>(r, 2));
    }
    EXPECT_GT(finite_next, grid.change.rows / 2) << grid.key;
  }
}

TEST(ChangeStatsScarsTest, ATileWhoseScarIsGoneHasAChangeNotABlank) {
  // Scars at contrast 0 after: the tiles that held one before read a decrease of contrast;
  // only tiles without a scar in either photo are blank.
  phantom::TreatmentOptions t;
  t.scar_contrast_scale = 0.0;
  const Measured m = Measure(t);
  ASSERT_GT(m.session.before.scars.count, 0);
  ASSERT_EQ(m.session.after.scars.count, 0);
  const ChangeStats s = StatsOf(m, 5.0);
  const ChangeGrid* g = FindGrid(s, "scars.mean_contrast");
  ASSERT_NE(g, nullptr);
  int finite = 0;
  for (int r = 0; r < g->change.rows; ++r)
    for (int c = 0; c < g->change.cols; ++c) {
      const double v = g->change.at<double>(r, c);
      if (!std::isfinite(v)) continue;
      ++finite;
      EXPECT_LT(v, 0.0) << r << "," << c;
    }
  EXPECT_GT(finite, 0);
  EXPECT_LT(finite, static_cast<int>(g->change.total()));
}

TEST_F(ChangeStatsTest, DeterministicForASeed) {
  const Measured& m = *treated_;
  ChangeStats a, b;
  ChangeStatsOptions o;
  ASSERT_TRUE(ComputeChangeStats(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(),
                                 Model(5.0), o, &a)
                  .ok());
  ASSERT_TRUE(ComputeChangeStats(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(),
                                 Model(5.0), o, &b)
                  .ok());
  for (const auto& [key, c] : a.metrics) {
    EXPECT_EQ(c.ci_lo, b.metrics.at(key).ci_lo) << key;
    EXPECT_EQ(c.ci_hi, b.metrics.at(key).ci_hi) << key;
  }
}

// The texture and colour tile sums the metrics gather on the way (ChangeStatsTiles) give the
// tile sums ComputeTileSums computes itself; sums of another grid are not used.
TEST_F(ChangeStatsTest, TileSumsGatheredByTheMetricsMatchRecomputed) {
  const Measured& m = *treated_;
  const ChangeStatsOptions o;
  const metrics::TileRequest request =
      ChangeStatsTiles(m.before.size(), m.mm_per_px, metrics::MetricsOptions(), o);
  EXPECT_EQ(request.texture_tile_px,
            static_cast<int>(std::lround(o.texture_tile_mm / m.mm_per_px)));
  EXPECT_EQ(request.colour_tile_px, static_cast<int>(std::lround(o.redness_tile_mm / m.mm_per_px)));
  SessionMetrics gathered = m.session;
  {
    align::AlignmentResult identity;
    identity.status = align::AlignmentStatus::kOk;
    phantom::PhantomOptions po;  // as Measure(): re-render the treated pair
    po.width = 1000;
    po.height = 800;
    po.seed = 11;
    po.treatment.pore_close_fraction = 0.3;
    phantom::PhantomPair pair;
    ASSERT_TRUE(phantom::RenderPair(po, &pair).ok());
    ASSERT_TRUE(CompareMetrics(pair.before, pair.after, identity, cv::Mat(), m.mm_per_px,
                               metrics::MetricsOptions(), &gathered, request)
                    .ok());
  }
  ASSERT_FALSE(gathered.before.tiles.texture.empty());
  ASSERT_EQ(gathered.after.tiles.colour.size(), 4u);
  ASSERT_TRUE(m.session.before.tiles.texture.empty());  // Measure() asked for none
  std::vector<MetricTiles> reused, recomputed;
  ASSERT_TRUE(
      ComputeTileSums(m.before, gathered, m.mm_per_px, metrics::MetricsOptions(), o, &reused).ok());
  ASSERT_TRUE(
      ComputeTileSums(m.before, m.session, m.mm_per_px, metrics::MetricsOptions(), o, &recomputed)
          .ok());
  ASSERT_EQ(reused.size(), recomputed.size());
  int compared = 0;
  for (size_t i = 0; i < reused.size(); ++i) {
    const MetricTiles &a = reused[i], &b = recomputed[i];
    ASSERT_EQ(a.key, b.key);
    ASSERT_EQ(a.tiles.size(), b.tiles.size()) << a.key;
    EXPECT_NEAR(a.metric.offset_before, b.metric.offset_before,
                1e-9 * std::max(1e-12, std::abs(b.metric.offset_before)))
        << a.key;
    for (size_t t = 0; t < a.tiles.size(); ++t) {
      const stats::TileSums &x = a.tiles[t], &y = b.tiles[t];
      for (const auto& [u, v] : {std::pair{x.numerator_before, y.numerator_before},
                                 {x.denominator_before, y.denominator_before},
                                 {x.numerator_after, y.numerator_after},
                                 {x.denominator_after, y.denominator_after}}) {
        EXPECT_NEAR(u, v, 1e-9 * std::max(1.0, std::abs(v))) << a.key << " tile " << t;
      }
    }
    if (a.key.rfind("texture.", 0) == 0 || a.key.rfind("redness.", 0) == 0 ||
        a.key.rfind("tone.", 0) == 0)
      ++compared;
  }
  EXPECT_GE(compared, 4);
  // The gathered sums are what is used (not recomputed): doubled, they read doubled.
  {
    SessionMetrics doubled = gathered;
    for (double& v : doubled.before.tiles.colour[0]) v *= 2.0;
    std::vector<MetricTiles> d;
    ASSERT_TRUE(
        ComputeTileSums(m.before, doubled, m.mm_per_px, metrics::MetricsOptions(), o, &d).ok());
    for (size_t i = 0; i < d.size(); ++i) {
      if (d[i].key != "redness.erythema_index_mean") continue;
      ASSERT_FALSE(d[i].tiles.empty());
      EXPECT_NEAR(d[i].tiles[0].numerator_before, 2.0 * reused[i].tiles[0].numerator_before,
                  1e-9 * std::abs(reused[i].tiles[0].numerator_before));
    }
  }
  // Gathered on another grid: not used (and the result is still the recomputed one).
  gathered.before.tiles.texture_tile_px += 1;
  gathered.after.tiles.colour_tile_px += 1;
  std::vector<MetricTiles> mismatched;
  ASSERT_TRUE(
      ComputeTileSums(m.before, gathered, m.mm_per_px, metrics::MetricsOptions(), o, &mismatched)
          .ok());
  ASSERT_EQ(mismatched.size(), recomputed.size());
  for (size_t i = 0; i < mismatched.size(); ++i)
    for (size_t t = 0; t < mismatched[i].tiles.size(); ++t)
      EXPECT_NEAR(mismatched[i].tiles[t].numerator_before, recomputed[i].tiles[t].numerator_before,
                  1e-9 * std::max(1.0, std::abs(recomputed[i].tiles[t].numerator_before)));
}

TEST_F(ChangeStatsTest, WithoutScalePhysicalMetricsAreOmitted) {
  const Measured& m = *unchanged_;
  ChangeStats s;
  ASSERT_TRUE(ComputeChangeStats(m.before, m.session, std::nullopt, metrics::MetricsOptions(),
                                 Model(1.0), ChangeStatsOptions(), &s)
                  .ok());
  EXPECT_EQ(s.metrics.count("pores.density_per_cm2"), 0u);
  EXPECT_EQ(s.metrics.count("wrinkles.length_density_mm_per_cm2"), 0u);
  EXPECT_EQ(s.metrics.count("pores.count"), 1u);
  EXPECT_FALSE(s.scale_known);
}

TEST_F(ChangeStatsTest, RejectsBadInputs) {
  const Measured& m = *unchanged_;
  ChangeStats s;
  SessionMetrics bad = m.session;
  bad.region = cv::Mat::zeros(10, 10, CV_8UC1);
  EXPECT_EQ(ComputeChangeStats(m.before, bad, m.mm_per_px, metrics::MetricsOptions(), Model(1.0),
                               ChangeStatsOptions(), &s)
                .code(),
            StatusCode::kInvalidArgument);
  ChangeStatsOptions o;
  o.pores_tile_mm = 0.0;
  EXPECT_FALSE(o.Check().ok());
  o = ChangeStatsOptions();
  o.bootstrap.resamples = 5;
  EXPECT_FALSE(o.Check().ok());
}

}  // namespace
}  // namespace skintrack::compare
