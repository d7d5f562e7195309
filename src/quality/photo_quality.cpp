// The per-photo quality gate: sharpness, clipping, glare, noise and resolution.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string>
#include <vector>

#include "metrics/texture_bands.h"
#include "quality/format.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/photometric/color.h"
#include "skintrack/quality/quality.h"

namespace skintrack::quality {
namespace {

constexpr long long kMinRoiPx = 1000;

using internal::Format;

// Verdict of a value against caution/fail thresholds (lower is better unless stated).
Verdict Grade(double value, double caution, double fail, bool higher_is_better) {
  if (higher_is_better) {
    if (value < fail) return Verdict::kFail;
    if (value < caution) return Verdict::kCaution;
    return Verdict::kPass;
  }
  if (value > fail) return Verdict::kFail;
  if (value > caution) return Verdict::kCaution;
  return Verdict::kPass;
}

int Severity(Verdict v) {
  switch (v) {
    case Verdict::kFail:
      return 2;
    case Verdict::kCaution:
      return 1;
    default:
      return 0;
  }
}

QualityCheck MakeCheck(const std::string& name, const std::string& unit, double caution,
                       double fail, bool higher_is_better) {
  QualityCheck c;
  c.name = name;
  c.unit = unit;
  c.caution_threshold = caution;
  c.threshold = fail;
  c.higher_is_better = higher_is_better;
  return c;
}

QualityCheck SharpnessCheck(const cv::Mat& y, const cv::Mat& roi, double px_per_mm,
                            bool scale_known, double noise_sd, const PhotoQualityOptions& o,
                            Status* status) {
  QualityCheck c = MakeCheck("sharpness", "mm", o.sharpness_caution_mm, o.sharpness_fail_mm, false);
  const double probe_px = std::max(1.0, o.blur_probe_sigma_mm * px_per_mm);
  BlurEstimate blur;
  *status = EstimateBlur(y, roi, probe_px, noise_sd, o, &blur);
  if (!status->ok()) return c;
  if (blur.edges == 0) {
    c.verdict = Verdict::kUnknown;
    c.message = "no edge stands out of the noise in the region: sharpness not measurable";
    return c;
  }
  const double sigma_mm = blur.sigma_px / px_per_mm;
  c.value = sigma_mm;
  c.verdict = Grade(sigma_mm, o.sharpness_caution_mm, o.sharpness_fail_mm, false);
  std::string msg = Format("blur sigma of the sharpest edges %.3f mm (%.2f px at %.1f px/mm",
                           sigma_mm, blur.sigma_px, px_per_mm);
  msg += scale_known ? ")" : ", assumed scale)";
  if (c.verdict == Verdict::kFail && !scale_known) {
    // Blur in mm needs the scale: with an assumed one the photo may simply be finer-sampled
    // (a dermoscope at 40-150 px/mm). Caution, not a verdict that voids metrics.
    c.verdict = Verdict::kCaution;
    msg += Format(
        ": softer than %.3f mm if the assumed scale is right; give --mm-per-px or "
        "a marker to judge",
        o.sharpness_fail_mm);
  } else if (c.verdict == Verdict::kFail) {
    c.meaningless = {"pores", "texture", "wrinkles"};
    if (sigma_mm > o.sharpness_coarse_fail_mm) {
      c.meaningless.push_back("scars");
      c.meaningless.push_back("striae");
    }
    msg += Format(": too blurred (> %.3f mm) for fine structure", o.sharpness_fail_mm);
  } else if (c.verdict == Verdict::kCaution) {
    msg += Format(": softer than %.3f mm, fine structure reads weaker", o.sharpness_caution_mm);
  }
  c.message = msg;
  return c;
}

// Per-pixel classes of ClassifyRow.
constexpr uchar kWhite = 1;  // a channel above clip_high, or not finite (cv::inRange's complement)
constexpr uchar kClipped = 2;  // a channel <= clip_low or >= clip_high
constexpr uchar kAllHigh = 4;  // every channel >= clip_high

// f[x] = the classes of the row's pixels (channels compared as floats, NaN failing every test).
void ClassifyRow(const float* px, int cols, float lo, float hi, uchar* f) {
  const float lowest = -1e9f;  // the former inRange's lower bound
  int x = 0;
#if CV_SIMD128
  const cv::v_float32x4 vlo = cv::v_setall_f32(lo), vhi = cv::v_setall_f32(hi),
                        vlowest = cv::v_setall_f32(lowest);
  const cv::v_uint32x4 one = cv::v_setall_u32(kWhite), two = cv::v_setall_u32(kClipped),
                       four = cv::v_setall_u32(kAllHigh);
  for (; x + 16 <= cols; x += 16) {
    cv::v_uint32x4 q[4];
    for (int k = 0; k < 4; ++k) {
      cv::v_float32x4 b, g, r;
      cv::v_load_deinterleave(px + 3 * (x + 4 * k), b, g, r);
      const cv::v_float32x4 in =
          (b >= vlowest) & (b <= vhi) & (g >= vlowest) & (g <= vhi) & (r >= vlowest) & (r <= vhi);
      const cv::v_float32x4 any =
          (b <= vlo) | (g <= vlo) | (r <= vlo) | (b >= vhi) | (g >= vhi) | (r >= vhi);
      const cv::v_float32x4 all = (b >= vhi) & (g >= vhi) & (r >= vhi);
      q[k] = (one & ~cv::v_reinterpret_as_u32(in)) | (cv::v_reinterpret_as_u32(any) & two) |
             (cv::v_reinterpret_as_u32(all) & four);
    }
    cv::v_store(f + x, cv::v_pack(cv::v_pack(q[0], q[1]), cv::v_pack(q[2], q[3])));
  }
#endif
  for (; x < cols; ++x) {
    const float b = px[3 * x], g = px[3 * x + 1], r = px[3 * x + 2];
    const bool in = b >= lowest && b <= hi && g >= lowest && g <= hi && r >= lowest && r <= hi;
    const bool any = b <= lo || g <= lo || r <= lo || b >= hi || g >= hi || r >= hi;
    const bool all = b >= hi && g >= hi && r >= hi;
    f[x] = static_cast<uchar>((in ? 0 : kWhite) | (any ? kClipped : 0) | (all ? kAllHigh : 0));
  }
}

// Clipping and glare pixel counts over the ROI (bands of rows in parallel, integer counts), and
// in the same pass the mask of the whole image's pixels with a channel above clip_high (*white,
// 255 there, as cv::inRange's complement: a NaN channel counts too) and its count (*white_px).
// CIELAB (photometric::SrgbToLinearLabRow's) is computed only for the ROI pixels whose linear
// Y (`y`, photometric::SrgbToLinearLuminance of `image`) could reach L* >= glare_l and that are
// not glare already (every channel clipped): gathered per row, converted in one call. The
// bound is loosened by 2 % (the tables' rounding) and by 1e-8 in Y (L* = 116 f(Y) - 16 in
// float is ~2e-6 off near black, which matters for a tiny glare_l), so that no pixel whose
// L* reaches glare_l is skipped.
void ClippingAndGlare(const cv::Mat& image, const cv::Mat& y, const cv::Mat& roi,
                      const PhotoQualityOptions& o, long long* clipped, long long* glare,
                      cv::Mat* white, long long* white_px) {
  const double fl = (o.glare_l + 16.0) / 116.0;
  const float min_y =
      static_cast<float>(0.98 * (o.glare_l > 8.0 ? fl * fl * fl : o.glare_l / 903.3) - 1e-8);
  const float lo = static_cast<float>(o.clip_low), hi = static_cast<float>(o.clip_high);
  const float glare_l = static_cast<float>(o.glare_l);
  const float glare_c2 = static_cast<float>(o.glare_chroma * o.glare_chroma);
  constexpr int kBand = 64;
  white->create(image.size(), CV_8UC1);
  std::vector<std::array<long long, 3>> counts(static_cast<size_t>(RowBandCount(image.rows, kBand)),
                                               {0, 0, 0});
  ForEachRowBand(image.rows, kBand, [&](int b, int y0, int y1) {
    // Locals, not captures: the byte stores below may alias anything, so the compiler would
    // reload a captured bound on every pixel (and not vectorise).
    const int cols = image.cols;
    const float y_min = min_y;
    std::vector<uchar> f(static_cast<size_t>(cols));
    // The candidates' sRGB, their CIELAB.
    std::vector<float> bright(3 * static_cast<size_t>(cols)), lab(3 * static_cast<size_t>(cols));
    auto& c = counts[static_cast<size_t>(b)];
    for (int r = y0; r < y1; ++r) {
      const uchar* m = roi.empty() ? nullptr : roi.ptr<uchar>(r);
      const float* yr = y.ptr<float>(r);
      const float* px = image.ptr<float>(r);
      ClassifyRow(px, cols, lo, hi, f.data());
      uchar* w = white->ptr<uchar>(r);
      // Per-row counts in 32 bits (a row has fewer than 2^31 pixels): the loops vectorise.
      unsigned n_white = 0, n_clipped = 0, n_glare = 0;
      const uchar* fr = f.data();
      for (int x = 0; x < cols; ++x) {
        w[x] = static_cast<uchar>(fr[x] & kWhite ? 255 : 0);
        n_white += fr[x] & kWhite;
      }
      // Every channel clipped is glare already (kAllHigh); CIELAB decides for the rest.
      if (m == nullptr) {
        for (int x = 0; x < cols; ++x) {
          n_clipped += (fr[x] >> 1) & 1u;
          n_glare += fr[x] >> 2;
        }
      } else {
        for (int x = 0; x < cols; ++x) {
          const unsigned in_roi = m[x] != 0 ? 1u : 0u;
          n_clipped += in_roi & (fr[x] >> 1);
          n_glare += in_roi & (fr[x] >> 2);
        }
      }
      size_t n = 0;
      for (int x = 0; x < cols; ++x) {
#if CV_SIMD128
        if (x + 4 <= cols && !cv::v_check_any(cv::v_load(yr + x) >= cv::v_setall_f32(y_min))) {
          x += 3;  // four pixels too dark for glare (NaN fails the test as below)
          continue;
        }
#endif
        if (!(yr[x] >= y_min) || (fr[x] & kAllHigh) || (m && !m[x])) continue;
        std::copy(px + 3 * x, px + 3 * x + 3, bright.data() + 3 * n);
        ++n;
      }
      if (n > 0) {
        photometric::SrgbToLinearLabRow(bright.data(), static_cast<int>(n), nullptr, lab.data());
        for (size_t i = 0; i < n; ++i) {
          const float* l = lab.data() + 3 * i;
          if (l[0] >= glare_l && l[1] * l[1] + l[2] * l[2] <= glare_c2) ++n_glare;
        }
      }
      c[0] += n_clipped;
      c[1] += n_glare;
      c[2] += n_white;
    }
  });
  *clipped = *glare = *white_px = 0;
  for (const auto& c : counts) {
    *clipped += c[0];
    *glare += c[1];
    *white_px += c[2];
  }
}

double MedianOver(const cv::Mat& y, const cv::Mat& roi) {
  // Histogram median on [0, 1] with 4096 bins (resolution 2.4e-4).
  constexpr int kBins = 4096;
  std::vector<long long> hist(kBins, 0);
  long long n = 0;
  for (int r = 0; r < y.rows; ++r) {
    const uchar* m = roi.empty() ? nullptr : roi.ptr<uchar>(r);
    const float* v = y.ptr<float>(r);
    for (int x = 0; x < y.cols; ++x) {
      if (m && !m[x]) continue;
      const int b = std::clamp(static_cast<int>(v[x] * kBins), 0, kBins - 1);
      ++hist[static_cast<size_t>(b)];
      ++n;
    }
  }
  long long acc = 0;
  for (int b = 0; b < kBins; ++b) {
    acc += hist[static_cast<size_t>(b)];
    if (2 * acc >= n) return (b + 0.5) / kBins;
  }
  return 0.0;
}

// The image, ROI and luminance checks, in AssessPhoto's order.
Status CheckPhotoInputs(const cv::Mat& image, const cv::Mat& roi, const cv::Mat& linear_y) {
  {
    const Status s = CheckImage(image, kImageType, 16, "quality: image");
    if (!s.ok()) return Status::InvalidArgument(s.message());
  }
  if (!roi.empty() && (roi.type() != CV_8UC1 || roi.size() != image.size()))
    return Status::InvalidInput("quality: ROI must be CV_8UC1 of the image's size");
  if (!linear_y.empty() && (linear_y.type() != CV_32FC1 || linear_y.size() != image.size()))
    return Status::InvalidArgument("quality: linear_y must be CV_32FC1 of the image's size");
  return Status::Ok();
}

// The scale-free measurements of checked inputs (fails only on an ROI that is too small).
Status MeasureChecked(const cv::Mat& image, const cv::Mat& roi, const PhotoQualityOptions& options,
                      const cv::Mat& linear_y, PhotoMeasures* measures) {
  const long long roi_count =
      roi.empty() ? static_cast<long long>(image.total()) : cv::countNonZero(roi);
  if (roi_count < kMinRoiPx)
    return Status::InvalidInput("quality: ROI has " + std::to_string(roi_count) +
                                " px, need >= " + std::to_string(kMinRoiPx));
  PhotoMeasures m;
  m.options = options;
  m.roi_px = roi_count;
  m.linear_y = linear_y.empty() ? photometric::SrgbToLinearLuminance(image) : linear_y;
  m.roi_median_y = MedianOver(m.linear_y, roi);
  m.roi = roi.empty() ? cv::Mat(image.size(), CV_8UC1, cv::Scalar(255)) : roi;
  m.noise_sd = metrics::internal::ImmerkaerNoiseSigma(m.linear_y, m.roi);
  cv::Mat white;
  long long white_px = 0;
  ClippingAndGlare(image, m.linear_y, roi, options, &m.clipped_px, &m.glare_px, &white, &white_px);
  if (white_px > 0) m.clipped = white;
  *measures = std::move(m);
  return Status::Ok();
}

}  // namespace

Status MeasurePhoto(const cv::Mat& image, const cv::Mat& roi, const PhotoQualityOptions& options,
                    PhotoMeasures* measures, const cv::Mat& linear_y) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (measures == nullptr) return Status::InvalidArgument("MeasurePhoto: null output");
  SKINTRACK_RETURN_IF_ERROR(CheckPhotoInputs(image, roi, linear_y));
  return MeasureChecked(image, roi, options, linear_y, measures);
}

