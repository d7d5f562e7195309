#!/usr/bin/python3
"""TRE scoring for the peer benchmark.

  evaluate.py grid PAIR_DIR POINTS_TXT
      Writes the evaluation grid (before-image px, "x y" per line) of a pair: a 20 x 15 grid
      spanning the before image (4 % margin) restricted to points whose true position lies
      inside the after image.
  evaluate.py score PAIR_DIR --set NAME --method NAME --result JSON --timing TIMING.json
                    [--timeout-s T] [--threshold PX] --append RESULTS.jsonl
      (TIMING.json is run_timed.py's report: rc, wall_s, cpu_s, timed_out.)
      Scores one method on one pair and appends one JSON line.

TRE (px, before-image frame) at each grid point p with true after position q = truth^-1(p):
  homography methods (SkinTrack, scikit-image): |H_est(q) - p|
  elastix (maps before -> after; transformix gives q_est = T(p)): |truth(q_est) - p|
The two agree to first order. The after-frame error (|H_est^-1(p) - q| resp. |q_est - q|) is
stored too, as a cross-check ("tre_after_median").
A pair FAILS for a method when the method errors or reports failure, times out, or its median
TRE over the grid exceeds --threshold (default 5 px).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402


def grid(pair_dir):
    truth = peerlib.load_truth(os.path.join(pair_dir, "truth.json"))
    bsize = peerlib.image_size(os.path.join(pair_dir, "before.jpg"))
    asize = peerlib.image_size(os.path.join(pair_dir, "after.jpg"))
    return truth, peerlib.evaluation_grid(bsize, asize, truth)


def cmd_grid(a):
    _, (p, _) = grid(a.pair_dir)
    np.savetxt(a.points, p, fmt="%.6f")
    return 0


def cmd_score(a):
    with open(a.timing) as f:
        timing = json.load(f)
    rc = int(timing["rc"])
    rec = {"set": a.set, "pair": os.path.basename(os.path.normpath(a.pair_dir)),
           "method": a.method, "seconds": float(timing["wall_s"]),
           "cpu_seconds": float(timing["cpu_s"]), "rc": rc}
    truth, (p, q) = grid(a.pair_dir)
    rec["n_points"] = int(len(p))
    err = None
    try:
        if timing.get("timed_out"):
            raise RuntimeError("timed out after %g s" % a.timeout_s)
        if not os.path.exists(a.result):
            raise RuntimeError("no result file (exit code %d)" % rc)
        with open(a.result) as f:
            r = json.load(f)
        if "alignment" in r:  # SkinTrack's compare JSON
            al = r["alignment"]
            rec["reported_status"] = al.get("status")
            rec["skintrack_method"] = al.get("method")
            nr = al.get("nonrigid") or {}
            rec["nonrigid_used"] = bool(nr.get("used", False))
            if al.get("status") == "failed" or "after_to_before" not in al:
                raise RuntimeError("SkinTrack reported failure: %s" % al.get("reason", "?"))
            h = np.array(al["after_to_before"], dtype=np.float64)
            if not peerlib.valid_homography(h):
                raise RuntimeError("invalid after_to_before")
            tb, ta = peerlib.tre_from_homography(h / h[2, 2], truth, p, q)
        else:
            rec["reported_status"] = r.get("status")
            if r.get("status") != "ok":
                raise RuntimeError(r.get("error", "method reported failure"))
            if "after_to_before" in r:
                h = np.array(r["after_to_before"], dtype=np.float64)
                tb, ta = peerlib.tre_from_homography(h / h[2, 2], truth, p, q)
            else:
                pp = np.array(r["before_points"], dtype=np.float64)
                qe = np.array(r["after_points"], dtype=np.float64)
                if pp.shape != p.shape or np.max(np.abs(pp - p)) > 1e-3:
                    raise RuntimeError("result points do not match the evaluation grid")
                tb, ta = peerlib.tre_from_points(p, qe, truth, q)
        if not np.all(np.isfinite(tb)):
            raise RuntimeError("non-finite TRE")
        rec["tre"] = [round(float(v), 4) for v in tb]
        rec["tre_median"] = float(np.median(tb))
        rec["tre_p90"] = float(np.percentile(tb, 90))
        rec["tre_max"] = float(np.max(tb))
        rec["tre_after_median"] = float(np.median(ta))
        rec["failed"] = bool(rec["tre_median"] > a.threshold)
        if rec["failed"]:
            rec["fail_reason"] = "median TRE %.2f px > %g px" % (rec["tre_median"], a.threshold)
        elif rc != 0:
            rec["note"] = "exit code %d" % rc
    except Exception as e:
        err = str(e)
        rec["failed"] = True
        rec["fail_reason"] = err.splitlines()[0][:300] if err else type(e).__name__
    with open(a.append, "a") as f:
        f.write(json.dumps(rec) + "\n")
    msg = "FAILED (%s)" % rec["fail_reason"] if rec["failed"] else "median TRE %.3f px" % rec["tre_median"]
    print("    %-10s %-22s %6.1f s (cpu %6.1f s)  %s" % (a.method, rec["pair"], rec["seconds"],
                                                     rec["cpu_seconds"], msg))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("grid")
    g.add_argument("pair_dir")
    g.add_argument("points")
    s = sub.add_parser("score")
    s.add_argument("pair_dir")
    s.add_argument("--set", required=True)
    s.add_argument("--method", required=True)
    s.add_argument("--result", required=True)
    s.add_argument("--timing", required=True)
    s.add_argument("--timeout-s", type=float, default=0.0)
    s.add_argument("--threshold", type=float, default=5.0)
    s.add_argument("--append", required=True)
    a = ap.parse_args()
    return cmd_grid(a) if a.cmd == "grid" else cmd_score(a)


if __name__ == "__main__":
    sys.exit(main())
