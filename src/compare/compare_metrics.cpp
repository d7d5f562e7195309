#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "skintrack/compare/compare.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/photometric/color.h"
#include "skintrack/quality/quality.h"
#include "skintrack/roi/roi.h"

namespace skintrack::compare {

namespace {

// Adds one row's channel sums of `a` ([0, CN)) and `b` ([3, 3 + CN)) and its pixel count ([6])
// over the overlap to *acc, in the pixels' order; the sums are kept in registers (the array,
// indexed by a run-time channel, went through memory at every addition).
template <int CN>
void SumOverOverlap(const float* a, const float* b, const uchar* o, int cols,
                    std::array<double, 7>* acc) {
  double sa[CN], sb[CN], n = (*acc)[6];
  for (int c = 0; c < CN; ++c) sa[c] = (*acc)[static_cast<size_t>(c)];
  for (int c = 0; c < CN; ++c) sb[c] = (*acc)[static_cast<size_t>(3 + c)];
  for (int x = 0; x < cols; ++x) {
    if (o[x] == 0) continue;
    for (int c = 0; c < CN; ++c) {
      sa[c] += a[CN * x + c];
      sb[c] += b[CN * x + c];
    }
    n += 1.0;
  }
  for (int c = 0; c < CN; ++c) (*acc)[static_cast<size_t>(c)] = sa[c];
  for (int c = 0; c < CN; ++c) (*acc)[static_cast<size_t>(3 + c)] = sb[c];
  (*acc)[6] = n;
}

}  // namespace

void PrepareAlignedAfter(const cv::Mat& before, const cv::Mat& overlap, cv::Mat* aligned_after) {
  CV_Assert((before.type() == CV_32FC3 || before.type() == CV_32FC1) &&
            aligned_after->type() == before.type() && overlap.type() == CV_8UC1 &&
            before.size() == aligned_after->size() && overlap.size() == before.size());
  const int cn = before.channels();
  // In row bands of a fixed height on every core (the per-band sums added in band order, so
  // the result does not depend on the number of threads): the interpolation overshoots a
  // little, so clamp to the internal form's range, and sum both photos over the overlap.
  constexpr int kBand = 64;
  const int rows = before.rows, cols = before.cols;
  std::vector<std::array<double, 7>> sums(
      static_cast<size_t>(RowBandCount(rows, kBand)));  // after, before, n
  ForEachRowBand(rows, kBand, [&](int band, int y0, int y1) {
    std::array<double, 7> acc{};
    for (int y = y0; y < y1; ++y) {
      float* a = aligned_after->ptr<float>(y);
      const float* b = before.ptr<float>(y);
      const uchar* o = overlap.ptr<uchar>(y);
      for (int x = 0; x < cn * cols; ++x) a[x] = std::min(1.0f, std::max(0.0f, a[x]));
      if (cn == 3) {
        SumOverOverlap<3>(a, b, o, cols, &acc);
      } else {
        SumOverOverlap<1>(a, b, o, cols, &acc);
      }
    }
    sums[static_cast<size_t>(band)] = acc;
  });
  std::array<double, 7> total{};
  for (const auto& s : sums)
    for (size_t i = 0; i < total.size(); ++i) total[i] += s[i];
  if (total[6] >= static_cast<double>(overlap.total())) return;  // nothing outside
  // Outside the overlap the warp leaves black, a strong edge the large-scale filters
  // (stretch marks: sigma up to 3 mm) would see inside the region in the after photo
  // only: fill it with the before photo's pixels, so both sessions' filters see the same
  // surroundings there (never measured: the region lies inside the overlap).
  // The gain is a multiplication in sRGB-encoded values: close enough for a seam.
  // Scaled per channel by the after/before mean ratio over the overlap, so that an exposure
  // or white-balance change does not leave a step at the seam (gain 1 without an overlap).
  std::array<float, 3> gain{1.0f, 1.0f, 1.0f};
  for (int c = 0; c < cn; ++c)
    if (total[6] > 0.0 && total[3 + c] > 1e-6 * total[6])
      gain[c] = static_cast<float>(total[c] / total[3 + c]);
  ForEachRowBand(rows, kBand, [&](int, int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      float* a = aligned_after->ptr<float>(y);
      const float* b = before.ptr<float>(y);
      const uchar* o = overlap.ptr<uchar>(y);
      for (int x = 0; x < cols; ++x) {
        if (o[x] != 0) continue;
        for (int c = 0; c < cn; ++c) a[cn * x + c] = std::min(1.0f, b[cn * x + c] * gain[c]);
      }
    }
  });
}

