// The skin model: every feature drawn in the skin frame, one random stream per family, and
// the band-limited micro-relief noise field.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "phantom/phantom_internal.h"

namespace skintrack::phantom::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

// Where count features (scars, wrinkles, ...) are centred: uniformly over the before image,
// inset by ~1 mm (at most 10 % of the short side), mapped back to the skin frame.
struct CentreSampler {
  cv::Matx33d skin_from_before;
  double x0, x1, y0, y1;
  cv::Point2d operator()(std::mt19937_64& rng) const {
    const double x = Uniform(rng, x0, x1), y = Uniform(rng, y0, y1);
    return ApplyHomography(skin_from_before, {x, y});
  }
};

// A smooth low-curvature curve of arc length `length` whose middle is at `centre`: the heading
// is direction + amplitude * sin(2 pi s / period + phase) at arc length s.
std::vector<cv::Point2d> Curve(const cv::Point2d& centre, double length, double direction,
                               double amplitude, double period, double phase, double step) {
  const int n = std::max(8, static_cast<int>(std::ceil(length / step)));
  const double ds = length / n;
  std::vector<cv::Point2d> pts(n + 1);
  pts[0] = {0.0, 0.0};
  for (int i = 0; i < n; ++i) {
    const double s = (i + 0.5) * ds;
    const double heading = direction + amplitude * std::sin(2.0 * kPi * s / period + phase);
    pts[i + 1] = pts[i] + cv::Point2d(ds * std::cos(heading), ds * std::sin(heading));
  }
  const cv::Point2d shift = centre - pts[n / 2];
  for (cv::Point2d& p : pts) p += shift;
  return pts;
}

// Dart throwing: N = density * area pores over `region`, each with a radius uniform in
// [rmin, rmax]; a pore is kept only when its disc stays `gap` px clear of every other disc
// (30 attempts per pore, then it is dropped; after 1000 dropped in a row the skin is full).
// N is capped at 60 % of the densest packing of discs of radius rmin + gap / 2.
std::vector<Pore> PlacePores(const SkinOptions& skin, const cv::Rect2d& region,
                             std::uint64_t seed) {
  std::vector<Pore> pores;
  const double ppmm = skin.px_per_mm;
  const double area_cm2 = region.area() / (ppmm * ppmm) / 100.0;
  const double rmin = skin.pore_radius_min_mm * ppmm, rmax = skin.pore_radius_max_mm * ppmm;
  const double gap = std::max(2.0, 0.05 * ppmm);
  // More than ~60 % of the densest packing cannot be reached by dart throwing anyway.
  const double packing = 0.6 * region.area() / (kPi * (rmin + 0.5 * gap) * (rmin + 0.5 * gap));
  const long target = std::lround(std::min(skin.pore_density_per_cm2 * area_cm2, packing));
  if (target <= 0) return pores;
  const double cell = 2.0 * rmax + gap;
  const int gw = std::max(1, static_cast<int>(std::ceil(region.width / cell)));
  const int gh = std::max(1, static_cast<int>(std::ceil(region.height / cell)));
  // Grid of cells (side >= the largest conflict distance) as linked lists: head per cell, next
  // per pore.
  std::vector<int> head(static_cast<size_t>(gw) * gh, -1), next;
  std::mt19937_64 rng(StreamSeed(seed, Stream::kPores));
  pores.reserve(static_cast<size_t>(target));
  int misses_in_a_row = 0;  // the skin is full: stop early
  for (long i = 0; i < target && misses_in_a_row < 1000; ++i) {
    ++misses_in_a_row;
    const double r = Uniform(rng, rmin, rmax);
    for (int attempt = 0; attempt < 30; ++attempt) {
      const cv::Point2d c(Uniform(rng, region.x, region.x + region.width),
                          Uniform(rng, region.y, region.y + region.height));
      const int gx = std::min(gw - 1, static_cast<int>((c.x - region.x) / cell));
      const int gy = std::min(gh - 1, static_cast<int>((c.y - region.y) / cell));
      bool free = true;
      for (int y = std::max(0, gy - 1); free && y <= std::min(gh - 1, gy + 1); ++y) {
        for (int x = std::max(0, gx - 1); free && x <= std::min(gw - 1, gx + 1); ++x) {
          for (int j = head[static_cast<size_t>(y) * gw + x]; j >= 0; j = next[j]) {
            const double d = r + pores[j].radius + gap;
            const cv::Point2d v = c - pores[j].c;
            if (v.dot(v) < d * d) {
              free = false;
              break;
            }
          }
        }
      }
      if (!free) continue;
      int& cell_head = head[static_cast<size_t>(gy) * gw + gx];
      next.push_back(cell_head);
      cell_head = static_cast<int>(pores.size());
      pores.push_back({c, r, 0.0});
      misses_in_a_row = 0;
      break;
    }
  }
  std::mt19937_64 close_rng(StreamSeed(seed, Stream::kPoreClose));
  for (Pore& p : pores) p.close_draw = Uniform01(close_rng);
  return pores;
}

