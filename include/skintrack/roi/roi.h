// Regions of interest: which pixels are skin to be measured, and which are hair.
//
// Frame: the analysed image's pixels (for compare: the before frame). Masks are CV_8UC1,
// 255 = in, 0 = out, same size as the image.
#pragma once

#include <opencv2/core.hpp>

#include "skintrack/core/status.h"

namespace skintrack::roi {

struct SkinMaskOptions {
  // Skin colour gate in CIELAB (D65), on the image after a mild blur:
  double min_l = 15.0;  // L* range of skin. Default 15-98.
  double max_l = 98.0;
  double min_hue_deg = -10.0;  // hue angle atan2(b*, a*) range of skin. Default -10..95 deg
  double max_hue_deg = 95.0;   //   (excludes blue/green background, grey cards).
  double min_chroma = 4.0;     // C* >= this (excludes grey/white/black). Default 4.
  double max_lip_a = 40.0;     // a* above this is lips / mucosa, excluded. Default 40.
  double min_a = 3.0;          // a* >= this: skin is reddish (blood); excludes near-neutral or
                               //   yellow beige backgrounds and brown/blond hair. Default 3.
  double glare_l = 95.0;       // L* above this with C* < glare_chroma is specular glare.
  double glare_chroma = 8.0;
  double min_component_fraction = 0.01;  // drop skin components smaller than this fraction of
                                         // the image. Default 1 %.
  Status Check() const;
};

struct HairOptions {
  double max_width_mm = 0.15;  // hairs are thinner than this. Default 0.15 mm.
  double min_length_mm = 2.0;  // and longer than this. Default 2 mm.
  double min_contrast = 0.25;  // Weber darkness on the centre line; wrinkles are shallow
                               // shading (< 0.2), hairs are dark and sharp. Default 0.25.
  double dilate_mm = 0.05;     // margin added around detected hairs. Default 0.05 mm.
  // Faint hairs (grey, blond, thin or out of focus): Weber darkness from this up to
  // min_contrast, 0 = off; in (0, min_contrast) when on. When on, every core, faint or dark,
  // must also be strands: its skeleton cut at crossings, only the stretches of it that are
  // straight over min_length_mm count (a pigment network or a furrow net is a branched blob of
  // short pieces). Off by default: on a face, a fine line 0.1 mm wide at Weber 0.15 is such a
  // core; the dermoscope preset sets 0.12.
  double faint_min_contrast = 0.0;
  // A stretch of min_length_mm is straight when its ends are at least this x its length apart.
  // In (0, 1]. Default 0.7.
  double strand_min_straightness = 0.7;
  Status Check() const;
};

// Automatic skin mask of an internal-form image (CV_32FC3).
Status SkinMask(const cv::Mat& image, const SkinMaskOptions& options, cv::Mat* mask);

// Hair mask (CV_8UC1) of an internal-form image, px_per_mm its scale (or an assumed scale).
Status HairMask(const cv::Mat& image, double px_per_mm, const HairOptions& options, cv::Mat* mask);

}  // namespace skintrack::roi
