#include "skintrack/align/align.h"

#include <chrono>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "align/stages.h"
#include "skintrack/core/image.h"

namespace skintrack::align {

Status AlignOptions::Check() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("align: " + m); };
  if (working_long_side < kMinWorkingLongSide || working_long_side > kMaxWorkingLongSide)
    return bad("working_long_side must be in [" + std::to_string(kMinWorkingLongSide) + ", " +
               std::to_string(kMaxWorkingLongSide) + "]");
  if (max_features < 100) return bad("max_features must be >= 100");
  if (!(ratio_test > 0.0 && ratio_test < 1.0)) return bad("ratio_test must be in (0, 1)");
  if (!(ransac_threshold_px > 0.0)) return bad("ransac_threshold_px must be > 0");
  if (min_inliers < 4) return bad("min_inliers must be >= 4");
  if (!(min_inlier_ratio >= 0.0 && min_inlier_ratio <= 1.0))
    return bad("min_inlier_ratio must be in [0, 1]");
  if (!(max_area_ratio > 1.0)) return bad("max_area_ratio must be > 1");
  if (ecc_iterations < 1) return bad("ecc_iterations must be >= 1");
  if (!(ecc_epsilon > 0.0)) return bad("ecc_epsilon must be > 0");
  if (!(ecc_coarse_scale >= 0.125 && ecc_coarse_scale <= 1.0))
    return bad("ecc_coarse_scale must be in [0.125, 1]");
  if (ecc_final_iterations < 0) return bad("ecc_final_iterations must be >= 0");
  if (!(max_fb_error_px > 0.0)) return bad("max_fb_error_px must be > 0");
  if (!(min_ncc >= -1.0 && min_ncc <= 1.0)) return bad("min_ncc must be in [-1, 1]");
  if (!(min_ncc_shift_ratio >= 0.0)) return bad("min_ncc_shift_ratio must be >= 0");
  if (!(min_overlap >= 0.0 && min_overlap <= 1.0)) return bad("min_overlap must be in [0, 1]");
  if (!(ok_ecc >= -1.0 && ok_ecc <= 1.0)) return bad("ok_ecc must be in [-1, 1]");
  if (!(ok_overlap >= 0.0 && ok_overlap <= 1.0)) return bad("ok_overlap must be in [0, 1]");
  return Status::Ok();
}

const char* AlignmentStatusName(AlignmentStatus status) {
  switch (status) {
    case AlignmentStatus::kOk:
      return "ok";
    case AlignmentStatus::kPoor:
      return "poor";
    case AlignmentStatus::kFailed:
      return "failed";
  }
  return "failed";
}

namespace {

using internal::GlobalEstimate;
using internal::WorkingPair;

// Verdict from the evidence; returns the status and fills the reason.
AlignmentStatus Judge(const AlignmentResult& r, const AlignOptions& o, std::string* reason) {
  char buf[256];
  if (r.overlap_fraction < o.min_overlap) {
    std::snprintf(buf, sizeof buf, "overlap %.2f below %.2f", r.overlap_fraction, o.min_overlap);
    *reason = buf;
    return AlignmentStatus::kFailed;
  }
  if (r.ncc_aligned < o.min_ncc) {
    std::snprintf(buf, sizeof buf, "band-pass NCC %.3f below %.2f: the photos do not match",
                  r.ncc_aligned, o.min_ncc);
    *reason = buf;
    return AlignmentStatus::kFailed;
  }
  if (r.ncc_shift_ratio < o.min_ncc_shift_ratio) {
    std::snprintf(buf, sizeof buf,
                  "NCC only %.2fx that of a %.1f-px shift (need %.1fx): no precise match",
                  r.ncc_shift_ratio, r.ncc_shift_px, o.min_ncc_shift_ratio);
    *reason = buf;
    return AlignmentStatus::kFailed;
  }
  if (r.ecc < o.ok_ecc) {
    std::snprintf(buf, sizeof buf, "ECC %.3f below %.2f: weak match", r.ecc, o.ok_ecc);
    *reason = buf;
    return AlignmentStatus::kPoor;
  }
  if (r.overlap_fraction < o.ok_overlap) {
    std::snprintf(buf, sizeof buf, "overlap %.2f below %.2f", r.overlap_fraction, o.ok_overlap);
    *reason = buf;
    return AlignmentStatus::kPoor;
  }
  std::snprintf(buf, sizeof buf, "ECC %.3f, NCC %.3f (%.1fx a %.1f-px shift), overlap %.2f", r.ecc,
                r.ncc_aligned, r.ncc_shift_ratio, r.ncc_shift_px, r.overlap_fraction);
  *reason = buf;
  return AlignmentStatus::kOk;
}

// Refines a global estimate and measures it; fills *result.
void Finish(const WorkingPair& pair, const GlobalEstimate& est, const AlignOptions& options,
            AlignmentResult* result) {
  cv::Matx33d h = est.after_to_before;
  std::string method = est.method;
  if (options.ecc_refine) {
    bool improved = false;
    result->ecc = internal::RefineEcc(pair, options, est.from_features, &h, &improved);
    if (improved) method += "+ecc";
  } else {
    result->ecc = internal::EccScore(pair, h);
  }
  const double sb = pair.before_from_full(0, 0);
  result->flow.release();
  result->nonrigid_used = false;
  result->median_fb_error_px = -1.0;
  if (options.nonrigid) {
    cv::Mat flow;
    const double fb = internal::EstimateResidualFlow(pair, h, &flow);
    if (fb >= 0.0) result->median_fb_error_px = fb / sb;
    if (fb >= 0.0 && fb < options.max_fb_error_px) {
      result->flow = flow;
      result->nonrigid_used = true;
      method += "+dis";
    }
  }
  internal::MeasureQuality(pair, h, result->flow, result);
  result->method = method;
  result->inliers = est.inliers;
  result->inlier_ratio = est.inlier_ratio;
  result->before_scale = sb;
  cv::Matx33d full = pair.before_from_full.inv() * h * pair.after_from_full;
  result->after_to_before = full * (1.0 / full(2, 2));
  result->status = Judge(*result, options, &result->reason);
}

}  // namespace

