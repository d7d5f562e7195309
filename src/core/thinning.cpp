// Zhang-Suen thinning: only the foreground pixels are visited, in raster order per
// subiteration, and the removals of one subiteration are applied together at its end.
#include "core/thinning.h"

#include <cstdint>
#include <vector>

namespace skintrack::internal {

void ThinZhangSuen(const cv::Mat& mask, cv::Mat* thin) {
  CV_Assert(mask.type() == CV_8UC1 && thin != nullptr);
  const int rows = mask.rows, cols = mask.cols;
  cv::Mat img(rows, cols, CV_8UC1);
  std::vector<cv::Point> fg;  // removable candidates: foreground pixels off the border
  for (int y = 0; y < rows; ++y) {
    const std::uint8_t* m = mask.ptr<std::uint8_t>(y);
    std::uint8_t* o = img.ptr<std::uint8_t>(y);
    for (int x = 0; x < cols; ++x) {
      o[x] = m[x] >= 128 ? 1 : 0;  // ximgproc: saturate(v / 255), rounding to nearest
      if (o[x] && y > 0 && x > 0 && y < rows - 1 && x < cols - 1) fg.emplace_back(x, y);
    }
  }
  std::vector<cv::Point> removed;
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      removed.clear();
      size_t kept = 0;
      for (const cv::Point& p : fg) {
        const std::uint8_t* up = img.ptr<std::uint8_t>(p.y - 1) + p.x;
        const std::uint8_t* mid = img.ptr<std::uint8_t>(p.y) + p.x;
        const std::uint8_t* dn = img.ptr<std::uint8_t>(p.y + 1) + p.x;
        if (!mid[0]) continue;
        // Neighbours clockwise from north: p2 N, p3 NE, p4 E, p5 SE, p6 S, p7 SW, p8 W, p9 NW.
        const int n[8] = {up[0], up[1], mid[1], dn[1], dn[0], dn[-1], mid[-1], up[-1]};
        int b = 0, a = 0;
        for (int i = 0; i < 8; ++i) {
          b += n[i];
          a += (n[i] == 0 && n[(i + 1) & 7] == 1);
        }
        const int p2 = n[0], p4 = n[2], p6 = n[4], p8 = n[6];
        const bool m1 = pass == 0 ? (p2 && p4 && p6) : (p2 && p4 && p8);
        const bool m2 = pass == 0 ? (p4 && p6 && p8) : (p2 && p6 && p8);
        if (a == 1 && b >= 2 && b <= 6 && !m1 && !m2) {
          removed.push_back(p);
        } else {
          fg[kept++] = p;
        }
      }
      fg.resize(kept);
      for (const cv::Point& p : removed) img.at<std::uint8_t>(p) = 0;
      changed = changed || !removed.empty();
    }
  }
  *thin = img * 255;
}

}  // namespace skintrack::internal
