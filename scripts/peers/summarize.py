#!/usr/bin/python3
"""Summarises results.jsonl of scripts/compare_peers.sh into Markdown tables and (optionally)
writes them into docs/benchmarks.md under "## Registration: SkinTrack vs peers", replacing only
that section (up to the next "## " heading) and leaving every other section untouched.

  summarize.py RESULTS.jsonl --meta META.json [--doc docs/benchmarks.md] [--out TABLES.md]

Per method and pair set: "median / 90th pct / max TRE" pool the grid-point TREs of the pairs the
method did NOT fail; "failed" counts errors, timeouts and pairs with median TRE > threshold;
"mean time per pair" averages the wall clock over all attempted pairs (a timeout counts as its
limit).
"""
import argparse
import json
import os
import sys
from collections import OrderedDict

import numpy as np

HEADING = "## Registration: SkinTrack vs peers"
METHOD_LABEL = OrderedDict([
    ("skintrack", "SkinTrack (`compare`, global homography)"),
    ("elastix", "elastix 5.0.1 affine + B-spline"),
    ("skimage", "scikit-image 0.19 ORB + RANSAC"),
])


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def fmt(v, nd=2):
    if v is None:
        return "–"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return ("%%.%df" % nd) % v


def table(recs, set_name):
    rows = []
    rows.append("| method | pairs | median TRE px | 90th pct TRE px | max TRE px | failed "
                "| mean time per pair s | mean CPU per pair s |")
    rows.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    methods = [m for m in METHOD_LABEL if any(r["method"] == m for r in recs)]
    methods += sorted({r["method"] for r in recs} - set(methods))
    peer_pairs = sorted({r["pair"] for r in recs if r["method"] != "skintrack"})
    st_pairs = {r["pair"] for r in recs if r["method"] == "skintrack"}
    rows_spec = []
    for m in methods:
        rows_spec.append((m, METHOD_LABEL.get(m, m), [r for r in recs if r["method"] == m]))
        if m == "skintrack" and peer_pairs and set(peer_pairs) != st_pairs:
            sub = [r for r in recs if r["method"] == m and r["pair"] in set(peer_pairs)]
            rows_spec.append((m + "-subset", "SkinTrack, on the peers' %d pairs" % len(sub), sub))
    for m, label, rs in rows_spec:
        ok = [r for r in rs if not r["failed"]]
        pooled = np.concatenate([np.array(r["tre"]) for r in ok]) if ok else np.array([])
        med = float(np.median(pooled)) if pooled.size else None
        p90 = float(np.percentile(pooled, 90)) if pooled.size else None
        mx = float(np.max(pooled)) if pooled.size else None
        nfail = len(rs) - len(ok)
        t = float(np.mean([r["seconds"] for r in rs]))
        cpu = float(np.mean([r.get("cpu_seconds", float("nan")) for r in rs]))
        rows.append("| %s | %d | %s | %s | %s | %d | %s | %s |" % (
            label, len(rs), fmt(med, 3), fmt(p90, 3), fmt(mx, 2), nfail,
            "%.1f" % t, "%.1f" % cpu))
        if nfail and not m.endswith("-subset"):
            reasons = OrderedDict()
            for r in rs:
                if r["failed"]:
                    reason = r.get("fail_reason", "?")
                    key = "median TRE > threshold" if reason.startswith("median TRE") else reason[:120]
                    reasons.setdefault(key, []).append(r["pair"])
            parts = []
            for k, v in reasons.items():
                parts.append("%s: %s" % (k, ", ".join(sorted(v))))
            failed_meds = [r["tre_median"] for r in rs if r["failed"] and "tre_median" in r]
            extra = ""
            if failed_meds:
                extra = " (median TRE of the failed pairs: %s px)" % ", ".join(fmt(v, 1) for v in failed_meds)
            notes.append("- %s failed on %s%s." % (label.split(" (")[0],
                                                   "; ".join(parts), extra))
        if m == "skintrack" and rs:
            st = OrderedDict()
            for r in rs:
                st[r.get("reported_status") or "none"] = st.get(r.get("reported_status") or "none", 0) + 1
            nr = sum(1 for r in rs if r.get("nonrigid_used"))
            mth = OrderedDict()
            for r in rs:
                k = r.get("skintrack_method") or "?"
                mth[k] = mth.get(k, 0) + 1
            notes.append("- SkinTrack self-reported status: %s; path: %s; DIS non-rigid residual "
                         "used on %d/%d (not part of this TRE)." % (
                             ", ".join("%s %d" % kv for kv in st.items()),
                             ", ".join("%s %d" % kv for kv in mth.items()), nr, len(rs)))
    return "\n".join(rows), notes


