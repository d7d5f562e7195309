// Wrinkle and stretch-mark accuracy on seeded phantoms with exact ground truth.
//   ridge_accuracy_eval [--seeds N] [--suite wrinkles|hair|faint-hair|striae|speed|all]
// Phantoms 1600x1200 at 20 px/mm (scale known), full-image roi; the before capture has sensor
// noise 0.003 (linear) and no JPEG.
//  * Detection by skeleton: the detected centre lines (Line polylines) and the true centre
//    lines are rasterised; a detected pixel is a true positive when within 2 px of a true line
//    (precision), a true pixel is found when within 2 px of a detected line (recall). Pooled
//    over the seeds. "visible recall" counts only true pixels whose tapered contrast is at
//    least the detection threshold (the phantom tapers each line to 0 at its ends).
//  * Treatment: contrast scale 0.5 (wrinkles / striae); ratio after / before of mean_depth /
//    mean_contrast (identity geometry and capture).
//  * Invariance: identity treatment; the after photo differs by exposure 1 +- 0.3, white
//    balance 1 +- 0.08 per channel, side light [0, 0.3] at a random angle, JPEG q85 (and its
//    own noise); |after - before| / before of each metric, median and max over the seeds.
//  * Hair (wrinkles suite "hair"): 10-20 hairs; precision with the hair mask of BuildContext,
//    with no hair mask (detector alone) and with an oracle mask (true hairs, dilated).
//  * Faint hair (suite "faint-hair"): 10-20 grey hairs of Weber 0.18-0.24 (below the hair
//    mask's 0.25) among the 8 wrinkles; wrinkle precision, recall and hair false-positive
//    pixels with the default options (no faint tier: the face presets) and with the
//    dermoscope preset's faint tier (hair.faint_min_contrast 0.12, hair as strands, min length
//    1.5 mm), which also takes the thinnest phantom wrinkles (0.1-0.15 mm) for hair.
//  * Speed: one 4000x3000 phantom (20 px/mm, 6 striae); wall time of BuildContext,
//    MeasureWrinkles and MeasureStriae (median of 3 runs).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "../src/metrics/families.h"
#include "skintrack/phantom/phantom.h"

using namespace skintrack;
using metrics::Line;
using metrics::MetricsOptions;
using metrics::internal::Context;

namespace {

constexpr double kTolPx = 2.0;

double Median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}
double Max(const std::vector<double>& v) {
  return v.empty() ? -1 : *std::max_element(v.begin(), v.end());
}

double Smoothstep(double x) {
  x = std::min(1.0, std::max(0.0, x));
  return x * x * (3 - 2 * x);
}

// Rasterises polylines (samples every 0.25 px); weight(u) in [0, 1] of the relative arc
// position selects the pixels drawn (nullptr: all).
void Rasterise(const std::vector<std::vector<cv::Point2d>>& lines, cv::Mat* mask,
               const std::function<bool(size_t, double)>& keep = nullptr) {
  for (size_t li = 0; li < lines.size(); ++li) {
    const auto& pl = lines[li];
    double total = 0;
    for (size_t i = 1; i < pl.size(); ++i) total += cv::norm(pl[i] - pl[i - 1]);
    double s = 0;
    for (size_t i = 1; i < pl.size(); ++i) {
      const double seg = cv::norm(pl[i] - pl[i - 1]);
      const int n = std::max(1, static_cast<int>(std::ceil(seg / 0.25)));
      for (int k = 0; k <= n; ++k) {
        const cv::Point2d p = pl[i - 1] + (pl[i] - pl[i - 1]) * (static_cast<double>(k) / n);
        const double u = total > 0 ? (s + seg * k / n) / total : 0.0;
        const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
        if (x < 0 || y < 0 || x >= mask->cols || y >= mask->rows) continue;
        if (keep && !keep(li, u)) continue;
        mask->at<unsigned char>(y, x) = 255;
      }
      s += seg;
    }
  }
}

