// Detections paired across the two photos of a pair (PairPores, PairWrinkles; see metrics.h
// and docs/metrics.md, "Paired across sessions").
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "metrics/families.h"
#include "metrics/pore_index.h"
#include "metrics/ridge_lines.h"
#include "metrics/ridge_profile.h"
#include "skintrack/core/image.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics {
namespace {

using internal::PoreIndex;

// Appends to the pores of `r` its marginal pores at a counted pore of `other` that no counted
// pore of `r` matches, their diameters within kPairedMaxDiameterRatio of that pore's (SamePore;
// each marginal pore adopted once), consumes its marginal pores and
// recomputes its PoreMetrics when any was added.
void AdoptMarginal(const std::vector<Pore>& other, MetricsResult* r) {
  Detections* to = &r->detections;
  const std::vector<Pore> counted = to->pores;
  const PoreIndex counted_index(counted), marginal_index(to->pores_marginal);
  std::vector<bool> used(to->pores_marginal.size(), false);
  for (const Pore& q : other) {
    if (counted_index.Any(q)) continue;
    marginal_index.ForNear(q, [&](int i) {
      if (used[i] || !internal::SamePore(q, to->pores_marginal[i])) return false;
      // Not at a counted pore of this photo either (for pores under 2 px radius the
      // suppression around counted pores is narrower than a match).
      if (counted_index.Any(to->pores_marginal[i])) return false;
      used[i] = true;
      Pore p = to->pores_marginal[i];
      p.paired = true;
      to->pores.push_back(p);
      return true;
    });
  }
  const bool added = to->pores.size() > counted.size();
  to->pores_marginal.clear();
  to->pores_marginal.shrink_to_fit();
  if (added)
    r->pores = PoreMetricsOf(to->pores, r->roi_area_px, r->px_per_mm, r->scale_known, r->effective);
}

// A marginal line lying on this photo's counted lines for more than this fraction of its centre
// points is not adopted.
constexpr double kMaxOwnCover = 0.1;

// Half-width of the band along a line within which a point lies on it: max(2 px, half its
// width), rounded up (the band is drawn around the rounded centre points).
int BandHalf(const Line& l) { return static_cast<int>(std::ceil(std::max(2.0, 0.5 * l.width_px))); }

// The bands of `lines` in the frame window `window` (before px): CV_8UC1 of the window's size,
// 255 = within BandHalf of a centre line.
cv::Mat LineBands(cv::Rect window, const std::vector<Line>& lines) {
  cv::Mat band = cv::Mat::zeros(window.size(), CV_8UC1);
  for (const Line& l : lines) {
    std::vector<cv::Point> pts;
    for (const cv::Point2d& p : l.polyline)
      pts.emplace_back(cvRound(p.x) - window.x, cvRound(p.y) - window.y);
    cv::polylines(band, pts, false, cv::Scalar(255), 2 * BandHalf(l) + 1, cv::LINE_8);
  }
  return band;
}

// Whether the centre point `p` lies inside `band` (a window at `window` of the frame).
bool InBand(const cv::Point2d& p, const cv::Mat& band, cv::Rect window) {
  const cv::Point q(cvRound(p.x) - window.x, cvRound(p.y) - window.y);
  return q.x >= 0 && q.y >= 0 && q.x < band.cols && q.y < band.rows && band.at<uchar>(q) != 0;
}

// Fraction of the centre points of `l` inside `band` (a window at `window` of the frame).
double Covered(const Line& l, const cv::Mat& band, cv::Rect window) {
  if (l.polyline.empty()) return 0.0;
  int in = 0;
  for (const cv::Point2d& p : l.polyline) in += InBand(p, band, window);
  return static_cast<double>(in) / static_cast<double>(l.polyline.size());
}

// The points [a, b) of `pts` with `margin` px around them: the bounding window of their
// pixels (floor to ceil) grown by the margin on every side.
cv::Rect Bounds(const std::vector<cv::Point2d>& pts, size_t a, size_t b, int margin) {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (size_t i = a; i < b; ++i) {
    x0 = std::min(x0, pts[i].x), y0 = std::min(y0, pts[i].y);
    x1 = std::max(x1, pts[i].x), y1 = std::max(y1, pts[i].y);
  }
  const int left = cvFloor(x0) - margin, top = cvFloor(y0) - margin;
  return {left, top, cvCeil(x1) + margin - left + 1, cvCeil(y1) + margin - top + 1};
}

// The window of the frame that holds a line's band.
cv::Rect Window(const Line& l) { return Bounds(l.polyline, 0, l.polyline.size(), BandHalf(l) + 2); }

// The window holding every line of a list (empty for none).
cv::Rect Frame(const std::vector<Line>& lines) {
  cv::Rect r;
  for (const Line& l : lines)
    if (!l.polyline.empty()) r = r.empty() ? Window(l) : (r | Window(l));
  return r;
}

// Appends to the wrinkles of `r` its marginal lines along a counted line of `other` that the
// counted lines of `r` cover for less than half, each lying for at most kMaxOwnCover on the
// counted lines of `r` (a marginal path can hold a counted half of itself: adopting it would
// count that stretch twice); consumes its marginal lines and recomputes its WrinkleMetrics when
// any was added.
void AdoptMarginalLines(const std::vector<Line>& other, MetricsResult* r) {
  Detections* to = &r->detections;
  const size_t n0 = to->wrinkles.size();
  if (!other.empty() && !to->wrinkles_marginal.empty()) {
    // Outside this window no counted band lies: a point there is not covered.
    const cv::Rect frame = Frame(other) | Frame(to->wrinkles);
    const cv::Mat counted = LineBands(frame, to->wrinkles);
    std::vector<bool> used(to->wrinkles_marginal.size(), false);
    for (const Line& q : other) {
      if (q.polyline.empty() || Covered(q, counted, frame) >= 0.5) continue;
      const cv::Rect w = Window(q);
      const cv::Mat along = LineBands(w, {q});
      for (size_t i = 0; i < to->wrinkles_marginal.size(); ++i) {
        if (used[i] || Covered(to->wrinkles_marginal[i], along, w) < 0.5 ||
            Covered(to->wrinkles_marginal[i], counted, frame) > kMaxOwnCover)
          continue;
        used[i] = true;
        Line l = to->wrinkles_marginal[i];
        l.paired = true;
        to->wrinkles.push_back(std::move(l));
      }
    }
  }
  const bool added = to->wrinkles.size() > n0;
  to->wrinkles_marginal.clear();
  to->wrinkles_marginal.shrink_to_fit();
  if (added)
    r->wrinkles = WrinkleMetricsOf(to->wrinkles, r->roi_area_px, r->px_per_mm, r->scale_known);
}

// --- Guided wrinkles (GuideWrinkles) ---

// Normals from the chord between the points this many before and after.
constexpr size_t kTangentReach = 3;

// Arc length (px) of the centre points [a, b) of a polyline.
double ArcLength(const std::vector<cv::Point2d>& pts, size_t a, size_t b) {
  double length = 0.0;
  for (size_t i = a + 1; i < b; ++i) length += cv::norm(pts[i] - pts[i - 1]);
  return length;
}

// Skeleton length (px) per px of centre-line arc of a line: its length over its arc length.
double SkeletonPerArc(const Line& l) {
  const double arc = ArcLength(l.polyline, 0, l.polyline.size());
  return arc > 0.0 ? l.length_px / arc : 1.0;
}

// The piece [a, b) of a line's centre points, with its length in the line's own measure
// (skeleton_per_arc: SkeletonPerArc of the line); width, depth and flags the line's.
Line PieceOf(const Line& l, size_t a, size_t b, double skeleton_per_arc) {
  Line piece = l;
  piece.polyline.assign(l.polyline.begin() + static_cast<std::ptrdiff_t>(a),
                        l.polyline.begin() + static_cast<std::ptrdiff_t>(b));
  piece.length_px = ArcLength(l.polyline, a, b) * skeleton_per_arc;
  return piece;
}

// The length (px) a run of a line must reach to be a wrinkle of its own beside other lines:
// wrinkle_min_length_mm, and 4 x its band's width at least (a crossing or a junction covers
// about one band's width).
double OwnRunLength(const Line& l, const MetricsResult& r) {
  return std::max(r.effective.wrinkle_min_length_mm * r.px_per_mm, 4.0 * (2 * BandHalf(l) + 1));
}

// The centre points of `l` against `band` (a window at `frame`): the index ranges [first,
// second) of the maximal stretches outside it, and the arc length (px) of its runs inside it
// in *covered_px.
std::vector<std::pair<size_t, size_t>> UncoveredStretches(const Line& l, const cv::Mat& band,
                                                          cv::Rect frame, double* covered_px) {
  std::vector<std::pair<size_t, size_t>> out;
  *covered_px = 0.0;
  size_t start = 0, covered_start = 0;
  bool open = false, in_band = false;
  for (size_t i = 0; i <= l.polyline.size(); ++i) {
    const bool covered = i < l.polyline.size() && InBand(l.polyline[i], band, frame);
    const bool end = i == l.polyline.size();
    if (!covered && !end && !open) start = i, open = true;
    if ((covered || end) && open) out.emplace_back(start, i), open = false;
    if (covered && !in_band) covered_start = i, in_band = true;
    if ((!covered || end) && in_band) {
      *covered_px += ArcLength(l.polyline, covered_start, i);
      in_band = false;
    }
  }
  return out;
}

// The profile samples of the stretch [a, b) of a guide in the frame: its central part (as the
// line search's reported profile), normals from the chord over +-kTangentReach points, centres
// relative to `window`, the window the profiles read (the stretch and side windows, which start
// at side_start x the width from the centre and are a width long, for a measured width of up to
// twice the guide's; MeasureProfile lets it grow to 1.5 x its guess), clipped to the frame.
// Empty samples when there is nothing to measure: fewer than 3, or fewer than half inside
// `region`.
struct Stretch {
  cv::Rect window;
  std::vector<internal::ProfileSample> samples;
};
Stretch StretchOf(const Line& guide, size_t a, size_t b, const cv::Mat& region) {
  static const internal::LineSearchOptions kSearch;  // its central_fraction and side_start
  Stretch s;
  const std::vector<cv::Point2d>& pts = guide.polyline;
  if (b < a + 3) return s;
  const int margin = static_cast<int>(std::ceil((kSearch.side_start + 1.0) * 2.0 *
                                                std::max(2.0, guide.width_px))) +
                     4;
  s.window = Bounds(pts, a, b, margin) & cv::Rect(0, 0, region.cols, region.rows);
  if (s.window.empty()) return s;
  const size_t cut = static_cast<size_t>(kSearch.central_fraction * static_cast<double>(b - a));
  size_t inside = 0;
  for (size_t i = a + cut; i < b - cut; ++i) {
    const cv::Point2d t = pts[std::min(pts.size() - 1, i + kTangentReach)] -
                          pts[i >= kTangentReach ? i - kTangentReach : 0];
    const double n = cv::norm(t);
    if (n <= 0.0) continue;
    const cv::Point q(cvRound(pts[i].x), cvRound(pts[i].y));
    inside += q.inside(cv::Rect(0, 0, region.cols, region.rows)) && region.at<uchar>(q) != 0;
    s.samples.push_back(
        {pts[i] - cv::Point2d(s.window.x, s.window.y), cv::Point2d(-t.y / n, t.x / n)});
  }
  if (s.samples.size() < 3 || 2 * inside < s.samples.size()) s.samples.clear();
  return s;
}

// The cross-profile of a stretch in `image` (internal form or linear luminance, the frame of
// the guide) on ln(Y + kLineLogOffset), samples outside `region` left out; ok == false when the
// stretch has nothing to measure.
internal::ProfileResult ProfileOn(const cv::Mat& image, const cv::Mat& region, const Stretch& s,
                                  double width_guess_px) {
  static const internal::LineSearchOptions kSearch;
  if (s.samples.empty()) return {};
  cv::Mat log_y = image.type() == CV_32FC1 ? image(s.window).clone()
                                           : photometric::SrgbToLinearLuminance(image(s.window));
  cv::add(log_y, cv::Scalar(internal::kLineLogOffset), log_y);
  cv::log(log_y, log_y);
  return internal::MeasureProfile(log_y, internal::kLineLogOffset, s.samples, width_guess_px,
                                  kSearch.side_start, region(s.window) == 0);
}

// |log contrast| / standard error; 0 for a failed profile, infinite for an exact one.
double Significance(const internal::ProfileResult& p) {
  if (!p.ok) return 0.0;
  const double c = std::abs(std::log1p(p.contrast));
  return p.std_error > 0.0 ? c / p.std_error : (c > 0.0 ? HUGE_VAL : 0.0);
}

// Two readings of one profile's asymmetry agree when they differ by at most this: half the
// wrinkle tests' limit (0.2). Each photo's estimate varies by a few hundredths between captures
// (ISIC_0000002: 0.20 and 0.22); a structure beside the line in one photo moves it by tenths.
constexpr double kMaxAsymmetryGap = 0.1;

// Whether the two readings of one stretch are of one line: both read a dark profile, their
// depths within kPairedLineRelax of each other. MeasureAlong then gives the other photo a lower
// bar, and judges the guide's photo on the worse of the two photos' shapes when their shapes
// agree too (kMaxAsymmetryGap). A line a treatment removed or made half as deep reads as two.
bool OneLine(const internal::ProfileResult& p, const internal::ProfileResult& q) {
  if (!p.ok || !q.ok || !(p.contrast < 0.0) || !(q.contrast < 0.0)) return false;
  const double dp = -p.contrast, dq = -q.contrast;
  return std::min(dp, dq) >= kPairedLineRelax * std::max(dp, dq);
}

// A stretch of a guide measured along its centre line in both photos.
struct Along {
  std::optional<Line> line;  // the stretch as a Line of the measured photo, when it passes
  // The guide's own photo fails the same relaxed tests there (a stretch the line search
  // carried along a path that reads as no line): the stretch is cut from the guide.
  bool unsupported = false;
};

// The stretch [a, b) of `guide` (a counted line of `guide_image`), at least min_length_px long
// in the guide's own measure (skeleton steps: the guide's length over its centre line's arc
// length), measured along its centre line in `image` (p) and in `guide_image` (q), both in one
// frame. q reads a line there when it passes the wrinkle tests relaxed by kPairedLineRelax
// with a significance of at least kPairedLineRelax x half what a line of its length needs,
// its asymmetry the larger of p's and q's when they read one line (OneLine) whose two
// asymmetries agree within kMaxAsymmetryGap: each photo's estimate from the few independent
// samples along one line varies (ISIC_0000002: 0.20 and 0.22 for one line against the limit
// 0.2; ISIC_0000080: 0.21 and 0.17), and a stretch that one photo's reading of that one shape
// puts above the limit (p judged on its own fails there) is cut from the guide rather than
// kept in one photo only. The stretch is a Line of `image` when p passes those tests on its own
// readings with a significance of at least kPairedLineRelax x a bar: half the need when p and q
// read one line and q reads it (the depths agree; each photo's standard error, from the spread
// along the line, varies by tens of per cent: ISIC_0000321 read one line at depth 0.163 and 0.159
// with spreads 0.063 and 0.091 ln units); else the lower of the need and what q reads, but not
// below half the need (the line search measures its own paths a little differently: its lines read
// 0.5-3 x their need along their smoothed centre lines), and the full need when q reads no
// profile. Its width and depth are the guide's scaled by p / q (one measurement in both
// photos: the line search's and this one's differ by method, not by photo) when q reads a
// line; p's own otherwise. When p does not pass, the stretch is unsupported if q reads no line
// either (on q's own standard error, and on its own shape unless the two shapes agree: the
// other photo's noise, a structure beside the line there, or a line the other photo lacks does
// not cut it).
Along MeasureAlong(const cv::Mat& image, const cv::Mat& guide_image, const cv::Mat& region,
                   const Line& guide, size_t a, size_t b, const MetricsOptions& o,
                   double px_per_mm) {
  Line stretch_line = PieceOf(guide, a, b, SkeletonPerArc(guide));
  const double length = stretch_line.length_px;
  if (length < std::max(1.0, o.wrinkle_min_length_mm * px_per_mm)) return {};
  const Stretch stretch = StretchOf(guide, a, b, region);
  if (stretch.samples.empty()) return {};
  const internal::ProfileResult p = ProfileOn(image, region, stretch, guide.width_px);
  internal::ProfileResult q = ProfileOn(guide_image, region, stretch, guide.width_px);
  const bool one_line = OneLine(p, q);
  // The guide's photo is judged on the worse of the two shapes when p and q read one line of
  // one shape, so a shape p's own reading puts above the limit fails in both; p on its own.
  if (one_line && std::abs(p.asymmetry - q.asymmetry) <= kMaxAsymmetryGap)
    q.asymmetry = std::max(p.asymmetry, q.asymmetry);
  const double need =
      internal::LineSignificanceNeed(length, internal::kWrinkleSignificanceLengthMm * px_per_mm);
  auto passes = [&](const internal::ProfileResult& m, double bar) {
    return internal::AcceptWrinkleProfile(m, length, kPairedLineRelax, o, px_per_mm) &&
           Significance(m) >= kPairedLineRelax * bar;
  };
  const bool q_line = passes(q, 0.5 * need);
  double bar = need;  // p's bar (see above)
  if (one_line && q_line) {
    bar = 0.5 * need;
  } else if (q.ok) {
    bar = std::max(0.5 * need, std::min(need, Significance(q)));
  }
  Along out;
  if (!passes(p, bar)) {
    out.unsupported = !q_line;
    return out;
  }
  stretch_line.paired = true;
  stretch_line.extends = false;
  if (q_line && q.width_px > 0.0) {  // a ratio of two line readings
    stretch_line.width_px = guide.width_px * p.width_px / q.width_px;
    stretch_line.contrast = guide.contrast * p.contrast / q.contrast;
  } else {
    stretch_line.width_px = p.width_px;
    stretch_line.contrast = -p.contrast;
  }
  out.line = std::move(stretch_line);
  return out;
}

// Index ranges [first, second) of a line's centre points, in order.
using Cuts = std::vector<std::pair<size_t, size_t>>;

// Adds to the wrinkles of `r` (measured on `image`) the stretches of `guides` that its counted
// lines do not cover and that pass MeasureAlong; recomputes its WrinkleMetrics when any was.
// A guide is a wrinkle this photo's counted lines already follow when they cover runs of it
// adding up to OwnRunLength: its stretches then extend that line; else its first
// adopted stretch is a new wrinkle and the others extend it. (*unsupported)[i]: the stretches
// of guides[i] that MeasureAlong found unsupported in the guide's own photo.
void AdoptGuided(const std::vector<Line>& guides, const cv::Mat& guide_image, const cv::Mat& image,
                 const cv::Mat& region, MetricsResult* r, std::vector<Cuts>* unsupported) {
  unsupported->assign(guides.size(), {});
  std::vector<Line>& lines = r->detections.wrinkles;
  const cv::Rect frame = Frame(guides) | Frame(lines);
  if (guides.empty() || frame.empty()) return;
  cv::Mat counted = LineBands(frame, lines);
  bool added = false;
  for (size_t i = 0; i < guides.size(); ++i) {
    const Line& g = guides[i];
    double covered = 0.0;
    const Cuts stretches = UncoveredStretches(g, counted, frame, &covered);
    bool counts = covered < OwnRunLength(g, *r);
    for (const auto& [a, b] : stretches) {
      Along m = MeasureAlong(image, guide_image, region, g, a, b, r->effective, r->px_per_mm);
      if (m.unsupported) (*unsupported)[i].emplace_back(a, b);
      if (!m.line) continue;
      m.line->extends = !counts;
      counts = false;                          // the guide's other stretches extend this one
      counted |= LineBands(frame, {*m.line});  // a crossing guide does not adopt it twice
      lines.push_back(std::move(*m.line));
      added = true;
    }
  }
  if (added) r->wrinkles = WrinkleMetricsOf(lines, r->roi_area_px, r->px_per_mm, r->scale_known);
}

// Cuts from the first cuts.size() lines of `r` (the guides GuideWrinkles took from it, in
// order) their stretches in `cuts`. A piece left shorter than OwnRunLength is dropped too (the stub
// where another line crossed a path that was cut: it would count as a wrinkle of its own); the
// pieces kept keep the line's width and depth, the first its Line::extends, the later ones extend
// it; a line with no piece kept is gone. Recomputes its WrinkleMetrics when anything was cut.
void CutUnsupported(const std::vector<Cuts>& cuts, MetricsResult* r) {
  std::vector<Line> out;
  size_t index = 0;
  bool cut = false;
  for (Line& l : r->detections.wrinkles) {
    const Cuts* c = index < cuts.size() ? &cuts[index++] : nullptr;
    if (c == nullptr || c->empty()) {
      out.push_back(std::move(l));
      continue;
    }
    cut = true;
    const double scale = SkeletonPerArc(l), min_px = OwnRunLength(l, *r);
    bool first = true;
    auto keep = [&](size_t a, size_t b) {
      if (b < a + 2) return;
      Line piece = PieceOf(l, a, b, scale);
      if (piece.length_px < min_px) return;
      piece.extends = l.extends || !first;
      first = false;
      out.push_back(std::move(piece));
    };
    size_t start = 0;
    for (const auto& [a, b] : *c) {
      keep(start, a);
      start = b;
    }
    keep(start, l.polyline.size());
  }
  r->detections.wrinkles = std::move(out);
  if (cut)
    r->wrinkles =
        WrinkleMetricsOf(r->detections.wrinkles, r->roi_area_px, r->px_per_mm, r->scale_known);
}

}  // namespace

