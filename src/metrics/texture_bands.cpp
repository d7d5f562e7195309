// Band definition, DoG gains, Immerkaer noise estimate and GLCM features of the texture metric.
#include "metrics/texture_bands.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/core/parallel.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string FormatMm(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace

cv::Mat TextureKernel(double sigma_px) {
  const int radius = static_cast<int>(std::ceil(3.0 * sigma_px));
  return cv::getGaussianKernel(2 * radius + 1, sigma_px, CV_64F);
}

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
  const cv::Mat k1 = TextureKernel(sigma1_px), k2 = TextureKernel(sigma2_px);
  const int n1 = k1.rows, n2 = k2.rows, n = std::max(n1, n2);
  // Both kernels centred in a common length-n support.
  std::vector<double> a(static_cast<size_t>(n), 0.0), b(static_cast<size_t>(n), 0.0);
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

double TextureLogOffset(const cv::Mat& linear_y, const cv::Mat& mask) {
  constexpr int step = 4;
  std::vector<float> v;
  for (int y = 0; y < linear_y.rows; y += step) {
    const float* row = linear_y.ptr<float>(y);
    const uchar* m = mask.empty() ? nullptr : mask.ptr<uchar>(y);
    for (int x = 0; x < linear_y.cols; x += step)
      if (m == nullptr || m[x] != 0) v.push_back(row[x]);
  }
  if (v.empty()) return kTextureLogOffset;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return std::max(1e-4, kTextureLogOffsetFraction * v[v.size() / 2]);
}

void ImmerkaerRow(const float* above, const float* row, const float* below, const float* weight,
                  int cols, double* sum, double* count) {
  // [1 -2 1] across rows of [1 -2 1] along the row; replicated at the row's ends.
  auto at = [&](int x) {
    const int xl = x > 0 ? x - 1 : 0, xr = x + 1 < cols ? x + 1 : cols - 1;
    const float a = above[xl] - 2.f * above[x] + above[xr];
    const float b = row[xl] - 2.f * row[x] + row[xr];
    const float c = below[xl] - 2.f * below[x] + below[xr];
    return weight[x] * std::abs(a - 2.f * b + c);
  };
  constexpr int kLanes = 8;  // independent partial sums, so that the loop vectorises
  float acc[kLanes] = {}, n[kLanes] = {};
  double total = cols > 0 ? at(0) : 0.0, total_n = cols > 0 ? weight[0] : 0.0;
  if (cols > 1) {
    total += at(cols - 1);
    total_n += weight[cols - 1];
  }
  int x = 1;
  for (; x + kLanes <= cols - 1; x += kLanes) {
    for (int k = 0; k < kLanes; ++k) {
      const int i = x + k;
      const float a = above[i - 1] - 2.f * above[i] + above[i + 1];
      const float b = row[i - 1] - 2.f * row[i] + row[i + 1];
      const float c = below[i - 1] - 2.f * below[i] + below[i + 1];
      acc[k] += weight[i] * std::abs(a - 2.f * b + c);
      n[k] += weight[i];
    }
  }
  for (; x < cols - 1; ++x) {
    total += at(x);
    total_n += weight[x];
  }
  for (int k = 0; k < kLanes; ++k) {
    total += acc[k];
    total_n += n[k];
  }
  *sum += total;
  *count += total_n;
}

double ImmerkaerNoiseSigma(const cv::Mat& image, const cv::Mat& mask) {
  CV_Assert(image.type() == CV_32FC1 && mask.type() == CV_8UC1 && mask.size() == image.size());
  // Bands of rows in parallel; their sums are added in band order (deterministic).
  constexpr int kBand = 64;
  const int bands = RowBandCount(image.rows, kBand);
  std::vector<double> band_sum(static_cast<size_t>(bands), 0.0), band_n(band_sum);
  ForEachRowBand(image.rows, kBand, [&](int b, int y0, int y1) {
    std::vector<float> weight(static_cast<size_t>(image.cols));
    for (int y = y0; y < y1; ++y) {
      const int ya = y > 0 ? y - 1 : 0, yb = y + 1 < image.rows ? y + 1 : image.rows - 1;
      const uchar* m = mask.ptr<uchar>(y);
      for (int x = 0; x < image.cols; ++x) weight[static_cast<size_t>(x)] = m[x] ? 1.f : 0.f;
      ImmerkaerRow(image.ptr<float>(ya), image.ptr<float>(y), image.ptr<float>(yb), weight.data(),
                   image.cols, &band_sum[static_cast<size_t>(b)], &band_n[static_cast<size_t>(b)]);
    }
  });
  double sum = 0.0, n = 0.0;
  for (int b = 0; b < bands; ++b) {
    sum += band_sum[static_cast<size_t>(b)];
    n += band_n[static_cast<size_t>(b)];
  }
  return n > 0 ? kImmerkaerScale * sum / n : 0.0;
}

