#!/usr/bin/env bash
# Fits the repeatability model (models/repeatability.json) from test-retest pairs of unchanged
# skin, then (unless --no-accept) runs the change-statistics acceptance against it.
#   1. builds (Release) into $BUILD_DIR (default build/);
#   2. bench/change_stats_eval --fit --light free: >= 20 phantom pairs (seeds 2001..) rendered
#      twice, each photo its own random capture (pose, exposure, white balance, side light,
#      noise, JPEG: "free-hand light") + CC0 ISIC photos from ../shared/data/real/isic_cc0
#      re-captured twice (when present), each through the compare pipeline; per metric
#      ICC(2,1), SEM, MDC95 and CV % (docs/statistics.md). This is the shipped model.
#   3. (unless --no-fixed) the same fit under "fixed light" (--light fixed: exposure, white
#      balance and side light shared by both photos of a pair, only pose, noise and JPEG
#      differ), written to DIR/repeatability_fixed.json, and under "booth conditions" (--light
#      booth: fixed light and the pose of a head or limb rest, rotation +-2 deg, scale +-2 %),
#      written to DIR/repeatability_booth.json, for the CV figures only;
#   3b. (when the ISIC photos are present) the dermoscope preset's own model from the ISIC pairs
#      alone with models/dermoscope.preset (--isic-only --preset, all photos, free-hand
#      light): models/repeatability_dermoscope.json, which `compare --preset dermoscope` uses;
#      and the same under booth conditions (DIR/repeatability_dermoscope_booth.json, CV only);
#   4. bench/change_stats_eval --accept: capture-only pairs with other seeds (false-positive
#      rate per metric, free-hand light; the same seeds under fixed light too), treated pairs
#      (known phantom treatments), CV % per metric in both conditions next to the booth
#      system's published repeatability.
# Usage: scripts/fit_repeatability.sh [--pairs N] [--isic-max N] [--no-isic] [--no-accept]
#                                     [--no-fixed] [--out FILE] [--log DIR]
#   --out FILE   model path (default models/repeatability.json)
#   --log DIR    keeps fit.txt, fit_fixed.txt, fit_booth.txt, their models and accept.txt in DIR
#                (default: a temporary directory)
# A clinic refits from its OWN repeated photos with `skintrack repeatability ... --model-out`
# (docs/statistics.md), not with this script.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=24
isic_max=12
isic_dir=../shared/data/real/isic_cc0
accept=1
fixed=1
out=models/repeatability.json
log=""
build=${BUILD_DIR:-build}
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --isic-max) isic_max=$2; shift 2 ;;
    --no-isic) isic_dir=/nonexistent; shift ;;
    --no-accept) accept=0; shift ;;
    --no-fixed) fixed=0; shift ;;
    --out) out=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    *) echo "fit_repeatability.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
if [ "$pairs" -lt 20 ]; then echo "fit_repeatability.sh: --pairs must be >= 20" >&2; exit 1; fi
[ -n "$log" ] || log=$(mktemp -d)
mkdir -p "$log"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target change_stats_eval >/dev/null
"$build/bench/change_stats_eval" --fit "$out" --pairs "$pairs" --isic-dir "$isic_dir" \
  --isic-max "$isic_max" --light free | tee "$log/fit.txt"
if [ "$fixed" = 1 ]; then
  "$build/bench/change_stats_eval" --fit "$log/repeatability_fixed.json" --pairs "$pairs" \
    --isic-dir "$isic_dir" --isic-max "$isic_max" --light fixed | tee "$log/fit_fixed.txt"
  "$build/bench/change_stats_eval" --fit "$log/repeatability_booth.json" --pairs "$pairs" \
    --isic-dir "$isic_dir" --isic-max "$isic_max" --light booth | tee "$log/fit_booth.txt"
fi
if [ -d "$isic_dir" ]; then
  derm_out="$(dirname "$out")/repeatability_dermoscope.json"
  "$build/bench/change_stats_eval" --fit "$derm_out" --isic-only --preset models/dermoscope.preset \
    --isic-dir "$isic_dir" --isic-max 100 --light free | tee "$log/fit_dermoscope.txt"
  if [ "$fixed" = 1 ]; then
    "$build/bench/change_stats_eval" --fit "$log/repeatability_dermoscope_booth.json" --isic-only \
      --preset models/dermoscope.preset --isic-dir "$isic_dir" --isic-max 100 --light booth \
      | tee "$log/fit_dermoscope_booth.txt"
  fi
fi
if [ "$accept" = 1 ]; then
  fixed_pairs=()
  [ "$fixed" = 1 ] || fixed_pairs=(--fixed-pairs 0)
  "$build/bench/change_stats_eval" --accept "$out" --light free "${fixed_pairs[@]}" \
    | tee "$log/accept.txt"
fi
echo "logs in $log"
