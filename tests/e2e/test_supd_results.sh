#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_results.sh - the ack codes of jobs that do not succeed: an
# action fails (1, naming the action and why), preflight rejects the
# package (2), the job outlives its timeout (6), sup cannot be run (8).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
R=$(new_root root)
C=$(confirmation "$R")
CONF="$T/supd.conf"
supd_conf "$CONF"
L="$T/simlog.json"

package failing.sup <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "failing", "version": "2.0" },
    "actions": [
      { "id": "first", "type": "exec.command",
        "params": { "argv": ["/bin/true"] } },
      { "id": "boom", "type": "exec.command",
        "params": { "argv": ["/bin/sh", "-c", "echo disk on fire >&2; exit 3"] } },
      { "id": "never", "type": "exec.command",
        "params": { "argv": ["/bin/true"] } } ] } }
EOF
package rejected.sup <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "rejected", "version": "1.0" },
    "actions": [
      { "id": "odd", "type": "nosuch.verb", "params": {} } ] } }
EOF
package slow.sup <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "slow", "version": "1.0" },
    "actions": [
      { "id": "nap", "type": "exec.command",
        "params": { "argv": ["/bin/sleep", "4"] } },
      { "id": "mark", "type": "exec.command",
        "params": { "argv": ["/bin/sh", "-c", "echo done >\"$SUP_ROOT/slow.out\""] } } ] } }
EOF

section "an action fails: code 1"
sim_enqueue "$(update_msg f-1 failing.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of f-1)]" "[1]"
assert_json_contains "$L" "$(acks_of f-1)[0]['errorMessage']" \
	"package failing 2.0 failed: action 'boom' failed:"
assert_json_contains "$L" "$(acks_of f-1)[0]['errorMessage']" "exit"
assert_json "$L" "$(acks_of f-1)[0]['params']" \
	'{"failed": 1, "file": "failing.sup", "package": "failing", "skipped": 1, "succeeded": 1, "version": "2.0"}'
assert_json "$L" '[x["level"] for x in d["logs"]]' "[2, 0, 1, 0]"
assert_json_contains "$L" 'd["logs"][1]["msg"]' "action 'boom'"
assert_json "$L" '[u["fileName"] for u in d["uploads"]]' '["confirmation-gw1-f-1.json"]'
assert_json "$C" '(d["job_id"], d["result"])' '["f-1", "failed"]'

section "preflight rejects: code 2"
mkdir -p "$R/opt"
echo keep >"$R/opt/keep"
take_snapshot "$R/opt" before
sim_enqueue "$(update_msg r-1 rejected.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of r-1)]" "[2]"
assert_json_contains "$L" "$(acks_of r-1)[0]['errorMessage']" "package rejected 1.0 rejected:"
assert_json_contains "$L" "$(acks_of r-1)[0]['errorMessage']" "nosuch.verb"
assert_json "$C" '(d["job_id"], d["result"])' '["r-1", "rejected"]'
assert_json_contains "$L" 'd["logs"][-1]["msg"]' "rejected"
assert_json "$L" 'd["logs"][-1]["level"]' "0"
assert_unchanged "$R/opt" before "the root's /opt"
assert_eq "$(ls -A "$T/downloads")" "" "download dir empty"

section "job timeout: code 6"
sim_enqueue "$(update_msg t-1 slow.sup 2)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of t-1)]" "[6]"
assert_json_contains "$L" "$(acks_of t-1)[0]['errorMessage']" \
	"job timed out after 2 s while installing 'slow.sup'; the install goes on"
assert_true "answered before the install ended" test ! -e "$R/slow.out"
# The install is not stopped by the timeout.
wait_until 10 test -e "$R/slow.out"
assert_file "$R/slow.out"
wait_unlocked "$R/var/lib/supkit"
assert_json "$C" '(d["job_id"], d["result"])' '["t-1", "succeeded"]'

section "sup cannot be run: code 8"
sed -i "s|^sup_path = .*|sup_path = /bin/false|" "$CONF"
sim_enqueue "$(update_msg i-1 failing.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of i-1)]" "[8]"
assert_json "$L" "$(acks_of i-1)[0]['errorMessage']" \
	"'/bin/false install' exited with code 1: no output"

section "one ack per message"
assert_json "$L" 'sorted(a["id"] for a in d["acks"])' '["f-1", "i-1", "r-1", "t-1"]'
# For the record: the messages as the portal got them.
python3 -c '
import json, sys
for a in json.load(open(sys.argv[1]))["acks"]:
    print("  ack %s: %d %s" % (a["id"], a["errorCode"], a.get("errorMessage")))' "$L"

finish
