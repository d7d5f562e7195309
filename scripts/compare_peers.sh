#!/usr/bin/env bash
# Registration benchmark: SkinTrack vs elastix and scikit-image on pairs with known truth.
#
#   scripts/compare_peers.sh [options]
#
# Pair sets (ground truth = truth.json "after_to_before"):
#   random  "random capture" phantoms, 1600x1200       (skintrack phantom --seed 1000+i)
#   low     low-texture phantoms, 1600x1200             (skintrack phantom --low-texture --seed 2000+i)
#   real    ../shared/data/real/isic_cc0/*.jpg re-photographed by a random capture
#                                                       (skintrack phantom --from-image IMG --seed 3000+i)
#   Without a working `skintrack phantom`, scripts/peers/make_pair.py generates equivalent pairs
#   (or force it with --generator python).
# Methods (each pair, each method: wall clock, limit --timeout):
#   skintrack  build/skintrack compare BEFORE AFTER --json (TRE of its global after_to_before)
#   elastix    affine + B-spline on band-passed log luminance (scripts/peers/reg_elastix.py,
#              parameter files scripts/peers/elastix/*.txt)
#   skimage    ORB + match_descriptors + RANSAC(ProjectiveTransform) on band-passed log luminance
#              (scripts/peers/reg_skimage.py)
# TRE over a 20x15 grid (scripts/peers/evaluate.py); a method fails a pair when it errors, times
# out or its median TRE > --threshold px. Tables go to stdout, OUT/tables.md and (unless
# --no-doc) docs/benchmarks.md, section "## Registration: SkinTrack vs peers".
#
# Options:
#   --pairs N          random-capture pairs (default 20)
#   --low-pairs N      low-texture pairs (default 5)
#   --real-pairs N     real-skin pairs, at most the number of images (default 20)
#   --sets LIST        comma list of sets to run: random,low,real (default all)
#   --out DIR          keep pairs, per-method outputs, results.jsonl, tables.md here
#                      (default: a new /tmp/skintrack-peers.XXXXXX)
#   --skip-elastix     do not run elastix      --skip-skimage   do not run scikit-image
#   --skip-skintrack   do not run SkinTrack
#   --peer-pairs N     run elastix and scikit-image only on the first N pairs of each set
#                      (SkinTrack still runs on all; default: all pairs)
#   --timeout S        per pair and method wall-clock limit, s (default 120)
#   --threshold PX     failure threshold on the median TRE, px (default 5)
#   --generator G      auto | skintrack | python (default auto)
#   --skintrack PATH   SkinTrack binary (default build/skintrack)
#   --real-dir DIR     real images (default ../shared/data/real/isic_cc0)
#   --elastix-size N   long side of elastix's working images (default 800)
#   --skimage-size N   long side of scikit-image's working images (default 1024, as SkinTrack)
#   --doc FILE         document to update (default docs/benchmarks.md)   --no-doc
#   --no-install       do not apt-get install missing packages
#   -h, --help
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="$REPO/scripts/peers"
PY=/usr/bin/python3

N_RANDOM=20
N_LOW=5
N_REAL=20
SETS="random,low,real"
OUT=""
RUN_ELASTIX=1
RUN_SKIMAGE=1
RUN_SKINTRACK=1
PEER_PAIRS=-1
TIMEOUT=120
THRESHOLD=5
GENERATOR=auto
SKINTRACK="$REPO/build/skintrack"
REAL_DIR="$(cd "$REPO/.." && pwd)/shared/data/real/isic_cc0"
ELASTIX_SIZE=800
SKIMAGE_SIZE=1024
DOC="$REPO/docs/benchmarks.md"
WRITE_DOC=1
INSTALL=1
ORIG_ARGS=("$@")

