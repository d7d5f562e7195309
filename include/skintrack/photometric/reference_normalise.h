// Reference normalisation: without a colour chart, makes the after photo's colour comparable to
// the before photo's on a region assumed UNCHANGED by the treatment (e.g. untreated skin beside
// the treated area, given by the user as a mask).
//
// Per channel c (linear light), over the reference pixels valid in both photos:
//   gain_c = sum(before_c) / sum(after_c)
// and the aligned after photo is multiplied by these gains (a diagonal 3x3 in linear RGB; it
// removes exposure and white-balance differences, not a spatial light field). Never fit on the
// whole treated area: that would equalise the real change away. JSON state:
// "reference-normalised" (ColourStateName(ColourState::kReferenceNormalised)).
// Frame: the BEFORE photo's px (the after photo already aligned into it). Method and accuracy:
// docs/colour.md.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "skintrack/core/status.h"

namespace skintrack::photometric {

struct ReferenceNormaliseOptions {
  // Reference pixels with a channel at or above this sRGB-encoded value in either photo are
  // left out (clipping breaks the ratio). Default 0.99.
  double clip_level = 0.99;
  // Reference pixels with a linear channel below this in either photo are left out (noise and
  // quantisation dominate). Default 0.005.
  double dark_level = 0.005;
  // Fewest usable reference pixels. Default 500.
  int min_pixels = 500;
  Status Check() const;
};

struct ReferenceNormalisation {
  // Linear gains applied to the after photo, in B, G, R order (unit-free).
  cv::Vec3d gains_bgr{1.0, 1.0, 1.0};
  // The normalised aligned after photo: internal form, before frame (clamped to [0, 1]).
  cv::Mat after;
  long long pixels_used = 0;  // reference pixels in the fit
  std::string message;        // one line: gains and pixels used
};

// Fits the gains on `reference_roi` (CV_8UC1, before frame, non-zero = unchanged skin) where
// `after_valid` (CV_8UC1 overlap of the aligned after photo, non-zero = has data; empty = all)
// and applies them to `aligned_after`. `before` and `aligned_after` are internal form of one
// size. Errors: InvalidArgument (options, null out), CheckImage's code (photos not internal
// form), InvalidInput (mask types, sizes, fewer than min_pixels usable reference pixels).
Status NormaliseToReference(const cv::Mat& before, const cv::Mat& aligned_after,
                            const cv::Mat& reference_roi, const cv::Mat& after_valid,
                            const ReferenceNormaliseOptions& options,
                            ReferenceNormalisation* result);

}  // namespace skintrack::photometric
