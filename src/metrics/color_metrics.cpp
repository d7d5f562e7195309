// Colour metrics: redness (erythema index, a*) and tone (L*, ITA, pigmented spots).
//
// Redness, over ctx.roi:
//  * EI = 100 log10(R_lin / G_lin) per pixel (linear sRGB, channels floored at 1e-4);
//    erythema_index_mean = its mean over the ROI; a_star_mean = mean a* (CIELAB, D65, of
//    photometric::SrgbToLab) over the ROI.
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
// Both families come from ONE pass over the rows (MeasureColour): one sRGB -> linear and one
// CIELAB conversion per pixel.
// None of these is invariant to exposure or white balance: comparing sessions needs colour
// calibration. They are exact (deterministic, no per-image normalisation) for equal colour.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <opencv2/core/hal/intrin.hpp>
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

// f x f block means of per-pixel rows, accumulated row by row (partial blocks at the right /
// bottom dropped).
class BlockRows {
 public:
  BlockRows(int f, int cols, int rows, int quantities) : f_(f), acc_(quantities) {
    for (int j = 0; j < quantities; ++j) means_.emplace_back(rows / f, cols / f, CV_32FC1);
  }
  cv::Mat& Means(int j) { return means_[static_cast<size_t>(j)]; }
  // Per-thread accumulators, one row of blocks per quantity.
  std::vector<std::vector<float>> NewAccumulators() const {
    return std::vector<std::vector<float>>(acc_, std::vector<float>(means_[0].cols, 0.f));
  }
  // Adds one image row of a quantity (values v) to its accumulator row acc.
  void Add(const float* v, std::vector<float>* acc) const {
    float* a = acc->data();
    const size_t n = acc->size();
    size_t bx = 0;
#if CV_SIMD128
    // Factors 2 and 4 (the tone and redness blocks at 20 px/mm), four blocks at a time: the same
    // additions in the same order as the loop below, so the same sums.
    const cv::v_float32x4 zero = cv::v_setzero_f32();
    if (f_ == 2) {
      for (; bx + 4 <= n; bx += 4) {
        cv::v_float32x4 v0, v1;
        cv::v_load_deinterleave(v + 2 * bx, v0, v1);
        cv::v_store(a + bx, cv::v_load(a + bx) + ((zero + v0) + v1));
      }
    } else if (f_ == 4) {
      for (; bx + 4 <= n; bx += 4) {
        cv::v_float32x4 v0, v1, v2, v3;
        cv::v_load_deinterleave(v + 4 * bx, v0, v1, v2, v3);
        cv::v_store(a + bx, cv::v_load(a + bx) + ((((zero + v0) + v1) + v2) + v3));
      }
    }
#endif
    for (; bx < n; ++bx) {
      float block = 0.f;
      for (int k = 0; k < f_; ++k) block += v[bx * f_ + k];
      a[bx] += block;
    }
  }
  // After image row y: at the last row of a block row, writes the block means of every
  // quantity and resets the accumulators.
  void EndRow(int y, std::vector<std::vector<float>>* acc) {
    if ((y + 1) % f_ != 0) return;
    const int by = y / f_;
    const float inv = 1.f / static_cast<float>(f_ * f_);
    for (size_t j = 0; j < acc->size(); ++j) {
      std::vector<float>& a = (*acc)[j];
      if (by < means_[j].rows) {
        float* out = means_[j].ptr<float>(by);
        for (size_t bx = 0; bx < a.size(); ++bx) out[bx] = a[bx] * inv;
      }
      std::fill(a.begin(), a.end(), 0.f);
    }
  }

 private:
  int f_;
  size_t acc_;
  std::vector<cv::Mat> means_;
};

// One parallel pass over the image's rows for both colour families (one sRGB -> linear and
// one CIELAB conversion per pixel): masked sums over the ROI, block means for redness (linear
// R, G and the ROI cover at factor fr) and tone (L* and the cover at factor ft), and the
// colour cell sums when asked. Rows are taken in groups of lcm(fr, ft), sums added in double
// per group and reduced in group order: deterministic.
struct ColourPass {
  double n = 0;                     // ROI pixels
  double ln_ratio = 0, a = 0;       // sums of ln(R / G) and a*
  double dl = 0, dl2 = 0, b = 0;    // sums of L* - 50, (L* - 50)^2, b*
  cv::Mat red_r, red_g, red_cover;  // factor fr
  cv::Mat tone_l, tone_cover;       // factor ft
};