die() { echo "compare_peers: error: $*" >&2; exit 2; }
say() { echo "compare_peers: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
need_int() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 needs a non-negative integer, got '$2'"; }
need_num() { [[ "$2" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "$1 needs a number, got '$2'"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) [ $# -ge 2 ] || die "--pairs needs a value"; need_int "$1" "$2"; N_RANDOM=$2; shift 2 ;;
    --low-pairs) [ $# -ge 2 ] || die "--low-pairs needs a value"; need_int "$1" "$2"; N_LOW=$2; shift 2 ;;
    --real-pairs) [ $# -ge 2 ] || die "--real-pairs needs a value"; need_int "$1" "$2"; N_REAL=$2; shift 2 ;;
    --sets) [ $# -ge 2 ] || die "--sets needs a value"; SETS=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
    --skip-elastix) RUN_ELASTIX=0; shift ;;
    --skip-skimage) RUN_SKIMAGE=0; shift ;;
    --skip-skintrack) RUN_SKINTRACK=0; shift ;;
    --peer-pairs) [ $# -ge 2 ] || die "--peer-pairs needs a value"; need_int "$1" "$2"; PEER_PAIRS=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs a value"; need_int "$1" "$2"; TIMEOUT=$2; shift 2 ;;
    --threshold) [ $# -ge 2 ] || die "--threshold needs a value"; need_num "$1" "$2"; THRESHOLD=$2; shift 2 ;;
    --generator) [ $# -ge 2 ] || die "--generator needs a value"; GENERATOR=$2; shift 2 ;;
    --skintrack) [ $# -ge 2 ] || die "--skintrack needs a path"; SKINTRACK=$2; shift 2 ;;
    --real-dir) [ $# -ge 2 ] || die "--real-dir needs a directory"; REAL_DIR=$2; shift 2 ;;
    --elastix-size) [ $# -ge 2 ] || die "--elastix-size needs a value"; need_int "$1" "$2"; ELASTIX_SIZE=$2; shift 2 ;;
    --skimage-size) [ $# -ge 2 ] || die "--skimage-size needs a value"; need_int "$1" "$2"; SKIMAGE_SIZE=$2; shift 2 ;;
    --doc) [ $# -ge 2 ] || die "--doc needs a file"; DOC=$2; shift 2 ;;
    --no-doc) WRITE_DOC=0; shift ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
case "$GENERATOR" in auto|skintrack|python) ;; *) die "--generator must be auto, skintrack or python" ;; esac
for s in ${SETS//,/ }; do
  case "$s" in random|low|real) ;; *) die "unknown set '$s' in --sets (random, low, real)" ;; esac
done
[ "$TIMEOUT" -gt 0 ] || die "--timeout must be > 0"
[ "$RUN_ELASTIX$RUN_SKIMAGE$RUN_SKINTRACK" != "000" ] || die "all methods skipped"

# ---------------------------------------------------------------------------------------------
# Dependencies (Debian packages; installed only when missing).
pkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
PKGS=(python3-skimage python3-opencv python3-numpy python3-scipy)
[ "$RUN_ELASTIX" = 1 ] && PKGS+=(elastix)
missing=()
for p in "${PKGS[@]}"; do pkg_ok "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$INSTALL" = 1 ] || die "missing packages: ${missing[*]} (drop --no-install or install them)"
  say "installing ${missing[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -x "$PY" ] || die "$PY not found (Debian python3 is required: it carries python3-skimage/opencv)"
"$PY" -c 'import cv2, skimage, numpy, scipy' 2>/dev/null \
  || die "$PY cannot import cv2/skimage/numpy/scipy"
if [ "$RUN_ELASTIX" = 1 ]; then
  command -v elastix >/dev/null && command -v transformix >/dev/null || die "elastix/transformix not on PATH"
fi

# ---------------------------------------------------------------------------------------------
# Work and output directories.
WORK="$(mktemp -d /tmp/skintrack-peers-work.XXXXXX)"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'echo "compare_peers: interrupted" >&2; exit 130' INT TERM
if [ -z "$OUT" ]; then OUT="$(mktemp -d /tmp/skintrack-peers.XXXXXX)"; fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
[ -e "$OUT/results.jsonl" ] && mv "$OUT/results.jsonl" "$OUT/results.jsonl.old"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
say "output in $OUT"

# SkinTrack: snapshot the binary (others may rebuild it during a long run).
ST=""
ST_DESC="not run"
st_works() { [ -x "$1" ] && "$1" "$2" --help >/dev/null 2>&1; }
if [ -x "$SKINTRACK" ]; then
  cp "$SKINTRACK" "$WORK/skintrack"
  ST="$WORK/skintrack"
  rev="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  dirty=""; [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=" + uncommitted changes"
  ST_DESC="build/skintrack at commit $rev$dirty, binary built $(date -r "$SKINTRACK" '+%Y-%m-%d %H:%M')"