namespace {

Status CheckPhoto(const cv::Mat& image, const char* what) {
  if (image.empty() || image.type() != CV_32FC3)
    return Status::InvalidArgument(std::string("compare: the ") + what +
                                   " photo must be a non-empty CV_32FC3 image");
  return Status::Ok();
}

}  // namespace

Status WarpForMeasuring(const cv::Mat& before, const cv::Mat& after,
                        const align::AlignmentResult& alignment, cv::Mat* aligned_after,
                        cv::Mat* texture_after, cv::Mat* overlap, const cv::Mat& before_linear_y,
                        const cv::Mat& after_linear_y) {
  if (aligned_after == nullptr || texture_after == nullptr || overlap == nullptr)
    return Status::InvalidArgument("compare: warp outputs are null");
  SKINTRACK_RETURN_IF_ERROR(CheckPhoto(before, "before"));
  SKINTRACK_RETURN_IF_ERROR(CheckPhoto(after, "after"));
  if (!before_linear_y.empty() &&
      (before_linear_y.type() != CV_32FC1 || before_linear_y.size() != before.size()))
    return Status::InvalidArgument("compare: before_linear_y must be CV_32FC1 of before's size");
  if (!after_linear_y.empty() &&
      (after_linear_y.type() != CV_32FC1 || after_linear_y.size() != after.size()))
    return Status::InvalidArgument("compare: after_linear_y must be CV_32FC1 of after's size");
  // One mapping: the photo with the measuring interpolation, its luminance with Lanczos-4.
  std::vector<cv::Mat> warped;
  SKINTRACK_RETURN_IF_ERROR(align::WarpAfterToBefore(
      std::vector<cv::Mat>{after, after_linear_y.empty() ? photometric::SrgbToLinearLuminance(after)
                                                         : after_linear_y},
      alignment, before.size(), {kMeasureInterpolation, cv::INTER_LANCZOS4}, &warped, overlap));
  *aligned_after = warped[0];
  *texture_after = warped[1];
  // The warp's outermost pixels blend taps outside the after photo (read as 0): a dark strip
  // along the overlap's edge up to the kernel's reach (2 px bicubic, 4 px Lanczos-4, after
  // px). Eroded by that reach in before px (4 x before px per after px, at least 4) first, so
  // the fill replaces the strip: the line filters (up to 3 sigma wide) saw it as a dark line
  // along the edge in the after photo only.
  const double after_per_before =
      quality::AfterPxPerBeforePx(alignment, cv::Point2d(0.5 * before.cols, 0.5 * before.rows));
  const int reach = static_cast<int>(std::min(
      64.0, std::max(4.0, after_per_before > 0.0 ? std::ceil(4.0 / after_per_before) : 4.0)));
  cv::erode(*overlap, *overlap,
            cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * reach + 1, 2 * reach + 1)));
  PrepareAlignedAfter(before, *overlap, aligned_after);
  PrepareAlignedAfter(
      before_linear_y.empty() ? photometric::SrgbToLinearLuminance(before) : before_linear_y,
      *overlap, texture_after);
  return Status::Ok();
}

namespace {

// A channel at or above 250/255 may be clipped: JPEG ringing spreads a clipped area's 255 over
// a few levels.
constexpr float kClipLevel = 250.0f / 255.0f;

bool Clipped(const cv::Vec3f& p) { return std::max({p[0], p[1], p[2]}) >= kClipLevel; }

}  // namespace

cv::Mat ClippedPixels(const cv::Mat& image) {
  cv::Mat clipped(image.size(), CV_8UC1);
  cv::parallel_for_(cv::Range(0, image.rows), [&](const cv::Range& r) {
    for (int y = r.start; y < r.end; ++y) {
      const cv::Vec3f* p = image.ptr<cv::Vec3f>(y);
      uchar* c = clipped.ptr<uchar>(y);
      const int cols = image.cols;  // a local: the byte stores would make a capture reload
      for (int x = 0; x < cols; ++x) c[x] = Clipped(p[x]) ? 255 : 0;
    }
  });
  return clipped;
}

