// ArUco scale markers: rendering, detection and scale against the phantom's exact truth.
#include "skintrack/calib/marker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>

#include "skintrack/core/image.h"
#include "skintrack/phantom/phantom.h"

namespace skintrack {
namespace {

// A phantom before photo with a marker of `side_mm` at 20 px/mm, seen through `capture`.
phantom::PhantomPair MarkerPhantom(const phantom::CaptureOptions& capture, double side_mm,
                                   double quiet_zone_cells = 1.0, std::uint64_t seed = 3) {
  phantom::PhantomOptions o;
  o.width = 960;
  o.height = 720;
  o.seed = seed;
  o.skin.redness_count = 1;
  o.skin.scar_count = 2;
  o.before_capture = capture;
  o.after_capture = capture;
  o.marker.side_mm = side_mm;
  o.marker.quiet_zone_cells = quiet_zone_cells;
  o.marker.id = 7;
  o.marker.centre_x_fraction = 0.3;
  o.marker.centre_y_fraction = 0.35;
  phantom::PhantomPair pair;
  const Status st = phantom::RenderPair(o, &pair);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return pair;
}

// Image-from-skin pose of the 960 x 720 marker phantoms: a rotation by `deg` about the image
// centre, then a keystone of `keystone` (projective terms keystone / 480, keystone / 360).
cv::Matx33d CentredPose(double deg, double keystone = 0.0) {
  const double cx = 479.5, cy = 359.5, r = deg * CV_PI / 180.0;
  const cv::Matx33d t0(1, 0, -cx, 0, 1, -cy, 0, 0, 1), t1(1, 0, cx, 0, 1, cy, 0, 0, 1);
  const cv::Matx33d rot(std::cos(r), -std::sin(r), 0, std::sin(r), std::cos(r), 0, 0, 0, 1);
  const cv::Matx33d key(1, 0, 0, 0, 1, 0, keystone / 480.0, keystone / 360.0, 1);
  return t1 * key * rot * t0;
}

// Relative error of a measured mm/px against the truth px/mm.
double ScaleError(const calib::MarkerScale& m, double true_px_per_mm) {
  return std::abs(m.mm_per_px * true_px_per_mm - 1.0);
}

double MaxCornerError(const calib::MarkerScale& m, const phantom::TruthMarker& t) {
  double e = 0.0;
  for (int k = 0; k < 4; ++k) e = std::max(e, cv::norm(m.corners[k] - t.corners_before[k]));
  return e;
}

TEST(MarkerOptionsTest, CheckRejectsBadValues) {
  calib::MarkerOptions o;
  EXPECT_TRUE(o.Check().ok());
  o.dictionary = "DICT_4X4_51";
  EXPECT_EQ(o.Check().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(o.Check().message().find("DICT_4X4_51"), std::string::npos);
  o = calib::MarkerOptions();
  o.side_mm = 0.0;
  EXPECT_FALSE(o.Check().ok());
  o = calib::MarkerOptions();
  o.min_marker_distance_rate = -0.1;
  EXPECT_FALSE(o.Check().ok());
  o = calib::MarkerOptions();
  o.refine_profile_cells = 0.6;  // would reach the inner bits
  EXPECT_FALSE(o.Check().ok());
}

TEST(RenderMarkerTest, ExactPixelSizeAndCells) {
  calib::MarkerOptions o;
  cv::Mat img;
  ASSERT_TRUE(calib::RenderMarker(3, 10.0, 600.0, o, &img).ok());
  const int side = calib::MarkerSidePx(10.0, 600.0);
  EXPECT_EQ(side, 236);  // 10 / 25.4 * 600 = 236.2
  const int quiet = static_cast<int>(std::lround(side / 6.0));
  ASSERT_EQ(img.type(), CV_8UC1);
  EXPECT_EQ(img.cols, side + 2 * quiet);
  EXPECT_EQ(img.rows, img.cols);
  // White quiet zone all round, black border exactly `side` px wide.
  EXPECT_EQ(cv::countNonZero(img.row(quiet - 1) == 255), img.cols);
  EXPECT_EQ(cv::countNonZero(img.row(img.rows - quiet) == 255), img.cols);
  EXPECT_EQ(cv::countNonZero(img.row(quiet)(cv::Rect(quiet, 0, side, 1)) == 0), side);
  EXPECT_EQ(img.at<uchar>(quiet, quiet + side), 255);
  EXPECT_EQ(img.at<uchar>(quiet + side - 1, quiet + side - 1), 0);
  // The cells are those of the dictionary.
  cv::Mat cells, small;
  ASSERT_TRUE(calib::MarkerCells(3, o, &cells).ok());
  cv::resize(img(cv::Rect(quiet, quiet, side, side)), small, cells.size(), 0, 0, cv::INTER_AREA);
  cv::threshold(small, small, 127, 255, cv::THRESH_BINARY);
  EXPECT_EQ(cv::countNonZero(small != cells), 0);

  EXPECT_FALSE(calib::RenderMarker(50, 10.0, 600.0, o, &img).ok());  // DICT_4X4_50: 0..49
  EXPECT_FALSE(calib::RenderMarker(-1, 10.0, 600.0, o, &img).ok());
  EXPECT_FALSE(calib::RenderMarker(0, 0.0, 600.0, o, &img).ok());
  EXPECT_FALSE(calib::RenderMarker(0, 10.0, 10.0, o, &img).ok());
  EXPECT_FALSE(calib::RenderMarker(0, 0.5, 72.0, o, &img).ok());  // < 2 px per cell
}

// The printable image, scanned back at its own resolution, measures 25.4 / dpi mm per px.
// DetectMarkerScale on a grey page (8-bit) with markers printed at 600 dpi in mind: side_mm is
// the printed side of a 10 mm marker at 600 dpi.
calib::MarkerScale DetectOnPage(const cv::Mat& page, calib::MarkerOptions o) {
  cv::Mat bgr;
  cv::cvtColor(page, bgr, cv::COLOR_GRAY2BGR);
  o.side_mm = calib::MarkerSidePx(10.0, 600.0) / 600.0 * 25.4;
  calib::MarkerScale m;
  EXPECT_TRUE(calib::DetectMarkerScale(FromBgr8(bgr), o, &m).ok());
  return m;
}

TEST(DetectMarkerScaleTest, RenderedMarkerRoundTrip) {
  calib::MarkerOptions o;
  cv::Mat img;
  ASSERT_TRUE(calib::RenderMarker(11, 10.0, 600.0, o, &img).ok());
  cv::Mat page(img.rows + 200, img.cols + 200, CV_8UC1, cv::Scalar(150));
  img.copyTo(page(cv::Rect(100, 100, img.cols, img.rows)));
  const calib::MarkerScale m = DetectOnPage(page, o);
  ASSERT_TRUE(m.found);
  EXPECT_EQ(m.id, 11);
  EXPECT_EQ(m.n_markers, 1);
  EXPECT_NEAR(m.mm_per_px * 600.0 / 25.4, 1.0, 0.002);
  EXPECT_LT(m.fit_residual_px, 0.2);
  // Outer corner of the black square: pixel edge at 100 + quiet - 0.5.
  const double q = 100 + (img.cols - calib::MarkerSidePx(10.0, 600.0)) / 2 - 0.5;
  EXPECT_NEAR(m.corners[0].x, q, 0.2);
  EXPECT_NEAR(m.corners[0].y, q, 0.2);
  EXPECT_NEAR(m.side_px, calib::MarkerSidePx(10.0, 600.0), 0.5);  // the mean of the 4 sides
}

TEST(DetectMarkerScaleTest, TheLargestOfTwoMarkersGivesTheScale) {
  // Markers 3 (printed at 300 dpi) and 11 (600 dpi, twice the px) on one page: the larger, more
  // precise one is reported, whichever comes first in id order.
  calib::MarkerOptions o;
  cv::Mat small, large;
  ASSERT_TRUE(calib::RenderMarker(3, 10.0, 300.0, o, &small).ok());
  ASSERT_TRUE(calib::RenderMarker(11, 10.0, 600.0, o, &large).ok());
  cv::Mat page(large.rows + 200, large.cols + small.cols + 300, CV_8UC1, cv::Scalar(150));
  small.copyTo(page(cv::Rect(100, 100, small.cols, small.rows)));
  large.copyTo(page(cv::Rect(small.cols + 200, 100, large.cols, large.rows)));
  const calib::MarkerScale m = DetectOnPage(page, o);
  ASSERT_TRUE(m.found);
  EXPECT_EQ(m.n_markers, 2);
  EXPECT_EQ(m.id, 11);
  EXPECT_NEAR(m.mm_per_px * 600.0 / 25.4, 1.0, 0.002);
}

TEST(DetectMarkerScaleTest, NoMarkerIsNotFound) {
  phantom::PhantomPair p = MarkerPhantom(phantom::CaptureOptions(), 0.0);
  calib::MarkerScale m;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, calib::MarkerOptions(), &m).ok());
  EXPECT_FALSE(m.found);
  EXPECT_EQ(m.id, -1);
  EXPECT_EQ(m.n_markers, 0);
  EXPECT_EQ(m.mm_per_px, 0.0);
}

TEST(DetectMarkerScaleTest, WrongDictionaryIsNotFound) {
  phantom::PhantomPair p = MarkerPhantom(phantom::CaptureOptions(), 8.0);
  calib::MarkerOptions o;
  o.dictionary = "DICT_6X6_250";
  calib::MarkerScale m;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &m).ok());
  EXPECT_FALSE(m.found);
}

