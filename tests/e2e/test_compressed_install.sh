#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_compressed_install.sh - a SUP compressed as a whole (xz, gzip, zstd)
# is read in one forward pass (issue 8): installing 100 payloads reads the
# file once, not once per payload; the decompressed copy is an unnamed file
# in the state directory (or its nearest existing parent before the first
# install), and nothing of it is left; without room for it, exit 6 and
# nothing installed; --resume verifies the package again and makes a new
# copy; sup verify and sup inspect make none.
#
# The assertions count bytes (strace), never time: the install times of
# the plain and the compressed packages are printed for the reader.
. "$(dirname "$0")/lib.sh"

PLUGINS=(--plugin-dir "$SUP_PLUGIN_DIR")
N=100
KIB=64

# ---- the packages ----------------------------------------------------
mkdir -p payloads
python3 - "$N" "$KIB" <<'EOF'
import random, sys
n, kib = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    r = random.Random(i)
    # Compresses a little (to about 80 %).
    data = bytes(r.choice(b"abcdefghijklmnop") if j % 2 else r.getrandbits(8)
                 for j in range(kib * 1024))
    open("payloads/p%03d" % i, "wb").write(data)
EOF
{
	printf '{"sup_format": 1, "package": {"name": "many", "version": "1.0"},\n "actions": ['
	for ((i = 0; i < N; i++)); do
		[ "$i" -eq 0 ] || printf ','
		printf '\n  {"id": "p%03d", "type": "file.install", "params": {"path": "/opt/many/p%03d"}, "payloads": ["p%03d"]}' "$i" "$i" "$i"
	done
	printf ']}\n'
} >manifest.json
"$SUP" pack -m manifest.json -C payloads -o plain.sup "${SIGN_ARGS[@]}" 2>/dev/null ||
	{ echo "e2e: error: cannot pack" >&2; exit 2; }
xz -T1 -c plain.sup >many.sup.xz
gzip -c plain.sup >many.sup.gz
zstd -q -c plain.sup >many.sup.zst
KINDS=(plain.sup many.sup.xz many.sup.gz many.sup.zst)

size_of() { stat -c %s "$1"; }

# all_installed ROOT: every payload is in place, byte for byte.
all_installed() {
	local i bad=0
	for ((i = 0; i < N; i++)); do
		cmp -s "payloads/$(printf p%03d "$i")" "$1/opt/many/$(printf p%03d "$i")" ||
			bad=$((bad + 1))
	done
	assert_eq "$bad" 0 "payloads not installed as packed"
}

# traced CMD...: run CMD under strace (reads and opens, children too,
# descriptors shown with their paths) into $T/trace; RC as run().
# LeakSanitizer cannot work under ptrace: off there (sanitizer builds).
HAVE_STRACE=1
command -v strace >/dev/null || HAVE_STRACE=0
traced() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		run strace -f -qq -y -e trace=read,pread64,openat,open \
		-e signal=none -o "$T/trace" "$@"
}

# read_bytes FILE...: the bytes read from these paths of one file (by any
# process, through any descriptor) in $T/trace.
read_bytes() {
	local p paths=()
	for p in "$@"; do
		paths+=("$(realpath -m "$p")")
	done
	python3 - "$T/trace" "${paths[@]}" <<'EOF'
import re, sys
trace, want = sys.argv[1], set(sys.argv[2:])
call = re.compile(r"^(\d+)\s+(?:read|pread64)\(\d+<([^>]*)>")
resumed = re.compile(r"^(\d+)\s+<\.\.\. (?:read|pread64) resumed>")
pending, total = {}, 0
for line in open(trace, errors="replace"):
    m = call.match(line)
    if m:
        pid, path = m.groups()
        if line.rstrip().endswith("<unfinished ...>"):
            pending[pid] = path
            continue
    else:
        m = resumed.match(line)
        if not m:
            continue
        pid, path = m.group(1), pending.pop(m.group(1), None)
    ret = line.rsplit("= ", 1)[-1].split()[0]
    if path in want and ret.lstrip("-").isdigit() and int(ret) > 0:
        total += int(ret)
print(total)
EOF
}

# spool_dirs: the directories unnamed files were made in, in $T/trace.
spool_dirs() {
	grep -o 'open[at]*([^"]*"[^"]*", [^)]*O_TMPFILE[^)]*) = [0-9]' "$T/trace" |
		sed 's/^[^"]*"\([^"]*\)".*/\1/' | sort -u
}

# ---- install times (printed, not asserted) --------------------------
section "install of $N payloads of $KIB KiB: plain and xz"
declare -A MS
for k in plain.sup many.sup.xz; do
	R=$(new_root "time-$k")
	sup install "$T/$k" --root "$R" "${PLUGINS[@]}" -q
	expect_exit 0 "install of $k"
	MS[$k]=$ELAPSED_MS
	assert_json "$(confirmation "$R")" 'd["result"]' "succeeded"
	all_installed "$R"
	[ "$k" = plain.sup ] || assert_json "$(confirmation "$R")" \
		'd["package"]["sha256"]' "$(sha256sum "$k" | cut -d' ' -f1)"
done
for k in plain.sup many.sup.xz; do
	printf '  %-14s %9d bytes  %6d ms  (%s x plain)\n' "$k" "$(size_of "$k")" \
		"${MS[$k]}" "$(awk -v a="${MS[$k]}" -v b="${MS[plain.sup]}" \
			'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')"
done