std::vector<Scar> PlaceScars(const SkinOptions& skin, const CentreSampler& sample,
                             std::uint64_t seed) {
  std::vector<Scar> scars;
  std::mt19937_64 rng(StreamSeed(seed, Stream::kScars));
  const double ppmm = skin.px_per_mm;
  for (int i = 0; i < skin.scar_count; ++i) {
    Scar s{};
    s.radius = Uniform(rng, skin.scar_radius_min_mm, skin.scar_radius_max_mm) * ppmm;
    // Scars avoid each other (0.5 mm clearance) when they can; 50 attempts, then the last.
    for (int attempt = 0; attempt < 50; ++attempt) {
      s.c = sample(rng);
      bool free = true;
      for (const Scar& o : scars) {
        const double d = s.radius * 1.25 + o.radius * 1.25 + 0.5 * ppmm;
        if (cv::norm(s.c - o.c) < d) free = false;
      }
      if (free) break;
    }
    for (int k = 0; k < 3; ++k) {
      s.amp[k] = Uniform(rng, 0.0, 0.08);
      s.phase[k] = Uniform(rng, 0.0, 2.0 * kPi);
    }
    scars.push_back(s);
  }
  return scars;
}

std::vector<Blob> PlaceBlobs(int count, double rmin_mm, double rmax_mm, double ppmm,
                             const CentreSampler& sample, std::uint64_t stream_seed) {
  std::vector<Blob> blobs;
  std::mt19937_64 rng(stream_seed);
  for (int i = 0; i < count; ++i) {
    Blob b{};
    b.radius = Uniform(rng, rmin_mm, rmax_mm) * ppmm;
    b.c = sample(rng);
    blobs.push_back(b);
  }
  return blobs;
}

// Line step: 0.2 mm, at least 2 px.
double LineStep(double ppmm) { return std::max(2.0, 0.2 * ppmm); }

std::vector<Line> PlaceWrinkles(const SkinOptions& skin, const CentreSampler& sample,
                                std::uint64_t seed) {
  std::vector<Line> lines;
  std::mt19937_64 rng(StreamSeed(seed, Stream::kWrinkles));
  const double ppmm = skin.px_per_mm;
  const double family = Uniform(rng, 0.0, kPi);  // wrinkles of a region run roughly together
  for (int i = 0; i < skin.wrinkle_count; ++i) {
    Line l;
    l.length = Uniform(rng, skin.wrinkle_length_min_mm, skin.wrinkle_length_max_mm) * ppmm;
    l.width = Uniform(rng, skin.wrinkle_width_min_mm, skin.wrinkle_width_max_mm) * ppmm;
    l.contrast = skin.wrinkle_contrast;
    const double dir = family + Uniform(rng, -25.0, 25.0) * kDeg;
    const double amp = Uniform(rng, 5.0, 20.0) * kDeg;
    const double period = Uniform(rng, 1.0, 2.0) * l.length;
    const double phase = Uniform(rng, 0.0, 2.0 * kPi);
    l.pts = Curve(sample(rng), l.length, dir, amp, period, phase, LineStep(ppmm));
    lines.push_back(std::move(l));
  }
  return lines;
}

