#include "skintrack/compare/compare.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>

#include "skintrack/core/homography.h"
#include "skintrack/core/parallel.h"

namespace skintrack::compare {

Status CompareOptions::Check() const {
  SKINTRACK_RETURN_IF_ERROR(align.Check());
  if (mm_per_px && !(*mm_per_px > 0.0 && *mm_per_px < 100.0)) {
    return Status::InvalidArgument("--mm-per-px must be in (0, 100) mm per px");
  }
  return marker.Check();
}

namespace {

// A detection on an image resampled by `s` (image px per full-size px, centres kept)
// re-expressed in the full-size frame.
calib::MarkerScale ToFullFrame(calib::MarkerScale m, double s) {
  if (!m.found || s == 1.0) return m;
  const auto full = [s](const cv::Point2d& p) {
    return cv::Point2d((p.x + 0.5) / s - 0.5, (p.y + 0.5) / s - 0.5);
  };
  for (cv::Point2d& c : m.corners) c = full(c);
  m.centre = full(m.centre);
  m.mm_per_px *= s;
  m.fit_residual_px /= s;
  m.side_px /= s;
  const cv::Matx33d full_from_image(1 / s, 0, 0.5 / s - 0.5, 0, 1 / s, 0.5 / s - 0.5, 0, 0, 1);
  m.image_from_marker_mm = full_from_image * m.image_from_marker_mm;
  return m;
}

// Picks the scale (user > before marker > after marker carried > none); detections and the
// alignment are in full-size frames.
void ResolveScale(const CompareOptions& options, const align::AlignmentResult& alignment,
                  ScaleInfo* scale) {
  const calib::MarkerScale& b = scale->before_marker;
  const calib::MarkerScale& a = scale->after_marker;
  const bool aligned = alignment.status != align::AlignmentStatus::kFailed;
  const auto carried = [&]() {
    return a.mm_per_px / LocalScale(alignment.after_to_before, a.centre);
  };
  if (b.found && a.found && aligned) scale->mm_per_px_from_after = carried();
  if (options.mm_per_px) {
    scale->mm_per_px = options.mm_per_px;
    scale->source = "user";
    scale->reason = "given by the user (--mm-per-px)";
    return;
  }
  if (!options.detect_marker) {
    scale->reason = "unknown: no --mm-per-px and marker detection is off";
    return;
  }
  const std::string what = calib::DescribeTarget(options.marker);
  if (b.found) {
    scale->mm_per_px = b.mm_per_px;
    scale->source = "marker";
    scale->session = "before";
    scale->marker_id = b.id;
    scale->fit_residual_px = b.fit_residual_px;
    scale->marker_centre_before = b.centre;
    scale->reason = what + " (id " + std::to_string(b.id) + ") in the before photo";
    return;
  }
  if (a.found && aligned) {
    scale->mm_per_px = carried();
    scale->source = "marker";
    scale->session = "after";
    scale->marker_id = a.id;
    scale->fit_residual_px = a.fit_residual_px;
    scale->marker_centre_before = ApplyHomography(alignment.after_to_before, a.centre);
    scale->reason = what + " (id " + std::to_string(a.id) +
                    ") in the after photo, carried to the before photo through the alignment";
    return;
  }
  if (a.found) {
    scale->reason = "unknown: a " + what +
                    " is only in the after photo and the alignment failed, so it cannot be "
                    "carried to the before photo";
    return;
  }
  scale->reason = "unknown: no --mm-per-px and no " + what + " found in either photo";
}

}  // namespace

ScaleInfo ResolvePhotoScale(std::optional<double> user_mm_per_px, const calib::MarkerScale& marker,
                            const calib::MarkerOptions& options) {
  ScaleInfo scale;
  if (user_mm_per_px) {
    scale.mm_per_px = user_mm_per_px;
    scale.source = "user";
    scale.reason = "given by the user (--mm-per-px)";
    return scale;
  }
  const std::string what = calib::DescribeTarget(options);
  scale.before_marker = marker;
  if (!marker.found) {
    scale.reason = "unknown: no --mm-per-px and no " + what + " found in the photo";
    return scale;
  }
  scale.mm_per_px = marker.mm_per_px;
  scale.source = "marker";
  scale.session = "image";
  scale.marker_id = marker.id;
  scale.fit_residual_px = marker.fit_residual_px;
  scale.marker_centre_before = marker.centre;
  scale.reason = what + " (id " + std::to_string(marker.id) + ") in the photo";
  return scale;
}

namespace {

// The before photo's scale when ResolveScale's choice does not depend on the alignment (the
// outer nullopt: it does). Markers in full-size frames.
std::optional<std::optional<double>> ScaleWithoutAlignment(const CompareOptions& options,
                                                           const calib::MarkerScale& b,
                                                           const calib::MarkerScale& a) {
  if (options.mm_per_px) return options.mm_per_px;
  if (!options.detect_marker) return std::optional<double>();
  if (b.found) return std::optional<double>(b.mm_per_px);
  if (a.found) return std::nullopt;  // carried through the alignment, or unknown if it fails
  return std::optional<double>();
}

// Aligns and finds the scale; `before_scale` / `after_scale` are image px per full-size px of
// the given images, the result is in full-size frames.
Status CompareImpl(const cv::Mat& before, const cv::Mat& after, bool resampled, double before_scale,
                   double after_scale, const CompareOptions& options, CompareResult* result,
                   const cv::Mat& before_exclude = cv::Mat(),
                   const cv::Mat& after_exclude = cv::Mat(),
                   const EarlyScaleCallback& on_early_scale = EarlyScaleCallback()) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (result == nullptr) return Status::InvalidArgument("compare: result is null");
  result->scale = ScaleInfo();
  // The user's scale overrides: no detection then.
  const bool detect = options.detect_marker && !options.mm_per_px;
  // The marker search beside the registration (joined on every path, exceptions included), at
  // a low priority: it fills the cores the registration's serial stretches (ECC, MAGSAC) leave
  // idle rather than slowing its parallel ones.
  BackgroundTask markers(
      [&]() -> Status {
        if (detect) {
          SKINTRACK_RETURN_IF_ERROR(
              calib::DetectMarkerScale(before, options.marker, &result->scale.before_marker));
          SKINTRACK_RETURN_IF_ERROR(
              calib::DetectMarkerScale(after, options.marker, &result->scale.after_marker));
        }
        if (on_early_scale) {
          const auto early =
              ScaleWithoutAlignment(options, ToFullFrame(result->scale.before_marker, before_scale),
                                    ToFullFrame(result->scale.after_marker, after_scale));
          if (early) on_early_scale(*early);
        }
        return Status::Ok();
      },
      "marker detection", TaskPriority::kLow);
  const Status st =
      align::Align(align::FillExcluded(before, before_exclude),
                   align::FillExcluded(after, after_exclude), options.align, &result->alignment);
  const Status st_markers = markers.Wait();
  SKINTRACK_RETURN_IF_ERROR(st);
  SKINTRACK_RETURN_IF_ERROR(st_markers);
  if (resampled) align::ToOriginalFrames(before_scale, after_scale, &result->alignment);
  result->scale.before_marker = ToFullFrame(result->scale.before_marker, before_scale);
  result->scale.after_marker = ToFullFrame(result->scale.after_marker, after_scale);
  ResolveScale(options, result->alignment, &result->scale);
  result->before.width = before.cols;
  result->before.height = before.rows;
  result->after.width = after.cols;
  result->after.height = after.rows;
  return Status::Ok();
}

}  // namespace

