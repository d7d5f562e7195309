// Separation of the quality gate on seeded phantoms, its false-fail rate on real photos, and
// its reading of known blur added to real photos.
//   quality_eval [--seeds N] [--no-real] [--no-pairs] [--no-body] [--real-dir DIR]
// (run from the project directory: DIR defaults to ../shared/data/real/isic_cc0)
// Phantoms: default skin (1600x1200, 20 px/mm) rendered without noise, then re-captured with
// phantom::ApplyCapture (noise 0.003, JPEG q85) clean and degraded: Gaussian blur 0.1 and
// 0.3 mm, exposure gain 2.5, 150 specular glare spots (0.2-0.8 mm), downsampled to 8 px/mm,
// noise 0.02 and 0.05 (linear units, before the JPEG); then the same at body scale (10 px/mm,
// stretch marks and hair, scale unknown: judged at the body preset's assumed scale). Prints, per
// variant and check, the median / min / max value over the seeds and the verdict counts. Pairs:
// capture-only phantom pairs (RandomCapture defaults, aligned with align::Align) and the same with
// side light 0.6 on the after photo: lighting difference and comparability. Real: the 20 ISIC
// photos of
// ../shared/data/real/isic_cc0 (skipped with a message when absent), scale unknown, over the whole
// frame and over the automatic skin mask.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "skintrack/align/align.h"
#include "skintrack/io/image_io.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"
#include "skintrack/quality/quality.h"
#include "skintrack/roi/roi.h"

using namespace skintrack;

namespace {

void Die(const Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  std::exit(1);
}

// Adds `count` specular spots (linear + 1.5 a, a a Gaussian of sd r/1.5) to an internal-form
// image; radii uniform in [r_min, r_max] px. Deterministic for `seed`.
cv::Mat AddGlare(const cv::Mat& srgb, int count, double r_min, double r_max, unsigned seed) {
  cv::Mat lin = photometric::SrgbToLinear(srgb);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ux(0, lin.cols - 1), uy(0, lin.rows - 1), ur(r_min, r_max);
  for (int k = 0; k < count; ++k) {
    const double cx = ux(rng), cy = uy(rng), r = ur(rng), sd = r / 1.5;
    const int x0 = std::max(0, static_cast<int>(cx - 3 * sd)),
              x1 = std::min(lin.cols - 1, static_cast<int>(cx + 3 * sd));
    const int y0 = std::max(0, static_cast<int>(cy - 3 * sd)),
              y1 = std::min(lin.rows - 1, static_cast<int>(cy + 3 * sd));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const double a = std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sd * sd));
        cv::Vec3f& p = lin.at<cv::Vec3f>(y, x);
        for (int c = 0; c < 3; ++c) p[c] = static_cast<float>(p[c] + 1.5 * a);
      }
    }
  }
  return photometric::LinearToSrgb(lin);
}

struct Variant {
  std::string name;
  cv::Mat image;
  double px_per_mm;
};

std::vector<Variant> Variants(const cv::Mat& base, double px_per_mm, unsigned seed) {
  std::vector<Variant> v;
  auto capture = [&](const phantom::CaptureOptions& c, const cv::Mat& src, cv::Size size) {
    cv::Mat out;
    const Status s = phantom::ApplyCapture(src, c, size, seed, &out);
    if (!s.ok()) Die(s);
    return out;
  };
  phantom::CaptureOptions clean;
  clean.noise_sigma = 0.003;
  clean.jpeg_quality = 85;
  v.push_back({"clean", capture(clean, base, base.size()), px_per_mm});
  for (double mm : {0.1, 0.3}) {
    phantom::CaptureOptions c = clean;
    c.blur_sigma_px = mm * px_per_mm;
    v.push_back(
        {mm == 0.1 ? "blur_0.1mm" : "blur_0.3mm", capture(c, base, base.size()), px_per_mm});
  }
  {
    phantom::CaptureOptions c = clean;
    c.exposure = 2.5;
    v.push_back({"exposure_x2.5", capture(c, base, base.size()), px_per_mm});
  }
  v.push_back(
      {"glare",
       capture(clean, AddGlare(base, 150, 0.2 * px_per_mm, 0.8 * px_per_mm, seed), base.size()),
       px_per_mm});
  {
    phantom::CaptureOptions c = clean;
    const double s = 8.0 / px_per_mm;
    c.image_from_skin = cv::Matx33d(s, 0, 0.5 * s - 0.5, 0, s, 0.5 * s - 0.5, 0, 0, 1);
    const cv::Size size(static_cast<int>(base.cols * s), static_cast<int>(base.rows * s));
    v.push_back({"down_8px_per_mm", capture(c, base, size), 8.0});
  }
  for (double n : {0.02, 0.05}) {
    phantom::CaptureOptions c = clean;
    c.noise_sigma = n;
    v.push_back(
        {n == 0.02 ? "noise_0.02" : "noise_0.05", capture(c, base, base.size()), px_per_mm});
  }
  return v;
}

