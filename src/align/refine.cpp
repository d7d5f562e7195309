// ECC refinement and the DIS non-rigid residual.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/video.hpp>
#include <vector>

#include "align/stages.h"

namespace skintrack::align::internal {
namespace {

cv::Mat OverlapMask(cv::Size after_size, const cv::Matx33d& after_to_before, cv::Size before_size,
                    int erode_px) {
  cv::Mat ones(after_size, CV_8UC1, cv::Scalar(255)), mask;
  cv::warpPerspective(ones, mask, cv::Mat(after_to_before), before_size, cv::INTER_NEAREST,
                      cv::BORDER_CONSTANT, 0);
  if (erode_px > 0) {
    cv::erode(
        mask, mask,
        cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * erode_px + 1, 2 * erode_px + 1)));
  }
  return mask;
}

}  // namespace

double EccScore(const WorkingPair& pair, const cv::Matx33d& after_to_before) {
  const cv::Mat warped =
      WarpWorking(pair.after_bp_ecc, after_to_before, pair.before_bp_ecc.size(), cv::INTER_LINEAR);
  const cv::Mat mask =
      OverlapMask(pair.after_bp_ecc.size(), after_to_before, pair.before_bp_ecc.size(), 2);
  if (cv::countNonZero(mask) < 100) return -1.0;
  return cv::computeECC(pair.before_bp_ecc, warped, mask);
}

double RefineEcc(const WorkingPair& pair, const AlignOptions& options, bool coarse_start,
                 cv::Matx33d* after_to_before, bool* improved) {
  *improved = false;
  double best_score = EccScore(pair, *after_to_before);
  cv::Matx33d best = *after_to_before;
  // The coarse copies (ECC moves the warp there at a quarter of the pixels for scale 0.5), and
  // per image the transform of its working px to coarse px (per axis: sizes are rounded).
  const bool coarse = coarse_start && options.ecc_coarse_scale < 1.0;
  cv::Mat before_c = pair.before_bp_ecc, after_c = pair.after_bp_ecc;
  cv::Matx33d before_to_c = cv::Matx33d::eye(), after_to_c = cv::Matx33d::eye();
  if (coarse) {
    auto reduce = [&](const cv::Mat& in, cv::Matx33d* to_c) {
      const cv::Size size(
          std::max(8, static_cast<int>(std::lround(in.cols * options.ecc_coarse_scale))),
          std::max(8, static_cast<int>(std::lround(in.rows * options.ecc_coarse_scale))));
      cv::Mat out;
      cv::resize(in, out, size, 0, 0, cv::INTER_AREA);
      *to_c = ScaleTransform(static_cast<double>(size.width) / in.cols,
                             static_cast<double>(size.height) / in.rows);
      return out;
    };
    before_c = reduce(pair.before_bp_ecc, &before_to_c);
    after_c = reduce(pair.after_bp_ecc, &after_to_c);
  }
  // ECC warps template (before) -> input (after): the inverse of after_to_before.
  auto ecc = [&](const cv::Mat& b, const cv::Mat& a, int iterations, int filt, cv::Matx33d* h) {
    cv::Mat warp(cv::Matx33f(h->inv()));
    cv::findTransformECC(b, a, warp, cv::MOTION_HOMOGRAPHY,
                         cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS,
                                          iterations, options.ecc_epsilon),
                         cv::noArray(), filt);
    *h = cv::Matx33d(cv::Matx33f(warp)).inv();
  };
  // Schedules: smoothing of the gradient images (gaussFiltSize), tried in order until one
  // converges; findTransformECC throws when it diverges.
  const int filters[] = {5, 1, 9};
  for (int filt : filters) {
    cv::Matx33d candidate = before_to_c * (*after_to_before) * after_to_c.inv();
    try {
      ecc(before_c, after_c, options.ecc_iterations, filt, &candidate);
    } catch (const cv::Exception&) {
      continue;
    }
    candidate = before_to_c.inv() * candidate * after_to_c;
    if (coarse && options.ecc_final_iterations > 0) {
      // At the working size from the coarse estimate (a failure keeps the coarse estimate).
      cv::Matx33d fine = candidate;
      try {
        ecc(pair.before_bp_ecc, pair.after_bp_ecc, options.ecc_final_iterations, filt, &fine);
        candidate = fine;
      } catch (const cv::Exception&) {
      }
    }
    candidate *= 1.0 / candidate(2, 2);
    std::string why;
    if (!IsSaneHomography(candidate, pair.after_bp_ecc.size(), options, &why)) continue;
    const double score = EccScore(pair, candidate);
    if (score > best_score) {
      best_score = score;
      best = candidate;
      *improved = true;
    }
    break;
  }
  *after_to_before = best;
  return best_score;
}

