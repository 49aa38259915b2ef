#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_idle.sh - an idle supd sleeps from one mailbox check to the
# next in one wait (no wake-ups in between: strace counts its waits), and
# still stops at once on SIGTERM sent while it waits.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

if ! command -v strace >/dev/null; then
	echo "skipped: strace is not installed (Debian package strace)"
	finish
fi

sim_start
R=$(new_root root)
CONF="$T/supd.conf"
SUPD_POLL=2 supd_conf "$CONF"

section "waits between mailbox checks"
strace -f -qq -o "$T/strace" -e trace=nanosleep,clock_nanosleep,ppoll,pselect6,select,poll \
	"$SUPD" --config "$CONF" >>"$T/supd.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
sleep 7
sim_log
polls=$(python3 -c '
import json, sys
api = json.load(open(sys.argv[1]))["api"]
print(sum(1 for r in api if r.get("command") == "mailbox.check"))' "$T/simlog.json")
assert_true "supd checked the mailbox at least 3 times in 7 s ($polls)" test "$polls" -ge 3
# Sleeps outside curl's own transfers: one per interval, not one per
# tenth of a second (70 in 7 s before).
waits=$(grep -cE '(nanosleep|ppoll\(NULL)' "$T/strace" || true)
assert_true "at most 6 waits in 7 s, one per mailbox check ($waits)" test "$waits" -le 6

section "a stop request during the wait"
# strace's child is supd.
spid=$(pgrep -P "$pid" | head -n 1)
assert_true "supd runs under strace (pid ${spid:-none})" test -n "$spid"
t0=$(date +%s%N)
kill -TERM "${spid:-$pid}"
wait "$pid"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
assert_true "stopped within 1 s of SIGTERM ($ms ms)" test "$ms" -lt 1000
assert_contains "$(cat "$T/supd.log")" "stopping on signal 15" "supd log"

finish
