// Applying an alignment: point mapping and image warping (global + non-rigid residual).
#include <cmath>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "align/fast_remap.h"
#include "skintrack/align/align.h"

namespace skintrack::align {
namespace {

cv::Point2d ApplyH(const cv::Matx33d& h, double x, double y) {
  const double w = h(2, 0) * x + h(2, 1) * y + h(2, 2);
  return {(h(0, 0) * x + h(0, 1) * y + h(0, 2)) / w, (h(1, 0) * x + h(1, 1) * y + h(1, 2)) / w};
}

// Bilinear sample of a CV_32FC2 field at (x, y), clamped to the border.
cv::Vec2f SampleFlow(const cv::Mat& flow, double x, double y) {
  x = std::min(std::max(x, 0.0), flow.cols - 1.0);
  y = std::min(std::max(y, 0.0), flow.rows - 1.0);
  const int x0 = std::min(static_cast<int>(x), flow.cols - 2 < 0 ? 0 : flow.cols - 2);
  const int y0 = std::min(static_cast<int>(y), flow.rows - 2 < 0 ? 0 : flow.rows - 2);
  const int x1 = std::min(x0 + 1, flow.cols - 1), y1 = std::min(y0 + 1, flow.rows - 1);
  const float fx = static_cast<float>(x - x0), fy = static_cast<float>(y - y0);
  const cv::Vec2f a = flow.at<cv::Vec2f>(y0, x0), b = flow.at<cv::Vec2f>(y0, x1),
                  c = flow.at<cv::Vec2f>(y1, x0), d = flow.at<cv::Vec2f>(y1, x1);
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

}  // namespace

cv::Point2d BeforeToAfter(const AlignmentResult& result, const cv::Point2d& p) {
  const cv::Matx33d inv = result.after_to_before.inv();
  cv::Point2d q = p;
  if (result.nonrigid_used && !result.flow.empty()) {
    const double s = result.before_scale;
    const cv::Vec2f f = SampleFlow(result.flow, (p.x + 0.5) * s - 0.5, (p.y + 0.5) * s - 0.5);
    q += cv::Point2d(f[0] / s, f[1] / s);
  }
  return ApplyH(inv, q.x, q.y);
}

namespace {

// The before -> after mapping, before p -> after H^-1(p + f(p) / s) with the flow f upsampled
// to full size (CV_32FC2 of before_size), and with it the overlap (when asked): where the
// nearest after pixel (rounded as cv::remap's INTER_NEAREST rounds) lies inside the after
// image.
void BuildMap(cv::Size after_size, const AlignmentResult& result, cv::Size before_size,
              cv::Mat* map, cv::Mat* overlap_mask) {
  const bool nonrigid = result.nonrigid_used && !result.flow.empty();
  cv::Mat flow_full;
  if (nonrigid) cv::resize(result.flow, flow_full, before_size, 0, 0, cv::INTER_LINEAR);
  const double inv_s = 1.0 / result.before_scale;
  const cv::Matx33d h = result.after_to_before.inv();
  map->create(before_size, CV_32FC2);
  if (overlap_mask) overlap_mask->create(before_size, CV_8UC1);
  cv::parallel_for_(cv::Range(0, before_size.height), [&](const cv::Range& rows) {
    for (int y = rows.start; y < rows.end; ++y) {
      const cv::Vec2f* f = nonrigid ? flow_full.ptr<cv::Vec2f>(y) : nullptr;
      cv::Vec2f* m = map->ptr<cv::Vec2f>(y);
      uchar* o = overlap_mask ? overlap_mask->ptr<uchar>(y) : nullptr;
      for (int x = 0; x < before_size.width; ++x) {
        const cv::Point2d q =
            f ? ApplyH(h, x + f[x][0] * inv_s, y + f[x][1] * inv_s) : ApplyH(h, x, y);
        m[x] = cv::Vec2f(static_cast<float>(q.x), static_cast<float>(q.y));
        if (o) {
          const bool finite = std::abs(m[x][0]) < 1e9f && std::abs(m[x][1]) < 1e9f;
          const int ix = finite ? cvRound(m[x][0]) : -1, iy = finite ? cvRound(m[x][1]) : -1;
          o[x] = (ix >= 0 && iy >= 0 && ix < after_size.width && iy < after_size.height) ? 255 : 0;
        }
      }
    }
  });
}

// Lanczos on the internal form: the project's vectorised remap (OpenCV's is a scalar loop for
// this kernel, 2x slower; its bicubic is as fast as the project's was, and is kept).
void Remap(const cv::Mat& after, const cv::Mat& map, int interpolation, cv::Mat* out) {
  if (interpolation == cv::INTER_LANCZOS4 &&
      (after.type() == CV_32FC3 || after.type() == CV_32FC1)) {
    internal::RemapLanczos4(after, map, out);
  } else {
    cv::remap(after, *out, map, cv::noArray(), interpolation, cv::BORDER_CONSTANT, 0);
  }
}

Status CheckWarpInputs(const cv::Mat& after, cv::Size before_size) {
  if (after.empty()) return Status::InvalidArgument("warp: after image is empty");
  if (before_size.width <= 0 || before_size.height <= 0)
    return Status::InvalidArgument("warp: before size is empty");
  return Status::Ok();
}

}  // namespace

Status WarpAfterToBefore(const cv::Mat& after, const AlignmentResult& result, cv::Size before_size,
                         cv::Mat* aligned, cv::Mat* overlap_mask, int interpolation) {
  SKINTRACK_RETURN_IF_ERROR(CheckWarpInputs(after, before_size));
  const bool nonrigid = result.nonrigid_used && !result.flow.empty();
  const bool own_lanczos =
      interpolation == cv::INTER_LANCZOS4 && (after.type() == CV_32FC3 || after.type() == CV_32FC1);
  if (!nonrigid && !own_lanczos) {
    if (aligned)
      cv::warpPerspective(after, *aligned, cv::Mat(result.after_to_before), before_size,
                          interpolation, cv::BORDER_CONSTANT, 0);
    if (overlap_mask)
      cv::warpPerspective(cv::Mat(after.size(), CV_8UC1, cv::Scalar(255)), *overlap_mask,
                          cv::Mat(result.after_to_before), before_size, cv::INTER_NEAREST,
                          cv::BORDER_CONSTANT, 0);
    return Status::Ok();
  }
  cv::Mat map;
  BuildMap(after.size(), result, before_size, &map, overlap_mask);
  if (aligned) Remap(after, map, interpolation, aligned);
  return Status::Ok();
}

Status WarpAfterToBefore(const std::vector<cv::Mat>& afters, const AlignmentResult& result,
                         cv::Size before_size, const std::vector<int>& interpolations,
                         std::vector<cv::Mat>* aligned, cv::Mat* overlap_mask) {
  if (aligned == nullptr) return Status::InvalidArgument("warp: aligned output is null");
  if (afters.empty() || afters.size() != interpolations.size())
    return Status::InvalidArgument("warp: need one interpolation per after image");
  for (const cv::Mat& a : afters) {
    SKINTRACK_RETURN_IF_ERROR(CheckWarpInputs(a, before_size));
    if (a.size() != afters[0].size())
      return Status::InvalidArgument("warp: the after images differ in size");
  }
  cv::Mat map;
  BuildMap(afters[0].size(), result, before_size, &map, overlap_mask);
  aligned->assign(interpolations.size(), cv::Mat());
  for (size_t i = 0; i < interpolations.size(); ++i)
    Remap(afters[i], map, interpolations[i], &(*aligned)[i]);
  return Status::Ok();
}

Status WarpAfterToBefore(const cv::Mat& after, const AlignmentResult& result, cv::Size before_size,
                         const std::vector<int>& interpolations, std::vector<cv::Mat>* aligned,
                         cv::Mat* overlap_mask) {
  return WarpAfterToBefore(std::vector<cv::Mat>(interpolations.size(), after), result, before_size,
                           interpolations, aligned, overlap_mask);
}

cv::Mat FillExcluded(const cv::Mat& image, const cv::Mat& exclude) {
  if (exclude.empty() || image.empty()) return image;
  cv::Mat mask = exclude;
  if (mask.size() != image.size()) cv::resize(exclude, mask, image.size(), 0, 0, cv::INTER_NEAREST);
  if (cv::countNonZero(mask) == 0) return image;
  cv::Mat ring;
  const int r = std::max(3, std::max(image.cols, image.rows) / 100);
  cv::dilate(mask, ring,
             cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
  ring &= ~mask;
  const cv::Scalar fill = cv::countNonZero(ring) > 0 ? cv::mean(image, ring) : cv::mean(image);
  cv::Mat out = image.clone();
  out.setTo(fill, mask);
  return out;
}

}  // namespace skintrack::align