TEST(DetectMarkerScaleTest, RejectsBadInput) {
  calib::MarkerScale m;
  EXPECT_EQ(calib::DetectMarkerScale(cv::Mat(), calib::MarkerOptions(), &m).code(),
            StatusCode::kInvalidInput);
  calib::MarkerOptions bad;
  bad.side_mm = -1.0;
  EXPECT_EQ(
      calib::DetectMarkerScale(cv::Mat(100, 100, CV_32FC3, cv::Scalar::all(0.5)), bad, &m).code(),
      StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      calib::DetectMarkerScale(cv::Mat(100, 100, CV_8UC3), calib::MarkerOptions(), &m).ok());
}

struct Case {
  const char* name;
  double keystone;  // perspective coefficient (x and y), fraction per half size
  double rotation_deg, blur, exposure;
  int jpeg;
};

// Tilt (perspective), rotation, blur, JPEG and exposure: px/mm within 0.5 % of the truth at the
// marker centre and corners within 0.5 px.
TEST(DetectMarkerScaleTest, ScaleUnderTiltBlurJpegExposure) {
  const Case cases[] = {
      {"fronto", 0.0, 0.0, 0.0, 1.0, 0},      {"tilt", 0.08, 17.0, 0.0, 1.0, 0},
      {"tilt+blur", 0.06, -9.0, 2.0, 1.0, 0}, {"tilt+jpeg", -0.07, 25.0, 0.8, 1.0, 75},
      {"dark", 0.05, 5.0, 1.0, 0.55, 85},     {"bright", -0.05, -30.0, 1.0, 1.45, 85},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    phantom::CaptureOptions cap;
    cap.image_from_skin = CentredPose(c.rotation_deg, c.keystone);
    cap.blur_sigma_px = c.blur;
    cap.exposure = c.exposure;
    cap.jpeg_quality = c.jpeg;
    cap.noise_sigma = 0.003;
    const phantom::PhantomPair p = MarkerPhantom(cap, 8.0);
    calib::MarkerOptions o;
    o.side_mm = 8.0;
    calib::MarkerScale m;
    ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &m).ok());
    ASSERT_TRUE(m.found);
    EXPECT_EQ(m.id, 7);
    EXPECT_LT(ScaleError(m, p.truth.marker.px_per_mm_before), 0.005)
        << "measured " << 1.0 / m.mm_per_px << " px/mm, truth " << p.truth.marker.px_per_mm_before;
    EXPECT_LT(MaxCornerError(m, p.truth.marker), 0.5);
    EXPECT_LT(cv::norm(m.centre - p.truth.marker.centre_before), 0.5);
    if (c.keystone == 0.0) {
      EXPECT_LT(m.fit_residual_px, 0.2);
    }
  }
}

