// Wrinkles: hand-made valleys of known length, width and depth; flat, noise and hair images;
// phantom detection, treatment and capture invariance (figures over more seeds:
// bench/ridge_accuracy_eval).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <vector>

#include "metrics/families.h"
#include "metrics/ridge_lines.h"
#include "metrics_test_util.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kPxPerMm = 20.0;
constexpr double kY0 = 0.35;  // background linear luminance

// A line in an image of linear luminance: factor f(d) of the distance d to the segment a-b.
struct Feature {
  cv::Point2d a, b;
  double contrast;  // Weber darkness at the centre (> 0 darker)
  double fwhm_px;
  bool sharp;  // hair: flat darkness inside fwhm / 2, 1-px linear edge
};

// Linear Y with the features (multiplied), optional multiplicative log-normal noise.
cv::Mat Render(cv::Size size, const std::vector<Feature>& features, double noise = 0.0,
               int seed = 1) {
  cv::Mat y(size, CV_32FC1);
  cv::RNG rng(static_cast<uint64_t>(seed));
  for (int r = 0; r < size.height; ++r) {
    for (int c = 0; c < size.width; ++c) {
      double v = kY0;
      for (const Feature& f : features) {
        const cv::Point2d ab = f.b - f.a, ap = cv::Point2d(c, r) - f.a;
        const double t = ap.dot(ab) / ab.dot(ab);
        if (t < 0.0 || t > 1.0) continue;
        const double d = cv::norm(ap - ab * t);
        if (f.sharp) {
          v *= 1.0 - f.contrast * std::min(1.0, std::max(0.0, f.fwhm_px / 2 + 0.5 - d));
        } else {
          const double s = f.fwhm_px / 2.3548200450309493;
          v *= 1.0 - f.contrast * std::exp(-0.5 * d * d / (s * s));
        }
      }
      if (noise > 0.0) v *= std::exp(noise * rng.gaussian(1.0));
      y.at<float>(r, c) = static_cast<float>(v);
    }
  }
  return y;
}

using test::GreyImage;

struct Result {
  WrinkleMetrics m;
  std::vector<Line> lines;
};

Result Measure(const cv::Mat& image, bool scale_known = true, const cv::Mat& roi = cv::Mat(),
               const MetricsOptions& options = MetricsOptions()) {
  std::optional<double> mm_per_px;
  if (scale_known) mm_per_px = 1.0 / kPxPerMm;
  Context ctx = test::ContextOver(image, mm_per_px, options, roi);
  ctx.hair = cv::Mat::zeros(image.size(), CV_8UC1);  // the detector alone (no hair mask)
  ctx.roi = roi.empty() ? cv::Mat(image.size(), CV_8UC1, cv::Scalar(255)) : roi;
  ctx.roi_area_px = cv::countNonZero(ctx.roi);
  Result r;
  EXPECT_TRUE(MeasureWrinkles(ctx, options, &r.m, &r.lines).ok());
  return r;
}

TEST(WrinklesTest, StraightValleyHasItsLengthDepthAndWidth) {
  // Horizontal valleys x = 80..320 (length 240 px), FWHM 0.1-0.4 mm, Weber darkness 0.15.
  for (double fwhm : {2.0, 4.0, 8.0}) {
    const Result r =
        Measure(GreyImage(Render({400, 300}, {{{80, 150}, {320, 150}, 0.15, fwhm, false}})));
    ASSERT_EQ(r.m.count, 1) << fwhm;
    EXPECT_NEAR(r.m.length_px, 240.0, 2.0) << fwhm;
    EXPECT_NEAR(r.m.mean_depth, 0.15, 0.015) << fwhm;
    ASSERT_TRUE(r.m.mean_width_mm.has_value());
    EXPECT_NEAR(*r.m.mean_width_mm, fwhm / kPxPerMm, 0.1 * fwhm / kPxPerMm) << fwhm;
    for (const cv::Point2d& p : r.lines[0].polyline) EXPECT_NEAR(p.y, 150.0, 1.0) << fwhm;
    // Area: length x width over the roi; length density in mm per cm^2.
    EXPECT_NEAR(r.m.area_fraction, 240.0 * fwhm / (400.0 * 300.0), 0.15 * 240 * fwhm / 120000);
    const double cm2 = 400.0 * 300.0 / (kPxPerMm * kPxPerMm) / 100.0;
    EXPECT_NEAR(*r.m.length_density_mm_per_cm2, 240.0 / kPxPerMm / cm2, 0.1 / cm2);
  }
}

