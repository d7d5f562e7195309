// Hair mask: thin, long, dark and sharp curvilinear structures.
//
// Definition (lengths from HairOptions, converted with px_per_mm; w = max_width_mm in px):
//  1. Linear luminance Y of the image (Rec. 709, sRGB decoded by a 16385-entry table). When
//     w > 8 px, Y is first reduced by the integer factor f = floor(w / 4) with area averaging
//     (hairs stay >= 4 px wide); the mask is enlarged back by pixel replication.
//  2. Weber darkness against a closing: D = (C - Y) / (C + 0.01), C = morphological closing of
//     Y with a square of half-side ceil(w / 2) + 1 px (the local background with every
//     structure narrower than w removed, whatever its direction; the offset 0.01 keeps near-black
//     vignetting from turning noise into contrast). D is a black-hat in Weber units: a hair of
//     darkness c reads c on its centre line, a broad dark region (lesion, shadow) reads ~0, and a
//     shallow wrinkle reads at most its own Weber depth (< 0.2), below min_contrast.
//  3. Cores: 8-connected components of D >= min_contrast (their outer contours). A core is a
//     hair when its length, half the perimeter of its outer contour (a thin curve's contour runs
//     along both of its sides), is at least min_length_mm, and its mean width, pixel area /
//     length, is at most 1.5 w + 1 px (thin; a compact blob of length L has width ~L / 3).
//  4. Hair pixels: the kept cores, grown by up to ceil(w / 2) px into pixels with
//     D >= min_contrast / 2 (the soft edges of the hair), then dilated by dilate_mm.
//  5. Faint tier (faint_min_contrast > 0): steps 3-4 again at D >= faint_min_contrast. With
//     it on, a core of either tier is kept only as strands (hair_strands.h): its skeleton
//     (Zhang-Suen; ends pruned ceil(w) + 2 times) cut at every crossing, the stretches of the
//     pieces that are straight over min_length_mm (ends >= strand_min_straightness x the path
//     length apart), and of the core its pixels within ceil(0.75 w) + 1 px of those stretches.
//     A strand's free ends are pruned too, so a free hair needs about min_length_mm + 2
//     (ceil(w) + 2) px of skeleton to count.
// Invariance: D is a ratio of linear luminances at the same place, so exposure, white balance
// (through Y) and smooth side light do not change it.
#include <algorithm>
#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "roi/hair_strands.h"
#include "skintrack/core/image.h"
#include "skintrack/roi/roi.h"

namespace skintrack::roi {
namespace {

constexpr double kYOffset = 0.01;        // added to the background in the Weber ratio
constexpr double kMaxWorkWidthPx = 8.0;  // above this hair width the image is reduced

cv::Mat Disc(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
}

// sRGB-encoded [0,1] -> linear light from a 16385-entry table of the IEC 61966-2-1 curve,
// nearest entry (relative error < 1e-4 above sRGB 0.1; ample for a contrast threshold).
class SrgbTable {
 public:
  SrgbTable() {
    for (int i = 0; i <= kSize; ++i) {
      const double v = static_cast<double>(i) / kSize;
      lut_[i] = static_cast<float>(v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4));
    }
  }
  // Clamped to [0, 1] (NaN -> 0, never an index outside the table).
  float operator()(float v) const {
    const float t = (v > 0.f ? (v < 1.f ? v : 1.f) : 0.f) * kSize + 0.5f;
    return lut_[static_cast<int>(t)];
  }
#if CV_SIMD
  // The same float operations on a vector (SSE's max returns its second operand, 0, for NaN);
  // only the table reads are scalar loads.
  cv::v_float32 operator()(const cv::v_float32& v) const {
    const cv::v_float32 c = cv::v_min(cv::v_max(v, cv::vx_setzero_f32()), cv::vx_setall_f32(1.f));
    const cv::v_float32 t =
        c * cv::vx_setall_f32(static_cast<float>(kSize)) + cv::vx_setall_f32(0.5f);
    return cv::v_lut(lut_, cv::v_trunc(t));
  }
#endif

