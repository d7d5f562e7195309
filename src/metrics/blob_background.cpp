// Block means and local background (see blob_background.h).
#include "metrics/blob_background.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

namespace skintrack::metrics::internal {

void CoarseField::Fill(const cv::Rect& r, cv::Mat1f* out) const {
  out->create(r.size());
  if (r.empty()) return;
  const int gh = grid.rows, gw = grid.cols;
  // Column indices and weights, shared by all rows.
  std::vector<int> j0(r.width), j1(r.width);
  std::vector<float> tx(r.width);
  for (int x = 0; x < r.width; ++x) {
    const double gx = (r.x + x + 0.5) / cell - 0.5;
    int j = static_cast<int>(std::floor(gx));
    float t = static_cast<float>(gx - j);
    if (j < 0) j = 0, t = 0.0f;
    if (j >= gw - 1) j = gw - 1, t = 0.0f;
    j0[x] = j, j1[x] = std::min(j + 1, gw - 1), tx[x] = t;
  }
  std::vector<float> top(gw);
  for (int y = 0; y < r.height; ++y) {
    const double gy = (r.y + y + 0.5) / cell - 0.5;
    int i = static_cast<int>(std::floor(gy));
    float ty = static_cast<float>(gy - i);
    if (i < 0) i = 0, ty = 0.0f;
    if (i >= gh - 1) i = gh - 1, ty = 0.0f;
    const float* r0 = grid.ptr<float>(i);
    const float* r1 = grid.ptr<float>(std::min(i + 1, gh - 1));
    for (int j = j0.front(); j <= j1.back(); ++j) top[j] = r0[j] + ty * (r1[j] - r0[j]);
    float* o = out->ptr<float>(y);
    for (int x = 0; x < r.width; ++x) o[x] = top[j0[x]] + tx[x] * (top[j1[x]] - top[j0[x]]);
  }
}

namespace {

// One source row's contribution to the block sums of blocks [j_begin, j_end): the float sum of
// each block's pixels in order from 0.0f (added in double to sum[j]), the count of its mask
// pixels (inside[j]), and the float sum of its pixels read as 0 outside the mask (sum_in[j]).
// F > 0: every block holds F pixels (a compile-time width the compiler unrolls); F == 0: any
// `factor`, the last block possibly partial. The float additions are the same and in the same
// order for every F.
template <int F, bool kMask, bool kMasked>
void AddBlockRow(const float* row, const uchar* mr, int cols, int factor, int j_begin, int j_end,
                 double* sum, double* inside, double* sum_in) {
  const int f = F > 0 ? F : factor;
  for (int j = j_begin; j < j_end; ++j) {
    const int x0 = j * f, x1 = F > 0 ? x0 + F : std::min(cols, x0 + f);
    float acc = 0.0f;
    for (int x = x0; x < x1; ++x) acc += row[x];
    sum[j] += acc;
    if constexpr (kMask) {
      int n = 0;
      for (int x = x0; x < x1; ++x) n += mr[x] != 0;
      inside[j] += n;
    }
    if constexpr (kMasked) {  // the masked copy's sums: 0 added outside the mask
      float acc_in = 0.0f;
      for (int x = x0; x < x1; ++x) acc_in += mr[x] != 0 ? row[x] : 0.0f;
      sum_in[j] += acc_in;
    }
  }
}

using BlockRowFn = void (*)(const float*, const uchar*, int, int, int, int, double*, double*,
                            double*);

template <int F>
BlockRowFn PickBlockRow(bool mask, bool masked) {
  if (masked) return &AddBlockRow<F, true, true>;
  return mask ? &AddBlockRow<F, true, false> : &AddBlockRow<F, false, false>;
}

// The row function for whole blocks of `factor` px (unrolled for factors 1 to kUnrolled).
constexpr int kUnrolled = 8;
template <std::size_t... F>
BlockRowFn WholeBlockRow(int factor, bool mask, bool masked, std::index_sequence<F...>) {
  const BlockRowFn unrolled[] = {PickBlockRow<static_cast<int>(F) + 1>(mask, masked)...};
  return factor >= 1 && factor <= kUnrolled ? unrolled[factor - 1] : PickBlockRow<0>(mask, masked);
}
BlockRowFn WholeBlockRow(int factor, bool mask, bool masked) {
  return WholeBlockRow(factor, mask, masked, std::make_index_sequence<kUnrolled>());
}

}  // namespace

cv::Mat1f BlockMean(const cv::Mat& src, int factor, const cv::Mat& mask, cv::Mat1f* fraction,
                    cv::Mat1f* masked_mean) {
  factor = std::max(1, factor);
  const int gw = (src.cols + factor - 1) / factor, gh = (src.rows + factor - 1) / factor;
  const bool want_masked = masked_mean != nullptr && !mask.empty();
  cv::Mat1f mean(gh, gw), frac(gh, gw, 1.0f), masked;
  if (want_masked) masked.create(gh, gw);
  const int whole = src.cols / factor;  // blocks of `factor` px; a partial one may follow
  const BlockRowFn whole_row = WholeBlockRow(factor, !mask.empty(), want_masked);
  const BlockRowFn any_row = PickBlockRow<0>(!mask.empty(), want_masked);
  cv::parallel_for_(cv::Range(0, gh), [&](const cv::Range& range) {
    std::vector<double> sum(gw), inside(gw), sum_in(want_masked ? gw : 0);
    for (int i = range.start; i < range.end; ++i) {
      std::fill(sum.begin(), sum.end(), 0.0);
      std::fill(inside.begin(), inside.end(), 0.0);
      std::fill(sum_in.begin(), sum_in.end(), 0.0);
      const int r0 = i * factor, r1 = std::min(src.rows, r0 + factor);
      for (int r = r0; r < r1; ++r) {
        const float* row = src.ptr<float>(r);
        const uchar* mr = mask.empty() ? nullptr : mask.ptr<uchar>(r);
        whole_row(row, mr, src.cols, factor, 0, whole, sum.data(), inside.data(), sum_in.data());
        any_row(row, mr, src.cols, factor, whole, gw, sum.data(), inside.data(), sum_in.data());
      }
      for (int j = 0; j < gw; ++j) {
        const double n = double(r1 - r0) * (std::min(src.cols, (j + 1) * factor) - j * factor);
        mean(i, j) = static_cast<float>(sum[j] / n);
        if (!mask.empty()) frac(i, j) = static_cast<float>(inside[j] / n);
        if (want_masked) masked(i, j) = static_cast<float>(sum_in[j] / n);
      }
    }
  });
  if (fraction != nullptr) *fraction = frac;
  if (masked_mean != nullptr) *masked_mean = want_masked ? masked : mean.clone();
  return mean;
}

CoarseField LocalBackground(const cv::Mat& y, const cv::Mat& mask, double sigma_px, double clip) {
  const int cell = std::max(1, static_cast<int>(std::lround(sigma_px / 4.0)));
  cv::Mat1f weight;  // fraction of each cell inside the mask
  const bool partial = !mask.empty() && static_cast<size_t>(cv::countNonZero(mask)) < mask.total();
  cv::Mat1f sum_in;  // (cell sums of the masked pixels) / (cell px)
  const cv::Mat1f mean_all = BlockMean(y, cell, mask, &weight, partial ? &sum_in : nullptr);
  const int gh = mean_all.rows, gw = mean_all.cols;
  cv::Mat1f mean_in = mean_all.clone();  // mean of the masked pixels where there are some
  if (partial) {
    for (int i = 0; i < gh; ++i)
      for (int j = 0; j < gw; ++j)
        if (weight(i, j) > 0.0f) mean_in(i, j) = sum_in(i, j) / weight(i, j);
  }
  const double s = std::max(0.5, sigma_px / cell);
  auto smooth = [&](const cv::Mat1f& m_in, const cv::Mat1f& m_all) {
    // Normalised convolution G(w m) / G(w), blended with G(m_all) where the mask is absent.
    constexpr float kEps = 1e-3f;
    cv::Mat1f num, den, all, out(gh, gw);
    cv::GaussianBlur(m_in.mul(weight), num, cv::Size(), s, s, cv::BORDER_REFLECT);
    cv::GaussianBlur(weight, den, cv::Size(), s, s, cv::BORDER_REFLECT);
    cv::GaussianBlur(m_all, all, cv::Size(), s, s, cv::BORDER_REFLECT);
    for (int i = 0; i < gh; ++i)
      for (int j = 0; j < gw; ++j) out(i, j) = (num(i, j) + kEps * all(i, j)) / (den(i, j) + kEps);
    return out;
  };
  cv::Mat1f first = smooth(mean_in, mean_all);
  const cv::Mat1f floor_level = first * clip;
  cv::Mat1f in2 = cv::max(mean_in, floor_level), all2 = cv::max(mean_all, floor_level);
  CoarseField field;
  field.grid = smooth(in2, all2);
  field.grid = cv::max(field.grid, 1e-6);  // never divide by zero
  field.cell = cell;
  return field;
}

}  // namespace skintrack::metrics::internal
