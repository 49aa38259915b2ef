#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh - install the build dependencies (Debian 12, apt-get) and build.
#
#   scripts/setup.sh [--sanitize | --fuzz] [--build-dir DIR]
#
# Builds into build/ (build-asan/ with --sanitize: -fsanitize=address,undefined).
# Warnings are errors. Safe to run again: it only installs what is missing.
# --fuzz (scripts/fuzz.sh): also installs clang and libFuzzer, and builds
# only the fuzz targets, with clang, into build-fuzz/ (docs/fuzzing.md).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sanitize=OFF
fuzz=OFF
build_dir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--sanitize) sanitize=ON ;;
	--fuzz) fuzz=ON ;;
	--build-dir) build_dir=$2; shift ;;
	-h|--help) sed -n '3,10p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$build_dir" ]; then
	if [ "$sanitize" = ON ]; then build_dir=$here/build-asan; else build_dir=$here/build; fi
	if [ "$fuzz" = ON ]; then build_dir=$here/build-fuzz; fi
fi

packages=(build-essential cmake pkg-config libltdl-dev libjson-c-dev
	libarchive-dev libcurl4-openssl-dev libcunit1-dev libssl-dev
	libinih-dev liburiparser-dev zlib1g-dev libarchive-tools python3 python3-jsonschema zstd xz-utils
	gzip tar procps time curl openssl faketime strace
	dpkg-dev file binutils lintian)
# The fuzz job only: clang and its libFuzzer runtime.
[ "$fuzz" = OFF ] || packages+=(clang-14 libclang-rt-14-dev)
"$here/scripts/apt-need.sh" "${packages[@]}"

if [ "$fuzz" = ON ]; then
	# Warnings are not errors here: clang warns where gcc does not, and
	# the gcc builds (build/, build-asan/) hold the code to -Werror.
	cmake -S "$here" -B "$build_dir" -DCMAKE_C_COMPILER=clang-14 \
		-DSUPKIT_FUZZ=ON -DBUILD_TESTING=OFF -DSUPKIT_WERROR=OFF >/dev/null
	cmake --build "$build_dir" -j"$(nproc)" --target fuzz
else
	cmake -S "$here" -B "$build_dir" -DSUPKIT_WERROR=ON \
		-DSUPKIT_SANITIZE="$sanitize" >/dev/null
	cmake --build "$build_dir" -j"$(nproc)"
fi
echo "setup: built in $build_dir" >&2
