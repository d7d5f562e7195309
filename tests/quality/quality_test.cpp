// Quality gate and pair comparability: option checks, each estimator on small synthetic images
// with hand-computed values, each gate on a phantom degraded so that it should fail (and the
// clean phantom passing), pair rules, and the JSON.
#include "skintrack/quality/quality.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"
#include "skintrack/report/quality_report.h"

namespace skintrack::quality {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Whether one of `reasons` mentions `words`.
bool Mentions(const std::vector<std::string>& reasons, const std::string& words) {
  for (const std::string& r : reasons)
    if (r.find(words) != std::string::npos) return true;
  return false;
}

// Internal-form image of uniform linear colour (B, G, R).
cv::Mat Uniform(cv::Size size, cv::Vec3f linear_bgr) {
  return photometric::LinearToSrgb(cv::Mat(size, CV_32FC3, cv::Scalar(linear_bgr)));
}

// Linear Y with vertical step edges every 50 px (0.2 <-> 0.4), each an erf of `sigma` px,
// slightly tilted so that edges fall at all sub-pixel phases.
cv::Mat ErfSteps(double sigma) {
  cv::Mat y(200, 400, CV_32F);
  for (int r = 0; r < y.rows; ++r) {
    for (int x = 0; x < y.cols; ++x) {
      double v = 0.2;
      for (int k = 1; k < 8; ++k) {
        const double d = x - (50.0 * k + 0.05 * r);
        const double step =
            sigma > 0 ? 0.5 * (1 + std::erf(d / (sigma * std::sqrt(2.0)))) : (d >= 0 ? 1.0 : 0.0);
        v += (k % 2 ? 0.2 : -0.2) * step;
      }
      y.at<float>(r, x) = static_cast<float>(v);
    }
  }
  return y;
}

TEST(QualityOptionsTest, DefaultsAreValid) {
  EXPECT_TRUE(PhotoQualityOptions().Check().ok());
  EXPECT_TRUE(LightingOptions().Check().ok());
  EXPECT_TRUE(PairComparabilityOptions().Check().ok());
}

TEST(QualityOptionsTest, BadValuesAreRejected) {
  PhotoQualityOptions o;
  o.sharpness_fail_mm = 0.01;  // below caution
  EXPECT_EQ(o.Check().code(), StatusCode::kInvalidArgument);
  o = PhotoQualityOptions();
  o.clipping_fail = 1.5;
  EXPECT_FALSE(o.Check().ok());
  o = PhotoQualityOptions();
  o.family_min_px_per_mm["freckles"] = 3.0;
  EXPECT_FALSE(o.Check().ok());
  PairComparabilityOptions p;
  p.min_overlap = 0.8;  // above caution_overlap
  EXPECT_FALSE(p.Check().ok());
  LightingOptions l;
  l.field_sigma_fraction = 0.0;
  EXPECT_FALSE(l.Check().ok());
}

// On step edges the gradient ratio recovers the blur: sigma^2 = p^2 / (R^2 - 1) - s^2. The
// point-sampled step itself reads ~0.5 px (a pixel-sharp step), so the expectation is
// sqrt(sigma^2 + 0.5^2).
TEST(EstimateBlurTest, RecoversTheSigmaOfErfSteps) {
  const PhotoQualityOptions o;
  for (double sigma : {1.0, 2.0, 4.0}) {
    for (double probe : {1.0, 3.0}) {
      BlurEstimate b;
      ASSERT_TRUE(EstimateBlur(ErfSteps(sigma), cv::Mat(), probe, 0.0, o, &b).ok());
      const double expected = std::sqrt(sigma * sigma + 0.25);
      EXPECT_NEAR(b.sigma_px, expected, 0.04 * expected) << "sigma " << sigma << " probe " << probe;
      EXPECT_GT(b.edges, 0);
    }
  }
  // A pixel-sharp step reads about the pixel's own width (sampling), well under 1 px.
  BlurEstimate b;
  ASSERT_TRUE(EstimateBlur(ErfSteps(0.0), cv::Mat(), 1.0, 0.0, o, &b).ok());
  EXPECT_LT(b.sigma_px, 0.7);
}

TEST(EstimateBlurTest, ABroadDarkEdgeDoesNotOutrankTheSharpOnes) {
  // A dermoscope's vignette: a ramp from near black over ~200 px beside the photo's edges. Its
  // blur is beyond what the probe can measure (ratio ~1), and with that unbounded blur its
  // step amplitude over its low luminance would outrank every real edge: the reading jumped
  // to 1000 px. Ranked with the blur capped, the steps of 2 px decide.
  cv::Mat y(200, 700, CV_32F);
  ErfSteps(2.0).copyTo(y(cv::Rect(300, 0, 400, 200)));
  for (int r = 0; r < y.rows; ++r) {
    for (int x = 0; x < 300; ++x) {
      const double d = x - 150.0;
      y.at<float>(r, x) = static_cast<float>(0.002 + 0.198 * 0.5 * (1 + std::erf(d / 283.0)));
    }
  }
  BlurEstimate b;
  ASSERT_TRUE(EstimateBlur(y, cv::Mat(), 1.0, 0.0, PhotoQualityOptions(), &b).ok());
  EXPECT_NEAR(b.sigma_px, 2.06, 0.2);
}

TEST(EstimateBlurTest, NoiseIsDebiased) {
  cv::Mat y = ErfSteps(2.0);
  cv::Mat n(y.size(), CV_32F);
  cv::RNG rng(7);
  rng.fill(n, cv::RNG::NORMAL, 0.0, 0.005);
  y += n;
  // Noise 0.005 on 0.2 steps: the debiased estimate stays within 25 % of the noise-free
  // reading (the strongest-contrast selection still favours edges whose noise widened them).
  BlurEstimate b;
  ASSERT_TRUE(EstimateBlur(y, cv::Mat(), 1.0, 0.005, PhotoQualityOptions(), &b).ok());
  EXPECT_NEAR(b.sigma_px, 2.06, 0.5);
  EXPECT_GT(b.edges, 0);
}

TEST(EstimateBlurTest, FlatImageHasNoEdge) {
  BlurEstimate b;
  ASSERT_TRUE(EstimateBlur(cv::Mat(100, 100, CV_32F, cv::Scalar(0.3)), cv::Mat(), 1.0, 0.0,
                           PhotoQualityOptions(), &b)
                  .ok());
  EXPECT_EQ(b.edges, 0);
}

// 100 x 100 skin-coloured image: 300 px (3 %) with the red channel at 1 -> clipping 0.03.
TEST(AssessPhotoTest, ClippingFractionIsCounted) {
  cv::Mat im = Uniform({100, 100}, {0.15f, 0.2f, 0.35f});
  for (int i = 0; i < 300; ++i) im.at<cv::Vec3f>(i / 100, i % 100)[2] = 1.0f;
  PhotoQuality q;
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &q).ok());
  const QualityCheck* c = q.Find("clipping");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->value.has_value());
  EXPECT_NEAR(*c->value, 0.03, 1e-12);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_TRUE(Contains(q.meaningless_families, "redness"));
  EXPECT_TRUE(Contains(q.meaningless_families, "tone"));
  EXPECT_EQ(q.overall, Verdict::kFail);
  EXPECT_EQ(q.roi_px, 10000);
  // The same rows outside the ROI: nothing clipped in it (7000 px).
  cv::Mat roi(im.size(), CV_8UC1, cv::Scalar(255));
  roi.rowRange(0, 3).setTo(0);
  ASSERT_TRUE(AssessPhoto(im, roi, 20.0, PhotoQualityOptions(), &q).ok());
  EXPECT_EQ(*q.Find("clipping")->value, 0.0);
  EXPECT_EQ(q.roi_px, 9700);
  // 30 px = 0.3 %: below the 0.5 % caution threshold.
  cv::Mat im2 = Uniform({100, 100}, {0.15f, 0.2f, 0.35f});
  for (int i = 0; i < 30; ++i) im2.at<cv::Vec3f>(50, i)[0] = 0.0f;
  ASSERT_TRUE(AssessPhoto(im2, cv::Mat(), 20.0, PhotoQualityOptions(), &q).ok());
  EXPECT_NEAR(*q.Find("clipping")->value, 0.003, 1e-12);
  EXPECT_EQ(q.Find("clipping")->verdict, Verdict::kPass);
  // Exactly at the thresholds (50 px = 0.5 %, 200 px = 2 %): not beyond them, so one level
  // milder (pass, caution).
  for (const auto& [px, expect] :
       {std::pair{50, Verdict::kPass}, std::pair{200, Verdict::kCaution}}) {
    cv::Mat edge = Uniform({100, 100}, {0.15f, 0.2f, 0.35f});
    for (int i = 0; i < px; ++i) edge.at<cv::Vec3f>(i / 100, i % 100)[0] = 0.0f;
    ASSERT_TRUE(AssessPhoto(edge, cv::Mat(), 20.0, PhotoQualityOptions(), &q).ok());
    EXPECT_EQ(q.Find("clipping")->verdict, expect) << px;
  }
}

