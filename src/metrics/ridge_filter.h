// Multi-scale Hessian line filter shared by the wrinkle and stretch-mark metrics (private).
//
// Lines are dark valleys or bright ridges of a log-luminance image. At scale s the Hessian H of
// the Gaussian-smoothed image is scale-normalised (s^2 H, dimensionless); with eigenvalues
// m1 <= m2 the line strength is
//   dark valley:  s^2 (max(m2, 0) - max(m1, 0))    bright ridge:  s^2 (max(-m1, 0) - max(-m2, 0))
// (0 for blobs, where both eigenvalues agree). The strength is in log-contrast units with fixed
// constants: a Gaussian valley of log depth D gives kGaussianValleyGain * D at its best scale
// (s = sqrt(2) sigma_profile), a flat band kBandGain * D (s = width / 2). It is never
// normalised by an image maximum. Coarse scales are computed on a Gaussian pyramid.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace skintrack::metrics::internal {

// Best scale-normalised strength of a Gaussian valley profile: 2 / (3 sqrt 3).
constexpr double kGaussianValleyGain = 0.38490017945975050;
// Of a flat band (box profile): 2 / sqrt(2 pi e).
constexpr double kBandGain = 0.48394144903828673;
// Normal directions are quantised to kAngleBins over [0, pi).
constexpr int kAngleBins = 256;

enum class Polarity { kDark, kBright, kBoth };

struct RidgeMap {
  Polarity polarity = Polarity::kDark;
  // CV_32FC1: max over scales of the line strength; > 0 dark valley, < 0 bright ridge.
  cv::Mat strength;
  cv::Mat scale;                  // CV_8UC1: index of the best scale
  std::vector<double> sigmas;     // scales, px of the filtered image, increasing
  std::vector<int> levels;        // per scale: its pyramid level (level px = 2^level input px)
  std::vector<cv::Mat> smoothed;  // per scale: the level image smoothed at that scale
  // CV_32FC1 blob strength: max over scales <= blob_max_sigma of s^2 max(m1, 0) (dark) or
  // s^2 max(-m2, 0) (bright), the polarity's. A Gaussian blob of log depth D gives D / 4 at its
  // best scale, a line ~0. Empty when not asked for; CV_8UC1 (255 = at least
  // RidgeFilterOptions::blob_mask) when that is set.
  cv::Mat blob;
  // CV_16UC1, set by the tracker on traced lines: (scale << 8) | angle bin, or kUnset.
  cv::Mat traced;
  static constexpr unsigned short kUnset = 0xFFFF;

  double Sigma(int index) const { return sigmas[static_cast<size_t>(index)]; }
  int ScaleIndex(int x, int y) const;
  // Normal (across the line) angle bin a, theta = a pi / kAngleBins from +x towards +y: the
  // traced direction, else the Hessian eigenvector at the best scale.
  int AngleBin(int x, int y) const;
  cv::Point2d Normal(int x, int y) const;  // unit vector across the line
  void SetTraced(int x, int y, int scale_index, int angle_bin);
};

// Scales from lo to hi (px) in steps of sqrt(2), hi included.
std::vector<double> RidgeScales(double lo, double hi);

struct RidgeFilterOptions {
  std::vector<double> sigmas;  // px of the filtered image
  Polarity polarity = Polarity::kDark;
  double blob_max_sigma = 0.0;  // blob map over the scales <= this (0: none)
  // > 0: the blob map is returned as a CV_8UC1 mask of blob strength >= this (saves the float
  // map at full resolution).
  double blob_mask = 0.0;
  // A scale is computed on the coarsest pyramid level where its residual Gaussian is at least
  // this wide (level px): smaller is faster, larger keeps more resolution for thin lines.
  double min_level_sigma = 1.25;
};

// Computes the strength map of `image` (CV_32FC1).
void ComputeRidgeMap(const cv::Mat& image, const RidgeFilterOptions& options, RidgeMap* map);

// Sub-pixel offset (px, along Normal) of the strength maximum across the line at (x, y), from a
// parabola through the strength at -1, 0, +1; in [-0.5, 0.5].
double CentreOffset(const RidgeMap& map, int x, int y);

// Bilinear sample of a CV_32FC1 image (border clamped).
float SampleBilinear(const cv::Mat& image, double x, double y);

}  // namespace skintrack::metrics::internal
