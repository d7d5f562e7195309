#!/usr/bin/python3
"""Fallback / cross-check pair generator with exact ground truth (no SkinTrack needed).

Writes OUT_DIR/before.jpg, OUT_DIR/after.jpg and OUT_DIR/truth.json in the same format as
`skintrack phantom`: truth.json["after_to_before"] maps after-image px (x, y, 1) to before-image
px (OpenCV convention, pixel centres at integers).

  make_pair.py --from-image IMG --out-dir DIR --seed N [--max-side 1600]
      A real photo re-photographed: before = IMG re-lit (identity geometry), after = IMG warped
      by a random capture homography and re-lit. Outside the source the warp reflects the image
      (cv2.BORDER_REFLECT_101), so there are no black borders.
  make_pair.py --synthetic --out-dir DIR --seed N [--width 1600 --height 1200] [--low-texture]
      A simple procedural skin texture (micro-relief, pores, a few wrinkles) rendered on a canvas
      larger than the view, so the after view has real content everywhere.

Random capture (like SkinTrack's RandomCaptureOptions defaults): rotation +-10 deg, scale
+-10 %, translation +-3 % of the size, corner (keystone) displacement +-5 % of the size,
exposure gain +-30 %, white balance +-8 % per channel, side light up to 30 %, noise sd 0.003
(linear), JPEG quality 85. The before image gets its own (independent) photometric capture.
"""
import argparse
import json
import math
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402


def random_homography(rng, w, h, max_rot=10.0, max_scale=0.10, max_trans=0.03, max_persp=0.05):
    """Random before->after homography (before px -> after px), about the image centre."""
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    th = math.radians(rng.uniform(-max_rot, max_rot))
    s = 1.0 + rng.uniform(-max_scale, max_scale)
    tx = rng.uniform(-max_trans, max_trans) * w
    ty = rng.uniform(-max_trans, max_trans) * h
    c, si = math.cos(th) * s, math.sin(th) * s
    sim = np.array([[c, -si, cx - c * cx + si * cy + tx],
                    [si, c, cy - si * cx - c * cy + ty],
                    [0, 0, 1.0]])
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float64)
    moved = corners + rng.uniform(-max_persp, max_persp, size=(4, 2)) * np.array([w, h])
    persp = cv2.getPerspectiveTransform(corners.astype(np.float32), moved.astype(np.float32))
    b2a = persp @ sim
    return b2a / b2a[2, 2]