// 150 white px in 10000 = 1.5 % glare (and clipping); coloured bright skin is not glare.
TEST(AssessPhotoTest, GlareFractionIsCounted) {
  cv::Mat im = Uniform({100, 100}, {0.15f, 0.2f, 0.35f});
  for (int i = 0; i < 150; ++i) im.at<cv::Vec3f>(20 + i / 50, 10 + i % 50) = cv::Vec3f(1, 1, 1);
  // Bright but saturated (L* ~ 90, C* ~ 30): not glare.
  for (int i = 0; i < 200; ++i)
    im.at<cv::Vec3f>(60 + i / 50, 10 + i % 50) = cv::Vec3f(0.7f, 0.85f, 0.99f);
  PhotoQuality q;
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &q).ok());
  EXPECT_NEAR(*q.Find("glare")->value, 0.015, 1e-12);
  EXPECT_EQ(q.Find("glare")->verdict, Verdict::kFail);
  EXPECT_TRUE(Contains(q.Find("glare")->meaningless, "texture"));
}

// Each class of pixel at columns the vector loop handles (x < 32) and the scalar tail (37
// columns; 40 rows: the ROI needs 1000 px): counted by hand. Neutral 0.97 (L* ~ 97.6, below
// clip_high) is glare through CIELAB only; white (1, 1, 1) is glare, clipped and in the
// clipped-white mask; one channel at 1 is clipped and in the mask; one at 0 is clipped only. Row 0
// lies outside the ROI, which the mask (the whole image's) ignores.
TEST(AssessPhotoTest, ClippingGlareAndWhiteMaskCountedByHand) {
  cv::Mat im = Uniform({37, 40}, {0.15f, 0.2f, 0.35f});
  for (int r : {0, 5}) {
    for (int x : {3, 20, 33}) im.at<cv::Vec3f>(r, x) = cv::Vec3f(0.97f, 0.97f, 0.97f);
    for (int x : {4, 34}) im.at<cv::Vec3f>(r, x) = cv::Vec3f(1, 1, 1);
    for (int x : {5, 35}) im.at<cv::Vec3f>(r, x)[1] = 1.0f;
    for (int x : {6, 36}) im.at<cv::Vec3f>(r, x)[0] = 0.0f;
  }
  cv::Mat roi(im.size(), CV_8UC1, cv::Scalar(255));
  roi.row(0).setTo(0);
  PhotoMeasures m;
  ASSERT_TRUE(MeasurePhoto(im, roi, PhotoQualityOptions(), &m).ok());
  EXPECT_EQ(m.roi_px, 37 * 39);
  EXPECT_EQ(m.glare_px, 3 + 2);    // row 5: three neutral, two white
  EXPECT_EQ(m.clipped_px, 2 * 3);  // row 5: white, one high channel, one low channel
  ASSERT_FALSE(m.clipped.empty());
  EXPECT_EQ(cv::countNonZero(m.clipped), 2 * 4);  // rows 0 and 5: white and one high channel
  EXPECT_EQ(m.clipped.at<uchar>(0, 34), 255);
  EXPECT_EQ(m.clipped.at<uchar>(5, 5), 255);
  EXPECT_EQ(m.clipped.at<uchar>(5, 36), 0);
  // Without a ROI, row 0 counts too.
  ASSERT_TRUE(MeasurePhoto(im, cv::Mat(), PhotoQualityOptions(), &m).ok());
  EXPECT_EQ(m.roi_px, 37 * 40);
  EXPECT_EQ(m.glare_px, 2 * 5);
  EXPECT_EQ(m.clipped_px, 2 * 6);
}

