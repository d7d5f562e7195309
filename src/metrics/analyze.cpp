// The metrics orchestrator: options, presets, the shared context, and Analyze.
#include <algorithm>
#include <array>
#include <chrono>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

#include "metrics/families.h"
#include "metrics/texture_bands.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics {

const std::vector<std::string>& Families() {
  static const std::vector<std::string> kFamilies = {"texture", "pores",   "scars", "wrinkles",
                                                     "striae",  "redness", "tone",  "hair"};
  return kFamilies;
}

Status MetricsOptions::Check() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("metrics: " + m); };
  auto positive_range = [&](double lo, double hi, const char* name) -> Status {
    if (!(lo > 0.0 && hi > lo)) return bad(std::string(name) + ": need 0 < min < max");
    return Status::Ok();
  };
  if (!(assumed_px_per_mm > 0.5 && assumed_px_per_mm < 1000.0))
    return bad("assumed_px_per_mm must be in (0.5, 1000)");
  if (!(assumed_field_mm == 0.0 || (assumed_field_mm >= 1.0 && assumed_field_mm <= 1000.0)))
    return bad("assumed_field_mm must be 0 (off) or in [1, 1000]");
  if (texture_band_edges_mm.size() < 2) return bad("texture_band_edges_mm needs >= 2 edges");
  for (size_t i = 0; i < texture_band_edges_mm.size(); ++i) {
    if (!(texture_band_edges_mm[i] > 0.0) ||
        (i > 0 && !(texture_band_edges_mm[i] > texture_band_edges_mm[i - 1])))
      return bad("texture_band_edges_mm must be positive and increasing");
  }
  if (!(glcm_offset_mm > 0.0)) return bad("glcm_offset_mm must be > 0");
  if (glcm_levels < 2 || glcm_levels > 256) return bad("glcm_levels must be in [2, 256]");
  SKINTRACK_RETURN_IF_ERROR(positive_range(pore_radius_min_mm, pore_radius_max_mm, "pore radius"));
  SKINTRACK_RETURN_IF_ERROR(positive_range(scar_min_radius_mm, scar_max_radius_mm, "scar radius"));
  SKINTRACK_RETURN_IF_ERROR(
      positive_range(scar_annulus_inner_mm, scar_annulus_outer_mm, "scar annulus"));
  SKINTRACK_RETURN_IF_ERROR(
      positive_range(wrinkle_sigma_min_mm, wrinkle_sigma_max_mm, "wrinkle sigma"));
  SKINTRACK_RETURN_IF_ERROR(
      positive_range(striae_sigma_min_mm, striae_sigma_max_mm, "striae sigma"));
  for (double c :
       {pore_min_darkness, scar_min_contrast, wrinkle_min_contrast, striae_min_contrast}) {
    if (!(c > 0.0 && c < 1.0)) return bad("contrast thresholds must be in (0, 1)");
  }
  if (!(pore_visible_diameter_mm > 0.0)) return bad("pore_visible_diameter_mm must be > 0");
  if (!(wrinkle_min_length_mm >= 0.0 && striae_min_length_mm >= 0.0))
    return bad("minimum lengths must be >= 0");
  if (!(redness_ei_margin >= 0.0)) return bad("redness_ei_margin must be >= 0");
  if (!(spot_min_delta_l > 0.0 && spot_min_radius_mm > 0.0))
    return bad("spot thresholds must be > 0");
  for (const std::string& f : not_meaningful) {
    if (std::find(Families().begin(), Families().end(), f) == Families().end())
      return bad("not_meaningful: unknown family '" + f + "'");
  }
  SKINTRACK_RETURN_IF_ERROR(skin.Check());
  return hair.Check();
}

double MetricsOptions::PxPerMm(std::optional<double> mm_per_px, cv::Size size) const {
  if (mm_per_px) return 1.0 / *mm_per_px;
  if (assumed_field_mm > 0.0) return std::max(size.width, size.height) / assumed_field_mm;
  return assumed_px_per_mm;
}

