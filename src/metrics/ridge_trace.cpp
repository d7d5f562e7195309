// Centre-line skeletons: hysteresis, thinning, spur pruning, length and longest path.
#include "metrics/ridge_trace.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <queue>
#include <utility>

#include "core/thinning.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kSqrt2 = 1.41421356237309515;

// 8-connected pixel graph of a thin binary crop. A diagonal step is an edge only when no
// 4-connected detour through a common neighbour exists (so corners are not double counted).
struct Graph {
  std::vector<cv::Point> pts;
  std::vector<std::vector<std::pair<int, double>>> adj;

  explicit Graph(const cv::Mat& bin) {
    cv::Mat index(bin.size(), CV_32SC1, cv::Scalar(-1));
    for (int y = 0; y < bin.rows; ++y)
      for (int x = 0; x < bin.cols; ++x)
        if (bin.at<unsigned char>(y, x)) {
          index.at<int>(y, x) = static_cast<int>(pts.size());
          pts.emplace_back(x, y);
        }
    adj.resize(pts.size());
    auto at = [&](int x, int y) {
      return (x < 0 || y < 0 || x >= bin.cols || y >= bin.rows) ? -1 : index.at<int>(y, x);
    };
    for (size_t i = 0; i < pts.size(); ++i) {
      const cv::Point p = pts[i];
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          if (dx == 0 && dy == 0) continue;
          const int j = at(p.x + dx, p.y + dy);
          if (j < 0) continue;
          if (dx != 0 && dy != 0 && (at(p.x + dx, p.y) >= 0 || at(p.x, p.y + dy) >= 0)) continue;
          adj[i].emplace_back(j, (dx != 0 && dy != 0) ? kSqrt2 : 1.0);
        }
    }
  }

  double Length() const {
    double sum = 0.0;
    for (const auto& a : adj)
      for (const auto& e : a) sum += e.second;
    return 0.5 * sum;
  }

  // Shortest-path distances from `src`; predecessors in *pred.
  std::vector<double> Distances(int src, std::vector<int>* pred) const {
    std::vector<double> d(pts.size(), std::numeric_limits<double>::infinity());
    pred->assign(pts.size(), -1);
    using Item = std::pair<double, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q;
    d[static_cast<size_t>(src)] = 0.0;
    q.emplace(0.0, src);
    while (!q.empty()) {
      const auto [dist, u] = q.top();
      q.pop();
      if (dist > d[static_cast<size_t>(u)]) continue;
      for (const auto& e : adj[static_cast<size_t>(u)]) {
        const double nd = dist + e.second;
        if (nd < d[static_cast<size_t>(e.first)]) {
          d[static_cast<size_t>(e.first)] = nd;
          (*pred)[static_cast<size_t>(e.first)] = u;
          q.emplace(nd, e.first);
        }
      }
    }
    return d;
  }
};

// Removes end branches (end pixel to a junction) shorter than spur_px. Returns true if any.
bool PruneSpurs(const Graph& g, double spur_px, cv::Mat* bin) {
  bool changed = false;
  for (size_t e = 0; e < g.pts.size(); ++e) {
    if (g.adj[e].size() != 1) continue;
    std::vector<int> branch{static_cast<int>(e)};
    int prev = -1, cur = static_cast<int>(e);
    double len = 0.0;
    bool junction = false;
    while (true) {
      const auto& a = g.adj[static_cast<size_t>(cur)];
      int next = -1;
      double step = 0.0;
      for (const auto& n : a)
        if (n.first != prev) {
          next = n.first;
          step = n.second;
          break;
        }
      if (next < 0) break;
      if (g.adj[static_cast<size_t>(next)].size() >= 3) {
        junction = true;
        break;
      }
      len += step;
      if (len >= spur_px || g.adj[static_cast<size_t>(next)].size() != 2) break;
      branch.push_back(next);
      prev = cur;
      cur = next;
    }
    if (junction && len < spur_px) {
      for (int i : branch) bin->at<unsigned char>(g.pts[static_cast<size_t>(i)]) = 0;
      changed = true;
    }
  }
  return changed;
}

