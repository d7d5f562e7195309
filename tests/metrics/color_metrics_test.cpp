// Redness and tone: hand-computed values on uniform colours, the red-area threshold, spot
// detection by size and depth, exactness under noise-only capture differences, determinism,
// and the phantom's redness / spot treatments against their truth.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "metrics/families.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kPxPerMm = 20.0;

cv::Mat LabToImage(const cv::Mat& lab) {
  cv::Mat bgr;
  cv::cvtColor(lab, bgr, cv::COLOR_Lab2BGR);
  return bgr;
}

cv::Mat UniformLab(cv::Size size, double l, double a, double b) {
  return cv::Mat(size, CV_32FC3, cv::Scalar(l, a, b));
}

// CIELAB of pixel (x, y) of an internal-form image.
cv::Vec3f LabAt(const cv::Mat& srgb, int x, int y) {
  return photometric::SrgbToLab(srgb(cv::Rect(x, y, 1, 1))).at<cv::Vec3f>(0, 0);
}

Context ContextOf(const cv::Mat& image, cv::Mat roi = cv::Mat()) {
  Context c;
  const cv::Mat full = roi.empty() ? cv::Mat(image.size(), CV_8UC1, cv::Scalar(255)) : roi;
  EXPECT_TRUE(BuildContext(image, full, 1.0 / kPxPerMm, MetricsOptions(), &c).ok());
  return c;
}

RednessMetrics Redness(const Context& c) {
  RednessMetrics r;
  EXPECT_TRUE(MeasureRedness(c, MetricsOptions(), &r).ok());
  return r;
}
ToneMetrics Tone(const Context& c) {
  ToneMetrics t;
  EXPECT_TRUE(MeasureTone(c, MetricsOptions(), &t).ok());
  return t;
}

TEST(ColorMetricsTest, UniformColourByHand) {
  const cv::Mat image = LabToImage(UniformLab({400, 300}, 60, 20, 15));
  const Context c = ContextOf(image);
  const cv::Vec3f lin = photometric::SrgbToLinear(image)(cv::Rect(0, 0, 1, 1)).at<cv::Vec3f>(0);
  // The pixel's own CIELAB: OpenCV's Lab2BGR and photometric::SrgbToLab round-trip L*a*b*
  // to ~1e-4 (OpenCV's own BGR2Lab misses by ~0.1).
  const cv::Vec3f lab = LabAt(c.srgb, 0, 0);
  ASSERT_NEAR(lab[0], 60.0, 1e-3);
  ASSERT_NEAR(lab[1], 20.0, 1e-3);
  ASSERT_NEAR(lab[2], 15.0, 1e-3);
  const RednessMetrics r = Redness(c);
  EXPECT_NEAR(r.erythema_index_mean, 100 * std::log10(lin[2] / lin[1]), 1e-3);
  EXPECT_NEAR(r.a_star_mean, lab[1], 1e-4);
  EXPECT_EQ(r.area_fraction, 0.0);
  const ToneMetrics t = Tone(c);
  EXPECT_NEAR(t.l_star_mean, lab[0], 1e-4);
  EXPECT_NEAR(t.l_star_std, 0.0, 1e-3);
  EXPECT_NEAR(t.ita_deg_mean, std::atan2(lab[0] - 50.0, lab[2]) * 180 / CV_PI, 1e-4);
  EXPECT_NEAR(t.ita_deg_mean, std::atan2(10.0, 15.0) * 180 / CV_PI, 0.3);  // 33.7 deg
  EXPECT_EQ(t.spot_count, 0);
  EXPECT_EQ(t.spot_area_fraction, 0.0);
  // ITA of a dark skin (L* < 50) is negative.
  EXPECT_LT(Tone(ContextOf(LabToImage(UniformLab({200, 200}, 40, 15, 20)))).ita_deg_mean, 0.0);
}

TEST(ColorMetricsTest, RedAreaAboveMedianPlusMargin) {
  // 10 % of the image is redder: same L*, b*; a* 30 instead of 12. By hand (CIELAB -> linear
  // sRGB): EI 23.37 -> 46.12, a step of 22.7 > margin 5.
  cv::Mat lab = UniformLab({800, 600}, 62, 12, 16);
  lab(cv::Rect(100, 100, 240, 200)).setTo(cv::Scalar(62, 30, 16));
  const Context c = ContextOf(LabToImage(lab));
  const RednessMetrics r = Redness(c);
  // The threshold (median + 5) sits at 5 / 22.7 of the step, so the 0.25 mm smoothing moves
  // the contour ~1 working px (0.2 mm) outwards: (60 + 2) (50 + 2) / (60 x 50) x 0.1 = 0.1075.
  EXPECT_NEAR(r.area_fraction, 0.1075, 0.003);
  const double a_out = LabAt(c.srgb, 0, 0)[1], a_in = LabAt(c.srgb, 150, 150)[1];
  EXPECT_NEAR(r.a_star_mean, 0.9 * a_out + 0.1 * a_in, 1e-3);
  // A margin above the step finds nothing.
  MetricsOptions wide;
  wide.redness_ei_margin = 25;
  RednessMetrics none;
  ASSERT_TRUE(MeasureRedness(c, wide, &none).ok());
  EXPECT_EQ(none.area_fraction, 0.0);
  // Only the ROI counts: an ROI inside the red patch is uniform, nothing above its median.
  cv::Mat roi = cv::Mat::zeros(lab.size(), CV_8UC1);
  roi(cv::Rect(120, 120, 200, 160)).setTo(255);
  const RednessMetrics inside = Redness(ContextOf(LabToImage(lab), roi));
  EXPECT_NEAR(inside.a_star_mean, a_in, 1e-3);
  EXPECT_EQ(inside.area_fraction, 0.0);
}