Status Align(const cv::Mat& before, const cv::Mat& after, const AlignOptions& options,
             AlignmentResult* result) {
  const auto t0 = std::chrono::steady_clock::now();
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  SKINTRACK_RETURN_IF_ERROR(CheckImage(before, kImageType, 64, "before"));
  SKINTRACK_RETURN_IF_ERROR(CheckImage(after, kImageType, 64, "after"));
  if (result == nullptr) return Status::InvalidArgument("align: result is null");
  *result = AlignmentResult();

  const WorkingPair pair = internal::MakeWorkingPair(before, after, options);
  std::string reasons;
  bool have_any = false;
  AlignmentResult best;
  // Estimators in order of preference; the first whose refined result is not `failed` wins.
  for (int stage = 0; stage < 3; ++stage) {
    if (stage == 1 && !options.use_sift) continue;
    if (stage == 2 && !options.use_fourier_mellin) continue;
    const GlobalEstimate est = stage == 2 ? internal::EstimateByFourierMellin(pair, options)
                                          : internal::EstimateByFeatures(pair, stage == 1, options);
    if (!est.ok) {
      reasons += (reasons.empty() ? "" : "; ") + est.method + ": " + est.reason;
      continue;
    }
    AlignmentResult candidate;
    Finish(pair, est, options, &candidate);
    if (candidate.status != AlignmentStatus::kFailed) {
      best = candidate;
      have_any = true;
      break;
    }
    reasons += (reasons.empty() ? "" : "; ") + candidate.method + ": " + candidate.reason;
    if (!have_any || candidate.ncc_aligned > best.ncc_aligned) best = candidate;
    have_any = true;
  }
  if (best.status == AlignmentStatus::kFailed) {
    if (!have_any) {
      best.method = "none";
      cv::Mat after_resized;
      cv::resize(pair.after_bp, after_resized, pair.before_bp.size(), 0, 0, cv::INTER_AREA);
      best.ncc_unaligned = internal::Ncc(pair.before_bp, after_resized, cv::Mat());
    }
    best.reason = "could not align: " + reasons;
  }
  *result = best;
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::Ok();
}

void ToOriginalFrames(double before_scale, double after_scale, AlignmentResult* result) {
  const cv::Matx33d h = internal::ScaleTransform(before_scale).inv() * result->after_to_before *
                        internal::ScaleTransform(after_scale);
  result->after_to_before = h * (1.0 / h(2, 2));
  result->before_scale *= before_scale;
  if (result->median_fb_error_px >= 0) result->median_fb_error_px /= before_scale;
  result->ncc_shift_px /= before_scale;
}

}  // namespace skintrack::align
