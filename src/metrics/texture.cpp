// Texture: band-limited roughness of log luminance in octave bands, and GLCM features.
//
// Definition (texture_bands.h holds the constants):
//  * Signal: l = ln(Y + c), Y = linear luminance (Rec. 709), c = 0.03 x the median Y of the
//    measured pixels (TextureLogOffset: scales with the exposure). Exposure and white balance
//    are (nearly) additive constants in l and a smooth side light is a slow field, so the
//    band-pass removes them.
//  * Band [lo, hi] mm -> B = (G(s_lo) - G(s_hi)) * l / T_peak, s = 0.21624 * edge * px_per_mm
//    (px), G a sampled Gaussian truncated at 3 s (separable), T_peak the DoG's peak gain (0.4725
//    for octaves): a sinusoid of amplitude A at the band's centre wavelength sqrt(lo hi) reads its
//    own RMS A / sqrt(2). Bands whose lower edge lo * px_per_mm is < 3 px are SKIPPED and have no
//    key in roughness_bands (at the default 20 px/mm the 0.1-0.2 mm band, 2 px, is skipped).
//  * Pixels: ctx.roi eroded (square) by ceil(3 s_hi) of the coarsest kept band, so that
//    borders, warp edges and hairs outside the ROI do not leak into the filtered values
//    (falls back to ctx.roi when fewer than 100 px remain).
//  * Noise floor: Immerkaer's sd sigma_n of l over those pixels; the white-noise variance
//    sigma_n^2 ||h||^2 / T_peak^2 (h the discrete DoG kernel) is subtracted from each band's
//    variance (floored at 0). Texture finer than ~4 px inflates sigma_n (an upper bound), but
//    ||h||^2 is small for bands >= 3 px, so the correction is a small fraction of the signal.
//  * roughness_bands[key] = sqrt(var_b - noise_b); roughness = sqrt(sum over kept bands).
//  * micro_relief: the same with var_b replaced by a robust variance (1.4826 median |B|)^2,
//    the median from a histogram of |B| in kHistBin-wide bins (linear within the bin): the
//    surface between sparse features (pores, wrinkles, scars are the tails), so that a
//    treatment scaling the micro-relief by k reads as k on skin that has features too. Pixels
//    near a detected feature (FeatureMask: pores, scars, wrinkles, striae grown by the coarsest
//    band's 3 s_hi) are left out of it when the caller passes the mask (Analyze does).
//  * GLCM (secondary): g = (G(s_lo,first) - G(s_hi,last)) * l (all kept bands), quantised
//    with the FIXED map level = floor((g / 0.25 + 1) / 2 * levels) clamped to [0, levels-1];
//    offset max(1, round(glcm_offset_mm * px_per_mm)) px; symmetric; 4 directions averaged;
//    pairs anchored on the pixels of the measured mask whose row and column are even (a 2-px
//    grid: a quarter of the pairs, the same statistics at a quarter of the cost).
//  * Computation: in row tiles of kTileRows rows with a halo of the largest kernel radius plus
//    the GLCM offset, filtered with BORDER_REFLECT at the image's own borders: the same values
//    as whole-image filtering, without whole-image float buffers; tiles run in parallel and are
//    summed in tile order (deterministic).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "metrics/cell_sums.h"
#include "metrics/families.h"
#include "metrics/texture_bands.h"