// The glare count equals counting every ROI pixel by its CIELAB (photometric::SrgbToLab, the
// conversion the gate uses), whatever glare_l: the gate converts only pixels whose luminance
// could reach it, and that bound must not skip one (near black, L* in float is ~2e-6 off).
TEST(AssessPhotoTest, GlareCountEqualsCountingEveryPixel) {
  cv::Mat im(40, 61, CV_32FC3);
  cv::RNG rng(7);
  rng.fill(im, cv::RNG::UNIFORM, 0.0, 1.0);
  for (int i = 0; i < 300; ++i) {  // near-neutral bright and near-black pixels
    const float v = static_cast<float>(rng.uniform(0.9, 1.0));
    im.at<cv::Vec3f>(rng.uniform(0, 40), rng.uniform(0, 61)) = cv::Vec3f(v, v, v);
    const float d = static_cast<float>(rng.uniform(0.0, 1e-6));
    im.at<cv::Vec3f>(rng.uniform(0, 40), rng.uniform(0, 61)) = cv::Vec3f(0, 0, d);
  }
  cv::Mat roi(im.size(), CV_8UC1, cv::Scalar(255));
  roi(cv::Rect(3, 5, 20, 10)).setTo(0);
  const cv::Mat lab = photometric::SrgbToLab(im);
  for (double glare_l : {95.0, 50.0, 1e-3, 1.55e-6}) {
    PhotoQualityOptions o;
    o.glare_l = glare_l;
    ASSERT_TRUE(o.Check().ok());
    const float hi = static_cast<float>(o.clip_high), l_min = static_cast<float>(glare_l);
    const float c2 = static_cast<float>(o.glare_chroma * o.glare_chroma);
    long long expected = 0;
    for (int y = 0; y < im.rows; ++y) {
      for (int x = 0; x < im.cols; ++x) {
        if (!roi.at<uchar>(y, x)) continue;
        const cv::Vec3f v = im.at<cv::Vec3f>(y, x), l = lab.at<cv::Vec3f>(y, x);
        if ((v[0] >= hi && v[1] >= hi && v[2] >= hi) ||
            (l[0] >= l_min && l[1] * l[1] + l[2] * l[2] <= c2))
          ++expected;
      }
    }
    PhotoMeasures m;
    ASSERT_TRUE(MeasurePhoto(im, roi, o, &m).ok());
    EXPECT_EQ(m.glare_px, expected) << "glare_l " << glare_l;
    EXPECT_GT(expected, 0) << "glare_l " << glare_l;
  }
}

// Linear grey 0.3 plus Gaussian noise sd 0.01 in linear light: Immerkaer reads ~0.01.
TEST(AssessPhotoTest, NoiseIsImmerkaerInLinearUnits) {
  cv::Mat lin(300, 300, CV_32FC3, cv::Scalar::all(0.3));
  cv::Mat n(lin.size(), CV_32FC1);
  cv::RNG rng(3);
  rng.fill(n, cv::RNG::NORMAL, 0.0, 0.01);
  cv::Mat n3;
  cv::merge(std::vector<cv::Mat>{n, n, n}, n3);  // grey noise: Y noise sd = 0.01
  lin += n3;
  PhotoQuality q;
  ASSERT_TRUE(
      AssessPhoto(photometric::LinearToSrgb(lin), cv::Mat(), 20.0, PhotoQualityOptions(), &q).ok());
  EXPECT_NEAR(*q.Find("noise")->value, 0.01, 0.0006);
  EXPECT_EQ(q.Find("noise")->verdict, Verdict::kCaution);
  EXPECT_NEAR(q.roi_median_y, 0.3, 0.002);
}

TEST(AssessPhotoTest, ResolutionAgainstFamilyNeeds) {
  const cv::Mat im = Uniform({100, 100}, {0.15f, 0.2f, 0.35f});
  PhotoQuality q;
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 8.0, PhotoQualityOptions(), &q).ok());
  const QualityCheck* r = q.Find("resolution");
  EXPECT_EQ(r->verdict, Verdict::kFail);
  EXPECT_EQ(*r->value, 8.0);
  for (const char* f : {"pores", "wrinkles", "texture", "hair"}) {
    EXPECT_TRUE(Contains(q.meaningless_families, f)) << f;
  }
  for (const char* f : {"scars", "redness", "tone", "striae"}) {
    EXPECT_TRUE(Contains(q.meaningful_families, f)) << f;
  }
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &q).ok());
  EXPECT_EQ(q.Find("resolution")->verdict, Verdict::kPass);
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 17.0, PhotoQualityOptions(), &q).ok());
  EXPECT_EQ(q.Find("resolution")->verdict, Verdict::kCaution);
  EXPECT_TRUE(q.meaningless_families.empty());
  // Exactly the 15 px/mm that pores, wrinkles and texture need is enough.
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 15.0, PhotoQualityOptions(), &q).ok());
  EXPECT_TRUE(q.meaningless_families.empty());
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), std::nullopt, PhotoQualityOptions(), &q).ok());
  EXPECT_EQ(q.Find("resolution")->verdict, Verdict::kUnknown);
  EXPECT_FALSE(q.Find("resolution")->value.has_value());
  EXPECT_EQ(q.px_per_mm_used, 20.0);
  EXPECT_EQ(q.overall, Verdict::kPass);  // unknown does not lower the overall verdict
}

