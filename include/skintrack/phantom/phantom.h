// Synthetic skin phantoms with exact ground truth.
//
// A phantom is rendered in three steps:
//  1. Skin: a procedural skin albedo in the SKIN FRAME (px, x right, y down; sampled at
//     SkinOptions::px_per_mm) with micro-relief, pores, scars, wrinkles, stretch marks,
//     redness, pigmented spots and (optionally) hairs, each with known position and size.
//  2. Treatment: the "after" skin is the same skin with known changes (TreatmentOptions).
//  3. Capture: each session's photo is the skin seen through a homography image_from_skin and
//     a photometric capture model in linear light (exposure gain, white-balance gains, a smooth
//     side-light field), then blur, noise, sRGB encoding and optional JPEG (CaptureOptions).
// Deterministic for a given PhantomOptions (including seed).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack::phantom {

// What the skin is. Lengths in mm (converted with px_per_mm), densities per cm^2.
struct SkinOptions {
  double px_per_mm = 20.0;             // sampling of the skin frame. Default 20 px/mm.
  double base_l = 66.0;                // base colour, CIELAB (D65). Default L* 66,
  double base_a = 13.0;                //   a* 13,
  double base_b = 17.0;                //   b* 17 (light-intermediate skin).
  double micro_relief_rms = 0.05;      // RMS of the micro-relief log-luminance texture.
  double pore_density_per_cm2 = 80.0;  // Default 80 /cm^2.
  double pore_radius_min_mm = 0.05;    // Pore radius range. Default 0.05-0.15 mm.
  double pore_radius_max_mm = 0.15;
  double pore_contrast = 0.35;      // Weber darkness at a pore centre. Default 0.35.
  int scar_count = 6;               // Atrophic scars (irregular discs). Default 6.
  double scar_radius_min_mm = 0.6;  // Default 0.6-1.5 mm.
  double scar_radius_max_mm = 1.5;
  double scar_contrast = 0.15;         // Weber darkness of the scar floor. Default 0.15.
  int wrinkle_count = 5;               // Curved lines. Default 5.
  double wrinkle_length_min_mm = 6.0;  // Default 6-20 mm.
  double wrinkle_length_max_mm = 20.0;
  double wrinkle_width_min_mm = 0.1;  // Full width at half depth. Default 0.1-0.4 mm.
  double wrinkle_width_max_mm = 0.4;
  double wrinkle_contrast = 0.15;    // Weber darkness on the centre line. Default 0.15.
  int striae_count = 0;              // Stretch marks (roughly parallel bands). Default 0.
  double striae_width_min_mm = 1.0;  // Default 1-4 mm.
  double striae_width_max_mm = 4.0;
  double striae_contrast = 0.10;       // Weber brightness (alba, > 0 lighter). Default 0.10.
  int redness_count = 3;               // Erythema patches. Default 3.
  double redness_radius_min_mm = 2.0;  // Default 2-6 mm.
  double redness_radius_max_mm = 6.0;
  double redness_delta_a = 8.0;     // a* increase at a patch centre. Default 8.
  int spot_count = 4;               // Pigmented spots. Default 4.
  double spot_radius_min_mm = 0.4;  // Default 0.4-1.2 mm.
  double spot_radius_max_mm = 1.2;
  double spot_delta_l = -10.0;     // L* change at a spot centre. Default -10.
  int hair_count = 0;              // Dark hairs (curved, sharp). Default 0.
  double hair_width_mm = 0.08;     // Default 0.08 mm.
  double hair_contrast_min = 0.5;  // Weber darkness of each hair, uniform in this range.
  double hair_contrast_max = 0.7;  //   Default 0.5-0.7 (dark); grey or blond hairs ~0.1-0.25.
  // Low-texture mode: faint pores (contrast 0.06), no micro-relief, no scars/wrinkles/spots.
  bool low_texture = false;
  Status Check() const;
};

