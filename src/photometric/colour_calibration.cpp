// Colour chart rendering, detection (cv::mcc), sampling and CCM fit (cv::ccm); the colour
// differences (CIELAB, CIEDE2000) are in colour_difference.cpp.
// Method: docs/colour.md.
#include "skintrack/photometric/colour_calibration.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/mcc.hpp>
#include <opencv2/video/tracking.hpp>
#include <sstream>

#include "skintrack/core/image.h"
#include "skintrack/photometric/color.h"

namespace skintrack::photometric {
namespace {

// cv::mcc's MCC24 model box lies one gap (0.1 patch) outside the patch grid.
constexpr double kMccBoxInset = kChartMargin - (kChartPatchPitch - 1.0);
// A patch with more than this fraction of clipped pixels is left out of the fit.
constexpr double kMaxClippedFraction = 0.01;

ChartCorners ChartFrameCorners() {
  const float w = static_cast<float>(kChartWidth), h = static_cast<float>(kChartHeight);
  return {cv::Point2f(0.f, 0.f), cv::Point2f(w, 0.f), cv::Point2f(w, h), cv::Point2f(0.f, h)};
}

cv::Matx33d ImageFromChart(const ChartCorners& corners) {
  const ChartCorners frame = ChartFrameCorners();
  const cv::Mat h = cv::getPerspectiveTransform(frame.data(), corners.data());
  return cv::Matx33d(h);
}

cv::Point2f Map(const cv::Matx33d& h, double x, double y) {
  const cv::Vec3d p = h * cv::Vec3d(x, y, 1.0);
  return cv::Point2f(static_cast<float>(p[0] / p[2]), static_cast<float>(p[1] / p[2]));
}

bool FiniteCorners(const ChartCorners& c) {
  for (const auto& p : c)
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return false;
  return true;
}

// Convex, consistently oriented and not degenerate (area >= 100 px^2).
bool ValidQuad(const ChartCorners& c) {
  if (!FiniteCorners(c)) return false;
  const std::vector<cv::Point2f> poly(c.begin(), c.end());
  return cv::isContourConvex(poly) && std::abs(cv::contourArea(poly)) >= 100.0;
}

double Linearise(double v, Linearisation lin, double gamma) {
  v = std::clamp(v, 0.0, 1.0);
  if (lin == Linearisation::kGamma) return std::pow(v, gamma);
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

cv::Mat LineariseImage(const cv::Mat& srgb, Linearisation lin, double gamma) {
  if (lin == Linearisation::kSrgb) return SrgbToLinear(srgb);
  cv::Mat clamped = cv::max(cv::min(srgb, 1.0), 0.0), out;
  cv::pow(clamped, gamma, out);
  return out;
}

struct PatchSample {
  cv::Vec3d linear_rgb;     // mean linear R, G, B
  cv::Vec3d srgb_rgb;       // mean encoded R, G, B
  double clipped_fraction;  // of the sampled pixels
  int pixels = 0;
};

// Samples the central `fraction` of `quad` (image px) of `srgb` (BGR CV_32FC3) and its linear
// light. Linear light is computed over the patch's bounding box only (lin, gamma: as
// LineariseImage).
PatchSample SamplePatch(const cv::Mat& srgb, Linearisation lin, double gamma, const PatchQuad& quad,
                        double fraction, double clip_level) {
  PatchSample s{};
  cv::Point2f c(0.f, 0.f);
  for (const auto& p : quad) c += p * 0.25f;
  constexpr int kShift = 4;  // sub-pixel vertices for fillConvexPoly
  std::vector<cv::Point2f> inner;
  for (const auto& p : quad) inner.push_back(c + (p - c) * static_cast<float>(fraction));
  const cv::Rect bounds = cv::boundingRect(inner) & cv::Rect(0, 0, srgb.cols, srgb.rows);
  if (bounds.area() <= 0) return s;
  std::vector<cv::Point> pts;
  for (const auto& p : inner)
    pts.emplace_back(cvRound((p.x - static_cast<float>(bounds.x)) * (1 << kShift)),
                     cvRound((p.y - static_cast<float>(bounds.y)) * (1 << kShift)));
  cv::Mat mask = cv::Mat::zeros(bounds.size(), CV_8UC1);
  cv::fillConvexPoly(mask, pts, cv::Scalar(255), cv::LINE_8, kShift);
  s.pixels = cv::countNonZero(mask);
  if (s.pixels == 0) return s;
  const cv::Scalar lm = cv::mean(LineariseImage(srgb(bounds), lin, gamma), mask);
  const cv::Scalar sm = cv::mean(srgb(bounds), mask);
  s.linear_rgb = cv::Vec3d(lm[2], lm[1], lm[0]);
  s.srgb_rgb = cv::Vec3d(sm[2], sm[1], sm[0]);
  std::vector<cv::Mat> ch;
  cv::split(srgb(bounds), ch);
  cv::Mat clipped = (ch[0] >= clip_level) | (ch[1] >= clip_level) | (ch[2] >= clip_level);
  s.clipped_fraction = static_cast<double>(cv::countNonZero(clipped & mask)) / s.pixels;
  return s;
}

// Chart corners from cv::mcc's box (4 points), rotated so that corner 0 is next to patch 0:
// of the 4 cyclic rotations, the one whose sampled patches best match mcc's own patch means.
bool CornersFromMcc(const std::vector<cv::Point2f>& box, const cv::Mat& charts_rgb,
                    const cv::Mat& srgb, double fraction, ChartCorners* corners) {
  if (box.size() != 4 || charts_rgb.rows != 3 * kChartPatches || charts_rgb.cols < 2) return false;
  const float in = static_cast<float>(kMccBoxInset);
  const float w = static_cast<float>(kChartWidth), h = static_cast<float>(kChartHeight);
  const cv::Point2f model[4] = {{in, in}, {w - in, in}, {w - in, h - in}, {in, h - in}};
  double best = -1.0;
  for (int rot = 0; rot < 4; ++rot) {
    cv::Point2f img[4];
    for (int i = 0; i < 4; ++i) img[i] = box[static_cast<size_t>((i + rot) % 4)];
    const cv::Matx33d image_from_chart(cv::getPerspectiveTransform(model, img));
    ChartCorners c;
    const ChartCorners frame = ChartFrameCorners();
    for (int i = 0; i < 4; ++i)
      c[static_cast<size_t>(i)] = Map(image_from_chart, frame[i].x, frame[i].y);
    if (!FiniteCorners(c)) continue;
    const auto quads = ChartPatchQuads(c);
    double ssd = 0.0;
    for (int k = 0; k < kChartPatches; ++k) {
      const PatchSample s = SamplePatch(srgb, Linearisation::kSrgb, 2.2,
                                        quads[static_cast<size_t>(k)], fraction, 2.0);
      for (int ch = 0; ch < 3; ++ch) {
        const double d = 255.0 * s.srgb_rgb[ch] - charts_rgb.at<double>(3 * k + ch, 1);
        ssd += d * d;
      }
    }
    if (best < 0.0 || ssd < best) {
      best = ssd;
      *corners = c;
    }
  }
  return best >= 0.0;
}

// Refines chart corners by aligning a synthetic image of the chart (reference luma of patches
// and body) to the photo's luma with ECC (homography; ECC is insensitive to gain and offset).
// Keeps the input when ECC fails or moves a corner by more than 0.3 chart units.
void RefineCorners(const cv::Mat& srgb, const ChartRenderOptions& body, ChartCorners* corners) {
  const double side =
      0.5 * (cv::norm(corners->at(1) - corners->at(0)) + cv::norm(corners->at(2) - corners->at(3)));
  const double s = std::clamp(side / kChartWidth, 8.0, 60.0);  // template px per chart unit
  const cv::Size tsize(cvRound(kChartWidth * s), cvRound(kChartHeight * s));
  cv::Mat templ(tsize, CV_32FC1, cv::Scalar(body.body_srgb));
  for (int k = 0; k < kChartPatches; ++k) {
    const cv::Vec3b& v = ChartReferenceSrgb8()[static_cast<size_t>(k)];
    const double luma = (0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]) / 255.0;
    const double x0 = (kChartMargin + (k % 6) * kChartPatchPitch) * s;
    const double y0 = (kChartMargin + (k / 6) * kChartPatchPitch) * s;
    cv::rectangle(templ, cv::Rect(cvRound(x0), cvRound(y0), cvRound(s), cvRound(s)),
                  cv::Scalar(luma), cv::FILLED);
  }
  cv::Mat gray;
  cv::cvtColor(srgb, gray, cv::COLOR_BGR2GRAY);
  // Template px (x, y) is chart point (x + 0.5, y + 0.5) / s.
  const cv::Matx33d chart_from_templ(1.0 / s, 0, 0.5 / s, 0, 1.0 / s, 0.5 / s, 0, 0, 1);
  const cv::Matx33d image_from_templ = ImageFromChart(*corners) * chart_from_templ;
  cv::Mat warp;
  cv::Mat(image_from_templ).convertTo(warp, CV_32F);
  try {
    cv::findTransformECC(
        templ, gray, warp, cv::MOTION_HOMOGRAPHY,
        cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 60, 1e-6), cv::noArray(),
        5);
  } catch (const cv::Exception&) {
    return;
  }
  cv::Matx33d refined;
  cv::Mat(warp).convertTo(cv::Mat(3, 3, CV_64F, refined.val), CV_64F);
  const cv::Matx33d image_from_chart = refined * chart_from_templ.inv();
  ChartCorners out;
  const ChartCorners frame = ChartFrameCorners();
  for (size_t i = 0; i < 4; ++i) {
    out[i] = Map(image_from_chart, frame[i].x, frame[i].y);
    if (!(cv::norm(out[i] - corners->at(i)) <= 0.3 * side / kChartWidth)) return;
  }
  if (ValidQuad(out)) *corners = out;
}

}  // namespace

