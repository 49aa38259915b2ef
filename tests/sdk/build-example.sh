#!/bin/sh
# SPDX-License-Identifier: MIT
#
# build-example.sh BUILD_DIR SOURCE_DIR OUT_DIR
#
# Proves the install tree and the plugin SDK work out of tree, the way a
# vendor uses them:
#  1. installs the supkit build in BUILD_DIR with `cmake --install
#     --prefix` into a scratch prefix (and DESTDIR), and checks that every
#     file it wrote is inside that prefix (but /etc/supkit and the unit
#     directory of a build for the prefix /usr);
#  2. installs the SDK on its own (`cmake -S SOURCE_DIR/sdk`, no runtime
#     library needed) into a second prefix;
#  3. for each prefix, from a clean environment: configures and builds
#     SOURCE_DIR/sdk/examples/marker as its own project with
#     find_package(supkit-sdk), and compiles marker.c again with nothing
#     but `pkg-config --cflags --libs supkit-sdk` (the .pc and the CMake
#     package find their paths from their own place);
#  4. copies marker.so into OUT_DIR (for the end-to-end tests).
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
cc=$(cache_get CMAKE_C_COMPILER)
[ -n "$cc" ] || cc=cc

work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-sdk-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# DESTDIR keeps every file in $work, also the absolute /etc/supkit and
# /lib/systemd/system of a build configured for the prefix /usr (the
# Debian layout: docs/packaging.md); in any other build nothing may lie
# outside the prefix.
full=$work/dest$work/full
echo "== install $build into $full (DESTDIR $work/dest, --prefix $work/full)"
DESTDIR=$work/dest cmake --install "$build" --prefix "$work/full" >"$work/install.log"
# The manifest names the files without DESTDIR.
allowed="^$work/full/"
if [ "$(cache_get CMAKE_INSTALL_PREFIX)" = /usr ]; then
	allowed="$allowed|^$(cache_get SUPKIT_SYSCONF_DIR)/|^$(cache_get SUPKIT_SYSTEMD_UNIT_DIR)/"
fi
outside=$(grep -Ev "$allowed" "$build/install_manifest.txt" || true)
if [ -n "$outside" ]; then
	echo "$0: cmake --install --prefix wrote outside the prefix:" >&2
	echo "$outside" >&2
	exit 1
fi
for f in bin/sup sbin/supd include/sup/plugin.h share/man/man1/sup.1; do
	[ -f "$full/$f" ] || { echo "$0: '$f' was not installed under the prefix" >&2; exit 1; }
done
if [ "$(cache_get CMAKE_INSTALL_PREFIX)" != /usr ]; then
	for f in etc/supkit/sup.conf lib/systemd/system/supkit-resume.service; do
		[ -f "$full/$f" ] || { echo "$0: '$f' was not installed under the prefix" >&2; exit 1; }
	done
fi

echo "== install the SDK alone into $work/sdk"
cmake -S "$src/sdk" -B "$work/sdk-build" -DCMAKE_C_COMPILER="$cc" >/dev/null
cmake --install "$work/sdk-build" --prefix "$work/sdk" >/dev/null
if find "$work/sdk" -type f | grep -q -e '/bin/' -e '\.so$'; then
	echo "$0: the SDK installed more than the SDK" >&2
	exit 1
fi

# build_against PREFIX: the example, with CMake and with pkg-config alone,
# from an environment that knows nothing but PREFIX.
build_against() {
	p=$1
	b=$work/build-$(basename "$p")
	echo "== build the example with CMake against $p"
	env -i PATH="$PATH" HOME="$work" cmake -S "$example" -B "$b" \
		-DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_COMPILER="$cc" \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Werror" >/dev/null
	env -i PATH="$PATH" HOME="$work" cmake --build "$b" >/dev/null
	# The package must have come from PREFIX, not from a supkit
	# installed on this system.
	found=$(sed -n 's/^supkit-sdk_DIR:[A-Z]*=//p' "$b/CMakeCache.txt")
	case $found in
	"$p"/*) ;;
	*)
		echo "$0: find_package used '$found', not the SDK in $p" >&2
		exit 1
		;;
	esac
	echo "== build the example with pkg-config alone against $p"
	pcdir=$(dirname "$(find "$p" -name supkit-sdk.pc -print | head -n 1)")
	[ -f "$pcdir/supkit-sdk.pc" ] || { echo "$0: supkit-sdk.pc was not installed in $p" >&2; exit 1; }
	cflags=$(env -i PATH="$PATH" PKG_CONFIG_PATH="$pcdir" pkg-config --cflags supkit-sdk)
	libs=$(env -i PATH="$PATH" PKG_CONFIG_PATH="$pcdir" pkg-config --libs supkit-sdk)
	plugindir=$(env -i PATH="$PATH" PKG_CONFIG_PATH="$pcdir" pkg-config --variable=plugindir supkit-sdk)
	case $cflags in
	*"-I$p/"*) ;;
	*)
		echo "$0: pkg-config cflags '$cflags' do not point into $p" >&2
		exit 1
		;;
	esac
	case $plugindir in
	"$p"/*) ;;
	*)
		echo "$0: pkg-config plugindir '$plugindir' is not in $p" >&2
		exit 1
		;;
	esac
	mkdir -p "$b/pc"
	# shellcheck disable=SC2086 # the flags are word lists
	"$cc" -std=c11 -O2 -Wall -Wextra -Werror $cflags \
		-o "$b/pc/marker.so" "$example/marker.c" $libs
}
build_against "$full"
build_against "$work/sdk"

# Both builds export sup_plugin_entry and nothing else.
if command -v nm >/dev/null 2>&1; then
	for so in "$work"/build-*/marker.so "$work"/build-*/pc/marker.so; do
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
cp "$work/build-sdk/marker.so" "$out/.marker.so.tmp"
chmod 0644 "$out/.marker.so.tmp"
mv -f "$out/.marker.so.tmp" "$out/marker.so"
echo "sdk example: ok"
