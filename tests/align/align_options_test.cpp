// AlignOptions validation, argument checking of Align, and the point/image mappings
// (BeforeToAfter, WarpAfterToBefore) on hand-made AlignmentResults with hand-computed answers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "align/stages.h"
#include "skintrack/align/align.h"
#include "skintrack/core/image.h"

namespace skintrack::align {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

TEST(AlignOptionsTest, DefaultsAreDocumentedAndPassCheck) {
  const AlignOptions o;
  EXPECT_TRUE(o.Check().ok()) << o.Check().ToString();
  EXPECT_EQ(o.working_long_side, 1024);
  EXPECT_EQ(o.max_features, 3000);
  EXPECT_DOUBLE_EQ(o.ratio_test, 0.8);
  EXPECT_DOUBLE_EQ(o.ransac_threshold_px, 3.0);
  EXPECT_EQ(o.min_inliers, 30);
  EXPECT_DOUBLE_EQ(o.min_inlier_ratio, 0.2);
  EXPECT_TRUE(o.use_sift);
  EXPECT_TRUE(o.use_fourier_mellin);
  EXPECT_DOUBLE_EQ(o.max_area_ratio, 4.0);
  EXPECT_TRUE(o.ecc_refine);
  EXPECT_TRUE(o.nonrigid);
  EXPECT_DOUBLE_EQ(o.max_fb_error_px, 0.1);
  EXPECT_DOUBLE_EQ(o.min_ncc, 0.2);
  EXPECT_DOUBLE_EQ(o.min_ncc_shift_ratio, 3.0);
  EXPECT_DOUBLE_EQ(o.min_overlap, 0.5);
  EXPECT_DOUBLE_EQ(o.ok_ecc, 0.4);
  EXPECT_DOUBLE_EQ(o.ok_overlap, 0.7);
}

struct BadField {
  const char* field;  // must appear in the message
  std::function<void(AlignOptions*)> set;
};

TEST(AlignOptionsTest, EachBadFieldFailsNamingTheField) {
  const std::vector<BadField> cases = {
      {"working_long_side", [](AlignOptions* o) { o->working_long_side = 255; }},
      {"working_long_side", [](AlignOptions* o) { o->working_long_side = 8001; }},
      {"max_features", [](AlignOptions* o) { o->max_features = 99; }},
      {"ratio_test", [](AlignOptions* o) { o->ratio_test = 0.0; }},
      {"ratio_test", [](AlignOptions* o) { o->ratio_test = 1.0; }},
      {"ratio_test", [](AlignOptions* o) { o->ratio_test = kNan; }},
      {"ransac_threshold_px", [](AlignOptions* o) { o->ransac_threshold_px = 0.0; }},
      {"ransac_threshold_px", [](AlignOptions* o) { o->ransac_threshold_px = kNan; }},
      {"min_inliers", [](AlignOptions* o) { o->min_inliers = 3; }},
      {"min_inlier_ratio", [](AlignOptions* o) { o->min_inlier_ratio = -0.1; }},
      {"min_inlier_ratio", [](AlignOptions* o) { o->min_inlier_ratio = 1.1; }},
      {"max_area_ratio", [](AlignOptions* o) { o->max_area_ratio = 1.0; }},
      {"max_area_ratio", [](AlignOptions* o) { o->max_area_ratio = kNan; }},
      {"ecc_iterations", [](AlignOptions* o) { o->ecc_iterations = 0; }},
      {"ecc_epsilon", [](AlignOptions* o) { o->ecc_epsilon = 0.0; }},
      {"ecc_coarse_scale", [](AlignOptions* o) { o->ecc_coarse_scale = 0.1; }},
      {"ecc_coarse_scale", [](AlignOptions* o) { o->ecc_coarse_scale = 1.5; }},
      {"ecc_coarse_scale", [](AlignOptions* o) { o->ecc_coarse_scale = kNan; }},
      {"ecc_final_iterations", [](AlignOptions* o) { o->ecc_final_iterations = -1; }},
      {"max_fb_error_px", [](AlignOptions* o) { o->max_fb_error_px = 0.0; }},
      {"max_fb_error_px", [](AlignOptions* o) { o->max_fb_error_px = kNan; }},
      {"min_ncc", [](AlignOptions* o) { o->min_ncc = -1.1; }},
      {"min_ncc", [](AlignOptions* o) { o->min_ncc = 1.1; }},
      {"min_ncc_shift_ratio", [](AlignOptions* o) { o->min_ncc_shift_ratio = -1.0; }},
      {"min_overlap", [](AlignOptions* o) { o->min_overlap = -0.1; }},
      {"min_overlap", [](AlignOptions* o) { o->min_overlap = 1.1; }},
      {"ok_ecc", [](AlignOptions* o) { o->ok_ecc = 1.5; }},
      {"ok_ecc", [](AlignOptions* o) { o->ok_ecc = kNan; }},
      {"ok_overlap", [](AlignOptions* o) { o->ok_overlap = -0.5; }},
      {"ok_overlap", [](AlignOptions* o) { o->ok_overlap = 2.0; }},
  };
  for (const BadField& c : cases) {
    AlignOptions o;
    c.set(&o);
    const Status st = o.Check();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_NE(st.message().find(c.field), std::string::npos) << st.message();
  }
}

TEST(AlignOptionsTest, BoundaryValuesAreAccepted) {
  AlignOptions o;
  o.working_long_side = 256;
  o.max_features = 100;
  o.min_inliers = 4;
  o.min_inlier_ratio = 0.0;
  o.min_ncc = -1.0;
  o.min_overlap = 1.0;
  o.ok_overlap = 0.0;
  o.ecc_coarse_scale = 0.125;
  o.ecc_final_iterations = 0;
  EXPECT_TRUE(o.Check().ok()) << o.Check().ToString();
  o.working_long_side = 8000;
  o.ecc_coarse_scale = 1.0;
  EXPECT_TRUE(o.Check().ok()) << o.Check().ToString();
}

TEST(AlignmentStatusTest, Names) {
  EXPECT_STREQ(AlignmentStatusName(AlignmentStatus::kOk), "ok");
  EXPECT_STREQ(AlignmentStatusName(AlignmentStatus::kPoor), "poor");
  EXPECT_STREQ(AlignmentStatusName(AlignmentStatus::kFailed), "failed");
}

cv::Mat Grey(int w, int h) { return cv::Mat(h, w, kImageType, cv::Scalar(0.5, 0.5, 0.5)); }

TEST(AlignInputTest, InvalidImagesGiveANonOkStatusNotACrash) {
  const cv::Mat good = Grey(128, 96);
  AlignmentResult r;
  struct Case {
    const char* what;
    cv::Mat before, after;
  };
  const std::vector<Case> cases = {
      {"empty before", cv::Mat(), good},
      {"empty after", good, cv::Mat()},
      {"before 63 px wide", Grey(63, 96), good},
      {"after 63 px high", good, Grey(128, 63)},
      {"before 8-bit", cv::Mat(96, 128, CV_8UC3, cv::Scalar::all(128)), good},
      {"after one channel", good, cv::Mat(96, 128, CV_32FC1, cv::Scalar(0.5))},
      {"after double", good, cv::Mat(96, 128, CV_64FC3, cv::Scalar::all(0.5))},
  };
  for (const Case& c : cases) {
    const Status st = Align(c.before, c.after, AlignOptions(), &r);
    EXPECT_FALSE(st.ok()) << c.what;
    EXPECT_FALSE(st.message().empty()) << c.what;
  }
  EXPECT_EQ(Align(good, good, AlignOptions(), nullptr).code(), StatusCode::kInvalidArgument);
  AlignOptions bad;
  bad.min_inliers = 0;
  EXPECT_EQ(Align(good, good, bad, &r).code(), StatusCode::kInvalidArgument);
}

// Regression: one NaN pixel once segfaulted Align (a table lookup indexed with
// static_cast<int>(NaN)). Now CheckImage refuses non-finite pixels with kInvalidInput. Runs in a
// child process so that a crash cannot take the test binary down.
TEST(AlignInputDeathTest, NanPixelIsNotACrash) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto run = [] {
    cv::Mat before(96, 128, kImageType);
    cv::RNG rng(3);
    rng.fill(before, cv::RNG::UNIFORM, 0.3, 0.7);
    cv::Mat after = before.clone();
    after.at<cv::Vec3f>(10, 10)[1] = std::numeric_limits<float>::quiet_NaN();
    AlignmentResult r;
    const Status st = Align(before, after, AlignOptions(), &r);
    std::exit(st.code() == StatusCode::kInvalidInput ? 0 : 1);
  };
  EXPECT_EXIT(run(), ::testing::ExitedWithCode(0), "");
}