// The known change from the before skin to the after skin. 1.0 / 0.0 = unchanged.
struct TreatmentOptions {
  double pore_radius_scale = 1.0;    // every open pore's radius is multiplied by this
  double pore_close_fraction = 0.0;  // this fraction of pores disappears (chosen by seed)
  double scar_contrast_scale = 1.0;
  double wrinkle_contrast_scale = 1.0;
  double striae_contrast_scale = 1.0;
  double redness_scale = 1.0;        // multiplies each patch's delta a*
  double spot_contrast_scale = 1.0;  // multiplies each spot's delta L*
  double micro_relief_scale = 1.0;   // multiplies micro-relief amplitude
  Status Check() const;
};

// How one session is photographed.
struct CaptureOptions {
  // Maps skin-frame px (x, y, 1) to image px. Default identity.
  cv::Matx33d image_from_skin = cv::Matx33d::eye();
  double exposure = 1.0;                   // linear gain. Default 1.
  cv::Vec3d white_balance{1.0, 1.0, 1.0};  // linear gains on B, G, R. Default 1.
  // Side light: linear-light multiplier 1 + strength * cos-ramp across the image in direction
  // side_light_angle_deg (0 = light from the left, i.e. brighter at x = 0). Default 0 (none).
  double side_light_strength = 0.0;
  double side_light_angle_deg = 0.0;
  double blur_sigma_px = 0.0;  // Gaussian blur in image px. Default 0.
  double noise_sigma = 0.0;    // Gaussian noise sd in linear units. Default 0.
  int jpeg_quality = 0;        // 0: no JPEG round trip; else 1..100.
  Status Check() const;
};

// Range of a random capture (see RandomCapture). Defaults are the "random capture".
struct RandomCaptureOptions {
  double max_rotation_deg = 10.0;          // uniform in [-max, max]
  double max_scale_change = 0.10;          // scale uniform in [1-max, 1+max]
  double max_translation_fraction = 0.03;  // of the image size
  double max_perspective = 0.05;  // corner displacement as a fraction of the size (keystone)
  double max_exposure_change = 0.30;
  double max_white_balance_change = 0.08;
  double max_side_light = 0.30;
  double blur_sigma_px = 0.0;
  double noise_sigma = 0.003;
  int jpeg_quality = 85;
  Status Check() const;
};

// A printed ArUco marker (calib/marker.h) lying flat on the skin: white paper carrying the
// black-bordered cell pattern, drawn into the SKIN FRAME so that it undergoes each capture's
// warp, light, blur, noise and JPEG like the skin. It covers the skin (and any feature) under
// it. Rendering uses 4x4 supersampling per skin px.
struct MarkerSceneOptions {
  double side_mm = 0.0;   // outer side of the black border, mm; 0 = no marker. Default 0.
  bool in_before = true;  // present in the before capture. Default true.
  bool in_after = true;   // present in the after capture. Default true.
  int id = 0;             // marker id in the dictionary. Default 0.
  std::string dictionary = "DICT_4X4_50";  // ArUco dictionary name. Default DICT_4X4_50.
  double quiet_zone_cells = 1.0;           // white paper margin around the black border, in marker
                                           // cells (side / (bits + 2)). Default 1 cell.
  // Marker centre in the BEFORE image as fractions of (width - 1, height - 1); it is placed on
  // the skin point seen there. Default (0.2, 0.25): upper left, clear of the centre.
  double centre_x_fraction = 0.2;
  double centre_y_fraction = 0.25;
  double rotation_deg = 12.0;       // rotation of the marker on the skin, deg. Default 12.
  double paper_reflectance = 0.80;  // linear reflectance of the paper (grey). Default 0.80.
  double ink_reflectance = 0.04;    // linear reflectance of the black ink. Default 0.04.
  Status Check() const;
};

// A ColorChecker Classic (photometric::RenderChart, the reference sRGB patches) lying flat on
// the skin, drawn into the SKIN FRAME so that each capture's warp, exposure, white balance,
// side light, noise and JPEG act on it as on the skin: a target for `--chart` calibration.
// Axis-aligned in the skin frame; it covers the skin under it.
struct ChartSceneOptions {
  // Chart width as a fraction of the before image's width (in skin px through the before
  // capture's scale at the chart centre); 0 = no chart. Default 0. mcc needs ~0.25 or more.
  double width_fraction = 0.0;
  // Chart centre in the BEFORE image as fractions of (width - 1, height - 1). Default
  // (0.28, 0.72): lower left.
  double centre_x_fraction = 0.28;
  double centre_y_fraction = 0.72;
  bool in_before = true;  // present in the before capture. Default true.
  bool in_after = true;   // present in the after capture. Default true.
  Status Check() const;
};

