// Colour metrics: redness (erythema index, a*) and tone (L*, ITA, pigmented spots).
//
// Redness, over ctx.roi:
//  * EI = 100 log10(R_lin / G_lin) per pixel (linear sRGB, channels floored at 1e-4);
//    erythema_index_mean = its mean; a_star_mean = mean a* (OpenCV float CIELAB, D65).
//  * area_fraction = fraction of the ROI where EI_s > median(EI_s over the ROI) +
//    redness_ei_margin, EI_s = 100 log10(G_0.1mm * R_lin / G_0.1mm * G_lin) (R and G averaged
//    by a Gaussian of sigma 0.1 mm first, so that pixel noise does not flip pixels across the
//    threshold). The median is read from a histogram with 0.01 EI bins.
// Tone, over ctx.roi:
//  * l_star_mean, l_star_std: mean and sd of L*.
//  * ita_deg_mean = atan2(mean L* - 50, mean b*) in degrees: the ITA of the mean colour (as a
//    colorimeter averaging the area would read it; per-pixel ITA is unstable where b* ~ 0).
//  * Spots: on a working copy of about 10 px/mm (area-averaged by f = floor(px_per_mm / 10)),
//    pixels of the ROI with L*_bg - L* >= spot_min_delta_l, L*_bg the median of L* over a
//    square of 5 mm (computed at ~5 px/mm on 8-bit L*, 0.39 L* steps, then bilinearly
//    enlarged; pixels outside the ROI are first filled by a masked Gaussian mean of sigma 1 mm
//    so hair and background do not bias it). 8-connected components whose area is at least
//    pi spot_min_radius_mm^2 are spots: spot_count; spot_area_fraction = their area / ROI area
//    (both at the working scale).
// None of these is invariant to exposure or white balance: comparing sessions needs colour
// calibration. They are exact (deterministic, no per-image normalisation) for equal colour.
#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>
#include "/tmp/m1prof/prof.h"
#include "/tmp/m1prof/prof.h"

#include "metrics/families.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kChannelFloor = 1e-4;  // linear R, G floor in the EI ratio
constexpr double kEiSmoothMm = 0.1;     // Gaussian sigma before the EI area threshold
constexpr double kEiBin = 0.01;         // median histogram bin, EI units
constexpr double kEiLo = -200.0, kEiHi = 200.0;
constexpr double kSpotWorkPxPerMm = 10.0;  // working scale of the spot detector
constexpr double kSpotBgPxPerMm = 5.0;     // scale of the background median
constexpr double kSpotWindowMm = 5.0;      // background median window side
constexpr double kSpotFillSigmaMm = 1.0;   // fill of non-ROI pixels before the median

// 100 log10(max(r, floor) / max(g, floor)) per pixel.
cv::Mat ErythemaIndex(const cv::Mat& r, const cv::Mat& g) {
  cv::Mat rr, gg, ei;
  cv::max(r, kChannelFloor, rr);
  cv::max(g, kChannelFloor, gg);
  cv::divide(rr, gg, ei);
  cv::log(ei, ei);
  ei *= 100.0 / std::log(10.0);
  return ei;
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
      const int b = std::clamp(static_cast<int>(std::floor((v[x] - kEiLo) / kEiBin)), 0, nbins - 1);
      ++hist[static_cast<size_t>(b)];
      ++n;
    }
  }
  if (n == 0) return 0.0;
  long long seen = 0;
  for (int b = 0; b < nbins; ++b) {
    seen += hist[static_cast<size_t>(b)];
    if (2 * seen >= n) return kEiLo + (b + 0.5) * kEiBin;
  }
  return kEiHi;
}

cv::Mat Shrink(const cv::Mat& m, int f) {
  if (f <= 1) return m;
  cv::Mat out;
  cv::resize(m, out, cv::Size(std::max(1, m.cols / f), std::max(1, m.rows / f)), 0, 0,
             cv::INTER_AREA);
  return out;
}

}  // namespace

