// Pores: scale-space dark blobs of Weber darkness, sized at half darkness (docs/metrics.md).
//
// 1. Background B: Gaussian (sigma 4 x pore_radius_max) of cell means of linear Y over the ROI,
//    cells darker than 0.9 B raised to 0.9 B and the Gaussian repeated (blob_background.h).
// 2. Weber darkness D = 1 - Y / B; scale-normalised DoG of D over radii
//    pore_radius_min .. pore_radius_max (3 scales per octave); 3D local maxima inside the ROI
//    with a response >= 0.5 x the response of a disc of darkness pore_min_darkness and >= 4.5
//    x the robust spread of the response at that scale over the tile (the skin's texture).
// 3. Each maximum (the same blob found at two adjacent octaves counted once) is measured on Y
//    against its own surround (blob_measure.h): darkness 1 - Y_centre / Y_surround >=
//    pore_min_darkness (less 0.005 of rounding), an isolated half-darkness component (not a
//    line, an edge or a texture valley), axis ratio <= 2.5 (marginal pores: up to
//    kPairedMaxAxisRatio, sized then by their minor axis), diameter 2 sqrt(area / pi) at most
//    5 x pore_radius_max (2R for a disc whose darkness halves at R).
// 4. Non-maximum suppression: in order of DoG response, a pore is dropped when its centre lies
//    within the radius of an already accepted one.
#include <algorithm>
#include <cmath>
#include <vector>

#include "metrics/blob_detect.h"
#include "metrics/blob_measure.h"
#include "metrics/families.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kDiscResponse = 0.65;  // normalised DoG peak of a flat disc of darkness 1
constexpr double kTextureSignificance = 4.5;

// Accepted centres on a grid of `cell` px, for neighbour queries within one cell.
class CentreGrid {
 public:
  CentreGrid(cv::Size size, double cell)
      : cell_(std::max(1, static_cast<int>(std::ceil(cell)))),
        w_(size.width / cell_ + 1),
        h_(size.height / cell_ + 1),
        bins_(static_cast<size_t>(w_) * h_) {}
  // Whether an entry lies within max(r, its radius, 1 px) of (x, y); radii must be <= cell.
  bool Near(double x, double y, double r) const {
    const int gx = static_cast<int>(x) / cell_, gy = static_cast<int>(y) / cell_;
    for (int j = std::max(0, gy - 1); j <= std::min(h_ - 1, gy + 1); ++j) {
      for (int i = std::max(0, gx - 1); i <= std::min(w_ - 1, gx + 1); ++i) {
        for (const cv::Vec3d& e : bins_[static_cast<size_t>(j) * w_ + i]) {
          const double lim = std::max({r, e[2], 1.0});
          if ((e[0] - x) * (e[0] - x) + (e[1] - y) * (e[1] - y) < lim * lim) return true;
        }
      }
    }
    return false;
  }
  void Add(double x, double y, double r) {
    bins_[static_cast<size_t>(static_cast<int>(y) / cell_) * w_ + static_cast<int>(x) / cell_]
        .push_back({x, y, r});
  }

 private:
  int cell_, w_, h_;
  std::vector<std::vector<cv::Vec3d>> bins_;
};

// Measures `candidates` (sorted by response) on `y`, each with the darkness gate `min_darkness`,
// in raster order of 32-row bands (neighbours' windows share cache lines).
std::vector<BlobFit> MeasureAll(const cv::Mat& y, const std::vector<BlobCandidate>& candidates,
                                double min_darkness, double limit_scale) {
  std::vector<int> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const int ba = static_cast<int>(candidates[a].y) / 32;
    const int bb = static_cast<int>(candidates[b].y) / 32;
    return ba != bb ? ba < bb : candidates[a].x < candidates[b].x;
  });
  std::vector<BlobFit> fits(candidates.size());
  cv::parallel_for_(cv::Range(0, static_cast<int>(order.size())), [&](const cv::Range& r) {
    for (int k = r.start; k < r.end; ++k)
      fits[order[k]] = MeasureDarkBlob(y, candidates[order[k]], min_darkness, limit_scale);
  });
  return fits;
}

}  // namespace

