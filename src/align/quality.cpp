// Content-independent evidence that an alignment is right.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "align/stages.h"

namespace skintrack::align::internal {

double Ncc(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask) {
  CV_Assert(a.type() == CV_32FC1 && b.type() == CV_32FC1 && a.size() == b.size());
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa, mask);
  cv::meanStdDev(b, mb, sb, mask);
  if (sa[0] < 1e-9 || sb[0] < 1e-9) return 0.0;
  cv::Mat prod;
  cv::multiply(a - ma[0], b - mb[0], prod);
  const double cov = cv::mean(prod, mask)[0];
  return cov / (sa[0] * sb[0]);
}

namespace {

cv::Mat Shift(const cv::Mat& img, double dx, double dy) {
  cv::Mat out;
  const cv::Matx23d m(1, 0, dx, 0, 1, dy);
  cv::warpAffine(img, out, m, img.size(), cv::INTER_NEAREST, cv::BORDER_REFLECT);
  return out;
}

// Flow (working px) applied to an image already in the before frame.
cv::Mat ApplyFlow(const cv::Mat& img, const cv::Mat& flow) {
  cv::Mat map(flow.size(), CV_32FC2);
  for (int y = 0; y < flow.rows; ++y) {
    const cv::Vec2f* f = flow.ptr<cv::Vec2f>(y);
    cv::Vec2f* m = map.ptr<cv::Vec2f>(y);
    for (int x = 0; x < flow.cols; ++x) m[x] = cv::Vec2f(x + f[x][0], y + f[x][1]);
  }
  cv::Mat out;
  cv::remap(img, out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return out;
}

// The shift at which the before image stops matching itself inside `mask`: the smallest d
// in [3, 64] px where the band-pass self-NCC at shifts of +-d along x and y all drop below
// 0.2. Shifting the aligned after image by it tests whether the alignment is precise at the
// scale of this image's own structure (texture, lesion edges, vignetting), whatever it is.
int DecorrelationShift(const cv::Mat& bp, const cv::Mat& mask) {
  int last = 3;
  for (int d : {3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64}) {
    last = d;
    const double n = std::max({Ncc(bp, Shift(bp, d, 0), mask), Ncc(bp, Shift(bp, 0, d), mask),
                               Ncc(bp, Shift(bp, -d, 0), mask), Ncc(bp, Shift(bp, 0, -d), mask)});
    if (n < 0.2) break;
  }
  return last;
}

}  // namespace

void MeasureQuality(const WorkingPair& pair, const cv::Matx33d& after_to_before,
                    const cv::Mat& flow, AlignmentResult* result) {
  const cv::Size size = pair.before_bp.size();
  // Unaligned: the after image stretched over the before frame as it is.
  cv::Mat after_resized;
  cv::resize(pair.after_bp, after_resized, size, 0, 0, cv::INTER_AREA);
  result->ncc_unaligned = Ncc(pair.before_bp, after_resized, cv::Mat());

  cv::Mat ones(pair.after_bp.size(), CV_8UC1, cv::Scalar(255)), mask;
  cv::warpPerspective(ones, mask, cv::Mat(after_to_before), size, cv::INTER_NEAREST,
                      cv::BORDER_CONSTANT, 0);
  // Overlap: shared area over the smaller of the two footprints (the before image, the after
  // image mapped into the before frame), so a zoomed-in after photo can still overlap fully.
  const double w = pair.after_bp.cols - 1.0, h = pair.after_bp.rows - 1.0;
  std::vector<cv::Point2f> corners = {{0, 0}, {float(w), 0}, {float(w), float(h)}, {0, float(h)}};
  cv::perspectiveTransform(corners, corners, cv::Mat(after_to_before));
  const double footprint = cv::contourArea(corners);
  const double smaller = std::max(1.0, std::min<double>(size.area(), footprint));
  result->overlap_fraction = std::min(1.0, static_cast<double>(cv::countNonZero(mask)) / smaller);
  cv::erode(mask, mask, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(9, 9)));
  if (cv::countNonZero(mask) < 256) {
    result->ncc_aligned = 0.0;
    result->ncc_shift_ratio = 0.0;
    return;
  }
  cv::Mat warped = WarpWorking(pair.after_bp, after_to_before, size, cv::INTER_LINEAR);
  if (!flow.empty()) warped = ApplyFlow(warped, flow);
  result->ncc_aligned = Ncc(pair.before_bp, warped, mask);
  const double d = DecorrelationShift(pair.before_bp, mask);
  const double shifted = std::max({std::abs(Ncc(pair.before_bp, Shift(warped, d, 0), mask)),
                                   std::abs(Ncc(pair.before_bp, Shift(warped, 0, d), mask)),
                                   std::abs(Ncc(pair.before_bp, Shift(warped, -d, 0), mask)),
                                   std::abs(Ncc(pair.before_bp, Shift(warped, 0, -d), mask))});
  result->ncc_shift_px = d / pair.before_from_full(0, 0);
  result->ncc_shift_ratio = std::min(100.0, result->ncc_aligned / std::max(shifted, 1e-3));
}

}  // namespace skintrack::align::internal
