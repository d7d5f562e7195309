#!/usr/bin/env bash
# Speed and memory of SkinTrack, measured on this tree (the figures in docs/performance.md).
#
#  1. Builds Release into build-bench/ (its own build directory, so a Debug or half-edited
#     build/ of someone else is never measured; override with --build-dir). The build is
#     incremental: it only recompiles what changed, but always runs, so the binaries match
#     the tree.
#  1b. Runs bench/machine_probe (fixed work: one core's multiply-add latency, memory copy and
#     first touch of new memory, and a 12 MP Gaussian blur on both cores) before and after
#     the CLI timings: this shared machine's speed varies by up to 1.8x from hour to hour,
#     and the probe tells a slow hour from a slow change (its single-core loop more than
#     20 % slower or faster after the runs than before: the summary says the speed changed
#     during the run). It also records the
#     steal time during the CLI timings (/proc/stat: the cores' time the virtual machine's
#     host gave to others), with a warning above 5 %.
#  2. Renders a 4000x3000 phantom pair, JPEG q92 (`skintrack phantom --seed 1`), into a
#     temporary directory (removed on exit, also on error or Ctrl-C).
#  3. Times the CLI end to end, each mode --runs times (default 5; no warm-up by default: the
#     phantom step has just loaded the same binary and written the input files, so the page
#     cache is warm; --warmup N adds untimed runs first):
#       json       skintrack compare BEFORE AFTER --json FILE
#       nometrics  ... --json FILE --no-metrics (only when the CLI has that option: compare
#                  then measures skin metrics by default; this times registration alone)
#       outdir     ... --json FILE --out-dir DIR   (also writes the images)
#     with /usr/bin/time -f "%e %M %U %S": wall median and min, peak RSS (max over the runs),
#     CPU (user+sys) median; and checks the targets for a 4000x3000 pair: median wall
#     <= 1.5 s on 2 cores, peak RSS <= 1 GB (1024 MiB).
#  4. Runs the Google Benchmark binary <build>/bench/align_bench (size grid 800x600,
#     1600x1200, 4000x3000; see bench/align_bench.cpp) with --benchmark_min_time.
#  5. Prints a Markdown summary; --write-doc also writes it into docs/performance.md between
#     the markers <!-- bench.sh:begin --> and <!-- bench.sh:end --> (the rest of the file, the
#     hand-written analysis, is kept; the file is created when missing).
#
# Usage: scripts/bench.sh [--write-doc] [--runs N] [--warmup N] [--min-time SECONDS]
#                         [--build-dir DIR] [--filter REGEX] [--no-gbench] [--strict]
#   --runs N         timed CLI runs per mode (default 5, odd numbers give a true median)
#   --warmup N       untimed CLI runs per mode before those (default 0)
#   --min-time S     Google Benchmark --benchmark_min_time (default 0.1; every benchmark runs at
#                    least one iteration, so the 12 MP cases are single runs)
#   --filter REGEX   only these Google Benchmark cases (--benchmark_filter)
#   --no-gbench      skip the Google Benchmark part
#   --strict         exit 3 when a target is missed (default: report only)
# Takes about 2-4 minutes on 2 cores with an up-to-date build. The machine's load average is
# recorded before and after: other jobs on the same cores inflate wall times.
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

cd "$(dirname "$0")/.." || die "cannot cd to the repository root"
repo_root=$(pwd)

write_doc=0
runs=5
warmup=0
min_time=0.1
build_dir=build-bench
filter=""
gbench=1
strict=0
orig_args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --write-doc) write_doc=1; shift ;;
    --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs="$2"; shift 2 ;;
    --warmup) [ $# -ge 2 ] || die "--warmup needs a value"; warmup="$2"; shift 2 ;;
    --min-time) [ $# -ge 2 ] || die "--min-time needs a value"; min_time="$2"; shift 2 ;;
    --build-dir) [ $# -ge 2 ] || die "--build-dir needs a value"; build_dir="$2"; shift 2 ;;
    --filter) [ $# -ge 2 ] || die "--filter needs a value"; filter="$2"; shift 2 ;;
    --no-gbench) gbench=0; shift ;;
    --strict) strict=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$runs'"
