// Global stage: keypoints + descriptors + ratio test + USAC/MAGSAC homography.
#include <algorithm>
#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <vector>

#include "align/hamming_match.h"
#include "align/stages.h"

namespace skintrack::align::internal {

bool IsSaneHomography(const cv::Matx33d& h, cv::Size after_size, const AlignOptions& options,
                      std::string* why) {
  if (std::abs(h(2, 2)) < 1e-12) {
    *why = "degenerate homography";
    return false;
  }
  const cv::Matx33d n = h * (1.0 / h(2, 2));
  const double det = n(0, 0) * n(1, 1) - n(0, 1) * n(1, 0);
  if (!(det > 1.0 / options.max_area_ratio && det < options.max_area_ratio)) {
    *why = "implausible scale change (area ratio " + std::to_string(det) + ")";
    return false;
  }
  // Perspective: the w of the image corners must stay near 1 (no horizon inside the image).
  const double w = after_size.width, hgt = after_size.height;
  const cv::Point2d corners[4] = {{0, 0}, {w, 0}, {w, hgt}, {0, hgt}};
  double cross_sign = 0;
  std::vector<cv::Point2d> mapped;
  for (const auto& c : corners) {
    const double ww = n(2, 0) * c.x + n(2, 1) * c.y + 1.0;
    if (!(ww > 0.5 && ww < 2.0)) {
      *why = "implausible perspective";
      return false;
    }
    mapped.emplace_back((n(0, 0) * c.x + n(0, 1) * c.y + n(0, 2)) / ww,
                        (n(1, 0) * c.x + n(1, 1) * c.y + n(1, 2)) / ww);
  }
  // The mapped quadrilateral must stay convex with the same orientation (no fold).
  for (int i = 0; i < 4; ++i) {
    const cv::Point2d a = mapped[(i + 1) % 4] - mapped[i];
    const cv::Point2d b = mapped[(i + 2) % 4] - mapped[(i + 1) % 4];
    const double cr = a.x * b.y - a.y * b.x;
    if (i == 0) cross_sign = cr;
    if (cr * cross_sign <= 0) {
      *why = "homography folds the image";
      return false;
    }
  }
  return true;
}

GlobalEstimate EstimateByFeatures(const WorkingPair& pair, bool use_sift,
                                  const AlignOptions& options) {
  GlobalEstimate est;
  est.method = use_sift ? "sift+magsac" : "orb+magsac";
  cv::Ptr<cv::Feature2D> detector;
  if (use_sift) {
    detector = cv::SIFT::create(options.max_features, 3, 0.01);
  } else {
    detector =
        cv::ORB::create(options.max_features, 1.2f, 8, 31, 0, 2, cv::ORB::HARRIS_SCORE, 31, 10);
  }
  std::vector<cv::KeyPoint> kb, ka;
  cv::Mat db, da;
  cv::parallel_for_(cv::Range(0, 2), [&](const cv::Range& r) {
    for (int i = r.start; i < r.end; ++i) {
      if (i == 0)
        detector->detectAndCompute(pair.before_8u, cv::noArray(), kb, db);
      else
        detector->detectAndCompute(pair.after_8u, cv::noArray(), ka, da);
    }
  });
  if (kb.size() < 8 || ka.size() < 8) {
    est.reason =
        "too few keypoints (" + std::to_string(kb.size()) + ", " + std::to_string(ka.size()) + ")";
    return est;
  }
  // ORB: brute force on Hamming distance (HammingKnn2: cv::BFMatcher's matches, faster);
  // SIFT: approximate (FLANN kd-trees), which is far faster than brute force on 128-D floats
  // at these counts.
  std::vector<std::vector<cv::DMatch>> knn;
  if (use_sift) {
    cv::FlannBasedMatcher matcher;
    matcher.knnMatch(da, db, knn, 2);
  } else {
    knn = HammingKnn2(da, db);
  }
  std::vector<cv::Point2f> pa, pb;
  for (const auto& m : knn) {
    if (m.size() == 2 && m[0].distance < options.ratio_test * m[1].distance) {
      pa.push_back(ka[m[0].queryIdx].pt);
      pb.push_back(kb[m[0].trainIdx].pt);
    }
  }
  if (static_cast<int>(pa.size()) < options.min_inliers) {
    est.reason = "too few matches (" + std::to_string(pa.size()) + ")";
    return est;
  }
  std::vector<unsigned char> mask;
  cv::Mat h;
  try {
    h = cv::findHomography(pa, pb, cv::USAC_MAGSAC, options.ransac_threshold_px, mask, 10000,
                           0.999);
  } catch (const cv::Exception& e) {
    est.reason = std::string("homography estimation failed: ") + e.what();
    return est;
  }
  if (h.empty()) {
    est.reason = "no homography found";
    return est;
  }
  est.inliers = cv::countNonZero(mask);
  est.inlier_ratio = static_cast<double>(est.inliers) / pa.size();
  est.after_to_before = cv::Matx33d(h);
  if (est.inliers < options.min_inliers) {
    est.reason = "too few inliers (" + std::to_string(est.inliers) + ")";
    return est;
  }
  if (est.inlier_ratio < options.min_inlier_ratio) {
    est.reason = "inlier ratio too low (" + std::to_string(est.inlier_ratio) + ")";
    return est;
  }
  if (!IsSaneHomography(est.after_to_before, pair.after_8u.size(), options, &est.reason)) {
    return est;
  }
  est.ok = true;
  est.from_features = true;
  return est;
}

}  // namespace skintrack::align::internal