ColourPass RunColourPass(const Context& ctx, int fr, int ft, CellRowSums* cells) {
  const cv::Mat& roi = ctx.roi;
  const int cols = roi.cols, rows = roi.rows;
  const int group = std::lcm(fr, ft);
  BlockRows red(fr, cols, rows, 3), tone(ft, cols, rows, 2);
  const int groups = (rows + group - 1) / group;
  std::vector<std::array<double, 5>> group_sums(static_cast<size_t>(groups));
  cv::parallel_for_(cv::Range(0, groups), [&](const cv::Range& range) {
    std::vector<float> r(static_cast<size_t>(cols)), g(r), ratio(r), l(r), w(r);
    std::vector<float> linear_row(3 * static_cast<size_t>(cols)), lab_row(linear_row);
    auto red_acc = red.NewAccumulators();
    auto tone_acc = tone.NewAccumulators();
    for (int gi = range.start; gi < range.end; ++gi) {
      std::array<double, 5>& sums = group_sums[static_cast<size_t>(gi)];
      sums.fill(0.0);
      for (int y = gi * group; y < std::min(rows, (gi + 1) * group); ++y) {
        const uchar* m = roi.ptr<uchar>(y);
        for (int x = 0; x < cols; ++x) w[static_cast<size_t>(x)] = m[x] ? 1.f : 0.f;
        photometric::SrgbToLinearLabRow(ctx.srgb.ptr<float>(y), cols, linear_row.data(),
                                        lab_row.data());
        const float* p = linear_row.data();
        const float* lb = lab_row.data();
        for (int x = 0; x < cols; ++x) {
          r[x] = p[3 * x + 2];
          g[x] = p[3 * x + 1];
          ratio[x] = std::max(r[x], kChannelFloor) / std::max(g[x], kChannelFloor);
          l[x] = lb[3 * x];
        }
        cv::Mat header(1, cols, CV_32FC1, ratio.data());
        cv::log(header, header);
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        for (int x = 0; x < cols; ++x) {
          const float wx = w[x];
          s0 += static_cast<double>(wx * ratio[x]);
          s1 += static_cast<double>(wx * lb[3 * x + 1]);
          const double d = static_cast<double>(l[x]) - 50.0;
          s2 += wx * d;
          s3 += wx * d * d;
          s4 += wx * lb[3 * x + 2];
        }
        sums[0] += s0;
        sums[1] += s1;
        sums[2] += s2;
        sums[3] += s3;
        sums[4] += s4;
        if (cells != nullptr && cells->active()) {  // ROI pixels only, as ComputeTileSums'
          const float* wp = w.data();
          cells->AddRow(y, 0, cols, kEiPerLn,
                        [&](int x) { return wp[x] != 0.f ? double(ratio[x]) : 0.0; });
          cells->AddRow(y, 1, cols, 1.0,
                        [&](int x) { return wp[x] != 0.f ? double(lb[3 * x + 1]) : 0.0; });
          cells->AddRow(y, 2, cols, 1.0, [&](int x) { return wp[x] != 0.f ? double(l[x]) : 0.0; });
          cells->AddRow(y, 3, cols, 1.0, [&](int x) { return static_cast<double>(wp[x]); });
        }
        red.Add(r.data(), &red_acc[0]);
        red.Add(g.data(), &red_acc[1]);
        red.Add(w.data(), &red_acc[2]);
        red.EndRow(y, &red_acc);
        tone.Add(l.data(), &tone_acc[0]);
        tone.Add(w.data(), &tone_acc[1]);
        tone.EndRow(y, &tone_acc);
      }
    }
  });
  ColourPass pass;
  pass.n = cv::countNonZero(roi);
  for (const std::array<double, 5>& s : group_sums) {
    pass.ln_ratio += s[0];
    pass.a += s[1];
    pass.dl += s[2];
    pass.dl2 += s[3];
    pass.b += s[4];
  }
  pass.red_r = red.Means(0);
  pass.red_g = red.Means(1);
  pass.red_cover = red.Means(2);
  pass.tone_l = tone.Means(0);
  pass.tone_cover = tone.Means(1);
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

int WorkFactor(double px_per_mm, double target) {
  return std::max(1, static_cast<int>(std::floor(px_per_mm / target)));
}

Status CheckColourContext(const Context& ctx) {
  if (ctx.srgb.type() != CV_32FC3 || ctx.roi.type() != CV_8UC1 || ctx.roi.size() != ctx.srgb.size())
    return Status::InvalidArgument("colour: context needs srgb and roi of one size");
  return Status::Ok();
}

// Redness from the pass: means, and the area above the median + margin on the working copy.
void RednessFromPass(const Context& ctx, const MetricsOptions& o, int f, const ColourPass& pass,
                     RednessMetrics* out) {
  *out = RednessMetrics();
  if (pass.n == 0) return;
  out->erythema_index_mean = kEiPerLn * pass.ln_ratio / pass.n;
  out->a_star_mean = pass.a / pass.n;
  // Area above the median + margin, on the working copy.
  const cv::Mat roi = pass.red_cover >= 0.5f;
  const double roi_px = cv::countNonZero(roi);
  if (roi_px == 0) return;
  cv::Mat r, g, ei;
  const double sigma = kRednessSmoothMm * ctx.px_per_mm / f;
  cv::GaussianBlur(pass.red_r, r, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::GaussianBlur(pass.red_g, g, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::max(r, kChannelFloor, r);
  cv::max(g, kChannelFloor, g);
  cv::divide(r, g, ei);
  cv::log(ei, ei);
  ei *= kEiPerLn;
  const double threshold = MaskedMedian(ei, roi) + o.redness_ei_margin;
  out->area_fraction = cv::countNonZero((ei > threshold) & roi) / roi_px;
}

// Tone from the pass: L* moments, ITA of the mean colour, and the spots on the working copy.
void ToneFromPass(const MetricsOptions& o, double ppmm, const ColourPass& pass, ToneMetrics* out) {
  *out = ToneMetrics();
  if (pass.n == 0) return;
  const double mean_d = pass.dl / pass.n;
  out->l_star_mean = 50.0 + mean_d;
  out->l_star_std = std::sqrt(std::max(0.0, pass.dl2 / pass.n - mean_d * mean_d));
  out->ita_deg_mean = std::atan2(mean_d, pass.b / pass.n) * 180.0 / kPi;

  // Spots, on the working copy.
  const cv::Mat& l = pass.tone_l;
  const cv::Mat roi = pass.tone_cover >= 0.5f;
  const double roi_px = cv::countNonZero(roi);
  if (roi_px == 0) return;

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
}

}  // namespace

Status MeasureColour(const Context& ctx, const MetricsOptions& o, RednessMetrics* redness,
                     ToneMetrics* tone, MetricsTileSums* tiles) {
  if (redness == nullptr || tone == nullptr)
    return Status::InvalidArgument("colour: outputs are null");
  SKINTRACK_RETURN_IF_ERROR(CheckColourContext(ctx));
  const int fr = WorkFactor(ctx.px_per_mm, kRednessPxPerMm);
  const int ft = WorkFactor(ctx.px_per_mm, kWorkPxPerMm);
  CellRowSums cells;
  if (tiles != nullptr && tiles->colour_tile_px > 0)
    cells = CellRowSums(ctx.roi.size(), tiles->colour_tile_px, 4);
  const ColourPass pass = RunColourPass(ctx, fr, ft, &cells);
  if (cells.active() && pass.n > 0) tiles->colour = cells.Reduce();
  RednessFromPass(ctx, o, fr, pass, redness);
  ToneFromPass(o, ctx.px_per_mm / ft, pass, tone);
  return Status::Ok();
}

Status MeasureRedness(const Context& ctx, const MetricsOptions& o, RednessMetrics* out) {
  if (out == nullptr) return Status::InvalidArgument("redness: out is null");
  ToneMetrics unused;
  return MeasureColour(ctx, o, out, &unused, nullptr);
}

Status MeasureTone(const Context& ctx, const MetricsOptions& o, ToneMetrics* out) {
  if (out == nullptr) return Status::InvalidArgument("tone: out is null");
  RednessMetrics unused;
  return MeasureColour(ctx, o, &unused, out, nullptr);
}

}  // namespace skintrack::metrics::internal
