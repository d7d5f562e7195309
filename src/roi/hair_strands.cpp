// Hair strands: pruning, cutting at junctions, ordering and the straight-run test, all over the
// skeleton's own pixels (a long diagonal hair's bounding box is mostly empty).
#include "roi/hair_strands.h"

#include <opencv2/imgproc.hpp>
#include <queue>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/thinning.h"

namespace skintrack::roi::internal {
namespace {

// Neighbour k in circular order N, NE, E, SE, S, SW, W, NW.
constexpr int kDy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
constexpr int kDx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
constexpr double kDiagonal = 1.4142135623730951;

// The 8-neighbour pattern of (x, y) in a 0/255 image (bit k = neighbour k; outside = 0).
unsigned Pattern(const cv::Mat& skeleton, int x, int y) {
  unsigned p = 0;
  for (int k = 0; k < 8; ++k) {
    const int ny = y + kDy[k], nx = x + kDx[k];
    if (ny >= 0 && nx >= 0 && ny < skeleton.rows && nx < skeleton.cols &&
        skeleton.at<uchar>(ny, nx) != 0)
      p |= 1u << k;
  }
  return p;
}

// 0->1 transitions around a pixel of neighbour pattern p (circular).
int Transitions(unsigned p) {
  int n = 0;
  for (int k = 0; k < 8; ++k) n += !((p >> k) & 1u) && ((p >> ((k + 1) % 8)) & 1u);
  return n;
}

// An end: no neighbour, or all of them in one run on one side (within NW, N, NE or one of its
// three rotations). A V's apex (SW and SE: two runs) and a 2-px-thick stretch (neighbours round
// a corner) are not ends.
bool IsEnd(unsigned p) {
  if (p == 0) return true;
  if (Transitions(p) > 1) return false;
  for (const unsigned side : {0x83u, 0x0Eu, 0x38u, 0xE0u})  // {NW,N,NE}, {NE,E,SE}, ...
    if ((p & ~side) == 0) return true;
  return false;
}

// Removes from `pts` (and from the skeleton) the pixels for which `drop` holds, all judged on
// the skeleton as it was before this call.
template <typename Drop>
void RemoveWhere(std::vector<cv::Point>* pts, cv::Mat* skeleton, Drop drop) {
  std::vector<cv::Point> gone;
  for (const cv::Point& p : *pts)
    if (drop(p)) gone.push_back(p);
  for (const cv::Point& p : gone) skeleton->at<uchar>(p) = 0;
  std::vector<cv::Point> kept;
  kept.reserve(pts->size());
  for (const cv::Point& p : *pts)
    if (skeleton->at<uchar>(p) != 0) kept.push_back(p);
  pts->swap(kept);
}

// One piece: indices into the piece list of `pts`, with a lookup from pixel to index.
class PieceGraph {
 public:
  PieceGraph(const std::vector<cv::Point>& pts, int cols) : pts_(pts), cols_(cols) {
    index_.reserve(pts.size() * 2);
    for (size_t i = 0; i < pts.size(); ++i) index_[Key(pts[i])] = static_cast<int>(i);
  }
  // Indices of the 8-neighbours of point i that are in the graph and not removed.
  template <typename Visit>
  void ForEachNeighbour(int i, Visit visit) const {
    const cv::Point p = pts_[static_cast<size_t>(i)];
    for (int k = 0; k < 8; ++k) {
      const auto it = index_.find(Key(cv::Point(p.x + kDx[k], p.y + kDy[k])));
      if (it != index_.end() && !removed_.count(it->second))
        visit(it->second, k % 2 ? kDiagonal : 1.0);
    }
  }
  void Remove(int i) { removed_.insert(i); }
  size_t size() const { return pts_.size(); }
  const cv::Point& operator[](size_t i) const { return pts_[i]; }

