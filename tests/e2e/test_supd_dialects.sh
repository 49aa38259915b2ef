#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_dialects.sh - supd against portals that say the same things in
# other words (docs/tr50.md, "Portal dialects"): for every way the
# simulator refuses an expired session and every way it refuses the ack of
# a completed message, a campaign job runs through: install, the record
# uploaded by HTTP POST (PUT gets 405, as from a real portal), exactly one
# accepted ack. In the middle of each job the portal forgets every session
# and switches to another session dialect, and the answer to the accepted
# ack is lost, so supd must recognise both the expired session and the
# "already completed" refusal by their meaning.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

R=$(new_root root)
C=$(confirmation "$R")
CONF="$T/supd.conf"
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

# sim_restart SESSION ACK: a new simulator whose dialects are chosen by its
# environment (the command-line switches' fallback); supd.conf follows
# its port.
sim_restart() {
	if [ -n "${SIM_PID:-}" ]; then
		kill "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
	fi
	export PORTAL_SIM_SESSION_DIALECT=$1 PORTAL_SIM_ACK_DIALECT=$2
	sim_start
	unset PORTAL_SIM_SESSION_DIALECT PORTAL_SIM_ACK_DIALECT
	supd_conf "$CONF"
}

# refusal_of DIALECT: how the simulator refuses a stale session in it, as
# printed by session_recovery.
refusal_of() {
	case $1 in
	tr50) echo '[[-90008], null]' ;;
	expired) echo '[[-90000], null]' ;;
	unauth) echo '[[-90001], null]' ;;
	http401) echo '[[], 401]' ;;
	http403) echo '[[], 403]' ;;
	esac
}

# session_recovery: of the first refused command in the simulator's log:
# [its errorCodes, its HTTP status], then whether the next two entries
# are a successful api.authenticate and the same command, accepted.
session_recovery() {
	python3 - "$L" <<'EOF'
import json, sys
api = json.load(open(sys.argv[1]))["api"]
i = next(i for i, c in enumerate(api) if not c["success"])
c = api[i]
nxt = api[i + 1:i + 3]
print(json.dumps([[c["errorCodes"], c.get("http")],
                  [(x["command"], x["success"]) for x in nxt] ==
                  [("api.authenticate", True), (c["command"], True)]]))
EOF
}

# ack_code_of DIALECT: the code of the "already completed" refusal.
ack_code_of() {
	case $1 in
	tr50) echo -90012 ;;
	acknowledged) echo -90020 ;;
	status) echo -90000 ;;
	esac
}

# dialect_case ID START MID ACK: job ID against a portal that starts in
# session dialect START and ack dialect ACK, and mid-job forgets every
# session and switches to session dialect MID.
dialect_case() {
	local id=$1 start=$2 mid=$3 ack=$4 once
	section "sessions: $start, then $mid mid-job; acks: $ack"
	sim_restart "$start" "$ack"
	sim_enqueue "$(update_msg "$id" slow.sup)" >/dev/null
	# A supd that never gets its session back retries for ever: bounded.
	timeout 40 "$SUPD" --config "$CONF" --once >>"$T/supd.log" 2>&1 &
	once=$!
	E2E_PIDS+=("$once")
	assert_true "$id installs" wait_until 15 record_is "$id" running
	sim_control "{\"expire_sessions\": true, \"dialect\": {\"session\": \"$mid\"},
		\"faults\": [{\"type\": \"ack_lost\"}]}" >/dev/null
	wait "$once"
	assert_eq "$?" "0" "supd --once exit status"
	sim_log
	assert_json "$L" 'd["dialect"]["session"]' "$mid"
	# Exactly one accepted ack, with the install's outcome.
	assert_json "$L" "[a['errorCode'] for a in $(acks_of "$id")]" "[0]"
	assert_json "$L" "$(acks_of "$id")[0]['params']['succeeded']" "1"
	# The record arrived, by POST, at the first try.
	assert_json "$L" '[(u["fileName"], u["method"]) for u in d["uploads"]]' \
		"[[\"confirmation-gw1-$id.json\", \"POST\"]]"
	assert_json "$L" '[(a["method"], a["status"]) for a in d["upload_attempts"]]' \
		'[["POST", 200]]'
	curl -sS --fail "$SIM_URL/_upload/confirmation-gw1-$id.json" >"$T/up.json"
	assert_json "$T/up.json" '(d["job_id"], d["result"])' "[\"$id\", \"succeeded\"]"
	# The stale session, refused in the new dialect: one new session, the
	# same command again, accepted.
	assert_json "$L" '[a["success"] for a in d["auth"]]' "[true, true]"
	assert_eq "$(session_recovery)" "[$(refusal_of "$mid"), true]" \
		"refused as a $mid dialect portal does, then a new session and the command again"
	# The accepted ack's answer was lost: sent again, refused as completed
	# in the portal's words, and that counts as accepted.
	assert_json "$L" "[(c['success'], c['errorCodes']) for c in d['api'] if c['command'] == 'mailbox.ack']" \
		"[[true, []], [false, [$(ack_code_of "$ack")]]]"
	assert_supd_log "job '$id': the portal had accepted the ack already"
	assert_json "$T/state/supd/jobs/m-$id.json" '(d["phase"], d["report"]["code"])' \
		'["done", 0]'
}

dialect_case d-1 tr50 expired acknowledged
dialect_case d-2 expired http401 status
dialect_case d-3 unauth http403 tr50
dialect_case d-4 http403 unauth acknowledged
dialect_case d-5 http401 tr50 status

section "a real portal's upload method"
# The simulator refuses PUT as a portal does: the method is not allowed.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary x \
	"$SIM_URL/file/0123abcd")" "405" "PUT /file/<fileId>"
assert_json "$L" 'd["dialect"]["upload"]' '["POST"]'

section "no secrets"
assert_false "the app token is in no log or state file" \
	grep -rqF -- "$TOKEN" "$T/supd.log" "$T/state" "$R/var/log"
assert_false "no session id is logged" grep -qi "sessionid" "$T/supd.log"

finish