cv::Mat DistanceTo(const cv::Mat& mask) {
  cv::Mat inv = mask == 0, dist;
  cv::distanceTransform(inv, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  return dist;
}

struct Counts {
  long long det = 0, det_ok = 0, det_ok5 = 0, truth = 0, truth_ok = 0, vis = 0, vis_ok = 0,
            hair_fp = 0;
  void Add(const Counts& o) {
    det += o.det, det_ok += o.det_ok, det_ok5 += o.det_ok5, truth += o.truth;
    truth_ok += o.truth_ok, vis += o.vis, vis_ok += o.vis_ok, hair_fp += o.hair_fp;
  }
  double P() const { return det ? static_cast<double>(det_ok) / det : 1.0; }
  double R() const { return truth ? static_cast<double>(truth_ok) / truth : 1.0; }
  double Rv() const { return vis ? static_cast<double>(vis_ok) / vis : 1.0; }
  double F1() const { return P() + R() > 0 ? 2 * P() * R() / (P() + R()) : 0.0; }
};

std::vector<std::vector<cv::Point2d>> Polylines(const std::vector<phantom::TruthLine>& t) {
  std::vector<std::vector<cv::Point2d>> v;
  for (const auto& l : t) v.push_back(l.polyline);
  return v;
}

Counts Score(const std::vector<Line>& det, const std::vector<phantom::TruthLine>& truth,
             const std::vector<phantom::TruthLine>& hairs, cv::Size size, double taper,
             double min_contrast) {
  std::vector<std::vector<cv::Point2d>> dl;
  for (const Line& l : det) dl.push_back(l.polyline);
  cv::Mat dm = cv::Mat::zeros(size, CV_8UC1), tm = dm.clone(), vm = dm.clone(), hm = dm.clone();
  Rasterise(dl, &dm);
  const auto tl = Polylines(truth);
  Rasterise(tl, &tm);
  Rasterise(tl, &vm, [&](size_t i, double u) {
    const double t = Smoothstep(u / taper) * Smoothstep((1 - u) / taper);
    return std::abs(truth[i].before) * t >= min_contrast;
  });
  Rasterise(Polylines(hairs), &hm);
  const cv::Mat d_truth = DistanceTo(tm), d_det = DistanceTo(dm), d_hair = DistanceTo(hm);
  Counts c;
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      if (dm.at<unsigned char>(y, x)) {
        ++c.det;
        const bool ok = d_truth.at<float>(y, x) <= kTolPx;
        c.det_ok += ok;
        c.det_ok5 += d_truth.at<float>(y, x) <= 5.0;
        c.hair_fp += !ok && d_hair.at<float>(y, x) <= kTolPx;
      }
      if (tm.at<unsigned char>(y, x)) {
        ++c.truth;
        c.truth_ok += d_det.at<float>(y, x) <= kTolPx;
      }
      if (vm.at<unsigned char>(y, x)) {
        ++c.vis;
        c.vis_ok += d_det.at<float>(y, x) <= kTolPx;
      }
    }
  return c;
}

// Band-area overlap of wide lines (stretch marks: flat bands 1-4 mm wide, where a +-2 px
// centre-line tolerance is a few % of the width): truth bands drawn at their FWHM width_px
// along the whole polyline (faded ends included), detected bands at their measured width_px.
struct AreaCounts {
  long long det = 0, truth = 0, both = 0;
  void Add(const AreaCounts& o) { det += o.det, truth += o.truth, both += o.both; }
  double P() const { return det ? static_cast<double>(both) / det : 1.0; }
  double R() const { return truth ? static_cast<double>(both) / truth : 1.0; }
  double F1() const { return P() + R() > 0 ? 2 * P() * R() / (P() + R()) : 0.0; }
};