TEST(WrinklesTest, DiagonalValleyLengthCountsDiagonalSteps) {
  // 45 degrees: 240 px long; the skeleton's diagonal steps count sqrt 2 each.
  const cv::Point2d a(200 - 120 / std::sqrt(2.0), 150 - 120 / std::sqrt(2.0));
  const cv::Point2d b(200 + 120 / std::sqrt(2.0), 150 + 120 / std::sqrt(2.0));
  const Result r = Measure(GreyImage(Render({400, 300}, {{a, b, 0.15, 3.0, false}})));
  ASSERT_EQ(r.m.count, 1);
  EXPECT_NEAR(r.m.length_px, 240.0, 3.0);
  EXPECT_NEAR(r.m.mean_depth, 0.15, 0.015);
}

TEST(WrinklesTest, ShallowValleyDepthIsLinearInContrast) {
  // Depth is measured, not thresholded: half the contrast reads half the depth.
  const auto img = [](double c) {
    return GreyImage(Render({400, 300}, {{{80, 150}, {320, 150}, c, 4.0, false}}, 0.02, 3));
  };
  const Result full = Measure(img(0.15)), half = Measure(img(0.075));
  ASSERT_EQ(full.m.count, 1);
  ASSERT_EQ(half.m.count, 1);
  EXPECT_NEAR(full.m.mean_depth, 0.15, 0.015);
  EXPECT_NEAR(half.m.mean_depth / full.m.mean_depth, 0.5, 0.05);
}

TEST(WrinklesTest, NothingOnFlatOrNoiseImages) {
  EXPECT_EQ(Measure(GreyImage(Render({400, 300}, {}))).m.count, 0);
  // Pixel noise (RMS 0.05 in log), and band-limited noise at wrinkle scales (Gaussian-blurred
  // 1.5 px, RMS 0.02 in log; from ~0.025 on, chance valleys of 2-3 mm pass the 0.04 minimum
  // contrast and the significance test: that texture has real shallow lines).
  for (int seed = 1; seed <= 3; ++seed) {
    EXPECT_EQ(Measure(GreyImage(Render({400, 300}, {}, 0.05, seed))).m.count, 0) << seed;
    cv::Mat n(300, 400, CV_32FC1);
    cv::RNG rng(static_cast<uint64_t>(seed));
    rng.fill(n, cv::RNG::NORMAL, 0.0, 1.0);
    cv::GaussianBlur(n, n, cv::Size(), 1.5);
    cv::Scalar mean, sd;
    cv::meanStdDev(n, mean, sd);
    cv::Mat y;
    cv::exp(n * (0.02 / sd[0]), y);
    y *= kY0;
    const Result r = Measure(GreyImage(y));
    EXPECT_EQ(r.m.count, 0) << seed;
    EXPECT_EQ(r.m.length_px, 0.0);
    EXPECT_EQ(r.m.mean_depth, 0.0);
  }
}

TEST(WrinklesTest, DarkSharpHairIsNotAWrinkle) {
  // A hair (0.08 mm, Weber 0.6, sharp edges) beside a wrinkle: only the wrinkle is counted.
  const Feature hair{{60, 80}, {340, 110}, 0.6, 1.6, true};
  const Feature wrinkle{{80, 220}, {320, 220}, 0.15, 4.0, false};
  EXPECT_EQ(Measure(GreyImage(Render({400, 300}, {hair}))).m.count, 0);
  const Result r = Measure(GreyImage(Render({400, 300}, {hair, wrinkle})));
  ASSERT_EQ(r.m.count, 1);
  EXPECT_NEAR(r.lines[0].polyline.front().y, 220.0, 1.0);
  EXPECT_NEAR(r.m.mean_depth, 0.15, 0.015);
}

