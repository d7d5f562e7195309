// Wrinkles: multi-scale Hessian valleys of log Y, skeletonised, measured by their cross-profile.
// See docs/metrics.md ("Wrinkles").
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/imgcodecs.hpp>

#include "metrics/families.h"
#include "metrics/ridge_filter.h"
#include "metrics/ridge_profile.h"
#include "metrics/ridge_trace.h"

#include <cstdlib>
#include <cstdio>
namespace skintrack::metrics::internal {
namespace {
double Tune(const char* name, double def) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : def;
}

constexpr double kLogOffset = 0.01;  // log(Y + 0.01): bounded response in the darkest pixels
// Hysteresis on the Hessian estimate of the log depth D = strength / kGaussianValleyGain:
// seeds at kSeedFraction of the minimum depth, grown down to kGrowFraction of it (the measured
// profile depth decides afterwards).
constexpr double kGrowFraction = 0.5;
// A line is not a wrinkle when its profile is an edge (step between two levels).
constexpr double kMaxAsymmetry = 0.5;
// Hair: darker than this (Weber) and no wider than HairOptions::max_width_mm.
constexpr double kHairDarkness = 0.3;
// Gaussian valley: FWHM = 2 sqrt(2 ln 2) sigma_profile, best scale s = sqrt(2) sigma_profile.
constexpr double kFwhmPerScale = 2.3548200450309493 / 1.4142135623730951;

}  // namespace

