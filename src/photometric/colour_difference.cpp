// Colour differences of the chart fit: linear sRGB -> CIELAB (D65) and CIEDE2000.
// Method: docs/colour.md.
#include <cmath>

#include "skintrack/photometric/colour_calibration.h"

namespace skintrack::photometric {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

cv::Vec3d LinearRgbToLab(const cv::Vec3d& rgb) {
  const double x = 0.4124564 * rgb[0] + 0.3575761 * rgb[1] + 0.1804375 * rgb[2];
  const double y = 0.2126729 * rgb[0] + 0.7151522 * rgb[1] + 0.0721750 * rgb[2];
  const double z = 0.0193339 * rgb[0] + 0.1191920 * rgb[1] + 0.9503041 * rgb[2];
  const auto f = [](double t) {
    constexpr double e = 216.0 / 24389.0, k = 24389.0 / 27.0;
    return t > e ? std::cbrt(t) : (k * t + 16.0) / 116.0;
  };
  const double fx = f(x / 0.95047), fy = f(y), fz = f(z / 1.08883);
  return cv::Vec3d(116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz));
}

double DeltaE2000(const cv::Vec3d& lab1, const cv::Vec3d& lab2) {
  // Sharma, Wu, Dalal (2005), "The CIEDE2000 color-difference formula".
  const double deg = kPi / 180.0;
  const double c1 = std::hypot(lab1[1], lab1[2]), c2 = std::hypot(lab2[1], lab2[2]);
  const double cbar = 0.5 * (c1 + c2);
  const double c7 = std::pow(cbar, 7.0);
  const double g = 0.5 * (1.0 - std::sqrt(c7 / (c7 + std::pow(25.0, 7.0))));
  const double a1 = (1.0 + g) * lab1[1], a2 = (1.0 + g) * lab2[1];
  const double cp1 = std::hypot(a1, lab1[2]), cp2 = std::hypot(a2, lab2[2]);
  const auto hue = [&](double b, double a) {
    if (a == 0.0 && b == 0.0) return 0.0;
    double h = std::atan2(b, a) / deg;
    return h < 0.0 ? h + 360.0 : h;
  };
  const double hp1 = hue(lab1[2], a1), hp2 = hue(lab2[2], a2);
  const double dl = lab2[0] - lab1[0], dc = cp2 - cp1;
  double dhp = 0.0;
  if (cp1 * cp2 != 0.0) {
    dhp = hp2 - hp1;
    if (dhp > 180.0) dhp -= 360.0;
    if (dhp < -180.0) dhp += 360.0;
  }
  const double dh = 2.0 * std::sqrt(cp1 * cp2) * std::sin(0.5 * dhp * deg);
  const double lbar = 0.5 * (lab1[0] + lab2[0]), cpbar = 0.5 * (cp1 + cp2);
  double hbar = hp1 + hp2;
  if (cp1 * cp2 != 0.0) {
    if (std::abs(hp1 - hp2) <= 180.0) {
      hbar *= 0.5;
    } else {
      hbar = hbar < 360.0 ? 0.5 * (hbar + 360.0) : 0.5 * (hbar - 360.0);
    }
  }
  const double t = 1.0 - 0.17 * std::cos((hbar - 30.0) * deg) + 0.24 * std::cos(2.0 * hbar * deg) +
                   0.32 * std::cos((3.0 * hbar + 6.0) * deg) -
                   0.20 * std::cos((4.0 * hbar - 63.0) * deg);
  const double dtheta = 30.0 * std::exp(-std::pow((hbar - 275.0) / 25.0, 2.0));
  const double cp7 = std::pow(cpbar, 7.0);
  const double rc = 2.0 * std::sqrt(cp7 / (cp7 + std::pow(25.0, 7.0)));
  const double l50 = (lbar - 50.0) * (lbar - 50.0);
  const double sl = 1.0 + 0.015 * l50 / std::sqrt(20.0 + l50);
  const double sc = 1.0 + 0.045 * cpbar, sh = 1.0 + 0.015 * cpbar * t;
  const double rt = -std::sin(2.0 * dtheta * deg) * rc;
  const double tl = dl / sl, tc = dc / sc, th = dh / sh;
  return std::sqrt(tl * tl + tc * tc + th * th + rt * tc * th);
}

}  // namespace skintrack::photometric
