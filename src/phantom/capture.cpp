// The capture model (geometry, light, blur, noise, sRGB, JPEG), RandomCapture and
// ApplyCapture.
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "phantom/phantom_internal.h"
#include "skintrack/core/image.h"
#include "skintrack/io/image_io.h"
#include "skintrack/photometric/color.h"

namespace skintrack::phantom {
namespace internal {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Geometry of the side-light ramp: unit direction (dx, dy), image centre and the half extent
// of the image's projection on the direction, so that u in [-1, 1] over the image.
struct Ramp {
  double dx, dy, cx, cy, inv_half;
  Ramp(const CaptureOptions& capture, cv::Size size) {
    const double a = capture.side_light_angle_deg * kPi / 180.0;
    dx = std::cos(a);
    dy = std::sin(a);
    cx = (size.width - 1) * 0.5;
    cy = (size.height - 1) * 0.5;
    const double half = 0.5 * (std::abs((size.width - 1) * dx) + std::abs((size.height - 1) * dy));
    inv_half = half > 0.0 ? 1.0 / half : 0.0;
  }
};

// Exposure x white balance x side light, in place, on a linear BGR image.
void ApplyLight(const CaptureOptions& capture, cv::Mat* image) {
  const double s = capture.side_light_strength;
  const cv::Vec3d gain = capture.white_balance * capture.exposure;
  if (s == 0.0 && gain == cv::Vec3d(1.0, 1.0, 1.0)) return;
  const Ramp ramp(capture, image->size());
  // Along a row the ramp phase pi/2 (u + 1) grows by a constant step: cos by rotation.
  const double step = 0.5 * kPi * ramp.dx * ramp.inv_half;
  const double cos_step = std::cos(step), sin_step = std::sin(step);
  cv::parallel_for_(cv::Range(0, image->rows), [&](const cv::Range& range) {
    for (int y = range.start; y < range.end; ++y) {
      cv::Vec3f* row = image->ptr<cv::Vec3f>(y);
      const double phase =
          0.5 * kPi * (((0.0 - ramp.cx) * ramp.dx + (y - ramp.cy) * ramp.dy) * ramp.inv_half + 1.0);
      double co = std::cos(phase), si = std::sin(phase);
      for (int x = 0; x < image->cols; ++x) {
        const double f = 1.0 + s * co;
        for (int c = 0; c < 3; ++c) row[x][c] = static_cast<float>(row[x][c] * gain[c] * f);
        const double next = co * cos_step - si * sin_step;
        si = si * cos_step + co * sin_step;
        co = next;
      }
    }
  });
}

// JPEG encode + decode in memory; the result overwrites *srgb (its buffer is reused).
void JpegRoundTrip(int quality, cv::Mat* srgb) {
  // libjpeg through io (OpenCV's encoder and decoder, byte for byte); a failure is a bug here:
  // the image is 8-bit BGR and the bytes are the encoder's own.
  std::vector<uchar> buffer;
  cv::Mat decoded;
  const Status enc =
      io::EncodeImage(".jpg", ToBgr8(*srgb), {cv::IMWRITE_JPEG_QUALITY, quality}, &buffer);
  CV_Assert(enc.ok());
  const Status dec = io::DecodeImage(buffer, &decoded);
  CV_Assert(dec.ok());
  decoded.convertTo(*srgb, CV_32F, 1.0 / 255.0);
}

}  // namespace

cv::Mat CaptureLinear(cv::Mat* linear_src, const cv::Matx33d& image_from_src,
                      const CaptureOptions& capture, cv::Size size, std::uint64_t noise_seed,
                      int border_mode) {
  const double aa = AntiAliasSigma(image_from_src, size);
  if (aa > 0.05) cv::GaussianBlur(*linear_src, *linear_src, cv::Size(), aa, aa, cv::BORDER_REFLECT);
  cv::Mat image;
  cv::warpPerspective(*linear_src, image, cv::Mat(image_from_src.inv()), size,
                      cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, border_mode);
  ApplyLight(capture, &image);
  if (capture.blur_sigma_px > 0.0) {
    cv::GaussianBlur(image, image, cv::Size(), capture.blur_sigma_px, capture.blur_sigma_px,
                     cv::BORDER_REFLECT);
  }
  if (capture.noise_sigma > 0.0) AddGaussian(&image, capture.noise_sigma, noise_seed);
  cv::Mat srgb = photometric::LinearToSrgb(image);
  if (capture.jpeg_quality > 0) JpegRoundTrip(capture.jpeg_quality, &srgb);
  return srgb;
}

}  // namespace internal

