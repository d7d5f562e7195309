// Pores guided across the two photos of a pair (GuidePores; see metrics.h and docs/metrics.md,
// "Guided across sessions").
#include <cmath>
#include <optional>
#include <vector>

#include "metrics/blob_detect.h"
#include "metrics/blob_measure.h"
#include "metrics/families.h"
#include "metrics/pore_index.h"
#include "skintrack/core/image.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics {
namespace {

using internal::PoreIndex;

// The pore a fit at one level gives when it passes the guided gates (the marginal gates, at
// least kGuidedPoreDarknessRatio of the guide's darkness, its centre inside `region` at the
// guide's place, its diameter within kPairedMaxDiameterRatio of the guide's), or nothing.
std::optional<Pore> Guided(const internal::BlobFit& f, const cv::Mat& region, const Pore& guide) {
  if (!f.ok || f.elongation > kPairedMaxAxisRatio ||
      f.darkness < kGuidedPoreDarknessRatio * guide.darkness)
    return std::nullopt;
  const int col = static_cast<int>(std::lround(f.x)), row = static_cast<int>(std::lround(f.y));
  if (col < 0 || row < 0 || col >= region.cols || row >= region.rows ||
      region.at<uchar>(row, col) == 0)
    return std::nullopt;
  Pore p{f.x, f.y, 2.0 * internal::PoreRadius(f.area_px, f.elongation), f.darkness};
  p.paired = true;
  p.scale_px = guide.scale_px;
  if (!internal::SamePore(p, guide)) return std::nullopt;
  return p;
}

// The pore `y` holds at `guide`'s place, measured as MeasurePores measures its candidates
// (seeded at the guide's centre and detection scale): at the loosest of the levels 0.5
// (half darkness), 0.4 and kGuidedPoreMinLevel whose region stays within the isolation limit
// and passes the guided gates; else at the loosest that passes them within the widened limit
// (kPairedIsolationRelax, as a marginal pore); else nothing.
std::optional<Pore> MeasureAt(const cv::Mat& y, const cv::Mat& region, const Pore& guide,
                              double min_darkness) {
  internal::BlobCandidate seed;
  seed.x = guide.x;
  seed.y = guide.y;
  seed.radius = guide.scale_px;
  const double gate = kPairedPoreRelax * min_darkness;
  std::optional<Pore> widened;
  for (const float level : {0.5f, 0.4f, static_cast<float>(kGuidedPoreMinLevel)}) {
    const internal::BlobFit f =
        internal::MeasureDarkBlob(y, seed, gate, kPairedIsolationRelax, level);
    // Too faint at its centre: the same at every level.
    if (f.centre_darkness < 0.5 * gate) break;
    std::optional<Pore> p = Guided(f, region, guide);
    if (p && f.isolated) return p;
    if (p && !widened) widened = p;
  }
  return widened;
}

// Adds to `r` the pores `y` holds at the `guides` no counted pore of `r` matches; recomputes
// its PoreMetrics when any was added.
void AdoptGuided(const std::vector<Pore>& guides, const cv::Mat& y, const cv::Mat& region,
                 MetricsResult* r) {
  const std::vector<Pore> counted = r->detections.pores;
  const PoreIndex counted_index(counted);
  std::vector<Pore> added;
  for (const Pore& g : guides) {
    if (!(g.scale_px > 0.0) || counted_index.Any(g)) continue;
    const std::optional<Pore> p = MeasureAt(y, region, g, r->effective.pore_min_darkness);
    if (!p || counted_index.Any(*p)) continue;
    bool twice = false;  // two guides close together that lead to one blob
    for (const Pore& a : added) twice = twice || internal::SamePlace(a, *p);
    if (!twice) added.push_back(*p);
  }
  if (added.empty()) return;
  r->detections.pores.insert(r->detections.pores.end(), added.begin(), added.end());
  r->pores = PoreMetricsOf(r->detections.pores, r->roi_area_px, r->px_per_mm, r->scale_known,
                           r->effective);
}

}  // namespace

Status GuidePores(const cv::Mat& before, const cv::Mat& after, const cv::Mat& region,
                  MetricsResult* before_result, MetricsResult* after_result) {
  if (before_result == nullptr || after_result == nullptr)
    return Status::InvalidArgument("GuidePores: a result is null");
  cv::Mat y[2];
  for (int i = 0; i < 2; ++i) {
    const cv::Mat& m = i == 0 ? before : after;
    const char* what = i == 0 ? "GuidePores: before" : "GuidePores: after";
    SKINTRACK_RETURN_IF_ERROR(CheckImage(m, m.type() == CV_32FC1 ? CV_32FC1 : kImageType, 1, what));
    y[i] = m.type() == CV_32FC1 ? m : photometric::SrgbToLinearLuminance(m);
  }
  if (after.size() != before.size() || region.type() != CV_8UC1 || region.size() != before.size())
    return Status::InvalidArgument(
        "GuidePores: after and region (CV_8UC1) must be of the before photo's size");
  // Each photo is guided by the pores the other counted before this step.
  const std::vector<Pore> before_guides = before_result->detections.pores,
                          after_guides = after_result->detections.pores;
  AdoptGuided(after_guides, y[0], region, before_result);
  AdoptGuided(before_guides, y[1], region, after_result);
  return Status::Ok();
}

}  // namespace skintrack::metrics
