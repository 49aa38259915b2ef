#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_restart.sh - the durable job state: supd killed (SIGKILL)
# during the install and started again follows the same install and acks
# once; killed during the download it resumes the download; after a crash
# between the portal's acceptance of the ack and the "done" write, the
# repeated ack ("already completed") counts as accepted; a job file that
# does not parse is answered with code 8, never run twice.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
R=$(new_root root)
C=$(confirmation "$R")
CONF="$T/supd.conf"
supd_conf "$CONF"
L="$T/simlog.json"

package slow.sup <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "slow", "version": "1.0" },
    "actions": [
      { "id": "count", "type": "exec.command",
        "params": { "argv": ["/bin/sh", "-c", "echo run >>\"$SUP_ROOT/runs\"; sleep 2"] } },
      { "id": "mark", "type": "exec.command",
        "params": { "argv": ["/bin/sh", "-c", "echo done >\"$SUP_ROOT/mark\""] } } ] } }
EOF

# record_is JOB RESULT: confirmation.json is JOB's and says RESULT.
record_is() {
	[ "$(jq_py "$C" '[d.get("job_id"), d["result"]]' 2>/dev/null)" == "[\"$1\", \"$2\"]" ]
}

# ---- SIGKILL during the install ----------------------------------------
section "supd killed during the install"
sim_enqueue "$(update_msg k-1 slow.sup)" >/dev/null
supd_start "$CONF"
assert_true "the install runs" wait_until 15 record_is k-1 running
supd_kill
assert_true "the installer outlives supd" installer_running "$R/var/lib/supkit"
sim_log
assert_json "$L" "len($(acks_of k-1))" "0"
supd_start "$CONF"
assert_true "acked after the restart" wait_log 20 "len($(acks_of k-1)) == 1"
supd_stop
expect_exit 0 "supd stops on SIGTERM"
assert_json "$L" "[a['errorCode'] for a in $(acks_of k-1)]" "[0]"
assert_json "$L" "$(acks_of k-1)[0]['params']['succeeded']" "2"
assert_content "$R/runs" $'run\n'
assert_content "$R/mark" $'done\n'
assert_eq "$(grep -c "started '.* install " "$T/supd.log")" "1" "sup started once"
assert_supd_log "job 'k-1': continuing in phase installing"
assert_json "$C" 'd.get("resumed")' "null"
assert_supd_log "supd: stopping on signal 15"

section "a later run does not ack again"
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "len($(acks_of k-1))" "1"
assert_json "$L" 'len([c for c in d["api"] if c["command"] == "mailbox.ack"])' "1"

# ---- SIGKILL during the download -----------------------------------------
section "supd killed during the download"
head -c 300000 /dev/urandom >"$T/big.bin"
package big.sup <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "big", "version": "1.0" },
    "actions": [
      { "id": "blob", "type": "file.install",
        "params": { "path": "/opt/big.bin", "mode": "0644" },
        "payloads": ["big.bin"] } ] },
  "entries": [ { "name": "big.bin", "file": "$T/big.bin" } ] }
EOF
sim_control '{"faults": [{"type": "stall", "after": 100000, "seconds": 3}]}' >/dev/null
sim_enqueue "$(update_msg k-2 big.sup)" >/dev/null
supd_start "$CONF"
part_has() {
	[ "$(stat -c %s "$T/downloads/big.sup.part" 2>/dev/null)" == "$1" ]
}
assert_true "the download stalls after 100000 bytes" \
	wait_until 15 part_has 100000
supd_kill
assert_eq "$(stat -c %s "$T/downloads/big.sup.part")" "100000" "partial download kept"
assert_json "$T/state/supd/jobs/m-k-2.json" 'd["phase"]' "downloading"
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of k-2)]" "[0]"
assert_json "$L" '[(x["status"], x["start"]) for x in d["downloads"]][-2:]' \
	'[[200, 0], [206, 100000]]'
assert_same_file "$R/opt/big.bin" "$T/big.bin"

# ---- crash after the portal accepted the ack ------------------------------
section "ack accepted, state not yet done"
python3 - "$T/state/supd/jobs/m-k-2.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["phase"] = "reporting"
json.dump(d, open(sys.argv[1], "w"))
EOF
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "len($(acks_of k-2))" "1"
assert_json "$L" '[c["errorCodes"] for c in d["api"] if c["command"] == "mailbox.ack" and c["params"]["id"] == "k-2"]' \
	"[[], [-90012]]"
assert_supd_log "job 'k-2': the portal had accepted the ack already"
assert_json "$T/state/supd/jobs/m-k-2.json" 'd["phase"]' "done"

# ---- SIGTERM during a stalled download ------------------------------------
section "supd stopped (SIGTERM) during a stalled download"
cp "$T/big.bin" "$T/big3.bin"
package big3.sup <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "big3", "version": "1.0" },
    "actions": [
      { "id": "blob", "type": "file.install",
        "params": { "path": "/opt/big3.bin", "mode": "0644" },
        "payloads": ["big3.bin"] } ] },
  "entries": [ { "name": "big3.bin", "file": "$T/big3.bin" } ] }
EOF
# The portal stalls for longer than any test should wait: supd must not
# wait for it to end (or for its own 60 s stall limit) to stop.
sim_control '{"faults": [{"type": "stall", "after": 100000, "seconds": 40}]}' >/dev/null
sim_enqueue "$(update_msg k-3 big3.sup)" >/dev/null
supd_start "$CONF"
part3_has() {
	[ "$(stat -c %s "$T/downloads/big3.sup.part" 2>/dev/null)" == "$1" ]
}
assert_true "the download stalls after 100000 bytes" \
	wait_until 15 part3_has 100000
T0=$(date +%s%N)
supd_stop
STOP_MS=$((($(date +%s%N) - T0) / 1000000))
expect_exit 0 "supd stops on SIGTERM"
assert_true "supd stopped within 5 s of SIGTERM (took ${STOP_MS} ms)" \
	test "$STOP_MS" -lt 5000
assert_eq "$(stat -c %s "$T/downloads/big3.sup.part")" "100000" "partial download kept"
assert_json "$T/state/supd/jobs/m-k-3.json" 'd["phase"]' "downloading"
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of k-3)]" "[0]"
assert_same_file "$R/opt/big3.bin" "$T/big3.bin"

# ---- a job file that does not parse ---------------------------------------
section "unreadable job file"
sim_enqueue "$(update_msg c-1 slow.sup)" >/dev/null
printf '{"job_format": 1, "id": "c-1", "pha' >"$T/state/supd/jobs/m-c-1.json"
rm -f "$R/runs"
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of c-1)]" "[8]"
assert_json_contains "$L" "$(acks_of c-1)[0]['errorMessage']" \
	"supd lost the state of this job"
assert_file "$T/state/supd/jobs/m-c-1.json.corrupt"
assert_missing "$R/runs"

finish