// A thin white quiet zone (a quarter cell, ~7 px) is still found (minMarkerDistanceRate 0.01)
// and measured without the border's larger duplicate.
TEST(DetectMarkerScaleTest, ThinWhiteBorder) {
  for (const double quiet : {0.25, 0.5}) {
    SCOPED_TRACE(quiet);
    phantom::CaptureOptions cap;
    cap.noise_sigma = 0.003;
    cap.blur_sigma_px = 0.7;
    const phantom::PhantomPair p = MarkerPhantom(cap, 8.0, quiet);
    calib::MarkerOptions o;
    o.side_mm = 8.0;
    calib::MarkerScale m;
    ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &m).ok());
    ASSERT_TRUE(m.found);
    EXPECT_EQ(m.n_markers, 1);
    EXPECT_LT(ScaleError(m, p.truth.marker.px_per_mm_before), 0.005);
  }
}

// Marker id 0, 10 mm at 20 px/mm in the default 1600x1200 phantom: detectMarkers also decodes
// a smaller quad inside the marker (~12 px inside each corner) as id 0. METHODS.md's "keep the
// smallest" would take it (11 % scale error); the edge-step rule keeps the true outline.
TEST(DetectMarkerScaleTest, InnerDuplicateIsNotChosen) {
  phantom::PhantomOptions o;
  o.seed = 3;
  o.before_capture.noise_sigma = o.after_capture.noise_sigma = 0.003;
  o.before_capture.jpeg_quality = o.after_capture.jpeg_quality = 85;
  o.marker.side_mm = 10.0;
  phantom::PhantomPair p;
  ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
  calib::MarkerScale m;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, calib::MarkerOptions(), &m).ok());
  ASSERT_TRUE(m.found);
  EXPECT_EQ(m.id, 0);
  EXPECT_LT(MaxCornerError(m, p.truth.marker), 0.5);
  EXPECT_LT(ScaleError(m, p.truth.marker.px_per_mm_before), 0.005);
}

