// RenderPair: one skin model, rendered before and after treatment, photographed twice, with
// the ground truth expressed in the before image.
#include <algorithm>
#include <cmath>
#include <new>
#include <string>

#include "phantom/phantom_internal.h"

namespace skintrack::phantom {
namespace {

using internal::LocalScale;

// Largest canvas (skin-frame px) RenderPair agrees to render.
constexpr double kMaxCanvasPixels = 100e6;

// Skin-frame box that both captures see, plus the anti-alias filter's reach and 4 px.
cv::Rect CanvasBox(const PhantomOptions& o) {
  const cv::Size size(o.width, o.height);
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const CaptureOptions* c : {&o.before_capture, &o.after_capture}) {
    const cv::Rect2d b = internal::PreimageBox(c->image_from_skin, size);
    const double margin = 4.0 + 3.0 * internal::AntiAliasSigma(c->image_from_skin, size);
    x0 = std::min(x0, b.x - margin);
    y0 = std::min(y0, b.y - margin);
    x1 = std::max(x1, b.x + b.width + margin);
    y1 = std::max(y1, b.y + b.height + margin);
  }
  const double fx0 = std::floor(x0), fy0 = std::floor(y0);
  return {static_cast<int>(fx0), static_cast<int>(fy0), static_cast<int>(std::ceil(x1) - fx0) + 1,
          static_cast<int>(std::ceil(y1) - fy0) + 1};
}

bool Inside(const cv::Point2d& p, cv::Size size) {
  return p.x >= -0.5 && p.x < size.width - 0.5 && p.y >= -0.5 && p.y < size.height - 0.5;
}

PhantomTruth MakeTruth(const internal::SkinModel& m, const PhantomOptions& o) {
  const cv::Size size(o.width, o.height);
  const TreatmentOptions& t = o.treatment;
  const SkinOptions& s = m.skin;
  PhantomTruth truth;
  const cv::Matx33d& h = o.before_capture.image_from_skin;
  truth.before_from_skin = h;
  truth.after_from_skin = o.after_capture.image_from_skin;
  truth.after_to_before = h * truth.after_from_skin.inv();
  if (truth.after_to_before(2, 2) != 0.0)
    truth.after_to_before *= 1.0 / truth.after_to_before(2, 2);
  const cv::Point2d centre((size.width - 1) * 0.5, (size.height - 1) * 0.5);
  truth.px_per_mm_before = s.px_per_mm * LocalScale(h, ApplyHomography(h.inv(), centre));

  for (const internal::Pore& p : m.pores) {
    const cv::Point2d q = ApplyHomography(h, p.c);
    if (!Inside(q, size)) continue;
    const double k = LocalScale(h, p.c);
    const bool closed = p.close_draw < t.pore_close_fraction;
    truth.pores.push_back(
        {q.x, q.y, p.radius * k, closed ? 0.0 : p.radius * t.pore_radius_scale * k, closed});
  }
  const auto blobs = [&](const auto& list, double before, double scale,
                         std::vector<TruthBlob>* out) {
    for (const auto& b : list) {
      const cv::Point2d q = ApplyHomography(h, b.c);
      if (!Inside(q, size)) continue;
      out->push_back({q.x, q.y, b.radius * LocalScale(h, b.c), before, before * scale});
    }
  };
  blobs(m.scars, s.scar_contrast, t.scar_contrast_scale, &truth.scars);
  blobs(m.redness, s.redness_delta_a, t.redness_scale, &truth.redness);
  blobs(m.spots, s.spot_delta_l, t.spot_contrast_scale, &truth.spots);
  const auto lines = [&](const std::vector<internal::Line>& list, double scale,
                         std::vector<TruthLine>* out) {
    for (const internal::Line& l : list) {
      TruthLine tl;
      bool seen = false;
      for (const cv::Point2d& p : l.pts) {
        tl.polyline.push_back(ApplyHomography(h, p));
        seen = seen || Inside(tl.polyline.back(), size);
      }
      if (!seen) continue;
      tl.width_px = l.width * LocalScale(h, l.pts[l.pts.size() / 2]);
      tl.before = l.contrast;
      tl.after = l.contrast * scale;
      out->push_back(std::move(tl));
    }
  };
  lines(m.wrinkles, t.wrinkle_contrast_scale, &truth.wrinkles);
  lines(m.striae, t.striae_contrast_scale, &truth.striae);
  lines(m.hairs, 1.0, &truth.hairs);
  truth.micro_relief_rms_before = s.micro_relief_rms;
  truth.micro_relief_rms_after = s.micro_relief_rms * t.micro_relief_scale;
  return truth;
}

TruthMarker MarkerTruth(const MarkerSceneOptions& mk, const cv::Matx33d& skin_from_marker_mm,
                        const PhantomOptions& o) {
  TruthMarker t;
  t.in_before = mk.in_before;
  t.in_after = mk.in_after;
  t.id = mk.id;
  t.side_mm = mk.side_mm;
  const double s = mk.side_mm;
  const cv::Point2d ideal[4] = {{0, 0}, {s, 0}, {s, s}, {0, s}};
  const cv::Point2d centre_skin =
      ApplyHomography(skin_from_marker_mm, cv::Point2d(0.5 * s, 0.5 * s));
  const cv::Matx33d& hb = o.before_capture.image_from_skin;
  const cv::Matx33d& ha = o.after_capture.image_from_skin;
  for (int k = 0; k < 4; ++k) {
    t.corners_before[k] = ApplyHomography(hb * skin_from_marker_mm, ideal[k]);
    t.corners_after[k] = ApplyHomography(ha * skin_from_marker_mm, ideal[k]);
  }
  t.centre_before = ApplyHomography(hb, centre_skin);
  t.centre_after = ApplyHomography(ha, centre_skin);
  const double px_per_mm = internal::EffectiveSkin(o.skin).px_per_mm;
  t.px_per_mm_before = px_per_mm * LocalScale(hb, centre_skin);
  t.px_per_mm_after = px_per_mm * LocalScale(ha, centre_skin);
  return t;
}

}  // namespace

