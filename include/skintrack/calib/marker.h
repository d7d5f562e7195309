// Physical scale from an ArUco marker in the photo, and printable markers.
//
// A square ArUco marker of known side (the outer edge of its black border, in mm) lies on the
// skin plane. Its four outer corners give the plane homography image_from_marker_mm, and the
// local isotropic scale of the inverse mapping at the marker centre gives mm per image px; a
// tilted (perspective) view is handled exactly. See docs/scale.md.
//
// Frames: IMAGE frame = pixels of the analysed image (OpenCV convention, pixel centres at
// integer coordinates, x right, y down). MARKER frame = mm on the marker plane, origin at the
// marker's top-left outer corner, x along the top edge, y down: the corners are (0, 0),
// (side, 0), (side, side), (0, side) in ArUco order (clockwise from top-left).
//
// Detection (OpenCV 4.6 cv::aruco::detectMarkers) minds the pitfalls in METHODS.md:
// minMarkerDistanceRate 0.01 (else markers with a thin white border are missed), and
// duplicate detections of one id are resolved. METHODS.md keeps the smallest (the outline of a
// thin white border decodes as a larger duplicate), but a smaller duplicate inside the marker
// also occurs; the detection kept is the one whose outline has the strongest black-inside /
// white-outside luminance step (ties: the smaller).
// The detected corners are then refined to sub-pixel precision by fitting a straight line to
// each outer edge (edge points located in linear light), and intersecting adjacent lines.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <string>

#include "skintrack/core/status.h"

