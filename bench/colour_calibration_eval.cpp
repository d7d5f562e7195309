// Colour calibration accuracy on seeded phantom pairs carrying a rendered ColorChecker.
//
// Per seed: one phantom (redness x1.5 after treatment) with a chart; three photos:
//   A  = before skin, random light (exposure 0.75 x (1 +- 30 %), white balance +-8 %, side
//        light up to 30 %), identity geometry;
//   B  = before skin again, an independent random capture (geometry and light): a retest;
//   B' = after (treated) skin with B's capture and other noise.
// Capture-only pair (A, B): mean skin colour difference (CIE76 of the mean L*a*b*) and relative
// change of mean a*, erythema index and ITA. Treated pair (A, B'): the change of mean a* and EI
// over the redness patches against the same change measured on the clean (uncaptured) skin.
// Methods: uncalibrated, chart only, flat field + chart, reference-normalised (gains on the
// skin outside the redness patches' full extent, 3 half-maximum radii + 1 mm), flat field +
// reference. Prints median and max over pairs.
//
// Two configurations: lossless captures, and JPEG q90 (OpenCV/libjpeg 4:2:0), which by itself
// biases the mean linear R/G of textured skin by up to ~1.6 % depending on exposure and white
// balance (docs/colour.md).
// Usage: colour_calibration_eval [pairs=12] [first_seed=1]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../tests/photometric/colour_scene.h"
#include "skintrack/photometric/reference_normalise.h"

namespace cs = skintrack::colour_scene;
namespace ph = skintrack::phantom;
namespace pm = skintrack::photometric;