TEST(AlignInputTest, FeaturelessPairIsFailedNotAnError) {
  // A flat grey pair has no texture at all: Align returns ok() with status kFailed.
  AlignmentResult r;
  const Status st = Align(Grey(128, 96), Grey(128, 96), AlignOptions(), &r);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(r.status, AlignmentStatus::kFailed);
  EXPECT_FALSE(r.reason.empty());
}

TEST(AlignInputTest, SmallestAcceptedImagesGiveAVerdictNotACrash) {
  // 64 px a side is accepted; tiny or very unequal images must still end in a verdict.
  cv::Mat noise(96, 128, CV_32FC3);
  cv::RNG rng(5);
  rng.fill(noise, cv::RNG::UNIFORM, 0.3, 0.7);
  cv::GaussianBlur(noise, noise, cv::Size(), 1.0);
  const cv::Mat tiny = noise(cv::Rect(10, 10, 64, 64)).clone();
  cv::Mat big;
  cv::resize(noise, big, cv::Size(640, 480), 0, 0, cv::INTER_CUBIC);
  struct Case {
    const char* what;
    cv::Mat before, after;
  };
  for (const Case& c : {Case{"64x64 pair", tiny, tiny}, Case{"64x64 vs 128x96", tiny, noise},
                        Case{"640x480 vs 64x64", big, tiny}, Case{"64x64 vs 640x480", tiny, big}}) {
    AlignmentResult r;
    const Status st = Align(c.before, c.after, AlignOptions(), &r);
    EXPECT_TRUE(st.ok()) << c.what << ": " << st.ToString();
    EXPECT_FALSE(r.reason.empty()) << c.what;
    EXPECT_GE(r.overlap_fraction, 0.0) << c.what;
    EXPECT_LE(r.overlap_fraction, 1.0) << c.what;
  }
}

