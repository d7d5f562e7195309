// Registration on real skin photographs (ISIC, CC0): a real image re-photographed with a known
// random capture must align to subpixel accuracy; two different real images must fail.
// Skipped with a message when ../shared/data/real is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "skintrack/align/align.h"
#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"
#include "test_util.h"

namespace skintrack::align {
namespace {

namespace fs = std::filesystem;

// Loads isic_cc0/<name>; returns false (and the reason) when the data set is absent.
bool LoadReal(const std::string& name, cv::Mat* image, std::string* why) {
  const std::string dir = test::RealDataDir();
  if (dir.empty()) {
    *why = "real data not found (../shared/data/real beside the project)";
    return false;
  }
  const std::string path = (fs::path(dir) / "isic_cc0" / name).string();
  if (!fs::exists(path)) {
    *why = "real image not found: " + path;
    return false;
  }
  io::LoadedImage li;
  const Status st = io::LoadImage(path, io::LoadOptions(), &li);
  EXPECT_TRUE(st.ok()) << st.ToString();
  *image = li.image;
  return st.ok();
}

TEST(AlignRealTest, RephotographedIsicImageAlignsToSubpixel) {
  cv::Mat source;
  std::string why;
  if (!LoadReal("ISIC_0000260.jpg", &source, &why)) GTEST_SKIP() << why;
  ASSERT_EQ(source.size(), cv::Size(1024, 768));
  // Before: the real photo with a photometric change only; after: a random capture
  // (rotation +-10 deg, scale +-10 %, keystone, exposure, WB, side light, noise, JPEG q85).
  std::mt19937_64 rng(2024);
  phantom::RandomCaptureOptions still;
  still.max_rotation_deg = still.max_scale_change = still.max_translation_fraction =
      still.max_perspective = 0.0;
  const phantom::CaptureOptions cb = phantom::RandomCapture(still, source.size(), rng);
  const phantom::CaptureOptions ca =
      phantom::RandomCapture(phantom::RandomCaptureOptions(), source.size(), rng);
  cv::Mat before, after;
  ASSERT_TRUE(phantom::ApplyCapture(source, cb, source.size(), 1, &before).ok());
  ASSERT_TRUE(phantom::ApplyCapture(source, ca, source.size(), 2, &after).ok());
  const cv::Matx33d truth = cb.image_from_skin * ca.image_from_skin.inv();

  AlignmentResult r;
  ASSERT_TRUE(Align(before, after, AlignOptions(), &r).ok());
  const cv::Matx33d b2a = r.after_to_before.inv();
  const test::TreStats g =
      test::GridTre([&](const cv::Point2d& p) { return test::ApplyHomography(b2a, p); }, truth,
                    before.size(), after.size());
  const test::TreStats f = test::GridTre([&](const cv::Point2d& p) { return BeforeToAfter(r, p); },
                                         truth, before.size(), after.size());
  std::printf("  [ISIC_0000260] %s %s: TRE global med %.3f max %.3f, full med %.3f max %.3f\n",
              AlignmentStatusName(r.status), r.method.c_str(), g.median, g.max, f.median, f.max);
  ASSERT_EQ(r.status, AlignmentStatus::kOk) << r.reason;
  ASSERT_GT(g.points, 600);
  EXPECT_LT(g.median, 0.5);
  EXPECT_LT(f.median, 0.5);
}

TEST(AlignRealTest, TwoDifferentIsicImagesFail) {
  // Same camera and dermoscope (1024x768, Nikon E4500): shared vignetting must not be
  // mistaken for a match.
  cv::Mat a, b;
  std::string why;
  if (!LoadReal("ISIC_0000260.jpg", &a, &why) || !LoadReal("ISIC_0000293.jpg", &b, &why))
    GTEST_SKIP() << why;
  AlignmentResult r;
  ASSERT_TRUE(Align(a, b, AlignOptions(), &r).ok());
  std::printf("  [ISIC 260 vs 293] %s: %s\n", AlignmentStatusName(r.status), r.reason.c_str());
  EXPECT_EQ(r.status, AlignmentStatus::kFailed);
  EXPECT_FALSE(r.reason.empty());
}

}  // namespace
}  // namespace skintrack::align