GlcmCounts::GlcmCounts(int levels_, int distance) : levels(levels_) {
  const int d = std::max(1, distance);
  for (int k = 0; k < 4; ++k) {
    const double a = k * kPi / 4.0;
    offsets[k] = cv::Point(static_cast<int>(std::lround(d * std::cos(a))),
                           -static_cast<int>(std::lround(d * std::sin(a))));
    counts[k].assign(static_cast<size_t>(levels * levels), 0);
  }
}

void GlcmCounts::Add(const GlcmCounts& other) {
  for (int k = 0; k < 4; ++k) {
    for (size_t i = 0; i < counts[k].size(); ++i) counts[k][i] += other.counts[k][i];
    totals[k] += other.totals[k];
  }
}

void GlcmCounts::CountRows(const cv::Mat& quantised, int row_begin, int row_end, int row_offset,
                           int step) {
  const auto up = [step](int v) { return (v + step - 1) / step * step; };  // v >= 0
  for (int k = 0; k < 4; ++k) {
    const cv::Point o = offsets[k];
    const int y0 = std::max(row_begin, -o.y), y1 = std::min(row_end, quantised.rows - o.y);
    const int x0 = up(std::max(0, -o.x)), x1 = std::min(quantised.cols, quantised.cols - o.x);
    std::uint32_t* c = counts[k].data();
    std::uint64_t n = 0;
    for (int y = up(y0 + row_offset) - row_offset; y < y1; y += step) {
      const std::uint16_t* q = quantised.ptr<std::uint16_t>(y);
      const std::uint16_t* q2 = quantised.ptr<std::uint16_t>(y + o.y) + o.x;
      for (int x = x0; x < x1; x += step) {
        const int a = q[x], b = q2[x];
        if (a == kGlcmOutside || b == kGlcmOutside) continue;
        ++c[a * levels + b];
        ++n;
      }
    }
    totals[k] += static_cast<double>(n);
  }
}

GlcmFeatures GlcmCounts::Features() const {
  GlcmFeatures mean;
  int used = 0;
  for (int k = 0; k < 4; ++k) {
    if (totals[k] <= 0) continue;
    for (int i = 0; i < levels; ++i) {
      for (int j = 0; j < levels; ++j) {
        const double p = (static_cast<double>(counts[k][static_cast<size_t>(i * levels + j)]) +
                          counts[k][static_cast<size_t>(j * levels + i)]) /
                         (2.0 * totals[k]);
        if (p <= 0) continue;
        const double dij = i - j;
        mean.contrast += p * dij * dij;
        mean.homogeneity += p / (1.0 + dij * dij);
        mean.entropy -= p * std::log2(p);
      }
    }
    ++used;
  }
  if (used > 0) {
    mean.contrast /= used;
    mean.homogeneity /= used;
    mean.entropy /= used;
  }
  return mean;
}

GlcmFeatures ComputeGlcm(const cv::Mat& quantised, const cv::Mat& mask, int distance, int levels,
                         int step) {
  CV_Assert(quantised.type() == CV_8UC1 && mask.type() == CV_8UC1 && levels >= 2 &&
            mask.size() == quantised.size());
  cv::Mat q;
  quantised.convertTo(q, CV_16U);
  q.setTo(kGlcmOutside, mask == 0);
  GlcmCounts counts(levels, distance);
  counts.CountRows(q, 0, q.rows, 0, std::max(1, step));
  return counts.Features();
}

BandFilters MakeBandFilters(const std::vector<TextureBand>& bands) {
  BandFilters f;
  for (const TextureBand& b : bands) {
    if (f.sigmas.empty() || std::abs(f.sigmas.back() - b.sigma_lo_px) > 1e-9)
      f.sigmas.push_back(b.sigma_lo_px);
    f.sigmas.push_back(b.sigma_hi_px);
    f.pairs.emplace_back(f.sigmas.size() - 2, f.sigmas.size() - 1);
  }
  for (double s : f.sigmas) f.kernels.push_back(TextureKernel(s));
  return f;
}

cv::Mat TextureMeasureMask(const cv::Mat& roi, const std::vector<TextureBand>& bands) {
  if (bands.empty()) return roi;
  const int support = static_cast<int>(std::ceil(3.0 * bands.back().sigma_hi_px));
  cv::Mat mask;
  cv::erode(roi, mask,
            cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * support + 1, 2 * support + 1)),
            cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  return cv::countNonZero(mask) < 100 ? roi : mask;
}

double BandNoiseVariance(double noise_sd, const TextureBand& band) {
  return noise_sd * noise_sd * DogNoiseGain(band.sigma_lo_px, band.sigma_hi_px) /
         (band.gain * band.gain);
}

}  // namespace skintrack::metrics::internal
