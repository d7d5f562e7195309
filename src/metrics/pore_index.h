// Private helper of the pore pairing (pairing.cpp) and guiding (pore_guide.cpp): whether two
// pores of one frame are at the same place, and the pores of a list near a query.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "skintrack/metrics/metrics.h"

namespace skintrack::metrics::internal {

// How far from a pore's centre another pore is at its place: max(2 px, half its diameter).
inline double MatchRadius(const Pore& p) { return std::max(2.0, 0.5 * p.diameter_px); }

// Whether two pores are at the same place: centres within the larger MatchRadius.
inline bool SamePlace(const Pore& a, const Pore& b) {
  const double lim = std::max(MatchRadius(a), MatchRadius(b));
  return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) <= lim * lim;
}

// Whether two pores, one in each photo, can be the same pore: at the same place and their
// diameters within kPairedMaxDiameterRatio of each other.
// False for a NaN diameter.
inline bool SamePore(const Pore& a, const Pore& b) {
  return SamePlace(a, b) && a.diameter_px <= kPairedMaxDiameterRatio * b.diameter_px &&
         b.diameter_px <= kPairedMaxDiameterRatio * a.diameter_px;
}

// Pores sorted by row for the pores at the same place as a query. Holds a reference to the
// list, which must outlive it and not change.
class PoreIndex {
 public:
  explicit PoreIndex(const std::vector<Pore>& pores) : pores_(pores) {
    for (size_t i = 0; i < pores.size(); ++i) {
      rows_.emplace_back(pores[i].y, static_cast<int>(i));
      reach_ = std::max(reach_, MatchRadius(pores[i]));
    }
    std::sort(rows_.begin(), rows_.end());
  }
  // Calls f(i) for each pore i at the same place as q, in row order, until f returns true.
  template <class F>
  void ForNear(const Pore& q, F f) const {
    const double lim = std::max(reach_, MatchRadius(q));
    auto it = std::lower_bound(rows_.begin(), rows_.end(), std::make_pair(q.y - lim, -1));
    for (; it != rows_.end() && it->first <= q.y + lim; ++it)
      if (SamePlace(pores_[it->second], q) && f(it->second)) return;
  }
  // Whether any pore is at the same place as q.
  bool Any(const Pore& q) const {
    bool found = false;
    ForNear(q, [&](int) { return found = true; });
    return found;
  }

 private:
  const std::vector<Pore>& pores_;
  std::vector<std::pair<double, int>> rows_;
  double reach_ = 0;
};

}  // namespace skintrack::metrics::internal