const char* ColourStateName(ColourState state) {
  switch (state) {
    case ColourState::kChart:
      return "chart";
    case ColourState::kReferenceNormalised:
      return "reference-normalised";
    case ColourState::kUncalibrated:
      break;
  }
  return "uncalibrated";
}

const std::array<cv::Vec3b, kChartPatches>& ChartReferenceSrgb8() {
  static const std::array<cv::Vec3b, kChartPatches> kTable = {{
      {115, 82, 68},   {194, 150, 130}, {98, 122, 157}, {87, 108, 67},   {133, 128, 177},
      {103, 189, 170}, {214, 126, 44},  {80, 91, 166},  {193, 90, 99},   {94, 60, 108},
      {157, 188, 64},  {224, 163, 46},  {56, 61, 150},  {70, 148, 73},   {175, 54, 60},
      {231, 199, 31},  {187, 86, 149},  {8, 133, 161},  {243, 243, 242}, {200, 200, 200},
      {160, 160, 160}, {122, 122, 121}, {85, 85, 85},   {52, 52, 52},
  }};
  return kTable;
}

ChartCorners ChartCornersInRect(const cv::Rect2d& rect) {
  const double s = std::min(rect.width / kChartWidth, rect.height / kChartHeight);
  const double w = s * kChartWidth, h = s * kChartHeight;
  const double x0 = rect.x + 0.5 * (rect.width - w), y0 = rect.y + 0.5 * (rect.height - h);
  const auto f = [](double v) { return static_cast<float>(v); };
  return {cv::Point2f(f(x0), f(y0)), cv::Point2f(f(x0 + w), f(y0)),
          cv::Point2f(f(x0 + w), f(y0 + h)), cv::Point2f(f(x0), f(y0 + h))};
}

