#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "align/stages.h"
#include "skintrack/photometric/bandpass.h"
#include "skintrack/photometric/color.h"

namespace skintrack::align::internal {

cv::Matx33d ScaleTransform(double s) { return ScaleTransform(s, s); }

cv::Matx33d ScaleTransform(double sx, double sy) {
  // x_work = (x_full + 0.5) * s - 0.5: the resampling that cv::resize performs.
  return cv::Matx33d(sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1);
}

namespace {

// Linear luminance at working size, and the scale used.
cv::Mat WorkingLuminance(const cv::Mat& image, int long_side, double* scale) {
  const int side = std::max(image.cols, image.rows);
  *scale = side > long_side ? static_cast<double>(long_side) / side : 1.0;
  cv::Mat resized = image;
  if (*scale < 1.0) {
    const cv::Size size(std::max(1, static_cast<int>(std::lround(image.cols * *scale))),
                        std::max(1, static_cast<int>(std::lround(image.rows * *scale))));
    cv::resize(image, resized, size, 0, 0, cv::INTER_AREA);
    // The exact scale per axis differs slightly from *scale after rounding; use x's.
    *scale = static_cast<double>(size.width) / image.cols;
  }
  return photometric::SrgbToLinearLuminance(resized);
}

}  // namespace

WorkingPair MakeWorkingPair(const cv::Mat& before, const cv::Mat& after,
                            const AlignOptions& options) {
  WorkingPair pair;
  double scales[2] = {1.0, 1.0};
  // Soft-clipped at 3 robust sd: texture stays linear, strong edges lose their dominance.
  constexpr double kClip = 3.0;
  // ECC's inner sigma (features, flow and the quality measures use the default 0.7 px).
  constexpr double kEccSigmaLoPx = 1.5;
  // One image per core; each image's steps are serial inside (results do not depend on it).
  cv::parallel_for_(cv::Range(0, 2), [&](const cv::Range& r) {
    for (int i = r.start; i < r.end; ++i) {
      const cv::Mat y =
          WorkingLuminance(i == 0 ? before : after, options.working_long_side, &scales[i]);
      photometric::BandpassOptions bp;
      cv::Mat& out_bp = i == 0 ? pair.before_bp : pair.after_bp;
      cv::Mat& out_ecc = i == 0 ? pair.before_bp_ecc : pair.after_bp_ecc;
      cv::Mat& out_8u = i == 0 ? pair.before_8u : pair.after_8u;
      out_bp = photometric::SoftClip(photometric::BandpassLogLuminance(y, bp), kClip);
      bp.sigma_lo_px = kEccSigmaLoPx;
      out_ecc = photometric::SoftClip(photometric::BandpassLogLuminance(y, bp), kClip);
      out_8u = photometric::BandpassTo8u(out_bp);
    }
  });
  pair.before_from_full = ScaleTransform(scales[0]);
  pair.after_from_full = ScaleTransform(scales[1]);
  return pair;
}

cv::Mat WarpWorking(const cv::Mat& after_img, const cv::Matx33d& after_to_before,
                    cv::Size before_size, int interpolation) {
  cv::Mat out;
  cv::warpPerspective(after_img, out, cv::Mat(after_to_before), before_size, interpolation,
                      cv::BORDER_CONSTANT, 0);
  return out;
}

}  // namespace skintrack::align::internal
