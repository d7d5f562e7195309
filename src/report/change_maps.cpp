#include "skintrack/report/change_maps.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "skintrack/core/image.h"
#include "skintrack/io/image_io.h"

namespace skintrack::report {
namespace {

// Diverging colour (BGR) for t in [-1, 1]: blue - white - red.
cv::Vec3b Diverging(double t) {
  t = std::clamp(t, -1.0, 1.0);
  const cv::Vec3d white(245, 245, 245), blue(180, 90, 30), red(35, 40, 200);
  const cv::Vec3d end = t < 0 ? blue : red;
  const double a = std::abs(t);
  const cv::Vec3d c = white * (1.0 - a) + end * a;
  return cv::Vec3b(cv::saturate_cast<uchar>(c[0]), cv::saturate_cast<uchar>(c[1]),
                   cv::saturate_cast<uchar>(c[2]));
}

// The before photo as the maps' 8-bit background and the region (0 / 255) at the map's size.
struct MapBase {
  cv::Mat photo, region;
  double sx = 1.0, sy = 1.0;  // map px per before px, along x and y
};

MapBase PrepareBase(const cv::Mat& before, const cv::Mat& region, const ChangeMapOptions& o) {
  MapBase b;
  const int long_side = std::max(before.cols, before.rows);
  b.photo = ToBgr8(before);
  if (!region.empty()) b.region = region != 0;
  if (o.max_side_px <= 0 || long_side <= o.max_side_px) return b;
  const double scale = static_cast<double>(o.max_side_px) / long_side;
  const cv::Size size(std::max(1, static_cast<int>(std::lround(before.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(before.rows * scale))));
  b.sx = static_cast<double>(size.width) / before.cols;
  b.sy = static_cast<double>(size.height) / before.rows;
  cv::resize(b.photo, b.photo, size, 0, 0, cv::INTER_AREA);
  if (!b.region.empty()) {  // a map pixel is in the region when at least half its area is
    cv::resize(b.region, b.region, size, 0, 0, cv::INTER_AREA);
    b.region = b.region >= 128;
  }
  return b;
}

// CheckImage's code unless `before` is the internal form; InvalidArgument unless `region` is
// empty or CV_8UC1 of its size.
Status CheckInputs(const cv::Mat& before, const cv::Mat& region) {
  SKINTRACK_RETURN_IF_ERROR(CheckImage(before, kImageType, 1, "change maps: before photo"));
  if (!region.empty() && (region.type() != CV_8UC1 || region.size() != before.size()))
    return Status::InvalidArgument("change maps: region must be CV_8UC1 of the photo's size");
  return Status::Ok();
}

// InvalidArgument unless the grid's change is CV_64FC1.
Status CheckGrid(const compare::ChangeGrid& grid) {
  if (!grid.change.empty() && grid.change.type() != CV_64FC1)
    return Status::InvalidArgument("change maps: " + grid.key + ": change must be CV_64FC1");
  return Status::Ok();
}

// Map px of before px `v` along an axis of scale `s` (tile edges: every tile keeps its share).
int ToMap(double v, double s) { return static_cast<int>(std::lround(v * s)); }

cv::Mat DrawChangeMap(const MapBase& base, const compare::ChangeGrid& grid, double range) {
  const cv::Mat& photo = base.photo;
  const cv::Mat& region = base.region;
  cv::Mat out;
  photo.convertTo(out, -1, 0.45);
  if (!(range > 0.0)) {  // also NaN
    std::vector<double> mags;
    for (int r = 0; r < grid.change.rows; ++r)
      for (int c = 0; c < grid.change.cols; ++c) {
        const double v = grid.change.at<double>(r, c);
        if (std::isfinite(v)) mags.push_back(std::abs(v));
      }
    if (!mags.empty()) {
      const size_t k = std::min(mags.size() - 1, static_cast<size_t>(0.98 * mags.size()));
      std::nth_element(mags.begin(), mags.begin() + static_cast<long>(k), mags.end());
      range = mags[k];
    }
    if (!(range > 0.0)) range = 1e-12;
  }
  const cv::Rect image(0, 0, photo.cols, photo.rows);
  // A grid without a tile size (tile_px <= 0) has no tiles to draw.
  const double t = grid.tile_px, sx = base.sx, sy = base.sy;
  const int tile_rows = t > 0 ? grid.change.rows : 0;
  for (int r = 0; r < tile_rows; ++r) {
    for (int c = 0; c < grid.change.cols; ++c) {
      const double v = grid.change.at<double>(r, c);
      if (!std::isfinite(v)) continue;
      const int x0 = ToMap(c * t, sx), y0 = ToMap(r * t, sy);
      const cv::Rect cell =
          cv::Rect(x0, y0, ToMap((c + 1) * t, sx) - x0, ToMap((r + 1) * t, sy) - y0) & image;
      if (cell.empty()) continue;
      cv::Mat tint(cell.size(), CV_8UC3, cv::Scalar(Diverging(v / range)));
      cv::Mat blended;
      cv::addWeighted(photo(cell), 0.45, tint, 0.55, 0.0, blended);
      if (region.empty()) {
        blended.copyTo(out(cell));
      } else {
        blended.copyTo(out(cell), region(cell));
      }
    }
  }
  // Tile borders, thin and dark, so that the grid reads as tiles (not on tiles under 4 map px,
  // where they would cover the map).
  const bool borders = t * std::min(sx, sy) >= 4.0;
  for (int k = 1; borders && ToMap(k * t, sx) < out.cols; ++k) {
    const int x = ToMap(k * t, sx);
    cv::line(out, {x, 0}, {x, out.rows - 1}, cv::Scalar(60, 60, 60), 1);
  }
  for (int k = 1; borders && ToMap(k * t, sy) < out.rows; ++k) {
    const int y = ToMap(k * t, sy);
    cv::line(out, {0, y}, {out.cols - 1, y}, cv::Scalar(60, 60, 60), 1);
  }
  // Legend: a bar from -range to +range and the metric's name.
  const int bar_w = std::max(100, out.cols / 5), bar_h = std::max(10, out.rows / 60);
  const int x0 = 10, y0 = 10 + bar_h;
  if (x0 + bar_w < out.cols && y0 + 3 * bar_h < out.rows) {
    char text[160];
    std::snprintf(text, sizeof(text), "%s  +-%.3g %s", grid.key.c_str(), range, grid.unit.c_str());
    const double scale = std::max(0.35, bar_h / 22.0);
    int baseline = 0;
    const int text_w = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline).width;
    // The black box holds the bar and the (possibly longer) text.
    cv::rectangle(out, {x0 - 6, 4},
                  {std::min(out.cols - 1, x0 + std::max(bar_w, text_w) + 6), y0 + 3 * bar_h},
                  cv::Scalar(0, 0, 0), cv::FILLED);
    for (int i = 0; i < bar_w; ++i)
      cv::line(out, {x0 + i, y0}, {x0 + i, y0 + bar_h},
               cv::Scalar(Diverging(2.0 * i / (bar_w - 1) - 1.0)), 1);
    cv::putText(out, text, {x0, y0 - 4}, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255),
                1, cv::LINE_AA);
    cv::putText(out, "decrease  |  increase", {x0, y0 + 2 * bar_h + 2}, cv::FONT_HERSHEY_SIMPLEX,
                scale, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
  return out;
}

}  // namespace

Status ChangeMapOptions::Check() const {
  if (max_side_px != 0 && (max_side_px < 256 || max_side_px > 65536))
    return Status::InvalidArgument("change maps: max_side_px must be 0 or in [256, 65536], got " +
                                   std::to_string(max_side_px));
  return Status::Ok();
}

std::string ChangeMapFileName(const compare::ChangeGrid& grid) {
  const std::string family = grid.key.substr(0, grid.key.find('.'));
  return kChangeMapPrefix + family + ".png";
}

cv::Mat ChangeMapImage(const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeGrid& grid, double range,
                       const ChangeMapOptions& options) {
  if (!options.Check().ok() || !CheckInputs(before, region).ok() || !CheckGrid(grid).ok())
    return cv::Mat();
  return DrawChangeMap(PrepareBase(before, region, options), grid, range);
}

Status WriteChangeMaps(const std::string& dir, const cv::Mat& before, const cv::Mat& region,
                       const compare::ChangeStats& stats, const ChangeMapOptions& options) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  SKINTRACK_RETURN_IF_ERROR(CheckInputs(before, region));
  for (const compare::ChangeGrid& g : stats.grids) SKINTRACK_RETURN_IF_ERROR(CheckGrid(g));
  const MapBase base = PrepareBase(before, region, options);  // once for every map
  std::vector<io::ImageToWrite> files;
  for (const compare::ChangeGrid& g : stats.grids)
    files.push_back({(std::filesystem::path(dir) / ChangeMapFileName(g)).string(),
                     DrawChangeMap(base, g, 0.0), 92});
  return io::WriteImages(files);
}

}  // namespace skintrack::report
