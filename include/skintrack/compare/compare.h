// Comparing a before/after pair of photos of one skin area: alignment, scale and metrics.
//
// Scale (docs/scale.md): a user-given mm_per_px wins ("user"); else an ArUco marker in the
// before photo ("marker", session "before"); else a marker in the after photo carried into the
// before frame through the alignment ("marker", session "after"); else unknown ("none").
#pragma once

#include <array>
#include <functional>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <string>

#include "skintrack/align/align.h"
#include "skintrack/calib/marker.h"
#include "skintrack/core/status.h"
#include "skintrack/io/image_io.h"
#include "skintrack/metrics/metrics.h"

namespace skintrack::compare {

struct CompareOptions {
  align::AlignOptions align;  // registration settings (see align.h for defaults)
  // Physical scale of the BEFORE image in mm per px, from the user; unset = unknown (then a
  // marker is looked for when detect_marker is true).
  std::optional<double> mm_per_px;
  // Look for an ArUco marker in both photos when mm_per_px is unset. Default true.
  bool detect_marker = true;
  calib::MarkerOptions marker;  // dictionary and side of the marker (see calib/marker.h)
  Status Check() const;
};

// Where the physical scale came from, with the evidence.
struct ScaleInfo {
  // mm per before-image px; nullopt when unknown. From a marker it is the local scale at the
  // marker (exact there; elsewhere it varies with the photo's tilt).
  std::optional<double> mm_per_px;
  std::string source = "none";  // "user" (mm_per_px option), "marker" or "none"
  std::string reason;           // one line: how the scale was obtained, or why there is none
  // --- source "marker" only ---
  std::string session;            // photo the marker was measured in: "before" or "after"
  int marker_id = -1;             // ArUco id (-1 when not from a marker)
  double fit_residual_px = -1.0;  // MarkerScale::fit_residual_px, px of that session's photo
  // Marker centre in the BEFORE frame, px (an after-photo marker is mapped through the global
  // after_to_before homography). (-1, -1) when not from a marker.
  cv::Point2d marker_centre_before{-1.0, -1.0};
  // Cross-check when both photos show a marker and the alignment did not fail: the after
  // photo's marker carried into the before frame, mm per before px (at that marker's centre).
  std::optional<double> mm_per_px_from_after;
  // Raw detections, each in its own photo's full-size frame (found == false when not looked
  // for or not found).
  calib::MarkerScale before_marker, after_marker;
};

struct ImageDescription {
  std::string path;  // as given by the caller ("" for in-memory images)
  int width = 0;     // px
  int height = 0;    // px
  // io::LoadedImage::warning: a problem the decoder got past (the pixels may be partly wrong),
  // "" when the data decoded cleanly or the image came from memory.
  std::string decode_warning;
};

struct CompareResult {
  ImageDescription before, after;
  align::AlignmentResult alignment;
  ScaleInfo scale;
};

// Aligns `after` onto `before` (internal form CV_32FC3) and fills *result. Returns non-ok only
// for invalid arguments; an unalignable pair is ok() with alignment.status == kFailed.
Status ComparePair(const cv::Mat& before, const cv::Mat& after, const CompareOptions& options,
                   CompareResult* result);

// The scale of ONE photo (analyze), by the rules of ScaleInfo: the user's mm_per_px wins
// ("user"); else `marker` (that photo's DetectMarkerScale result) when found ("marker",
// session "image", before_marker = marker); else "none". `options` names the target in the
// reason.
ScaleInfo ResolvePhotoScale(std::optional<double> user_mm_per_px, const calib::MarkerScale& marker,
                            const calib::MarkerOptions& options);

// A pair of photos loaded for comparison.
struct LoadedPair {
  io::LoadedImage before, after;  // possibly decoded at reduced size (see LoadPair)
  // Regions left out of the registration evidence, per photo (CV_8UC1 in that photo's frame,
  // any size: resized to the image; 255 = leave out; empty = none): objects in view that are
  // not skin, such as a fitted colour chart, whose patch grid would otherwise dominate the
  // evidence (align::FillExcluded). The marker search still sees the photos as they are, and
  // the metrics are not affected (leave the object out of their roi).
  cv::Mat before_exclude, after_exclude;
};

// Loads both photos (in parallel). With full_resolution == false, JPEGs are decoded at the
// largest power-of-two reduction whose long side still reaches options.align.working_long_side
// (registration never sees more), which is several times faster; use true when full-size
// pixels are needed (aligned images, metrics). Errors name the file.
Status LoadPair(const std::string& before_path, const std::string& after_path,
                const io::LoadOptions& load, const CompareOptions& options, bool full_resolution,
                LoadedPair* pair);

// ComparePair on a loaded pair; the result is expressed in the full-size frames of the files.
Status ComparePair(const LoadedPair& pair, const CompareOptions& options, CompareResult* result);

// Receives the before photo's scale (mm per full-size before px; nullopt = unknown) when it is
// known before the registration ends: the user's scale, the marker search off, a marker in the
// before photo, or no marker in either photo. Equal to the result's scale.mm_per_px.
using EarlyScaleCallback = std::function<void(std::optional<double> mm_per_px)>;

// The same, calling `on_early_scale` (from the thread of the marker search, beside the
// registration, so it must be thread-safe) once the scale is known that way; not called when
// only the after photo shows a marker (the scale is then carried through the alignment) or
// when the arguments are invalid. Lets a caller start work that needs the scale but not the
// alignment (the photos' quality gate) while the pair is registered.
Status ComparePair(const LoadedPair& pair, const CompareOptions& options, CompareResult* result,
                   const EarlyScaleCallback& on_early_scale);

// Both sessions measured over the identical skin: the before frame, restricted to the overlap
// of the aligned after photo (the kernels' reach left out: WarpForMeasuring), the user ROI (or both
// automatic skin masks), minus hair seen in either photo.
struct SessionMetrics {
  metrics::MetricsResult before, after;
  cv::Mat region;  // CV_8UC1 in the before frame: where both were measured
  // Each photo's hair mask (0 before, 1 after; CV_8UC1 in the before frame, 255 = hair),
  // left out of `region`: for drawing what was measured.
  std::array<cv::Mat, 2> hair;
  cv::Mat aligned_after;  // the after photo warped into the before frame (bicubic); outside
                          // the overlap: the before photo scaled to the after photo's mean
  // The after photo's linear luminance (photometric::SrgbToLinearLuminance) warped with
  // Lanczos-4 interpolation (CV_32FC1; outside the overlap the before photo's luminance scaled
  // to the after photo's mean), on which the after photo's texture is measured. OpenCV's
  // bicubic (a = -0.75) raises periods of 4-10 px by up to 3 % at half-pixel shifts: on it the
  // after photo read ~1.5 % rougher than the before photo in every phantom pair; Lanczos-4 is
  // flat over the texture bands. The other families keep the bicubic warp (Lanczos ringing
  // flips more faint lines and scars). Luminance only: the texture needs nothing else, and one
  // channel is a third of the warp.
  cv::Mat texture_after;
  // `region` minus the pixels clipped in either photo (a channel >= 250/255: cut off at the
  // sensor's limit by an amount that depends on the exposure), CV_8UC1: where both sessions'
  // texture is measured. The other families use `region` (cutting their lines and blobs at
  // the clipped patches flipped more of them on the phantoms).
  cv::Mat texture_region;
};

// The after photo warped into the before frame (align::WarpAfterToBefore with
// compare::kMeasureInterpolation) made ready for measuring: clamped to [0, 1] (the kernel's
// overshoot), and outside `overlap` (CV_8UC1, 255 = the warp's valid pixels) filled with the
// before photo scaled per channel by the after / before mean ratio over the overlap (1 when
// the overlap is empty), so that the large-scale filters see no black border and no exposure
// step there. `before` and
// `aligned_after`: CV_32FC3 (the internal form) or both CV_32FC1 (linear luminance), of one
// size. In fixed row bands on every core (deterministic). CompareMetrics does this; so must
// any caller measuring an aligned pair itself.
void PrepareAlignedAfter(const cv::Mat& before, const cv::Mat& overlap, cv::Mat* aligned_after);

// The after photo made ready for measuring in the before frame, as CompareMetrics does it,
// from one mapping: `aligned_after` warped with kMeasureInterpolation and `texture_after` (the
// after photo's linear luminance, CV_32FC1) with Lanczos-4, each prepared by
// PrepareAlignedAfter (the luminance against `before_linear_y`, the before photo's
// photometric::SrgbToLinearLuminance; it and `after_linear_y`, the after photo's, are computed
// here when empty); `overlap` (CV_8UC1) = the warp's valid pixels eroded by the Lanczos
// kernel's reach (the outermost valid pixels blend taps outside the after photo, read as 0;
// 4 after px = 4 / quality::AfterPxPerBeforePx at the before photo's centre, at least
// 4 and at most 64 before px), where both may be measured; the fill
// outside it replaces that dark strip, which the line filters saw as a line. Both warps are
// clamped to [0, 1], so finite when the inputs are. Errors: a photo that is empty or not
// CV_32FC3, a luminance plane of the wrong type or size.
Status WarpForMeasuring(const cv::Mat& before, const cv::Mat& after,
                        const align::AlignmentResult& alignment, cv::Mat* aligned_after,
                        cv::Mat* texture_after, cv::Mat* overlap,
                        const cv::Mat& before_linear_y = cv::Mat(),
                        const cv::Mat& after_linear_y = cv::Mat());

// Pixels of an internal-form image (CV_32FC3) with a channel >= 250/255 (CV_8UC1, 255 =
// clipped): their luminance, and so the texture's band values, are cut off at the sensor's
// limit by an amount that depends on the exposure (JPEG ringing spreads a clipped area's 255
// over a few levels). The texture is measured without them (SessionMetrics::texture_region).
cv::Mat ClippedPixels(const cv::Mat& image);

// Interpolation of the after photo warped for measuring: bicubic. Lanczos-4 (8 x 8) was
// tried for the whole photo: it lowered the texture CVs (fixed-light phantom test-retest pairs
// 0.95 -> 0.18 %) and the ISIC GLCM / pore-count changes (2.67 -> 2.04 %, 5.4 -> 5.0 %), but
// its ringing around scars and wrinkles broke the phantom invariance of the scar count (median
// change 0 -> 16.7 %, one scar in six flipping) and raised the wrinkle length change (2.4 ->
// 3.3 %); wrinkle CVs moved within their sampling noise. So bicubic for every family but the
// texture, which is measured on a second, Lanczos-4 warp (SessionMetrics::texture_after).
inline constexpr int kMeasureInterpolation = cv::INTER_CUBIC;

// `before`, `after`: full-size internal-form images; `roi`: CV_8UC1 in the before frame or
// empty; mm_per_px: the before photo's scale (the aligned after shares it) or nullopt.
// `after` is taken by value (a header: the pixels are shared) and released once warped, so a
// caller that no longer needs the after photo can std::move it in and save its memory
// (144 MB at 12 MP) at the peak; every FiniteImageScope forgets it then (ForgetKnownFinite).
// When both photos (and the luminance planes given) are known finite (core/image.h), so are
// the images derived here while they are measured: the stages skip their scans of the values.
// `aligned_after` and `texture_after` are finite and clamped to [0, 1] when the photos are
// finite.
// `tiles`: per-tile sums each session's metrics gather on the way (for the change statistics:
// compare::ChangeStatsTiles); none by default. `before_linear_y`, `after_linear_y`: the
// photos' photometric::SrgbToLinearLuminance when the caller has them (the quality gate
// converts them too), else empty; `after_linear_y` is released once warped, like `after`.
Status CompareMetrics(const cv::Mat& before, cv::Mat after, const align::AlignmentResult& alignment,
                      const cv::Mat& roi, std::optional<double> mm_per_px,
                      const metrics::MetricsOptions& options, SessionMetrics* out,
                      const metrics::TileRequest& tiles = metrics::TileRequest(),
                      const cv::Mat& before_linear_y = cv::Mat(),
                      cv::Mat after_linear_y = cv::Mat());

}  // namespace skintrack::compare
