// Comparing a before/after pair of photos of one skin area: alignment and scale.
// (Metrics over the common region are added by the metrics issue.)
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "skintrack/align/align.h"
#include "skintrack/core/status.h"
#include "skintrack/io/image_io.h"
#include "skintrack/metrics/metrics.h"

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
  std::string path;  // as given by the caller ("" for in-memory images)
  int width = 0;     // px
  int height = 0;    // px
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

// A pair of photos loaded for comparison.
struct LoadedPair {
  io::LoadedImage before, after;  // possibly decoded at reduced size (see LoadPair)
};

// Loads both photos (in parallel). With full_resolution == false, JPEGs are decoded at the
// largest power-of-two reduction whose long side still reaches options.align.working_long_side
// (registration never sees more), which is several times faster; use true when full-size
// pixels are needed (aligned images, metrics). Errors name the file.
Status LoadPair(const std::string& before_path, const std::string& after_path,
                const io::LoadOptions& load, const CompareOptions& options, bool full_resolution,
                LoadedPair* pair);

// ComparePair on a loaded pair; the result is expressed in the full-size frames of the files.
Status ComparePair(const LoadedPair& pair, const CompareOptions& options, CompareResult* result);

// Both sessions measured over the identical skin: the before frame, restricted to the overlap
// of the aligned after photo (eroded by 3 px), the user ROI (or both automatic skin masks),
// minus hair seen in either photo.
struct SessionMetrics {
  metrics::MetricsResult before, after;
  cv::Mat region;         // CV_8UC1 in the before frame: where both were measured
  cv::Mat aligned_after;  // the after photo warped into the before frame (bicubic)
};

// `before`, `after`: full-size internal-form images; `roi`: CV_8UC1 in the before frame or
// empty; mm_per_px: the before photo's scale (the aligned after shares it) or nullopt.
Status CompareMetrics(const cv::Mat& before, const cv::Mat& after,
                      const align::AlignmentResult& alignment, const cv::Mat& roi,
                      std::optional<double> mm_per_px, const metrics::MetricsOptions& options,
                      SessionMetrics* out);

}  // namespace skintrack::compare
