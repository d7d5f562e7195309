// Phantom scenes carrying a rendered ColorChecker, photographed in several sessions, and the
// colour statistics used to judge colour calibration. Header-only; shared by
// tests/photometric/colour_calibration_test.cpp and bench/colour_calibration_eval.cpp.
//
// Frames: the before session's capture has identity geometry, so the phantom's skin frame is
// the before image frame; other sessions are warped back into it with their exact
// image_from_skin (the registration truth), so colour is judged on identical skin.
#pragma once

#include <cmath>
#include <cstdint>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "skintrack/core/image.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/photometric/color.h"
#include "skintrack/photometric/colour_calibration.h"
#include "skintrack/photometric/flat_field.h"

namespace skintrack::colour_scene {

struct Scene {
  cv::Mat before, after;  // clean skin (no capture) with the chart, internal form, skin frame
  photometric::ChartCorners chart;  // skin-frame px
  phantom::PhantomTruth truth;
};

// A 1200x900 phantom (20 px/mm, 6 redness patches, redness x redness_scale after) with a chart
// of 40 % of the image width in the lower-left corner.
inline Status MakeScene(std::uint64_t seed, double redness_scale, Scene* scene, int width = 1200,
                        int height = 900) {
  phantom::PhantomOptions o;
  o.width = width;
  o.height = height;
  o.seed = seed;
  o.skin.redness_count = 6;
  o.treatment.redness_scale = redness_scale;
  phantom::PhantomPair pair;
  SKINTRACK_RETURN_IF_ERROR(phantom::RenderPair(o, &pair));
  const double cw = 0.40 * width;
  const double ch = cw * photometric::kChartHeight / photometric::kChartWidth;
  scene->chart = photometric::ChartCornersInRect(
      cv::Rect2d(0.05 * width, height - ch - 0.06 * height, cw, ch));
  scene->before = pair.before;
  scene->after = pair.after;
  scene->truth = pair.truth;
  photometric::ChartRenderOptions ro;
  SKINTRACK_RETURN_IF_ERROR(photometric::RenderChart(scene->chart, ro, &scene->before));
  SKINTRACK_RETURN_IF_ERROR(photometric::RenderChart(scene->chart, ro, &scene->after));
  return Status::Ok();
}

struct Shot {
  cv::Mat image;      // the session's photo, internal form
  cv::Mat grey_card;  // a uniform grey card photographed with the same capture
  phantom::CaptureOptions capture;
};

// Photographs `skin` (and a 0.6 sRGB grey card) with `capture`.
inline Status Photograph(const cv::Mat& skin, const phantom::CaptureOptions& capture,
                         std::uint64_t seed, Shot* shot) {
  shot->capture = capture;
  SKINTRACK_RETURN_IF_ERROR(phantom::ApplyCapture(skin, capture, skin.size(), seed, &shot->image));
  const cv::Mat card(skin.size(), CV_32FC3, cv::Scalar::all(0.6));
  return phantom::ApplyCapture(card, capture, skin.size(), seed ^ 0x9e3779b97f4a7c15ull,
                               &shot->grey_card);
}

// The session's chart corners in its image (for the caller-given-corners path).
inline std::vector<cv::Point2f> ChartInShot(const Scene& scene, const Shot& shot) {
  std::vector<cv::Point2f> out;
  for (const auto& p : scene.chart) {
    const cv::Vec3d q = shot.capture.image_from_skin * cv::Vec3d(p.x, p.y, 1.0);
    out.emplace_back(static_cast<float>(q[0] / q[2]), static_cast<float>(q[1] / q[2]));
  }
  return out;
}

// `image` of a session warped into the skin (= before) frame; *valid (optional) = 255 where the
// session has data.
inline cv::Mat ToSkinFrame(const cv::Mat& image, const phantom::CaptureOptions& capture,
                           cv::Mat* valid) {
  cv::Mat out;
  const cv::Mat m(capture.image_from_skin);
  cv::warpPerspective(image, out, m, image.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                      cv::BORDER_CONSTANT, cv::Scalar::all(0));
  if (valid != nullptr) {
    const cv::Mat ones(image.size(), CV_8UC1, cv::Scalar(255));
    cv::warpPerspective(ones, *valid, m, image.size(), cv::INTER_NEAREST | cv::WARP_INVERSE_MAP,
                        cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::erode(*valid, *valid, cv::Mat(), cv::Point(-1, -1), 3);
  }
  return out;
}

// Skin ROI in the skin frame: everything but the chart (dilated by 15 px) and a 20 px border.
inline cv::Mat SkinRoi(const Scene& scene, cv::Size size) {
  cv::Mat roi(size, CV_8UC1, cv::Scalar(0));
  cv::rectangle(roi, cv::Rect(20, 20, size.width - 40, size.height - 40), cv::Scalar(255),
                cv::FILLED);
  photometric::ColourCalibration c;
  c.chart_corners.assign(scene.chart.begin(), scene.chart.end());
  roi.setTo(0, photometric::ChartMask(size, c, 40.0));
  return roi;
}

// Union of the redness patches' half-maximum discs lying wholly inside `roi`.
inline cv::Mat RednessRoi(const Scene& scene, const cv::Mat& roi) {
  cv::Mat out(roi.size(), CV_8UC1, cv::Scalar(0));
  for (const auto& r : scene.truth.redness) {
    cv::Mat disc(roi.size(), CV_8UC1, cv::Scalar(0));
    cv::circle(disc, cv::Point(cvRound(r.x), cvRound(r.y)), cvRound(r.radius_px), cv::Scalar(255),
               cv::FILLED);
    if (cv::countNonZero(disc & ~roi) == 0) out |= disc;
  }
  return out;
}

// Where the treatment changes the skin: every redness patch out to its cut-off (3 half-maximum
// radii, docs/phantom.md) plus 1 mm; the complement is a valid reference region.
inline cv::Mat RednessExtent(const Scene& scene, cv::Size size) {
  cv::Mat out(size, CV_8UC1, cv::Scalar(0));
  for (const auto& r : scene.truth.redness)
    cv::circle(out, cv::Point(cvRound(r.x), cvRound(r.y)),
               cvRound(3.0 * r.radius_px + scene.truth.px_per_mm_before), cv::Scalar(255),
               cv::FILLED);
  return out;
}

// Colour statistics over a region, as docs/metrics.md defines them.
struct ColourStats {
  cv::Vec3d lab_mean;    // mean L*, a*, b* (OpenCV float CIELAB, D65)
  double ei_mean = 0.0;  // mean 100 log10(R_lin / G_lin), channels floored at 1e-4
  double ita_deg = 0.0;  // atan2(mean L* - 50, mean b*) in degrees
};

inline ColourStats Measure(const cv::Mat& srgb, const cv::Mat& roi) {
  ColourStats s;
  cv::Mat lab;
  cv::cvtColor(srgb, lab, cv::COLOR_BGR2Lab);
  const cv::Scalar m = cv::mean(lab, roi);
  s.lab_mean = cv::Vec3d(m[0], m[1], m[2]);
  std::vector<cv::Mat> ch;
  cv::split(photometric::SrgbToLinear(srgb), ch);
  cv::Mat r = cv::max(ch[2], 1e-4), g = cv::max(ch[1], 1e-4), ratio;
  cv::divide(r, g, ratio);
  cv::log(ratio, ratio);
  s.ei_mean = cv::mean(ratio, roi)[0] * 100.0 / std::log(10.0);
  s.ita_deg = std::atan2(m[0] - 50.0, m[2]) * 180.0 / 3.14159265358979323846;
  return s;
}

inline double DeltaE76(const ColourStats& a, const ColourStats& b) {
  return cv::norm(a.lab_mean - b.lab_mean);
}

// Relative change |b - a| / |a| in percent.
inline double PercentChange(double a, double b) { return 100.0 * std::abs(b - a) / std::abs(a); }

enum class Method { kNone, kChart, kFlatFieldChart, kReference };
inline const char* MethodName(Method m) {
  switch (m) {
    case Method::kNone:
      return "uncalibrated";
    case Method::kChart:
      return "chart";
    case Method::kFlatFieldChart:
      return "flat-field+chart";
    case Method::kReference:
      return "reference-normalised";
  }
  return "?";
}

// Corrects one session's photo (in its own frame) with a flat field and/or chart.
inline Status Correct(const Shot& shot, bool flat_field, const photometric::ColourOptions& options,
                      cv::Mat* corrected, photometric::ColourCalibration* cal) {
  cv::Mat image = shot.image;
  if (flat_field) {
    photometric::FlatFieldResult ff;
    SKINTRACK_RETURN_IF_ERROR(photometric::FlatFieldCorrect(shot.image, shot.grey_card,
                                                            photometric::FlatFieldOptions(), &ff));
    image = ff.image;
  }
  SKINTRACK_RETURN_IF_ERROR(photometric::CalibrateColour(image, options, cal));
  *corrected = photometric::ApplyColourCalibration(image, *cal);
  return Status::Ok();
}

}  // namespace skintrack::colour_scene
