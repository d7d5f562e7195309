#!/usr/bin/env bash
# Alignment accuracy on pairs with exact ground truth: the figures quoted for the foundation
# issue. Builds (Release), then runs build/bench/align_accuracy_eval:
#   random     20 phantom pairs 1600x1200, random capture (rot +-10 deg, scale +-10 %, keystone,
#              exposure +-30 %, white balance +-8 %, side light, JPEG q85)
#   lowtex     20 low-texture phantom pairs, same capture
#   largepose  rotation +-30 deg x scale 0.7 / 1.4 (textured and low-texture)
#   real       each ../shared/data/real/isic_cc0 image re-photographed by a random capture
#   different  pairs of different skin (all must be 'failed')
# Usage: scripts/eval_alignment.sh [--pairs N] [--out FILE.md]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=20
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "eval_alignment: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
bash scripts/setup.sh >/dev/null
report=$(mktemp)
trap 'rm -f "$report"' EXIT
{
  echo "# Alignment accuracy ($(date -u +%Y-%m-%d), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo none))"
  echo
  echo "Command: \`scripts/eval_alignment.sh --pairs $pairs\`. TRE in before-image px over a 40x30 grid;"
  echo "'global' = the reported homography, 'full' = homography + DIS residual (what after_aligned.png uses)."
  build/bench/align_accuracy_eval --suite all --pairs "$pairs" --real-dir ../shared/data/real/isic_cc0 2>/dev/null
} | tee "$report"
if [ -n "$out" ]; then cp "$report" "$out"; echo "wrote $out"; fi
