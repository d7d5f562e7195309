// Names, option checks and small helpers of the quality module.
#include <cmath>
#include <string>

#include "skintrack/metrics/metrics.h"
#include "skintrack/quality/quality.h"

namespace skintrack::quality {
namespace {

Status Bad(const std::string& what, const std::string& m) {
  return Status::InvalidArgument(what + ": " + m);
}

bool Fraction(double v) { return v >= 0.0 && v <= 1.0; }

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kCaution:
      return "caution";
    case Verdict::kFail:
      return "fail";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* ComparabilityName(Comparability c) {
  switch (c) {
    case Comparability::kComparable:
      return "comparable";
    case Comparability::kCaution:
      return "caution";
    case Comparability::kNotComparable:
      return "not_comparable";
  }
  return "not_comparable";
}

const std::vector<std::string>& AllFamilies() { return metrics::Families(); }

const QualityCheck* PhotoQuality::Find(const std::string& name) const {
  for (const QualityCheck& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

PhotoQualityOptions PhotoQualityOptionsFor(const metrics::MetricsOptions& metrics,
                                           cv::Size photo_size, PhotoQualityOptions base) {
  base.assumed_px_per_mm = metrics.PxPerMm(std::nullopt, photo_size);
  return base;
}

Status PhotoQualityOptions::Check() const {
  const std::string w = "quality options";
  if (!(assumed_px_per_mm > 0.5 && assumed_px_per_mm < 1000.0))
    return Bad(w, "assumed_px_per_mm must be in (0.5, 1000)");
  if (!(sharpness_caution_mm > 0.0 && sharpness_fail_mm >= sharpness_caution_mm &&
        sharpness_coarse_fail_mm >= sharpness_fail_mm))
    return Bad(w,
               "need 0 < sharpness_caution_mm <= sharpness_fail_mm <= "
               "sharpness_coarse_fail_mm");
  if (!(blur_gradient_sigma_px >= 0.5 && blur_gradient_sigma_px <= 5.0))
    return Bad(w, "blur_gradient_sigma_px must be in [0.5, 5]");
  if (!(blur_probe_sigma_mm > 0.0)) return Bad(w, "blur_probe_sigma_mm must be > 0");
  if (!(blur_edge_fraction > 0.0 && blur_edge_fraction <= 1.0))
    return Bad(w, "blur_edge_fraction must be in (0, 1]");
  if (!Fraction(blur_percentile)) return Bad(w, "blur_percentile must be in [0, 1]");
  if (!(blur_sample_max_px >= 65536.0 && blur_sample_max_px <= 1e10))
    return Bad(w, "blur_sample_max_px must be in [65536, 1e10]");
  if (!(sharpness_glare_margin_mm >= 0.0)) return Bad(w, "sharpness_glare_margin_mm must be >= 0");
  if (!(clip_low >= 0.0 && clip_high <= 1.0 && clip_low < clip_high))
    return Bad(w, "need 0 <= clip_low < clip_high <= 1");
  if (!(Fraction(clipping_caution) && Fraction(clipping_fail) && clipping_caution <= clipping_fail))
    return Bad(w, "need 0 <= clipping_caution <= clipping_fail <= 1");
  if (!(glare_l > 0.0 && glare_l <= 100.0)) return Bad(w, "glare_l must be in (0, 100]");
  if (!(glare_chroma >= 0.0)) return Bad(w, "glare_chroma must be >= 0");
  if (!(Fraction(glare_caution) && Fraction(glare_fail) && glare_caution <= glare_fail))
    return Bad(w, "need 0 <= glare_caution <= glare_fail <= 1");
  if (!(noise_caution > 0.0 && noise_fail >= noise_caution && noise_fail < 1.0))
    return Bad(w, "need 0 < noise_caution <= noise_fail < 1");
  for (const auto& [family, px_per_mm] : family_min_px_per_mm) {
    bool known = false;
    for (const std::string& f : AllFamilies()) known = known || f == family;
    if (!known) return Bad(w, "family_min_px_per_mm: unknown family '" + family + "'");
    if (!(px_per_mm >= 0.0)) return Bad(w, "family_min_px_per_mm[" + family + "] must be >= 0");
  }
  if (!(resolution_fail_px_per_mm >= 0.0 &&
        resolution_caution_px_per_mm >= resolution_fail_px_per_mm))
    return Bad(w, "need 0 <= resolution_fail_px_per_mm <= resolution_caution_px_per_mm");
  return Status::Ok();
}

Status LightingOptions::Check() const {
  if (!(field_sigma_fraction > 0.0 && field_sigma_fraction <= 1.0))
    return Bad("lighting options", "field_sigma_fraction must be in (0, 1]");
  if (work_long_side < 32 || work_long_side > 4096)
    return Bad("lighting options", "work_long_side must be in [32, 4096]");
  return Status::Ok();
}

Status PairComparabilityOptions::Check() const {
  const std::string w = "comparability options";
  if (!(Fraction(min_overlap) && Fraction(caution_overlap) && min_overlap <= caution_overlap))
    return Bad(w, "need 0 <= min_overlap <= caution_overlap <= 1");
  if (!(caution_scale_ratio >= 1.0 && max_scale_ratio >= caution_scale_ratio))
    return Bad(w, "need 1 <= caution_scale_ratio <= max_scale_ratio");
  if (!(caution_luminance_ratio >= 1.0)) return Bad(w, "caution_luminance_ratio must be >= 1");
  if (!(caution_field_spread >= 0.0)) return Bad(w, "caution_field_spread must be >= 0");
  if (!(identical_luminance_tolerance >= 0.0 && identical_field_spread >= 0.0 &&
        identical_chroma_shift >= 0.0))
    return Bad(w, "identical_* tolerances must be >= 0");
  return Status::Ok();
}

}  // namespace skintrack::quality
