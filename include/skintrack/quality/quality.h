// Image-quality gate (per photo) and comparability (per pair).
//
// A metric is worth reporting only when the photo can carry it (sharp enough at the metric's
// scale, not clipped, no glare, low noise, enough px per mm) and, for a change, only when the
// two photos are comparable (aligned, overlapping, similar scale and lighting, colour state).
// Each check gives a value, its thresholds, a verdict and the metric families it makes
// meaningless. Definitions, thresholds and measured separations: docs/quality.md.
//
// Frames: the assessed image's pixels (for a pair: the before frame), OpenCV convention.
// Images are internal form (CV_32FC3, BGR, sRGB-encoded [0,1], core/image.h); masks CV_8UC1,
// 255 = in. Metric family names are those of the metrics JSON: "texture", "pores", "scars",
// "wrinkles", "striae", "redness", "tone", "hair".
#pragma once

#include <map>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "skintrack/align/align.h"
#include "skintrack/core/status.h"
#include "skintrack/metrics/metrics.h"

namespace skintrack::quality {

// Verdict of one check. kUnknown: the check could not be evaluated (e.g. resolution without a
// scale); it does not lower the overall verdict.
enum class Verdict { kPass, kCaution, kFail, kUnknown };
const char* VerdictName(Verdict verdict);  // "pass", "caution", "fail", "unknown"

// Every metric family, in report order.
const std::vector<std::string>& AllFamilies();

// One check of one photo.
struct QualityCheck {
  std::string name;               // "sharpness", "clipping", "glare", "noise", "resolution"
  std::optional<double> value;    // measured value in `unit`; nullopt when not measurable
  double caution_threshold = 0;   // value beyond this (see higher_is_better) -> caution
  double threshold = 0;           // value beyond this -> fail (same unit)
  bool higher_is_better = false;  // false: fail when value > threshold; true: when value <
  std::string unit;               // e.g. "mm", "fraction", "linear", "px/mm"
  Verdict verdict = Verdict::kUnknown;
  std::string message;                   // one line: what was measured and what it means
  std::vector<std::string> meaningless;  // metric families this check makes meaningless
};

struct PhotoQualityOptions {
  // Scale used to express sharpness in mm when the photo's scale is unknown, px per mm. The
  // metrics convert their mm filter scales with an assumed scale too, which a preset sets
  // (PhotoQualityOptionsFor gives the options that follow it). Default 20 px/mm, as
  // metrics::MetricsOptions::assumed_px_per_mm.
  double assumed_px_per_mm = 20.0;

  // --- Sharpness: blur sigma (mm) of the strongest edges (gradient-ratio estimate). On skin
  // the estimate reads about half the true optical blur (narrow pores and lines lose more
  // gradient under the probe blur than a step edge does; docs/quality.md), and the
  // thresholds are set on that reading: phantoms blurred by 0.1 mm read 0.05 mm. ---
  double sharpness_caution_mm = 0.03;      // reading above this -> caution. Default 0.03 mm.
  double sharpness_fail_mm = 0.045;        // above this -> fail: pores, texture, wrinkles
                                           // meaningless. Default 0.045 mm (true blur ~0.09 mm,
                                           // comparable to the smallest pore radius).
  double sharpness_coarse_fail_mm = 0.1;   // above this scars and striae are meaningless too.
                                           // Default 0.1 mm (true blur ~0.2 mm, half the
                                           // smallest scar radius).
  double blur_gradient_sigma_px = 1.0;     // Gaussian derivative scale of the estimator, px.
                                           // Default 1 px.
  double blur_probe_sigma_mm = 0.05;       // re-blur of the estimator, mm (at least 1 px).
                                           // Default 0.05 mm.
  double blur_edge_fraction = 0.05;        // the strongest fraction of edge pixels (gradient
                                           // maxima) used. Default 5 %.
  double blur_percentile = 0.5;            // percentile of their blur estimates reported.
                                           // Default 0.5 (median).
  double blur_sample_max_px = 4e6;         // the estimator reads bands of 256 rows spread
                                           // evenly over the photo (every k-th band) so that
                                           // at most about this many px are read; all bands
                                           // when the photo is smaller. Default 4 MP (a third
                                           // of a 12 MP photo).
  double sharpness_glare_margin_mm = 0.5;  // edges within this of a clipped-white pixel are
                                           // ignored (glare flanks). Default 0.5 mm.