std::vector<Line> PlaceStriae(const SkinOptions& skin, const CentreSampler& sample,
                              double short_side_skin_px, std::uint64_t seed) {
  std::vector<Line> lines;
  std::mt19937_64 rng(StreamSeed(seed, Stream::kStriae));
  const double ppmm = skin.px_per_mm;
  const int n = skin.striae_count;
  const double family = Uniform(rng, 0.0, kPi);
  const cv::Point2d anchor = sample(rng);
  const cv::Point2d tangent(std::cos(family), std::sin(family)), normal(-tangent.y, tangent.x);
  const double spacing =
      std::min(2.5 * skin.striae_width_max_mm * ppmm, 0.8 * short_side_skin_px / std::max(1, n));
  for (int i = 0; i < n; ++i) {
    Line l;
    l.width = Uniform(rng, skin.striae_width_min_mm, skin.striae_width_max_mm) * ppmm;
    l.length = Uniform(rng, 0.5, 0.9) * short_side_skin_px;
    l.contrast = skin.striae_contrast;
    const double offset = (i - 0.5 * (n - 1)) * spacing + Uniform(rng, -0.15, 0.15) * spacing;
    const double along = Uniform(rng, -0.1, 0.1) * l.length;
    const double dir = family + Uniform(rng, -5.0, 5.0) * kDeg;
    const double amp = Uniform(rng, 2.0, 6.0) * kDeg;
    const double period = Uniform(rng, 1.0, 2.0) * l.length;
    const double phase = Uniform(rng, 0.0, 2.0 * kPi);
    // Steps of a quarter width keep the drawing cost linear in the band's area.
    l.pts = Curve(anchor + normal * offset + tangent * along, l.length, dir, amp, period, phase,
                  std::max(LineStep(ppmm), 0.25 * l.width));
    lines.push_back(std::move(l));
  }
  return lines;
}

std::vector<Line> PlaceHairs(const SkinOptions& skin, const CentreSampler& sample,
                             std::uint64_t seed) {
  std::vector<Line> lines;
  std::mt19937_64 rng(StreamSeed(seed, Stream::kHairs));
  const double ppmm = skin.px_per_mm;
  const double family = Uniform(rng, 0.0, 2.0 * kPi);
  for (int i = 0; i < skin.hair_count; ++i) {
    Line l;
    l.length = Uniform(rng, 3.0, 12.0) * ppmm;
    l.width = skin.hair_width_mm * ppmm;
    l.contrast = Uniform(rng, skin.hair_contrast_min, skin.hair_contrast_max);
    const double dir = family + Uniform(rng, -40.0, 40.0) * kDeg;
    const double amp = Uniform(rng, 10.0, 35.0) * kDeg;
    const double period = Uniform(rng, 0.7, 1.5) * l.length;
    const double phase = Uniform(rng, 0.0, 2.0 * kPi);
    l.pts = Curve(sample(rng), l.length, dir, amp, period, phase, LineStep(ppmm));
    lines.push_back(std::move(l));
  }
  return lines;
}

double Rms(const cv::Mat& m) {
  cv::Scalar mean, sd;
  cv::meanStdDev(m, mean, sd);
  return std::sqrt(sd[0] * sd[0] + mean[0] * mean[0]);
}

