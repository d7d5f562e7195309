// Private helpers of the texture metric (texture.cpp, texture_bands.cpp): the octave-band
// definition, the DoG gains, the Immerkaer noise estimate and the GLCM features.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <utility>
#include <vector>

namespace skintrack::metrics::internal {

// Band [lo, hi] mm -> DoG G(sigma_lo) - G(sigma_hi) with sigma = kTextureSigmaPerEdge * edge
// (px). For an octave band (hi = 2 lo) the DoG peaks at the band's geometric centre
// wavelength sqrt(lo hi) = 6.54 sigma_lo (the phantom's micro-relief uses the same filters).
inline constexpr double kTextureSigmaPerEdge = 0.21624;  // sqrt(2) / 6.54
// Bands whose lower edge lo * px_per_mm is below this (px) are skipped (resampling and noise
// dominate there).
inline constexpr double kTextureMinEdgePx = 3.0;
// log(Y + offset): natural log of linear luminance with a small offset that bounds the noise of
// the darkest pixels. The offset is kTextureLogOffsetFraction x the median Y of the measured
// pixels (TextureLogOffset), so that it scales with the exposure and the band values of
// ln(k Y + k c) = ln k + ln(Y + c) do not depend on k. A fixed offset (0.01 until 2026-11-21)
// flattened the texture of dark skin more in a darker capture: on the ISIC photos (lesions at
// Y ~0.05) exposure alone changed roughness by a median 1.4 % and GLCM contrast by 1.5 %.
// kTextureLogOffset is the offset when no pixel is measured (Y of mid-grey skin ~0.35).
inline constexpr double kTextureLogOffsetFraction = 0.03;
inline constexpr double kTextureLogOffset = 0.01;

// kTextureLogOffsetFraction x the median of `linear_y` (CV_32FC1) over the pixels of `mask`
// (CV_8UC1, empty = all) on a grid of every 4th pixel of every 4th row; at least 1e-4;
// kTextureLogOffset when no pixel is sampled.
double TextureLogOffset(const cv::Mat& linear_y, const cv::Mat& mask);

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

// The distinct Gaussians of `bands` (consecutive bands share an edge), each band's pair of
// indices (lo, hi) into them, and their kernels (TextureKernel): what MeasureTexture and the
// change statistics' texture tiles filter with.
struct BandFilters {
  std::vector<double> sigmas;                    // px, ascending
  std::vector<std::pair<size_t, size_t>> pairs;  // per band: (lo, hi) index into sigmas
  std::vector<cv::Mat> kernels;                  // per sigma
  int Halo() const { return kernels.empty() ? 0 : kernels.back().rows / 2; }
};
BandFilters MakeBandFilters(const std::vector<TextureBand>& bands);

// The pixels the texture bands are measured on: `roi` eroded (square, constant-0 border) by the
// coarsest kept band's support ceil(3 sigma_hi), or `roi` itself when fewer than 100 px remain.
cv::Mat TextureMeasureMask(const cv::Mat& roi, const std::vector<TextureBand>& bands);

// Variance of white noise of sd `noise_sd` (log units) in `band` after its gain normalisation:
// noise_sd^2 DogNoiseGain(sigma_lo, sigma_hi) / gain^2.
double BandNoiseVariance(double noise_sd, const TextureBand& band);

// Peak of the transfer function of the continuous DoG G(s) - G(r s) (r > 1):
// T(x) = exp(-x) - exp(-r^2 x), x = 2 pi^2 s^2 f^2, maximal at x* = 2 ln r / (r^2 - 1).
// r = 2: 0.4725 at wavelength 6.54 s.
double DogPeakGain(double ratio);

// The sampled, normalised 1-D Gaussian of the texture filters: 2 ceil(3 sigma) + 1 taps
// (CV_64F column; the mass beyond 3 sigma, 0.27 %, is dropped and the rest renormalised).
cv::Mat TextureKernel(double sigma_px);

// Sum of squared coefficients of the 2-D DoG kernel k(s1) k(s1)^T - k(s2) k(s2)^T (k =
// TextureKernel): the variance gain of the DoG for white noise.
double DogNoiseGain(double sigma1_px, double sigma2_px);

// Immerkaer (1996) noise sd of `image` (CV_32FC1) over the pixels of `mask` (CV_8UC1):
//   sigma = sqrt(pi / 2) / 6 * mean |I * N|,  N = [1 -2 1]^T [1 -2 1]
// (replicated border). N cancels planes and (separably) any signal constant along x or along
// y; texture finer than ~4 px leaks into the estimate (an upper bound on the noise).
double ImmerkaerNoiseSigma(const cv::Mat& image, const cv::Mat& mask);
// Adds to *sum the sum of weight[x] |I * N|(x) over one row (replicated at its ends), given the
// rows above and below (the same row at the image border), and to *count the sum of weights.
void ImmerkaerRow(const float* above, const float* row, const float* below, const float* weight,
                  int cols, double* sum, double* count);
inline constexpr double kImmerkaerScale = 0.20888568955258335;  // sqrt(pi / 2) / 6

struct GlcmFeatures {
  double contrast = 0, homogeneity = 0, entropy = 0;
};

// Quantised value (CV_16UC1) of a pixel outside the mask.
inline constexpr std::uint16_t kGlcmOutside = 65535;

// Co-occurrence counts in the 4 directions 0, 45, 90, 135 degrees, offsets
// (round(d cos a), -round(d sin a)) px.
struct GlcmCounts {
  explicit GlcmCounts(int levels_, int distance);
  void Add(const GlcmCounts& other);
  // Counts the pairs (x, y) -> (x + o.x, y + o.y) anchored at the pixels of the rows
  // [row_begin, row_end) of `quantised` (CV_16UC1, values < levels, or kGlcmOutside for pixels
  // outside the mask: pairs with such a pixel are skipped, as are partners outside the Mat)
  // whose column and global row (row + row_offset) are multiples of `step`.
  void CountRows(const cv::Mat& quantised, int row_begin, int row_end, int row_offset, int step);
  // Symmetric P(i,j) = (C(i,j) + C(j,i)) / (2 total) per direction; features averaged over the
  // directions with pairs: contrast = sum P (i-j)^2, homogeneity = sum P / (1 + (i-j)^2),
  // entropy = -sum P log2 P (bits). All zero when no pair is found.
  GlcmFeatures Features() const;

  int levels;
  cv::Point offsets[4];
  std::vector<std::uint32_t> counts[4];
  double totals[4] = {0, 0, 0, 0};
};

// Whole-image GLCM features of a quantised image (CV_8UC1, values < levels) over `mask`
// (CV_8UC1, same size), offset `distance` px, anchors on a grid of `step` px.
GlcmFeatures ComputeGlcm(const cv::Mat& quantised, const cv::Mat& mask, int distance, int levels,
                         int step);

}  // namespace skintrack::metrics::internal
