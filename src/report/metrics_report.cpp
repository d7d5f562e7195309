#include "skintrack/report/metrics_report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/photometric/color.h"

namespace skintrack::report {
namespace {

using nlohmann::json;

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json Points(const std::vector<cv::Point2d>& pts) {
  json a = json::array();
  for (const auto& p : pts) a.push_back({p.x, p.y});
  return a;
}

void Flatten(const json& j, const std::string& prefix, std::map<std::string, json>* out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      Flatten(*it, key, out);
    } else if (it->is_number() || it->is_null()) {
      (*out)[key] = *it;
    }
  }
}

}  // namespace

json MetricsToJson(const metrics::MetricsResult& r) {
  json bands = json::object();
  for (const auto& [k, v] : r.texture.roughness_bands) bands[k] = v;
  return {
      {"roi_area_px", r.roi_area_px},
      {"roi_area_cm2", Opt(r.roi_area_cm2)},
      {"texture",
       {{"roughness", r.texture.roughness},
        {"roughness_bands", bands},
        {"micro_relief", r.texture.micro_relief},
        {"glcm_contrast", r.texture.glcm_contrast},
        {"glcm_homogeneity", r.texture.glcm_homogeneity},
        {"glcm_entropy", r.texture.glcm_entropy}}},
      {"pores",
       {{"count", r.pores.count},
        {"density_per_cm2", Opt(r.pores.density_per_cm2)},
        {"visible_density_per_cm2", Opt(r.pores.visible_density_per_cm2)},
        {"mean_diameter_px", r.pores.mean_diameter_px},
        {"mean_diameter_mm", Opt(r.pores.mean_diameter_mm)},
        {"median_diameter_mm", Opt(r.pores.median_diameter_mm)},
        {"area_fraction", r.pores.area_fraction}}},
      {"scars",
       {{"count", r.scars.count},
        {"area_fraction", r.scars.area_fraction},
        {"total_area_mm2", Opt(r.scars.total_area_mm2)},
        {"mean_contrast", r.scars.mean_contrast}}},
      {"wrinkles",
       {{"count", r.wrinkles.count},
        {"length_px", r.wrinkles.length_px},
        {"length_density_mm_per_cm2", Opt(r.wrinkles.length_density_mm_per_cm2)},
        {"mean_width_mm", Opt(r.wrinkles.mean_width_mm)},
        {"mean_depth", r.wrinkles.mean_depth},
        {"area_fraction", r.wrinkles.area_fraction}}},
      {"striae",
       {{"count", r.striae.count},
        {"area_fraction", r.striae.area_fraction},
        {"mean_width_mm", Opt(r.striae.mean_width_mm)},
        {"mean_contrast", r.striae.mean_contrast}}},
      {"redness",
       {{"erythema_index_mean", r.redness.erythema_index_mean},
        {"a_star_mean", r.redness.a_star_mean},
        {"area_fraction", r.redness.area_fraction}}},
      {"tone",
       {{"l_star_mean", r.tone.l_star_mean},
        {"l_star_std", r.tone.l_star_std},
        {"ita_deg_mean", r.tone.ita_deg_mean},
        {"spot_count", r.tone.spot_count},
        {"spot_area_fraction", r.tone.spot_area_fraction}}},
      {"hair", {{"area_fraction", r.hair_area_fraction}}},
  };
}

json ParametersToJson(const metrics::MetricsOptions& o, double px_per_mm_used) {
  json j = {{"preset", o.preset},
            {"px_per_mm_used", px_per_mm_used},
            {"texture_band_edges_mm", o.texture_band_edges_mm},
            {"glcm_levels", o.glcm_levels},
            {"not_meaningful", o.not_meaningful}};
  metrics::MetricsOptions copy = o;  // NumericPresetFields hands out pointers into it
  for (const auto& [key, value] : metrics::NumericPresetFields(&copy)) j[key] = *value;
  return j;
}

json ChangeToJson(const json& before_metrics, const json& after_metrics) {
  std::map<std::string, json> b, a;
  Flatten(before_metrics, "", &b);
  Flatten(after_metrics, "", &a);
  json change = json::object();
  for (const auto& [key, bv] : b) {
    const auto it = a.find(key);
    if (it == a.end()) continue;
    const json& av = it->second;
    json entry = {{"before", bv}, {"after", av}, {"delta", nullptr}, {"percent", nullptr}};
    if (bv.is_number() && av.is_number()) {
      const double x = bv.get<double>(), y = av.get<double>();
      entry["delta"] = y - x;
      if (x != 0.0) entry["percent"] = 100.0 * (y - x) / std::abs(x);
    }
    change[key] = entry;
  }
  return change;
}

