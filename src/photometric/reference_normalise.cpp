// Per-channel gains fitted on an unchanged reference region. See reference_normalise.h.
#include "skintrack/photometric/reference_normalise.h"

#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

#include "skintrack/core/image.h"
#include "skintrack/photometric/color.h"

namespace skintrack::photometric {

Status ReferenceNormaliseOptions::Check() const {
  if (!(clip_level > 0.5 && clip_level <= 1.0))
    return Status::InvalidArgument(
        "ReferenceNormaliseOptions.clip_level must be in (0.5, 1], got " +
        std::to_string(clip_level));
  if (!(dark_level >= 0.0 && dark_level < 0.5))
    return Status::InvalidArgument(
        "ReferenceNormaliseOptions.dark_level must be in [0, 0.5), got " +
        std::to_string(dark_level));
  if (min_pixels < 1)
    return Status::InvalidArgument("ReferenceNormaliseOptions.min_pixels must be >= 1, got " +
                                   std::to_string(min_pixels));
  return Status::Ok();
}

namespace {

// Non-zero where every channel of `srgb` is below clip and of `linear` at least dark.
cv::Mat Usable(const cv::Mat& srgb, const cv::Mat& linear, double clip, double dark) {
  std::vector<cv::Mat> s, l;
  cv::split(srgb, s);
  cv::split(linear, l);
  cv::Mat ok = (s[0] < clip) & (s[1] < clip) & (s[2] < clip);
  return ok & (l[0] >= dark) & (l[1] >= dark) & (l[2] >= dark);
}

}  // namespace

Status NormaliseToReference(const cv::Mat& before, const cv::Mat& aligned_after,
                            const cv::Mat& reference_roi, const cv::Mat& after_valid,
                            const ReferenceNormaliseOptions& options,
                            ReferenceNormalisation* result) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (result == nullptr) return Status::InvalidArgument("NormaliseToReference: result is null");
  *result = ReferenceNormalisation();
  SKINTRACK_RETURN_IF_ERROR(CheckImage(before, kImageType, 1, "reference normalisation: before"));
  SKINTRACK_RETURN_IF_ERROR(
      CheckImage(aligned_after, kImageType, 1, "reference normalisation: aligned after"));
  if (aligned_after.size() != before.size())
    return Status::InvalidInput(
        "reference normalisation: aligned after photo size differs "
        "from the before photo");
  if (reference_roi.type() != CV_8UC1 || reference_roi.size() != before.size())
    return Status::InvalidInput(
        "reference normalisation: reference ROI must be CV_8UC1 of the before photo's size");
  if (!after_valid.empty() &&
      (after_valid.type() != CV_8UC1 || after_valid.size() != before.size()))
    return Status::InvalidInput(
        "reference normalisation: after-valid mask must be CV_8UC1 of the before photo's size");

  const cv::Mat lb = SrgbToLinear(before), la = SrgbToLinear(aligned_after);
  cv::Mat use = (reference_roi != 0) & Usable(before, lb, options.clip_level, options.dark_level) &
                Usable(aligned_after, la, options.clip_level, options.dark_level);
  if (!after_valid.empty()) use &= (after_valid != 0);
  result->pixels_used = cv::countNonZero(use);
  if (result->pixels_used < options.min_pixels) {
    std::ostringstream m;
    m << "reference normalisation: " << result->pixels_used
      << " usable reference pixels (in the ROI, overlap, not clipped or black), fewer than "
      << options.min_pixels;
    return Status::InvalidInput(m.str());
  }
  // Sums in double (cv::sum accumulates in double).
  cv::Mat lb_masked = lb.clone(), la_masked = la.clone();
  lb_masked.setTo(cv::Scalar::all(0), ~use);
  la_masked.setTo(cv::Scalar::all(0), ~use);
  const cv::Scalar sb = cv::sum(lb_masked), sa = cv::sum(la_masked);
  for (int c = 0; c < 3; ++c) {
    if (!(sa[c] > 0.0))
      return Status::InvalidInput("reference normalisation: after photo black on the reference");
    result->gains_bgr[c] = sb[c] / sa[c];
  }
  cv::Mat scaled;
  cv::multiply(la, cv::Scalar(result->gains_bgr[0], result->gains_bgr[1], result->gains_bgr[2]),
               scaled);
  result->after = LinearToSrgb(scaled);
  std::ostringstream m;
  m.precision(4);
  m << "reference-normalised: linear gains B " << result->gains_bgr[0] << ", G "
    << result->gains_bgr[1] << ", R " << result->gains_bgr[2] << " on " << result->pixels_used
    << " reference px";
  result->message = m.str();
  return Status::Ok();
}

}  // namespace skintrack::photometric
