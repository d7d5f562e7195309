// The compare pipeline (ComparePair + CompareMetrics, default options) measures the same skin
// the same way whatever the capture: small phantom pairs that differ only by pose, exposure,
// white balance, side light and JPEG keep texture roughness and the pore count; the same
// photo given twice changes no metric at all. The full figures (12 phantom pairs, 20 ISIC
// photos) come from bench/metrics_invariance_eval (scripts/eval_metrics.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "skintrack/compare/compare.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/report/metrics_report.h"

namespace skintrack::compare {
namespace {

// Rotation by `deg` and scale `s` about the centre of a w x h image, then a shift (px).
cv::Matx33d Pose(double deg, double s, double tx, double ty, cv::Size size) {
  const double r = deg * CV_PI / 180, cx = (size.width - 1) / 2.0, cy = (size.height - 1) / 2.0;
  return cv::Matx33d(1, 0, cx + tx, 0, 1, cy + ty, 0, 0, 1) *
         cv::Matx33d(s * std::cos(r), -s * std::sin(r), 0, s * std::sin(r), s * std::cos(r), 0, 0,
                     0, 1) *
         cv::Matx33d(1, 0, -cx, 0, 1, -cy, 0, 0, 1);
}

struct Measured {
  SessionMetrics m;
  align::AlignmentResult alignment;
};

Measured ComparePipeline(const cv::Mat& before, const cv::Mat& after) {
  CompareOptions o;
  o.mm_per_px = 0.05;  // the phantom's 20 px/mm
  CompareResult r;
  Measured out;
  EXPECT_TRUE(ComparePair(before, after, o, &r).ok());
  out.alignment = r.alignment;
  EXPECT_NE(r.alignment.status, align::AlignmentStatus::kFailed) << r.alignment.reason;
  if (r.alignment.status == align::AlignmentStatus::kFailed) return out;
  const Status st = CompareMetrics(before, after, r.alignment, cv::Mat(), o.mm_per_px,
                                   metrics::MetricsOptions(), &out.m);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

// Every numeric metric, keyed "family.name" (optional values only when present).
// Every numeric metric, keyed "family.name" as in the JSON (report::MetricsToJson, the one
// list of the metrics; nested objects such as roughness_bands are flattened with dots).
void Flatten(const nlohmann::json& j, const std::string& prefix,
             std::map<std::string, double>* out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      Flatten(*it, key, out);
    } else if (it->is_number()) {
      (*out)[key] = it->get<double>();
    }
  }
}

std::map<std::string, double> Numbers(const metrics::MetricsResult& r) {
  std::map<std::string, double> v;
  Flatten(report::MetricsToJson(r), "", &v);
  v["hair_area_fraction"] = r.hair_area_fraction;
  return v;
}

// A phantom 800x600 (20 px/mm, default skin) whose two photos differ by a known capture.
// Both photos get a small pose: a camera never sees the skin on the before photo's pixel
// grid, and the capture model's bilinear resampling of only one photo would itself remove a
// few per cent of the finest texture (see docs/accuracy.md, "Metrics acceptance").
phantom::PhantomPair CapturePair(std::uint64_t seed, double deg_b, double deg_a, double scale_a,
                                 double exposure_a, double side_light_a, int jpeg) {
  phantom::PhantomOptions o;
  o.width = 800;
  o.height = 600;
  o.seed = seed;
  const cv::Size size(o.width, o.height);
  o.before_capture.image_from_skin = Pose(deg_b, 1.0, 0.4, -0.3, size);
  o.before_capture.noise_sigma = 0.003;
  o.before_capture.jpeg_quality = jpeg;
  o.after_capture.image_from_skin = Pose(deg_a, scale_a, 7.3, -5.6, size);
  o.after_capture.exposure = exposure_a;
  o.after_capture.white_balance = cv::Vec3d(1.05, 0.97, 0.94);
  o.after_capture.side_light_strength = side_light_a;
  o.after_capture.side_light_angle_deg = 30;
  o.after_capture.noise_sigma = 0.003;
  o.after_capture.jpeg_quality = jpeg;
  phantom::PhantomPair p;
  EXPECT_TRUE(phantom::RenderPair(o, &p).ok());
  return p;
}

double Rel(double after, double before) { return std::abs(after - before) / std::abs(before); }

TEST(MetricsInvarianceTest, CaptureChangesKeepRoughnessAndPoreCount) {
  struct Case {
    std::uint64_t seed;
    double deg_b, deg_a, scale_a, exposure_a, side_light_a;
  };
  // Rotation a few degrees, scale 0.97-1.03, exposure 0.7-1.3, side light <= 0.25, JPEG q85.
  for (const Case& c : {Case{11, 1.5, -3.0, 1.03, 1.3, 0.2}, Case{12, -2.0, 2.5, 0.97, 0.7, 0.25},
                        Case{13, 0.8, 4.0, 1.0, 1.15, 0.1}}) {
    SCOPED_TRACE("seed " + std::to_string(c.seed));
    const phantom::PhantomPair p =
        CapturePair(c.seed, c.deg_b, c.deg_a, c.scale_a, c.exposure_a, c.side_light_a, 85);
    const Measured r = ComparePipeline(p.before, p.after);
    const metrics::MetricsResult &b = r.m.before, &a = r.m.after;
    // Both sessions are measured over the identical region, most of the before photo.
    EXPECT_EQ(b.roi_area_px, a.roi_area_px);
    EXPECT_GT(b.roi_area_px, 0.75 * p.before.total());
    ASSERT_GT(b.texture.roughness, 0.03);
    ASSERT_GT(b.pores.count, 300);
    // Measured: roughness +0.4..+2.2 %, pore count +0.5..+3.0 %, diameter <= 1 %. ~900 pores
    // flip by a few per cent at the region's edge, hence 4 % for the count. A detector on
    // absolute darkness would follow the 0.7-1.3 exposure; measuring the after photo over its
    // own frame instead of the common region would add the non-overlapping area (2-9 % here).
    EXPECT_LE(Rel(a.texture.roughness, b.texture.roughness), 0.03)
        << b.texture.roughness << " -> " << a.texture.roughness;
    EXPECT_LE(Rel(a.pores.count, b.pores.count), 0.04) << b.pores.count << " -> " << a.pores.count;
    EXPECT_LE(Rel(a.pores.mean_diameter_px, b.pores.mean_diameter_px), 0.03)
        << b.pores.mean_diameter_px << " -> " << a.pores.mean_diameter_px;
  }
}

TEST(MetricsInvarianceTest, SamePhotoTwiceChangesNothing) {
  const phantom::PhantomPair p = CapturePair(14, 1.0, 1.0, 1.0, 1.0, 0.0, 85);
  const Measured r = ComparePipeline(p.before, p.before);
  const auto b = Numbers(r.m.before), a = Numbers(r.m.after);
  ASSERT_EQ(b.size(), a.size());
  EXPECT_GT(b.at("pores.count"), 300);
  for (const auto& [key, before] : b) {
    ASSERT_EQ(a.count(key), 1u) << key;
    EXPECT_NEAR(a.at(key), before, 1e-6) << key;
  }
}

// The after photo's texture is measured on a Lanczos-4 warp: OpenCV's bicubic (a = -0.75) at a
// half-pixel shift has the gain 2 (0.59375 cos(pi f) - 0.09375 cos(3 pi f)) per axis, 1.029 at
// f = 0.15 cycles/px (periods of 4-10 px: the 0.2-0.4 mm band at 20 px/mm), so on it the after
// photo reads rougher. Same skin, same light, the after photo shifted by (10.5, -7.5) px; the
// captures at (0.25, 0.25) and (10.75, -7.25) px, so that the capture model's bilinear
// resampling smooths both photos alike (phases 0.25 and 0.75).
TEST(MetricsInvarianceTest, HalfPixelShiftKeepsTheTexture) {
  phantom::PhantomOptions o;
  o.width = 800;
  o.height = 600;
  o.seed = 15;
  o.before_capture.noise_sigma = o.after_capture.noise_sigma = 0.003;
  o.before_capture.image_from_skin = cv::Matx33d(1, 0, 0.25, 0, 1, 0.25, 0, 0, 1);
  o.after_capture.image_from_skin = cv::Matx33d(1, 0, 10.75, 0, 1, -7.25, 0, 0, 1);
  phantom::PhantomPair p;
  ASSERT_TRUE(phantom::RenderPair(o, &p).ok());
  const Measured r = ComparePipeline(p.before, p.after);
  const double b = r.m.before.texture.roughness, a = r.m.after.texture.roughness;
  ASSERT_GT(b, 0.03);
  EXPECT_LE(Rel(a, b), 0.005) << b << " -> " << a;
  // The same measurement on the bicubic warp reads the after photo rougher.
  metrics::TextureMetrics cubic;
  ASSERT_TRUE(metrics::MeasureTextureOnly(r.m.aligned_after, r.m.region, cv::Mat(), 0.05,
                                          metrics::MetricsOptions(), r.m.after.detections, &cubic)
                  .ok());
  EXPECT_GT(cubic.roughness / b, 1.01) << b << " -> " << cubic.roughness;
}

// Pixels clipped in either photo (a channel >= 250/255: a highlight cut off at the sensor's
// limit by an amount that depends on the exposure) are left out of the texture's region.
TEST(MetricsInvarianceTest, ClippedPixelsOfEitherPhotoHaveNoTexture) {
  const phantom::PhantomPair p = CapturePair(14, 1.0, 1.0, 1.0, 1.0, 0.0, 85);
  cv::Mat after = p.before.clone();
  const cv::Rect clipped(500, 400, 120, 90);
  // Red clipped (BGR): still skin-coloured, so the skin mask keeps it (white would be glare).
  cv::Mat patch = after(clipped);
  std::vector<cv::Mat> ch;
  cv::split(patch, ch);
  ch[2].setTo(1.0);
  cv::merge(ch, patch);
  const Measured r = ComparePipeline(p.before, after);
  ASSERT_FALSE(r.m.texture_region.empty());
  // (Its 2-px rim is interpolated with the skin around it by the warp.)
  const cv::Rect inner(clipped.x + 2, clipped.y + 2, clipped.width - 4, clipped.height - 4);
  EXPECT_EQ(cv::countNonZero(r.m.texture_region(inner)), 0);
  // The other families still measure there; outside the patch the texture is measured too.
  EXPECT_GT(cv::countNonZero(r.m.region(clipped)), clipped.area() * 9 / 10);
  EXPECT_GT(cv::countNonZero(r.m.texture_region(cv::Rect(100, 100, 200, 200))), 200 * 200 * 9 / 10);
}

}  // namespace
}  // namespace skintrack::compare
