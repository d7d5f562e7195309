// Automatic skin mask: a CIELAB colour gate on a mildly blurred working copy, morphological
// cleanup, small components dropped and small holes filled, then specular glare removed at
// full resolution.
//
// Definition (all thresholds from SkinMaskOptions):
//  1. Working copy: the image reduced by the integer factor f = ceil(long side / 1024) with
//     area averaging (f x f blocks; a partial last block row/column is dropped), then blurred
//     with a Gaussian of sigma 1 working px.
//  2. Colour gate per working pixel, CIELAB (D65, photometric::SrgbToLab) of the sRGB values:
//       min_l <= L* <= max_l,  C* = hypot(a*, b*) >= min_chroma,  a* <= max_lip_a,
//       a* >= min_a unless the working pixel's sRGB red is >= 250/255 (a clipped red channel
//       understates a*: over-exposed skin would fail the bound),
//       hue h = atan2(b*, a*) in degrees within [min_hue_deg, max_hue_deg] (modulo 360).
//  3. Cleanup: opening then closing with a disc of radius max(1, 0.5 % of the working short
//     side); skin components smaller than min_component_fraction of the image are dropped and
//     non-skin holes (not touching the border) smaller than that are filled.
//  4. Back to full resolution (nearest working pixel; the dropped partial blocks copy their
//     neighbours), then glare removed: full-resolution pixels with L* > glare_l and
//     C* < glare_chroma, dilated by 2 px (5x5 ellipse).
// Invariance: none by design (an absolute colour gate); exposure changes of +-30 % and white
// balance of +-8 % keep typical skin (L* 30-85, hue 30-70 deg, C* 10-40, a* 5-25; a cool
// cast of 8 % lowers a* by ~2) inside the gate, but
// dermoscope colour casts (bluish, or near-neutral C* ~ 4) can fall outside it: widen the
// gate (min_hue_deg, min_chroma, min_a) for such images. The a* bound leaves out a beige
// backdrop and blond/brown hair at neutral white balance; a warm cast (red gain 1.08) lifts
// their a* over it again (tests/roi/skin_mask_test.cpp, the astronaut photo).
#include <algorithm>
#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "skintrack/core/image.h"
#include "skintrack/photometric/color.h"
#include "skintrack/roi/roi.h"

