// Line tracking with oriented templates (see ridge_track.h).
#include "metrics/ridge_track.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <opencv2/imgproc.hpp>

namespace skintrack::metrics::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kBins = kAngleBins;
// Seed candidates are first tested on every 4th template point against this x the seed level.
constexpr float kQuickSeedFraction = 0.6f;

int NormalBin(double direction) {  // direction of travel (radians) -> normal angle bin
  double t = std::fmod(direction + 0.5 * kPi, kPi);
  if (t < 0.0) t += kPi;
  return static_cast<int>(std::lround(t * kBins / kPi)) & (kBins - 1);
}

struct TrackPoint {
  cv::Point2d p;
  double direction;
  int scale;
  float lc;  // oriented contrast (sign applied)
};

}  // namespace

LineTemplates::LineTemplates(const RidgeMap& map, const cv::Mat& exclude, double half_length,
                             double half_length_per_sigma)
    : map_(map), exclude_(exclude) {
  const size_t ns = map.sigmas.size();
  taps_.resize(ns * kBins);
  reach_.assign(ns, 0);
  level_reach_.assign(ns, 0);
  for (size_t i = 0; i < ns; ++i) {
    const int level = map.levels[i];
    const double f = 1.0 / (1 << level);
    const double d = 2.5 * map.sigmas[i];
    const double half = std::max(half_length, half_length_per_sigma * map.sigmas[i]);
    const int k = static_cast<int>(std::lround(half * f));
    for (int a = 0; a < kBins; ++a) {
      const double th = a * kPi / kBins;
      const cv::Point2d n(std::cos(th), std::sin(th)), e(-n.y, n.x);
      std::vector<Tap>& taps = taps_[i * kBins + static_cast<size_t>(a)];
      for (int j = -k; j <= k; ++j) {
        const cv::Point2d c = e * (j / f);  // input px
        const cv::Point2d s[3] = {c, c + n * d, c - n * d};
        Tap tap{};
        for (int m = 0; m < 3; ++m) {
          tap.dx[m] = static_cast<int>(std::lround(s[m].x * f));
          tap.dy[m] = static_cast<int>(std::lround(s[m].y * f));
          tap.ex[m] = static_cast<int>(std::lround(s[m].x));
          tap.ey[m] = static_cast<int>(std::lround(s[m].y));
          reach_[i] = std::max({reach_[i], std::abs(tap.ex[m]), std::abs(tap.ey[m])});
          level_reach_[i] = std::max({level_reach_[i], std::abs(tap.dx[m]), std::abs(tap.dy[m])});
          tap.goff[m] = tap.dy[m] * static_cast<int>(map.smoothed[i].step1()) + tap.dx[m];
          tap.eoff[m] =
              exclude.empty() ? 0 : tap.ey[m] * static_cast<int>(exclude.step1()) + tap.ex[m];
        }
        taps.push_back(tap);
      }
    }
    reach_[i] += (1 << level) + 1;
  }
}

float LineTemplates::Contrast(int scale, int angle, int x, int y) const {
  const int level = map_.levels[static_cast<size_t>(scale)];
  if (level == 0) return At(scale, angle, x, y, x, y);
  // Coarse level: bilinear between the four level pixels around (x, y) / 2^level, so that
  // the response varies smoothly with the input position.
  const double f = 1.0 / (1 << level), fx = x * f, fy = y * f;
  const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
  const double ax = fx - x0, ay = fy - y0;
  double sum = 0.0;
  for (int b = 0; b < 2; ++b)
    for (int a = 0; a < 2; ++a) {
      const double wgt = (a ? ax : 1.0 - ax) * (b ? ay : 1.0 - ay);
      if (wgt > 0.0) sum += wgt * At(scale, angle, x, y, x0 + a, y0 + b);
    }
  return static_cast<float>(sum);
}

float LineTemplates::ContrastNearest(int scale, int angle, int x, int y, int stride) const {
  const int level = map_.levels[static_cast<size_t>(scale)], half = (1 << level) >> 1;
  return At(scale, angle, x, y, (x + half) >> level, (y + half) >> level, stride);
}

