// Validation of the phantom options. Every message names the offending field.
#include <cmath>
#include <sstream>
#include <string>

#include "phantom/phantom_internal.h"
#include "skintrack/calib/marker.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/colour_calibration.h"

namespace skintrack::phantom {
namespace {

std::string Num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Ok when lo <= v <= hi (NaN fails).
Status InRange(double v, double lo, double hi, const std::string& name) {
  if (v >= lo && v <= hi) return Status::Ok();
  return Status::InvalidArgument(name + " must be in [" + Num(lo) + ", " + Num(hi) + "], got " +
                                 Num(v));
}

// Ok when lo < v <= hi (NaN fails).
Status InRangeOpenLow(double v, double lo, double hi, const std::string& name) {
  if (v > lo && v <= hi) return Status::Ok();
  return Status::InvalidArgument(name + " must be in (" + Num(lo) + ", " + Num(hi) + "], got " +
                                 Num(v));
}

Status Ordered(double lo, double hi, const std::string& lo_name, const std::string& hi_name) {
  if (lo <= hi) return Status::Ok();
  return Status::InvalidArgument(lo_name + " (" + Num(lo) + ") must not exceed " + hi_name + " (" +
                                 Num(hi) + ")");
}

// A positive length range [min, max] in mm, at most `max_mm`.
Status LengthRange(double lo, double hi, double max_mm, const std::string& lo_name,
                   const std::string& hi_name) {
  SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(lo, 0.0, max_mm, lo_name));
  SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(hi, 0.0, max_mm, hi_name));
  return Ordered(lo, hi, lo_name, hi_name);
}

Status Count(int n, const std::string& name) {
  if (n >= 0 && n <= 1000) return Status::Ok();
  return Status::InvalidArgument(name + " must be in [0, 1000], got " + std::to_string(n));
}

Status Prefixed(const Status& st, const std::string& prefix) {
  if (st.ok()) return st;
  return Status(st.code(), prefix + st.message());
}

}  // namespace

