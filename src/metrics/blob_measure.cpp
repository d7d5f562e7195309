// Sizing of one dark blob at half darkness (see blob_measure.h).
#include "metrics/blob_measure.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace skintrack::metrics::internal {

BlobFit MeasureDarkBlob(const cv::Mat& y, const BlobCandidate& c, double min_darkness) {
  BlobFit fit;
  const double r = std::max(1.0, c.radius);
  const double ann_in = 1.5 * r + 1.5, ann_out = 2.5 * r + 3.0, limit = 2.0 * r + 1.5;
  const double in2 = ann_in * ann_in, out2 = ann_out * ann_out, limit2 = limit * limit;
  const int half = static_cast<int>(std::ceil(ann_out)) + 1;
  const int cx = static_cast<int>(std::lround(c.x)), cy = static_cast<int>(std::lround(c.y));
  const cv::Rect win = cv::Rect(cx - half, cy - half, 2 * half + 1, 2 * half + 1) &
                       cv::Rect(0, 0, y.cols, y.rows);
  if (win.width < 3 || win.height < 3) return fit;

  // Surround (median over the annulus) and centre (darkest pixel within 1 px).
  std::vector<float> ring;
  ring.reserve(static_cast<size_t>(win.area()));
  float yc = 1e30f;
  cv::Point seed(-1, -1);
  for (int r_ = win.y; r_ < win.y + win.height; ++r_) {
    const float* row = y.ptr<float>(r_);
    for (int x = win.x; x < win.x + win.width; ++x) {
      const double d2 = (x - c.x) * (x - c.x) + (r_ - c.y) * (r_ - c.y);
      if (d2 >= in2 && d2 <= out2) ring.push_back(row[x]);
      if (d2 <= 1.0 && row[x] < yc) {
        yc = row[x];
        seed = cv::Point(x, r_);
      }
    }
  }
  if (ring.size() < 8 || seed.x < 0) return fit;
  std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
  const float ys = ring[ring.size() / 2];
  if (!(ys > 0.0f)) return fit;
  for (float& v : ring) v = std::abs(v / ys - 1.0f);
  std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
  fit.spread = 1.4826 * ring[ring.size() / 2];
  fit.darkness = 1.0 - yc / ys;
  if (fit.darkness < min_darkness) return fit;
  const float yt = 0.5f * (yc + ys), depth = ys - yc;

  // 8-connected component of Y <= yt grown from the seed, within `limit` of the centre.
  cv::Mat1b state(win.size(), 0);  // 1 = in component, 2 = ring
  std::vector<cv::Point> stack{seed - win.tl()}, comp;
  state(seed - win.tl()) = 1;
  bool leaked = false;
  while (!stack.empty()) {
    const cv::Point p = stack.back();
    stack.pop_back();
    comp.push_back(p);
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const cv::Point q(p.x + dx, p.y + dy);
        if (q.x < 0 || q.y < 0 || q.x >= win.width || q.y >= win.height) continue;
        if (state(q) == 1) continue;
        const float v = y.at<float>(q.y + win.y, q.x + win.x);
        if (v > yt) continue;
        const double ex = q.x + win.x - c.x, ey = q.y + win.y - c.y;
        if (ex * ex + ey * ey > limit2) {
          leaked = true;
          continue;
        }
        state(q) = 1;
        stack.push_back(q);
      }
    }
  }
  if (leaked) return fit;

  // Sub-pixel area, centroid and second moments over the component and its outer ring.
  double sw = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  auto add = [&](int px, int py) {
    const float v = y.at<float>(py + win.y, px + win.x);
    const double w = std::clamp(0.5 + (yt - v) / depth, 0.0, 1.0);
    const double gx = px + win.x, gy = py + win.y;
    sw += w;
    sx += w * gx;
    sy += w * gy;
    sxx += w * gx * gx;
    syy += w * gy * gy;
    sxy += w * gx * gy;
  };
  for (const cv::Point& p : comp) {
    add(p.x, p.y);
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const cv::Point q(p.x + dx, p.y + dy);
        if (q.x < 0 || q.y < 0 || q.x >= win.width || q.y >= win.height || state(q) != 0)
          continue;
        state(q) = 2;
        add(q.x, q.y);
      }
    }
  }
  if (!(sw > 0.0)) return fit;
  fit.x = sx / sw;
  fit.y = sy / sw;
  fit.area_px = sw;
  const double mxx = sxx / sw - fit.x * fit.x, myy = syy / sw - fit.y * fit.y;
  const double mxy = sxy / sw - fit.x * fit.y;
  const double tr = 0.5 * (mxx + myy), det = std::sqrt(0.25 * (mxx - myy) * (mxx - myy) + mxy * mxy);
  const double l1 = tr + det, l2 = std::max(1e-9, tr - det);
  fit.elongation = std::sqrt(std::max(l1, 0.0) / l2);
  fit.ok = true;
  return fit;
}

}  // namespace skintrack::metrics::internal
