// Rendering of the skin model into a linear-light canvas. Colour features (redness, spots)
// change CIELAB before conversion; structural features multiply the linear colour locally,
// each inside its own bounding box. Profiles are documented in docs/phantom.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>
#include <vector>

#include "phantom/phantom_internal.h"

namespace skintrack::phantom::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kLn2 = 0.69314718055994530942;

// Scales of one rendering state (all 1 / 0 for the before skin).
struct State {
  double relief = 0.0;  // micro-relief RMS
  double pore_radius_scale = 1.0, pore_close_fraction = 0.0;
  double scar = 1.0, wrinkle = 1.0, striae = 1.0, redness = 1.0, spot = 1.0;
};

double Smoothstep(double t) {
  t = std::min(1.0, std::max(0.0, t));
  return t * t * (3.0 - 2.0 * t);
}

// 1 in the middle of a line, falling smoothly to 0 over the last `fraction` at each end
// (u = arc length / length).
double Taper(double u, double fraction) {
  return Smoothstep(u / fraction) * Smoothstep((1.0 - u) / fraction);
}

// Calls f(dx, dy, px) for every canvas pixel of the skin-frame box centre +- reach, where
// (dx, dy) is the pixel centre relative to `centre` and px points at its B, G, R floats.
template <class F>
void ForEachPixel(cv::Mat& canvas, const cv::Point& origin, const cv::Point2d& centre, double reach,
                  F f) {
  const int x0 = std::max(0, static_cast<int>(std::floor(centre.x - reach)) - origin.x);
  const int y0 = std::max(0, static_cast<int>(std::floor(centre.y - reach)) - origin.y);
  const int x1 =
      std::min(canvas.cols - 1, static_cast<int>(std::ceil(centre.x + reach)) - origin.x);
  const int y1 =
      std::min(canvas.rows - 1, static_cast<int>(std::ceil(centre.y + reach)) - origin.y);
  for (int y = y0; y <= y1; ++y) {
    float* row = canvas.ptr<float>(y);
    const double dy = y + origin.y - centre.y;
    for (int x = x0; x <= x1; ++x) f(x + origin.x - centre.x, dy, row + canvas.channels() * x);
  }
}

void Multiply(float* px, double factor) {
  for (int c = 0; c < 3; ++c) px[c] = static_cast<float>(px[c] * factor);
}

// Draws a line feature: for each pixel within `reach` of the polyline, the distance d to the
// polyline and the relative arc position u of the nearest point give factor = profile(d, u).
template <class Profile>
void DrawLine(cv::Mat& canvas, const cv::Point& origin, const Line& line, double reach,
              Profile profile) {
  double bx0 = 1e300, by0 = 1e300, bx1 = -1e300, by1 = -1e300;
  for (const cv::Point2d& p : line.pts) {
    bx0 = std::min(bx0, p.x);
    by0 = std::min(by0, p.y);
    bx1 = std::max(bx1, p.x);
    by1 = std::max(by1, p.y);
  }
  const cv::Rect canvas_rect(0, 0, canvas.cols, canvas.rows);
  const auto box = [&](double x0, double y0, double x1, double y1) {
    const cv::Point a(static_cast<int>(std::floor(x0 - reach)) - origin.x,
                      static_cast<int>(std::floor(y0 - reach)) - origin.y);
    const cv::Point b(static_cast<int>(std::ceil(x1 + reach)) - origin.x + 1,
                      static_cast<int>(std::ceil(y1 + reach)) - origin.y + 1);
    return cv::Rect(a, b) & canvas_rect;
  };
  const cv::Rect rect = box(bx0, by0, bx1, by1);
  if (rect.empty()) return;
  cv::Mat1f d2(rect.size(), std::numeric_limits<float>::max()), arc(rect.size(), 0.0f);
  double cum = 0.0;
  for (size_t i = 0; i + 1 < line.pts.size(); ++i) {
    const cv::Point2d a = line.pts[i], b = line.pts[i + 1], ab = b - a;
    const double len2 = std::max(1e-12, ab.dot(ab)), len = std::sqrt(len2);
    const cv::Rect seg =
        box(std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y)) & rect;
    for (int y = seg.y; y < seg.y + seg.height; ++y) {
      float* drow = d2.ptr<float>(y - rect.y);
      float* arow = arc.ptr<float>(y - rect.y);
      for (int x = seg.x; x < seg.x + seg.width; ++x) {
        const cv::Point2d p(x + origin.x, y + origin.y);
        const double t = std::min(1.0, std::max(0.0, (p - a).dot(ab) / len2));
        const cv::Point2d v = p - (a + t * ab);
        const double dd = v.dot(v);
        const int lx = x - rect.x;
        if (dd < drow[lx]) {
          drow[lx] = static_cast<float>(dd);
          arow[lx] = static_cast<float>(cum + t * len);
        }
      }
    }
    cum += len;
  }
  const double reach2 = reach * reach;
  for (int y = 0; y < rect.height; ++y) {
    const float* drow = d2.ptr<float>(y);
    const float* arow = arc.ptr<float>(y);
    float* crow = canvas.ptr<float>(y + rect.y);
    for (int x = 0; x < rect.width; ++x) {
      if (drow[x] >= reach2) continue;
      Multiply(crow + 3 * (x + rect.x), profile(std::sqrt(drow[x]), arow[x] / cum));
    }
  }
}

