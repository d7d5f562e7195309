// Pore and scar accuracy on seeded phantoms with exact truth (issue acceptance figures).
//   blob_accuracy_eval [--suite all|accuracy|lowtex|treatment|invariance|lowres|speed]
//                      [--seeds N]
// accuracy:   default phantoms (1600x1200, 20 px/mm, neutral identity capture). Pores: a
//             detection matches a true pore within one true radius, one-to-one (greedy by
//             distance); pores within 12 px of the border are left out. Mean diameter of
//             all detections vs all true pores. Scars: F1 by area (px) against the exact
//             truth mask (the pixels darker than half the floor contrast in the ratio of the
//             phantom to the same phantom rendered without scars), and mean contrast.
// lowtex:     the same in low-texture mode (faint pores, no scars).
// treatment:  pore_radius_scale 0.8, pore_close_fraction 0.2, scar_contrast_scale 0.5;
//             measured after/before ratios of count, mean diameter, scar contrast vs truth.
// invariance: the same skin photographed twice with random photometric captures (exposure
//             +-30 %, white balance +-8 %, side light <= 0.3, noise 0.003, JPEG q85,
//             identity geometry); median |after / before - 1| over the pairs.
// lowres:     accuracy at 10 px/mm.
// speed:      pores and scars on a 4000x3000 phantom: wall and CPU time, median of 3.
// Internal entry points (BuildContext, MeasurePores, MeasureScars) come from the private
// header src/metrics/families.h.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "../src/metrics/families.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"

using namespace skintrack;
namespace mi = skintrack::metrics::internal;