double EstimateResidualFlow(const WorkingPair& pair, const cv::Matx33d& after_to_before,
                            cv::Mat* flow) {
  const cv::Size size = pair.before_8u.size();
  const cv::Mat warped = WarpWorking(pair.after_8u, after_to_before, size, cv::INTER_LINEAR);
  const cv::Mat mask = OverlapMask(pair.after_8u.size(), after_to_before, size, 16);
  if (cv::countNonZero(mask) < 1000) return -1.0;
  // Outside the overlap the warped image is black; replace with the before image so the flow
  // there stays near zero instead of chasing the border.
  cv::Mat filled = pair.before_8u.clone();
  warped.copyTo(filled, mask);

  // Forward and backward flow at once, each serially inside (DIS's own parallel stretches are
  // short); the flows are the same as one after the other.
  cv::Mat fwd, bwd;
  cv::parallel_for_(
      cv::Range(0, 2),
      [&](const cv::Range& r) {
        for (int i = r.start; i < r.end; ++i) {
          cv::Ptr<cv::DISOpticalFlow> dis =
              cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
          dis->setPatchSize(12);
          dis->setPatchStride(4);
          if (i == 0) {
            dis->calc(pair.before_8u, filled, fwd);
          } else {
            dis->calc(filled, pair.before_8u, bwd);
          }
        }
      },
      2);

  // Forward-backward error at p: |f(p) + b(p + f(p))|.
  cv::Mat map(size, CV_32FC2);
  for (int y = 0; y < size.height; ++y) {
    const cv::Vec2f* f = fwd.ptr<cv::Vec2f>(y);
    cv::Vec2f* m = map.ptr<cv::Vec2f>(y);
    for (int x = 0; x < size.width; ++x) m[x] = cv::Vec2f(x + f[x][0], y + f[x][1]);
  }
  cv::Mat b_at;
  cv::remap(bwd, b_at, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::Mat fb_err;
  {
    std::vector<cv::Mat> c;
    cv::split(fwd + b_at, c);
    cv::magnitude(c[0], c[1], fb_err);
  }
  std::vector<float> errors;
  errors.reserve(size.area() / 4);
  for (int y = 0; y < size.height; y += 2) {
    const float* e = fb_err.ptr<float>(y);
    const uchar* mk = mask.ptr<uchar>(y);
    for (int x = 0; x < size.width; x += 2)
      if (mk[x]) errors.push_back(e[x]);
  }
  if (errors.empty()) return -1.0;
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());

  // Keep the flow only where it is locally consistent (forward-backward error < 0.5 px) and
  // the before image has structure to pin it down (min eigenvalue of the structure tensor
  // above twice its median: in flat, noisy areas DIS drifts, and drifts alike both ways), and
  // fill the rest by normalised convolution, which also averages out matching noise.
  cv::Mat structure;
  cv::cornerMinEigenVal(pair.before_8u, structure, 7, 3);
  std::vector<float> eig;
  eig.reserve(size.area() / 16);
  for (int y = 0; y < size.height; y += 4) {
    const float* e = structure.ptr<float>(y);
    const uchar* mk = mask.ptr<uchar>(y);
    for (int x = 0; x < size.width; x += 4)
      if (mk[x]) eig.push_back(e[x]);
  }
  std::nth_element(eig.begin(), eig.begin() + eig.size() / 2, eig.end());
  const double eig_threshold = 2.0 * eig[eig.size() / 2];
  cv::Mat weight = (fb_err < 0.5) & (structure > eig_threshold) & mask;
  weight.convertTo(weight, CV_32F, 1.0 / 255.0);
  std::vector<cv::Mat> c;
  cv::split(fwd, c);
  const double sigma = 8.0;
  cv::Mat wsum;
  cv::GaussianBlur(weight, wsum, cv::Size(), sigma, sigma, cv::BORDER_CONSTANT);
  for (cv::Mat& ch : c) {
    cv::GaussianBlur(ch.mul(weight), ch, cv::Size(), sigma, sigma, cv::BORDER_CONSTANT);
    cv::divide(ch, cv::max(wsum, 1e-3), ch);
    ch.setTo(0.0, wsum < 0.05);
  }
  cv::merge(c, *flow);
  return errors[errors.size() / 2];
}

}  // namespace skintrack::align::internal