float LineTemplates::At(int scale, int angle, int x, int y, int xl, int yl, int stride) const {
  const size_t i = static_cast<size_t>(scale);
  const cv::Mat& g = map_.smoothed[i];
  const int level = map_.levels[i];
  const std::vector<Tap>& taps = taps_[i * kBins + static_cast<size_t>(angle & (kBins - 1))];
  const int r = reach_[i];
  const int cols = exclude_.empty() ? (g.cols << level) : exclude_.cols;
  const int rows = exclude_.empty() ? (g.rows << level) : exclude_.rows;
  // The fast path reads without clamping: every tap inside the exclusion mask (input px) and
  // inside the level image (level px; on a coarse level the bilinear neighbour and the taps'
  // rounding can reach a level pixel past the input-px margin).
  const int lr = level_reach_[i];
  const bool inside = x >= r && y >= r && x + r < cols && y + r < rows && xl >= lr && yl >= lr &&
                      xl + lr < g.cols && yl + lr < g.rows;
  double sum = 0.0;
  int used = 0;
  if (inside) {  // fast path: precomputed linear offsets
    const float* gp = g.ptr<float>(yl) + xl;
    const unsigned char* ep = exclude_.empty() ? nullptr : exclude_.ptr<unsigned char>(y) + x;
    int tried = 0;
    for (size_t j = (taps.size() / 2) % static_cast<size_t>(stride); j < taps.size();
         j += static_cast<size_t>(stride), ++tried) {
      const Tap& t = taps[j];
      if (ep != nullptr && (ep[t.eoff[0]] | ep[t.eoff[1]] | ep[t.eoff[2]])) continue;
      sum += 0.5f * (gp[t.goff[1]] + gp[t.goff[2]]) - gp[t.goff[0]];
      ++used;
    }
    return 2 * used >= tried ? static_cast<float>(sum / used) : 0.0f;
  }
  for (const Tap& t : taps) {
    if (!exclude_.empty()) {
      bool skip = false;
      for (int m = 0; m < 3 && !skip; ++m) {
        const int ex = std::min(std::max(x + t.ex[m], 0), exclude_.cols - 1);
        const int ey = std::min(std::max(y + t.ey[m], 0), exclude_.rows - 1);
        skip = exclude_.at<unsigned char>(ey, ex) != 0;
      }
      if (skip) continue;
    }
    float v[3];
    for (int m = 0; m < 3; ++m) {
      const int gx = std::min(std::max(xl + t.dx[m], 0), g.cols - 1);
      const int gy = std::min(std::max(yl + t.dy[m], 0), g.rows - 1);
      v[m] = g.at<float>(gy, gx);
    }
    sum += 0.5 * (v[1] + v[2]) - v[0];
    ++used;
  }
  return 2 * used >= static_cast<int>(taps.size()) ? static_cast<float>(sum / used) : 0.0f;
}

float TemplateNoise(const LineTemplates& lt, const cv::Mat& roi, cv::Size size, int scale) {
  const int step = std::max(4, static_cast<int>(std::sqrt(size.area() / 20000.0)));
  std::vector<float> v;
  for (int y = step / 2; y < size.height; y += step)
    for (int x = step / 2; x < size.width; x += step)
      if (roi.empty() || roi.at<unsigned char>(y, x))
        for (int a = 0; a < kBins; a += kBins / 4) v.push_back(lt.Contrast(scale, a, x, y));
  if (v.empty()) return 0.0f;
  auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  const float med = *mid;
  for (float& x : v) x = std::abs(x - med);
  std::nth_element(v.begin(), mid, v.end());
  return 1.4826f * *mid;
}

