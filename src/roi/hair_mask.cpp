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
//     it on, a core of either tier is kept only as strands: its skeleton (Zhang-Suen; spurs
//     < ceil(w) + 2 px pruned) cut at every crossing, the stretches of the pieces that are
//     straight over min_length_mm (ends >= strand_min_straightness x the path length apart),
//     and of the core its pixels within ceil(0.75 w) + 1 px of those stretches.
// Invariance: D is a ratio of linear luminances at the same place, so exposure, white balance
// (through Y) and smooth side light do not change it.
#include <algorithm>
#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "core/thinning.h"
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

// The skeleton pixels (0/255 image) whose 8-neighbour pattern passes `test`: bit k of the
// pattern is the neighbour k in circular order N, NE, E, SE, S, SW, W, NW (outside = 0).
template <typename Test>
cv::Mat SkeletonPixels(const cv::Mat& skeleton, Test test) {
  static constexpr int kDy[8] = {-1, -1, 0, 1, 1, 1, 0, -1}, kDx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
  cv::Mat padded;
  cv::copyMakeBorder(skeleton, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat out = cv::Mat::zeros(skeleton.size(), CV_8UC1);
  for (int y = 0; y < skeleton.rows; ++y) {
    for (int x = 0; x < skeleton.cols; ++x) {
      if (skeleton.at<uchar>(y, x) == 0) continue;
      unsigned pattern = 0;
      for (int k = 0; k < 8; ++k)
        pattern |= (padded.at<uchar>(y + 1 + kDy[k], x + 1 + kDx[k]) != 0 ? 1u : 0u) << k;
      if (test(pattern)) out.at<uchar>(y, x) = 255;
    }
  }
  return out;
}

// 0->1 transitions around a pixel of neighbour pattern p (circular).
int Transitions(unsigned p) {
  int n = 0;
  for (int k = 0; k < 8; ++k) n += !((p >> k) & 1u) && ((p >> ((k + 1) % 8)) & 1u);
  return n;
}

// An end of a strand: no neighbour, or all of them on one side (within N-side NW, N, NE or
// one of its three rotations): a tip, also a bump's tip over the strand it sits on. A pixel
// of a 2-px-thick stretch (neighbours round a corner) is not one.
bool IsEnd(unsigned p) {
  if (p == 0) return true;
  for (const unsigned side : {0x83u, 0x0Eu, 0x38u, 0xE0u})  // {NW,N,NE}, {NE,E,SE}, ...
    if ((p & ~side) == 0) return true;
  return false;
}

// A skeleton piece's pixels in order along it, with their path distance from its first end.
struct PieceWalk {
  std::vector<cv::Point> points;  // by increasing `along`
  std::vector<double> along;      // px: geodesic distance (steps of 1 or sqrt 2) from the end
};

// Geodesic distances (Dijkstra, 8-connected steps of 1 or sqrt 2) from `from` over the pixels
// of label `label` inside `box`; -1 where not reached.
cv::Mat GeodesicFrom(const cv::Mat& labels, int label, const cv::Rect& box, cv::Point from) {
  static constexpr int kDy[8] = {-1, 0, 1, 0, -1, 1, 1, -1}, kDx[8] = {0, 1, 0, -1, 1, 1, -1, -1};
  cv::Mat dist(box.size(), CV_64FC1, cv::Scalar(-1.0));
  using Item = std::pair<double, int>;  // distance, index y * width + x in the box
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  dist.at<double>(from - box.tl()) = 0.0;
  queue.emplace(0.0, (from.y - box.y) * box.width + (from.x - box.x));
  while (!queue.empty()) {
    const auto [d, index] = queue.top();
    queue.pop();
    const int y = index / box.width, x = index % box.width;
    if (d > dist.at<double>(y, x)) continue;
    for (int k = 0; k < 8; ++k) {
      const int ny = y + kDy[k], nx = x + kDx[k];
      if (ny < 0 || nx < 0 || ny >= box.height || nx >= box.width ||
          labels.at<int>(box.y + ny, box.x + nx) != label)
        continue;
      const double nd = d + (k < 4 ? 1.0 : 1.4142135623730951);
      double& current = dist.at<double>(ny, nx);
      if (current < 0.0 || nd < current) {
        current = nd;
        queue.emplace(nd, ny * box.width + nx);
      }
    }
  }
  return dist;
}

// The pixels of one skeleton piece (label `label` of `labels`, inside `box`) ordered by their
// geodesic distance from one of its ends: the pixel farthest from any pixel of the piece is an
// end (of a loop: a point across from it). A nub of a 2-px-thick stretch sorts in beside the
// pixels it touches.
PieceWalk WalkPiece(const cv::Mat& labels, int label, const cv::Rect& box) {
  cv::Point any(-1, -1);
  for (int y = box.y; y < box.br().y && any.x < 0; ++y)
    for (int x = box.x; x < box.br().x; ++x)
      if (labels.at<int>(y, x) == label) {
        any = cv::Point(x, y);
        break;
      }
  auto farthest = [&](const cv::Mat& dist) {
    cv::Point at;
    cv::minMaxLoc(dist, nullptr, nullptr, nullptr, &at);
    return at + box.tl();
  };
  const cv::Mat dist =
      GeodesicFrom(labels, label, box, farthest(GeodesicFrom(labels, label, box, any)));
  std::vector<std::pair<double, cv::Point>> order;
  for (int y = 0; y < dist.rows; ++y)
    for (int x = 0; x < dist.cols; ++x)
      if (dist.at<double>(y, x) >= 0.0)
        order.emplace_back(dist.at<double>(y, x), cv::Point(x, y) + box.tl());
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first < b.first ||
           (a.first == b.first &&
            (a.second.y < b.second.y || (a.second.y == b.second.y && a.second.x < b.second.x)));
  });
  PieceWalk walk;
  for (const auto& [d, p] : order) {
    walk.along.push_back(d);
    walk.points.push_back(p);
  }
  return walk;
}