NOTES = """
### Notes on the peer set-ups

- elastix tuning (development runs on 10-16 pairs like these): with 4 affine resolutions
  (smoothing 8..1) at 1600 px and normalized correlation, elastix recovered only the smaller
  poses (median TRE 0.03 px when it converged, 60-100 px when not; it has no rotation search and
  the band-pass leaves no structure coarser than ~40 px to pull it in). 6 resolutions (32..1)
  helped; the working size of 800 px (coarse levels span twice the distance) and Mattes MI
  recovered most of the remaining random-capture poses. Remaining misses: the largest poses
  (rotation 7-8 deg with scale ~1.2) and the low-texture phantoms. elastix's
  RandomCoordinate sampler is seeded (`RandomSeed 121212`), so runs are repeatable.
- Frame convention: writing the working images with Origin 0 instead of (f - 1)/2 changed the
  elastix TRE by only ~0.01 px, because both images share the same offset c and the error is
  (J - I) c with J the transform's Jacobian (|J - I| ~ 0.1). The offset matters when the two
  images are sampled differently, and the point file must say `point` (physical) not `index`.
- scikit-image 0.19's ORB is slow on band-passed skin: FAST fires on most pixels and
  `corner_peaks` -> `ensure_spacing` dominated (150 s per 1600x1200 image at FAST threshold
  0.05). FAST threshold 0.25 and 1024 px keep it at ~10-15 s CPU per pair with the same
  accuracy (median TRE 0.04-0.4 px on textured pairs). It needs texture: it fails on the
  low-texture phantoms (tens of matches, < 12 RANSAC inliers).
- Low-texture phantoms: their band-passed log luminance is dominated by 8-bit quantisation
  contours of the smooth lighting field (a diagonal sawtooth, different in each photo because
  each session has its own side light) plus JPEG blocks; the faint pores are the only true
  signal. elastix aligns the contours: it diverged even on a low-texture pair with a small
  pose (1 deg, median displacement 15 px -> median TRE 62 px affine-only, 83 px with NCC,
  71 px with sigma_lo 3 px). ORB finds only a few consistent matches.
- elastix's B-spline stage is weakly constrained near the borders of the real images (dark
  dermoscope corners, content outside the source): a few border grid points carry errors of
  10-35 px while the pair's median stays < 0.5 px, hence its large max TRE on real skin.
- SkinTrack's TRE here is that of its global homography (`alignment.after_to_before`); its DIS
  residual flow is not scored. The phantom truth is a pure homography, so for these pairs the
  global part is the whole registration.
"""


def describe(meta):
    gen = meta.get("generator")
    if gen == "skintrack":
        pairs = ("Pairs come from `skintrack phantom` (%s): *random capture* = default random after-"
                 "capture (rotation +-10 deg, scale +-10 %%, keystone up to 5 %% of the size, "
                 "exposure +-30 %%, white balance +-8 %%, side light up to 30 %%, noise, JPEG q85), "
                 "1600x1200, seeds 1000+i; *low texture* = the same with `--low-texture`, seeds "
                 "2000+i; *real skin* = `--from-image` on the CC0 ISIC images in "
                 "`../shared/data/real/isic_cc0/` (native size, 767x576 to 3072x2304), seeds "
                 "3000+i." % meta.get("skintrack", ""))
    else:
        pairs = ("Pairs come from the fallback generator `scripts/peers/make_pair.py` (SkinTrack's "
                 "phantom was not available): a random capture homography (rotation +-10 deg, scale "
                 "+-10 %, corner shift +-5 %) with exposure, white-balance and side-light changes, "
                 "noise and JPEG q85, applied to a procedural skin texture or to the ISIC images.")
    lines = [
        pairs + " Truth: the exact `after_to_before` homography of each pair.",
        "",
        "Methods (time per pair = wall clock of the whole method process, image loading and "
        "pre-processing included; CPU = user + system time of the method's processes, which "
        "is less sensitive to other load on the machine; limit %.0f s wall clock per pair and "
        "method):" % meta["timeout"],
        "",
        "- **SkinTrack** (same binary): `skintrack compare BEFORE AFTER --json FILE` with default "
        "options. Its TRE is computed from the reported global `after_to_before` homography; the "
        "DIS non-rigid residual it may add on top is not scored (the phantom truth is a "
        "homography).",
        "- **elastix** (`scripts/peers/reg_elastix.py`, parameter files "
        "`scripts/peers/elastix/affine.txt` + `bspline.txt`): fixed = before, moving = after, "
        "both as band-passed log luminance (`log(Y+1e-3)`, Gaussian sigma_lo 1.5 working px "
        "minus sigma_hi = long side/40) written as float MetaImages at %d px on the long side. "
        "Affine: 6 resolutions (smoothing 32..1 voxels), Mattes mutual information (32 bins), "
        "adaptive stochastic gradient descent, 400 iterations and 4096 random samples per level. "
        "B-spline: cubic, final control-point spacing 100 px (multigrid 800/400/200/100), "
        "4 resolutions, 400 iterations, 8192 samples. `-threads 2`. The before-frame grid points "
        "are mapped with `transformix -def`." % meta["elastix_size"],
        "- **scikit-image** (`scripts/peers/reg_skimage.py`): band-passed log luminance "
        "(sigma_lo 0.7 px) at %d px on the long side (SkinTrack's default working size is 1024), "
        "`skimage.feature.ORB` (4000 keypoints, "
        "FAST threshold 0.25 on the band-pass mapped to [0, 1]), `match_descriptors` (Hamming, "
        "cross-check, ratio 0.8), `skimage.measure.ransac` with `ProjectiveTransform` (residual "
        "2 px, 5000 trials), >= 12 inliers; homography lifted back to full resolution."
        % meta["skimage_size"],
        "",
        "TRE (px, before-image frame) over a 20x15 grid spanning the before image (4 %% margin), "
        "restricted to points whose true position lies inside the after image: at each grid "
        "point p with true after position q, |H_est(q) - p| for the homography methods, and "
        "|H_true(T(p)) - p| for elastix, whose transform T maps before -> after (equal to first "
        "order; the after-frame errors agree too and are in `results.jsonl`). A pair **fails** "
        "for a method when the method errors or reports failure, times out, or its median TRE "
        "exceeds **%g px**. Median / 90th percentile / max pool the grid-point TREs of the pairs "
        "the method did not fail; mean time averages over all attempted pairs." % meta["threshold"],
        "",
        "Coordinates: OpenCV pixel centres are at integers; elastix places voxel index i at "
        "Origin + Spacing * i, so with Origin 0 and Spacing 1 the two frames are identical. For "
        "elastix's downscaled working images the MetaImage header carries Spacing = f and "
        "Origin = (f - 1)/2 (f = full/working size per axis, INTER_AREA), which keeps elastix's "
        "physical frame equal to the full-resolution OpenCV pixel frame.",
    ]
    if meta.get("peer_pairs", -1) >= 0:
        lines += ["", "Time budget: elastix and scikit-image ran on the first %d pairs of each set "
                  "only (`--peer-pairs %d`); SkinTrack on all." % (meta["peer_pairs"],
                                                                   meta["peer_pairs"])]
    return "\n".join(lines)