Status MeasureRedness(const Context& ctx, const MetricsOptions& o, RednessMetrics* out) {
  TmpProf prof_("MeasureRedness");
  if (out == nullptr) return Status::InvalidArgument("redness: out is null");
  *out = RednessMetrics();
  if (ctx.linear_bgr.type() != CV_32FC3 || ctx.lab.type() != CV_32FC3 ||
      ctx.roi.size() != ctx.linear_bgr.size() || ctx.lab.size() != ctx.linear_bgr.size())
    return Status::InvalidArgument("redness: context needs linear_bgr, lab and roi of one size");
  const double n = cv::countNonZero(ctx.roi);
  if (n == 0) return Status::Ok();
  prof_.Lap("std::vector<cv");
  std::vector<cv::Mat> bgr;
  cv::split(ctx.linear_bgr, bgr);
  prof_.Lap("out->erythema_");
  out->erythema_index_mean = cv::mean(ErythemaIndex(bgr[2], bgr[1]), ctx.roi)[0];
  prof_.Lap("out->a_star_me");
  out->a_star_mean = cv::mean(ctx.lab, ctx.roi)[1];

  prof_.Lap("const double s");
  const double sigma = kEiSmoothMm * ctx.px_per_mm;
  cv::Mat rs = bgr[2], gs = bgr[1];
  if (sigma >= 0.5) {
    cv::GaussianBlur(bgr[2], rs, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
    cv::GaussianBlur(bgr[1], gs, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  }
  prof_.Lap("const cv::Mat ");
  const cv::Mat ei_s = ErythemaIndex(rs, gs);
  prof_.Lap("const double t");
  const double threshold = MaskedMedian(ei_s, ctx.roi) + o.redness_ei_margin;
  prof_.Lap("out->area_frac");
  out->area_fraction = cv::countNonZero((ei_s > threshold) & ctx.roi) / n;
  return Status::Ok();
}

Status MeasureTone(const Context& ctx, const MetricsOptions& o, ToneMetrics* out) {
  TmpProf prof_("MeasureTone");
  if (out == nullptr) return Status::InvalidArgument("tone: out is null");
  *out = ToneMetrics();
  if (ctx.lab.type() != CV_32FC3 || ctx.roi.size() != ctx.lab.size())
    return Status::InvalidArgument("tone: context needs lab and roi of one size");
  if (cv::countNonZero(ctx.roi) == 0) return Status::Ok();
  prof_.Lap("cv::Mat lab_ch");
  cv::Mat lab_ch[3];
  cv::split(ctx.lab, lab_ch);
  prof_.Lap("cv::Scalar l_m");
  cv::Scalar l_mean, l_sd;
  cv::meanStdDev(lab_ch[0], l_mean, l_sd, ctx.roi);
  const double b_mean = cv::mean(lab_ch[2], ctx.roi)[0];
  out->l_star_mean = l_mean[0];
  out->l_star_std = l_sd[0];
  out->ita_deg_mean = std::atan2(l_mean[0] - 50.0, b_mean) * 180.0 / 3.14159265358979323846;

  prof_.Lap("// Spots");
  // Spots, at the working scale.
  const int f = std::max(1, static_cast<int>(std::floor(ctx.px_per_mm / kSpotWorkPxPerMm)));
  const double ppmm = ctx.px_per_mm / f;
  cv::Mat roi_f;
  ctx.roi.convertTo(roi_f, CV_32F, 1.0 / 255.0);
  const cv::Mat l = Shrink(lab_ch[0], f), cover = Shrink(roi_f, f);
  const cv::Mat roi = cover >= 0.5f;
  const double roi_px = cv::countNonZero(roi);
  if (roi_px == 0) return Status::Ok();

  prof_.Lap("// Fill outsid");
  // Fill outside the ROI with a masked Gaussian mean (global median where nothing is near).
  cv::Mat w, lw;
  roi.convertTo(w, CV_32F, 1.0 / 255.0);
  lw = l.mul(w);
  const double fs = kSpotFillSigmaMm * ppmm;
  cv::GaussianBlur(lw, lw, cv::Size(), fs, fs, cv::BORDER_REFLECT);
  cv::GaussianBlur(w, w, cv::Size(), fs, fs, cv::BORDER_REFLECT);
  std::vector<float> inside;
  inside.reserve(static_cast<size_t>(roi_px));
  for (int y = 0; y < l.rows; ++y)
    for (int x = 0; x < l.cols; ++x)
      if (roi.at<uchar>(y, x)) inside.push_back(l.at<float>(y, x));
  std::nth_element(inside.begin(), inside.begin() + inside.size() / 2, inside.end());
  const float global = inside[inside.size() / 2];
  prof_.Lap("cv::Mat filled");
  cv::Mat filled = l.clone();
  for (int y = 0; y < l.rows; ++y) {
    for (int x = 0; x < l.cols; ++x) {
      if (roi.at<uchar>(y, x)) continue;
      const float ww = w.at<float>(y, x);
      filled.at<float>(y, x) = ww > 1e-3f ? lw.at<float>(y, x) / ww : global;
    }
  }

  prof_.Lap("// Background");
  // Background: 5 mm median at ~5 px/mm on 8-bit L*.
  const int fb = std::max(1, static_cast<int>(std::floor(ppmm / kSpotBgPxPerMm)));
  cv::Mat small = Shrink(filled, fb), small8, bg8, bg;
  small.convertTo(small8, CV_8U, 255.0 / 100.0);
  const int k = std::max(3, 2 * static_cast<int>(std::lround(kSpotWindowMm * ppmm / fb / 2.0)) + 1);
  const int k_fit = std::min(k, 2 * ((std::min(small8.rows, small8.cols) - 1) / 2) + 1);
  if (k_fit >= 3) {
    cv::medianBlur(small8, bg8, k_fit);
  } else {
    bg8 = small8;
  }
  bg8.convertTo(bg, CV_32F, 100.0 / 255.0);
  if (bg.size() != l.size()) cv::resize(bg, bg, l.size(), 0, 0, cv::INTER_LINEAR);

  prof_.Lap("const cv::Mat ");
  const cv::Mat spot = ((bg - l) >= o.spot_min_delta_l) & roi;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(spot, labels, stats, centroids, 8, CV_32S);
  const double min_area = 3.14159265358979323846 * std::pow(o.spot_min_radius_mm * ppmm, 2);
  double spot_px = 0;
  for (int i = 1; i < n; ++i) {
    const double area = stats.at<int>(i, cv::CC_STAT_AREA);
    if (area < min_area) continue;
    ++out->spot_count;
    spot_px += area;
  }
  prof_.Lap("out->spot_area");
  out->spot_area_fraction = spot_px / roi_px;
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