Status ComparePair(const cv::Mat& before, const cv::Mat& after, const CompareOptions& options,
                   CompareResult* result) {
  return CompareImpl(before, after, false, 1.0, 1.0, options, result);
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
  BackgroundTask loader([&] { return io::LoadImage(after_path, la, &pair->after); }, "loading");
  const Status st_before = io::LoadImage(before_path, lb, &pair->before);
  const Status st_after = loader.Wait();
  SKINTRACK_RETURN_IF_ERROR(st_before);
  return st_after;
}

Status ComparePair(const LoadedPair& pair, const CompareOptions& options, CompareResult* result) {
  return ComparePair(pair, options, result, EarlyScaleCallback());
}

Status ComparePair(const LoadedPair& pair, const CompareOptions& options, CompareResult* result,
                   const EarlyScaleCallback& on_early_scale) {
  for (const cv::Mat* m : {&pair.before_exclude, &pair.after_exclude}) {
    if (!m->empty() && m->type() != CV_8UC1)
      return Status::InvalidArgument("compare: exclusion masks must be CV_8UC1");
  }
  SKINTRACK_RETURN_IF_ERROR(CompareImpl(pair.before.image, pair.after.image, true,
                                        pair.before.scale, pair.after.scale, options, result,
                                        pair.before_exclude, pair.after_exclude, on_early_scale));
  result->before = {pair.before.path, pair.before.full_size.width, pair.before.full_size.height,
                    pair.before.warning};
  result->after = {pair.after.path, pair.after.full_size.width, pair.after.full_size.height,
                   pair.after.warning};
  return Status::Ok();
}

}  // namespace skintrack::compare