Status MeasureWrinkles(const Context& ctx, const MetricsOptions& o, WrinkleMetrics* out,
                       std::vector<Line>* detections) {
  *out = WrinkleMetrics();
  if (detections != nullptr) detections->clear();
  if (ctx.linear_y.empty() || ctx.roi_area_px == 0) return Status::Ok();
  if (ctx.linear_y.type() != CV_32FC1 || ctx.roi.size() != ctx.linear_y.size())
    return Status::InvalidArgument("wrinkles: context needs CV_32FC1 linear_y and a same-size roi");

  cv::Mat log_y;
  cv::add(ctx.linear_y, cv::Scalar(kLogOffset), log_y);
  cv::log(log_y, log_y);

  const double s_lo = std::max(0.8, ctx.Px(o.wrinkle_sigma_min_mm));
  const double s_hi = std::max(s_lo, ctx.Px(o.wrinkle_sigma_max_mm));
  const double depth_min = -std::log(1.0 - o.wrinkle_min_contrast);
  const float grow = static_cast<float>(kGaussianValleyGain * depth_min * kGrowFraction);
  RidgeFilterOptions fo;
  fo.sigmas = RidgeScales(s_lo, s_hi);
  fo.polarity = Polarity::kDark;
  fo.store_min = grow;
  fo.keep_smoothed = true;
  fo.blob_max_sigma = ctx.Px(Tune("W_BLOBMM", 0.25));
  RidgeMap map;
  ComputeRidgeMap(log_y, fo, &map);
  cv::Mat exclude = map.blob >= Tune("W_BLOB", 0.04);
  cv::dilate(exclude, exclude, cv::Mat());
  cv::Mat centres = RidgeCentres(map, ctx.roi, grow);
  const double half_len = Tune("W_HALF", 8.0);
  cv::Mat line_map = cv::Mat::zeros(centres.size(), CV_32FC1);
  const float lgrow = static_cast<float>(kLineContrastGain * depth_min * Tune("W_LGROW", 1.0));
  const float lseed = static_cast<float>(kLineContrastGain * depth_min * Tune("W_LSEED", 2.0));
  cv::parallel_for_(cv::Range(0, centres.rows), [&](const cv::Range& r) {
    for (int y = r.start; y < r.end; ++y) {
      unsigned char* c = centres.ptr<unsigned char>(y);
      float* l = line_map.ptr<float>(y);
      for (int x = 0; x < centres.cols; ++x) {
        if (!c[x]) continue;
        l[x] = LineContrast(map, exclude, x, y, half_len);
        if (l[x] < lgrow) c[x] = 0;
      }
    }
  });
  if (std::getenv("W_DEBUG")) {
    std::fprintf(stderr, "line candidates %d\n", cv::countNonZero(centres));
    cv::Mat iso = RidgeCentres(map, ctx.roi, grow);
    cv::Mat vis; cv::normalize(log_y, vis, 0, 255, cv::NORM_MINMAX, CV_8U); cv::cvtColor(vis, vis, cv::COLOR_GRAY2BGR);
    vis.setTo(cv::Scalar(255, 128, 0), iso);
    vis.setTo(cv::Scalar(0, 200, 255), centres);
    vis.setTo(cv::Scalar(0, 0, 255), line_map >= lseed);
    vis.setTo(cv::Scalar(255, 0, 255), exclude & (iso == 0));
    cv::imwrite("/tmp/m3dbg/cand.png", vis);
  }
  if (Tune("W_GAP", 0.4) > 0) BridgeGaps(map, ctx.Px(Tune("W_GAP", 0.4)), &centres);
  const double min_len = ctx.Px(o.wrinkle_min_length_mm);
  std::vector<RidgeSkeleton> skeletons =
      TraceRidges(centres, line_map, lseed, min_len, std::max(3.0, 2.0 * s_lo));

  const double hair_width = ctx.Px(o.hair.max_width_mm);
  auto profile = [&](const std::vector<cv::Point>& pixels) {
    std::vector<ProfileSample> samples;
    std::vector<int> scales;
    samples.reserve(pixels.size());
    for (const cv::Point& p : pixels) {
      const cv::Point2d n = map.Normal(p.x, p.y);
      samples.push_back({cv::Point2d(p) + n * CentreOffset(map, p.x, p.y), n});
      scales.push_back(map.ScaleIndex(p.x, p.y));
    }
    std::nth_element(scales.begin(), scales.begin() + static_cast<long>(scales.size() / 2),
                     scales.end());
    const double s_med = map.Sigma(scales[scales.size() / 2]);
    return MeasureProfile(log_y, kLogOffset, samples, kFwhmPerScale * s_med);
  };
  auto accept = [&](const ProfileResult& prof) {
    const double depth = -prof.contrast;
    if (!prof.ok || depth < o.wrinkle_min_contrast || prof.asymmetry > kMaxAsymmetry) return false;
    return !(depth >= kHairDarkness && prof.width_px <= hair_width);  // hair-like
  };
  const double min_branch = Tune("W_MINBR", 10.0);
  double len_sum = 0.0, depth_sum = 0.0, width_sum = 0.0, area = 0.0;
  for (RidgeSkeleton& sk : skeletons) {
    if (std::getenv("W_DEBUG")) std::fprintf(stderr, "skeleton at (%d,%d) %dx%d len %.0f\n", sk.origin.x, sk.origin.y, sk.thin.cols, sk.thin.rows, SkeletonLength(sk.thin));
    // Branch by branch: drop the ones that are not wrinkles (edges, hair, shallow).
    for (const std::vector<cv::Point>& b : SkeletonBranches(sk)) {
      if (static_cast<double>(b.size()) < min_branch) continue;
      const ProfileResult prof = profile(b);
      if (std::getenv("W_DEBUG")) std::fprintf(stderr, "branch len %zu at (%d,%d) ok %d depth %.3f width %.2f asym %.2f\n", b.size(), b[b.size()/2].x, b[b.size()/2].y, prof.ok, -prof.contrast, prof.width_px, prof.asymmetry);
      if (accept(prof)) continue;
      for (size_t i = 1; i + 1 < b.size(); ++i) sk.thin.at<unsigned char>(b[i] - sk.origin) = 0;
    }
    for (const RidgeComponent& c : SkeletonPaths(sk, min_len)) {
      const ProfileResult prof = profile(c.path);
      if (std::getenv("W_DEBUG")) std::fprintf(stderr, "path len %.0f at (%d,%d)-(%d,%d) ok %d depth %.3f width %.2f asym %.2f\n", c.length_px, c.path.front().x, c.path.front().y, c.path.back().x, c.path.back().y, prof.ok, -prof.contrast, prof.width_px, prof.asymmetry);
      if (!accept(prof)) continue;
      const double depth = -prof.contrast;
      Line ln;
      for (const cv::Point& p : c.path) {
        const cv::Point2d n = map.Normal(p.x, p.y);
        ln.polyline.push_back(cv::Point2d(p) + n * CentreOffset(map, p.x, p.y));
      }
      ln.length_px = c.length_px;
      ln.width_px = prof.width_px;
      ln.contrast = depth;
      len_sum += c.length_px;
      depth_sum += depth * c.length_px;
      width_sum += prof.width_px * c.length_px;
      area += prof.width_px * c.length_px;
      ++out->count;
      if (detections != nullptr) detections->push_back(std::move(ln));
    }
  }
  out->length_px = len_sum;
  if (len_sum > 0.0) out->mean_depth = depth_sum / len_sum;
  out->area_fraction = std::min(1.0, area / static_cast<double>(ctx.roi_area_px));
  if (ctx.scale_known) {
    const double area_cm2 = ctx.roi_area_px / (ctx.px_per_mm * ctx.px_per_mm) / 100.0;
    out->length_density_mm_per_cm2 = len_sum / ctx.px_per_mm / area_cm2;
    if (len_sum > 0.0) out->mean_width_mm = width_sum / len_sum / ctx.px_per_mm;
  }
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