std::vector<std::pair<const char*, double*>> NumericPresetFields(MetricsOptions* o) {
  return {
      {"assumed_px_per_mm", &o->assumed_px_per_mm},
      {"assumed_field_mm", &o->assumed_field_mm},
      {"glcm_offset_mm", &o->glcm_offset_mm},
      {"pore_radius_min_mm", &o->pore_radius_min_mm},
      {"pore_radius_max_mm", &o->pore_radius_max_mm},
      {"pore_min_darkness", &o->pore_min_darkness},
      {"pore_visible_diameter_mm", &o->pore_visible_diameter_mm},
      {"scar_min_radius_mm", &o->scar_min_radius_mm},
      {"scar_max_radius_mm", &o->scar_max_radius_mm},
      {"scar_min_contrast", &o->scar_min_contrast},
      {"scar_annulus_inner_mm", &o->scar_annulus_inner_mm},
      {"scar_annulus_outer_mm", &o->scar_annulus_outer_mm},
      {"wrinkle_sigma_min_mm", &o->wrinkle_sigma_min_mm},
      {"wrinkle_sigma_max_mm", &o->wrinkle_sigma_max_mm},
      {"wrinkle_min_contrast", &o->wrinkle_min_contrast},
      {"wrinkle_min_length_mm", &o->wrinkle_min_length_mm},
      {"striae_sigma_min_mm", &o->striae_sigma_min_mm},
      {"striae_sigma_max_mm", &o->striae_sigma_max_mm},
      {"striae_min_contrast", &o->striae_min_contrast},
      {"striae_min_length_mm", &o->striae_min_length_mm},
      {"redness_ei_margin", &o->redness_ei_margin},
      {"spot_min_delta_l", &o->spot_min_delta_l},
      {"spot_min_radius_mm", &o->spot_min_radius_mm},
      {"hair_max_width_mm", &o->hair.max_width_mm},
      {"hair_min_length_mm", &o->hair.min_length_mm},
      {"hair_min_contrast", &o->hair.min_contrast},
      {"hair_dilate_mm", &o->hair.dilate_mm},
      {"hair_faint_min_contrast", &o->hair.faint_min_contrast},
      {"hair_strand_min_straightness", &o->hair.strand_min_straightness},
      {"skin_min_l", &o->skin.min_l},
      {"skin_max_l", &o->skin.max_l},
      {"skin_min_hue_deg", &o->skin.min_hue_deg},
      {"skin_max_hue_deg", &o->skin.max_hue_deg},
      {"skin_min_chroma", &o->skin.min_chroma},
      {"skin_max_lip_a", &o->skin.max_lip_a},
      {"skin_min_a", &o->skin.min_a},
      {"skin_glare_l", &o->skin.glare_l},
      {"skin_glare_chroma", &o->skin.glare_chroma},
      {"skin_min_component_fraction", &o->skin.min_component_fraction},
  };
}

Status ParsePreset(const std::string& text, MetricsOptions* o) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto eq = line.find('=');
    auto trim = [](std::string s) {
      const auto a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    if (eq == std::string::npos)
      return Status::InvalidArgument("preset line " + std::to_string(n) + ": expected key = value");
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    auto err = [&](const std::string& why) {
      return Status::InvalidArgument("preset line " + std::to_string(n) + " (" + key + "): " + why);
    };
    if (key == "preset") {
      o->preset = value;
      continue;
    }
    if (key == "not_meaningful") {  // family names, separated by spaces or commas
      std::string names = value;
      std::replace(names.begin(), names.end(), ',', ' ');
      std::istringstream vs(names);
      o->not_meaningful.clear();
      for (std::string f; vs >> f;) o->not_meaningful.push_back(f);
      continue;
    }
    if (key == "texture_band_edges_mm" || key == "glcm_levels") {
      std::istringstream vs(value);
      if (key == "glcm_levels") {
        if (!(vs >> o->glcm_levels)) return err("not an integer");
      } else {
        std::vector<double> edges;
        double e;
        while (vs >> e) edges.push_back(e);
        if (edges.empty()) return err("expected numbers");
        o->texture_band_edges_mm = edges;
      }
      continue;
    }
    double* target = nullptr;
    for (const auto& f : NumericPresetFields(o))
      if (key == f.first) target = f.second;
    if (target == nullptr) return err("unknown key");
    try {
      size_t used = 0;
      const double v = std::stod(value, &used);
      if (used != value.size()) return err("not a number: '" + value + "'");
      *target = v;
    } catch (const std::exception&) {
      return err("not a number: '" + value + "'");
    }
  }
  return o->Check();
}

