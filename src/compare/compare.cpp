#include "skintrack/compare/compare.h"

#include <algorithm>
#include <thread>

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

namespace {

// Largest reduction in {1, 2, 4, 8} keeping the long side >= working_long_side.
int ReductionFor(const std::string& path, int working_long_side) {
  io::ImageHeader header;
  if (!io::ReadImageHeader(path, &header).ok()) return 1;  // LoadImage reports the error
  const int side = std::max(header.width, header.height);
  int r = 1;
  while (r < 8 && side / (2 * r) >= working_long_side) r *= 2;
  return r;
}

}  // namespace

Status LoadPair(const std::string& before_path, const std::string& after_path,
                const io::LoadOptions& load, const CompareOptions& options, bool full_resolution,
                LoadedPair* pair) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  SKINTRACK_RETURN_IF_ERROR(load.Check());
  io::LoadOptions lb = load, la = load;
  if (!full_resolution) {
    lb.reduction = ReductionFor(before_path, options.align.working_long_side);
    la.reduction = ReductionFor(after_path, options.align.working_long_side);
  }
  Status st_after;
  std::thread loader([&] { st_after = io::LoadImage(after_path, la, &pair->after); });
  const Status st_before = io::LoadImage(before_path, lb, &pair->before);
  loader.join();
  SKINTRACK_RETURN_IF_ERROR(st_before);
  return st_after;
}

Status ComparePair(const LoadedPair& pair, const CompareOptions& options, CompareResult* result) {
  SKINTRACK_RETURN_IF_ERROR(ComparePair(pair.before.image, pair.after.image, options, result));
  align::ToOriginalFrames(pair.before.scale, pair.after.scale, &result->alignment);
  result->before = {pair.before.path, pair.before.full_size.width, pair.before.full_size.height};
  result->after = {pair.after.path, pair.after.full_size.width, pair.after.full_size.height};
  return Status::Ok();
}

}  // namespace skintrack::compare
