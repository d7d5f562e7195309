// Scars (atrophic, acne): dark blobs larger than pores, segmented at half darkness, with the
// Weber contrast of their mean linear luminance against an annulus (docs/metrics.md).
//
// 1. Reduced image: block means of linear Y over f x f px, f = floor(scar_min_radius / 2.5 px).
//    Pores and fine lines are removed by a 5 x 5 median (for detection) and by a grey closing
//    with a disc of pore_radius_max (for segmentation: it keeps the outline of wider blobs).
// 2. Background B: Gaussian (sigma 2 x scar_max_radius) of clipped cell means of the median
//    image (blob_background.h); Weber darkness D = 1 - Y / B; scale-normalised DoG maxima over
//    radii scar_min .. scar_max with a response >= half that of a disc of scar_min_contrast
//    and >= 8 x the robust spread of the response at that scale over the tile.
// 3. Each maximum, strongest first, unless inside a blob already kept: floor = median D of the
//    closed image within half its radius, outside = median D over the annulus; the blob is the
//    connected region of the bilinearly upsampled D >= (floor + outside) / 2 that contains the
//    centre, holes filled, inside the ROI. Rejected when floor - outside < scar_min_contrast / 2,
//    when it is not compact (reaches 2.2 radii, axis ratio > 2) or when its area radius is
//    outside [scar_min_radius, 1.3 scar_max_radius].
// 4. Contrast on full-resolution linear Y: 1 - mean(Y, blob) / mean(Y, annulus), the annulus
//    being the ROI pixels between scar_annulus_inner and _outer from the blob, outside the blobs
//    already kept. Kept when this contrast and the median one (1 - median / median: the floor
//    must be dark, not just a few of its pixels, as over a cluster of pores or a pore on a
//    wrinkle) are both >= scar_min_contrast.
// 5. Pigmented spots (melanin) darken L* at nearly constant a*, b*; neutral shading (an
//    atrophic depression, side light) scales L* + 16, a* and b* together (the cube root of a
//    common factor on X, Y, Z, whatever the white balance). A blob whose mean b* exceeds the
//    neutral prediction b*_annulus (L*_blob + 16) / (L*_annulus + 16) by more than
//    max(1, 0.1 x its L* drop) is a pigmented spot, not a scar (it still suppresses weaker
//    maxima inside it). Redness changes a* only and does not trigger this; the floor of 1 b*
//    unit is above the chroma noise of JPEG q85 (4:2:0) over a blob of 0.4 mm or more.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "metrics/blob_detect.h"
#include "metrics/families.h"
#include "skintrack/photometric/color.h"

namespace skintrack::metrics::internal {
namespace {

constexpr double kDiscResponse = 0.65;  // normalised DoG peak of a flat disc of darkness 1
constexpr double kTextureSignificance = 8.0;
constexpr double kMaxAxisRatio = 2.0;
constexpr double kReach = 2.2;             // segmentation zone, in candidate radii
constexpr double kPigmentRatio = 0.1;      // b* excess per unit of L* drop
constexpr double kPigmentMinExcess = 1.0;  // b* units
// A scar crossed by a detected line keeps at least this fraction of its pixels off the line.
constexpr double kMinOffLineFraction = 0.25;

struct Lab {
  double l, a, b;
};

// Mean linear BGR (sRGB primaries) -> CIELAB (D65).
Lab ToLab(const cv::Vec3d& bgr) {
  const double r = bgr[2], g = bgr[1], b = bgr[0];
  const double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const double z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  auto f = [](double t) {
    constexpr double d = 6.0 / 29.0;
    return t > d * d * d ? std::cbrt(t) : t / (3.0 * d * d) + 4.0 / 29.0;
  };
  return {116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))};
}

