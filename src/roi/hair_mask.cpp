// Hair mask: thin, long, dark and sharp curvilinear structures.
//
// Definition (lengths from HairOptions, converted with px_per_mm; w = max_width_mm in px):
//  1. Linear luminance Y of the image (Rec. 709). When w > 8 px the image is first reduced
//     by an integer factor f = floor(w / 4) with area averaging (hairs stay >= 4 px wide).
//  2. Weber darkness against a closing: D = (C - Y) / (C + 0.01), C = morphological closing of
//     Y with a disc of radius ceil(w / 2) + 1 px (the local background with every structure
//     narrower than w removed; the offset 0.01 keeps near-black vignetting from turning noise
//     into contrast). D is a black-hat in Weber units: a hair of darkness c reads c on its
//     centre line, a broad dark region (lesion, shadow) reads ~0, and a shallow wrinkle reads at
//     most its own Weber depth (< 0.2), below min_contrast.
//  3. Cores: 8-connected components of D >= min_contrast. A core is a hair when its skeleton
//     (Zhang-Suen thinning) is at least min_length_mm long (links weighted 1 or sqrt 2) and
//     its mean width area / length is at most 1.5 w + 1 px (thin).
//  4. Hair pixels: the kept cores, grown by up to ceil(w / 2) px into pixels with
//     D >= min_contrast / 2 (the soft edges of the hair), then dilated by dilate_mm.
// Invariance: D is a ratio of linear luminances at the same place, so exposure, white balance
// (through Y) and smooth side light do not change it.
#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>
#include "/tmp/m1prof/prof.h"
#include <opencv2/ximgproc.hpp>

#include "skintrack/core/image.h"
#include "skintrack/photometric/bandpass.h"
#include "skintrack/roi/roi.h"

namespace skintrack::roi {
namespace {

constexpr double kYOffset = 0.01;     // added to the background in the Weber ratio
constexpr double kMaxWorkWidthPx = 8.0;  // above this hair width the image is reduced

cv::Mat Disc(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
}

// Skeleton length of a binary crop (CV_8UC1 0/255), px: 8-connected links between skeleton
// pixels, weighted 1 (axial) or sqrt(2) (diagonal), each link counted once.
double SkeletonLength(const cv::Mat& binary) {
  cv::Mat padded, skel;
  cv::copyMakeBorder(binary, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::ximgproc::thinning(padded, skel, cv::ximgproc::THINNING_ZHANGSUEN);
  double length = 0.0;
  int count = 0;
  for (int y = 1; y + 1 < skel.rows; ++y) {
    const uchar* row = skel.ptr<uchar>(y);
    const uchar* below = skel.ptr<uchar>(y + 1);
    for (int x = 1; x + 1 < skel.cols; ++x) {
      if (!row[x]) continue;
      ++count;
      const bool right = row[x + 1] != 0, down = below[x] != 0;
      length += (right ? 1.0 : 0.0) + (down ? 1.0 : 0.0);
      // A diagonal link only when no axial path already joins the two pixels.
      if (below[x + 1] && !right && !down) length += std::sqrt(2.0);
      if (below[x - 1] && !row[x - 1] && !down) length += std::sqrt(2.0);
    }
  }
  return count > 0 ? std::max(length, 1.0) : 0.0;
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
  return Status::Ok();
}

Status HairMask(const cv::Mat& image, double px_per_mm, const HairOptions& options,
                cv::Mat* mask) {
  TmpProf prof_("HairMask");
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  SKINTRACK_RETURN_IF_ERROR(CheckImage(image, kImageType, 16, "HairMask: image"));
  if (!(std::isfinite(px_per_mm) && px_per_mm > 0.0 && px_per_mm < 1e5))
    return Status::InvalidArgument("HairMask: px_per_mm must be in (0, 1e5)");
  if (mask == nullptr) return Status::InvalidArgument("HairMask: mask is null");

  prof_.Lap("// 1. Luminanc");
  // 1. Luminance at the working scale.
  const double width_full = options.max_width_mm * px_per_mm;
  const int f = width_full > kMaxWorkWidthPx ? static_cast<int>(std::floor(width_full / 4.0)) : 1;
  cv::Mat y = photometric::LuminanceOf(image);
  if (f > 1) cv::resize(y, y, cv::Size(), 1.0 / f, 1.0 / f, cv::INTER_AREA);
  const double ppmm = px_per_mm * y.cols / image.cols;
  const double w = options.max_width_mm * ppmm;

  prof_.Lap("// 2. Weber");
  // 2. Weber darkness against the closing.
  const int close_r = static_cast<int>(std::ceil(w / 2.0)) + 1;
  cv::Mat closed;
  cv::morphologyEx(y, closed, cv::MORPH_CLOSE, Disc(close_r), cv::Point(-1, -1), 1,
                   cv::BORDER_REPLICATE);
  prof_.Lap("cv::Mat darkne");
  cv::Mat darkness = (closed - y) / (closed + kYOffset);

  prof_.Lap("// 3. Cores");
  // 3. Cores kept by skeleton length and mean width.
  const cv::Mat core = darkness >= options.min_contrast;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(core, labels, stats, centroids, 8, CV_32S);
  const double min_length = options.min_length_mm * ppmm;
  const double max_mean_width = 1.5 * w + 1.0;
  prof_.Lap("cv::Mat kept =");
  cv::Mat kept = cv::Mat::zeros(y.size(), CV_8UC1);
  for (int i = 1; i < n; ++i) {
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    const double area = stats.at<int>(i, cv::CC_STAT_AREA);
    // Cheap rejections: a curve of length L spans at least ~L / 2 and has area <= L * width.
    if (std::hypot(box.width, box.height) < 0.5 * min_length) continue;
    if (area < 0.5 * min_length) continue;
    const cv::Mat component = labels(box) == i;
    const double length = SkeletonLength(component);
    if (length < min_length || area > max_mean_width * length) continue;
    kept(box).setTo(255, component);
  }

  prof_.Lap("// 4. Soft");
  // 4. Soft edges and margin.
  const int grow_r = static_cast<int>(std::ceil(w / 2.0));
  if (cv::countNonZero(kept) > 0 && grow_r > 0) {
    cv::Mat reach;
    cv::dilate(kept, reach, Disc(grow_r));
    kept |= reach & (darkness >= 0.5 * options.min_contrast);
  }
  prof_.Lap("const int dila");
  const int dilate_r = static_cast<int>(std::lround(options.dilate_mm * ppmm));
  if (dilate_r > 0) cv::dilate(kept, kept, Disc(dilate_r));
  if (f > 1) {
    cv::resize(kept, kept, image.size(), 0, 0, cv::INTER_LINEAR);
    cv::threshold(kept, kept, 0, 255, cv::THRESH_BINARY);
  }
  prof_.Lap("*mask = kept");
  *mask = kept;
  return Status::Ok();
}

}  // namespace skintrack::roi
