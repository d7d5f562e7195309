// The scene marker: a printed ArUco marker lying on the skin (MarkerSceneOptions).
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "phantom/phantom_internal.h"
#include "skintrack/calib/marker.h"
#include "skintrack/photometric/color.h"
#include "skintrack/photometric/colour_calibration.h"

namespace skintrack::phantom::internal {

cv::Matx33d SkinFromMarkerMm(const MarkerSceneOptions& marker, double px_per_mm,
                             const cv::Matx33d& before_from_skin, cv::Size size) {
  const cv::Point2d in_before(marker.centre_x_fraction * (size.width - 1),
                              marker.centre_y_fraction * (size.height - 1));
  const cv::Point2d c = ApplyHomography(before_from_skin.inv(), in_before);
  const double r = marker.rotation_deg * CV_PI / 180.0;
  const double k = px_per_mm, half = 0.5 * marker.side_mm;
  const cv::Matx33d rot_scale(k * std::cos(r), -k * std::sin(r), 0.0, k * std::sin(r),
                              k * std::cos(r), 0.0, 0.0, 0.0, 1.0);
  return Translation(c.x, c.y) * rot_scale * Translation(-half, -half);
}

Status PaintMarker(const MarkerSceneOptions& marker, const cv::Matx33d& skin_from_marker_mm,
                   const cv::Rect& canvas, cv::Mat* linear) {
  calib::MarkerOptions mo;
  mo.dictionary = marker.dictionary;
  cv::Mat cells;
  SKINTRACK_RETURN_IF_ERROR(calib::MarkerCells(marker.id, mo, &cells));
  const int n = cells.rows;
  const double s = marker.side_mm, cell = s / n, q = marker.quiet_zone_cells * cell;
  // Bounding box of the paper, canvas px.
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const cv::Point2d& m : {cv::Point2d(-q, -q), cv::Point2d(s + q, -q),
                               cv::Point2d(s + q, s + q), cv::Point2d(-q, s + q)}) {
    const cv::Point2d p = ApplyHomography(skin_from_marker_mm, m) - cv::Point2d(canvas.x, canvas.y);
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  }
  const int ix0 = std::max(0, static_cast<int>(std::floor(x0)) - 1);
  const int iy0 = std::max(0, static_cast<int>(std::floor(y0)) - 1);
  const int ix1 = std::min(linear->cols - 1, static_cast<int>(std::ceil(x1)) + 1);
  const int iy1 = std::min(linear->rows - 1, static_cast<int>(std::ceil(y1)) + 1);
  const cv::Matx33d mm_from_canvas = (skin_from_marker_mm.inv()) * Translation(canvas.x, canvas.y);
  const float paper = static_cast<float>(marker.paper_reflectance);
  const float ink = static_cast<float>(marker.ink_reflectance);
  constexpr int kSub = 4;
  constexpr float kWeight = 1.0f / (kSub * kSub);
  cv::parallel_for_(cv::Range(iy0, std::max(iy0, iy1 + 1)), [&](const cv::Range& range) {
    for (int y = range.start; y < range.end; ++y) {
      cv::Vec3f* row = linear->ptr<cv::Vec3f>(y);
      for (int x = ix0; x <= ix1; ++x) {
        float reflect = 0.0f, skin_weight = 0.0f;
        for (int sy = 0; sy < kSub; ++sy) {
          for (int sx = 0; sx < kSub; ++sx) {
            const cv::Point2d m = ApplyHomography(
                mm_from_canvas,
                cv::Point2d(x + (sx + 0.5) / kSub - 0.5, y + (sy + 0.5) / kSub - 0.5));
            if (m.x < -q || m.y < -q || m.x >= s + q || m.y >= s + q) {
              skin_weight += kWeight;
            } else if (m.x < 0 || m.y < 0 || m.x >= s || m.y >= s) {
              reflect += kWeight * paper;
            } else {
              const int cx = std::min(n - 1, static_cast<int>(m.x / cell));
              const int cy = std::min(n - 1, static_cast<int>(m.y / cell));
              reflect += kWeight * (cells.at<uchar>(cy, cx) ? paper : ink);
            }
          }
        }
        if (skin_weight >= 1.0f) continue;
        row[x] = row[x] * skin_weight + cv::Vec3f(reflect, reflect, reflect);
      }
    }
  });
  return Status::Ok();
}

std::vector<cv::Point2d> ChartCornersInSkin(const ChartSceneOptions& chart,
                                            const cv::Matx33d& before_from_skin, cv::Size size) {
  const cv::Point2d in_before(chart.centre_x_fraction * (size.width - 1),
                              chart.centre_y_fraction * (size.height - 1));
  const cv::Matx33d skin_from_before = before_from_skin.inv();
  const cv::Point2d c = ApplyHomography(skin_from_before, in_before);
  const double k = LocalScale(skin_from_before, in_before);  // skin px per before px there
  const double w = chart.width_fraction * size.width * k;
  const double h = w * photometric::kChartHeight / photometric::kChartWidth;
  const photometric::ChartCorners corners =
      photometric::ChartCornersInRect(cv::Rect2d(c.x - 0.5 * w, c.y - 0.5 * h, w, h));
  std::vector<cv::Point2d> out;
  for (const auto& p : corners) out.emplace_back(p.x, p.y);
  return out;
}

Status PaintChart(const std::vector<cv::Point2d>& corners_skin, const cv::Rect& canvas,
                  cv::Mat* linear) {
  if (corners_skin.size() != 4) return Status::InvalidArgument("PaintChart: needs 4 corners");
  // RenderChart paints the internal form (sRGB-encoded): render into an sRGB copy of the
  // chart's box, then back to linear light.
  cv::Rect2d box_d = cv::boundingRect(
      std::vector<cv::Point2f>({cv::Point2f(corners_skin[0]), cv::Point2f(corners_skin[1]),
                                cv::Point2f(corners_skin[2]), cv::Point2f(corners_skin[3])}));
  cv::Rect box(static_cast<int>(std::floor(box_d.x)) - canvas.x - 2,
               static_cast<int>(std::floor(box_d.y)) - canvas.y - 2,
               static_cast<int>(std::ceil(box_d.width)) + 5,
               static_cast<int>(std::ceil(box_d.height)) + 5);
  box &= cv::Rect(0, 0, linear->cols, linear->rows);
  if (box.empty()) return Status::Ok();  // outside the rendered canvas
  cv::Mat srgb = photometric::LinearToSrgb((*linear)(box));
  cv::min(cv::max(srgb, 0.0), 1.0, srgb);
  photometric::ChartCorners local;
  for (size_t k = 0; k < 4; ++k)
    local[k] = cv::Point2f(static_cast<float>(corners_skin[k].x - canvas.x - box.x),
                           static_cast<float>(corners_skin[k].y - canvas.y - box.y));
  SKINTRACK_RETURN_IF_ERROR(
      photometric::RenderChart(local, photometric::ChartRenderOptions(), &srgb));
  photometric::SrgbToLinear(srgb).copyTo((*linear)(box));
  return Status::Ok();
}

}  // namespace skintrack::phantom::internal
