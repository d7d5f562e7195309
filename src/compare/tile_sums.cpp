// Per-tile sums of each metric family for the change statistics (tile_sums.h).
#include "compare/tile_sums.h"

#include <limits>
#include <opencv2/imgproc.hpp>

#include "metrics/families.h"

namespace skintrack::compare::internal {
namespace {

namespace mi = metrics::internal;

constexpr int kMinTilePx = 8;

}  // namespace

Grid MakeGrid(cv::Size size, double tile_mm, double px_per_mm) {
  Grid g;
  g.tile_mm = tile_mm;
  g.tile_px = std::max(kMinTilePx, static_cast<int>(std::lround(tile_mm * px_per_mm)));
  g.cols = (size.width + g.tile_px - 1) / g.tile_px;
  g.rows = (size.height + g.tile_px - 1) / g.tile_px;
  return g;
}

// Region pixels and pixel count of each cell.
void CellCounts(const cv::Mat& region, const Grid& g, std::vector<double>* inside,
                std::vector<double>* total) {
  inside->assign(static_cast<size_t>(g.Cells()), 0.0);
  total->assign(static_cast<size_t>(g.Cells()), 0.0);
  for (int r = 0; r < g.rows; ++r)
    for (int c = 0; c < g.cols; ++c) {
      const cv::Rect cell = cv::Rect(c * g.tile_px, r * g.tile_px, g.tile_px, g.tile_px) &
                            cv::Rect(0, 0, region.cols, region.rows);
      (*inside)[static_cast<size_t>(r * g.cols + c)] = cv::countNonZero(region(cell));
      (*total)[static_cast<size_t>(r * g.cols + c)] = cell.area();
    }
}

// The texture sums gathered by the metrics (MetricsTileSums), when they are of this grid,
// these bands and `measured_px` pixels (the same measured mask).
bool TextureFromMetrics(const metrics::MetricsTileSums& t,
                        const std::vector<mi::TextureBand>& bands, const Grid& g,
                        double measured_px, TextureSession* out) {
  if (t.texture_tile_px != g.tile_px || t.texture.size() != bands.size() + 1) return false;
  for (const std::vector<double>& q : t.texture)
    if (q.size() != static_cast<size_t>(g.Cells())) return false;
  double px = 0.0;
  for (double v : t.texture.back()) px += v;
  if (px != measured_px) return false;
  out->sums.v = t.texture;
  out->band_noise.clear();
  out->noise_variance = 0.0;
  for (const mi::TextureBand& b : bands) {
    const double v = mi::BandNoiseVariance(t.texture_noise_sd, b);
    out->band_noise.push_back(v);
    out->noise_variance += v;
  }
  return true;
}

// ---- colour ----
// [0] sum EI, [1] sum a*, [2] sum L*, [3] pixel count.
// The colour sums gathered by the metrics, when they are of this grid and `region_px` px.
bool ColourFromMetrics(const metrics::MetricsTileSums& t, const Grid& g, double region_px,
                       CellSums* out) {
  if (t.colour_tile_px != g.tile_px || t.colour.size() != 4) return false;
  for (const std::vector<double>& q : t.colour)
    if (q.size() != static_cast<size_t>(g.Cells())) return false;
  double px = 0.0;
  for (double v : t.colour[3]) px += v;
  if (px != region_px) return false;
  out->v = t.colour;
  return true;
}

Status MeasureTileSums(const cv::Mat& image, const cv::Mat& roi, std::optional<double> mm_per_px,
                       const metrics::MetricsOptions& o, const metrics::TileRequest& request,
                       metrics::MetricsTileSums* out, const cv::Mat& linear_y) {
  mi::Context ctx;  // no hair mask computed: the region already excludes hair
  SKINTRACK_RETURN_IF_ERROR(mi::BuildContext(image, roi, mm_per_px, o, &ctx,
                                             cv::Mat::zeros(roi.size(), CV_8UC1), linear_y));
  out->texture_tile_px = request.texture_tile_px;
  out->colour_tile_px = request.colour_tile_px;
  if (request.texture_tile_px > 0) {
    metrics::TextureMetrics unused;
    SKINTRACK_RETURN_IF_ERROR(mi::MeasureTexture(ctx, o, &unused, cv::Mat(), out));
  }
  if (request.colour_tile_px > 0) {
    metrics::RednessMetrics redness;
    metrics::ToneMetrics tone;
    SKINTRACK_RETURN_IF_ERROR(mi::MeasureColour(ctx, o, &redness, &tone, out));
  }
  return Status::Ok();
}

// ---- detections ----
// [0] count, [1] sum pi d^2 / 4, [2] sum d (px).
CellSums PoreSums(const std::vector<metrics::Pore>& pores, const Grid& g) {
  CellSums out(3, g.Cells());
  for (const metrics::Pore& p : pores) {
    const size_t c = static_cast<size_t>(g.Cell(p.x, p.y));
    out.v[0][c] += 1.0;
    out.v[1][c] += CV_PI * 0.25 * p.diameter_px * p.diameter_px;
    out.v[2][c] += p.diameter_px;
  }
  return out;
}

// [0] area (px), [1] contrast x area.
CellSums ScarSums(const std::vector<metrics::Scar>& scars, const cv::Mat& region, const Grid& g) {
  CellSums out(2, g.Cells());
  const cv::Rect image(0, 0, region.cols, region.rows);
  for (const metrics::Scar& s : scars) {
    std::vector<double> share(static_cast<size_t>(g.Cells()), 0.0);
    double total = 0.0;
    const cv::Rect box = s.bbox & image;
    if (box.area() > 0 && !s.contour.empty()) {
      cv::Mat local = cv::Mat::zeros(box.size(), CV_8UC1);
      std::vector<std::vector<cv::Point>> poly(1);
      for (const cv::Point& p : s.contour) poly[0].push_back(p - box.tl());
      cv::fillPoly(local, poly, cv::Scalar(255));
      local &= region(box);
      for (int y = 0; y < local.rows; ++y) {
        const uchar* m = local.ptr<uchar>(y);
        for (int x = 0; x < local.cols; ++x) {
          if (!m[x]) continue;
          share[static_cast<size_t>(g.Cell(box.x + x, box.y + y))] += 1.0;
          total += 1.0;
        }
      }
    }
    if (total <= 0.0) {  // degenerate outline: all of it at the box centre
      share[static_cast<size_t>(
          g.Cell(s.bbox.x + 0.5 * (s.bbox.width - 1), s.bbox.y + 0.5 * (s.bbox.height - 1)))] = 1.0;
      total = 1.0;
    }
    for (size_t c = 0; c < share.size(); ++c) {
      if (share[c] <= 0.0) continue;
      const double area = s.area_px * share[c] / total;
      out.v[0][c] += area;
      out.v[1][c] += s.contrast * area;
    }
  }
  return out;
}

// [0] length (px), [1] width x length (px^2), [2] depth x length (px).
CellSums LineSums(const std::vector<metrics::Line>& lines, const Grid& g) {
  CellSums out(3, g.Cells());
  for (const metrics::Line& l : lines) {
    double poly_len = 0.0;
    for (size_t i = 1; i < l.polyline.size(); ++i)
      poly_len += cv::norm(l.polyline[i] - l.polyline[i - 1]);
    auto add = [&](size_t cell, double len) {
      out.v[0][cell] += len;
      out.v[1][cell] += l.width_px * len;
      out.v[2][cell] += l.contrast * len;
    };
    if (poly_len <= 0.0) {
      if (!l.polyline.empty())
        add(static_cast<size_t>(g.Cell(l.polyline[0].x, l.polyline[0].y)), l.length_px);
      continue;
    }
    const double k = l.length_px / poly_len;
    for (size_t i = 1; i < l.polyline.size(); ++i) {
      const cv::Point2d a = l.polyline[i - 1], b = l.polyline[i];
      add(static_cast<size_t>(g.Cell(0.5 * (a.x + b.x), 0.5 * (a.y + b.y))), k * cv::norm(b - a));
    }
  }
  return out;
}

}  // namespace skintrack::compare::internal