TEST(AssessPhotoTest, AssumedScaleFollowsTheMetricsPreset) {
  // Without a scale the gate judges sharpness at the scale the metrics assume: a preset's
  // assumed px/mm, or the photo's long side over the dermoscope's assumed field.
  metrics::MetricsOptions m;
  m.assumed_px_per_mm = 10.0;
  PhotoQualityOptions base;
  base.sharpness_fail_mm = 0.07;
  const PhotoQualityOptions body = PhotoQualityOptionsFor(m, {400, 300}, base);
  EXPECT_DOUBLE_EQ(body.assumed_px_per_mm, 10.0);
  EXPECT_DOUBLE_EQ(body.sharpness_fail_mm, 0.07);  // the rest of `base` is kept
  m.assumed_field_mm = 20.0;
  const PhotoQualityOptions derm = PhotoQualityOptionsFor(m, {300, 400});
  EXPECT_DOUBLE_EQ(derm.assumed_px_per_mm, 20.0);  // 400 px / 20 mm
  ASSERT_TRUE(derm.Check().ok());
  // A blurred edge reads the same in px and 2.5x fewer mm at 50 px/mm than at 20 px/mm.
  cv::Mat im(300, 400, CV_32FC3, cv::Scalar::all(0.2));
  im(cv::Rect(200, 0, 200, 300)).setTo(cv::Scalar::all(0.6));
  cv::GaussianBlur(im, im, cv::Size(0, 0), 2.0);
  PhotoQuality q20, q50;
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), std::nullopt, PhotoQualityOptions(), &q20).ok());
  ASSERT_TRUE(
      AssessPhoto(im, cv::Mat(), std::nullopt, PhotoQualityOptionsFor(m, {1000, 300}), &q50).ok());
  EXPECT_DOUBLE_EQ(q50.px_per_mm_used, 50.0);
  ASSERT_TRUE(q20.Find("sharpness")->value && q50.Find("sharpness")->value);
  EXPECT_LT(*q50.Find("sharpness")->value, 0.6 * *q20.Find("sharpness")->value);
}

TEST(AssessPhotoTest, RejectsBadInput) {
  const cv::Mat im = Uniform({100, 100}, {0.2f, 0.2f, 0.2f});
  PhotoQuality q;
  EXPECT_EQ(
      AssessPhoto(im, cv::Mat(50, 50, CV_8UC1, cv::Scalar(255)), 20.0, PhotoQualityOptions(), &q)
          .code(),
      StatusCode::kInvalidInput);
  EXPECT_EQ(
      AssessPhoto(im, cv::Mat(100, 100, CV_8UC1, cv::Scalar(0)), 20.0, PhotoQualityOptions(), &q)
          .code(),
      StatusCode::kInvalidInput);  // empty ROI
  EXPECT_EQ(
      AssessPhoto(cv::Mat(100, 100, CV_8UC3), cv::Mat(), 20.0, PhotoQualityOptions(), &q).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(AssessPhoto(im, cv::Mat(), -1.0, PhotoQualityOptions(), &q).code(),
            StatusCode::kInvalidArgument);
}

// --- Phantom gates ---

// An 800x600 phantom at 20 px/mm rendered without noise; variants are re-captured with
// noise 0.003 and JPEG q85 (as a camera would), plus one degradation each.
class PhantomGateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    phantom::PhantomOptions po;
    po.width = 800;
    po.height = 600;
    po.seed = 3;
    phantom::PhantomPair pair;
    ASSERT_TRUE(phantom::RenderPair(po, &pair).ok());
    base_ = new cv::Mat(pair.before);
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }
  static phantom::CaptureOptions Clean() {
    phantom::CaptureOptions c;
    c.noise_sigma = 0.003;
    c.jpeg_quality = 85;
    return c;
  }
  static cv::Mat Capture(const phantom::CaptureOptions& c, const cv::Mat& src, cv::Size size) {
    cv::Mat out;
    EXPECT_TRUE(phantom::ApplyCapture(src, c, size, 11, &out).ok());
    return out;
  }
  static PhotoQuality Assess(const cv::Mat& im, double px_per_mm) {
    PhotoQuality q;
    EXPECT_TRUE(AssessPhoto(im, cv::Mat(), px_per_mm, PhotoQualityOptions(), &q).ok());
    return q;
  }
  static cv::Mat* base_;
};
cv::Mat* PhantomGateTest::base_ = nullptr;

TEST_F(PhantomGateTest, CleanPhantomPassesEveryCheck) {
  const PhotoQuality q = Assess(Capture(Clean(), *base_, base_->size()), 20.0);
  for (const QualityCheck& c : q.checks) {
    EXPECT_EQ(c.verdict, Verdict::kPass) << c.name << ": " << c.message;
  }
  EXPECT_EQ(q.overall, Verdict::kPass);
  EXPECT_TRUE(q.meaningless_families.empty());
  EXPECT_EQ(q.meaningful_families.size(), AllFamilies().size());
}

// A precomputed linear luminance gives the same assessment as converting inside; a plane of
// another size or type is refused; the plane passed is the one used.
TEST_F(PhantomGateTest, PrecomputedLinearLuminanceIsUsed) {
  const cv::Mat im = Capture(Clean(), *base_, base_->size());
  const cv::Mat y = photometric::SrgbToLinearLuminance(im);
  PhotoQuality inside, given, halved;
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &inside).ok());
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &given, y).ok());
  ASSERT_EQ(inside.checks.size(), given.checks.size());
  for (size_t i = 0; i < inside.checks.size(); ++i)
    EXPECT_EQ(inside.checks[i].value, given.checks[i].value) << inside.checks[i].name;
  EXPECT_EQ(inside.roi_median_y, given.roi_median_y);
  ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &halved, y * 0.5).ok());
  EXPECT_NEAR(halved.roi_median_y, 0.5 * inside.roi_median_y, 2e-4);  // histogram median
  PhotoQuality q;
  EXPECT_FALSE(
      AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &q, y(cv::Rect(0, 0, 10, 10))).ok());
  cv::Mat y64;
  y.convertTo(y64, CV_64F);
  EXPECT_FALSE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &q, y64).ok());
}