 private:
  long long Key(cv::Point p) const { return static_cast<long long>(p.y) * (cols_ + 2) + p.x + 1; }
  const std::vector<cv::Point>& pts_;
  int cols_;
  std::unordered_map<long long, int> index_;
  std::unordered_set<int> removed_;
};

// Geodesic distances (Dijkstra) from `from` over the graph; -1 where not reached.
std::vector<double> Geodesic(const PieceGraph& g, int from) {
  std::vector<double> dist(g.size(), -1.0);
  using Item = std::pair<double, int>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  dist[static_cast<size_t>(from)] = 0.0;
  queue.emplace(0.0, from);
  while (!queue.empty()) {
    const auto [d, i] = queue.top();
    queue.pop();
    if (d > dist[static_cast<size_t>(i)]) continue;
    g.ForEachNeighbour(i, [&](int j, double step) {
      double& current = dist[static_cast<size_t>(j)];
      if (current < 0.0 || d + step < current) {
        current = d + step;
        queue.emplace(current, j);
      }
    });
  }
  return dist;
}

// The piece's points ordered by geodesic distance from an end (the point farthest from any
// point), with those distances; a loop (no point with at most one neighbour) is opened first.
void OrderPiece(PieceGraph* g, std::vector<cv::Point>* order, std::vector<double>* along) {
  order->clear();
  along->clear();
  bool has_end = false;
  for (size_t i = 0; i < g->size() && !has_end; ++i) {
    int n = 0;
    g->ForEachNeighbour(static_cast<int>(i), [&](int, double) { ++n; });
    has_end = n <= 1;
  }
  int start = 0;
  if (!has_end) {  // a closed loop: opened at point 0, walked from a neighbour of it
    int next = -1;
    g->ForEachNeighbour(0, [&](int j, double) { next = next < 0 ? j : next; });
    g->Remove(0);
    if (next < 0) return;
    start = next;
  }
  auto farthest = [&](const std::vector<double>& d) {
    int best = start;
    for (size_t i = 0; i < d.size(); ++i)
      if (d[i] > d[static_cast<size_t>(best)]) best = static_cast<int>(i);
    return best;
  };
  const std::vector<double> dist = Geodesic(*g, farthest(Geodesic(*g, start)));
  std::vector<std::pair<double, int>> sorted;
  for (size_t i = 0; i < dist.size(); ++i)
    if (dist[i] >= 0.0) sorted.emplace_back(dist[i], static_cast<int>(i));
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [d, i] : sorted) {
    along->push_back(d);
    order->push_back((*g)[static_cast<size_t>(i)]);
  }
}

// Marks in *kept the points of `order` in a straight stretch (runs of min_length px of path
// whose ends are min_straightness x that apart); returns whether any were.
bool MarkStraightStretches(const std::vector<cv::Point>& order, const std::vector<double>& along,
                           double min_length, double min_straightness, cv::Mat* kept) {
  const size_t n = order.size();
  std::vector<int> cover(n + 1, 0);  // difference array of the straight runs
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    if (j < i) j = i;
    while (j < n && along[j] - along[i] < min_length) ++j;
    if (j == n) break;
    if (cv::norm(order[j] - order[i]) >= min_straightness * (along[j] - along[i])) {
      ++cover[i];
      --cover[j + 1];
    }
  }
  bool any = false;
  int depth = 0;
  for (size_t i = 0; i < n; ++i) {
    depth += cover[i];
    if (depth > 0) {
      kept->at<uchar>(order[i]) = 255;
      any = true;
    }
  }
  return any;
}

}  // namespace

bool KeepStraightStrands(const StrandParams& params, cv::Mat* core) {
  cv::Mat skeleton;
  skintrack::internal::ThinZhangSuen(*core, &skeleton);
  std::vector<cv::Point> pts;
  cv::findNonZero(skeleton, pts);
  // Ends pruned spur_px times (spurs: the thresholded edge's bumps; each strand's free ends
  // shorten by as much), then the junctions and their 8 neighbours removed.
  for (int i = 0; i < params.spur_px && !pts.empty(); ++i)
    RemoveWhere(&pts, &skeleton, [&](cv::Point p) { return IsEnd(Pattern(skeleton, p.x, p.y)); });
  std::vector<cv::Point> junctions;
  for (const cv::Point& p : pts)
    if (Transitions(Pattern(skeleton, p.x, p.y)) >= 3) junctions.push_back(p);
  for (const cv::Point& j : junctions)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const cv::Point q(j.x + dx, j.y + dy);
        if (q.x >= 0 && q.y >= 0 && q.x < skeleton.cols && q.y < skeleton.rows)
          skeleton.at<uchar>(q) = 0;
      }
  RemoveWhere(&pts, &skeleton, [](cv::Point) { return false; });
  // Pieces: 8-connected components of what is left, by a flood over the points.
  const PieceGraph all(pts, skeleton.cols);
  std::vector<int> piece_of(pts.size(), -1);
  cv::Mat kept = cv::Mat::zeros(core->size(), CV_8UC1);
  bool any = false;
  std::vector<cv::Point> members, order;
  std::vector<double> along;
  for (size_t seed = 0; seed < pts.size(); ++seed) {
    if (piece_of[seed] >= 0) continue;
    members.clear();
    std::vector<int> stack = {static_cast<int>(seed)};
    piece_of[seed] = static_cast<int>(seed);
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      members.push_back(pts[static_cast<size_t>(i)]);
      all.ForEachNeighbour(i, [&](int j, double) {
        if (piece_of[static_cast<size_t>(j)] < 0) {
          piece_of[static_cast<size_t>(j)] = static_cast<int>(seed);
          stack.push_back(j);
        }
      });
    }
    // A piece of n points has a path of at most (n - 1) sqrt 2 px.
    if ((static_cast<double>(members.size()) - 1.0) * kDiagonal < params.min_length_px) continue;
    PieceGraph piece(members, skeleton.cols);
    OrderPiece(&piece, &order, &along);
    any |=
        MarkStraightStretches(order, along, params.min_length_px, params.min_straightness, &kept);
  }
  if (!any) return false;
  cv::dilate(kept, kept,
             cv::getStructuringElement(cv::MORPH_ELLIPSE,
                                       cv::Size(2 * params.reach_px + 1, 2 * params.reach_px + 1)));
  *core &= kept;
  return true;
}

}  // namespace skintrack::roi::internal