TEST(ColorMetricsTest, RedAreaBlocksAreInTheRoiWhenHalfOfThemIs) {
  // Normal skin inside a square ROI, red skin around it. The red area is found on 4 x 4 px
  // blocks (20 px/mm), a block being in the ROI when at least half of it is: an ROI one pixel
  // wider, whose extra column and row cover only a quarter of the next blocks, leaves the
  // blocks, and so the red area fraction, as they were.
  cv::Mat lab = UniformLab({400, 400}, 60, 35, 15);
  UniformLab({200, 200}, 60, 13, 15).copyTo(lab(cv::Rect(101, 101, 200, 200)));
  const cv::Mat image = LabToImage(lab);
  cv::Mat roi(image.size(), CV_8UC1, cv::Scalar(0)), wider = roi.clone();
  roi(cv::Rect(101, 101, 199, 199)).setTo(255);    // ends at block edge 300
  wider(cv::Rect(101, 101, 200, 200)).setTo(255);  // 1 px into the blocks [300, 304)
  const RednessMetrics a = Redness(ContextOf(image, roi)), b = Redness(ContextOf(image, wider));
  EXPECT_GT(a.area_fraction, 0.0);  // the red around leaks into the edge blocks
  EXPECT_EQ(a.area_fraction, b.area_fraction);
}

TEST(ColorMetricsTest, SpotsByDepthAndSize) {
  // Dark discs in L* (a*, b* kept): radius 0.5 mm and 1 mm, depth 10 -> spots; radius 0.15 mm
  // (< spot_min_radius 0.3 mm) and a 1 mm disc only 4 deep (< spot_min_delta_l 6) -> not.
  cv::Mat lab = UniformLab({1000, 800}, 65, 12, 17);
  cv::circle(lab, {200, 200}, 10, cv::Scalar(55, 12, 17), cv::FILLED);
  cv::circle(lab, {500, 300}, 20, cv::Scalar(55, 12, 17), cv::FILLED);
  cv::circle(lab, {800, 500}, 3, cv::Scalar(55, 12, 17), cv::FILLED);
  cv::circle(lab, {300, 600}, 20, cv::Scalar(61, 12, 17), cv::FILLED);
  const ToneMetrics t = Tone(ContextOf(LabToImage(lab)));
  EXPECT_EQ(t.spot_count, 2);
  const double truth = CV_PI * (10 * 10 + 20 * 20) / (1000.0 * 800.0);
  EXPECT_NEAR(t.spot_area_fraction, truth, 0.25 * truth);
}

TEST(ColorMetricsTest, DeterministicForAnyThreadCount) {
  phantom::PhantomOptions o;
  o.width = 640;
  o.height = 480;
  o.before_capture.noise_sigma = 0.003;
  phantom::PhantomPair p;
  ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
  const Context c = ContextOf(p.before);
  const RednessMetrics a = Redness(c);
  const ToneMetrics ta = Tone(c);
  const int threads = cv::getNumThreads();
  cv::setNumThreads(1);
  const RednessMetrics b = Redness(c);
  const ToneMetrics tb = Tone(c);
  cv::setNumThreads(threads);
  EXPECT_EQ(a.erythema_index_mean, b.erythema_index_mean);
  EXPECT_EQ(a.a_star_mean, b.a_star_mean);
  EXPECT_EQ(a.area_fraction, b.area_fraction);
  EXPECT_EQ(ta.l_star_std, tb.l_star_std);
  EXPECT_EQ(ta.spot_area_fraction, tb.spot_area_fraction);
}