// Longest path of the connected part containing `start` (two shortest-path sweeps).
std::vector<int> LongestPath(const Graph& g, int start, double* length) {
  std::vector<int> pred;
  std::vector<double> d = g.Distances(start, &pred);
  auto farthest = [&](const std::vector<double>& dist) {
    int best = start;
    for (size_t i = 0; i < dist.size(); ++i)
      if (std::isfinite(dist[i]) && dist[i] > dist[static_cast<size_t>(best)])
        best = static_cast<int>(i);
    return best;
  };
  const int a = farthest(d);
  d = g.Distances(a, &pred);
  const int b = farthest(d);
  *length = d[static_cast<size_t>(b)];
  std::vector<int> path;
  for (int v = b; v >= 0; v = pred[static_cast<size_t>(v)]) path.push_back(v);
  return path;
}

}  // namespace

double SkeletonLength(const cv::Mat& thin) { return Graph(thin).Length(); }

std::vector<std::vector<cv::Point>> SkeletonBranches(const RidgeSkeleton& skeleton) {
  const Graph g(skeleton.thin);
  const size_t n = g.pts.size();
  auto junction = [&](int i) { return g.adj[static_cast<size_t>(i)].size() >= 3; };
  std::vector<char> visited(n, 0);
  std::vector<std::vector<cv::Point>> out;
  for (size_t i = 0; i < n; ++i) {
    if (visited[i] || junction(static_cast<int>(i))) continue;
    visited[i] = 1;
    std::vector<int> seq{static_cast<int>(i)};
    for (size_t dir = 0; dir < 2 && dir < g.adj[i].size(); ++dir) {
      std::vector<int> part;
      int prev = static_cast<int>(i), cur = g.adj[i][dir].first;
      while (cur >= 0) {
        if (visited[static_cast<size_t>(cur)] && !junction(cur)) break;  // closed loop
        part.push_back(cur);
        if (junction(cur)) break;
        visited[static_cast<size_t>(cur)] = 1;
        int next = -1;
        for (const auto& e : g.adj[static_cast<size_t>(cur)])
          if (e.first != prev) next = e.first;
        prev = cur;
        cur = next;
      }
      if (dir == 0) {
        seq.insert(seq.begin(), part.rbegin(), part.rend());
      } else {
        seq.insert(seq.end(), part.begin(), part.end());
      }
    }
    std::vector<cv::Point> b;
    for (int v : seq) b.push_back(g.pts[static_cast<size_t>(v)] + skeleton.origin);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<RidgeComponent> SkeletonPaths(const RidgeSkeleton& skeleton, double min_length_px) {
  std::vector<RidgeComponent> out;
  cv::Mat bin = skeleton.thin.clone();
  for (int iter = 0; iter < 64; ++iter) {
    const Graph g(bin);
    std::vector<char> seen(g.pts.size(), 0);
    bool found = false;
    for (size_t i = 0; i < g.pts.size(); ++i) {
      if (seen[i]) continue;
      std::vector<int> pred;
      const std::vector<double> d = g.Distances(static_cast<int>(i), &pred);
      for (size_t j = 0; j < d.size(); ++j)
        if (std::isfinite(d[j])) seen[j] = 1;
      double length = 0.0;
      const std::vector<int> path = LongestPath(g, static_cast<int>(i), &length);
      if (length < min_length_px || path.size() < 2) continue;
      RidgeComponent c;
      c.length_px = length;
      for (int v : path) {
        c.path.push_back(g.pts[static_cast<size_t>(v)] + skeleton.origin);
        bin.at<unsigned char>(g.pts[static_cast<size_t>(v)]) = 0;
      }
      out.push_back(std::move(c));
      found = true;
    }
    if (!found) break;
  }
  return out;
}

std::vector<RidgeSkeleton> TraceRidges(const cv::Mat& centres, const cv::Mat& strength, float high,
                                       double min_length_px, double spur_px) {
  // 8-connected components from row runs (the centres are sparse: no label image). Runs of
  // adjacent rows are joined when they overlap or touch diagonally (union-find).
  struct Run {
    int y, x0, x1;  // [x0, x1)
  };
  std::vector<Run> runs;
  std::vector<int> row_start(static_cast<size_t>(centres.rows) + 1, 0);
  for (int y = 0; y < centres.rows; ++y) {
    row_start[static_cast<size_t>(y)] = static_cast<int>(runs.size());
    const unsigned char* r = centres.ptr<unsigned char>(y);
    const int w = centres.cols;
    for (int x = 0; x < w;) {
      if (x + 8 <= w) {
        std::uint64_t word;
        std::memcpy(&word, r + x, 8);
        if (word == 0) {
          x += 8;
          continue;
        }
      }
      if (r[x] == 0) {
        ++x;
        continue;
      }
      const int x0 = x;
      while (x < w && r[x] != 0) ++x;
      runs.push_back({y, x0, x});
    }
  }
  row_start[static_cast<size_t>(centres.rows)] = static_cast<int>(runs.size());
  std::vector<int> parent(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) parent[i] = static_cast<int>(i);
  auto find = [&](int i) {
    while (parent[static_cast<size_t>(i)] != i) {
      parent[static_cast<size_t>(i)] = parent[static_cast<size_t>(parent[static_cast<size_t>(i)])];
      i = parent[static_cast<size_t>(i)];
    }
    return i;
  };
  for (int y = 1; y < centres.rows; ++y) {
    int j = row_start[static_cast<size_t>(y - 1)];
    const int j_end = row_start[static_cast<size_t>(y)];
    for (int i = row_start[static_cast<size_t>(y)]; i < row_start[static_cast<size_t>(y) + 1];
         ++i) {
      const Run& cur = runs[static_cast<size_t>(i)];
      while (j < j_end && runs[static_cast<size_t>(j)].x1 < cur.x0) ++j;  // ends left of x0 - 1
      for (int k = j; k < j_end && runs[static_cast<size_t>(k)].x0 <= cur.x1; ++k) {
        const int a = find(i), b = find(k);
        if (a != b) parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
      }
    }
  }
  // Components in raster order of their first pixel (the root is the first run).
  std::vector<int> comp(runs.size(), -1);
  std::vector<std::vector<int>> members;
  for (size_t i = 0; i < runs.size(); ++i) {
    const int root = find(static_cast<int>(i));
    if (comp[static_cast<size_t>(root)] < 0) {
      comp[static_cast<size_t>(root)] = static_cast<int>(members.size());
      members.emplace_back();
    }
    members[static_cast<size_t>(comp[static_cast<size_t>(root)])].push_back(static_cast<int>(i));
  }
  const int min_pixels = static_cast<int>(min_length_px / kSqrt2);
  std::vector<RidgeSkeleton> out;
  for (const std::vector<int>& m : members) {
    int area = 0, x0 = centres.cols, x1 = 0, y0 = centres.rows, y1 = 0;
    float peak = 0.0f;
    for (int i : m) {
      const Run& r = runs[static_cast<size_t>(i)];
      area += r.x1 - r.x0;
      x0 = std::min(x0, r.x0), x1 = std::max(x1, r.x1);
      y0 = std::min(y0, r.y), y1 = std::max(y1, r.y + 1);
      if (!strength.empty()) {
        const float* s = strength.ptr<float>(r.y);
        for (int x = r.x0; x < r.x1; ++x) peak = std::max(peak, std::abs(s[x]));
      }
    }
    if ((!strength.empty() && peak < high) || area < min_pixels) continue;
    const cv::Rect box(x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2);
    cv::Mat mask = cv::Mat::zeros(box.size(), CV_8UC1);
    for (int i : m) {
      const Run& r = runs[static_cast<size_t>(i)];
      std::memset(mask.ptr<unsigned char>(r.y - box.y) + (r.x0 - box.x), 255,
                  static_cast<size_t>(r.x1 - r.x0));
    }
    RidgeSkeleton sk;
    skintrack::internal::ThinZhangSuen(mask, &sk.thin);
    sk.origin = box.tl();
    for (int iter = 0; iter < 3 && spur_px > 0.0; ++iter) {
      if (!PruneSpurs(Graph(sk.thin), spur_px, &sk.thin)) break;
    }
    if (SkeletonLength(sk.thin) >= min_length_px) out.push_back(std::move(sk));
  }
  return out;
}

}  // namespace skintrack::metrics::internal
