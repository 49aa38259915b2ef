#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh - a verified install against the floor and its peers (issue 10):
# the same payloads installed by plain tools (the floor), by `sup install`
# and by SWUpdate, RAUC and Mender when they are installed, on one file
# system, in one run; prints a markdown table of medians, each time's ratio
# to the floor measured in the same run, and peak RSS.
#
#   sudo scripts/bench.sh [--fs tmpfs|ext4loop|disk] [--runs N]
#                         [--build-dir DIR] [--no-peers] [--only REGEX]
#
# Rows:
#   (a) one 200 MiB file. Floor: tee DST < SRC | openssl dgst -sha256, then
#       sync DST (one pass). supkit: a signed SUP with one file.install.
#   (b) 2000 small files (20 directories, 256 B to 16 KiB of base64 text),
#       a 12.5 MB tar.gz. Floor: openssl dgst -sha256, bsdtar -xf, sync -f.
#       supkit: a signed SUP with one file.extract.
#   (c) peak RSS of `sup install` of a 1 MiB and of a 1 GiB file (one run
#       each, /usr/bin/time -f %M), beside the floor of (a) for that file.
# Peers, each skipped (and said so) when its tool is missing or --no-peers:
#   SWUpdate (swupdate -i of a signed .swu, rawfile and archive handlers,
#   staged and installed-directly; timed to its "SWUPDATE successful" log
#   line and to its exit: the -i client polls its daemon with sleep(1)),
#   RAUC (plain bundles into file-backed raw and ext4 slots, a private
#   D-Bus; peak RSS of client and service), Mender (single-file and
#   directory update modules, signed artifacts, in a private mount
#   namespace so that /etc/mender stays untouched). Debian packages:
#   apt-get install swupdate rauc mender-client mender-artifact hyperfine
#   squashfs-tools cpio libarchive-tools time
# The way each peer is driven without hardware follows the recipe
# ../shared/bench/peers.sh. Every tool's result is checked (cmp, diff -r)
# once before it is timed.
#
# --fs: where the targets live. tmpfs: a tmpfs of 3 GiB (default);
# ext4loop: a fresh ext4 (mkfs.ext4 defaults) in a 4 GiB loop image;
# disk: the file system of TMPDIR. Sources and packages are under TMPDIR.
# --runs: timed runs per entry (default 10, plus one warm-up), median.
# --build-dir: the build to measure (default build/, made or refreshed by
# scripts/setup.sh). --only: measure only the entries whose name matches
# (a.floor a.supkit a.swupdate-staged a.swupdate-direct a.rauc a.mender,
# the same with b., c.floor c.supkit); the floor of a row is measured
# whenever another entry of the row is. Times come from hyperfine when it
# is installed, else from a loop of this script (median of N).
#
# Needs root (mounts, loop devices, RAUC, Mender). Exits 1 when a target of
# issue 10 is missed: supkit <= 1.25x the floor for (a) and (b) and faster
# than every peer measured (SWUpdate to success), peak RSS <= 6 MiB for (c);
# also when supkit's install fails or installs something else. Exits 2 on
# setup problems. No test of the suite times anything; this script does.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
fs=tmpfs
runs=10
build=""
peers=1
only=.
while [ $# -gt 0 ]; do
	case "$1" in
	--fs) fs=${2:?--fs needs tmpfs, ext4loop or disk}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--build-dir) build=${2:?--build-dir needs a directory}; shift ;;
	--no-peers) peers=0 ;;
	--only) only=${2:?--only needs a regular expression}; shift ;;
	-h|--help) sed -n '3,49p' "$0"; exit 0 ;;
	*) echo "bench: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
case "$fs" in
tmpfs|ext4loop|disk) ;;
*) echo "bench: --fs must be tmpfs, ext4loop or disk, not '$fs'" >&2; exit 2 ;;
esac
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs must be a positive number" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (it mounts a tmpfs or an ext4 image, RAUC loop-mounts its bundles, Mender runs in a mount namespace); run it with sudo" >&2
	exit 2
fi

if [ -z "$build" ]; then
	"$here/scripts/setup.sh" >/dev/null
	build=$here/build
