// Flat-field correction from a grey-card photo. See flat_field.h and docs/colour.md.
#include "skintrack/photometric/flat_field.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "skintrack/core/image.h"
#include "skintrack/photometric/color.h"

namespace skintrack::photometric {

namespace {

constexpr int kBlocksLongSide = 64;  // block grid of the field fit

// Monomials x^i y^j, i + j <= degree, of normalised coordinates (x, y in [-1, 1]).
void Monomials(double x, double y, int degree, double* out) {
  int k = 0;
  for (int d = 0; d <= degree; ++d)
    for (int j = 0; j <= d; ++j) out[k++] = std::pow(x, d - j) * std::pow(y, j);
}
int MonomialCount(int degree) { return (degree + 1) * (degree + 2) / 2; }

// Fits exp(P(x, y)) to a single-channel positive linear card (full size); writes the
// normalised (mean 1) field at full size and the RMS relative residual on the blocks.
Status FitField(const cv::Mat& card, int degree, cv::Mat* field, double* residual) {
  const int long_side = std::max(card.cols, card.rows);
  const double block = std::max(1.0, static_cast<double>(long_side) / kBlocksLongSide);
  const cv::Size grid(std::max(1, cvRound(card.cols / block)),
                      std::max(1, cvRound(card.rows / block)));
  cv::Mat small;
  cv::resize(card, small, grid, 0, 0, cv::INTER_AREA);
  const int terms = MonomialCount(degree);
  if (small.total() < static_cast<size_t>(2 * terms))
    return Status::InvalidInput("flat field: grey card too small for the field fit");
  // Block centres in full-size px -> normalised coordinates.
  const double sx = 2.0 / std::max(1, card.cols - 1), sy = 2.0 / std::max(1, card.rows - 1);
  cv::Mat a(static_cast<int>(small.total()), terms, CV_64F), b(a.rows, 1, CV_64F);
  int row = 0;
  for (int y = 0; y < small.rows; ++y) {
    for (int x = 0; x < small.cols; ++x, ++row) {
      const double cx = (x + 0.5) * card.cols / small.cols - 0.5;
      const double cy = (y + 0.5) * card.rows / small.rows - 0.5;
      Monomials(cx * sx - 1.0, cy * sy - 1.0, degree, a.ptr<double>(row));
      b.at<double>(row) = std::log(std::max(1e-6, static_cast<double>(small.at<float>(y, x))));
    }
  }
  cv::Mat coef;
  if (!cv::solve(a, b, coef, cv::DECOMP_SVD))
    return Status::Internal("flat field: polynomial fit failed");
  const cv::Mat fitted = a * coef;
  double ss = 0.0;
  for (int i = 0; i < a.rows; ++i) {
    const double r = std::exp(b.at<double>(i) - fitted.at<double>(i)) - 1.0;
    ss += r * r;
  }
  *residual = std::sqrt(ss / a.rows);
  // Evaluate at full size, the powers of x tabulated once per column and those of y once per
  // row: each term x^i y^j is the same product Monomials forms (identical values).
  const int powers = degree + 1;
  std::vector<double> xp(static_cast<size_t>(card.cols) * powers);
  for (int x = 0; x < card.cols; ++x)
    for (int i = 0; i < powers; ++i)
      xp[static_cast<size_t>(x) * powers + i] = std::pow(x * sx - 1.0, i);
  cv::Mat f(card.size(), CV_32FC1);
  cv::parallel_for_(cv::Range(0, card.rows), [&](const cv::Range& range) {
    std::vector<double> yp(static_cast<size_t>(powers));
    for (int y = range.start; y < range.end; ++y) {
      float* out = f.ptr<float>(y);
      for (int j = 0; j < powers; ++j) yp[static_cast<size_t>(j)] = std::pow(y * sy - 1.0, j);
      for (int x = 0; x < card.cols; ++x) {
        const double* px = &xp[static_cast<size_t>(x) * powers];
        double p = 0.0;
        int k = 0;
        for (int d = 0; d <= degree; ++d)
          for (int j = 0; j <= d; ++j) p += coef.at<double>(k++) * (px[d - j] * yp[j]);
        out[x] = static_cast<float>(std::exp(p));
      }
    }
  });
  const double mean = cv::mean(f)[0];
  if (!(mean > 0.0) || !std::isfinite(mean))
    return Status::InvalidInput("flat field: grey card field is not positive");
  *field = f * (1.0 / mean);
  return Status::Ok();
}

}  // namespace

Status FlatFieldOptions::Check() const {
  if (polynomial_degree < 1 || polynomial_degree > 8)
    return Status::InvalidArgument("FlatFieldOptions.polynomial_degree must be in [1, 8], got " +
                                   std::to_string(polynomial_degree));
  if (!(max_fit_residual > 0.0 && max_fit_residual < 1.0))
    return Status::InvalidArgument("FlatFieldOptions.max_fit_residual must be in (0, 1), got " +
                                   std::to_string(max_fit_residual));
  if (!(max_clipped_fraction >= 0.0 && max_clipped_fraction <= 1.0))
    return Status::InvalidArgument("FlatFieldOptions.max_clipped_fraction must be in [0, 1], got " +
                                   std::to_string(max_clipped_fraction));
  if (!(clip_level > 0.5 && clip_level <= 1.0))
    return Status::InvalidArgument("FlatFieldOptions.clip_level must be in (0.5, 1], got " +
                                   std::to_string(clip_level));
  if (!(min_mean_luminance > 0.0 && min_mean_luminance < 1.0))
    return Status::InvalidArgument("FlatFieldOptions.min_mean_luminance must be in (0, 1), got " +
                                   std::to_string(min_mean_luminance));
  if (!(min_relative_field > 0.0 && min_relative_field < 1.0))
    return Status::InvalidArgument("FlatFieldOptions.min_relative_field must be in (0, 1), got " +
                                   std::to_string(min_relative_field));
  return Status::Ok();
}

Status FlatFieldCorrect(const cv::Mat& image, const cv::Mat& grey_card,
                        const FlatFieldOptions& options, FlatFieldResult* result) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  if (result == nullptr) return Status::InvalidArgument("FlatFieldCorrect: result is null");
  *result = FlatFieldResult();
  SKINTRACK_RETURN_IF_ERROR(CheckImage(image, kImageType, 1, "flat field: image"));
  SKINTRACK_RETURN_IF_ERROR(CheckImage(grey_card, kImageType, 1, "flat field: grey card"));
  if (image.size() != grey_card.size()) {
    std::ostringstream m;
    m << "flat field: grey card is " << grey_card.cols << "x" << grey_card.rows
      << " px but the image is " << image.cols << "x" << image.rows << " px";
    return Status::InvalidInput(m.str());
  }
  // Clipping and darkness checks on the card as captured.
  std::vector<cv::Mat> ch;
  cv::split(grey_card, ch);
  const cv::Mat clipped =
      (ch[0] >= options.clip_level) | (ch[1] >= options.clip_level) | (ch[2] >= options.clip_level);
  result->card_clipped_fraction =
      static_cast<double>(cv::countNonZero(clipped)) / static_cast<double>(grey_card.total());
  if (result->card_clipped_fraction > options.max_clipped_fraction) {
    std::ostringstream m;
    m << "flat field: grey card is clipped (" << 100.0 * result->card_clipped_fraction
      << " % of pixels at or above " << options.clip_level << "); shoot it darker";
    return Status::InvalidInput(m.str());
  }
  const cv::Mat card_linear = SrgbToLinear(grey_card);
  result->card_mean_luminance = cv::mean(LinearLuminance(card_linear))[0];
  if (result->card_mean_luminance < options.min_mean_luminance) {
    std::ostringstream m;
    m << "flat field: grey card too dark (mean linear luminance " << result->card_mean_luminance
      << " < " << options.min_mean_luminance << ")";
    return Status::InvalidInput(m.str());
  }
  // Fitted field(s), normalised to mean 1.
  cv::Mat field;
  double residual = 0.0;
  if (options.per_channel) {
    std::vector<cv::Mat> cards, fields(3);
    cv::split(card_linear, cards);
    for (int c = 0; c < 3; ++c) {
      double r = 0.0;
      SKINTRACK_RETURN_IF_ERROR(FitField(cards[static_cast<size_t>(c)], options.polynomial_degree,
                                         &fields[static_cast<size_t>(c)], &r));
      residual = std::max(residual, r);
    }
    cv::merge(fields, field);
  } else {
    SKINTRACK_RETURN_IF_ERROR(
        FitField(LinearLuminance(card_linear), options.polynomial_degree, &field, &residual));
  }
  result->fit_residual = residual;
  if (residual > options.max_fit_residual) {
    std::ostringstream m;
    m << "flat field: grey card is not a smooth light field (fit residual " << residual << " > "
      << options.max_fit_residual << "): a shadow, object or crease on the card?";
    return Status::InvalidInput(m.str());
  }
  double lo = 0.0, hi = 0.0;
  cv::minMaxLoc(field.reshape(1), &lo, &hi);
  result->field_min = lo;
  result->field_max = hi;
  if (lo < options.min_relative_field) {
    std::ostringstream m;
    m << "flat field: grey card not uniform enough (field falls to " << lo << " of its mean, below "
      << options.min_relative_field << "): a shadow or object on the card?";
    return Status::InvalidInput(m.str());
  }
  cv::Mat corrected;
  if (options.per_channel) {
    cv::divide(SrgbToLinear(image), field, corrected);
  } else {
    cv::Mat field3;
    cv::merge(std::vector<cv::Mat>{field, field, field}, field3);
    cv::divide(SrgbToLinear(image), field3, corrected);
  }
  result->image = LinearToSrgb(corrected);
  result->field = field;
  return Status::Ok();
}

}  // namespace skintrack::photometric