// Without the sub-pixel refinement the corners are only pixel-accurate: the refinement must
// matter (guards against a refinement that silently does nothing).
TEST(DetectMarkerScaleTest, RefinementImprovesCorners) {
  phantom::CaptureOptions cap;
  const double r = 0.2;
  cap.image_from_skin =
      cv::Matx33d(std::cos(r), -std::sin(r), 120, std::sin(r), std::cos(r), -60, 0, 0, 1);
  cap.blur_sigma_px = 1.2;
  const phantom::PhantomPair p = MarkerPhantom(cap, 8.0);
  calib::MarkerOptions o;
  o.side_mm = 8.0;
  calib::MarkerScale refined, raw;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &refined).ok());
  o.refine_corners = false;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &raw).ok());
  ASSERT_TRUE(refined.found && raw.found);
  EXPECT_LT(MaxCornerError(refined, p.truth.marker), 0.25);
  EXPECT_GT(MaxCornerError(raw, p.truth.marker), MaxCornerError(refined, p.truth.marker));
}

TEST(DetectMarkerScaleTest, Deterministic) {
  phantom::CaptureOptions cap;
  cap.noise_sigma = 0.004;
  const phantom::PhantomPair p = MarkerPhantom(cap, 8.0);
  calib::MarkerOptions o;
  o.side_mm = 8.0;
  calib::MarkerScale a, b;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &a).ok());
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &b).ok());
  ASSERT_TRUE(a.found);
  EXPECT_EQ(a.mm_per_px, b.mm_per_px);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(a.corners[k], b.corners[k]);
}

// The marker scale is the side option divided by the measured side: a wrong --marker-mm gives
// a proportionally wrong scale (the option is used, not ignored).
TEST(DetectMarkerScaleTest, ScaleFollowsSideOption) {
  const phantom::PhantomPair p = MarkerPhantom(phantom::CaptureOptions(), 8.0);
  calib::MarkerOptions o;
  o.side_mm = 8.0;
  calib::MarkerScale a, b;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &a).ok());
  o.side_mm = 10.0;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &b).ok());
  ASSERT_TRUE(a.found && b.found);
  EXPECT_NEAR(b.mm_per_px / a.mm_per_px, 1.25, 1e-9);
}

// The search at reduced resolution (search_max_side_px) finds the marker that the full
// resolution search finds and, with the corners refined at full resolution, measures the same
// scale: here a 960 x 720 photo searched at 480 x 360 (the 8 mm marker is ~80 search px).
TEST(DetectMarkerScaleTest, ReducedSearchMatchesFullResolution) {
  phantom::CaptureOptions cap;
  cap.image_from_skin = CentredPose(12.0);
  cap.blur_sigma_px = 1.0;
  cap.noise_sigma = 0.003;
  const phantom::PhantomPair p = MarkerPhantom(cap, 8.0);
  calib::MarkerOptions o;
  o.side_mm = 8.0;
  o.search_max_side_px = 0;
  calib::MarkerScale full, reduced;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &full).ok());
  o.search_max_side_px = 480;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &reduced).ok());
  ASSERT_TRUE(full.found && reduced.found);
  EXPECT_EQ(reduced.id, 7);
  EXPECT_LT(ScaleError(reduced, p.truth.marker.px_per_mm_before), 0.005);
  EXPECT_NEAR(reduced.mm_per_px / full.mm_per_px, 1.0, 5e-4);
  EXPECT_LT(MaxCornerError(reduced, p.truth.marker), 0.5);
  // Without refinement the corners are the search's (unrefined quad), mapped back: within
  // 1.5 search px (3 px here).
  o.refine_corners = false;
  calib::MarkerScale coarse;
  ASSERT_TRUE(calib::DetectMarkerScale(p.before, o, &coarse).ok());
  ASSERT_TRUE(coarse.found);
  EXPECT_LT(MaxCornerError(coarse, p.truth.marker), 3.0);
  // Out-of-range search sizes are refused.
  o.search_max_side_px = 10;
  EXPECT_FALSE(calib::DetectMarkerScale(p.before, o, &coarse).ok());
}

}  // namespace
}  // namespace skintrack
