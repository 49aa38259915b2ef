#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_path_race.sh - a service user who owns /var/lib/app swaps, in a
# tight loop, a directory of root's that sits in it (keys, 0700, with a
# private file) with the name a package creates there (cache). Neither
# file.mkdir (owner given to the service user) nor a file.install that
# would make cache as a missing parent may change keys: the name is
# checked again on the descriptor after it is opened, and no directory is
# made in another user's directory. Racy by nature: each case is tried up
# to 40 times and stops at the first change (before the fix, keys changed
# within the first few tries). Needs root to make files of another owner;
# skipped visibly otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skipped: making files of another owner needs root"
	finish
fi

SVC=4242
R=$(new_root gw)
mkdir -p "$R/var/lib/app" "$T/sig"
chown "$SVC:$SVC" "$R/var/lib/app"
echo data >"$T/payload.txt"

# The swapper: renames A and B back and forth while $T/sig/go exists,
# until $T/sig/stop does.
cat >"$T/flip.py" <<'PY'
import os, sys, time
a, b, go, stop = sys.argv[1:5]
while not os.path.exists(stop):
    if not os.path.exists(go):
        time.sleep(0.0005)
        continue
    for _ in range(100):
        try:
            os.rename(a, b)
            os.rename(b, a)
        except OSError:
            pass
PY

# race_pkg STEM ACTION [PAYLOAD]: a package whose first action starts the
# swapper.
race_pkg() {
	local entries='[]'
	[ -z "${3:-}" ] || entries="[{\"name\": \"p\", \"file\": \"$3\"}]"
	pkg "$T/$1.sup" <<JSON
{"manifest": {"sup_format": 1, "package": {"name": "$1", "version": "1"},
  "actions": [
    {"id": "go", "type": "exec.command",
     "params": {"argv": ["/bin/sh", "-c", "touch $T/sig/go; sleep 0.05"]}},
    $2]},
 "entries": $entries}
JSON
}
race_pkg mkdir '{"id": "m", "type": "file.mkdir",
  "params": {"path": "/var/lib/app/cache", "owner": "4242", "mode": "0755"}}'
race_pkg parent '{"id": "m", "type": "file.install",
  "params": {"path": "/var/lib/app/cache/x.conf"}, "payloads": ["p"]}' \
	"$T/payload.txt"

for case in mkdir parent; do
	section "$case while keys and cache are swapped"
	rm -rf "$R/var/lib/app/keys" "$R/var/lib/app/cache"
	mkdir -m 0700 "$R/var/lib/app/keys"
	echo "private key" >"$R/var/lib/app/keys/key.pem"
	got="0 700"
	ran=0
	for i in $(seq 1 40); do
		rm -f "$T/sig/go" "$T/sig/stop"
		python3 "$T/flip.py" "$R/var/lib/app/keys" "$R/var/lib/app/cache" \
			"$T/sig/go" "$T/sig/stop" &
		flip=$!
		"$SUP" install "$T/$case.sup" --root "$R" \
			--plugin-dir "$SUP_PLUGIN_DIR" -q >/dev/null 2>&1
		# 0 or 1: the package was accepted and its actions ran.
		[ $? -gt 1 ] || ran=$((ran + 1))
		touch "$T/sig/stop"
		wait "$flip"
		# Put keys back where it belongs: it holds key.pem.
		if [ -e "$R/var/lib/app/cache/key.pem" ]; then
			rm -rf "$R/var/lib/app/keys"
			mv "$R/var/lib/app/cache" "$R/var/lib/app/keys"
		else
			rm -rf "$R/var/lib/app/cache"
		fi
		got=$(stat -c '%u %a' "$R/var/lib/app/keys")
		[ "$got" = "0 700" ] || break
	done
	assert_true "the package ran ($ran of $i tries)" test "$ran" -gt 0
	assert_eq "$got" "0 700" "owner and mode of keys after $i tries"
	assert_eq "$(cat "$R/var/lib/app/keys/key.pem")" "private key" "keys/key.pem"
done

# The same swap at a chosen moment: strace holds every mkdirat() for 1 s,
# and the swap comes 0.3 s after the action before file.mkdir ended, so
# that it falls between the walk (which finds cache missing) and what
# file.mkdir then opens under that name.
section "file.mkdir with keys swapped in while its mkdirat() waits"
if ! command -v strace >/dev/null; then
	echo "skip: strace is not installed (Debian package strace): the timed swap did not run"
else
	rm -rf "$R/var/lib/app/keys" "$R/var/lib/app/cache"
	mkdir -m 0700 "$R/var/lib/app/keys"
	echo "private key" >"$R/var/lib/app/keys/key.pem"
	rm -f "$T/sig/go"
	(
		while [ ! -e "$T/sig/go" ]; do sleep 0.01; done
		sleep 0.3
		mv "$R/var/lib/app/keys" "$R/var/lib/app/cache"
	) &
	swapper=$!
	run strace -f -qq -o /dev/null -e trace=mkdirat \
		-e inject=mkdirat:delay_enter=1000000 \
		"$SUP" install "$T/mkdir.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
	kill "$swapper" 2>/dev/null # if the package never started it
	wait "$swapper"
	expect_exit 1 "install with the swap"
	assert_stderr "cannot create directory '/var/lib/app/cache': unsafe path transition from a directory owned by uid $SVC to one owned by uid 0"
	assert_eq "$(stat -c '%u %a' "$R/var/lib/app/cache")" "0 700" "owner and mode of keys (now named cache)"
	assert_eq "$(cat "$R/var/lib/app/cache/key.pem")" "private key" "its key.pem"
fi

finish