std::array<PatchQuad, kChartPatches> ChartPatchQuads(const ChartCorners& corners) {
  const cv::Matx33d h = ImageFromChart(corners);
  std::array<PatchQuad, kChartPatches> quads;
  for (int k = 0; k < kChartPatches; ++k) {
    const double x0 = kChartMargin + (k % 6) * kChartPatchPitch;
    const double y0 = kChartMargin + (k / 6) * kChartPatchPitch;
    quads[static_cast<size_t>(k)] = {Map(h, x0, y0), Map(h, x0 + 1.0, y0),
                                     Map(h, x0 + 1.0, y0 + 1.0), Map(h, x0, y0 + 1.0)};
  }
  return quads;
}

Status ChartRenderOptions::Check() const {
  if (!(body_srgb >= 0.0 && body_srgb <= 1.0))
    return Status::InvalidArgument("ChartRenderOptions.body_srgb must be in [0, 1], got " +
                                   std::to_string(body_srgb));
  if (supersample < 1 || supersample > 16)
    return Status::InvalidArgument("ChartRenderOptions.supersample must be in [1, 16], got " +
                                   std::to_string(supersample));
  return Status::Ok();
}

Status RenderChart(const ChartCorners& corners, const ChartRenderOptions& options, cv::Mat* image) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (image == nullptr) return Status::InvalidArgument("RenderChart: image is null");
  SKINTRACK_RETURN_IF_ERROR(CheckImage(*image, kImageType, 1, "RenderChart image"));
  if (!ValidQuad(corners))
    return Status::InvalidArgument(
        "RenderChart: corners must be a convex quadrilateral of at least 100 px^2");
  const std::vector<cv::Point2f> poly(corners.begin(), corners.end());
  const cv::Rect box = cv::boundingRect(poly) & cv::Rect(0, 0, image->cols, image->rows);
  if (box.area() <= 0) return Status::Ok();  // entirely outside the image
  const cv::Matx33d chart_from_image = ImageFromChart(corners).inv();

  // Linear colours of the patches and the body.
  std::array<cv::Vec3d, kChartPatches> patch;  // B, G, R linear
  for (int k = 0; k < kChartPatches; ++k) {
    const cv::Vec3b& rgb = ChartReferenceSrgb8()[static_cast<size_t>(k)];
    for (int c = 0; c < 3; ++c)
      patch[static_cast<size_t>(k)][2 - c] = Linearise(rgb[c] / 255.0, Linearisation::kSrgb, 2.2);
  }
  const double body = Linearise(options.body_srgb, Linearisation::kSrgb, 2.2);

  cv::Mat roi = (*image)(box);
  const cv::Mat scene = SrgbToLinear(roi);
  cv::Mat out = scene.clone();
  const int n = options.supersample;
  const double inv_n2 = 1.0 / (n * n);
  for (int y = 0; y < box.height; ++y) {
    for (int x = 0; x < box.width; ++x) {
      cv::Vec3d sum(0, 0, 0);
      int inside = 0;
      for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
          const double px = box.x + x - 0.5 + (i + 0.5) / n;
          const double py = box.y + y - 0.5 + (j + 0.5) / n;
          const cv::Vec3d q = chart_from_image * cv::Vec3d(px, py, 1.0);
          const double u = q[0] / q[2], v = q[1] / q[2];
          if (!(u >= 0.0 && u < kChartWidth && v >= 0.0 && v < kChartHeight)) continue;
          ++inside;
          const double cu = (u - kChartMargin) / kChartPatchPitch;
          const double cv_ = (v - kChartMargin) / kChartPatchPitch;
          const int col = static_cast<int>(std::floor(cu)), row = static_cast<int>(std::floor(cv_));
          const bool on_patch = col >= 0 && col < 6 && row >= 0 && row < 4 &&
                                (cu - col) * kChartPatchPitch < 1.0 &&
                                (cv_ - row) * kChartPatchPitch < 1.0;
          sum += on_patch ? patch[static_cast<size_t>(6 * row + col)] : cv::Vec3d(body, body, body);
        }
      }
      if (inside == 0) continue;
      const cv::Vec3f s = scene.at<cv::Vec3f>(y, x);
      cv::Vec3f& o = out.at<cv::Vec3f>(y, x);
      for (int c = 0; c < 3; ++c)
        o[c] = static_cast<float>((sum[c] + (n * n - inside) * static_cast<double>(s[c])) * inv_n2);
    }
  }
  LinearToSrgb(out).copyTo(roi);
  return Status::Ok();
}

