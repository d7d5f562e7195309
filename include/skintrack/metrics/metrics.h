// Skin metrics of one photo, over a region of interest, in pixel and physical units.
//
// Frame: the analysed image's pixels, OpenCV convention (pixel centres at integers, x right,
// y down). Lengths: *_px in image px, *_mm in mm (nullopt when the scale is unknown, and for a
// mean or median over no objects; the *_px mean is then 0).
// Structure metrics are computed on linear luminance Y as local Weber contrast or band-passed
// log Y at scales below the lighting variation, so exposure, white balance and side light do
// not change them; colour metrics (redness, tone) need colour calibration to compare sessions.
// Every metric is defined in docs/metrics.md.
#pragma once

#include <map>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "skintrack/core/status.h"
#include "skintrack/roi/roi.h"

namespace skintrack::metrics {

// The metric families, in report order (the JSON's family keys): texture, pores, scars,
// wrinkles, striae, redness, tone, hair.
const std::vector<std::string>& Families();

// Scales and thresholds; lengths in mm. Presets in models/*.preset set these (ParsePreset).
struct MetricsOptions {
  std::string preset = "default";
  // Scale used to turn mm into px when the image's scale is unknown. Default 20 px/mm
  // (a face close-up); physical-unit outputs stay null in that case.
  double assumed_px_per_mm = 20.0;
  // A dermoscope's field of view is set by its contact plate, whatever the sensor's pixel
  // count: when > 0 and the scale is unknown, px/mm = the photo's long side (px) / this (mm)
  // instead of assumed_px_per_mm. 0 = off. Default 0; the dermoscope preset sets 20 mm.
  double assumed_field_mm = 0.0;

  // Texture: RMS of band-passed log Y in octave bands [lo, hi] mm (wavelength ~ 2 sigma).
  std::vector<double> texture_band_edges_mm = {0.1, 0.2, 0.4, 0.8};
  double glcm_offset_mm = 0.1;  // GLCM pixel-pair offset. Default 0.1 mm.
  int glcm_levels = 32;         // GLCM grey levels of the quantised band-pass. Default 32.

  // Pores: scale-space LoG on Weber darkness.
  double pore_radius_min_mm = 0.04;  // Default 0.04-0.3 mm.
  double pore_radius_max_mm = 0.3;
  double pore_min_darkness = 0.06;         // Weber darkness at the centre to count. Default 0.06.
  double pore_visible_diameter_mm = 0.25;  // "visible pore" threshold (density of >= this).

  // Scars (atrophic / acne): dark blobs larger than pores.
  double scar_min_radius_mm = 0.4;  // Default 0.4-3 mm.
  double scar_max_radius_mm = 3.0;
  double scar_min_contrast = 0.05;     // Weber darkness vs the annulus. Default 0.05.
  double scar_annulus_inner_mm = 0.5;  // annulus 0.5-2 mm outside the scar. Default.
  double scar_annulus_outer_mm = 2.0;

  // Wrinkles: Hessian ridges (dark valleys) on log Y.
  double wrinkle_sigma_min_mm = 0.05;  // Default 0.05-1 mm.
  double wrinkle_sigma_max_mm = 1.0;
  double wrinkle_min_contrast = 0.04;  // ridge depth (Weber) to count. Default 0.04.
  double wrinkle_min_length_mm = 2.0;  // drop shorter skeleton components. Default 2 mm.

  // Stretch marks: elongated roughly parallel bands 1-10 mm wide.
  double striae_sigma_min_mm = 0.5;  // Default 0.5-3 mm.
  double striae_sigma_max_mm = 3.0;
  double striae_min_contrast = 0.04;
  double striae_min_length_mm = 8.0;

  // Redness: erythema index EI = 100 log10(R_lin / G_lin); area above the ROI median + this.
  double redness_ei_margin = 5.0;
  // Tone: spots are regions darker in L* than the local median by at least this.
  double spot_min_delta_l = 6.0;
  double spot_min_radius_mm = 0.3;

