#!/usr/bin/python3
"""scikit-image peer: ORB + match_descriptors + RANSAC(ProjectiveTransform) on band-passed
log luminance. Writes JSON {"status": "ok|failed", "after_to_before": 3x3, ...}.

  reg_skimage.py BEFORE AFTER --json OUT [--max-side 1600] [--n-keypoints 4000]
  (scripts/compare_peers.sh passes --max-side 1024, SkinTrack's default working size)

Pipeline: linear luminance -> downscale (INTER_AREA) to <= max-side on the long side ->
band-passed log luminance (sigma_lo 0.7 px, sigma_hi = long side / 40) -> mapped to [0, 1]
by its robust spread (median |value| -> 0.5 +- 0.125) -> skimage.feature.ORB (FAST threshold
0.25) -> match_descriptors (Hamming, cross-check, Lowe ratio 0.8) ->
skimage.measure.ransac(ProjectiveTransform, 4 samples, residual 2 px at the working
resolution, 5000 trials) -> >= 12 inliers -> homography lifted back to full resolution.

FAST threshold: on band-passed skin FAST fires on most pixels at the default-like 0.05-0.08 and
skimage 0.19's corner_peaks -> ensure_spacing then dominates (~150 s per 1600x1200 image);
0.25 gives the same accuracy in a fraction of the time.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from skimage.feature import ORB, match_descriptors
from skimage.measure import ransac
from skimage.transform import ProjectiveTransform

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402


def prepare(path, max_side):
    y = peerlib.linear_luminance(peerlib.read_bgr01(path))
    y, factors = peerlib.downscale(y, max_side)
    bp = peerlib.bandpass_log_luminance(y, sigma_lo=0.7)
    return peerlib.robust_unit(bp).astype(np.float64), factors


def detect(img, n_keypoints, fast_threshold):
    orb = ORB(n_keypoints=n_keypoints, fast_threshold=fast_threshold, downscale=1.2, n_scales=8)
    orb.detect_and_extract(img)
    # skimage keypoints are (row, col): convert to (x, y).
    return orb.keypoints[:, ::-1].copy(), orb.descriptors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--json", required=True)
    ap.add_argument("--max-side", type=int, default=1600)
    ap.add_argument("--n-keypoints", type=int, default=4000)
    ap.add_argument("--fast-threshold", type=float, default=0.25)
    ap.add_argument("--ratio", type=float, default=0.8)
    ap.add_argument("--residual", type=float, default=2.0)
    ap.add_argument("--min-inliers", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    t0 = time.time()
    out = {"method": "skimage-orb-ransac", "status": "failed"}
    try:
        b, fb = prepare(a.before, a.max_side)
        af, fa = prepare(a.after, a.max_side)
        kb, db = detect(b, a.n_keypoints, a.fast_threshold)
        ka, da = detect(af, a.n_keypoints, a.fast_threshold)
        out["keypoints"] = [int(len(kb)), int(len(ka))]
        matches = match_descriptors(da, db, metric="hamming", cross_check=True, max_ratio=a.ratio)
        out["matches"] = int(len(matches))
        if len(matches) < 4:
            raise RuntimeError("too few matches (%d)" % len(matches))
        src = ka[matches[:, 0]]  # after px (working resolution)
        dst = kb[matches[:, 1]]  # before px
        model, inliers = ransac((src, dst), ProjectiveTransform, min_samples=4,
                                residual_threshold=a.residual, max_trials=5000,
                                random_state=a.seed)
        if model is None or inliers is None:
            raise RuntimeError("RANSAC found no model")
        n_in = int(inliers.sum())
        out["inliers"] = n_in
        if n_in < a.min_inliers:
            raise RuntimeError("too few inliers (%d < %d)" % (n_in, a.min_inliers))
        h_small = model.params / model.params[2, 2]
        h = peerlib.scale_homography(h_small, fb, fa)
        if not peerlib.valid_homography(h):
            raise RuntimeError("degenerate homography")
        out["after_to_before"] = (h / h[2, 2]).tolist()
        out["status"] = "ok"
    except Exception as e:  # reported, scored as a failure by evaluate.py
        out["error"] = "%s: %s" % (type(e).__name__, e)
    out["seconds_internal"] = round(time.time() - t0, 3)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k != "after_to_before"}))
    return 0 if out["status"] == "ok" else 3


if __name__ == "__main__":
    sys.exit(main())
