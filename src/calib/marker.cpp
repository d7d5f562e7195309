// ArUco marker detection with sub-pixel edge-line corners, plane homography and scale; marker
// rendering. See include/skintrack/calib/marker.h and docs/scale.md.
#include "skintrack/calib/marker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <opencv2/aruco.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "calib/charuco.h"
#include "calib/dictionary.h"
#include "skintrack/core/homography.h"
#include "skintrack/core/image.h"
#include "skintrack/photometric/color.h"

namespace skintrack::calib {
namespace {

using internal::Dictionaries;
using internal::GetDictionary;

// Bilinear sample of a CV_32FC1 image, coordinates clamped to the image.
double Sample(const cv::Mat& img, double x, double y) {
  x = std::clamp(x, 0.0, img.cols - 1.0);
  y = std::clamp(y, 0.0, img.rows - 1.0);
  const int x0 = std::min(static_cast<int>(x), img.cols - 2 < 0 ? 0 : img.cols - 2);
  const int y0 = std::min(static_cast<int>(y), img.rows - 2 < 0 ? 0 : img.rows - 2);
  const int x1 = std::min(x0 + 1, img.cols - 1), y1 = std::min(y0 + 1, img.rows - 1);
  const double fx = x - x0, fy = y - y0;
  const float* r0 = img.ptr<float>(y0);
  const float* r1 = img.ptr<float>(y1);
  return (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x1]);
}

// A line through `p` with unit direction `d`.
struct Line2 {
  cv::Point2d p, d;
};

bool Intersect(const Line2& a, const Line2& b, cv::Point2d* out) {
  const double den = a.d.x * b.d.y - a.d.y * b.d.x;
  if (std::abs(den) < 1e-9) return false;
  const cv::Point2d w = b.p - a.p;
  const double t = (w.x * b.d.y - w.y * b.d.x) / den;
  *out = a.p + t * a.d;
  return true;
}

// One pass of edge-line refinement on linear luminance `lum` (whose origin is at image px
// `origin`). Returns false (corners untouched) when an edge has too few usable points.
bool RefineOnce(const cv::Mat& lum, const cv::Point2d& origin, int cells_per_side,
                double profile_cells, std::array<cv::Point2d, 4>* corners) {
  std::array<cv::Point2d, 4> c;
  for (int k = 0; k < 4; ++k) c[k] = (*corners)[k] - origin;
  const cv::Point2d centroid = 0.25 * (c[0] + c[1] + c[2] + c[3]);
  std::array<Line2, 4> lines;
  for (int k = 0; k < 4; ++k) {
    const cv::Point2d a = c[k], b = c[(k + 1) % 4];
    const double len = cv::norm(b - a);
    if (len < 4.0) return false;
    const cv::Point2d u = (b - a) * (1.0 / len);
    cv::Point2d n(u.y, -u.x);
    if ((0.5 * (a + b) - centroid).dot(n) < 0) n = -n;  // outward: black -> white
    const double cell = len / cells_per_side;
    const double half = std::max(1.5, profile_cells * cell);
    const double margin = std::max(half, 0.5 * cell) + 2.0;
    const double h = 0.25;  // profile step, px
    const int m = static_cast<int>(std::ceil(half / h));
    std::vector<double> v(2 * m + 1), g(2 * m + 1);
    std::vector<cv::Point2f> pts;
    for (double t = margin; t <= len - margin; t += 1.0) {
      const cv::Point2d base = a + t * u;
      for (int i = -m; i <= m; ++i) {
        const cv::Point2d q = base + (i * h) * n;
        v[i + m] = Sample(lum, q.x, q.y);
      }
      int imax = -1;
      double gmax = 0.0;
      for (int i = 1; i < 2 * m; ++i) {
        g[i] = (v[i + 1] - v[i - 1]) / (2 * h);
        if (g[i] > gmax) gmax = g[i], imax = i;
      }
      if (imax < 0 || gmax * 2.0 * half < 0.02) continue;  // no black -> white step here
      // Centroid of the derivative over its connected run above a quarter of its peak.
      const double thr = 0.25 * gmax;
      int lo = imax, hi = imax;
      while (lo > 1 && g[lo - 1] > thr) --lo;
      while (hi < 2 * m - 1 && g[hi + 1] > thr) ++hi;
      double sw = 0.0, sx = 0.0;
      for (int i = lo; i <= hi; ++i) {
        sw += g[i] - thr;
        sx += (g[i] - thr) * (i - m) * h;
      }
      if (sw <= 0.0) continue;
      const cv::Point2d e = base + (sx / sw) * n;
      pts.emplace_back(static_cast<float>(e.x), static_cast<float>(e.y));
    }
    if (pts.size() < 4) return false;
    cv::Vec4f fit;
    cv::fitLine(pts, fit, cv::DIST_HUBER, 0, 0.01, 0.01);
    lines[k] = {cv::Point2d(fit[2], fit[3]), cv::Point2d(fit[0], fit[1])};
  }
  std::array<cv::Point2d, 4> refined;
  for (int k = 0; k < 4; ++k) {
    if (!Intersect(lines[(k + 3) % 4], lines[k], &refined[k])) return false;
    const double cell = cv::norm(c[(k + 1) % 4] - c[k]) / cells_per_side;
    if (cv::norm(refined[k] - c[k]) > 0.5 * cell) return false;  // implausible jump
  }
  for (int k = 0; k < 4; ++k) (*corners)[k] = refined[k] + origin;
  return true;
}

// Homography mapping src[k] to dst[k] (4 points), in double precision. False when degenerate.
bool Homography4(const std::array<cv::Point2d, 4>& src, const std::array<cv::Point2d, 4>& dst,
                 cv::Matx33d* h) {
  cv::Matx<double, 8, 8> a;
  cv::Matx<double, 8, 1> b;
  for (int k = 0; k < 4; ++k) {
    const double x = src[k].x, y = src[k].y, u = dst[k].x, v = dst[k].y;
    const double r0[8] = {x, y, 1, 0, 0, 0, -u * x, -u * y};
    const double r1[8] = {0, 0, 0, x, y, 1, -v * x, -v * y};
    for (int j = 0; j < 8; ++j) {
      a(2 * k, j) = r0[j];
      a(2 * k + 1, j) = r1[j];
    }
    b(2 * k) = u;
    b(2 * k + 1) = v;
  }
  cv::Matx<double, 8, 1> s;
  if (!cv::solve(a, b, s, cv::DECOMP_LU)) return false;
  *h = cv::Matx33d(s(0), s(1), s(2), s(3), s(4), s(5), s(6), s(7), 1.0);
  return true;
}

// RMS residual of the least-squares similarity mapping `src` onto `dst`.
double SimilarityResidual(const std::array<cv::Point2d, 4>& src,
                          const std::array<cv::Point2d, 4>& dst) {
  cv::Point2d ms(0, 0), md(0, 0);
  for (int k = 0; k < 4; ++k) ms += src[k] * 0.25, md += dst[k] * 0.25;
  double ss = 0.0, a = 0.0, b = 0.0;
  for (int k = 0; k < 4; ++k) {
    const cv::Point2d s = src[k] - ms, d = dst[k] - md;
    ss += s.dot(s);
    a += s.x * d.x + s.y * d.y;
    b += s.x * d.y - s.y * d.x;
  }
  a /= ss;
  b /= ss;
  double r2 = 0.0;
  for (int k = 0; k < 4; ++k) {
    const cv::Point2d s = src[k] - ms;
    const cv::Point2d p = md + cv::Point2d(a * s.x - b * s.y, b * s.x + a * s.y);
    const cv::Point2d e = p - dst[k];
    r2 += e.dot(e);
  }
  return std::sqrt(r2 / 4.0);
}

double QuadArea(const std::vector<cv::Point2f>& q) {
  double a = 0.0;
  for (size_t k = 0; k < q.size(); ++k) {
    const cv::Point2f& p = q[k];
    const cv::Point2f& r = q[(k + 1) % q.size()];
    a += static_cast<double>(p.x) * r.y - static_cast<double>(r.x) * p.y;
  }
  return 0.5 * std::abs(a);
}

// A detected quad with the evidence used to choose among duplicates of one id.
struct Candidate {
  std::array<cv::Point2d, 4> c;
  double area = 0.0;   // px^2
  double step = 0.0;   // EdgeStep
  cv::Mat lum;         // linear luminance around the quad
  cv::Point2d origin;  // image px of lum(0, 0)
};

// Linear luminance (CV_32FC1) of `image` around the quad `c`, padded by a cell and 8 px; the
// image px of its (0, 0) goes to *origin. Only this region is linearised.
cv::Mat LuminanceAround(const cv::Mat& image, const std::array<cv::Point2d, 4>& c, int cells,
                        cv::Point2d* origin) {
  double side = 0.0;
  for (int k = 0; k < 4; ++k) side += 0.25 * cv::norm(c[(k + 1) % 4] - c[k]);
  const double pad = side / cells + 8.0;
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const cv::Point2d& p : c) {
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  }
  const cv::Rect roi = cv::Rect(cv::Point(static_cast<int>(std::floor(x0 - pad)),
                                          static_cast<int>(std::floor(y0 - pad))),
                                cv::Point(static_cast<int>(std::ceil(x1 + pad)) + 1,
                                          static_cast<int>(std::ceil(y1 + pad)) + 1)) &
                       cv::Rect(0, 0, image.cols, image.rows);
  *origin = cv::Point2d(roi.x, roi.y);
  return photometric::SrgbToLinearLuminance(image(roi).clone());
}

