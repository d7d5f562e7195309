// Wrinkles: dark lines of log Y found by multi-scale Hessian valleys and oriented-template
// tracking, skeletonised, and measured by their cross-profile. See docs/metrics.md
// ("Wrinkles") and ridge_lines.h.
#include <algorithm>
#include <cmath>

#include "metrics/families.h"
#include "metrics/ridge_lines.h"

namespace skintrack::metrics::internal {
namespace {

// Gaussian valley: FWHM = 2 sqrt(2 ln 2) sigma_profile, best Hessian scale sqrt(2) sigma_profile.
constexpr double kFwhmPerScale = 2.3548200450309493 / 1.4142135623730951;
// An edge (step between two levels) is not a line: antisymmetric / symmetric profile RMS.
// 0.2 (0.3 until 2026-11-21: the skin beside the edge of a stretch mark, a faint 1-mm-wide
// "line" at asymmetry 0.27, came and went between captures; phantom wrinkles read 0.03-0.09).
constexpr double kMaxAsymmetry = 0.2;
// A wrinkle is elongated: length >= this x width (blobs such as spots are not).
constexpr double kMinElongation = 8.0;
// Hair is dark and sharp: darker than this (Weber) and no wider than HairOptions::max_width_mm.
// Wrinkles are shallow shading (phantom 0.15; roi::HairOptions documents < 0.2).
constexpr double kHairDarkness = 0.3;
// A wrinkle bends gently: a track whose two halves each curl by more than kMinHalfTurnRad, the
// same way, with a mean radius of curvature (arc length / turning) below kMinBendRadiusMm is the
// rim of a dark patch (an atrophic scar, a spot: the tracker follows the valley just inside its
// edge), not a line. Both halves, so that a track turning at one point (two crossing wrinkles
// followed into a V) is kept.
constexpr double kMinHalfTurnRad = 0.5235987755982988;  // 30 deg
constexpr double kMinBendRadiusMm = 2.5;

// Total signed turning (rad) of the polyline `line` between arc lengths [from, to) px: the sum
// of the angles between successive chords of ~step_px (wiggles cancel, a curl adds up).
double NetTurning(const std::vector<cv::Point2d>& line, double from, double to, double step_px) {
  std::vector<cv::Point2d> pts;
  double arc = 0.0, since = 0.0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (i > 0) {
      const double d = cv::norm(line[i] - line[i - 1]);
      arc += d;
      since += d;
    }
    if (arc < from) continue;
    if (arc >= to) break;
    if (pts.empty() || since >= step_px) {
      pts.push_back(line[i]);
      since = 0.0;
    }
  }
  double turn = 0.0;
  for (size_t i = 2; i < pts.size(); ++i) {
    const cv::Point2d a = pts[i - 1] - pts[i - 2], b = pts[i] - pts[i - 1];
    turn += std::atan2(a.x * b.y - a.y * b.x, a.x * b.x + a.y * b.y);
  }
  return turn;
}

// The rim test above on a centre line.
bool IsRim(const std::vector<cv::Point2d>& line, double min_radius_px, double step_px) {
  double length = 0.0;
  for (size_t i = 1; i < line.size(); ++i) length += cv::norm(line[i] - line[i - 1]);
  const double half = 0.45 * length;
  const double t1 = NetTurning(line, 0.0, half, step_px);
  const double t2 = NetTurning(line, length - half, length + 1.0, step_px);
  if (t1 * t2 <= 0.0) return false;
  for (const double t : {std::abs(t1), std::abs(t2)}) {
    if (t <= kMinHalfTurnRad || half >= min_radius_px * t) return false;
  }
  return true;
}

}  // namespace

bool AcceptWrinkleProfile(const ProfileResult& p, double length_px, double relax,
                          const MetricsOptions& o, double px_per_mm) {
  const double depth = -p.contrast;  // Weber darkness
  if (!p.ok || depth < relax * o.wrinkle_min_contrast || p.asymmetry > kMaxAsymmetry) return false;
  if (length_px < kMinElongation * p.width_px) return false;
  // With the hair mask's faint tier on (roi::HairOptions), a line from its threshold up is hair
  // too when it is no wider than the mask's own mean-width limit, 1.5 w + 1 px.
  const bool faint = o.hair.faint_min_contrast > 0.0;
  const double hair_darkness =
      faint ? std::min(kHairDarkness, o.hair.faint_min_contrast) : kHairDarkness;
  const double w = o.hair.max_width_mm * px_per_mm;
  return !(depth >= hair_darkness && p.width_px <= (faint ? 1.5 * w + 1.0 : w));
}

