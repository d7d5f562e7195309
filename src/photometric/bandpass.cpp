#include "skintrack/photometric/bandpass.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/photometric/color.h"

namespace skintrack::photometric {

Status BandpassOptions::Check() const {
  if (!(sigma_lo_px >= 0.0 && sigma_lo_px < 50.0)) {
    return Status::InvalidArgument("bandpass: sigma_lo_px must be in [0, 50)");
  }
  if (!(sigma_hi_fraction > 0.0 && sigma_hi_fraction <= 0.5)) {
    return Status::InvalidArgument("bandpass: sigma_hi_fraction must be in (0, 0.5]");
  }
  if (!(log_offset > 0.0 && log_offset < 1.0)) {
    return Status::InvalidArgument("bandpass: log_offset must be in (0, 1)");
  }
  return Status::Ok();
}

cv::Mat LuminanceOf(const cv::Mat& image) {
  CV_Assert(image.type() == CV_32FC3);
  return SrgbToLinearLuminance(image);
}

cv::Mat BandpassLogLuminance(const cv::Mat& linear_y, const BandpassOptions& options) {
  CV_Assert(linear_y.type() == CV_32FC1);
  cv::Mat log_y;
  cv::log(linear_y + options.log_offset, log_y);
  const double sigma_hi =
      std::max(2.0, options.sigma_hi_fraction * std::max(linear_y.cols, linear_y.rows));
  cv::Mat lo = log_y, hi;
  if (options.sigma_lo_px > 0.0) {
    cv::GaussianBlur(log_y, lo, cv::Size(), options.sigma_lo_px, options.sigma_lo_px,
                     cv::BORDER_REFLECT);
  }
  // The coarse blur is done at reduced resolution: it only carries the lighting field.
  const double factor = std::max(1.0, sigma_hi / 8.0);
  if (factor > 2.0) {
    cv::Mat small;
    cv::resize(log_y, small, cv::Size(), 1.0 / factor, 1.0 / factor, cv::INTER_AREA);
    cv::GaussianBlur(small, small, cv::Size(), sigma_hi / factor, sigma_hi / factor,
                     cv::BORDER_REFLECT);
    cv::resize(small, hi, log_y.size(), 0, 0, cv::INTER_LINEAR);
  } else {
    cv::GaussianBlur(log_y, hi, cv::Size(), sigma_hi, sigma_hi, cv::BORDER_REFLECT);
  }
  return lo - hi;
}

double RobustSpread(const cv::Mat& bandpassed) {
  CV_Assert(bandpassed.type() == CV_32FC1 && !bandpassed.empty());
  // Median absolute value over a regular subsample of ~20k pixels.
  std::vector<float> sample;
  const int step = std::max(1, static_cast<int>(std::sqrt(bandpassed.total() / 20000.0)));
  for (int r = 0; r < bandpassed.rows; r += step) {
    const float* p = bandpassed.ptr<float>(r);
    for (int c = 0; c < bandpassed.cols; c += step) sample.push_back(std::abs(p[c]));
  }
  std::nth_element(sample.begin(), sample.begin() + sample.size() / 2, sample.end());
  return std::max(1e-5, 1.4826 * static_cast<double>(sample[sample.size() / 2]));
}

cv::Mat SoftClip(const cv::Mat& bandpassed, double k) {
  const float c = static_cast<float>(k * RobustSpread(bandpassed));
  cv::Mat out = bandpassed.clone();
  out.forEach<float>([c](float& v, const int*) { v = c * std::tanh(v / c); });
  return out;
}

cv::Mat BandpassTo8u(const cv::Mat& bandpassed) {
  CV_Assert(bandpassed.type() == CV_32FC1);
  // 128 +- 4 robust standard deviations span the 8-bit range.
  cv::Mat out;
  bandpassed.convertTo(out, CV_8U, 127.0 / (4.0 * RobustSpread(bandpassed)), 128.0);
  return out;
}

}  // namespace skintrack::photometric
