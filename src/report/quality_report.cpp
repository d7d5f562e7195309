#include "skintrack/report/quality_report.h"

#include <cmath>
#include <optional>

namespace skintrack::report {
namespace {

using nlohmann::json;

json Opt(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

}  // namespace

json PhotoQualityToJson(const quality::PhotoQuality& q) {
  json checks = json::object();
  for (const quality::QualityCheck& c : q.checks) {
    checks[c.name] = {{"value", Opt(c.value)},
                      {"unit", c.unit},
                      {"threshold", c.threshold},
                      {"caution_threshold", c.caution_threshold},
                      {"direction", c.higher_is_better ? "min" : "max"},
                      {"verdict", quality::VerdictName(c.verdict)},
                      {"message", c.message},
                      {"meaningless", c.meaningless}};
  }
  return {{"verdict", quality::VerdictName(q.overall)},
          {"scale_known", q.px_per_mm.has_value()},
          {"px_per_mm", Opt(q.px_per_mm)},
          {"px_per_mm_used", q.px_per_mm_used},
          {"roi_px", q.roi_px},
          {"roi_median_y", q.roi_median_y},
          {"checks", checks},
          {"meaningless_families", q.meaningless_families},
          {"meaningful_families", q.meaningful_families}};
}

json ComparabilityToJson(const quality::PairComparability& c) {
  json lighting = nullptr;
  if (c.lighting) {
    lighting = {{"luminance_ratio", c.lighting->luminance_ratio},
                {"field_spread", c.lighting->field_spread},
                {"chroma_shift", c.lighting->chroma_shift},
                {"region_px", c.lighting->region_px}};
  }
  return {{"verdict", quality::ComparabilityName(c.verdict)},
          {"reasons", c.reasons},
          {"not_meaningful", c.not_meaningful},
          {"evidence",
           {{"alignment_status", c.alignment_status},
            {"overlap_fraction", c.overlap_fraction},
            {"scale_ratio", c.scale_ratio},
            {"effective_px_per_mm", Opt(c.effective_px_per_mm)},
            {"colour_calibration", c.colour_calibration},
            {"lighting", lighting}}}};
}

}  // namespace skintrack::report
