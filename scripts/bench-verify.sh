#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-verify.sh - what a signature costs: `sup verify` of a large signed
# package against the preflight of the same package unsigned, and against
# the floor (reading and hashing the file once), measured in the same run.
#
#   scripts/bench-verify.sh [--mib N] [--runs K]     (default N = 1024, K = 5)
#
# Target (issue 7): verifying a signed 1 GiB package costs no more than the
# preflight did before signatures (the signature is over the small
# manifest only). Prints medians and ratios; exits 1 if verify is more
# than 10 % slower than the unsigned preflight. With RAUC installed
# (Debian package rauc, and squashfs-tools), `rauc info` of a bundle of
# the same payload is measured too, as a peer.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mib=1024
runs=5
while [ $# -gt 0 ]; do
	case "$1" in
	--mib) mib=$2; shift ;;
	--runs) runs=$2; shift ;;
	-h|--help) sed -n '3,14p' "$0"; exit 0 ;;
	*) echo "bench-verify: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

"$here/scripts/setup.sh" >/dev/null
sup=$here/build/core/sup
plugins=$here/build/plugins-out
work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-bench-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT
pki=$work/pki
bash "$here/tests/pki/mkpki.sh" "$pki"

mkdir -p "$work/payloads" "$work/root"
head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/payloads/blob.bin"
cat >"$work/manifest.json" <<'JSON'
{"sup_format": 1, "package": {"name": "bench", "version": "1"},
 "actions": [{"id": "blob", "type": "file.install",
   "params": {"path": "/data/blob.bin"}, "payloads": ["blob.bin"]}]}
JSON
"$sup" pack -m "$work/manifest.json" -C "$work/payloads" -o "$work/signed.sup" \
	--key "$pki/signer-ec256.key" --cert "$pki/signer-ec256.pem" --chain "$pki/chain.pem" 2>/dev/null
"$sup" pack -m "$work/manifest.json" -C "$work/payloads" -o "$work/unsigned.sup" 2>/dev/null
rm -f "$work/payloads/blob.bin"
cat >"$work/unsigned.conf" <<'CONF'
[trust]
allow_unsigned = true
CONF

# median CMD...: run CMD $runs times (after one warm-up), print the median
# wall time in seconds.
median() {
	local t0 t1 i
	"$@" >/dev/null 2>&1 || { echo "bench-verify: failed: $*" >&2; "$@"; exit 1; }
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f\n", v[int((NR + 1) / 2)] / 1e6 }'
}

floor=$(median openssl dgst -sha256 "$work/signed.sup")
verify=$(median "$sup" verify -q "$work/signed.sup" --keyring "$pki/keyring.pem")
signed_pf=$(median "$sup" install "$work/signed.sup" --root "$work/root" \
	--keyring "$pki/keyring.pem" --plugin-dir "$plugins" --dry-run -q)
unsigned_pf=$(median "$sup" install "$work/unsigned.sup" --root "$work/root" \
	--config "$work/unsigned.conf" --keyring "$pki/keyring.pem" \
	--plugin-dir "$plugins" --dry-run -q)
rauc_t=""
if command -v rauc >/dev/null && command -v mksquashfs >/dev/null; then
	mkdir -p "$work/rauc-in"
	head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/rauc-in/rootfs.img"
	cat >"$work/rauc-in/manifest.raucm" <<'RAUCM'
[update]
compatible=bench
version=1
[image.rootfs]
filename=rootfs.img
RAUCM
	if rauc bundle --cert "$pki/signer-ec256.pem" --key "$pki/signer-ec256.key" \
		--intermediate "$pki/chain.pem" "$work/rauc-in" "$work/bench.raucb" >/dev/null 2>&1; then
		rm -f "$work/rauc-in/rootfs.img"
		rauc_t=$(median rauc info --keyring "$pki/keyring.pem" "$work/bench.raucb")
	fi
fi

echo "package: $mib MiB payload, signed with ECDSA P-256 through an intermediate; median of $runs runs"
printf "%-44s %8s s\n" "floor: openssl dgst -sha256 of the file" "$floor"
printf "%-44s %8s s\n" "sup verify (signature + every payload)" "$verify"
printf "%-44s %8s s\n" "sup install --dry-run, signed" "$signed_pf"
printf "%-44s %8s s\n" "sup install --dry-run, unsigned (as before)" "$unsigned_pf"
[ -n "$rauc_t" ] && printf "%-44s %8s s\n" "peer: rauc info (plain bundle)" "$rauc_t"
awk -v f="$floor" -v v="$verify" -v s="$signed_pf" -v u="$unsigned_pf" -v r="$rauc_t" 'BEGIN {
	printf "ratio verify / floor:              %.2f\n", v / f
	printf "ratio verify / unsigned preflight: %.2f (target <= 1.10)\n", v / u
	printf "ratio signed / unsigned preflight: %.2f\n", s / u
	if (r != "")
		printf "ratio verify / rauc info:          %.2f\n", v / r
	exit (v <= u * 1.10) ? 0 : 1
}'
