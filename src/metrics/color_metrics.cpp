// Colour metrics: redness (erythema index, a*) and tone (L*, ITA, pigmented spots).
//
// Redness, over ctx.roi:
//  * EI = 100 log10(R_lin / G_lin) per pixel (linear sRGB, channels floored at 1e-4);
//    erythema_index_mean = its mean over the ROI; a_star_mean = mean a* (OpenCV float CIELAB,
//    D65) over the ROI.
//  * area_fraction: on a working copy W (linear R, G averaged over f x f blocks, f = max(1,
//    floor(px_per_mm / 5)), i.e. blocks of ~0.2 mm, then smoothed by a Gaussian of sigma
//    0.25 mm, so that pixel noise does not flip pixels across the threshold; a block is in the
//    ROI when at least half of it is), EI_W = 100 log10(R_W / G_W); area_fraction = fraction
//    of W's ROI where EI_W > median(EI_W over W's ROI) + redness_ei_margin (median from
//    0.01-EI histogram bins). Erythema is a mm-scale feature: the smoothing does not move it.
// Tone, over ctx.roi:
//  * l_star_mean, l_star_std: mean and sd of L*.
//  * ita_deg_mean = atan2(mean L* - 50, mean b*) in degrees: the ITA of the mean colour (as a
//    colorimeter averaging the area would read it; per-pixel ITA is unstable where b* ~ 0).
//  * Spots: on the working copy W (L* averaged over f x f blocks, f as above), pixels of W's
//    ROI with L*_bg - L* >= spot_min_delta_l, L*_bg = median of L* over a square of 5 mm,
//    computed on a coarser copy of ~5 px/mm in 8-bit L* (0.39 L* steps; pixels outside the ROI
//    first filled by a masked Gaussian mean of sigma 1 mm, or the ROI's median L* where no ROI
//    is near, so hair and background do not bias it) and bilinearly enlarged to W. 8-connected
//    components with area >= pi spot_min_radius_mm^2 are spots: spot_count;
//    spot_area_fraction = their area / the ROI's area (both on W).
// None of these is invariant to exposure or white balance: comparing sessions needs colour
// calibration. They are exact (deterministic, no per-image normalisation) for equal colour.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "metrics/cell_sums.h"
#include "metrics/families.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr float kChannelFloor = 1e-4f;     // linear R, G floor in the EI ratio
constexpr double kRednessPxPerMm = 5.0;    // working copy of the redness area
constexpr double kRednessSmoothMm = 0.25;  // Gaussian sigma on it before the threshold
constexpr double kEiBin = 0.01;            // median histogram bin, EI units
constexpr double kEiLo = -200.0, kEiHi = 200.0;
constexpr double kWorkPxPerMm = 10.0;     // working copy of the spot measures
constexpr double kSpotBgPxPerMm = 5.0;    // scale of the spot background median
constexpr double kSpotWindowMm = 5.0;     // background median window side
constexpr double kSpotFillSigmaMm = 1.0;  // fill of non-ROI pixels before the median
const double kEiPerLn = 100.0 / std::log(10.0);

// Block means over f x f blocks (partial blocks at the right / bottom dropped).
cv::Mat BlockMean(const cv::Mat& m, int f) {
  if (f <= 1) return m;
  cv::Mat out;
  const cv::Rect whole(0, 0, m.cols / f * f, m.rows / f * f);
  cv::resize(m(whole), out, cv::Size(whole.width / f, whole.height / f), 0, 0, cv::INTER_AREA);
  return out;
}

// Masked sums over the ROI and f x f block means of chosen per-pixel quantities, in one
// parallel pass over the image's rows (sums in double per group of f rows, reduced in order:
// deterministic).
struct Pass {
  double n = 0;                 // ROI pixels
  std::vector<double> sums;     // per summed quantity
  std::vector<cv::Mat> blocks;  // per block quantity, CV_32FC1 (cols / f) x (rows / f)
  cv::Mat cover;                // fraction of each block inside the ROI
};

