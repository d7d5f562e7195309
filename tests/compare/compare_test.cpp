// CompareOptions validation and ComparePair: sizes, scale source, and error paths.
#include "skintrack/compare/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <utility>

#include "skintrack/core/image.h"
#include "skintrack/phantom/phantom.h"

namespace skintrack::compare {
namespace {

TEST(CompareOptionsTest, DefaultsPassCheckAndHaveNoScale) {
  const CompareOptions o;
  EXPECT_TRUE(o.Check().ok()) << o.Check().ToString();
  EXPECT_FALSE(o.mm_per_px.has_value());
  EXPECT_EQ(o.align.working_long_side, align::AlignOptions().working_long_side);
}

TEST(CompareOptionsTest, RejectsNonPositiveOrAbsurdScale) {
  for (double bad : {0.0, -1.0, -0.05, 100.0, 1e9, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    CompareOptions o;
    o.mm_per_px = bad;
    const Status st = o.Check();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("mm-per-px"), std::string::npos) << st.message();
  }
  for (double good : {0.05, 1e-4, 99.0}) {
    CompareOptions o;
    o.mm_per_px = good;
    EXPECT_TRUE(o.Check().ok()) << good;
  }
}

TEST(CompareOptionsTest, BadAlignOptionsFail) {
  CompareOptions o;
  o.align.ratio_test = 1.5;
  EXPECT_EQ(o.Check().code(), StatusCode::kInvalidArgument);
}

// A small phantom pair (400x300) with a mild known shift.
phantom::PhantomPair SmallPair() {
  phantom::PhantomOptions o;
  o.width = 400;
  o.height = 300;
  o.seed = 3;
  o.after_capture.image_from_skin = cv::Matx33d(1, 0, 6, 0, 1, -4, 0, 0, 1);
  phantom::PhantomPair pair;
  EXPECT_TRUE(phantom::RenderPair(o, &pair).ok());
  return pair;
}

// Hand-computed: the aligned after photo is clamped to [0, 1] and, outside the overlap,
// takes the before photo times the per-channel after / before mean ratio over the overlap.
TEST(PrepareAlignedAfterTest, ClampsAndFillsOutsideTheOverlap) {
  const cv::Mat before(4, 6, CV_32FC3, cv::Scalar(0.2, 0.4, 0.5));
  cv::Mat after(4, 6, CV_32FC3, cv::Scalar(0.3, 0.2, 0.5));
  after.at<cv::Vec3f>(0, 0) = cv::Vec3f(1.2f, -0.1f, 0.5f);  // cubic overshoot
  cv::Mat overlap(4, 6, CV_8UC1, cv::Scalar(255));
  overlap.colRange(4, 6).setTo(0);
  after.colRange(4, 6).setTo(0);  // the warp's black border
  PrepareAlignedAfter(before, overlap, &after);
  EXPECT_EQ(after.at<cv::Vec3f>(0, 0), cv::Vec3f(1.0f, 0.0f, 0.5f));
  // Overlap means after clamping: B (1.0 + 15 x 0.3) / 16, G (0 + 15 x 0.2) / 16, R 0.5.
  const double gb = (1.0 + 15 * 0.3) / 16 / 0.2, gg = (15 * 0.2) / 16 / 0.4, gr = 1.0;
  const cv::Vec3f filled = after.at<cv::Vec3f>(2, 5);
  EXPECT_NEAR(filled[0], 0.2 * gb, 1e-6);
  EXPECT_NEAR(filled[1], 0.4 * gg, 1e-6);
  EXPECT_NEAR(filled[2], 0.5 * gr, 1e-6);
  EXPECT_EQ(after.at<cv::Vec3f>(3, 3), cv::Vec3f(0.3f, 0.2f, 0.5f));  // inside: untouched
}

// A uniform grey pair (before 0.5, after 0.4) warped for measuring by the translation +
// scale `after_to_before`: both warps must be uniform everywhere (the fill outside the overlap
// is the before photo times the after / before ratio, 0.4); the texture's plane is the linear
// luminance, sRGB 0.4 decoding to ((0.4 + 0.055) / 1.055)^2.4 = 0.13287.
cv::Mat ExpectUniformWarps(cv::Size after_size, const cv::Matx33d& after_to_before) {
  const cv::Mat before(80, 100, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  const cv::Mat after(after_size, CV_32FC3, cv::Scalar(0.4, 0.4, 0.4));
  align::AlignmentResult a;
  a.status = align::AlignmentStatus::kOk;
  a.after_to_before = after_to_before;
  cv::Mat aligned, texture, overlap;
  EXPECT_TRUE(WarpForMeasuring(before, after, a, &aligned, &texture, &overlap).ok());
  EXPECT_EQ(texture.type(), CV_32FC1);
  const double y = std::pow((0.4 + 0.055) / 1.055, 2.4);
  for (const auto& [m, v] : {std::pair<const cv::Mat*, double>{&aligned, 0.4}, {&texture, y}}) {
    double lo = 0, hi = 0;
    cv::minMaxLoc(m->reshape(1), &lo, &hi);
    EXPECT_NEAR(lo, v, 1e-5);
    EXPECT_NEAR(hi, v, 1e-5);
  }
  return overlap;
}

// A uniform pair shifted by a fractional offset: the warp's outermost pixels blend taps
// outside the after photo (read as 0), a dark strip along the overlap's edge that the line
// filters saw as a line in the after photo only. The overlap leaves out the kernels' reach,
// and the fill replaces the strip: both warps are uniform everywhere.
TEST(WarpForMeasuringTest, NoDarkStripAlongTheOverlapEdge) {
  const cv::Mat overlap =
      ExpectUniformWarps(cv::Size(100, 80), cv::Matx33d(1, 0, 10.5, 0, 1, 7.5, 0, 0, 1));
  // Before x reads after x - 10.5: the nearest after pixel (cvRound, half to even) lies inside
  // from x = 10 (y = 7); the overlap starts 4 px further in.
  EXPECT_EQ(overlap.at<uchar>(40, 13), 0);
  EXPECT_EQ(overlap.at<uchar>(40, 14), 255);
  EXPECT_EQ(overlap.at<uchar>(10, 50), 0);
  EXPECT_EQ(overlap.at<uchar>(11, 50), 255);
}

// The same on one channel (the texture's luminance plane): clamped, and outside the overlap
// the before plane times the after / before mean ratio over the overlap.
TEST(PrepareAlignedAfterTest, OneChannelPlane) {
  const cv::Mat before(4, 6, CV_32FC1, cv::Scalar(0.2));
  cv::Mat after(4, 6, CV_32FC1, cv::Scalar(0.3));
  after.at<float>(0, 0) = -0.1f;  // Lanczos undershoot
  cv::Mat overlap(4, 6, CV_8UC1, cv::Scalar(255));
  overlap.colRange(4, 6).setTo(0);
  after.colRange(4, 6).setTo(0);
  PrepareAlignedAfter(before, overlap, &after);
  EXPECT_EQ(after.at<float>(0, 0), 0.0f);
  const double gain = (15 * 0.3) / 16 / 0.2;  // overlap mean after clamping / before mean
  EXPECT_NEAR(after.at<float>(2, 5), 0.2 * gain, 1e-6);
  EXPECT_EQ(after.at<float>(3, 3), 0.3f);
}

// An after photo of half the resolution (each after px covers 2 before px): the kernel's
// reach is 4 after px = 8 before px, and the overlap leaves all of it out, so both warps are
// uniform here too.
TEST(WarpForMeasuringTest, ReachScalesWithTheAfterPhotosResolution) {
  const cv::Mat overlap =
      ExpectUniformWarps(cv::Size(50, 40), cv::Matx33d(2, 0, 10.5, 0, 2, 7.5, 0, 0, 1));
  EXPECT_GT(cv::countNonZero(overlap), 0);
}

// Bad photos are a Status, not an exception; an empty overlap fills everything with the
// before photo (gain 1).
TEST(WarpForMeasuringTest, BadPhotosAndAnEmptyOverlap) {
  const cv::Mat before(80, 100, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  align::AlignmentResult a;
  a.status = align::AlignmentStatus::kOk;
  cv::Mat aligned, texture, overlap;
  EXPECT_EQ(WarpForMeasuring(before, cv::Mat(), a, &aligned, &texture, &overlap).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(WarpForMeasuring(before, cv::Mat(80, 100, CV_8UC3, cv::Scalar::all(9)), a, &aligned,
                             &texture, &overlap)
                .code(),
            StatusCode::kInvalidArgument);
  SessionMetrics session;
  EXPECT_EQ(CompareMetrics(cv::Mat(), before, a, cv::Mat(), std::nullopt, metrics::MetricsOptions(),
                           &session)
                .code(),
            StatusCode::kInvalidArgument);
  cv::Mat after(80, 100, CV_32FC3, cv::Scalar(0.0, 0.0, 0.0));
  PrepareAlignedAfter(before, cv::Mat::zeros(80, 100, CV_8UC1), &after);
  double lo = 0, hi = 0;
  cv::minMaxLoc(after.reshape(1), &lo, &hi);
  EXPECT_NEAR(lo, 0.5, 1e-6);
  EXPECT_NEAR(hi, 0.5, 1e-6);
}

// Photos named known finite (core/image.h) measure as unnamed ones do. The images derived
// inside are known only while CompareMetrics runs; the after photo is forgotten (so that one
// moved in is freed after its warp, not held by the caller's scope), the before photo not.
TEST(CompareMetricsTest, KnownFinitePhotosMeasureAlikeAndTheAfterPhotoIsForgotten) {
  const phantom::PhantomPair p = SmallPair();
  align::AlignmentResult a;
  a.status = align::AlignmentStatus::kOk;
  a.after_to_before = p.truth.after_to_before;
  SessionMetrics plain, named;
  ASSERT_TRUE(
      CompareMetrics(p.before, p.after, a, cv::Mat(), 0.05, metrics::MetricsOptions(), &plain)
          .ok());
  const cv::Mat after_header = p.after;
  {
    const FiniteImageScope known{p.before, p.after};
    ASSERT_TRUE(
        CompareMetrics(p.before, p.after, a, cv::Mat(), 0.05, metrics::MetricsOptions(), &named)
            .ok());
    EXPECT_TRUE(IsKnownFinite(p.before));
    EXPECT_FALSE(IsKnownFinite(after_header));
    EXPECT_FALSE(IsKnownFinite(named.aligned_after));
    EXPECT_EQ(after_header.u->refcount, 2);  // p.after and after_header: the scope let go
  }
  EXPECT_EQ(cv::norm(plain.aligned_after, named.aligned_after, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(plain.texture_after, named.texture_after, cv::NORM_INF), 0.0);
  for (const auto& [x, y] :
       {std::pair{&plain.before, &named.before}, std::pair{&plain.after, &named.after}}) {
    EXPECT_GT(x->pores.count, 0);
    EXPECT_EQ(x->pores.count, y->pores.count);
    EXPECT_EQ(x->wrinkles.length_px, y->wrinkles.length_px);
    EXPECT_EQ(x->texture.roughness, y->texture.roughness);
    EXPECT_EQ(x->redness.a_star_mean, y->redness.a_star_mean);
  }
}

TEST(ComparePairTest, FillsSizesAlignmentAndUserScale) {
  const phantom::PhantomPair p = SmallPair();
  cv::Mat after_small;
  cv::resize(p.after, after_small, cv::Size(360, 270), 0, 0, cv::INTER_AREA);
  CompareOptions o;
  o.mm_per_px = 0.05;
  CompareResult r;
  r.before.path = "kept.jpg";
  ASSERT_TRUE(ComparePair(p.before, after_small, o, &r).ok());
  EXPECT_EQ(r.before.width, 400);
  EXPECT_EQ(r.before.height, 300);
  EXPECT_EQ(r.after.width, 360);
  EXPECT_EQ(r.after.height, 270);
  ASSERT_TRUE(r.scale.mm_per_px.has_value());
  EXPECT_DOUBLE_EQ(*r.scale.mm_per_px, 0.05);
  EXPECT_EQ(r.scale.source, "user");
  EXPECT_NE(r.alignment.status, align::AlignmentStatus::kFailed) << r.alignment.reason;
  // The homography is in the given images' px: after_small (x, y) is full after
  // ((x + 0.5) / 0.9 - 0.5, (y + 0.5) / 0.9 - 0.5), which the truth maps to before.
  const double x = 180, y = 135;
  const cv::Vec3d q = r.alignment.after_to_before * cv::Vec3d(x, y, 1);
  const cv::Vec3d t =
      p.truth.after_to_before * cv::Vec3d((x + 0.5) / 0.9 - 0.5, (y + 0.5) / 0.9 - 0.5, 1);
  EXPECT_NEAR(q[0] / q[2], t[0] / t[2], 0.5);
  EXPECT_NEAR(q[1] / q[2], t[1] / t[2], 0.5);
}

TEST(ComparePairTest, NoScaleMeansSourceNone) {
  const phantom::PhantomPair p = SmallPair();
  CompareResult r;
  r.scale.mm_per_px = 1.0;  // stale values are reset
  r.scale.source = "user";
  ASSERT_TRUE(ComparePair(p.before, p.after, CompareOptions(), &r).ok());
  EXPECT_FALSE(r.scale.mm_per_px.has_value());
  EXPECT_EQ(r.scale.source, "none");
}

// The early scale callback: called with exactly the scale the result reports whenever that
// scale does not depend on the alignment (also when the alignment fails, and for photos
// loaded at a reduced size, whose marker scale is carried to full-size px), and not called
// when only the after photo shows the marker (the scale is carried through the alignment) or
// the arguments are invalid.
TEST(ComparePairTest, EarlyScaleEqualsTheResultsScaleOrIsNotGiven) {
  struct Case {
    const char* what;
    double marker_mm;  // 0 = no marker
    bool in_before, in_after;
    std::optional<double> user;
    bool detect;
    bool expect_call;
    double load_scale = 1.0;  // photos given at this fraction of their full size
    bool other_skin = false;  // the after photo of different skin: alignment fails
  };
  const Case cases[] = {
      {"user scale", 0, false, false, 0.05, true, true},
      {"no marker search", 0, false, false, std::nullopt, false, true},
      {"no marker", 0, false, false, std::nullopt, true, true},
      {"marker in before", 8, true, false, std::nullopt, true, true},
      {"marker in both", 8, true, true, std::nullopt, true, true},
      {"marker in after only", 8, false, true, std::nullopt, true, false},
      {"marker in before, half-size load", 8, true, false, std::nullopt, true, true, 0.5},
      {"marker in before, alignment fails", 8, true, false, std::nullopt, true, true, 1.0, true},
  };
  for (const Case& c : cases) {
    phantom::PhantomOptions po;
    po.width = 640;
    po.height = 480;
    po.seed = 5;
    po.after_capture.image_from_skin = cv::Matx33d(1, 0, 6, 0, 1, -4, 0, 0, 1);
    po.marker.side_mm = c.marker_mm;
    po.marker.in_before = c.in_before;
    po.marker.in_after = c.in_after;
    phantom::PhantomPair p;
    ASSERT_TRUE(phantom::RenderPair(po, &p).ok()) << c.what;
    if (c.other_skin) {
      phantom::PhantomOptions other = po;
      other.seed = 77;
      other.marker.side_mm = 0;
      phantom::PhantomPair q;
      ASSERT_TRUE(phantom::RenderPair(other, &q).ok()) << c.what;
      p.after = q.after;
    }
    LoadedPair pair;
    pair.before.full_size = p.before.size();
    pair.after.full_size = p.after.size();
    pair.before.scale = pair.after.scale = c.load_scale;
    cv::resize(p.before, pair.before.image, cv::Size(), c.load_scale, c.load_scale, cv::INTER_AREA);
    cv::resize(p.after, pair.after.image, cv::Size(), c.load_scale, c.load_scale, cv::INTER_AREA);
    CompareOptions o;
    o.mm_per_px = c.user;
    o.detect_marker = c.detect;
    o.marker.side_mm = 8.0;
    int calls = 0;
    std::optional<double> early;
    CompareResult r;
    ASSERT_TRUE(ComparePair(pair, o, &r,
                            [&](std::optional<double> mm) {
                              ++calls;
                              early = mm;
                            })
                    .ok())
        << c.what;
    ASSERT_EQ(r.alignment.status == align::AlignmentStatus::kFailed, c.other_skin) << c.what;
    if (c.marker_mm > 0) {
      ASSERT_EQ(r.scale.source, "marker") << c.what;
    }
    EXPECT_EQ(calls, c.expect_call ? 1 : 0) << c.what;
    if (calls == 1) {
      EXPECT_EQ(early.has_value(), r.scale.mm_per_px.has_value()) << c.what;
      if (early && r.scale.mm_per_px) {
        EXPECT_EQ(*early, *r.scale.mm_per_px) << c.what;
      }
    }
  }
  LoadedPair empty;
  CompareOptions bad;
  bad.mm_per_px = -1.0;
  int calls = 0;
  CompareResult r;
  EXPECT_FALSE(ComparePair(empty, bad, &r, [&](std::optional<double>) { ++calls; }).ok());
  EXPECT_EQ(calls, 0);
}

TEST(ComparePairTest, InvalidArgumentsAreErrorsNotCrashes) {
  const cv::Mat img(96, 128, kImageType, cv::Scalar::all(0.5));
  CompareResult r;
  CompareOptions bad;
  bad.mm_per_px = -1.0;
  EXPECT_EQ(ComparePair(img, img, bad, &r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ComparePair(img, img, CompareOptions(), nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ComparePair(cv::Mat(), img, CompareOptions(), &r).ok());
  EXPECT_FALSE(ComparePair(img, cv::Mat(32, 32, kImageType), CompareOptions(), &r).ok());
}

}  // namespace
}  // namespace skintrack::compare
