// Invariance of the structure metrics to the capture (the metrics issue's acceptance item):
// the same skin photographed twice, the after photo differing by pose and light only (identity
// treatment), measured through the real compare pipeline (compare::ComparePair, then
// compare::CompareMetrics with default options, automatic skin mask, over the common region).
//   metrics_invariance_eval [--suite phantom|isic|all] [--seeds N] [--real-dir DIR]
//                           [--isic-max-side PX] [--pose after|both|none] [--supersample K]
//                           [--min-pairs N]
// Suites:
//  phantom  N seeded phantoms (default 20: 10 with striae), 1600x1200 at 20 px/mm, default skin
//  (micro-relief,
//           pores, scars, wrinkles, redness, spots); even seeds add 4 striae, every third seed
//           15 hairs. Both captures: a full random capture each
//           (phantom::RandomCapture with default RandomCaptureOptions: rotation +-10 deg, scale
//           +-10 %, translation +-3 %, keystone 5 %, exposure 1 +- 0.3, white balance 1 +- 0.08
//           per channel, side light <= 0.3 at a random angle, noise 0.003, JPEG q85 on both).
//           Scale known: mm_per_px = 1 / px_per_mm_before.
//  isic     every *.jpg in --real-dir (default ../shared/data/real/isic_cc0) re-photographed
//           twice by phantom::ApplyCapture (the library side of `skintrack phantom
//           --from-image`) with the same capture draws as the phantoms; native size unless
//           --isic-max-side reduces it (INTER_AREA) first. Dermoscopy: metric options from
//           --isic-preset (default models/dermoscope.preset: the long side spans 20 mm), scale
//           unknown (no mm_per_px): their pores and lines are at the dermoscope's scale, not the
//           default preset's 20 px/mm.
// Protocol (default: --pose both --supersample 1, the acceptance protocol) and diagnostics:
//  --pose none     both captures photometric-only (no resampling anywhere but the pipeline's
//                  warp by the estimated, near-identity homography);
//  --pose both     (default) the before capture gets a random pose too (both photos resampled
//                  once by the capture model's bilinear warp: a real camera never sees the skin
//                  on the before photo's pixel grid);
//  --pose after    only the after capture is posed: the after photo is resampled twice (the
//                  capture's bilinear warp and the pipeline's), the before photo not at all;
//  --supersample K the skin (phantom px_per_mm x K) or source image is sampled K times finer
//                  than the photos (image_from_skin scaled by 1/K, with the capture's
//                  anti-alias blur), so the capture integrates the skin instead of
//                  interpolating it; ISIC photos become 1/K of the native size.
// Per metric and pair: |after - before| / |before| (%). A metric is skipped for a pair when its
// before value is ~0 (|before| < 1e-9, or its family found nothing in the before photo, or the
// value is null); the number skipped is printed. Counts also show |after - before| (absolute).
// Verdict per metric: median over the measured pairs <= 2 % (texture, pores) or <= 4 %
// (scars, wrinkles, striae), judged only over at least --min-pairs measured pairs (default 10,
// the criterion's "median over >= 10 pairs"); a metric measured on fewer is TOO_FEW (neither
// pass nor fail: e.g. scars on dermoscopic photos, where 1 of 20 has any). TRE: global+non-rigid
// mapping against the true homography over a 20x15 grid of before px, median (px), as a check that
// the pipeline aligned the pair. Machine-readable lines start with "RESULT ".
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "skintrack/align/align.h"
#include "skintrack/compare/compare.h"
#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"

namespace fs = std::filesystem;
using namespace skintrack;