void DrawBand(const std::vector<cv::Point2d>& polyline, double width_px, cv::Mat* mask) {
  std::vector<cv::Point> pts;
  for (const cv::Point2d& p : polyline) pts.emplace_back(cvRound(p.x * 16), cvRound(p.y * 16));
  const int thickness = std::max(1, static_cast<int>(std::lround(width_px)));
  cv::polylines(*mask, std::vector<std::vector<cv::Point>>{pts}, false, cv::Scalar(255), thickness,
                cv::LINE_8, 4);
}

AreaCounts ScoreArea(const std::vector<Line>& det, const std::vector<phantom::TruthLine>& truth,
                     cv::Size size) {
  cv::Mat dm = cv::Mat::zeros(size, CV_8UC1), tm = dm.clone();
  for (const Line& l : det) DrawBand(l.polyline, l.width_px, &dm);
  for (const phantom::TruthLine& l : truth) DrawBand(l.polyline, l.width_px, &tm);
  AreaCounts c;
  c.det = cv::countNonZero(dm);
  c.truth = cv::countNonZero(tm);
  c.both = cv::countNonZero(dm & tm);
  return c;
}

phantom::PhantomOptions Base(std::uint64_t seed) {
  phantom::PhantomOptions o;
  o.seed = seed;
  o.skin.wrinkle_count = 8;
  o.before_capture.noise_sigma = 0.003;
  o.after_capture.noise_sigma = 0.003;
  return o;
}

phantom::CaptureOptions RandomLight(std::uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 17);
  std::uniform_real_distribution<double> u(-1, 1);
  phantom::CaptureOptions c;
  c.exposure = 1 + 0.3 * u(rng);
  for (int k = 0; k < 3; ++k) c.white_balance[k] = 1 + 0.08 * u(rng);
  c.side_light_strength = 0.15 + 0.15 * u(rng);
  c.side_light_angle_deg = 180 + 180 * u(rng);
  c.noise_sigma = 0.003;
  c.jpeg_quality = 85;
  return c;
}

bool BuildCtx(const cv::Mat& image, double px_per_mm, Context* ctx,
              const MetricsOptions& options = MetricsOptions()) {
  const cv::Mat roi(image.size(), CV_8UC1, cv::Scalar(255));
  const Status st = metrics::internal::BuildContext(image, roi, 1.0 / px_per_mm, options, ctx);
  if (!st.ok()) std::fprintf(stderr, "BuildContext: %s\n", st.ToString().c_str());
  return st.ok();
}

struct Both {
  metrics::WrinkleMetrics w;
  metrics::StriaeMetrics s;
  std::vector<Line> wl, sl;
};

Both Measure(const Context& ctx) {
  Both b;
  const MetricsOptions o;
  metrics::internal::MeasureWrinkles(ctx, o, &b.w, &b.wl);
  metrics::internal::MeasureStriae(ctx, o, &b.s, &b.sl);
  return b;
}

double RelChange(double a, double b) {
  if (a == 0 && b == 0) return 0;
  return std::abs(b - a) / std::max(std::abs(a), 1e-12);
}

void PrintCounts(const char* name, const Counts& c) {
  std::printf(
      "%-34s P %.3f  R %.3f  F1 %.3f  (visible R %.3f; P within 5 px %.3f; det %lld px, "
      "truth %lld px)\n",
      name, c.P(), c.R(), c.F1(), c.Rv(), c.det ? double(c.det_ok5) / c.det : 1.0, c.det, c.truth);
}