// One MeasurePhoto serves any scale: AssessMeasuredPhoto leaves the measures as they were, so
// assessing them at several scales (with an ROI, and with clipped white, whose dilation by the
// sharpness margin depends on the scale) equals assessing the photo afresh at each; measures
// not from MeasurePhoto are refused.
TEST_F(PhantomGateTest, MeasuredThenAssessedEqualsAssessPhoto) {
  cv::Mat im = Capture(Clean(), *base_, base_->size());
  im(cv::Rect(40, 40, 30, 20)).setTo(cv::Scalar::all(1.0));  // clipped white
  cv::Mat roi(im.size(), CV_8UC1, cv::Scalar(0));
  roi(cv::Rect(0, 0, im.cols, im.rows * 2 / 3)).setTo(255);
  for (const cv::Mat& r : {cv::Mat(), roi}) {
    PhotoMeasures m;
    ASSERT_TRUE(MeasurePhoto(im, r, PhotoQualityOptions(), &m).ok());
    EXPECT_GT(m.clipped_px, 0);
    ASSERT_FALSE(m.clipped.empty());
    for (const std::optional<double>& px_per_mm :
         {std::optional<double>(20.0), std::optional<double>(8.0), std::optional<double>()}) {
      PhotoQuality direct, staged;
      ASSERT_TRUE(AssessPhoto(im, r, px_per_mm, PhotoQualityOptions(), &direct).ok());
      ASSERT_TRUE(AssessMeasuredPhoto(m, px_per_mm, &staged).ok());
      ASSERT_EQ(direct.checks.size(), staged.checks.size());
      for (size_t i = 0; i < direct.checks.size(); ++i) {
        EXPECT_EQ(direct.checks[i].value, staged.checks[i].value) << direct.checks[i].name;
        EXPECT_EQ(direct.checks[i].verdict, staged.checks[i].verdict) << direct.checks[i].name;
        EXPECT_EQ(direct.checks[i].message, staged.checks[i].message) << direct.checks[i].name;
      }
      EXPECT_EQ(direct.overall, staged.overall);
      EXPECT_EQ(direct.roi_px, staged.roi_px);
      EXPECT_EQ(direct.roi_median_y, staged.roi_median_y);
      EXPECT_EQ(direct.meaningless_families, staged.meaningless_families);
    }
  }
  PhotoQuality q;
  EXPECT_EQ(AssessMeasuredPhoto(PhotoMeasures(), 20.0, &q).code(), StatusCode::kInvalidArgument);
  PhotoMeasures m;
  ASSERT_TRUE(MeasurePhoto(im, cv::Mat(), PhotoQualityOptions(), &m).ok());
  EXPECT_EQ(AssessMeasuredPhoto(m, -1.0, &q).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AssessMeasuredPhoto(m, 20.0, nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MeasurePhoto(im, cv::Mat(), PhotoQualityOptions(), nullptr).code(),
            StatusCode::kInvalidArgument);
}

// Sharpness is read away from clipped white: a clipped box's sharp edges are left out (the
// photo reads as blurred as its soft edge), while the same box just below clipping is read.
TEST(AssessPhotoTest, SharpnessIgnoresEdgesOfClippedWhite) {
  cv::Mat y(400, 400, CV_32FC1, cv::Scalar(0.3));
  y.colRange(200, 400).setTo(0.6);
  cv::GaussianBlur(y, y, cv::Size(), 3.0, 3.0, cv::BORDER_REFLECT);  // the soft edge: 3 px
  cv::Mat noise(y.size(), CV_32FC1);
  cv::RNG rng(7);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.002);
  y += noise;
  double sigma_mm[2] = {0, 0};
  for (int clipped = 0; clipped < 2; ++clipped) {
    cv::Mat box = y.clone();
    box(cv::Rect(40, 150, 80, 80)).setTo(clipped ? 1.0 : 0.95);  // sharp edges
    cv::Mat im;
    cv::merge(std::vector<cv::Mat>{box, box, box}, im);
    PhotoMeasures m;
    PhotoQuality q;
    ASSERT_TRUE(MeasurePhoto(im, cv::Mat(), PhotoQualityOptions(), &m).ok());
    EXPECT_EQ(m.clipped.empty(), clipped == 0);
    ASSERT_TRUE(AssessMeasuredPhoto(m, 20.0, &q).ok());
    ASSERT_NE(q.Find("sharpness"), nullptr);
    sigma_mm[clipped] = q.Find("sharpness")->value.value_or(-1.0);
  }
  EXPECT_LT(sigma_mm[0] * 20.0, 1.5);  // the box's edges: sharp
  EXPECT_GT(sigma_mm[1] * 20.0, 2.0);  // the soft edge only
}

TEST_F(PhantomGateTest, BlurFailsSharpness) {
  for (double mm : {0.1, 0.3}) {
    phantom::CaptureOptions c = Clean();
    c.blur_sigma_px = mm * 20.0;
    const PhotoQuality q = Assess(Capture(c, *base_, base_->size()), 20.0);
    const QualityCheck* s = q.Find("sharpness");
    EXPECT_EQ(s->verdict, Verdict::kFail) << mm << " mm: " << s->message;
    for (const char* f : {"pores", "texture", "wrinkles"}) {
      EXPECT_TRUE(Contains(q.meaningless_families, f)) << mm << " mm " << f;
    }
    // Scars and stretch marks (mm-sized) survive a soft photo; only a reading beyond
    // sharpness_coarse_fail_mm (0.1 mm) takes them too.
    const bool coarse = s->value.value_or(0.0) > PhotoQualityOptions().sharpness_coarse_fail_mm;
    EXPECT_EQ(coarse, mm > 0.2) << mm << " mm read " << s->value.value_or(-1.0);
    for (const char* f : {"scars", "striae"})
      EXPECT_EQ(Contains(q.meaningless_families, f), coarse) << mm << " mm " << f;
    EXPECT_EQ(q.Find("clipping")->verdict, Verdict::kPass);
    EXPECT_EQ(q.Find("glare")->verdict, Verdict::kPass);
  }
}