namespace skintrack::metrics::internal {
namespace {

constexpr int kTileRows = 256;

// |B| histogram of the robust estimate: bins of kHistBin ln units up to kHistBins * kHistBin
// (the last bin takes the rest; only the median, well below, is read).
constexpr double kHistBin = 2e-5;
constexpr int kHistBins = 8192;

struct TileSums {
  std::vector<double> sum, sum2;      // per band, over the mask
  double noise_sum = 0, noise_n = 0;  // Immerkaer: sum |I * N| and the pixels summed
  GlcmCounts glcm;
  std::vector<std::vector<std::uint32_t>> hist;  // per band: |B| (gain-normalised) histogram
  TileSums(size_t bands, int levels, int distance)
      : sum(bands, 0.0),
        sum2(bands, 0.0),
        glcm(levels, distance),
        hist(bands, std::vector<std::uint32_t>(kHistBins, 0)) {}
};

// Quantile q of a histogram of kHistBin-wide bins, linear within the bin.
double HistQuantile(const std::vector<std::uint64_t>& h, double q) {
  std::uint64_t n = 0;
  for (auto c : h) n += c;
  if (n == 0) return 0.0;
  const double half = q * static_cast<double>(n);
  double seen = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    const double c = static_cast<double>(h[i]);
    if (seen + c >= half && c > 0) return (static_cast<double>(i) + (half - seen) / c) * kHistBin;
    seen += c;
  }
  return static_cast<double>(h.size()) * kHistBin;
}

constexpr int kGlcmStep = 2;
// The robust sd: quantile kRobustQuantile of |B|, which is kRobustQuantileOfSd sd for a
// zero-mean Gaussian (Phi^-1((1 + q) / 2)).
constexpr double kRobustQuantile = 0.25;
constexpr double kRobustQuantileOfSd =
    0.318639363964375;  // GLCM anchors on a 2-px grid (a quarter of the pixels)

}  // namespace

cv::Mat FeatureMask(cv::Size size, const Detections& d, double margin_px) {
  cv::Mat mask(size, CV_8UC1, cv::Scalar(0));
  const int m = static_cast<int>(std::ceil(margin_px));
  for (const Pore& p : d.pores)
    cv::circle(mask,
               cv::Point(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y))),
               static_cast<int>(std::ceil(0.5 * p.diameter_px)) + m, cv::Scalar(255), cv::FILLED);
  for (const Scar& s : d.scars) {
    if (s.contour.size() >= 3) {
      cv::drawContours(mask, std::vector<std::vector<cv::Point>>{s.contour}, 0, cv::Scalar(255),
                       cv::FILLED);
      cv::drawContours(mask, std::vector<std::vector<cv::Point>>{s.contour}, 0, cv::Scalar(255),
                       2 * m + 1);
    } else {
      cv::rectangle(mask, s.bbox, cv::Scalar(255), cv::FILLED);
    }
  }
  for (const auto* lines : {&d.wrinkles, &d.striae}) mask |= LineBandMask(size, *lines, m);
  return mask;
}

cv::Mat LineBandMask(cv::Size size, const std::vector<Line>& lines, double margin_px) {
  cv::Mat mask(size, CV_8UC1, cv::Scalar(0));
  const int m = static_cast<int>(std::ceil(margin_px));
  for (const Line& l : lines) {
    std::vector<cv::Point> pts;
    for (const cv::Point2d& q : l.polyline)
      pts.emplace_back(static_cast<int>(std::lround(q.x)), static_cast<int>(std::lround(q.y)));
    if (pts.empty()) continue;
    cv::polylines(mask, pts, false, cv::Scalar(255),
                  std::max(1, static_cast<int>(std::ceil(l.width_px)) + 2 * m));
  }
  return mask;
}

