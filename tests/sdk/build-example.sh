#!/bin/sh
# SPDX-License-Identifier: MIT
#
# build-example.sh BUILD_DIR SOURCE_DIR OUT_DIR
#
# Proves the plugin SDK works out of tree, the way a vendor uses it:
#  1. installs the supkit build in BUILD_DIR into a staging directory
#     (DESTDIR), which includes sup/plugin.h, supkit-sdk.pc and the CMake
#     package supkit-sdk;
#  2. configures and builds SOURCE_DIR/sdk/examples/marker as its own
#     project with find_package(supkit-sdk) from that staging directory,
#     and copies marker.so into OUT_DIR (for the end-to-end tests);
#  3. compiles marker.c a second time with nothing but
#     `pkg-config --cflags --libs supkit-sdk` from the staging directory.
#
# DESTDIR rather than `cmake --install --prefix`: --prefix does not move
# absolute install destinations (the plugin and configuration
# directories), and the .pc file records the prefix chosen at configure
# time. Staging under DESTDIR keeps every file inside the scratch
# directory, and PKG_CONFIG_SYSROOT_DIR maps the .pc paths into it.
set -eu

usage() {
	echo "usage: $0 BUILD_DIR SOURCE_DIR OUT_DIR" >&2
	exit 2
}

[ $# -eq 3 ] || usage
build=$1
src=$2
out=$3
case $build$src$out in
*"
"*) echo "$0: paths with newlines are not supported" >&2; exit 2 ;;
esac
[ -f "$build/CMakeCache.txt" ] || {
	echo "$0: '$build' is not a configured build directory" >&2
	exit 2
}
example=$src/sdk/examples/marker
[ -f "$example/CMakeLists.txt" ] || {
	echo "$0: no example plugin in '$example'" >&2
	exit 2
}

# Plugin files and directories must not be group- or world-writable.
umask 022

cache_get() {
	sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"
}
prefix=$(cache_get CMAKE_INSTALL_PREFIX)
cc=$(cache_get CMAKE_C_COMPILER)
[ -n "$prefix" ] || { echo "$0: no CMAKE_INSTALL_PREFIX in the cache" >&2; exit 1; }
[ -n "$cc" ] || cc=cc

work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-sdk-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
stage=$work/stage
sdk=$stage$prefix

echo "== install $build into $stage"
DESTDIR=$stage cmake --install "$build"

echo "== build the example with CMake against $sdk"
cmake -S "$example" -B "$work/build" \
	-DCMAKE_PREFIX_PATH="$sdk" \
	-DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_FLAGS="-Werror"
cmake --build "$work/build"
# The package must have come from the staging directory, not from a
# supkit installed on this system.
found=$(sed -n 's/^supkit-sdk_DIR:[A-Z]*=//p' "$work/build/CMakeCache.txt")
case $found in
"$stage"/*) ;;
*)
	echo "$0: find_package used '$found', not the staged SDK" >&2
	exit 1
	;;
esac

echo "== build the example with pkg-config alone"
pcdir=$(dirname "$(find "$stage" -name supkit-sdk.pc -print | head -n 1)")
[ -f "$pcdir/supkit-sdk.pc" ] || { echo "$0: supkit-sdk.pc was not installed" >&2; exit 1; }
PKG_CONFIG_PATH=$pcdir PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_SYSROOT_DIR=$stage
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
cflags=$(pkg-config --cflags supkit-sdk)
libs=$(pkg-config --libs supkit-sdk)
case $cflags in
*"-I$sdk/"*) ;;
*)
	echo "$0: pkg-config cflags '$cflags' do not point into the staged SDK" >&2
	exit 1
	;;
esac
mkdir "$work/pc"
# shellcheck disable=SC2086 # the flags are word lists
"$cc" -std=c11 -O2 -Wall -Wextra -Werror $cflags \
	-o "$work/pc/marker.so" "$example/marker.c" $libs

# Both builds export sup_plugin_entry and nothing else.
if command -v nm >/dev/null 2>&1; then
	for so in "$work/build/marker.so" "$work/pc/marker.so"; do
		syms=$(nm -D --defined-only "$so" | awk '{ print $NF }' |
			grep -v -e '^_init$' -e '^_fini$' | tr '\n' ' ')
		if [ "$syms" != "sup_plugin_entry " ]; then
			echo "$0: $so exports '$syms', expected only sup_plugin_entry" >&2
			exit 1
		fi
	done
fi

echo "== copy marker.so to $out"
mkdir -p "$out"
chmod 0755 "$out"
cp "$work/build/marker.so" "$out/.marker.so.tmp"
chmod 0644 "$out/.marker.so.tmp"
mv -f "$out/.marker.so.tmp" "$out/marker.so"
echo "sdk example: ok"
