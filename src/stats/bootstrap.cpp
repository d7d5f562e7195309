#include "skintrack/stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <opencv2/core/utility.hpp>
#include <random>
#include <string>

namespace skintrack::stats {
namespace {

// Uniform index in [0, n) from a 64-bit engine: the high word of r * n, with Lemire's
// rejection of the few low words that would bias it (exactly uniform; portable, unlike
// std::uniform_int_distribution whose algorithm is implementation-defined; and no 64-bit
// division per draw, which dominated the bootstrap's time).
__extension__ typedef unsigned __int128 Uint128;  // GCC / Clang; __extension__: not ISO

std::size_t DrawIndex(std::mt19937_64& rng, std::size_t n) {
  const std::uint64_t range = static_cast<std::uint64_t>(n);
  Uint128 m = static_cast<Uint128>(rng()) * range;
  std::uint64_t low = static_cast<std::uint64_t>(m);
  if (low < range) {
    const std::uint64_t threshold = (0 - range) % range;  // 2^64 mod range
    while (low < threshold) {
      m = static_cast<Uint128>(rng()) * range;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::size_t>(m >> 64);
}

}  // namespace

Status BootstrapOptions::Check() const {
  if (resamples < 100 || resamples > 1000000)
    return Status::InvalidArgument("bootstrap: resamples must be in [100, 1000000]");
  if (!(confidence > 0.0 && confidence < 1.0))
    return Status::InvalidArgument("bootstrap: confidence must be in (0, 1)");
  if (min_tiles < 2) return Status::InvalidArgument("bootstrap: min_tiles must be >= 2");
  return Status::Ok();
}

double RatioValue(const RatioMetric& metric, double numerator, double denominator, bool after) {
  if (!(denominator > 0.0)) return 0.0;
  const double r = numerator / denominator - (after ? metric.offset_after : metric.offset_before);
  switch (metric.form) {
    case RatioForm::kRatio:
      return metric.scale * r;
    case RatioForm::kSqrtRatio:
      return metric.scale * std::sqrt(std::max(0.0, r));
  }
  return 0.0;
}

double SortedQuantile(const std::vector<double>& sorted, double p) {
  const double h = (static_cast<double>(sorted.size()) - 1.0) * std::clamp(p, 0.0, 1.0);
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(sorted.size() - 1, lo + 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

namespace {

// Validates the tiles and fills the point estimates; true when an interval is to be drawn.
Status PointEstimates(const std::vector<TileSums>& tiles, const RatioMetric& metric,
                      const BootstrapOptions& options, BootstrapResult* result, bool* draw) {
  *result = BootstrapResult();
  *draw = false;
  if (tiles.empty()) return Status::InvalidArgument("bootstrap: no tiles");
  double nb = 0, db = 0, na = 0, da = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const TileSums& t = tiles[i];
    if (!std::isfinite(t.numerator_before) || !std::isfinite(t.numerator_after) ||
        !(t.denominator_before >= 0.0) || !(t.denominator_after >= 0.0) ||
        !std::isfinite(t.denominator_before) || !std::isfinite(t.denominator_after))
      return Status::InvalidArgument("bootstrap: tile " + std::to_string(i) +
                                     " has a non-finite sum or a negative denominator");
    nb += t.numerator_before;
    db += t.denominator_before;
    na += t.numerator_after;
    da += t.denominator_after;
  }
  result->tiles = static_cast<int>(tiles.size());
  result->before = RatioValue(metric, nb, db, false);
  result->after = RatioValue(metric, na, da, true);
  result->delta = result->after - result->before;
  result->ci_lo = result->ci_hi = result->delta;
  *draw = result->tiles >= options.min_tiles;
  return Status::Ok();
}

// The resamples of the metrics `members` (all with n tiles) from one draw sequence.
void DrawGroup(const std::vector<const std::vector<TileSums>*>& tiles,
               const std::vector<RatioMetric>& metrics, const std::vector<std::size_t>& members,
               const BootstrapOptions& options, std::vector<BootstrapResult>* results) {
  const std::size_t n = tiles[members[0]]->size(), m = members.size();
  std::mt19937_64 rng(options.seed);
  std::vector<std::size_t> index(n);
  std::vector<std::vector<double>> deltas(
      m, std::vector<double>(static_cast<std::size_t>(options.resamples)));
  std::vector<double> sum(m, 0.0), sum2(m, 0.0);
  for (int r = 0; r < options.resamples; ++r) {
    for (std::size_t& k : index) k = DrawIndex(rng, n);
    for (std::size_t g = 0; g < m; ++g) {
      const std::vector<TileSums>& t = *tiles[members[g]];
      double rnb = 0, rdb = 0, rna = 0, rda = 0;
      for (const std::size_t k : index) {
        rnb += t[k].numerator_before;
        rdb += t[k].denominator_before;
        rna += t[k].numerator_after;
        rda += t[k].denominator_after;
      }
      const RatioMetric& metric = metrics[members[g]];
      const double d = RatioValue(metric, rna, rda, true) - RatioValue(metric, rnb, rdb, false);
      deltas[g][static_cast<std::size_t>(r)] = d;
      sum[g] += d;
      sum2[g] += d * d;
    }
  }
  const double alpha = 1.0 - options.confidence;
  for (std::size_t g = 0; g < m; ++g) {
    BootstrapResult& result = (*results)[members[g]];
    std::sort(deltas[g].begin(), deltas[g].end());
    result.ci_valid = true;
    result.ci_lo = SortedQuantile(deltas[g], alpha / 2.0);
    result.ci_hi = SortedQuantile(deltas[g], 1.0 - alpha / 2.0);
    const double mean = sum[g] / options.resamples;
    result.se = std::sqrt(std::max(
        0.0, (sum2[g] - options.resamples * mean * mean) / std::max(1, options.resamples - 1)));
  }
}

}  // namespace

Status PairedTileBootstrapMany(const std::vector<const std::vector<TileSums>*>& tiles,
                               const std::vector<RatioMetric>& metrics,
                               const BootstrapOptions& options,
                               std::vector<BootstrapResult>* results) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (results == nullptr) return Status::InvalidArgument("bootstrap: results are null");
  if (tiles.size() != metrics.size())
    return Status::InvalidArgument("bootstrap: one metric per tile list");
  results->assign(tiles.size(), BootstrapResult());
  std::map<std::size_t, std::vector<std::size_t>> groups;  // tile count -> metrics drawn
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    if (tiles[i] == nullptr) return Status::InvalidArgument("bootstrap: tile list is null");
    bool draw = false;
    SKINTRACK_RETURN_IF_ERROR(
        PointEstimates(*tiles[i], metrics[i], options, &(*results)[i], &draw));
    if (draw) groups[tiles[i]->size()].push_back(i);
  }
  std::vector<const std::vector<std::size_t>*> members;
  for (const auto& [n, g] : groups) members.push_back(&g);
  cv::parallel_for_(cv::Range(0, static_cast<int>(members.size())), [&](const cv::Range& r) {
    for (int g = r.start; g < r.end; ++g)
      DrawGroup(tiles, metrics, *members[static_cast<std::size_t>(g)], options, results);
  });
  return Status::Ok();
}

Status PairedTileBootstrap(const std::vector<TileSums>& tiles, const RatioMetric& metric,
                           const BootstrapOptions& options, BootstrapResult* result) {
  if (result == nullptr) return Status::InvalidArgument("bootstrap: result is null");
  *result = BootstrapResult();
  std::vector<BootstrapResult> one;
  SKINTRACK_RETURN_IF_ERROR(PairedTileBootstrapMany({&tiles}, {metric}, options, &one));
  *result = one[0];
  return Status::Ok();
}

}  // namespace skintrack::stats