[[ "$warmup" =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer, got '$warmup'"
[[ "$min_time" =~ ^[0-9]*\.?[0-9]+$ ]] || die "--min-time must be a number of seconds, got '$min_time'"

# Targets (4000x3000 pair, 2 cores).
# Targets per mode (4000x3000, 2 cores): registration alone (issue 2) 1.5 s and 1 GB; compare
# with all metrics 3 s and 1.5 GB, analyze 1.5 s and 1.5 GB (issue 3).
declare -A target_wall_s=([json]=3 [nometrics]=1.5 [outdir]=3 [analyze]=1.5)
declare -A target_rss_kib=([json]=$((1536 * 1024)) [nometrics]=$((1024 * 1024))
  [outdir]=$((1536 * 1024)) [analyze]=$((1536 * 1024)))
readonly width=4000 height=3000 jpeg_quality=92 seed=1

# --- tools -------------------------------------------------------------------------------
command -v cmake >/dev/null || die "cmake not found (run scripts/setup.sh)"
if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time missing; installing the Debian package 'time'" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  { $sudo_cmd apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends time; } \
    >&2 || die "could not install the package 'time' (needed for /usr/bin/time)"
  [ -x /usr/bin/time ] || die "/usr/bin/time still missing after installing 'time'"
fi

# --- build -------------------------------------------------------------------------------
echo "bench: building Release in $build_dir/" >&2
if [ -f "$build_dir/CMakeCache.txt" ]; then
  cached_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
  [ "$cached_type" = "Release" ] || echo "bench: $build_dir/ was '$cached_type'; reconfiguring as Release" >&2
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSKINTRACK_BUILD_BENCH=ON >/dev/null \
  || die "CMake configure failed in $build_dir/"
# The launcher and skintrack-core it starts, and the machine-speed probe.
targets=(--target skintrack_launcher --target machine_probe)
if [ "$gbench" -eq 1 ]; then
  grep -q '^benchmark_DIR:PATH=.*benchmark' "$build_dir/CMakeCache.txt" \
    || die "Google Benchmark not found by CMake (install libbenchmark-dev: scripts/setup.sh), or use --no-gbench"
  targets+=(--target align_bench)
fi
cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}" >"$build_dir/bench_build.log" 2>&1 \
  || { tail -n 30 "$build_dir/bench_build.log" >&2; die "build failed (log: $build_dir/bench_build.log)"; }
cli="$repo_root/$build_dir/skintrack"
bench_bin="$repo_root/$build_dir/bench/align_bench"
probe="$repo_root/$build_dir/bench/machine_probe"
[ -x "$cli" ] || die "CLI not built: $cli"
[ -x "$probe" ] || die "machine probe not built: $probe"
[ "$gbench" -eq 0 ] || [ -x "$bench_bin" ] || die "benchmark binary not built: $bench_bin"

# --- temp dir ----------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/skintrack_bench.XXXXXX") || die "mktemp failed"
# shellcheck disable=SC2317 # (called by the trap)
cleanup() { rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# All CPU time of the machine and its steal part, in ticks (/proc/stat's first line): the time
# a virtual machine's host gave its cores to others, which no process's CPU time includes but
# every wall time does.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9; exit }' /proc/stat; }
# The machine's speed this hour (bench/machine_probe.cpp: fixed work, no SkinTrack code).
machine_probe() { "$probe" || die "machine probe failed"; }
load_start=$(loadavg)
echo "bench: machine probe" >&2
probe_start=$(machine_probe)
if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > 0.5 * n) }'; then
  echo "bench: warning: load average $load_start on $(nproc) cores; wall times will be inflated" >&2
fi

# --- phantom pair ------------------------------------------------------------------------
echo "bench: rendering a ${width}x${height} phantom pair (q$jpeg_quality)" >&2
/usr/bin/time -f "%e %M" -o "$tmp/phantom.time" \
  "$cli" phantom --out-dir "$tmp/pair" --seed "$seed" --width "$width" --height "$height" \
  --jpeg-quality "$jpeg_quality" >/dev/null 2>"$tmp/phantom.err" \
  || { cat "$tmp/phantom.err" >&2; die "skintrack phantom failed"; }
read -r phantom_wall phantom_rss <"$tmp/phantom.time"
before="$tmp/pair/before.jpg"
after="$tmp/pair/after.jpg"
{ [ -s "$before" ] && [ -s "$after" ]; } || die "phantom did not write $before and $after"
file_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1e6 }'; }

# --- CLI timings -------------------------------------------------------------------------
# median of the numbers on stdin (mean of the two middle ones for an even count)
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1;
  if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { sort -g | head -n 1; }
maximum() { sort -g | tail -n 1; }