namespace skintrack::calib {

struct MarkerOptions {
  // ArUco dictionary, an OpenCV predefined name (DICT_4X4_50 ... DICT_7X7_1000,
  // DICT_ARUCO_ORIGINAL, DICT_APRILTAG_16h5 ... DICT_APRILTAG_36h11). Default "DICT_4X4_50".
  std::string dictionary = "DICT_4X4_50";
  // Physical side of the marker, mm: the outer edge of the black border (not counting the white
  // quiet zone around it). Default 10 mm.
  double side_mm = 10.0;
  // ArUco DetectorParameters::minMarkerDistanceRate. 0.01 per METHODS.md (OpenCV's default 0.05
  // drops markers whose white quiet zone is thin). Default 0.01.
  double min_marker_distance_rate = 0.01;
  // ArUco DetectorParameters::minMarkerPerimeterRate: smallest marker perimeter as a fraction
  // of the image's longer side. Default 0.02 (a 12 px marker in a 2400 px photo).
  double min_marker_perimeter_rate = 0.02;
  // The marker SEARCH (cv::aruco::detectMarkers) runs on a copy of the photo reduced
  // (pixel-area averaging) so that its longer side is at most this many px; the candidates'
  // corners are mapped back to full resolution, where the duplicate choice and the corner
  // refinement (refine_corners) work. 0 = search at full resolution. Default 2000 px: a
  // 4000 x 3000 photo is searched at 2000 x 1500, a quarter of the pixels. The smallest
  // candidate the search accepts is then a perimeter of min_marker_perimeter_rate of the
  // search image's longer side (a 20 px side in the photo at the defaults), and decoding needs
  // a few search px per cell: markers under ~1-2 % of the longer side may be missed (an
  // estimate, not measured), far below what gives a usable scale. Without refine_corners the
  // corners keep the search resolution's precision (~1 search px; tested: within 3 photo px).
  int search_max_side_px = 2000;
  // Refine the corners by edge-line fitting (sub-pixel). Default true.
  bool refine_corners = true;
  // Half-length of the edge profile used by the refinement, in marker cells (one cell = side /
  // (bits + 2)). Kept below half a cell so the profile never reaches the inner bits. Default
  // 0.4 cells.
  double refine_profile_cells = 0.4;
  // Rendering only (RenderMarker): width of the white quiet zone around the black border, in
  // cells. Default 1 cell.
  double quiet_zone_cells = 1.0;
  // --- ChArUco board instead of a single marker (docs/scale.md) ---
  // Squares across and down of a ChArUco board (a chessboard with markers of `dictionary` in
  // its white squares, OpenCV's layout); 0 = look for a single marker (default). A board needs
  // >= 3 squares on each side and no more markers than the dictionary holds. Every
  // chessboard corner found (sub-pixel, cv::aruco::interpolateCornersCharuco) adds to the
  // plane homography: more points than a marker's 4, so less sensitive to blur and to one bad
  // corner. side_mm is not used with a board.
  int charuco_squares_x = 0, charuco_squares_y = 0;
  double charuco_square_mm = 5.0;  // chessboard square side, mm. Default 5 mm.
  double charuco_marker_mm = 3.5;  // marker side inside a white square, mm. Default 3.5 mm.
  // Fewest chessboard corners for a board scale. Default 6.
  int charuco_min_corners = 6;
  bool UsesBoard() const { return charuco_squares_x > 0 || charuco_squares_y > 0; }
  Status Check() const;
};

// The scale found in one image.
struct MarkerScale {
  bool found = false;  // a marker of the dictionary was detected and decoded
  int id = -1;         // its id in the dictionary (-1 when not found)
  // mm per image px at the marker centre: sqrt(|det J|) of the marker_mm <- image mapping
  // (the inverse of image_from_marker_mm) at the marker centre. 0 when not found.
  double mm_per_px = 0.0;
  // RMS distance, image px, between the refined corners and the best similarity transform
  // (rotation, isotropic scale, translation) of the ideal square: ~0 for a fronto-parallel
  // marker, grows with tilt and with corner error. -1 when not found.
  double fit_residual_px = -1.0;
  // Refined outer corners, image px, ArUco order (top-left, top-right, bottom-right,
  // bottom-left of the marker as printed).
  std::array<cv::Point2d, 4> corners{};
  cv::Point2d centre{-1.0, -1.0};  // marker centre, image px (image of (side/2, side/2))
  // Maps marker-frame mm (x, y, 1) to image px (homogeneous, divide by w). Identity when not
  // found.
  cv::Matx33d image_from_marker_mm = cv::Matx33d::eye();
  double side_px = 0.0;  // mean length of the four refined sides, image px
  int n_markers = 0;     // distinct ids detected (after dropping duplicates of one id)
  // --- ChArUco board (MarkerOptions::UsesBoard) ---
  // With a board: MARKER frame = board mm, origin at the board's top-left outer corner (the
  // chessboard corner (i, j) is at ((i + 1) square, (j + 1) square)); id = the lowest marker id
  // seen; corners = the images of the board's four outer corners; side_px = one square's side
  // at the board centre, image px; fit_residual_px = RMS distance between the detected
  // chessboard corners and the fitted homography's images of them.
  bool board = false;  // the scale comes from a ChArUco board
  int n_corners = 0;   // chessboard corners used (0 for a single marker)
};

// Detects markers in `image` (internal form, CV_32FC3 BGR sRGB [0,1], see core/image.h) and
// measures the scale from the largest one (most px, hence the most precise); ties go to the
// lower id. No marker is not an error: out->found is false. Errors: invalid options
// (kInvalidArgument), an image not in the internal form or under 16 px a side (kInvalidInput).
// Deterministic.
Status DetectMarkerScale(const cv::Mat& image, const MarkerOptions& options, MarkerScale* out);

// The cell pattern of marker `id` of options.dictionary, with its one-cell black border:
// CV_8UC1 of (bits + 2) x (bits + 2) cells, 0 = black, 255 = white. Errors: unknown
// dictionary, id out of range.
Status MarkerCells(int id, const MarkerOptions& options, cv::Mat* cells);

// Renders a printable marker: CV_8UC1, black border of side round(side_mm / 25.4 * dpi) px,
// surrounded by a white quiet zone of options.quiet_zone_cells cells (no caption). Printed at
// `dpi` with no scaling, the black square measures side_mm to within half a printer dot. Cells
// are as equal as the integer pixel grid allows (a cell edge is off by at most 1 px). Errors:
// id out of range, side_mm <= 0, dpi outside [72, 4800], or fewer than 2 px per cell.
Status RenderMarker(int id, double side_mm, double dpi, const MarkerOptions& options, cv::Mat* out);

// Side in px of the black square that RenderMarker draws: round(side_mm / 25.4 * dpi).
int MarkerSidePx(double side_mm, double dpi);

// One line naming what is looked for, for messages: "DICT_4X4_50 marker of 10.00 mm" or
// "ChArUco board 5x7 of 5.00 mm squares (DICT_4X4_50)".
std::string DescribeTarget(const MarkerOptions& options);

// Renders a printable ChArUco board of options.charuco_squares_x x _y squares of
// charuco_square_mm (each round(square_mm / 25.4 * dpi) px) with markers of `dictionary`,
// surrounded by a white margin of one square. CV_8UC1. Errors: no board in `options`, invalid
// options, dpi outside [72, 4800], fewer than 3 px per marker cell, or over 30000 px a side.
Status RenderCharucoBoard(const MarkerOptions& options, double dpi, cv::Mat* out);

}  // namespace skintrack::calib
