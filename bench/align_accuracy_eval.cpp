// Alignment accuracy on pairs with exact ground truth (issue acceptance figures).
//   align_accuracy_eval [--suite random|lowtex|largepose|real|different|all] [--pairs N]
//                       [--real-dir DIR] [--json FILE] [--working-long-side PX]
// Suites: "random" seeded phantom pairs (1600x1200, random capture: rotation +-10 deg,
// scale +-10 %, keystone, exposure +-30 %, white balance +-8 %, side light, JPEG q85);
// "lowtex" the same in low-texture mode; "largepose" rotation +-30 deg with scale 0.7 / 1.4;
// "real" each ISIC image re-photographed by a random capture; "different" pairs of
// different skin (must all fail).
// TRE (target registration error): over a 40x30 grid of before-image points whose true
// after point lies inside the after image, |H_true(q_est) - p| in before px, where q_est is
// where the estimate maps p (global homography only, and full mapping incl. the DIS residual).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "skintrack/align/align.h"
#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"

namespace fs = std::filesystem;
using namespace skintrack;

namespace {

struct PairOutcome {
  std::string name;
  std::string status, method;
  double tre_global_median = 0, tre_global_max = 0, tre_full_median = 0, tre_full_max = 0;
  double seconds = 0;
  bool nonrigid = false;
};

cv::Point2d Apply(const cv::Matx33d& h, const cv::Point2d& p) {
  const cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1.0);
  return {v[0] / v[2], v[1] / v[2]};
}

double Median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Registration options of every pair (--working-long-side changes the working size).
align::AlignOptions g_align_options;

PairOutcome Evaluate(const std::string& name, const cv::Mat& before, const cv::Mat& after,
                     const cv::Matx33d& truth_after_to_before) {
  PairOutcome out;
  out.name = name;
  align::AlignmentResult r;
  const Status st = align::Align(before, after, g_align_options, &r);
  if (!st.ok()) {
    out.status = "error: " + st.message();
    return out;
  }
  out.status = align::AlignmentStatusName(r.status);
  if (r.status != align::AlignmentStatus::kOk)
    std::fprintf(stderr, "%s: %s\n", name.c_str(), r.reason.c_str());
  out.method = r.method;
  out.seconds = r.seconds;
  out.nonrigid = r.nonrigid_used;
  const cv::Matx33d true_b2a = truth_after_to_before.inv();
  const cv::Matx33d est_b2a = r.after_to_before.inv();
  std::vector<double> eg, ef;
  for (int iy = 0; iy < 30; ++iy) {
    for (int ix = 0; ix < 40; ++ix) {
      const cv::Point2d p(ix * (before.cols - 1) / 39.0, iy * (before.rows - 1) / 29.0);
      const cv::Point2d q_true = Apply(true_b2a, p);
      if (q_true.x < 0 || q_true.y < 0 || q_true.x > after.cols - 1 || q_true.y > after.rows - 1)
        continue;
      eg.push_back(cv::norm(Apply(truth_after_to_before, Apply(est_b2a, p)) - p));
      ef.push_back(cv::norm(Apply(truth_after_to_before, align::BeforeToAfter(r, p)) - p));
    }
  }
  out.tre_global_median = Median(eg);
  out.tre_global_max = eg.empty() ? -1 : *std::max_element(eg.begin(), eg.end());
  out.tre_full_median = Median(ef);
  out.tre_full_max = ef.empty() ? -1 : *std::max_element(ef.begin(), ef.end());
  return out;
}

