// TruthToJson: schema "skintrack.phantom_truth.v1" (documented in docs/phantom.md).
#include <nlohmann/json.hpp>

#include "skintrack/phantom/phantom.h"

namespace skintrack::phantom {
namespace {

using nlohmann::json;

json Matrix(const cv::Matx33d& m) {
  json rows = json::array();
  for (int r = 0; r < 3; ++r) rows.push_back({m(r, 0), m(r, 1), m(r, 2)});
  return rows;
}

json Capture(const CaptureOptions& c) {
  return {{"image_from_skin", Matrix(c.image_from_skin)},
          {"exposure", c.exposure},
          {"white_balance_bgr", {c.white_balance[0], c.white_balance[1], c.white_balance[2]}},
          {"side_light_strength", c.side_light_strength},
          {"side_light_angle_deg", c.side_light_angle_deg},
          {"blur_sigma_px", c.blur_sigma_px},
          {"noise_sigma", c.noise_sigma},
          {"jpeg_quality", c.jpeg_quality}};
}

json Treatment(const TreatmentOptions& t) {
  return {{"pore_radius_scale", t.pore_radius_scale},
          {"pore_close_fraction", t.pore_close_fraction},
          {"scar_contrast_scale", t.scar_contrast_scale},
          {"wrinkle_contrast_scale", t.wrinkle_contrast_scale},
          {"striae_contrast_scale", t.striae_contrast_scale},
          {"redness_scale", t.redness_scale},
          {"spot_contrast_scale", t.spot_contrast_scale},
          {"micro_relief_scale", t.micro_relief_scale}};
}

json Skin(const SkinOptions& s) {
  return {{"px_per_mm", s.px_per_mm},
          {"base_lab", {s.base_l, s.base_a, s.base_b}},
          {"micro_relief_rms", s.micro_relief_rms},
          {"pore_density_per_cm2", s.pore_density_per_cm2},
          {"pore_radius_mm", {s.pore_radius_min_mm, s.pore_radius_max_mm}},
          {"pore_contrast", s.pore_contrast},
          {"scar_count", s.scar_count},
          {"scar_radius_mm", {s.scar_radius_min_mm, s.scar_radius_max_mm}},
          {"scar_contrast", s.scar_contrast},
          {"wrinkle_count", s.wrinkle_count},
          {"wrinkle_length_mm", {s.wrinkle_length_min_mm, s.wrinkle_length_max_mm}},
          {"wrinkle_width_mm", {s.wrinkle_width_min_mm, s.wrinkle_width_max_mm}},
          {"wrinkle_contrast", s.wrinkle_contrast},
          {"striae_count", s.striae_count},
          {"striae_width_mm", {s.striae_width_min_mm, s.striae_width_max_mm}},
          {"striae_contrast", s.striae_contrast},
          {"redness_count", s.redness_count},
          {"redness_radius_mm", {s.redness_radius_min_mm, s.redness_radius_max_mm}},
          {"redness_delta_a", s.redness_delta_a},
          {"spot_count", s.spot_count},
          {"spot_radius_mm", {s.spot_radius_min_mm, s.spot_radius_max_mm}},
          {"spot_delta_l", s.spot_delta_l},
          {"hair_count", s.hair_count},
          {"hair_width_mm", s.hair_width_mm},
          {"hair_contrast", {s.hair_contrast_min, s.hair_contrast_max}},
          {"low_texture", s.low_texture}};
}

json Blobs(const std::vector<TruthBlob>& blobs) {
  json out = json::array();
  for (const TruthBlob& b : blobs) {
    out.push_back({{"x", b.x},
                   {"y", b.y},
                   {"radius_px", b.radius_px},
                   {"before", b.before},
                   {"after", b.after}});
  }
  return out;
}

json Lines(const std::vector<TruthLine>& lines) {
  json out = json::array();
  for (const TruthLine& l : lines) {
    json poly = json::array();
    for (const cv::Point2d& p : l.polyline) poly.push_back({p.x, p.y});
    out.push_back(
        {{"polyline", poly}, {"width_px", l.width_px}, {"before", l.before}, {"after", l.after}});
  }
  return out;
}

json Points(const std::array<cv::Point2d, 4>& pts) {
  json out = json::array();
  for (const cv::Point2d& p : pts) out.push_back({p.x, p.y});
  return out;
}

// The scene marker, null when the phantom has none.
json Marker(const TruthMarker& m, const MarkerSceneOptions& o) {
  if (o.side_mm <= 0.0) return nullptr;
  return {{"id", m.id},
          {"dictionary", o.dictionary},
          {"side_mm", m.side_mm},
          {"in_before", m.in_before},
          {"in_after", m.in_after},
          {"corners_before", Points(m.corners_before)},
          {"corners_after", Points(m.corners_after)},
          {"centre_before", {m.centre_before.x, m.centre_before.y}},
          {"centre_after", {m.centre_after.x, m.centre_after.y}},
          {"px_per_mm_before", m.px_per_mm_before},
          {"px_per_mm_after", m.px_per_mm_after},
          {"mm_per_px_before", 1.0 / m.px_per_mm_before},
          {"mm_per_px_after", 1.0 / m.px_per_mm_after}};
}

// The scene chart, null when the phantom has none.
json Chart(const PhantomTruth& t, const ChartSceneOptions& o) {
  if (o.width_fraction <= 0.0) return nullptr;
  json before = json::array(), after = json::array();
  for (const cv::Point2d& p : t.chart_corners_before) before.push_back({p.x, p.y});
  for (const cv::Point2d& p : t.chart_corners_after) after.push_back({p.x, p.y});
  return {{"width_fraction", o.width_fraction},
          {"in_before", o.in_before},
          {"in_after", o.in_after},
          {"corners_before", before},
          {"corners_after", after}};
}

}  // namespace

nlohmann::json TruthToJson(const PhantomTruth& truth, const PhantomOptions& options) {
  json pores = json::array();
  for (const TruthPore& p : truth.pores) {
    pores.push_back({{"x", p.x},
                     {"y", p.y},
                     {"radius_before_px", p.radius_before_px},
                     {"radius_after_px", p.radius_after_px},
                     {"closed", p.closed}});
  }
  return {{"schema", "skintrack.phantom_truth.v1"},
          {"seed", options.seed},
          {"width", options.width},
          {"height", options.height},
          {"px_per_mm_before", truth.px_per_mm_before},
          {"after_to_before", Matrix(truth.after_to_before)},
          {"before_from_skin", Matrix(truth.before_from_skin)},
          {"after_from_skin", Matrix(truth.after_from_skin)},
          {"skin", Skin(options.skin)},
          {"treatment", Treatment(options.treatment)},
          {"before_capture", Capture(options.before_capture)},
          {"after_capture", Capture(options.after_capture)},
          {"micro_relief_rms_before", truth.micro_relief_rms_before},
          {"micro_relief_rms_after", truth.micro_relief_rms_after},
          {"marker", Marker(truth.marker, options.marker)},
          {"chart", Chart(truth, options.chart)},
          {"features",
           {{"pores", pores},
            {"scars", Blobs(truth.scars)},
            {"redness", Blobs(truth.redness)},
            {"spots", Blobs(truth.spots)},
            {"wrinkles", Lines(truth.wrinkles)},
            {"striae", Lines(truth.striae)},
            {"hairs", Lines(truth.hairs)}}}};
}

}  // namespace skintrack::phantom