fi
[ -d "$build" ] || { echo "bench: no build directory '$build'" >&2; exit 2; }
build=$(cd "$build" && pwd)
sup=$build/core/sup
plugins=$build/plugins-out
[ -x "$sup" ] || { echo "bench: no sup in '$build' (build it first)" >&2; exit 2; }
[ -d "$plugins" ] || { echo "bench: no plugins-out/ in '$build'" >&2; exit 2; }
for t in openssl bsdtar python3 cmp diff tee sync mount umount; do
	command -v "$t" >/dev/null ||
		{ echo "bench: needs $t (apt-get install openssl libarchive-tools python3 diffutils)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[ "$fs" != ext4loop ] || command -v mkfs.ext4 >/dev/null ||
	{ echo "bench: --fs ext4loop needs mkfs.ext4 (apt-get install e2fsprogs)" >&2; exit 2; }
hyperfine=""
command -v hyperfine >/dev/null && hyperfine=hyperfine

# want NAME: the entry NAME is selected by --only (a floor: when any entry
# of its row is).
want() {
	local name=$1 row=${1%%.*} e
	if [ "${name#*.}" = floor ]; then
		for e in supkit swupdate-staged swupdate-direct rauc mender; do
			[[ $row.$e =~ $only ]] && return 0
		done
	fi
	[[ $name =~ $only ]]
}
dpkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed 's/[+~-].*//' || true
}

# ---------------------------------------------------------------- work tree
work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-bench.XXXXXX")
[[ $work =~ ^[A-Za-z0-9/._-]+$ ]] ||
	{ echo "bench: TMPDIR '$work' has characters this script does not quote" >&2; rm -rf "$work"; exit 2; }
src=$work/src          # payloads, on TMPDIR's file system
pkg=$work/pkg          # packages of every tool
res=$work/res          # timings
mnt=$work/mnt          # the file system under test
rauc_pid=""
dbus_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	if [ -n "$rauc_pid" ]; then kill "$rauc_pid" 2>/dev/null || true; wait "$rauc_pid" 2>/dev/null || true; fi
	if [ -n "$dbus_pid" ]; then kill "$dbus_pid" 2>/dev/null || true; wait "$dbus_pid" 2>/dev/null || true; fi
	if mountpoint -q "$mnt/rauc/chk" 2>/dev/null; then umount "$mnt/rauc/chk" || true; fi
	if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" || umount -l "$mnt" || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
mkdir -p "$src" "$pkg" "$res" "$mnt"
sync_prep=" && sync"
case "$fs" in
tmpfs)
	mount -t tmpfs -o size=3G,mode=0755 tmpfs "$mnt" ||
		{ echo "bench: cannot mount a tmpfs on $mnt" >&2; exit 2; }
	sync_prep="" ;;
ext4loop)
	truncate -s 4G "$work/ext4.img"
	mkfs.ext4 -q -F "$work/ext4.img"
	mount -o loop "$work/ext4.img" "$mnt" ||
		{ echo "bench: cannot loop-mount $work/ext4.img (loop devices?)" >&2; exit 2; }
	;;
