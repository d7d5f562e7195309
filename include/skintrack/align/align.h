// Registration of an "after" photo onto a "before" photo of the same skin area.
//
// Frames: BEFORE frame = before-image pixels, AFTER frame = after-image pixels; OpenCV
// convention, pixel centres at integer coordinates, x right, y down. `after_to_before` maps
// an after pixel (x, y, 1) to before pixel coordinates (homogeneous, divide by w).
//
// Pipeline (see docs/alignment.md and ../shared/docs/METHODS.md): both images are resampled to
// a working size and reduced to band-passed log luminance; a global homography comes from
// ORB (then SIFT) features + USAC/MAGSAC, or from Fourier-Mellin phase correlation for
// low-texture skin; ECC refines it (never accepted when it lowers the ECC score); an optional
// non-rigid residual (DIS optical flow) is kept only when forward-backward consistent.
// A quality verdict (ok / poor / failed) comes from content-independent evidence.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack::align {

struct AlignOptions {
  // Long side, px, of the working images registration runs on; results are composed back to
  // full resolution. Images smaller than this are used as they are. Default 1024 px; valid
  // kMinWorkingLongSide..kMaxWorkingLongSide.
  int working_long_side = 1024;
  static constexpr int kMinWorkingLongSide = 256, kMaxWorkingLongSide = 8000;

  // --- Global stage: features ---
  int max_features = 3000;           // ORB/SIFT keypoints per image. Default 3000.
  double ratio_test = 0.8;           // Lowe ratio for matches. Default 0.8.
  double ransac_threshold_px = 3.0;  // USAC_MAGSAC reprojection threshold, working px. Default 3.
  int min_inliers = 30;              // fewer -> the feature estimate is rejected. Default 30.
  double min_inlier_ratio = 0.2;     // inliers / ratio-test matches; less -> rejected. Default 0.2.
  bool use_sift = true;              // try SIFT when ORB fails. Default true.
  bool use_fourier_mellin = true;    // try Fourier-Mellin when features fail. Default true.
  // Sanity of a global homography: the determinant of its linear part (area ratio after/before)
  // within [1/max_area_ratio, max_area_ratio]; default 4 (scale 0.5 .. 2).
  double max_area_ratio = 4.0;

  // --- ECC refinement ---
  bool ecc_refine = true;     // Default true.
  int ecc_iterations = 60;    // per schedule (at the coarse scale, below). Default 60.
  double ecc_epsilon = 1e-5;  // convergence threshold on the warp update. Default 1e-5.
  // From a feature-based start, ECC first runs on the ECC working images reduced by this
  // factor (1 = at the working size only), then ecc_final_iterations more at the working
  // size: the coarse run moves the warp at a quarter of the pixels (scale 0.5), the final
  // iteration restores the working size's precision. Default 0.5 and 1 (phantom pairs: the
  // same TRE; alignment 1.13 -> 0.90 s at 1600x1200, docs/performance.md). A Fourier-Mellin start
  // (faint skin) always refines at the working size: from its rougher start the half-size
  // run failed 6 of 20 low-texture phantom pairs.
  double ecc_coarse_scale = 0.5;  // in [0.125, 1]
  int ecc_final_iterations = 1;   // >= 0 (0: the coarse estimate as it is)

  // --- Non-rigid residual ---
  bool nonrigid = true;          // estimate a DIS flow residual. Default true.
  double max_fb_error_px = 0.1;  // use the flow only when the median forward-backward
                                 // error (working px) is below this. Default 0.1 px
                                 // (textured skin ~0.04; faint low-texture skin ~0.15,
                                 // where DIS is biased although self-consistent).

  // --- Quality verdict (content independent) ---
  double min_ncc = 0.2;              // band-pass NCC in the overlap; below -> failed. Default 0.2.
  double min_ncc_shift_ratio = 3.0;  // NCC / NCC after a shift by the texture's decorrelation
                                     // length (>= 3 px); below -> failed. Default 3.
  double min_overlap = 0.5;          // overlap_fraction below this -> failed. Default 0.5.
  double ok_ecc = 0.4;               // ECC below this -> at best poor. Default 0.4 (correctly
                                     // aligned low-texture phantoms: 0.43-0.47 on the
                                     // soft-clipped band-pass; textured skin > 0.9).
  double ok_overlap = 0.7;           // overlap below this -> at best poor. Default 0.7.

  Status Check() const;
};

enum class AlignmentStatus { kOk, kPoor, kFailed };
const char* AlignmentStatusName(AlignmentStatus status);  // "ok", "poor", "failed"

