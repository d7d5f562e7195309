// Random streams, homography helpers and the CIELAB -> linear sRGB conversion.
#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <string>

#include "phantom/phantom_internal.h"

namespace skintrack::phantom::internal {

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t StreamSeed(std::uint64_t seed, Stream stream) {
  return SplitMix64(SplitMix64(seed) ^
                    (static_cast<std::uint64_t>(stream) * 0xD1B54A32D192ED03ULL));
}

double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * Uniform01(rng);
}

void AddGaussian(cv::Mat* image, double sigma, std::uint64_t seed) {
  CV_Assert(image->depth() == CV_32F);
  constexpr int kRowsPerBlock = 32;
  const int blocks = (image->rows + kRowsPerBlock - 1) / kRowsPerBlock;
  cv::parallel_for_(cv::Range(0, blocks), [&](const cv::Range& range) {
    cv::Mat noise;
    for (int b = range.start; b < range.end; ++b) {
      const int y0 = b * kRowsPerBlock;
      const int y1 = std::min(image->rows, y0 + kRowsPerBlock);
      cv::RNG rng(SplitMix64(seed ^ SplitMix64(static_cast<std::uint64_t>(b) + 1)));
      cv::Mat rows = image->rowRange(y0, y1);
      noise.create(rows.size(), rows.type());
      rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0.0), cv::Scalar::all(sigma));
      rows += noise;
    }
  });
}

cv::Matx33d Translation(double tx, double ty) { return {1, 0, tx, 0, 1, ty, 0, 0, 1}; }

namespace {

const cv::Point2d* ImageCorners(cv::Size size, cv::Point2d* out) {
  const double w = size.width - 0.5, h = size.height - 0.5;
  out[0] = {-0.5, -0.5};
  out[1] = {w, -0.5};
  out[2] = {w, h};
  out[3] = {-0.5, h};
  return out;
}

}  // namespace

Status CheckCaptureGeometry(const cv::Matx33d& image_from_src, cv::Size size,
                            const std::string& what) {
  const cv::Matx33d src_from_image = image_from_src.inv();
  cv::Point2d corners[4];
  ImageCorners(size, corners);
  int sign = 0;
  for (const cv::Point2d& c : corners) {
    const cv::Vec3d q = src_from_image * cv::Vec3d(c.x, c.y, 1.0);
    const double scale = std::max({std::abs(q[0]), std::abs(q[1]), 1.0});
    if (!std::isfinite(q[0]) || !std::isfinite(q[1]) || !(std::abs(q[2]) > 1e-9 * scale)) {
      return Status::InvalidArgument(what + ": an image corner maps to infinity");
    }
    const int s = q[2] > 0 ? 1 : -1;
    if (sign != 0 && s != sign) {
      return Status::InvalidArgument(what + ": the image crosses the horizon of the homography");
    }
    sign = s;
    if (!(std::abs(q[0] / q[2]) < 1e7 && std::abs(q[1] / q[2]) < 1e7)) {
      return Status::InvalidArgument(what + ": an image corner maps too far away");
    }
  }
  return Status::Ok();
}

cv::Rect2d PreimageBox(const cv::Matx33d& image_from_src, cv::Size size) {
  const cv::Matx33d src_from_image = image_from_src.inv();
  cv::Point2d corners[4];
  ImageCorners(size, corners);
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const cv::Point2d& c : corners) {
    const cv::Point2d p = ApplyHomography(src_from_image, c);
    x0 = std::min(x0, p.x);
    y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x);
    y1 = std::max(y1, p.y);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

double AntiAliasSigma(const cv::Matx33d& image_from_src, cv::Size size) {
  const cv::Point2d centre((size.width - 1) * 0.5, (size.height - 1) * 0.5);
  const double s = LocalScale(image_from_src, ApplyHomography(image_from_src.inv(), centre));
  if (!(s < 0.999)) return 0.0;
  return 0.5 * std::sqrt(1.0 / (s * s) - 1.0);
}

cv::Vec3f LabToLinearBgr(double l, double a, double b) {
  // CIE 1976 L*a*b* -> XYZ (D65 white, Y_n = 1) -> linear sRGB (IEC 61966-2-1 matrix).
  constexpr double kXn = 0.95047, kZn = 1.08883, kDelta = 6.0 / 29.0;
  const auto finv = [](double t) {
    return t > kDelta ? t * t * t : 3.0 * kDelta * kDelta * (t - 4.0 / 29.0);
  };
  const double fy = (l + 16.0) / 116.0;
  const double x = kXn * finv(fy + a / 500.0);
  const double y = finv(fy);
  const double z = kZn * finv(fy - b / 200.0);
  const double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
  const double bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  return {static_cast<float>(std::max(0.0, bl)), static_cast<float>(std::max(0.0, g)),
          static_cast<float>(std::max(0.0, r))};
}

}  // namespace skintrack::phantom::internal
