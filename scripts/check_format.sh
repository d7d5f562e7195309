#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by .clang-format (Google base).
#   scripts/check_format.sh          # exit 0 clean, 1 with the files to format, 77 no tool
#   scripts/check_format.sh --fix    # formats them in place
# Run by the test suite (CTest "format_check"); skipped when clang-format is not installed
# (Debian package clang-format, not needed to build).
set -euo pipefail
cd "$(dirname "$0")/.."
tool="$(command -v clang-format || true)"
if [ -z "$tool" ]; then
  echo "check_format: clang-format is not installed (apt-get install clang-format): skipped"
  exit 77
fi
mapfile -t files < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find include src tests bench \( -name '*.cpp' -o -name '*.h' \))
if [ "${1:-}" = "--fix" ]; then
  "$tool" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$tool" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check_format: ${#bad[@]} file(s) not clang-formatted (scripts/check_format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check_format: ${#files[@]} files clang-formatted"