// Zero-mean, unit-RMS band-limited noise: the sum of three octave bands (centre wavelengths
// 0.14, 0.28, 0.57 mm; bands 0.1-0.2, 0.2-0.4, 0.4-0.8 mm), each a difference of Gaussians
// G(sigma) - G(2 sigma) of one white-noise field with sigma = wavelength / 6.54 (the DoG's peak),
// each band normalised to unit RMS. Bands with sigma < 0.35 px (finer than the sampling) are
// skipped.
cv::Mat MicroRelief(cv::Size size, double ppmm, std::uint64_t seed) {
  cv::Mat noise = cv::Mat::zeros(size, CV_32FC1);
  AddGaussian(&noise, 1.0, seed);
  cv::Mat relief = cv::Mat::zeros(size, CV_32FC1);
  cv::Mat fine, coarse;
  for (int k = 0; k < 3; ++k) {
    const double sigma = 0.1 * std::sqrt(2.0) * std::pow(2.0, k) / 6.54 * ppmm;
    if (sigma < 0.35 && k < 2) continue;
    if (fine.empty()) {
      cv::GaussianBlur(noise, fine, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
    }
    cv::GaussianBlur(noise, coarse, cv::Size(), 2.0 * sigma, 2.0 * sigma, cv::BORDER_REFLECT);
    fine -= coarse;  // the band, in place
    cv::scaleAdd(fine, 1.0 / std::max(1e-12, Rms(fine)), relief, relief);
    std::swap(fine, coarse);  // this coarse is the next fine; the band buffer is reused
  }
  const double mean = cv::mean(relief)[0];
  relief -= mean;
  relief *= 1.0 / std::max(1e-12, Rms(relief));
  return relief;
}

}  // namespace

SkinOptions EffectiveSkin(const SkinOptions& skin) {
  SkinOptions e = skin;
  if (skin.low_texture) {
    e.micro_relief_rms = 0.0;
    e.pore_contrast = 0.06;
    e.scar_count = 0;
    e.wrinkle_count = 0;
    e.spot_count = 0;
    e.hair_count = 0;
  }
  // A family that would be invisible is neither drawn nor listed in the truth.
  if (e.pore_contrast == 0.0) e.pore_density_per_cm2 = 0.0;
  if (e.scar_contrast == 0.0) e.scar_count = 0;
  if (e.wrinkle_contrast == 0.0) e.wrinkle_count = 0;
  if (e.striae_contrast == 0.0) e.striae_count = 0;
  if (e.redness_delta_a == 0.0) e.redness_count = 0;
  if (e.spot_delta_l == 0.0) e.spot_count = 0;
  return e;
}

SkinModel BuildSkinModel(const SkinOptions& skin, std::uint64_t seed, const cv::Rect& canvas,
                         const cv::Matx33d& before_from_skin, cv::Size size) {
  SkinModel m;
  m.skin = skin;
  m.canvas = canvas;
  const double ppmm = skin.px_per_mm;
  const cv::Matx33d skin_from_before = before_from_skin.inv();
  const cv::Point2d centre((size.width - 1) * 0.5, (size.height - 1) * 0.5);
  const double s_before = LocalScale(before_from_skin, ApplyHomography(skin_from_before, centre));
  const double inset = std::min(1.0 * ppmm * s_before, 0.1 * std::min(size.width, size.height));
  const CentreSampler sample{skin_from_before, inset, size.width - 1.0 - inset, inset,
                             size.height - 1.0 - inset};

  // Pores cover the canvas and a rim of one maximum radius around it.
  const double rim = skin.pore_radius_max_mm * ppmm + 2.0;
  const cv::Rect2d pore_region(canvas.x - rim, canvas.y - rim, canvas.width + 2.0 * rim,
                               canvas.height + 2.0 * rim);
  m.pores = PlacePores(skin, pore_region, seed);
  m.scars = PlaceScars(skin, sample, seed);
  m.redness = PlaceBlobs(skin.redness_count, skin.redness_radius_min_mm, skin.redness_radius_max_mm,
                         ppmm, sample, StreamSeed(seed, Stream::kRedness));
  m.spots = PlaceBlobs(skin.spot_count, skin.spot_radius_min_mm, skin.spot_radius_max_mm, ppmm,
                       sample, StreamSeed(seed, Stream::kSpots));
  m.wrinkles = PlaceWrinkles(skin, sample, seed);
  m.striae = PlaceStriae(skin, sample, std::min(size.width, size.height) / s_before, seed);
  m.hairs = PlaceHairs(skin, sample, seed);
  if (skin.micro_relief_rms > 0.0) {
    m.relief = MicroRelief(canvas.size(), ppmm, StreamSeed(seed, Stream::kMicroRelief));
  }
  return m;
}

}  // namespace skintrack::phantom::internal