Status ColourOptions::Check() const {
  if (!chart_corners.empty() && chart_corners.size() != 4)
    return Status::InvalidArgument("ColourOptions.chart_corners must hold 0 or 4 points, got " +
                                   std::to_string(chart_corners.size()));
  if (chart_corners.size() == 4) {
    ChartCorners c;
    std::copy(chart_corners.begin(), chart_corners.end(), c.begin());
    if (!ValidQuad(c))
      return Status::InvalidArgument(
          "ColourOptions.chart_corners must be a convex quadrilateral (TL, TR, BR, BL) of at "
          "least 100 px^2");
  }
  if (!(gamma >= 1.0 && gamma <= 3.0))
    return Status::InvalidArgument("ColourOptions.gamma must be in [1, 3], got " +
                                   std::to_string(gamma));
  if (!(patch_fraction > 0.0 && patch_fraction <= 1.0))
    return Status::InvalidArgument("ColourOptions.patch_fraction must be in (0, 1], got " +
                                   std::to_string(patch_fraction));
  if (!(clip_level > 0.5 && clip_level <= 1.0))
    return Status::InvalidArgument("ColourOptions.clip_level must be in (0.5, 1], got " +
                                   std::to_string(clip_level));
  if (min_patches < 9 || min_patches > kChartPatches)
    return Status::InvalidArgument("ColourOptions.min_patches must be in [9, 24], got " +
                                   std::to_string(min_patches));
  if (!(max_mean_de2000 > 0.0 && std::isfinite(max_mean_de2000)))
    return Status::InvalidArgument("ColourOptions.max_mean_de2000 must be > 0, got " +
                                   std::to_string(max_mean_de2000));
  return Status::Ok();
}

