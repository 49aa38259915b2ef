#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-growth.sh - does the cost of an install grow linearly? `sup install`
# of packages of N payloads (N = 1, 4, 16, 64, 256, 1024 file.install
# actions of K KiB each), plain and compressed as a whole with gzip, xz and
# zstd, and `sup install --dry-run` (preflight alone) of the same
# packages; prints the median time per payload for each N and its ratio to
# the smallest per-payload cost measured at N >= 16 in the same run.
#
#   scripts/bench-growth.sh [--kib K] [--runs R] [--max N] [--build-dir DIR]
#                           [--formats LIST] [--target DIR]
#
# Defaults: K = 16, R = 3, N up to 1024, formats "plain gzip xz zstd",
# targets under $TMPDIR (a tmpfs makes the numbers about the installer,
# not the disk: --target DIR on one). Packages are signed with a
# throw-away test PKI (tests/pki/mkpki.sh). The build is DIR (default
# build/, made by scripts/setup.sh).
#
# Targets (issue 10): for every format, the time per payload at the
# largest N is at most 1.5x the smallest per-payload time at N >= 16
# (linear growth; small N carry the fixed start-up cost), and the dry run
# of the largest package takes under 1 s. Exits 1 when one is missed, 2 on
# a setup problem.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
kib=16
runs=3
max=1024
build=""
formats="plain gzip xz zstd"
target=""
while [ $# -gt 0 ]; do
	case "$1" in
	--kib) kib=${2:?--kib needs a number}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--max) max=${2:?--max needs a number}; shift ;;
	--build-dir) build=${2:?--build-dir needs a directory}; shift ;;
	--formats) formats=${2:?--formats needs a list}; shift ;;
	--target) target=${2:?--target needs a directory}; shift ;;
	-h|--help) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-growth: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$build" ]; then
	"$here/scripts/setup.sh" >/dev/null
	build=$here/build
fi
sup=$build/core/sup
plugins=$build/plugins-out
[ -x "$sup" ] || { echo "bench-growth: no sup in '$build'" >&2; exit 2; }
for tool in python3 gzip xz zstd; do
	command -v "$tool" >/dev/null ||
		{ echo "bench-growth: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-growth.XXXXXX")
trap 'rm -rf "$work"' EXIT
roots=${target:-$work}/roots.$$
trap 'rm -rf "$work" "$roots"' EXIT
pki=$work/pki
bash "$here/tests/pki/mkpki.sh" "$pki" >/dev/null
sign=(--key "$pki/signer-ec256.key" --cert "$pki/signer-ec256.pem"
	--chain "$pki/chain.pem")

sizes=()
for n in 1 4 16 64 256 1024 4096; do
	[ "$n" -le "$max" ] && sizes+=("$n")
done

# make_pkg N: $work/N.sup (and its compressed forms) of N payloads.
make_pkg() {
	local n=$1 d=$work/src-$1
	mkdir -p "$d"
	python3 - "$d" "$n" "$kib" <<'PY'
import json, os, sys
d, n, kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
acts = []
for i in range(n):
    with open(os.path.join(d, "p%05d" % i), "wb") as f:
        f.write(os.urandom(kib * 1024))
    acts.append({"id": "a%05d" % i, "type": "file.install",
                 "params": {"path": "/data/p%05d" % i},
                 "payloads": ["p%05d" % i]})
json.dump({"sup_format": 1, "package": {"name": "growth", "version": "1"},
           "actions": acts}, open(os.path.join(d, "manifest.json"), "w"))
PY
	"$sup" pack -m "$d/manifest.json" -C "$d" -o "$work/$n.plain" \
		"${sign[@]}" 2>/dev/null
	gzip -c "$work/$n.plain" >"$work/$n.gzip"
	xz -T1 -c "$work/$n.plain" >"$work/$n.xz"
	zstd -q -c "$work/$n.plain" >"$work/$n.zstd"
	rm -rf "$d"
}

# median_time CMD...: the median wall time in seconds of $runs runs, each
# into a fresh root ($roots/r).
median_time() {
	local t0 t1 i times=()
	for ((i = 0; i < runs; i++)); do
		rm -rf "$roots/r"
		mkdir -p "$roots/r"
		t0=$(date +%s%N)
		"$@" >/dev/null 2>"$work/err" ||
			{ echo "bench-growth: failed: $*" >&2; cat "$work/err" >&2; exit 2; }
		t1=$(date +%s%N)
		times+=("$(((t1 - t0) / 1000))")
	done
	printf '%s\n' "${times[@]}" | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.4f\n", a[int((NR + 1) / 2)] / 1e6 }'
}

echo "bench-growth: $kib KiB per payload, $runs runs, median; targets in ${target:-$TMPDIR (default)}"
for n in "${sizes[@]}"; do
	make_pkg "$n"
done
fail=0
printf '\n| format | N | install s | per payload ms | ratio | dry run s |\n|---|---|---|---|---|---|\n'
for fmt in $formats; do
	best=""
	rows=()
	for n in "${sizes[@]}"; do
		pkg=$work/$n.$fmt
		t=$(median_time "$sup" install "$pkg" --root "$roots/r" \
			--plugin-dir "$plugins" --keyring "$pki/keyring.pem" -q)
		dry=$(median_time "$sup" install "$pkg" --dry-run --root "$roots/r" \
			--plugin-dir "$plugins" --keyring "$pki/keyring.pem" -q)
		per=$(awk -v t="$t" -v n="$n" 'BEGIN { printf "%.3f", t * 1000 / n }')
		if [ "$n" -ge 16 ] && { [ -z "$best" ] ||
			awk -v a="$per" -v b="$best" 'BEGIN { exit !(a < b) }'; }; then
			best=$per
		fi
		rows+=("$n $t $per $dry")
	done
	for r in "${rows[@]}"; do
		read -r n t per dry <<<"$r"
		ratio=$(awk -v a="$per" -v b="${best:-$per}" 'BEGIN { printf "%.2f", a / b }')
		printf '| %s | %s | %s | %s | %s | %s |\n' "$fmt" "$n" "$t" "$per" "$ratio" "$dry"
	done
	read -r n t per dry <<<"${rows[-1]}"
	if [ -n "$best" ] && awk -v a="$per" -v b="$best" 'BEGIN { exit !(a > 1.5 * b) }'; then
		echo "bench-growth: $fmt: $per ms per payload at N = $n, more than 1.5 x $best ms" >&2
		fail=1
	fi
	if awk -v d="$dry" 'BEGIN { exit !(d >= 1) }'; then
		echo "bench-growth: $fmt: the dry run of $n payloads took $dry s (target < 1 s)" >&2
		fail=1
	fi
done
exit "$fail"