  roi::HairOptions hair;
  // Automatic skin mask (used without a user roi). Presets set it with skin_* keys; the
  // dermoscope preset opens the colour gate (the whole field is skin, often colour-cast) and
  // keeps the L* gate, which drops the dark vignette, and the glare test.
  roi::SkinMaskOptions skin;
  // Families the preset declares not meaningful for its kind of photo: still measured and
  // reported, but listed in the JSON's not_meaningful (in compare never significant). Names
  // from Families(). Default none; the dermoscope preset: wrinkles (on dermoscopic photos the
  // traced lines are mostly faint hairs, docs/metrics.md "Hair").
  std::vector<std::string> not_meaningful;
  Status Check() const;
  // The scale (px/mm) the metrics use for a photo of `size` px: 1 / mm_per_px when the scale
  // is known, else long side / assumed_field_mm when that is set, else assumed_px_per_mm.
  double PxPerMm(std::optional<double> mm_per_px, cv::Size size) const;
};

// Parses a preset file's text ("key = value" lines, '#' comments; keys are the field names
// above) over *options. Unknown keys and bad values are errors naming the line.
Status ParsePreset(const std::string& text, MetricsOptions* options);

// The numeric preset keys (every key but preset, texture_band_edges_mm and glcm_levels) with the
// fields of *options they set: the hair and skin mask options as hair_* and skin_* (e.g.
// hair_min_contrast, skin_glare_l). ParsePreset reads these keys, and the JSON's "parameters"
// echo them.
std::vector<std::pair<const char*, double*>> NumericPresetFields(MetricsOptions* options);

// Detections, in the analysed image's frame (px).
struct Pore {
  double x, y, diameter_px, darkness;  // centre (px), diameter (px), Weber darkness
  // compare only: true when this pore is counted because the other session's photo counts a
  // pore at the same place: it passes only the relaxed gates (kPairedPoreRelax,
  // kPairedIsolationRelax, kPairedMaxAxisRatio; PairPores), or this photo's own search missed it
  // and it was measured at that place (GuidePores). Its size and darkness are still this
  // photo's own measurement (a stretched one's size: the disc of its minor axis,
  // kPairedMaxAxisRatio).
  bool paired = false;
  // Radius (px) of the scale-space detection that found it (the scale its surround and
  // isolation limit are measured at: blob_measure.h); a guided pore's is its guide's; 0 when
  // unknown. GuidePores measures the other photo at this scale. Not written to the detections
  // JSON.
  double scale_px = 0;
};
struct Scar {
  std::vector<cv::Point> contour;
  cv::Rect bbox;
  double area_px, contrast;
};
struct Line {
  std::vector<cv::Point2d> polyline;  // centre line, px
  // px, px (FWHM), Weber: wrinkles > 0 = darker; stretch marks the profile's contrast, > 0 =
  // lighter
  double length_px, width_px, contrast;
  // compare only (wrinkles): counted because the other session's photo has a counted line
  // along it while this photo's passes only the relaxed tests (PairWrinkles, GuideWrinkles).
  bool paired = false;
  // compare only (wrinkles, GuideWrinkles): a stretch adopted from a line of the other photo
  // that this photo's counted lines already follow (covered runs adding up to
  // wrinkle_min_length_mm), or the second and later adopted stretches of one such line: it
  // adds to the length, area and depth but is not another wrinkle in the count (it is paired
  // too). Always false for striae.
  bool extends = false;
};

struct Detections {
  std::vector<Pore> pores;
  // Pores that pass the pore gates only relaxed by kPairedPoreRelax (response, significance
  // and darkness thresholds x 0.75), kPairedIsolationRelax (the isolation limit x 1.6) and
  // kPairedMaxAxisRatio (axis ratio up to 5 instead of 2.5; sized by the minor axis above 2.5),
  // not counted; gathered only when
  // AnalyzeExtras::marginal asks, for PairPores. Not written to the detections JSON.
  std::vector<Pore> pores_marginal;
  // Wrinkles that pass only the depth and significance tests relaxed by kPairedLineRelax
  // (failed skeleton paths of the line search; a half of a failed path only when the whole
  // was not marginal), for PairWrinkles.
  std::vector<Line> wrinkles_marginal;
  std::vector<Scar> scars;
  std::vector<Line> wrinkles, striae;
};

struct TextureMetrics {
  double roughness = 0;                           // RMS band-passed log Y over all bands
  std::map<std::string, double> roughness_bands;  // "0.1-0.2mm" -> RMS
  // Robust roughness of the skin surface between features: per band 1.4826 x the median of
  // |band-passed log Y| (a Gaussian's sd; sparse pores, wrinkles and scars are outliers and do
  // not move it), noise-corrected, combined like roughness. Natural-log units.
  double micro_relief = 0;
  double glcm_contrast = 0, glcm_homogeneity = 0, glcm_entropy = 0;
};
struct PoreMetrics {
  int count = 0;
  std::optional<double> density_per_cm2, visible_density_per_cm2;
  double mean_diameter_px = 0;
  std::optional<double> mean_diameter_mm, median_diameter_mm;
  double area_fraction = 0;
};
struct ScarMetrics {
  int count = 0;
  double area_fraction = 0;
  std::optional<double> total_area_mm2;
  double mean_contrast = 0;  // Weber vs annulus, > 0 = darker
};
struct WrinkleMetrics {
  int count = 0;
  double length_px = 0;
  std::optional<double> length_density_mm_per_cm2, mean_width_mm;
  double mean_depth = 0;  // mean Weber contrast, > 0 = darker
  double area_fraction = 0;
};
struct StriaeMetrics {
  int count = 0;
  double area_fraction = 0;
  std::optional<double> mean_width_mm;
  double mean_contrast = 0;
};
struct RednessMetrics {
  double erythema_index_mean = 0, a_star_mean = 0, area_fraction = 0;
};
struct ToneMetrics {
  double l_star_mean = 0, l_star_std = 0, ita_deg_mean = 0;
  int spot_count = 0;
  double spot_area_fraction = 0;
};

// Per-tile sums for the change statistics (compare/change_stats.h), gathered in the metrics'
// own passes when Analyze is asked for them (TileRequest), so that comparing two sessions
// does not filter and convert both photos a second time. Grid: squares of tile_px px anchored
// at (0, 0) of the analysed image (image px frame), cols = ceil(width / tile_px), rows =
// ceil(height / tile_px); cell index = row * cols + col.
struct TileRequest {
  int texture_tile_px = 0;  // tile side of the texture sums, px; 0 = not gathered (default)
  int colour_tile_px = 0;   // tile side of the colour sums, px; 0 = not gathered (default)
};

// Optional inputs of Analyze beyond the photo and the metric options (defaults: none).
struct AnalyzeExtras {
  TileRequest tiles;  // per-tile sums to gather into MetricsResult::tiles (change statistics)
  // photometric::SrgbToLinearLuminance(image) when the caller has it already (CV_32FC1 of the
  // image's size; saves converting again), or empty.
  cv::Mat linear_y;
  // false: the texture family is not measured (MetricsResult::texture stays zero and no
  // texture tile sums are gathered), for a caller that measures it itself (compare measures
  // the texture on its own warp and region with MeasureTextureOnly). Default true.
  bool measure_texture = true;
  // true: Detections::pores_marginal and wrinkles_marginal are gathered too (compare: for
  // PairPores and PairWrinkles). Default false.
  bool marginal = false;
  // When set, receive the region measured (CV_8UC1 of the image's size in its px frame, 255 =
  // measured: the roi, or the automatic skin mask without one, minus hair) and the hair mask
  // (CV_8UC1, 255 = hair, excluded from the region), e.g. to draw what was measured. Left
  // empty when Analyze fails before building them. Default nullptr (not returned).
  cv::Mat* region = nullptr;
  cv::Mat* hair = nullptr;
};

struct MetricsTileSums {
  // Texture, over the px the texture metric measures (the ROI minus the coarsest filter's
  // reach): texture[b][cell] = sum of B_b^2, B_b the b-th kept band (TextureBands order) of
  // l = ln(Y + 0.01) divided by its gain (ln units^2); texture[bands][cell] = px measured.
  // Empty when not asked (or when no band is kept / the ROI is empty).
  int texture_tile_px = 0;
  std::vector<std::vector<double>> texture;
  double texture_noise_sd = 0.0;  // Immerkaer noise sd of l over the measured px (ln units)
  // Colour, over the ROI: colour[0][cell] = sum of EI (EI units), [1] sum of a*, [2] sum of
  // L* (CIELAB units), [3] ROI px. Empty when not asked (or the ROI is empty).
  int colour_tile_px = 0;
  std::vector<std::vector<double>> colour;
};

struct MetricsResult {
  long long roi_area_px = 0;
  double px_per_mm = 0;      // the scale the metrics used: the image's, or the assumed one
  bool scale_known = false;  // whether px_per_mm is the image's (physical fields filled)
  std::optional<double> roi_area_cm2;
  TextureMetrics texture;
  PoreMetrics pores;
  ScarMetrics scars;
  WrinkleMetrics wrinkles;
  StriaeMetrics striae;
  RednessMetrics redness;
  ToneMetrics tone;
  double hair_area_fraction = 0;
  Detections detections;
  MetricsOptions effective;  // the parameters used
  MetricsTileSums tiles;     // filled only when asked (TileRequest)
};

// Measures `image` (internal form CV_32FC3) over `roi` (CV_8UC1, 255 = measure; empty = the
// automatic skin mask). mm_per_px: the image scale, or nullopt when unknown.
Status Analyze(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
               const MetricsOptions& options, MetricsResult* result);

// As above with the hair mask already computed: `hair` is CV_8UC1 of the image's size, 255 =
// hair (roi::HairMask with options.hair at this scale), or empty to compute it. For callers
// that measured hair already (compare: the common region excludes hair of both photos).
// `extras`: what a caller can add or leave out (AnalyzeExtras).
Status Analyze(const cv::Mat& image, const cv::Mat& roi, const cv::Mat& hair,
               std::optional<double> mm_per_px, const MetricsOptions& options,
               MetricsResult* result, const AnalyzeExtras& extras = AnalyzeExtras());

// The texture of `image` over `roi` exactly as Analyze measures it (`hair` as for Analyze), with
// the neighbourhoods of `detections` (Analyze's detections on the same skin, same frame) left
// out of micro_relief. For compare, which measures the after photo's texture on its own warp.
// `tiles` (optional): its texture sums are replaced by this measurement's when
// tiles->texture_tile_px > 0 (cleared otherwise); its colour sums are left alone.
// `linear_y` (optional, CV_32FC1 of the image's size): the luminance to measure instead of
// photometric::SrgbToLinearLuminance(image) (compare: the after photo's luminance on its own
// Lanczos warp, SessionMetrics::texture_after).
Status MeasureTextureOnly(const cv::Mat& image, const cv::Mat& roi, const cv::Mat& hair,
                          std::optional<double> mm_per_px, const MetricsOptions& options,
                          const Detections& detections, TextureMetrics* out,
                          MetricsTileSums* tiles = nullptr, const cv::Mat& linear_y = cv::Mat());

// Relaxation of the pore gates for Detections::pores_marginal (PairPores).
constexpr double kPairedPoreRelax = 0.75;
// Widening of the pore isolation limit (the half-darkness region's reach, 2 r + 1.5 px) for
// Detections::pores_marginal: a large pore whose region reaches a neighbouring dark structure
// in one photo only is marginal there, not absent (docs/metrics.md, Pores).
constexpr double kPairedIsolationRelax = 1.6;
// Largest axis ratio of a marginal pore's half-darkness region (a counted pore's: 2.5): a
// small pore whose region the capture's noise stretches in one photo is marginal there, not
// absent. Such a pore (axis ratio over 2.5) is sized as the disc of its region's minor axis
// (area / axis ratio), not by its stretched area (docs/metrics.md, Pores).
constexpr double kPairedMaxAxisRatio = 5.0;
// Largest ratio of the diameters of two pores, one in each photo, that PairPores and GuidePores
// take for the same pore: a 2.6-px pore of one ISIC capture paired a 19.9-px marginal blob of
// the pigment network 5 px away in the other (the larger's match radius reached it), 5 % of
// that photo's pore area.
constexpr double kPairedMaxDiameterRatio = 2.0;

// Pore detection paired across two photos of the same skin in one frame (compare: the before
// frame), hysteresis across sessions: a marginal pore of one photo (pores_marginal) within
// max(2 px, half a diameter) of a counted pore of the other photo that has no counted pore of
// this photo there, their diameters within kPairedMaxDiameterRatio of each other, is counted
// too (Pore::paired), and each result's PoreMetrics recomputed.
// A pore near the threshold then counts in both photos or in neither instead of flickering
// with the capture (noise, JPEG, resampling move its significance by ~10 % on real photos); a
// pore that is gone (closed by a treatment) is not marginal either and is not counted. Both
// results must come from Analyze with AnalyzeExtras::marginal; their pores_marginal are
// consumed (cleared).
void PairPores(MetricsResult* before, MetricsResult* after);

// Darkest level at which GuidePores grows a guided pore's region when its half-darkness region
// is not isolated: the region of Y <= Y_c + level (Y_s - Y_c), tried at 0.4 and then at this
// (0.5 is half darkness); the pore is still sized at half darkness within it (blob_measure.h).
constexpr double kGuidedPoreMinLevel = 0.3;
// A guided pore must read at least this fraction of its guide's darkness (a pore a treatment
// closed leaves the skin's texture, whose darkest pixels read a few % against their surround:
// on the phantoms, counting those made the measured count change a third smaller than the
// true change).
constexpr double kGuidedPoreDarknessRatio = 0.5;

// Pores guided across two photos of the same skin in one frame (compare, after PairPores;
// docs/metrics.md, "Guided across sessions"). The scale-space search of one photo can miss a
// pore the other's found (a small, faint pore's response moves by a third with the capture's
// noise, and below the relaxed threshold it is not even marginal), while its darkness against
// its own surround reads much the same in both. So at every pore a photo counts (its own, or
// one PairPores adopted) that no counted pore of the other photo matches, the other photo is
// measured as its own pores are (blob_measure.h), seeded at that centre and the guide's
// detection scale (Pore::scale_px), and the blob found there is counted (Pore::paired, this
// photo's own centre, size and darkness) when it passes the marginal gates (darkness >=
// kPairedPoreRelax x pore_min_darkness, isolation limit x kPairedIsolationRelax, axis ratio
// <= kPairedMaxAxisRatio), reads at least kGuidedPoreDarknessRatio of the guide's darkness
// (Pore::darkness) with its region grown at half darkness, or else at 0.4 or
// kGuidedPoreMinLevel of the way from its centre's luminance to its surround's (the saddle
// to a neighbouring dark structure moves across the half-darkness level with the capture's
// noise; the region is cut there and the pore sized at half darkness within it; the loosest
// level whose region keeps within the isolation limit itself is taken, else the loosest within
// the widened one), its centre lies at the guide's place (Pore: max(2 px, half a diameter))
// inside `region`, its diameter is within kPairedMaxDiameterRatio of the guide's, and no
// counted pore of that photo is at its place. A pore a treatment closed reads the texture's
// darkness there, not half the pore's, and is not counted.
// `before`, `after`: the photos in internal form (CV_32FC3), or their linear luminance (CV_32FC1,
// photometric::SrgbToLinearLuminance), in the frame of the results; `region`: CV_8UC1 of their
// size, where both were measured. Each result's PoreMetrics is recomputed when a pore is added.
// Errors: a null result, photos or region of the wrong type or size.
Status GuidePores(const cv::Mat& before, const cv::Mat& after, const cv::Mat& region,
                  MetricsResult* before_result, MetricsResult* after_result);

// Relaxation of the wrinkle tests for Detections::wrinkles_marginal (PairWrinkles).
constexpr double kPairedLineRelax = 0.75;

// Wrinkles paired across two photos of the same skin in one frame, as PairPores: a marginal
// line of one photo is counted (Line::paired) when at least half of its centre points lie
// within the band of a counted line of the other photo (ceil(max(2 px, half its width)) either
// side of its rounded centre points) that this photo's counted lines cover for less than half,
// and at most 10 % of them on this photo's own counted lines (a marginal path may hold a
// counted half of itself); each result's WrinkleMetrics is recomputed. Both results must come from
// Analyze with AnalyzeExtras::marginal; their wrinkles_marginal are consumed (cleared).
void PairWrinkles(MetricsResult* before, MetricsResult* after);

// Wrinkles guided across two photos of the same skin in one frame (compare, after PairWrinkles;
// docs/metrics.md, "Guided across sessions"). The line search of one photo can miss a line the
// other's found (it follows faint lines from seeds and splits failed paths, and which seed
// leads where changes with the capture), while the line's cross-profile reads the same in
// both. So every stretch of a line a photo counts (its own, or one PairWrinkles adopted; not
// one adopted here) that the other photo's counted lines do not cover (centre points outside their
// bands), at least wrinkle_min_length_mm long, is measured in the other photo along the same centre
// line (the cross-profile of its central 70 % on ln(Y + 0.01), leaving out samples outside
// `region`; nothing when fewer than half lie inside) and counted there (Line::paired, the guide's
// length measure; its width and depth the guide's scaled by what that measurement reads in this
// photo over what it reads in the guide's, so that one method measures both photos) when it passes
// the wrinkle tests relaxed by kPairedLineRelax and its significance is at least
// kPairedLineRelax x the lower of what a line of its length needs and what the same
// measurement reads in the guide's photo (at least half the need; the full need when the
// guide's photo cannot be measured there). When both photos read one line there (dark
// profiles, depths within kPairedLineRelax of each other) the bar is half the need, each photo
// on its own standard error, provided the guide's photo reads a line, and the guide's photo is
// judged on the larger of the two asymmetries when they agree within 0.1 (this photo on its
// own): a line of one shape that this photo reads above the limit is cut from the guide's
// photo too, so it counts in both photos or in neither; a line a treatment removed or made half
// as deep is judged per photo. A stretch of a guide
// whose other parts this photo's counted lines follow (covered runs adding up to
// wrinkle_min_length_mm, and to 4 band widths at least), or a later stretch of one guide,
// extends a line (Line::extends). A stretch that
// is not counted in the other photo and fails the same relaxed tests in the guide's own photo
// too (with half the need as its bar) is cut from the guide: the line search carried the line
// along a path that reads as no line; pieces left shorter than wrinkle_min_length_mm (or 4
// band widths) are dropped, the others are one wrinkle (the later ones extend the first), and a
// line with no piece left is gone. The width and depth are scaled only when the guide's own
// photo reads a line there (the same tests, half the need). `before`, `after`: the photos in
// internal form (CV_32FC3), or their linear luminance (CV_32FC1,
// photometric::SrgbToLinearLuminance), in the frame of the results; `region`: CV_8UC1 of their
// size, where both were measured. Each result's WrinkleMetrics is recomputed. Errors: a null
// result, photos or region of the wrong type or size.
Status GuideWrinkles(const cv::Mat& before, const cv::Mat& after, const cv::Mat& region,
                     MetricsResult* before_result, MetricsResult* after_result);

// WrinkleMetrics of a list of lines (docs/metrics.md) over roi_area_px at px_per_mm.
WrinkleMetrics WrinkleMetricsOf(const std::vector<Line>& lines, long long roi_area_px,
                                double px_per_mm, bool scale_known);

// PoreMetrics of a list of pores (the definitions of docs/metrics.md) over roi_area_px at
// px_per_mm (scale_known: whether physical fields are filled).
PoreMetrics PoreMetricsOf(const std::vector<Pore>& pores, long long roi_area_px, double px_per_mm,
                          bool scale_known, const MetricsOptions& options);

}  // namespace skintrack::metrics
