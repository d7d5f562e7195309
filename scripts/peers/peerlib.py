"""Shared helpers for the peer-comparison benchmark (scripts/compare_peers.sh).

Run with Debian's /usr/bin/python3 (numpy, scipy, OpenCV 4.6, scikit-image 0.19).

Conventions (all of this file):
  * Pixel coordinates follow OpenCV: x right, y down, pixel centres at integer coordinates,
    so pixel (col=i, row=j) covers [i-0.5, i+0.5] x [j-0.5, j+0.5].
  * "after_to_before" is a 3x3 homography mapping after-image px (x, y, 1) to before-image px,
    exactly as in SkinTrack's truth.json and `skintrack compare --json`.
"""
import json
import math

import cv2
import numpy as np

# ---------------------------------------------------------------------------------------------
# Band-passed log luminance (mirrors src/photometric/bandpass.cpp; see shared METHODS.md).


def read_bgr01(path):
    """Reads an image as float32 BGR in [0, 1] (EXIF orientation applied, like cv::imread)."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise IOError("cannot read image: %s" % path)
    return img.astype(np.float32) / 255.0


def srgb_to_linear(v):
    v = np.asarray(v, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, np.power((v + 0.055) / 1.055, 2.4)).astype(np.float32)


def linear_to_srgb(v):
    v = np.clip(np.asarray(v, dtype=np.float32), 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v,
                    1.055 * np.power(v, 1.0 / 2.4) - 0.055).astype(np.float32)


def linear_luminance(bgr01):
    """Rec. 709 relative luminance of an sRGB-encoded BGR [0,1] image."""
    lin = srgb_to_linear(bgr01)
    return (0.0722 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.2126 * lin[..., 2]).astype(np.float32)


def bandpass_log_luminance(y_lin, sigma_lo=0.7, sigma_hi_fraction=1.0 / 40.0):
    """log(Y + 1e-3) filtered with G(sigma_lo) - G(sigma_hi), sigma_hi = long side * fraction."""
    log_y = np.log(y_lin.astype(np.float32) + 1e-3)
    h, w = log_y.shape
    sigma_hi = max(2.0, sigma_hi_fraction * max(h, w))
    lo = log_y
    if sigma_lo > 0:
        lo = cv2.GaussianBlur(log_y, (0, 0), sigma_lo, sigma_lo, borderType=cv2.BORDER_REFLECT)
    factor = max(1.0, sigma_hi / 8.0)
    if factor > 2.0:  # coarse blur at reduced resolution: it only carries the lighting field
        small = cv2.resize(log_y, None, fx=1.0 / factor, fy=1.0 / factor,
                           interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), sigma_hi / factor, sigma_hi / factor,
                                 borderType=cv2.BORDER_REFLECT)
        hi = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        hi = cv2.GaussianBlur(log_y, (0, 0), sigma_hi, sigma_hi, borderType=cv2.BORDER_REFLECT)
    return (lo - hi).astype(np.float32)


def robust_unit(bp, spread=4.0):
    """Maps a band-passed image to [0,1]: 0.5 + value / (2 * spread * median|value|), clamped."""
    step = max(1, bp.size // 20000)
    mad = max(1e-4, float(np.median(np.abs(bp.ravel()[::step]))))
    return np.clip(0.5 + bp / (2.0 * spread * mad), 0.0, 1.0).astype(np.float32)


def downscale(img, max_side):
    """Downscales with INTER_AREA so that the long side is <= max_side.

    Returns (small, (fx, fy)) with fx = full width / small width (>= 1), likewise fy.
    Pixel centre mapping (OpenCV resize): x_full = fx * x_small + (fx - 1) / 2, same for y.
    """
    h, w = img.shape[:2]
    long_side = max(h, w)
    if max_side <= 0 or long_side <= max_side:
        return img, (1.0, 1.0)
    f = long_side / float(max_side)
    sw, sh = int(round(w / f)), int(round(h / f))
    small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
    return small, (w / float(sw), h / float(sh))


def small_to_full(factors):
    """3x3 matrix mapping small-image px to full-image px (OpenCV pixel centres)."""
    fx, fy = factors
    return np.array([[fx, 0, (fx - 1) / 2.0], [0, fy, (fy - 1) / 2.0], [0, 0, 1.0]])


def scale_homography(h_small, before_factors, after_factors):
    """Lifts an after->before homography between downscaled images to full resolution."""
    return small_to_full(before_factors) @ h_small @ np.linalg.inv(small_to_full(after_factors))


# ---------------------------------------------------------------------------------------------
# Geometry and TRE.


def apply_h(h, pts):
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    ph = np.hstack([pts, np.ones((len(pts), 1))]) @ np.asarray(h, dtype=np.float64).T
    return ph[:, :2] / ph[:, 2:3]


def load_truth(path):
    with open(path) as f:
        t = json.load(f)
    h = np.array(t["after_to_before"], dtype=np.float64)
    if h.shape != (3, 3):
        raise ValueError("truth after_to_before is not 3x3")
    return h / h[2, 2]


def image_size(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise IOError("cannot read image: %s" % path)
    return img.shape[1], img.shape[0]


def evaluation_grid(before_size, after_size, truth_a2b, nx=20, ny=15, margin=0.04):
    """Grid points p (before px) whose true after position lies inside the after image.

    The nx x ny grid spans the before image with a margin of `margin` of its size on each side.
    Returns (p_before [N,2], q_after_true [N,2]).
    """
    bw, bh = before_size
    aw, ah = after_size
    xs = np.linspace(margin * (bw - 1), (1 - margin) * (bw - 1), nx)
    ys = np.linspace(margin * (bh - 1), (1 - margin) * (bh - 1), ny)
    p = np.array([(x, y) for y in ys for x in xs], dtype=np.float64)
    q = apply_h(np.linalg.inv(truth_a2b), p)
    inside = (q[:, 0] >= 0) & (q[:, 0] <= aw - 1) & (q[:, 1] >= 0) & (q[:, 1] <= ah - 1)
    return p[inside], q[inside]


def tre_from_homography(est_a2b, truth_a2b, p, q):
    """TRE in before px at the true after points q: |est(q) - truth(q)| (truth(q) == p)."""
    est = apply_h(est_a2b, q)
    before_err = np.linalg.norm(est - p, axis=1)
    # Cross-check in after px: where each maps the before grid.
    est_q = apply_h(np.linalg.inv(est_a2b), p)
    after_err = np.linalg.norm(est_q - q, axis=1)
    return before_err, after_err


def tre_from_points(p, q_est, truth_a2b, q):
    """For a method that maps before -> after (elastix): q_est = T(p).

    before px: |truth(q_est) - p| (the method's correspondence of p carried back by the truth);
    after px: |q_est - q|. Both agree with the homography definition to first order.
    """
    before_err = np.linalg.norm(apply_h(truth_a2b, q_est) - p, axis=1)
    after_err = np.linalg.norm(q_est - q, axis=1)
    return before_err, after_err


def valid_homography(h):
    h = np.asarray(h, dtype=np.float64)
    return h.shape == (3, 3) and np.all(np.isfinite(h)) and abs(h[2, 2]) > 1e-12