void Summarise(const std::string& suite, const std::vector<PairOutcome>& v, bool expect_fail,
               nlohmann::json* report) {
  std::vector<double> gm, fm, t;
  int failed = 0, poor = 0;
  double worst_g = 0, worst_f = 0;
  for (const auto& o : v) {
    if (o.status == "failed" || o.status.rfind("error", 0) == 0) {
      ++failed;
      continue;
    }
    if (o.status == "poor") ++poor;
    gm.push_back(o.tre_global_median);
    fm.push_back(o.tre_full_median);
    worst_g = std::max(worst_g, o.tre_global_max);
    worst_f = std::max(worst_f, o.tre_full_max);
    t.push_back(o.seconds);
  }
  std::printf("\n## %s (%zu pairs)\n", suite.c_str(), v.size());
  std::printf("| pair | status | method | TRE global med/max px | TRE full med/max px | s |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& o : v)
    std::printf("| %s | %s | %s | %.3f / %.3f | %.3f / %.3f | %.2f |\n", o.name.c_str(),
                o.status.c_str(), o.method.c_str(), o.tre_global_median, o.tre_global_max,
                o.tre_full_median, o.tre_full_max, o.seconds);
  std::printf(
      "summary %s: failed %d/%zu, poor %d; median of per-pair median TRE: global %.3f px, "
      "full %.3f px; worst pair max TRE: global %.3f, full %.3f; median time %.2f s%s\n",
      suite.c_str(), failed, v.size(), poor, Median(gm), Median(fm), worst_g, worst_f, Median(t),
      expect_fail ? " (all must fail)" : "");
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& o : v)
    pairs.push_back({{"name", o.name},
                     {"status", o.status},
                     {"method", o.method},
                     {"tre_global_median", o.tre_global_median},
                     {"tre_global_max", o.tre_global_max},
                     {"tre_full_median", o.tre_full_median},
                     {"tre_full_max", o.tre_full_max},
                     {"seconds", o.seconds}});
  (*report)[suite] = {{"pairs", pairs},
                      {"failed", failed},
                      {"poor", poor},
                      {"median_tre_global", Median(gm)},
                      {"median_tre_full", Median(fm)},
                      {"max_tre_global", worst_g},
                      {"max_tre_full", worst_f},
                      {"median_seconds", Median(t)}};
}

phantom::PhantomOptions PhantomFor(std::uint64_t seed, bool low_texture,
                                   const phantom::RandomCaptureOptions& rc) {
  phantom::PhantomOptions o;
  o.seed = seed;
  o.skin.low_texture = low_texture;
  std::mt19937_64 rng(seed * 7919 + 13);
  phantom::RandomCaptureOptions still = rc;
  still.max_rotation_deg = still.max_scale_change = still.max_translation_fraction =
      still.max_perspective = 0.0;
  const cv::Size size(o.width, o.height);
  o.before_capture = phantom::RandomCapture(still, size, rng);
  o.after_capture = phantom::RandomCapture(rc, size, rng);
  return o;
}

cv::Matx33d RotScale(double deg, double s, cv::Size size) {
  const double r = deg * CV_PI / 180, cx = (size.width - 1) / 2.0, cy = (size.height - 1) / 2.0;
  return cv::Matx33d(1, 0, cx, 0, 1, cy, 0, 0, 1) *
         cv::Matx33d(s * std::cos(r), -s * std::sin(r), 0, s * std::sin(r), s * std::cos(r), 0, 0,
                     0, 1) *
         cv::Matx33d(1, 0, -cx, 0, 1, -cy, 0, 0, 1);
}

std::vector<std::string> RealImages(const std::string& dir) { return bench::JpegFiles(dir); }

}  // namespace

