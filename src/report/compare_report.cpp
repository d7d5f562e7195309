#include "skintrack/report/compare_report.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "skintrack/core/image.h"
#include "skintrack/core/version.h"
#include "skintrack/io/file_io.h"
#include "skintrack/io/image_io.h"

namespace skintrack::report {
namespace fs = std::filesystem;

namespace {

nlohmann::json MatrixJson(const cv::Matx33d& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < 3; ++r) rows.push_back({m(r, 0), m(r, 1), m(r, 2)});
  return rows;
}

nlohmann::json Nullable(bool present, double v) {
  return present ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// One photo's marker detection (its own full-size frame), null when none was found.
nlohmann::json MarkerJson(const calib::MarkerScale& m) {
  if (!m.found) return nullptr;
  nlohmann::json corners = nlohmann::json::array();
  for (const cv::Point2d& c : m.corners) corners.push_back({c.x, c.y});
  return {{"id", m.id},
          {"mm_per_px", m.mm_per_px},
          {"fit_residual_px", m.fit_residual_px},
          {"side_px", m.side_px},
          {"centre_px", {m.centre.x, m.centre.y}},
          {"corners_px", corners},
          {"n_markers", m.n_markers},
          {"target", m.board ? "charuco" : "marker"},
          {"board_corners", m.n_corners}};
}

nlohmann::json ScaleJson(const compare::ScaleInfo& s) {
  const bool marker = s.source == "marker";
  return {{"mm_per_px", Nullable(s.mm_per_px.has_value(), s.mm_per_px.value_or(0.0))},
          {"source", s.source},
          {"reason", s.reason},
          {"session", marker ? nlohmann::json(s.session) : nlohmann::json(nullptr)},
          {"marker_id", marker ? nlohmann::json(s.marker_id) : nlohmann::json(nullptr)},
          {"fit_residual_px", Nullable(marker, s.fit_residual_px)},
          {"marker_centre_px",
           marker ? nlohmann::json({s.marker_centre_before.x, s.marker_centre_before.y})
                  : nlohmann::json(nullptr)},
          {"mm_per_px_from_after",
           Nullable(s.mm_per_px_from_after.has_value(), s.mm_per_px_from_after.value_or(0.0))},
          {"markers",
           {{"before", MarkerJson(s.before_marker)}, {"after", MarkerJson(s.after_marker)}}}};
}

}  // namespace

nlohmann::json PhotoScaleToJson(const compare::ScaleInfo& s) {
  const bool marker = s.source == "marker";
  const calib::MarkerScale& m = s.before_marker;
  const auto or_null = [marker](const nlohmann::json& v) {
    return marker ? v : nlohmann::json(nullptr);
  };
  return {{"mm_per_px", Nullable(s.mm_per_px.has_value(), s.mm_per_px.value_or(0.0))},
          {"source", s.source},
          {"reason", s.reason},
          {"session", or_null(s.session)},
          {"marker_id", or_null(s.marker_id)},
          {"fit_residual_px", or_null(s.fit_residual_px)},
          {"marker_centre_px", or_null({s.marker_centre_before.x, s.marker_centre_before.y})},
          {"target", or_null(m.board ? "charuco" : "marker")},
          {"board_corners", or_null(m.n_corners)}};
}

nlohmann::json ImageToJson(const compare::ImageDescription& d) {
  return {{"path", d.path},
          {"width", d.width},
          {"height", d.height},
          {"decode_warning",
           d.decode_warning.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.decode_warning)}};
}

nlohmann::json CompareToJson(const compare::CompareResult& result) {
  const align::AlignmentResult& a = result.alignment;
  nlohmann::json nonrigid = {{"used", a.nonrigid_used}};
  nonrigid["median_fb_error_px"] =
      a.median_fb_error_px >= 0 ? nlohmann::json(a.median_fb_error_px) : nlohmann::json(nullptr);
  nlohmann::json j;
  j["schema"] = kCompareSchema;
  j["skintrack_version"] = kVersion;
  j["before"] = ImageToJson(result.before);
  j["after"] = ImageToJson(result.after);
  j["alignment"] = {{"status", align::AlignmentStatusName(a.status)},
                    {"reason", a.reason},
                    {"method", a.method},
                    {"after_to_before", MatrixJson(a.after_to_before)},
                    {"nonrigid", nonrigid},
                    {"inliers", a.inliers},
                    {"inlier_ratio", a.inlier_ratio},
                    {"ecc", a.ecc},
                    {"ncc_unaligned", a.ncc_unaligned},
                    {"ncc_aligned", a.ncc_aligned},
                    {"ncc_shift_ratio", a.ncc_shift_ratio},
                    {"ncc_shift_px", a.ncc_shift_px},
                    {"overlap_fraction", a.overlap_fraction},
                    {"seconds", a.seconds}};
  j["scale"] = ScaleJson(result.scale);
  return j;
}

cv::Mat Checkerboard(const cv::Mat& before, const cv::Mat& aligned_after,
                     const cv::Mat& overlap_mask, int tile_px) {
  CV_Assert(before.size() == aligned_after.size() && before.type() == aligned_after.type());
  CV_Assert(tile_px > 0);
  cv::Mat out = before.clone();
  for (int y = 0; y < before.rows; y += tile_px) {
    for (int x = 0; x < before.cols; x += tile_px) {
      if (((x / tile_px) + (y / tile_px)) % 2 == 0) continue;
      const cv::Rect tile = cv::Rect(x, y, tile_px, tile_px) & cv::Rect(0, 0, out.cols, out.rows);
      if (overlap_mask.empty()) {
        aligned_after(tile).copyTo(out(tile));
      } else {
        aligned_after(tile).copyTo(out(tile), overlap_mask(tile));
      }
    }
  }
  return out;
}

cv::Mat SideBySide(const cv::Mat& before, const cv::Mat& aligned_after, int max_width) {
  CV_Assert(before.size() == aligned_after.size() && before.type() == aligned_after.type());
  const int gap = 8;
  cv::Mat out(before.rows, 2 * before.cols + gap, before.type(), cv::Scalar::all(1.0));
  before.copyTo(out(cv::Rect(0, 0, before.cols, before.rows)));
  aligned_after.copyTo(out(cv::Rect(before.cols + gap, 0, before.cols, before.rows)));
  if (out.cols > max_width) {
    const double s = static_cast<double>(max_width) / out.cols;
    cv::resize(out, out, cv::Size(), s, s, cv::INTER_AREA);
  }
  return out;
}

Status WriteCompareImages(const std::string& dir, const cv::Mat& before, const cv::Mat& after,
                          const compare::CompareResult& result) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(dir + ": cannot create directory (" + ec.message() + ")");
  cv::Mat aligned, mask;
  SKINTRACK_RETURN_IF_ERROR(
      align::WarpAfterToBefore(after, result.alignment, before.size(), &aligned, &mask));
  const fs::path d(dir);
  const int tile = std::max(16, std::max(before.cols, before.rows) / 12);
  return io::WriteImages(
      {{(d / kCompareImageNames[0]).string(), aligned, 92},
       {(d / kCompareImageNames[1]).string(), mask, 92},
       {(d / kCompareImageNames[2]).string(), Checkerboard(before, aligned, mask, tile), 90},
       {(d / kCompareImageNames[3]).string(), SideBySide(before, aligned, 3200), 90}});
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text << std::flush;
    if (!std::cout) return Status::IoError("standard output: cannot write (write failed)");
    return Status::Ok();
  }
  return io::WriteFile(path, text);
}

}  // namespace skintrack::report
