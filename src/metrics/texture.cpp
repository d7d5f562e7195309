// Texture: band-limited roughness of log luminance in octave bands, and GLCM features.
//
// Definition (texture_bands.h holds the constants):
//  * Signal: l = ln(Y + 0.01), Y = linear luminance (Rec. 709). Exposure and white balance
//    are (nearly) additive constants in l and a smooth side light is a slow field, so the
//    band-pass removes them.
//  * Band [lo, hi] mm -> B = (G(s_lo) - G(s_hi)) * l / T_peak, s = 0.21624 * edge * px_per_mm
//    (px), T_peak the DoG's peak gain (0.4725 for octaves): a sinusoid of amplitude A at the
//    band's centre wavelength sqrt(lo hi) reads its own RMS A / sqrt(2). Bands whose lower
//    edge lo * px_per_mm is < 3 px are SKIPPED and have no key in roughness_bands (at the
//    default 20 px/mm the 0.1-0.2 mm band, 2 px, is skipped).
//  * Pixels: ctx.roi eroded (square) by ceil(3 s_hi) of the coarsest kept band, so that
//    borders, warp edges and hairs outside the ROI do not leak into the filtered values
//    (falls back to ctx.roi when fewer than 100 px remain).
//  * Noise floor: Immerkaer's sd sigma_n of l over those pixels; the white-noise variance
//    sigma_n^2 ||h||^2 / T_peak^2 (h the discrete DoG kernel) is subtracted from each band's
//    variance (floored at 0). Texture finer than ~4 px inflates sigma_n (an upper bound), but
//    ||h||^2 is small for bands >= 3 px, so the correction is a small fraction of the signal.
//  * roughness_bands[key] = sqrt(var_b - noise_b); roughness = sqrt(sum over kept bands).
//  * GLCM (secondary): g = (G(s_lo,first) - G(s_hi,last)) * l (all kept bands), quantised
//    with the FIXED map level = floor((g / 0.25 + 1) / 2 * levels) clamped to [0, levels-1];
//    offset max(1, round(glcm_offset_mm * px_per_mm)) px; symmetric; 4 directions averaged.
#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>
#include "/tmp/m1prof/prof.h"

#include "metrics/families.h"
#include "metrics/texture_bands.h"

namespace skintrack::metrics::internal {

Status MeasureTexture(const Context& ctx, const MetricsOptions& o, TextureMetrics* out) {
  TmpProf prof_("MeasureTexture");
  if (out == nullptr) return Status::InvalidArgument("texture: out is null");
  *out = TextureMetrics();
  if (ctx.linear_y.empty() || ctx.linear_y.type() != CV_32FC1 || ctx.roi.size() != ctx.linear_y.size())
    return Status::InvalidArgument("texture: context needs linear_y and roi of one size");
  const std::vector<TextureBand> bands = TextureBands(o.texture_band_edges_mm, ctx.px_per_mm);
  if (bands.empty() || cv::countNonZero(ctx.roi) == 0) return Status::Ok();

  // Pixels measured: the ROI minus the coarsest filter's support.
  const int support = static_cast<int>(std::ceil(3.0 * bands.back().sigma_hi_px));
  cv::Mat mask;
  cv::erode(ctx.roi, mask,
            cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * support + 1, 2 * support + 1)),
            cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  if (cv::countNonZero(mask) < 100) mask = ctx.roi;

  prof_.Lap("cv::Mat l;");
  cv::Mat l;
  cv::add(ctx.linear_y, cv::Scalar(kTextureLogOffset), l);
  cv::log(l, l);
  prof_.Lap("const double n");
  const double noise_sd = ImmerkaerNoiseSigma(l, mask);

  // Gaussians at every kept edge (consecutive bands share one).
  prof_.Lap("std::vector<do");
  std::vector<double> sigmas;
  for (const TextureBand& b : bands) {
    if (sigmas.empty() || std::abs(sigmas.back() - b.sigma_lo_px) > 1e-9)
      sigmas.push_back(b.sigma_lo_px);
    sigmas.push_back(b.sigma_hi_px);
  }
  std::vector<cv::Mat> blurred(sigmas.size());
  for (size_t i = 0; i < sigmas.size(); ++i)
    cv::GaussianBlur(l, blurred[i], cv::Size(), sigmas[i], sigmas[i], cv::BORDER_REFLECT);
  auto blur_at = [&](double s) -> const cv::Mat& {
    size_t best = 0;
    for (size_t i = 1; i < sigmas.size(); ++i)
      if (std::abs(sigmas[i] - s) < std::abs(sigmas[best] - s)) best = i;
    return blurred[best];
  };

  prof_.Lap("double total =");
  double total = 0.0;
  cv::Mat band;
  for (const TextureBand& b : bands) {
    cv::subtract(blur_at(b.sigma_lo_px), blur_at(b.sigma_hi_px), band);
    cv::Scalar mean, sd;
    cv::meanStdDev(band, mean, sd, mask);
    const double var = sd[0] * sd[0] / (b.gain * b.gain);
    const double noise =
        noise_sd * noise_sd * DogNoiseGain(b.sigma_lo_px, b.sigma_hi_px) / (b.gain * b.gain);
    const double v = std::max(0.0, var - noise);
    out->roughness_bands[b.key] = std::sqrt(v);
    total += v;
  }
  out->roughness = std::sqrt(total);

  prof_.Lap("// GLCM of");
  // GLCM of the whole kept band, fixed quantisation.
  cv::Mat g;
  cv::subtract(blur_at(bands.front().sigma_lo_px), blur_at(bands.back().sigma_hi_px), g);
  const double levels = o.glcm_levels;
  cv::Mat q;
  // level = (g / R + 1) / 2 * levels, truncated by the floor below (values >= 0 after clamp).
  g.convertTo(q, CV_32F, levels / (2.0 * kGlcmRange), levels / 2.0);
  cv::max(q, 0.0, q);
  cv::min(q, levels - 1.0, q);
  cv::Mat q8(q.size(), CV_8UC1);
  for (int y = 0; y < q.rows; ++y) {
    const float* src = q.ptr<float>(y);
    uchar* dst = q8.ptr<uchar>(y);
    for (int x = 0; x < q.cols; ++x) dst[x] = static_cast<uchar>(static_cast<int>(src[x]));
  }
  prof_.Lap("const int dist");
  const int distance = std::max(1, static_cast<int>(std::lround(o.glcm_offset_mm * ctx.px_per_mm)));
  const GlcmFeatures f = ComputeGlcm(q8, mask, distance, o.glcm_levels);
  prof_.Lap("out->glcm_cont");
  out->glcm_contrast = f.contrast;
  out->glcm_homogeneity = f.homogeneity;
  out->glcm_entropy = f.entropy;
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