namespace {

// What MeasuredRegion counts.
struct RegionCounts {
  long long common_px = 0;             // pixels of the common region (hair included)
  std::array<long long, 2> hair_px{};  // of each photo's hair inside it
  bool texture_apart = false;          // texture_region differs from region somewhere
};

// The region both sessions measure and the texture's, in one pass over row bands on every
// core: the same bytes as
//   common = overlap & (roi, or skin[0] & skin[1] without one)
//   region = common & ~(hair[0] | hair[1])
//   texture_region = region & ~ClippedPixels(before) & ~ClippedPixels(after)
// and their pixel counts (integers: the sum does not depend on the order).
RegionCounts MeasuredRegion(const cv::Mat& overlap, const cv::Mat& roi, const cv::Mat skin[2],
                            const cv::Mat hair[2], const cv::Mat& before, const cv::Mat& after,
                            cv::Mat* region, cv::Mat* texture_region) {
  constexpr int kBand = 64;
  const int cols = overlap.cols;
  region->create(overlap.size(), CV_8UC1);
  texture_region->create(overlap.size(), CV_8UC1);
  std::vector<RegionCounts> per_band(static_cast<size_t>(RowBandCount(overlap.rows, kBand)));
  ForEachRowBand(overlap.rows, kBand, [&](int band, int y0, int y1) {
    RegionCounts c;
    for (int y = y0; y < y1; ++y) {
      const uchar* o = overlap.ptr<uchar>(y);
      const uchar* u = roi.empty() ? nullptr : roi.ptr<uchar>(y);
      const uchar* s0 = roi.empty() ? skin[0].ptr<uchar>(y) : nullptr;
      const uchar* s1 = roi.empty() ? skin[1].ptr<uchar>(y) : nullptr;
      const uchar* h0 = hair[0].ptr<uchar>(y);
      const uchar* h1 = hair[1].ptr<uchar>(y);
      const cv::Vec3f* pb = before.ptr<cv::Vec3f>(y);
      const cv::Vec3f* pa = after.ptr<cv::Vec3f>(y);
      uchar* out = region->ptr<uchar>(y);
      uchar* tex = texture_region->ptr<uchar>(y);
      for (int x = 0; x < cols; ++x) {
        const uchar common = static_cast<uchar>(o[x] & (u != nullptr ? u[x] : s0[x] & s1[x]));
        const uchar measured = static_cast<uchar>(common & ~(h0[x] | h1[x]));
        out[x] = measured;
        tex[x] = Clipped(pb[x]) || Clipped(pa[x]) ? 0 : measured;
        c.common_px += common != 0;
        c.hair_px[0] += (h0[x] & common) != 0;
        c.hair_px[1] += (h1[x] & common) != 0;
        c.texture_apart = c.texture_apart || tex[x] != measured;
      }
    }
    per_band[static_cast<size_t>(band)] = c;
  });
  RegionCounts total;
  for (const RegionCounts& c : per_band) {
    total.common_px += c.common_px;
    total.hair_px[0] += c.hair_px[0];
    total.hair_px[1] += c.hair_px[1];
    total.texture_apart = total.texture_apart || c.texture_apart;
  }
  return total;
}

}  // namespace