// Accuracy, treatment and invariance for one family (wrinkles or striae).
void RunFamily(bool striae, int seeds) {
  const char* fam = striae ? "striae" : "wrinkles";
  Counts all;
  AreaCounts all_area;
  std::vector<double> f1s, area_f1s, ratio, inv_count, inv_len, inv_depth, inv_width, inv_area;
  for (int s = 1; s <= seeds; ++s) {
    phantom::PhantomOptions o = Base(static_cast<std::uint64_t>(s));
    if (striae) o.skin.striae_count = 5;
    if (striae) o.treatment.striae_contrast_scale = 0.5;
    if (!striae) o.treatment.wrinkle_contrast_scale = 0.5;
    phantom::PhantomPair pair;
    if (!phantom::RenderPair(o, &pair).ok()) return;
    Context cb, ca;
    if (!BuildCtx(pair.before, pair.truth.px_per_mm_before, &cb) ||
        !BuildCtx(pair.after, pair.truth.px_per_mm_before, &ca))
      return;
    const Both mb = Measure(cb), ma = Measure(ca);
    const auto& truth = striae ? pair.truth.striae : pair.truth.wrinkles;
    const Counts c = Score(striae ? mb.sl : mb.wl, truth, pair.truth.hairs, pair.before.size(),
                           striae ? 0.2 : 0.15, striae ? 0.04 : 0.04);
    all.Add(c);
    f1s.push_back(c.F1());
    const AreaCounts ac = ScoreArea(striae ? mb.sl : mb.wl, truth, pair.before.size());
    all_area.Add(ac);
    area_f1s.push_back(ac.F1());
    const double db = striae ? mb.s.mean_contrast : mb.w.mean_depth;
    const double da = striae ? ma.s.mean_contrast : ma.w.mean_depth;
    ratio.push_back(db != 0 ? da / db : -1);
    // Invariance pair: same skin, different light and JPEG.
    phantom::PhantomOptions oi = Base(static_cast<std::uint64_t>(s));
    if (striae) oi.skin.striae_count = 5;
    oi.after_capture = RandomLight(static_cast<std::uint64_t>(s));
    phantom::PhantomPair pi;
    if (!phantom::RenderPair(oi, &pi).ok()) return;
    Context ci;
    if (!BuildCtx(pi.after, pi.truth.px_per_mm_before, &ci)) return;
    const Both mi = Measure(ci);
    const Both& m0 = mb;  // same skin and before capture as oi's before
    if (std::getenv("RV")) {
      for (const auto* v : striae ? std::vector<const std::vector<Line>*>{&m0.sl, &mi.sl}
                                  : std::vector<const std::vector<Line>*>{&m0.wl, &mi.wl}) {
        for (const Line& l : *v)
          std::printf(" [%.0f %.3f w %.1f (%.0f,%.0f)]", l.length_px, l.contrast, l.width_px,
                      l.polyline[0].x, l.polyline[0].y);
        std::printf("\n");
      }
    }
    if (striae) {
      inv_count.push_back(RelChange(m0.s.count, mi.s.count));
      inv_area.push_back(RelChange(m0.s.area_fraction, mi.s.area_fraction));
      inv_depth.push_back(RelChange(m0.s.mean_contrast, mi.s.mean_contrast));
      inv_width.push_back(
          RelChange(m0.s.mean_width_mm.value_or(0), mi.s.mean_width_mm.value_or(0)));
      inv_len.push_back(0);
    } else {
      inv_count.push_back(RelChange(m0.w.count, mi.w.count));
      inv_len.push_back(RelChange(m0.w.length_px, mi.w.length_px));
      inv_area.push_back(RelChange(m0.w.area_fraction, mi.w.area_fraction));
      inv_depth.push_back(RelChange(m0.w.mean_depth, mi.w.mean_depth));
      inv_width.push_back(
          RelChange(m0.w.mean_width_mm.value_or(0), mi.w.mean_width_mm.value_or(0)));
    }
    std::printf(
        "%s seed %2d: P %.3f R %.3f F1 %.3f  area F1 %.3f  count %d (truth %zu, other capture "
        "%d)  "
        "depth %.4f -> %.4f (ratio %.3f)  inv: count %.3f len %.3f depth %.3f width %.3f "
        "area %.3f\n",
        fam, s, c.P(), c.R(), c.F1(), ac.F1(), striae ? mb.s.count : mb.w.count, truth.size(),
        striae ? mi.s.count : mi.w.count, db, da, ratio.back(), inv_count.back(), inv_len.back(),
        inv_depth.back(), inv_width.back(), inv_area.back());
  }
  PrintCounts((std::string(fam) + " pooled").c_str(), all);
  std::printf("%s per-seed F1: median %.3f min %.3f\n", fam, Median(f1s),
              *std::min_element(f1s.begin(), f1s.end()));
  std::printf("%s band area pooled P %.3f R %.3f F1 %.3f; per-seed F1 median %.3f min %.3f\n", fam,
              all_area.P(), all_area.R(), all_area.F1(), Median(area_f1s),
              *std::min_element(area_f1s.begin(), area_f1s.end()));
  std::printf("%s treatment 0.5: ratio median %.3f min %.3f max %.3f\n", fam, Median(ratio),
              *std::min_element(ratio.begin(), ratio.end()), Max(ratio));
  std::printf("%s invariance |rel change| median (max): count %.3f (%.3f) ", fam, Median(inv_count),
              Max(inv_count));
  if (!striae) std::printf("length %.3f (%.3f) ", Median(inv_len), Max(inv_len));
  std::printf("%s %.3f (%.3f) width %.3f (%.3f) area %.3f (%.3f)\n", striae ? "contrast" : "depth",
              Median(inv_depth), Max(inv_depth), Median(inv_width), Max(inv_width),
              Median(inv_area), Max(inv_area));
}