 private:
  static constexpr int kSize = 16384;
  float lut_[kSize + 1];
};

// Rows [a, b) of the linear luminance Y = 0.2126 R + 0.7152 G + 0.0722 B (Rec. 709): one fixed
// sequence of float operations, (wb B + wg G) + wr R, in the vector body and the tail alike
// (the same values wherever a pixel falls, as long as the compiler fuses no multiply-add: the
// project builds for baseline x86-64, which has no FMA).
void LuminanceRows(const cv::Mat& image, int a, int b, cv::Mat* y) {
  static const SrgbTable table;
  constexpr float kB = 0.0722f, kG = 0.7152f, kR = 0.2126f;
  y->create(b - a, image.cols, CV_32FC1);
  for (int r = a; r < b; ++r) {
    const float* p = image.ptr<float>(r);
    float* out = y->ptr<float>(r - a);
    int x = 0;
#if CV_SIMD
    constexpr int kLanes = cv::v_float32::nlanes;
    const cv::v_float32 wb = cv::vx_setall_f32(kB), wg = cv::vx_setall_f32(kG),
                        wr = cv::vx_setall_f32(kR);
    for (; x + kLanes <= image.cols; x += kLanes) {
      cv::v_float32 vb, vg, vr;
      cv::v_load_deinterleave(p + 3 * x, vb, vg, vr);
      cv::v_store(out + x, (wb * table(vb) + wg * table(vg)) + wr * table(vr));
    }
#endif
    for (; x < image.cols; ++x)
      out[x] = (kB * table(p[3 * x]) + kG * table(p[3 * x + 1])) + kR * table(p[3 * x + 2]);
  }
}

// Steps 1-2 in row tiles (halo = the closing's reach, replicated at the image's own borders,
// so the result equals whole-image processing): Y, its closing, and the thresholded darkness.
// With faint_contrast > 0 also the faint tier's masks (levels faint_contrast and half of it).
void DarknessMasks(const cv::Mat& y_or_image, bool is_image, int close_r, double min_contrast,
                   double faint_contrast, cv::Mat* core, cv::Mat* soft, cv::Mat* faint_core,
                   cv::Mat* faint_soft) {
  const int rows = y_or_image.rows, cols = y_or_image.cols;
  core->create(rows, cols, CV_8UC1);
  soft->create(rows, cols, CV_8UC1);
  const bool faint = faint_contrast > 0.0;
  if (faint) {
    faint_core->create(rows, cols, CV_8UC1);
    faint_soft->create(rows, cols, CV_8UC1);
  }
  constexpr int kTile = 256;
  const int halo = 2 * close_r + 1;
  const cv::Mat se =
      cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * close_r + 1, 2 * close_r + 1));
  const float c_core = static_cast<float>(min_contrast), c_soft = 0.5f * c_core;
  const float f_core = static_cast<float>(faint_contrast), f_soft = 0.5f * f_core;
  const float offset = static_cast<float>(kYOffset);
  cv::parallel_for_(cv::Range(0, (rows + kTile - 1) / kTile), [&](const cv::Range& range) {
    cv::Mat y, closed;
    for (int t = range.start; t < range.end; ++t) {
      const int y0 = t * kTile, y1 = std::min(rows, y0 + kTile);
      const int ya = std::max(0, y0 - halo), yb = std::min(rows, y1 + halo);
      if (is_image) {
        LuminanceRows(y_or_image, ya, yb, &y);
      } else {
        y = y_or_image.rowRange(ya, yb);
      }
      cv::morphologyEx(y, closed, cv::MORPH_CLOSE, se, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
      // Locals, not captures: the byte stores may alias a captured value, which the compiler
      // would then reload for every pixel (and not vectorise the loop).
      const int n = cols;
      const float cc = c_core, cs = c_soft, off = offset;
      for (int r = y0; r < y1; ++r) {
        const float* yr = y.ptr<float>(r - ya);
        const float* cr = closed.ptr<float>(r - ya);
        uchar* co = core->ptr<uchar>(r);
        uchar* so = soft->ptr<uchar>(r);
        for (int x = 0; x < n; ++x) {
          // D >= c  <=>  C - Y >= c (C + offset), as C + offset > 0.
          const float dark = cr[x] - yr[x], bg = cr[x] + off;
          co[x] = dark >= cc * bg ? 255 : 0;
          so[x] = dark >= cs * bg ? 255 : 0;
        }
        if (!faint) continue;
        uchar* fco = faint_core->ptr<uchar>(r);
        uchar* fso = faint_soft->ptr<uchar>(r);
        const float fc = f_core, fs = f_soft;
        for (int x = 0; x < n; ++x) {
          const float dark = cr[x] - yr[x], bg = cr[x] + off;
          fco[x] = dark >= fc * bg ? 255 : 0;
          fso[x] = dark >= fs * bg ? 255 : 0;
        }
      }
    }
  });
}

}  // namespace

Status HairOptions::Check() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("HairOptions." + m); };
  if (!(std::isfinite(max_width_mm) && max_width_mm > 0.0 && max_width_mm <= 5.0))
    return bad("max_width_mm must be in (0, 5]");
  if (!(std::isfinite(min_length_mm) && min_length_mm >= 0.0 && min_length_mm <= 1000.0))
    return bad("min_length_mm must be in [0, 1000]");
  if (!(std::isfinite(min_contrast) && min_contrast > 0.0 && min_contrast < 1.0))
    return bad("min_contrast must be in (0, 1)");
  if (!(std::isfinite(dilate_mm) && dilate_mm >= 0.0 && dilate_mm <= 10.0))
    return bad("dilate_mm must be in [0, 10]");
  if (!(std::isfinite(faint_min_contrast) && faint_min_contrast >= 0.0 &&
        faint_min_contrast < min_contrast))
    return bad("faint_min_contrast must be 0 (off) or in (0, min_contrast)");
  if (!(std::isfinite(strand_min_straightness) && strand_min_straightness > 0.0 &&
        strand_min_straightness <= 1.0))
    return bad("strand_min_straightness must be in (0, 1]");
  return Status::Ok();
}