TEST_F(PhantomGateTest, OverExposureFailsClipping) {
  phantom::CaptureOptions c = Clean();
  c.exposure = 2.5;
  const PhotoQuality q = Assess(Capture(c, *base_, base_->size()), 20.0);
  EXPECT_EQ(q.Find("clipping")->verdict, Verdict::kFail) << q.Find("clipping")->message;
  EXPECT_TRUE(Contains(q.meaningless_families, "redness"));
  EXPECT_TRUE(Contains(q.meaningless_families, "tone"));
  EXPECT_NE(q.Find("glare")->verdict, Verdict::kFail);  // clipped skin is coloured, not glare
}

TEST_F(PhantomGateTest, GlareSpotsFailGlare) {
  // 40 specular spots, radius 4-16 px: linear light + 1.5 x a Gaussian of sd r / 1.5.
  cv::Mat lin = photometric::SrgbToLinear(*base_);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> ux(0, 799), uy(0, 599), ur(4, 16);
  for (int k = 0; k < 40; ++k) {
    const double cx = ux(rng), cy = uy(rng), sd = ur(rng) / 1.5;
    for (int y = std::max(0, int(cy - 3 * sd)); y <= std::min(599, int(cy + 3 * sd)); ++y) {
      for (int x = std::max(0, int(cx - 3 * sd)); x <= std::min(799, int(cx + 3 * sd)); ++x) {
        const double a = std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sd * sd));
        lin.at<cv::Vec3f>(y, x) += cv::Vec3f::all(static_cast<float>(1.5 * a));
      }
    }
  }
  const PhotoQuality q =
      Assess(Capture(Clean(), photometric::LinearToSrgb(lin), base_->size()), 20.0);
  EXPECT_EQ(q.Find("glare")->verdict, Verdict::kFail) << q.Find("glare")->message;
  EXPECT_TRUE(Contains(q.meaningless_families, "texture"));
  // Edges near clipped highlights are ignored: the spots' wide flanks do not read as blur.
  EXPECT_EQ(q.Find("sharpness")->verdict, Verdict::kPass) << q.Find("sharpness")->message;
}

TEST_F(PhantomGateTest, DownsampledTo8PxPerMmFailsResolutionForPores) {
  phantom::CaptureOptions c = Clean();
  const double s = 0.4;  // 20 -> 8 px/mm, pixel centres kept
  c.image_from_skin = cv::Matx33d(s, 0, 0.5 * s - 0.5, 0, s, 0.5 * s - 0.5, 0, 0, 1);
  const PhotoQuality q = Assess(Capture(c, *base_, {320, 240}), 8.0);
  EXPECT_EQ(q.Find("resolution")->verdict, Verdict::kFail);
  EXPECT_TRUE(Contains(q.meaningless_families, "pores"));
  EXPECT_TRUE(Contains(q.meaningful_families, "scars"));
}

TEST_F(PhantomGateTest, NoiseFailsNoise) {
  phantom::CaptureOptions c = Clean();
  c.noise_sigma = 0.05;
  const PhotoQuality q = Assess(Capture(c, *base_, base_->size()), 20.0);
  EXPECT_EQ(q.Find("noise")->verdict, Verdict::kFail) << q.Find("noise")->message;
  EXPECT_TRUE(Contains(q.meaningless_families, "pores"));
  c.noise_sigma = 0.03;
  const PhotoQuality q2 = Assess(Capture(c, *base_, base_->size()), 20.0);
  EXPECT_NE(q2.Find("noise")->verdict, Verdict::kPass) << q2.Find("noise")->message;
}

TEST_F(PhantomGateTest, Deterministic) {
  const cv::Mat im = Capture(Clean(), *base_, base_->size());
  const PhotoQuality a = Assess(im, 20.0), b = Assess(im, 20.0);
  ASSERT_EQ(a.checks.size(), b.checks.size());
  for (size_t i = 0; i < a.checks.size(); ++i) EXPECT_EQ(a.checks[i].value, b.checks[i].value);
}

// --- Lighting and pairs ---

TEST(LightingTest, HandComputedRatios) {
  const cv::Vec3f skin(0.15f, 0.2f, 0.35f);
  const cv::Mat before = Uniform({200, 100}, skin);
  // Exposure x1.2 and red gain x1.1 in linear light.
  const cv::Mat after = Uniform({200, 100}, {0.15f * 1.2f, 0.2f * 1.2f, 0.35f * 1.2f * 1.1f});
  LightingDifference d;
  ASSERT_TRUE(MeasureLightingDifference(before, after, cv::Mat(), LightingOptions(), &d).ok());
  const double y_b = 0.0722 * 0.15 + 0.7152 * 0.2 + 0.2126 * 0.35;
  const double y_a = 1.2 * (0.0722 * 0.15 + 0.7152 * 0.2 + 0.2126 * 0.35 * 1.1);
  EXPECT_NEAR(d.luminance_ratio, y_a / y_b, 1e-4);
  EXPECT_NEAR(d.chroma_shift, std::log(1.1), 1e-4);
  EXPECT_NEAR(d.field_spread, 0.0, 1e-4);
  EXPECT_EQ(d.region_px, 20000);
  // A blue gain x1.1 alone is the same chroma shift.
  ASSERT_TRUE(MeasureLightingDifference(before, Uniform({200, 100}, {0.15f * 1.1f, 0.2f, 0.35f}),
                                        cv::Mat(), LightingOptions(), &d)
                  .ok());
  EXPECT_NEAR(d.chroma_shift, std::log(1.1), 1e-4);

  // A horizontal linear-light ramp 0.7 .. 1.3 on the after photo: the low-passed log field
  // difference spans about ln(1.3 / 0.7) = 0.62, less the smoothing near the ends.
  cv::Mat lin(100, 200, CV_32FC3);
  for (int y = 0; y < 100; ++y) {
    for (int x = 0; x < 200; ++x) {
      const float g = 0.7f + 0.6f * x / 199.0f;
      lin.at<cv::Vec3f>(y, x) = skin * g;
    }
  }
  ASSERT_TRUE(MeasureLightingDifference(before, photometric::LinearToSrgb(lin), cv::Mat(),
                                        LightingOptions(), &d)
                  .ok());
  EXPECT_GT(d.field_spread, 0.45);
  EXPECT_LT(d.field_spread, 0.63);
  EXPECT_NEAR(d.chroma_shift, 0.0, 1e-4);
}