TEST(WrinklesTest, AFaintHairIsAWrinkleUnlessTheFaintHairTierIsOn) {
  // A faint hair (0.08 mm, Weber 0.16, sharp edges) and a wrinkle 0.4 mm wide (FWHM 8 px).
  const Feature hair{{60, 80}, {340, 110}, 0.16, 1.6, true};
  const Feature wrinkle{{80, 220}, {320, 220}, 0.15, 8.0, false};
  const cv::Mat image = GreyImage(Render({400, 300}, {hair, wrinkle}));
  // The face presets cannot tell it from a fine line: both are counted.
  EXPECT_EQ(Measure(image).m.count, 2);
  // With the faint tier (the dermoscope preset's 0.12), a line that dark and no wider than the
  // hair mask's mean-width limit (1.5 w + 1 = 5.5 px, w = 0.15 mm = 3 px) is hair; the wider
  // wrinkle stays.
  MetricsOptions o;
  o.hair.faint_min_contrast = 0.12;
  const Result r = Measure(image, true, cv::Mat(), o);
  ASSERT_EQ(r.m.count, 1);
  EXPECT_NEAR(r.lines[0].polyline.front().y, 220.0, 1.0);
}

// Linear Y with one Gaussian valley (Weber darkness `contrast`, FWHM `fwhm_px`) along the
// polyline `pts`: the distance to its nearest segment (no double darkening at the joints).
cv::Mat RenderPolyline(cv::Size size, const std::vector<cv::Point2d>& pts, double contrast,
                       double fwhm_px) {
  cv::Mat y(size, CV_32FC1);
  const double s = fwhm_px / 2.3548200450309493;
  for (int r = 0; r < size.height; ++r) {
    for (int c = 0; c < size.width; ++c) {
      double d = 1e9;
      for (size_t i = 1; i < pts.size(); ++i) {
        const cv::Point2d ab = pts[i] - pts[i - 1], ap = cv::Point2d(c, r) - pts[i - 1];
        const double t = std::clamp(ap.dot(ab) / ab.dot(ab), 0.0, 1.0);
        d = std::min(d, cv::norm(ap - ab * t));
      }
      y.at<float>(r, c) =
          static_cast<float>(kY0 * (1.0 - contrast * std::exp(-0.5 * d * d / (s * s))));
    }
  }
  return y;
}

// Points of a circular arc: centre, radius px, from / to angle (rad), ~1 px apart.
std::vector<cv::Point2d> Arc(cv::Point2d centre, double radius, double from, double to) {
  std::vector<cv::Point2d> pts;
  const int n = std::max(2, static_cast<int>(std::abs(to - from) * radius));
  for (int i = 0; i <= n; ++i) {
    const double a = from + (to - from) * i / n;
    pts.push_back(centre + radius * cv::Point2d(std::cos(a), std::sin(a)));
  }
  return pts;
}

TEST(WrinklesTest, CurledRimIsNotAWrinkleButBentAndCrossingLinesAre) {
  // The valley just inside the edge of a dark patch curls round it: 300 deg of a 1.2 mm
  // radius (126 px long, 32 x its width). Not a wrinkle.
  const Result rim =
      Measure(GreyImage(RenderPolyline({300, 300}, Arc({150, 150}, 24.0, 0.0, 5.236), 0.15, 4.0)));
  EXPECT_EQ(rim.m.count, 0);
  EXPECT_EQ(rim.m.length_px, 0.0);
  // A gently bent wrinkle: 60 deg of a 10 mm radius (209 px) counts, all of it (in skeleton
  // steps of 1 or sqrt 2, below: ~1.06 x over directions within +-30 deg, ~222 px).
  const Result bent = Measure(
      GreyImage(RenderPolyline({400, 300}, Arc({200, 260}, 200.0, -2.0944, -1.0472), 0.15, 4.0)));
  ASSERT_EQ(bent.m.count, 1);
  EXPECT_NEAR(bent.m.length_px, 222.0, 8.0);
  // Two lines met at 60 deg (a V: the turning is at one point, each arm straight): counted.
  const cv::Point2d apex(200, 150);
  const cv::Point2d arm1 = apex + 120.0 * cv::Point2d(std::cos(0.5236), std::sin(0.5236));
  const cv::Point2d arm2 = apex + 120.0 * cv::Point2d(std::cos(-0.5236), std::sin(-0.5236));
  const Result v = Measure(GreyImage(RenderPolyline({400, 300}, {arm1, apex, arm2}, 0.15, 4.0)));
  // Skeleton length counts steps of 1 or sqrt 2: a 30-degree arm reads cos 30 + (sqrt 2 - 1)
  // sin 30 = 1.073 x its length, 257.5 px for the two.
  ASSERT_GE(v.m.count, 1);
  EXPECT_NEAR(v.m.length_px, 257.5, 8.0);
}