void RunHair(int seeds) {
  Counts with_ctx, without, oracle;
  for (int s = 1; s <= seeds; ++s) {
    phantom::PhantomOptions o = Base(static_cast<std::uint64_t>(s));
    o.skin.hair_count = 10 + (s % 11);
    phantom::PhantomPair pair;
    if (!phantom::RenderPair(o, &pair).ok()) return;
    Context ctx;
    if (!BuildCtx(pair.before, pair.truth.px_per_mm_before, &ctx)) return;
    const cv::Size size = pair.before.size();
    auto run = [&](const Context& c) {
      metrics::WrinkleMetrics w;
      std::vector<Line> l;
      metrics::internal::MeasureWrinkles(c, MetricsOptions(), &w, &l);
      return Score(l, pair.truth.wrinkles, pair.truth.hairs, size, 0.15, 0.04);
    };
    const Counts a = run(ctx);
    Context none = ctx;
    none.hair = cv::Mat::zeros(size, CV_8UC1);
    none.roi = cv::Mat(size, CV_8UC1, cv::Scalar(255));
    none.roi_area_px = size.area();
    const Counts b = run(none);
    Context orc = none;
    cv::Mat hm = cv::Mat::zeros(size, CV_8UC1);
    Rasterise(Polylines(pair.truth.hairs), &hm);
    cv::dilate(hm, hm, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
    orc.hair = hm;
    orc.roi = ~hm;
    orc.roi_area_px = cv::countNonZero(orc.roi);
    const Counts c = run(orc);
    with_ctx.Add(a);
    without.Add(b);
    oracle.Add(c);
    std::printf(
        "hair seed %2d (%d hairs): P ctx-mask %.3f none %.3f oracle %.3f; hair FP px "
        "%lld / %lld / %lld\n",
        s, o.skin.hair_count, a.P(), b.P(), c.P(), a.hair_fp, b.hair_fp, c.hair_fp);
  }
  PrintCounts("wrinkles+hair, BuildContext mask", with_ctx);
  PrintCounts("wrinkles+hair, no hair mask", without);
  PrintCounts("wrinkles+hair, oracle hair mask", oracle);
  std::printf(
      "hair false-positive px (within 2 px of a hair, not of a wrinkle): %lld / %lld / "
      "%lld\n",
      with_ctx.hair_fp, without.hair_fp, oracle.hair_fp);
}

void RunFaintHair(int seeds) {
  MetricsOptions faint;
  faint.hair.faint_min_contrast = 0.12;
  faint.hair.min_length_mm = 1.5;
  const std::pair<const char*, MetricsOptions> configs[] = {{"default options", MetricsOptions()},
                                                            {"faint tier 0.12", faint}};
  for (const auto& [name, options] : configs) {
    Counts all;
    for (int s = 1; s <= seeds; ++s) {
      phantom::PhantomOptions o = Base(static_cast<std::uint64_t>(s));
      o.skin.hair_count = 10 + (s % 11);
      o.skin.hair_contrast_min = 0.18;
      o.skin.hair_contrast_max = 0.24;
      phantom::PhantomPair pair;
      if (!phantom::RenderPair(o, &pair).ok()) return;
      Context ctx;
      if (!BuildCtx(pair.before, pair.truth.px_per_mm_before, &ctx, options)) return;
      metrics::WrinkleMetrics w;
      std::vector<Line> l;
      metrics::internal::MeasureWrinkles(ctx, options, &w, &l);
      const Counts c =
          Score(l, pair.truth.wrinkles, pair.truth.hairs, pair.before.size(), 0.15, 0.04);
      all.Add(c);
      std::printf("faint hair seed %2d (%d hairs), %s: P %.3f R %.3f, hair FP px %lld\n", s,
                  o.skin.hair_count, name, c.P(), c.R(), c.hair_fp);
    }
    PrintCounts((std::string("wrinkles+faint hair, ") + name).c_str(), all);
    std::printf("faint hair, %s: hair false-positive px %lld\n", name, all.hair_fp);
  }
}

void RunSpeed() {
  phantom::PhantomOptions o = Base(3);
  o.width = 4000;
  o.height = 3000;
  o.skin.striae_count = 6;
  o.skin.wrinkle_count = 20;
  phantom::PhantomPair pair;
  if (!phantom::RenderPair(o, &pair).ok()) return;
  std::vector<double> tc, tw, ts, cw, cs;
  for (int r = 0; r < 3; ++r) {
    using Clock = std::chrono::steady_clock;
    auto t0 = Clock::now();
    Context ctx;
    if (!BuildCtx(pair.before, 20.0, &ctx)) return;
    auto t1 = Clock::now();
    metrics::WrinkleMetrics w;
    metrics::StriaeMetrics st;
    std::vector<Line> wl, sl;
    const std::clock_t c1 = std::clock();
    metrics::internal::MeasureWrinkles(ctx, MetricsOptions(), &w, &wl);
    auto t2 = Clock::now();
    const std::clock_t c2 = std::clock();
    metrics::internal::MeasureStriae(ctx, MetricsOptions(), &st, &sl);
    auto t3 = Clock::now();
    const std::clock_t c3 = std::clock();
    cw.push_back(static_cast<double>(c2 - c1) / CLOCKS_PER_SEC);
    cs.push_back(static_cast<double>(c3 - c2) / CLOCKS_PER_SEC);
    tc.push_back(std::chrono::duration<double>(t1 - t0).count());
    tw.push_back(std::chrono::duration<double>(t2 - t1).count());
    ts.push_back(std::chrono::duration<double>(t3 - t2).count());
    if (r == 0)
      std::printf("4000x3000: wrinkles %d (%.0f px), striae %d\n", w.count, w.length_px, st.count);
  }
  std::printf(
      "4000x3000 wall (median of 3, %d threads): BuildContext %.3f s, wrinkles %.3f s, "
      "striae %.3f s, wrinkles+striae %.3f s\n",
      cv::getNumThreads(), Median(tc), Median(tw), Median(ts), Median(tw) + Median(ts));
  std::printf("4000x3000 CPU time (all threads, median of 3): wrinkles %.3f s, striae %.3f s\n",
              Median(cw), Median(cs));
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 10;
  std::string suite = "all";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seeds") seeds = std::atoi(argv[i + 1]);
    if (a == "--suite") suite = argv[i + 1];
  }
  if (suite == "wrinkles" || suite == "all") RunFamily(false, seeds);
  if (suite == "hair" || suite == "all") RunHair(seeds);
  if (suite == "faint-hair" || suite == "all") RunFaintHair(seeds);
  if (suite == "striae" || suite == "all") RunFamily(true, seeds);
  if (suite == "speed" || suite == "all") RunSpeed();
  return 0;
}
