// ChArUco board scale: rendering, then detection of the rendered board seen through a known
// plane homography (tilt, blur, noise), against the exact mm per px at the board centre.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "skintrack/calib/marker.h"
#include "skintrack/core/image.h"

namespace skintrack {
namespace {

calib::MarkerOptions Board5x7() {
  calib::MarkerOptions o;
  o.charuco_squares_x = 5;
  o.charuco_squares_y = 7;
  o.charuco_square_mm = 5.0;
  o.charuco_marker_mm = 3.5;
  return o;
}

// 8 px per mm: a 5 mm square is round(5 / 25.4 * 203.2) = 40 px.
constexpr double kDpi = 8.0 * 25.4;

TEST(CharucoOptionsTest, CheckRejectsBadBoards) {
  calib::MarkerOptions o = Board5x7();
  EXPECT_TRUE(o.Check().ok());
  EXPECT_TRUE(o.UsesBoard());
  EXPECT_FALSE(calib::MarkerOptions().UsesBoard());
  o.charuco_squares_y = 2;
  EXPECT_FALSE(o.Check().ok());
  o = Board5x7();
  o.charuco_marker_mm = 5.0;  // not inside the square
  EXPECT_FALSE(o.Check().ok());
  o = Board5x7();
  o.charuco_squares_x = 11;  // 11 x 7 / 2 = 38 markers: DICT_4X4_50 has them
  EXPECT_TRUE(o.Check().ok());
  o.charuco_squares_x = -5;  // negative is an error, not "no board"
  EXPECT_FALSE(o.Check().ok());
  o.charuco_squares_x = 15;  // 52 markers: more than DICT_4X4_50 holds
  const Status st = o.Check();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("52 markers"), std::string::npos) << st.message();
}

TEST(RenderCharucoBoardTest, ExactSquaresAndMargin) {
  cv::Mat board;
  ASSERT_TRUE(calib::RenderCharucoBoard(Board5x7(), kDpi, &board).ok());
  EXPECT_EQ(board.type(), CV_8UC1);
  EXPECT_EQ(board.cols, 7 * 40);  // 5 squares + a one-square margin each side
  EXPECT_EQ(board.rows, 9 * 40);
  // The margin is white; OpenCV's layout starts with a black square at the top left.
  EXPECT_EQ(board.at<uchar>(20, 20), 255);
  EXPECT_EQ(board.at<uchar>(60, 60), 0);
  EXPECT_EQ(board.at<uchar>(60, 40 + 40 + 2), 255);  // next square: white (a marker's margin)
  cv::Mat none;
  EXPECT_FALSE(calib::RenderCharucoBoard(calib::MarkerOptions(), kDpi, &none).ok());
  EXPECT_FALSE(calib::RenderCharucoBoard(Board5x7(), 20.0, &none).ok());
}

// The board rendered at 8 px/mm is placed into a 1000 x 800 skin-grey photo by `warp`
// (rendered-board px -> photo px); returns the photo (internal form) and the exact mm per px at
// the board centre.
cv::Mat Scene(const cv::Matx33d& warp, double blur_sigma, double noise, double* truth) {
  cv::Mat board;
  EXPECT_TRUE(calib::RenderCharucoBoard(Board5x7(), kDpi, &board).ok());
  cv::Mat photo(800, 1000, CV_8UC1, cv::Scalar(150));
  cv::warpPerspective(board, photo, warp, photo.size(), cv::INTER_CUBIC, cv::BORDER_TRANSPARENT);
  if (blur_sigma > 0) cv::GaussianBlur(photo, photo, cv::Size(), blur_sigma);
  cv::Mat bgr, f;
  cv::cvtColor(photo, bgr, cv::COLOR_GRAY2BGR);
  f = FromBgr8(bgr);
  if (noise > 0) {
    cv::Mat n(f.size(), f.type());
    cv::setRNGSeed(7);
    cv::randn(n, cv::Scalar::all(0), cv::Scalar::all(noise));
    f += n;
    f = cv::min(cv::max(f, 0.0), 1.0);
  }
  // Board mm -> rendered px (pixel centres at integers; the board starts after a 40 px
  // margin) -> photo px.
  const cv::Matx33d board_px(8, 0, 39.5, 0, 8, 39.5, 0, 0, 1);
  const cv::Matx33d h = warp * board_px;
  const cv::Vec3d c(12.5, 17.5, 1.0);  // board centre, mm
  const double w = (h * c)[2];
  *truth = 1.0 / std::sqrt(std::abs(cv::determinant(h) / (w * w * w)));
  return f;
}

TEST(DetectCharucoScaleTest, FrontoParallelRoundTrip) {
  double truth = 0;
  const cv::Matx33d warp(2.0, 0, 150, 0, 2.0, 30, 0, 0, 1);  // 16 px/mm, board 560 x 720 px
  const cv::Mat photo = Scene(warp, 0.0, 0.0, &truth);
  EXPECT_NEAR(truth, 1.0 / 16.0, 1e-12);
  calib::MarkerScale m;
  ASSERT_TRUE(calib::DetectMarkerScale(photo, Board5x7(), &m).ok());
  ASSERT_TRUE(m.found);
  EXPECT_TRUE(m.board);
  EXPECT_EQ(m.n_corners, 4 * 6);  // every inner chessboard corner
  EXPECT_EQ(m.n_markers, 17);     // floor(5 x 7 / 2)
  EXPECT_EQ(m.id, 0);
  EXPECT_NEAR(m.mm_per_px / truth, 1.0, 0.0002) << m.mm_per_px / truth - 1.0;
  EXPECT_LT(m.fit_residual_px, 0.3);
  EXPECT_NEAR(m.side_px, 5.0 / m.mm_per_px, 1e-9);
  // Board centre (12.5, 17.5) mm -> photo px.
  EXPECT_NEAR(m.centre.x, 2.0 * (8 * 12.5 + 39.5) + 150, 0.25);
  EXPECT_NEAR(m.centre.y, 2.0 * (8 * 17.5 + 39.5) + 30, 0.25);
}

TEST(DetectCharucoScaleTest, ScaleUnderTiltBlurAndNoise) {
  double truth = 0;
  // Rotated 20 deg, foreshortened by a perspective row (keystone), ~19 px/mm.
  const double a = 20.0 * CV_PI / 180.0, s = 2.4;
  const cv::Matx33d warp(s * std::cos(a), -s * std::sin(a), 400, s * std::sin(a), s * std::cos(a),
                         30, 0.0002, 0.0001, 1);
  const cv::Mat photo = Scene(warp, 1.0, 0.01, &truth);
  calib::MarkerScale m;
  ASSERT_TRUE(calib::DetectMarkerScale(photo, Board5x7(), &m).ok());
  ASSERT_TRUE(m.found);
  EXPECT_GE(m.n_corners, 20);
  EXPECT_NEAR(m.mm_per_px / truth, 1.0, 0.0005) << m.mm_per_px / truth - 1.0;
  EXPECT_LT(m.fit_residual_px, 0.5);
}

// Markers nearly filling their squares (4.5 of 5 mm: a 0.25 mm white margin, 2 px here): the
// corner refinement window stays inside the margin, so the marker edges do not pull it.
TEST(DetectCharucoScaleTest, ThinMarginBoard) {
  calib::MarkerOptions o = Board5x7();
  o.charuco_marker_mm = 4.5;
  cv::Mat board;
  ASSERT_TRUE(calib::RenderCharucoBoard(o, kDpi, &board).ok());
  cv::Mat photo(800, 1000, CV_8UC1, cv::Scalar(150));
  const cv::Matx33d warp(2.0, 0, 150, 0, 2.0, 30, 0, 0, 1);  // 16 px/mm
  cv::warpPerspective(board, photo, warp, photo.size(), cv::INTER_CUBIC, cv::BORDER_TRANSPARENT);
  cv::Mat bgr;
  cv::cvtColor(photo, bgr, cv::COLOR_GRAY2BGR);
  calib::MarkerScale m;
  ASSERT_TRUE(calib::DetectMarkerScale(FromBgr8(bgr), o, &m).ok());
  ASSERT_TRUE(m.found);
  EXPECT_NEAR(m.mm_per_px * 16.0, 1.0, 0.0005) << m.mm_per_px * 16.0 - 1.0;
}

TEST(DetectCharucoScaleTest, NoBoardAndSingleMarkerModeIgnoreEachOther) {
  double truth = 0;
  const cv::Mat photo = Scene(cv::Matx33d(2.0, 0, 150, 0, 2.0, 30, 0, 0, 1), 0, 0, &truth);
  // With the board options the photo is read as a board; in single-marker mode (the default
  // options) the same photo never is: at most one of its markers, taken for a 10 mm marker.
  calib::MarkerScale board;
  ASSERT_TRUE(calib::DetectMarkerScale(photo, Board5x7(), &board).ok());
  EXPECT_TRUE(board.board);
  calib::MarkerScale single;
  ASSERT_TRUE(calib::DetectMarkerScale(photo, calib::MarkerOptions(), &single).ok());
  EXPECT_FALSE(single.board);
  EXPECT_EQ(single.n_corners, 0);
  if (single.found) {
    EXPECT_GT(std::abs(single.mm_per_px / truth - 1.0), 0.5);
  }
  // A blank photo has no board.
  const cv::Mat blank(600, 800, kImageType, cv::Scalar::all(0.5));
  calib::MarkerScale none;
  ASSERT_TRUE(calib::DetectMarkerScale(blank, Board5x7(), &none).ok());
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.n_corners, 0);
}

}  // namespace
}  // namespace skintrack
