// Internal contract between the metrics orchestrator (analyze.cpp) and the metric families.
// Each family reads the shared Context and fills its result struct and detections.
#pragma once

#include <cmath>
#include <opencv2/core.hpp>

#include "skintrack/metrics/metrics.h"

namespace skintrack::metrics::internal {

// Precomputed once per image by the orchestrator.
struct Context {
  // Linear light and CIELAB are not stored (144 MB each at 12 MP): families convert the rows
  // or windows they read (photometric::SrgbToLinear, SrgbToLab, SrgbToLinearLabRow).
  cv::Mat srgb;                // CV_32FC3 internal form (BGR, sRGB-encoded [0,1])
  cv::Mat linear_y;            // CV_32FC1 linear luminance Y (Rec. 709)
  cv::Mat roi;                 // CV_8UC1 255 = measure (skin AND user ROI AND overlap, minus hair)
  cv::Mat hair;                // CV_8UC1 255 = hair (excluded from roi already)
  double px_per_mm = 20.0;     // the image's scale, or MetricsOptions::PxPerMm's assumption
  bool scale_known = false;    // whether px_per_mm is real (physical outputs) or assumed
  long long roi_area_px = 0;   // pixels of roi
  long long hair_area_px = 0;  // pixels of hair
  long long measured_area_px = 0;  // pixels of roi or hair
  // mm -> px at this scale
  double Px(double mm) const { return mm * px_per_mm; }
};

// Builds the Context of an internal-form image: colour conversions, the measurement mask
// (user roi, or the automatic skin mask when roi is empty; minus hair) and the scale. `hair`:
// a precomputed hair mask (CV_8UC1, image size), or empty to compute it here; `linear_y`: the
// image's linear luminance (CV_32FC1, image size), or empty to compute it here.
Status BuildContext(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
                    const MetricsOptions& options, Context* ctx, const cv::Mat& hair = cv::Mat(),
                    const cv::Mat& linear_y = cv::Mat());

// `features`: CV_8UC1 of the image's size, 255 = a detected feature's neighbourhood (pores,
// scars, wrinkles, striae; FeatureMask), left out of micro_relief only; empty = none.
// `tiles` (optional): when tiles->texture_tile_px > 0, the texture sums of MetricsTileSums
// are gathered into it in the same pass.
Status MeasureTexture(const Context& ctx, const MetricsOptions& o, TextureMetrics* out,
                      const cv::Mat& features = cv::Mat(), MetricsTileSums* tiles = nullptr);
// The neighbourhoods of the detected features: each pore's disc, scar's contour, wrinkle's and
// stretch mark's band, grown by margin_px (the texture filters' reach), CV_8UC1 255 = feature.
cv::Mat FeatureMask(cv::Size size, const Detections& d, double margin_px);
// Largest axis ratio of a counted pore's half-darkness region (marginal and guided pores:
// kPairedMaxAxisRatio, sized then as the disc of the minor axis: area / axis ratio).
inline constexpr double kPoreMaxAxisRatio = 2.5;
// A pore's radius (px) from its region's area and axis ratio: the disc of the area, or of the
// minor axis (area / axis ratio) above kPoreMaxAxisRatio, the stretch being the noise's.
inline double PoreRadius(double area_px, double axis_ratio) {
  return std::sqrt((axis_ratio > kPoreMaxAxisRatio ? area_px / axis_ratio : area_px) / CV_PI);
}
// `marginal` (optional): also the pores that pass only the gates relaxed by kPairedPoreRelax
// (Detections::pores_marginal); the counted pores are the same either way.
Status MeasurePores(const Context& ctx, const MetricsOptions& o, PoreMetrics* out,
                    std::vector<Pore>* detections, std::vector<Pore>* marginal = nullptr);
// `lines`: CV_8UC1 of the image's size, 255 = the bands of the detected wrinkles
// (LineBandMask), or empty. A blob crossed by them is a scar only when it is dark off them too.
Status MeasureScars(const Context& ctx, const MetricsOptions& o, ScarMetrics* out,
                    std::vector<Scar>* detections, const cv::Mat& lines = cv::Mat());
// The bands of `lines`: each polyline drawn max(1, ceil(width_px) + 2 ceil(margin_px)) px
// wide, CV_8UC1 255 = band.
cv::Mat LineBandMask(cv::Size size, const std::vector<Line>& lines, double margin_px);
// `marginal` (optional): also the lines that pass only the tests relaxed by kPairedLineRelax
// (Detections::wrinkles_marginal); the counted lines are the same either way.
Status MeasureWrinkles(const Context& ctx, const MetricsOptions& o, WrinkleMetrics* out,
                       std::vector<Line>* detections, std::vector<Line>* marginal = nullptr);
// The wrinkle family test on a measured cross-profile (ridge_profile.h) of a line of length_px:
// darker by relax x wrinkle_min_contrast or more (relax < 1: marginal and guided lines), not an
// edge (asymmetry), elongated (length >= 8 x width), not hair (dark and as narrow as a hair at
// px_per_mm).
struct ProfileResult;  // metrics/ridge_profile.h
bool AcceptWrinkleProfile(const ProfileResult& p, double length_px, double relax,
                          const MetricsOptions& o, double px_per_mm);
// Wrinkles shorter than this (mm) need a proportionally higher significance (x sqrt(this /
// length); LineSearchOptions::significance_length_px).
inline constexpr double kWrinkleSignificanceLengthMm = 8.0;
Status MeasureStriae(const Context& ctx, const MetricsOptions& o, StriaeMetrics* out,
                     std::vector<Line>* detections);
// Redness and tone in one pass over the image. `tiles` (optional): when
// tiles->colour_tile_px > 0, the colour sums of MetricsTileSums are gathered into it.
Status MeasureColour(const Context& ctx, const MetricsOptions& o, RednessMetrics* redness,
                     ToneMetrics* tone, MetricsTileSums* tiles = nullptr);
// One family alone (the same pass; the other family's results are dropped).
Status MeasureRedness(const Context& ctx, const MetricsOptions& o, RednessMetrics* out);
Status MeasureTone(const Context& ctx, const MetricsOptions& o, ToneMetrics* out);

}  // namespace skintrack::metrics::internal