int main(int argc, char** argv) {
  std::string suite = "all", json_path, real_dir = "../shared/data/real/isic_cc0";
  int pairs = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--suite")
      suite = v;
    else if (k == "--pairs")
      pairs = std::stoi(v);
    else if (k == "--json")
      json_path = v;
    else if (k == "--real-dir")
      real_dir = v;
    else if (k == "--working-long-side")
      g_align_options.working_long_side = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 1;
    }
  }
  if (const Status st = g_align_options.Check(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  auto want = [&](const char* s) { return suite == "all" || suite == s; };
  nlohmann::json report;
  const phantom::RandomCaptureOptions rc;
  for (int lt = 0; lt < 2; ++lt) {
    const char* name = lt ? "lowtex" : "random";
    if (!want(name)) continue;
    std::vector<PairOutcome> v;
    for (int s = 1; s <= pairs; ++s) {
      phantom::PhantomPair p;
      const Status st = phantom::RenderPair(PhantomFor(1000 * lt + s, lt == 1, rc), &p);
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return 2;
      }
      v.push_back(Evaluate(std::string(name) + "-" + std::to_string(s), p.before, p.after,
                           p.truth.after_to_before));
    }
    Summarise(name, v, false, &report);
  }
  if (want("largepose")) {
    std::vector<PairOutcome> v;
    int k = 0;
    for (double deg : {-30.0, 30.0}) {
      for (double s : {0.7, 1.4}) {
        for (int lt = 0; lt < 2; ++lt) {
          phantom::RandomCaptureOptions fixed = rc;
          fixed.max_rotation_deg = 0;
          fixed.max_scale_change = 0;
          phantom::PhantomOptions o = PhantomFor(2000 + k, lt == 1, fixed);
          o.after_capture.image_from_skin =
              o.after_capture.image_from_skin * RotScale(deg, s, cv::Size(o.width, o.height));
          phantom::PhantomPair p;
          if (!phantom::RenderPair(o, &p).ok()) return 2;
          char nm[64];
          std::snprintf(nm, sizeof nm, "%+.0fdeg-x%.1f%s", deg, s, lt ? "-lowtex" : "");
          v.push_back(Evaluate(nm, p.before, p.after, p.truth.after_to_before));
          ++k;
        }
      }
    }
    Summarise("largepose", v, false, &report);
  }
  const std::vector<std::string> real = RealImages(real_dir);
  if ((want("real") || want("different")) && real.empty()) {
    std::printf("\nSKIP real/different: %s not found (../shared/data/real is absent)\n",
                real_dir.c_str());
  }
  std::vector<cv::Mat> real_images;
  for (const auto& f : real) {
    io::LoadedImage li;
    if (io::LoadImage(f, io::LoadOptions(), &li).ok()) real_images.push_back(li.image);
  }
  if (want("real") && !real_images.empty()) {
    std::vector<PairOutcome> v;
    for (size_t i = 0; i < real_images.size(); ++i) {
      const cv::Mat& img = real_images[i];
      std::mt19937_64 rng(5000 + i);
      phantom::RandomCaptureOptions still = rc;
      still.max_rotation_deg = still.max_scale_change = still.max_translation_fraction =
          still.max_perspective = 0.0;
      const phantom::CaptureOptions cb = phantom::RandomCapture(still, img.size(), rng);
      const phantom::CaptureOptions ca = phantom::RandomCapture(rc, img.size(), rng);
      cv::Mat b, a;
      if (!phantom::ApplyCapture(img, cb, img.size(), 100 + i, &b).ok() ||
          !phantom::ApplyCapture(img, ca, img.size(), 200 + i, &a).ok())
        return 2;
      v.push_back(Evaluate(fs::path(real[i]).stem().string(), b, a,
                           cb.image_from_skin * ca.image_from_skin.inv()));
    }
    Summarise("real", v, false, &report);
  }
  if (want("different")) {
    std::vector<PairOutcome> v;
    for (size_t i = 0; i + 1 < real_images.size(); ++i) {
      v.push_back(
          Evaluate(fs::path(real[i]).stem().string() + "~" + fs::path(real[i + 1]).stem().string(),
                   real_images[i], real_images[i + 1], cv::Matx33d::eye()));
    }
    for (int s = 1; s <= std::min(pairs, 5); ++s) {
      phantom::PhantomPair p1, p2;
      if (!phantom::RenderPair(PhantomFor(3000 + s, false, rc), &p1).ok() ||
          !phantom::RenderPair(PhantomFor(4000 + s, false, rc), &p2).ok())
        return 2;
      v.push_back(Evaluate("phantom-" + std::to_string(3000 + s) + "~" + std::to_string(4000 + s),
                           p1.before, p2.after, cv::Matx33d::eye()));
    }
    Summarise("different", v, true, &report);
  }
  if (!json_path.empty()) std::ofstream(json_path) << report.dump(2) << "\n";
  return 0;
}
