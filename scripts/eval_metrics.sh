#!/usr/bin/env bash
# Metrics acceptance (issue 3): builds (Release), runs the metric evaluations on seeded
# phantoms with exact truth (and the ISIC photos when ../shared/data/real is present) and
# prints one line per acceptance criterion with the measured value and PASS/FAIL:
#   build/bench/blob_accuracy_eval           --suite accuracy|treatment   pores, scars
#   build/bench/ridge_accuracy_eval          --suite wrinkles|hair|faint-hair|striae
#                                                                          wrinkles, striae, hair
#   build/bench/texture_color_accuracy_eval  --suite relief               texture k-scaling
#   build/bench/metrics_invariance_eval      --suite phantom|isic         capture invariance
#                                            through compare::ComparePair + CompareMetrics
# plus three diagnostic invariance runs (--pose none; --pose both; --pose both --supersample 2)
# that are not criteria.
# Usage: scripts/eval_metrics.sh [--seeds N] [--no-isic] [--no-diagnostics] [--write-doc]
#                                [--out FILE.md] [--keep DIR] [--from DIR]
#   --seeds N         phantoms per evaluation (default 10; invariance uses max(N, 12))
#   --write-doc       writes the summary into docs/accuracy.md between the markers
#                     <!-- eval_metrics:begin --> and <!-- eval_metrics:end -->
#   --out FILE.md     also copies the summary to FILE.md
#   --keep DIR        keeps every evaluation's raw output (NAME.txt, NAME.sec) in DIR
#   --from DIR        summarises the raw outputs kept in DIR instead of building and running
# A figure an evaluation does not print is reported as "not measured", never guessed.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=10
isic=1
diagnostics=1
write_doc=0
out=""
keep=""
from=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --no-isic) isic=0; shift ;;
    --no-diagnostics) diagnostics=0; shift ;;
    --write-doc) write_doc=1; shift ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    *) echo "eval_metrics: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
