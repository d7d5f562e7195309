#!/usr/bin/env bash
# Checks that a test would catch a bug: applies one single-text change (a "mutation") to a
# source file, rebuilds one test binary, runs it, restores the file (always, also on Ctrl-C) and
# rebuilds again. Prints KILLED with the failing tests, or SURVIVED.
#
# usage: scripts/mutation_check.sh FILE 'ORIGINAL TEXT' 'MUTATED TEXT' TEST_TARGET [GTEST_FILTER]
#   FILE          a source file of the tree (the original text must occur in it exactly once)
#   TEST_TARGET   a test binary target, e.g. metrics_test (built in build/, run from build/tests/)
#   GTEST_FILTER  which tests to run (default: all of the binary)
# Example:
#   scripts/mutation_check.sh src/metrics/pores.cpp \
#     'const double med = n % 2 ? diam[n / 2] : 0.5 * (diam[n / 2 - 1] + diam[n / 2]);' \
#     'const double med = diam[n / 2];' metrics_test 'PoresSynthetic*'
# The build directory must exist (scripts/test.sh makes it). Exit 0 when the mutation was
# killed, 1 when it survived, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "mutation_check: $*" >&2; exit 2; }
[ $# -ge 4 ] || die "usage: $0 FILE 'ORIGINAL' 'MUTATED' TEST_TARGET [GTEST_FILTER]"
file=$1 original=$2 mutated=$3 target=$4 filter=${5:-*}
[ -f "$file" ] || die "$file: no such file"
[ -d build ] || die "build/: missing (run scripts/test.sh first)"
count=$(python3 -c 'import sys; print(open(sys.argv[1]).read().count(sys.argv[2]))' "$file" "$original")
[ "$count" = 1 ] || die "$file: the original text occurs $count times (need exactly 1)"

backup=$(mktemp)
cp -p "$file" "$backup"
restore() {
  cp -p "$backup" "$file"
  touch "$file"  # newer than the mutant's objects: the next build recompiles it
  rm -f "$backup"
}
trap restore EXIT

python3 -c '
import sys
p, o, n = sys.argv[1:4]
s = open(p).read()
open(p, "w").write(s.replace(o, n, 1))' "$file" "$original" "$mutated"

if ! make -C build -j2 "$target" > /dev/null 2>&1; then
  echo "NOT BUILT: the mutant does not compile"
  exit 1
fi
output=$(build/tests/"$target" --gtest_filter="$filter" 2>&1 || true)
failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_]*\.[A-Za-z0-9_]*\)$/\1/p' <<<"$output" | sort -u)
# A failing test keeps its temporary directory for inspection; a mutant's failures need none.
sed -n 's/^test temporary directory kept: //p' <<<"$output" | while read -r kept; do
  case "$kept" in /tmp/skintrack_test_*) rm -rf -- "$kept" ;; esac
done
trap - EXIT
restore
make -C build -j2 "$target" > /dev/null 2>&1 || echo "mutation_check: rebuild after restoring failed" >&2
if [ -n "$failed" ]; then
  echo "KILLED by:"
  echo "$failed" | sed 's/^/  /'
  exit 0
fi
echo "SURVIVED"
exit 1
