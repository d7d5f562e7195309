// Band definition, DoG gains, Immerkaer noise estimate and GLCM features of the texture metric.
#include "metrics/texture_bands.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

namespace skintrack::metrics::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string FormatMm(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// OpenCV's 1-D Gaussian kernel for a CV_32F GaussianBlur with sigma s (ksize from sigma).
cv::Mat Kernel1d(double sigma, int size) {
  return cv::getGaussianKernel(size, sigma, CV_64F);
}
int KernelSize(double sigma) { return cvRound(sigma * 4 * 2 + 1) | 1; }

}  // namespace

std::vector<TextureBand> TextureBands(const std::vector<double>& edges_mm, double px_per_mm) {
  std::vector<TextureBand> bands;
  for (size_t i = 0; i + 1 < edges_mm.size(); ++i) {
    const double lo = edges_mm[i], hi = edges_mm[i + 1];
    if (lo * px_per_mm < kTextureMinEdgePx) continue;
    TextureBand b;
    b.lo_mm = lo;
    b.hi_mm = hi;
    b.sigma_lo_px = kTextureSigmaPerEdge * lo * px_per_mm;
    b.sigma_hi_px = kTextureSigmaPerEdge * hi * px_per_mm;
    b.gain = DogPeakGain(hi / lo);
    b.key = FormatMm(lo) + "-" + FormatMm(hi) + "mm";
    bands.push_back(b);
  }
  return bands;
}

double DogPeakGain(double ratio) {
  const double r2 = ratio * ratio;
  const double x = 2.0 * std::log(ratio) / (r2 - 1.0);
  return std::exp(-x) - std::exp(-r2 * x);
}

double DogNoiseGain(double sigma1_px, double sigma2_px) {
  const int n1 = KernelSize(sigma1_px), n2 = KernelSize(sigma2_px);
  const int n = std::max(n1, n2);
  // Both kernels centred in a common length-n support.
  std::vector<double> a(static_cast<size_t>(n), 0.0), b(static_cast<size_t>(n), 0.0);
  const cv::Mat k1 = Kernel1d(sigma1_px, n1), k2 = Kernel1d(sigma2_px, n2);
  for (int i = 0; i < n1; ++i) a[static_cast<size_t>(i + (n - n1) / 2)] = k1.at<double>(i);
  for (int i = 0; i < n2; ++i) b[static_cast<size_t>(i + (n - n2) / 2)] = k2.at<double>(i);
  double aa = 0, bb = 0, ab = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    ab += a[i] * b[i];
  }
  // ||a (x) a - b (x) b||^2 = (a.a)^2 + (b.b)^2 - 2 (a.b)^2 for separable 2-D kernels.
  return aa * aa + bb * bb - 2.0 * ab * ab;
}

double ImmerkaerNoiseSigma(const cv::Mat& image, const cv::Mat& mask) {
  if (image.rows < 3 || image.cols < 3) return 0.0;
  const cv::Mat k = (cv::Mat_<float>(3, 1) << 1.f, -2.f, 1.f);
  cv::Mat response;
  cv::sepFilter2D(image, response, CV_32F, k, k, cv::Point(-1, -1), 0.0, cv::BORDER_REPLICATE);
  cv::Mat inner;
  cv::erode(mask, inner, cv::Mat(), cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  const double n = cv::countNonZero(inner);
  if (n < 1) return 0.0;
  const double mean_abs = cv::mean(cv::abs(response), inner)[0];
  return std::sqrt(kPi / 2.0) / 6.0 * mean_abs;
}

GlcmFeatures ComputeGlcm(const cv::Mat& quantised, const cv::Mat& mask, int distance,
                         int levels) {
  CV_Assert(quantised.type() == CV_8UC1 && mask.type() == CV_8UC1 && levels >= 2);
  const int d = std::max(1, distance);
  std::array<cv::Point, 4> offsets;
  for (int k = 0; k < 4; ++k) {
    const double a = k * kPi / 4.0;
    offsets[static_cast<size_t>(k)] = cv::Point(static_cast<int>(std::lround(d * std::cos(a))),
                                                -static_cast<int>(std::lround(d * std::sin(a))));
  }
  std::array<GlcmFeatures, 4> per_direction{};
  std::array<bool, 4> valid{};
  cv::parallel_for_(cv::Range(0, 4), [&](const cv::Range& range) {
    for (int k = range.start; k < range.end; ++k) {
      const cv::Point o = offsets[static_cast<size_t>(k)];
      std::vector<double> counts(static_cast<size_t>(levels * levels), 0.0);
      double total = 0;
      const int y0 = std::max(0, -o.y), y1 = std::min(quantised.rows, quantised.rows - o.y);
      const int x0 = std::max(0, -o.x), x1 = std::min(quantised.cols, quantised.cols - o.x);
      for (int y = y0; y < y1; ++y) {
        const uchar* q = quantised.ptr<uchar>(y);
        const uchar* m = mask.ptr<uchar>(y);
        const uchar* q2 = quantised.ptr<uchar>(y + o.y) + o.x;
        const uchar* m2 = mask.ptr<uchar>(y + o.y) + o.x;
        for (int x = x0; x < x1; ++x) {
          if (!m[x] || !m2[x]) continue;
          counts[static_cast<size_t>(q[x] * levels + q2[x])] += 1.0;
          total += 1.0;
        }
      }
      if (total <= 0) continue;
      GlcmFeatures f;
      for (int i = 0; i < levels; ++i) {
        for (int j = 0; j < levels; ++j) {
          // Symmetric: P(i,j) = (C(i,j) + C(j,i)) / (2 total).
          const double p = (counts[static_cast<size_t>(i * levels + j)] +
                            counts[static_cast<size_t>(j * levels + i)]) /
                           (2.0 * total);
          if (p <= 0) continue;
          const double dij = i - j;
          f.contrast += p * dij * dij;
          f.homogeneity += p / (1.0 + dij * dij);
          f.entropy -= p * std::log2(p);
        }
      }
      per_direction[static_cast<size_t>(k)] = f;
      valid[static_cast<size_t>(k)] = true;
    }
  });
  GlcmFeatures mean;
  int n = 0;
  for (int k = 0; k < 4; ++k) {
    if (!valid[static_cast<size_t>(k)]) continue;
    mean.contrast += per_direction[static_cast<size_t>(k)].contrast;
    mean.homogeneity += per_direction[static_cast<size_t>(k)].homogeneity;
    mean.entropy += per_direction[static_cast<size_t>(k)].entropy;
    ++n;
  }
  if (n > 0) {
    mean.contrast /= n;
    mean.homogeneity /= n;
    mean.entropy /= n;
  }
  return mean;
}

}  // namespace skintrack::metrics::internal