Status GuideWrinkles(const cv::Mat& before, const cv::Mat& after, const cv::Mat& region,
                     MetricsResult* before_result, MetricsResult* after_result) {
  if (before_result == nullptr || after_result == nullptr)
    return Status::InvalidArgument("GuideWrinkles: a result is null");
  for (const cv::Mat* m : {&before, &after}) {
    SKINTRACK_RETURN_IF_ERROR(
        CheckImage(*m, m->type() == CV_32FC1 ? CV_32FC1 : kImageType, 1,
                   m == &before ? "GuideWrinkles: before" : "GuideWrinkles: after"));
  }
  if (after.size() != before.size() || region.type() != CV_8UC1 || region.size() != before.size())
    return Status::InvalidArgument(
        "GuideWrinkles: after and region (CV_8UC1) must be of the before photo's size");
  // Each photo is guided by the lines the other counted before this step (its own and those
  // the pairing adopted; not the ones adopted here).
  const std::vector<Line> before_guides = before_result->detections.wrinkles,
                          after_guides = after_result->detections.wrinkles;
  std::vector<Cuts> after_cuts, before_cuts;
  AdoptGuided(after_guides, after, before, region, before_result, &after_cuts);
  AdoptGuided(before_guides, before, after, region, after_result, &before_cuts);
  // Then the stretches neither photo reads as a line leave the line that carried them.
  CutUnsupported(before_cuts, before_result);
  CutUnsupported(after_cuts, after_result);
  return Status::Ok();
}

void PairPores(MetricsResult* before, MetricsResult* after) {
  // Each side adopts at the other's own counted pores (not at the ones it adopted).
  const std::vector<Pore> before_own = before->detections.pores;
  AdoptMarginal(after->detections.pores, before);
  AdoptMarginal(before_own, after);
}

void PairWrinkles(MetricsResult* before, MetricsResult* after) {
  const std::vector<Line> before_own = before->detections.wrinkles;
  AdoptMarginalLines(after->detections.wrinkles, before);
  AdoptMarginalLines(before_own, after);
}

}  // namespace skintrack::metrics