CaptureOptions RandomCapture(const RandomCaptureOptions& options, cv::Size size,
                             std::mt19937_64& rng) {
  using internal::Uniform;
  constexpr double kDeg = internal::kPi / 180.0;
  CaptureOptions c;
  // Draw order (fixed): rotation, scale, tx, ty, keystone x, keystone y, exposure, WB B, G, R,
  // side-light strength, side-light angle.
  const double rot = Uniform(rng, -options.max_rotation_deg, options.max_rotation_deg) * kDeg;
  const double scale = Uniform(rng, 1.0 - options.max_scale_change, 1.0 + options.max_scale_change);
  const double tx = Uniform(rng, -1.0, 1.0) * options.max_translation_fraction * size.width;
  const double ty = Uniform(rng, -1.0, 1.0) * options.max_translation_fraction * size.height;
  // Keystone k in +-m / (1 + 2 m): the worst corner then moves by exactly m of the size.
  const double kmax = options.max_perspective / (1.0 + 2.0 * options.max_perspective);
  const double kx = Uniform(rng, -kmax, kmax);
  const double ky = Uniform(rng, -kmax, kmax);
  const double cx = (size.width - 1) * 0.5, cy = (size.height - 1) * 0.5;
  const cv::Matx33d similarity(scale * std::cos(rot), -scale * std::sin(rot), 0.0,
                               scale * std::sin(rot), scale * std::cos(rot), 0.0, 0.0, 0.0, 1.0);
  // Keystone about the centre: a corner (+-w/2, +-h/2) has denominator 1 + k, k = +-kx +- ky,
  // so it moves by |k| / (2 (1 + k)) of the size; identity Jacobian at the centre.
  const cv::Matx33d keystone(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, kx / (0.5 * size.width),
                             ky / (0.5 * size.height), 1.0);
  c.image_from_skin = internal::Translation(cx + tx, cy + ty) * keystone * similarity *
                      internal::Translation(-cx, -cy);
  c.exposure = Uniform(rng, 1.0 - options.max_exposure_change, 1.0 + options.max_exposure_change);
  for (int k = 0; k < 3; ++k) {
    c.white_balance[k] = Uniform(rng, 1.0 - options.max_white_balance_change,
                                 1.0 + options.max_white_balance_change);
  }
  c.side_light_strength = Uniform(rng, 0.0, options.max_side_light);
  c.side_light_angle_deg = Uniform(rng, 0.0, 360.0);
  c.blur_sigma_px = options.blur_sigma_px;
  c.noise_sigma = options.noise_sigma;
  c.jpeg_quality = options.jpeg_quality;
  return c;
}

Status ApplyCapture(const cv::Mat& image, const CaptureOptions& capture, cv::Size size,
                    std::uint64_t seed, cv::Mat* out) {
  if (out == nullptr) return Status::InvalidArgument("ApplyCapture: out is null");
  SKINTRACK_RETURN_IF_ERROR(CheckImage(image, kImageType, 2, "ApplyCapture: image"));
  const Status st = capture.Check();
  if (!st.ok()) return Status(st.code(), "ApplyCapture: " + st.message());
  if (size.width < 1 || size.height < 1 || size.width > 20000 || size.height > 20000) {
    return Status::InvalidArgument("ApplyCapture: size must be 1..20000 px on each side, got " +
                                   std::to_string(size.width) + "x" + std::to_string(size.height));
  }
  SKINTRACK_RETURN_IF_ERROR(internal::CheckCaptureGeometry(
      capture.image_from_skin, size, "ApplyCapture: capture.image_from_skin"));
  try {
    cv::Mat linear = photometric::SrgbToLinear(image);
    *out = internal::CaptureLinear(&linear, capture.image_from_skin, capture, size,
                                   internal::SplitMix64(seed), cv::BORDER_REFLECT);
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("ApplyCapture: OpenCV error: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace skintrack::phantom
