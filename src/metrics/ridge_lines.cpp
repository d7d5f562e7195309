// Line search shared by the wrinkle and stretch-mark metrics (see ridge_lines.h).
#include "metrics/ridge_lines.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "metrics/ridge_trace.h"
#include "metrics/ridge_track.h"

namespace skintrack::metrics::internal {
namespace {

// Blobs (pores, spots, scar floors): both curvatures agree; s^2 m >= this (a Gaussian blob of
// log depth 0.16, Weber ~0.15) keeps its pixels out of the oriented templates.
constexpr float kBlobMin = 0.04f;
// Thresholds on the oriented contrast: the larger of (units x kLineContrastGain x the minimum log
// depth, i.e. what a line of the minimum contrast gives) and (noise x the texture floor, the
// robust noise of the finest-scale template over the image). Fixed constants in contrast units;
// the floor only raises them on textured skin.
constexpr double kSeedUnits = 1.0, kGrowUnits = 0.7;
constexpr double kSeedNoise = 4.0, kGrowNoise = 2.0;
// Seed candidates: block maxima of the Hessian strength above this fraction of what a seed-level
// Gaussian valley gives (a cheap pre-filter).
constexpr double kSeedStrengthFraction = 0.7;
constexpr int kWindowSteps = 8;           // tracking: mean over the last steps >= grow
constexpr double kTurnPerPx = 1.5;        // tracking: max turn, degrees per px of step
constexpr double kMinBranchPx = 10.0;     // shorter branches are not tested on their own
constexpr int kSmooth = 4;                // centre line: +-points averaged
constexpr double kMaxLinkTurnDeg = 35.0;  // fragments joined when their ends face each other

// Moves every sample to the midpoint of the half-contrast crossings of the median profile of its
// +-k neighbours (a flat-topped band's Hessian maximum wanders with the texture), then smooths
// the positions over +-k.
void Recentre(const cv::Mat& log_image, double log_offset, const cv::Mat& exclude, int k,
              double fwhm, double side, std::vector<ProfileSample>* samples) {
  const int n = static_cast<int>(samples->size());
  if (n == 0) return;
  // Shifts measured every `every` points (the windows overlap a lot), interpolated between.
  const int every = std::max(1, k / 3);
  std::vector<int> at;
  std::vector<double> shift;
  for (int i = 0; i < n; i += every) at.push_back(i);
  if (at.back() != n - 1) at.push_back(n - 1);
  for (int i : at) {
    const int a = std::max(0, i - k), b = std::min(n - 1, i + k);
    const std::vector<ProfileSample> part(samples->begin() + a, samples->begin() + b + 1);
    const ProfileResult r = MeasureProfile(log_image, log_offset, part, fwhm, side, exclude, 2);
    shift.push_back(r.ok ? r.shift_px : 0.0);
  }
  std::vector<cv::Point2d> moved(samples->size());
  for (size_t j = 0; j + 1 < at.size() || j == 0; ++j) {
    const int i0 = at[j], i1 = at[std::min(j + 1, at.size() - 1)];
    for (int i = i0; i <= i1; ++i) {
      const double u = i1 > i0 ? static_cast<double>(i - i0) / (i1 - i0) : 0.0;
      const double sh = (1.0 - u) * shift[j] + u * shift[std::min(j + 1, at.size() - 1)];
      const ProfileSample& s = (*samples)[static_cast<size_t>(i)];
      moved[static_cast<size_t>(i)] = s.centre + s.normal * sh;
    }
    if (at.size() == 1) break;
  }
  for (int i = 0; i < n; ++i) {
    const int h = std::min({k, i, n - 1 - i});
    cv::Point2d m(0.0, 0.0);
    for (int j = i - h; j <= i + h; ++j) m += moved[static_cast<size_t>(j)];
    (*samples)[static_cast<size_t>(i)].centre = m / (2 * h + 1);
  }
}

// Unit direction leaving a polyline at its end (at_end) or its start, over ~5 points.
cv::Point2d EndDirection(const std::vector<cv::Point2d>& c, bool at_end) {
  const size_t k = std::min<size_t>(5, c.size() - 1);
  const cv::Point2d d = at_end ? c.back() - c[c.size() - 1 - k] : c.front() - c[k];
  const double n = cv::norm(d);
  return n > 0.0 ? d / n : cv::Point2d(0.0, 0.0);
}

// Joins fragments of one line: an end of A within max_gap px of an end of B, the ends facing
// each other within kMaxLinkTurnDeg and in line (sideways offset <= max(4 px, width)). Contrast
// and width become length-weighted means.
void LinkFragments(double max_gap, std::vector<FoundLine>* lines) {
  const double cos_max = std::cos(kMaxLinkTurnDeg * 3.14159265358979323846 / 180.0);
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t a = 0; a < lines->size() && !merged; ++a) {
      for (size_t b = a + 1; b < lines->size() && !merged; ++b) {
        FoundLine& la = (*lines)[a];
        FoundLine& lb = (*lines)[b];
        if (la.centre.size() < 2 || lb.centre.size() < 2) continue;
        for (int ea = 0; ea < 2 && !merged; ++ea) {
          for (int eb = 0; eb < 2 && !merged; ++eb) {
            const cv::Point2d pa = ea ? la.centre.back() : la.centre.front();
            const cv::Point2d pb = eb ? lb.centre.back() : lb.centre.front();
            const cv::Point2d gap = pb - pa;
            const double g = cv::norm(gap);
            if (g > max_gap) continue;
            const cv::Point2d da = EndDirection(la.centre, ea == 1);
            const cv::Point2d db = EndDirection(lb.centre, eb == 1);
            if (-da.dot(db) < cos_max) continue;  // ends must face each other
            // ... and be in line: little sideways offset, B not behind A's end.
            const double w = std::max({4.0, la.profile.width_px, lb.profile.width_px});
            if (std::abs(da.cross(gap)) > w || da.dot(gap) < -w) continue;
            // A oriented to end at pa, B to start at pb.
            if (!ea) std::reverse(la.centre.begin(), la.centre.end());
            if (eb) std::reverse(lb.centre.begin(), lb.centre.end());
            const double wa = la.length_px, wb = lb.length_px, sum = wa + wb;
            la.profile.contrast = (la.profile.contrast * wa + lb.profile.contrast * wb) / sum;
            la.profile.width_px = (la.profile.width_px * wa + lb.profile.width_px * wb) / sum;
            la.length_px = sum + g;
            la.centre.insert(la.centre.end(), lb.centre.begin(), lb.centre.end());
            lines->erase(lines->begin() + static_cast<long>(b));
            merged = true;
          }
        }
      }
    }
  }
}