Status HairMask(const cv::Mat& image, double px_per_mm, const HairOptions& options, cv::Mat* mask) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (image.type() != kImageType || image.rows < 16 || image.cols < 16)
    return Status::InvalidArgument("HairMask: image must be CV_32FC3 and >= 16 px on a side");
  if (!(std::isfinite(px_per_mm) && px_per_mm > 0.0 && px_per_mm < 1e5))
    return Status::InvalidArgument("HairMask: px_per_mm must be in (0, 1e5)");
  if (mask == nullptr) return Status::InvalidArgument("HairMask: mask is null");

  // 1-2. Luminance at the working scale; thresholded Weber darkness against the closing.
  const double width_full = options.max_width_mm * px_per_mm;
  const int f = width_full > kMaxWorkWidthPx ? static_cast<int>(std::floor(width_full / 4.0)) : 1;
  const double ppmm = px_per_mm / f;
  const double w = options.max_width_mm * ppmm;
  const int close_r = static_cast<int>(std::ceil(w / 2.0)) + 1;
  const double faint = options.faint_min_contrast;
  cv::Mat core, soft, faint_core, faint_soft;
  if (f > 1) {
    cv::Mat y, small;
    LuminanceRows(image, 0, image.rows, &y);
    cv::resize(y(cv::Rect(0, 0, y.cols / f * f, y.rows / f * f)), small,
               cv::Size(y.cols / f, y.rows / f), 0, 0, cv::INTER_AREA);
    DarknessMasks(small, false, close_r, options.min_contrast, faint, &core, &soft, &faint_core,
                  &faint_soft);
  } else {
    DarknessMasks(image, true, close_r, options.min_contrast, faint, &core, &soft, &faint_core,
                  &faint_soft);
  }

  // 3. Cores kept by length and mean width, from their outer contours: a thin curve's outer
  // contour runs along both sides, so its length is half the perimeter. With the faint tier on,
  // every core is then kept only as strands (step 5).
  const double min_length = options.min_length_mm * ppmm;
  const double max_mean_width = 1.5 * w + 1.0;
  // 4. Each kept core grown by up to ceil(w / 2) px into its soft edges, then dilated by
  // dilate_mm, inside its own box (dilation distributes over the union of the cores).
  const int grow_r = static_cast<int>(std::ceil(w / 2.0));
  const int dilate_r = static_cast<int>(std::lround(options.dilate_mm * ppmm));
  const cv::Rect frame(0, 0, core.cols, core.rows);
  cv::Mat kept = cv::Mat::zeros(core.size(), CV_8UC1);
  internal::StrandParams strand;  // hair_strands.h
  strand.min_length_px = min_length;
  strand.min_straightness = options.strand_min_straightness;
  strand.reach_px = static_cast<int>(std::ceil(0.75 * w)) + 1;
  strand.spur_px = static_cast<int>(std::ceil(w)) + 2;
  auto keep_cores = [&](const cv::Mat& cores, const cv::Mat& edges, bool strands) {
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(cores, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    for (size_t i = 0; i < contours.size(); ++i) {
      const cv::Rect box = cv::boundingRect(contours[i]);
      if (std::hypot(box.width, box.height) < 0.5 * min_length) continue;  // cannot be long
      const double perimeter = cv::arcLength(contours[i], true);
      const double length = 0.5 * perimeter;
      if (length < min_length) continue;
      // Pixels of the region: polygon area through the boundary pixel centres plus the half of
      // the boundary pixels outside it (Pick).
      const double pixels = cv::contourArea(contours[i]) + 0.5 * perimeter + 1.0;
      if (pixels > max_mean_width * length) continue;
      const int margin = grow_r + dilate_r + 1;
      const cv::Rect outer =
          (box - cv::Point(margin, margin) + cv::Size(2 * margin, 2 * margin)) & frame;
      cv::Mat hair = cv::Mat::zeros(outer.size(), CV_8UC1);
      cv::drawContours(hair, contours, static_cast<int>(i), cv::Scalar(255), cv::FILLED, cv::LINE_8,
                       cv::noArray(), 0, -outer.tl());
      hair &= cores(outer);
      if (strands && !internal::KeepStraightStrands(strand, &hair)) continue;
      if (grow_r > 0) {
        cv::Mat reach;
        cv::dilate(hair, reach, Disc(grow_r));
        hair |= reach & edges(outer);
      }
      if (dilate_r > 0) cv::dilate(hair, hair, Disc(dilate_r));
      kept(outer) |= hair;
    }
  };
  keep_cores(core, soft, faint > 0.0);  // strands too when the faint tier is on
  if (faint > 0.0) keep_cores(faint_core, faint_soft, true);
  if (f > 1) {
    cv::Mat full = cv::Mat::zeros(image.size(), CV_8UC1);
    cv::resize(kept, full(cv::Rect(0, 0, kept.cols * f, kept.rows * f)),
               cv::Size(kept.cols * f, kept.rows * f), 0, 0, cv::INTER_NEAREST);
    kept = full;
  }
  *mask = kept;
  return Status::Ok();
}

}  // namespace skintrack::roi