namespace {

struct Run {
  metrics::PoreMetrics pm;
  std::vector<metrics::Pore> pores, marginal;  // marginal: for metrics::PairPores
  long long roi_px = 0;
  cv::Mat roi;  // where it measured (CV_8UC1)
  metrics::ScarMetrics sm;
  std::vector<metrics::Scar> scars;
  double wall_pores = 0, wall_scars = 0, cpu_pores = 0, cpu_scars = 0;
};

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Run Measure(const cv::Mat& image, double px_per_mm, bool want_marginal = false) {
  metrics::MetricsOptions mo;
  mi::Context ctx;
  const cv::Mat roi(image.size(), CV_8UC1, cv::Scalar(255));
  Run r;
  const Status st = mi::BuildContext(image, roi, 1.0 / px_per_mm, mo, &ctx);
  if (!st.ok()) std::fprintf(stderr, "%s\n", st.ToString().c_str()), std::exit(1);
  double w = WallSeconds(), c = CpuSeconds();
  (void)mi::MeasurePores(ctx, mo, &r.pm, &r.pores, want_marginal ? &r.marginal : nullptr);
  r.roi_px = ctx.roi_area_px;
  r.roi = ctx.roi;
  r.wall_pores = WallSeconds() - w, r.cpu_pores = CpuSeconds() - c;
  w = WallSeconds(), c = CpuSeconds();
  (void)mi::MeasureScars(ctx, mo, &r.sm, &r.scars);
  r.wall_scars = WallSeconds() - w, r.cpu_scars = CpuSeconds() - c;
  return r;
}

phantom::PhantomPair Render(const phantom::PhantomOptions& po) {
  phantom::PhantomPair pair;
  const Status st = phantom::RenderPair(po, &pair);
  if (!st.ok()) std::fprintf(stderr, "%s\n", st.ToString().c_str()), std::exit(1);
  return pair;
}

struct PoreScore {
  int truth = 0, found = 0, matched = 0;
  double truth_d = 0, found_d = 0;  // mean diameters, px
};

PoreScore ScorePores(const std::vector<phantom::TruthPore>& truth, bool after,
                     const std::vector<metrics::Pore>& found, cv::Size size) {
  const double margin = 12.0;
  auto inside = [&](double x, double y) {
    return x >= margin && y >= margin && x <= size.width - 1 - margin &&
           y <= size.height - 1 - margin;
  };
  PoreScore s;
  std::vector<int> ti, fi;
  for (size_t i = 0; i < truth.size(); ++i) {
    const double r = after ? truth[i].radius_after_px : truth[i].radius_before_px;
    if (r <= 0 || !inside(truth[i].x, truth[i].y)) continue;
    ti.push_back(static_cast<int>(i));
    s.truth_d += 2 * r;
  }
  for (size_t i = 0; i < found.size(); ++i) {
    if (!inside(found[i].x, found[i].y)) continue;
    fi.push_back(static_cast<int>(i));
    s.found_d += found[i].diameter_px;
  }
  struct Pair {
    double d;
    int t, f;
  };
  std::vector<Pair> pairs;
  for (int t : ti) {
    const double r = after ? truth[t].radius_after_px : truth[t].radius_before_px;
    for (int f : fi) {
      const double d = std::hypot(truth[t].x - found[f].x, truth[t].y - found[f].y);
      if (d <= r) pairs.push_back({d, t, f});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.d < b.d; });
  std::vector<char> tu(truth.size(), 0), fu(found.size(), 0);
  for (const Pair& p : pairs) {
    if (tu[p.t] || fu[p.f]) continue;
    tu[p.t] = fu[p.f] = 1;
    ++s.matched;
  }
  s.truth = static_cast<int>(ti.size());
  s.found = static_cast<int>(fi.size());
  s.truth_d /= std::max(1, s.truth);
  s.found_d /= std::max(1, s.found);
  return s;
}

cv::Mat1f LinearY(const cv::Mat& image) {
  return photometric::LinearLuminance(photometric::SrgbToLinear(image));
}

// Exact scar masks (before, after) of a neutral-capture phantom.
void ScarTruth(const phantom::PhantomOptions& po, const phantom::PhantomPair& pair,
               cv::Mat1b* before, cv::Mat1b* after) {
  phantom::PhantomOptions bare = po;
  bare.skin.scar_contrast = 0.0;
  const phantom::PhantomPair plain = Render(bare);
  const double c = po.skin.scar_contrast, ca = c * po.treatment.scar_contrast_scale;
  *before = (1.0f - LinearY(pair.before) / LinearY(plain.before)) >= 0.5 * c;
  *after = (1.0f - LinearY(pair.after) / LinearY(plain.after)) >= 0.5 * ca;
}

double ScarF1(const std::vector<metrics::Scar>& scars, const cv::Mat1b& truth) {
  cv::Mat1b pred = cv::Mat1b::zeros(truth.size());
  std::vector<std::vector<cv::Point>> contours;
  for (const auto& s : scars) contours.push_back(s.contour);
  cv::drawContours(pred, contours, -1, cv::Scalar(255), cv::FILLED);
  const double tp = cv::countNonZero(pred & truth);
  const double np = cv::countNonZero(pred), nt = cv::countNonZero(truth);
  if (np + nt == 0) return 1.0;
  return 2.0 * tp / (np + nt);
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double Rel(double after, double before) { return before != 0 ? after / before - 1.0 : NAN; }

void Accuracy(const char* name, int seeds, double px_per_mm, bool low_texture) {
  std::printf("\n## %s (%d phantoms, %.0f px/mm)\n", name, seeds, px_per_mm);
  std::printf(
      "| seed | pores true/found/matched | recall | precision | mean d true/found px | "
      "d error | scars true/found | scar F1 | contrast true/found | s pores+scars |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<double> rec, pre, derr, f1, cerr;
  for (int seed = 1; seed <= seeds; ++seed) {
    phantom::PhantomOptions po;
    po.seed = seed;
    po.skin.px_per_mm = px_per_mm;
    po.skin.low_texture = low_texture;
    const phantom::PhantomPair pair = Render(po);
    const Run r = Measure(pair.before, pair.truth.px_per_mm_before);
    const PoreScore s = ScorePores(pair.truth.pores, false, r.pores, pair.before.size());
    rec.push_back(double(s.matched) / s.truth);
    pre.push_back(double(s.matched) / std::max(1, s.found));
    derr.push_back(s.found_d / s.truth_d - 1.0);
    double f = NAN, ct = NAN;
    if (!pair.truth.scars.empty()) {
      cv::Mat1b tb, ta;
      ScarTruth(po, pair, &tb, &ta);
      f = ScarF1(r.scars, tb);
      ct = pair.truth.scars[0].before;
      f1.push_back(f);
      cerr.push_back(r.sm.mean_contrast / ct - 1.0);
    }
    std::printf(
        "| %d | %d/%d/%d | %.3f | %.3f | %.3f/%.3f | %+.1f %% | %zu/%d | %.3f | %.3f/%.3f "
        "| %.2f |\n",
        seed, s.truth, s.found, s.matched, rec.back(), pre.back(), s.truth_d, s.found_d,
        100 * derr.back(), pair.truth.scars.size(), r.sm.count, f, ct, r.sm.mean_contrast,
        r.wall_pores + r.wall_scars);
  }
  std::printf(
      "summary %s: pore recall median %.3f (min %.3f), precision median %.3f (min %.3f), "
      "mean-diameter error median %+.1f %%; scar F1 median %.3f (min %.3f), contrast "
      "error median %+.1f %%\n",
      name, Median(rec), *std::min_element(rec.begin(), rec.end()), Median(pre),
      *std::min_element(pre.begin(), pre.end()), 100 * Median(derr), Median(f1),
      f1.empty() ? NAN : *std::min_element(f1.begin(), f1.end()), 100 * Median(cerr));
}

void Treatment(int seeds) {
  std::printf(
      "\n## treatment (%d phantoms): pore_radius_scale 0.8, pore_close_fraction 0.2, "
      "scar_contrast_scale 0.5\n",
      seeds);
  std::printf(
      "| seed | count ratio true/measured | mean-d ratio true/measured | scar contrast "
      "ratio (true 0.5) | scar F1 after |\n|---|---|---|---|---|\n");
  std::vector<double> ce, de, sc, pce, pde;
  for (int seed = 1; seed <= seeds; ++seed) {
    phantom::PhantomOptions po;
    po.seed = seed;
    po.treatment.pore_radius_scale = 0.8;
    po.treatment.pore_close_fraction = 0.2;
    po.treatment.scar_contrast_scale = 0.5;
    const phantom::PhantomPair pair = Render(po);
    const double ppm = pair.truth.px_per_mm_before;
    const Run b = Measure(pair.before, ppm, true), a = Measure(pair.after, ppm, true);
    const PoreScore tb = ScorePores(pair.truth.pores, false, b.pores, pair.before.size());
    const PoreScore ta = ScorePores(pair.truth.pores, true, a.pores, pair.after.size());
    const double true_count = double(ta.truth) / tb.truth, meas_count = double(ta.found) / tb.found;
    const double true_d = ta.truth_d / tb.truth_d, meas_d = ta.found_d / tb.found_d;
    // As compare counts them (the neutral captures share one frame): metrics::PairPores,
    // then metrics::GuidePores.
    metrics::MetricsResult rb, ra;
    for (auto [r, run] : {std::pair{&rb, &b}, std::pair{&ra, &a}}) {
      r->pores = run->pm;  // (PairPores recomputes only a side that adopted a pore)
      r->detections.pores = run->pores;
      r->detections.pores_marginal = run->marginal;
      r->roi_area_px = run->roi_px;
      r->px_per_mm = ppm;
      r->scale_known = true;
    }
    metrics::PairPores(&rb, &ra);
    if (Status st = metrics::GuidePores(pair.before, pair.after, b.roi & a.roi, &rb, &ra); !st.ok())
      std::fprintf(stderr, "%s\n", st.ToString().c_str()), std::exit(1);
    const double paired_count = double(ra.pores.count) / rb.pores.count;
    const double paired_d = ra.pores.mean_diameter_px / rb.pores.mean_diameter_px;
    pce.push_back((paired_count - 1) / (true_count - 1) - 1);
    pde.push_back((paired_d - 1) / (true_d - 1) - 1);
    const double scar = a.sm.mean_contrast / b.sm.mean_contrast;
    cv::Mat1b mb, ma;
    ScarTruth(po, pair, &mb, &ma);
    ce.push_back((meas_count - 1) / (true_count - 1) - 1);
    de.push_back((meas_d - 1) / (true_d - 1) - 1);
    sc.push_back(scar);
    std::printf("| %d | %.3f/%.3f | %.3f/%.3f | %.3f | %.3f |\n", seed, true_count, meas_count,
                true_d, meas_d, scar, ScarF1(a.scars, ma));
  }
  std::printf(
      "summary treatment: count change error (relative to the true change) median %+.1f "
      "%% (worst %+.1f %%), mean-diameter change error median %+.1f %% (worst %+.1f %%), "
      "scar contrast ratio median %.3f (range %.3f-%.3f)\n",
      100 * Median(ce),
      100 * *std::max_element(ce.begin(), ce.end(),
                              [](double x, double y) { return std::abs(x) < std::abs(y); }),
      100 * Median(de),
      100 * *std::max_element(de.begin(), de.end(),
                              [](double x, double y) { return std::abs(x) < std::abs(y); }),
      Median(sc), *std::min_element(sc.begin(), sc.end()), *std::max_element(sc.begin(), sc.end()));
  auto worst = [](const std::vector<double>& v) {
    return *std::max_element(v.begin(), v.end(),
                             [](double x, double y) { return std::abs(x) < std::abs(y); });
  };
  std::printf(
      "summary treatment paired (compare: metrics::PairPores, GuidePores): count change error "
      "median %+.1f "
      "%% (worst %+.1f %%), mean-diameter change error median %+.1f %% (worst %+.1f %%)\n",
      100 * Median(pce), 100 * worst(pce), 100 * Median(pde), 100 * worst(pde));
}

void Invariance(int seeds) {
  std::printf("\n## invariance (%d pairs): two random photometric captures of the same skin\n",
              seeds);
  std::printf(
      "| seed | pores count | mean d | density | scars count | area fraction | "
      "mean contrast | total area |\n|---|---|---|---|---|---|---|---|\n");
  std::vector<std::vector<double>> v(7);
  for (int seed = 1; seed <= seeds; ++seed) {
    phantom::PhantomOptions po;
    po.seed = seed;
    phantom::RandomCaptureOptions rc;
    rc.max_rotation_deg = rc.max_scale_change = rc.max_translation_fraction = 0.0;
    rc.max_perspective = 0.0;
    std::mt19937_64 rng(1000 + seed);
    po.before_capture = phantom::RandomCapture(rc, {po.width, po.height}, rng);
    po.after_capture = phantom::RandomCapture(rc, {po.width, po.height}, rng);
    const phantom::PhantomPair pair = Render(po);
    const double ppm = pair.truth.px_per_mm_before;
    const Run b = Measure(pair.before, ppm), a = Measure(pair.after, ppm);
    const double d[7] = {Rel(a.pm.count, b.pm.count),
                         Rel(a.pm.mean_diameter_px, b.pm.mean_diameter_px),
                         Rel(*a.pm.density_per_cm2, *b.pm.density_per_cm2),
                         Rel(a.sm.count, b.sm.count),
                         Rel(a.sm.area_fraction, b.sm.area_fraction),
                         Rel(a.sm.mean_contrast, b.sm.mean_contrast),
                         Rel(*a.sm.total_area_mm2, *b.sm.total_area_mm2)};
    std::printf("| %d |", seed);
    for (int i = 0; i < 7; ++i) {
      v[i].push_back(std::abs(d[i]));
      std::printf(" %+.2f %% |", 100 * d[i]);
    }
    std::printf("\n");
  }
  std::printf(
      "summary invariance (median |change|): pore count %.2f %%, mean diameter %.2f %%, "
      "density %.2f %%; scar count %.2f %%, area fraction %.2f %%, mean contrast %.2f %%, "
      "total area %.2f %%\n",
      100 * Median(v[0]), 100 * Median(v[1]), 100 * Median(v[2]), 100 * Median(v[3]),
      100 * Median(v[4]), 100 * Median(v[5]), 100 * Median(v[6]));
}

void Speed() {
  phantom::PhantomOptions po;
  po.width = 4000;
  po.height = 3000;
  const phantom::PhantomPair pair = Render(po);
  std::vector<double> wp, ws, cp, cs;
  int pores = 0, scars = 0;
  for (int i = 0; i < 3; ++i) {
    const Run r = Measure(pair.before, pair.truth.px_per_mm_before);
    wp.push_back(r.wall_pores), ws.push_back(r.wall_scars);
    cp.push_back(r.cpu_pores), cs.push_back(r.cpu_scars);
    pores = r.pm.count, scars = r.sm.count;
  }
  std::printf(
      "\n## speed (4000x3000, 20 px/mm, %d threads): pores %.3f s wall / %.3f s CPU "
      "(%d pores); scars %.3f s wall / %.3f s CPU (%d scars); total %.3f s wall\n",
      cv::getNumThreads(), Median(wp), Median(cp), pores, Median(ws), Median(cs), scars,
      Median(wp) + Median(ws));
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line-buffered: progress is visible
  std::string suite = "all";
  int seeds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--suite"))
      suite = argv[i + 1];
    else if (!std::strcmp(argv[i], "--seeds"))
      seeds = std::max(1, std::atoi(argv[i + 1]));
  }
  const bool all = suite == "all";
  if (all || suite == "accuracy") Accuracy("accuracy", seeds, 20.0, false);
  if (all || suite == "lowtex") Accuracy("lowtex", seeds, 20.0, true);
  if (all || suite == "treatment") Treatment(seeds);
  if (all || suite == "invariance") Invariance(seeds);
  if (all || suite == "lowres") Accuracy("lowres", seeds, 10.0, false);
  if (all || suite == "speed") Speed();
  return 0;
}