const char* kChecks[] = {"sharpness", "clipping", "glare", "noise", "resolution"};

struct Tally {
  std::vector<double> values;
  int pass = 0, caution = 0, fail = 0, unknown = 0;
  void Add(const quality::QualityCheck& c) {
    if (c.value) values.push_back(*c.value);
    switch (c.verdict) {
      case quality::Verdict::kPass:
        ++pass;
        break;
      case quality::Verdict::kCaution:
        ++caution;
        break;
      case quality::Verdict::kFail:
        ++fail;
        break;
      default:
        ++unknown;
    }
  }
};

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void PrintTallies(const std::vector<std::string>& order,
                  std::map<std::string, std::map<std::string, Tally>>& t) {
  std::printf("%-16s %-11s %10s %10s %10s   pass/caution/fail/unknown\n", "variant", "check",
              "median", "min", "max");
  for (const std::string& v : order) {
    for (const char* c : kChecks) {
      Tally& x = t[v][c];
      const double mn =
          x.values.empty() ? NAN : *std::min_element(x.values.begin(), x.values.end());
      const double mx =
          x.values.empty() ? NAN : *std::max_element(x.values.begin(), x.values.end());
      std::printf("%-16s %-11s %10.5f %10.5f %10.5f   %d/%d/%d/%d\n", v.c_str(), c,
                  Median(x.values), mn, mx, x.pass, x.caution, x.fail, x.unknown);
    }
  }
}

// body: body-scale phantoms instead (10 px/mm, 4 stretch marks, 30 hairs), judged as
// `analyze --preset body` judges a photo without a scale: at the preset's assumed 10 px/mm
// (quality::PhotoQualityOptionsFor), so the resolution check reads unknown.
void Phantoms(int seeds, bool body) {
  std::printf("== Phantoms: %d seeds, 1600x1200 at %s ==\n", seeds,
              body ? "10 px/mm (body), scale unknown, judged with the body preset's assumed scale"
                   : "20 px/mm");
  std::map<std::string, std::map<std::string, Tally>> t;
  std::map<std::string, std::map<std::string, int>> overall;
  std::vector<std::string> order;
  quality::PhotoQualityOptions qo;
  if (body) {
    metrics::MetricsOptions mo;
    std::ifstream in("models/body.preset");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.empty()) Die(Status::InvalidArgument("models/body.preset: missing or empty"));
    if (Status s = metrics::ParsePreset(text, &mo); !s.ok()) Die(s);
    qo = quality::PhotoQualityOptionsFor(mo, cv::Size(1600, 1200), qo);
  }
  for (int seed = 1; seed <= seeds; ++seed) {
    phantom::PhantomOptions po;
    po.seed = static_cast<std::uint64_t>(seed);
    if (body) {
      po.skin.px_per_mm = 10.0;
      po.skin.striae_count = 4;
      po.skin.hair_count = 30;
    }
    phantom::PhantomPair pair;
    const Status s = phantom::RenderPair(po, &pair);
    if (!s.ok()) Die(s);
    for (const Variant& v : Variants(pair.before, po.skin.px_per_mm, static_cast<unsigned>(seed))) {
      if (seed == 1) order.push_back(v.name);
      quality::PhotoQuality q;
      const std::optional<double> scale = body ? std::nullopt : std::optional<double>(v.px_per_mm);
      const Status st = quality::AssessPhoto(v.image, cv::Mat(), scale, qo, &q);
      if (!st.ok()) Die(st);
      for (const quality::QualityCheck& c : q.checks) t[v.name][c.name].Add(c);
      ++overall[v.name][quality::VerdictName(q.overall)];
    }
  }
  PrintTallies(order, t);
  std::printf("overall verdicts:\n");
  for (const std::string& v : order) {
    std::printf("  %-16s", v.c_str());
    for (const auto& [k, n] : overall[v]) std::printf(" %s %d", k.c_str(), n);
    std::printf("\n");
  }
}

