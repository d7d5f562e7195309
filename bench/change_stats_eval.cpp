// Change statistics: fitting the repeatability model and the acceptance of issue 4's "Change
// statistics" (docs/statistics.md). Every pair goes through the real pipeline
// (compare::ComparePair, compare::CompareMetrics with default options and the automatic skin
// mask, compare::ComputeChangeStats with default ChangeStatsOptions).
//
//   change_stats_eval --fit OUT.json [--pairs N] [--isic-dir DIR] [--isic-max N] [--light L]
//       Test-retest sets of unchanged skin, two captures each: N phantoms (default 24; seeds
//       2001..; 1600x1200 at 20 px/mm, default skin, even seeds 4 striae, every third 15 hairs)
//       and up to --isic-max (default 12) CC0 ISIC photos from --isic-dir (default
//       ../shared/data/real/isic_cc0, skipped when absent; reduced to a 1600 px long side,
//       scale assumed 20 px/mm) re-photographed twice by phantom::ApplyCapture. Capture
//       protocol (both suites): before and after are EACH a full random capture of their own
//       (phantom::RandomCaptureOptions defaults: rotation +-10 deg, scale +-10 %, translation
//       +-3 %, keystone 5 %, exposure 1 +- 0.3, white balance 1 +- 0.08 per channel, side
//       light <= 0.3, noise 0.003, JPEG q85), so both photos are posed (resampled) as a real
//       camera's are. --light selects the light condition:
//         free  (default, "free-hand light"): each capture draws its own exposure, white
//               balance and side light (uncalibrated, uncontrolled light);
//         booth (fit only): fixed light and the pose of a head or limb rest (rotation +-2 deg,
//               scale +-2 %, translation +-1 %, keystone 1 %): booth conditions, for CV only;
//         fixed ("fixed light", booth-like): exposure, white balance and side light are drawn
//               once per pair and shared by both captures; only pose, noise and JPEG differ.
//       Fits per metric (subjects x 2 repeats, stats::ComputeRepeatability), writes the model.
//       --preset FILE: metric options from a preset (models/*.preset) for every pair; the ISIC
//       photos' scale is then the preset's assumption (MetricsOptions::PxPerMm of the reduced
//       photo: its assumed_field_mm, e.g. 1600 px / 20 mm, or assumed_px_per_mm).
//       --isic-only: the ISIC pairs
//       alone (a per-preset model, e.g. models/repeatability_dermoscope.json). --dump-dir DIR:
//       each ISIC pair's two captures written as DIR/<photo>.before.png and .after.png (8-bit:
//       the captures end in a JPEG round trip, so nothing is lost; DIR is created), to rerun one
//       pair through `skintrack compare --mm-per-px` (1 / that scale) and read
//       its detections.
//   change_stats_eval --accept MODEL.json [--pairs N] [--treated-seeds N] [--light L]
//                     [--fixed-pairs N]
//       (a) N capture-only phantom pairs (default 20; seeds 3001.., disjoint from the fit):
//           fraction of pairs in which each metric is `significant` (acceptance: <= 5 %).
//       (b) treated pairs (seeds 4001.., --treated-seeds per treatment, default 2): each
//           treatment at two strengths, same capture protocol. The true change of a metric is
//           measured on the same phantom rendered with identity captures (no pose, light,
//           noise or JPEG) through the same pipeline. Acceptance: every treated metric whose
//           true |change| > 2 MDC is `significant` with the sign of the true change.
//       (c) CV % per metric (the --accept capture-only pairs as a second test-retest set)
//           next to the booth system's published repeatability (texture < 2 %, pores and red
//           areas 2-4 %, wrinkles ~ 6 %).
//       (d) unless --fixed-pairs 0 (default: as many as --pairs): the same capture-only seeds
//           under the OTHER light condition (fixed light when --light free): false-positive
//           fraction against MODEL and CV %; (c)'s table then shows both conditions.
//       (a) and (b) use --light (default free, the condition of the shipped model).
// Machine-readable lines start with "RESULT ".
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
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "skintrack/compare/change_stats.h"
#include "skintrack/compare/compare.h"
#include "skintrack/io/image_io.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/report/change_stats_report.h"
#include "skintrack/stats/repeatability.h"

namespace fs = std::filesystem;
using namespace skintrack;