// A colour feature: redness (delta a*, Gaussian with half maximum at the radius, cut at 3 R) or
// a spot (delta L*, soft disc: 1 inside 0.7 R, raised-cosine edge to 0 at 1.3 R, half at R).
struct ColourBlob {
  cv::Point2d c;  // canvas px
  double radius, reach, value;
  bool spot;
  double Profile(double r2) const {
    if (!spot) return r2 < reach * reach ? std::exp(-kLn2 * r2 / (radius * radius)) : 0.0;
    const double t = (std::sqrt(r2) - 0.7 * radius) / (0.6 * radius);
    return t <= 0.0 ? 1.0 : (t >= 1.0 ? 0.0 : 0.5 * (1.0 + std::cos(kPi * t)));
  }
};

std::vector<ColourBlob> ColourBlobs(const SkinModel& m, const State& st) {
  std::vector<ColourBlob> blobs;
  const cv::Point2d origin(m.canvas.x, m.canvas.y);
  const double delta_a = m.skin.redness_delta_a * st.redness;
  const double delta_l = m.skin.spot_delta_l * st.spot;
  if (delta_a != 0.0) {
    for (const Blob& b : m.redness)
      blobs.push_back({b.c - origin, b.radius, 3.0 * b.radius, delta_a, false});
  }
  if (delta_l != 0.0) {
    for (const Blob& b : m.spots)
      blobs.push_back({b.c - origin, b.radius, 1.3 * b.radius, delta_l, true});
  }
  return blobs;
}

// Base colour (CIELAB -> linear) with the colour features added in CIELAB, times the
// micro-relief exp(k m). Row by row: the colour features are summed in row buffers.
void ColourPass(const SkinModel& m, const State& st, cv::Mat* canvas) {
  const cv::Size size = m.canvas.size();
  const std::vector<ColourBlob> blobs = ColourBlobs(m, st);
  const SkinOptions& s = m.skin;
  const cv::Vec3f base = LabToLinearBgr(s.base_l, s.base_a, s.base_b);
  const bool relief = st.relief > 0.0 && !m.relief.empty();
  const float k = static_cast<float>(st.relief);
  canvas->create(size, CV_32FC3);
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& range) {
    std::vector<float> dl(size.width, 0.0f), da(size.width, 0.0f);
    for (int y = range.start; y < range.end; ++y) {
      int x0 = size.width, x1 = -1;  // touched columns
      for (const ColourBlob& b : blobs) {
        const double dy = y - b.c.y;
        if (std::abs(dy) > b.reach) continue;
        const int bx0 = std::max(0, static_cast<int>(std::floor(b.c.x - b.reach)));
        const int bx1 = std::min(size.width - 1, static_cast<int>(std::ceil(b.c.x + b.reach)));
        for (int x = bx0; x <= bx1; ++x) {
          const double dx = x - b.c.x;
          const float v = static_cast<float>(b.value * b.Profile(dx * dx + dy * dy));
          (b.spot ? dl : da)[x] += v;
        }
        x0 = std::min(x0, bx0);
        x1 = std::max(x1, bx1);
      }
      cv::Vec3f* out = canvas->ptr<cv::Vec3f>(y);
      const float* mrow = relief ? m.relief.ptr<float>(y) : nullptr;
      for (int x = 0; x < size.width; ++x) {
        cv::Vec3f c = base;
        if (x >= x0 && x <= x1 && (dl[x] != 0.0f || da[x] != 0.0f)) {
          c = LabToLinearBgr(s.base_l + dl[x], s.base_a + da[x], s.base_b);
        }
        out[x] = relief ? c * std::exp(k * mrow[x]) : c;
      }
      for (int x = x0; x <= x1; ++x) dl[x] = da[x] = 0.0f;
    }
  });
}