// `row(y, weight, sums, values)` handles image row y: adds its ROI pixels' quantities to
// sums[k] (weight[x] is 1 in the ROI, 0 outside) and writes every pixel's block quantities to
// values[j][x] (j < n_blocks; values[n_blocks] is scratch for the row function).
template <typename RowFn>
Pass RunPass(const cv::Mat& roi, int f, int n_sums, int n_blocks, const RowFn& row) {
  Pass pass;
  const int cols = roi.cols, bw = roi.cols / f, bh = roi.rows / f;
  for (int j = 0; j <= n_blocks; ++j) pass.blocks.emplace_back(bh, bw, CV_32FC1);
  const int groups = (roi.rows + f - 1) / f;
  std::vector<double> group_sums(static_cast<size_t>(groups) * static_cast<size_t>(n_sums), 0.0);
  cv::parallel_for_(cv::Range(0, groups), [&](const cv::Range& range) {
    std::vector<std::vector<float>> values(static_cast<size_t>(n_blocks) + 1,
                                           std::vector<float>(static_cast<size_t>(cols)));
    std::vector<std::vector<float>> acc(static_cast<size_t>(n_blocks) + 1,
                                        std::vector<float>(static_cast<size_t>(bw)));
    std::vector<float> weight(static_cast<size_t>(cols));
    std::vector<float*> value_ptrs;
    for (auto& v : values) value_ptrs.push_back(v.data());
    for (int g = range.start; g < range.end; ++g) {
      for (auto& a : acc) std::fill(a.begin(), a.end(), 0.f);
      double* sums = &group_sums[static_cast<size_t>(g) * static_cast<size_t>(n_sums)];
      for (int y = g * f; y < std::min(roi.rows, (g + 1) * f); ++y) {
        const uchar* m = roi.ptr<uchar>(y);
        for (int x = 0; x < cols; ++x) weight[static_cast<size_t>(x)] = m[x] ? 1.f : 0.f;
        row(y, weight.data(), sums, value_ptrs.data());
        float* cover = value_ptrs[static_cast<size_t>(n_blocks)];
        std::copy(weight.begin(), weight.end(), cover);
        for (size_t j = 0; j < values.size(); ++j) {
          const float* v = values[j].data();
          float* a = acc[j].data();
          for (int bx = 0; bx < bw; ++bx) {
            float block = 0.f;
            for (int k = 0; k < f; ++k) block += v[bx * f + k];
            a[bx] += block;
          }
        }
      }
      if (g >= bh) continue;
      const float inv = 1.f / static_cast<float>(f * f);
      for (size_t j = 0; j < values.size(); ++j) {
        float* out = pass.blocks[j].ptr<float>(g);
        for (int bx = 0; bx < bw; ++bx) out[bx] = acc[j][static_cast<size_t>(bx)] * inv;
      }
    }
  });
  pass.cover = pass.blocks.back();
  pass.blocks.pop_back();
  pass.n = cv::countNonZero(roi);
  pass.sums.assign(static_cast<size_t>(n_sums), 0.0);
  for (int g = 0; g < groups; ++g)
    for (int k = 0; k < n_sums; ++k)
      pass.sums[static_cast<size_t>(k)] +=
          group_sums[static_cast<size_t>(g) * static_cast<size_t>(n_sums) + static_cast<size_t>(k)];
  return pass;
}

// Median of `values` (CV_32FC1) over `mask` from a histogram of kEiBin bins.
double MaskedMedian(const cv::Mat& values, const cv::Mat& mask) {
  const int nbins = static_cast<int>((kEiHi - kEiLo) / kEiBin) + 1;
  std::vector<long long> hist(static_cast<size_t>(nbins), 0);
  long long n = 0;
  for (int y = 0; y < values.rows; ++y) {
    const float* v = values.ptr<float>(y);
    const uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; ++x) {
      if (!m[x]) continue;
      const int b =
          std::clamp(static_cast<int>(std::floor((v[x] - kEiLo) * (1.0 / kEiBin))), 0, nbins - 1);
      ++hist[static_cast<size_t>(b)];
      ++n;
    }
  }
  long long seen = 0;
  for (int b = 0; b < nbins && n > 0; ++b) {
    seen += hist[static_cast<size_t>(b)];
    if (2 * seen >= n) return kEiLo + (b + 0.5) * kEiBin;
  }
  return 0.0;
}

// CIELAB (D65; L* in [0, 100]) of row y of an internal-form image (float sRGB-encoded BGR).
cv::Mat LabRow(const cv::Mat& srgb, int y) {
  cv::Mat lab;
  cv::cvtColor(srgb.row(y), lab, cv::COLOR_BGR2Lab);
  return lab;
}

int WorkFactor(double px_per_mm, double target) {
  return std::max(1, static_cast<int>(std::floor(px_per_mm / target)));
}

// The colour cell sums of MetricsTileSums, when asked: 4 quantities (EI, a*, L*, px).
CellRowSums ColourCells(const Context& ctx, const MetricsTileSums* tiles) {
  if (tiles == nullptr || tiles->colour_tile_px <= 0) return CellRowSums();
  return CellRowSums(ctx.roi.size(), tiles->colour_tile_px, 4);
}