# run_mode NAME ARGS...: $warmup untimed runs, then $runs timed runs; results in $tmp/NAME.runs
# (lines: wall_s rss_kib user_s sys_s align_s).
run_mode() {
  local name="$1"; shift
  local sub=compare inputs=("$before" "$after")
  if [ "$name" = analyze ]; then sub=analyze; inputs=("$before"); fi
  local i out_dir
  : >"$tmp/$name.runs"
  for ((i = 1 - warmup; i <= runs; i++)); do
    out_dir="$tmp/out_${name}_$i"
    local args=("$@")
    args=("${args[@]//@OUT@/$out_dir}")
    if ! /usr/bin/time -f "%e %M %U %S" -o "$tmp/run.time" \
        "$cli" "$sub" "${inputs[@]}" "${args[@]}" >/dev/null 2>"$tmp/run.err"; then
      cat "$tmp/run.err" >&2
      die "'skintrack $sub ${args[*]}' failed (exit status above; the pair must align)"
    fi
    if [ "$sub" = analyze ]; then
      printf -v "${name}_method" '%s' "-"
      [ "$i" -ge 1 ] && echo "$(cat "$tmp/run.time") 0" >>"$tmp/$name.runs"
      printf '.' >&2
      continue
    fi
    # stderr summary: "alignment ok (orb+magsac+ecc+dis, 2.1 s): ..."
    local summary
    summary=$(grep -m1 '^alignment ' "$tmp/run.err" || true)
    [[ "$summary" =~ ^alignment\ ([a-z]+)\ \(([^,]+),\ ([0-9.e+-]+)\ s\) ]] \
      || die "unexpected compare summary: '$summary'"
    [ "${BASH_REMATCH[1]}" = "ok" ] || die "alignment was '${BASH_REMATCH[1]}', not ok: $summary"
    printf -v "${name}_method" '%s' "${BASH_REMATCH[2]}"
    if [ "$i" -ge 1 ]; then  # i < 1: warm-up
      echo "$(cat "$tmp/run.time") ${BASH_REMATCH[3]}" >>"$tmp/$name.runs"
    fi
    rm -rf -- "$out_dir"
    printf '.' >&2
  done
  printf ' %s done\n' "$name" >&2
}

echo "bench: timing the CLI ($runs runs per mode, $warmup warm-up)" >&2
ticks_cli_start=$(cpu_ticks)
# Modes: name, then the label for the table; arguments follow in run_mode calls below.
modes=(json)
# shellcheck disable=SC2016 # (backticks are Markdown)
declare -A mode_label=(
  [json]='`compare --json`'
  [nometrics]='`compare --json --no-metrics` (registration only)'
  [outdir]='`compare --json --out-dir` (images)'
  [analyze]='`analyze --json` (one photo, all metrics)'
)
run_mode json --json "$tmp/compare.json"
# Builds whose compare also measures skin metrics have --no-metrics: time registration alone too.
# (The help is captured first: under pipefail, `grep -q` closing the pipe early would fail the
# pipeline with SIGPIPE once the help is long.)
compare_help=$("$cli" compare --help 2>&1 || true)
if grep -q -- '--no-metrics' <<<"$compare_help"; then
  modes+=(nometrics)
  run_mode nometrics --json "$tmp/compare_nm.json" --no-metrics
fi
modes+=(outdir)
run_mode outdir --json "$tmp/compare_out.json" --out-dir @OUT@
if "$cli" analyze --help >/dev/null 2>&1; then
  modes+=(analyze)
  run_mode analyze --json "$tmp/analyze.json"
fi

# stats NAME -> "wall_med wall_min rss_max_mib cpu_med align_med"
stats() {
  local f="$tmp/$1.runs"
  local wall_med wall_min rss_max cpu_med align_med
  wall_med=$(awk '{ print $1 }' "$f" | median)
  wall_min=$(awk '{ print $1 }' "$f" | minimum)
  rss_max=$(awk '{ print $2 }' "$f" | maximum)
  cpu_med=$(awk '{ print $3 + $4 }' "$f" | median)
  align_med=$(awk '{ print $5 }' "$f" | median)
  echo "$wall_med $wall_min $rss_max $cpu_med $align_med"
}
verdict() {  # wall_med rss_kib mode
  awk -v w="$1" -v r="$2" -v tw="${target_wall_s[$3]}" -v tr="${target_rss_kib[$3]}" 'BEGIN {
    s = (w <= tw) ? "wall OK" : sprintf("wall MISSED (%.1fx)", w / tw);
    s = s ", " ((r <= tr) ? "RSS OK" : "RSS MISSED");
    print s }'
}
missed=0
table_rows=""
for mode in "${modes[@]}"; do
  read -r wall_med wall_min rss_max cpu_med align_med <<<"$(stats "$mode")"
  v=$(verdict "$wall_med" "$rss_max" "$mode")
  [[ "$v" == *MISSED* ]] && missed=1
  label="${mode_label[$mode]}"
  method_var="${mode}_method"
  method="${!method_var}"
  table_rows+=$(awk -v l="$label" -v wm="$wall_med" -v wn="$wall_min" -v r="$rss_max" \
    -v c="$cpu_med" -v a="$align_med" -v m="$method" -v v="$v" 'BEGIN {
      printf "| %s | %.2f | %.2f | %.2f | %.2f | %d | %s | %s |\n", l, wm, wn, c, a, r / 1024, m, v }')
  table_rows+=$'\n'