namespace internal {

Status BuildContext(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
                    const MetricsOptions& options, Context* ctx, const cv::Mat& hair,
                    const cv::Mat& linear_y) {
  SKINTRACK_RETURN_IF_ERROR(CheckImage(image, kImageType, 16, "metrics: image"));
  if (!roi.empty() && (roi.type() != CV_8UC1 || roi.size() != image.size()))
    return Status::InvalidArgument("metrics: roi must be CV_8UC1 of the image's size");
  if (mm_per_px && !(*mm_per_px > 0.0))
    return Status::InvalidArgument("metrics: mm_per_px must be > 0");
  if (!hair.empty() && (hair.type() != CV_8UC1 || hair.size() != image.size()))
    return Status::InvalidArgument("metrics: hair mask must be CV_8UC1 of the image's size");
  if (!linear_y.empty() && (linear_y.type() != CV_32FC1 || linear_y.size() != image.size()))
    return Status::InvalidArgument("metrics: linear_y must be CV_32FC1 of the image's size");
  ctx->srgb = image;
  ctx->linear_y = linear_y.empty() ? photometric::SrgbToLinearLuminance(image) : linear_y;
  ctx->scale_known = mm_per_px.has_value();
  ctx->px_per_mm = options.PxPerMm(mm_per_px, image.size());
  cv::Mat skin;
  if (roi.empty()) SKINTRACK_RETURN_IF_ERROR(roi::SkinMask(image, options.skin, &skin));
  if (hair.empty()) {
    SKINTRACK_RETURN_IF_ERROR(roi::HairMask(image, ctx->px_per_mm, options.hair, &ctx->hair));
  } else {
    ctx->hair.create(image.size(), CV_8UC1);
  }
  ctx->roi.create(image.size(), CV_8UC1);
  // One pass over row bands on every core, the same bytes as (skin, or roi > 0) & ~(hair, or
  // the given hair > 0), and the pixel counts (integers: the sum does not depend on the order).
  constexpr int kBand = 64;
  const int cols = image.cols;
  std::vector<std::array<long long, 3>> counts(
      static_cast<size_t>(RowBandCount(image.rows, kBand)));
  ForEachRowBand(image.rows, kBand, [&](int band, int y0, int y1) {
    long long n_roi = 0, n_hair = 0, n_either = 0;
    for (int y = y0; y < y1; ++y) {
      uchar* h = ctx->hair.ptr<uchar>(y);
      uchar* out = ctx->roi.ptr<uchar>(y);
      if (!hair.empty()) {
        const uchar* given = hair.ptr<uchar>(y);
        for (int x = 0; x < cols; ++x) h[x] = given[x] > 0 ? 255 : 0;
      }
      if (roi.empty()) {
        const uchar* m = skin.ptr<uchar>(y);
        for (int x = 0; x < cols; ++x) out[x] = static_cast<uchar>(m[x] & ~h[x]);
      } else {
        const uchar* m = roi.ptr<uchar>(y);
        for (int x = 0; x < cols; ++x) out[x] = static_cast<uchar>((m[x] > 0 ? 255 : 0) & ~h[x]);
      }
      for (int x = 0; x < cols; ++x) {
        n_roi += out[x] != 0;
        n_hair += h[x] != 0;
        n_either += (out[x] | h[x]) != 0;
      }
    }
    counts[static_cast<size_t>(band)] = {n_roi, n_hair, n_either};
  });
  ctx->roi_area_px = ctx->hair_area_px = ctx->measured_area_px = 0;
  for (const auto& c : counts) {
    ctx->roi_area_px += c[0];
    ctx->hair_area_px += c[1];
    ctx->measured_area_px += c[2];
  }
  return Status::Ok();
}

}  // namespace internal

Status Analyze(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
               const MetricsOptions& options, MetricsResult* result) {
  return Analyze(image, roi, cv::Mat(), mm_per_px, options, result);
}

namespace {

// MeasureTexture with the neighbourhoods of `d` (grown by the coarsest band's reach) left out of
// micro_relief.
// `tiles`: as MeasureTexture's (the texture tile sums, when asked).
Status TextureOf(const internal::Context& ctx, const MetricsOptions& options, const Detections& d,
                 TextureMetrics* out, MetricsTileSums* tiles) {
  const std::vector<internal::TextureBand> bands =
      internal::TextureBands(options.texture_band_edges_mm, ctx.px_per_mm);
  const double reach = bands.empty() ? 0.0 : 3.0 * bands.back().sigma_hi_px;
  return internal::MeasureTexture(ctx, options, out,
                                  internal::FeatureMask(ctx.linear_y.size(), d, reach), tiles);
}

}  // namespace

