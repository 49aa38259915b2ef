#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deb.sh - build the Debian packages supkit, supkit-agent and supkit-sdk
# with CPack, check each with lintian and print their paths (docs/packaging.md).
#
#   scripts/deb.sh [--build-dir DIR] [--no-lintian]
#
# Builds into build-deb/ (a release build without the tests: prefix /usr,
# /etc/supkit, units in /lib/systemd/system, Debian's compiler flags from
# dpkg-buildflags, hardening=+all). Installs the missing build tools with apt-get first.
# Exit 0 with the .deb paths on stdout, 1 when a step or lintian fails
# (lintian errors, or warnings that no override covers), 2 on a usage error.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$here/build-deb
lintian=1
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) [ $# -ge 2 ] || { echo "deb.sh: --build-dir needs a value" >&2; exit 2; }
		build_dir=$2; shift ;;
	--no-lintian) lintian=0 ;;
	-h|--help) sed -n '3,12p' "$0"; exit 0 ;;
	*) echo "deb.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

packages=(build-essential cmake pkg-config libltdl-dev libjson-c-dev
	libarchive-dev libcurl4-openssl-dev libssl-dev libinih-dev
	liburiparser-dev zlib1g-dev dpkg-dev file gzip binutils)
[ "$lintian" = 0 ] || packages+=(lintian)
"$here/scripts/apt-need.sh" "${packages[@]}"

# Debian's flags, as debhelper's cmake build uses them (build type None
# adds none of its own), with all hardening: bindnow too, as the plugins
# are linked already.
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
export CFLAGS="$CFLAGS $CPPFLAGS"
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=None \
	-DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" \
	-DCMAKE_SHARED_LINKER_FLAGS="$LDFLAGS" -DCMAKE_MODULE_LINKER_FLAGS="$LDFLAGS" \
	-DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc \
	-DSUPKIT_SYSTEMD_UNIT_DIR=/lib/systemd/system \
	-DBUILD_TESTING=OFF -DSUPKIT_WERROR=ON -DSUPKIT_DEB=ON >/dev/null
cmake --build "$build_dir" -j"$(nproc)" >/dev/null
rm -f "$build_dir"/packages/*.deb
(cd "$build_dir" && cpack -G DEB >/dev/null)

debs=("$build_dir"/packages/*.deb)
[ -e "${debs[0]}" ] || { echo "deb: cpack made no package" >&2; exit 1; }
if [ "$lintian" = 1 ]; then
	# --fail-on error,warning: a warning needs a fix or an override
	# with its reason (conf/deb/PACKAGE/lintian-overrides).
	if ! lintian --fail-on error,warning --display-info "${debs[@]}" >&2; then
		echo "deb: lintian failed" >&2
		exit 1
	fi
	echo "deb: lintian: no errors, no warnings" >&2
fi
printf '%s\n' "${debs[@]}"