inv_seeds=$(( seeds > 20 ? seeds : 20 ))  # 20: the even seeds' striae give 10 pairs
real_dir=../shared/data/real/isic_cc0
t_all=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
stamp="$(date -u +%Y-%m-%d), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' + uncommitted changes')"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$from" ]; then
  cp "$from"/* "$tmp"/
  t_build=$(cat "$tmp/build.sec" 2>/dev/null || echo "-")
  load_start=$(cat "$tmp/load.txt" 2>/dev/null || echo "-")
  stamp=$(cat "$tmp/stamp.txt" 2>/dev/null || echo "$stamp")
  t_all=$(( $(date +%s) - $(cat "$tmp/total.sec" 2>/dev/null || echo 0) ))
  [ -s "$tmp/inv_isic.txt" ] || isic=0
  [ -s "$tmp/diag_none.txt" ] || diagnostics=0
else
  bash scripts/setup.sh >/dev/null
  t_build=$(( $(date +%s) - t_all ))
  echo "$t_build" >"$tmp/build.sec"
  echo "$load_start" >"$tmp/load.txt"
  echo "$stamp" >"$tmp/stamp.txt"
fi

# run NAME CMD...: stdout to $tmp/NAME.txt, wall seconds to $tmp/NAME.sec; never aborts.
run() {
  local name=$1; shift
  [ -z "$from" ] || return 0
  local t0; t0=$(date +%s)
  echo "eval_metrics: running $name: $*" >&2
  "$@" >"$tmp/$name.txt" 2>"$tmp/$name.err" || echo "exit $?" >"$tmp/$name.rc"
  echo $(( $(date +%s) - t0 )) >"$tmp/$name.sec"
}
run blob_accuracy build/bench/blob_accuracy_eval --suite accuracy --seeds "$seeds"
run blob_treatment build/bench/blob_accuracy_eval --suite treatment --seeds "$seeds"
run ridge_wrinkles build/bench/ridge_accuracy_eval --suite wrinkles --seeds "$seeds"
run ridge_hair build/bench/ridge_accuracy_eval --suite hair --seeds "$seeds"
run ridge_faint_hair build/bench/ridge_accuracy_eval --suite faint-hair --seeds "$seeds"
run ridge_striae build/bench/ridge_accuracy_eval --suite striae --seeds "$seeds"
run texture_relief build/bench/texture_color_accuracy_eval --suite relief
run inv_phantom build/bench/metrics_invariance_eval --suite phantom --seeds "$inv_seeds" --pose both
if [ "$isic" = 1 ]; then
  run inv_isic build/bench/metrics_invariance_eval --suite isic --real-dir "$real_dir"
fi
if [ "$diagnostics" = 1 ]; then
  run diag_none build/bench/metrics_invariance_eval --suite phantom --seeds "$inv_seeds" --pose none
  run diag_after build/bench/metrics_invariance_eval --suite phantom --seeds "$inv_seeds" --pose after
  run diag_both_ss2 build/bench/metrics_invariance_eval --suite phantom --seeds "$inv_seeds" \
    --pose both --supersample 2
fi

if [ -n "$keep" ] && [ -z "$from" ]; then
  echo $(( $(date +%s) - t_all )) >"$tmp/total.sec"
  mkdir -p "$keep" && cp "$tmp"/* "$keep"/
fi

# get NAME PCRE: the first match of PCRE (with \K) in NAME's output, or "".
get() { grep -oP "$2" "$tmp/$1.txt" 2>/dev/null | head -n1 || true; }
# verdict CONDITION_AWK VALUE...: PASS / FAIL, or "not measured" when a value is empty.
verdict() {
  local cond=$1; shift
  for v in "$@"; do [ -n "$v" ] || { echo "not measured"; return; }; done
  awk -v a="${1:-}" -v b="${2:-}" -v c="${3:-}" -v d="${4:-}" \
    "BEGIN { exit !($cond) }" && echo PASS || echo FAIL
}
nm() { [ -n "$1" ] && echo "$1" || echo "not measured"; }
secs() { cat "$tmp/$1.sec" 2>/dev/null || echo "-"; }

# Pores and scars (blob_accuracy_eval).
p_rec=$(get blob_accuracy 'summary accuracy: pore recall median \K[-0-9.]+')
p_rec_min=$(get blob_accuracy 'summary accuracy: pore recall median [-0-9.]+ \(min \K[-0-9.]+')
p_pre=$(get blob_accuracy 'precision median \K[-0-9.]+')
p_pre_min=$(get blob_accuracy 'precision median [-0-9.]+ \(min \K[-0-9.]+')
p_derr=$(get blob_accuracy 'mean-diameter error median \K[-+0-9.]+')
s_f1=$(get blob_accuracy 'scar F1 median \K[-0-9.]+')
s_f1_min=$(get blob_accuracy 'scar F1 median [-0-9.]+ \(min \K[-0-9.]+')
t_cnt=$(get blob_treatment 'count change error \(relative to the true change\) median \K[-+0-9.]+')
t_cnt_w=$(get blob_treatment 'count change error .*?\(worst \K[-+0-9.]+')
t_d=$(get blob_treatment 'mean-diameter change error median \K[-+0-9.]+')
t_d_w=$(get blob_treatment 'mean-diameter change error median [-+0-9.]+ % \(worst \K[-+0-9.]+')
tp_cnt=$(get blob_treatment 'treatment paired .*count change error median \K[-+0-9.]+')
tp_cnt_w=$(get blob_treatment 'treatment paired .*count change error median [-+0-9.]+ % \(worst \K[-+0-9.]+')
tp_d=$(get blob_treatment 'treatment paired .*mean-diameter change error median \K[-+0-9.]+')
t_sc=$(get blob_treatment 'scar contrast ratio median \K[-0-9.]+')
t_sc_r=$(get blob_treatment 'scar contrast ratio median [-0-9.]+ \(range \K[-0-9.]+-[0-9.]+')
# Wrinkles, striae, hair (ridge_accuracy_eval).
w_f1=$(get ridge_wrinkles 'wrinkles per-seed F1: median \K[-0-9.]+')
w_f1_min=$(get ridge_wrinkles 'wrinkles per-seed F1: median [-0-9.]+ min \K[-0-9.]+')
w_f1_pool=$(get ridge_wrinkles 'wrinkles pooled +P [0-9.]+ +R [0-9.]+ +F1 \K[0-9.]+')
w_p_nohair=$(get ridge_wrinkles 'wrinkles pooled +P \K[0-9.]+')
w_half=$(get ridge_wrinkles 'wrinkles treatment 0.5: ratio median \K[-0-9.]+')
w_half_r=$(get ridge_wrinkles 'wrinkles treatment 0.5: ratio median [-0-9.]+ min \K[-0-9.]+ max [-0-9.]+' | sed 's/ max /-/')
t_f1=$(get ridge_striae 'striae per-seed F1: median \K[-0-9.]+')
t_f1_min=$(get ridge_striae 'striae per-seed F1: median [-0-9.]+ min \K[-0-9.]+')
t_f1_pool=$(get ridge_striae 'striae pooled +P [0-9.]+ +R [0-9.]+ +F1 \K[0-9.]+')
t_af1=$(get ridge_striae 'striae band area pooled .*per-seed F1 median \K[-0-9.]+')
t_af1_min=$(get ridge_striae 'striae band area pooled .*per-seed F1 median [-0-9.]+ min \K[-0-9.]+')
t_af1_pool=$(get ridge_striae 'striae band area pooled P [0-9.]+ R [0-9.]+ F1 \K[0-9.]+')
t_half=$(get ridge_striae 'striae treatment 0.5: ratio median \K[-0-9.]+')
t_half_r=$(get ridge_striae 'striae treatment 0.5: ratio median [-0-9.]+ min \K[-0-9.]+ max [-0-9.]+' | sed 's/ max /-/')
h_fp=$(get ridge_hair 'hair false-positive px \(within 2 px of a hair, not of a wrinkle\): \K[0-9]+')
h_det=$(get ridge_hair 'wrinkles\+hair, BuildContext mask .*det \K[0-9]+')
h_p=$(get ridge_hair 'wrinkles\+hair, BuildContext mask +P \K[0-9.]+')
h_frac=""
[ -n "$h_fp" ] && [ -n "$h_det" ] && h_frac=$(awk -v f="$h_fp" -v d="$h_det" 'BEGIN { printf "%.2f", (d > 0 ? 100 * f / d : 0) }')
# Faint hair (Weber 0.18-0.24): default options (the face presets) and the dermoscope's tier.
fh_frac() {  # CONFIG -> "percent P R"
  local fp det p r
  fp=$(get ridge_faint_hair "faint hair, $1: hair false-positive px \\K[0-9]+")
  det=$(get ridge_faint_hair "wrinkles\\+faint hair, $1 .*det \\K[0-9]+")
  p=$(get ridge_faint_hair "wrinkles\\+faint hair, $1 +P \\K[0-9.]+")
  r=$(get ridge_faint_hair "wrinkles\\+faint hair, $1 +P [0-9.]+  R \\K[0-9.]+")
  [ -n "$fp" ] && [ -n "$det" ] && awk -v f="$fp" -v d="$det" -v p="$p" -v r="$r" \
    'BEGIN { printf "%.2f %s %s", (d > 0 ? 100 * f / d : 0), p, r }'
}
read -r fh_def fh_def_p fh_def_r <<< "$(fh_frac 'default options')"
read -r fh_tier fh_tier_p fh_tier_r <<< "$(fh_frac 'faint tier 0.12')"
# Texture k-scaling on relief-only phantoms (worst |error| over k = 0.5, 0.8, clean and
# noise + JPEG); the default-skin figure is context.
k_errs=$(grep -oP 'relief-only +\S+ +k=\S+ ratio median [0-9.]+ \(error \K[-+0-9.]+' "$tmp/texture_relief.txt" 2>/dev/null || true)
k_worst=""
[ -n "$k_errs" ] && k_worst=$(echo "$k_errs" | awk '{ v = $1 < 0 ? -$1 : $1; if (v > m) m = v } END { printf "%.1f", m }')
k_05=$(get texture_relief 'relief-only +noise\+jpeg85 +k=0.50 ratio median \K[0-9.]+')
k_08=$(get texture_relief 'relief-only +noise\+jpeg85 +k=0.80 ratio median \K[0-9.]+')
k_05_full=$(get texture_relief 'default-skin +noise\+jpeg85 +k=0.50 ratio median \K[0-9.]+')
k_05_micro=$(get texture_relief 'default-skin +noise\+jpeg85 +k=0.50 micro_relief ratio median \K[0-9.]+')
k_08_micro=$(get texture_relief 'default-skin +noise\+jpeg85 +k=0.80 micro_relief ratio median \K[0-9.]+')

# Invariance: per family, the worst per-metric median (and its metric) and a verdict that
# needs every metric of the family to pass. Metrics measured on no pair are left out.
# family NAME(file) FAMILY-PREFIX -> "worst_median metric verdict n_metrics skipped max_pairs"
# over the family's metrics judged on >= the eval's --min-pairs pairs; "TOO_FEW" as the verdict
# (worst median over all measured metrics) when every measured metric had fewer pairs.
family() {
  local f="$tmp/$1.txt"
  [ -s "$f" ] || { echo ""; return; }
  grep '^RESULT .* metric=' "$f" | awk -v fam="$2" '
    {
      for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
      if (index(v["metric"], fam ".") != 1 || v["verdict"] == "NOT_MEASURED") next
      if (v["pairs"] + 0 > maxp) maxp = v["pairs"] + 0
      few = v["verdict"] == "TOO_FEW"
      if (few) { ++nf; skf += v["skipped"]
        if (v["median_pct"] + 0 > worstf || nf == 1) { worstf = v["median_pct"] + 0; wmf = v["metric"] }
        next }
      ++n; sk += v["skipped"]
      if (v["verdict"] != "PASS") bad = 1
      if (v["median_pct"] + 0 > worst || n == 1) { worst = v["median_pct"] + 0; wm = v["metric"] }
    }
    END {
      if (n) printf "%.2f %s %s %d %d %d\n", worst, wm, bad ? "FAIL" : "PASS", n, sk, maxp
      else if (nf) printf "%.2f %s TOO_FEW %d %d %d\n", worstf, wmf, nf, skf, maxp
    }'
}

report="$tmp/report.md"
{
  echo "Command: \`scripts/eval_metrics.sh --seeds $seeds\` ($stamp)." \
    "Phantoms 1600x1200 at 20 px/mm. Invariance: $inv_seeds phantom pairs and the ISIC photos," \
    "each pair through compare::ComparePair + CompareMetrics (default options, identity" \
    "treatment; each photo is its own random capture: rotation +-10 deg, scale +-10 %," \
    "keystone, exposure 1 +- 0.3, white balance +- 8 %, side light <= 0.3, noise, JPEG q85)."
  echo
  echo "| criterion | measured | target | verdict |"
  echo "|---|---|---|---|"
  echo "| pores: recall (median, min over seeds) | $(nm "$p_rec") (min $(nm "$p_rec_min")) | >= 0.95 | $(verdict 'a >= 0.95' "$p_rec") |"
  echo "| pores: precision | $(nm "$p_pre") (min $(nm "$p_pre_min")) | >= 0.95 | $(verdict 'a >= 0.95' "$p_pre") |"
  echo "| pores: mean diameter error (median) | $(nm "$p_derr") % | +-10 % | $(verdict 'a >= -10 && a <= 10' "$p_derr") |"
  echo "| treatment (radius x0.8, 20 % closed): count change vs true change | $(nm "$t_cnt") % (worst $(nm "$t_cnt_w") %) | +-10 % | $(verdict 'a >= -10 && a <= 10' "$t_cnt") |"
  echo "| treatment: mean-diameter change vs true change | $(nm "$t_d") % (worst $(nm "$t_d_w") %) | +-10 % | $(verdict 'a >= -10 && a <= 10' "$t_d") |"
  echo "| treatment as compare counts (pores paired and guided across the two photos, metrics::PairPores, GuidePores): count change vs true change; mean-diameter change | $(nm "$tp_cnt") % (worst $(nm "$tp_cnt_w") %); $(nm "$tp_d") % | +-10 % | $(verdict 'a >= -10 && a <= 10 && b >= -10 && b <= 10' "$tp_cnt" "$tp_d") |"
  echo "| scars: area F1 (median, min) | $(nm "$s_f1") (min $(nm "$s_f1_min")) | >= 0.85 | $(verdict 'a >= 0.85' "$s_f1") |"
  echo "| scars: half contrast reads | $(nm "$t_sc") (range $(nm "$t_sc_r")) | 0.5 +- 0.1 | $(verdict 'a >= 0.4 && a <= 0.6' "$t_sc") |"
  echo "| wrinkles: centre-line F1 (per-seed median, min; pooled) | $(nm "$w_f1") (min $(nm "$w_f1_min"); pooled $(nm "$w_f1_pool")) | >= 0.85 | $(verdict 'a >= 0.85' "$w_f1") |"
  echo "| wrinkles: half contrast reads | $(nm "$w_half") (range $(nm "$w_half_r")) | 0.5 +- 0.1 | $(verdict 'a >= 0.4 && a <= 0.6' "$w_half") |"
  echo "| striae: centre-line F1, +-2 px (per-seed median, min; pooled) | $(nm "$t_f1") (min $(nm "$t_f1_min"); pooled $(nm "$t_f1_pool")) | >= 0.85 | $(verdict 'a >= 0.85' "$t_f1") |"
  echo "| striae: band-area F1, bands at their FWHM width (per-seed median, min; pooled) | $(nm "$t_af1") (min $(nm "$t_af1_min"); pooled $(nm "$t_af1_pool")) | >= 0.85 (the issue: by area or skeleton) | $(verdict 'a >= 0.85' "$t_af1") |"
  echo "| striae: half contrast reads | $(nm "$t_half") (range $(nm "$t_half_r")) | 0.5 +- 0.1 | $(verdict 'a >= 0.4 && a <= 0.6' "$t_half") |"
  echo "| hair not counted as wrinkles: wrinkle px on hairs / detected px (10-20 hairs; wrinkle precision with hairs, without) | $(nm "$h_frac") % ($(nm "$h_fp") of $(nm "$h_det") px; P $(nm "$h_p"), $(nm "$w_p_nohair")) | <= 1 % | $(verdict 'a <= 1' "$h_frac") |"
  echo "| faint hair (Weber 0.18-0.24, 10-20 hairs) not counted as wrinkles: wrinkle px on hairs / detected px, face presets / with the dermoscope preset's faint tier (wrinkle precision, recall) | $(nm "$fh_def") % (P $(nm "$fh_def_p"), R $(nm "$fh_def_r")) / $(nm "$fh_tier") % (P $(nm "$fh_tier_p"), R $(nm "$fh_tier_r")) | <= 1 % | $(verdict 'a <= 1' "$fh_def") / $(verdict 'a <= 1' "$fh_tier") |"
  echo "| texture: micro-relief x k reads k (relief-only phantoms, worst error of k = 0.5, 0.8, clean / noise + JPEG) | $(nm "$k_worst") % (noisy: k 0.5 -> $(nm "$k_05"), 0.8 -> $(nm "$k_08")) | +-10 % | $(verdict 'a <= 10' "$k_worst") |"
  for suite in phantom isic; do
    name=inv_$suite
    if [ "$suite" = isic ] && [ "$isic" = 0 ]; then continue; fi
    if grep -q '^RESULT suite=isic overall=SKIPPED' "$tmp/$name.txt" 2>/dev/null; then
      echo "| invariance, ISIC: all families | skipped: $real_dir absent | | not measured |"
      continue
    fi
    for fam in texture pores scars wrinkles striae; do
      case $fam in texture|pores) thr=2 ;; *) thr=4 ;; esac
      r=$(family "$name" "$fam")
      if [ -z "$r" ]; then
        echo "| invariance, $suite: $fam | not measured | <= $thr % | not measured |"
        continue
      fi
      set -- $r
      if [ "$3" = TOO_FEW ]; then
        echo "| invariance, $suite: $fam | $6 pair(s) with any, fewer than 10 (worst median of $4 metrics over them: $2 $1 %) | <= $thr % (median over >= 10 pairs) | not assessable: too few pairs |"
        continue
      fi
      echo "| invariance, $suite: $fam (worst median of $4 metrics: $2) | $1 % ($5 pair-metrics skipped, before ~0) | <= $thr % (median) | $3 |"
    done
  done
  echo
  echo "Context: on the default phantom skin (pores, scars, wrinkles in the bands) micro-relief" \
    "x 0.5 reads $(nm "$k_05_full") of the before roughness: roughness measures all structure" \
    "in the bands, not micro-relief alone. \`texture.micro_relief\` (the robust roughness between" \
    "the detected features) reads k = 0.5 as $(nm "$k_05_micro") and k = 0.8 as $(nm "$k_08_micro")" \
    "on that skin."
  echo
  echo "### Invariance per metric: |after - before| / |before|, median / max over the pairs"
  echo
  echo "Counts also as median / max |after - before|. A metric is skipped for a pair when its" \
    "before value is ~0 (its family found nothing)."
  echo
  echo "| metric | threshold | phantom median / max | phantom count diff | phantom skipped | ISIC median / max | ISIC count diff | ISIC skipped |"
  echo "|---|---|---|---|---|---|---|---|"
  if [ -s "$tmp/inv_phantom.txt" ]; then
    awk '
      /^RESULT .* metric=/ {
        for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
        m = v["metric"]; s = v["suite"]
        if (!(m in seen)) { seen[m] = 1; order[++n] = m; thr[m] = v["threshold_pct"] }
        if (v["verdict"] == "NOT_MEASURED") cell[m, s] = "not measured"
        else cell[m, s] = sprintf("%.2f / %.2f %% %s", v["median_pct"], v["max_pct"], v["verdict"] == "TOO_FEW" ? "(too few pairs)" : v["verdict"])
        cnt[m, s] = (m ~ /\.count$/ && v["verdict"] != "NOT_MEASURED") ? sprintf("%s / %s", v["median_abs"], v["max_abs"]) : "-"
        sk[m, s] = v["pairs"] " measured, " v["skipped"] " skipped"
      }
      END {
        for (i = 1; i <= n; ++i) {
          m = order[i]
          printf "| %s | %s %% | %s | %s | %s | %s | %s | %s |\n", m, thr[m], cell[m, "phantom"], cnt[m, "phantom"], sk[m, "phantom"],
            ((m, "isic") in cell) ? cell[m, "isic"] : "-", ((m, "isic") in cnt) ? cnt[m, "isic"] : "-", ((m, "isic") in sk) ? sk[m, "isic"] : "-"
        }
      }' "$tmp/inv_phantom.txt" "$tmp/inv_isic.txt" 2>/dev/null
  fi
  echo
  for s in phantom isic; do
    [ -s "$tmp/inv_$s.txt" ] || continue
    grep -h '^RESULT suite=.* overall=' "$tmp/inv_$s.txt" | sed 's/^RESULT /overall: /'
    echo
  done
  if [ "$diagnostics" = 1 ]; then
    echo "### Diagnostics (not criteria): where the invariance error comes from"
    echo
    echo "The same $inv_seeds phantom pairs, varying only the pose: 'both' is the protocol above (both" \
      "photos posed, each resampled once by the capture model, as two real photos are); 'after' =" \
      "only the after photo posed (the before photo sits on the skin's pixel grid, which no camera" \
      "gives, and the after photo is resampled twice: bilinear by the capture model, then by the" \
      "pipeline's warp); 'none' = photometric change only; 'both, supersample 2' = both posed and" \
      "the skin rendered at 40 px/mm, so each photo integrates the skin (anti-alias blur) instead of" \
      "interpolating a 20 px/mm skin."
    echo
    echo "| protocol | texture.roughness | 0.2-0.4 mm band | glcm_contrast | pores.count | pores.mean_diameter_px | scars.count abs | wrinkles.length_px | families texture / pores / scars / wrinkles / striae |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for d in "inv_phantom:both (the protocol above)" "diag_after:after only" "diag_none:none" "diag_both_ss2:both, supersample 2"; do
      f="$tmp/${d%%:*}.txt"
      [ -s "$f" ] || continue
      fams=""
      for fam in texture pores scars wrinkles striae; do
        r=$(family "${d%%:*}" "$fam")
        fams="$fams${fams:+ / }$([ -n "$r" ] && echo "$r" | cut -d' ' -f3 || echo "-")"
      done
      awk -v label="${d##*:}" -v fams="$fams" '
        /^RESULT .* metric=/ {
          for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
          c[v["metric"]] = sprintf("%.2f / %.2f %%", v["median_pct"], v["max_pct"])
          a[v["metric"]] = sprintf("%s / %s", v["median_abs"], v["max_abs"])
        }
        END {
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, c["texture.roughness"],
            c["texture.roughness_bands.0.2-0.4mm"], c["texture.glcm_contrast"], c["pores.count"],
            c["pores.mean_diameter_px"], a["scars.count"], c["wrinkles.length_px"], fams
        }' "$f"
    done
    echo
  fi
  total=$(( $(date +%s) - t_all ))
  echo "Times (wall, s; load average at start $load_start on $(nproc) cores shared with other jobs):" \
    "build $t_build, blob accuracy $(secs blob_accuracy), blob treatment $(secs blob_treatment)," \
    "wrinkles $(secs ridge_wrinkles), hair $(secs ridge_hair), faint hair $(secs ridge_faint_hair), striae $(secs ridge_striae)," \
    "texture relief $(secs texture_relief), invariance phantom $(secs inv_phantom)," \
    "ISIC $(secs inv_isic), diagnostics $(secs diag_none) + $(secs diag_after) +" \
    "$(secs diag_both_ss2); total $total."
  for f in "$tmp"/*.rc; do
    [ -e "$f" ] || continue
    echo "Note: $(basename "$f" .rc) ended with $(cat "$f"): $(tail -n1 "$tmp/$(basename "$f" .rc).err" 2>/dev/null)"
  done
} >"$report"
cat "$report"
if [ -n "$out" ]; then cp "$report" "$out"; echo "wrote $out" >&2; fi
if [ "$write_doc" = 1 ]; then
  doc=docs/accuracy.md
  if ! grep -q '<!-- eval_metrics:begin -->' "$doc"; then
    printf '\n# Metrics acceptance\n\n<!-- eval_metrics:begin -->\n<!-- eval_metrics:end -->\n' >>"$doc"
  fi
  awk -v rep="$report" '
    /<!-- eval_metrics:begin -->/ { print; while ((getline line < rep) > 0) print line; skip = 1; next }
    /<!-- eval_metrics:end -->/ { skip = 0 }
    !skip { print }' "$doc" >"$tmp/doc.md"
  cp "$tmp/doc.md" "$doc"
  echo "wrote $doc" >&2
fi
