// Stretch marks (striae): long bands 1-10 mm wide, lighter (alba) or darker than the adjacent
// skin, roughly parallel. Found like wrinkles (ridge_lines.h) on a block-averaged log Y at
// scales striae_sigma_min..max, with both polarities. See docs/metrics.md ("Stretch marks").
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "metrics/families.h"
#include "metrics/ridge_lines.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
// The search runs on Y averaged over f x f blocks, f = floor(sigma_min / kMinSigmaPx) (px).
constexpr double kMinSigmaPx = 2.5;
// Flat band of width w: best Hessian scale ~w / 2.
constexpr double kFwhmPerScale = 2.0;
// Its profile reaches 0 at 0.7 x the width (phantom: raised cosine from 0.3 w): the adjacent skin
// is sampled from 1.1 x the width (not further: neighbouring bands are close).
constexpr double kSideStart = 1.1;
// Band centres: re-centred on the median profile of a stretch this long either side (mm).
constexpr double kRefineMm = 3.0;
// Tracks end where the template contrast falls below this x the band's own: below one half, so
// that a band fading out (the phantom tapers the last 20 %) is followed further.
constexpr double kEndFraction = 0.4;
constexpr double kMaxAsymmetry = 0.3;  // an edge is not a band
// A band is lighter (or darker) than the skin on BOTH sides: the log step between its two flanks
// may be at most this x its own log contrast (each flank then sees at least half the band's
// contrast). A band found beside a step between two levels (a lesion's border, a vignetted
// corner of a dermoscope photo) is not a stretch mark. Phantom bands under side light: <= 0.64.
constexpr double kMaxFlankStep = 1.0;
constexpr double kMinElongation = 4.0;  // length >= this x width
// Width range (full width at half contrast) relative to the scale range: narrower lines are
// wrinkles or hairs, wider ones skin tone.
constexpr double kMinWidthPerSigma = 1.4, kMaxWidthPerSigma = 4.0;
// Roughly parallel: with 3 or more bands, those more than this far from the length-weighted
// dominant direction are dropped.
constexpr double kMaxDeviationDeg = 30.0;

// Direction (radians, [0, pi)) of a polyline from its end points.
double Direction(const std::vector<cv::Point2d>& p) {
  const cv::Point2d d = p.back() - p.front();
  double a = std::atan2(d.y, d.x);
  if (a < 0.0) a += kPi;
  return a >= kPi ? a - kPi : a;
}