// Summary of one registration (Ceres style: a status, a reason and the evidence).
struct AlignmentResult {
  AlignmentStatus status = AlignmentStatus::kFailed;
  std::string reason;                                // one line: why this verdict
  std::string method;                                // stages used, e.g. "orb+magsac+ecc+dis"
  cv::Matx33d after_to_before = cv::Matx33d::eye();  // global part, full-resolution px
  bool nonrigid_used = false;
  double median_fb_error_px = -1;  // DIS forward-backward error, FULL-resolution before px;
                                   // -1 when not computed
  // Non-rigid residual: CV_32FC2 in the before frame at working resolution (before_scale),
  // value = displacement in WORKING px from a before point p to where the globally warped
  // after image matches it. Empty when not used.
  cv::Mat flow;
  double before_scale = 1.0;      // working px per before px
  int inliers = 0;                // feature inliers (0 when features were not used)
  double inlier_ratio = 0.0;      // inliers / ratio-test matches
  double ecc = 0.0;               // ECC correlation (band-passed, in the overlap), [-1, 1]
  double ncc_unaligned = 0.0;     // band-pass NCC of the two images overlaid as they are
  double ncc_aligned = 0.0;       // band-pass NCC after alignment, in the overlap
  double ncc_shift_ratio = 0.0;   // ncc_aligned / NCC with the aligned after image shifted
                                  // by ncc_shift_px (capped at 100)
  double ncc_shift_px = 0.0;      // that shift, full-resolution before px: the smallest shift
                                  // (>= 3 working px) at which the before image's own
                                  // band-pass texture decorrelates (self-NCC < 0.25)
  double overlap_fraction = 0.0;  // shared area / the smaller of the two footprints (before
                                  // image; after image mapped into the before frame), [0, 1]
  double seconds = 0.0;           // wall time of Align
};

// Registers `after` onto `before` (both internal form, CV_32FC3, >= 64 px a side).
// Returns a non-ok Status only for invalid arguments; an unalignable pair is a Status::Ok()
// return with result->status == kFailed and a reason.
Status Align(const cv::Mat& before, const cv::Mat& after, const AlignOptions& options,
             AlignmentResult* result);

// Re-expresses a result computed on resampled images in the original images' frames.
// before_scale / after_scale: resampled px per original px (e.g. 0.5 for a half-size decode),
// with pixel centres kept (x_r = (x + 0.5) * s - 0.5).
void ToOriginalFrames(double before_scale, double after_scale, AlignmentResult* result);

// Maps before-frame pixel p to after-frame coordinates, including the non-rigid residual.
cv::Point2d BeforeToAfter(const AlignmentResult& result, const cv::Point2d& p);

// Warps `after` (any type) into the before frame of size `before_size` using the full
// mapping (global + non-rigid). `overlap_mask` (CV_8UC1, 255 where the after image has
// data) is optional.
// `interpolation` is an OpenCV flag (cv::INTER_LINEAR by default; cv::INTER_LANCZOS4 keeps
// fine texture for measurement).
Status WarpAfterToBefore(const cv::Mat& after, const AlignmentResult& result, cv::Size before_size,
                         cv::Mat* aligned, cv::Mat* overlap_mask,
                         int interpolation = 1 /* cv::INTER_LINEAR */);

// Images of the after frame (`afters`: the photo, planes derived from it; any types, all of
// one size) warped as above, afters[i] with interpolations[i] (OpenCV flags) into
// (*aligned)[i], from one computation of the mapping (always the full mapping through
// cv::remap-style resampling, also without a non-rigid residual). For callers needing several
// resamplings of one alignment (compare: the photo bicubic for most metrics, its luminance
// Lanczos for the texture).
Status WarpAfterToBefore(const std::vector<cv::Mat>& afters, const AlignmentResult& result,
                         cv::Size before_size, const std::vector<int>& interpolations,
                         std::vector<cv::Mat>* aligned, cv::Mat* overlap_mask);
// The same with one image for every interpolation.
Status WarpAfterToBefore(const cv::Mat& after, const AlignmentResult& result, cv::Size before_size,
                         const std::vector<int>& interpolations, std::vector<cv::Mat>* aligned,
                         cv::Mat* overlap_mask);

// A copy of `image` (internal form) with the pixels of `exclude` (CV_8UC1, 255 = leave out;
// resized with nearest neighbour when its size differs) filled with the mean colour of a ring
// just outside them (1 % of the image's long side wide, at least 3 px), so that an object in
// view that is not skin (a colour chart, a ruler) adds no registration evidence. Returns
// `image` itself (shared, not copied) when `exclude` is empty or all zero.
cv::Mat FillExcluded(const cv::Mat& image, const cv::Mat& exclude);

}  // namespace skintrack::align
