#!/usr/bin/python3
"""elastix peer: affine + cubic B-spline (multi-resolution) on band-passed log luminance.

  reg_elastix.py BEFORE AFTER --points PTS.txt --json OUT --work DIR
        [--params-dir scripts/peers/elastix] [--max-side 800] [--threads 2]

Parameter files: elastix/affine.txt (6 resolutions, Mattes MI, ASGD) then elastix/bspline.txt
(cubic B-spline, final grid 100 px, 4 resolutions). Input: band-passed log luminance
(sigma_lo 1.5 working px, sigma_hi = long side / 40) at --max-side (default 800) px.

fixed = BEFORE, moving = AFTER. elastix's transform T maps FIXED physical points to MOVING
physical points, i.e. before px -> after px. PTS.txt holds before-image points "x y" (one per
line, OpenCV px); transformix (-def) maps them and the JSON gets
{"status", "before_points": [[x,y]...], "after_points": [[x,y]...]} (both OpenCV px, full res).

Coordinate frame: images are written as float MetaImages (.mhd + .raw) with ElementSpacing f and
Offset (f-1)/2, where f = full size / working size per axis (f = 1, Offset 0 when not
downscaled). elastix places pixel index i at physical Offset + Spacing * i, i.e. at pixel
centres, which is exactly OpenCV's convention (centre of pixel i at x = i) mapped through the
INTER_AREA resize. So physical coordinates == full-resolution OpenCV px, for both images.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def write_mhd(path_mhd, img, factors):
    """Writes a 2D float32 MetaImage; physical frame = full-resolution OpenCV px."""
    img = np.ascontiguousarray(img, dtype="<f4")
    raw_name = os.path.splitext(os.path.basename(path_mhd))[0] + ".raw"
    fx, fy = factors
    header = "\n".join([
        "ObjectType = Image",
        "NDims = 2",
        "BinaryData = True",
        "BinaryDataByteOrderMSB = False",
        "CompressedData = False",
        "TransformMatrix = 1 0 0 1",
        "Offset = %.10g %.10g" % ((fx - 1) / 2.0, (fy - 1) / 2.0),
        "CenterOfRotation = 0 0",
        "AnatomicalOrientation = RA",
        "ElementSpacing = %.10g %.10g" % (fx, fy),
        "DimSize = %d %d" % (img.shape[1], img.shape[0]),
        "ElementType = MET_FLOAT",
        "ElementDataFile = %s" % raw_name,
    ]) + "\n"
    with open(path_mhd, "w") as f:
        f.write(header)
    img.tofile(os.path.join(os.path.dirname(path_mhd), raw_name))


def prepare(path, max_side, sigma_lo, sigma_hi_fraction):
    y = peerlib.linear_luminance(peerlib.read_bgr01(path))
    y, factors = peerlib.downscale(y, max_side)
    bp = peerlib.bandpass_log_luminance(y, sigma_lo=sigma_lo, sigma_hi_fraction=sigma_hi_fraction)
    # Unit-free scaling (NCC is scale invariant; this only keeps numbers tidy).
    bp = bp / max(1e-6, float(np.median(np.abs(bp))))
    return bp, factors


OUT_RE = re.compile(r"OutputPoint\s*=\s*\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\]")


def run(cmd, log_path):
    with open(log_path, "w") as log:
        r = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        tail = open(log_path, errors="replace").read()[-1500:]
        raise RuntimeError("%s exited with %d; log tail:\n%s" % (cmd[0], r.returncode, tail))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--points", required=True, help="before-image points, 'x y' per line")
    ap.add_argument("--json", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--params-dir", default=os.path.join(HERE, "elastix"))
    ap.add_argument("--max-side", type=int, default=800)
    ap.add_argument("--sigma-lo", type=float, default=1.5)
    ap.add_argument("--sigma-hi-fraction", type=float, default=1.0 / 40.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--affine-only", action="store_true")
    a = ap.parse_args()

    t0 = time.time()
    out = {"method": "elastix-affine-bspline", "status": "failed"}
    os.makedirs(a.work, exist_ok=True)
    try:
        fixed, ff = prepare(a.before, a.max_side, a.sigma_lo, a.sigma_hi_fraction)
        moving, fm = prepare(a.after, a.max_side, a.sigma_lo, a.sigma_hi_fraction)
        write_mhd(os.path.join(a.work, "fixed.mhd"), fixed, ff)
        write_mhd(os.path.join(a.work, "moving.mhd"), moving, fm)
        out["working_size"] = [int(fixed.shape[1]), int(fixed.shape[0])]
        p = np.loadtxt(a.points, ndmin=2)
        with open(os.path.join(a.work, "points.txt"), "w") as f:
            f.write("point\n%d\n" % len(p))  # "point" = physical coordinates (== OpenCV px here)
            for x, y in p:
                f.write("%.6f %.6f\n" % (x, y))
        params = [os.path.join(a.params_dir, "affine.txt")]
        if not a.affine_only:
            params.append(os.path.join(a.params_dir, "bspline.txt"))
        cmd = ["elastix", "-f", os.path.join(a.work, "fixed.mhd"),
               "-m", os.path.join(a.work, "moving.mhd"), "-out", a.work,
               "-threads", str(a.threads)]
        for prm in params:
            cmd += ["-p", prm]
        t1 = time.time()
        run(cmd, os.path.join(a.work, "elastix_stdout.log"))
        out["elastix_seconds"] = round(time.time() - t1, 3)
        tp = os.path.join(a.work, "TransformParameters.%d.txt" % (len(params) - 1))
        run(["transformix", "-def", os.path.join(a.work, "points.txt"), "-tp", tp,
             "-out", a.work, "-threads", str(a.threads)],
            os.path.join(a.work, "transformix_stdout.log"))
        q = []
        with open(os.path.join(a.work, "outputpoints.txt")) as f:
            for line in f:
                m = OUT_RE.search(line)
                if m:
                    q.append((float(m.group(1)), float(m.group(2))))
        if len(q) != len(p):
            raise RuntimeError("transformix returned %d points for %d" % (len(q), len(p)))
        q = np.array(q)
        if not np.all(np.isfinite(q)):
            raise RuntimeError("non-finite transformed points")
        out["before_points"] = p.tolist()
        out["after_points"] = q.tolist()
        # Final metric value of the last level, for information.
        log = open(os.path.join(a.work, "elastix.log"), errors="replace").read()
        fm_ = re.findall(r"Final metric value\s*=\s*([-+0-9.eE]+)", log)
        if fm_:
            out["final_metric"] = float(fm_[-1])
        out["status"] = "ok"
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    out["seconds_internal"] = round(time.time() - t0, 3)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k not in ("before_points", "after_points")}))
    return 0 if out["status"] == "ok" else 3


if __name__ == "__main__":
    sys.exit(main())
