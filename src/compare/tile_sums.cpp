// Per-tile sums of each metric family for the change statistics (tile_sums.h).
#include "compare/tile_sums.h"

#include <limits>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "skintrack/photometric/color.h"

namespace skintrack::compare::internal {
namespace {

namespace mi = metrics::internal;

constexpr double kEiPerLn = 43.429448190325182;  // 100 / ln 10
constexpr float kChannelFloor = 1e-4f;
constexpr int kStripRows = 256;
constexpr int kMinTilePx = 8;

// Runs fn(y0, y1, strip) over strips of kStripRows rows in parallel.
template <typename Fn>
void ForStrips(int rows, const Fn& fn) {
  const int strips = (rows + kStripRows - 1) / kStripRows;
  cv::parallel_for_(cv::Range(0, strips), [&](const cv::Range& range) {
    for (int s = range.start; s < range.end; ++s)
      fn(s * kStripRows, std::min(rows, (s + 1) * kStripRows), s);
  });
}

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

TextureSession TextureSums(const cv::Mat& srgb, const cv::Mat& mask,
                           const std::vector<mi::TextureBand>& bands, const Grid& g) {
  TextureSession out(bands.size(), g.Cells());
  const mi::BandFilters filters = mi::MakeBandFilters(bands);
  const std::vector<double>& sigmas = filters.sigmas;
  const std::vector<std::pair<size_t, size_t>>& pairs = filters.pairs;
  const std::vector<cv::Mat>& kernels = filters.kernels;
  const int halo = filters.Halo() + 1;
  const int rows = srgb.rows, cols = srgb.cols;
  // The log offset of MeasureTexture, from the same samples of the mask.
  const double log_offset = mi::TextureLogOffsetOfSrgb(srgb, mask);
  const int strips = (rows + kStripRows - 1) / kStripRows;
  std::vector<CellSums> strip_sums(static_cast<size_t>(strips),
                                   CellSums(bands.size() + 1, g.Cells()));
  std::vector<double> noise_sum(static_cast<size_t>(strips), 0.0),
      noise_n(static_cast<size_t>(strips), 0.0);
  ForStrips(rows, [&](int y0, int y1, int s) {
    const int ya = std::max(0, y0 - halo), yb = std::min(rows, y1 + halo);
    cv::Mat l = photometric::SrgbToLinearLuminance(srgb.rowRange(ya, yb));
    cv::add(l, cv::Scalar(log_offset), l);
    cv::log(l, l);
    std::vector<cv::Mat> blurred(sigmas.size());
    for (size_t i = 0; i < sigmas.size(); ++i)
      cv::sepFilter2D(l, blurred[i], CV_32F, kernels[i], kernels[i], cv::Point(-1, -1), 0.0,
                      cv::BORDER_REFLECT);
    CellSums& cs = strip_sums[static_cast<size_t>(s)];
    std::vector<float> weight(static_cast<size_t>(cols));
    for (int y = y0; y < y1; ++y) {
      const int ly = y - ya;
      const uchar* m = mask.ptr<uchar>(y);
      for (int x = 0; x < cols; ++x) weight[static_cast<size_t>(x)] = m[x] ? 1.f : 0.f;
      const int cell_row = std::min(g.rows - 1, y / g.tile_px) * g.cols;
      for (size_t b = 0; b < pairs.size(); ++b) {
        const float* lo = blurred[pairs[b].first].ptr<float>(ly);
        const float* hi = blurred[pairs[b].second].ptr<float>(ly);
        const double inv_gain2 = 1.0 / (bands[b].gain * bands[b].gain);
        std::vector<double>& acc = cs.v[b];
        for (int x0 = 0; x0 < cols; x0 += g.tile_px) {
          const int x1 = std::min(cols, x0 + g.tile_px);
          double sum = 0.0;
          for (int x = x0; x < x1; ++x) {
            const float v = (lo[x] - hi[x]) * weight[static_cast<size_t>(x)];
            sum += static_cast<double>(v) * v;
          }
          acc[static_cast<size_t>(cell_row + x0 / g.tile_px)] += sum * inv_gain2;
        }
      }
      std::vector<double>& n = cs.v[bands.size()];
      for (int x0 = 0; x0 < cols; x0 += g.tile_px) {
        const int x1 = std::min(cols, x0 + g.tile_px);
        double count = 0.0;
        for (int x = x0; x < x1; ++x) count += weight[static_cast<size_t>(x)];
        n[static_cast<size_t>(cell_row + x0 / g.tile_px)] += count;
      }
      const int up = ly > 0 ? ly - 1 : ly, down = ly + 1 < l.rows ? ly + 1 : ly;
      mi::ImmerkaerRow(l.ptr<float>(up), l.ptr<float>(ly), l.ptr<float>(down), weight.data(), cols,
                       &noise_sum[static_cast<size_t>(s)], &noise_n[static_cast<size_t>(s)]);
    }
  });
  double ns = 0.0, nn = 0.0;
  for (int s = 0; s < strips; ++s) {
    out.sums.Add(strip_sums[static_cast<size_t>(s)]);
    ns += noise_sum[static_cast<size_t>(s)];
    nn += noise_n[static_cast<size_t>(s)];
  }
  const double sd = nn > 0 ? mi::kImmerkaerScale * ns / nn : 0.0;
  for (const mi::TextureBand& b : bands) {
    const double v = mi::BandNoiseVariance(sd, b);
    out.band_noise.push_back(v);
    out.noise_variance += v;
  }
  return out;
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
CellSums ColourSums(const cv::Mat& srgb, const cv::Mat& region, const Grid& g) {
  const int rows = srgb.rows, cols = srgb.cols;
  const int strips = (rows + kStripRows - 1) / kStripRows;
  std::vector<CellSums> strip_sums(static_cast<size_t>(strips), CellSums(4, g.Cells()));
  ForStrips(rows, [&](int y0, int y1, int s) {
    CellSums& cs = strip_sums[static_cast<size_t>(s)];
    std::vector<float> ratio(static_cast<size_t>(cols));
    for (int y = y0; y < y1; ++y) {
      const cv::Mat linear = photometric::SrgbToLinear(srgb.row(y));
      cv::Mat lab;
      cv::cvtColor(srgb.row(y), lab, cv::COLOR_BGR2Lab);
      const float* p = linear.ptr<float>(0);
      for (int x = 0; x < cols; ++x)
        ratio[static_cast<size_t>(x)] =
            std::max(p[3 * x + 2], kChannelFloor) / std::max(p[3 * x + 1], kChannelFloor);
      cv::Mat header(1, cols, CV_32FC1, ratio.data());
      cv::log(header, header);
      const float* lb = lab.ptr<float>(0);
      const uchar* m = region.ptr<uchar>(y);
      const int cell_row = std::min(g.rows - 1, y / g.tile_px) * g.cols;
      for (int x0 = 0; x0 < cols; x0 += g.tile_px) {
        const int x1 = std::min(cols, x0 + g.tile_px);
        double ei = 0, a = 0, l = 0, n = 0;
        for (int x = x0; x < x1; ++x) {
          if (!m[x]) continue;
          ei += ratio[static_cast<size_t>(x)];
          a += lb[3 * x + 1];
          l += lb[3 * x];
          n += 1.0;
        }
        const size_t cell = static_cast<size_t>(cell_row + x0 / g.tile_px);
        cs.v[0][cell] += kEiPerLn * ei;
        cs.v[1][cell] += a;
        cs.v[2][cell] += l;
        cs.v[3][cell] += n;
      }
    }
  });
  CellSums out(4, g.Cells());
  for (const CellSums& s : strip_sums) out.Add(s);
  return out;
}

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
