// Automatic skin mask: a CIELAB colour gate on a mildly blurred working copy, morphological
// cleanup, small components dropped and small holes filled, then specular glare removed at
// full resolution.
//
// Definition (all thresholds from SkinMaskOptions):
//  1. Working copy: the image reduced with area averaging so that its long side is at most
//     kWorkLongSide px (never enlarged), then blurred with a Gaussian of sigma 1 working px.
//  2. Colour gate per working pixel, OpenCV float CIELAB (D65) of the sRGB values:
//       min_l <= L* <= max_l,  C* = hypot(a*, b*) >= min_chroma,  a* <= max_lip_a,
//       hue h = atan2(b*, a*) in degrees within [min_hue_deg, max_hue_deg] (modulo 360).
//  3. Cleanup: opening then closing with a disc of radius max(1, 0.5 % of the working short
//     side); skin components smaller than min_component_fraction of the image are dropped and
//     non-skin holes (not touching the border) smaller than that are filled.
//  4. Back to full resolution (bilinear, threshold at half), then glare removed: full-resolution
//     pixels with L* > glare_l and C* < glare_chroma, dilated by kGlareDilatePx px.
// Invariance: none by design (an absolute colour gate); exposure changes of +-30 % and white
// balance of +-8 % move typical skin (L* 30-85, hue 30-70 deg, C* 10-40) well inside the gate.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>
#include "/tmp/m1prof/prof.h"

#include "skintrack/core/image.h"
#include "skintrack/roi/roi.h"

namespace skintrack::roi {
namespace {

constexpr int kWorkLongSide = 1024;     // long side of the working copy, px
constexpr int kGlareDilatePx = 2;       // glare halo added around specular pixels, full-res px
constexpr float kGlareCandidate = 0.8f;  // min sRGB channel below which a pixel cannot be glare

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

// Full-resolution glare: L* > glare_l and C* < glare_chroma. Only pixels whose smallest sRGB
// channel exceeds kGlareCandidate can qualify (L* > 80 and near neutral needs all three high),
// so Lab is evaluated on those few pixels only.
cv::Mat GlareMask(const cv::Mat& image, const SkinMaskOptions& o) {
  cv::Mat glare = cv::Mat::zeros(image.size(), CV_8UC1);
  std::vector<cv::Point> where;
  for (int y = 0; y < image.rows; ++y) {
    const cv::Vec3f* p = image.ptr<cv::Vec3f>(y);
    for (int x = 0; x < image.cols; ++x) {
      if (std::min(p[x][0], std::min(p[x][1], p[x][2])) > kGlareCandidate) where.emplace_back(x, y);
    }
  }
  if (where.empty()) return glare;
  cv::Mat candidates(static_cast<int>(where.size()), 1, CV_32FC3), lab;
  for (size_t i = 0; i < where.size(); ++i)
    candidates.at<cv::Vec3f>(static_cast<int>(i)) = image.at<cv::Vec3f>(where[i]);
  cv::cvtColor(candidates, lab, cv::COLOR_BGR2Lab);
  for (size_t i = 0; i < where.size(); ++i) {
    const cv::Vec3f v = lab.at<cv::Vec3f>(static_cast<int>(i));
    if (v[0] > o.glare_l && std::hypot(v[1], v[2]) < o.glare_chroma) glare.at<uchar>(where[i]) = 255;
  }
  cv::dilate(glare, glare,
             cv::getStructuringElement(cv::MORPH_ELLIPSE,
                                       cv::Size(2 * kGlareDilatePx + 1, 2 * kGlareDilatePx + 1)));
  return glare;
}

}  // namespace

Status SkinMaskOptions::Check() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("SkinMaskOptions." + m); };
  for (double v : {min_l, max_l, min_hue_deg, max_hue_deg, min_chroma, max_lip_a, glare_l,
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
  if (!(glare_l >= 0.0 && glare_l <= 100.0)) return bad("glare_l must be in [0, 100]");
  if (!(glare_chroma >= 0.0)) return bad("glare_chroma must be >= 0");
  if (!(min_component_fraction >= 0.0 && min_component_fraction < 1.0))
    return bad("min_component_fraction must be in [0, 1)");
  return Status::Ok();
}

Status SkinMask(const cv::Mat& image, const SkinMaskOptions& options, cv::Mat* mask) {
  TmpProf prof_("SkinMask");
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  SKINTRACK_RETURN_IF_ERROR(CheckImage(image, kImageType, 16, "SkinMask: image"));
  if (mask == nullptr) return Status::InvalidArgument("SkinMask: mask is null");

  prof_.Lap("// 1. Working");
  // 1. Working copy.
  const int long_side = std::max(image.cols, image.rows);
  const double scale = std::min(1.0, static_cast<double>(kWorkLongSide) / long_side);
  cv::Mat work;
  if (scale < 1.0) {
    cv::resize(image, work, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    work = image.clone();
  }
  cv::GaussianBlur(work, work, cv::Size(), 1.0, 1.0, cv::BORDER_REFLECT);
  prof_.Lap("cv::Mat lab;");
  cv::Mat lab;
  cv::cvtColor(work, lab, cv::COLOR_BGR2Lab);

  prof_.Lap("// 2. Colour");
  // 2. Colour gate.
  cv::Mat skin(work.size(), CV_8UC1);
  constexpr double kDeg = 180.0 / 3.14159265358979323846;
  for (int y = 0; y < lab.rows; ++y) {
    const cv::Vec3f* p = lab.ptr<cv::Vec3f>(y);
    uchar* s = skin.ptr<uchar>(y);
    for (int x = 0; x < lab.cols; ++x) {
      const double l = p[x][0], a = p[x][1], b = p[x][2];
      const bool in = l >= options.min_l && l <= options.max_l && a <= options.max_lip_a &&
                      std::hypot(a, b) >= options.min_chroma &&
                      HueInRange(std::atan2(b, a) * kDeg, options.min_hue_deg, options.max_hue_deg);
      s[x] = in ? 255 : 0;
    }
  }

  prof_.Lap("// 3. Cleanup");
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

  prof_.Lap("// 4. Full");
  // 4. Full resolution, minus glare.
  if (skin.size() != image.size()) {
    cv::resize(skin, skin, image.size(), 0, 0, cv::INTER_LINEAR);
    cv::threshold(skin, skin, 127, 255, cv::THRESH_BINARY);
  }
  prof_.Lap("skin.setTo(0");
  skin.setTo(0, GlareMask(image, options));
  prof_.Lap("*mask = skin");
  *mask = skin;
  return Status::Ok();
}

}  // namespace skintrack::roi
