#!/usr/bin/env bash
# Fits the repeatability model (models/repeatability.json) from test-retest pairs of unchanged
# skin, then (unless --no-accept) runs the change-statistics acceptance against it.
#   1. builds (Release) into $BUILD_DIR (default build/);
#   2. bench/change_stats_eval --fit: >= 20 phantom pairs (seeds 2001..) rendered twice with
#      different captures (pose, exposure, white balance, side light, noise, JPEG) + CC0 ISIC
#      photos from ../shared/data/real/isic_cc0 re-captured twice (when present), each through
#      the compare pipeline; per metric ICC(2,1), SEM, MDC95 and CV % (docs/statistics.md);
#   3. bench/change_stats_eval --accept: capture-only pairs with other seeds (false-positive
#      rate per metric), treated pairs (known phantom treatments), CV % per metric next to the
#      booth system's published repeatability.
# Usage: scripts/fit_repeatability.sh [--pairs N] [--isic-max N] [--no-isic] [--no-accept]
#                                     [--out FILE] [--log DIR]
#   --out FILE   model path (default models/repeatability.json)
#   --log DIR    keeps fit.txt and accept.txt in DIR (default: a temporary directory)
# A clinic refits from its OWN repeated photos with `skintrack repeatability ... --model-out`
# (docs/statistics.md), not with this script.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=24
isic_max=12
isic_dir=../shared/data/real/isic_cc0
accept=1
out=models/repeatability.json
log=""
build=${BUILD_DIR:-build}
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --isic-max) isic_max=$2; shift 2 ;;
    --no-isic) isic_dir=/nonexistent; shift ;;
    --no-accept) accept=0; shift ;;
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
  --isic-max "$isic_max" | tee "$log/fit.txt"
if [ "$accept" = 1 ]; then
  "$build/bench/change_stats_eval" --accept "$out" | tee "$log/accept.txt"
fi
echo "logs in $log"