fi
if [ "$GENERATOR" = auto ]; then
  if [ -n "$ST" ] && st_works "$ST" phantom; then GENERATOR=skintrack; else GENERATOR=python; fi
fi
if [ "$GENERATOR" = skintrack ]; then
  [ -n "$ST" ] && st_works "$ST" phantom || die "--generator skintrack but '$SKINTRACK phantom' does not work"
  say "pairs: skintrack phantom ($ST_DESC)"
else
  say "pairs: scripts/peers/make_pair.py (SkinTrack phantom not available or not chosen)"
fi
if [ "$RUN_SKINTRACK" = 1 ]; then
  if [ -z "$ST" ] || ! st_works "$ST" compare; then
    say "WARNING: '$SKINTRACK compare' is not available: SkinTrack is not benchmarked"
    RUN_SKINTRACK=0
  fi
fi

# ---------------------------------------------------------------------------------------------
# Pair generation.
gen_pair() {  # set index dir -> 0/1
  local set=$1 i=$2 dir=$3 img=${4:-}
  mkdir -p "$dir"
  if [ "$GENERATOR" = skintrack ]; then
    case "$set" in
      random) "$ST" phantom --out-dir "$dir" --seed $((1000 + i)) --width 1600 --height 1200 ;;
      low)    "$ST" phantom --out-dir "$dir" --seed $((2000 + i)) --width 1600 --height 1200 --low-texture ;;
      real)   "$ST" phantom --out-dir "$dir" --seed $((3000 + i)) --from-image "$img" ;;
    esac
  else
    case "$set" in
      random) "$PY" "$PEERS/make_pair.py" --synthetic --out-dir "$dir" --seed $((1000 + i)) ;;
      low)    "$PY" "$PEERS/make_pair.py" --synthetic --low-texture --out-dir "$dir" --seed $((2000 + i)) ;;
      real)   "$PY" "$PEERS/make_pair.py" --from-image "$img" --out-dir "$dir" --seed $((3000 + i)) --max-side 0 ;;
    esac
  fi >"$dir/generate.log" 2>&1
  for f in before.jpg after.jpg truth.json; do
    [ -s "$dir/$f" ] || { say "pair generation failed for $dir (see $dir/generate.log)"; return 1; }
  done
}

# ---------------------------------------------------------------------------------------------
# One method on one pair: run with a wall-clock limit (run_timed.py), time it, score it.
now() { date +%s.%N; }
run_method() {  # set method pairdir
  local set=$1 m=$2 dir=$3 res="$3/$2.json" log="$3/$2.log" timing="$3/$2.timing.json"
  local -a cmd
  rm -f "$res" "$timing"
  case "$m" in
    skintrack)
      cmd=("$ST" compare "$dir/before.jpg" "$dir/after.jpg" --json "$res" -q) ;;
    elastix)
      cmd=("$PY" "$PEERS/reg_elastix.py" "$dir/before.jpg" "$dir/after.jpg" --points "$dir/points.txt"
           --json "$res" --work "$WORK/elastix" --max-side "$ELASTIX_SIZE" --threads "$(nproc)") ;;
    skimage)
      cmd=("$PY" "$PEERS/reg_skimage.py" "$dir/before.jpg" "$dir/after.jpg" --json "$res"
           --max-side "$SKIMAGE_SIZE") ;;
  esac
  "$PY" "$PEERS/run_timed.py" --timeout "$TIMEOUT" --report "$timing" --log "$log" -- "${cmd[@]}" \
    || die "run_timed.py failed for $m on $dir"
  if [ "$m" = elastix ]; then
    [ -f "$WORK/elastix/elastix.log" ] && cp "$WORK/elastix/elastix.log" "$dir/elastix_full.log"
    cp "$WORK"/elastix/TransformParameters.*.txt "$dir/" 2>/dev/null || true
    rm -rf "$WORK/elastix"
  fi
  "$PY" "$PEERS/evaluate.py" score "$dir" --set "$set" --method "$m" --result "$res" \
    --timing "$timing" --timeout-s "$TIMEOUT" --threshold "$THRESHOLD" --append "$RESULTS"
}

