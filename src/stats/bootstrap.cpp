#include "skintrack/stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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

Status PairedTileBootstrap(const std::vector<TileSums>& tiles, const RatioMetric& metric,
                           const BootstrapOptions& options, BootstrapResult* result) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (result == nullptr) return Status::InvalidArgument("bootstrap: result is null");
  if (tiles.empty()) return Status::InvalidArgument("bootstrap: no tiles");
  *result = BootstrapResult();
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
  if (result->tiles < options.min_tiles) return Status::Ok();

  std::mt19937_64 rng(options.seed);
  std::vector<double> deltas(static_cast<std::size_t>(options.resamples));
  const std::size_t n = tiles.size();
  double sum = 0.0, sum2 = 0.0;
  for (double& d : deltas) {
    double rnb = 0, rdb = 0, rna = 0, rda = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const TileSums& t = tiles[DrawIndex(rng, n)];
      rnb += t.numerator_before;
      rdb += t.denominator_before;
      rna += t.numerator_after;
      rda += t.denominator_after;
    }
    d = RatioValue(metric, rna, rda, true) - RatioValue(metric, rnb, rdb, false);
    sum += d;
    sum2 += d * d;
  }
  std::sort(deltas.begin(), deltas.end());
  const double alpha = 1.0 - options.confidence;
  result->ci_valid = true;
  result->ci_lo = SortedQuantile(deltas, alpha / 2.0);
  result->ci_hi = SortedQuantile(deltas, 1.0 - alpha / 2.0);
  const double m = sum / options.resamples;
  result->se = std::sqrt(
      std::max(0.0, (sum2 - options.resamples * m * m) / std::max(1, options.resamples - 1)));
  return Status::Ok();
}

}  // namespace skintrack::stats