Status MeasureWrinkles(const Context& ctx, const MetricsOptions& o, WrinkleMetrics* out,
                       std::vector<Line>* detections, std::vector<Line>* marginal) {
  *out = WrinkleMetrics();
  if (detections != nullptr) detections->clear();
  if (marginal != nullptr) marginal->clear();
  if (ctx.linear_y.empty() || ctx.roi_area_px == 0) return Status::Ok();
  if (ctx.linear_y.type() != CV_32FC1 || ctx.roi.size() != ctx.linear_y.size())
    return Status::InvalidArgument("wrinkles: context needs CV_32FC1 linear_y and a same-size roi");

  // log(Y + offset) in parallel row bands (each band's sum and log while it is in cache).
  cv::Mat log_y(ctx.linear_y.size(), CV_32FC1);
  cv::parallel_for_(cv::Range(0, (log_y.rows + 31) / 32), [&](const cv::Range& r) {
    for (int band = r.start; band < r.end; ++band) {
      const cv::Range rows(band * 32, std::min(log_y.rows, band * 32 + 32));
      cv::Mat band_out = log_y.rowRange(rows);
      cv::add(ctx.linear_y.rowRange(rows), cv::Scalar(kLineLogOffset), band_out);
      cv::log(band_out, band_out);
    }
  });

  LineSearchOptions s;
  s.polarity = Polarity::kDark;
  const double s_lo = std::max(0.8, ctx.Px(o.wrinkle_sigma_min_mm));
  s.sigmas = RidgeScales(s_lo, std::max(s_lo, ctx.Px(o.wrinkle_sigma_max_mm)));
  s.min_level_sigma = 0.85;  // 4x cheaper above sigma ~1.7 px; depths are measured at full res
  s.min_contrast = o.wrinkle_min_contrast;
  s.min_length_px = ctx.Px(o.wrinkle_min_length_mm);
  s.fwhm_per_scale = kFwhmPerScale;
  s.template_half_px = ctx.Px(0.4);
  s.step_px = std::max(1.0, ctx.Px(0.1));
  s.seed_block_px = std::max(3.0, ctx.Px(0.3));
  s.link_gap_px = ctx.Px(1.5);
  s.significance_length_px = ctx.Px(kWrinkleSignificanceLengthMm);
  s.accept = [&](const ProfileResult& p, double length) {
    return AcceptWrinkleProfile(p, length, 1.0, o, ctx.px_per_mm);
  };
  if (marginal != nullptr) {
    s.accept_relaxed = [&](const ProfileResult& p, double length) {
      return AcceptWrinkleProfile(p, length, kPairedLineRelax, o, ctx.px_per_mm);
    };
    s.relaxed_significance = kPairedLineRelax;
  }

  const double min_bend_radius = ctx.Px(kMinBendRadiusMm);
  // The found lines that are not rims of dark patches, as Lines (depth: Weber darkness).
  auto keep = [&](std::vector<FoundLine>& found, std::vector<Line>* to) {
    for (FoundLine& f : found) {
      if (IsRim(f.centre, min_bend_radius, std::max(2.0, ctx.Px(0.25)))) continue;
      to->push_back(
          Line{std::move(f.centre), f.length_px, f.profile.width_px, -f.profile.contrast});
    }
  };
  std::vector<FoundLine> marginal_found;
  std::vector<FoundLine> found =
      FindLines(log_y, kLineLogOffset, ctx.roi, s, marginal != nullptr ? &marginal_found : nullptr);
  std::vector<Line> lines;
  keep(found, &lines);
  if (marginal != nullptr) keep(marginal_found, marginal);
  *out = WrinkleMetricsOf(lines, ctx.roi_area_px, ctx.px_per_mm, ctx.scale_known);
  if (detections != nullptr) *detections = std::move(lines);
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal

namespace skintrack::metrics {

WrinkleMetrics WrinkleMetricsOf(const std::vector<Line>& lines, long long roi_area_px,
                                double px_per_mm, bool scale_known) {
  WrinkleMetrics out;
  // area: the bands' area, width x length summed (also the length-weighted width's numerator).
  double len_sum = 0.0, depth_sum = 0.0, area = 0.0;
  for (const Line& l : lines) {
    len_sum += l.length_px;
    depth_sum += l.contrast * l.length_px;
    area += l.width_px * l.length_px;
  }
  out.count = static_cast<int>(
      std::count_if(lines.begin(), lines.end(), [](const Line& l) { return !l.extends; }));
  out.length_px = len_sum;
  if (len_sum > 0.0) out.mean_depth = depth_sum / len_sum;
  if (roi_area_px > 0) out.area_fraction = std::min(1.0, area / static_cast<double>(roi_area_px));
  if (scale_known) {
    const double area_cm2 = roi_area_px / (px_per_mm * px_per_mm) / 100.0;
    out.length_density_mm_per_cm2 = len_sum / px_per_mm / area_cm2;
    if (len_sum > 0.0) out.mean_width_mm = area / len_sum / px_per_mm;
  }
  return out;
}

}  // namespace skintrack::metrics