TEST(ColorPhantomTest, ExactWhenOnlyTheNoiseDiffers) {
  for (std::uint64_t seed : {1u, 2u}) {
    phantom::PhantomOptions o;
    o.width = 1000;
    o.height = 800;
    o.seed = seed;
    o.before_capture.noise_sigma = o.after_capture.noise_sigma = 0.003;  // different draws
    phantom::PhantomPair p;
    ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
    const Context cb = ContextOf(p.before), ca = ContextOf(p.after);
    const RednessMetrics rb = Redness(cb), ra = Redness(ca);
    const ToneMetrics tb = Tone(cb), ta = Tone(ca);
    const auto rel = [](double a, double b) { return std::abs(a / b - 1); };
    EXPECT_LT(rel(ra.erythema_index_mean, rb.erythema_index_mean), 0.005);
    EXPECT_LT(rel(ra.a_star_mean, rb.a_star_mean), 0.005);
    EXPECT_LT(rel(ta.l_star_mean, tb.l_star_mean), 0.005);
    EXPECT_LT(rel(ta.l_star_std, tb.l_star_std), 0.005);
    EXPECT_LT(rel(ta.ita_deg_mean, tb.ita_deg_mean), 0.005);
    ASSERT_GT(rb.area_fraction, 0.0);
    EXPECT_LT(rel(ra.area_fraction, rb.area_fraction), 0.01);
    EXPECT_EQ(ta.spot_count, tb.spot_count);
    ASSERT_GT(tb.spot_area_fraction, 0.0);
    EXPECT_LT(rel(ta.spot_area_fraction, tb.spot_area_fraction), 0.02);
  }
}

TEST(ColorPhantomTest, RednessTreatmentMovesAStarByTheTruth) {
  phantom::PhantomOptions o;
  o.width = 1000;
  o.height = 800;
  o.skin.redness_count = 6;
  o.treatment.redness_scale = 0.5;
  phantom::PhantomPair p;
  ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
  const RednessMetrics before = Redness(ContextOf(p.before)), after = Redness(ContextOf(p.after));
  // Truth: each patch adds da 2^-(r/R)^2 (cut at 3 R); the mean change over the image's pixels.
  double change = 0;
  for (const auto& b : p.truth.redness) {
    for (int y = 0; y < o.height; ++y) {
      for (int x = 0; x < o.width; ++x) {
        const double r = std::hypot(x - b.x, y - b.y) / b.radius_px;
        if (r < 3) change += (b.after - b.before) * std::pow(2.0, -r * r);
      }
    }
  }
  change /= static_cast<double>(o.width) * o.height;
  ASSERT_LT(change, -0.1);
  EXPECT_NEAR(after.a_star_mean - before.a_star_mean, change, 0.1 * std::abs(change));
  EXPECT_LT(after.erythema_index_mean, before.erythema_index_mean);
  EXPECT_LT(after.area_fraction, before.area_fraction);
}

// Truth spots grouped where their soft discs (extent 1.3 R) overlap: overlapping spots merge
// into one region and their L* changes add. Returns {groups, groups of >= 2 spots}.
std::pair<int, int> SpotGroups(const std::vector<phantom::TruthBlob>& spots) {
  std::vector<int> group(spots.size());
  for (size_t i = 0; i < spots.size(); ++i) group[i] = static_cast<int>(i);
  const auto find = [&](int i) {
    while (group[static_cast<size_t>(i)] != i) i = group[static_cast<size_t>(i)];
    return i;
  };
  for (size_t i = 0; i < spots.size(); ++i)
    for (size_t j = i + 1; j < spots.size(); ++j)
      if (std::hypot(spots[i].x - spots[j].x, spots[i].y - spots[j].y) <
          1.3 * (spots[i].radius_px + spots[j].radius_px))
        group[static_cast<size_t>(find(static_cast<int>(j)))] = find(static_cast<int>(i));
  std::vector<int> size(spots.size(), 0);
  for (size_t i = 0; i < spots.size(); ++i) ++size[static_cast<size_t>(find(static_cast<int>(i)))];
  int groups = 0, multi = 0;
  for (int n : size) {
    groups += n > 0;
    multi += n > 1;
  }
  return {groups, multi};
}

TEST(ColorPhantomTest, SpotsMatchTheTruthAndFadeWithTheirContrast) {
  for (std::uint64_t seed : {1u, 2u}) {
    // Spots and micro-relief only: an overlapping scar or wrinkle (L* -4.5) would legitimately
    // deepen a faded spot past the threshold.
    phantom::PhantomOptions o;
    o.width = 1000;
    o.height = 800;
    o.seed = seed;
    o.skin.spot_count = 6;
    o.skin.pore_density_per_cm2 = 0;
    o.skin.scar_count = o.skin.wrinkle_count = 0;
    o.before_capture.noise_sigma = o.after_capture.noise_sigma = 0.003;
    // -10 -> -4 L*: below spot_min_delta_l 6, except where two spots overlap (-8).
    o.treatment.spot_contrast_scale = 0.4;
    phantom::PhantomPair p;
    ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
    const ToneMetrics before = Tone(ContextOf(p.before)), after = Tone(ContextOf(p.after));
    const auto [groups, overlapping] = SpotGroups(p.truth.spots);
    EXPECT_EQ(before.spot_count, groups) << "seed " << seed;
    EXPECT_LE(after.spot_count, overlapping) << "seed " << seed;
    EXPECT_LT(after.spot_area_fraction, 0.25 * before.spot_area_fraction) << "seed " << seed;
    EXPECT_GT(after.l_star_mean, before.l_star_mean);
  }
}

}  // namespace
}  // namespace skintrack::metrics::internal
