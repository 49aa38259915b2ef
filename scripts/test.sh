#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh - set up (dependencies + build) and run the whole test suite.
#
#   scripts/test.sh [--sanitize]
#
# --sanitize builds and tests with -fsanitize=address,undefined in build-asan/.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
args=()
build_dir=$here/build
if [ "${1:-}" = "--sanitize" ]; then
	args+=(--sanitize)
	build_dir=$here/build-asan
fi
"$here/scripts/setup.sh" "${args[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)" --timeout 600
