#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_busy.sh - one install at a time: a second gateway.sup.update
# that arrives while a job runs is acked at once with code 4 (busy), the
# running job goes on to its own ack; a job that finds another installer
# running (sup install exits 8) is acked with code 4 too.
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
        "params": { "argv": ["/bin/sleep", "4"] } } ] } }
EOF
package quick.sup <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "quick", "version": "1.0" },
    "actions": [
      { "id": "mark", "type": "exec.command",
        "params": { "argv": ["/bin/sh", "-c", "echo quick >>\"$SUP_ROOT/quick.out\""] } } ] } }
EOF

record_is() {
	[ "$(jq_py "$C" '[d.get("job_id"), d["result"]]' 2>/dev/null)" == "[\"$1\", \"$2\"]" ]
}

section "second campaign while installing"
sim_enqueue "$(update_msg b-1 slow.sup)" >/dev/null
supd_start "$CONF"
assert_true "b-1 installs" wait_until 15 record_is b-1 running
sim_enqueue "$(update_msg b-2 quick.sup)" >/dev/null
sim_enqueue '{"id": "b-bad", "command": "gateway.sup.update", "params": {}}' >/dev/null
assert_true "b-2 acked" wait_log 10 "len($(acks_of b-2)) == 1"
assert_json "$L" "len($(acks_of b-1))" "0"
assert_json "$L" "[a['errorCode'] for a in $(acks_of b-2)]" "[4]"
assert_json "$L" "$(acks_of b-2)[0]['errorMessage']" \
	"busy: job 'b-1' for 'slow.sup' is installing"
assert_json "$L" "$(acks_of b-2)[0]['params']" '{"file": "quick.sup"}'
assert_true "b-bad acked" wait_log 5 "len($(acks_of b-bad)) == 1"
assert_json "$L" "[a['errorCode'] for a in $(acks_of b-bad)]" "[5]"
assert_true "b-1 acked" wait_log 15 "len($(acks_of b-1)) == 1"
assert_json "$L" "[a['errorCode'] for a in $(acks_of b-1)]" "[0]"
assert_json "$L" '[a["id"] for a in d["acks"]]' '["b-2", "b-bad", "b-1"]'
assert_json "$L" '[x["fileName"] for x in d["downloads"]]' '["slow.sup"]'
assert_missing "$R/quick.out"
supd_stop
expect_exit 0 "supd stops on SIGTERM"

section "another installer runs: sup exits 8"
package local.sup <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "local", "version": "1.0" },
    "actions": [
      { "id": "nap", "type": "exec.command",
        "params": { "argv": ["/bin/sleep", "3"] } } ] } }
EOF
"$SUP" install "$FILES/local.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
	-q >"$T/local.out" 2>&1 &
LOCAL_PID=$!
E2E_PIDS+=("$LOCAL_PID")
assert_true "the local install runs" wait_until 10 installer_running "$R/var/lib/supkit"
sim_enqueue "$(update_msg b-3 quick.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of b-3)]" "[4]"
assert_json_contains "$L" "$(acks_of b-3)[0]['errorMessage']" \
	"busy: another installer is running (pid"
assert_missing "$R/quick.out"
assert_eq "$(ls -A "$T/downloads")" "" "download removed"
wait "$LOCAL_PID"
assert_eq "$?" "0" "the local install succeeded"

section "free again"
sim_enqueue "$(update_msg b-4 quick.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of b-4)]" "[0]"
assert_content "$R/quick.out" $'quick\n'

finish
