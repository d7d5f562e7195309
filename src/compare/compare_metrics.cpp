#include <opencv2/imgproc.hpp>

#include "skintrack/compare/compare.h"
#include "skintrack/roi/roi.h"

namespace skintrack::compare {

Status CompareMetrics(const cv::Mat& before, const cv::Mat& after,
                      const align::AlignmentResult& alignment, const cv::Mat& roi,
                      std::optional<double> mm_per_px, const metrics::MetricsOptions& options,
                      SessionMetrics* out) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (out == nullptr) return Status::InvalidArgument("compare: metrics output is null");
  if (alignment.status == align::AlignmentStatus::kFailed)
    return Status::AlignmentFailed("compare: cannot measure a pair that is not aligned");
  if (!roi.empty() && (roi.type() != CV_8UC1 || roi.size() != before.size()))
    return Status::InvalidArgument("compare: roi must be CV_8UC1 of the before image's size");
  cv::Mat overlap;
  SKINTRACK_RETURN_IF_ERROR(align::WarpAfterToBefore(
      after, alignment, before.size(), &out->aligned_after, &overlap, cv::INTER_LANCZOS4));
  // Lanczos overshoots a little: keep the internal form's range.
  out->aligned_after = cv::min(cv::max(out->aligned_after, 0.0), 1.0);
  cv::erode(overlap, overlap, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(7, 7)));
  cv::Mat region = overlap;
  if (!roi.empty()) {
    region &= roi;
  } else {
    cv::Mat skin_b, skin_a;
    SKINTRACK_RETURN_IF_ERROR(roi::SkinMask(before, roi::SkinMaskOptions(), &skin_b));
    SKINTRACK_RETURN_IF_ERROR(roi::SkinMask(out->aligned_after, roi::SkinMaskOptions(), &skin_a));
    region &= skin_b & skin_a;
  }
  const double px_per_mm = mm_per_px ? 1.0 / *mm_per_px : options.assumed_px_per_mm;
  cv::Mat hair_b, hair_a;
  SKINTRACK_RETURN_IF_ERROR(roi::HairMask(before, px_per_mm, options.hair, &hair_b));
  SKINTRACK_RETURN_IF_ERROR(roi::HairMask(out->aligned_after, px_per_mm, options.hair, &hair_a));
  out->region = region & ~(hair_b | hair_a);
  SKINTRACK_RETURN_IF_ERROR(
      metrics::Analyze(before, out->region, mm_per_px, options, &out->before));
  SKINTRACK_RETURN_IF_ERROR(
      metrics::Analyze(out->aligned_after, out->region, mm_per_px, options, &out->after));
  // Hair is reported per session over the common region (before it was removed).
  auto fraction = [&](const cv::Mat& hair) {
    const int n = cv::countNonZero(region);
    return n > 0 ? static_cast<double>(cv::countNonZero(hair & region)) / n : 0.0;
  };
  out->before.hair_area_fraction = fraction(hair_b);
  out->after.hair_area_fraction = fraction(hair_a);
  return Status::Ok();
}

}  // namespace skintrack::compare