TEST(LightingTest, AfterPxPerBeforePx) {
  align::AlignmentResult a;
  a.after_to_before = cv::Matx33d(2, 0, 10, 0, 2, -5, 0, 0, 1);  // after is at half the scale
  EXPECT_NEAR(AfterPxPerBeforePx(a, {100, 100}), 0.5, 1e-12);
  a.after_to_before = cv::Matx33d::eye();
  EXPECT_NEAR(AfterPxPerBeforePx(a, {100, 100}), 1.0, 1e-12);
}

class PairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const cv::Mat im = Uniform({100, 100}, {0.15f, 0.2f, 0.35f});
    ASSERT_TRUE(AssessPhoto(im, cv::Mat(), 20.0, PhotoQualityOptions(), &good_).ok());
    alignment_.status = align::AlignmentStatus::kOk;
    evidence_.overlap_fraction = 0.95;
    evidence_.scale_ratio = 1.0;
    LightingDifference same;
    same.luminance_ratio = 1.0;
    evidence_.lighting = same;
  }
  PairComparability Run(const PhotoQuality& b, const PhotoQuality& a) {
    PairComparability c;
    EXPECT_TRUE(AssessPair(b, a, alignment_, evidence_, PairComparabilityOptions(),
                           PhotoQualityOptions(), &c)
                    .ok());
    return c;
  }
  PhotoQuality good_;
  align::AlignmentResult alignment_;
  PairEvidence evidence_;
};

TEST_F(PairTest, CleanPairWithIdenticalLightIsComparable) {
  const PairComparability c = Run(good_, good_);
  EXPECT_EQ(c.verdict, Comparability::kComparable);
  EXPECT_TRUE(c.reasons.empty());
  EXPECT_TRUE(c.not_meaningful.empty());
  ASSERT_TRUE(c.effective_px_per_mm.has_value());
  EXPECT_EQ(*c.effective_px_per_mm, 20.0);
}

TEST_F(PairTest, FailedAlignmentIsNotComparable) {
  alignment_.status = align::AlignmentStatus::kFailed;
  alignment_.reason = "no precise match";
  const PairComparability c = Run(good_, good_);
  EXPECT_EQ(c.verdict, Comparability::kNotComparable);
  ASSERT_FALSE(c.reasons.empty());
  EXPECT_NE(c.reasons[0].find("alignment failed"), std::string::npos);
  EXPECT_EQ(c.not_meaningful.size(), AllFamilies().size());
}

TEST_F(PairTest, SmallOverlapIsNotComparable) {
  evidence_.overlap_fraction = 0.3;
  EXPECT_EQ(Run(good_, good_).verdict, Comparability::kNotComparable);
  evidence_.overlap_fraction = 0.6;
  EXPECT_EQ(Run(good_, good_).verdict, Comparability::kCaution);
}

TEST_F(PairTest, StrongLightingDifferenceIsCaution) {
  LightingDifference l;
  l.luminance_ratio = 1.0;
  l.field_spread = 1.4;  // side light 0.6: ln(1.6 / 0.4)
  evidence_.lighting = l;
  const PairComparability c = Run(good_, good_);
  EXPECT_EQ(c.verdict, Comparability::kCaution);
  EXPECT_TRUE(Mentions(c.reasons, "strong lighting"));
  // Uncalibrated colour under different light: redness and tone are not comparable.
  EXPECT_TRUE(Contains(c.not_meaningful, "redness"));
  EXPECT_TRUE(Contains(c.not_meaningful, "tone"));
  EXPECT_FALSE(Contains(c.not_meaningful, "pores"));
  // With a colour calibration, only the lighting caution remains.
  evidence_.colour_calibration = "chart";
  const PairComparability c2 = Run(good_, good_);
  EXPECT_EQ(c2.verdict, Comparability::kCaution);
  EXPECT_TRUE(c2.not_meaningful.empty());
  EXPECT_EQ(c2.colour_calibration, "chart");
}

TEST_F(PairTest, ScaleRatioLimitsFineFamilies) {
  evidence_.scale_ratio = 0.6;  // after at 12 px/mm effective
  const PairComparability c = Run(good_, good_);
  EXPECT_EQ(c.verdict, Comparability::kCaution);
  EXPECT_NEAR(*c.effective_px_per_mm, 12.0, 1e-12);
  EXPECT_TRUE(Contains(c.not_meaningful, "hair"));
  EXPECT_TRUE(Contains(c.not_meaningful, "pores"));
  EXPECT_TRUE(Contains(c.not_meaningful, "texture"));
  EXPECT_FALSE(Contains(c.not_meaningful, "scars"));
  evidence_.scale_ratio = 0.4;
  EXPECT_EQ(Run(good_, good_).verdict, Comparability::kNotComparable);
}