Status MeasureTexture(const Context& ctx, const MetricsOptions& o, TextureMetrics* out,
                      const cv::Mat& features, MetricsTileSums* tile_sums) {
  if (out == nullptr) return Status::InvalidArgument("texture: out is null");
  *out = TextureMetrics();
  if (ctx.linear_y.empty() || ctx.linear_y.type() != CV_32FC1 || ctx.roi.type() != CV_8UC1 ||
      ctx.roi.size() != ctx.linear_y.size())
    return Status::InvalidArgument("texture: context needs linear_y and roi of one size");
  if (!features.empty() && (features.type() != CV_8UC1 || features.size() != ctx.roi.size()))
    return Status::InvalidArgument("texture: feature mask must be CV_8UC1 of the roi's size");
  const std::vector<TextureBand> bands = TextureBands(o.texture_band_edges_mm, ctx.px_per_mm);
  if (bands.empty() || cv::countNonZero(ctx.roi) == 0) return Status::Ok();

  // Pixels measured: the ROI minus the coarsest filter's support.
  const cv::Mat mask = TextureMeasureMask(ctx.roi, bands);

  // The distinct Gaussians (consecutive bands share an edge) and each band's pair of them.
  const BandFilters filters = MakeBandFilters(bands);
  const std::vector<double>& sigmas = filters.sigmas;
  const std::vector<std::pair<size_t, size_t>>& pairs = filters.pairs;
  const std::vector<cv::Mat>& kernels = filters.kernels;
  const int distance = std::max(1, static_cast<int>(std::lround(o.glcm_offset_mm * ctx.px_per_mm)));
  const int halo = filters.Halo() + distance + 1;
  const int rows = ctx.linear_y.rows, cols = ctx.linear_y.cols;
  const int tiles = (rows + kTileRows - 1) / kTileRows;
  const int levels = o.glcm_levels;
  const double log_offset = TextureLogOffset(ctx.linear_y, mask);
  std::vector<TileSums> sums(static_cast<size_t>(tiles), TileSums(bands.size(), levels, distance));
  // Per-tile sums for the change statistics: [band] sum of B^2 / gain^2, [bands] px.
  const int cell_px = tile_sums != nullptr ? tile_sums->texture_tile_px : 0;
  CellRowSums cells;
  if (cell_px > 0)
    cells = CellRowSums(ctx.linear_y.size(), cell_px, static_cast<int>(bands.size()) + 1);

  cv::parallel_for_(cv::Range(0, tiles), [&](const cv::Range& range) {
    cv::Mat l;
    std::vector<cv::Mat> blurred(sigmas.size());
    cv::Mat q;
    std::vector<float> weight(static_cast<size_t>(cols));
    const int ncols = cols;
    for (int t = range.start; t < range.end; ++t) {
      const int y0 = t * kTileRows, y1 = std::min(rows, y0 + kTileRows);
      const int ya = std::max(0, y0 - halo), yb = std::min(rows, y1 + halo);
      TileSums& s = sums[static_cast<size_t>(t)];
      cv::add(ctx.linear_y.rowRange(ya, yb), cv::Scalar(log_offset), l);
      cv::log(l, l);
      for (size_t i = 0; i < sigmas.size(); ++i)
        cv::sepFilter2D(l, blurred[i], CV_32F, kernels[i], kernels[i], cv::Point(-1, -1), 0.0,
                        cv::BORDER_REFLECT);
      const cv::Mat m = mask.rowRange(ya, yb);
      for (int y = y0 - ya; y < y1 - ya; ++y) {
        const uchar* mr = m.ptr<uchar>(y);
        for (int x = 0; x < cols; ++x) weight[x] = mr[x] ? 1.f : 0.f;
        const uchar* fr = features.empty() ? nullptr : features.ptr<uchar>(ya + y);
        for (size_t b = 0; b < pairs.size(); ++b) {
          const float* lo = blurred[pairs[b].first].ptr<float>(y);
          const float* hi = blurred[pairs[b].second].ptr<float>(y);
          // One row in float (8 independent partial sums, so that the loop vectorises); rows
          // are summed in double.
          float acc[8] = {}, acc2[8] = {};
          int x = 0;
          for (; x + 8 <= cols; x += 8) {
            for (int k = 0; k < 8; ++k) {
              const float v = (lo[x + k] - hi[x + k]) * weight[static_cast<size_t>(x + k)];
              acc[k] += v;
              acc2[k] += v * v;
            }
          }
          const float to_bin = static_cast<float>(1.0 / (bands[b].gain * kHistBin));
          std::uint32_t* hist = s.hist[b].data();
          // (ncols, a local: the counts' stores may alias a captured int, which the compiler
          // would reload for every pixel)
          for (int xx = 0; xx < ncols; ++xx) {
            if (mr[xx] == 0 || (fr != nullptr && fr[xx] != 0)) continue;
            const float a = std::abs(lo[xx] - hi[xx]) * to_bin;
            ++hist[a < kHistBins - 1 ? static_cast<int>(a) : kHistBins - 1];
          }
          double row_sum = 0, row_sum2 = 0;
          for (; x < cols; ++x) {
            const float v = (lo[x] - hi[x]) * weight[static_cast<size_t>(x)];
            row_sum += v;
            row_sum2 += static_cast<double>(v) * v;
          }
          for (int k = 0; k < 8; ++k) {
            row_sum += acc[k];
            row_sum2 += acc2[k];
          }
          s.sum[b] += row_sum;
          s.sum2[b] += row_sum2;
          if (cells.active()) {
            const float* wt = weight.data();
            cells.AddRow(ya + y, static_cast<int>(b), cols, 1.0 / (bands[b].gain * bands[b].gain),
                         [&](int xx) {
                           const float v = (lo[xx] - hi[xx]) * wt[xx];
                           return static_cast<double>(v) * v;
                         });
          }
        }
        if (cells.active()) {
          const float* wt = weight.data();
          cells.AddRow(ya + y, static_cast<int>(bands.size()), cols, 1.0,
                       [&](int xx) { return static_cast<double>(wt[xx]); });
        }
        const int up = y > 0 ? y - 1 : y, down = y + 1 < l.rows ? y + 1 : y;
        ImmerkaerRow(l.ptr<float>(up), l.ptr<float>(y), l.ptr<float>(down), weight.data(), cols,
                     &s.noise_sum, &s.noise_n);
      }
      // GLCM: g = G(first) - G(last), level = floor((g / R + 1) / 2 * levels), clamped;
      // kGlcmOutside where the mask is 0.
      const int qa = std::max(0, y0 - distance) - ya, qb = std::min(rows, y1 + distance) - ya;
      q.create(l.rows, cols, CV_16UC1);
      const float scale = static_cast<float>(levels / (2.0 * kGlcmRange));
      const float offset = static_cast<float>(levels / 2.0), top = static_cast<float>(levels - 1);
      for (int y = qa; y < qb; ++y) {
        const float* f = blurred.front().ptr<float>(y);
        const float* c = blurred.back().ptr<float>(y);
        const uchar* mr = m.ptr<uchar>(y);
        std::uint16_t* qr = q.ptr<std::uint16_t>(y);
        for (int x = 0; x < cols; ++x) {
          const float v = std::min(top, std::max(0.f, (f[x] - c[x]) * scale + offset));
          qr[x] = mr[x] ? static_cast<std::uint16_t>(v) : kGlcmOutside;
        }
      }
      s.glcm.CountRows(q.rowRange(qa, qb), y0 - ya - qa, y1 - ya - qa, ya + qa, kGlcmStep);
    }
  });

  // Reduce in tile order.
  TileSums total(bands.size(), levels, distance);
  std::vector<std::vector<std::uint64_t>> hist(bands.size(),
                                               std::vector<std::uint64_t>(kHistBins, 0));
  for (const TileSums& s : sums) {
    for (size_t b = 0; b < bands.size(); ++b) {
      total.sum[b] += s.sum[b];
      total.sum2[b] += s.sum2[b];
      for (int i = 0; i < kHistBins; ++i)
        hist[b][static_cast<size_t>(i)] += s.hist[b][static_cast<size_t>(i)];
    }
    total.noise_sum += s.noise_sum;
    total.noise_n += s.noise_n;
    total.glcm.Add(s.glcm);
  }
  const double n = total.noise_n;  // masked pixels (each counted once per row)
  if (n <= 0) return Status::Ok();
  const double noise_sd = kImmerkaerScale * total.noise_sum / n;
  if (cells.active()) {
    tile_sums->texture = cells.Reduce();
    tile_sums->texture_noise_sd = noise_sd;
  }
  double variance_sum = 0.0, robust_sum = 0.0;
  for (size_t b = 0; b < bands.size(); ++b) {
    const TextureBand& band = bands[b];
    const double mean = total.sum[b] / n;
    const double var = std::max(0.0, total.sum2[b] / n - mean * mean) / (band.gain * band.gain);
    const double noise = BandNoiseVariance(noise_sd, band);
    const double v = std::max(0.0, var - noise);
    out->roughness_bands[band.key] = std::sqrt(v);
    variance_sum += v;
    const double robust_sd = HistQuantile(hist[b], kRobustQuantile) / kRobustQuantileOfSd;
    robust_sum += std::max(0.0, robust_sd * robust_sd - noise);
  }
  out->roughness = std::sqrt(variance_sum);
  out->micro_relief = std::sqrt(robust_sum);
  const GlcmFeatures f = total.glcm.Features();
  out->glcm_contrast = f.contrast;
  out->glcm_homogeneity = f.homogeneity;
  out->glcm_entropy = f.entropy;
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