// The two halves of a path (split at its middle pixel), each with its length in steps of 1 or
// sqrt 2.
std::vector<RidgeComponent> SplitInHalves(const RidgeComponent& c) {
  const size_t mid = c.path.size() / 2;
  std::vector<RidgeComponent> halves(2);
  halves[0].path.assign(c.path.begin(), c.path.begin() + static_cast<long>(mid) + 1);
  halves[1].path.assign(c.path.begin() + static_cast<long>(mid), c.path.end());
  for (RidgeComponent& h : halves) {
    for (size_t i = 1; i < h.path.size(); ++i) {
      const cv::Point d = h.path[i] - h.path[i - 1];
      h.length_px += (d.x != 0 && d.y != 0) ? std::sqrt(2.0) : 1.0;
    }
  }
  return halves;
}

}  // namespace

std::vector<FoundLine> FindLines(const cv::Mat& log_image, double log_offset, const cv::Mat& roi,
                                 const LineSearchOptions& o, std::vector<FoundLine>* marginal) {
  std::vector<FoundLine> found;
  if (marginal != nullptr) marginal->clear();
  const bool want_marginal = marginal != nullptr && static_cast<bool>(o.accept_relaxed);
  if (o.sigmas.empty() || log_image.empty()) return found;

  RidgeFilterOptions fo;
  fo.sigmas = o.sigmas;
  fo.polarity = o.polarity;
  fo.blob_max_sigma = o.sigmas.back();
  fo.min_level_sigma = o.min_level_sigma;
  fo.blob_mask = kBlobMin;
  RidgeMap map;
  ComputeRidgeMap(log_image, fo, &map);
  // Excluded from templates and profile centres: blobs, and what is not measured (outside the
  // roi, e.g. hair).
  cv::Mat exclude = map.blob;
  cv::dilate(exclude, exclude, cv::Mat());
  if (!roi.empty()) exclude |= roi == 0;
  const LineTemplates lt(map, exclude, o.template_half_px, 3.0);

  // Thresholds: the minimum contrast, raised to the texture floor of this image.
  const double unit = kLineContrastGain * -std::log(1.0 - o.min_contrast);
  const double noise = TemplateNoise(lt, roi, log_image.size(), 0);
  TrackOptions to;
  to.seed.assign(o.sigmas.size(),
                 static_cast<float>(std::max(kSeedUnits * unit, kSeedNoise * noise)));
  to.grow.assign(o.sigmas.size(),
                 static_cast<float>(std::max(kGrowUnits * unit, kGrowNoise * noise)));
  to.step_px = o.step_px;
  to.window_steps = kWindowSteps;
  to.max_turn_deg = kTurnPerPx * o.step_px;
  to.min_length_px = o.min_length_px;
  to.end_fraction = o.end_fraction;
  to.seed_block_px = o.seed_block_px;
  to.seed_strength = static_cast<float>(kSeedStrengthFraction * kGaussianValleyGain /
                                        kLineContrastGain * to.seed[0]);
  cv::Mat tracks;
  for (int sign : {1, -1}) {
    if ((sign > 0 && o.polarity == Polarity::kBright) ||
        (sign < 0 && o.polarity == Polarity::kDark))
      continue;
    to.sign = sign;
    const cv::Mat t = TrackLines(lt, roi, to, &map);
    tracks = tracks.empty() ? t : (tracks | t);
  }
  const double spur = std::max(3.0, 2.0 * o.sigmas.front());
  std::vector<RidgeSkeleton> skeletons =
      TraceRidges(tracks, cv::Mat(), 0.0f, o.min_length_px, spur);

  auto profile = [&](const std::vector<cv::Point>& pixels) {
    const std::vector<ProfileSample> samples = CentreLine(map, pixels, kSmooth);
    std::vector<int> scales;
    for (const cv::Point& p : pixels) scales.push_back(map.ScaleIndex(p.x, p.y));
    std::nth_element(scales.begin(), scales.begin() + static_cast<long>(scales.size() / 2),
                     scales.end());
    const double s_med = map.Sigma(scales[scales.size() / 2]);
    return MeasureProfile(log_image, log_offset, samples, o.fwhm_per_scale * s_med, o.side_start,
                          exclude);
  };
  const double inf = std::numeric_limits<double>::infinity();
  // The reported profile of a path: its central part (a line fades towards its ends).
  auto central_profile = [&](const RidgeComponent& c) {
    const auto cut = static_cast<long>(o.central_fraction * static_cast<double>(c.path.size()));
    const std::vector<cv::Point> mid(c.path.begin() + cut, c.path.end() - cut);
    return profile(mid.size() >= 3 ? mid : c.path);
  };
  // Skeletons are measured in parallel, the lines collected in skeleton order (deterministic).
  std::vector<std::vector<FoundLine>> per(skeletons.size()), per_marginal(skeletons.size());
  // The smoothed, recentred centre line of a path.
  auto centre_line = [&](const RidgeComponent& c, double width_px) {
    std::vector<ProfileSample> cl = CentreLine(map, c.path, kSmooth);
    for (int pass = 0; pass < 2 && o.refine_points > 0; ++pass)
      Recentre(log_image, log_offset, exclude, o.refine_points, width_px, o.side_start, &cl);
    std::vector<cv::Point2d> centre;
    for (const ProfileSample& q : cl) centre.push_back(q.centre);
    return centre;
  };
  cv::parallel_for_(cv::Range(0, static_cast<int>(skeletons.size())), [&](const cv::Range& range) {
    for (int k = range.start; k < range.end; ++k) {
      RidgeSkeleton& sk = skeletons[static_cast<size_t>(k)];
      // Branch by branch: drop the ones that are not lines of this family (edges, hair, ...).
      for (const std::vector<cv::Point>& b : SkeletonBranches(sk)) {
        if (static_cast<double>(b.size()) < kMinBranchPx || o.accept(profile(b), inf)) continue;
        for (size_t i = 1; i + 1 < b.size(); ++i) sk.thin.at<unsigned char>(b[i] - sk.origin) = 0;
      }
      std::vector<RidgeComponent> paths = SkeletonPaths(sk, o.min_length_px);
      // A path that fails is judged again in halves while they are long enough: tracks can
      // run from one line into another through a faint bridge, and one profile over the
      // whole then mixes them (two clear wrinkles joined by a 150-px bridge failed the
      // significance together). Halves that pass and face each other are re-joined below
      // (LinkFragments).
      // Per path: whether it or a path it was split from is a marginal line already (its
      // halves then are not marginal lines of their own).
      std::vector<bool> in_marginal(paths.size(), false);
      for (size_t next = 0; next < paths.size(); ++next) {
        const RidgeComponent c = paths[next];
        FoundLine line;
        line.profile = central_profile(c);
        line.length_px = c.length_px;
        const double need = LineSignificanceNeed(c.length_px, o.significance_length_px);
        const double log_contrast = std::abs(std::log1p(line.profile.contrast));
        if (!o.accept(line.profile, c.length_px) || log_contrast < need * line.profile.std_error) {
          if (want_marginal && !in_marginal[next] && o.accept_relaxed(line.profile, c.length_px) &&
              log_contrast >= o.relaxed_significance * need * line.profile.std_error) {
            FoundLine m = line;
            m.centre = centre_line(c, line.profile.width_px);
            in_marginal[next] = true;
            per_marginal[static_cast<size_t>(k)].push_back(std::move(m));
          }
          if (o.min_length_px > 0.0 && c.path.size() >= 4 && c.length_px >= 2.0 * o.min_length_px) {
            for (RidgeComponent& h : SplitInHalves(c))
              if (h.length_px >= o.min_length_px) {
                paths.push_back(std::move(h));
                in_marginal.push_back(in_marginal[next]);
              }
          }
          continue;
        }
        line.centre = centre_line(c, line.profile.width_px);
        per[static_cast<size_t>(k)].push_back(std::move(line));
      }
    }
  });
  for (std::vector<FoundLine>& v : per)
    for (FoundLine& l : v) found.push_back(std::move(l));
  if (want_marginal)
    for (std::vector<FoundLine>& v : per_marginal)
      for (FoundLine& l : v) marginal->push_back(std::move(l));
  LinkFragments(o.link_gap_px, &found);
  return found;
}

}  // namespace skintrack::metrics::internal
