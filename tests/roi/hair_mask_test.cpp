// Hair mask: options, synthetic lines (thin/long/dark are hair; short, wide or shallow are not),
// phantom hairs (recall by area) against phantom wrinkles (centre lines must stay out),
// invariance to capture light, real dermoscopy images with hair.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "skintrack/core/image.h"
#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"
#include "skintrack/roi/roi.h"
#include "test_util.h"

namespace skintrack::roi {
namespace {

constexpr double kPxPerMm = 20.0;

// Distance (px) of every pixel of an 800x600 image to the segment from (200, 200) of `length`
// px at `angle_deg`.
cv::Mat SegmentDistance(double length, double angle_deg = 20.0) {
  cv::Mat dist(600, 800, CV_32FC1);
  const double a = angle_deg * CV_PI / 180.0;
  const cv::Point2d dir(std::cos(a), std::sin(a));
  for (int y = 0; y < dist.rows; ++y) {
    for (int x = 0; x < dist.cols; ++x) {
      const cv::Point2d p(x - 200.0, y - 200.0);
      const double t = std::clamp(p.dot(dir), 0.0, length);
      dist.at<float>(y, x) = static_cast<float>(cv::norm(p - t * dir));
    }
  }
  return dist;
}

// Flat linear grey Y = 0.3 darkened by Weber c where `dist` (px, the distance to a stroke's
// centre line) is within w/2 (sharp edges: coverage clamp(w/2 + 0.5 - d, 0, 1), as the
// phantom's hairs), in internal form, with mild Gaussian noise (sd 0.003 linear, `seed`).
// With halo_c > 0, the pixels beyond the stroke's edge up to halo_to px from its centre line
// are darker by halo_c (a faint shadow beside the hair).
cv::Mat StrokeImageOf(const cv::Mat& dist, double w, double c, int seed, double halo_to = 0.0,
                      double halo_c = 0.0) {
  cv::Mat lin(dist.size(), CV_32FC1);
  for (int y = 0; y < lin.rows; ++y)
    for (int x = 0; x < lin.cols; ++x) {
      const double d = dist.at<float>(y, x);
      const double halo = d > w / 2 + 0.5 && d <= halo_to ? halo_c : 0.0;
      lin.at<float>(y, x) =
          static_cast<float>(0.3 * (1.0 - c * std::clamp(w / 2 + 0.5 - d, 0.0, 1.0) - halo));
    }
  cv::Mat noise(lin.size(), CV_32FC1);
  cv::RNG rng(static_cast<uint64_t>(seed));
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.003);
  lin += noise;
  cv::Mat bgr;
  cv::merge(std::vector<cv::Mat>{lin, lin, lin}, bgr);
  return photometric::LinearToSrgb(bgr);
}

// A dark segment of width w px and Weber darkness c (SegmentDistance(length)).
cv::Mat LineImage(double length, double w, double c, double halo_to = 0.0, double halo_c = 0.0) {
  return StrokeImageOf(SegmentDistance(length), w, c, 3, halo_to, halo_c);
}

// Distance (px) of every pixel of an image of `size` to the nearest of `polylines` (px).
cv::Mat PolylineDistance(const std::vector<std::vector<cv::Point2d>>& polylines, cv::Size size) {
  cv::Mat drawn(size, CV_8UC1, cv::Scalar(255));
  for (const auto& line : polylines) {
    std::vector<cv::Point> pts;
    for (const auto& p : line) pts.emplace_back(cvRound(p.x * 16), cvRound(p.y * 16));
    cv::polylines(drawn, pts, false, cv::Scalar(0), 1, cv::LINE_8, 4);
  }
  cv::Mat dist;
  cv::distanceTransform(drawn, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  return dist;
}

// Pixels within width/2 + extra of the truth polylines.
cv::Mat LinesTruth(const std::vector<phantom::TruthLine>& lines, cv::Size size, double extra) {
  std::vector<std::vector<cv::Point2d>> polylines;
  for (const auto& l : lines) polylines.emplace_back(l.polyline.begin(), l.polyline.end());
  const cv::Mat dist = PolylineDistance(polylines, size);
  const double half = lines.empty() ? 0.0 : lines.front().width_px / 2.0 + extra;
  return dist <= half;
}

double Count(const cv::Mat& m) { return cv::countNonZero(m); }

TEST(HairOptionsTest, DefaultsAndBadValues) {
  EXPECT_TRUE(HairOptions().Check().ok());
  const auto expect_bad = [](void (*set)(HairOptions*), const char* field) {
    HairOptions o;
    set(&o);
    const Status st = o.Check();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
  };
  expect_bad([](HairOptions* o) { o->max_width_mm = 0; }, "max_width_mm");
  expect_bad([](HairOptions* o) { o->min_length_mm = -1; }, "min_length_mm");
  expect_bad([](HairOptions* o) { o->min_contrast = 1.0; }, "min_contrast");
  expect_bad([](HairOptions* o) { o->dilate_mm = std::nan(""); }, "dilate_mm");
  expect_bad([](HairOptions* o) { o->faint_min_contrast = 0.25; }, "faint_min_contrast");
  expect_bad([](HairOptions* o) { o->faint_min_contrast = -0.1; }, "faint_min_contrast");
  expect_bad([](HairOptions* o) { o->strand_min_straightness = 0; }, "strand_min_straightness");
  expect_bad([](HairOptions* o) { o->strand_min_straightness = 1.01; }, "strand_min_straightness");
  cv::Mat mask;
  const cv::Mat image = LineImage(100, 1.6, 0.5);
  EXPECT_EQ(HairMask(image, 0.0, HairOptions(), &mask).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HairMask(image, kPxPerMm, HairOptions(), nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HairMask(cv::Mat(), kPxPerMm, HairOptions(), &mask).code(),
            StatusCode::kInvalidArgument);
}

TEST(HairMaskTest, ThinLongDarkLineIsHair) {
  // 6 mm long, 0.08 mm wide, darkness 0.5.
  const cv::Mat image = LineImage(120, 1.6, 0.5);
  cv::Mat mask;
  ASSERT_TRUE(HairMask(image, kPxPerMm, HairOptions(), &mask).ok());
  ASSERT_EQ(mask.type(), CV_8UC1);
  ASSERT_EQ(mask.size(), image.size());
  // Every pixel of the hair (d <= w/2) is found; nothing further than w/2 + grow (2 px) +
  // dilate (1 px) + 1 px.
  const cv::Mat dist = SegmentDistance(120);
  EXPECT_EQ(Count((dist <= 0.8f) & ~mask), 0);
  EXPECT_EQ(Count((dist > 4.8f) & mask), 0);
  EXPECT_GT(Count(mask), 120 * 1.6);
  // A faint shadow beside it (Weber ~0.09, below half min_contrast) is not grown into: the mask
  // still ends within w/2 + 1 px (its soft edge) + dilate (1 px).
  ASSERT_TRUE(HairMask(LineImage(120, 1.6, 0.5, 2.8, 0.09), kPxPerMm, HairOptions(), &mask).ok());
  EXPECT_EQ(Count((dist <= 0.8f) & ~mask), 0);
  EXPECT_EQ(Count((dist > 3.0f) & mask), 0);
}

TEST(HairMaskTest, ShortWideOrShallowLinesAreNotHair) {
  cv::Mat mask;
  // 1 mm long (< min_length 2 mm).
  ASSERT_TRUE(HairMask(LineImage(20, 1.6, 0.5), kPxPerMm, HairOptions(), &mask).ok());
  EXPECT_EQ(Count(mask), 0);
  // A thick dark stroke, 6 px (0.3 mm): its mean width is above 1.5 w + 1 px (w = 3 px).
  ASSERT_TRUE(HairMask(LineImage(200, 6, 0.5), kPxPerMm, HairOptions(), &mask).ok());
  EXPECT_EQ(Count(mask), 0);
  // 1 mm wide dark band (a lesion edge or a shadow, not a hair).
  ASSERT_TRUE(HairMask(LineImage(200, 20, 0.5), kPxPerMm, HairOptions(), &mask).ok());
  EXPECT_EQ(Count(mask), 0);
  // Shallow: Weber darkness 0.15 < min_contrast 0.25 (a wrinkle's depth).
  ASSERT_TRUE(HairMask(LineImage(200, 1.6, 0.15), kPxPerMm, HairOptions(), &mask).ok());
  EXPECT_EQ(Count(mask), 0);
  // The same shallow line is found when the threshold is lowered below its depth.
  HairOptions low;
  low.min_contrast = 0.1;
  ASSERT_TRUE(HairMask(LineImage(200, 1.6, 0.15), kPxPerMm, low, &mask).ok());
  EXPECT_GT(Count(mask), 200);
}

// Dark strokes along `polylines` (px) in an 800x600 image, width w, Weber darkness c.
cv::Mat StrokesImage(const std::vector<std::vector<cv::Point2d>>& polylines, double w, double c) {
  return StrokeImageOf(PolylineDistance(polylines, cv::Size(800, 600)), w, c, 5);
}

// The dermoscope preset's hair options: faint tier from Weber 0.12, hairs >= 1.5 mm.
HairOptions FaintTier() {
  HairOptions o;
  o.faint_min_contrast = 0.12;
  o.min_length_mm = 1.5;
  return o;
}

TEST(HairMaskFaintTest, AStraightFaintLineIsHairOnlyWithTheFaintTier) {
  // 10 mm long, 0.08 mm wide, Weber 0.16: below min_contrast (0.25), above the faint tier's.
  const cv::Mat image = LineImage(200, 1.6, 0.16);
  cv::Mat mask;
  ASSERT_TRUE(HairMask(image, kPxPerMm, HairOptions(), &mask).ok());
  EXPECT_EQ(Count(mask), 0);  // off by default
  ASSERT_TRUE(HairMask(image, kPxPerMm, FaintTier(), &mask).ok());
  // w = 3 px. The strand's ends are shortened by the spur pruning (ceil(w) + 2 = 5 px) and
  // given back in part by the reach (ceil(0.75 w) + 1 = 4 px) and the growth (2 px): >= 90 % of
  // the centre line, and nothing beyond w/2 + grow + dilate (1 px) + 1 px, as for a dark hair.
  const cv::Mat dist = SegmentDistance(200);
  const cv::Mat centre = dist <= 0.8f;
  EXPECT_GE(Count(centre & mask) / Count(centre), 0.9);
  EXPECT_EQ(Count((dist > 4.8f) & mask), 0);
  // Fainter than the faint tier (Weber 0.09 < 0.12): not hair.
  ASSERT_TRUE(HairMask(LineImage(200, 1.6, 0.09), kPxPerMm, FaintTier(), &mask).ok());
  EXPECT_EQ(Count(mask), 0);
}

TEST(HairMaskFaintTest, ANetworkOrZigzagIsNotHairWithTheFaintTierOn) {
  // A lattice of faint lines 1 mm apart (a pigment network, a furrow net): its pieces between
  // crossings are 1 mm, shorter than min_length (1.5 mm).
  std::vector<std::vector<cv::Point2d>> lattice;
  for (double t = 100; t <= 500; t += 20) {
    lattice.push_back({{100, t}, {500, t}});
    lattice.push_back({{t, 100}, {t, 500}});
  }
  // A zigzag: 8 mm of strokes turning by ~110 deg every 0.9 mm (no crossing; one bent piece).
  std::vector<cv::Point2d> zig;
  for (int i = 0; i <= 16; ++i) zig.emplace_back(550 + 10.0 * i, i % 2 == 0 ? 300.0 : 315.0);
  cv::Mat mask;
  for (double c : {0.16, 0.5}) {  // faint, and dark: with the faint tier on both are strands
    ASSERT_TRUE(HairMask(StrokesImage(lattice, 1.6, c), kPxPerMm, FaintTier(), &mask).ok());
    EXPECT_EQ(Count(mask), 0) << c;
    ASSERT_TRUE(HairMask(StrokesImage({zig}, 1.6, c), kPxPerMm, FaintTier(), &mask).ok());
    EXPECT_EQ(Count(mask), 0) << c;
  }
  // A curl: 270 deg of a circle of radius 8 px (0.4 mm), 1.9 mm of path, open (its outline is
  // thin): over every 1.5-mm run its ends are ~0.5 x the run apart, bent. And a straight faint
  // hair that ends in the same curl keeps its straight part (and the curl's first quarter,
  // straight enough with it), not the curl's far side.
  auto curl = [](cv::Point2d centre, double from_rad) {
    std::vector<cv::Point2d> pts;
    for (int i = 0; i <= 90; ++i) {
      const double a = from_rad - 1.5 * CV_PI * i / 90.0;
      pts.push_back(centre + 8.0 * cv::Point2d(std::cos(a), std::sin(a)));
    }
    return pts;
  };
  ASSERT_TRUE(
      HairMask(StrokesImage({curl({400, 300}, 0.0)}, 1.6, 0.16), kPxPerMm, FaintTier(), &mask)
          .ok());
  EXPECT_EQ(Count(mask), 0);
  std::vector<cv::Point2d> hooked = {{100, 300}};
  for (const cv::Point2d& p : curl({300, 292}, 0.5 * CV_PI)) hooked.push_back(p);
  ASSERT_TRUE(HairMask(StrokesImage({hooked}, 1.6, 0.16), kPxPerMm, FaintTier(), &mask).ok());
  EXPECT_GT(Count(mask(cv::Rect(100, 290, 190, 20))), 0.8 * 190 * 1.6);  // the straight part
  EXPECT_LE(Count(mask(cv::Rect(288, 278, 14, 10))), 10);  // the curl's top and left: 4 px
  // Without the faint tier the dark zigzag is hair (any thin long core, whatever its shape).
  ASSERT_TRUE(HairMask(StrokesImage({zig}, 1.6, 0.5), kPxPerMm, HairOptions(), &mask).ok());
  EXPECT_GT(Count(mask), 200);
  // A straight faint hair with a short twig every 1 mm (the bumps a faint core's thresholded
  // edge has): the twigs' skeleton spurs are pruned before the cut at crossings, which would
  // otherwise cut the hair into 1-mm pieces, too short.
  std::vector<std::vector<cv::Point2d>> twigs = {{{100, 300}, {700, 300}}};
  for (double x = 110; x < 700; x += 20) twigs.push_back({{x, 300}, {x + 1, 303.5}});
  ASSERT_TRUE(HairMask(StrokesImage(twigs, 1.6, 0.16), kPxPerMm, FaintTier(), &mask).ok());
  EXPECT_GT(Count(mask), 0.8 * 600 * 1.6);
  // Two straight faint hairs crossing: cut at the crossing, each piece is straight and kept.
  const std::vector<std::vector<cv::Point2d>> cross = {{{100, 100}, {500, 400}},
                                                       {{100, 400}, {500, 100}}};
  ASSERT_TRUE(HairMask(StrokesImage(cross, 1.6, 0.16), kPxPerMm, FaintTier(), &mask).ok());
  EXPECT_GT(Count(mask), 0.8 * 2 * 500 * 1.6);
}

TEST(HairMaskFaintTest, APeakOnAStrandIsNotAnEnd) {
  // A dark 1-px line (Weber 0.5) 70 px (3.5 mm) long with one pixel raised by 1 px: the raised
  // pixel's neighbours are SW and SE, two runs, so it is no end, and pruning does not eat the
  // line from there into two pieces shorter than 1.5 mm + the pruned ends.
  cv::Mat image(100, 120, kImageType, cv::Scalar(0.6, 0.6, 0.6));
  cv::line(image, {10, 50}, {80, 50}, cv::Scalar(0.3, 0.3, 0.3), 1);
  image.at<cv::Vec3f>(50, 45) = cv::Vec3f(0.6f, 0.6f, 0.6f);
  image.at<cv::Vec3f>(49, 45) = cv::Vec3f(0.3f, 0.3f, 0.3f);
  cv::Mat mask;
  ASSERT_TRUE(HairMask(image, kPxPerMm, FaintTier(), &mask).ok());
  EXPECT_GT(Count(mask(cv::Rect(20, 45, 50, 10))), 50);
}

phantom::PhantomOptions HairAndWrinkles(std::uint64_t seed, int hairs) {
  phantom::PhantomOptions o;
  o.width = 1000;
  o.height = 800;
  o.seed = seed;
  o.skin.hair_count = hairs;
  o.skin.wrinkle_count = 12;
  o.skin.wrinkle_contrast = 0.2;  // the deep end of "shallow shading"
  o.skin.wrinkle_width_max_mm = 0.5;
  o.before_capture.noise_sigma = 0.003;
  o.before_capture.jpeg_quality = 85;
  return o;
}

TEST(HairMaskPhantomTest, HairsFoundWrinklesNot) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    phantom::PhantomPair p;
    ASSERT_TRUE(phantom::RenderPair(HairAndWrinkles(seed, 20), &p).ok());
    cv::Mat mask;
    ASSERT_TRUE(HairMask(p.before, p.truth.px_per_mm_before, HairOptions(), &mask).ok());
    const cv::Mat hairs = LinesTruth(p.truth.hairs, mask.size(), 0.0);
    const double recall = Count(hairs & mask) / Count(hairs);
    EXPECT_GE(recall, 0.9) << "seed " << seed;
    // Wrinkle centre lines (central 70 %) away from hairs: < 5 % flagged.
    const cv::Mat away = ~LinesTruth(p.truth.hairs, mask.size(), 4.0);
    double on = 0, flagged = 0;
    for (const auto& w : p.truth.wrinkles) {
      cv::Mat line = cv::Mat::zeros(mask.size(), CV_8UC1);
      std::vector<cv::Point> pts;
      const size_t n = w.polyline.size();
      for (size_t i = n * 15 / 100; i < n * 85 / 100; ++i)
        pts.emplace_back(cvRound(w.polyline[i].x), cvRound(w.polyline[i].y));
      cv::polylines(line, pts, false, cv::Scalar(255), 1, cv::LINE_8);
      line &= away;
      on += Count(line);
      flagged += Count(line & mask);
    }
    ASSERT_GT(on, 500);
    EXPECT_LT(flagged / on, 0.05) << "seed " << seed;
    // Little outside the hairs (grown and dilated by at most ~4 px).
    EXPECT_LT(Count(mask & away) / static_cast<double>(mask.total()), 0.002) << "seed " << seed;
  }
}

TEST(HairMaskPhantomTest, FaintHairsAreFoundByTheFaintTierOnly) {
  // Grey hairs at Weber 0.18-0.24 (below min_contrast 0.25), at a dermoscope's 40 px/mm
  // (0.08 mm = 3.2 px wide), among micro-relief and pores; no wrinkles.
  for (std::uint64_t seed : {6u, 7u}) {
    phantom::PhantomOptions o = HairAndWrinkles(seed, 20);
    o.skin.px_per_mm = 40.0;
    o.skin.wrinkle_count = 0;
    o.skin.hair_contrast_min = 0.18;
    o.skin.hair_contrast_max = 0.24;
    phantom::PhantomPair p;
    ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
    const cv::Mat hairs = LinesTruth(p.truth.hairs, p.before.size(), 0.0);
    cv::Mat plain, faint;
    ASSERT_TRUE(HairMask(p.before, p.truth.px_per_mm_before, HairOptions(), &plain).ok());
    ASSERT_TRUE(HairMask(p.before, p.truth.px_per_mm_before, FaintTier(), &faint).ok());
    // Recall by area: 0.00 / 0.861 (seed 6), 0.00 / 0.819 (seed 7) measured. What the tier
    // misses are the ends of these wavy hairs and pieces where the blurred darkness dips below
    // 0.12 and the cores break into pieces shorter than 1.5 mm.
    EXPECT_LT(Count(hairs & plain) / Count(hairs), 0.05) << "seed " << seed;
    EXPECT_GE(Count(hairs & faint) / Count(hairs), 0.8) << "seed " << seed;
    // Little outside the hairs: 0.25 / 0.28 % of the frame beyond 6 px of a hair (the faint
    // cores' bumps, grown into D >= 0.06 and dilated).
    const cv::Mat away = ~LinesTruth(p.truth.hairs, faint.size(), 6.0);
    EXPECT_LT(Count(faint & away) / static_cast<double>(faint.total()), 0.004) << "seed " << seed;
  }
}

TEST(HairMaskPhantomTest, DarkHairsAreStrandsToo) {
  // With the faint tier on, dark cores are kept as straight strands as well: the phantom's
  // wavy dark hairs (Weber 0.5-0.7) are still found.
  for (std::uint64_t seed : {1u, 2u}) {
    phantom::PhantomOptions o = HairAndWrinkles(seed, 20);
    o.skin.wrinkle_count = 0;
    phantom::PhantomPair p;
    ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
    const cv::Mat hairs = LinesTruth(p.truth.hairs, p.before.size(), 0.0);
    cv::Mat mask;
    ASSERT_TRUE(HairMask(p.before, p.truth.px_per_mm_before, FaintTier(), &mask).ok());
    EXPECT_GE(Count(hairs & mask) / Count(hairs), 0.9) << "seed " << seed;
  }
}

TEST(HairMaskPhantomTest, WrinklesAloneGiveAnAlmostEmptyMask) {
  phantom::PhantomPair p;
  ASSERT_TRUE(phantom::RenderPair(HairAndWrinkles(4, 0), &p).ok());
  cv::Mat mask;
  ASSERT_TRUE(HairMask(p.before, 20.0, HairOptions(), &mask).ok());
  EXPECT_LT(Count(mask) / static_cast<double>(mask.total()), 0.001);
}

TEST(HairMaskPhantomTest, InvariantToExposureWhiteBalanceAndSideLight) {
  phantom::PhantomOptions o = HairAndWrinkles(5, 20);
  o.after_capture = o.before_capture;
  o.after_capture.exposure = 0.7;
  o.after_capture.white_balance = cv::Vec3d(0.92, 1.0, 1.08);
  o.after_capture.side_light_strength = 0.3;
  o.after_capture.side_light_angle_deg = 40;
  phantom::PhantomPair p;
  ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
  cv::Mat a, b;
  ASSERT_TRUE(HairMask(p.before, 20.0, HairOptions(), &a).ok());
  ASSERT_TRUE(HairMask(p.after, 20.0, HairOptions(), &b).ok());
  // The same hairs are found (recall of the hair pixels in both sessions); the masks differ
  // only by about a pixel at the soft edges of a ~7-px-wide exclusion band (IoU 0.87 measured).
  const cv::Mat truth = LinesTruth(p.truth.hairs, a.size(), 0.0);
  EXPECT_GE(Count(truth & a) / Count(truth), 0.9);
  EXPECT_GE(Count(truth & b) / Count(truth), 0.9);
  EXPECT_GT(Count(a & b) / Count(a | b), 0.8);
  EXPECT_NEAR(Count(b) / Count(a), 1.0, 0.05);
}

TEST(HairMaskRealTest, DermoscopyImagesWithHair) {
  const std::string dir = test::RealDataDir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data/real not found";
  // Visible dark hair at the assumed 20 px/mm; fractions measured when this test was written:
  // ISIC_0000098 0.71 %, ISIC_0000134 1.49 % (faint grey hairs, Weber < 0.25, are left out by
  // the default options; the faint tier, next test, takes them); the bounds leave a wide margin.
  for (const char* name : {"ISIC_0000098", "ISIC_0000134"}) {
    io::LoadedImage img;
    ASSERT_TRUE(io::LoadImage(dir + "/isic_cc0/" + name + ".jpg", io::LoadOptions(), &img).ok());
    cv::Mat mask;
    ASSERT_TRUE(HairMask(img.image, 20.0, HairOptions(), &mask).ok());
    const double fraction = Count(mask) / static_cast<double>(mask.total());
    EXPECT_GT(fraction, 0.001) << name;
    EXPECT_LT(fraction, 0.2) << name;
  }
}

TEST(HairMaskRealTest, TheFaintTierFindsGreyHairsAndDropsPigmentNetwork) {
  const std::string dir = test::RealDataDir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data/real not found";
  // At the dermoscope preset's scale (the long side spans 20 mm), its hair options against the
  // same without the faint tier (any thin long dark core). Fraction of the frame measured when
  // this test was written: ISIC_0000431 (3072 px, many grey hairs, by eye) 0.012 -> 0.045;
  // ISIC_0000529 (1028 px, pigment network flagged by the dark tier, a few short dark hairs)
  // 0.037 -> 0.010.
  struct Case {
    const char* name;
    double min_change, max_change;
  };
  for (const Case& c : {Case{"ISIC_0000431", 0.025, 1.0}, Case{"ISIC_0000529", -1.0, -0.02}}) {
    io::LoadedImage img;
    ASSERT_TRUE(io::LoadImage(dir + "/isic_cc0/" + c.name + ".jpg", io::LoadOptions(), &img).ok());
    const double px_per_mm = std::max(img.image.cols, img.image.rows) / 20.0;
    HairOptions dark = FaintTier();
    dark.faint_min_contrast = 0.0;
    cv::Mat a, b;
    ASSERT_TRUE(HairMask(img.image, px_per_mm, dark, &a).ok());
    ASSERT_TRUE(HairMask(img.image, px_per_mm, FaintTier(), &b).ok());
    const double change = (Count(b) - Count(a)) / static_cast<double>(b.total());
    EXPECT_GE(change, c.min_change) << c.name;
    EXPECT_LE(change, c.max_change) << c.name;
  }
}

}  // namespace
}  // namespace skintrack::roi
