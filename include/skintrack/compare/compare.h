// Comparing a before/after pair of photos of one skin area: alignment and scale.
// (Metrics over the common region are added by the metrics issue.)
#pragma once

#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "skintrack/align/align.h"
#include "skintrack/core/status.h"

namespace skintrack::compare {

struct CompareOptions {
  align::AlignOptions align;  // registration settings (see align.h for defaults)
  // Physical scale of the BEFORE image in mm per px, from the user; unset = unknown.
  std::optional<double> mm_per_px;
  Status Check() const;
};

// Where a physical scale came from: "user" (--mm-per-px) or "none".
struct ScaleInfo {
  std::optional<double> mm_per_px;  // mm per before-image px; nullopt when unknown
  std::string source = "none";
};

struct ImageDescription {
  std::string path;   // as given by the caller ("" for in-memory images)
  int width = 0;      // px
  int height = 0;     // px
};

struct CompareResult {
  ImageDescription before, after;
  align::AlignmentResult alignment;
  ScaleInfo scale;
};

// Aligns `after` onto `before` (internal form CV_32FC3) and fills *result. Returns non-ok only
// for invalid arguments; an unalignable pair is ok() with alignment.status == kFailed.
Status ComparePair(const cv::Mat& before, const cv::Mat& after, const CompareOptions& options,
                   CompareResult* result);

}  // namespace skintrack::compare