namespace skintrack::roi {
namespace {

constexpr int kWorkLongSide = 1024;      // long side of the working copy, px
constexpr int kGlareDilatePx = 2;        // glare halo added around specular pixels, full-res px
constexpr float kGlareCandidate = 0.8f;  // min sRGB channel below which a pixel cannot be glare
constexpr float kRedClipped = 250.0f / 255.0f;  // sRGB red at or above this may be clipped

bool Finite(double v) { return std::isfinite(v); }

bool HueInRange(double h, double lo, double hi) {
  for (double k : {-360.0, 0.0, 360.0}) {
    if (h + k >= lo && h + k <= hi) return true;
  }
  return false;
}

// Labels of 8-connected components of `binary` (CV_8UC1 0/255) and their areas; sets to
// `value` every component whose area is < min_area (and, when skip_border, that does not touch
// the image border).
void ReplaceSmall(cv::Mat* binary, int min_area, bool skip_border, uchar value) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(*binary, labels, stats, centroids, 8, CV_32S);
  std::vector<uchar> replace(static_cast<size_t>(n), 0);
  bool any = false;
  for (int i = 1; i < n; ++i) {
    const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    const bool border = x == 0 || y == 0 || x + w == binary->cols || y + h == binary->rows;
    if (stats.at<int>(i, cv::CC_STAT_AREA) < min_area && !(skip_border && border)) {
      replace[static_cast<size_t>(i)] = 1;
      any = true;
    }
  }
  if (!any) return;
  for (int y = 0; y < binary->rows; ++y) {
    const int* l = labels.ptr<int>(y);
    uchar* b = binary->ptr<uchar>(y);
    for (int x = 0; x < binary->cols; ++x) {
      if (replace[static_cast<size_t>(l[x])]) b[x] = value;
    }
  }
}

// One parallel pass over the image: the f x f block means (working copy, partial blocks at
// the right / bottom dropped) and the full-resolution glare pixels: L* > glare_l and
// C* < glare_chroma. Only pixels whose three sRGB channels all exceed kGlareCandidate can
// qualify (L* > 80 and near neutral needs all three high), so Lab is evaluated on those only.
void WorkingCopyAndGlare(const cv::Mat& image, int f, const SkinMaskOptions& o, cv::Mat* work,
                         cv::Mat* glare) {
  const int bw = image.cols / f, bh = image.rows / f, groups = (image.rows + f - 1) / f;
  work->create(bh, bw, CV_32FC3);
  *glare = cv::Mat::zeros(image.size(), CV_8UC1);
  std::vector<std::vector<cv::Point>> found(static_cast<size_t>(groups));
  cv::parallel_for_(cv::Range(0, groups), [&](const cv::Range& range) {
    std::vector<float> acc(static_cast<size_t>(3 * bw));
    for (int g = range.start; g < range.end; ++g) {
      std::fill(acc.begin(), acc.end(), 0.f);
      for (int y = g * f; y < std::min(image.rows, (g + 1) * f); ++y) {
        const float* p = image.ptr<float>(y);
        const int cols = image.cols;
        for (int x = 0; x < cols; ++x) {
#if CV_SIMD128
          if (x + 4 <= cols) {  // four pixels at a time: most have no channel that high
            cv::v_float32x4 vb, vg, vr;
            cv::v_load_deinterleave(p + 3 * x, vb, vg, vr);
            const cv::v_float32x4 c = cv::v_setall_f32(kGlareCandidate);
            if (!cv::v_check_any((vb > c) & (vg > c) & (vr > c))) {
              x += 3;
              continue;
            }
          }
#endif
          if (p[3 * x + 1] > kGlareCandidate && p[3 * x] > kGlareCandidate &&
              p[3 * x + 2] > kGlareCandidate)
            found[static_cast<size_t>(g)].emplace_back(x, y);
        }
        for (int bx = 0; bx < bw; ++bx) {
          const float* q = p + 3 * bx * f;
          for (int k = 0; k < f; ++k) {
            acc[static_cast<size_t>(3 * bx)] += q[3 * k];
            acc[static_cast<size_t>(3 * bx + 1)] += q[3 * k + 1];
            acc[static_cast<size_t>(3 * bx + 2)] += q[3 * k + 2];
          }
        }
      }
      if (g >= bh) continue;
      float* out = work->ptr<float>(g);
      const float inv = 1.f / static_cast<float>(f * f);
      for (int i = 0; i < 3 * bw; ++i) out[i] = acc[static_cast<size_t>(i)] * inv;
    }
  });
  std::vector<cv::Point> where;
  for (const auto& v : found) where.insert(where.end(), v.begin(), v.end());
  if (where.empty()) return;
  // One row, so that the conversion runs its vector loop over the candidates.
  cv::Mat candidates(1, static_cast<int>(where.size()), CV_32FC3);
  for (size_t i = 0; i < where.size(); ++i)
    candidates.at<cv::Vec3f>(static_cast<int>(i)) = image.at<cv::Vec3f>(where[i]);
  const cv::Mat lab = photometric::SrgbToLab(candidates);
  for (size_t i = 0; i < where.size(); ++i) {
    const cv::Vec3f v = lab.at<cv::Vec3f>(static_cast<int>(i));
    if (v[0] > o.glare_l && std::hypot(v[1], v[2]) < o.glare_chroma)
      glare->at<uchar>(where[i]) = 255;
  }
  // Dilate only around the candidates found.
  const cv::Rect area =
      (cv::boundingRect(where) + cv::Size(2 * kGlareDilatePx, 2 * kGlareDilatePx) -
       cv::Point(kGlareDilatePx, kGlareDilatePx)) &
      cv::Rect(0, 0, image.cols, image.rows);
  cv::Mat part = (*glare)(area);
  cv::dilate(part, part,
             cv::getStructuringElement(cv::MORPH_ELLIPSE,
                                       cv::Size(2 * kGlareDilatePx + 1, 2 * kGlareDilatePx + 1)),
             cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
}

}  // namespace

Status SkinMaskOptions::Check() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("SkinMaskOptions." + m); };
  for (double v : {min_l, max_l, min_hue_deg, max_hue_deg, min_chroma, max_lip_a, min_a, glare_l,
                   glare_chroma, min_component_fraction}) {
    if (!Finite(v)) return bad("fields must be finite");
  }
  if (!(min_l >= 0.0 && min_l < max_l && max_l <= 100.0))
    return bad("min_l/max_l: need 0 <= min_l < max_l <= 100");
  if (!(min_hue_deg >= -360.0 && min_hue_deg < max_hue_deg && max_hue_deg - min_hue_deg <= 360.0 &&
        max_hue_deg <= 360.0))
    return bad("min_hue_deg/max_hue_deg: need min < max, within [-360, 360], span <= 360");
  if (!(min_chroma >= 0.0)) return bad("min_chroma must be >= 0");
  if (!(max_lip_a > 0.0)) return bad("max_lip_a must be > 0");
  if (!(min_a < max_lip_a)) return bad("min_a must be < max_lip_a");
  if (!(glare_l >= 0.0 && glare_l <= 100.0)) return bad("glare_l must be in [0, 100]");
  if (!(glare_chroma >= 0.0)) return bad("glare_chroma must be >= 0");
  if (!(min_component_fraction >= 0.0 && min_component_fraction < 1.0))
    return bad("min_component_fraction must be in [0, 1)");
  return Status::Ok();
}

