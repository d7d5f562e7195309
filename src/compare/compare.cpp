#include "skintrack/compare/compare.h"

namespace skintrack::compare {

Status CompareOptions::Check() const {
  SKINTRACK_RETURN_IF_ERROR(align.Check());
  if (mm_per_px && !(*mm_per_px > 0.0 && *mm_per_px < 100.0)) {
    return Status::InvalidArgument("--mm-per-px must be in (0, 100) mm per px");
  }
  return Status::Ok();
}

Status ComparePair(const cv::Mat& before, const cv::Mat& after, const CompareOptions& options,
                   CompareResult* result) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (result == nullptr) return Status::InvalidArgument("compare: result is null");
  SKINTRACK_RETURN_IF_ERROR(align::Align(before, after, options.align, &result->alignment));
  result->before.width = before.cols;
  result->before.height = before.rows;
  result->after.width = after.cols;
  result->after.height = after.rows;
  result->scale = ScaleInfo();
  if (options.mm_per_px) {
    result->scale.mm_per_px = options.mm_per_px;
    result->scale.source = "user";
  }
  return Status::Ok();
}

}  // namespace skintrack::compare