// Mean linear-luminance step across the quad's outline, outside minus inside, sampled a
// quarter cell either side of each edge over its middle 60 %: large and positive only for the
// true outer edge of the black border.
double EdgeStep(const cv::Mat& lum, const cv::Point2d& origin, const std::array<cv::Point2d, 4>& c,
                int cells) {
  cv::Point2d centroid(0, 0);
  for (const cv::Point2d& p : c) centroid += 0.25 * (p - origin);
  double sum = 0.0;
  int n = 0;
  for (int k = 0; k < 4; ++k) {
    const cv::Point2d a = c[k] - origin, b = c[(k + 1) % 4] - origin;
    const double len = cv::norm(b - a);
    if (len < 1.0) return 0.0;
    const cv::Point2d u = (b - a) * (1.0 / len);
    cv::Point2d nrm(u.y, -u.x);
    if ((0.5 * (a + b) - centroid).dot(nrm) < 0) nrm = -nrm;
    const double d = std::max(1.0, 0.25 * len / cells);
    for (int i = 0; i <= 20; ++i) {
      const cv::Point2d p = a + (0.2 + 0.6 * i / 20.0) * (b - a);
      const cv::Point2d po = p + d * nrm, pi = p - d * nrm;
      sum += Sample(lum, po.x, po.y) - Sample(lum, pi.x, pi.y);
      ++n;
    }
  }
  return sum / n;
}

}  // namespace