void Pairs(int seeds) {
  std::printf(
      "== Pairs: %d capture-only phantom pairs (RandomCapture defaults), then the same "
      "after photo with side light 0.6 ==\n",
      seeds);
  const quality::PhotoQualityOptions qo;
  const quality::PairComparabilityOptions co;
  std::printf("%-5s %-10s %8s %8s %8s %8s  %-15s | %8s %8s  %-15s\n", "seed", "align", "overlap",
              "lum", "field", "chroma", "verdict", "field", "lum", "side-light verdict");
  for (int seed = 1; seed <= seeds; ++seed) {
    phantom::PhantomOptions po;
    po.seed = static_cast<std::uint64_t>(seed);
    std::mt19937_64 rng(1000 + seed);
    const phantom::RandomCaptureOptions rc;
    po.before_capture = phantom::RandomCapture(rc, cv::Size(po.width, po.height), rng);
    po.after_capture = phantom::RandomCapture(rc, cv::Size(po.width, po.height), rng);
    phantom::PhantomPair pair;
    if (Status s = phantom::RenderPair(po, &pair); !s.ok()) Die(s);
    phantom::PhantomOptions strong = po;
    strong.after_capture.side_light_strength = 0.6;
    phantom::PhantomPair pair2;
    if (Status s = phantom::RenderPair(strong, &pair2); !s.ok()) Die(s);
    std::string line;
    for (int k = 0; k < 2; ++k) {
      const phantom::PhantomPair& p = k == 0 ? pair : pair2;
      align::AlignmentResult a;
      if (Status s = align::Align(p.before, p.after, align::AlignOptions(), &a); !s.ok()) Die(s);
      cv::Mat warped, overlap;
      if (Status s = align::WarpAfterToBefore(p.after, a, p.before.size(), &warped, &overlap);
          !s.ok())
        Die(s);
      cv::erode(overlap, overlap, cv::Mat(), cv::Point(-1, -1), 3);
      quality::LightingDifference l;
      if (Status s = quality::MeasureLightingDifference(p.before, warped, overlap,
                                                        quality::LightingOptions(), &l);
          !s.ok())
        Die(s);
      quality::PhotoQuality qb, qa;
      const double ppm = p.truth.px_per_mm_before;
      if (Status s = quality::AssessPhoto(p.before, cv::Mat(), ppm, qo, &qb); !s.ok()) Die(s);
      const double ratio = quality::AfterPxPerBeforePx(
          a, cv::Point2d(0.5 * (p.before.cols - 1), 0.5 * (p.before.rows - 1)));
      if (Status s = quality::AssessPhoto(p.after, cv::Mat(), ppm * ratio, qo, &qa); !s.ok())
        Die(s);
      quality::PairEvidence e;
      e.overlap_fraction = a.overlap_fraction;
      e.scale_ratio = ratio;
      e.lighting = l;
      quality::PairComparability c;
      if (Status s = quality::AssessPair(qb, qa, a, e, co, qo, &c); !s.ok()) Die(s);
      if (k == 0) {
        std::printf("%-5d %-10s %8.3f %8.3f %8.3f %8.4f  %-15s", seed,
                    align::AlignmentStatusName(a.status), a.overlap_fraction, l.luminance_ratio,
                    l.field_spread, l.chroma_shift, quality::ComparabilityName(c.verdict));
        line.clear();
        for (const std::string& r : c.reasons) line += "        capture-only reason: " + r + "\n";
      } else {
        std::printf(" | %8.3f %8.3f  %-15s\n", l.field_spread, l.luminance_ratio,
                    quality::ComparabilityName(c.verdict));
        std::printf("%s", line.c_str());
        for (const std::string& r : c.reasons)
          std::printf("        side-light reason: %s\n", r.c_str());
      }
    }
  }
}