Status SkinMask(const cv::Mat& image, const SkinMaskOptions& options, cv::Mat* mask) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (image.type() != kImageType || image.rows < 16 || image.cols < 16)
    return Status::InvalidArgument("SkinMask: image must be CV_32FC3 and >= 16 px on a side");
  if (mask == nullptr) return Status::InvalidArgument("SkinMask: mask is null");

  // 1. Working copy.
  const int long_side = std::max(image.cols, image.rows);
  const int f = (long_side + kWorkLongSide - 1) / kWorkLongSide;
  cv::Mat work, glare;
  WorkingCopyAndGlare(image, f, options, &work, &glare);
  cv::GaussianBlur(work, work, cv::Size(), 1.0, 1.0, cv::BORDER_REFLECT);
  const cv::Mat lab = photometric::SrgbToLab(work);

  // 2. Colour gate.
  cv::Mat skin(work.size(), CV_8UC1);
  constexpr double kDeg = 180.0 / 3.14159265358979323846;
  for (int y = 0; y < lab.rows; ++y) {
    const cv::Vec3f* p = lab.ptr<cv::Vec3f>(y);
    const cv::Vec3f* w = work.ptr<cv::Vec3f>(y);
    uchar* s = skin.ptr<uchar>(y);
    for (int x = 0; x < lab.cols; ++x) {
      const double l = p[x][0], a = p[x][1], b = p[x][2];
      // A clipped red channel understates a*: the redness bound is not applied there.
      const bool red_clipped = w[x][2] >= kRedClipped;
      const bool in = l >= options.min_l && l <= options.max_l && a <= options.max_lip_a &&
                      (red_clipped || a >= options.min_a) &&
                      std::hypot(a, b) >= options.min_chroma &&
                      HueInRange(std::atan2(b, a) * kDeg, options.min_hue_deg, options.max_hue_deg);
      s[x] = in ? 255 : 0;
    }
  }

  // 3. Cleanup.
  const int r = std::max(1, static_cast<int>(std::lround(0.005 * std::min(work.cols, work.rows))));
  const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
  cv::morphologyEx(skin, skin, cv::MORPH_OPEN, disc, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  cv::morphologyEx(skin, skin, cv::MORPH_CLOSE, disc, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  const int min_area = static_cast<int>(
      std::ceil(options.min_component_fraction * static_cast<double>(skin.total())));
  if (min_area > 1) {
    ReplaceSmall(&skin, min_area, false, 0);  // small skin islands
    cv::Mat holes = ~skin;
    ReplaceSmall(&holes, min_area, true, 0);  // small enclosed non-skin holes
    skin = ~holes;
  }

  // 4. Full resolution, minus glare.
  if (f > 1) {
    cv::Mat full;
    cv::resize(skin, full, cv::Size(skin.cols * f, skin.rows * f), 0, 0, cv::INTER_NEAREST);
    cv::copyMakeBorder(full, skin, 0, image.rows - full.rows, 0, image.cols - full.cols,
                       cv::BORDER_REPLICATE);
  }
  skin.setTo(0, glare);
  *mask = skin;
  return Status::Ok();
}

}  // namespace skintrack::roi