Status MarkerOptions::Check() const {
  const std::string p = "MarkerOptions.";
  if (Dictionaries().count(dictionary) == 0) {
    return Status::InvalidArgument(p + "dictionary: unknown ArUco dictionary '" + dictionary +
                                   "' (e.g. DICT_4X4_50, DICT_5X5_100, DICT_APRILTAG_36h11)");
  }
  if (!(side_mm > 0.0 && side_mm <= 1000.0)) {
    char got[32];
    std::snprintf(got, sizeof(got), "%.6g", side_mm);
    return Status::InvalidArgument(p + "side_mm must be in (0, 1000] mm, got " + got);
  }
  if (!(min_marker_distance_rate >= 0.0 && min_marker_distance_rate < 1.0)) {
    return Status::InvalidArgument(p + "min_marker_distance_rate must be in [0, 1)");
  }
  if (!(min_marker_perimeter_rate > 0.0 && min_marker_perimeter_rate < 4.0)) {
    return Status::InvalidArgument(p + "min_marker_perimeter_rate must be in (0, 4)");
  }
  if (search_max_side_px != 0 && !(search_max_side_px >= 64 && search_max_side_px <= 100000)) {
    return Status::InvalidArgument(p + "search_max_side_px must be 0 (full resolution) or in " +
                                   "[64, 100000], got " + std::to_string(search_max_side_px));
  }
  if (!(refine_profile_cells >= 0.1 && refine_profile_cells <= 0.5)) {
    return Status::InvalidArgument(p + "refine_profile_cells must be in [0.1, 0.5]");
  }
  if (!(quiet_zone_cells >= 0.0 && quiet_zone_cells <= 10.0)) {
    return Status::InvalidArgument(p + "quiet_zone_cells must be in [0, 10]");
  }
  if (charuco_squares_x < 0 || charuco_squares_y < 0) {
    return Status::InvalidArgument(p + "charuco_squares_x and _y must be >= 0 (0 = no board)");
  }
  if (UsesBoard()) {
    if (charuco_squares_x < 3 || charuco_squares_y < 3 || charuco_squares_x > 100 ||
        charuco_squares_y > 100) {
      return Status::InvalidArgument(p + "charuco_squares_x and _y must be in [3, 100], got " +
                                     std::to_string(charuco_squares_x) + "x" +
                                     std::to_string(charuco_squares_y));
    }
    if (!(charuco_square_mm > 0.0 && charuco_square_mm <= 1000.0)) {
      return Status::InvalidArgument(p + "charuco_square_mm must be in (0, 1000] mm");
    }
    if (!(charuco_marker_mm > 0.0 && charuco_marker_mm < charuco_square_mm)) {
      return Status::InvalidArgument(p + "charuco_marker_mm must be > 0 and < charuco_square_mm");
    }
    const int markers = charuco_squares_x * charuco_squares_y / 2;
    const int available = GetDictionary(dictionary)->bytesList.rows;
    if (markers > available) {
      return Status::InvalidArgument(
          p + "charuco_squares_x and _y: a " + std::to_string(charuco_squares_x) + "x" +
          std::to_string(charuco_squares_y) + " board needs " + std::to_string(markers) +
          " markers, " + dictionary + " has " + std::to_string(available));
    }
    if (charuco_min_corners < 4) {
      return Status::InvalidArgument(p + "charuco_min_corners must be >= 4");
    }
  }
  return Status::Ok();
}