Status MeasureTextureOnly(const cv::Mat& image, const cv::Mat& roi, const cv::Mat& hair,
                          std::optional<double> mm_per_px, const MetricsOptions& options,
                          const Detections& detections, TextureMetrics* out, MetricsTileSums* tiles,
                          const cv::Mat& linear_y) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (out == nullptr) return Status::InvalidArgument("metrics: texture output is null");
  if (tiles != nullptr && tiles->texture_tile_px < 0)
    return Status::InvalidArgument("metrics: tile sizes must be >= 0 px (0 = not gathered)");
  *out = TextureMetrics();
  if (tiles != nullptr) {  // the texture sums are this measurement's (or none)
    tiles->texture.clear();
    tiles->texture_noise_sd = 0.0;
  }
  internal::Context ctx;
  SKINTRACK_RETURN_IF_ERROR(
      internal::BuildContext(image, roi, mm_per_px, options, &ctx, hair, linear_y));
  if (ctx.roi_area_px == 0) return Status::Ok();
  return TextureOf(ctx, options, detections, out, tiles);
}

Status Analyze(const cv::Mat& image, const cv::Mat& roi, const cv::Mat& hair,
               std::optional<double> mm_per_px, const MetricsOptions& options,
               MetricsResult* result, const AnalyzeExtras& extras) {
  const TileRequest& tiles = extras.tiles;
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (tiles.texture_tile_px < 0 || tiles.colour_tile_px < 0)
    return Status::InvalidArgument("metrics: tile sizes must be >= 0 px (0 = not gathered)");
  if (result == nullptr) return Status::InvalidArgument("metrics: result is null");
  *result = MetricsResult();
  internal::Context ctx;
  SKINTRACK_RETURN_IF_ERROR(
      internal::BuildContext(image, roi, mm_per_px, options, &ctx, hair, extras.linear_y));
  if (extras.region != nullptr) *extras.region = ctx.roi;
  if (extras.hair != nullptr) *extras.hair = ctx.hair;
  result->effective = options;
  result->tiles.texture_tile_px = tiles.texture_tile_px;
  result->tiles.colour_tile_px = tiles.colour_tile_px;
  result->roi_area_px = ctx.roi_area_px;
  result->px_per_mm = ctx.px_per_mm;
  result->scale_known = ctx.scale_known;
  const double mm2_per_px = 1.0 / (ctx.px_per_mm * ctx.px_per_mm);
  if (ctx.scale_known) result->roi_area_cm2 = ctx.roi_area_px * mm2_per_px / 100.0;
  const long long measured = ctx.measured_area_px;
  result->hair_area_fraction =
      measured > 0 ? static_cast<double>(ctx.hair_area_px) / measured : 0.0;
  if (ctx.roi_area_px == 0) return Status::Ok();  // nothing to measure: all zero
  Detections& d = result->detections;
  SKINTRACK_RETURN_IF_ERROR(internal::MeasurePores(ctx, options, &result->pores, &d.pores,
                                                   extras.marginal ? &d.pores_marginal : nullptr));
  SKINTRACK_RETURN_IF_ERROR(
      internal::MeasureWrinkles(ctx, options, &result->wrinkles, &d.wrinkles,
                                extras.marginal ? &d.wrinkles_marginal : nullptr));
  // Scars after wrinkles: a dark blob on a wrinkle (where it crosses pores or another line)
  // must be dark off the wrinkle's band too (1 px margin) to be a scar.
  SKINTRACK_RETURN_IF_ERROR(
      internal::MeasureScars(ctx, options, &result->scars, &d.scars,
                             internal::LineBandMask(image.size(), d.wrinkles, 1.0)));
  SKINTRACK_RETURN_IF_ERROR(internal::MeasureStriae(ctx, options, &result->striae, &d.striae));
  // Texture last: its micro_relief leaves out the features found above (and their filter reach).
  if (extras.measure_texture)
    SKINTRACK_RETURN_IF_ERROR(TextureOf(ctx, options, d, &result->texture, &result->tiles));
  SKINTRACK_RETURN_IF_ERROR(
      internal::MeasureColour(ctx, options, &result->redness, &result->tone, &result->tiles));
  return Status::Ok();
}

}  // namespace skintrack::metrics