done
load_cli=$(loadavg)
ticks_cli_end=$(cpu_ticks)
steal_pct=$(awk -v a="$ticks_cli_start" -v b="$ticks_cli_end" 'BEGIN {
  split(a, x, " "); split(b, y, " "); t = y[1] - x[1];
  printf "%.1f", (t > 0 ? 100 * (y[2] - x[2]) / t : 0) }')
if awk -v s="$steal_pct" 'BEGIN { exit !(s > 5) }'; then
  echo "bench: warning: the host took $steal_pct % of the cores' time during the CLI runs (steal); wall times are inflated" >&2
fi
probe_cli=$(machine_probe)
# The single-core loop's time before vs after the CLI runs: beyond 20 % apart, the machine's
# speed changed during the timings, and the summary says so.
probe_note=$(awk -v a="$probe_start" -v b="$probe_cli" 'BEGIN {
  split(a, x, " "); split(b, y, " ");
  if (x[2] > 0 && y[2] > 0) { r = y[2] / x[2]; if (r > 1.2 || r < 1 / 1.2)
    printf "; the machine'"'"'s speed changed during the run (the loop took %.2fx as long after the CLI runs as before): compare the CLI figures with care", r }
}')
[ -z "$probe_note" ] || echo "bench: warning$probe_note" >&2

# --- Google Benchmark --------------------------------------------------------------------
gbench_md=""
gbench_cmd=""
if [ "$gbench" -eq 1 ]; then
  echo "bench: running $build_dir/bench/align_bench (min time $min_time s)" >&2
  gb_args=(--benchmark_min_time="$min_time" --benchmark_out="$tmp/gbench.json"
           --benchmark_out_format=json)
  [ -n "$filter" ] && gb_args+=(--benchmark_filter="$filter")
  gbench_cmd="$build_dir/bench/align_bench --benchmark_min_time=$min_time${filter:+ --benchmark_filter=$filter}"
  (cd "$tmp" && "$bench_bin" "${gb_args[@]}") >"$tmp/gbench.txt" 2>&1 \
    || { cat "$tmp/gbench.txt" >&2; die "align_bench failed"; }
  grep -q 'ERROR OCCURRED' "$tmp/gbench.txt" && { cat "$tmp/gbench.txt" >&2; die "a benchmark reported an error"; }
  if command -v python3 >/dev/null; then
    gbench_md=$(python3 - "$tmp/gbench.json" <<'PY'
import json, re, sys
data = json.load(open(sys.argv[1]))
print("| Benchmark | Case | Wall (ms) | Process CPU (ms) | Runs | Note |")
print("|---|---|---:|---:|---|---|")
rows, order = {}, []
for b in data["benchmarks"]:
    run = b.get("run_name", b["name"])
    agg = b.get("aggregate_name", "") if b.get("run_type") == "aggregate" else ""
    if agg not in ("", "median", "min"):
        continue
    if run not in rows:
        rows[run] = {}
        order.append(run)
    rows[run][agg or "single"] = b
for run in order:
    r = rows[run]
    b = r.get("median") or r.get("single")
    if b is None:
        continue
    name = re.sub(r"/(repeats:\d+|process_time|real_time)", "", run)
    base, _, case = name.partition("/")
    case = re.sub(r"w:(\d+)/h:(\d+)", r"\1x\2", case)
    unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    note = b.get("label", "")
    if "file_MB" in b:
        note = (note + "; " if note else "") + "file %.1f MB" % b["file_MB"]
    if "median" in r:
        runs = "median of %d, min %.0f ms" % (b.get("repetitions", 0), r["min"]["real_time"] * unit) \
            if "min" in r else "median of %d" % b.get("repetitions", 0)
    else:
        runs = "%d iteration%s" % (b["iterations"], "" if b["iterations"] == 1 else "s")
    print("| %s | %s | %.1f | %.1f | %s | %s |" % (base, case, b["real_time"] * unit,
          b["cpu_time"] * unit, runs, note))
PY
    ) || die "could not summarise $tmp/gbench.json"
  else
    # shellcheck disable=SC2016 # (backticks are Markdown)
    gbench_md=$(printf '```\n%s\n```' "$(cat "$tmp/gbench.txt")")
  fi
fi
load_end=$(loadavg)

# --- summary -----------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "none")
dirty=""
if [ "$commit" != none ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  dirty=" + uncommitted changes"
fi
cmd_line="scripts/bench.sh${orig_args[*]:+ ${orig_args[*]}}"
summary=$(
  echo "## Measured results"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree: commit \`$commit\`$dirty"
  echo "- Machine: $(nproc) cores (\`nproc\`), $cpu_model; OpenCV $(pkg-config --modversion opencv4 2>/dev/null || echo '?')"
  echo "- Load average (1/5/15 min): $load_start at start, $load_cli after the CLI runs, $load_end at the end"
  echo "- Steal (\`/proc/stat\`: the share of the cores' time this virtual machine's host gave to others while the CLI ran; in every wall time, in no CPU time): $steal_pct %"
  echo "- Machine probe (\`bench/machine_probe\`; one core: 2e8 dependent multiply-adds, s, memory copy, GB/s, and first touch of 512 MiB of new memory, GB/s; both cores: Gaussian blur of a 12 MP float image, ms): \`$probe_start\` before the CLI runs, \`$probe_cli\` after them$probe_note"
  echo "- Command: \`$cmd_line\` (build: \`$build_dir/\`, Release)"
  echo "- Input: phantom pair ${width}x${height}, JPEG q$jpeg_quality (\`skintrack phantom --seed $seed --width $width --height $height --jpeg-quality $jpeg_quality\`: $(file_mb "$before") MB + $(file_mb "$after") MB; rendering took ${phantom_wall} s, peak RSS $((phantom_rss / 1024)) MiB)"
  echo
  echo "### CLI end to end, ${width}x${height} (targets on 2 cores: registration only 1.5 s / 1 GB; compare with metrics 3 s / 1.5 GB; analyze 1.5 s / 1.5 GB)"
  echo
  echo "$runs timed runs per mode ($warmup untimed warm-up); \`/usr/bin/time -f \"%e %M %U %S\"\`. CPU = user + sys"
  echo "(CPU / wall > 1 means both cores were busy). Align = the \`seconds\` compare reports for"
  echo "registration alone (median)."
  echo
  echo "| Command | Wall median (s) | Wall min (s) | CPU median (s) | Align median (s) | Peak RSS (MiB) | Method | Targets |"
  echo "|---|---:|---:|---:|---:|---:|---|---|"
  printf '%s' "$table_rows"
  if [ -n "$gbench_md" ]; then
    echo
    echo "### Google Benchmark (\`bench/align_bench.cpp\`)"
    echo
    echo "Command: \`$gbench_cmd\`. Wall = real time per iteration; process CPU = CPU time of"
    echo "the whole process (both cores) per iteration. Registration cases run 3 repetitions (the"
    echo "median is shown, and the fastest); the others are single runs of one or more iterations."
    echo "Pairs are rendered once per size, untimed."
    echo
    echo "$gbench_md"
  fi
)
echo
echo "$summary"

if [ "$write_doc" -eq 1 ]; then
  doc="docs/performance.md"
  begin="<!-- bench.sh:begin -->"
  end="<!-- bench.sh:end -->"
  section=$(printf '%s\n%s\n%s\n' "$begin" "$summary" "$end")
  if [ -f "$doc" ] && grep -qF "$begin" "$doc" && grep -qF "$end" "$doc"; then
    # Replace the lines from the begin marker to the end marker by the new section.
    printf '%s\n' "$section" >"$tmp/section.md"
    awk -v sec_file="$tmp/section.md" -v b="$begin" -v e="$end" '
      BEGIN { while ((getline line < sec_file) > 0) sec = sec line "\n" }
      $0 == b { printf "%s", sec; skip = 1; next }
      $0 == e { skip = 0; next }
      !skip { print }' "$doc" >"$tmp/doc.md" || die "could not update $doc"
  else
    {
      if [ -f "$doc" ]; then cat "$doc"; echo; else
        echo "# Performance"
        echo
        echo "Speed and memory of SkinTrack, from \`scripts/bench.sh --write-doc\`."
        echo
      fi
      printf '%s\n' "$section"
    } >"$tmp/doc.md"
  fi
  mkdir -p docs
  cp "$tmp/doc.md" "$doc" || die "could not write $doc"
  echo "bench: wrote $doc" >&2
fi

if [ "$missed" -eq 1 ]; then
  echo "bench: a target was missed (see the Targets column)" >&2
  [ "$strict" -eq 1 ] && exit 3
fi
exit 0
