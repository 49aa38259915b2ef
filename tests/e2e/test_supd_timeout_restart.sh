#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_timeout_restart.sh - a job's timeout is counted across a
# SIGKILL of supd and its restart (docs/tr50.md, "Timeout"): the time the
# job had run before is kept (elapsed_ms in the job file), the time supd
# was down is not counted. A supd that starts the count again after the
# restart answers too late; one that counts from the wall-clock receipt
# (or counts the downtime) answers too early.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
R=$(new_root root)
C=$(confirmation "$R")
CONF="$T/supd.conf"
supd_conf "$CONF"
L="$T/simlog.json"
JOB="$T/state/supd/jobs/m-t-1.json"

TIMEOUT=12 # the job's timeout, in seconds
STALL=5    # the download stalls this long: time counted before the kill
DOWN=3     # supd is down this long: time not counted

head -c 300000 /dev/urandom >"$T/blob.bin"
# blob, then "hold": waits (60 s at most) until $T/go exists, so that the
# install outlives the job's timeout.
package slow.sup <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "slow", "version": "1.0" },
    "actions": [
      { "id": "blob", "type": "file.install",
        "params": { "path": "/opt/blob.bin" }, "payloads": ["blob.bin"] },
      { "id": "hold", "type": "exec.command",
        "params": { "argv": ["/bin/sh", "-c", ": >\"\$SUP_ROOT/in-hold\"; i=0; while [ ! -e '$T/go' ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done"] } } ] },
  "entries": [ { "name": "blob.bin", "file": "$T/blob.bin" } ] }
EOF
at_exit touch "$T/go"

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

job_started() { # supd recorded that sup passed preflight and detached
	[ "$(jq_py "$JOB" 'd["install"]["sup_started"]' 2>/dev/null)" == "true" ]
}

section "the timeout is carried across a SIGKILL and restart"
sim_control "{\"faults\": [{\"type\": \"stall\", \"after\": 100000, \"seconds\": $STALL}]}" >/dev/null
sim_enqueue "$(update_msg t-1 slow.sup "$TIMEOUT")" >/dev/null
supd_start "$CONF"
assert_true "the install runs its last action" wait_until 30 test -e "$R/in-hold"
assert_true "supd recorded the install as started" wait_until 10 job_started
supd_kill
KILLED=$(now_ms)
E_MS=$(jq_py "$JOB" 'd["elapsed_ms"]')
echo "  elapsed_ms kept in the job file: $E_MS"
assert_true "the job file counts the stalled download (elapsed_ms $E_MS >= $((STALL * 1000)))" \
	test "$E_MS" -ge $((STALL * 1000))
assert_true "the job had not timed out before the kill" \
	test "$E_MS" -lt $((TIMEOUT * 1000 - 4000))
sim_log
assert_json "$L" "len($(acks_of t-1))" "0"
assert_true "the installer outlives supd" installer_running "$R/var/lib/supkit"

sleep "$DOWN"
RESTARTED=$(now_ms)
supd_start "$CONF"
assert_true "the job is answered after the restart" \
	wait_log 30 "len($(acks_of t-1)) == 1"
ANSWERED=$(now_ms)
AFTER_MS=$((ANSWERED - RESTARTED))
LEFT_MS=$((TIMEOUT * 1000 - E_MS))
echo "  down $((RESTARTED - KILLED)) ms; answered $AFTER_MS ms after the restart; $LEFT_MS ms of the timeout were left"
assert_json "$L" "[a['errorCode'] for a in $(acks_of t-1)]" "[6]"
assert_json_contains "$L" "$(acks_of t-1)[0]['errorMessage']" \
	"job timed out after $TIMEOUT s while installing 'slow.sup'; the install goes on"
# Not before the time left: neither the downtime nor the time between the
# last save and the kill count as the job's.
assert_true "not answered before the time left ($AFTER_MS >= $LEFT_MS - 300 ms)" \
	test "$AFTER_MS" -ge $((LEFT_MS - 300))
# Not the whole timeout again: the count went on from elapsed_ms.
assert_true "answered within the time left ($AFTER_MS < $LEFT_MS + 2500 ms, and < $((TIMEOUT * 1000)) ms)" \
	test "$AFTER_MS" -lt $((LEFT_MS + 2500)) -a "$AFTER_MS" -lt $((TIMEOUT * 1000))
assert_json "$JOB" 'd["phase"]' "done"
assert_json "$C" '(d["job_id"], d["result"])' '["t-1", "running"]'

section "the install goes on and ends"
touch "$T/go"
wait_unlocked "$R/var/lib/supkit" || true
assert_true "the install ends" wait_until 20 eval \
	'[ "$(jq_py "$C" "d[\"result\"]")" == "succeeded" ]'
assert_same_file "$R/opt/blob.bin" "$T/blob.bin"
supd_stop
expect_exit 0 "supd stops on SIGTERM"
sim_log
assert_json "$L" "len($(acks_of t-1))" "1"

finish
