// Turning a comparison into files: JSON (schema skintrack.compare.v1, docs/compare_json.md)
// and images for the eye.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

#include "skintrack/compare/compare.h"
#include "skintrack/core/status.h"

namespace skintrack::report {

inline constexpr const char* kCompareSchema = "skintrack.compare.v1";

// The comparison as JSON, field names exactly as documented in docs/compare_json.md.
nlohmann::json CompareToJson(const compare::CompareResult& result);

// One photo's entry: {"path", "width", "height", "decode_warning" (null when clean)}; the
// compare JSON's `before` / `after` and the analyze JSON's `image`.
nlohmann::json ImageToJson(const compare::ImageDescription& image);

// `scale` of the analyze JSON (one photo, compare::ResolvePhotoScale): mm_per_px, source,
// reason, and (null unless source "marker") session, marker_id, fit_residual_px,
// marker_centre_px, target ("marker" / "charuco"), board_corners.
nlohmann::json PhotoScaleToJson(const compare::ScaleInfo& scale);

// Alternating square tiles (tile_px a side) of `before` and `aligned_after` (same size and
// type); outside `overlap_mask` (CV_8UC1, may be empty) before is shown.
cv::Mat Checkerboard(const cv::Mat& before, const cv::Mat& aligned_after,
                     const cv::Mat& overlap_mask, int tile_px);

// Before | aligned after, side by side with a 8-px gap, scaled to at most max_width px.
cv::Mat SideBySide(const cv::Mat& before, const cv::Mat& aligned_after, int max_width);

// The files WriteCompareImages writes, in this order: the aligned after photo, the overlap
// mask, the checkerboard and the side-by-side view.
inline constexpr std::array<const char*, 4> kCompareImageNames = {
    "after_aligned.png", "overlap_mask.png", "checkerboard.jpg", "side_by_side.jpg"};

// Writes the kCompareImageNames into `dir` (created when missing). `before` and `after` are the
// internal-form images.
Status WriteCompareImages(const std::string& dir, const cv::Mat& before, const cv::Mat& after,
                          const compare::CompareResult& result);

// Writes `text` to `path` (io::WriteFile: a regular file atomically, by a temporary file and a
// rename; a device or FIFO in place), or to stdout for "-". kIoError naming the file (or
// "standard output") when it cannot be written, e.g. a full disk.
Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace skintrack::report
