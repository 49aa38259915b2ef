#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-compressed.sh - `sup install` of one package of N payloads, plain
# and compressed as a whole with gzip, xz and zstd, timed in the same run;
# prints medians and each time's ratio to the plain package's.
#
#   scripts/bench-compressed.sh [--payloads N] [--kib K] [--runs R]
#                               [--build-dir DIR] [--sup PATH] [--max-extra X]
#
# Defaults: 100 payloads of 1350 KiB (the case of issue 8: 3.6 s plain,
# 31.5 s gzip, 241 s xz when every payload decompressed the file again from
# its start), 3 runs. --build-dir: the build to use (default build/, made by
# scripts/setup.sh); --sup: another sup binary (an older build, to compare).
# Payloads are base64 text of random bytes (they compress to about 75 %).
# The package is signed (the test PKI, tests/pki/mkpki.sh); every run
# installs it into a fresh root.
#
# Also timed: decompressing each file with its own tool (gzip -d, xz -d,
# zstd -d to /dev/null), the floor of what a compressed package must cost
# more than the plain one. A compressed SUP is decompressed once, so its
# install costs about one decompression more, not one per payload: exits 1
# if, for one of them, (install - plain install) > X x the tool's time
# (--max-extra X, default 2.0).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
n=100
kib=1350
runs=3
build=""
sup=""
max_extra=2.0
while [ $# -gt 0 ]; do
	case "$1" in
	--payloads) n=$2; shift ;;
	--kib) kib=$2; shift ;;
	--runs) runs=$2; shift ;;
	--build-dir) build=$2; shift ;;
	--sup) sup=$2; shift ;;
	--max-extra) max_extra=$2; shift ;;
	-h|--help) sed -n '3,23p' "$0"; exit 0 ;;
	*) echo "bench-compressed: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$build" ]; then
	"$here/scripts/setup.sh" >/dev/null
	build=$here/build
fi
build=$(cd "$build" && pwd)
sup=${sup:-$build/core/sup}
plugins=$build/plugins-out
for t in gzip xz zstd; do
	command -v "$t" >/dev/null || { echo "bench-compressed: needs $t" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-bench-compressed.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/payloads"
bytes=$((kib * 1024))
{
	printf '{"sup_format": 1, "package": {"name": "bench-compressed", "version": "1"},\n "actions": ['
	for ((i = 0; i < n; i++)); do
		name=$(printf 'p%04d' "$i")
		head -c $((bytes * 3 / 4 + 3)) /dev/urandom | base64 -w0 | head -c "$bytes" \
			>"$work/payloads/$name"
		[ "$i" -eq 0 ] || printf ','
		printf '\n  {"id": "%s", "type": "file.install", "params": {"path": "/data/%s"}, "payloads": ["%s"]}' \
			"$name" "$name" "$name"
	done
	printf ']}\n'
} >"$work/manifest.json"
pki=$work/pki
bash "$here/tests/pki/mkpki.sh" "$pki" >/dev/null
"$sup" pack -m "$work/manifest.json" -C "$work/payloads" -o "$work/plain.sup" \
	--key "$pki/signer-ec256.key" --cert "$pki/signer-ec256.pem" \
	--chain "$pki/chain.pem" 2>/dev/null
rm -rf "$work/payloads"
gzip -6 -c "$work/plain.sup" >"$work/gzip.sup"
xz -6 -T1 -c "$work/plain.sup" >"$work/xz.sup"
zstd -q -3 -c "$work/plain.sup" >"$work/zstd.sup"

# one KIND: one install of KIND.sup into a fresh root; prints seconds.
one() {
	local root=$work/root t0 t1
	rm -rf "$root"
	mkdir -p "$root"
	t0=$(date +%s%N)
	if ! "$sup" install "$work/$1.sup" --root "$root" \
		--keyring "$pki/keyring.pem" --plugin-dir "$plugins" -q \
		>"$work/out" 2>&1; then
		echo "bench-compressed: install of $1.sup failed:" >&2
		cat "$work/out" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

# tool KIND: one decompression of KIND.sup by its own tool; prints seconds.
tool() {
	local t0 t1
	t0=$(date +%s%N)
	case "$1" in
	gzip) gzip -dc "$work/gzip.sup" >/dev/null ;;
	xz) xz -dc -T1 "$work/xz.sup" >/dev/null ;;
	zstd) zstd -dcq "$work/zstd.sup" >/dev/null ;;
	esac
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

# Runs interleaved, so that a slow phase of the machine hits every kind.
for ((i = 0; i < runs; i++)); do
	for kind in plain gzip xz zstd; do
		one "$kind" >>"$work/$kind.times"
		[ "$kind" = plain ] || tool "$kind" >>"$work/$kind.tool"
	done
done
med() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
declare -A secs dec
for kind in plain gzip xz zstd; do
	secs[$kind]=$(med "$work/$kind.times")
	[ "$kind" = plain ] || dec[$kind]=$(med "$work/$kind.tool")
done

echo "sup install of $n payloads of $kib KiB, median of $runs runs ($sup)"
printf '%-8s %12s %9s %8s %12s %14s\n' package bytes seconds "x plain" "tool -d (s)" "extra / tool"
status=0
for kind in plain gzip xz zstd; do
	ratio=$(awk -v a="${secs[$kind]}" -v b="${secs[plain]}" 'BEGIN { printf "%.2f", a / b }')
	if [ "$kind" = plain ]; then
		printf '%-8s %12d %9s %8s %12s %14s\n' "$kind" "$(stat -c %s "$work/$kind.sup")" \
			"${secs[$kind]}" "$ratio" - -
		continue
	fi
	extra=$(awk -v a="${secs[$kind]}" -v b="${secs[plain]}" -v t="${dec[$kind]}" \
		'BEGIN { printf "%.2f", (a - b) / (t > 0.001 ? t : 0.001) }')
	printf '%-8s %12d %9s %8s %12s %14s\n' "$kind" "$(stat -c %s "$work/$kind.sup")" \
		"${secs[$kind]}" "$ratio" "${dec[$kind]}" "$extra"
	awk -v r="$extra" -v m="$max_extra" 'BEGIN { exit !(r > m) }' && status=1
done
[ "$status" = 0 ] ||
	echo "bench-compressed: a compressed package cost more than $max_extra x its decompression over the plain one" >&2
exit "$status"