disk) ;;
esac
dst=$mnt/dst           # every tool installs below here
swtmp=$mnt/swtmp       # SWUpdate's TMPDIR (sockets, staged copies)
rw=$mnt/rauc           # RAUC slots, data, mount prefix
mw=$mnt/mender         # Mender's data and configuration
mkdir -p "$dst" "$swtmp" "$rw" "$mw"
log() { printf '=== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- peers
declare -A skip        # peer -> why its rows are skipped
if [ "$peers" = 0 ]; then
	skip[swupdate]="--no-peers"; skip[rauc]="--no-peers"; skip[mender]="--no-peers"
else
	command -v swupdate >/dev/null || skip[swupdate]="swupdate not installed"
	for t in rauc mksquashfs dbus-daemon; do
		[ -n "${skip[rauc]:-}" ] || command -v "$t" >/dev/null || skip[rauc]="$t not installed"
	done
	for t in mender mender-artifact unshare; do
		[ -n "${skip[mender]:-}" ] || command -v "$t" >/dev/null || skip[mender]="$t not installed"
	done
	[ -n "${skip[mender]:-}" ] || [ -d /etc/mender ] || skip[mender]="no /etc/mender to bind over"
	[ -n "${skip[mender]:-}" ] || [ -d /usr/share/mender/modules/v3 ] || skip[mender]="no Mender update modules"
	[ -n "${skip[swupdate]:-}" ] || command -v cpio >/dev/null || skip[swupdate]="cpio not installed"
fi
for p in swupdate rauc mender; do
	[ -z "${skip[$p]:-}" ] || log "$p: skipped (${skip[$p]})"
done
has() { [ -z "${skip[$1]:-}" ]; }

# ---------------------------------------------------------------- payloads
# Deterministic: the same bytes on every run and machine.
log "payloads"
openssl enc -aes-256-ctr -pass pass:bench-seed -nosalt -pbkdf2 -in /dev/zero 2>/dev/null |
	head -c 209715200 >"$src/big.bin" || true   # openssl dies of SIGPIPE
[ "$(stat -c %s "$src/big.bin")" = 209715200 ] || { echo "bench: could not make the 200 MiB payload" >&2; exit 2; }
python3 - "$src/tree" <<'PY'
import base64, os, random, sys
root = sys.argv[1]; rng = random.Random(12345); n = 0
for d in range(20):
    dd = os.path.join(root, "d%02d" % d); os.makedirs(dd, exist_ok=True)
    for f in range(100):
        size = rng.randint(256, 16384)
        data = base64.b64encode(rng.randbytes((size * 3) // 4 + 3))[:size]
        with open(os.path.join(dd, "f%04d.txt" % n), "wb") as fh:
            fh.write(data)
        n += 1
PY
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$src/small.tar.gz" -C "$src/tree" .
big_sha=$(openssl dgst -sha256 -r "$src/big.bin" | cut -d' ' -f1)
tgz_sha=$(openssl dgst -sha256 -r "$src/small.tar.gz" | cut -d' ' -f1)

# ---------------------------------------------------------------- supkit packages
log "supkit: signed packages ($sup)"
bash "$here/tests/pki/mkpki.sh" "$work/pki" >/dev/null
sign=(--key "$work/pki/signer-ec256.key" --cert "$work/pki/signer-ec256.pem"
	--chain "$work/pki/chain.pem")
mkdir -p "$pkg/sup-raw" "$pkg/sup-arch"
ln "$src/big.bin" "$pkg/sup-raw/big.bin"
ln "$src/small.tar.gz" "$pkg/sup-arch/small.tar.gz"
printf '{"sup_format": 1, "package": {"name": "bench-raw", "version": "1"},\n "actions": [{"id": "big", "type": "file.install", "params": {"path": "/big.bin"}, "payloads": ["big.bin"]}]}\n' \
	>"$pkg/sup-raw.json"
printf '{"sup_format": 1, "package": {"name": "bench-arch", "version": "1"},\n "actions": [{"id": "tree", "type": "file.extract", "params": {"path": "/tree"}, "payloads": ["small.tar.gz"]}]}\n' \
	>"$pkg/sup-arch.json"
for k in raw arch; do
	"$sup" pack -m "$pkg/sup-$k.json" -C "$pkg/sup-$k" -o "$pkg/$k.sup" "${sign[@]}" >"$res/pack.err" 2>&1 ||
		{ echo "bench: sup pack of $k.sup failed:" >&2; cat "$res/pack.err" >&2; exit 2; }
done
supi="$sup install --root $dst --plugin-dir $plugins --keyring $work/pki/keyring.pem -q"

# ---------------------------------------------------------------- SWUpdate packages
# .swu: cpio newc with CRC, sw-description, its CMS signature, the payload.
if has swupdate; then
	log "SWUpdate: signed .swu packages"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/rsa.key" -out "$work/rsa.pem" \
		-days 3650 -subj "/CN=supkit-bench" 2>/dev/null
	mkswu() { # OUT DESCRIPTION PAYLOAD
		local w=$pkg/swu.d
		rm -rf "$w"; mkdir -p "$w"
		cp "$2" "$w/sw-description"
		openssl cms -sign -in "$w/sw-description" -out "$w/sw-description.sig" \
			-signer "$work/rsa.pem" -inkey "$work/rsa.key" -outform DER -nosmimecap -binary
		ln -s "$3" "$w/$(basename "$3")"
		(cd "$w" && printf '%s\n' sw-description sw-description.sig "$(basename "$3")" |
			cpio -o -L -H crc --quiet) >"$1"
		rm -rf "$w"
	}
	for mode in staged direct; do
		direct=""
		[ "$mode" = staged ] || direct=$'\n\t\t\tinstalled-directly = true;'
		cat >"$pkg/raw-$mode.desc" <<EOF
software =
{
	version = "1.0.0";
	hardware-compatibility = [ "1.0" ];
	files: (
		{
			filename = "big.bin";
			type = "rawfile";
			path = "$dst/big.bin";
			sha256 = "$big_sha";$direct
		}
	);
}
EOF
		cat >"$pkg/archive-$mode.desc" <<EOF
software =
{
	version = "1.0.0";
	hardware-compatibility = [ "1.0" ];
	files: (
		{
			filename = "small.tar.gz";
			type = "archive";
			path = "$dst/tree";
			properties: { create-destination = "true"; };
			sha256 = "$tgz_sha";$direct
		}
	);
}
EOF
		want "a.swupdate-$mode" && mkswu "$pkg/raw-$mode.swu" "$pkg/raw-$mode.desc" "$src/big.bin"
		want "b.swupdate-$mode" && mkswu "$pkg/archive-$mode.swu" "$pkg/archive-$mode.desc" "$src/small.tar.gz"
	done
	# -H board:revision stands for /etc/hwrevision; bootloader "none".
	swu="env TMPDIR=$swtmp/ swupdate -l 3 -H bench:1.0 -k $work/rsa.pem -i"
fi

# ---------------------------------------------------------------- RAUC
bus=$work/bus.sock
rauc_env="env DBUS_STARTER_BUS_TYPE=session DBUS_SESSION_BUS_ADDRESS=unix:path=$bus"
rauc_start() {
	$rauc_env rauc service --conf="$rw/system.conf" --override-boot-slot=A >"$res/rauc-service.log" 2>&1 &
	rauc_pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		$rauc_env rauc status --conf="$rw/system.conf" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
rauc_stop() {
	[ -n "$rauc_pid" ] || return 0
	kill "$rauc_pid" 2>/dev/null || true
	wait "$rauc_pid" 2>/dev/null || true
	rauc_pid=""
}
if has rauc && { want a.rauc || want b.rauc; }; then
	log "RAUC: bundles, slots, private D-Bus, service"
	mkdir -p "$rw/mnt" "$rw/data" "$rw/chk" "$pkg/rauc-raw" "$pkg/rauc-arch"
	cat >"$rw/system.conf" <<EOF
[system]
compatible=supkit-bench
bootloader=noop
data-directory=$rw/data
mountprefix=$rw/mnt

[keyring]
path=$work/rsa.pem

[slot.rootfs.0]
device=$rw/slot-a.img
type=raw
bootname=A

[slot.rootfs.1]
device=$rw/slot-b.img
type=raw
bootname=B

[slot.appfs.0]
device=$rw/app-a.ext4
type=ext4
parent=rootfs.0

[slot.appfs.1]
device=$rw/app-b.ext4
type=ext4
parent=rootfs.1
EOF
	[ -f "$work/rsa.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/rsa.key" \
		-out "$work/rsa.pem" -days 3650 -subj "/CN=supkit-bench" 2>/dev/null
	truncate -s 210M "$rw/slot-a.img" "$rw/slot-b.img"
	truncate -s 64M "$rw/app-a.ext4" "$rw/app-b.ext4"
	# raw slots take *.img, ext4 slots *.tar.gz (mkfs, mount, extract)
	ln "$src/big.bin" "$pkg/rauc-raw/big.img"
	ln "$src/small.tar.gz" "$pkg/rauc-arch/small.tar.gz"
	printf '[update]\ncompatible=supkit-bench\nversion=1.0\n\n[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=big.img\n' \
		>"$pkg/rauc-raw/manifest.raucm"
	printf '[update]\ncompatible=supkit-bench\nversion=1.0\n\n[bundle]\nformat=plain\n\n[image.appfs]\nfilename=small.tar.gz\n' \
		>"$pkg/rauc-arch/manifest.raucm"
	for k in raw arch; do
		if ! rauc bundle --cert="$work/rsa.pem" --key="$work/rsa.key" "$pkg/rauc-$k" "$pkg/$k.raucb" \
			>"$res/rauc-bundle.log" 2>&1; then
			skip[rauc]="rauc bundle failed: $(tail -1 "$res/rauc-bundle.log")"
		fi
	done
	if has rauc; then
		dbus-daemon --session --address="unix:path=$bus" --nofork --nopidfile >/dev/null 2>&1 &
		dbus_pid=$!
		for ((i = 0; i < 50; i++)); do [ -S "$bus" ] && break; sleep 0.1; done
		rauc_start || skip[rauc]="rauc service did not come up: $(tail -1 "$res/rauc-service.log")"
	fi
	has rauc || log "rauc: skipped (${skip[rauc]})"
fi

# ---------------------------------------------------------------- Mender
if has mender && { want a.mender || want b.mender; }; then
	log "Mender: signed artifacts, private mount namespace"
	mkdir -p "$mw/data" "$mw/etc" "$pkg/mender-raw" "$pkg/mender-dir"
	[ -f "$work/rsa.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/rsa.key" \
		-out "$work/rsa.pem" -days 3650 -subj "/CN=supkit-bench" 2>/dev/null
	# mender-artifact 3.9 wants PKCS#1 ("BEGIN RSA PRIVATE KEY")
	openssl rsa -in "$work/rsa.key" -traditional -out "$work/rsa-pkcs1.key" 2>/dev/null
	openssl rsa -in "$work/rsa.key" -pubout -out "$work/rsa.pub" 2>/dev/null
	echo "device_type=supkit-bench" >"$mw/data/device_type"
	echo "artifact_name=bench-initial" >"$mw/etc/artifact_info"
	cat >"$mw/mender.conf" <<EOF
{
  "ModulesPath": "/usr/share/mender/modules/v3",
  "ModulesWorkPath": "$mw/data/modules/v3",
  "DeviceTypeFile": "$mw/data/device_type",
  "ArtifactScriptsPath": "$mw/data/scripts",
  "RootfsScriptsPath": "$mw/data/scripts",
  "ArtifactVerifyKey": "$work/rsa.pub"
}
EOF
	# Mender reads /etc/mender/artifact_info on every install: bind a private
	# copy over it in a mount namespace of its own.
	cat >"$mw/mender-ns.sh" <<EOF
#!/bin/sh
exec unshare -m sh -c '
  mount --bind $mw/etc /etc/mender || exit 1
  m="mender -c $mw/mender.conf -b $mw/mender.conf -d $mw/data --no-syslog -l error"
  \$m install "\$1" >/dev/null 2>&1 && \$m commit >/dev/null 2>&1
' sh "\$1"
EOF
	chmod +x "$mw/mender-ns.sh"
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$pkg/mender-dir/update.tar" -C "$src/tree" .
	printf '%s' "$dst" >"$pkg/mender-raw/dest_dir"
	printf 'big.bin' >"$pkg/mender-raw/filename"
	ln "$src/big.bin" "$pkg/mender-raw/big.bin"
	printf '%s' "$dst/tree" >"$pkg/mender-dir/dest_dir"
	if ! { (cd "$pkg/mender-raw" && mender-artifact write module-image -T single-file -t supkit-bench \
		-n bench-raw-1 -o "$pkg/raw.mender" -f dest_dir -f filename -f big.bin \
		-k "$work/rsa-pkcs1.key") && (cd "$pkg/mender-dir" && mender-artifact write module-image \
		-T directory -t supkit-bench -n bench-dir-1 -o "$pkg/dir.mender" -f dest_dir -f update.tar \
		-k "$work/rsa-pkcs1.key"); } >"$res/mender-artifact.log" 2>&1; then
		skip[mender]="mender-artifact failed: $(tail -1 "$res/mender-artifact.log")"
		log "mender: skipped (${skip[mender]})"
	fi
fi

# ---------------------------------------------------------------- entries
# entry NAME PEER PREPARE COMMAND CHECK: one thing to time. PEER is the
# tool whose absence skips it ("" for the floor and supkit).
names=()
declare -A e_peer e_prep e_cmd e_check
entry() {
	want "$1" || return 0
	names+=("$1")
	e_peer[$1]=$2 e_prep[$1]=$3 e_cmd[$1]=$4 e_check[$1]=$5
}
prep_dst="rm -rf $dst && mkdir -p $dst$sync_prep"
prep_slot="rm -f $rw/slot-b.img && truncate -s 210M $rw/slot-b.img$sync_prep"
prep_app="rm -f $rw/app-b.ext4 && truncate -s 64M $rw/app-b.ext4$sync_prep"
check_big="cmp $src/big.bin $dst/big.bin"
check_tree="diff -r $src/tree $dst/tree"
entry a.floor "" "$prep_dst" \
	"tee $dst/big.bin <$src/big.bin | openssl dgst -sha256 >/dev/null && sync $dst/big.bin" "$check_big"
entry a.supkit "" "$prep_dst" "$supi $pkg/raw.sup" "$check_big"
entry a.swupdate-staged swupdate "$prep_dst" "${swu:-} $pkg/raw-staged.swu" "$check_big"
entry a.swupdate-direct swupdate "$prep_dst" "${swu:-} $pkg/raw-direct.swu" "$check_big"
entry a.rauc rauc "$prep_slot" "$rauc_env rauc install $pkg/raw.raucb" \
	"cmp -n 209715200 $src/big.bin $rw/slot-b.img"
entry a.mender mender "$prep_dst" "$mw/mender-ns.sh $pkg/raw.mender" "$check_big"
entry b.floor "" "$prep_dst" \
	"openssl dgst -sha256 $src/small.tar.gz >/dev/null && mkdir -p $dst/tree && bsdtar -xf $src/small.tar.gz -C $dst/tree && sync -f $dst/tree" \
	"$check_tree"
entry b.supkit "" "$prep_dst" "$supi $pkg/arch.sup" "$check_tree"
entry b.swupdate-staged swupdate "$prep_dst" "${swu:-} $pkg/archive-staged.swu" "$check_tree"
entry b.swupdate-direct swupdate "$prep_dst" "${swu:-} $pkg/archive-direct.swu" "$check_tree"
entry b.rauc rauc "$prep_app" "$rauc_env rauc install $pkg/arch.raucb" \
	"mount -o loop,ro $rw/app-b.ext4 $rw/chk && { diff -r -x lost+found $src/tree $rw/chk; r=\$?; umount $rw/chk; exit \$r; }"
entry b.mender mender "$prep_dst" "$mw/mender-ns.sh $pkg/dir.mender" "$check_tree"

# ---------------------------------------------------------------- timing
median() { # FILE of seconds, one a line
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
since() { # T0 [T1]: seconds from EPOCHREALTIME T0 to T1 (default now)
	awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.6f\n", b - a }'
}
# time_entry NAME: median of --runs runs (one warm-up) into med[NAME].
declare -A med med_exit rss status
time_entry() {
	local n=$1 i t0
	if [ -n "$hyperfine" ]; then
		"$hyperfine" --style basic --runs "$runs" --warmup 1 --prepare "${e_prep[$n]}" \
			--export-csv "$res/$n.csv" -n "$n" "${e_cmd[$n]} >/dev/null 2>&1" >&2 || return 1
		med[$n]=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "median") c = i } NR == 2 { print $c }' "$res/$n.csv")
		return 0
	fi
	: >"$res/$n.times"
	for ((i = 0; i <= runs; i++)); do
		sh -c "${e_prep[$n]}"
		t0=$EPOCHREALTIME
		sh -c "${e_cmd[$n]}" >/dev/null 2>&1 || return 1
		[ "$i" = 0 ] || since "$t0" >>"$res/$n.times"
	done
	med[$n]=$(median "$res/$n.times")
}
# time_swupdate NAME: time to the "SWUPDATE successful" line (med) and to
# the exit of swupdate -i (med_exit).
time_swupdate() {
	local n=$1 i t0 t1 line
	: >"$res/$n.success"; : >"$res/$n.exit"
	for ((i = 0; i <= runs; i++)); do
		sh -c "${e_prep[$n]}"
		t0=$EPOCHREALTIME t1=""
		while IFS= read -r line; do
			[[ -z $t1 && $line == *"SWUPDATE successful"* ]] && t1=$EPOCHREALTIME
		done < <(sh -c "${e_cmd[$n]} 2>&1")
		[ -n "$t1" ] || return 1
		[ "$i" = 0 ] && continue
		since "$t0" "$t1" >>"$res/$n.success"
		since "$t0" >>"$res/$n.exit"
	done
	med[$n]=$(median "$res/$n.success")
	med_exit[$n]=$(median "$res/$n.exit")
}
# peak_rss NAME: rss[NAME] = peak RSS in KiB of one run (the largest
# process waited for; RAUC: "CLIENT+SERVICE", the service restarted
# before the run). Not in a subshell: it restarts the RAUC service.
peak_rss() {
	local n=$1
	rss[$n]="?"
	sh -c "${e_prep[$n]}"
	if [[ $n == *.rauc ]]; then
		rauc_stop
		rauc_start || return 0
	fi
	/usr/bin/time -f %M -o "$res/rss" sh -c "${e_cmd[$n]}" >/dev/null 2>&1 || return 0
	rss[$n]=$(tail -1 "$res/rss")
	if [[ $n == *.rauc ]]; then
		rss[$n]+="+$(awk '/^VmHWM:/ { print $2 }' "/proc/$rauc_pid/status")"
	fi
}

for n in "${names[@]}"; do
	p=${e_peer[$n]}
	if [ -n "$p" ] && ! has "$p"; then
		status[$n]="skipped: ${skip[$p]}"
		continue
	fi
	log "$n"
	sh -c "${e_prep[$n]}"
	if ! sh -c "${e_cmd[$n]}" >"$res/$n.out" 2>&1 || ! sh -c "${e_check[$n]}" >"$res/$n.check" 2>&1; then
		echo "bench: $n did not install the payload:" >&2
		tail -5 "$res/$n.out" "$res/$n.check" >&2
		status[$n]=FAIL
		[ "$n" != a.floor ] && [ "$n" != b.floor ] || exit 2
		continue
	fi
	if [[ $n == *.swupdate-* ]]; then
		time_swupdate "$n" || { status[$n]="FAIL (no success line)"; continue; }
	else
		time_entry "$n" || { status[$n]="FAIL (a timed run failed)"; continue; }
	fi
	peak_rss "$n"
	status[$n]=OK
done

# (c): one run each of the floor and sup install, 1 MiB and 1 GiB.
declare -A c_time c_rss
if want c.floor || want c.supkit; then
	for mib in 1 1024; do
		log "c: $mib MiB"
		d=$work/c$mib
		mkdir -p "$d/payloads"
		head -c $((mib * 1024 * 1024)) /dev/urandom >"$d/payloads/blob.bin"
		printf '{"sup_format": 1, "package": {"name": "bench-rss", "version": "1"},\n "actions": [{"id": "blob", "type": "file.install", "params": {"path": "/blob.bin"}, "payloads": ["blob.bin"]}]}\n' \
			>"$d/manifest.json"
		"$sup" pack -m "$d/manifest.json" -C "$d/payloads" -o "$d/bench.sup" "${sign[@]}" >"$res/pack.err" 2>&1 ||
			{ echo "bench: sup pack of the $mib MiB package failed:" >&2; cat "$res/pack.err" >&2; exit 2; }
		sync   # the payload and the package just written: no writeback during the runs
		for k in floor supkit; do
			sh -c "$prep_dst"
			if [ "$k" = floor ]; then
				cmd="tee $dst/blob.bin <$d/payloads/blob.bin | openssl dgst -sha256 >/dev/null && sync $dst/blob.bin"
			else
				cmd="$supi $d/bench.sup"
			fi
			t0=$EPOCHREALTIME
			if ! /usr/bin/time -f %M -o "$res/rss" sh -c "$cmd" >"$res/c.out" 2>&1 ||
				! cmp -s "$d/payloads/blob.bin" "$dst/blob.bin"; then
				echo "bench: c.$k of $mib MiB did not install the payload:" >&2
				tail -5 "$res/c.out" >&2
				[ "$k" = supkit ] || exit 2
				c_rss[$k.$mib]=FAIL
				continue
			fi
			c_time[$k.$mib]=$(since "$t0")
			c_rss[$k.$mib]=$(tail -1 "$res/rss")
		done
		rm -rf "$d" "$dst"
		mkdir -p "$dst"
	done
fi
rauc_stop

# ---------------------------------------------------------------- table
sw_ver=$(dpkg_version swupdate)
rauc_ver=$(dpkg_version rauc)
mender_ver=$(dpkg_version mender-client)
declare -A label=(
	[a.floor]="floor: tee + openssl dgst -sha256 + sync"
	[a.supkit]="supkit: sup install (file.install)"
	[a.swupdate-staged]="SWUpdate $sw_ver rawfile, staged"
	[a.swupdate-direct]="SWUpdate $sw_ver rawfile, installed-directly"
	[a.rauc]="RAUC $rauc_ver raw slot"
	[a.mender]="Mender $mender_ver single-file"
	[b.floor]="floor: openssl dgst -sha256 + bsdtar -xf + sync -f"
	[b.supkit]="supkit: sup install (file.extract)"
	[b.swupdate-staged]="SWUpdate $sw_ver archive, staged"
	[b.swupdate-direct]="SWUpdate $sw_ver archive, installed-directly"
	[b.rauc]="RAUC $rauc_ver ext4 slot (tar.gz)"
	[b.mender]="Mender $mender_ver directory"
)
declare -A rowname=([a]="(a) one 200 MiB file" [b]="(b) 2000 small files (tar.gz)")
mib() { # KIB or CLIENT+SERVICE -> MiB
	case "$1" in
	*+*) awk -v c="${1%+*}" -v s="${1#*+}" 'BEGIN { printf "%.1f client + %.1f service", c / 1024, s / 1024 }' ;;
	""|"?"|FAIL) echo "${1:-–}" ;;
	*) awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' ;;
	esac
}
ratio() { # SECONDS FLOOR
	if [ -z "$2" ] || [ -z "$1" ]; then echo "–"; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'
}
status_all=0
misses=()
echo
echo "$($sup --version 2>/dev/null | head -1 || true) ($build), --fs $fs ($(df -T "$mnt" | awk 'NR == 2 { print $2 }')), median of $runs runs (${hyperfine:-own loop}$([ -z "$hyperfine" ] || echo " $(hyperfine --version | cut -d' ' -f2)")), $(date -u +%F), $(nproc) CPUs, Linux $(uname -r)"
echo
echo "| row | tool | median s | × floor | peak RSS MiB | target |"
echo "|---|---|---|---|---|---|"
for row in a b; do
	floor=${med[$row.floor]:-}
	for n in "${names[@]}"; do
		[ "${n%%.*}" = "$row" ] || continue
		st=${status[$n]:-}
		if [ "$st" != OK ]; then
			printf '| %s | %s | %s | – | – | |\n' "${rowname[$row]}" "${label[$n]}" "$st"
			[ "$n" != "$row.supkit" ] || { status_all=1; misses+=("$row: supkit failed"); }
			continue
		fi
		target=""
		if [ "$n" = "$row.supkit" ] && [ -n "$floor" ]; then
			if awk -v a="${med[$n]}" -v b="$floor" 'BEGIN { exit !(a <= 1.25 * b) }'; then
				target="≤ 1.25× floor: met"
			else
				target="≤ 1.25× floor: **missed**"
				status_all=1
				misses+=("${rowname[$row]}: supkit $(ratio "${med[$n]}" "$floor") the floor (target ≤ 1.25×)")
			fi
			slower=()
			for p in "${names[@]}"; do
				[[ $p == "$row".* && $p != "$row.floor" && $p != "$row.supkit" && ${status[$p]:-} == OK ]] || continue
				awk -v a="${med[$n]}" -v b="${med[$p]}" 'BEGIN { exit !(a >= b) }' && slower+=("${label[$p]}")
			done
			if [ ${#slower[@]} -gt 0 ]; then
				target="$target; slower than ${#slower[@]} peer entries: **missed**"
				status_all=1
				for p in "${slower[@]}"; do misses+=("${rowname[$row]}: supkit not faster than $p"); done
			fi
		fi
		if [[ $n == *.swupdate-* ]]; then
			printf '| %s | %s, to success | %.3f | %s | %s | |\n' "${rowname[$row]}" "${label[$n]}" \
				"${med[$n]}" "$(ratio "${med[$n]}" "$floor")" "$(mib "${rss[$n]}")"
			printf '| %s | %s, to exit | %.3f | %s | | |\n' "${rowname[$row]}" "${label[$n]}" \
				"${med_exit[$n]}" "$(ratio "${med_exit[$n]}" "$floor")"
		else
			printf '| %s | %s | %.3f | %s | %s | %s |\n' "${rowname[$row]}" "${label[$n]}" \
				"${med[$n]}" "$(ratio "${med[$n]}" "$floor")" "$(mib "${rss[$n]}")" "$target"
		fi
	done
done
if want c.floor || want c.supkit; then
	for mib in 1 1024; do
		size="1 MiB"; [ "$mib" = 1 ] || size="1 GiB"
		printf '| (c) peak RSS, %s file | floor: tee + openssl dgst -sha256 + sync | %.3f (1 run) | 1.00× | %s | |\n' \
			"$size" "${c_time[floor.$mib]}" "$(mib "${c_rss[floor.$mib]}")"
		r=${c_rss[supkit.$mib]:-}
		if [ "$r" = FAIL ] || [ -z "$r" ]; then
			printf '| (c) peak RSS, %s file | supkit: sup install (file.install) | FAIL | – | – | |\n' "$size"
			status_all=1; misses+=("(c) $size: supkit failed")
			continue
		fi
		if [ "$r" -le 6144 ]; then
			target="≤ 6 MiB: met"
		else
			target="≤ 6 MiB: **missed**"
			status_all=1
			misses+=("(c) $size: supkit peak RSS $(mib "$r") MiB (target ≤ 6 MiB)")
		fi
		printf '| (c) peak RSS, %s file | supkit: sup install (file.install) | %.3f (1 run) | %s | %s | %s |\n' \
			"$size" "${c_time[supkit.$mib]}" "$(ratio "${c_time[supkit.$mib]}" "${c_time[floor.$mib]}")" \
			"$(mib "$r")" "$target"
	done
fi
for p in swupdate rauc mender; do
	[ -z "${skip[$p]:-}" ] || echo "skipped: $p (${skip[$p]})"
done
if [ "$status_all" != 0 ]; then
	echo
	echo "targets of issue 10 missed:"
	printf -- '- %s\n' "${misses[@]}"
fi
exit "$status_all"