// Adds quantities `qs` of `cells` into tiles->colour (sized on first use).
void MergeColourCells(const CellRowSums& cells, std::initializer_list<int> qs,
                      MetricsTileSums* tiles) {
  std::vector<std::vector<double>> sums = cells.Reduce();
  if (tiles->colour.size() != sums.size()) {
    tiles->colour.assign(sums.size(), std::vector<double>(sums[0].size(), 0.0));
  }
  for (int q : qs) tiles->colour[static_cast<size_t>(q)] = std::move(sums[static_cast<size_t>(q)]);
}

}  // namespace

Status MeasureRedness(const Context& ctx, const MetricsOptions& o, RednessMetrics* out,
                      MetricsTileSums* tiles) {
  if (out == nullptr) return Status::InvalidArgument("redness: out is null");
  *out = RednessMetrics();
  if (ctx.srgb.type() != CV_32FC3 || ctx.roi.type() != CV_8UC1 || ctx.roi.size() != ctx.srgb.size())
    return Status::InvalidArgument("redness: context needs srgb and roi of one size");
  // One pass: sums of ln(R / G) and a* over the ROI; block means of R and G.
  const int f = WorkFactor(ctx.px_per_mm, kRednessPxPerMm);
  CellRowSums cells = ColourCells(ctx, tiles);
  const Pass pass =
      RunPass(ctx.roi, f, 2, 2, [&](int y, const float* w, double* sums, float* const* values) {
        const cv::Mat linear = photometric::SrgbToLinear(ctx.srgb.row(y));
        const cv::Mat lab_row = LabRow(ctx.srgb, y);
        const float* p = linear.ptr<float>(0);
        const float* lab = lab_row.ptr<float>(0);
        float* r = values[0];
        float* g = values[1];
        float* ratio = values[2];  // scratch, overwritten by the cover
        const int cols = ctx.roi.cols;
        for (int x = 0; x < cols; ++x) {
          r[x] = p[3 * x + 2];
          g[x] = p[3 * x + 1];
          ratio[x] = std::max(r[x], kChannelFloor) / std::max(g[x], kChannelFloor);
        }
        cv::Mat header(1, cols, CV_32FC1, ratio);
        cv::log(header, header);
        double s0 = 0, s1 = 0;
        for (int x = 0; x < cols; ++x) {
          s0 += static_cast<double>(w[x] * ratio[x]);
          s1 += static_cast<double>(w[x] * lab[3 * x + 1]);
        }
        sums[0] += s0;
        sums[1] += s1;
        if (cells.active()) {  // ROI pixels only, as ComputeTileSums' own colour sums
          cells.AddRow(y, 0, cols, kEiPerLn, [&](int x) { return w[x] != 0.f ? ratio[x] : 0.0; });
          cells.AddRow(y, 1, cols, 1.0,
                       [&](int x) { return w[x] != 0.f ? double(lab[3 * x + 1]) : 0.0; });
          cells.AddRow(y, 3, cols, 1.0, [&](int x) { return static_cast<double>(w[x]); });
        }
      });
  if (cells.active() && pass.n > 0) MergeColourCells(cells, {0, 1, 3}, tiles);
  if (pass.n == 0) return Status::Ok();
  out->erythema_index_mean = kEiPerLn * pass.sums[0] / pass.n;
  out->a_star_mean = pass.sums[1] / pass.n;

  // Area above the median + margin, on the working copy.
  const cv::Mat roi = pass.cover >= 0.5f;
  const double roi_px = cv::countNonZero(roi);
  if (roi_px == 0) return Status::Ok();
  cv::Mat r, g, ei;
  const double sigma = kRednessSmoothMm * ctx.px_per_mm / f;
  cv::GaussianBlur(pass.blocks[0], r, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::GaussianBlur(pass.blocks[1], g, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::max(r, kChannelFloor, r);
  cv::max(g, kChannelFloor, g);
  cv::divide(r, g, ei);
  cv::log(ei, ei);
  ei *= kEiPerLn;
  const double threshold = MaskedMedian(ei, roi) + o.redness_ei_margin;
  out->area_fraction = cv::countNonZero((ei > threshold) & roi) / roi_px;
  return Status::Ok();
}

Status MeasureTone(const Context& ctx, const MetricsOptions& o, ToneMetrics* out,
                   MetricsTileSums* tiles) {
  if (out == nullptr) return Status::InvalidArgument("tone: out is null");
  *out = ToneMetrics();
  if (ctx.srgb.type() != CV_32FC3 || ctx.roi.type() != CV_8UC1 || ctx.roi.size() != ctx.srgb.size())
    return Status::InvalidArgument("tone: context needs srgb and roi of one size");
  // One pass: sums of L*, L*^2 (about 50, for precision) and b* over the ROI; block means of
  // L*.
  const int f = WorkFactor(ctx.px_per_mm, kWorkPxPerMm);
  const double ppmm = ctx.px_per_mm / f;
  CellRowSums cells = ColourCells(ctx, tiles);
  const Pass pass =
      RunPass(ctx.roi, f, 3, 1, [&](int y, const float* w, double* sums, float* const* values) {
        const cv::Mat lab_row = LabRow(ctx.srgb, y);
        const float* p = lab_row.ptr<float>(0);
        double s0 = 0, s1 = 0, s2 = 0;
        for (int x = 0; x < ctx.roi.cols; ++x) {
          const float l = p[3 * x];
          values[0][x] = l;
          const double d = static_cast<double>(l) - 50.0, wx = w[x];
          s0 += wx * d;
          s1 += wx * d * d;
          s2 += wx * p[3 * x + 2];
        }
        sums[0] += s0;
        sums[1] += s1;
        sums[2] += s2;
        if (cells.active())
          cells.AddRow(y, 2, ctx.roi.cols, 1.0,
                       [&](int x) { return w[x] != 0.f ? double(p[3 * x]) : 0.0; });
      });
  if (cells.active() && pass.n > 0) MergeColourCells(cells, {2}, tiles);
  if (pass.n == 0) return Status::Ok();
  const double mean_d = pass.sums[0] / pass.n;
  out->l_star_mean = 50.0 + mean_d;
  out->l_star_std = std::sqrt(std::max(0.0, pass.sums[1] / pass.n - mean_d * mean_d));
  out->ita_deg_mean = std::atan2(mean_d, pass.sums[2] / pass.n) * 180.0 / kPi;

  // Spots, on the working copy.
  const cv::Mat& l = pass.blocks[0];
  const cv::Mat roi = pass.cover >= 0.5f;
  const double roi_px = cv::countNonZero(roi);
  if (roi_px == 0) return Status::Ok();

  // Background: coarser copy, non-ROI filled, 5 mm median.
  const int fb = WorkFactor(ppmm, kSpotBgPxPerMm);
  const double ppmm_bg = ppmm / fb;
  cv::Mat lb = BlockMean(l, fb), wb;
  BlockMean(roi, fb).convertTo(wb, CV_32F, 1.0 / 255.0);  // ROI coverage in [0, 1]
  cv::Mat inside = wb >= 0.5f;
  std::vector<float> values;
  for (int y = 0; y < lb.rows; ++y)
    for (int x = 0; x < lb.cols; ++x)
      if (inside.at<uchar>(y, x)) values.push_back(lb.at<float>(y, x));
  if (values.empty()) {  // the ROI is thinner than a background block: use its own pixels
    for (int y = 0; y < l.rows; ++y)
      for (int x = 0; x < l.cols; ++x)
        if (roi.at<uchar>(y, x)) values.push_back(l.at<float>(y, x));
  }
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  const float global = values[values.size() / 2];
  cv::Mat num = lb.mul(wb), den = wb.clone();
  const double fs = kSpotFillSigmaMm * ppmm_bg;
  cv::GaussianBlur(num, num, cv::Size(), fs, fs, cv::BORDER_REFLECT);
  cv::GaussianBlur(den, den, cv::Size(), fs, fs, cv::BORDER_REFLECT);
  cv::Mat fill = num / cv::max(den, 1e-3f);
  fill.setTo(global, den <= 1e-3f);
  fill.copyTo(lb, ~inside);
  cv::Mat lb8, bg8, bg;
  lb.convertTo(lb8, CV_8U, 255.0 / 100.0);
  const int k = 2 * static_cast<int>(std::lround(kSpotWindowMm * ppmm_bg / 2.0)) + 1;
  const int k_fit = std::min(k, 2 * ((std::min(lb8.rows, lb8.cols) - 1) / 2) + 1);
  if (k_fit >= 3) {
    cv::medianBlur(lb8, bg8, k_fit);
  } else {
    bg8 = lb8;
  }
  bg8.convertTo(bg, CV_32F, 100.0 / 255.0);
  if (bg.size() != l.size()) cv::resize(bg, bg, l.size(), 0, 0, cv::INTER_LINEAR);

  const cv::Mat spot = ((bg - l) >= o.spot_min_delta_l) & roi;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(spot, labels, stats, centroids, 8, CV_32S);
  const double min_area = kPi * std::pow(o.spot_min_radius_mm * ppmm, 2);
  double spot_px = 0;
  for (int i = 1; i < n; ++i) {
    const double area = stats.at<int>(i, cv::CC_STAT_AREA);
    if (area < min_area) continue;
    ++out->spot_count;
    spot_px += area;
  }
  out->spot_area_fraction = spot_px / roi_px;
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
