// Private helpers of the phantom module: random streams, homography helpers, the skin model
// (features in the skin frame), its rendering and the capture model. See docs/phantom.md.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "skintrack/core/homography.h"
#include "skintrack/core/status.h"
#include "skintrack/phantom/phantom.h"

namespace skintrack::phantom::internal {

using skintrack::LocalScale;  // core/homography.h

// ---- Random streams -------------------------------------------------------------------------

// Independent stream ids, one per feature family (changing one family's options never
// reshuffles another family's draws).
enum class Stream : std::uint64_t {
  kPores = 1,
  kPoreClose,
  kScars,
  kWrinkles,
  kStriae,
  kRedness,
  kSpots,
  kHairs,
  kMicroRelief,
  kBeforeNoise,
  kAfterNoise,
};

std::uint64_t SplitMix64(std::uint64_t x);
// Seed of `stream` for the phantom seed `seed`.
std::uint64_t StreamSeed(std::uint64_t seed, Stream stream);
// Uniform in [0, 1) from the top 53 bits (portable, unlike std::uniform_real_distribution).
double Uniform01(std::mt19937_64& rng);
double Uniform(std::mt19937_64& rng, double lo, double hi);

// Adds N(0, sigma^2) noise to every element of a CV_32F image, in parallel, deterministic for
// `seed` whatever the number of threads (one generator per fixed block of 32 rows).
void AddGaussian(cv::Mat* image, double sigma, std::uint64_t seed);

// ---- Homographies ---------------------------------------------------------------------------

cv::Matx33d Translation(double tx, double ty);
// Ok when `image_from_src` is finite and invertible and the preimages of the four corners of
// an image of `size` are finite points on the same side of the horizon.
Status CheckCaptureGeometry(const cv::Matx33d& image_from_src, cv::Size size,
                            const std::string& what);
// Bounding box (src px) of the preimage of an image of `size` (pixel-edge corners).
cv::Rect2d PreimageBox(const cv::Matx33d& image_from_src, cv::Size size);
// Anti-alias pre-blur sigma (src px) for a capture whose local scale at the image centre is
// s: 0.5 * sqrt(1/s^2 - 1) when s < 1, else 0.
double AntiAliasSigma(const cv::Matx33d& image_from_src, cv::Size size);

// ---- Skin model (skin-frame px) ---------------------------------------------------------------

struct Pore {
  cv::Point2d c;
  double radius;      // half-darkness radius of the flat-bottom disc, skin px
  double close_draw;  // uniform [0,1) draw: closed by the treatment when < close fraction
};
struct Scar {
  cv::Point2d c;
  double radius;  // mean radius of the half-darkness contour, skin px
  double amp[3];  // irregularity: relative amplitudes of harmonics 2, 3, 4
  double phase[3];
};
struct Blob {  // redness (delta a*) and spots (delta L*)
  cv::Point2d c;
  double radius;  // half-maximum radius, skin px
};
struct Line {  // wrinkles, striae, hairs
  std::vector<cv::Point2d> pts;
  double length;  // arc length, skin px
  double width;   // skin px: FWHM (wrinkles, striae), edge to edge (hairs)
  double contrast;
};

struct SkinModel {
  SkinOptions skin;  // effective options (low_texture applied)
  cv::Rect canvas;   // skin-frame px covered by the rendered canvas
  std::vector<Pore> pores;
  std::vector<Scar> scars;
  std::vector<Blob> redness, spots;
  std::vector<Line> wrinkles, striae, hairs;
  cv::Mat relief;  // CV_32FC1 over `canvas`: zero-mean, unit-RMS band-limited noise (or empty)
};

// The skin options actually rendered: low_texture zeroes micro-relief, scars, wrinkles, spots
// and hairs and sets the pore contrast to 0.06; a family of zero magnitude gets no features.
SkinOptions EffectiveSkin(const SkinOptions& skin);

// Draws every feature (before state). Count features are centred in the before image (inset
// ~1 mm); pores cover the whole canvas. `before_from_skin` and `size` define the before view.
SkinModel BuildSkinModel(const SkinOptions& effective_skin, std::uint64_t seed,
                         const cv::Rect& canvas, const cv::Matx33d& before_from_skin,
                         cv::Size size);

// Renders the canvas (CV_32FC3 linear BGR) for the before state (treatment == nullptr) or the
// after state into *canvas (its memory is reused when it already has the canvas size).
void RenderSkin(const SkinModel& model, const TreatmentOptions* treatment, cv::Mat* canvas);

// Linear sRGB (B, G, R) of a CIELAB (D65) colour, negative components clamped to 0.
cv::Vec3f LabToLinearBgr(double l, double a, double b);

// ---- Marker (marker_scene.cpp) -------------------------------------------------------------

// Similarity mapping marker-frame mm (calib/marker.h: origin at the top-left outer corner of
// the black border, x right, y down) to skin-frame px, for a marker centred on the skin point
// that `before_from_skin` shows at the options' centre fractions of an image of `size`.
cv::Matx33d SkinFromMarkerMm(const MarkerSceneOptions& marker, double px_per_mm,
                             const cv::Matx33d& before_from_skin, cv::Size size);

// Paints the marker (paper and ink, linear reflectances) into `linear` (CV_32FC3 linear BGR)
// whose pixel (0, 0) is skin-frame px canvas.tl(); 4x4 supersampling per px.
Status PaintMarker(const MarkerSceneOptions& marker, const cv::Matx33d& skin_from_marker_mm,
                   const cv::Rect& canvas, cv::Mat* linear);

// ---- Chart (marker_scene.cpp) --------------------------------------------------------------

// The chart's corners (photometric::ChartCorners order) in skin-frame px: axis-aligned, centred
// on the skin point `before_from_skin` shows at the options' centre fractions of an image of
// `size`, width_fraction of that image's width (through the local scale there).
std::vector<cv::Point2d> ChartCornersInSkin(const ChartSceneOptions& chart,
                                            const cv::Matx33d& before_from_skin, cv::Size size);

// Paints the chart (photometric::RenderChart's patches, converted to linear light) into
// `linear` (CV_32FC3 linear BGR) whose pixel (0, 0) is skin-frame px canvas.tl().
Status PaintChart(const std::vector<cv::Point2d>& corners_skin, const cv::Rect& canvas,
                  cv::Mat* linear);

// ---- Capture ------------------------------------------------------------------------------

// Photographs a linear-light source image: anti-alias, warp by image_from_src (border_mode
// for samples outside the source), exposure, white balance, side light, blur, noise, sRGB,
// JPEG. Output: internal form (CV_32FC3 sRGB [0,1]) of `size`. *linear_src is consumed (the
// anti-alias blur is applied to it in place).
cv::Mat CaptureLinear(cv::Mat* linear_src, const cv::Matx33d& image_from_src,
                      const CaptureOptions& capture, cv::Size size, std::uint64_t noise_seed,
                      int border_mode);

}  // namespace skintrack::phantom::internal