  // --- Exposure clipping: ROI pixels with any channel at 0 or 1 ---
  double clip_low = 0.5 / 255.0;     // a channel <= this is clipped black. Default 0.5/255.
  double clip_high = 254.5 / 255.0;  // a channel >= this is clipped white. Default 254.5/255.
  double clipping_caution = 0.005;   // fraction of ROI pixels. Default 0.5 %.
  double clipping_fail = 0.02;       // -> redness, tone meaningless. Default 2 %.

  // --- Specular glare: near-white, near-neutral pixels (L* >= glare_l and C* <= glare_chroma,
  // or all three channels clipped white) ---
  double glare_l = 95.0;         // L* (CIELAB D65). Default 95 (as roi::SkinMaskOptions).
  double glare_chroma = 12.0;    // C*. Default 12.
  double glare_caution = 0.002;  // fraction of ROI pixels. Default 0.2 %.
  double glare_fail = 0.01;      // -> texture, redness, tone meaningless. Default 1 %.

  // --- Noise: Immerkaer (1996) sd of linear luminance Y, in linear units (Y in [0, 1]) ---
  double noise_caution = 0.008;  // Default 0.008 (JPEG q85 + sensor noise on skin: ~0.003).
  double noise_fail = 0.02;      // -> pores, texture, wrinkles meaningless. Default 0.02
                                 // (a 0.06 Weber pore at Y 0.35 is a 0.021 dip).

  // --- Resolution: px per mm against what each family needs ---
  // Family -> smallest px/mm at which it is meaningful. Defaults: pores 15 (pores of 0.08 mm
  // diameter span 1.2 px; recall drops to 0.85 at 10 px/mm, docs/metrics.md), wrinkles 15
  // (fine lines of sigma 0.05 mm = 0.75 px), texture 15 (two of the default octave bands
  // keep a lower edge >= 3 px), hair 13 (0.08 mm hairs >= 1 px), scars 5, redness 5, tone 5
  // (0.3 mm spots), striae 2.
  std::map<std::string, double> family_min_px_per_mm = {
      {"pores", 15.0}, {"wrinkles", 15.0}, {"texture", 15.0}, {"hair", 13.0},
      {"scars", 5.0},  {"redness", 5.0},   {"tone", 5.0},     {"striae", 2.0}};
  double resolution_caution_px_per_mm = 20.0;  // below -> caution. Default 20 (a 0.25 mm
                                               // "visible" pore spans 5 px).
  double resolution_fail_px_per_mm = 15.0;     // below -> fail. Default 15 (pores' need).

  Status Check() const;
};

// The quality of one photo.
struct PhotoQuality {
  // In this order: sharpness, clipping, glare, noise, resolution.
  std::vector<QualityCheck> checks;
  Verdict overall = Verdict::kUnknown;            // worst of the pass/caution/fail verdicts
  std::vector<std::string> meaningless_families;  // union over the checks, AllFamilies() order
  std::vector<std::string> meaningful_families;   // the others
  std::optional<double> px_per_mm;  // the photo's scale (px per mm), nullopt when unknown
  double px_per_mm_used = 0;        // the scale mm values were computed with (real or assumed)
  long long roi_px = 0;             // pixels assessed
  double roi_median_y = 0;          // median linear luminance Y over the ROI, [0, 1]