def render(recs, meta):
    out = []
    out.append(HEADING)
    out.append("")
    out.append("Run started %s on %s; %s (the machine was shared with other jobs, so wall "
               "times are indicative; see the CPU column). Whole run: %d s. Command (from the "
               "repository root):" % (
                   meta["date"], meta["machine"], meta.get("load", ""), meta.get("total_seconds", 0)))
    out.append("")
    out.append("```")
    out.append(meta["command"])
    out.append("```")
    out.append("")
    out.append(describe(meta))
    out.append("")
    titles = [("random", "Random capture phantoms, 1600x1200"),
              ("low", "Low-texture phantoms, 1600x1200"),
              ("real", "Real skin (ISIC CC0 images, re-photographed)")]
    for set_name, title in titles:
        rs = [r for r in recs if r["set"] == set_name]
        if not rs:
            continue
        npairs = len({r["pair"] for r in rs})
        out.append("### %s (%d pairs)" % (title, npairs))
        out.append("")
        t, notes = table(rs, set_name)
        out.append(t)
        out.append("")
        if notes:
            out.extend(notes)
            out.append("")
    out.append(NOTES.strip())
    out.append("")
    if meta.get("postamble"):
        out.append(meta["postamble"].strip())
        out.append("")
    return "\n".join(out)


def write_doc(doc, section):
    if os.path.exists(doc):
        text = open(doc).read()
    else:
        text = "# Benchmarks\n\n"
    lines = text.splitlines(keepends=True)
    start = None
    for i, l in enumerate(lines):
        if l.rstrip("\n") == HEADING:
            start = i
            break
    if start is None:
        if not text.endswith("\n"):
            text += "\n"
        if not text.endswith("\n\n"):
            text += "\n"
        new = text + section
    else:
        end = len(lines)
        for j in range(start + 1, len(lines)):
            if lines[j].startswith("## ") or lines[j].startswith("# "):
                end = j
                break
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" if tail else "") + tail
    if not new.endswith("\n"):
        new += "\n"
    os.makedirs(os.path.dirname(os.path.abspath(doc)), exist_ok=True)
    with open(doc, "w") as f:
        f.write(new)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--meta", required=True)
    ap.add_argument("--doc")
    ap.add_argument("--out")
    a = ap.parse_args()
    recs = load(a.results)
    with open(a.meta) as f:
        meta = json.load(f)
    section = render(recs, meta)
    print(section)
    if a.out:
        with open(a.out, "w") as f:
            f.write(section)
    if a.doc:
        write_doc(a.doc, section)
        print("summarize: wrote section '%s' in %s" % (HEADING, a.doc), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
