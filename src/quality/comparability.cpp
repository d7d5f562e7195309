// Pair comparability: lighting difference over the common region, the after/before scale
// ratio, and the comparable / caution / not_comparable decision.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string>
#include <vector>

#include "quality/format.h"
#include "skintrack/core/homography.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/photometric/color.h"
#include "skintrack/quality/quality.h"

namespace skintrack::quality {
namespace {

constexpr long long kMinRegionPx = 100;

using internal::Format;

// Region means of linear B, G, R and Y over the pixels of a grid of `step` px (rows and
// columns 0, step, 2 step, ...), and the linear Y of those pixels (`y`, CV_32FC1 of
// ceil(rows / step) x ceil(cols / step)): one conversion to linear light, bands of sampled
// rows in parallel, sums reduced in band order.
cv::Vec4d LinearMeans(const cv::Mat& image, const cv::Mat& region, int step, cv::Mat* y,
                      long long* count) {
  constexpr int kBand = 64;  // sampled rows per band
  const int rows = (image.rows + step - 1) / step, cols = (image.cols + step - 1) / step;
  const int bands = RowBandCount(rows, kBand);
  std::vector<cv::Vec4d> sums(static_cast<size_t>(bands), cv::Vec4d(0, 0, 0, 0));
  std::vector<long long> counts(static_cast<size_t>(bands), 0);
  y->create(rows, cols, CV_32FC1);
  ForEachRowBand(rows, kBand, [&](int b, int y0, int y1) {
    cv::Mat samples(1, cols, CV_32FC3);
    cv::Vec4d sum(0, 0, 0, 0);
    long long n = 0;
    for (int r = y0; r < y1; ++r) {
      const cv::Vec3f* src = image.ptr<cv::Vec3f>(r * step);
      cv::Vec3f* dst = samples.ptr<cv::Vec3f>(0);
      for (int x = 0; x < cols; ++x) dst[x] = src[x * step];
      const cv::Mat lin = photometric::SrgbToLinear(samples);
      const uchar* m = region.empty() ? nullptr : region.ptr<uchar>(r * step);
      const cv::Vec3f* p = lin.ptr<cv::Vec3f>(0);
      float* yr = y->ptr<float>(r);
      for (int x = 0; x < cols; ++x) {
        // Rec. 709 / sRGB primaries (as photometric::LinearLuminance).
        yr[x] = 0.0722f * p[x][0] + 0.7152f * p[x][1] + 0.2126f * p[x][2];
        if (m && !m[x * step]) continue;
        const double bl = p[x][0], g = p[x][1], rr = p[x][2];
        sum += cv::Vec4d(bl, g, rr, 0.0722 * bl + 0.7152 * g + 0.2126 * rr);
        ++n;
      }
    }
    sums[static_cast<size_t>(b)] = sum;
    counts[static_cast<size_t>(b)] = n;
  });
  cv::Vec4d sum(0, 0, 0, 0);
  long long n = 0;
  for (int b = 0; b < bands; ++b) {
    sum += sums[static_cast<size_t>(b)];
    n += counts[static_cast<size_t>(b)];
  }
  *count = n;
  return n > 0 ? sum * (1.0 / static_cast<double>(n)) : sum;
}

// Low-pass field of linear Y over the (downsampled) region weight w: G*(Y w) / G*w.
cv::Mat Field(const cv::Mat& y_small, const cv::Mat& w_small, double sigma) {
  cv::Mat yw, gyw, gw;
  cv::multiply(y_small, w_small, yw);
  cv::GaussianBlur(yw, gyw, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::GaussianBlur(w_small, gw, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::Mat f;
  cv::divide(gyw, cv::max(gw, 1e-6), f);
  return f;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  const size_t k =
      std::min(v.size() - 1, static_cast<size_t>(std::floor(q * (v.size() - 1) + 0.5)));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace

Status MeasureLightingDifference(const cv::Mat& before, const cv::Mat& aligned_after,
                                 const cv::Mat& region, const LightingOptions& options,
                                 LightingDifference* difference) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (difference == nullptr) return Status::InvalidArgument("lighting: null output");
  for (const auto* im : {&before, &aligned_after}) {
    const Status s = CheckImage(*im, kImageType, 16, "lighting: image");
    if (!s.ok()) return Status::InvalidArgument(s.message());
  }
  if (before.size() != aligned_after.size())
    return Status::InvalidArgument("lighting: before and aligned after differ in size");
  if (!region.empty() && (region.type() != CV_8UC1 || region.size() != before.size()))
    return Status::InvalidInput("lighting: region must be CV_8UC1 of the images' size");
  LightingDifference d;
  // Pixels on a grid of `step` px: ~16 samples per cell of the fields' working copy, far more
  // than the smooth means and fields need, at 1 / step^2 of the conversions (every pixel when
  // the grid misses a thin region).
  const int long_side = std::max(before.cols, before.rows);
  long long nb = 0, na = 0;
  cv::Mat y_before, y_after;
  cv::Vec4d mb, ma;
  for (int step = std::max(1, long_side / (4 * options.work_long_side));; step = 1) {
    mb = LinearMeans(before, region, step, &y_before, &nb);
    ma = LinearMeans(aligned_after, region, step, &y_after, &na);
    if (nb >= kMinRegionPx || step == 1) break;
  }
  if (nb < kMinRegionPx)
    return Status::InvalidInput("lighting: common region has " + std::to_string(nb) +
                                " px, need >= " + std::to_string(kMinRegionPx));
  d.region_px = region.empty() ? static_cast<long long>(before.total()) : cv::countNonZero(region);
  if (!(mb[3] > 0.0 && mb[1] > 0.0 && ma[1] > 0.0)) {
    d.luminance_ratio = mb[3] > 0.0 ? ma[3] / mb[3] : 0.0;
    *difference = d;
    return Status::Ok();
  }
  d.luminance_ratio = ma[3] / mb[3];
  const double rg = std::log((ma[2] / ma[1]) / (mb[2] / mb[1]));
  const double bg = std::log((ma[0] / ma[1]) / (mb[0] / mb[1]));
  d.chroma_shift = std::max(std::abs(rg), std::abs(bg));

  // Low-frequency fields on a downsampled copy (area averages of linear Y and of the region).
  const double s = std::min(1.0, static_cast<double>(options.work_long_side) / long_side);
  const cv::Size small(std::max(1, static_cast<int>(std::lround(before.cols * s))),
                       std::max(1, static_cast<int>(std::lround(before.rows * s))));
  cv::Mat yb, ya, w;
  cv::resize(y_before, yb, small, 0, 0, cv::INTER_AREA);
  cv::resize(y_after, ya, small, 0, 0, cv::INTER_AREA);
  if (region.empty()) {
    w = cv::Mat(small, CV_32FC1, cv::Scalar(1.0));
  } else {
    cv::Mat region_f;
    region.convertTo(region_f, CV_32F, 1.0 / 255.0);
    cv::resize(region_f, w, small, 0, 0, cv::INTER_AREA);
  }
  // Pixels partly outside the region mix inside and outside values: only full cells count.
  cv::Mat inside = w > 0.99f;
  cv::Mat w_in;
  inside.convertTo(w_in, CV_32F, 1.0 / 255.0);
  const double sigma = options.field_sigma_fraction * std::max(small.width, small.height);
  const cv::Mat fb = Field(yb, w_in, sigma), fa = Field(ya, w_in, sigma);
  std::vector<double> diff;
  for (int r = 0; r < small.height; ++r) {
    const uchar* m = inside.ptr<uchar>(r);
    for (int x = 0; x < small.width; ++x) {
      if (!m[x]) continue;
      const double b = fb.at<float>(r, x), a = fa.at<float>(r, x);
      if (b > 1e-6 && a > 1e-6) diff.push_back(std::log(a / b));
    }
  }
  d.field_spread = diff.size() >= 2 ? Percentile(diff, 0.95) - Percentile(diff, 0.05) : 0.0;
  *difference = d;
  return Status::Ok();
}

double AfterPxPerBeforePx(const align::AlignmentResult& alignment, const cv::Point2d& at) {
  const double s = LocalScale(alignment.after_to_before.inv(), at);  // before -> after mapping
  return std::isfinite(s) ? s : 0.0;
}

Status AssessPair(const PhotoQuality& before, const PhotoQuality& after,
                  const align::AlignmentResult& alignment, const PairEvidence& evidence,
                  const PairComparabilityOptions& options, const PhotoQualityOptions& photo_options,
                  PairComparability* result) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  SKINTRACK_RETURN_IF_ERROR(photo_options.Check());
  if (result == nullptr) return Status::InvalidArgument("comparability: null output");
  if (!(evidence.overlap_fraction >= 0.0 && evidence.overlap_fraction <= 1.0))
    return Status::InvalidArgument("comparability: overlap_fraction must be in [0, 1]");
  if (!(evidence.scale_ratio > 0.0 && std::isfinite(evidence.scale_ratio)))
    return Status::InvalidArgument("comparability: scale_ratio must be > 0");
  if (evidence.colour_calibration.empty())
    return Status::InvalidArgument("comparability: colour_calibration must not be empty");

  PairComparability r;
  r.alignment_status = align::AlignmentStatusName(alignment.status);
  r.overlap_fraction = evidence.overlap_fraction;
  r.scale_ratio = evidence.scale_ratio;
  r.lighting = evidence.lighting;
  r.colour_calibration = evidence.colour_calibration;
  int level = 0;  // 0 comparable, 1 caution, 2 not comparable
  auto raise = [&](int l, const std::string& reason) {
    level = std::max(level, l);
    r.reasons.push_back(reason);
  };
  std::set<std::string> lost;

  // Alignment and overlap.
  if (alignment.status == align::AlignmentStatus::kFailed) {
    raise(2, "alignment failed: " + alignment.reason);
  } else if (alignment.status == align::AlignmentStatus::kPoor) {
    raise(1, "alignment poor: " + alignment.reason);
  }
  if (evidence.overlap_fraction < options.min_overlap) {
    raise(2, Format("overlap %.0f %% below %.0f %%", 100.0 * evidence.overlap_fraction,
                    100.0 * options.min_overlap));
  } else if (evidence.overlap_fraction < options.caution_overlap) {
    raise(1, Format("overlap %.0f %% below %.0f %%", 100.0 * evidence.overlap_fraction,
                    100.0 * options.caution_overlap));
  }

  // Scale.
  const double sr = std::max(evidence.scale_ratio, 1.0 / evidence.scale_ratio);
  if (sr > options.max_scale_ratio) {
    raise(2, Format("scale ratio after/before %.3f beyond 1:%.2f", evidence.scale_ratio,
                    options.max_scale_ratio));
  } else if (sr > options.caution_scale_ratio) {
    raise(1, Format("scale ratio after/before %.3f beyond 1:%.2f: the coarser photo limits "
                    "fine metrics",
                    evidence.scale_ratio, options.caution_scale_ratio));
  }
  if (before.px_per_mm) {
    const double eff = *before.px_per_mm * std::min(1.0, evidence.scale_ratio);
    r.effective_px_per_mm = eff;
    std::string coarse;
    for (const std::string& f : AllFamilies()) {
      const auto it = photo_options.family_min_px_per_mm.find(f);
      if (it != photo_options.family_min_px_per_mm.end() && eff < it->second) {
        lost.insert(f);
        coarse += " " + f;
      }
    }
    if (!coarse.empty() && evidence.scale_ratio < 1.0) {  // the after photo is coarser
      raise(1, Format("effective resolution %.1f px/mm too coarse for", eff) + coarse);
    }
  }

  // Each photo's own quality.
  for (const auto& [name, q] :
       {std::pair<const char*, const PhotoQuality*>{"before", &before}, {"after", &after}}) {
    for (const QualityCheck& c : q->checks) {
      if (c.verdict == Verdict::kFail || c.verdict == Verdict::kCaution) {
        raise(1, std::string(name) + " photo: " + c.name + " " + VerdictName(c.verdict) + " (" +
                     c.message + ")");
      }
    }
    lost.insert(q->meaningless_families.begin(), q->meaningless_families.end());
  }

  // Lighting and colour.
  bool identical_light = false;
  if (evidence.lighting) {
    const LightingDifference& l = *evidence.lighting;
    const double lr =
        l.luminance_ratio > 0.0 ? std::max(l.luminance_ratio, 1.0 / l.luminance_ratio) : 1e9;
    if (lr > options.caution_luminance_ratio) {
      raise(1,
            Format("exposure differs: mean luminance ratio after/before %.2f", l.luminance_ratio));
    }
    if (l.field_spread > options.caution_field_spread) {
      raise(1, Format("strong lighting difference: low-frequency light field varies by %.2f "
                      "(ln units) across the region",
                      l.field_spread));
    }
    identical_light = std::abs(l.luminance_ratio - 1.0) <= options.identical_luminance_tolerance &&
                      l.field_spread <= options.identical_field_spread &&
                      l.chroma_shift <= options.identical_chroma_shift;
  }
  if (evidence.colour_calibration == "uncalibrated" && !identical_light) {
    lost.insert("redness");
    lost.insert("tone");
    if (evidence.lighting) {
      raise(1, Format("colour uncalibrated and lighting differs (luminance ratio %.3f, field "
                      "%.3f, chroma shift %.3f): redness and tone not comparable",
                      evidence.lighting->luminance_ratio, evidence.lighting->field_spread,
                      evidence.lighting->chroma_shift));
    } else {
      raise(1, "colour uncalibrated and lighting not measured: redness and tone not comparable");
    }
  }

  r.verdict = level == 2   ? Comparability::kNotComparable
              : level == 1 ? Comparability::kCaution
                           : Comparability::kComparable;
  if (r.verdict == Comparability::kNotComparable) {
    for (const std::string& f : AllFamilies()) lost.insert(f);
  }
  for (const std::string& f : AllFamilies()) {
    if (lost.count(f)) r.not_meaningful.push_back(f);
  }
  *result = std::move(r);
  return Status::Ok();
}

}  // namespace skintrack::quality