Status MarkerCells(int id, const MarkerOptions& options, cv::Mat* cells) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (cells == nullptr) return Status::InvalidArgument("MarkerCells: cells is null");
  const cv::Ptr<cv::aruco::Dictionary> dict = GetDictionary(options.dictionary);
  if (id < 0 || id >= dict->bytesList.rows) {
    return Status::InvalidArgument("marker id must be in [0, " +
                                   std::to_string(dict->bytesList.rows - 1) + "] for " +
                                   options.dictionary + ", got " + std::to_string(id));
  }
  const int n = dict->markerSize + 2;
  dict->drawMarker(id, n, *cells, 1);  // one px per cell
  return Status::Ok();
}

int MarkerSidePx(double side_mm, double dpi) {
  return static_cast<int>(std::lround(side_mm / 25.4 * dpi));
}

Status RenderMarker(int id, double side_mm, double dpi, const MarkerOptions& options,
                    cv::Mat* out) {
  if (out == nullptr) return Status::InvalidArgument("RenderMarker: out is null");
  if (!(side_mm > 0.0 && side_mm <= 1000.0)) {
    return Status::InvalidArgument("marker side must be in (0, 1000] mm, got " +
                                   std::to_string(side_mm));
  }
  if (!(dpi >= 72.0 && dpi <= 4800.0)) {
    return Status::InvalidArgument("dpi must be in [72, 4800], got " + std::to_string(dpi));
  }
  cv::Mat cells;
  SKINTRACK_RETURN_IF_ERROR(MarkerCells(id, options, &cells));
  const int n = cells.rows;
  const int side = MarkerSidePx(side_mm, dpi);
  if (side < 2 * n) {
    return Status::InvalidArgument("marker of " + std::to_string(side_mm) + " mm at " +
                                   std::to_string(dpi) + " dpi is " + std::to_string(side) +
                                   " px, fewer than 2 px per cell (" + std::to_string(n) +
                                   " cells); raise --mm or --dpi");
  }
  const int quiet = static_cast<int>(std::lround(options.quiet_zone_cells * side / n));
  const int total = side + 2 * quiet;
  if (total > 30000) {
    return Status::InvalidArgument("marker image would be " + std::to_string(total) +
                                   " px a side, more than 30000; lower --mm or --dpi");
  }
  cv::Mat img(total, total, CV_8UC1, cv::Scalar(255));
  const auto edge = [&](int i) { return static_cast<int>(std::lround(double(i) * side / n)); };
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) {
      const cv::Rect cell(quiet + edge(c), quiet + edge(r), edge(c + 1) - edge(c),
                          edge(r + 1) - edge(r));
      img(cell).setTo(cells.at<uchar>(r, c));
    }
  }
  *out = img;
  return Status::Ok();
}

