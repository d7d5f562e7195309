// Pores: scale-space dark blobs of Weber darkness, sized at half darkness (docs/metrics.md).
//
// 1. Background B: a Gaussian (sigma 4 x pore_radius_max) of 0.5 x pore_radius_max cell
//    means of linear Y over the ROI, with cells darker than 0.9 B raised to 0.9 B and the
//    Gaussian repeated, so pores and other dark spots do not pull it down.
// 2. Weber darkness D = 1 - Y / B; scale-normalised DoG of D over radii
//    pore_radius_min .. pore_radius_max (3 scales per octave); 3D local maxima inside the ROI.
// 3. Each maximum is measured on Y against its own surround (blob_measure.h): darkness
//    1 - Y_centre / Y_surround >= pore_min_darkness, an isolated half-darkness component
//    (not a line, edge or texture valley), axis ratio <= 2.5, diameter 2 sqrt(area / pi) at
//    most 2.5 x pore_radius_max.
// 4. Non-maximum suppression: in order of DoG response, a pore is dropped when its centre lies
//    within the radius of an already accepted one.
#include <algorithm>
#include <cmath>
#include <vector>
#include <chrono>
#include <cstdlib>
#include <cstdio>

#include "metrics/blob_detect.h"
#include "metrics/blob_measure.h"
#include "metrics/families.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kDiscResponse = 0.65;  // normalised DoG peak of a flat disc of darkness 1
constexpr double kMaxAxisRatio = 2.5;
constexpr double kTextureSignificance = 4.5;

}  // namespace

Status MeasurePores(const Context& ctx, const MetricsOptions& o, PoreMetrics* out,
                    std::vector<Pore>* detections) {
  *out = PoreMetrics();
  std::vector<Pore> pores;
  const cv::Mat& y = ctx.linear_y;
  const double r_min = ctx.Px(o.pore_radius_min_mm), r_max = ctx.Px(o.pore_radius_max_mm);
  const int cell = std::max(1, static_cast<int>(std::lround(0.5 * r_max)));
  const CoarseField background = LocalBackground(y, ctx.roi, cell, 4.0 * r_max, 0.9);
  BlobScaleSpace space;
  space.radius_min_px = r_min;
  space.radius_max_px = r_max;
  space.min_response = 0.5 * kDiscResponse * o.pore_min_darkness;
  std::vector<double> spread;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<BlobCandidate> candidates = DetectDarkBlobs(y, background, ctx.roi, space, &spread);
  const auto t1 = std::chrono::steady_clock::now();
  const double kappa = std::getenv("KAPPA") ? std::atof(std::getenv("KAPPA")) : kTextureSignificance;
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const BlobCandidate& c) {
                                    return c.response < kappa * spread[c.level];
                                  }),
                   candidates.end());

  std::vector<BlobFit> fits(candidates.size());
  cv::parallel_for_(cv::Range(0, static_cast<int>(candidates.size())), [&](const cv::Range& r) {
    for (int i = r.start; i < r.end; ++i)
      fits[i] = MeasureDarkBlob(y, candidates[i], o.pore_min_darkness);
  });

  const auto t2 = std::chrono::steady_clock::now();
  if (std::getenv("TIMING"))
    std::printf("detect %.3f s, measure %zu: %.3f s\n",
                std::chrono::duration<double>(t1 - t0).count(), candidates.size(),
                std::chrono::duration<double>(t2 - t1).count());
  // Non-maximum suppression on a grid of accepted centres.
  const double reach = 2.5 * r_max;
  const int gcell = std::max(4, static_cast<int>(std::ceil(reach)));
  const int gw = y.cols / gcell + 1, gh = y.rows / gcell + 1;
  std::vector<std::vector<int>> grid(static_cast<size_t>(gw) * gh);
  std::vector<double> radius;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const BlobFit& f = fits[i];
    if (!f.ok || f.elongation > kMaxAxisRatio) continue;
    const double rad = std::sqrt(f.area_px / CV_PI);
    if (rad > reach) continue;
    const int gx = static_cast<int>(f.x) / gcell, gy = static_cast<int>(f.y) / gcell;
    bool taken = false;
    for (int j = std::max(0, gy - 1); j <= std::min(gh - 1, gy + 1) && !taken; ++j) {
      for (int i2 = std::max(0, gx - 1); i2 <= std::min(gw - 1, gx + 1) && !taken; ++i2) {
        for (int p : grid[static_cast<size_t>(j) * gw + i2]) {
          const double lim = std::max({rad, radius[p], 1.0});
          if (std::hypot(pores[p].x - f.x, pores[p].y - f.y) < lim) {
            taken = true;
            break;
          }
        }
      }
    }
    if (taken) continue;
    grid[static_cast<size_t>(gy) * gw + gx].push_back(static_cast<int>(pores.size()));
    radius.push_back(rad);
    pores.push_back({f.x, f.y, 2.0 * rad, std::getenv("SPREAD") ? candidates[i].response / spread[candidates[i].level] / 40.0 : f.darkness});
  }

  // Metrics.
  out->count = static_cast<int>(pores.size());
  const double mm_per_px = 1.0 / ctx.px_per_mm;
  const double roi_cm2 = ctx.roi_area_px * mm_per_px * mm_per_px / 100.0;
  double sum_d = 0, sum_area = 0;
  int visible = 0;
  std::vector<double> diam;
  for (const Pore& p : pores) {
    sum_d += p.diameter_px;
    sum_area += CV_PI * 0.25 * p.diameter_px * p.diameter_px;
    diam.push_back(p.diameter_px);
    if (p.diameter_px * mm_per_px >= o.pore_visible_diameter_mm) ++visible;
  }
  if (ctx.roi_area_px > 0) out->area_fraction = sum_area / static_cast<double>(ctx.roi_area_px);
  if (!pores.empty()) out->mean_diameter_px = sum_d / pores.size();
  if (ctx.scale_known) {
    if (roi_cm2 > 0.0) {
      out->density_per_cm2 = out->count / roi_cm2;
      out->visible_density_per_cm2 = visible / roi_cm2;
    }
    if (!pores.empty()) {
      std::sort(diam.begin(), diam.end());
      const size_t n = diam.size();
      const double med = n % 2 ? diam[n / 2] : 0.5 * (diam[n / 2 - 1] + diam[n / 2]);
      out->mean_diameter_mm = out->mean_diameter_px * mm_per_px;
      out->median_diameter_mm = med * mm_per_px;
    }
  }
  if (detections != nullptr) *detections = std::move(pores);
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