void DrawScars(const SkinModel& m, const State& st, cv::Mat* canvas) {
  const double c = m.skin.scar_contrast * st.scar;
  if (c == 0.0) return;
  for (const Scar& s : m.scars) {
    const double e = std::max(1.5, 0.15 * s.radius);  // edge width (10 % - 90 % ~ 0.8 e)
    const double rmax = s.radius * (1.0 + s.amp[0] + s.amp[1] + s.amp[2]);
    ForEachPixel(*canvas, m.canvas.tl(), s.c, rmax + 2.5 * e, [&](double dx, double dy, float* px) {
      const double r = std::sqrt(dx * dx + dy * dy), th = std::atan2(dy, dx);
      double rt = 1.0;
      for (int k = 0; k < 3; ++k) rt += s.amp[k] * std::cos((k + 2) * th + s.phase[k]);
      rt *= s.radius;
      const double inside = 1.0 - Smoothstep((r - (rt - 0.5 * e)) / e);  // 0.5 at r = rt
      const double z = (r - rt - e) / (0.5 * e);
      const double rim = 0.25 * c * std::exp(-0.5 * z * z);  // slightly brighter rim
      Multiply(px, (1.0 - c * inside) * (1.0 + rim));
    });
  }
}

void DrawPores(const SkinModel& m, const State& st, cv::Mat* canvas) {
  const double c = m.skin.pore_contrast;
  if (c == 0.0) return;
  for (const Pore& p : m.pores) {
    if (p.close_draw < st.pore_close_fraction) continue;
    const double r = p.radius * st.pore_radius_scale;
    // Flat-bottom disc, darkness c inside r - 0.5, linear 1-px edge: c/2 at the radius.
    ForEachPixel(*canvas, m.canvas.tl(), p.c, r + 1.0, [&](double dx, double dy, float* px) {
      const double cover = std::min(1.0, std::max(0.0, r + 0.5 - std::sqrt(dx * dx + dy * dy)));
      if (cover > 0.0) Multiply(px, 1.0 - c * cover);
    });
  }
}

void DrawLines(const SkinModel& m, const State& st, cv::Mat* canvas) {
  const cv::Point origin = m.canvas.tl();
  for (const Line& l : m.wrinkles) {
    // Gaussian cross-profile, FWHM = width; contrast tapers over the last 15 % at each end.
    const double c = l.contrast * st.wrinkle, sigma = l.width / 2.3548200450309493;
    if (c == 0.0) continue;
    DrawLine(*canvas, origin, l, 3.5 * sigma + 1.0, [&](double d, double u) {
      return 1.0 - c * Taper(u, 0.15) * std::exp(-0.5 * d * d / (sigma * sigma));
    });
  }
  for (const Line& l : m.striae) {
    // Flat band, raised-cosine edges from 0.3 w to 0.7 w off the centre line (FWHM = w);
    // contrast tapers over the last 20 % at each end.
    const double c = l.contrast * st.striae, w = l.width;
    if (c == 0.0) continue;
    DrawLine(*canvas, origin, l, 0.7 * w + 1.0, [&](double d, double u) {
      const double t = (d - 0.3 * w) / (0.4 * w);
      const double band = t <= 0.0 ? 1.0 : (t >= 1.0 ? 0.0 : 0.5 * (1.0 + std::cos(kPi * t)));
      return 1.0 + c * Taper(u, 0.2) * band;
    });
  }
  for (const Line& l : m.hairs) {
    // Sharp: darkness c where the pixel is inside the hair, linear 1-px edge at w / 2.
    const double c = l.contrast, half = 0.5 * l.width;
    DrawLine(*canvas, origin, l, half + 1.0, [&](double d, double) {
      return 1.0 - c * std::min(1.0, std::max(0.0, half + 0.5 - d));
    });
  }
}

}  // namespace

void RenderSkin(const SkinModel& model, const TreatmentOptions* treatment, cv::Mat* canvas) {
  State st;
  st.relief = model.skin.micro_relief_rms;
  if (treatment != nullptr) {
    st.relief *= treatment->micro_relief_scale;
    st.pore_radius_scale = treatment->pore_radius_scale;
    st.pore_close_fraction = treatment->pore_close_fraction;
    st.scar = treatment->scar_contrast_scale;
    st.wrinkle = treatment->wrinkle_contrast_scale;
    st.striae = treatment->striae_contrast_scale;
    st.redness = treatment->redness_scale;
    st.spot = treatment->spot_contrast_scale;
  }
  ColourPass(model, st, canvas);
  DrawScars(model, st, canvas);
  DrawPores(model, st, canvas);
  DrawLines(model, st, canvas);
}

}  // namespace skintrack::phantom::internal
