// Texture, colour and hair/skin-mask accuracy and speed figures (the metrics issue's targets).
//   texture_color_accuracy_eval [--suite relief|invariance|textures|colour|hair|isic|speed|all]
//                               [--pairs N] [--overlay-dir DIR] [--threads N]
//                               [--reps N] [--real-dir DIR]
// Suites:
//  relief      phantom micro_relief_scale k = 0.5, 0.8 read as the roughness ratio after/before
//              (relief-only skin and the default skin; clean and noise + JPEG q85 captures).
//  invariance  the same phantom skin photographed twice, the after session with a random
//              photometric change only (exposure +-30 %, WB +-8 %, side light <= 0.3, noise
//              0.003 and JPEG q85 on both): |roughness change| median / max, per band, GLCM.
//  textures    gravel / grass / brick (textures_cc0) roughness under 8 re-lightings.
//  colour      redness / tone: same colour capture with only the noise differing (and JPEG);
//              redness_scale 0.5 against the truth; spot counts against the truth.
//  hair        phantom hairs (recall by pixel area) and wrinkles (centre-line false positives).
//  isic        hair area fraction on the ISIC images at 20 and 40 px/mm; overlays optional.
//  speed       SkinMask, HairMask, MeasureTexture, MeasureRedness, MeasureTone at 4000x3000.
// This program includes the private src/metrics/families.h to time the families one by one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "../src/metrics/families.h"
#include "bench_util.h"
#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"

namespace fs = std::filesystem;
using namespace skintrack;