namespace {

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

enum class Light { kFree, kFixed, kBooth };

const char* LightName(Light l) {
  return l == Light::kFixed ? "fixed" : l == Light::kBooth ? "booth" : "free";
}

// The light condition as the models' provenance states it.
const char* LightDescription(Light l) {
  switch (l) {
    case Light::kFixed:
      return "under fixed light: exposure, WB and side light drawn once per pair and shared "
             "(booth-like)";
    case Light::kBooth:
      return "under booth conditions: fixed light as above and pose limited to rotation +-2 "
             "deg, scale +-2 %, translation +-1 %, keystone 1 % (a head or limb rest)";
    case Light::kFree:
      break;
  }
  return "under free-hand light: each capture its own exposure +-30 %, WB +-8 %, side light <= "
         "0.3; colour uncalibrated";
}

// The two captures of a test-retest pair: each its own full random capture (pose, light, noise,
// JPEG). Fixed light: the after capture takes the before capture's exposure, white balance and
// side light (strength and direction in the image frame), so only pose, noise and JPEG differ.
// Booth: fixed light and the small pose changes of a head or limb rest (rotation +-2 deg,
// scale +-2 %, translation +-1 %, keystone 1 %), as a booth system photographs.
std::pair<phantom::CaptureOptions, phantom::CaptureOptions> CapturePair(cv::Size size,
                                                                        std::mt19937_64& rng,
                                                                        Light light) {
  phantom::RandomCaptureOptions r;
  if (light == Light::kBooth) {
    r.max_rotation_deg = 2.0;
    r.max_scale_change = 0.02;
    r.max_translation_fraction = 0.01;
    r.max_perspective = 0.01;
  }
  phantom::CaptureOptions b = phantom::RandomCapture(r, size, rng);
  phantom::CaptureOptions a = phantom::RandomCapture(r, size, rng);
  if (light != Light::kFree) {
    a.exposure = b.exposure;
    a.white_balance = b.white_balance;
    a.side_light_strength = b.side_light_strength;
    a.side_light_angle_deg = b.side_light_angle_deg;
  }
  return {b, a};
}

// The pipeline on one pair: change statistics (empty when alignment failed).
struct PairOutcome {
  bool ok = false;
  std::string note;
  compare::ChangeStats stats;
  double seconds = 0;
};

// The metric options of every pair: defaults, or --preset FILE.
metrics::MetricsOptions g_options;
// --dump-dir: where the ISIC pairs' captures are written (empty: not written).
std::string g_dump_dir;

PairOutcome RunPair(const cv::Mat& before, const cv::Mat& after, double mm_per_px,
                    const stats::RepeatabilityModel& model) {
  PairOutcome out;
  const double t0 = Seconds();
  compare::CompareOptions co;
  co.mm_per_px = mm_per_px;
  compare::CompareResult cr;
  Status st = compare::ComparePair(before, after, co, &cr);
  if (st.ok() && cr.alignment.status == align::AlignmentStatus::kFailed)
    st = Status::AlignmentFailed(cr.alignment.reason);
  compare::SessionMetrics sm;
  const metrics::MetricsOptions& mo = g_options;
  if (st.ok())
    st = compare::CompareMetrics(before, after, cr.alignment, cv::Mat(), co.mm_per_px, mo, &sm);
  if (st.ok())
    st = compare::ComputeChangeStats(before, sm, co.mm_per_px, mo, model,
                                     compare::ChangeStatsOptions(), &out.stats);
  out.seconds = Seconds() - t0;
  if (!st.ok()) {
    out.note = st.ToString();
    return out;
  }
  out.ok = true;
  return out;
}

phantom::PhantomOptions PhantomFor(std::uint64_t seed, Light light) {
  phantom::PhantomOptions o;
  o.seed = seed;
  o.width = 1600;
  o.height = 1200;
  if (seed % 2 == 0) o.skin.striae_count = 4;
  if (seed % 3 == 0) o.skin.hair_count = 15;
  std::mt19937_64 rng(seed * 7919 + 29);
  const cv::Size size(o.width, o.height);
  std::tie(o.before_capture, o.after_capture) = CapturePair(size, rng, light);
  return o;
}

// Test-retest values: metric -> one row [before, after] per subject.
using Sets = std::map<std::string, std::vector<std::vector<double>>>;

void AddSet(const compare::ChangeStats& s, Sets* sets) {
  for (const auto& [key, m] : s.metrics) (*sets)[key].push_back({m.before, m.after});
}

struct Fits {
  std::map<std::string, stats::RepeatabilityResult> fit;
};

Fits FitAll(const Sets& sets) {
  Fits f;
  for (const auto& [key, rows] : sets) {
    stats::RepeatabilityResult r;
    if (rows.empty() || !stats::ComputeRepeatability(rows, &r).ok()) continue;
    f.fit[key] = r;
  }
  return f;
}

std::string Opt(const std::optional<double>& v, const char* fmt) {
  if (!v) return "-";
  char b[64];
  std::snprintf(b, sizeof(b), fmt, *v);
  return b;
}

void PrintFits(const std::string& title, const Fits& f) {
  std::printf("\n## %s\n%-42s %5s %11s %11s %8s %8s %11s %9s\n", title.c_str(), "metric", "n",
              "mean", "SEM", "CV %", "ICC", "MDC95", "MDC95 %");
  for (const auto& [key, r] : f.fit) {
    const double pct = r.cv_percent ? 1.959963984540054 * std::sqrt(2.0) * *r.cv_percent : NAN;
    std::printf("%-42s %5d %11.5g %11.4g %8s %8s %11.4g %9.2f\n", key.c_str(), r.subjects, r.mean,
                r.sem, Opt(r.cv_percent, "%.2f").c_str(), Opt(r.icc, "%.3f").c_str(), r.mdc95, pct);
  }
}

// Phantom test-retest pairs.
void PhantomSets(int pairs, std::uint64_t first_seed, Light light,
                 const stats::RepeatabilityModel& model, Sets* sets,
                 std::vector<PairOutcome>* outcomes) {
  for (int s = 0; s < pairs; ++s) {
    const phantom::PhantomOptions o = PhantomFor(first_seed + static_cast<std::uint64_t>(s), light);
    phantom::PhantomPair pair;
    if (Status st = phantom::RenderPair(o, &pair); !st.ok()) {
      std::printf("phantom seed %llu: %s\n", static_cast<unsigned long long>(o.seed),
                  st.ToString().c_str());
      continue;
    }
    PairOutcome r = RunPair(pair.before, pair.after, 1.0 / pair.truth.px_per_mm_before, model);
    std::printf("phantom seed %llu: %s %.1f s\n", static_cast<unsigned long long>(o.seed),
                r.ok ? "measured" : r.note.c_str(), r.seconds);
    std::fflush(stdout);
    if (!r.ok) continue;
    if (sets) AddSet(r.stats, sets);
    if (outcomes) outcomes->push_back(std::move(r));
  }
}

// Re-captured real photos.
int IsicSets(const std::string& dir, int max_images, Light light, Sets* sets) {
  if (!fs::is_directory(dir)) {
    std::printf("isic: %s absent, skipped\n", dir.c_str());
    return 0;
  }
  std::vector<std::string> files = bench::JpegFiles(dir);
  if (static_cast<int>(files.size()) > max_images) files.resize(static_cast<size_t>(max_images));
  int used = 0;
  const stats::RepeatabilityModel empty;
  for (size_t i = 0; i < files.size(); ++i) {
    io::LoadedImage img;
    if (Status st = io::LoadImage(files[i], io::LoadOptions(), &img); !st.ok()) {
      std::printf("isic %s: %s\n", files[i].c_str(), st.ToString().c_str());
      continue;
    }
    cv::Mat src = img.image;
    const int side = std::max(src.cols, src.rows);
    if (side > 1600) {
      const double f = 1600.0 / side;
      cv::resize(src, src, cv::Size(), f, f, cv::INTER_AREA);
    }
    std::mt19937_64 rng(7000 + i);
    const auto [cb, ca] = CapturePair(src.size(), rng, light);
    cv::Mat b, a;
    if (!phantom::ApplyCapture(src, cb, src.size(), 100 + i, &b).ok() ||
        !phantom::ApplyCapture(src, ca, src.size(), 200 + i, &a).ok())
      continue;
    const std::string name = fs::path(files[i]).filename().string();
    if (!g_dump_dir.empty()) {
      const std::string stem = (fs::path(g_dump_dir) / fs::path(files[i]).stem()).string();
      for (const auto& [capture, suffix] :
           {std::pair(&b, ".before.png"), std::pair(&a, ".after.png")})
        if (Status st = io::WriteImage(stem + suffix, *capture); !st.ok())
          std::printf("isic %s: %s\n", name.c_str(), st.ToString().c_str());
    }
    PairOutcome r = RunPair(b, a, 1.0 / g_options.PxPerMm(std::nullopt, src.size()), empty);
    if (!r.ok) {
      std::printf("isic %s: %s\n", name.c_str(), r.note.c_str());
      continue;
    }
    const auto it = r.stats.metrics.find("redness.erythema_index_mean");
    if (it == r.stats.metrics.end() || it->second.tiles < 20) {
      std::printf("isic %s: region too small (%d tiles), skipped\n", name.c_str(),
                  it == r.stats.metrics.end() ? 0 : it->second.tiles);
      continue;
    }
    const auto read = [&](const char* key) {
      const auto m = r.stats.metrics.find(key);
      return m == r.stats.metrics.end()
                 ? std::pair<double, double>(0.0, 0.0)
                 : std::pair<double, double>(m->second.before, m->second.after);
    };
    const auto w = read("wrinkles.length_px");
    const auto pc = read("pores.count");
    const auto pa = read("pores.area_fraction");
    const auto pd = read("pores.mean_diameter_px");
    std::printf(
        "isic %s: measured %.1f s (wrinkle length %.0f -> %.0f px; pores %.0f -> %.0f, area "
        "fraction %.5f -> %.5f, mean diameter %.3f -> %.3f px)\n",
        name.c_str(), r.seconds, w.first, w.second, pc.first, pc.second, pa.first, pa.second,
        pd.first, pd.second);
    std::fflush(stdout);
    AddSet(r.stats, sets);
    ++used;
  }
  return used;
}

int Fit(const std::string& out_path, int pairs, const std::string& isic_dir, int isic_max,
        Light light, bool isic_only) {
  const stats::RepeatabilityModel empty;
  std::printf("light condition: %s; preset %s\n", LightName(light), g_options.preset.c_str());
  Sets phantom_sets, all_sets;
  if (!isic_only) PhantomSets(pairs, 2001, light, empty, &phantom_sets, nullptr);
  Sets isic_sets;
  const int isic = IsicSets(isic_dir, isic_max, light, &isic_sets);
  all_sets = phantom_sets;
  for (const auto& [key, rows] : isic_sets)
    for (const auto& r : rows) all_sets[key].push_back(r);
  if (isic_only && isic == 0) {
    std::fprintf(stderr, "change_stats_eval: --isic-only and no ISIC photo measured\n");
    return 4;
  }
  const Fits fp = FitAll(phantom_sets), fi = FitAll(isic_sets), fa = FitAll(all_sets);
  if (!isic_only) PrintFits("phantom test-retest pairs", fp);
  if (isic > 0) PrintFits("ISIC re-captured pairs", fi);
  PrintFits("pooled (the model)", fa);

  stats::RepeatabilityModel model;
  const int n_ph = phantom_sets.empty() ? 0 : static_cast<int>(phantom_sets.begin()->second.size());
  char prov[1024];
  if (isic_only) {
    char assumed_buf[96];
    if (g_options.assumed_field_mm > 0.0) {
      std::snprintf(assumed_buf, sizeof(assumed_buf), "the long side spans %.0f mm",
                    g_options.assumed_field_mm);
    } else {
      std::snprintf(assumed_buf, sizeof(assumed_buf), "%.0f px/mm", g_options.assumed_px_per_mm);
    }
    const std::string assumed = assumed_buf;
    std::snprintf(
        prov, sizeof(prov),
        "bench/change_stats_eval --fit --isic-only --preset (%s) --light %s "
        "(scripts/fit_repeatability.sh): %d CC0 ISIC dermoscopic photos re-captured twice (long "
        "side <= 1600 px, scale assumed by the preset: %s); before and after each a full "
        "random capture (pose: rotation +-10 deg, scale +-10 %%, translation +-3 %%, keystone "
        "5 %%; noise 0.003, JPEG q85) %s",
        g_options.preset.c_str(), LightName(light), isic, assumed.c_str(), LightDescription(light));
    model.provenance = prov;
    for (const auto& [key, r] : fi.fit)
      model.metrics[key] =
          stats::ToModelEntry(r, "ISIC test-retest pairs, preset " + g_options.preset);
  } else {
    std::snprintf(
        prov, sizeof(prov),
        "bench/change_stats_eval --fit --light %s (scripts/fit_repeatability.sh): %d phantom "
        "test-retest pairs (seeds 2001-%d, 1600x1200 at 20 px/mm) + %d CC0 ISIC photos "
        "re-captured twice (long side 1600 px, scale assumed 20 px/mm); before and after each a "
        "full random capture (pose: rotation +-10 deg, scale +-10 %%, translation +-3 %%, keystone "
        "5 %%; noise 0.003, JPEG q85) %s",
        LightName(light), n_ph, 2000 + pairs, isic, LightDescription(light));
    model.provenance = prov;
    for (const auto& [key, r] : fa.fit)
      model.metrics[key] = stats::ToModelEntry(r, "pooled phantom + ISIC test-retest pairs");
  }
  std::ofstream out(out_path);
  out << stats::RepeatabilityModelToJson(model).dump(2) << "\n";
  if (!out) {
    std::fprintf(stderr, "change_stats_eval: cannot write %s\n", out_path.c_str());
    return 4;
  }
  std::printf("\nwrote %s (%zu metrics)\nRESULT fit pairs=%d isic=%d metrics=%zu\n",
              out_path.c_str(), model.metrics.size(), n_ph, isic, model.metrics.size());
  return 0;
}

struct Treatment {
  std::string name;
  std::vector<double> strengths;
  std::vector<std::pair<std::string, int>> metrics;  // metric, expected sign of the change
  void Apply(double s, phantom::TreatmentOptions* t) const {
    if (name == "pore_close_fraction") t->pore_close_fraction = s;
    if (name == "pore_radius_scale") t->pore_radius_scale = s;
    if (name == "scar_contrast_scale") t->scar_contrast_scale = s;
    if (name == "wrinkle_contrast_scale") t->wrinkle_contrast_scale = s;
    if (name == "redness_scale") t->redness_scale = s;
    if (name == "micro_relief_scale") t->micro_relief_scale = s;
  }
};

// Fraction of capture-only pairs in which each metric is significant (acceptance: <= 5 %).
bool FalsePositives(const std::vector<PairOutcome>& outcomes, const char* tag, const char* light) {
  std::map<std::string, int> sig, seen;
  for (const PairOutcome& o : outcomes)
    for (const auto& [key, m] : o.stats.metrics) {
      ++seen[key];
      sig[key] += m.significant;
    }
  bool pass = !outcomes.empty();
  int worst = 0;
  std::printf("\n%-42s %6s %12s %9s\n", "metric", "pairs", "significant", "fraction");
  for (const auto& [key, n] : seen) {
    const double f = static_cast<double>(sig[key]) / n;
    const bool ok = f <= 0.05;
    pass &= ok;
    worst = std::max(worst, sig[key]);
    std::printf("%-42s %6d %12d %8.1f%% %s\n", key.c_str(), n, sig[key], 100 * f, ok ? "" : "FAIL");
  }
  std::printf("RESULT %s light=%s pairs=%zu max_significant=%d pass=%d\n", tag, light,
              outcomes.size(), worst, pass ? 1 : 0);
  return pass;
}

int Accept(const std::string& model_path, int pairs, int treated_seeds, Light light,
           int fixed_pairs) {
  stats::RepeatabilityModel model;
  if (Status st = report::LoadRepeatabilityModel(model_path, &model); !st.ok()) {
    std::fprintf(stderr, "change_stats_eval: %s\n", st.ToString().c_str());
    return 2;
  }
  // (a) capture-only pairs.
  std::printf("## (a) capture-only phantom pairs (seeds 3001-%d, %s light)\n", 3000 + pairs,
              LightName(light));
  Sets sets;
  std::vector<PairOutcome> outcomes;
  PhantomSets(pairs, 3001, light, model, &sets, &outcomes);
  const bool pass_a = FalsePositives(outcomes, "capture_only", LightName(light));

  // (b) treated pairs.
  const std::vector<Treatment> treatments = {
      {"pore_close_fraction",
       {0.15, 0.3},
       {{"pores.count", -1}, {"pores.density_per_cm2", -1}, {"pores.area_fraction", -1}}},
      {"pore_radius_scale",
       {0.85, 0.7},
       {{"pores.area_fraction", -1}, {"pores.mean_diameter_px", -1}}},
      {"scar_contrast_scale", {0.7, 0.4}, {{"scars.mean_contrast", -1}}},
      {"wrinkle_contrast_scale",
       {0.6, 0.3},
       {{"wrinkles.mean_depth", -1}, {"wrinkles.length_px", -1}}},
      {"redness_scale",
       {1.5, 2.5},
       {{"redness.erythema_index_mean", 1}, {"redness.a_star_mean", 1}}},
      {"micro_relief_scale", {0.7, 0.4}, {{"texture.roughness", -1}}},
  };
  std::printf("\n## (b) treated phantom pairs (true change from identity captures)\n");
  std::printf("%-24s %5s %5s %-30s %11s %11s %10s %5s %s\n", "treatment", "str", "seed", "metric",
              "true", "measured", "MDC", "sig", "verdict");
  int judged = 0, passed = 0, expected_sign_ok = 0, total = 0;
  for (const Treatment& t : treatments) {
    for (double s : t.strengths) {
      for (int k = 0; k < treated_seeds; ++k) {
        phantom::PhantomOptions o = PhantomFor(4001 + static_cast<std::uint64_t>(k), light);
        t.Apply(s, &o.treatment);
        phantom::PhantomOptions clean = o;
        clean.before_capture = clean.after_capture = phantom::CaptureOptions();
        phantom::PhantomPair pair, clean_pair;
        if (!phantom::RenderPair(o, &pair).ok() || !phantom::RenderPair(clean, &clean_pair).ok())
          continue;
        const PairOutcome r =
            RunPair(pair.before, pair.after, 1.0 / pair.truth.px_per_mm_before, model);
        const PairOutcome c = RunPair(clean_pair.before, clean_pair.after,
                                      1.0 / clean_pair.truth.px_per_mm_before, model);
        if (!r.ok || !c.ok) {
          std::printf("%-24s %5.2f %5d not measured: %s\n", t.name.c_str(), s, k,
                      (r.ok ? c.note : r.note).c_str());
          continue;
        }
        for (const auto& [key, sign] : t.metrics) {
          const auto mi = r.stats.metrics.find(key), ci = c.stats.metrics.find(key);
          if (mi == r.stats.metrics.end() || ci == c.stats.metrics.end()) continue;
          const compare::MetricChangeStats& m = mi->second;
          const double truth = ci->second.delta;
          ++total;
          expected_sign_ok += (truth * sign > 0);
          const bool gated = m.mdc && std::abs(truth) > 2.0 * *m.mdc;
          const bool ok = m.significant && m.delta * truth > 0;
          std::string verdict = "not judged (|true| <= 2 MDC)";
          if (gated) {
            ++judged;
            passed += ok;
            verdict = ok ? "PASS" : "FAIL";
          }
          std::printf("%-24s %5.2f %5d %-30s %11.4g %11.4g %10s %5s %s\n", t.name.c_str(), s, k,
                      key.c_str(), truth, m.delta, Opt(m.mdc, "%.4g").c_str(),
                      m.significant ? "yes" : "no", verdict.c_str());
          std::fflush(stdout);
        }
      }
    }
  }
  std::printf("RESULT treated cases=%d true_sign_as_expected=%d judged=%d passed=%d pass=%d\n",
              total, expected_sign_ok, judged, passed, judged == passed ? 1 : 0);

  // (d) the other light condition on the same capture-only seeds.
  const Light other = light == Light::kFree ? Light::kFixed : Light::kFree;
  Fits f_other;
  if (fixed_pairs > 0) {
    std::printf("\n## (d) capture-only phantom pairs (seeds 3001-%d, %s light)\n",
                3000 + fixed_pairs, LightName(other));
    Sets sets_other;
    std::vector<PairOutcome> outcomes_other;
    PhantomSets(fixed_pairs, 3001, other, model, &sets_other, &outcomes_other);
    FalsePositives(outcomes_other, "capture_only_other", LightName(other));
    f_other = FitAll(sets_other);
    PrintFits(std::string("(d) repeatability on the ") + LightName(other) + "-light pairs",
              f_other);
  }

  // (c) CV % next to the booth system.
  const Fits f = FitAll(sets);
  PrintFits(
      std::string("(c) repeatability on the acceptance pairs (") + LightName(light) + " light)", f);
  const std::vector<std::pair<std::string, std::string>> booth = {
      {"texture.roughness", "< 2 %"},
      {"pores.count", "2-4 %"},
      {"pores.density_per_cm2", "2-4 %"},
      {"pores.area_fraction", "2-4 %"},
      {"redness.erythema_index_mean", "2-4 %"},
      {"redness.a_star_mean", "2-4 %"},
      {"wrinkles.length_px", "~ 6 %"},
      {"wrinkles.area_fraction", "~ 6 %"},
      {"wrinkles.length_density_mm_per_cm2", "~ 6 %"},
      {"tone.l_star_mean", "~ 6 % (spots)"}};
  const Fits& f_free = light == Light::kFree ? f : f_other;
  const Fits& f_fixed = light == Light::kFixed ? f : f_other;
  auto cv = [](const Fits& fits, const std::string& key) -> std::optional<double> {
    const auto it = fits.fit.find(key);
    return it == fits.fit.end() ? std::nullopt : it->second.cv_percent;
  };
  std::printf("\n%-42s %16s %16s %14s\n", "metric", "free-hand CV %", "fixed-light CV %", "booth");
  for (const auto& [key, b] : booth) {
    const auto cf = cv(f_free, key), cx = cv(f_fixed, key);
    std::printf("%-42s %16s %16s %14s\n", key.c_str(), Opt(cf, "%.2f").c_str(),
                Opt(cx, "%.2f").c_str(), b.c_str());
    std::printf("RESULT cv metric=%s free=%s fixed=%s booth=\"%s\"\n", key.c_str(),
                Opt(cf, "%.3f").c_str(), Opt(cx, "%.3f").c_str(), b.c_str());
  }
  return pass_a && judged == passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string fit_out, accept_model;
  int pairs = -1, isic_max = 12, treated_seeds = 2, fixed_pairs = -1;
  Light light = Light::kFree;
  bool isic_only = false;
  std::string isic_dir = "../shared/data/real/isic_cc0";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "change_stats_eval: %s needs a value\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--fit") {
      fit_out = next();
    } else if (a == "--accept") {
      accept_model = next();
    } else if (a == "--pairs") {
      pairs = std::stoi(next());
    } else if (a == "--isic-dir") {
      isic_dir = next();
    } else if (a == "--isic-max") {
      isic_max = std::stoi(next());
    } else if (a == "--isic-only") {
      isic_only = true;
    } else if (a == "--preset") {
      const std::string path = next();
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) {
        std::fprintf(stderr, "change_stats_eval: %s: cannot read the preset\n", path.c_str());
        return 1;
      }
      if (Status st = metrics::ParsePreset(text.str(), &g_options); !st.ok()) {
        std::fprintf(stderr, "change_stats_eval: %s: %s\n", path.c_str(), st.ToString().c_str());
        return 1;
      }
    } else if (a == "--dump-dir") {
      g_dump_dir = next();
    } else if (a == "--treated-seeds") {
      treated_seeds = std::stoi(next());
    } else if (a == "--fixed-pairs") {
      fixed_pairs = std::stoi(next());
    } else if (a == "--light") {
      const std::string l = next();
      if (l != "free" && l != "fixed" && l != "booth") {
        std::fprintf(stderr, "change_stats_eval: --light must be free, fixed or booth\n");
        return 1;
      }
      light = l == "fixed" ? Light::kFixed : l == "booth" ? Light::kBooth : Light::kFree;
    } else {
      std::fprintf(stderr,
                   "usage: change_stats_eval --fit OUT.json [--pairs N] [--isic-dir DIR] "
                   "[--isic-max N] [--light free|fixed|booth] [--preset FILE] [--isic-only] "
                   "[--dump-dir DIR] | "
                   "--accept MODEL.json [--pairs N] "
                   "[--treated-seeds N] [--light free|fixed] [--fixed-pairs N]\n");
      return 1;
    }
  }
  if (!g_dump_dir.empty()) {
    std::error_code ec;
    fs::create_directories(g_dump_dir, ec);
    if (fit_out.empty() || ec) {
      std::fprintf(stderr, "change_stats_eval: --dump-dir %s: %s\n", g_dump_dir.c_str(),
                   fit_out.empty() ? "is for --fit" : ec.message().c_str());
      return 1;
    }
  }
  if (!fit_out.empty())
    return Fit(fit_out, pairs > 0 ? pairs : 24, isic_dir, isic_max, light, isic_only);
  if (isic_only) {
    std::fprintf(stderr, "change_stats_eval: --isic-only is for --fit\n");
    return 1;
  }
  if (!accept_model.empty()) {
    const int p = pairs > 0 ? pairs : 20;
    return Accept(accept_model, p, treated_seeds, light, fixed_pairs >= 0 ? fixed_pairs : p);
  }
  std::fprintf(stderr, "change_stats_eval: give --fit OUT.json or --accept MODEL.json\n");
  return 1;
}