Status AssessPhoto(const cv::Mat& image, const cv::Mat& roi, std::optional<double> px_per_mm,
                   const PhotoQualityOptions& options, PhotoQuality* quality,
                   const cv::Mat& linear_y) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (quality == nullptr) return Status::InvalidArgument("AssessPhoto: null output");
  SKINTRACK_RETURN_IF_ERROR(CheckPhotoInputs(image, roi, linear_y));
  if (px_per_mm && !(*px_per_mm > 0.0 && std::isfinite(*px_per_mm)))
    return Status::InvalidArgument("quality: px_per_mm must be > 0");
  PhotoMeasures m;
  SKINTRACK_RETURN_IF_ERROR(MeasureChecked(image, roi, options, linear_y, &m));
  return AssessMeasuredPhoto(m, px_per_mm, quality);
}

Status AssessMeasuredPhoto(const PhotoMeasures& measures, std::optional<double> px_per_mm,
                           PhotoQuality* quality) {
  const PhotoQualityOptions& options = measures.options;
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (quality == nullptr) return Status::InvalidArgument("AssessMeasuredPhoto: null output");
  if (px_per_mm && !(*px_per_mm > 0.0 && std::isfinite(*px_per_mm)))
    return Status::InvalidArgument("quality: px_per_mm must be > 0");
  const cv::Mat& y = measures.linear_y;
  if (y.empty() || y.type() != CV_32FC1 || measures.roi.type() != CV_8UC1 ||
      measures.roi.size() != y.size() ||
      (!measures.clipped.empty() &&
       (measures.clipped.type() != CV_8UC1 || measures.clipped.size() != y.size())) ||
      measures.roi_px <= 0)
    return Status::InvalidArgument("AssessMeasuredPhoto: measures are not from MeasurePhoto");

  PhotoQuality q;
  q.px_per_mm = px_per_mm;
  q.px_per_mm_used = px_per_mm ? *px_per_mm : options.assumed_px_per_mm;
  q.roi_median_y = measures.roi_median_y;
  const double noise_sd = measures.noise_sd;

  // Sharpness, away from clipped highlights (glare flanks are wide, bright edges that would
  // read as blur): the ROI minus clipped-white pixels dilated by sharpness_glare_margin_mm.
  cv::Mat sharp_roi = measures.roi.clone();
  if (!measures.clipped.empty()) {
    const int r = std::max(
        1, static_cast<int>(std::lround(options.sharpness_glare_margin_mm * q.px_per_mm_used)));
    cv::Mat clipped;
    cv::dilate(measures.clipped, clipped,
               cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
    sharp_roi.setTo(0, clipped);
  }
  Status status;
  q.checks.push_back(SharpnessCheck(y, sharp_roi, q.px_per_mm_used, px_per_mm.has_value(), noise_sd,
                                    options, &status));
  SKINTRACK_RETURN_IF_ERROR(status);

  // Clipping and glare.
  const long long roi_px = measures.roi_px, clipped = measures.clipped_px,
                  glare = measures.glare_px;
  q.roi_px = roi_px;
  {
    QualityCheck c =
        MakeCheck("clipping", "fraction", options.clipping_caution, options.clipping_fail, false);
    const double f = static_cast<double>(clipped) / static_cast<double>(roi_px);
    c.value = f;
    c.verdict = Grade(f, options.clipping_caution, options.clipping_fail, false);
    c.message = Format("%.2f %% of the region has a channel at 0 or 1", 100.0 * f);
    if (c.verdict == Verdict::kFail) {
      c.meaningless = {"redness", "tone"};
      c.message += ": colour is lost where clipped";
    }
    q.checks.push_back(c);
  }
  {
    QualityCheck c =
        MakeCheck("glare", "fraction", options.glare_caution, options.glare_fail, false);
    const double f = static_cast<double>(glare) / static_cast<double>(roi_px);
    c.value = f;
    c.verdict = Grade(f, options.glare_caution, options.glare_fail, false);
    c.message = Format("%.2f %% of the region is specular glare (L* >= %.0f, C* <= %.0f)",
                       100.0 * f, options.glare_l, options.glare_chroma);
    if (c.verdict == Verdict::kFail) {
      c.meaningless = {"texture", "redness", "tone"};
      c.message += ": surface reflection hides the skin there";
    }
    q.checks.push_back(c);
  }

  // Noise.
  {
    QualityCheck c = MakeCheck("noise", "linear", options.noise_caution, options.noise_fail, false);
    const double sd = noise_sd;
    c.value = sd;
    c.verdict = Grade(sd, options.noise_caution, options.noise_fail, false);
    c.message = Format("noise sd %.4f of linear Y (%.1f %% of the median Y %.3f)", sd,
                       q.roi_median_y > 0 ? 100.0 * sd / q.roi_median_y : 0.0, q.roi_median_y);
    if (c.verdict == Verdict::kFail) {
      c.meaningless = {"pores", "texture", "wrinkles"};
      c.message += ": fine low-contrast structure drowns in noise";
    }
    q.checks.push_back(c);
  }

  // Resolution.
  {
    QualityCheck c = MakeCheck("resolution", "px/mm", options.resolution_caution_px_per_mm,
                               options.resolution_fail_px_per_mm, true);
    if (!px_per_mm) {
      c.verdict = Verdict::kUnknown;
      c.message = "scale unknown: resolution cannot be checked (give the scale)";
    } else {
      c.value = *px_per_mm;
      c.verdict = Grade(*px_per_mm, options.resolution_caution_px_per_mm,
                        options.resolution_fail_px_per_mm, true);
      for (const std::string& f : AllFamilies()) {
        const auto it = options.family_min_px_per_mm.find(f);
        if (it != options.family_min_px_per_mm.end() && *px_per_mm < it->second)
          c.meaningless.push_back(f);
      }
      c.message = Format("%.1f px/mm", *px_per_mm);
      if (c.meaningless.empty()) {
        c.message += c.verdict == Verdict::kPass
                         ? ": enough for every metric family"
                         : ": every family measurable, small pores (< 0.25 mm) under 5 px";
      } else {
        c.message += ": too coarse for";
        for (const std::string& f : c.meaningless) c.message += " " + f;
      }
    }
    q.checks.push_back(c);
  }

  // Overall verdict and families.
  int worst = 0;
  bool any_known = false;
  std::set<std::string> lost;
  for (const QualityCheck& c : q.checks) {
    if (c.verdict != Verdict::kUnknown) any_known = true;
    worst = std::max(worst, Severity(c.verdict));
    lost.insert(c.meaningless.begin(), c.meaningless.end());
  }
  q.overall = !any_known   ? Verdict::kUnknown
              : worst == 2 ? Verdict::kFail
              : worst == 1 ? Verdict::kCaution
                           : Verdict::kPass;
  for (const std::string& f : AllFamilies()) {
    (lost.count(f) ? q.meaningless_families : q.meaningful_families).push_back(f);
  }
  *quality = std::move(q);
  return Status::Ok();
}

}  // namespace skintrack::quality
