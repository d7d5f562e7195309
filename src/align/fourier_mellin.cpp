// Global stage for low-texture skin: Fourier-Mellin phase correlation (rotation, scale,
// translation), on a Hann-windowed square centre crop of each band-passed image.
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "align/stages.h"

namespace skintrack::align::internal {
namespace {

constexpr int kSide = 768;  // crop side after resampling, px

cv::Matx33d Translation(double tx, double ty) { return {1, 0, tx, 0, 1, ty, 0, 0, 1}; }

// Centred square crop resampled to kSide; *crop_from_work maps working px to crop px.
cv::Mat CentreCrop(const cv::Mat& img, cv::Matx33d* crop_from_work) {
  const int side = std::min(img.cols, img.rows);
  const int x0 = (img.cols - side) / 2, y0 = (img.rows - side) / 2;
  cv::Mat out;
  cv::resize(img(cv::Rect(x0, y0, side, side)), out, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
  *crop_from_work = ScaleTransform(static_cast<double>(kSide) / side) * Translation(-x0, -y0);
  return out;
}

// High-passed log magnitude spectrum in log-polar coordinates (rows: angle 0..360 deg,
// cols: log radius).
cv::Mat LogPolarSpectrum(const cv::Mat& crop, const cv::Mat& window) {
  cv::Mat windowed = crop.mul(window), spectrum;
  cv::dft(windowed, spectrum, cv::DFT_COMPLEX_OUTPUT);
  std::vector<cv::Mat> planes;
  cv::split(spectrum, planes);
  cv::Mat mag;
  cv::magnitude(planes[0], planes[1], mag);
  // fftshift: move the zero frequency to the centre.
  const int h = kSide / 2;
  cv::Mat q0 = mag(cv::Rect(0, 0, h, h)), q1 = mag(cv::Rect(h, 0, h, h)),
          q2 = mag(cv::Rect(0, h, h, h)), q3 = mag(cv::Rect(h, h, h, h)), tmp;
  q0.copyTo(tmp);
  q3.copyTo(q0);
  tmp.copyTo(q3);
  q1.copyTo(tmp);
  q2.copyTo(q1);
  tmp.copyTo(q2);
  // Emphasise mid frequencies (Reddy & Chatterji's high-pass), compress the range.
  for (int y = 0; y < kSide; ++y) {
    float* m = mag.ptr<float>(y);
    const double v = (y - h) / static_cast<double>(kSide);
    for (int x = 0; x < kSide; ++x) {
      const double u = (x - h) / static_cast<double>(kSide);
      const double c = std::cos(CV_PI * u) * std::cos(CV_PI * v);
      m[x] = static_cast<float>(std::log1p(m[x] * (1.0 - c) * (2.0 - c)));
    }
  }
  cv::Mat polar;
  cv::warpPolar(mag, polar, cv::Size(kSide, kSide), cv::Point2f(h, h), h,
                cv::INTER_LINEAR | cv::WARP_FILL_OUTLIERS | cv::WARP_POLAR_LOG);
  return polar;
}

}  // namespace

GlobalEstimate EstimateByFourierMellin(const WorkingPair& pair, const AlignOptions& options) {
  GlobalEstimate est;
  est.method = "fourier-mellin";
  cv::Matx33d cb, ca;
  const cv::Mat crop_b = CentreCrop(pair.before_bp_ecc, &cb);
  const cv::Mat crop_a = CentreCrop(pair.after_bp_ecc, &ca);
  cv::Mat window;
  cv::createHanningWindow(window, cv::Size(kSide, kSide), CV_32F);
  const cv::Mat lp_b = LogPolarSpectrum(crop_b, window);
  const cv::Mat lp_a = LogPolarSpectrum(crop_a, window);
  const cv::Point2d shift = cv::phaseCorrelate(lp_b, lp_a);
  const double angle = shift.y * 360.0 / kSide;
  const double log_base = std::log(kSide / 2.0) / kSide;
  const double scale = std::exp(shift.x * log_base);

  // The spectrum is symmetric (angle mod 180) and the sign conventions are resolved by
  // testing every candidate: the one whose translated overlay correlates best wins.
  const double c = (kSide - 1) / 2.0;
  const cv::Matx33d centre = Translation(c, c), uncentre = Translation(-c, -c);
  const cv::Mat bwin = crop_b.mul(window);
  double best_ncc = -2.0;
  cv::Matx33d best = cv::Matx33d::eye();
  for (double a : {angle, -angle, angle + 180.0, -angle + 180.0}) {
    for (double s : {scale, 1.0 / scale}) {
      const double r = a * CV_PI / 180.0;
      const cv::Matx33d rot(s * std::cos(r), -s * std::sin(r), 0, s * std::sin(r), s * std::cos(r),
                            0, 0, 0, 1);
      const cv::Matx33d sim = centre * rot * uncentre;  // after crop -> before crop
      cv::Mat warped;
      cv::warpPerspective(crop_a, warped, cv::Mat(sim), crop_a.size(), cv::INTER_LINEAR,
                          cv::BORDER_CONSTANT, 0);
      const cv::Point2d t = cv::phaseCorrelate(bwin, warped.mul(window));
      for (double sign : {1.0, -1.0}) {
        const cv::Matx33d cand = Translation(sign * t.x, sign * t.y) * sim;
        cv::Mat moved;
        cv::warpPerspective(crop_a, moved, cv::Mat(cand), crop_a.size(), cv::INTER_LINEAR,
                            cv::BORDER_CONSTANT, 0);
        cv::Mat mask;
        cv::warpPerspective(cv::Mat(crop_a.size(), CV_8UC1, cv::Scalar(255)), mask, cv::Mat(cand),
                            crop_a.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
        if (cv::countNonZero(mask) < kSide * kSide / 8) continue;
        const double ncc = Ncc(crop_b, moved, mask);
        if (ncc > best_ncc) {
          best_ncc = ncc;
          best = cand;
        }
      }
    }
  }
  est.after_to_before = cb.inv() * best * ca;
  est.after_to_before *= 1.0 / est.after_to_before(2, 2);
  if (best_ncc < 0.05) {
    est.reason = "Fourier-Mellin found no correlation peak (NCC " + std::to_string(best_ncc) + ")";
    return est;
  }
  if (!IsSaneHomography(est.after_to_before, pair.after_bp.size(), options, &est.reason)) {
    return est;
  }
  est.ok = true;
  return est;
}

}  // namespace skintrack::align::internal