Status RenderPair(const PhantomOptions& options, PhantomPair* pair) {
  if (pair == nullptr) return Status::InvalidArgument("RenderPair: pair is null");
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  const cv::Size size(options.width, options.height);
  const cv::Rect canvas = CanvasBox(options);
  if (static_cast<double>(canvas.width) * canvas.height > kMaxCanvasPixels) {
    return Status::InvalidArgument("RenderPair: the captures see a skin area of " +
                                   std::to_string(canvas.width) + "x" +
                                   std::to_string(canvas.height) +
                                   " skin px, more than the 100 Mpx limit; reduce the size, "
                                   "SkinOptions.px_per_mm or the zoom-out of the captures");
  }
  try {
    const internal::SkinModel model =
        internal::BuildSkinModel(internal::EffectiveSkin(options.skin), options.seed, canvas,
                                 options.before_capture.image_from_skin, size);
    const cv::Matx33d skin_from_canvas = internal::Translation(canvas.x, canvas.y);
    PhantomPair result;
    const MarkerSceneOptions& mk = options.marker;
    const cv::Matx33d skin_from_marker_mm = internal::SkinFromMarkerMm(
        mk, model.skin.px_per_mm, options.before_capture.image_from_skin, size);
    const ChartSceneOptions& ch = options.chart;
    const std::vector<cv::Point2d> chart_skin =
        ch.width_fraction > 0.0
            ? internal::ChartCornersInSkin(ch, options.before_capture.image_from_skin, size)
            : std::vector<cv::Point2d>();
    cv::Mat skin;  // one buffer for both states
    internal::RenderSkin(model, nullptr, &skin);
    if (mk.side_mm > 0.0 && mk.in_before) {
      SKINTRACK_RETURN_IF_ERROR(internal::PaintMarker(mk, skin_from_marker_mm, canvas, &skin));
    }
    if (!chart_skin.empty() && ch.in_before)
      SKINTRACK_RETURN_IF_ERROR(internal::PaintChart(chart_skin, canvas, &skin));
    result.before = internal::CaptureLinear(
        &skin, options.before_capture.image_from_skin * skin_from_canvas, options.before_capture,
        size, internal::StreamSeed(options.seed, internal::Stream::kBeforeNoise),
        cv::BORDER_REFLECT);
    internal::RenderSkin(model, &options.treatment, &skin);
    if (mk.side_mm > 0.0 && mk.in_after) {
      SKINTRACK_RETURN_IF_ERROR(internal::PaintMarker(mk, skin_from_marker_mm, canvas, &skin));
    }
    if (!chart_skin.empty() && ch.in_after)
      SKINTRACK_RETURN_IF_ERROR(internal::PaintChart(chart_skin, canvas, &skin));
    result.after = internal::CaptureLinear(
        &skin, options.after_capture.image_from_skin * skin_from_canvas, options.after_capture,
        size, internal::StreamSeed(options.seed, internal::Stream::kAfterNoise),
        cv::BORDER_REFLECT);
    result.truth = MakeTruth(model, options);
    if (mk.side_mm > 0.0) result.truth.marker = MarkerTruth(mk, skin_from_marker_mm, options);
    for (const cv::Point2d& p : chart_skin) {
      result.truth.chart_corners_before.push_back(
          ApplyHomography(options.before_capture.image_from_skin, p));
      result.truth.chart_corners_after.push_back(
          ApplyHomography(options.after_capture.image_from_skin, p));
    }
    *pair = std::move(result);
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("RenderPair: OpenCV error: ") + e.what());
  } catch (const std::bad_alloc&) {
    return Status::Internal("RenderPair: out of memory");
  }
  return Status::Ok();
}

}  // namespace skintrack::phantom
