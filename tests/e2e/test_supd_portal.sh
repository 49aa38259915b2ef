#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_portal.sh - supd against an unreliable portal: a session that
# expires in the middle of a job (the client logs in again, the job
# completes), HTTP 500 replies to the API and to downloads (jittered
# exponential backoff, then success).
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
      { "id": "nap", "type": "exec.command",
        "params": { "argv": ["/bin/sleep", "2"] } } ] } }
EOF

record_is() {
	[ "$(jq_py "$C" '[d.get("job_id"), d["result"]]' 2>/dev/null)" == "[\"$1\", \"$2\"]" ]
}

section "session expires during the install"
sim_enqueue "$(update_msg s-1 slow.sup)" >/dev/null
# --once: after the first mailbox.check, every command is the job's.
"$SUPD" --config "$CONF" --once >>"$T/supd.log" 2>&1 &
ONCE_PID=$!
E2E_PIDS+=("$ONCE_PID")
assert_true "s-1 installs" wait_until 15 record_is s-1 running
sim_control '{"expire_sessions": true}' >/dev/null
wait "$ONCE_PID"
assert_eq "$?" "0" "supd --once exit status"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of s-1)]" "[0]"
assert_json "$L" '[a["success"] for a in d["auth"]]' "[true, true]"
# The first command after the expiry was refused, then sent again.
assert_json "$L" '[(c["command"], c["errorCodes"]) for c in d["api"]][-6:]' \
	'[["log.publish", [-90008]], ["api.authenticate", []], ["log.publish", []], ["log.publish", []], ["file.put", []], ["mailbox.ack", []]]'
assert_json "$L" 'len(d["logs"])' "2"

section "HTTP 500 from the API and the file server"
sim_control '{"faults": [
  {"type": "http_error", "status": 500, "path": "api", "count": 3},
  {"type": "http_error", "status": 500, "path": "file", "count": 2}]}' >/dev/null
sim_enqueue "$(update_msg h-1 slow.sup)" >/dev/null
: >"$T/supd.log"
SUPD_BACKOFF=4 supd_conf "$CONF"
supd_start "$CONF"
assert_true "h-1 acked in the end" wait_log 30 "len($(acks_of h-1)) == 1"
supd_stop
expect_exit 0 "supd stops on SIGTERM"
assert_json "$L" "[a['errorCode'] for a in $(acks_of h-1)]" "[0]"
assert_json "$L" '[x["status"] for x in d["downloads"]][-3:]' "[500, 500, 200]"
assert_supd_log "HTTP 500 from $SIM_URL/api"
assert_supd_log "HTTP 500 from $SIM_URL/file/"
# Backoff after each failed poll: 1, 2, then 4 s (the maximum), each
# with equal jitter (between half and all of it).
grep -o 'next mailbox check in [0-9]* ms' "$T/supd.log" |
	grep -o '[0-9]*' >"$T/delays"
assert_eq "$(wc -l <"$T/delays")" "3" "delayed polls"
assert_true "delays grow within their jitter ranges" python3 - "$T/delays" <<'EOF'
import sys
d = [int(x) for x in open(sys.argv[1])]
ok = 500 <= d[0] <= 1000 and 1000 <= d[1] <= 2000 and 2000 <= d[2] <= 4000
print("delays (ms):", d)
sys.exit(0 if ok else 1)
EOF
assert_supd_log "download of 'slow.sup' will be retried"

finish
