// Hair strands (private to the hair mask): the straight stretches of a core's skeleton.
#pragma once

#include <opencv2/core.hpp>

namespace skintrack::roi::internal {

struct StrandParams {
  double min_length_px = 0.0;     // a straight run is at least this long (path length, px)
  double min_straightness = 0.7;  // its ends at least this x its path length apart
  int reach_px = 1;               // core pixels kept within this of a straight stretch
  int spur_px = 1;                // skeleton ends pruned this many times first
};

// The core's strands: its skeleton (Zhang-Suen) with its ends pruned spur_px times (an end: a
// pixel with no skeleton neighbour, or with all of them on one side in one run: a tip, also a
// bump's tip over the strand it sits on; not the apex of a V), cut at every junction (a pixel
// with 3 or more 0->1 transitions around it, and its 8 neighbours). Each piece is ordered by its
// geodesic distance (steps 1 or sqrt 2) from an end (a closed loop is opened at one pixel
// first), and its straight stretches count: runs of at least min_length_px whose ends are at
// least min_straightness x their path length apart. *core (CV_8UC1, 0/255) keeps its pixels
// within reach_px of a counted stretch; returns whether any counted (*core is then unchanged
// when none did). The work is proportional to the core's skeleton, not to its bounding box.
bool KeepStraightStrands(const StrandParams& params, cv::Mat* core);

}  // namespace skintrack::roi::internal
