// ChArUco board: scale from the plane homography of every chessboard corner found, and a
// printable board. See include/skintrack/calib/marker.h and docs/scale.md.
#include "calib/charuco.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/aruco/charuco.hpp>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "calib/dictionary.h"
#include "skintrack/core/homography.h"
#include "skintrack/core/image.h"

namespace skintrack::calib {
namespace {

cv::Ptr<cv::aruco::CharucoBoard> MakeBoard(const MarkerOptions& o) {
  return cv::aruco::CharucoBoard::create(
      o.charuco_squares_x, o.charuco_squares_y, static_cast<float>(o.charuco_square_mm),
      static_cast<float>(o.charuco_marker_mm), internal::GetDictionary(o.dictionary));
}

}  // namespace

namespace internal {

Status DetectCharucoScale(const cv::Mat& image, const MarkerOptions& options, MarkerScale* out) {
  try {
    const cv::Ptr<cv::aruco::CharucoBoard> board = MakeBoard(options);
    cv::Mat grey;
    cv::cvtColor(ToBgr8(image), grey, cv::COLOR_BGR2GRAY);
    cv::Ptr<cv::aruco::DetectorParameters> params = cv::aruco::DetectorParameters::create();
    params->minMarkerDistanceRate = options.min_marker_distance_rate;
    params->minMarkerPerimeterRate = options.min_marker_perimeter_rate;
    std::vector<std::vector<cv::Point2f>> marker_corners;
    std::vector<int> marker_ids;
    cv::aruco::detectMarkers(grey, board->dictionary, marker_corners, marker_ids, params);
    if (marker_ids.empty()) return Status::Ok();
    // Chessboard corners from the markers' local homographies, refined by cornerSubPix.
    std::vector<cv::Point2f> corners;
    std::vector<int> ids;
    cv::aruco::interpolateCornersCharuco(marker_corners, marker_ids, grey, board, corners, ids);
    if (static_cast<int>(ids.size()) < options.charuco_min_corners) return Status::Ok();
    std::vector<cv::Point2f> board_mm;
    for (int id : ids) {
      const cv::Point3f& c = board->chessboardCorners[static_cast<size_t>(id)];
      board_mm.emplace_back(c.x, c.y);
    }
    // OpenCV 4.6's interpolateCornersCharuco leaves the corners half a pixel off in both axes
    // (measured on rendered boards; cv::cornerSubPix from the true corner stays on it): refine
    // them again, with a half-window of 12 % of a square that stays inside the white margin
    // between a corner and the nearest marker ((square - marker) / 2), so no marker edge
    // enters it.
    cv::Mat hm = cv::findHomography(board_mm, corners, 0);  // least squares, all corners
    if (hm.empty()) return Status::Ok();
    // Roughly: px per mm from the determinant at the board origin (enough for a window size).
    const double rough_px_per_mm =
        std::sqrt(std::abs(cv::determinant(hm))) / std::abs(hm.at<double>(2, 2));
    const double margin_px =
        0.5 * (options.charuco_square_mm - options.charuco_marker_mm) * rough_px_per_mm;
    const int win =
        std::clamp(static_cast<int>(std::floor(std::min(
                       0.12 * options.charuco_square_mm * rough_px_per_mm, margin_px - 1.0))),
                   2, 15);
    cv::cornerSubPix(grey, corners, cv::Size(win, win), cv::Size(-1, -1),
                     cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 100, 1e-3));
    hm = cv::findHomography(board_mm, corners, 0);
    if (hm.empty()) return Status::Ok();
    const cv::Matx33d h(hm);
    double r2 = 0.0;
    for (size_t i = 0; i < corners.size(); ++i) {
      const cv::Point2d e = ApplyHomography(h, board_mm[i]) - cv::Point2d(corners[i]);
      r2 += e.dot(e);
    }
    const double sx = options.charuco_squares_x * options.charuco_square_mm;
    const double sy = options.charuco_squares_y * options.charuco_square_mm;
    const cv::Point2d m(0.5 * sx, 0.5 * sy);
    const double px_per_mm = LocalScale(h, m);  // image px per mm at m
    if (!(std::isfinite(px_per_mm) && px_per_mm > 0.0)) return Status::Ok();
    out->found = true;
    out->board = true;
    out->id = *std::min_element(marker_ids.begin(), marker_ids.end());
    out->n_markers = static_cast<int>(marker_ids.size());
    out->n_corners = static_cast<int>(ids.size());
    out->image_from_marker_mm = h;
    out->centre = ApplyHomography(h, m);
    out->mm_per_px = 1.0 / px_per_mm;
    out->side_px = options.charuco_square_mm / out->mm_per_px;
    out->fit_residual_px = std::sqrt(r2 / static_cast<double>(corners.size()));
    out->corners = {ApplyHomography(h, {0, 0}), ApplyHomography(h, {sx, 0}),
                    ApplyHomography(h, {sx, sy}), ApplyHomography(h, {0, sy})};
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("DetectMarkerScale (ChArUco): OpenCV error: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace internal

std::string DescribeTarget(const MarkerOptions& options) {
  char buf[160];
  if (options.UsesBoard()) {
    std::snprintf(buf, sizeof buf, "ChArUco board %dx%d of %.2f mm squares (%s)",
                  options.charuco_squares_x, options.charuco_squares_y, options.charuco_square_mm,
                  options.dictionary.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%s marker of %.2f mm", options.dictionary.c_str(),
                  options.side_mm);
  }
  return buf;
}

Status RenderCharucoBoard(const MarkerOptions& options, double dpi, cv::Mat* out) {
  if (out == nullptr) return Status::InvalidArgument("RenderCharucoBoard: out is null");
  if (!options.UsesBoard())
    return Status::InvalidArgument("RenderCharucoBoard: no board (charuco_squares_x/_y unset)");
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (!(dpi >= 72.0 && dpi <= 4800.0))
    return Status::InvalidArgument("dpi must be in [72, 4800], got " + std::to_string(dpi));
  const int square = MarkerSidePx(options.charuco_square_mm, dpi);
  const cv::Ptr<cv::aruco::CharucoBoard> board = MakeBoard(options);
  const int cells = board->dictionary->markerSize + 2;
  const double marker_px = square * options.charuco_marker_mm / options.charuco_square_mm;
  if (marker_px < 3.0 * cells) {
    return Status::InvalidArgument("board markers of " + std::to_string(options.charuco_marker_mm) +
                                   " mm at " + std::to_string(dpi) +
                                   " dpi have fewer than 3 px per cell; raise the sizes or --dpi");
  }
  const int w = (options.charuco_squares_x + 2) * square;
  const int h = (options.charuco_squares_y + 2) * square;
  if (w > 30000 || h > 30000)
    return Status::InvalidArgument("board image would exceed 30000 px a side; lower the sizes");
  try {
    // The board fills the image minus a one-square margin: each square exactly `square` px.
    board->draw(cv::Size(w, h), *out, square, 1);
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("RenderCharucoBoard: OpenCV error: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace skintrack::calib
