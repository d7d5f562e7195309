#!/usr/bin/env bash
# Installs what is missing, builds (same as scripts/setup.sh) and runs every test via CTest.
#   scripts/test.sh                 # all tests
#   scripts/test.sh -R align        # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -d ../shared/data/real ]; then
  echo "test: ../shared/data/real is absent: tests on real photographs will be skipped"
fi
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900 "$@"