// after -> before: x_b = 2 x_a + 10, y_b = 2 y_a + 20.
AlignmentResult ScaleShift() {
  AlignmentResult r;
  r.status = AlignmentStatus::kOk;
  r.after_to_before = cv::Matx33d(2, 0, 10, 0, 2, 20, 0, 0, 1);
  return r;
}

TEST(BeforeToAfterTest, InvertsTheGlobalHomographyWithoutFlow) {
  const AlignmentResult r = ScaleShift();
  const cv::Point2d q = BeforeToAfter(r, {30.0, 50.0});
  EXPECT_NEAR(q.x, 10.0, 1e-12);
  EXPECT_NEAR(q.y, 15.0, 1e-12);
  // A flow that is not marked as used is ignored.
  AlignmentResult unused = r;
  unused.flow = cv::Mat(10, 10, CV_32FC2, cv::Scalar(7, 7));
  unused.nonrigid_used = false;
  const cv::Point2d q2 = BeforeToAfter(unused, {30.0, 50.0});
  EXPECT_NEAR(q2.x, 10.0, 1e-12);
  EXPECT_NEAR(q2.y, 15.0, 1e-12);
}

TEST(BeforeToAfterTest, AddsTheFlowConvertedToFullResolution) {
  AlignmentResult r = ScaleShift();
  r.nonrigid_used = true;
  r.before_scale = 0.5;                                       // working px per before px
  r.flow = cv::Mat(20, 30, CV_32FC2, cv::Scalar(2.0, -1.0));  // working px
  // p + f / s = (30 + 4, 50 - 2) -> ((34 - 10) / 2, (48 - 20) / 2) = (12, 14).
  const cv::Point2d q = BeforeToAfter(r, {30.0, 50.0});
  EXPECT_NEAR(q.x, 12.0, 1e-6);
  EXPECT_NEAR(q.y, 14.0, 1e-6);
  // Points beyond the flow field use the clamped border value.
  const cv::Point2d far = BeforeToAfter(r, {500.0, 500.0});
  EXPECT_NEAR(far.x, (504.0 - 10.0) / 2.0, 1e-6);
  EXPECT_NEAR(far.y, (498.0 - 20.0) / 2.0, 1e-6);
}

