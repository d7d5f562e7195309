#include "skintrack/stats/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace skintrack::stats {
namespace {

std::vector<TileSums> Tiles(int n, double before_density, double after_density, double noise,
                            std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<TileSums> t;
  for (int i = 0; i < n; ++i) {
    const double area = 1.0 + 0.5 * (i % 3);              // unequal tile areas
    const double skin = before_density + noise * g(rng);  // the tile's own level
    t.push_back({skin * area, area, (skin + after_density - before_density) * area, area});
  }
  return t;
}

TEST(BootstrapTest, IdenticalTilesGiveZeroInterval) {
  const std::vector<TileSums> t = Tiles(40, 10.0, 10.0, 2.0, 1);
  BootstrapResult r;
  ASSERT_TRUE(PairedTileBootstrap(t, RatioMetric(), BootstrapOptions(), &r).ok());
  EXPECT_TRUE(r.ci_valid);
  EXPECT_NEAR(r.delta, 0.0, 1e-12);
  EXPECT_NEAR(r.ci_lo, 0.0, 1e-12);
  EXPECT_NEAR(r.ci_hi, 0.0, 1e-12);
  EXPECT_FALSE(r.ExcludesZero());
}

TEST(BootstrapTest, ShiftedTilesExcludeZeroWithExactEstimate) {
  // Every tile +1 (the skin varies 2 between tiles; the paired change does not).
  const std::vector<TileSums> t = Tiles(40, 10.0, 11.0, 2.0, 2);
  BootstrapResult r;
  ASSERT_TRUE(PairedTileBootstrap(t, RatioMetric(), BootstrapOptions(), &r).ok());
  EXPECT_NEAR(r.delta, 1.0, 1e-9);
  EXPECT_TRUE(r.ExcludesZero());
  EXPECT_LE(r.ci_lo, 1.0 + 1e-9);
  EXPECT_GE(r.ci_hi, 1.0 - 1e-9);
}

TEST(BootstrapTest, PointEstimateIsRatioOfSumsWithScaleAndSqrt) {
  std::vector<TileSums> t = {{4, 2, 9, 1}, {2, 2, 0, 3}, {0, 0, 0, 0}};
  RatioMetric m;
  m.form = RatioForm::kSqrtRatio;
  m.scale = 2.0;
  m.offset_before = 0.5;
  m.offset_after = 1.25;
  BootstrapResult r;
  ASSERT_TRUE(PairedTileBootstrap(t, m, BootstrapOptions(), &r).ok());
  EXPECT_NEAR(r.before, 2.0 * std::sqrt(6.0 / 4.0 - 0.5), 1e-12);
  EXPECT_NEAR(r.after, 2.0 * std::sqrt(9.0 / 4.0 - 1.25), 1e-12);
  EXPECT_FALSE(r.ci_valid);  // 3 tiles < min_tiles
  EXPECT_DOUBLE_EQ(RatioValue(m, 1.0, 0.0, false), 0.0);
}

TEST(BootstrapTest, DeterministicForASeed) {
  const std::vector<TileSums> t = Tiles(30, 10.0, 10.3, 3.0, 3);
  // Make the change vary by tile so that the interval has width.
  std::vector<TileSums> v = t;
  for (size_t i = 0; i < v.size(); ++i)
    v[i].numerator_after += 0.4 * (i % 5) * v[i].denominator_after;
  BootstrapResult a, b, c;
  BootstrapOptions o;
  ASSERT_TRUE(PairedTileBootstrap(v, RatioMetric(), o, &a).ok());
  ASSERT_TRUE(PairedTileBootstrap(v, RatioMetric(), o, &b).ok());
  o.seed = 99;
  ASSERT_TRUE(PairedTileBootstrap(v, RatioMetric(), o, &c).ok());
  EXPECT_EQ(a.ci_lo, b.ci_lo);
  EXPECT_EQ(a.ci_hi, b.ci_hi);
  EXPECT_NE(a.ci_lo, c.ci_lo);
  EXPECT_LT(a.ci_lo, a.delta);
  EXPECT_GT(a.ci_hi, a.delta);
}

// Coverage: with a per-tile change of mean 0 and independent noise, the 95 % interval
// excludes 0 in about 5 % of data sets.
TEST(BootstrapTest, FalsePositiveRateNearNominal) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0.0, 1.0);
  int excluded = 0;
  const int sets = 300;
  BootstrapOptions o;
  o.resamples = 500;
  for (int s = 0; s < sets; ++s) {
    std::vector<TileSums> t;
    for (int i = 0; i < 60; ++i) {
      const double level = 10 + 2 * g(rng);
      t.push_back({level, 1.0, level + 0.5 * g(rng), 1.0});
    }
    o.seed = static_cast<std::uint64_t>(s + 1);
    BootstrapResult r;
    ASSERT_TRUE(PairedTileBootstrap(t, RatioMetric(), o, &r).ok());
    excluded += r.ExcludesZero();
  }
  const double rate = static_cast<double>(excluded) / sets;
  EXPECT_GT(rate, 0.01);
  EXPECT_LT(rate, 0.11);
}

TEST(BootstrapTest, RejectsBadInput) {
  BootstrapResult r;
  EXPECT_FALSE(PairedTileBootstrap({}, RatioMetric(), BootstrapOptions(), &r).ok());
  EXPECT_FALSE(PairedTileBootstrap({{1, -1, 1, 1}}, RatioMetric(), BootstrapOptions(), &r).ok());
  EXPECT_FALSE(PairedTileBootstrap({{NAN, 1, 1, 1}}, RatioMetric(), BootstrapOptions(), &r).ok());
  BootstrapOptions o;
  o.resamples = 10;
  EXPECT_FALSE(o.Check().ok());
  o = BootstrapOptions();
  o.confidence = 1.0;
  EXPECT_FALSE(o.Check().ok());
}

TEST(BootstrapTest, SortedQuantileType7) {
  const std::vector<double> v = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 0.1), 1.4);
}

}  // namespace
}  // namespace skintrack::stats