// The line search of the FindLines tests (dark lines of 0.04 Weber and more, 40 px long), and
// ln(Y + 0.01) of an image.
LineSearchOptions SearchOptions() {
  LineSearchOptions s;
  s.polarity = Polarity::kDark;
  s.sigmas = RidgeScales(1.0, 20.0);
  s.min_level_sigma = 0.85;
  s.min_contrast = 0.04;
  s.min_length_px = 40.0;
  s.template_half_px = 8.0;
  s.seed_block_px = 6.0;
  s.link_gap_px = 30.0;
  return s;
}
cv::Mat LogY(const cv::Mat& y) {
  cv::Mat log_y;
  cv::log(y + 0.01, log_y);
  return log_y;
}

// A path that fails the family test is judged again in halves (tracks can run from one line
// into another through a faint bridge; one profile over the whole mixes them); halves that
// pass and face each other are joined again. Here the test refuses any path of 250 px or more:
// a 400-px valley is found through its halves, as one line of its full length.
TEST(FindLinesTest, AFailedPathIsJudgedAgainInHalves) {
  const cv::Mat y = Render({500, 200}, {{{50, 100}, {450, 100}, 0.15, 4.0, false}}, 0.01, 5);
  const cv::Mat log_y = LogY(y);
  LineSearchOptions s = SearchOptions();
  for (const double limit : {1e9, 250.0}) {
    // (length = infinity: the branch test, which keeps every branch here)
    s.accept = [limit](const ProfileResult& p, double length) {
      return p.ok && -p.contrast >= 0.04 && (std::isinf(length) || length < limit);
    };
    const std::vector<FoundLine> lines = FindLines(log_y, 0.01, cv::Mat(), s);
    ASSERT_EQ(lines.size(), 1u) << limit;
    EXPECT_NEAR(lines[0].length_px, 400.0, 12.0) << limit;
  }
  // No minimum length and a test that refuses everything: the halves stop at a few pixels
  // (a path of 2 px would split into itself) and nothing is found.
  s.min_length_px = 0.0;
  s.accept = [](const ProfileResult&, double length) { return std::isinf(length); };
  EXPECT_TRUE(FindLines(log_y, 0.01, cv::Mat(), s).empty());
  // Below twice the minimum length a failed path is not split: nothing is found.
  s.min_length_px = 220.0;
  s.accept = [](const ProfileResult&, double length) {
    return std::isinf(length) || length < 250.0;
  };
  EXPECT_TRUE(FindLines(log_y, 0.01, cv::Mat(), s).empty());
}

// Marginal lines (for PairWrinkles): a whole path that fails `accept` but passes
// `accept_relaxed` is returned apart, once (not its halves too), and the lines found are the
// same with or without the marginal search. (Branches that fail the family test are pruned
// before any path is judged, as without the marginal search.)
TEST(FindLinesTest, AWholePathPassingOnlyTheRelaxedTestIsMarginal) {
  const cv::Mat y = Render({500, 200}, {{{50, 60}, {450, 60}, 0.15, 4.0, false},
                                        {{50, 140}, {450, 140}, 0.045, 4.0, false}});
  const cv::Mat log_y = LogY(y);
  LineSearchOptions s = SearchOptions();
  // (the branch test, length = infinity, keeps every branch: only whole paths are judged)
  auto deeper = [](double depth) {
    return [depth](const ProfileResult& p, double length) {
      return p.ok && (std::isinf(length) || -p.contrast >= depth);
    };
  };
  s.accept = deeper(0.05);  // the 0.045 line fails, the 0.15 line passes
  const std::vector<FoundLine> plain = FindLines(log_y, 0.01, cv::Mat(), s);
  std::vector<FoundLine> marginal;
  const std::vector<FoundLine> none = FindLines(log_y, 0.01, cv::Mat(), s, &marginal);
  EXPECT_TRUE(marginal.empty());  // no accept_relaxed: no marginal search
  s.accept_relaxed = deeper(0.0375);
  s.relaxed_significance = 0.75;
  const std::vector<FoundLine> with = FindLines(log_y, 0.01, cv::Mat(), s, &marginal);
  ASSERT_EQ(plain.size(), 1u);
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(none.size(), 1u);
  EXPECT_EQ(with[0].length_px, plain[0].length_px);
  EXPECT_NEAR(with[0].centre.front().y, 60.0, 1.0);
  ASSERT_EQ(marginal.size(), 1u);  // the whole path, not its halves as well
  EXPECT_NEAR(marginal[0].length_px, 400.0, 12.0);
  EXPECT_NEAR(-marginal[0].profile.contrast, 0.045, 0.004);
  EXPECT_FALSE(marginal[0].centre.empty());
  for (const cv::Point2d& p : marginal[0].centre) EXPECT_NEAR(p.y, 140.0, 1.0);
  s.accept_relaxed = deeper(0.046);  // relaxed but still too deep: nothing marginal
  FindLines(log_y, 0.01, cv::Mat(), s, &marginal);
  EXPECT_TRUE(marginal.empty());
}