Status SkinOptions::Check() const {
  const std::string p = "SkinOptions.";
  SKINTRACK_RETURN_IF_ERROR(InRange(px_per_mm, 1.0, 500.0, p + "px_per_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRange(base_l, 0.0, 100.0, p + "base_l"));
  SKINTRACK_RETURN_IF_ERROR(InRange(base_a, -128.0, 127.0, p + "base_a"));
  SKINTRACK_RETURN_IF_ERROR(InRange(base_b, -128.0, 127.0, p + "base_b"));
  SKINTRACK_RETURN_IF_ERROR(InRange(micro_relief_rms, 0.0, 1.0, p + "micro_relief_rms"));
  SKINTRACK_RETURN_IF_ERROR(InRange(pore_density_per_cm2, 0.0, 2000.0, p + "pore_density_per_cm2"));
  SKINTRACK_RETURN_IF_ERROR(LengthRange(pore_radius_min_mm, pore_radius_max_mm, 5.0,
                                        p + "pore_radius_min_mm", p + "pore_radius_max_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRange(pore_contrast, 0.0, 1.0, p + "pore_contrast"));
  SKINTRACK_RETURN_IF_ERROR(Count(scar_count, p + "scar_count"));
  SKINTRACK_RETURN_IF_ERROR(LengthRange(scar_radius_min_mm, scar_radius_max_mm, 50.0,
                                        p + "scar_radius_min_mm", p + "scar_radius_max_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRange(scar_contrast, 0.0, 1.0, p + "scar_contrast"));
  SKINTRACK_RETURN_IF_ERROR(Count(wrinkle_count, p + "wrinkle_count"));
  SKINTRACK_RETURN_IF_ERROR(LengthRange(wrinkle_length_min_mm, wrinkle_length_max_mm, 500.0,
                                        p + "wrinkle_length_min_mm", p + "wrinkle_length_max_mm"));
  SKINTRACK_RETURN_IF_ERROR(LengthRange(wrinkle_width_min_mm, wrinkle_width_max_mm, 20.0,
                                        p + "wrinkle_width_min_mm", p + "wrinkle_width_max_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRange(wrinkle_contrast, 0.0, 1.0, p + "wrinkle_contrast"));
  SKINTRACK_RETURN_IF_ERROR(Count(striae_count, p + "striae_count"));
  SKINTRACK_RETURN_IF_ERROR(LengthRange(striae_width_min_mm, striae_width_max_mm, 50.0,
                                        p + "striae_width_min_mm", p + "striae_width_max_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRange(striae_contrast, -1.0, 1.0, p + "striae_contrast"));
  SKINTRACK_RETURN_IF_ERROR(Count(redness_count, p + "redness_count"));
  SKINTRACK_RETURN_IF_ERROR(LengthRange(redness_radius_min_mm, redness_radius_max_mm, 100.0,
                                        p + "redness_radius_min_mm", p + "redness_radius_max_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRange(redness_delta_a, -60.0, 60.0, p + "redness_delta_a"));
  SKINTRACK_RETURN_IF_ERROR(Count(spot_count, p + "spot_count"));
  SKINTRACK_RETURN_IF_ERROR(LengthRange(spot_radius_min_mm, spot_radius_max_mm, 50.0,
                                        p + "spot_radius_min_mm", p + "spot_radius_max_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRange(spot_delta_l, -100.0, 100.0, p + "spot_delta_l"));
  SKINTRACK_RETURN_IF_ERROR(Count(hair_count, p + "hair_count"));
  SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(hair_width_mm, 0.0, 5.0, p + "hair_width_mm"));
  SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(hair_contrast_min, 0.0, 1.0, p + "hair_contrast_min"));
  SKINTRACK_RETURN_IF_ERROR(
      InRange(hair_contrast_max, hair_contrast_min, 1.0, p + "hair_contrast_max"));
  return Status::Ok();
}

Status TreatmentOptions::Check() const {
  const std::string p = "TreatmentOptions.";
  SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(pore_radius_scale, 0.0, 10.0, p + "pore_radius_scale"));
  SKINTRACK_RETURN_IF_ERROR(InRange(pore_close_fraction, 0.0, 1.0, p + "pore_close_fraction"));
  SKINTRACK_RETURN_IF_ERROR(InRange(scar_contrast_scale, 0.0, 10.0, p + "scar_contrast_scale"));
  SKINTRACK_RETURN_IF_ERROR(
      InRange(wrinkle_contrast_scale, 0.0, 10.0, p + "wrinkle_contrast_scale"));
  SKINTRACK_RETURN_IF_ERROR(InRange(striae_contrast_scale, 0.0, 10.0, p + "striae_contrast_scale"));
  SKINTRACK_RETURN_IF_ERROR(InRange(redness_scale, 0.0, 10.0, p + "redness_scale"));
  SKINTRACK_RETURN_IF_ERROR(InRange(spot_contrast_scale, 0.0, 10.0, p + "spot_contrast_scale"));
  SKINTRACK_RETURN_IF_ERROR(InRange(micro_relief_scale, 0.0, 10.0, p + "micro_relief_scale"));
  return Status::Ok();
}

Status CaptureOptions::Check() const {
  const std::string p = "CaptureOptions.";
  for (int i = 0; i < 9; ++i) {
    if (!std::isfinite(image_from_skin.val[i])) {
      return Status::InvalidArgument(p + "image_from_skin has a non-finite element");
    }
  }
  const double det = cv::determinant(image_from_skin);
  const double norm = cv::norm(image_from_skin, cv::NORM_INF);
  if (!(std::abs(det) > 1e-12 * norm * norm * norm)) {
    return Status::InvalidArgument(p + "image_from_skin is singular");
  }
  SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(exposure, 0.0, 100.0, p + "exposure"));
  for (int c = 0; c < 3; ++c) {
    SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(white_balance[c], 0.0, 100.0,
                                             p + "white_balance[" + std::to_string(c) + "]"));
  }
  if (!(side_light_strength >= 0.0 && side_light_strength < 1.0)) {
    return Status::InvalidArgument(p + "side_light_strength must be in [0, 1), got " +
                                   Num(side_light_strength));
  }
  SKINTRACK_RETURN_IF_ERROR(
      InRange(side_light_angle_deg, -3600.0, 3600.0, p + "side_light_angle_deg"));
  SKINTRACK_RETURN_IF_ERROR(InRange(blur_sigma_px, 0.0, 100.0, p + "blur_sigma_px"));
  SKINTRACK_RETURN_IF_ERROR(InRange(noise_sigma, 0.0, 1.0, p + "noise_sigma"));
  if (jpeg_quality < 0 || jpeg_quality > 100) {
    return Status::InvalidArgument(p + "jpeg_quality must be 0 (no JPEG) or 1..100, got " +
                                   std::to_string(jpeg_quality));
  }
  return Status::Ok();
}

Status RandomCaptureOptions::Check() const {
  const std::string p = "RandomCaptureOptions.";
  SKINTRACK_RETURN_IF_ERROR(InRange(max_rotation_deg, 0.0, 180.0, p + "max_rotation_deg"));
  SKINTRACK_RETURN_IF_ERROR(InRange(max_scale_change, 0.0, 0.9, p + "max_scale_change"));
  SKINTRACK_RETURN_IF_ERROR(
      InRange(max_translation_fraction, 0.0, 0.5, p + "max_translation_fraction"));
  SKINTRACK_RETURN_IF_ERROR(InRange(max_perspective, 0.0, 0.3, p + "max_perspective"));
  SKINTRACK_RETURN_IF_ERROR(InRange(max_exposure_change, 0.0, 0.99, p + "max_exposure_change"));
  SKINTRACK_RETURN_IF_ERROR(
      InRange(max_white_balance_change, 0.0, 0.99, p + "max_white_balance_change"));
  SKINTRACK_RETURN_IF_ERROR(InRange(max_side_light, 0.0, 0.99, p + "max_side_light"));
  SKINTRACK_RETURN_IF_ERROR(InRange(blur_sigma_px, 0.0, 100.0, p + "blur_sigma_px"));
  SKINTRACK_RETURN_IF_ERROR(InRange(noise_sigma, 0.0, 1.0, p + "noise_sigma"));
  if (jpeg_quality < 0 || jpeg_quality > 100) {
    return Status::InvalidArgument(p + "jpeg_quality must be 0 (no JPEG) or 1..100, got " +
                                   std::to_string(jpeg_quality));
  }
  return Status::Ok();
}

Status MarkerSceneOptions::Check() const {
  const std::string p = "MarkerSceneOptions.";
  if (side_mm == 0.0) return Status::Ok();  // no marker: nothing else is used
  SKINTRACK_RETURN_IF_ERROR(InRangeOpenLow(side_mm, 0.0, 200.0, p + "side_mm"));
  if (!in_before && !in_after) {
    return Status::InvalidArgument(p + "in_before and in_after are both false with side_mm > 0");
  }
  calib::MarkerOptions mo;
  mo.dictionary = dictionary;
  cv::Mat cells;
  SKINTRACK_RETURN_IF_ERROR(Prefixed(calib::MarkerCells(id, mo, &cells), p));
  SKINTRACK_RETURN_IF_ERROR(InRange(quiet_zone_cells, 0.0, 10.0, p + "quiet_zone_cells"));
  SKINTRACK_RETURN_IF_ERROR(InRange(centre_x_fraction, 0.0, 1.0, p + "centre_x_fraction"));
  SKINTRACK_RETURN_IF_ERROR(InRange(centre_y_fraction, 0.0, 1.0, p + "centre_y_fraction"));
  SKINTRACK_RETURN_IF_ERROR(InRange(rotation_deg, -180.0, 180.0, p + "rotation_deg"));
  SKINTRACK_RETURN_IF_ERROR(InRange(paper_reflectance, 0.0, 1.0, p + "paper_reflectance"));
  SKINTRACK_RETURN_IF_ERROR(InRange(ink_reflectance, 0.0, 1.0, p + "ink_reflectance"));
  return Ordered(ink_reflectance, paper_reflectance, p + "ink_reflectance",
                 p + "paper_reflectance");
}

Status ChartSceneOptions::Check() const {
  const std::string p = "ChartSceneOptions.";
  if (width_fraction == 0.0) return Status::Ok();  // no chart
  SKINTRACK_RETURN_IF_ERROR(InRange(width_fraction, 0.05, 0.9, p + "width_fraction"));
  if (!in_before && !in_after) {
    return Status::InvalidArgument(p + "in_before and in_after are both false with a chart");
  }
  SKINTRACK_RETURN_IF_ERROR(InRange(centre_x_fraction, 0.0, 1.0, p + "centre_x_fraction"));
  return InRange(centre_y_fraction, 0.0, 1.0, p + "centre_y_fraction");
}

Status PhantomOptions::Check() const {
  const std::string p = "PhantomOptions.";
  if (width < 16 || width > 20000) {
    return Status::InvalidArgument(p + "width must be in [16, 20000], got " +
                                   std::to_string(width));
  }
  if (height < 16 || height > 20000) {
    return Status::InvalidArgument(p + "height must be in [16, 20000], got " +
                                   std::to_string(height));
  }
  SKINTRACK_RETURN_IF_ERROR(Prefixed(skin.Check(), p + "skin: "));
  SKINTRACK_RETURN_IF_ERROR(Prefixed(treatment.Check(), p + "treatment: "));
  SKINTRACK_RETURN_IF_ERROR(Prefixed(before_capture.Check(), p + "before_capture: "));
  SKINTRACK_RETURN_IF_ERROR(Prefixed(after_capture.Check(), p + "after_capture: "));
  SKINTRACK_RETURN_IF_ERROR(Prefixed(marker.Check(), p + "marker: "));
  SKINTRACK_RETURN_IF_ERROR(Prefixed(chart.Check(), p + "chart: "));
  if (chart.width_fraction > 0.0) {
    // The chart must lie inside the before image (its aspect is kChartWidth : kChartHeight).
    const double half_w = 0.5 * chart.width_fraction;
    const double half_h = half_w * photometric::kChartHeight / photometric::kChartWidth *
                          static_cast<double>(width) / height;
    if (chart.centre_x_fraction - half_w < 0.0 || chart.centre_x_fraction + half_w > 1.0 ||
        chart.centre_y_fraction - half_h < 0.0 || chart.centre_y_fraction + half_h > 1.0) {
      return Status::InvalidArgument(p + "chart: a chart " + std::to_string(chart.width_fraction) +
                                     " of the width at its centre does not fit in the image");
    }
  }
  // Treated contrasts must stay physical (a Weber darkness above 1 is a negative luminance).
  if (skin.scar_contrast * treatment.scar_contrast_scale > 1.0) {
    return Status::InvalidArgument(
        p + "skin.scar_contrast * treatment.scar_contrast_scale must not exceed 1");
  }
  if (skin.wrinkle_contrast * treatment.wrinkle_contrast_scale > 1.0) {
    return Status::InvalidArgument(
        p + "skin.wrinkle_contrast * treatment.wrinkle_contrast_scale must not exceed 1");
  }
  if (skin.striae_contrast * treatment.striae_contrast_scale < -1.0) {
    return Status::InvalidArgument(
        p + "skin.striae_contrast * treatment.striae_contrast_scale must not be below -1");
  }
  const cv::Size size(width, height);
  SKINTRACK_RETURN_IF_ERROR(internal::CheckCaptureGeometry(before_capture.image_from_skin, size,
                                                           p + "before_capture.image_from_skin"));
  SKINTRACK_RETURN_IF_ERROR(internal::CheckCaptureGeometry(after_capture.image_from_skin, size,
                                                           p + "after_capture.image_from_skin"));
  return Status::Ok();
}

}  // namespace skintrack::phantom