// The points of `walk` that lie in a straight stretch: a run of it min_length px long (path
// distance) whose ends are at least min_straightness x that length apart. A gently curved hair
// is straight over every such run, a zigzag or a tight curl over none; a hair with one sharp
// bend keeps its two arms.
std::vector<cv::Point> StraightStretches(const PieceWalk& walk, double min_length,
                                         double min_straightness) {
  const size_t n = walk.points.size();
  const std::vector<double>& arc = walk.along;
  const std::vector<cv::Point>& pts = walk.points;
  std::vector<int> cover(n + 1, 0);  // difference array of the straight runs
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    if (j < i) j = i;
    while (j < n && arc[j] - arc[i] < min_length) ++j;
    if (j == n) break;
    if (cv::norm(pts[j] - pts[i]) >= min_straightness * (arc[j] - arc[i])) {
      ++cover[i];
      --cover[j + 1];
    }
  }
  std::vector<cv::Point> out;
  int depth = 0;
  for (size_t i = 0; i < n; ++i) {
    depth += cover[i];
    if (depth > 0) out.push_back(pts[i]);
  }
  return out;
}

// A core's strands: its skeleton, spurs shorter than spur_px pruned, cut at every
// junction (a pixel with 3 or more 0->1 transitions around it, and its 8 neighbours); of each
// piece the straight stretches count (StraightStretches: runs of at least min_length px whose
// ends are at least min_straightness x their length apart; a hair between the hairs that cross
// it; a pigment network's or a furrow net's pieces are short or bent). *core keeps its pixels
// within reach_px of a counted stretch; returns whether any counted.
bool KeepStraightStrands(double min_length, double min_straightness, int reach_px, int spur_px,
                         cv::Mat* core) {
  cv::Mat skeleton;
  skintrack::internal::ThinZhangSuen(*core, &skeleton);
  // Spurs (the thresholded edge's bumps) shorter than spur_px first: end pixels (IsEnd) are
  // removed spur_px times (each strand's ends shorten by as much). Then the junctions: 3 or
  // more 0->1 transitions around the pixel (a staircase's corner pixel has 3 neighbours but 2
  // transitions).
  for (int i = 0; i < spur_px; ++i) skeleton.setTo(0, SkeletonPixels(skeleton, IsEnd));
  cv::Mat junctions = SkeletonPixels(skeleton, [](unsigned p) { return Transitions(p) >= 3; });
  cv::dilate(junctions, junctions, cv::Mat::ones(3, 3, CV_8UC1));
  skeleton.setTo(0, junctions);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(skeleton, labels, stats, centroids, 8, CV_32S);
  cv::Mat kept = cv::Mat::zeros(core->size(), CV_8UC1);
  bool any = false;
  for (int label = 1; label < n; ++label) {
    if (stats.at<int>(label, cv::CC_STAT_AREA) < min_length) continue;
    const cv::Rect box(
        stats.at<int>(label, cv::CC_STAT_LEFT), stats.at<int>(label, cv::CC_STAT_TOP),
        stats.at<int>(label, cv::CC_STAT_WIDTH), stats.at<int>(label, cv::CC_STAT_HEIGHT));
    const PieceWalk walk = WalkPiece(labels, label, box);
    for (const cv::Point& p : StraightStretches(walk, min_length, min_straightness)) {
      kept.at<uchar>(p) = 255;
      any = true;
    }
  }
  if (!any) return false;
  cv::dilate(kept, kept, Disc(reach_px));
  *core &= kept;
  return true;
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
  // contour runs along both sides, so its length is half the perimeter. Faint cores must also
  // be straight (Feret diameter / length).
  const double min_length = options.min_length_mm * ppmm;
  const double max_mean_width = 1.5 * w + 1.0;
  // 4. Each kept core grown by up to ceil(w / 2) px into its soft edges, then dilated by
  // dilate_mm, inside its own box (dilation distributes over the union of the cores).
  const int grow_r = static_cast<int>(std::ceil(w / 2.0));
  const int dilate_r = static_cast<int>(std::lround(options.dilate_mm * ppmm));
  const cv::Rect frame(0, 0, core.cols, core.rows);
  cv::Mat kept = cv::Mat::zeros(core.size(), CV_8UC1);
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
      if (strands && !KeepStraightStrands(min_length, options.strand_min_straightness,
                                          static_cast<int>(std::ceil(0.75 * w)) + 1,
                                          static_cast<int>(std::ceil(w)) + 2, &hair))
        continue;
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