TEST(WrinklesTest, PhysicalUnitsNeedAKnownScaleAndTheRoiIsRespected) {
  const cv::Mat img = GreyImage(Render({400, 300}, {{{80, 150}, {320, 150}, 0.15, 4.0, false}}));
  const Result unknown = Measure(img, false);
  EXPECT_EQ(unknown.m.count, 1);
  EXPECT_FALSE(unknown.m.mean_width_mm.has_value());
  EXPECT_FALSE(unknown.m.length_density_mm_per_cm2.has_value());
  cv::Mat roi(img.size(), CV_8UC1, cv::Scalar(255));
  roi(cv::Rect(0, 100, 400, 100)).setTo(0);  // the valley lies outside the roi
  EXPECT_EQ(Measure(img, true, roi).m.count, 0);
}

// Phantom (default skin, 8 wrinkles): detection by skeleton within 2 px, treatment, capture.
double SkeletonF1(const std::vector<Line>& det, const std::vector<phantom::TruthLine>& truth,
                  cv::Size size) {
  cv::Mat dm = cv::Mat::zeros(size, CV_8UC1), tm = dm.clone();
  for (const Line& l : det)
    for (size_t i = 1; i < l.polyline.size(); ++i)
      cv::line(dm, l.polyline[i - 1], l.polyline[i], 255);
  for (const phantom::TruthLine& l : truth)
    for (size_t i = 1; i < l.polyline.size(); ++i)
      cv::line(tm, l.polyline[i - 1], l.polyline[i], 255);
  cv::Mat dt, dd;
  cv::distanceTransform(tm == 0, dt, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  cv::distanceTransform(dm == 0, dd, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  const double p = cv::countNonZero((dt <= 2.0) & dm) / std::max(1.0, 1.0 * cv::countNonZero(dm));
  const double r = cv::countNonZero((dd <= 2.0) & tm) / std::max(1.0, 1.0 * cv::countNonZero(tm));
  return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
}

TEST(WrinklesTest, PhantomDetectionTreatmentAndCaptureInvariance) {
  phantom::PhantomOptions o;
  o.seed = 3;
  o.skin.wrinkle_count = 8;
  o.before_capture.noise_sigma = o.after_capture.noise_sigma = 0.003;
  o.treatment.wrinkle_contrast_scale = 0.5;
  phantom::PhantomPair pair;
  ASSERT_TRUE(phantom::RenderPair(o, &pair).ok());
  const Result before = Measure(pair.before), after = Measure(pair.after);
  EXPECT_GE(SkeletonF1(before.lines, pair.truth.wrinkles, pair.before.size()), 0.8);
  EXPECT_NEAR(before.m.mean_depth, 0.15, 0.03);
  EXPECT_NEAR(after.m.mean_depth / before.m.mean_depth, 0.5, 0.15);

  // Same skin photographed with other exposure, white balance, side light and JPEG q85.
  o.treatment = phantom::TreatmentOptions();
  o.after_capture.exposure = 0.75;
  o.after_capture.white_balance = {1.06, 0.97, 0.93};
  o.after_capture.side_light_strength = 0.25;
  o.after_capture.side_light_angle_deg = 30.0;
  o.after_capture.jpeg_quality = 85;
  ASSERT_TRUE(phantom::RenderPair(o, &pair).ok());
  const Result other = Measure(pair.after);
  EXPECT_NEAR(other.m.length_px / before.m.length_px, 1.0, 0.06);
  EXPECT_NEAR(other.m.mean_depth / before.m.mean_depth, 1.0, 0.06);
  EXPECT_NEAR(*other.m.mean_width_mm / *before.m.mean_width_mm, 1.0, 0.06);
}

}  // namespace
}  // namespace skintrack::metrics::internal