if [ "$HAVE_STRACE" = 0 ]; then
	echo "SKIPPED: the counted part of this test needs strace (apt-get install strace)"
	finish
fi

# ---- the file is read once -------------------------------------------
section "bytes read from the package during an install"
for k in "${KINDS[@]}"; do
	R=$(new_root "count-$k")
	traced "$SUP" install "$T/$k" --root "$R" "${PLUGINS[@]}" -q
	expect_exit 0 "install of $k under strace"
	all_installed "$R"
	got=$(read_bytes "$k")
	size=$(size_of "$k")
	echo "  $k: $size bytes, $got read ($(awk -v a="$got" -v b="$size" 'BEGIN { printf "%.2f", a / b }') x)"
	if [ "$k" = plain.sup ]; then
		# The verification pass (and its first 64 KiB again, to
		# detect compression), then each payload's entry once, in
		# reads of 64 KiB: not the entries before it.
		max=$((size + 65536 + N * (KIB * 1024 + 2 * 65536)))
		assert_true "plain: the verification and each entry once ($got <= $max)" \
			test "$got" -le "$max"
	else
		assert_eq "$got" "$size" "$k: bytes read (exactly the file, once)"
		# The first install: no state directory yet, the copy goes
		# to its nearest existing parent.
		assert_eq "$(spool_dirs)" "$R" "$k: where the copy was made"
	fi
	assert_eq "$(find "$R" -name '.sup-spool-*' | wc -l)" 0 "$k: no copy left"
done

section "again, with the state directory in place"
R=$T/count-many.sup.xz
traced "$SUP" install "$T/many.sup.xz" --root "$R" "${PLUGINS[@]}" -q
expect_exit 0 "re-install of many.sup.xz"
assert_eq "$(spool_dirs)" "$R/var/lib/supkit" "the copy is made in the state directory"
assert_eq "$(read_bytes many.sup.xz)" "$(size_of many.sup.xz)" "bytes read"
assert_eq "$(ls -A "$R/var/lib/supkit" | sort | tr '\n' ' ')" \
	"$(ls -A "$T/count-plain.sup/var/lib/supkit" | sort | tr '\n' ' ')" \
	"state directory as after the plain install"

# ---- sup verify and sup inspect make no copy --------------------------
section "sup verify and sup inspect"
for cmd in verify inspect; do
	traced "$SUP" "$cmd" "$T/many.sup.zst" --keyring "$SUP_TEST_PKI/keyring.pem"
	expect_exit 0 "sup $cmd"
	assert_eq "$(spool_dirs)" "" "sup $cmd: no copy"
	assert_eq "$(read_bytes many.sup.zst)" "$(size_of many.sup.zst)" \
		"sup $cmd: bytes read"
done

# ---- no room for the copy ---------------------------------------------
section "a state directory without room for the copy"
R=$(new_root noroom)
mkdir -p "$R/var/lib/supkit"
take_snapshot "$R" noroom
ns=(unshare -m)
[ "$(id -u)" = 0 ] || ns=(unshare -rm)
# A 1 MiB tmpfs on the state directory, in a mount namespace of its own.
run "${ns[@]}" sh -c 'mount -t tmpfs -o size=1m tmpfs "$1/var/lib/supkit" || exit 77
	shift; exec "$@"' sh "$R" "$SUP" install "$T/many.sup.xz" --root "$R" "${PLUGINS[@]}"
if [ "$RC" = 77 ] || grep -q "unshare: " "$T/err"; then
	echo "SKIPPED: no tmpfs can be mounted here (no mount namespace): $(head -c 200 "$T/err")"
else
	expect_exit 6 "install without room for the copy"
	assert_stderr "not enough space in '$R/var/lib/supkit' to decompress '$T/many.sup.xz': its payloads need "
	assert_unchanged "$R" noroom "the root"
fi

# ---- suspended, then resumed ------------------------------------------
section "SIGTERM, then --resume of an xz package"
python3 - <<'EOF'
import json
m = json.load(open("manifest.json"))
step = {"id": "wait", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c",
        ': >"$SUP_ROOT/in-wait"; while [ ! -e "$SUP_ROOT/go" ]; do sleep 0.05; done']}}
m["actions"].insert(10, step)
json.dump(m, open("manifest-wait.json", "w"), indent=1)
EOF
"$SUP" pack -m manifest-wait.json -C payloads -o wait.sup "${SIGN_ARGS[@]}" 2>/dev/null
xz -T1 -c wait.sup >wait.sup.xz
R=$(new_root resume)
"$SUP" install "$T/wait.sup.xz" --root "$R" "${PLUGINS[@]}" -q >"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS+=("$pid")
wait_until 20 test -e "$R/in-wait" || fail "the waiting action did not start"
kill -TERM "$pid"
: >"$R/go"
wait "$pid"
RC=$?
expect_exit 7 "install stopped by SIGTERM"
assert_json "$(confirmation "$R")" 'd["result"]' "suspended"
traced "$SUP" install --resume --root "$R" -q
expect_exit 0 "resume"
assert_json "$(confirmation "$R")" 'd["result"]' "succeeded"
all_installed "$R"
assert_eq "$(spool_dirs)" "$R/var/lib/supkit" "resume: the copy is made in the state directory"
assert_eq "$(read_bytes "$R/var/lib/supkit/package.sup" wait.sup.xz)" \
	"$(size_of wait.sup.xz)" "resume: bytes read (the package once)"

finish