def relight(lin_bgr, rng, max_exposure=0.30, max_wb=0.08, max_side=0.30, noise=0.003):
    """Photometric capture in linear light: exposure, white balance, side light, noise."""
    h, w = lin_bgr.shape[:2]
    gain = 1.0 + rng.uniform(-max_exposure, max_exposure)
    wb = 1.0 + rng.uniform(-max_wb, max_wb, size=3)
    strength = rng.uniform(0.0, max_side)
    ang = rng.uniform(0.0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = ((xx - w / 2.0) * math.cos(ang) + (yy - h / 2.0) * math.sin(ang)) / (0.5 * math.hypot(w, h))
    field = 1.0 + strength * 0.5 * (np.cos((r + 1.0) * math.pi / 2.0))  # brighter on one side
    out = lin_bgr * (gain * field)[..., None] * wb[None, None, :].astype(np.float32)
    out = out + rng.normal(0.0, noise, size=out.shape).astype(np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def to_jpeg(path, lin_bgr, quality=85):
    srgb = peerlib.linear_to_srgb(lin_bgr)
    ok = cv2.imwrite(path, np.clip(srgb * 255.0 + 0.5, 0, 255).astype(np.uint8),
                     [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise IOError("cannot write " + path)


def synthetic_skin(rng, w, h, low_texture=False, px_per_mm=20.0):
    """Procedural skin (linear BGR float32), size w x h."""
    base_srgb = np.array([0.62, 0.66, 0.80], dtype=np.float32)  # B, G, R: light skin
    base = peerlib.srgb_to_linear(base_srgb)
    log_y = np.zeros((h, w), np.float32)
    if not low_texture:
        relief = np.zeros((h, w), np.float32)
        for sig, amp in ((1.0, 1.0), (2.5, 0.8), (6.0, 0.6)):
            n = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), sig)
            relief += amp * n / (n.std() + 1e-9)
        log_y += 0.05 * relief / (relief.std() + 1e-9)
    # Pores: Gaussian dark dots, radius 0.05-0.15 mm, 80 /cm^2.
    area_cm2 = (w / px_per_mm / 10.0) * (h / px_per_mm / 10.0)
    n_pores = int(80 * area_cm2)
    contrast = 0.06 if low_texture else 0.35
    dark = np.zeros((h, w), np.float32)
    radii = rng.uniform(0.05, 0.15, n_pores) * px_per_mm
    xs = rng.integers(0, w, n_pores)
    ys = rng.integers(0, h, n_pores)
    for lo, hi in ((0.0, 1.7), (1.7, 2.3), (2.3, 10.0)):
        sel = (radii >= lo) & (radii < hi)
        if not np.any(sel):
            continue
        sig = 0.6 * float(np.mean(radii[sel]))
        imp = np.zeros((h, w), np.float32)
        np.add.at(imp, (ys[sel], xs[sel]), contrast * 2 * math.pi * sig * sig)
        dark += cv2.GaussianBlur(imp, (0, 0), sig)
    log_y += np.log(np.clip(1.0 - dark, 0.05, 1.0))
    if not low_texture:
        # Wrinkles: a few smooth curves, Weber darkness 0.15, width ~0.2 mm.
        lines = np.zeros((h, w), np.float32)
        for _ in range(int(5 * area_cm2 / 4.0)):
            x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
            a = rng.uniform(0, math.pi)
            length = rng.uniform(6, 20) * px_per_mm
            curv = rng.uniform(-1, 1) / length
            t = np.linspace(0, length, 200)
            ang = a + curv * t
            px = x0 + np.cumsum(np.cos(ang)) * (length / 200)
            py = y0 + np.cumsum(np.sin(ang)) * (length / 200)
            pts = np.stack([px, py], 1).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(lines, [pts], False, 1.0, 2, cv2.LINE_AA)
        lines = cv2.GaussianBlur(lines, (0, 0), 1.5)
        log_y += np.log(1.0 - 0.15 * lines / (lines.max() + 1e-9))
    y = np.exp(log_y)
    return (base[None, None, :] * y[..., None]).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--from-image")
    src.add_argument("--synthetic", action="store_true")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument("--height", type=int, default=1200)
    ap.add_argument("--low-texture", action="store_true")
    ap.add_argument("--max-side", type=int, default=1600,
                    help="--from-image: downscale the source so its long side is <= this (0: no)")
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out_dir, exist_ok=True)
    if a.from_image:
        src_bgr = peerlib.read_bgr01(a.from_image)
        src_bgr, _ = peerlib.downscale(src_bgr, a.max_side)
        h, w = src_bgr.shape[:2]
        lin = peerlib.srgb_to_linear(src_bgr)
        b2a = random_homography(rng, w, h)
        a2b = np.linalg.inv(b2a)
        before_lin = lin
        after_lin = cv2.warpPerspective(lin, a2b, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                        borderMode=cv2.BORDER_REFLECT_101)
    else:
        w, h = a.width, a.height
        m = int(0.35 * max(w, h))  # canvas margin: the after view can look outside the before view
        skin = synthetic_skin(rng, w + 2 * m, h + 2 * m, a.low_texture)
        b2a = random_homography(rng, w, h)
        a2b = np.linalg.inv(b2a)
        shift = np.array([[1, 0, m], [0, 1, m], [0, 0, 1.0]])
        before_lin = skin[m:m + h, m:m + w].copy()
        after_lin = cv2.warpPerspective(skin, shift @ a2b, (w, h),
                                        flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                        borderMode=cv2.BORDER_REFLECT_101)
    after_lin = np.clip(after_lin, 0, 1)
    to_jpeg(os.path.join(a.out_dir, "before.jpg"), relight(before_lin, rng, 0.1, 0.03, 0.1))
    to_jpeg(os.path.join(a.out_dir, "after.jpg"), relight(after_lin, rng))
    a2b = a2b / a2b[2, 2]
    with open(os.path.join(a.out_dir, "truth.json"), "w") as f:
        json.dump({"after_to_before": a2b.tolist(), "generator": "scripts/peers/make_pair.py",
                   "seed": a.seed, "source": a.from_image or ("synthetic-low-texture" if a.low_texture else "synthetic")},
                  f, indent=1)


if __name__ == "__main__":
    main()