Status CalibrateColour(const cv::Mat& image, const ColourOptions& options,
                       ColourCalibration* calibration) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (calibration == nullptr) return Status::InvalidArgument("CalibrateColour: out is null");
  *calibration = ColourCalibration();
  calibration->linearisation = options.linearisation;
  calibration->gamma = options.gamma;
  SKINTRACK_RETURN_IF_ERROR(CheckImage(image, kImageType, 64, "CalibrateColour image"));
  // 1. Locate the chart.
  ChartCorners corners;
  if (options.chart_corners.size() == 4) {
    std::copy(options.chart_corners.begin(), options.chart_corners.end(), corners.begin());
    calibration->chart_source = "corners";
  } else if (options.detect_chart) {
    cv::Ptr<cv::mcc::CCheckerDetector> detector = cv::mcc::CCheckerDetector::create();
    const cv::Mat bgr8 = ToBgr8(image);
    if (!detector->process(bgr8, cv::mcc::MCC24, 1)) {
      calibration->message = "no colour chart (Macbeth 24) detected";
      return Status::Ok();
    }
    const cv::Ptr<cv::mcc::CChecker> checker = detector->getBestColorChecker();
    if (checker.empty() || !CornersFromMcc(checker->getBox(), checker->getChartsRGB(), image,
                                           options.patch_fraction, &corners)) {
      calibration->message = "colour chart detection returned no usable geometry";
      return Status::Ok();
    }
    calibration->chart_source = "detected";
  } else {
    calibration->message = "no colour chart: detection off and no corners given";
    return Status::Ok();
  }
  if (options.refine_corners) RefineCorners(image, ChartRenderOptions(), &corners);
  calibration->chart_corners.assign(corners.begin(), corners.end());

  // 2. Sample the patches.
  const auto quads = ChartPatchQuads(corners);
  cv::Mat src(kChartPatches, 1, CV_64FC3);
  int usable = 0;
  for (int k = 0; k < kChartPatches; ++k) {
    const PatchSample s =
        SamplePatch(image, options.linearisation, options.gamma, quads[static_cast<size_t>(k)],
                    options.patch_fraction, options.clip_level);
    calibration->patch_linear_rgb.push_back(s.linear_rgb);
    const bool ok = s.pixels > 0 && s.clipped_fraction <= kMaxClippedFraction;
    // cv::ccm leaves out patches outside the saturation thresholds set below: an unusable
    // patch is marked by a value above them.
    src.at<cv::Vec3d>(k) = ok ? s.linear_rgb : cv::Vec3d(2.0, 2.0, 2.0);
    usable += ok ? 1 : 0;
  }
  if (usable < options.min_patches) {
    std::ostringstream m;
    m << "colour chart (" << calibration->chart_source << ") has " << usable
      << " usable patches (clipped or outside the image), fewer than " << options.min_patches;
    calibration->message = m.str();
    return Status::Ok();
  }

  // 3. Fit the CCM on linear RGB (the linearisation is ours: identity inside cv::ccm).
  cv::Mat ccm, mask, dst_rgbl;
  try {
    cv::Mat reference(kChartPatches, 1, CV_64FC3);
    for (int k = 0; k < kChartPatches; ++k) {
      const cv::Vec3b& v = ChartReferenceSrgb8()[static_cast<size_t>(k)];
      reference.at<cv::Vec3d>(k) = cv::Vec3d(v[0], v[1], v[2]) / 255.0;
    }
    cv::ccm::ColorCorrectionModel model =
        options.reference == ChartReference::kXriteSrgb
            ? cv::ccm::ColorCorrectionModel(src, reference, cv::ccm::COLOR_SPACE_sRGB)
            : cv::ccm::ColorCorrectionModel(src, cv::ccm::COLORCHECKER_Macbeth);
    model.setColorSpace(cv::ccm::COLOR_SPACE_sRGB);
    model.setCCM_TYPE(cv::ccm::CCM_3x3);
    model.setDistance(cv::ccm::DISTANCE_CIE2000);
    model.setLinear(cv::ccm::LINEARIZATION_IDENTITY);
    model.setSaturatedThreshold(0.0, 1.0);
    model.run();
    ccm = model.getCCM();
    mask = model.getMask();
    dst_rgbl = model.get_dst_rgbl();
  } catch (const cv::Exception& e) {
    calibration->message = std::string("colour correction fit failed: ") + e.what();
    return Status::Ok();
  }
  if (ccm.rows != 3 || ccm.cols != 3 || mask.total() != static_cast<size_t>(kChartPatches))
    return Status::Internal("CalibrateColour: unexpected cv::ccm output shape");
  cv::Matx33d m;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) m(r, c) = ccm.at<double>(c, r);  // cv::ccm: row vector * ccm

  // 4. Fit error, CIEDE2000 over the used patches (the reference as cv::ccm holds it: linear
  // sRGB, D65).
  double sum = 0.0, worst = 0.0;
  int used = 0;
  for (int k = 0; k < kChartPatches; ++k) {
    if (!mask.at<uchar>(k)) continue;
    if (used >= static_cast<int>(dst_rgbl.total())) break;
    const cv::Vec3d ref = dst_rgbl.at<cv::Vec3d>(used);
    const cv::Vec3d fit = m * src.at<cv::Vec3d>(k);
    const double de = DeltaE2000(LinearRgbToLab(fit), LinearRgbToLab(ref));
    sum += de;
    worst = std::max(worst, de);
    ++used;
  }
  calibration->patches_used = used;
  calibration->mean_de2000 = used > 0 ? sum / used : 0.0;
  calibration->max_de2000 = worst;
  std::ostringstream msg;
  msg.precision(3);
  msg << "colour chart (" << calibration->chart_source << "): 3x3 CCM on " << used
      << " patches, CIEDE2000 mean " << calibration->mean_de2000 << ", max "
      << calibration->max_de2000;
  if (used < options.min_patches || !(calibration->mean_de2000 <= options.max_mean_de2000)) {
    msg << "; rejected (needs >= " << options.min_patches
        << " patches and mean <= " << options.max_mean_de2000 << ")";
    calibration->message = msg.str();
    calibration->mean_de2000 = calibration->max_de2000 = 0.0;
    return Status::Ok();
  }
  calibration->ccm = m;
  calibration->found = true;
  calibration->message = msg.str();
  return Status::Ok();
}

cv::Mat ApplyColourCalibration(const cv::Mat& image, const ColourCalibration& calibration) {
  if (!calibration.found) return image.clone();
  const cv::Mat linear = LineariseImage(image, calibration.linearisation, calibration.gamma);
  cv::Matx33f bgr;  // the ccm with rows and columns in B, G, R order
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) bgr(r, c) = static_cast<float>(calibration.ccm(2 - r, 2 - c));
  cv::Mat corrected;
  cv::transform(linear, corrected, bgr);
  return LinearToSrgb(corrected);
}

cv::Mat ChartMask(cv::Size size, const ColourCalibration& calibration, double margin_px) {
  cv::Mat mask = cv::Mat::zeros(size, CV_8UC1);
  if (calibration.chart_corners.size() != 4) return mask;
  std::vector<cv::Point> pts;
  for (const auto& p : calibration.chart_corners) pts.emplace_back(cvRound(p.x), cvRound(p.y));
  cv::fillConvexPoly(mask, pts, cv::Scalar(255));
  const int r = static_cast<int>(std::ceil(std::max(0.0, margin_px)));
  if (r > 0)
    cv::dilate(mask, mask,
               cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
  return mask;
}

}  // namespace skintrack::photometric