cv::Mat TrackLines(const LineTemplates& lt, const cv::Mat& roi, const TrackOptions& o,
                   RidgeMap* map) {
  const cv::Mat& strength = map->strength;
  const int w = strength.cols, h = strength.rows;
  const float sign = o.sign >= 0 ? 1.0f : -1.0f;
  // Seed candidates: the strongest pixel of each block.
  const int b = std::max(2, static_cast<int>(std::lround(o.seed_block_px)));
  struct Seed {
    float lc;
    int x, y;
  };
  std::vector<Seed> seeds;
  std::mutex mutex;
  const int block_rows = (h + b - 1) / b;
  cv::parallel_for_(cv::Range(0, block_rows), [&](const cv::Range& r) {
    std::vector<Seed> local;
    std::vector<float> best;
    std::vector<int> at;
    for (int br = r.start; br < r.end; ++br) {
      const int nb = (w + b - 1) / b;
      best.assign(static_cast<size_t>(nb), o.seed_strength);
      at.assign(static_cast<size_t>(nb), -1);
      for (int y = br * b; y < std::min(br * b + b, h); ++y) {
        const float* srow = strength.ptr<float>(y);
        for (int k = 0; k < nb; ++k) {
          const size_t kk = static_cast<size_t>(k);
          for (int x = k * b; x < std::min(w, k * b + b); ++x) {
            if (sign * srow[x] >= best[kk]) {
              best[kk] = sign * srow[x];
              at[kk] = y * w + x;
            }
          }
        }
      }
      for (int k = 0; k < nb; ++k) {
        if (at[static_cast<size_t>(k)] < 0) continue;
        const int sx = at[static_cast<size_t>(k)] % w, sy = at[static_cast<size_t>(k)] / w;
        if (!roi.empty() && !roi.at<unsigned char>(sy, sx)) continue;
        const int sc = map->ScaleIndex(sx, sy);
        // A quick look (every 4th template point) before the full template.
        const int bin = map->AngleBin(sx, sy);
        const float seed = o.seed[static_cast<size_t>(sc)];
        if (sign * lt.ContrastNearest(sc, bin, sx, sy, 4) < kQuickSeedFraction * seed) continue;
        const float lc = sign * lt.ContrastNearest(sc, bin, sx, sy, 1);
        if (lc >= seed) local.push_back({lc, sx, sy});
      }
    }
    const std::lock_guard<std::mutex> lock(mutex);
    seeds.insert(seeds.end(), local.begin(), local.end());
  });
  std::sort(seeds.begin(), seeds.end(), [](const Seed& a, const Seed& c) {
    return a.lc != c.lc ? a.lc > c.lc : (a.y != c.y ? a.y < c.y : a.x < c.x);
  });

  cv::Mat out = cv::Mat::zeros(strength.size(), CV_8UC1);
  cv::Mat claimed = out.clone(), tried = out.clone();
  const double max_turn = o.max_turn_deg * kPi / 180.0;
  auto usable = [&](const cv::Point2d& p) {
    const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
    return x >= 0 && y >= 0 && x < w && y < h && (roi.empty() || roi.at<unsigned char>(y, x));
  };
  // Walks from p0 in `direction`; returns the points after p0. *joined: ran into a track.
  auto walk = [&](cv::Point2d p, double direction, int scale, bool* joined) {
    std::vector<TrackPoint> pts;
    const size_t window = static_cast<size_t>(std::max(1, o.window_steps));
    const float grow = o.grow[static_cast<size_t>(scale)];
    std::vector<float> recent(window, grow);  // ring buffer of the last contrasts
    double recent_sum = grow * static_cast<double>(window);
    *joined = false;
    const int max_steps = static_cast<int>(4.0 * (w + h) / o.step_px);
    std::vector<cv::Point2d> hist{p};
    for (int step = 0; step < max_steps; ++step) {
      const cv::Point2d e(std::cos(direction), std::sin(direction)), n(-e.y, e.x);
      const cv::Point2d q = p + e * o.step_px;
      const int bin = NormalBin(direction);
      float lc[3];
      for (int j = -1; j <= 1; ++j) {
        const cv::Point2d c = q + n * static_cast<double>(j);
        lc[j + 1] = usable(c) ? sign * lt.Contrast(scale, bin, static_cast<int>(std::lround(c.x)),
                                                   static_cast<int>(std::lround(c.y)))
                              : -1e9f;
      }
      int jb = 1;
      for (int j = 0; j < 3; j += 2)
        if (lc[j] > lc[jb]) jb = j;
      const float best = lc[jb];
      if (best < -1e8f) break;
      const size_t slot = static_cast<size_t>(step) % window;
      recent_sum += best - recent[slot];
      recent[slot] = best;
      if (recent_sum < grow * static_cast<double>(window)) break;  // the line has faded
      cv::Point2d next = q;
      if (best > 0.0f) {
        // Sub-pixel re-centring: vertex of the parabola through the three samples (smooth, so
        // a wide flat-topped response does not make the track zigzag).
        double off = jb - 1.0;
        const double den = lc[0] - 2.0 * lc[1] + lc[2];
        if (lc[0] > -1e8f && lc[2] > -1e8f && den < 0.0)
          off = std::min(1.0, std::max(-1.0, 0.5 * (lc[0] - lc[2]) / den));
        next = q + n * off;
      }
      if (!usable(next)) break;
      pts.push_back({next, direction, scale, best});
      const cv::Point ip(static_cast<int>(std::lround(next.x)),
                         static_cast<int>(std::lround(next.y)));
      if (claimed.at<unsigned char>(ip)) {
        *joined = true;
        break;
      }
      hist.push_back(next);
      if (best >= grow) {
        const cv::Point2d back = hist[hist.size() > 4 ? hist.size() - 5 : 0];
        const cv::Point2d dv = next - back;
        if (cv::norm(dv) > 1e-6) {
          double turn = std::atan2(dv.y, dv.x) - direction;
          turn = std::remainder(turn, 2.0 * kPi);
          direction += std::min(max_turn, std::max(-max_turn, turn));
        }
      }
      p = next;
    }
    return pts;
  };

  for (const Seed& s : seeds) {
    if (claimed.at<unsigned char>(s.y, s.x) || tried.at<unsigned char>(s.y, s.x)) continue;
    const int scale = map->ScaleIndex(s.x, s.y);
    const double dir = map->AngleBin(s.x, s.y) * (kPi / kBins) + 0.5 * kPi;
    const cv::Point2d p0(s.x, s.y);
    bool jf = false, jb = false;
    std::vector<TrackPoint> fwd = walk(p0, dir, scale, &jf);
    std::vector<TrackPoint> bwd = walk(p0, dir + kPi, scale, &jb);
    // Ends: trimmed to where the contrast reaches end_fraction x the track's upper quartile (the
    // template reaches past a line's end), unless they joined another track.
    std::vector<float> lcs{s.lc};
    for (const TrackPoint& t : fwd) lcs.push_back(t.lc);
    for (const TrackPoint& t : bwd) lcs.push_back(t.lc);
    const size_t uq = lcs.size() * 3 / 4;  // upper quartile: the line's own level
    std::nth_element(lcs.begin(), lcs.begin() + static_cast<long>(uq), lcs.end());
    const float end_level = static_cast<float>(o.end_fraction) * lcs[uq];
    // The end point is interpolated between the last point above the level and the first below.
    const TrackPoint start{p0, dir, scale, s.lc};
    auto trim = [&](std::vector<TrackPoint>* half) {
      TrackPoint beyond{};
      bool cut = false;
      while (!half->empty() && half->back().lc < end_level) {
        beyond = half->back();
        half->pop_back();
        cut = true;
      }
      if (!cut) return;
      const TrackPoint& last = half->empty() ? start : half->back();
      const double u = (last.lc - end_level) / std::max(1e-9f, last.lc - beyond.lc);
      TrackPoint end = last;
      end.p = last.p + (beyond.p - last.p) * std::min(1.0, std::max(0.0, u));
      end.lc = end_level;
      half->push_back(end);
    };
    if (!jf) trim(&fwd);
    if (!jb) trim(&bwd);
    std::vector<TrackPoint> track(bwd.rbegin(), bwd.rend());
    track.push_back(start);
    track.insert(track.end(), fwd.begin(), fwd.end());
    double length = 0.0;
    for (size_t i = 1; i < track.size(); ++i) length += cv::norm(track[i].p - track[i - 1].p);
    const bool keep = length >= o.min_length_px;
    cv::Mat& target = keep ? out : tried;
    // Rasterised through positions averaged over +-2 points (the coarse pyramid levels place
    // points on a 2^level px grid; averaging keeps a straight line straight).
    std::vector<cv::Point> ip;
    const int np = static_cast<int>(track.size());
    for (int i = 0; i < np; ++i) {
      const int k = std::min({2, i, np - 1 - i});
      cv::Point2d m(0.0, 0.0);
      for (int j = i - k; j <= i + k; ++j) m += track[static_cast<size_t>(j)].p;
      m /= (2 * k + 1);
      ip.emplace_back(static_cast<int>(std::lround(m.x)), static_cast<int>(std::lround(m.y)));
    }
    std::vector<std::pair<cv::Point, cv::Point>> links;
    if (keep) {
      // Connect an end that ran into another track to its nearest pixel.
      for (int end = 0; end < 2; ++end) {
        if (!(end == 0 ? jb : jf)) continue;
        const cv::Point e = end == 0 ? ip.front() : ip.back();
        cv::Point best(-1, -1);
        int best_d = 1 << 30;
        for (int dy = -3; dy <= 3; ++dy)
          for (int dx = -3; dx <= 3; ++dx) {
            const cv::Point q(e.x + dx, e.y + dy);
            if (q.x < 0 || q.y < 0 || q.x >= w || q.y >= h || !claimed.at<unsigned char>(q))
              continue;
            if (out.at<unsigned char>(q) && dx * dx + dy * dy < best_d) {
              best_d = dx * dx + dy * dy;
              best = q;
            }
          }
        if (best.x >= 0) links.emplace_back(e, best);
      }
    }
    for (size_t i = 0; i < track.size(); ++i) {
      cv::LineIterator it(target, ip[i], i + 1 < ip.size() ? ip[i + 1] : ip[i], 8);
      const int bin = NormalBin(track[i].direction);
      for (int k = 0; k < it.count; ++k, ++it) {
        **it = 255;
        if (keep) map->SetTraced(it.pos().x, it.pos().y, track[i].scale, bin);
      }
    }
    if (!keep) continue;
    for (const auto& l : links) cv::line(out, l.first, l.second, 255, 1, cv::LINE_8);
    // The claimed band: the track widened by max(2 px, 1.5 sigma) each side.
    const int band = std::max(2, static_cast<int>(std::lround(1.5 * map->Sigma(scale))));
    for (size_t i = 0; i + 1 < ip.size(); ++i)
      cv::line(claimed, ip[i], ip[i + 1], 255, 2 * band + 1);
    if (ip.size() == 1) cv::circle(claimed, ip[0], band, 255, -1);
  }
  return out;
}

}  // namespace skintrack::metrics::internal