METHODS=()
[ "$RUN_SKINTRACK" = 1 ] && METHODS+=(skintrack)
[ "$RUN_ELASTIX" = 1 ] && METHODS+=(elastix)
[ "$RUN_SKIMAGE" = 1 ] && METHODS+=(skimage)
say "methods: ${METHODS[*]}; timeout ${TIMEOUT} s per pair and method; failure: median TRE > ${THRESHOLD} px"

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
DATE_START="$(date '+%Y-%m-%d %H:%M %Z')"
T_START=$(now)
run_set() {  # set count
  local set=$1 n=$2 i dir img
  local -a imgs=()
  [ "$n" -gt 0 ] || return 0
  if [ "$set" = real ]; then
    [ -d "$REAL_DIR" ] || die "real image directory not found: $REAL_DIR"
    mapfile -t imgs < <(ls "$REAL_DIR"/*.jpg 2>/dev/null | sort)
    [ ${#imgs[@]} -gt 0 ] || die "no *.jpg in $REAL_DIR"
    [ "$n" -le ${#imgs[@]} ] || { say "only ${#imgs[@]} real images: using ${#imgs[@]}"; n=${#imgs[@]}; }
  fi
  say "set '$set': $n pairs"
  for ((i = 0; i < n; i++)); do
    if [ "$set" = real ]; then
      img="${imgs[$i]}"; dir="$OUT/pairs/$set/$(basename "${img%.*}")"
    else
      img=""; dir="$OUT/pairs/$set/$(printf '%s_%02d' "$set" "$i")"
    fi
    say "  [$set $((i + 1))/$n] $(basename "$dir")"
    gen_pair "$set" "$i" "$dir" "$img" || { echo "{\"set\": \"$set\", \"pair\": \"$(basename "$dir")\", \"generation_failed\": true}" >> "$OUT/generation_failures.jsonl"; continue; }
    "$PY" "$PEERS/evaluate.py" grid "$dir" "$dir/points.txt"
    for m in "${METHODS[@]}"; do
      if [ "$m" != skintrack ] && [ "$PEER_PAIRS" -ge 0 ] && [ "$i" -ge "$PEER_PAIRS" ]; then continue; fi
      run_method "$set" "$m" "$dir"
    done
  done
}
for s in ${SETS//,/ }; do
  case "$s" in
    random) run_set random "$N_RANDOM" ;;
    low) run_set low "$N_LOW" ;;
    real) run_set real "$N_REAL" ;;
  esac
done
T_TOTAL=$(awk -v a="$T_START" -v b="$(now)" 'BEGIN{printf "%.0f", b - a}')
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$RESULTS" ] || die "no results (all pair generations failed?)"

# ---------------------------------------------------------------------------------------------
# Summary.
CMD="scripts/compare_peers.sh"
for a in ${ORIG_ARGS[@]+"${ORIG_ARGS[@]}"}; do CMD+=" $(printf '%q' "$a")"; done
export DATE_START CMD GENERATOR ST_DESC TIMEOUT THRESHOLD ELASTIX_SIZE SKIMAGE_SIZE LOAD_START LOAD_END T_TOTAL PEER_PAIRS
"$PY" - "$OUT/meta.json" <<'PYEOF'
import json, os, sys, datetime, platform, subprocess
def cpu_model():
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"
e = os.environ
meta = {
    "date": e["DATE_START"],
    "machine": "%d cores (%s), Debian 12" % (os.cpu_count(), cpu_model()),
    "command": e["CMD"],
    "generator": e["GENERATOR"],
    "skintrack": e["ST_DESC"],
    "timeout": float(e["TIMEOUT"]),
    "threshold": float(e["THRESHOLD"]),
    "elastix_size": int(e["ELASTIX_SIZE"]),
    "skimage_size": int(e["SKIMAGE_SIZE"]),
    "load": "load average %s at start, %s at end" % (e["LOAD_START"], e["LOAD_END"]),
    "total_seconds": int(e["T_TOTAL"]),
    "peer_pairs": int(e["PEER_PAIRS"]),
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PYEOF
DOC_ARGS=()
[ "$WRITE_DOC" = 1 ] && DOC_ARGS=(--doc "$DOC")
"$PY" "$PEERS/summarize.py" "$RESULTS" --meta "$OUT/meta.json" --out "$OUT/tables.md" ${DOC_ARGS[@]+"${DOC_ARGS[@]}"}
say "done in ${T_TOTAL} s; results: $OUT/results.jsonl, tables: $OUT/tables.md"