struct PhantomOptions {
  int width = 1600;  // output image size, px. Default 1600x1200.
  int height = 1200;
  std::uint64_t seed = 1;
  SkinOptions skin;
  TreatmentOptions treatment;
  CaptureOptions before_capture;  // default: identity geometry, neutral light
  CaptureOptions after_capture;
  MarkerSceneOptions marker;  // default: no marker
  ChartSceneOptions chart;    // default: no chart
  Status Check() const;
};

// Ground-truth features, in the BEFORE IMAGE frame (px), with before and after values.
struct TruthPore {
  double x, y, radius_before_px, radius_after_px;
  bool closed;
};
struct TruthBlob {
  double x, y, radius_px;
  double before, after;
};                  // scars, redness, spots
struct TruthLine {  // wrinkles, striae, hair
  std::vector<cv::Point2d> polyline;
  double width_px, before, after;
};

// Where the scene's marker is and the true scale at it (all zero / false without a marker).
struct TruthMarker {
  bool in_before = false, in_after = false;  // rendered in that capture
  int id = -1;
  double side_mm = 0.0;  // outer side of the black border, mm
  // Outer corners (ArUco order: top-left, top-right, bottom-right, bottom-left of the marker as
  // printed) and centre, image px of each capture (computed even where it is not rendered).
  std::array<cv::Point2d, 4> corners_before{}, corners_after{};
  cv::Point2d centre_before, centre_after;
  // True local scale at the marker centre, image px per mm on the skin plane
  // (px_per_mm * sqrt|det J| of that capture's image_from_skin at the marker centre).
  double px_per_mm_before = 0.0, px_per_mm_after = 0.0;
};

struct PhantomTruth {
  cv::Matx33d after_to_before;  // after-image px -> before-image px (the registration truth)
  cv::Matx33d before_from_skin, after_from_skin;
  double px_per_mm_before = 0.0;  // image scale of the before photo at its centre
  TruthMarker marker;             // the scene's marker (MarkerSceneOptions)
  // The scene's chart (ChartSceneOptions): its four corners (photometric::ChartCorners order)
  // in each capture's image px; empty without a chart.
  std::vector<cv::Point2d> chart_corners_before, chart_corners_after;
  std::vector<TruthPore> pores;
  std::vector<TruthBlob> scars, redness, spots;    // before/after: contrast, delta a*, delta L*
  std::vector<TruthLine> wrinkles, striae, hairs;  // before/after: contrast
  double micro_relief_rms_before = 0.0, micro_relief_rms_after = 0.0;
};

struct PhantomPair {
  cv::Mat before, after;  // internal form (CV_32FC3 BGR sRGB [0,1]), JPEG applied
  PhantomTruth truth;
};

// Renders a before/after pair.
Status RenderPair(const PhantomOptions& options, PhantomPair* pair);

// Draws a random capture for an image of `size` (geometry about the image centre, light,
// WB); deterministic for the state of `rng`.
CaptureOptions RandomCapture(const RandomCaptureOptions& options, cv::Size size,
                             std::mt19937_64& rng);

// Re-photographs an existing internal-form image (e.g. a real photograph) with `capture`:
// warps it by capture.image_from_skin (the input image is the "skin frame"), applies the
// photometric model, blur, noise and JPEG. Output size `size`; pixels that map outside the
// input are filled by reflecting the border. Deterministic for `seed`.
Status ApplyCapture(const cv::Mat& image, const CaptureOptions& capture, cv::Size size,
                    std::uint64_t seed, cv::Mat* out);

// Truth as JSON (schema "skintrack.phantom_truth.v1"), documented in docs/phantom.md.
nlohmann::json TruthToJson(const PhantomTruth& truth, const PhantomOptions& options);

}  // namespace skintrack::phantom
