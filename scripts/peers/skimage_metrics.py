#!/usr/bin/python3
"""SkinTrack's single-photo metric families computed with scikit-image (a speed peer).

  skimage_metrics.py IMAGE [--px-per-mm 20] [--json FILE|-] [--no-scars]

A plain, reasonable scikit-image implementation of the families `skintrack analyze` measures,
with the scales of SkinTrack's default preset (models/default.preset) converted to px at
--px-per-mm, float32 wherever scikit-image keeps it:

  load      skimage.io.imread, img_as_float32, linear luminance Y = rgb2xyz(...)[..., 1]
  pores     blob_log on the inverted luminance median(Y) - Y (the median subtracted because
            scipy's Laplacian-of-Gaussian taps do not sum to zero at sigma ~0.6 px, so a flat
            background would respond); pore radius 0.04-0.3 mm, sigma = r/sqrt(2), 10
            log-spaced sigmas (SkinTrack: 3 DoG scales per octave over the same range);
            absolute threshold 2.6 * 0.06 * median(Y) (0.06 = SkinTrack's minimum pore
            darkness; the factor was set on phantom seed 1 so that the count is close to the
            truth: on a 600x600 crop of the 1600x1200 phantom recall 1.00, precision 0.99)
  wrinkles  frangi(Y, black_ridges=True), sigmas 0.05-1 mm in px in sqrt(2) steps (SkinTrack's
            ridge scales, 10 at 20 px/mm), gamma 0.03 (luminance units; scikit-image 0.19's
            default 15 is meant for 0-255 images); pixels with vesselness >= 0.3 labelled
            (8-connected), components with area and major axis >= 1 mm (px) counted. Not
            validated: on the phantom these components are mostly fragments, not the wrinkles
  texture   l = ln(Y + 0.01); difference-of-Gaussians bands [lo, hi] mm with sigma =
            0.21624 * edge * px_per_mm, normalised by the octave DoG's peak gain (0.4725);
            bands with a lower edge < 3 px skipped (as SkinTrack: 0.2-0.4 and 0.4-0.8 mm at
            20 px/mm); RMS per band and the root-sum-square (no noise-floor correction);
            graycomatrix of the whole-band DoG quantised +-0.25 ln units -> 32 levels, distance
            0.1 mm in px, angles 0/45/90/135 deg, symmetric, normed (SkinTrack: the same fixed
            map, pairs anchored on a 2-px grid); graycoprops contrast and homogeneity averaged
            over the angles
  scars     (optional) blob_log on median(Y) - Y block-averaged 4x4 (downscale_local_mean;
            SkinTrack also detects scars on block means), radius 0.4-3 mm, 10 log-spaced sigmas,
            threshold 2.0 * 0.05 * median(Y) (0.05 = SkinTrack's minimum scar contrast; set on
            the same phantom: 13 blobs for its 6 scars + 4 dark spots)

Much less than SkinTrack computes: no skin or hair mask, no background normalisation (Weber
darkness), no per-pore sizing, no scar outline/colour check, no wrinkle tracing or depth, no
redness, tone or stretch marks, no noise-floor correction. It is a timing peer, not an
accuracy peer. Output: JSON with the counts/values and per-family wall time
(time.perf_counter), "total_s" (whole script incl. imports, as measured inside the process).
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import skimage  # noqa: E402
from skimage import io as skio  # noqa: E402
from skimage.color import rgb2xyz  # noqa: E402
from skimage.feature import blob_log, graycomatrix, graycoprops  # noqa: E402
from skimage.filters import frangi, gaussian  # noqa: E402
from skimage.measure import label, regionprops  # noqa: E402
from skimage.transform import downscale_local_mean  # noqa: E402
from skimage.util import img_as_float32  # noqa: E402

T_IMPORTED = time.perf_counter()

SCAR_K = 2.0
DOG_PEAK_GAIN = 4.0 ** (-1.0 / 3.0) - 4.0 ** (-4.0 / 3.0)  # octave DoG, s_hi = 2 s_lo


def ridge_scales(lo, hi):
    s, v = [], lo
    while v < hi * 0.97:
        s.append(v)
        v *= math.sqrt(2.0)
    s.append(hi)
    return s


def load(path):
    rgb = skio.imread(path)
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    rgb = img_as_float32(rgb[..., :3])
    y = rgb2xyz(rgb)[..., 1]  # linear luminance (sRGB decoded), float32
    return np.ascontiguousarray(y, dtype=np.float32)


def pores(y, ppm, k=2.6):
    med = float(np.median(y))
    inv = np.float32(med) - y
    thr = k * 0.06 * med
    blobs = blob_log(inv, min_sigma=0.04 * ppm / math.sqrt(2), max_sigma=0.3 * ppm / math.sqrt(2),
                     num_sigma=10, log_scale=True, threshold=thr, overlap=0.5)
    r = blobs[:, 2] * math.sqrt(2) if len(blobs) else np.zeros(0)
    return {"count": int(len(blobs)), "mean_diameter_px": float(2 * r.mean()) if len(r) else 0.0,
            "threshold": thr}


def scars(y, ppm, block=4, k=SCAR_K):
    med = float(np.median(y))
    inv = downscale_local_mean(np.float32(med) - y, (block, block)).astype(np.float32, copy=False)
    thr = k * 0.05 * med
    s = ppm / block / math.sqrt(2)
    blobs = blob_log(inv, min_sigma=0.4 * s, max_sigma=3.0 * s, num_sigma=10, log_scale=True,
                     threshold=thr, overlap=0.5)
    return {"count": int(len(blobs)), "block": block, "threshold": thr}


def wrinkles(y, ppm):
    sigmas = ridge_scales(max(0.8, 0.05 * ppm), 1.0 * ppm)
    v = frangi(y, sigmas=sigmas, black_ridges=True, gamma=0.03)
    mask = v >= 0.3
    lab = label(mask, connectivity=2)
    min_len = 1.0 * ppm
    count, length = 0, 0.0
    for p in regionprops(lab):
        if p.area >= min_len and p.major_axis_length >= min_len:
            count += 1
            length += p.major_axis_length
    return {"count": count, "sigmas_px": [round(s, 3) for s in sigmas],
            "area_fraction": float(mask.mean()), "major_axis_length_px": length}


def texture(y, ppm, edges_mm=(0.1, 0.2, 0.4, 0.8), glcm_offset_mm=0.1, levels=32):
    lg = np.log(y + np.float32(0.01))
    sig = {e: 0.21624 * e * ppm for e in edges_mm}
    g = {}

    def blur(e):
        if e not in g:
            g[e] = gaussian(lg, sigma=sig[e], preserve_range=True)
        return g[e]

    bands, var = {}, 0.0
    used = [(lo, hi) for lo, hi in zip(edges_mm[:-1], edges_mm[1:]) if lo * ppm >= 3.0]
    for lo, hi in used:
        b = (blur(lo) - blur(hi)) / np.float32(DOG_PEAK_GAIN)
        rms = float(np.sqrt(np.mean(b * b, dtype=np.float64)))
        bands["%g-%gmm" % (lo, hi)] = rms
        var += rms * rms
    out = {"roughness_bands": bands, "roughness": math.sqrt(var)}
    if used:
        lo, hi = used[0][0], used[-1][1]
        whole = blur(lo) - blur(hi)  # not gain-normalised, as SkinTrack's GLCM band
        q = np.clip(np.floor((whole + 0.25) / 0.5 * levels), 0, levels - 1).astype(np.uint8)
        d = max(1, int(round(glcm_offset_mm * ppm)))
        m = graycomatrix(q, distances=[d], angles=[0, np.pi / 4, np.pi / 2, 3 * np.pi / 4],
                         levels=levels, symmetric=True, normed=True)
        out["glcm_contrast"] = float(graycoprops(m, "contrast").mean())
        out["glcm_homogeneity"] = float(graycoprops(m, "homogeneity").mean())
        out["glcm_distance_px"] = d
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("image")
    ap.add_argument("--px-per-mm", type=float, default=20.0)
    ap.add_argument("--json", default="-", help="output file ('-' = stdout, the default)")
    ap.add_argument("--no-scars", action="store_true", help="skip the optional scar family")
    a = ap.parse_args()
    if a.px_per_mm <= 0:
        ap.error("--px-per-mm must be > 0")

    times, res = {"import": T_IMPORTED - T_START}, {}
    t = time.perf_counter()
    y = load(a.image)
    times["load"] = time.perf_counter() - t
    fams = [("pores", pores), ("wrinkles", wrinkles), ("texture", texture)]
    if not a.no_scars:
        fams.append(("scars", scars))
    for name, fn in fams:
        t = time.perf_counter()
        res[name] = fn(y, a.px_per_mm)
        times[name] = time.perf_counter() - t
    total = time.perf_counter() - T_START
    out = {
        "schema": "skintrack.peer.skimage_metrics.v1",
        "image": a.image,
        "width": int(y.shape[1]),
        "height": int(y.shape[0]),
        "px_per_mm": a.px_per_mm,
        "skimage_version": skimage.__version__,
        "metrics": res,
        "time_s": {k: round(v, 3) for k, v in times.items()},
        "total_s": round(total, 3),
    }
    text = json.dumps(out, indent=1)
    if a.json == "-":
        print(text)
    else:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