namespace {

// ../shared/data/real beside the project (this file is <project>/bench/...), or --real-dir.
std::string kRealDir =
    (fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared/data/real").string();

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
double Max(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

metrics::MetricsResult Run(const cv::Mat& image, double px_per_mm) {  // full ROI
  metrics::MetricsResult r;
  const cv::Mat full(image.size(), CV_8UC1, cv::Scalar(255));
  const Status st = metrics::Analyze(image, full, 1.0 / px_per_mm, metrics::MetricsOptions(), &r);
  if (!st.ok()) std::printf("  Analyze failed: %s\n", st.ToString().c_str());
  return r;
}

phantom::PhantomOptions ReliefOnly() {
  phantom::PhantomOptions o;
  o.skin.pore_density_per_cm2 = 0;
  o.skin.scar_count = 0;
  o.skin.wrinkle_count = 0;
  o.skin.redness_count = 0;
  o.skin.spot_count = 0;
  return o;
}

void SuiteRelief() {
  std::printf("== relief: roughness ratio after/before for micro_relief_scale k (20 px/mm)\n");
  for (int skin = 0; skin < 2; ++skin) {
    for (int noisy = 0; noisy < 2; ++noisy) {
      for (double k : {0.5, 0.8}) {
        std::vector<double> ratios, robust;
        for (int seed = 1; seed <= 3; ++seed) {
          phantom::PhantomOptions o = skin == 0 ? ReliefOnly() : phantom::PhantomOptions();
          o.seed = static_cast<std::uint64_t>(seed);
          o.treatment.micro_relief_scale = k;
          if (noisy) {
            for (auto* c : {&o.before_capture, &o.after_capture}) {
              c->noise_sigma = 0.003;
              c->jpeg_quality = 85;
            }
          }
          phantom::PhantomPair p;
          if (!phantom::RenderPair(o, &p).ok()) return;
          const auto tb = Run(p.before, 20).texture, ta = Run(p.after, 20).texture;
          const double b = tb.roughness, a = ta.roughness;
          ratios.push_back(a / b);
          robust.push_back(ta.micro_relief / tb.micro_relief);
          if (seed == 1 && k == 0.5) std::printf("   (seed 1 roughness before %.5f)\n", b);
        }
        std::printf("  %-12s %-12s k=%.2f ratio median %.4f (error %+.1f %%), seeds:",
                    skin == 0 ? "relief-only" : "default-skin", noisy ? "noise+jpeg85" : "clean", k,
                    Median(ratios), 100 * (Median(ratios) / k - 1));
        for (double r : ratios) std::printf(" %.4f", r);
        std::printf("\n");
        std::printf("  %-12s %-12s k=%.2f micro_relief ratio median %.4f (error %+.1f %%), seeds:",
                    skin == 0 ? "relief-only" : "default-skin", noisy ? "noise+jpeg85" : "clean", k,
                    Median(robust), 100 * (Median(robust) / k - 1));
        for (double r : robust) std::printf(" %.4f", r);
        std::printf("\n");
      }
    }
  }
}

void SuiteInvariance(int pairs) {
  std::printf("== invariance: same skin, photometric capture change only (%d pairs)\n", pairs);
  std::vector<double> dr, dmicro, dband[3], dcon, dhom, dent;
  std::mt19937_64 rng(7);
  phantom::RandomCaptureOptions rc;
  rc.max_rotation_deg = rc.max_scale_change = rc.max_translation_fraction = rc.max_perspective = 0;
  for (int i = 0; i < pairs; ++i) {
    phantom::PhantomOptions o;
    o.seed = static_cast<std::uint64_t>(100 + i);
    o.before_capture.noise_sigma = 0.003;
    o.before_capture.jpeg_quality = 85;
    o.after_capture = phantom::RandomCapture(rc, cv::Size(o.width, o.height), rng);
    phantom::PhantomPair p;
    if (!phantom::RenderPair(o, &p).ok()) return;
    const auto b = Run(p.before, 20).texture, a = Run(p.after, 20).texture;
    dr.push_back(std::abs(a.roughness / b.roughness - 1) * 100);
    dmicro.push_back(std::abs(a.micro_relief / b.micro_relief - 1) * 100);
    int k = 0;
    for (const auto& kv : b.roughness_bands)
      if (k < 3)
        dband[k++].push_back(std::abs(a.roughness_bands.at(kv.first) / kv.second - 1) * 100);
    dcon.push_back(std::abs(a.glcm_contrast / b.glcm_contrast - 1) * 100);
    dhom.push_back(std::abs(a.glcm_homogeneity / b.glcm_homogeneity - 1) * 100);
    dent.push_back(std::abs(a.glcm_entropy / b.glcm_entropy - 1) * 100);
    std::printf("  pair %2d exposure %.3f side %.2f: roughness %.5f -> %.5f (%+.2f %%)\n", i,
                o.after_capture.exposure, o.after_capture.side_light_strength, b.roughness,
                a.roughness, (a.roughness / b.roughness - 1) * 100);
  }
  std::printf("  |d roughness| median %.2f %% max %.2f %%\n", Median(dr), Max(dr));
  std::printf("  |d micro_relief| median %.2f %% max %.2f %%\n", Median(dmicro), Max(dmicro));
  for (int k = 0; k < 3; ++k)
    if (!dband[k].empty())
      std::printf("  |d band %d| median %.2f %% max %.2f %%\n", k, Median(dband[k]), Max(dband[k]));
  std::printf(
      "  |d GLCM| contrast median %.2f max %.2f; homogeneity %.2f / %.2f; entropy %.2f / "
      "%.2f %%\n",
      Median(dcon), Max(dcon), Median(dhom), Max(dhom), Median(dent), Max(dent));
}

void SuiteTextures() {
  std::printf("== textures_cc0: roughness (20 px/mm assumed) under 8 re-lightings\n");
  std::mt19937_64 rng(11);
  phantom::RandomCaptureOptions rc;
  rc.max_rotation_deg = rc.max_scale_change = rc.max_translation_fraction = rc.max_perspective = 0;
  for (const char* name : {"gravel", "grass", "brick"}) {
    io::LoadedImage img;
    if (!io::LoadImage(kRealDir + "/textures_cc0/" + name + ".png", io::LoadOptions(), &img).ok()) {
      std::printf("  %s: not found\n", name);
      continue;
    }
    const auto base = Run(img.image, 20).texture;
    cv::Mat y = photometric::LinearLuminance(photometric::SrgbToLinear(img.image));
    cv::Scalar ym, ys;
    cv::meanStdDev(y, ym, ys);
    std::printf("  %-7s linear Y mean %.3f sd %.3f, fraction of Y < 0.02: %.3f\n", name, ym[0],
                ys[0], double(cv::countNonZero(y < 0.02)) / y.total());
    std::vector<double> r, d;
    for (int i = 0; i < 8; ++i) {
      cv::Mat out;
      const phantom::CaptureOptions c = phantom::RandomCapture(rc, img.image.size(), rng);
      if (!phantom::ApplyCapture(img.image, c, img.image.size(), 50 + i, &out).ok()) return;
      const auto t = Run(out, 20).texture;
      const double v = t.roughness;
      r.push_back(v);
      d.push_back(std::abs(v / base.roughness - 1) * 100);
      std::printf("    relit %d exp %.3f side %.2f: %.4f", i, c.exposure, c.side_light_strength, v);
      for (const auto& kv : t.roughness_bands) std::printf(" %s %.4f", kv.first.c_str(), kv.second);
      std::printf("\n");
    }
    std::printf("  %-7s roughness %.4f (relit min %.4f max %.4f, |d| max %.2f %%) bands:", name,
                base.roughness, *std::min_element(r.begin(), r.end()), Max(r), Max(d));
    for (const auto& kv : base.roughness_bands)
      std::printf(" %s %.4f", kv.first.c_str(), kv.second);
    std::printf(" glcm c/h/e %.3f %.3f %.3f\n", base.glcm_contrast, base.glcm_homogeneity,
                base.glcm_entropy);
  }
}

metrics::internal::Context Ctx(const cv::Mat& image, double px_per_mm) {  // full ROI
  metrics::internal::Context c;
  const cv::Mat full(image.size(), CV_8UC1, cv::Scalar(255));
  metrics::internal::BuildContext(image, full, 1.0 / px_per_mm, metrics::MetricsOptions(), &c);
  return c;
}

cv::Mat HairTruth(const phantom::PhantomTruth& t, cv::Size size, double extra) {
  cv::Mat lines(size, CV_8UC1, cv::Scalar(255));
  for (const auto& h : t.hairs) {
    std::vector<cv::Point> pts;
    for (const auto& p : h.polyline) pts.emplace_back(cvRound(p.x * 16), cvRound(p.y * 16));
    cv::polylines(lines, pts, false, cv::Scalar(0), 1, cv::LINE_8, 4);
  }
  cv::Mat dist;
  cv::distanceTransform(lines, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  const double half = t.hairs.empty() ? 0 : t.hairs[0].width_px / 2 + extra;
  return dist <= half;
}

void SuiteColour() {
  std::printf("== colour: identical colour capture, only noise differs; redness_scale 0.5\n");
  for (int jpeg : {0, 85}) {
    std::vector<double> d[8];
    for (int seed = 1; seed <= 5; ++seed) {
      phantom::PhantomOptions o;
      o.seed = static_cast<std::uint64_t>(seed);
      for (auto* c : {&o.before_capture, &o.after_capture}) {
        c->noise_sigma = 0.003;
        c->jpeg_quality = jpeg;
      }
      phantom::PhantomPair p;
      if (!phantom::RenderPair(o, &p).ok()) return;
      const auto b = Run(p.before, 20), a = Run(p.after, 20);
      const double vb[8] = {b.redness.erythema_index_mean,
                            b.redness.a_star_mean,
                            b.redness.area_fraction,
                            b.tone.l_star_mean,
                            b.tone.l_star_std,
                            b.tone.ita_deg_mean,
                            double(b.tone.spot_count),
                            b.tone.spot_area_fraction};
      const double va[8] = {a.redness.erythema_index_mean,
                            a.redness.a_star_mean,
                            a.redness.area_fraction,
                            a.tone.l_star_mean,
                            a.tone.l_star_std,
                            a.tone.ita_deg_mean,
                            double(a.tone.spot_count),
                            a.tone.spot_area_fraction};
      for (int k = 0; k < 8; ++k) d[k].push_back(std::abs(va[k] / vb[k] - 1) * 100);
      if (seed == 1)
        std::printf(
            "  seed 1 before: EI %.3f a* %.3f area %.4f L* %.3f sd %.3f ITA %.2f spots %d "
            "(truth %zu) spot area %.5f\n",
            vb[0], vb[1], vb[2], vb[3], vb[4], vb[5], b.tone.spot_count, p.truth.spots.size(),
            vb[7]);
    }
    const char* names[8] = {"EI", "a*", "red area", "L*", "L* sd", "ITA", "spots", "spot area"};
    std::printf("  jpeg %d, max |change| over 5 pairs:", jpeg);
    for (int k = 0; k < 8; ++k) std::printf(" %s %.3f %%", names[k], Max(d[k]));
    std::printf("\n");
  }
  for (double scale : {0.5, 0.0}) {
    phantom::PhantomOptions o;
    o.treatment.redness_scale = scale;
    phantom::PhantomPair p;
    if (!phantom::RenderPair(o, &p).ok()) return;
    const auto b = Run(p.before, 20), a = Run(p.after, 20);
    double predicted = 0;  // mean a* change over the image from the truth patches
    for (const auto& r : p.truth.redness)
      predicted += (r.after - r.before) * 3.14159265 * r.radius_px * r.radius_px / std::log(2.0);
    predicted /= static_cast<double>(p.before.total());
    std::printf(
        "  redness_scale %.1f: a* %.4f -> %.4f (d %.4f, truth-predicted d %.4f), EI %.4f -> "
        "%.4f, area %.4f -> %.4f\n",
        scale, b.redness.a_star_mean, a.redness.a_star_mean,
        a.redness.a_star_mean - b.redness.a_star_mean, predicted, b.redness.erythema_index_mean,
        a.redness.erythema_index_mean, b.redness.area_fraction, a.redness.area_fraction);
  }
  for (double scale : {1.0, 0.5}) {
    phantom::PhantomOptions o;
    o.skin.spot_count = 8;
    o.treatment.spot_contrast_scale = scale;
    phantom::PhantomPair p;
    if (!phantom::RenderPair(o, &p).ok()) return;
    const auto a = Run(p.after, 20);
    std::printf("  spot_contrast_scale %.1f: spots %d (truth %zu), area %.5f\n", scale,
                a.tone.spot_count, p.truth.spots.size(), a.tone.spot_area_fraction);
  }
}

void SuiteHair() {
  std::printf("== hair: phantom hairs (hair_count 20) and wrinkles (contrast 0.2, 0.1-0.5 mm)\n");
  for (int seed = 1; seed <= 5; ++seed) {
    phantom::PhantomOptions o;
    o.seed = static_cast<std::uint64_t>(seed);
    o.skin.hair_count = 20;
    o.skin.wrinkle_count = 12;
    o.skin.wrinkle_contrast = 0.2;
    o.skin.wrinkle_width_max_mm = 0.5;
    for (auto* c : {&o.before_capture}) {
      c->noise_sigma = 0.003;
      c->jpeg_quality = 85;
    }
    phantom::PhantomPair p;
    if (!phantom::RenderPair(o, &p).ok()) return;
    cv::Mat hair;
    roi::HairMask(p.before, 20, roi::HairOptions(), &hair);
    const cv::Mat truth = HairTruth(p.truth, p.before.size(), 0.0);
    const double recall = double(cv::countNonZero(truth & hair)) / cv::countNonZero(truth);
    const cv::Mat not_hair_near = ~HairTruth(p.truth, p.before.size(), 3.0);
    const double false_px = double(cv::countNonZero(hair & not_hair_near)) / hair.total();
    // Wrinkle centre lines (central 70 %), away from hairs.
    long long on = 0, flagged = 0;
    for (const auto& w : p.truth.wrinkles) {
      cv::Mat line = cv::Mat::zeros(p.before.size(), CV_8UC1);
      std::vector<cv::Point> pts;
      const size_t n = w.polyline.size();
      for (size_t i = n * 15 / 100; i < n * 85 / 100; ++i)
        pts.emplace_back(cvRound(w.polyline[i].x), cvRound(w.polyline[i].y));
      cv::polylines(line, pts, false, cv::Scalar(255), 1, cv::LINE_8);
      line &= not_hair_near;
      on += cv::countNonZero(line);
      flagged += cv::countNonZero(line & hair);
    }
    std::printf(
        "  seed %d: hair recall %.3f (truth %d px), non-hair flagged %.5f of image, "
        "wrinkle centre line flagged %.2f %% (%lld px)\n",
        seed, recall, cv::countNonZero(truth), false_px, 100.0 * flagged / std::max(1LL, on), on);
  }
}

void SuiteIsic(const std::string& overlay_dir) {
  std::printf("== isic: hair area fraction (HairMask of the whole image; Analyze's fraction)\n");
  const std::vector<std::string> files = bench::JpegFiles(kRealDir + "/isic_cc0");
  for (const auto& f : files) {
    io::LoadedImage img;
    if (!io::LoadImage(f, io::LoadOptions(), &img).ok()) continue;
    std::printf("  %s %dx%d", fs::path(f).stem().c_str(), img.image.cols, img.image.rows);
    for (double ppmm : {20.0, 40.0}) {
      cv::Mat hair, skin;
      roi::HairMask(img.image, ppmm, roi::HairOptions(), &hair);
      roi::SkinMask(img.image, roi::SkinMaskOptions(), &skin);
      metrics::MetricsResult r;
      metrics::Analyze(img.image, cv::Mat(), 1.0 / ppmm, metrics::MetricsOptions(), &r);
      std::printf(" | %2.0f px/mm: hair %.4f skin %.3f analyze %.4f", ppmm,
                  double(cv::countNonZero(hair)) / hair.total(),
                  double(cv::countNonZero(skin)) / skin.total(), r.hair_area_fraction);
      if (!overlay_dir.empty() && ppmm == 20.0) {
        cv::Mat vis = img.image.clone();
        vis.setTo(cv::Scalar(0, 1, 0), hair);
        cv::Mat edge;
        cv::morphologyEx(skin, edge, cv::MORPH_GRADIENT, cv::Mat());
        vis.setTo(cv::Scalar(1, 0, 1), edge);
        io::WriteImage(overlay_dir + "/" + fs::path(f).stem().string() + ".png", vis);
      }
    }
    std::printf("\n");
  }
}

void SuiteSpeed(int reps) {
  using Clock = std::chrono::steady_clock;
  std::printf("== speed: 4000x3000 phantom (20 px/mm), median of %d runs\n", reps);
  phantom::PhantomOptions o;
  o.width = 4000;
  o.height = 3000;
  o.skin.hair_count = 60;
  o.before_capture.noise_sigma = 0.003;
  phantom::PhantomPair p;
  if (!phantom::RenderPair(o, &p).ok()) return;
  metrics::internal::Context ctx = Ctx(p.before, 20);
  const metrics::MetricsOptions mo;
  auto time = [&](const char* name, auto fn) {
    std::vector<double> ms, cpu;
    for (int i = 0; i < reps; ++i) {
      const auto t0 = Clock::now();
      const std::clock_t c0 = std::clock();
      fn();
      cpu.push_back(1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::printf("  %-16s wall %7.1f ms (min %.1f), CPU %7.1f ms (min %.1f)\n", name, Median(ms),
                *std::min_element(ms.begin(), ms.end()), Median(cpu),
                *std::min_element(cpu.begin(), cpu.end()));
    return Median(ms);
  };
  cv::Mat m;
  double total = 0;
  total += time("SkinMask", [&] { roi::SkinMask(p.before, roi::SkinMaskOptions(), &m); });
  total += time("HairMask", [&] { roi::HairMask(p.before, 20, roi::HairOptions(), &m); });
  metrics::TextureMetrics t;
  metrics::RednessMetrics r;
  metrics::ToneMetrics tone;
  total += time("MeasureTexture", [&] { metrics::internal::MeasureTexture(ctx, mo, &t); });
  total += time("MeasureRedness", [&] { metrics::internal::MeasureRedness(ctx, mo, &r); });
  total += time("MeasureTone", [&] { metrics::internal::MeasureTone(ctx, mo, &tone); });
  std::printf("  total (mine)     %7.1f ms; context (not mine): ", total);
  time("BuildContext", [&] {
    metrics::internal::Context c2;
    metrics::internal::BuildContext(p.before, cv::Mat(), 0.05, mo, &c2);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string suite = "all", overlay;
  int pairs = 12, reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--suite") suite = argv[i + 1];
    if (a == "--pairs") pairs = std::atoi(argv[i + 1]);
    if (a == "--reps") reps = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--overlay-dir") overlay = argv[i + 1];
    if (a == "--threads") cv::setNumThreads(std::atoi(argv[i + 1]));
    if (a == "--real-dir") kRealDir = argv[i + 1];
  }
  const bool all = suite == "all";
  if (all || suite == "relief") SuiteRelief();
  if (all || suite == "invariance") SuiteInvariance(pairs);
  if (all || suite == "textures") SuiteTextures();
  if (all || suite == "colour") SuiteColour();
  if (all || suite == "hair") SuiteHair();
  if (all || suite == "isic") SuiteIsic(overlay);
  if (all || suite == "speed") SuiteSpeed(reps);
  return 0;
}