void Real(const std::string& dir) {
  if (!std::filesystem::exists(dir)) {
    std::printf("== Real: %s absent, skipped ==\n", dir.c_str());
    return;
  }
  const std::vector<std::string> files = bench::JpegFiles(dir);
  std::printf("== Real: %zu ISIC photos, scale unknown (sharpness at the assumed 20 px/mm) ==\n",
              files.size());
  const quality::PhotoQualityOptions qo;
  for (int pass = 0; pass < 2; ++pass) {
    std::printf("-- region: %s --\n", pass == 0 ? "whole frame" : "automatic skin mask");
    std::printf("%-14s %9s %9s %9s %9s %9s  %-8s %s\n", "image", "size", "sharp_mm", "clip",
                "glare", "noise", "overall", "failed checks");
    std::map<std::string, int> fails;
    for (const std::string& f : files) {
      io::LoadedImage li;
      if (Status s = io::LoadImage(f, io::LoadOptions(), &li); !s.ok()) Die(s);
      cv::Mat roi;
      if (pass == 1) {
        if (Status s = roi::SkinMask(li.image, roi::SkinMaskOptions(), &roi); !s.ok()) Die(s);
        if (cv::countNonZero(roi) < 1000) {
          std::printf("%-14s skin mask < 1000 px, skipped\n",
                      std::filesystem::path(f).stem().c_str());
          continue;
        }
      }
      quality::PhotoQuality q;
      if (Status s = quality::AssessPhoto(li.image, roi, std::nullopt, qo, &q); !s.ok()) Die(s);
      std::string failed;
      for (const quality::QualityCheck& c : q.checks) {
        if (c.verdict == quality::Verdict::kFail) {
          failed += c.name + " ";
          ++fails[c.name];
        } else if (c.verdict == quality::Verdict::kCaution) {
          failed += "(" + c.name + ") ";
        }
      }
      auto val = [&](const char* n) {
        const quality::QualityCheck* c = q.Find(n);
        return c && c->value ? *c->value : NAN;
      };
      const std::string size = std::to_string(li.image.cols) + "x" + std::to_string(li.image.rows);
      std::printf("%-14s %9s %9.4f %9.4f %9.4f %9.5f  %-8s %s\n",
                  std::filesystem::path(f).stem().c_str(), size.c_str(), val("sharpness"),
                  val("clipping"), val("glare"), val("noise"), quality::VerdictName(q.overall),
                  failed.c_str());
    }
    std::printf("fails per check:");
    for (const char* c : kChecks) std::printf(" %s %d", c, fails[c]);
    std::printf(" (of %zu)\n", files.size());
  }
}

