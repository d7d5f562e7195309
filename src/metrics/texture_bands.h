// Private helpers of the texture metric (texture.cpp, texture_bands.cpp): the octave-band
// definition, the DoG gains, the Immerkaer noise estimate and the GLCM features.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skintrack::metrics::internal {

// Band [lo, hi] mm -> DoG G(sigma_lo) - G(sigma_hi) with sigma = kTextureSigmaPerEdge * edge
// (px). For an octave band (hi = 2 lo) the DoG peaks at the band's geometric centre
// wavelength sqrt(lo hi) = 6.54 sigma_lo (the phantom's micro-relief uses the same filters).
inline constexpr double kTextureSigmaPerEdge = 0.21624;  // sqrt(2) / 6.54
// Bands whose lower edge lo * px_per_mm is below this (px) are skipped (resampling and noise
// dominate there).
inline constexpr double kTextureMinEdgePx = 3.0;
// log(Y + kTextureLogOffset): natural log of linear luminance with a small offset.
inline constexpr double kTextureLogOffset = 0.01;
// GLCM quantisation: band-passed log Y in [-kGlcmRange, +kGlcmRange] maps linearly onto the
// glcm_levels grey levels (values outside are clamped). Fixed: never per-image normalised.
inline constexpr double kGlcmRange = 0.25;

struct TextureBand {
  double lo_mm = 0, hi_mm = 0;
  double sigma_lo_px = 0, sigma_hi_px = 0;
  double gain = 1;  // peak gain of the DoG (the band is divided by it)
  std::string key;  // e.g. "0.1-0.2mm"
};

// The bands of consecutive edges whose lower edge spans >= kTextureMinEdgePx px.
std::vector<TextureBand> TextureBands(const std::vector<double>& edges_mm, double px_per_mm);

// Peak of the transfer function of the continuous DoG G(s) - G(r s) (r > 1):
// T(x) = exp(-x) - exp(-r^2 x), x = 2 pi^2 s^2 f^2, maximal at x* = 2 ln r / (r^2 - 1).
// r = 2: 0.4725 at wavelength 6.54 s.
double DogPeakGain(double ratio);

// Sum of squared coefficients of the discrete 2-D DoG kernel GaussianBlur(s1) - GaussianBlur(s2)
// (OpenCV's CV_32F kernel sizes): the variance gain of the DoG for white noise.
double DogNoiseGain(double sigma1_px, double sigma2_px);

// Immerkaer (1996) noise sd of `image` (CV_32FC1) over the pixels of `mask` (CV_8UC1; those
// with a full 3x3 neighbourhood inside the image are used):
//   sigma = sqrt(pi / 2) / 6 * mean |I * N|,  N = [1 -2 1]^T [1 -2 1].
// N cancels planes and (separably) any signal constant along x or along y; texture finer than
// ~4 px leaks into the estimate (an upper bound on the noise).
double ImmerkaerNoiseSigma(const cv::Mat& image, const cv::Mat& mask);

struct GlcmFeatures {
  double contrast = 0, homogeneity = 0, entropy = 0;
};

// Symmetric GLCM of a quantised image (CV_8UC1, values < levels) over pixel pairs with both
// pixels in `mask`, offset `distance` px in directions 0, 45, 90, 135 degrees (offsets
// (round(d cos a), -round(d sin a))), features averaged over the four directions:
// contrast = sum P(i,j) (i-j)^2, homogeneity = sum P(i,j) / (1 + (i-j)^2),
// entropy = -sum P(i,j) log2 P(i,j) (bits). All zero when no pair is found.
GlcmFeatures ComputeGlcm(const cv::Mat& quantised, const cv::Mat& mask, int distance, int levels);

}  // namespace skintrack::metrics::internal