Status MeasurePores(const Context& ctx, const MetricsOptions& o, PoreMetrics* out,
                    std::vector<Pore>* detections, std::vector<Pore>* marginal) {
  *out = PoreMetrics();
  const cv::Mat& y = ctx.linear_y;
  const double r_min = ctx.Px(o.pore_radius_min_mm), r_max = ctx.Px(o.pore_radius_max_mm);
  const double relax = marginal != nullptr ? kPairedPoreRelax : 1.0;
  const CoarseField background = LocalBackground(y, ctx.roi, 4.0 * r_max, 0.9);
  BlobScaleSpace space;
  space.radius_min_px = r_min;
  space.radius_max_px = r_max;
  space.min_response = 0.5 * kDiscResponse * o.pore_min_darkness;
  space.significance = kTextureSignificance;
  space.relaxed = relax;
  std::vector<BlobCandidate> found = DetectDarkBlobs(y, background, ctx.roi, space);

  // The same blob found at two adjacent octaves: keep the stronger. The full candidates first
  // (so that they are exactly those of a detection without relaxation), then the relaxed ones.
  std::vector<BlobCandidate> candidates;
  CentreGrid seen(y.size(), r_max);
  for (int pass = 0; pass < (marginal != nullptr ? 2 : 1); ++pass) {
    for (const BlobCandidate& c : found) {
      if (c.full != (pass == 0)) continue;
      const double r = 0.5 * std::min(c.radius, r_max);
      if (seen.Near(c.x, c.y, r)) continue;
      seen.Add(c.x, c.y, r);
      candidates.push_back(c);
    }
  }
  // Measured once with the relaxed darkness gate and isolation limit; the full gates are those
  // and PassesDarkness and BlobFit::isolated.
  const std::vector<BlobFit> fits = MeasureAll(y, candidates, relax * o.pore_min_darkness,
                                               marginal != nullptr ? kPairedIsolationRelax : 1.0);

  // Non-maximum suppression, in order of response: the counted pores, then (when asked) the
  // marginal ones away from every counted and marginal pore.
  std::vector<Pore> pores;
  const double reach = 2.5 * r_max;
  CentreGrid accepted(y.size(), reach);
  for (int pass = 0; pass < (marginal != nullptr ? 2 : 1); ++pass) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      const BlobFit& f = fits[i];
      if (!f.ok || f.elongation > (marginal != nullptr ? kPairedMaxAxisRatio : kPoreMaxAxisRatio))
        continue;
      const bool full = candidates[i].full && PassesDarkness(f, o.pore_min_darkness) &&
                        f.isolated && f.elongation <= kPoreMaxAxisRatio;
      if (full != (pass == 0)) continue;
      // (A marginal pore stretched past the counted axis ratio: the disc of its minor axis.)
      const double rad = PoreRadius(f.area_px, f.elongation);
      if (rad > reach || f.x < 0 || f.y < 0 || f.x >= y.cols || f.y >= y.rows) continue;
      if (accepted.Near(f.x, f.y, rad)) continue;
      accepted.Add(f.x, f.y, rad);
      Pore pore{f.x, f.y, 2.0 * rad, f.darkness};
      pore.scale_px = candidates[i].radius;
      (pass == 0 ? pores : *marginal).push_back(pore);
    }
  }
  *out = PoreMetricsOf(pores, ctx.roi_area_px, ctx.px_per_mm, ctx.scale_known, o);
  if (detections != nullptr) *detections = std::move(pores);
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal

namespace skintrack::metrics {

PoreMetrics PoreMetricsOf(const std::vector<Pore>& pores, long long roi_area_px, double px_per_mm,
                          bool scale_known, const MetricsOptions& o) {
  PoreMetrics out;
  out.count = static_cast<int>(pores.size());
  const double mm_per_px = 1.0 / px_per_mm;
  const double roi_cm2 = roi_area_px * mm_per_px * mm_per_px / 100.0;
  double sum_d = 0, sum_area = 0;
  int visible = 0;
  std::vector<double> diam;
  for (const Pore& p : pores) {
    sum_d += p.diameter_px;
    sum_area += CV_PI * 0.25 * p.diameter_px * p.diameter_px;
    diam.push_back(p.diameter_px);
    if (p.diameter_px * mm_per_px >= o.pore_visible_diameter_mm) ++visible;
  }
  if (roi_area_px > 0) out.area_fraction = sum_area / static_cast<double>(roi_area_px);
  if (!pores.empty()) out.mean_diameter_px = sum_d / pores.size();
  if (scale_known) {
    if (roi_cm2 > 0.0) {
      out.density_per_cm2 = out.count / roi_cm2;
      out.visible_density_per_cm2 = visible / roi_cm2;
    }
    if (!pores.empty()) {
      std::sort(diam.begin(), diam.end());
      const size_t n = diam.size();
      const double med = n % 2 ? diam[n / 2] : 0.5 * (diam[n / 2 - 1] + diam[n / 2]);
      out.mean_diameter_mm = out.mean_diameter_px * mm_per_px;
      out.median_diameter_mm = med * mm_per_px;
    }
  }
  return out;
}

}  // namespace skintrack::metrics