  // The check called `name`, or nullptr.
  const QualityCheck* Find(const std::string& name) const;
};

// Assesses `image` (internal form CV_32FC3) over `roi` (CV_8UC1, same size, 255 = assess; empty
// = the whole image). Pass the region before glare removal (the user ROI, or none): the
// automatic skin mask already excludes glare. px_per_mm: the photo's scale in px per mm, or
// nullopt when unknown (resolution is then "unknown" and sharpness is expressed with
// options.assumed_px_per_mm). `linear_y`: photometric::SrgbToLinearLuminance(image) when the
// caller has it already (CV_32FC1 of the image's size; saves converting again), or empty.
// Errors: invalid options or image (kInvalidArgument), an ROI of another size or type, or with
// fewer than 1000 px (kInvalidInput).
Status AssessPhoto(const cv::Mat& image, const cv::Mat& roi, std::optional<double> px_per_mm,
                   const PhotoQualityOptions& options, PhotoQuality* quality,
                   const cv::Mat& linear_y = cv::Mat());

// AssessPhoto in two steps, for a caller that finds the scale while it could be measuring:
// MeasurePhoto computes everything the scale does not change (median luminance, noise,
// clipping, glare; `compare` runs it beside the registration), AssessMeasuredPhoto adds the
// scale's checks (sharpness, resolution). AssessPhoto(image, roi, px_per_mm, options, q) gives
// the same result as MeasurePhoto(image, roi, options, &m) then AssessMeasuredPhoto(m,
// px_per_mm, &q) (AssessPhoto checks px_per_mm before the ROI's size, MeasurePhoto has none).
struct PhotoMeasures {
  PhotoQualityOptions options;  // the options measured with (AssessMeasuredPhoto uses them)
  cv::Mat linear_y;             // CV_32FC1, the image's linear luminance Y in [0, 1]; image px
  cv::Mat roi;           // CV_8UC1, 255 = assessed: the given ROI (sharing its pixels), or all 255
                         // when none; image px
  cv::Mat clipped;       // CV_8UC1, 255 where a channel is above options.clip_high (the sharpness
                         // check's glare margin grows from these); image px. Empty when none is.
  long long roi_px = 0;  // pixels assessed
  long long clipped_px = 0;  // of them, with a channel <= clip_low or >= clip_high
  long long glare_px = 0;    // of them, specular glare (as PhotoQualityOptions defines it)
  double roi_median_y = 0;   // median linear luminance Y over the ROI, [0, 1]
  double noise_sd = 0;       // Immerkaer noise sd of linear Y over the ROI, linear units
};

// The scale-free step. Arguments and errors as AssessPhoto's (the image is not kept: only
// `measures` is needed afterwards).
Status MeasurePhoto(const cv::Mat& image, const cv::Mat& roi, const PhotoQualityOptions& options,
                    PhotoMeasures* measures, const cv::Mat& linear_y = cv::Mat());

// The scale's step: px_per_mm as AssessPhoto's. Errors: px_per_mm not > 0 or not finite,
// `measures` not from MeasurePhoto (kInvalidArgument).
Status AssessMeasuredPhoto(const PhotoMeasures& measures, std::optional<double> px_per_mm,
                           PhotoQuality* quality);

// `base` with assumed_px_per_mm set to the scale the metrics assume for a photo of
// `photo_size` px whose scale is unknown: metrics.PxPerMm(nullopt, photo_size), i.e. the
// preset's assumed_px_per_mm, or the photo's long side / its assumed_field_mm (dermoscope).
// So a photo without a scale is judged at the scale its metrics are computed at. The result
// may fail Check() (an assumed scale outside (0.5, 1000) px/mm).
PhotoQualityOptions PhotoQualityOptionsFor(const metrics::MetricsOptions& metrics,
                                           cv::Size photo_size,
                                           PhotoQualityOptions base = PhotoQualityOptions());

// --- Lower-level estimators (used by AssessPhoto; exposed for tests and evaluations) ---

struct BlurEstimate {
  double sigma_px = 0;  // Gaussian blur sigma of the sharpest edges, px (0 = sharper than the
                        // estimator resolves; large = no sharp edge)
  long long edges = 0;  // edge pixels used
};

// Blur sigma of a linear-luminance image (CV_32FC1) over `mask` (CV_8UC1 or empty) by the
// gradient ratio at edges (Zhuo & Sim 2011): at a step edge blurred by sigma, the gradient of
// a Gaussian derivative of scale s drops by R = sqrt((sigma^2 + s^2 + p^2) / (sigma^2 + s^2))
// after an extra blur p, so sigma^2 = p^2 / (R^2 - 1) - s^2 (s^2 includes the central
// difference's 1/3 px^2). Edge pixels: gradient maxima along the gradient direction, the
// strongest options.blur_edge_fraction of those standing 5 noise sds above the noise before
// and after the probe blur; the options.blur_percentile of their estimates. probe_sigma_px is
// p; noise_sd the image's noise sd (linear units, e.g. Immerkaer's), used to debias the
// squared gradients (E[g^2] = g^2 + 2 var per component) and to select edges.
Status EstimateBlur(const cv::Mat& linear_y, const cv::Mat& mask, double probe_sigma_px,
                    double noise_sd, const PhotoQualityOptions& options, BlurEstimate* estimate);

// Lighting difference between two photos over their common region. The means and fields read
// the pixels of a grid of step = max(1, floor(long side / (4 work_long_side))) px (every 3rd
// row and column at 4000 px: ~16 samples per cell of the fields' working copy); every pixel
// when the grid holds fewer than 100 region pixels.
struct LightingDifference {
  // mean linear Y of the aligned after photo / of the before photo over the region (exposure).
  double luminance_ratio = 1.0;
  // Non-uniform lighting change, natural-log units: the 95th - 5th percentile over the region
  // of ln F_after - ln F_before, F = the low-pass (Gaussian, sigma = field_sigma_fraction of
  // the long side) of linear Y. Side light of strength s in one photo gives ~ln((1+s)/(1-s)).
  double field_spread = 0.0;
  // Colour (white balance) change, natural-log units: the larger of |ln((R/G)_after /
  // (R/G)_before)| and |ln((B/G)_after / (B/G)_before)|, with R, G, B the region means of
  // linear light. A real redness change also moves it.
  double chroma_shift = 0.0;
  long long region_px = 0;  // pixels of the common region (all of them, not the grid's)
};

struct LightingOptions {
  double field_sigma_fraction = 1.0 / 16.0;  // low-pass sigma / long side. Default 1/16.
  int work_long_side = 256;  // the fields are computed at this long side, px. Default 256.
  Status Check() const;
};

// Compares `before` and `aligned_after` (internal form, same size; the after photo warped into
// the before frame) over `region` (CV_8UC1 in the before frame, 255 = common region; empty =
// every pixel). Errors: kInvalidArgument for bad images/options, kInvalidInput for a region of
// another size or with fewer than 100 px.
Status MeasureLightingDifference(const cv::Mat& before, const cv::Mat& aligned_after,
                                 const cv::Mat& region, const LightingOptions& options,
                                 LightingDifference* difference);

// Linear scale of the after photo relative to the before photo at before-frame point `at`:
// after px per before px, sqrt(|det J|) of the before->after global homography there. 1 = same
// scale; 0.5 = the after photo has half the px per mm.
double AfterPxPerBeforePx(const align::AlignmentResult& alignment, const cv::Point2d& at);

// --- Pair comparability ---

enum class Comparability { kComparable, kCaution, kNotComparable };
const char* ComparabilityName(Comparability c);  // "comparable", "caution", "not_comparable"

// What is known about the pair besides the two photos' quality and the alignment.
struct PairEvidence {
  double overlap_fraction = 0.0;               // common region / the smaller footprint, [0, 1]
  double scale_ratio = 1.0;                    // after px per before px (AfterPxPerBeforePx), > 0
  std::optional<LightingDifference> lighting;  // nullopt when not measured
  // Colour calibration state: "uncalibrated" (default), or e.g. "reference-normalised",
  // "chart" (any other non-empty value is taken as calibrated and echoed).
  std::string colour_calibration = "uncalibrated";
};

struct PairComparabilityOptions {
  double min_overlap = 0.5;              // overlap below this -> not_comparable. Default 0.5.
  double caution_overlap = 0.7;          // below this -> caution. Default 0.7.
  double caution_scale_ratio = 1.25;     // max(r, 1/r) above this -> caution. Default 1.25.
  double max_scale_ratio = 2.0;          // above this -> not_comparable. Default 2.
  double caution_luminance_ratio = 1.5;  // max(q, 1/q) above this -> caution. Default 1.5
                                         // (structure metrics validated to +-30 %).
  double caution_field_spread = 0.7;     // ln units; above -> caution. Default 0.7 (side
                                         // light validated up to 0.3: spread 0.62).
  // Uncalibrated colour is comparable only when the lighting looks identical: luminance ratio
  // within 1 +- this, field spread and chroma shift below these; otherwise redness and tone
  // are meaningless. Defaults 0.03, 0.05, 0.02.
  double identical_luminance_tolerance = 0.03;
  double identical_field_spread = 0.05;
  double identical_chroma_shift = 0.02;
  Status Check() const;
};

struct PairComparability {
  Comparability verdict = Comparability::kNotComparable;
  std::vector<std::string> reasons;         // one line each; empty when comparable
  std::vector<std::string> not_meaningful;  // metric families, AllFamilies() order
  // Echo of the evidence used.
  std::string alignment_status;  // align::AlignmentStatusName
  double overlap_fraction = 0.0;
  double scale_ratio = 1.0;
  std::optional<double> effective_px_per_mm;  // before px/mm x min(1, scale_ratio); nullopt
                                              // when the scale is unknown
  std::optional<LightingDifference> lighting;
  std::string colour_calibration;
};

// Decides whether `before` and `after` (their PhotoQuality, computed on each original photo)
// can be compared. not_comparable: alignment failed, overlap < min_overlap, scale ratio beyond
// max_scale_ratio. caution: alignment poor, small overlap, scale or lighting differences, or a
// photo's check failing. not_meaningful: the union of both photos' meaningless families, the
// families below their resolution need at the effective scale, and redness/tone when colour
// is uncalibrated and the lighting is not identical (or not measured).
// `photo_options` supplies the per-family resolution needs.
Status AssessPair(const PhotoQuality& before, const PhotoQuality& after,
                  const align::AlignmentResult& alignment, const PairEvidence& evidence,
                  const PairComparabilityOptions& options, const PhotoQualityOptions& photo_options,
                  PairComparability* result);

}  // namespace skintrack::quality
