// Detections paired across the two photos of a pair (PairPores, PairWrinkles; see metrics.h
// and docs/metrics.md, "Paired across sessions").
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

#include "skintrack/metrics/metrics.h"

namespace skintrack::metrics {
namespace {

// Whether two pores are at the same place: centres within max(2 px, half either diameter).
double MatchRadius(const Pore& p) { return std::max(2.0, 0.5 * p.diameter_px); }
bool SamePlace(const Pore& a, const Pore& b) {
  const double lim = std::max(MatchRadius(a), MatchRadius(b));
  return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) <= lim * lim;
}

// Pores sorted by row for the pores at the same place as a query.
class RowIndex {
 public:
  explicit RowIndex(const std::vector<Pore>& pores) : pores_(pores) {
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

 private:
  const std::vector<Pore>& pores_;
  std::vector<std::pair<double, int>> rows_;
  double reach_ = 0;
};

// Appends to the pores of `r` its marginal pores at a counted pore of `other` that no counted
// pore of `r` matches (each marginal pore adopted once), consumes its marginal pores and
// recomputes its PoreMetrics when any was added.
void AdoptMarginal(const std::vector<Pore>& other, MetricsResult* r) {
  Detections* to = &r->detections;
  const std::vector<Pore> counted = to->pores;
  const RowIndex counted_index(counted), marginal_index(to->pores_marginal);
  std::vector<bool> used(to->pores_marginal.size(), false);
  for (const Pore& q : other) {
    bool matched = false;
    counted_index.ForNear(q, [&](int) { return matched = true; });
    if (matched) continue;
    marginal_index.ForNear(q, [&](int i) {
      if (used[i]) return false;
      // Not at a counted pore of this photo either (for pores under 2 px radius the
      // suppression around counted pores is narrower than a match).
      bool at_counted = false;
      counted_index.ForNear(to->pores_marginal[i], [&](int) { return at_counted = true; });
      if (at_counted) return false;
      used[i] = true;
      Pore p = to->pores_marginal[i];
      p.paired = true;
      to->pores.push_back(p);
      return true;
    });
  }
  const bool added = to->pores.size() > counted.size();
  to->pores_marginal.clear();
  to->pores_marginal.shrink_to_fit();
  if (added)
    r->pores = PoreMetricsOf(to->pores, r->roi_area_px, r->px_per_mm, r->scale_known, r->effective);
}

// A marginal line lying on this photo's counted lines for more than this fraction of its centre
// points is not adopted.
constexpr double kMaxOwnCover = 0.1;

// Half-width of the band along a line within which a point lies on it: max(2 px, half its
// width), rounded up (the band is drawn around the rounded centre points).
int BandHalf(const Line& l) { return static_cast<int>(std::ceil(std::max(2.0, 0.5 * l.width_px))); }

// The bands of `lines` in the frame window `window` (before px): CV_8UC1 of the window's size,
// 255 = within BandHalf of a centre line.
cv::Mat LineBands(cv::Rect window, const std::vector<Line>& lines) {
  cv::Mat band = cv::Mat::zeros(window.size(), CV_8UC1);
  for (const Line& l : lines) {
    std::vector<cv::Point> pts;
    for (const cv::Point2d& p : l.polyline)
      pts.emplace_back(cvRound(p.x) - window.x, cvRound(p.y) - window.y);
    cv::polylines(band, pts, false, cv::Scalar(255), 2 * BandHalf(l) + 1, cv::LINE_8);
  }
  return band;
}

// Fraction of the centre points of `l` inside `band` (a window at `window` of the frame).
double Covered(const Line& l, const cv::Mat& band, cv::Rect window) {
  if (l.polyline.empty()) return 0.0;
  int in = 0;
  for (const cv::Point2d& p : l.polyline) {
    const cv::Point q(cvRound(p.x) - window.x, cvRound(p.y) - window.y);
    in += q.x >= 0 && q.y >= 0 && q.x < band.cols && q.y < band.rows && band.at<uchar>(q) != 0;
  }
  return static_cast<double>(in) / static_cast<double>(l.polyline.size());
}

// The window of the frame that holds a line's band.
cv::Rect Window(const Line& l) {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const cv::Point2d& p : l.polyline)
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  const int m = BandHalf(l) + 2;
  const int left = cvFloor(x0) - m, top = cvFloor(y0) - m;
  return {left, top, cvCeil(x1) + m - left + 1, cvCeil(y1) + m - top + 1};
}

// The window holding every line of a list (empty for none).
cv::Rect Frame(const std::vector<Line>& lines) {
  cv::Rect r;
  for (const Line& l : lines)
    if (!l.polyline.empty()) r = r.empty() ? Window(l) : (r | Window(l));
  return r;
}

// Appends to the wrinkles of `r` its marginal lines along a counted line of `other` that the
// counted lines of `r` cover for less than half, each lying for at most kMaxOwnCover on the
// counted lines of `r` (a marginal path can hold a counted half of itself: adopting it would
// count that stretch twice); consumes its marginal lines and recomputes its WrinkleMetrics when
// any was added.
void AdoptMarginalLines(const std::vector<Line>& other, MetricsResult* r) {
  Detections* to = &r->detections;
  const size_t n0 = to->wrinkles.size();
  if (!other.empty() && !to->wrinkles_marginal.empty()) {
    // Outside this window no counted band lies: a point there is not covered.
    const cv::Rect frame = Frame(other) | Frame(to->wrinkles);
    const cv::Mat counted = LineBands(frame, to->wrinkles);
    std::vector<bool> used(to->wrinkles_marginal.size(), false);
    for (const Line& q : other) {
      if (q.polyline.empty() || Covered(q, counted, frame) >= 0.5) continue;
      const cv::Rect w = Window(q);
      const cv::Mat along = LineBands(w, {q});
      for (size_t i = 0; i < to->wrinkles_marginal.size(); ++i) {
        if (used[i] || Covered(to->wrinkles_marginal[i], along, w) < 0.5 ||
            Covered(to->wrinkles_marginal[i], counted, frame) > kMaxOwnCover)
          continue;
        used[i] = true;
        Line l = to->wrinkles_marginal[i];
        l.paired = true;
        to->wrinkles.push_back(std::move(l));
      }
    }
  }
  const bool added = to->wrinkles.size() > n0;
  to->wrinkles_marginal.clear();
  to->wrinkles_marginal.shrink_to_fit();
  if (added)
    r->wrinkles = WrinkleMetricsOf(to->wrinkles, r->roi_area_px, r->px_per_mm, r->scale_known);
}

}  // namespace

void PairPores(MetricsResult* before, MetricsResult* after) {
  // Each side adopts at the other's own counted pores (not at the ones it adopted).
  const std::vector<Pore> before_own = before->detections.pores;
  AdoptMarginal(after->detections.pores, before);
  AdoptMarginal(before_own, after);
}

void PairWrinkles(MetricsResult* before, MetricsResult* after) {
  const std::vector<Line> before_own = before->detections.wrinkles;
  AdoptMarginalLines(after->detections.wrinkles, before);
  AdoptMarginalLines(before_own, after);
}

}  // namespace skintrack::metrics