// The skin between two close bright bands looks like a dark band (and vice versa). Bands are
// accepted by decreasing |contrast|; a line whose both sides lie on accepted bands of the
// opposite polarity is such a gap and is dropped.
std::vector<FoundLine> DropGaps(std::vector<FoundLine> lines, cv::Size size) {
  std::sort(lines.begin(), lines.end(), [](const FoundLine& a, const FoundLine& b) {
    return std::abs(a.profile.contrast) > std::abs(b.profile.contrast);
  });
  cv::Mat bands[2] = {cv::Mat::zeros(size, CV_8UC1), cv::Mat::zeros(size, CV_8UC1)};
  std::vector<FoundLine> kept;
  for (FoundLine& l : lines) {
    const int pol = l.profile.contrast > 0.0 ? 1 : 0;
    const cv::Mat& other = bands[1 - pol];
    const double w = l.profile.width_px;
    auto banded = [&](const cv::Point2d& p) {
      const cv::Point q(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
      return q.x >= 0 && q.y >= 0 && q.x < size.width && q.y < size.height && other.at<uchar>(q);
    };
    int gap = 0;
    const size_t n = l.centre.size();
    for (size_t i = 0; i < n; ++i) {
      const cv::Point2d t = l.centre[std::min(i + 1, n - 1)] - l.centre[i > 0 ? i - 1 : 0];
      const double len = cv::norm(t);
      if (len <= 0.0) continue;
      const cv::Point2d nrm(-t.y / len, t.x / len);
      bool left = false, right = false;
      for (double k : {0.5, 0.65, 0.8, 1.0}) {
        left = left || banded(l.centre[i] + nrm * (k * w));
        right = right || banded(l.centre[i] - nrm * (k * w));
      }
      gap += left && right;
    }
    if (2 * gap > static_cast<int>(n)) continue;
    std::vector<cv::Point> poly;
    for (const cv::Point2d& p : l.centre)
      poly.emplace_back(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
    cv::polylines(bands[pol], poly, false, 255, std::max(1, static_cast<int>(std::lround(w))));
    kept.push_back(std::move(l));
  }
  return kept;
}

}  // namespace

Status MeasureStriae(const Context& ctx, const MetricsOptions& o, StriaeMetrics* out,
                     std::vector<Line>* detections) {
  *out = StriaeMetrics();
  if (detections != nullptr) detections->clear();
  if (ctx.linear_y.empty() || ctx.roi_area_px == 0) return Status::Ok();
  if (ctx.linear_y.type() != CV_32FC1 || ctx.roi.size() != ctx.linear_y.size())
    return Status::InvalidArgument("striae: context needs CV_32FC1 linear_y and a same-size roi");

  // Block averaging: bands are >= 1 mm wide, so the search runs on a smaller image.
  const int f = std::max(1, static_cast<int>(ctx.Px(o.striae_sigma_min_mm) / kMinSigmaPx));
  const cv::Size small(std::max(1, ctx.linear_y.cols / f), std::max(1, ctx.linear_y.rows / f));
  const double sx = static_cast<double>(ctx.linear_y.cols) / small.width;
  const double sy = static_cast<double>(ctx.linear_y.rows) / small.height;
  cv::Mat log_y, roi;
  cv::resize(ctx.linear_y, log_y, small, 0, 0, cv::INTER_AREA);
  cv::add(log_y, cv::Scalar(kLineLogOffset), log_y);
  cv::log(log_y, log_y);
  cv::resize(ctx.roi, roi, small, 0, 0, cv::INTER_AREA);
  roi = roi >= 128;

  const double scale = 0.5 * (sx + sy);  // full px per searched px
  const double s_lo = std::max(1.0, ctx.Px(o.striae_sigma_min_mm) / scale);
  const double s_hi = std::max(s_lo, ctx.Px(o.striae_sigma_max_mm) / scale);
  LineSearchOptions s;
  s.polarity = Polarity::kBoth;
  s.sigmas = RidgeScales(s_lo, s_hi);
  s.min_contrast = o.striae_min_contrast;
  s.min_length_px = ctx.Px(o.striae_min_length_mm) / scale;
  s.fwhm_per_scale = kFwhmPerScale;
  s.side_start = kSideStart;
  s.template_half_px = std::max(2.0, ctx.Px(1.0) / scale);
  s.step_px = 1.0;
  s.seed_block_px = std::max(3.0, ctx.Px(1.0) / scale);
  s.end_fraction = kEndFraction;
  s.link_gap_px = ctx.Px(2.0) / scale;
  s.refine_points = static_cast<int>(std::max(2.0, ctx.Px(kRefineMm) / scale));
  s.accept = [&](const ProfileResult& p, double length) {
    if (!p.ok || std::abs(p.contrast) < o.striae_min_contrast || p.asymmetry > kMaxAsymmetry)
      return false;
    if (std::abs(p.flank_step) > kMaxFlankStep * std::abs(std::log1p(p.contrast))) return false;
    if (p.width_px < kMinWidthPerSigma * s_lo || p.width_px > kMaxWidthPerSigma * s_hi)
      return false;
    return length >= kMinElongation * p.width_px;
  };
  std::vector<FoundLine> lines = DropGaps(FindLines(log_y, kLineLogOffset, roi, s), small);

  // One kind per region: the polarity with the larger sum of length x |contrast| is kept (the
  // skin between bands of one kind looks like a weak band of the other).
  double weight[2] = {0.0, 0.0};
  for (const FoundLine& l : lines)
    weight[l.profile.contrast > 0.0 ? 1 : 0] += l.length_px * std::abs(l.profile.contrast);
  const bool lighter = weight[1] >= weight[0];
  lines.erase(
      std::remove_if(lines.begin(), lines.end(),
                     [&](const FoundLine& l) { return (l.profile.contrast > 0.0) != lighter; }),
      lines.end());

  // Roughly parallel: drop bands far from the dominant direction (doubled-angle mean).
  if (lines.size() >= 3) {
    double c = 0.0, d = 0.0;
    for (const FoundLine& l : lines) {
      const double a = 2.0 * Direction(l.centre);
      c += l.length_px * std::cos(a);
      d += l.length_px * std::sin(a);
    }
    const double dominant = 0.5 * std::atan2(d, c);
    lines.erase(std::remove_if(lines.begin(), lines.end(),
                               [&](const FoundLine& l) {
                                 double dev = std::abs(Direction(l.centre) - dominant);
                                 dev = std::fmod(dev, kPi);
                                 dev = std::min(dev, kPi - dev);
                                 return dev > kMaxDeviationDeg * kPi / 180.0;
                               }),
                lines.end());
  }

  double len_sum = 0.0, contrast_sum = 0.0, width_sum = 0.0, area = 0.0;
  for (FoundLine& l : lines) {
    const double length = l.length_px * scale, width = l.profile.width_px * scale;
    len_sum += length;
    contrast_sum += l.profile.contrast * length;
    width_sum += width * length;
    area += width * length;
    ++out->count;
    if (detections == nullptr) continue;
    Line line{{}, length, width, l.profile.contrast};
    for (const cv::Point2d& p : l.centre)  // block centres -> full-resolution px
      line.polyline.emplace_back((p.x + 0.5) * sx - 0.5, (p.y + 0.5) * sy - 0.5);
    detections->push_back(std::move(line));
  }
  out->area_fraction = std::min(1.0, area / static_cast<double>(ctx.roi_area_px));
  if (len_sum > 0.0) out->mean_contrast = contrast_sum / len_sum;
  if (ctx.scale_known && len_sum > 0.0) out->mean_width_mm = width_sum / len_sum / ctx.px_per_mm;
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