// Median of `m` over the pixels whose distance to `c` lies in [r0, r1] (0 when none).
float RingMedian(const cv::Mat1f& m, cv::Point2d c, double r0, double r1) {
  std::vector<float> v;
  const int x0 = std::max(0, static_cast<int>(c.x - r1));
  const int x1 = std::min(m.cols - 1, static_cast<int>(c.x + r1) + 1);
  const int y0 = std::max(0, static_cast<int>(c.y - r1));
  const int y1 = std::min(m.rows - 1, static_cast<int>(c.y + r1) + 1);
  for (int i = y0; i <= y1; ++i) {
    for (int j = x0; j <= x1; ++j) {
      const double d2 = (j - c.x) * (j - c.x) + (i - c.y) * (i - c.y);
      if (d2 >= r0 * r0 && d2 <= r1 * r1) v.push_back(m(i, j));
    }
  }
  if (v.empty()) return 0.0f;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Bilinear value of `m` at (u, v), clamped to its extent.
float Bilinear(const cv::Mat1f& m, double u, double v) {
  u = std::clamp(u, 0.0, m.cols - 1.0);
  v = std::clamp(v, 0.0, m.rows - 1.0);
  const int u0 = std::min(static_cast<int>(u), std::max(0, m.cols - 2));
  const int v0 = std::min(static_cast<int>(v), std::max(0, m.rows - 2));
  const int u1 = std::min(u0 + 1, m.cols - 1), v1 = std::min(v0 + 1, m.rows - 1);
  const float tu = static_cast<float>(u - u0), tv = static_cast<float>(v - v0);
  const float top = m(v0, u0) + tu * (m(v0, u1) - m(v0, u0));
  const float bottom = m(v1, u0) + tu * (m(v1, u1) - m(v1, u0));
  return top + tv * (bottom - top);
}

struct Blob {
  cv::Rect win;    // full-resolution window (blob, annulus and margin)
  cv::Mat1b mask;  // 255 = blob, in the window
  std::vector<cv::Point> contour;
  double area = 0, contrast = 0, median_contrast = 0;
  // The median contrast over the blob and annulus pixels off the detected lines, and the
  // fraction of the blob off them (1 and median_contrast when no line crosses the window).
  double off_line_fraction = 1.0, off_line_median_contrast = 0;
  bool pigmented = false;
};

// Median of `v` (reordered), or 0 when empty.
float MedianOf(std::vector<float>* v) {
  if (v->empty()) return 0.0f;
  std::nth_element(v->begin(), v->begin() + v->size() / 2, v->end());
  return (*v)[v->size() / 2];
}

// Segments candidate `c` (reduced px) on the reduced darkness `dark` into a full-resolution
// mask; false when it is not a compact blob of scar size.
bool Segment(const cv::Mat1f& dark, int f, const BlobCandidate& c, const Context& ctx,
             const MetricsOptions& o, Blob* blob) {
  const double r = c.radius, in = ctx.Px(o.scar_annulus_inner_mm) / f;
  const double out = ctx.Px(o.scar_annulus_outer_mm) / f;
  const float floor_level = RingMedian(dark, {c.x, c.y}, 0.0, std::max(1.0, 0.5 * r));
  const float outside = RingMedian(dark, {c.x, c.y}, r + in, r + out);
  if (floor_level - outside < 0.5 * o.scar_min_contrast) return false;
  const float level = 0.5f * (floor_level + outside);
  // Reduced pixel i is centred on full-resolution pixel f i + (f - 1) / 2.
  const double off = 0.5 * (f - 1), cx = f * c.x + off, cy = f * c.y + off;
  const double zone = kReach * r * f;
  const int half = static_cast<int>(std::ceil(zone + ctx.Px(o.scar_annulus_outer_mm))) + 2;
  blob->win = cv::Rect(static_cast<int>(cx) - half, static_cast<int>(cy) - half, 2 * half + 1,
                       2 * half + 1) &
              cv::Rect(0, 0, ctx.linear_y.cols, ctx.linear_y.rows);
  const cv::Rect& w = blob->win;
  const cv::Point centre(static_cast<int>(std::lround(cx)) - w.x,
                         static_cast<int>(std::lround(cy)) - w.y);
  if (!cv::Rect(0, 0, w.width, w.height).contains(centre)) return false;
  cv::Mat1b above(w.size(), uchar(0));
  for (int i = 0; i < w.height; ++i) {
    for (int j = 0; j < w.width; ++j) {
      const double ex = w.x + j - cx, ey = w.y + i - cy;
      if (ex * ex + ey * ey <= zone * zone &&
          Bilinear(dark, (w.x + j - off) / f, (w.y + i - off) / f) >= level)
        above(i, j) = 255;
    }
  }
  if (above(centre) == 0) return false;
  cv::Mat1i labels;
  cv::connectedComponents(above, labels, 8, CV_32S);
  const cv::Mat1b comp = labels == labels(centre);
  const double edge2 = (zone - 1.5) * (zone - 1.5);  // not compact: reaches the zone's edge
  for (int i = 0; i < w.height; ++i) {
    const uchar* row = comp.ptr<uchar>(i);
    for (int j = 0; j < w.width; ++j) {
      const double ex = w.x + j - cx, ey = w.y + i - cy;
      if (row[j] != 0 && ex * ex + ey * ey > edge2) return false;
    }
  }
  std::vector<std::vector<cv::Point>> contours;  // holes filled, then clipped to the ROI
  cv::findContours(comp, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  blob->mask = cv::Mat1b::zeros(w.size());
  cv::drawContours(blob->mask, contours, -1, cv::Scalar(255), cv::FILLED);
  blob->mask &= ctx.roi(w);
  contours.clear();
  cv::findContours(blob->mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE, w.tl());
  if (contours.empty()) return false;
  blob->contour = *std::max_element(
      contours.begin(), contours.end(),
      [](const auto& a, const auto& b) { return cv::contourArea(a) < cv::contourArea(b); });
  blob->area = cv::countNonZero(blob->mask);
  const cv::Moments m = cv::moments(blob->mask, true);
  const double a = m.mu20 / m.m00, b = m.mu02 / m.m00, cc = m.mu11 / m.m00;
  const double det = std::sqrt(0.25 * (a - b) * (a - b) + cc * cc);
  const double l1 = 0.5 * (a + b) + det, l2 = 0.5 * (a + b) - det;
  if (!(l2 > 0.0) || std::sqrt(l1 / l2) > kMaxAxisRatio) return false;
  const double radius = std::sqrt(blob->area / CV_PI);
  return radius >= ctx.Px(o.scar_min_radius_mm) && radius <= 1.3 * ctx.Px(o.scar_max_radius_mm);
}

// Contrast and pigment test of a segmented blob against its annulus, outside `others`.
// `lines`: CV_8UC1 of the image's size, 255 = a detected line's band (or empty).
void Measure(const Context& ctx, const MetricsOptions& o, const std::vector<Blob>& others,
             const cv::Mat& lines, Blob* blob) {
  const cv::Rect& w = blob->win;
  cv::Mat1f dist;  // distance to the blob
  cv::distanceTransform(~blob->mask, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  cv::Mat1b excluded = ~ctx.roi(w);
  for (const Blob& other : others) {
    const cv::Rect overlap = other.win & w;
    if (!overlap.empty()) excluded(overlap - w.tl()) |= other.mask(overlap - other.win.tl());
  }
  const double in = ctx.Px(o.scar_annulus_inner_mm), out = ctx.Px(o.scar_annulus_outer_mm);
  cv::Vec3d bgr_in(0, 0, 0), bgr_out(0, 0, 0);
  double y_in = 0, y_out = 0;
  // Pixels off the detected lines are gathered only when a line crosses the window.
  const bool crossed = !lines.empty() && cv::countNonZero(lines(w)) > 0;
  std::vector<float> v_in, v_out, off_in, off_out;
  const cv::Mat linear_bgr = photometric::SrgbToLinear(ctx.srgb(w));
  for (int i = 0; i < w.height; ++i) {
    const float* yr = ctx.linear_y.ptr<float>(w.y + i) + w.x;
    const cv::Vec3f* cr = linear_bgr.ptr<cv::Vec3f>(i);
    const uchar* on_line = crossed ? lines.ptr<uchar>(w.y + i) + w.x : nullptr;
    for (int j = 0; j < w.width; ++j) {
      const bool off = on_line != nullptr && on_line[j] == 0;
      if (blob->mask(i, j) != 0) {
        y_in += yr[j];
        bgr_in += cv::Vec3d(cr[j]);
        v_in.push_back(yr[j]);
        if (off) off_in.push_back(yr[j]);
      } else if (excluded(i, j) == 0 && dist(i, j) > in && dist(i, j) <= out) {
        y_out += yr[j];
        bgr_out += cv::Vec3d(cr[j]);
        v_out.push_back(yr[j]);
        if (off) off_out.push_back(yr[j]);
      }
    }
  }
  if (v_in.empty() || v_out.empty() || !(y_out > 0.0)) return;
  const double n_in = static_cast<double>(v_in.size()), n_out = static_cast<double>(v_out.size());
  blob->contrast = 1.0 - (y_in / n_in) / (y_out / n_out);
  blob->median_contrast = 1.0 - MedianOf(&v_in) / MedianOf(&v_out);
  if (!crossed) {  // no line in the window: everything is off the lines
    blob->off_line_fraction = 1.0;
    blob->off_line_median_contrast = blob->median_contrast;
  } else {
    blob->off_line_fraction = static_cast<double>(off_in.size()) / n_in;
    const float off_out_median = MedianOf(&off_out);
    blob->off_line_median_contrast =
        off_out_median > 0.0f && !off_in.empty() ? 1.0 - MedianOf(&off_in) / off_out_median : 0.0;
  }
  const Lab lab_in = ToLab(bgr_in / n_in), lab_out = ToLab(bgr_out / n_out);
  const double drop = lab_out.l - lab_in.l;
  const double excess = lab_in.b - lab_out.b * (lab_in.l + 16.0) / (lab_out.l + 16.0);
  blob->pigmented = drop > 0.0 && excess > std::max(kPigmentMinExcess, kPigmentRatio * drop);
}

}  // namespace

Status MeasureScars(const Context& ctx, const MetricsOptions& o, ScarMetrics* out,
                    std::vector<Scar>* detections, const cv::Mat& lines) {
  *out = ScarMetrics();
  if (!lines.empty() && (lines.type() != CV_8UC1 || lines.size() != ctx.linear_y.size()))
    return Status::InvalidArgument("scars: lines mask must be CV_8UC1 of the image's size");
  const int f = std::max(1, static_cast<int>(std::floor(ctx.Px(o.scar_min_radius_mm) / 2.5)));
  cv::Mat1f fraction;
  const cv::Mat1f ys = BlockMean(ctx.linear_y, f, ctx.roi, &fraction);
  const cv::Mat1b mask = fraction >= 0.5f;
  const int rho = std::max(1, static_cast<int>(std::lround(ctx.Px(o.pore_radius_max_mm) / f)));
  cv::Mat1f median, closed;
  cv::medianBlur(ys, median, rho >= 2 ? 5 : 3);
  cv::morphologyEx(ys, closed, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * rho + 1, 2 * rho + 1}),
                   cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  const CoarseField background =
      LocalBackground(median, mask, 2.0 * ctx.Px(o.scar_max_radius_mm) / f, 0.9);
  BlobScaleSpace space;
  space.radius_min_px = ctx.Px(o.scar_min_radius_mm) / f;
  space.radius_max_px = ctx.Px(o.scar_max_radius_mm) / f;
  space.min_response = 0.5 * kDiscResponse * o.scar_min_contrast;
  space.significance = kTextureSignificance;
  const std::vector<BlobCandidate> candidates = DetectDarkBlobs(median, background, mask, space);
  cv::Mat1f dark;  // Weber darkness of the closed image
  background.Fill(cv::Rect(0, 0, ys.cols, ys.rows), &dark);
  cv::divide(closed, dark, dark);
  cv::subtract(cv::Scalar::all(1.0), dark, dark);

  std::vector<Blob> blobs;  // kept scars and pigmented spots, strongest first
  for (const BlobCandidate& c : candidates) {
    const cv::Point p(static_cast<int>(std::lround(f * c.x + 0.5 * (f - 1))),
                      static_cast<int>(std::lround(f * c.y + 0.5 * (f - 1))));
    const bool inside = std::any_of(blobs.begin(), blobs.end(), [&](const Blob& b) {
      return b.win.contains(p) && b.mask(p - b.win.tl()) != 0;
    });
    Blob blob;
    if (inside || !Segment(dark, f, c, ctx, o, &blob)) continue;
    Measure(ctx, o, blobs, lines, &blob);
    // A blob on a detected line must be dark off it too: where a wrinkle crosses a few pores
    // or another line, the dark pixels are the line's (measured as a wrinkle already).
    if (blob.contrast >= o.scar_min_contrast && blob.median_contrast >= o.scar_min_contrast &&
        blob.off_line_fraction >= kMinOffLineFraction &&
        blob.off_line_median_contrast >= o.scar_min_contrast)
      blobs.push_back(std::move(blob));
  }

  std::vector<Scar> scars;
  double area = 0, weighted = 0;
  for (const Blob& b : blobs) {
    if (b.pigmented) continue;
    scars.push_back({b.contour, cv::boundingRect(b.contour), b.area, b.contrast});
    area += b.area;
    weighted += b.contrast * b.area;
  }
  out->count = static_cast<int>(scars.size());
  if (ctx.roi_area_px > 0) out->area_fraction = area / static_cast<double>(ctx.roi_area_px);
  if (ctx.scale_known) out->total_area_mm2 = area / (ctx.px_per_mm * ctx.px_per_mm);
  if (area > 0.0) out->mean_contrast = weighted / area;  // area-weighted
  if (detections != nullptr) *detections = std::move(scars);
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