// Known optical blur on real photos: each ISIC photo (at most 1600 px on its long side, area
// reduction) blurred in linear light by a Gaussian of sigma_b = 0, 1, 2, 3, 4 px, then
// re-encoded as JPEG q92; the sharpness check's blur reading (px) against sigma_b. An ideal
// reading of the total blur is sqrt(s0^2 + sigma_b^2); printed: each photo's readings, the
// least-squares slope k of reading^2 against sigma_b^2 (1 = reads the added blur in full) and
// the sigma_b at which the reading crosses the fail threshold at the assumed 20 px/mm.
void RealKnownBlur(const std::string& dir) {
  if (!std::filesystem::exists(dir)) {
    std::printf("== Real known blur: %s absent, skipped ==\n", dir.c_str());
    return;
  }
  const std::vector<std::string> files = bench::JpegFiles(dir);
  const quality::PhotoQualityOptions qo;
  const std::vector<double> blurs = {0, 1, 2, 3, 4};
  const double fail_px = qo.sharpness_fail_mm * qo.assumed_px_per_mm;
  std::printf(
      "== Real known blur: %zu ISIC photos (long side <= 1600 px), Gaussian blur sigma_b in linear "
      "light, JPEG q92; reading = the sharpness check's blur sigma, px (fail above %.2f px at "
      "the assumed %.0f px/mm) ==\n",
      files.size(), fail_px, qo.assumed_px_per_mm);
  std::printf("%-14s", "image");
  for (double b : blurs) std::printf("  b=%.0f", b);
  std::printf("   slope_k  monotonic\n");
  std::vector<double> slopes;
  int monotonic = 0, fails_at_0 = 0, fails_at_2 = 0, fails_at_4 = 0;
  for (const std::string& f : files) {
    io::LoadedImage li;
    if (Status s = io::LoadImage(f, io::LoadOptions(), &li); !s.ok()) Die(s);
    cv::Mat img = li.image;
    const double k = 1600.0 / std::max(img.cols, img.rows);
    if (k < 1.0) cv::resize(img, img, cv::Size(), k, k, cv::INTER_AREA);
    const cv::Mat linear = photometric::SrgbToLinear(img);
    std::vector<double> reading;
    for (double b : blurs) {
      cv::Mat blurred = linear.clone();
      if (b > 0) cv::GaussianBlur(linear, blurred, cv::Size(), b, b, cv::BORDER_REFLECT);
      cv::Mat u8, decoded;
      photometric::LinearToSrgb(blurred).convertTo(u8, CV_8UC3, 255.0);
      std::vector<uchar> jpg;
      cv::imencode(".jpg", u8, jpg, {cv::IMWRITE_JPEG_QUALITY, 92});
      cv::imdecode(jpg, cv::IMREAD_COLOR).convertTo(decoded, CV_32FC3, 1.0 / 255.0);
      quality::PhotoQuality q;
      if (Status s = quality::AssessPhoto(decoded, cv::Mat(), std::nullopt, qo, &q); !s.ok())
        Die(s);
      const quality::QualityCheck* c = q.Find("sharpness");
      reading.push_back(c && c->value ? *c->value * qo.assumed_px_per_mm : NAN);
    }
    // reading^2 = a + k sigma_b^2, least squares.
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < blurs.size(); ++i) {
      const double x = blurs[i] * blurs[i], y = reading[i] * reading[i];
      sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    const double n = static_cast<double>(blurs.size());
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    slopes.push_back(slope);
    bool mono = true;
    for (size_t i = 1; i < reading.size(); ++i) mono &= reading[i] > reading[i - 1];
    monotonic += mono;
    fails_at_0 += reading[0] > fail_px;
    fails_at_2 += reading[2] > fail_px;
    fails_at_4 += reading[4] > fail_px;
    std::printf("%-14s", std::filesystem::path(f).stem().c_str());
    for (double r : reading) std::printf(" %5.2f", r);
    std::printf("   %7.3f  %s\n", slope, mono ? "yes" : "no");
  }
  std::sort(slopes.begin(), slopes.end());
  std::printf(
      "known blur: slope k median %.3f (min %.3f, max %.3f); monotonic in %d of %zu; reading > "
      "fail threshold at sigma_b 0 / 2 / 4 px: %d / %d / %d of %zu\n",
      slopes.empty() ? NAN : slopes[slopes.size() / 2], slopes.empty() ? NAN : slopes.front(),
      slopes.empty() ? NAN : slopes.back(), monotonic, files.size(), fails_at_0, fails_at_2,
      fails_at_4, files.size());
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 10;
  bool real = true, pairs = true, body = true;
  std::string real_dir = "../shared/data/real/isic_cc0";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) {
      seeds = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--no-real")) {
      real = false;
    } else if (!std::strcmp(argv[i], "--real-dir") && i + 1 < argc) {
      real_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--no-pairs")) {
      pairs = false;
    } else if (!std::strcmp(argv[i], "--no-body")) {
      body = false;
    } else {
      std::fprintf(stderr,
                   "usage: quality_eval [--seeds N] [--no-real] [--no-pairs] [--no-body] "
                   "[--real-dir DIR]\n");
      return 1;
    }
  }
  Phantoms(seeds, false);
  if (body) Phantoms(seeds, true);
  if (pairs) Pairs(seeds);
  if (real) Real(real_dir);
  if (real) RealKnownBlur(real_dir);
  return 0;
}
