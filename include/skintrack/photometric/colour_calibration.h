// Colour calibration against a Macbeth ColorChecker Classic (24 patches) in the photo.
//
// A chart is located (OpenCV mcc, cv::mcc::CCheckerDetector, or four corners given by the
// caller), its 24 patches are sampled in linear light, and a 3x3 colour correction matrix
// (CCM) is fitted with cv::ccm::ColorCorrectionModel (CIEDE2000 loss) that maps the photo's
// linear RGB to linear sRGB (D65) of the chart's reference (ChartReference). Applied
// to the whole photo, it removes exposure and white-balance differences between sessions; a
// spatial light field (side light, vignetting) is not a 3x3 map: remove it first with a
// flat field (photometric/flat_field.h). Method and measured accuracy: docs/colour.md.
//
// Frames: image px of the analysed photo (OpenCV convention, pixel centres at integers).
// Colours: internal form (CV_32FC3, B, G, R, sRGB-encoded [0, 1]); "linear" = linear-light
// sRGB primaries (photometric::SrgbToLinear).
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack::photometric {

// How comparable a photo's colour is, as reported in JSON ("colour.state").
enum class ColourState {
  kUncalibrated,         // nothing was done: colour metrics are not comparable across sessions
  kReferenceNormalised,  // gains fitted on a reference region assumed unchanged
                         // (NormaliseToReference)
  kChart,                // a colour chart's CCM was applied (CalibrateColour)
};
// "uncalibrated", "reference-normalised", "chart".
const char* ColourStateName(ColourState state);

// ---------------------------------------------------------------------------------------------
// Chart geometry and reference.
//
// CHART FRAME: chart units (1 = one patch side), x right, y down, origin at the outer top-left
// corner of the chart body; the body is kChartWidth x kChartHeight. Patches are 1 x 1 squares in
// 4 rows x 6 columns, pitch kChartPatchPitch (gap 0.1, the proportions of cv::mcc's MCC24
// model), inset kChartMargin from the body's edge.
// Patch index k = 6 * row + column (0-based), in the ColorChecker Classic order: row 0 dark skin,
// light skin, blue sky, foliage, blue flower, bluish green; ...; row 3 white, neutral 8, 6.5, 5,
// 3.5, black.
inline constexpr int kChartPatches = 24;
inline constexpr double kChartPatchPitch = 1.1;  // chart units
inline constexpr double kChartMargin = 0.4;      // chart units, body edge to the first patch
inline constexpr double kChartWidth = 2 * kChartMargin + 5 * kChartPatchPitch + 1.0;   // 7.3
inline constexpr double kChartHeight = 2 * kChartMargin + 3 * kChartPatchPitch + 1.0;  // 5.1

// Chart CORNERS: the four outer corners of the chart body in image px, in the order
// top-left (next to patch 0, dark skin), top-right (next to patch 5, bluish green),
// bottom-right (next to patch 23, black), bottom-left (next to patch 18, white).
using ChartCorners = std::array<cv::Point2f, 4>;
// A patch as a quadrilateral in image px (same corner order as the chart's).
using PatchQuad = std::array<cv::Point2f, 4>;

// sRGB-encoded 8-bit reference of the 24 patches in R, G, B order (ColorChecker Classic,
// X-Rite's published sRGB (D65) values for charts made after November 2014, as tabulated in
// Wikipedia's "ColorChecker" article). RenderChart paints these; it is the default fit
// reference (ChartReference::kXriteSrgb).
const std::array<cv::Vec3b, kChartPatches>& ChartReferenceSrgb8();

// What the CCM maps the chart's patches onto.
enum class ChartReference {
  kXriteSrgb,      // ChartReferenceSrgb8() (the values RenderChart paints)
  kOpenCvMacbeth,  // cv::ccm::COLORCHECKER_Macbeth (CIELAB D50, Bradford-adapted to D65); it
                   // differs from kXriteSrgb by a mean CIEDE2000 of 0.9 (docs/colour.md)
};

// Corners of a chart of the proper aspect ratio centred in `rect` (image px, axis-aligned,
// as large as fits), upright (patch 0 top-left).
ChartCorners ChartCornersInRect(const cv::Rect2d& rect);

// The 24 patch quadrilaterals (image px) of a chart with `corners` (full patches: 1 x 1 chart
// units each), indexed as above.
std::array<PatchQuad, kChartPatches> ChartPatchQuads(const ChartCorners& corners);

struct ChartRenderOptions {
  // sRGB-encoded grey of the chart body (the black frame between and around the patches).
  // Default 0.1 (the body of a real chart is a matte black of ~L* 10-20).
  double body_srgb = 0.1;
  // Anti-aliasing: samples per pixel side (area coverage, mixed in linear light). Default 4.
  int supersample = 4;
  Status Check() const;
};

// Paints a ColorChecker Classic with `corners` (image px; any convex quadrilateral, e.g. a
// perspective view) into `image` (internal form, modified in place; pixels outside the chart
// are untouched, edge pixels are mixed with the scene by area in linear light). Compose onto a
// phantom scene BEFORE its capture (phantom::ApplyCapture) so exposure, white balance and side
// light act on the chart as on the skin. Errors: InvalidArgument (options, non-convex or
// degenerate corners, null image) or CheckImage's code (image not internal form).
Status RenderChart(const ChartCorners& corners, const ChartRenderOptions& options, cv::Mat* image);

// ---------------------------------------------------------------------------------------------
// Calibration.

enum class Linearisation {
  kSrgb,   // the exact sRGB transfer curve (IEC 61966-2-1), matching the internal form
  kGamma,  // a pure power law, v^gamma (ColourOptions::gamma)
};

struct ColourOptions {
  // When true and chart_corners is empty, the chart is located with cv::mcc (MCC24).
  // Default true.
  bool detect_chart = true;
  // Chart corners given by the caller (image px, order documented at ChartCorners): 0 or 4
  // points. When 4, detection is skipped and these are used (e.g. `--chart-corners`). Default
  // empty.
  std::vector<cv::Point2f> chart_corners;
  // Refine the chart's corners (detected or given) by aligning a synthetic chart image to the
  // photo (ECC, homography): cv::mcc's box is off by up to ~0.2 patch sides. The refinement is
  // kept only when it moves no corner by more than 0.3 patch sides. Default true.
  bool refine_corners = true;
  // How the photo's sRGB-encoded values are linearised before the fit. Default kSrgb (exact
  // for the internal form; kGamma with gamma 2.2 is what cv::ccm uses by default).
  Linearisation linearisation = Linearisation::kSrgb;
  double gamma = 2.2;  // exponent for kGamma. Default 2.2; range [1, 3].
  // The patch colours the CCM aims at. Default kXriteSrgb.
  ChartReference reference = ChartReference::kXriteSrgb;
  // Fraction of each patch's side sampled around its centre (avoids edges and misplacement).
  // Default 0.5; range (0, 1].
  double patch_fraction = 0.5;
  // A patch whose sampled pixels have any channel at or above this sRGB-encoded value in
  // more than 1 % of the pixels is clipped and left out of the fit. Default 0.99.
  double clip_level = 0.99;
  // Fewest usable (unclipped, non-empty) patches for a fit. Default 18 of 24; range [9, 24].
  int min_patches = 18;
  // A fit whose mean CIEDE2000 over the used patches exceeds this is rejected (found = false):
  // a wrong detection or a chart that is not a ColorChecker Classic. Default 6.
  double max_mean_de2000 = 6.0;
  Status Check() const;
};

struct ColourCalibration {
  // True when a chart was located AND fitted within max_mean_de2000; only then apply `ccm`.
  bool found = false;
  // "detected" (cv::mcc), "corners" (given by the caller) or "" when no chart was located.
  std::string chart_source;
  // Colour correction on LINEAR light, rows and columns in R, G, B order:
  // (R, G, B)_corrected^T = ccm * (R, G, B)_photo^T, where photo values are linearised with
  // `linearisation` and corrected values are linear sRGB (D65). Identity when !found.
  cv::Matx33d ccm = cv::Matx33d::eye();
  Linearisation linearisation = Linearisation::kSrgb;  // the linearisation `ccm` expects
  double gamma = 2.2;                                  // exponent when kGamma
  // Fit error: CIEDE2000 between corrected patches and the reference (D65), over the patches
  // used in the fit: mean and maximum. 0 when !found.
  double mean_de2000 = 0.0;
  double max_de2000 = 0.0;
  int patches_used = 0;  // patches in the fit (clipped ones are left out)
  // The chart's outer corners in image px (ChartCorners order); empty when not located.
  std::vector<cv::Point2f> chart_corners;
  // Mean linear R, G, B of each patch as sampled (before correction); empty when not located.
  std::vector<cv::Vec3d> patch_linear_rgb;
  // One line: what was found and the fit error, or why no calibration was made.
  std::string message;
};

// Locates a chart in `image` (internal form) and fits the CCM. A photo without a (usable)
// chart is not an error: Ok with found = false and the reason in `message`. Errors:
// InvalidArgument (options, null out) or CheckImage's code (image empty, not internal form,
// non-finite or < 64 px).
// Deterministic.
Status CalibrateColour(const cv::Mat& image, const ColourOptions& options,
                       ColourCalibration* calibration);

// The photo with `calibration` applied (internal form in, internal form out: linearise, ccm,
// sRGB-encode, clamped to [0, 1]). Returns a copy of `image` when !calibration.found.
cv::Mat ApplyColourCalibration(const cv::Mat& image, const ColourCalibration& calibration);

// The pixels covered by the chart (CV_8UC1, 255 inside the chart body dilated by `margin_px`)
// for excluding it from skin measurements; all zero when !calibration.found or no corners.
cv::Mat ChartMask(cv::Size size, const ColourCalibration& calibration, double margin_px);

// CIELAB (D65 white, L* in [0, 100]) of a linear sRGB colour in R, G, B order.
cv::Vec3d LinearRgbToLab(const cv::Vec3d& rgb);
// CIEDE2000 colour difference (kL = kC = kH = 1) between two CIELAB colours.
double DeltaE2000(const cv::Vec3d& lab1, const cv::Vec3d& lab2);

}  // namespace skintrack::photometric