TEST(BeforeToAfterTest, SamplesTheFlowAtThePixelCentresWorkingPosition) {
  // Flow f_x = x (working px) over an identity homography, s = 0.5: before x = 10 is working
  // x (10 + 0.5) 0.5 - 0.5 = 4.75, so after x = 10 + 4.75 / 0.5 = 19.5.
  AlignmentResult r;
  r.status = AlignmentStatus::kOk;
  r.after_to_before = cv::Matx33d::eye();
  r.nonrigid_used = true;
  r.before_scale = 0.5;
  r.flow = cv::Mat(40, 40, CV_32FC2);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) r.flow.at<cv::Vec2f>(y, x) = cv::Vec2f(float(x), 0.0f);
  const cv::Point2d q = BeforeToAfter(r, {10.0, 0.0});
  EXPECT_NEAR(q.x, 19.5, 1e-5);
  EXPECT_NEAR(q.y, 0.0, 1e-9);
}

TEST(WarpAfterToBeforeTest, TheOverlapIsExactlyTheAfterPhotosPixels) {
  // Identity: a 100x80 after photo onto a 120x100 before frame covers 100 x 80 px.
  const AlignmentResult r = [] {
    AlignmentResult a;
    a.status = AlignmentStatus::kOk;
    a.after_to_before = cv::Matx33d::eye();
    return a;
  }();
  const cv::Mat after(80, 100, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  cv::Mat aligned, mask;
  ASSERT_TRUE(WarpAfterToBefore(after, r, cv::Size(120, 100), &aligned, &mask).ok());
  EXPECT_EQ(cv::countNonZero(mask), 100 * 80);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(0, 0, 100, 80))), 100 * 80);
  // The same from the one mapping of several resamplings (compare's warp).
  std::vector<cv::Mat> warped;
  ASSERT_TRUE(WarpAfterToBefore(std::vector<cv::Mat>{after, after}, r, cv::Size(120, 100),
                                {cv::INTER_CUBIC, cv::INTER_LANCZOS4}, &warped, &mask)
                  .ok());
  EXPECT_EQ(cv::countNonZero(mask), 100 * 80);
  EXPECT_EQ(cv::countNonZero(mask(cv::Rect(0, 0, 100, 80))), 100 * 80);
}

TEST(ToOriginalFramesTest, EveryPixelQuantityIsRescaled) {
  // Aligned on copies reduced 2x (before) and 4x (after): px quantities of the before frame
  // double, and the homography maps original after px onto original before px.
  AlignmentResult r = ScaleShift();  // reduced after -> reduced before: x 2, + (10, 20)
  r.before_scale = 1.0;
  r.median_fb_error_px = 0.05;
  r.ncc_shift_px = 10.0;
  ToOriginalFrames(0.5, 0.25, &r);
  EXPECT_NEAR(r.before_scale, 0.5, 1e-12);
  EXPECT_NEAR(r.median_fb_error_px, 0.1, 1e-12);
  EXPECT_NEAR(r.ncc_shift_px, 20.0, 1e-12);
  // Original after px (x, y) is reduced px (x / 4, y / 4) (ScaleTransform's pixel-centre form:
  // (x + 0.5) s - 0.5), which maps to reduced before 2 (.) + (10, 20), original (. + 0.5) / 0.5 -
  // 0.5.
  const auto reduce = [](double v, double s) { return (v + 0.5) * s - 0.5; };
  const auto expand = [](double v, double s) { return (v + 0.5) / s - 0.5; };
  const cv::Vec3d p = r.after_to_before * cv::Vec3d(40.0, 80.0, 1.0);
  EXPECT_NEAR(p[0] / p[2], expand(2.0 * reduce(40.0, 0.25) + 10.0, 0.5), 1e-9);
  EXPECT_NEAR(p[1] / p[2], expand(2.0 * reduce(80.0, 0.25) + 20.0, 0.5), 1e-9);
}

TEST(SaneHomographyTest, AnAreaChangeBeyondMaxAreaRatioIsRefused) {
  std::string why;
  EXPECT_FALSE(internal::IsSaneHomography(cv::Matx33d(2.5, 0, 0, 0, 2.5, 0, 0, 0, 1), {100, 100},
                                          AlignOptions(), &why));  // area x 6.25 > 4
  EXPECT_NE(why.find("implausible scale change"), std::string::npos) << why;
  EXPECT_TRUE(internal::IsSaneHomography(cv::Matx33d(1.9, 0, 0, 0, 1.9, 0, 0, 0, 1), {100, 100},
                                         AlignOptions(), &why))  // x 3.61
      << why;
}

