#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-rss.sh - peak memory and time of `sup install` for a 1 MiB and a
# 1 GiB payload, against a plain-tool baseline measured in the same run.
#
#   scripts/bench-rss.sh [--big-mib N] [--build-dir DIR]
#
# N defaults to 1024. DIR is a build tree to measure (default: build/,
# made or refreshed by scripts/setup.sh). Packages are signed with a
# throw-away test PKI (tests/pki/mkpki.sh) and installed with its keyring.
# Also prints how many shared libraries sup maps (ldd).
#
# Target (issue #2): peak RSS for the two payload sizes differs by less than
# 2 MiB, i.e. payloads are streamed, never buffered. Exits 1 if not.
# Baseline: `openssl dgst -sha256` then `cp` + `sync` of the same file (the
# least any verified install must do: read, hash, write, flush).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
big_mib=1024
build=""
while [ $# -gt 0 ]; do
	case "$1" in
	--big-mib) big_mib=${2:?--big-mib needs a number}; shift ;;
	--build-dir) build=${2:?--build-dir needs a directory}; shift ;;
	*) echo "bench: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

if [ -z "$build" ]; then
	"$here/scripts/setup.sh" >/dev/null
	build=$here/build
fi
if [ ! -x /usr/bin/time ]; then
	[ "$(id -u)" = 0 ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null

sup=$build/core/sup
plugins=$build/plugins-out
[ -x "$sup" ] || { echo "bench: no sup in '$build'" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
pki=$work/pki
bash "$here/tests/pki/mkpki.sh" "$pki" >/dev/null
sign=(--key "$pki/signer-ec256.key" --cert "$pki/signer-ec256.pem"
	--chain "$pki/chain.pem")
echo "shared libraries mapped by sup: $(ldd "$sup" | wc -l)"

# measure NAME CMD... -> prints "NAME <max_rss_kib> <seconds>"
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%M %e' -o "$work/time.out" "$@" >/dev/null 2>"$work/$name.err" ||
		{ echo "bench: '$name' failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
	echo "$name $(cat "$work/time.out")"
}

run_size() {
	local label=$1 mib=$2 d=$work/$1
	mkdir -p "$d/payloads" "$d/root"
	head -c $((mib * 1024 * 1024)) /dev/urandom >"$d/payloads/blob.bin"
	cat >"$d/manifest.json" <<JSON
{"sup_format": 1, "package": {"name": "bench", "version": "1"},
 "actions": [{"id": "blob", "type": "file.install",
   "params": {"path": "/data/blob.bin"}, "payloads": ["blob.bin"]}]}
JSON
	"$sup" pack -m "$d/manifest.json" -C "$d/payloads" -o "$d/bench.sup" \
		"${sign[@]}" 2>/dev/null
	sync
	measure "baseline-$label" sh -c "openssl dgst -sha256 '$d/payloads/blob.bin' && cp '$d/payloads/blob.bin' '$d/copy.bin' && sync '$d/copy.bin'"
	measure "sup-$label" "$sup" install "$d/bench.sup" --root "$d/root" \
		--plugin-dir "$plugins" --keyring "$pki/keyring.pem" -q
	cmp "$d/payloads/blob.bin" "$d/root/data/blob.bin"
	rm -f "$d/payloads/blob.bin" "$d/copy.bin" "$d/root/data/blob.bin"
}

{
	run_size small 1
	run_size big "$big_mib"
} | tee "$work/results"

awk -v big="$big_mib" '
	{ rss[$1] = $2; t[$1] = $3 }
	END {
		d = (rss["sup-big"] - rss["sup-small"]) / 1024
		printf "peak RSS of sup install: %.1f MiB (1 MiB payload), %.1f MiB (%d MiB payload), difference %.2f MiB (target < 2 MiB)\n", rss["sup-small"] / 1024, rss["sup-big"] / 1024, big, d
		if (t["baseline-big"] > 0)
			printf "time for %d MiB: sup %.2f s, baseline (sha256 + cp + sync) %.2f s, ratio %.2f\n", big, t["sup-big"], t["baseline-big"], t["sup-big"] / t["baseline-big"]
		printf "peak RSS ratio sup/baseline (%d MiB): %.2f\n", big, rss["sup-big"] / rss["baseline-big"]
		exit (d < 2 && d > -2) ? 0 : 1
	}' "$work/results"
