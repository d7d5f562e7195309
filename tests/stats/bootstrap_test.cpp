#include "skintrack/stats/bootstrap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
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
  // Exactly min_tiles (5) tiles are enough for an interval.
  ASSERT_TRUE(
      PairedTileBootstrap(Tiles(5, 10.0, 11.0, 2.0, 3), RatioMetric(), BootstrapOptions(), &r)
          .ok());
  EXPECT_EQ(r.tiles, 5);
  EXPECT_TRUE(r.ci_valid);
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

// The documented draw rule written out independently: per resample, n indices from
// std::mt19937_64, each the high word of r * n with Lemire's rejection of biased low words.
__extension__ typedef unsigned __int128 U128;  // GCC / Clang; __extension__: not ISO

BootstrapResult Reference(const std::vector<TileSums>& t, const RatioMetric& m,
                          const BootstrapOptions& o) {
  BootstrapResult r;
  double nb = 0, db = 0, na = 0, da = 0;
  for (const TileSums& x : t) {
    nb += x.numerator_before;
    db += x.denominator_before;
    na += x.numerator_after;
    da += x.denominator_after;
  }
  r.tiles = static_cast<int>(t.size());
  r.before = RatioValue(m, nb, db, false);
  r.after = RatioValue(m, na, da, true);
  r.delta = r.ci_lo = r.ci_hi = r.after - r.before;
  if (r.tiles < o.min_tiles) return r;
  std::mt19937_64 rng(o.seed);
  const std::uint64_t n = t.size();
  auto draw = [&] {
    U128 p = static_cast<U128>(rng()) * n;
    while (static_cast<std::uint64_t>(p) < (0 - n) % n) p = static_cast<U128>(rng()) * n;
    return static_cast<std::size_t>(p >> 64);
  };
  std::vector<double> d;
  double sum = 0, sum2 = 0;
  for (int k = 0; k < o.resamples; ++k) {
    double b0 = 0, b1 = 0, a0 = 0, a1 = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const TileSums& x = t[draw()];
      b0 += x.numerator_before;
      b1 += x.denominator_before;
      a0 += x.numerator_after;
      a1 += x.denominator_after;
    }
    d.push_back(RatioValue(m, a0, a1, true) - RatioValue(m, b0, b1, false));
    sum += d.back();
    sum2 += d.back() * d.back();
  }
  std::sort(d.begin(), d.end());
  r.ci_valid = true;
  r.ci_lo = SortedQuantile(d, (1.0 - o.confidence) / 2.0);
  r.ci_hi = SortedQuantile(d, (1.0 + o.confidence) / 2.0);
  const double mean = sum / o.resamples;
  r.se = std::sqrt(std::max(0.0, (sum2 - o.resamples * mean * mean) / (o.resamples - 1)));
  return r;
}

// Several metrics at once (metrics of equal tile counts share their draws) give exactly each
// metric's own bootstrap: two grids of 30 and 12 tiles, a sqrt form, and 3 tiles (no interval).
TEST(BootstrapTest, ManyMetricsEqualEachMetricAlone) {
  std::vector<std::vector<TileSums>> lists = {Tiles(30, 10.0, 10.3, 3.0, 3),
                                              Tiles(30, 4.0, 3.0, 1.0, 4),
                                              Tiles(12, 2.0, 2.5, 0.5, 5), Tiles(3, 1, 2, 0.1, 6)};
  for (size_t i = 0; i < lists[0].size(); ++i)
    lists[0][i].numerator_after += 0.4 * (i % 5) * lists[0][i].denominator_after;
  std::vector<RatioMetric> metrics(4);
  metrics[1].form = RatioForm::kSqrtRatio;
  metrics[1].scale = 2.0;
  metrics[2].offset_after = 0.1;
  BootstrapOptions o;
  o.resamples = 500;
  std::vector<const std::vector<TileSums>*> ptrs;
  for (const auto& l : lists) ptrs.push_back(&l);
  std::vector<BootstrapResult> many;
  ASSERT_TRUE(PairedTileBootstrapMany(ptrs, metrics, o, &many).ok());
  ASSERT_EQ(many.size(), 4u);
  for (size_t i = 0; i < lists.size(); ++i) {
    SCOPED_TRACE(i);
    const BootstrapResult ref = Reference(lists[i], metrics[i], o);
    EXPECT_EQ(many[i].tiles, ref.tiles);
    EXPECT_EQ(many[i].ci_valid, ref.ci_valid);
    EXPECT_DOUBLE_EQ(many[i].delta, ref.delta);
    EXPECT_DOUBLE_EQ(many[i].ci_lo, ref.ci_lo);
    EXPECT_DOUBLE_EQ(many[i].ci_hi, ref.ci_hi);
    EXPECT_NEAR(many[i].se, ref.se, 1e-12 * (1.0 + ref.se));
  }
  EXPECT_FALSE(many[3].ci_valid);
  EXPECT_TRUE(many[0].ci_valid && many[0].ci_lo < many[0].ci_hi);
  // One metric per list, no null list.
  EXPECT_FALSE(PairedTileBootstrapMany(ptrs, {RatioMetric()}, o, &many).ok());
  EXPECT_FALSE(PairedTileBootstrapMany({nullptr}, {RatioMetric()}, o, &many).ok());
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
