// Blur sigma from the gradient ratio at edges (Zhuo & Sim 2011, "Defocus map estimation from a
// single image"): a step edge blurred by sigma and seen through a Gaussian derivative of scale
// s has gradient A / (sqrt(2 pi) sqrt(sigma^2 + s^2)) at its centre; an extra blur p lowers it
// by R = sqrt((sigma^2 + s^2 + p^2) / (sigma^2 + s^2)), hence sigma^2 = p^2 / (R^2 - 1) - s^2.
// The image is processed in bands of rows so that a 12 MP photo needs a few MB of temporaries.
#include <algorithm>
#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/quality/quality.h"

namespace skintrack::quality {
namespace {

constexpr int kBandRows = 256;
// The central difference [-1/2, 0, 1/2] acts like a Gaussian of variance 1/3 px^2 (its
// transfer function sin(w)/w ~ exp(-w^2/6)).
constexpr double kCentralDifferenceVariance = 1.0 / 3.0;
// A ratio this close to 1 means no measurable loss: blur far above the probe.
constexpr double kMinRatio = 1.0 + 1e-4;
constexpr double kHugeSigmaPx = 1000.0;
constexpr double kPi = 3.14159265358979323846;

struct EdgeSample {
  float y;       // local linear Y (+ 0.01)
  float g0, g1;  // gradient magnitude before / after the probe blur
};

// Sum of squared coefficients of one gradient component (central difference of a Gaussian of
// `sigma` px, as applied by BandSamples): the noise variance gain per component.
double GradientNoiseGain(double sigma) {
  const int half = static_cast<int>(std::ceil(4.0 * sigma)) + 3;
  cv::Mat delta(2 * half + 1, 2 * half + 1, CV_32F, cv::Scalar(0));
  delta.at<float>(half, half) = 1.0f;
  cv::Mat b;
  cv::GaussianBlur(delta, b, cv::Size(), sigma, sigma, cv::BORDER_CONSTANT);
  double sum = 0.0;
  for (int y = 0; y < b.rows; ++y) {
    for (int x = 1; x + 1 < b.cols; ++x) {
      const double d = 0.5 * (b.at<float>(y, x + 1) - b.at<float>(y, x - 1));
      sum += d * d;
    }
  }
  return sum;
}

// Edge samples of the rows [r0, r1) of `y`: gradient maxima along the gradient direction,
// inside `mask`, at least `margin` px from the image border, whose squared gradient is at
// least min_g0_sq before and min_g1_sq after the probe blur (tested first: most pixels of a
// photo are noise and fail it, so the non-maximum test runs on few).
void BandSamples(const cv::Mat& y, const cv::Mat& mask, int r0, int r1, int margin, double s,
                 double p, double min_g0_sq, double min_g1_sq, std::vector<EdgeSample>* out) {
  const int e0 = std::max(0, r0 - margin), e1 = std::min(y.rows, r1 + margin);
  cv::Mat b0, b1;
  cv::GaussianBlur(y.rowRange(e0, e1), b0, cv::Size(), s, s, cv::BORDER_REFLECT);
  cv::GaussianBlur(b0, b1, cv::Size(), p, p, cv::BORDER_REFLECT);
  const int cols = y.cols;
  // Squared gradient magnitudes of b0 for the band rows +- 1 (for the non-maximum test, which
  // orders squares as it would magnitudes; the square root is taken of kept samples only).
  const int g0 = std::max(r0, margin) - 1, g1 = std::min(r1, y.rows - margin) + 1;
  if (g1 - g0 < 3) return;
  cv::Mat mag(g1 - g0, cols, CV_32F, cv::Scalar(0)), gx(mag.size(), CV_32F, cv::Scalar(0)),
      gy(mag.size(), CV_32F, cv::Scalar(0));
  for (int r = g0; r < g1; ++r) {
    const int br = r - e0;
    if (br < 1 || br + 1 >= b0.rows) continue;
    const float* up = b0.ptr<float>(br - 1);
    const float* row = b0.ptr<float>(br);
    const float* down = b0.ptr<float>(br + 1);
    float* m = mag.ptr<float>(r - g0);
    float* dx = gx.ptr<float>(r - g0);
    float* dy = gy.ptr<float>(r - g0);
    int x = 1;
#if CV_SIMD128
    // (the compiler leaves this loop scalar: too many pointers to check for overlap)
    const cv::v_float32x4 half = cv::v_setall_f32(0.5f);
    for (; x + 4 < cols; x += 4) {
      const cv::v_float32x4 vx = half * (cv::v_load(row + x + 1) - cv::v_load(row + x - 1));
      const cv::v_float32x4 vy = half * (cv::v_load(down + x) - cv::v_load(up + x));
      cv::v_store(dx + x, vx);
      cv::v_store(dy + x, vy);
      cv::v_store(m + x, vx * vx + vy * vy);
    }
#endif
    for (; x + 1 < cols; ++x) {
      dx[x] = 0.5f * (row[x + 1] - row[x - 1]);
      dy[x] = 0.5f * (down[x] - up[x]);
      m[x] = dx[x] * dx[x] + dy[x] * dy[x];
    }
  }
  const int x0 = std::max(margin, 2), x1 = cols - std::max(margin, 2);
  // The largest float <= min_g0_sq: a squared gradient below it fails the test below, so four
  // such pixels at a time are skipped (most pixels of a photo: noise).
  float g0_floor = static_cast<float>(min_g0_sq);
  if (static_cast<double>(g0_floor) > min_g0_sq) g0_floor = std::nextafter(g0_floor, 0.0f);
  for (int r = g0 + 1; r + 1 < g1; ++r) {
    const int mr = r - g0, br = r - e0;
    const uchar* mk = mask.empty() ? nullptr : mask.ptr<uchar>(r);
    const float* m = mag.ptr<float>(mr);
    const float* dx = gx.ptr<float>(mr);
    const float* dy = gy.ptr<float>(mr);
    const float* b0row = b0.ptr<float>(br);
    const float* b1up = b1.ptr<float>(br - 1);
    const float* b1row = b1.ptr<float>(br);
    const float* b1down = b1.ptr<float>(br + 1);
    for (int x = x0; x < x1; ++x) {
#if CV_SIMD128
      if (x + 4 <= x1) {
        const cv::v_float32x4 v = cv::v_load(m + x);
        if (!cv::v_check_any((v > cv::v_setzero_f32()) & (v >= cv::v_setall_f32(g0_floor)))) {
          x += 3;
          continue;
        }
      }
#endif
      if (mk && !mk[x]) continue;
      const float v2 = m[x];
      if (!(v2 > 0.0f) || double(v2) < min_g0_sq) continue;
      // Non-maximum suppression along the gradient direction, quantised to 4 directions.
      const float ax = std::abs(dx[x]), ay = std::abs(dy[x]);
      float n1, n2;
      if (ay <= 0.41421356f * ax) {
        n1 = m[x - 1];
        n2 = m[x + 1];
      } else if (ax <= 0.41421356f * ay) {
        n1 = mag.ptr<float>(mr - 1)[x];
        n2 = mag.ptr<float>(mr + 1)[x];
      } else if ((dx[x] > 0) == (dy[x] > 0)) {
        n1 = mag.ptr<float>(mr - 1)[x - 1];
        n2 = mag.ptr<float>(mr + 1)[x + 1];
      } else {
        n1 = mag.ptr<float>(mr - 1)[x + 1];
        n2 = mag.ptr<float>(mr + 1)[x - 1];
      }
      if (!(v2 >= n1 && v2 > n2)) continue;
      const float ex = 0.5f * (b1row[x + 1] - b1row[x - 1]);
      const float ey = 0.5f * (b1down[x] - b1up[x]);
      const float v1 = std::sqrt(ex * ex + ey * ey);
      if (double(v1) * v1 < min_g1_sq) continue;
      EdgeSample sample;
      sample.y = std::max(b0row[x], 0.0f) + 0.01f;
      sample.g0 = std::sqrt(v2);
      sample.g1 = v1;
      out->push_back(sample);
    }
  }
}

}  // namespace

Status EstimateBlur(const cv::Mat& linear_y, const cv::Mat& mask, double probe_sigma_px,
                    double noise_sd, const PhotoQualityOptions& options, BlurEstimate* estimate) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (linear_y.empty() || linear_y.type() != CV_32FC1)
    return Status::InvalidArgument("EstimateBlur: linear_y must be a non-empty CV_32FC1 image");
  if (!mask.empty() && (mask.type() != CV_8UC1 || mask.size() != linear_y.size()))
    return Status::InvalidInput("EstimateBlur: mask must be CV_8UC1 of the image's size");
  if (!(probe_sigma_px >= 0.5 && probe_sigma_px <= 50.0))
    return Status::InvalidArgument("EstimateBlur: probe_sigma_px must be in [0.5, 50]");
  if (estimate == nullptr) return Status::InvalidArgument("EstimateBlur: null output");
  *estimate = BlurEstimate();
  const double s = options.blur_gradient_sigma_px, p = probe_sigma_px;
  const int margin = static_cast<int>(std::ceil(3.0 * std::sqrt(s * s + p * p))) + 2;
  // Noise: E[g^2] = g_true^2 + 2 var per component; debias, and keep edges whose gradient
  // stands `kEdgeSnr` noise sds above the noise both before and after the probe blur.
  const double n0 = noise_sd * noise_sd * GradientNoiseGain(s);
  const double n1 = noise_sd * noise_sd * GradientNoiseGain(std::sqrt(s * s + p * p));
  constexpr double kEdgeSnr = 5.0;
  // Every `stride`-th band (at most options.blur_sample_max_px px read), in parallel, each
  // into its own list, joined in band order (deterministic).
  const int bands = (linear_y.rows + kBandRows - 1) / kBandRows;
  const double px = static_cast<double>(linear_y.rows) * linear_y.cols;
  const int stride = std::max(1, static_cast<int>(std::ceil(px / options.blur_sample_max_px)));
  const int read = (bands + stride - 1) / stride;
  std::vector<std::vector<EdgeSample>> band_samples(static_cast<size_t>(read));
  cv::parallel_for_(cv::Range(0, read), [&](const cv::Range& range) {
    for (int i = range.start; i < range.end; ++i) {
      const int b = i * stride;
      const int r0 = b * kBandRows;
      BandSamples(linear_y, mask, r0, std::min(linear_y.rows, r0 + kBandRows), margin, s, p,
                  kEdgeSnr * kEdgeSnr * 2.0 * n0, kEdgeSnr * kEdgeSnr * 2.0 * n1,
                  &band_samples[static_cast<size_t>(i)]);
    }
  });
  std::vector<EdgeSample> samples;
  for (const auto& b : band_samples) samples.insert(samples.end(), b.begin(), b.end());
  if (samples.empty()) return Status::Ok();
  // Per edge: blur sigma and step amplitude A = g sqrt(2 pi (sigma^2 + s^2)); ranked by the
  // Weber contrast of the step A / Y (ranking by gradient would favour sharp edges, and the
  // smallest steps are quantisation and JPEG block edges). An edge whose ratio is within
  // kMinRatio of 1 has no measurable blur, and the amplitude its kHugeSigmaPx would give is
  // meaningless: it ranks by its amplitude as a sharp step instead. (Ranked with that huge
  // sigma, broad edges in the dark, such as a dermoscope's vignette, outranked every real
  // edge, and the reading jumped to kHugeSigmaPx on photos with a sharp lesion.) A photo too
  // blurred for the probe still reads kHugeSigmaPx: all its edges are of that kind.
  const double s2 = s * s + kCentralDifferenceVariance;
  struct Edge {
    double contrast, sigma;
  };
  std::vector<Edge> edges;
  edges.reserve(samples.size());
  for (const EdgeSample& e : samples) {
    const double a2 = double(e.g0) * e.g0 - 2.0 * n0;
    const double b2 = double(e.g1) * e.g1 - 2.0 * n1;
    if (!(a2 > 0.0)) continue;
    const double r2 = b2 > 0.0 ? a2 / b2 : 1e12;
    const bool measurable = r2 > kMinRatio * kMinRatio;
    const double sigma2 = measurable ? p * p / (r2 - 1.0) - s2 : kHugeSigmaPx * kHugeSigmaPx;
    const double sigma = std::sqrt(std::clamp(sigma2, 0.0, kHugeSigmaPx * kHugeSigmaPx));
    const double rank_sigma = measurable ? sigma : 0.0;
    const double amplitude = std::sqrt(a2 * 2.0 * kPi * (rank_sigma * rank_sigma + s2));
    edges.push_back({amplitude / e.y, sigma});
  }
  if (edges.empty()) return Status::Ok();
  const size_t keep = std::max<size_t>(
      1, static_cast<size_t>(std::llround(options.blur_edge_fraction * edges.size())));
  std::nth_element(
      edges.begin(), edges.begin() + (keep - 1), edges.end(), [](const Edge& x, const Edge& y) {
        return x.contrast > y.contrast || (x.contrast == y.contrast && x.sigma < y.sigma);
      });
  std::vector<double> sigmas(keep);
  for (size_t i = 0; i < keep; ++i) sigmas[i] = edges[i].sigma;
  const size_t k = std::min(
      keep - 1, static_cast<size_t>(std::floor(options.blur_percentile * (keep - 1) + 0.5)));
  std::nth_element(sigmas.begin(), sigmas.begin() + k, sigmas.end());
  estimate->sigma_px = sigmas[k];
  estimate->edges = static_cast<long long>(keep);
  return Status::Ok();
}

}  // namespace skintrack::quality
