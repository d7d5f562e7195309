// Flat-field correction: divides out vignetting and uneven light measured on a grey card.
//
// A photo of a uniform grey card taken with the same camera, lens, distance and lights as the
// photo (same session) records the light field F(x, y). In linear light,
//   corrected = image / (F / mean(F)),   F = exp(P(x, y)),
// where P is a 2-D polynomial (total degree polynomial_degree) fitted by least squares to the
// log of the card's block means (blocks of 1/64 of the long side): smooth, free of the card's
// noise and texture, without border bias, and able to follow vignetting (r^2, r^4) and side
// light. By default the field is ACHROMATIC (fitted to the card's linear luminance and divided
// out of every channel alike): JPEG quantises a smooth grey card's chroma in visible bands
// (+-1 code), and a per-channel field would print that banding into a* and the erythema index
// (measured: a 12 % error on a known redness change). per_channel = true also removes colour
// shading (lens cast). The field is normalised to mean 1, so the photo's overall exposure and
// white balance are kept (a colour chart or reference normalisation removes those); only the
// spatial variation goes.
// Frames: both images in the same image px (same size, same framing). Method: docs/colour.md.
#pragma once

#include <opencv2/core.hpp>

#include "skintrack/core/status.h"

namespace skintrack::photometric {

struct FlatFieldOptions {
  // Total degree of the log-field polynomial. Default 4 (vignetting and side light); range
  // [1, 8].
  int polynomial_degree = 4;
  // Fit one field per channel (true) or one achromatic field from the card's linear
  // luminance (false). Default false (see above).
  bool per_channel = false;
  // The card is refused when more than this fraction of its pixels has a channel at or above
  // clip_level (sRGB-encoded): clipped cards hide the field. Default 0.001 and 0.99.
  double max_clipped_fraction = 0.001;
  double clip_level = 0.99;
  // The card is refused when its mean linear luminance is below this (too dark: noise and
  // quantisation dominate the field). Default 0.02 (sRGB ~0.15).
  double min_mean_luminance = 0.02;
  // The card is refused when its fitted field, relative to its mean, falls below this anywhere
  // (far too uneven to be a light field). Default 0.25.
  double min_relative_field = 0.25;
  // The card is refused when the RMS of (block mean / fitted field - 1) exceeds this: a shadow,
  // an object or a crease on the card, not a smooth light field. Default 0.03.
  double max_fit_residual = 0.03;
  Status Check() const;
};

struct FlatFieldResult {
  // The corrected photo, internal form (CV_32FC3 BGR sRGB [0, 1]), same size, clamped to 1.
  cv::Mat image;
  // The normalised light field (linear, mean 1 per channel), image px: CV_32FC1 when
  // achromatic, CV_32FC3 (B, G, R) when per_channel.
  cv::Mat field;
  double field_min = 0.0;     // smallest value of `field` over all channels (relative, unit-free)
  double field_max = 0.0;     // largest value of `field` over all channels
  double fit_residual = 0.0;  // RMS of (card block mean / fitted field - 1), unit-free
  // Mean linear luminance of the card (Rec. 709, unit-free [0, 1]).
  double card_mean_luminance = 0.0;
  double card_clipped_fraction = 0.0;  // fraction of card pixels with a clipped channel
};

// Divides `image` by the light field of `grey_card` (both internal form, same size).
// Errors: InvalidArgument (options, null out), CheckImage's code (either image not internal
// form), InvalidInput (sizes differ, the card clipped, too dark, too uneven or not smooth; the
// message says which).
Status FlatFieldCorrect(const cv::Mat& image, const cv::Mat& grey_card,
                        const FlatFieldOptions& options, FlatFieldResult* result);

}  // namespace skintrack::photometric
