// RenderPair: determinism, geometry truth, feature contrasts and sizes, treatment, modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"
#include "skintrack/photometric/colour_calibration.h"

namespace skintrack::phantom {
namespace {

cv::Mat Luminance(const cv::Mat& image) {
  return photometric::LinearLuminance(photometric::SrgbToLinear(image));
}

// A small phantom with pores only, no micro-relief, identity captures without noise or JPEG.
PhantomOptions PoresOnly(int width, int height) {
  PhantomOptions o;
  o.width = width;
  o.height = height;
  o.seed = 11;
  o.skin.micro_relief_rms = 0.0;
  o.skin.scar_count = o.skin.wrinkle_count = o.skin.redness_count = o.skin.spot_count = 0;
  return o;
}

// Similarity about the image centre c: x -> c + t + s R(deg) (x - c).
cv::Matx33d Similarity(cv::Size size, double deg, double s, double tx, double ty) {
  const double a = deg * CV_PI / 180.0, cx = (size.width - 1) * 0.5, cy = (size.height - 1) * 0.5;
  const cv::Matx33d r(s * std::cos(a), -s * std::sin(a), 0, s * std::sin(a), s * std::cos(a), 0, 0,
                      0, 1);
  return cv::Matx33d(1, 0, cx + tx, 0, 1, cy + ty, 0, 0, 1) * r *
         cv::Matx33d(1, 0, -cx, 0, 1, -cy, 0, 0, 1);
}

cv::Point2d Map(const cv::Matx33d& h, const cv::Point2d& p) {
  const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
  return {q[0] / q[2], q[1] / q[2]};
}

// Darkness-weighted centroid of a dark blob near `guess` on a flat background y0.
cv::Point2d DarkCentroid(const cv::Mat& y, double y0, const cv::Point2d& guess, int half) {
  double sw = 0, sx = 0, sy = 0;
  for (int v = static_cast<int>(guess.y) - half; v <= static_cast<int>(guess.y) + half; ++v) {
    for (int u = static_cast<int>(guess.x) - half; u <= static_cast<int>(guess.x) + half; ++u) {
      const double d = std::max(0.0, 1.0 - y.at<float>(v, u) / y0);
      sw += d;
      sx += d * u;
      sy += d * v;
    }
  }
  return {sx / sw, sy / sw};
}

// Pores at least `clear` px from the image border and from every other pore's edge.
std::vector<TruthPore> IsolatedPores(const PhantomTruth& t, cv::Size size, double clear) {
  std::vector<TruthPore> out;
  for (const TruthPore& p : t.pores) {
    if (p.x < clear || p.y < clear || p.x > size.width - 1 - clear ||
        p.y > size.height - 1 - clear) {
      continue;
    }
    bool alone = true;
    for (const TruthPore& q : t.pores) {
      if (&q != &p &&
          std::hypot(p.x - q.x, p.y - q.y) < p.radius_before_px + q.radius_before_px + clear) {
        alone = false;
      }
    }
    if (alone) out.push_back(p);
  }
  return out;
}

TEST(PhantomRenderTest, DeterministicForTheSameOptionsAndSeed) {
  PhantomOptions o;
  o.width = 400;
  o.height = 300;
  o.skin.hair_count = 3;
  o.skin.striae_count = 2;
  std::mt19937_64 rng(3);
  o.before_capture = RandomCapture(RandomCaptureOptions(), {400, 300}, rng);  // noise + JPEG
  o.after_capture = RandomCapture(RandomCaptureOptions(), {400, 300}, rng);
  PhantomPair a, b, c;
  ASSERT_TRUE(RenderPair(o, &a).ok());
  ASSERT_TRUE(RenderPair(o, &b).ok());
  EXPECT_EQ(cv::norm(a.before, b.before, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(a.after, b.after, cv::NORM_INF), 0.0);
  EXPECT_EQ(a.truth.pores.size(), b.truth.pores.size());
  o.seed = 2;
  ASSERT_TRUE(RenderPair(o, &c).ok());
  EXPECT_GT(cv::norm(a.before, c.before, cv::NORM_L1) / a.before.total(), 0.01);
}

TEST(PhantomRenderTest, FeatureFamiliesUseIndependentStreams) {
  PhantomOptions o = PoresOnly(400, 300);
  PhantomPair a, b;
  ASSERT_TRUE(RenderPair(o, &a).ok());
  o.skin.scar_count = 4;
  o.skin.wrinkle_count = 3;
  o.treatment.pore_radius_scale = 0.5;
  ASSERT_TRUE(RenderPair(o, &b).ok());
  ASSERT_EQ(a.truth.pores.size(), b.truth.pores.size());
  for (size_t i = 0; i < a.truth.pores.size(); ++i) {
    EXPECT_EQ(a.truth.pores[i].x, b.truth.pores[i].x);
    EXPECT_EQ(a.truth.pores[i].radius_before_px, b.truth.pores[i].radius_before_px);
  }
  EXPECT_EQ(b.truth.scars.size(), 4u);
  EXPECT_EQ(b.truth.wrinkles.size(), 3u);
}

TEST(PhantomRenderTest, IdentityCaptureOfUntreatedSkinGivesIdenticalImages) {
  PhantomOptions o;
  o.width = 500;
  o.height = 400;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  ASSERT_EQ(pair.before.type(), CV_32FC3);
  ASSERT_EQ(pair.before.size(), cv::Size(500, 400));
  EXPECT_EQ(cv::norm(pair.before, pair.after, cv::NORM_INF), 0.0);
  EXPECT_TRUE(cv::Matx33d(pair.truth.after_to_before) == cv::Matx33d::eye());
  EXPECT_DOUBLE_EQ(pair.truth.px_per_mm_before, 20.0);
}

TEST(PhantomRenderTest, AfterToBeforeMapsRenderedPoresOntoTheirTruth) {
  PhantomOptions o = PoresOnly(640, 480);
  o.skin.pore_density_per_cm2 = 30.0;
  o.skin.pore_radius_min_mm = 0.12;
  o.skin.pore_radius_max_mm = 0.15;
  const cv::Size size(640, 480);
  o.before_capture.image_from_skin = Similarity(size, 7.0, 1.15, 3.3, -2.7);
  o.after_capture.image_from_skin = Similarity(size, -9.0, 0.9, -5.2, 4.1);
  o.after_capture.image_from_skin(2, 0) = 2e-5;  // a little perspective too
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const cv::Mat yb = Luminance(pair.before), ya = Luminance(pair.after);
  cv::Scalar yb0 = cv::mean(yb), ya0 = cv::mean(ya);  // flat background + 1 % pores
  std::vector<float> v(yb.begin<float>(), yb.end<float>());
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  yb0[0] = v[v.size() / 2];
  v.assign(ya.begin<float>(), ya.end<float>());
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  ya0[0] = v[v.size() / 2];

  const cv::Matx33d before_from_after = pair.truth.after_to_before;
  const cv::Matx33d after_from_before = before_from_after.inv();
  const std::vector<TruthPore> pores = IsolatedPores(pair.truth, size, 12.0);
  double worst_before = 0.0, worst_after = 0.0;
  int used = 0;
  for (const TruthPore& p : pores) {
    const cv::Point2d guess = Map(after_from_before, {p.x, p.y});
    if (guess.x < 10 || guess.y < 10 || guess.x > size.width - 11 || guess.y > size.height - 11) {
      continue;  // not seen (well) by the after image
    }
    ++used;
    const cv::Point2d cb = DarkCentroid(yb, yb0[0], {p.x, p.y}, 7);
    worst_before = std::max(worst_before, std::hypot(cb.x - p.x, cb.y - p.y));
    const cv::Point2d ca = DarkCentroid(ya, ya0[0], guess, 7);
    const cv::Point2d back = Map(before_from_after, ca);
    worst_after = std::max(worst_after, std::hypot(back.x - p.x, back.y - p.y));
  }
  ASSERT_GE(used, 20);
  std::printf("%d pores: worst centroid error before %.3f px, after->before %.3f px\n", used,
              worst_before, worst_after);
  EXPECT_LT(worst_before, 0.3);
  EXPECT_LT(worst_after, 0.5);
  // Radii scale with the before capture: skin radii 0.12-0.15 mm at 20 px/mm, seen at x1.15.
  EXPECT_NEAR(pair.truth.px_per_mm_before, 23.0, 1e-9);
  for (const TruthPore& p : pair.truth.pores) {
    EXPECT_GE(p.radius_before_px, 0.12 * 23.0 - 1e-9);
    EXPECT_LE(p.radius_before_px, 0.15 * 23.0 + 1e-9);
  }
}

TEST(PhantomRenderTest, PoreWeberDarknessAndRadiusMatchTheirDefinitions) {
  PhantomOptions o = PoresOnly(640, 480);
  o.skin.pore_radius_min_mm = 0.1;  // >= 2 px: the flat bottom covers the nearest pixel
  o.skin.pore_radius_max_mm = 0.2;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const cv::Mat y = Luminance(pair.before);
  const std::vector<TruthPore> pores = IsolatedPores(pair.truth, y.size(), 10.0);
  ASSERT_GE(pores.size(), 30u);
  double half_dark_px = 0.0, disc_area = 0.0;
  for (const TruthPore& p : pores) {
    std::vector<float> ring;
    const double r = p.radius_before_px;
    const int half = static_cast<int>(r) + 8;
    int dark = 0;
    const int cx = static_cast<int>(std::lround(p.x)), cy = static_cast<int>(std::lround(p.y));
    for (int v = cy - half; v <= cy + half; ++v) {
      for (int u = cx - half; u <= cx + half; ++u) {
        const double d = std::hypot(u - p.x, v - p.y);
        if (d > r + 3 && d < r + 7) ring.push_back(y.at<float>(v, u));
      }
    }
    std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
    const double bg = ring[ring.size() / 2];
    for (int v = cy - half; v <= cy + half; ++v) {
      for (int u = cx - half; u <= cx + half; ++u) {
        const bool near = std::hypot(u - p.x, v - p.y) < r + 3;
        if (near && 1.0 - y.at<float>(v, u) / bg > 0.5 * 0.35) ++dark;
      }
    }
    EXPECT_NEAR(1.0 - y.at<float>(cy, cx) / bg, 0.35, 2e-3);
    half_dark_px += dark;
    disc_area += CV_PI * r * r;
  }
  std::printf("%zu pores: half-dark pixels / (pi r^2) = %.4f\n", pores.size(),
              half_dark_px / disc_area);
  // The radius is the half-darkness radius: pixels darker than c/2 fill pi r^2 on average.
  EXPECT_NEAR(half_dark_px / disc_area, 1.0, 0.02);
}

TEST(PhantomRenderTest, PoreCountMatchesDensityTimesArea) {
  PhantomOptions o = PoresOnly(800, 600);
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  // 800 x 600 px at 20 px/mm = 40 x 30 mm = 12 cm^2 at 80 /cm^2 = 960 pores.
  const double expected = 960.0;
  EXPECT_NEAR(static_cast<double>(pair.truth.pores.size()), expected, 0.04 * expected);
  // Every listed pore is rendered as one separate dark blob (plus a few cut by the border).
  const cv::Mat y = Luminance(pair.before);
  double maxv = 0.0;
  cv::minMaxLoc(y, nullptr, &maxv);
  cv::Mat dark = y < (1.0 - 0.5 * 0.35) * maxv, labels;
  const int blobs = cv::connectedComponents(dark, labels, 8) - 1;
  std::printf("pores listed %zu, dark blobs %d\n", pair.truth.pores.size(), blobs);
  EXPECT_GE(blobs, static_cast<int>(pair.truth.pores.size()));
  EXPECT_LE(blobs, static_cast<int>(pair.truth.pores.size()) + 30);
}

TEST(PhantomRenderTest, TruthListsOnlyFeaturesInsideTheBeforePhoto) {
  // The skin extends beyond the frame (a rotated, zoomed capture): the truth lists the pores,
  // scars, redness and spots whose centres fall on the before photo's pixels, and no others.
  PhantomOptions o = PoresOnly(400, 300);
  o.skin.scar_count = 3;
  o.skin.redness_count = 3;
  o.skin.spot_count = 3;
  o.before_capture.image_from_skin = Similarity({400, 300}, 20.0, 1.3, 15.0, -10.0);
  o.skin.pore_density_per_cm2 = 1500.0;  // dense: a filter one pixel too wide lets some in
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const auto inside = [](double x, double y) {
    return x >= -0.5 && x < 400 - 0.5 && y >= -0.5 && y < 300 - 0.5;
  };
  ASSERT_GT(pair.truth.pores.size(), 1000u);
  for (const TruthPore& p : pair.truth.pores) EXPECT_TRUE(inside(p.x, p.y)) << p.x << "," << p.y;
  for (const auto* blobs : {&pair.truth.scars, &pair.truth.redness, &pair.truth.spots}) {
    EXPECT_FALSE(blobs->empty());
    for (const TruthBlob& b : *blobs) EXPECT_TRUE(inside(b.x, b.y)) << b.x << "," << b.y;
  }
}

TEST(PhantomRenderTest, NoPoreContrastMeansNoTruthPores) {
  PhantomOptions o = PoresOnly(400, 300);
  o.skin.pore_contrast = 0.0;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  EXPECT_TRUE(pair.truth.pores.empty());
}

TEST(PhantomRenderTest, TreatmentShowsUpInTruthAndImages) {
  PhantomOptions o = PoresOnly(800, 600);
  o.skin.pore_radius_min_mm = 0.1;
  o.skin.scar_count = 2;
  o.skin.wrinkle_count = 2;
  o.skin.redness_count = 2;
  o.skin.spot_count = 2;
  o.treatment.pore_radius_scale = 0.7;
  o.treatment.pore_close_fraction = 0.4;
  o.treatment.scar_contrast_scale = 0.5;
  o.treatment.wrinkle_contrast_scale = 0.3;
  o.treatment.redness_scale = 0.5;
  o.treatment.spot_contrast_scale = 0.25;
  o.treatment.micro_relief_scale = 0.5;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const PhantomTruth& t = pair.truth;
  int closed = 0;
  for (const TruthPore& p : t.pores) {
    if (p.closed) {
      ++closed;
      EXPECT_EQ(p.radius_after_px, 0.0);
    } else {
      EXPECT_NEAR(p.radius_after_px, 0.7 * p.radius_before_px, 1e-12);
    }
  }
  EXPECT_NEAR(static_cast<double>(closed) / t.pores.size(), 0.4, 0.06);
  ASSERT_EQ(t.scars.size(), 2u);
  for (const TruthBlob& s : t.scars) {
    EXPECT_DOUBLE_EQ(s.before, 0.15);
    EXPECT_DOUBLE_EQ(s.after, 0.075);
  }
  for (const TruthLine& w : t.wrinkles) EXPECT_DOUBLE_EQ(w.after, 0.3 * 0.15);
  for (const TruthBlob& r : t.redness) EXPECT_DOUBLE_EQ(r.after, 4.0);
  for (const TruthBlob& s : t.spots) EXPECT_DOUBLE_EQ(s.after, -2.5);
  EXPECT_DOUBLE_EQ(t.micro_relief_rms_before, 0.0);  // PoresOnly has no micro-relief
  EXPECT_DOUBLE_EQ(t.micro_relief_rms_after, 0.0);

  // In the images (the same pores rendered without the other families): closed pores vanish,
  // open pores keep their darkness.
  o.skin.scar_count = o.skin.wrinkle_count = o.skin.redness_count = o.skin.spot_count = 0;
  PhantomPair clean;
  ASSERT_TRUE(RenderPair(o, &clean).ok());
  ASSERT_EQ(clean.truth.pores.size(), t.pores.size());
  const cv::Mat yb = Luminance(clean.before), ya = Luminance(clean.after);
  int checked = 0;
  for (const TruthPore& p : IsolatedPores(clean.truth, yb.size(), 8.0)) {
    const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
    const int bx = x + static_cast<int>(p.radius_before_px) + 4;
    EXPECT_NEAR(1.0 - yb.at<float>(y, x) / yb.at<float>(y, bx), 0.35, 2e-3);
    EXPECT_NEAR(1.0 - ya.at<float>(y, x) / ya.at<float>(y, bx), p.closed ? 0.0 : 0.35, 2e-3)
        << p.x << "," << p.y << " closed " << p.closed;
    ++checked;
  }
  EXPECT_GT(checked, 50);
  // Open pores are drawn at their treated size: their half-dark area in the after photo is
  // 0.7^2 of the before photo's (both ~ pi r^2 for a disc with a 1-px edge).
  double area_before = 0.0, area_after = 0.0;
  for (const TruthPore& p : IsolatedPores(clean.truth, yb.size(), 8.0)) {
    if (p.closed) continue;
    const int r = static_cast<int>(std::ceil(2.0 * p.radius_before_px)) + 2;
    const int x0 = static_cast<int>(std::lround(p.x)), y0 = static_cast<int>(std::lround(p.y));
    const float ref_b = yb.at<float>(y0, x0 + r + 2), ref_a = ya.at<float>(y0, x0 + r + 2);
    for (int v = y0 - r; v <= y0 + r; ++v)
      for (int u = x0 - r; u <= x0 + r; ++u) {
        area_before += 1.0 - yb.at<float>(v, u) / ref_b >= 0.175;
        area_after += 1.0 - ya.at<float>(v, u) / ref_a >= 0.175;
      }
  }
  ASSERT_GT(area_before, 500.0);
  EXPECT_NEAR(area_after / area_before, 0.49, 0.08);
}

// Weber darkness of a scar floor (median inside 0.3 R) against a ring 1.8-2.4 R.
double ScarDarkness(const cv::Mat& y, const TruthBlob& s) {
  std::vector<float> in, ring;
  const int half = static_cast<int>(2.5 * s.radius_px);
  for (int v = static_cast<int>(s.y) - half; v <= static_cast<int>(s.y) + half; ++v) {
    for (int u = static_cast<int>(s.x) - half; u <= static_cast<int>(s.x) + half; ++u) {
      if (u < 0 || v < 0 || u >= y.cols || v >= y.rows) continue;
      const double d = std::hypot(u - s.x, v - s.y) / s.radius_px;
      if (d < 0.3) in.push_back(y.at<float>(v, u));
      if (d > 1.8 && d < 2.4) ring.push_back(y.at<float>(v, u));
    }
  }
  std::nth_element(in.begin(), in.begin() + in.size() / 2, in.end());
  std::nth_element(ring.begin(), ring.begin() + ring.size() / 2, ring.end());
  return 1.0 - in[in.size() / 2] / ring[ring.size() / 2];
}

TEST(PhantomRenderTest, ScarContrastScaleShowsInTheImage) {
  PhantomOptions o = PoresOnly(800, 600);
  o.skin.pore_density_per_cm2 = 0.0;
  o.skin.scar_count = 2;
  o.treatment.scar_contrast_scale = 0.5;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  ASSERT_EQ(pair.truth.scars.size(), 2u);
  const cv::Mat yb = Luminance(pair.before), ya = Luminance(pair.after);
  for (const TruthBlob& s : pair.truth.scars) {
    EXPECT_NEAR(ScarDarkness(yb, s), 0.15, 0.005);
    EXPECT_NEAR(ScarDarkness(ya, s), 0.075, 0.005);
  }
}

TEST(PhantomRenderTest, BaseColourRednessAndSpotsFollowCielab) {
  PhantomOptions o = PoresOnly(400, 300);
  o.skin.pore_density_per_cm2 = 0.0;
  o.skin.redness_count = 1;
  o.skin.redness_radius_min_mm = o.skin.redness_radius_max_mm = 1.5;
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  cv::Mat lab;
  cv::cvtColor(pair.before, lab, cv::COLOR_BGR2Lab);  // float sRGB in, D65 L*a*b* out
  const cv::Vec3f corner = lab.at<cv::Vec3f>(2, 2);   // > 3 R from the patch (inset 1 mm)
  ASSERT_EQ(pair.truth.redness.size(), 1u);
  const TruthBlob& r = pair.truth.redness[0];
  if (std::hypot(r.x - 2, r.y - 2) > 3.5 * r.radius_px) {
    EXPECT_NEAR(corner[0], 66.0, 0.2);
    EXPECT_NEAR(corner[1], 13.0, 0.2);
    EXPECT_NEAR(corner[2], 17.0, 0.2);
  }
  const cv::Vec3f centre =
      lab.at<cv::Vec3f>(static_cast<int>(std::lround(r.y)), static_cast<int>(std::lround(r.x)));
  EXPECT_NEAR(centre[1], 13.0 + 8.0, 0.3);
  EXPECT_NEAR(centre[0], 66.0, 0.3);
  EXPECT_NEAR(r.radius_px, 30.0, 1e-9);

  o.skin.redness_count = 0;
  o.skin.spot_count = 1;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  cv::cvtColor(pair.before, lab, cv::COLOR_BGR2Lab);
  ASSERT_EQ(pair.truth.spots.size(), 1u);
  const TruthBlob& s = pair.truth.spots[0];
  const cv::Vec3f spot =
      lab.at<cv::Vec3f>(static_cast<int>(std::lround(s.y)), static_cast<int>(std::lround(s.x)));
  EXPECT_NEAR(spot[0], 66.0 - 10.0, 0.3);
  EXPECT_NEAR(spot[1], 13.0, 0.3);
}

// Robust (MAD) spread of high-passed log luminance: texture, ignoring sparse features.
double TextureSpread(const cv::Mat& image) {
  cv::Mat logy, lo;
  cv::log(Luminance(image) + 1e-3, logy);
  cv::GaussianBlur(logy, lo, cv::Size(), 8.0);
  cv::Mat hp = cv::abs(logy - lo);
  std::vector<float> v(hp.begin<float>(), hp.end<float>());
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return 1.4826 * v[v.size() / 2];
}

TEST(PhantomRenderTest, LowTextureModeHasFaintPoresOnly) {
  PhantomOptions o;
  o.width = 800;
  o.height = 600;
  o.skin.hair_count = 4;
  PhantomPair textured, low;
  ASSERT_TRUE(RenderPair(o, &textured).ok());
  o.skin.low_texture = true;
  ASSERT_TRUE(RenderPair(o, &low).ok());
  EXPECT_FALSE(textured.truth.scars.empty());
  EXPECT_FALSE(textured.truth.hairs.empty());
  EXPECT_TRUE(low.truth.scars.empty());
  EXPECT_TRUE(low.truth.wrinkles.empty());
  EXPECT_TRUE(low.truth.spots.empty());
  EXPECT_TRUE(low.truth.hairs.empty());
  EXPECT_EQ(low.truth.micro_relief_rms_before, 0.0);
  EXPECT_NEAR(static_cast<double>(low.truth.pores.size()), 960.0, 40.0);
  // The faint pores' halos in the high-pass leave ~0.002; micro-relief alone gives ~0.04.
  const double textured_spread = TextureSpread(textured.before);
  const double low_spread = TextureSpread(low.before);
  std::printf("texture spread: textured %.4f, low texture %.4f\n", textured_spread, low_spread);
  EXPECT_GT(textured_spread, 0.02);
  EXPECT_LT(low_spread, 0.004);
  EXPECT_LT(low_spread, 0.1 * textured_spread);
  // Faint pores: Weber darkness 0.06 at the centre of the biggest pore.
  const TruthPore* big = &low.truth.pores[0];
  for (const TruthPore& p : IsolatedPores(low.truth, {800, 600}, 20.0)) {
    if (p.radius_before_px > big->radius_before_px) big = &p;
  }
  const cv::Mat y = Luminance(low.before);
  const int x = static_cast<int>(std::lround(big->x)), yy = static_cast<int>(std::lround(big->y));
  const double bg = y.at<float>(yy, x + static_cast<int>(big->radius_before_px) + 5);
  EXPECT_NEAR(1.0 - y.at<float>(yy, x) / bg, 0.06, 2e-3);
}

TEST(PhantomRenderTest, Renders1600x1200NonDegenerateSkin) {
  PhantomOptions o;  // defaults: 1600 x 1200
  PhantomPair pair;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("render_seconds_1600x1200", std::to_string(s));
  std::printf("RenderPair 1600x1200: %.3f s\n", s);
  ASSERT_EQ(pair.before.size(), cv::Size(1600, 1200));
  ASSERT_EQ(pair.after.type(), CV_32FC3);
  EXPECT_TRUE(cv::checkRange(pair.before, true, nullptr, 0.0, 1.0 + 1e-6));
  const cv::Scalar mean = cv::mean(pair.before);
  for (int c = 0; c < 3; ++c) {
    EXPECT_GT(mean[c], 0.35) << c;
    EXPECT_LT(mean[c], 0.9) << c;
  }
  EXPECT_GT(mean[2], mean[1]);  // skin: R > G > B
  EXPECT_GT(mean[1], mean[0]);
  cv::Scalar ym, ysd;
  cv::meanStdDev(Luminance(pair.before), ym, ysd);
  EXPECT_GT(ysd[0], 0.01);
  EXPECT_GT(pair.truth.pores.size(), 3500u);  // 80 /cm^2 over 48 cm^2 = 3840
  EXPECT_EQ(pair.truth.scars.size(), 6u);
  EXPECT_EQ(pair.truth.wrinkles.size(), 5u);
}

// ChartSceneOptions: a ColorChecker on the skin, at the requested place and size, painted with
// the reference patches (an identity capture shows them as they are), and posed with the skin.
TEST(PhantomChartTest, ChartPatchesCornersAndPose) {
  PhantomOptions o;
  o.width = 800;
  o.height = 600;
  o.seed = 4;
  o.chart.width_fraction = 0.4;
  o.chart.centre_x_fraction = 0.3;
  o.chart.centre_y_fraction = 0.7;
  o.before_capture.noise_sigma = 0.0;
  o.after_capture.noise_sigma = 0.0;
  o.after_capture.image_from_skin = cv::Matx33d(1, 0, 25, 0, 1, -10, 0, 0, 1);
  PhantomPair pair;
  ASSERT_TRUE(RenderPair(o, &pair).ok());
  const auto& cb = pair.truth.chart_corners_before;
  ASSERT_EQ(cb.size(), 4u);
  // Width fraction and centre (the chart corners are floats).
  EXPECT_NEAR(cb[1].x - cb[0].x, 0.4 * 800, 1e-3);
  EXPECT_NEAR(0.5 * (cb[0].x + cb[1].x), 0.3 * 799, 1e-3);
  EXPECT_NEAR(0.5 * (cb[0].y + cb[2].y), 0.7 * 599, 1e-3);
  EXPECT_NEAR(pair.truth.chart_corners_after[0].x, cb[0].x + 25, 1e-9);  // posed with the skin
  EXPECT_NEAR(pair.truth.chart_corners_after[0].y, cb[0].y - 10, 1e-9);
  // Each patch's centre reads its reference colour (anti-aliasing blur of the capture left
  // aside: the centre of a ~40 px patch is flat).
  photometric::ChartCorners corners;
  for (size_t k = 0; k < 4; ++k) corners[k] = cv::Point2f(cb[k]);
  const auto quads = photometric::ChartPatchQuads(corners);
  const auto& ref = photometric::ChartReferenceSrgb8();
  for (size_t i = 0; i < quads.size(); ++i) {
    cv::Point2f c(0, 0);
    for (const cv::Point2f& q : quads[i]) c += 0.25f * q;
    const cv::Vec3f px = pair.before.at<cv::Vec3f>(cvRound(c.y), cvRound(c.x));
    for (int ch = 0; ch < 3; ++ch)  // reference is R, G, B; the image B, G, R
      EXPECT_NEAR(px[2 - ch], ref[i][ch] / 255.0, 0.01) << "patch " << i << " channel " << ch;
  }
  // Options are checked.
  o.chart.width_fraction = 0.95;
  EXPECT_FALSE(o.Check().ok());
  o.chart.width_fraction = 0.02;  // too small to paint a chart
  EXPECT_FALSE(o.Check().ok());
  o.chart.width_fraction = 0.7;  // centred at x 0.3: would reach past the left edge
  EXPECT_FALSE(o.Check().ok());
  o.chart.width_fraction = 0.3;
  o.chart.in_before = o.chart.in_after = false;
  EXPECT_FALSE(o.Check().ok());
}

}  // namespace
}  // namespace skintrack::phantom