// CV_32FC1 after image with a linear pattern v(x, y) = x + 100 y (bilinear sampling is exact).
cv::Mat LinearPattern(int w, int h) {
  cv::Mat m(h, w, CV_32FC1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<float>(y, x) = static_cast<float>(x + 100 * y);
  return m;
}

TEST(WarpAfterToBeforeTest, TranslationIsHandComputed) {
  const cv::Mat after = LinearPattern(40, 30);
  AlignmentResult r;
  r.after_to_before = cv::Matx33d(1, 0, 3, 0, 1, 2, 0, 0, 1);  // before = after + (3, 2)
  cv::Mat aligned, mask;
  ASSERT_TRUE(WarpAfterToBefore(after, r, {50, 40}, &aligned, &mask).ok());
  ASSERT_EQ(aligned.size(), cv::Size(50, 40));
  ASSERT_EQ(aligned.type(), CV_32FC1);
  ASSERT_EQ(mask.size(), cv::Size(50, 40));
  ASSERT_EQ(mask.type(), CV_8UC1);
  EXPECT_FLOAT_EQ(aligned.at<float>(10, 10), 7 + 100 * 8);
  EXPECT_FLOAT_EQ(aligned.at<float>(31, 42), 39 + 100 * 29);  // after's last pixel
  EXPECT_EQ(aligned.at<float>(0, 0), 0.0f);                   // outside: zero
  EXPECT_EQ(mask.at<uchar>(2, 3), 255);
  EXPECT_EQ(mask.at<uchar>(31, 42), 255);
  EXPECT_EQ(mask.at<uchar>(2, 1), 0);
  EXPECT_EQ(mask.at<uchar>(31, 44), 0);
  EXPECT_EQ(mask.at<uchar>(33, 20), 0);
  EXPECT_EQ(cv::countNonZero(mask), 40 * 30);  // exactly the after footprint
  // The mask is optional.
  cv::Mat only;
  EXPECT_TRUE(WarpAfterToBefore(after, r, {50, 40}, &only, nullptr).ok());
  EXPECT_EQ(cv::norm(only, aligned, cv::NORM_INF), 0.0);
}

TEST(WarpAfterToBeforeTest, AppliesTheFlowResidual) {
  const cv::Mat after = LinearPattern(40, 30);
  AlignmentResult r;
  r.after_to_before = cv::Matx33d(1, 0, 3, 0, 1, 2, 0, 0, 1);
  r.nonrigid_used = true;
  r.before_scale = 1.0;
  r.flow = cv::Mat(40, 50, CV_32FC2, cv::Scalar(2.0, 0.0));
  cv::Mat aligned, mask;
  ASSERT_TRUE(WarpAfterToBefore(after, r, {50, 40}, &aligned, &mask).ok());
  // before (10, 10) -> (12, 10) -> after (9, 8).
  EXPECT_NEAR(aligned.at<float>(10, 10), 9 + 100 * 8, 1e-3);
  EXPECT_EQ(mask.at<uchar>(2, 1), 255);  // (1, 2) -> after (0, 0)
  EXPECT_EQ(mask.at<uchar>(2, 0), 0);    // (0, 2) -> after (-1, 0)
  // BeforeToAfter agrees with the warp.
  const cv::Point2d q = BeforeToAfter(r, {10.0, 10.0});
  EXPECT_NEAR(q.x, 9.0, 1e-6);
  EXPECT_NEAR(q.y, 8.0, 1e-6);
}

TEST(WarpAfterToBeforeTest, RejectsEmptyInputs) {
  AlignmentResult r;
  cv::Mat aligned, mask;
  EXPECT_FALSE(WarpAfterToBefore(cv::Mat(), r, {50, 40}, &aligned, &mask).ok());
  EXPECT_FALSE(WarpAfterToBefore(LinearPattern(40, 30), r, {0, 40}, &aligned, &mask).ok());
}

}  // namespace
}  // namespace skintrack::align