json DetectionsToJson(const metrics::Detections& d) {
  json pores = json::array(), scars = json::array(), wrinkles = json::array(),
       striae = json::array();
  for (const auto& p : d.pores)
    pores.push_back({{"x", p.x},
                     {"y", p.y},
                     {"diameter_px", p.diameter_px},
                     {"darkness", p.darkness},
                     {"paired", p.paired}});
  for (const auto& s : d.scars) {
    json contour = json::array();
    for (const auto& p : s.contour) contour.push_back({p.x, p.y});
    scars.push_back({{"contour", contour},
                     {"bbox", {s.bbox.x, s.bbox.y, s.bbox.width, s.bbox.height}},
                     {"area_px", s.area_px},
                     {"contrast", s.contrast}});
  }
  auto lines = [](const std::vector<metrics::Line>& v, json* out) {
    for (const auto& l : v)
      out->push_back({{"polyline", Points(l.polyline)},
                      {"length_px", l.length_px},
                      {"width_px", l.width_px},
                      {"contrast", l.contrast},
                      {"paired", l.paired},
                      {"extends", l.extends}});
  };
  lines(d.wrinkles, &wrinkles);
  lines(d.striae, &striae);
  return {{"pores", pores}, {"scars", scars}, {"wrinkles", wrinkles}, {"striae", striae}};
}

cv::Mat DrawDetections(const cv::Mat& image, const metrics::Detections& d, const cv::Mat& roi,
                       const cv::Mat& hair) {
  cv::Mat out = ToBgr8(image);
  if (!roi.empty()) {
    cv::Mat dim;
    out.convertTo(dim, -1, 0.4);
    dim.copyTo(out, roi == 0);
  }
  if (!hair.empty()) {
    cv::Mat shaded;
    cv::addWeighted(out, 0.5, cv::Mat(out.size(), CV_8UC3, cv::Scalar(255, 0, 0)), 0.5, 0.0,
                    shaded);
    shaded.copyTo(out, hair != 0);
  }
  const int thick = std::max(1, std::max(out.cols, out.rows) / 1500);
  auto to_int = [](const std::vector<cv::Point2d>& pl) {
    std::vector<cv::Point> v;
    for (const auto& p : pl) v.emplace_back(cvRound(p.x), cvRound(p.y));
    return v;
  };
  for (const auto& l : d.wrinkles)
    cv::polylines(out, to_int(l.polyline), false, cv::Scalar(40, 40, 255), thick, cv::LINE_AA);
  for (const auto& l : d.striae)
    cv::polylines(out, to_int(l.polyline), false, cv::Scalar(255, 0, 255), thick, cv::LINE_AA);
  for (const auto& s : d.scars)
    cv::polylines(out, s.contour, true, cv::Scalar(0, 230, 255), thick, cv::LINE_AA);
  for (const auto& p : d.pores)
    cv::circle(out, cv::Point(cvRound(p.x), cvRound(p.y)),
               std::max(2, cvRound(p.diameter_px / 2 + 1)), cv::Scalar(255, 255, 0), 1,
               cv::LINE_AA);
  return out;
}

cv::Mat RednessMap(const cv::Mat& image, const cv::Mat& roi, double ei_lo, double ei_hi) {
  // In bands of rows on every core: each pixel's value depends on that pixel only, and the
  // float temporaries (linear light, channels, ratio: ~10 floats a pixel) stay band-sized
  // instead of ~0.5 GB for a 12 MP photo.
  cv::Mat out(image.size(), CV_8UC3);
  const double gain = 255.0 / (ei_hi - ei_lo), offset = -255.0 * ei_lo / (ei_hi - ei_lo);
  constexpr int kBand = 64;
  ForEachRowBand(image.rows, kBand, [&](int, int y0, int y1) {
    const cv::Mat src = image.rowRange(y0, y1);
    const cv::Mat lin = photometric::SrgbToLinear(src);
    std::vector<cv::Mat> ch;
    cv::split(lin, ch);
    cv::Mat ratio, ei;
    cv::divide(ch[2] + 1e-4, ch[1] + 1e-4, ratio);
    cv::log(ratio, ei);
    ei *= 100.0 / std::log(10.0);
    cv::Mat scaled;
    ei.convertTo(scaled, CV_8U, gain, offset);
    cv::Mat heat;
    cv::applyColorMap(scaled, heat, cv::COLORMAP_INFERNO);
    const cv::Mat photo = ToBgr8(src);
    cv::Mat dst = out.rowRange(y0, y1);
    cv::addWeighted(photo, 0.5, heat, 0.5, 0.0, dst);
    if (!roi.empty()) photo.copyTo(dst, roi.rowRange(y0, y1) == 0);
  });
  return out;
}

}  // namespace skintrack::report
