// Internal stages of the registration pipeline (not part of the public API).
// All transforms here are in WORKING-resolution pixels unless named *_full.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "skintrack/align/align.h"

namespace skintrack::align::internal {

// Both images reduced to the working size.
struct WorkingPair {
  cv::Matx33d before_from_full, after_from_full;  // full px -> working px (pixel centres kept)
  cv::Mat before_bp, after_bp;          // band-passed log luminance, sigma_lo 0.7 px (CV_32FC1)
  cv::Mat before_bp_ecc, after_bp_ecc;  // band-passed log luminance, sigma_lo 1.5 px
  cv::Mat before_8u, after_8u;          // before_bp / after_bp mapped to 8 bit (features, flow)
};

WorkingPair MakeWorkingPair(const cv::Mat& before, const cv::Mat& after,
                            const AlignOptions& options);

// Full px -> working px for a resampling by `scale` (maps pixel centres to pixel centres);
// per axis (sx, sy) where the rounded sizes make the two differ.
cv::Matx33d ScaleTransform(double scale);
cv::Matx33d ScaleTransform(double sx, double sy);

// A candidate global transform, working frames.
struct GlobalEstimate {
  bool ok = false;
  cv::Matx33d after_to_before = cv::Matx33d::eye();
  int inliers = 0;
  double inlier_ratio = 0.0;
  std::string method;  // "orb+magsac", "sift+magsac", "fourier-mellin"
  std::string reason;  // why it was rejected, when !ok
  // From matched features (subpixel once MAGSAC has fitted it): ECC may start at the coarse
  // scale (AlignOptions::ecc_coarse_scale). Fourier-Mellin's start on faint skin is too rough.
  bool from_features = false;
};

// Features + USAC_MAGSAC. use_sift selects SIFT instead of ORB.
GlobalEstimate EstimateByFeatures(const WorkingPair& pair, bool use_sift,
                                  const AlignOptions& options);

// Rotation + scale + translation by Fourier-Mellin phase correlation.
GlobalEstimate EstimateByFourierMellin(const WorkingPair& pair, const AlignOptions& options);

// Whether H (after working -> before working) is plausible for images of these sizes.
bool IsSaneHomography(const cv::Matx33d& h, cv::Size after_size, const AlignOptions& options,
                      std::string* why);

// ECC score of `after_to_before` on the ECC band-pass images (in the overlap).
double EccScore(const WorkingPair& pair, const cv::Matx33d& after_to_before);

// Refines *after_to_before with findTransformECC (first at options.ecc_coarse_scale when
// `coarse_start`, then at the working size); keeps the start when refinement fails or lowers
// the score. Returns the final ECC score.
double RefineEcc(const WorkingPair& pair, const AlignOptions& options, bool coarse_start,
                 cv::Matx33d* after_to_before, bool* improved);

// DIS flow residual in the before working frame. Returns the median forward-backward error
// (working px) over the overlap, and the forward flow in *flow.
double EstimateResidualFlow(const WorkingPair& pair, const cv::Matx33d& after_to_before,
                            cv::Mat* flow);

// Warps a working-frame after image into the before working frame.
cv::Mat WarpWorking(const cv::Mat& after_img, const cv::Matx33d& after_to_before,
                    cv::Size before_size, int interpolation);

// Normalised cross-correlation of a and b (CV_32FC1) over mask (CV_8UC1, may be empty).
double Ncc(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask);

// Fills the quality evidence fields of *result (ncc_*, overlap_fraction) from the working pair.
void MeasureQuality(const WorkingPair& pair, const cv::Matx33d& after_to_before,
                    const cv::Mat& flow, AlignmentResult* result);

}  // namespace skintrack::align::internal
