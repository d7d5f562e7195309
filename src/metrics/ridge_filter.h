// Multi-scale Hessian line filter shared by the wrinkle and stretch-mark metrics (private).
//
// Lines are dark valleys or bright ridges of a log-luminance image. At scale s the Hessian H of
// the Gaussian-smoothed image is scale-normalised (s^2 H, dimensionless); with eigenvalues
// m1 <= m2 the line strength is
//   dark valley:  s^2 (m2 - max(m1, 0))      bright ridge:  s^2 (-m1 - max(-m2, 0))
// (0 for blobs, where both eigenvalues agree). The strength is in log-contrast units with fixed
// constants: a Gaussian valley of log depth D gives kGaussianValleyGain * D at its best scale
// (s = sqrt(2) sigma_profile), a flat band kBandGain * D (s = width / 2). Never normalised by an
// image maximum. Coarse scales are computed on a Gaussian pyramid (cost ~ one level).
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace skintrack::metrics::internal {

// Best scale-normalised strength of a Gaussian valley profile: 2 / (3 sqrt 3).
constexpr double kGaussianValleyGain = 0.38490017945975050;
// Of a flat band (box profile): 2 / sqrt(2 pi e).
constexpr double kBandGain = 0.48394144903828673;

enum class Polarity { kDark, kBright, kBoth };

struct RidgeMap {
  // CV_32FC1: max over scales of the line strength; > 0 dark valley, < 0 bright ridge (kBoth).
  cv::Mat strength;
  // CV_16UC1: (scale index << 8) | normal angle a, where the normal (across the line) is at
  // theta = a * pi / 256 from +x towards +y. Valid where |strength| >= the store threshold.
  cv::Mat packed;
  std::vector<double> sigmas;  // scales, px of the filtered image, increasing
  // Per scale: the pyramid level it was computed on and the image smoothed at that scale
  // (level px; kept when ComputeRidgeMap is asked to).
  std::vector<int> levels;
  std::vector<cv::Mat> smoothed;
  // CV_32FC1 blob strength: max over scales <= blob_max_sigma of s^2 m1 (dark blobs: both
  // curvatures positive) or s^2 (-m2) (bright), the polarity's. A Gaussian blob of log depth D
  // gives D / 4 at its best scale, a line ~0. Empty when not asked for.
  cv::Mat blob;
  double Sigma(int index) const { return sigmas[static_cast<size_t>(index)]; }
  int ScaleIndex(int x, int y) const { return packed.at<unsigned short>(y, x) >> 8; }
  double NormalAngle(int x, int y) const;  // radians in [0, pi)
  cv::Point2d Normal(int x, int y) const;  // unit vector across the line
};

// Scales from lo to hi (px) in steps of sqrt(2), hi included.
std::vector<double> RidgeScales(double lo, double hi);

// Computes the strength map of `image` (CV_32FC1) over `sigmas` (px). Angles and scales are
// stored where |strength| >= store_min.
struct RidgeFilterOptions {
  std::vector<double> sigmas;           // px of the filtered image
  Polarity polarity = Polarity::kDark;
  float store_min = 0.0f;               // angles and scales stored where |strength| >= this
  bool keep_smoothed = false;           // keep the smoothed image of every scale
  double blob_max_sigma = 0.0;          // blob map over the scales <= this (0: none)
};

// Computes the strength map of `image` (CV_32FC1).
void ComputeRidgeMap(const cv::Mat& image, const RidgeFilterOptions& options, RidgeMap* map);

// Centre-line candidates: pixels inside `roi` (CV_8UC1, empty = all) with |strength| >= low
// that are maxima of |strength| of their sign across the line (non-maximum suppression).
// CV_8UC1 255 = candidate.
cv::Mat RidgeCentres(const RidgeMap& map, const cv::Mat& roi, float low);

// Oriented line contrast at a candidate (x, y): on the image smoothed at the pixel's best scale
// s, the second difference across the line at spacing 2.5 s, (v(+d) + v(-d)) / 2 - v(0),
// averaged over points every 1 px along the line within +-half_length px (a straight template,
// so isotropic texture averages out while a line adds up). Points whose three samples touch
// `exclude` (CV_8UC1 255 = blob, e.g. pores; may be empty) are skipped; 0 when fewer than half
// remain. Log-contrast units: a Gaussian valley of log depth D at its best scale gives
// ~kLineContrastGain * D; > 0 for a dark valley. Needs the smoothed images (keep_smoothed).
float LineContrast(const RidgeMap& map, const cv::Mat& exclude, int x, int y,
                   double half_length);
constexpr double kLineContrastGain = 0.5;

// Closes gaps of up to max_gap px along lines (e.g. where a pore interrupts a wrinkle): a pixel
// is added to `centres` (CV_8UC1) when candidates lie on both sides of it along their own
// tangents, within max_gap px.
void BridgeGaps(const RidgeMap& map, double max_gap, cv::Mat* centres);

// Sub-pixel offset (px, along Normal) of the strength maximum across the line at (x, y), from a
// parabola through the strength at -1, 0, +1; in [-0.5, 0.5].
double CentreOffset(const RidgeMap& map, int x, int y);

// Bilinear sample of a CV_32FC1 image (border clamped).
float SampleBilinear(const cv::Mat& image, double x, double y);

}  // namespace skintrack::metrics::internal
