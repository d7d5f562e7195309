// Band-passed log luminance: the lighting-robust signal on which pairs are registered.
#pragma once

#include <opencv2/core.hpp>

#include "skintrack/core/status.h"

namespace skintrack::photometric {

struct BandpassOptions {
  // Inner (fine) Gaussian sigma in px; removes pixel noise. Default 0.7 px (features, flow).
  double sigma_lo_px = 0.7;
  // Outer (coarse) Gaussian sigma as a fraction of the image's long side; removes lighting
  // fields (exposure, side light, vignetting). Default 1/40.
  double sigma_hi_fraction = 1.0 / 40.0;
  // Offset added to linear luminance before the log, so that near-black areas (dermoscope
  // vignetting, deep shadow) do not turn sensor noise into huge log contrast, and so that the
  // position of a soft dark edge does not move with exposure. Skin is at Y ~ 0.1-0.6.
  // Default 0.01.
  double log_offset = 0.01;
  Status Check() const;
};

// log(Y + log_offset) of a linear luminance image, band-passed: G(sigma_lo) - G(sigma_hi).
// Input: CV_32FC1 linear luminance [0,1]. Output: CV_32FC1, zero mean-ish, unit-free
// (natural-log contrast). Same size as the input; pixel frame unchanged.
cv::Mat BandpassLogLuminance(const cv::Mat& linear_y, const BandpassOptions& options);

// Internal-form image (CV_32FC3 sRGB) -> linear luminance CV_32FC1.
cv::Mat LuminanceOf(const cv::Mat& image);

// Robust spread of a band-passed image: 1.4826 * median |value| (a Gaussian sd estimate).
double RobustSpread(const cv::Mat& bandpassed);

// Soft clipping c * tanh(v / c) with c = k * RobustSpread: keeps texture linear and limits
// the weight of a few very strong edges (vignetting, lesion borders, hair, clipping) so
// they cannot dominate a correlation. Returns a new CV_32FC1 image.
cv::Mat SoftClip(const cv::Mat& bandpassed, double k);

// Maps a CV_32FC1 band-passed image to CV_8UC1 (128 + gain * value, clamped), gain chosen
// from the robust spread (median absolute value) so that ~3 MAD spans the range.
cv::Mat BandpassTo8u(const cv::Mat& bandpassed);

}  // namespace skintrack::photometric