Status CompareMetrics(const cv::Mat& before, cv::Mat after, const align::AlignmentResult& alignment,
                      const cv::Mat& roi, std::optional<double> mm_per_px,
                      const metrics::MetricsOptions& options, SessionMetrics* out,
                      const metrics::TileRequest& tiles, const cv::Mat& before_linear_y,
                      cv::Mat after_linear_y) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (out == nullptr) return Status::InvalidArgument("compare: metrics output is null");
  if (alignment.status == align::AlignmentStatus::kFailed)
    return Status::AlignmentFailed("compare: cannot measure a pair that is not aligned");
  SKINTRACK_RETURN_IF_ERROR(CheckPhoto(before, "before"));
  SKINTRACK_RETURN_IF_ERROR(CheckPhoto(after, "after"));
  if (!roi.empty() && (roi.type() != CV_8UC1 || roi.size() != before.size()))
    return Status::InvalidArgument("compare: roi must be CV_8UC1 of the before image's size");
  const double px_per_mm = options.PxPerMm(mm_per_px, before.size());
  // What is computed here from inputs known finite is known finite too (core/image.h): the
  // stages' input checks then skip their scans of it.
  const bool derived_finite = IsKnownFinite(before) && IsKnownFinite(after) &&
                              (before_linear_y.empty() || IsKnownFinite(before_linear_y)) &&
                              (after_linear_y.empty() || IsKnownFinite(after_linear_y));
  FiniteImageScope derived;
  // The after photo warped into the before frame first, on every core (inside RunEach it
  // would run on one core while the before session waits).
  cv::Mat overlap, hair[2], skin[2];
  // (a given before_linear_y is checked by WarpForMeasuring)
  const cv::Mat before_y = before_linear_y.empty() ? photometric::SrgbToLinearLuminance(before)
                                                   : before_linear_y;  // converted once
  SKINTRACK_RETURN_IF_ERROR(WarpForMeasuring(before, after, alignment, &out->aligned_after,
                                             &out->texture_after, &overlap, before_y,
                                             after_linear_y));
  if (derived_finite) {
    derived.Add(before_y);
    derived.Add(out->aligned_after);
    derived.Add(out->texture_after);
  }
  // Frees the photo when the caller moved it in (the peak comes later), and its luminance; a
  // scope naming them would otherwise keep them.
  ForgetKnownFinite(after);
  after.release();
  ForgetKnownFinite(after_linear_y);
  after_linear_y.release();
  // Each photo's hair mask and (without a user roi) skin mask, each photo on its own core:
  // inside, the masks' contour tracing is serial.
  const Status masks = RunEach(
      2,
      [&](int i) {
        const cv::Mat& image = i == 0 ? before : out->aligned_after;
        const Status hair_status = roi::HairMask(image, px_per_mm, options.hair, &hair[i]);
        if (!hair_status.ok() || !roi.empty()) return hair_status;
        return roi::SkinMask(image, options.skin, &skin[i]);
      },
      "masks");
  SKINTRACK_RETURN_IF_ERROR(masks);
  const RegionCounts counts = MeasuredRegion(overlap, roi, skin, hair, before, out->aligned_after,
                                             &out->region, &out->texture_region);
  // Analyze measures the texture only where it is the one reported: the before photo's when
  // no pixel is clipped; the after photo's never (it is measured on the Lanczos warp below).
  const bool texture_apart = counts.texture_apart;
  // The aligned after photo's luminance, converted once for its metrics, GuidePores and
  // GuideWrinkles.
  const cv::Mat after_y = photometric::SrgbToLinearLuminance(out->aligned_after);
  if (derived_finite) derived.Add(after_y);
  // Each session on a thread of its own: its metrics, then its texture where it is measured
  // apart, over texture_region (the after photo's always, on the Lanczos warp,
  // SessionMetrics::texture_after); micro_relief leaves out the features found first. The
  // texture tile sums (when asked) are these measurements' own. Both sessions do about the same
  // work, but their detections differ: the one that ends first leaves both cores to the other
  // (RunEachOnThreads; with RunEach the other's tail ran on one core).
  SKINTRACK_RETURN_IF_ERROR(RunEachOnThreads(
      2,
      [&](int i) {
        metrics::AnalyzeExtras extras;
        extras.tiles = tiles;
        extras.measure_texture = i == 0 && !texture_apart;
        extras.marginal = true;  // for PairPores and PairWrinkles below
        extras.linear_y = i == 0 ? before_y : after_y;
        const cv::Mat& image = i == 0 ? before : out->aligned_after;
        metrics::MetricsResult* session = i == 0 ? &out->before : &out->after;
        const Status analysed =
            metrics::Analyze(image, out->region, hair[i], mm_per_px, options, session, extras);
        if (!analysed.ok() || (i == 0 && !texture_apart)) return analysed;
        return metrics::MeasureTextureOnly(image, out->texture_region, hair[i], mm_per_px, options,
                                           session->detections, &session->texture, &session->tiles,
                                           i == 0 ? before_y : out->texture_after);
      },
      "compare"));
  // Pores and wrinkles near the threshold count in both sessions or in neither (after the
  // texture, whose micro_relief leaves out each photo's own detections).
  metrics::PairPores(&out->before, &out->after);
  metrics::PairWrinkles(&out->before, &out->after);
  // Then the pores one photo counts and the other's search missed, measured there at the
  // same place.
  SKINTRACK_RETURN_IF_ERROR(
      metrics::GuidePores(before_y, after_y, out->region, &out->before, &out->after));
  // Then the stretches of counted lines the other photo's line search did not follow, measured
  // along them in that photo.
  SKINTRACK_RETURN_IF_ERROR(
      metrics::GuideWrinkles(before_y, after_y, out->region, &out->before, &out->after));
  out->hair = {hair[0], hair[1]};
  // Hair is reported per session over the common region (before it was removed).
  const long long n = counts.common_px;
  for (int i = 0; i < 2; ++i) {
    (i == 0 ? out->before : out->after).hair_area_fraction =
        n > 0 ? static_cast<double>(counts.hair_px[i]) / static_cast<double>(n) : 0.0;
  }
  return Status::Ok();
}

}  // namespace skintrack::compare