TEST_F(PairTest, AnAfterPhotoSlightlyCoarserThanANeedIsCaution) {
  // Before at 16 px/mm, the after photo 0.9 x as fine: 14.4 px/mm, below the 15 that pores,
  // wrinkles and texture need.
  PhotoQuality fine;
  ASSERT_TRUE(AssessPhoto(Uniform({100, 100}, {0.15f, 0.2f, 0.35f}), cv::Mat(), 16.0,
                          PhotoQualityOptions(), &fine)
                  .ok());
  evidence_.scale_ratio = 0.9;
  const PairComparability c = Run(fine, fine);
  EXPECT_EQ(c.verdict, Comparability::kCaution);
  EXPECT_NEAR(*c.effective_px_per_mm, 14.4, 1e-9);
  EXPECT_TRUE(Mentions(c.reasons, "effective resolution"));
  EXPECT_TRUE(Contains(c.not_meaningful, "pores"));
}

TEST_F(PairTest, AColourCastAloneMakesUncalibratedColourNotComparable) {
  // Same exposure, no field, but the after light is bluer (chroma shift 0.1 > 0.02): the light
  // is not identical, so uncalibrated redness and tone are not comparable.
  LightingDifference l;
  l.luminance_ratio = 1.0;
  l.chroma_shift = 0.1;
  evidence_.lighting = l;
  const PairComparability c = Run(good_, good_);
  EXPECT_TRUE(Contains(c.not_meaningful, "redness"));
  EXPECT_TRUE(Contains(c.not_meaningful, "tone"));
  EXPECT_FALSE(Contains(c.not_meaningful, "pores"));
}

TEST_F(PairTest, ADarkerAfterPhotoIsAnExposureCaution) {
  // Half the light (ratio 0.5, i.e. 2x in the other direction): caution even with a chart.
  LightingDifference l;
  l.luminance_ratio = 0.5;
  evidence_.lighting = l;
  evidence_.colour_calibration = "chart";
  const PairComparability c = Run(good_, good_);
  EXPECT_EQ(c.verdict, Comparability::kCaution);
  EXPECT_TRUE(Mentions(c.reasons, "exposure differs"));
  EXPECT_TRUE(c.not_meaningful.empty());
}

TEST_F(PairTest, AFailedPhotoCarriesItsFamilies) {
  PhotoQuality coarse;
  ASSERT_TRUE(AssessPhoto(Uniform({100, 100}, {0.15f, 0.2f, 0.35f}), cv::Mat(), 8.0,
                          PhotoQualityOptions(), &coarse)
                  .ok());
  const PairComparability c = Run(good_, coarse);
  EXPECT_EQ(c.verdict, Comparability::kCaution);
  EXPECT_TRUE(Contains(c.not_meaningful, "pores"));
}

TEST_F(PairTest, RejectsBadEvidence) {
  PairComparability c;
  evidence_.overlap_fraction = 1.5;
  EXPECT_FALSE(AssessPair(good_, good_, alignment_, evidence_, PairComparabilityOptions(),
                          PhotoQualityOptions(), &c)
                   .ok());
  evidence_.overlap_fraction = 0.9;
  evidence_.colour_calibration = "";
  EXPECT_FALSE(AssessPair(good_, good_, alignment_, evidence_, PairComparabilityOptions(),
                          PhotoQualityOptions(), &c)
                   .ok());
}

// --- JSON ---

TEST(QualityJsonTest, PhotoQualityKeys) {
  PhotoQuality q;
  ASSERT_TRUE(AssessPhoto(Uniform({100, 100}, {0.15f, 0.2f, 0.35f}), cv::Mat(), std::nullopt,
                          PhotoQualityOptions(), &q)
                  .ok());
  const nlohmann::json j = report::PhotoQualityToJson(q);
  EXPECT_EQ(j.at("verdict"), "pass");
  EXPECT_EQ(j.at("scale_known"), false);
  EXPECT_TRUE(j.at("px_per_mm").is_null());
  EXPECT_EQ(j.at("px_per_mm_used"), 20.0);
  for (const char* name : {"sharpness", "clipping", "glare", "noise", "resolution"}) {
    const nlohmann::json& c = j.at("checks").at(name);
    for (const char* k : {"value", "unit", "threshold", "caution_threshold", "direction", "verdict",
                          "message", "meaningless"}) {
      EXPECT_TRUE(c.contains(k)) << name << "." << k;
    }
  }
  EXPECT_TRUE(j["checks"]["resolution"]["value"].is_null());
  EXPECT_EQ(j["checks"]["resolution"]["verdict"], "unknown");
  EXPECT_EQ(j["checks"]["resolution"]["direction"], "min");
  EXPECT_EQ(j["checks"]["clipping"]["value"], 0.0);
  EXPECT_EQ(j["checks"]["clipping"]["unit"], "fraction");
  EXPECT_EQ(j["checks"]["clipping"]["threshold"], 0.02);
  EXPECT_EQ(j.at("meaningful_families").size(), AllFamilies().size());
}

TEST(QualityJsonTest, ComparabilityKeys) {
  PairComparability c;
  c.verdict = Comparability::kCaution;
  c.reasons = {"overlap 60 % below 70 %"};
  c.not_meaningful = {"redness", "tone"};
  c.alignment_status = "ok";
  c.overlap_fraction = 0.6;
  c.scale_ratio = 0.98;
  c.colour_calibration = "uncalibrated";
  const nlohmann::json j = report::ComparabilityToJson(c);
  EXPECT_EQ(j.at("verdict"), "caution");
  EXPECT_EQ(j.at("reasons").size(), 1u);
  EXPECT_EQ(j.at("not_meaningful")[1], "tone");
  EXPECT_EQ(j["evidence"]["overlap_fraction"], 0.6);
  EXPECT_TRUE(j["evidence"]["lighting"].is_null());
  EXPECT_TRUE(j["evidence"]["effective_px_per_mm"].is_null());
  LightingDifference l;
  l.luminance_ratio = 1.25;
  c.lighting = l;
  EXPECT_EQ(report::ComparabilityToJson(c)["evidence"]["lighting"]["luminance_ratio"], 1.25);
}

}  // namespace
}  // namespace skintrack::quality