Status DetectMarkerScale(const cv::Mat& image, const MarkerOptions& options, MarkerScale* out) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (out == nullptr) return Status::InvalidArgument("DetectMarkerScale: out is null");
  SKINTRACK_RETURN_IF_ERROR(CheckImage(image, kImageType, 16, "DetectMarkerScale: image"));
  *out = MarkerScale();
  if (options.UsesBoard()) return internal::DetectCharucoScale(image, options, out);
  try {
    const cv::Ptr<cv::aruco::Dictionary> dict = GetDictionary(options.dictionary);
    // Grey 8-bit search image, reduced to options.search_max_side_px (a search px (u, v)
    // covers full px ((u + 0.5) fx - 0.5, (v + 0.5) fy - 0.5)).
    cv::Mat grey_f, grey;
    cv::cvtColor(image, grey_f, cv::COLOR_BGR2GRAY);
    const int long_side = std::max(image.cols, image.rows);
    if (options.search_max_side_px > 0 && long_side > options.search_max_side_px) {
      const double k = static_cast<double>(options.search_max_side_px) / long_side;
      const cv::Size small(std::max(1, static_cast<int>(std::lround(image.cols * k))),
                           std::max(1, static_cast<int>(std::lround(image.rows * k))));
      cv::resize(grey_f, grey_f, small, 0.0, 0.0, cv::INTER_AREA);
    }
    const double fx = static_cast<double>(image.cols) / grey_f.cols;
    const double fy = static_cast<double>(image.rows) / grey_f.rows;
    grey_f.convertTo(grey, CV_8U, 255.0);  // rounds and saturates
    cv::Ptr<cv::aruco::DetectorParameters> params = cv::aruco::DetectorParameters::create();
    params->minMarkerDistanceRate = options.min_marker_distance_rate;
    params->minMarkerPerimeterRate = options.min_marker_perimeter_rate;
    params->cornerRefinementMethod = cv::aruco::CORNER_REFINE_NONE;  // refined below
    std::vector<std::vector<cv::Point2f>> corners;
    std::vector<int> ids;
    cv::aruco::detectMarkers(grey, dict, corners, ids, params);

    // Per id, the detection whose outline is a real black -> white outer edge. METHODS.md says
    // "keep the smallest" (a thin white border decodes as a larger duplicate), but a smaller
    // duplicate inside the marker (the black border's inner outline with adjacent black bits)
    // also decodes as the same id: the edge step tells all three apart (true outline: black
    // inside, white paper outside; paper outline: white inside, skin outside; inner outline:
    // black outside). Ties go to the smaller quad.
    const int cells = dict->markerSize + 2;
    std::map<int, Candidate> best_per_id;
    for (size_t i = 0; i < ids.size(); ++i) {
      Candidate cand;
      for (int k = 0; k < 4; ++k) {
        cv::Point2f& q = corners[i][k];
        q.x = static_cast<float>((q.x + 0.5) * fx - 0.5);
        q.y = static_cast<float>((q.y + 0.5) * fy - 0.5);
        cand.c[k] = cv::Point2d(q.x, q.y);
      }
      cand.area = QuadArea(corners[i]);
      cand.lum = LuminanceAround(image, cand.c, cells, &cand.origin);
      cand.step = EdgeStep(cand.lum, cand.origin, cand.c, cells);
      auto it = best_per_id.find(ids[i]);
      if (it == best_per_id.end() || cand.step > it->second.step + 1e-6 ||
          (std::abs(cand.step - it->second.step) <= 1e-6 && cand.area < it->second.area)) {
        best_per_id[ids[i]] = std::move(cand);
      }
    }
    if (best_per_id.empty()) return Status::Ok();
    out->n_markers = static_cast<int>(best_per_id.size());
    // The largest of the distinct markers (most px); std::map order makes ties go to the
    // lower id.
    auto best = best_per_id.begin();
    for (auto it = best_per_id.begin(); it != best_per_id.end(); ++it) {
      if (it->second.area > best->second.area) best = it;
    }
    std::array<cv::Point2d, 4> c = best->second.c;
    if (options.refine_corners) {
      for (int pass = 0; pass < 2; ++pass) {
        if (!RefineOnce(best->second.lum, best->second.origin, cells, options.refine_profile_cells,
                        &c)) {
          break;
        }
      }
    }

    const double s = options.side_mm;
    const std::array<cv::Point2d, 4> ideal = {cv::Point2d(0, 0), cv::Point2d(s, 0),
                                              cv::Point2d(s, s), cv::Point2d(0, s)};
    cv::Matx33d h;
    if (!Homography4(ideal, c, &h)) return Status::Ok();  // degenerate quad: not usable
    const cv::Point2d m(0.5 * s, 0.5 * s);
    const double px_per_mm = LocalScale(h, m);  // image px per mm at m
    if (!(std::isfinite(px_per_mm) && px_per_mm > 0.0)) return Status::Ok();
    out->found = true;
    out->id = best->first;
    out->corners = c;
    out->image_from_marker_mm = h;
    out->centre = ApplyHomography(h, m);
    out->mm_per_px = 1.0 / px_per_mm;
    out->fit_residual_px = SimilarityResidual(ideal, c);
    double perimeter = 0.0;
    for (int k = 0; k < 4; ++k) perimeter += cv::norm(c[(k + 1) % 4] - c[k]);
    out->side_px = 0.25 * perimeter;
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("DetectMarkerScale: OpenCV error: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace skintrack::calib