namespace {

// One named numeric metric of one session; `valid` false when null / family empty.
struct Value {
  double v = 0;
  bool valid = true;
};
using Row = std::map<std::string, Value>;  // metric name -> value

// The metrics under test, in output order, with the family thresholds (%).
struct MetricSpec {
  std::string name;
  double threshold_pct;
  bool is_count;
};

Row Flatten(const metrics::MetricsResult& m) {
  Row r;
  auto opt = [](const std::optional<double>& o) { return o ? Value{*o, true} : Value{0, false}; };
  r["texture.roughness"] = {m.texture.roughness, true};
  for (const auto& kv : m.texture.roughness_bands)
    r["texture.roughness_bands." + kv.first] = {kv.second, true};
  r["texture.glcm_contrast"] = {m.texture.glcm_contrast, true};
  r["texture.glcm_homogeneity"] = {m.texture.glcm_homogeneity, true};
  r["texture.glcm_entropy"] = {m.texture.glcm_entropy, true};
  const bool p = m.pores.count > 0, s = m.scars.count > 0, w = m.wrinkles.count > 0,
             t = m.striae.count > 0;
  r["pores.count"] = {double(m.pores.count), p};
  r["pores.mean_diameter_px"] = {m.pores.mean_diameter_px, p};
  r["pores.density_per_cm2"] = p ? opt(m.pores.density_per_cm2) : Value{0, false};
  r["scars.count"] = {double(m.scars.count), s};
  r["scars.area_fraction"] = {m.scars.area_fraction, s};
  r["scars.mean_contrast"] = {m.scars.mean_contrast, s};
  r["wrinkles.count"] = {double(m.wrinkles.count), w};
  r["wrinkles.length_px"] = {m.wrinkles.length_px, w};
  r["wrinkles.mean_depth"] = {m.wrinkles.mean_depth, w};
  r["wrinkles.area_fraction"] = {m.wrinkles.area_fraction, w};
  r["striae.count"] = {double(m.striae.count), t};
  r["striae.area_fraction"] = {m.striae.area_fraction, t};
  r["striae.mean_contrast"] = {m.striae.mean_contrast, t};
  r["striae.mean_width_mm"] = t ? opt(m.striae.mean_width_mm) : Value{0, false};
  return r;
}

std::vector<MetricSpec> Specs(const Row& example) {
  std::vector<MetricSpec> v;
  v.push_back({"texture.roughness", 2, false});
  for (const auto& kv : example)
    if (kv.first.rfind("texture.roughness_bands.", 0) == 0) v.push_back({kv.first, 2, false});
  for (const char* n :
       {"texture.glcm_contrast", "texture.glcm_homogeneity", "texture.glcm_entropy"})
    v.push_back({n, 2, false});
  v.push_back({"pores.count", 2, true});
  v.push_back({"pores.mean_diameter_px", 2, false});
  v.push_back({"pores.density_per_cm2", 2, false});
  v.push_back({"scars.count", 4, true});
  v.push_back({"scars.area_fraction", 4, false});
  v.push_back({"scars.mean_contrast", 4, false});
  v.push_back({"wrinkles.count", 4, true});
  v.push_back({"wrinkles.length_px", 4, false});
  v.push_back({"wrinkles.mean_depth", 4, false});
  v.push_back({"wrinkles.area_fraction", 4, false});
  v.push_back({"striae.count", 4, true});
  v.push_back({"striae.area_fraction", 4, false});
  v.push_back({"striae.mean_contrast", 4, false});
  v.push_back({"striae.mean_width_mm", 4, false});
  return v;
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double Max(const std::vector<double>& v) {
  return v.empty() ? NAN : *std::max_element(v.begin(), v.end());
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct PairResult {
  std::string name;
  bool measured = false;
  std::string status, method, note;
  double tre_px = -1, seconds = 0, region_fraction = 0;
  Row before, after;
};

// Median TRE (before px) of the pipeline's full mapping against the truth after_to_before.
double MedianTre(const align::AlignmentResult& a, const cv::Matx33d& truth, cv::Size before_size,
                 cv::Size after_size) {
  std::vector<double> e;
  for (int j = 0; j < 15; ++j)
    for (int i = 0; i < 20; ++i) {
      const cv::Point2d p((i + 0.5) * before_size.width / 20.0 - 0.5,
                          (j + 0.5) * before_size.height / 15.0 - 0.5);
      const cv::Vec3d t = truth.inv() * cv::Vec3d(p.x, p.y, 1);
      const cv::Point2d q_true(t[0] / t[2], t[1] / t[2]);
      if (q_true.x < 0 || q_true.y < 0 || q_true.x > after_size.width - 1 ||
          q_true.y > after_size.height - 1)
        continue;
      const cv::Point2d q = align::BeforeToAfter(a, p);
      const cv::Vec3d b = truth * cv::Vec3d(q.x, q.y, 1);
      e.push_back(std::hypot(b[0] / b[2] - p.x, b[1] / b[2] - p.y));
    }
  return e.empty() ? -1 : Median(e);
}

PairResult RunPair(const std::string& name, const cv::Mat& before, const cv::Mat& after,
                   const cv::Matx33d& truth_after_to_before, std::optional<double> mm_per_px,
                   const metrics::MetricsOptions& metric_options = metrics::MetricsOptions()) {
  PairResult r;
  r.name = name;
  const double t0 = Seconds();
  compare::CompareOptions co;
  co.mm_per_px = mm_per_px;
  compare::CompareResult cr;
  Status st = compare::ComparePair(before, after, co, &cr);
  if (!st.ok()) {
    r.status = "error";
    r.note = st.ToString();
    return r;
  }
  r.status = align::AlignmentStatusName(cr.alignment.status);
  r.method = cr.alignment.method;
  r.tre_px = MedianTre(cr.alignment, truth_after_to_before, before.size(), after.size());
  if (cr.alignment.status == align::AlignmentStatus::kFailed) {
    r.note = cr.alignment.reason;
    r.seconds = Seconds() - t0;
    return r;
  }
  compare::SessionMetrics sm;
  st = compare::CompareMetrics(before, after, cr.alignment, cv::Mat(), co.mm_per_px, metric_options,
                               &sm);
  r.seconds = Seconds() - t0;
  if (!st.ok()) {
    r.status = "error";
    r.note = st.ToString();
    return r;
  }
  r.measured = true;
  r.region_fraction = double(cv::countNonZero(sm.region)) / double(sm.region.total());
  r.before = Flatten(sm.before);
  r.after = Flatten(sm.after);
  return r;
}

void PrintPair(const PairResult& r) {
  if (!r.measured) {
    std::printf("pair %-14s %s %s: NOT MEASURED (%s) %.1f s\n", r.name.c_str(), r.status.c_str(),
                r.method.c_str(), r.note.c_str(), r.seconds);
    return;
  }
  auto rel = [&](const char* k) {
    const Value b = r.before.at(k), a = r.after.at(k);
    return b.valid && std::abs(b.v) >= 1e-9 ? 100.0 * (a.v - b.v) / std::abs(b.v) : NAN;
  };
  std::printf(
      "pair %-14s %s %s TRE %.3f px, region %.2f, %.1f s | rough %+.2f %% | pores %d->%d "
      "(%+.2f %%) d %+.2f %% | scars %d->%d area %+.2f %% C %+.2f %% | wrinkles %d->%d len "
      "%+.2f %% depth %+.2f %% | striae %d->%d area %+.2f %% C %+.2f %%\n",
      r.name.c_str(), r.status.c_str(), r.method.c_str(), r.tre_px, r.region_fraction, r.seconds,
      rel("texture.roughness"), int(r.before.at("pores.count").v), int(r.after.at("pores.count").v),
      rel("pores.count"), rel("pores.mean_diameter_px"), int(r.before.at("scars.count").v),
      int(r.after.at("scars.count").v), rel("scars.area_fraction"), rel("scars.mean_contrast"),
      int(r.before.at("wrinkles.count").v), int(r.after.at("wrinkles.count").v),
      rel("wrinkles.length_px"), rel("wrinkles.mean_depth"), int(r.before.at("striae.count").v),
      int(r.after.at("striae.count").v), rel("striae.area_fraction"), rel("striae.mean_contrast"));
}

int g_min_pairs = 10;  // --min-pairs: fewest measured pairs a verdict is given over

struct Stat {
  MetricSpec spec;
  std::vector<double> rel, absd;  // per measured pair: |d| / |before| (%), |d|
  int skipped = 0;
  bool measured() const { return !rel.empty(); }
  bool judged() const { return static_cast<int>(rel.size()) >= g_min_pairs; }
  bool pass() const { return judged() && Median(rel) <= spec.threshold_pct; }
  const char* Verdict() const {
    return !measured() ? "NOT_MEASURED" : !judged() ? "TOO_FEW" : pass() ? "PASS" : "FAIL";
  }
};

Stat Collect(const MetricSpec& s, const std::vector<PairResult>& pairs) {
  Stat st;
  st.spec = s;
  for (const auto& p : pairs) {
    if (!p.measured) continue;
    const auto bi = p.before.find(s.name), ai = p.after.find(s.name);
    if (bi == p.before.end() || ai == p.after.end() || !bi->second.valid ||
        std::abs(bi->second.v) < 1e-9) {
      ++st.skipped;
      continue;
    }
    const double b = bi->second.v, a = ai->second.valid ? ai->second.v : 0.0;
    st.rel.push_back(100.0 * std::abs(a - b) / std::abs(b));
    st.absd.push_back(std::abs(a - b));
  }
  return st;
}

// Prints the summary table and RESULT lines; returns true when every metric passes.
bool Summarise(const std::string& suite, const std::vector<PairResult>& pairs) {
  const PairResult* first = nullptr;
  int measured = 0;
  for (const auto& p : pairs)
    if (p.measured) {
      if (!first) first = &p;
      ++measured;
    }
  std::printf("\n### %s: %d pairs, %d measured through the pipeline\n", suite.c_str(),
              int(pairs.size()), measured);
  if (!first) {
    std::printf("RESULT suite=%s overall=NOT_MEASURED\n", suite.c_str());
    return false;
  }
  std::vector<Stat> stats;
  for (const MetricSpec& s : Specs(first->before)) stats.push_back(Collect(s, pairs));
  std::printf(
      "| metric | pairs | skipped | median |d|/|before| | max | median / max |d| (counts) | "
      "threshold | verdict |\n|---|---|---|---|---|---|---|---|\n");
  int failed_metrics = 0, total_metrics = 0;
  for (const Stat& s : stats) {
    if (s.judged()) ++total_metrics, failed_metrics += !s.pass();
    char counts[64] = "-";
    if (s.spec.is_count && s.measured())
      std::snprintf(counts, sizeof counts, "%.1f / %.0f", Median(s.absd), Max(s.absd));
    std::printf("| %s | %d | %d | %.2f %% | %.2f %% | %s | %.0f %% | %s |\n", s.spec.name.c_str(),
                int(s.rel.size()), s.skipped, Median(s.rel), Max(s.rel), counts,
                s.spec.threshold_pct,
                !s.measured() ? "not measured"
                : !s.judged() ? "too few pairs"
                              : s.Verdict());
  }
  // Machine-readable copy (after the table so that the table stays contiguous).
  for (const Stat& s : stats)
    std::printf(
        "RESULT suite=%s metric=%s pairs=%d skipped=%d median_pct=%.3f max_pct=%.3f "
        "median_abs=%.4g max_abs=%.4g threshold_pct=%.0f verdict=%s\n",
        suite.c_str(), s.spec.name.c_str(), int(s.rel.size()), s.skipped, Median(s.rel), Max(s.rel),
        Median(s.absd), Max(s.absd), s.spec.threshold_pct, s.Verdict());
  std::vector<double> t;
  for (const auto& p : pairs) t.push_back(p.seconds);
  const bool all_pass = failed_metrics == 0 && measured == int(pairs.size());
  std::printf(
      "RESULT suite=%s overall=%s pairs=%d measured=%d failed_metrics=%d of %d "
      "median_seconds=%.1f\n",
      suite.c_str(), all_pass ? "PASS" : "FAIL", int(pairs.size()), measured, failed_metrics,
      total_metrics, Median(t));
  return all_pass;
}

phantom::RandomCaptureOptions Still(const phantom::RandomCaptureOptions& rc) {
  phantom::RandomCaptureOptions s = rc;
  s.max_rotation_deg = s.max_scale_change = s.max_translation_fraction = s.max_perspective = 0.0;
  return s;
}

// Experiment knobs (see the header comment).
metrics::MetricsOptions g_isic_options;  // --isic-preset (default models/dermoscope.preset)
int g_supersample = 1;                   // skin / source px per image px
bool g_before_pose = true;               // the before capture gets a random pose too
bool g_after_pose = true;                // the after capture gets a random pose

std::string Protocol() {
  const char* pose = g_before_pose  ? "pose on both captures"
                     : g_after_pose ? "pose on the after capture only"
                                    : "no pose (photometric change only)";
  return std::string(pose) + ", supersample " + std::to_string(g_supersample);
}

cv::Matx33d Scale(double f) { return cv::Matx33d(f, 0, 0, 0, f, 0, 0, 0, 1); }

bool SuitePhantom(int seeds) {
  std::printf(
      "\n## phantom: %d pairs 1600x1200, 20 px/mm; capture change only (pose, exposure, WB, "
      "side light, noise, JPEG q85); protocol: %s\n",
      seeds, Protocol().c_str());
  const phantom::RandomCaptureOptions rc;
  std::vector<PairResult> results;
  for (int s = 1; s <= seeds; ++s) {
    phantom::PhantomOptions o;
    o.seed = static_cast<std::uint64_t>(500 + s);
    o.width = 1600;
    o.height = 1200;
    if (s % 2 == 0) o.skin.striae_count = 4;
    if (s % 3 == 0) o.skin.hair_count = 15;
    std::mt19937_64 rng(o.seed * 7919 + 29);
    const cv::Size size(o.width, o.height);
    o.before_capture = phantom::RandomCapture(g_before_pose ? rc : Still(rc), size, rng);
    o.after_capture = phantom::RandomCapture(g_after_pose ? rc : Still(rc), size, rng);
    if (g_supersample > 1) {
      o.skin.px_per_mm *= g_supersample;
      o.before_capture.image_from_skin =
          o.before_capture.image_from_skin * Scale(1.0 / g_supersample);
      o.after_capture.image_from_skin =
          o.after_capture.image_from_skin * Scale(1.0 / g_supersample);
    }
    phantom::PhantomPair pair;
    if (Status st = phantom::RenderPair(o, &pair); !st.ok()) {
      std::fprintf(stderr, "metrics_invariance_eval: phantom seed %d: %s\n", s,
                   st.ToString().c_str());
      return false;
    }
    char name[64];
    std::snprintf(name, sizeof name, "phantom-%d%s%s", s, o.skin.striae_count ? "s" : "",
                  o.skin.hair_count ? "h" : "");
    const double theta =
        std::atan2(o.after_capture.image_from_skin(1, 0), o.after_capture.image_from_skin(0, 0)) *
        180 / CV_PI;
    std::printf("  %s: after exposure %.3f, side light %.2f @ %.0f deg, rotation %+.1f deg\n", name,
                o.after_capture.exposure / o.before_capture.exposure,
                o.after_capture.side_light_strength, o.after_capture.side_light_angle_deg, theta);
    results.push_back(RunPair(name, pair.before, pair.after, pair.truth.after_to_before,
                              1.0 / pair.truth.px_per_mm_before));
    PrintPair(results.back());
  }
  return Summarise("phantom", results);
}

bool SuiteIsic(const std::string& dir, int max_side) {
  std::printf("\n## isic: %s re-photographed (ApplyCapture), same capture model; protocol: %s\n",
              dir.c_str(), Protocol().c_str());
  const std::vector<std::string> files = bench::JpegFiles(dir);
  if (files.empty()) {
    std::printf("SKIP isic: %s not found or holds no .jpg (../shared/data/real is absent)\n",
                dir.c_str());
    std::printf("RESULT suite=isic overall=SKIPPED\n");
    return true;
  }
  const phantom::RandomCaptureOptions rc;
  std::vector<PairResult> results;
  for (size_t i = 0; i < files.size(); ++i) {
    io::LoadedImage li;
    if (Status st = io::LoadImage(files[i], io::LoadOptions(), &li); !st.ok()) {
      std::printf("  %s: %s\n", files[i].c_str(), st.ToString().c_str());
      continue;
    }
    cv::Mat img = li.image;
    const int long_side = std::max(img.cols, img.rows);
    if (max_side > 0 && long_side > max_side) {
      const double f = double(max_side) / long_side;
      cv::resize(li.image, img, cv::Size(), f, f, cv::INTER_AREA);
    }
    std::mt19937_64 rng(7000 + i);
    const cv::Size out_size(img.cols / g_supersample, img.rows / g_supersample);
    phantom::CaptureOptions cb =
        phantom::RandomCapture(g_before_pose ? rc : Still(rc), out_size, rng);
    phantom::CaptureOptions ca =
        phantom::RandomCapture(g_after_pose ? rc : Still(rc), out_size, rng);
    cb.image_from_skin = cb.image_from_skin * Scale(1.0 / g_supersample);
    ca.image_from_skin = ca.image_from_skin * Scale(1.0 / g_supersample);
    cv::Mat b, a;
    if (!phantom::ApplyCapture(img, cb, out_size, 300 + i, &b).ok() ||
        !phantom::ApplyCapture(img, ca, out_size, 400 + i, &a).ok()) {
      std::printf("  %s: ApplyCapture failed\n", files[i].c_str());
      continue;
    }
    const std::string name = fs::path(files[i]).stem().string();
    std::printf("  %s %dx%d: after exposure %.3f, side light %.2f\n", name.c_str(), out_size.width,
                out_size.height, ca.exposure / cb.exposure, ca.side_light_strength);
    results.push_back(RunPair(name, b, a, cb.image_from_skin * ca.image_from_skin.inv(),
                              std::nullopt, g_isic_options));
    PrintPair(results.back());
  }
  return Summarise("isic", results);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line-buffered: progress is visible
  std::string suite = "all", real_dir = "../shared/data/real/isic_cc0";
  std::string isic_preset = "models/dermoscope.preset";
  int seeds = 20, max_side = 0;
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "metrics_invariance_eval: %s needs a value\n", k.c_str());
      return 1;
    }
    const std::string v = argv[i + 1];
    if (k == "--suite") {
      suite = v;
    } else if (k == "--seeds") {
      seeds = std::max(1, std::atoi(v.c_str()));
    } else if (k == "--real-dir") {
      real_dir = v;
    } else if (k == "--supersample") {
      g_supersample = std::max(1, std::atoi(v.c_str()));
    } else if (k == "--pose") {
      if (v != "after" && v != "both" && v != "none") {
        std::fprintf(stderr, "metrics_invariance_eval: --pose must be after, both or none\n");
        return 1;
      }
      g_before_pose = v == "both";
      g_after_pose = v != "none";
    } else if (k == "--isic-max-side") {
      max_side = std::max(0, std::atoi(v.c_str()));
    } else if (k == "--isic-preset") {
      isic_preset = v;
    } else if (k == "--min-pairs") {
      g_min_pairs = std::max(1, std::atoi(v.c_str()));
    } else {
      std::fprintf(stderr,
                   "usage: metrics_invariance_eval [--suite phantom|isic|all] [--seeds N] "
                   "[--real-dir DIR] [--isic-max-side PX] [--isic-preset FILE] "
                   "[--pose after|both|none] [--supersample K] [--min-pairs N]\n");
      return 1;
    }
  }
  if (suite != "all" && suite != "phantom" && suite != "isic") {
    std::fprintf(stderr, "metrics_invariance_eval: unknown suite '%s'\n", suite.c_str());
    return 1;
  }
  if (suite != "phantom") {
    std::ifstream in(isic_preset);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || !metrics::ParsePreset(text.str(), &g_isic_options).ok()) {
      std::fprintf(stderr, "metrics_invariance_eval: %s: cannot read the preset\n",
                   isic_preset.c_str());
      return 1;
    }
  }
  const double t0 = Seconds();
  bool ok = true;
  if (suite == "all" || suite == "phantom") ok = SuitePhantom(seeds) && ok;
  if (suite == "all" || suite == "isic") ok = SuiteIsic(real_dir, max_side) && ok;
  std::printf("\ntotal %.0f s (%d OpenCV threads)\n", Seconds() - t0, cv::getNumThreads());
  (void)ok;  // the verdicts are in the output; non-zero only for errors
  return 0;
}