namespace {

// Exposure draws (1 +- 30 %) are relative to this, so that no session clips the skin (gain up
// to 0.75 x 1.3 x 1.3 side light x 1.08 white balance = 1.37 on skin of linear R ~0.45).
constexpr double kNominalExposure = 0.75;

struct Row {
  std::vector<double> de76, a_pct, ei_pct, ita_pct, red_a_err_pct, red_ei_err_pct;
};

void Die(const skintrack::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double Median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double Max(const std::vector<double>& v) {
  return v.empty() ? -1 : *std::max_element(v.begin(), v.end());
}

void RunConfig(int pairs, std::uint64_t first, int jpeg_quality) {
  const std::vector<std::string> methods = {"uncalibrated", "chart", "flat-field+chart",
                                            "reference", "flat-field+reference"};
  std::map<std::string, Row> rows;
  std::vector<double> fit_mean, fit_max;
  int detected = 0, shots = 0;

  for (int i = 0; i < pairs; ++i) {
    const std::uint64_t seed = first + static_cast<std::uint64_t>(i);
    cs::Scene scene;
    Die(cs::MakeScene(seed, 1.5, &scene), "scene");
    const cv::Size size = scene.before.size();
    std::mt19937_64 rng(seed * 7919 + 17);
    ph::RandomCaptureOptions rco;
    rco.jpeg_quality = jpeg_quality;
    ph::CaptureOptions ca = ph::RandomCapture(rco, size, rng);
    ca.image_from_skin = cv::Matx33d::eye();
    ph::CaptureOptions cb = ph::RandomCapture(rco, size, rng);
    ca.exposure *= kNominalExposure;
    cb.exposure *= kNominalExposure;
    cs::Shot a, b, b2;
    Die(cs::Photograph(scene.before, ca, seed * 3 + 0, &a), "shot A");
    Die(cs::Photograph(scene.before, cb, seed * 3 + 1, &b), "shot B");
    Die(cs::Photograph(scene.after, cb, seed * 3 + 2, &b2), "shot B'");

    const cv::Mat roi = cs::SkinRoi(scene, size);
    const cv::Mat red_roi = cs::RednessRoi(scene, roi);
    const cv::Mat reference = roi & ~cs::RednessExtent(scene, roi.size());
    const cs::ColourStats truth_b = cs::Measure(scene.before, red_roi);
    const cs::ColourStats truth_a = cs::Measure(scene.after, red_roi);
    const double truth_da = truth_a.lab_mean[1] - truth_b.lab_mean[1];
    const double truth_dei = truth_a.ei_mean - truth_b.ei_mean;

    for (const std::string& method : methods) {
      const bool ff = method.find("flat-field") != std::string::npos;
      const bool chart = method.find("chart") != std::string::npos;
      const bool ref = method.find("reference") != std::string::npos;
      cv::Mat ia, ib, ib2;
      if (chart) {
        pm::ColourCalibration la, lb, lb2;
        Die(cs::Correct(a, ff, pm::ColourOptions(), &ia, &la), "correct A");
        Die(cs::Correct(b, ff, pm::ColourOptions(), &ib, &lb), "correct B");
        Die(cs::Correct(b2, ff, pm::ColourOptions(), &ib2, &lb2), "correct B'");
        if (ff) {
          for (const auto* l : {&la, &lb, &lb2}) {
            ++shots;
            if (l->found) {
              ++detected;
              fit_mean.push_back(l->mean_de2000);
              fit_max.push_back(l->max_de2000);
            } else {
              std::printf("seed %llu: no chart: %s\n", static_cast<unsigned long long>(seed),
                          l->message.c_str());
            }
          }
        }
      } else {
        pm::FlatFieldResult fa, fb, fb2;
        if (ff) {
          Die(pm::FlatFieldCorrect(a.image, a.grey_card, pm::FlatFieldOptions(), &fa), "ff");
          Die(pm::FlatFieldCorrect(b.image, b.grey_card, pm::FlatFieldOptions(), &fb), "ff");
          Die(pm::FlatFieldCorrect(b2.image, b2.grey_card, pm::FlatFieldOptions(), &fb2), "ff");
        }
        ia = ff ? fa.image : a.image;
        ib = ff ? fb.image : b.image;
        ib2 = ff ? fb2.image : b2.image;
      }
      cv::Mat valid_b, valid_b2;
      cv::Mat wb = cs::ToSkinFrame(ib, cb, &valid_b), wb2 = cs::ToSkinFrame(ib2, cb, &valid_b2);
      if (ref) {
        pm::ReferenceNormalisation nb, nb2;
        Die(pm::NormaliseToReference(ia, wb, reference, valid_b, pm::ReferenceNormaliseOptions(),
                                     &nb),
            "reference B");
        Die(pm::NormaliseToReference(ia, wb2, reference, valid_b2, pm::ReferenceNormaliseOptions(),
                                     &nb2),
            "reference B'");
        wb = nb.after;
        wb2 = nb2.after;
      }
      const cv::Mat m = roi & valid_b & valid_b2;
      const cs::ColourStats sa = cs::Measure(ia, m), sb = cs::Measure(wb, m);
      Row& r = rows[method];
      r.de76.push_back(cs::DeltaE76(sa, sb));
      r.a_pct.push_back(cs::PercentChange(sa.lab_mean[1], sb.lab_mean[1]));
      r.ei_pct.push_back(cs::PercentChange(sa.ei_mean, sb.ei_mean));
      r.ita_pct.push_back(cs::PercentChange(sa.ita_deg, sb.ita_deg));
      const cv::Mat rm = red_roi & valid_b2;
      const cs::ColourStats ra = cs::Measure(ia, rm), rb = cs::Measure(wb2, rm);
      r.red_a_err_pct.push_back(100.0 * std::abs((rb.lab_mean[1] - ra.lab_mean[1]) - truth_da) /
                                std::abs(truth_da));
      if (std::getenv("COLOUR_EVAL_DEBUG"))
        std::fprintf(
            stderr,
            "  %s: truth da %.3f dei %.3f measured da %.3f dei %.3f (a* %.2f -> %.2f) px %d/%d\n",
            method.c_str(), truth_da, truth_dei, rb.lab_mean[1] - ra.lab_mean[1],
            rb.ei_mean - ra.ei_mean, ra.lab_mean[1], rb.lab_mean[1], cv::countNonZero(rm),
            cv::countNonZero(red_roi));
      r.red_ei_err_pct.push_back(100.0 * std::abs((rb.ei_mean - ra.ei_mean) - truth_dei) /
                                 std::abs(truth_dei));
    }
    std::fprintf(stderr, "seed %llu done (A: exp %.2f; B: exp %.2f wb %.2f/%.2f/%.2f side %.2f)\n",
                 static_cast<unsigned long long>(seed), ca.exposure, cb.exposure,
                 cb.white_balance[0], cb.white_balance[1], cb.white_balance[2],
                 cb.side_light_strength);
  }

  std::printf(
      "\n== %d phantom pairs (seeds %llu..%llu), 1200x900, 20 px/mm, noise 0.003, %s\n", pairs,
      static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + pairs - 1),
      jpeg_quality > 0 ? ("JPEG q" + std::to_string(jpeg_quality)).c_str() : "no JPEG (lossless)");
  std::printf(
      "chart found in %d of %d photos (flat-field+chart); fit CIEDE2000 mean: median "
      "%.2f max %.2f; per-photo max: median %.2f max %.2f\n",
      detected, shots, Median(fit_mean), Max(fit_mean), Median(fit_max), Max(fit_max));
  std::printf("%-22s %15s %15s %15s %15s %17s %17s\n", "method (median / max)", "dE76 skin",
              "a* change %", "EI change %", "ITA change %", "redness a* err %", "redness EI err %");
  for (const std::string& method : methods) {
    const Row& r = rows[method];
    std::printf(
        "%-22s %7.2f/%-7.2f %7.2f/%-7.2f %7.2f/%-7.2f %7.2f/%-7.2f %8.2f/%-8.2f %8.2f/%-8.2f\n",
        method.c_str(), Median(r.de76), Max(r.de76), Median(r.a_pct), Max(r.a_pct),
        Median(r.ei_pct), Max(r.ei_pct), Median(r.ita_pct), Max(r.ita_pct), Median(r.red_a_err_pct),
        Max(r.red_a_err_pct), Median(r.red_ei_err_pct), Max(r.red_ei_err_pct));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int pairs = argc > 1 ? std::atoi(argv[1]) : 12;
  const std::uint64_t first = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  if (pairs < 1) {
    std::fprintf(stderr, "usage: colour_calibration_eval [pairs>=1] [first_seed]\n");
    return 1;
  }
  RunConfig(pairs, first, 0);
  RunConfig(pairs, first, 90);
  return 0;
}
