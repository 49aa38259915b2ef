#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_reboot.sh - a campaign package that reboots the gateway
# (system.reboot with a harmless reboot command): the record says
# "suspended", supd keeps waiting (no ack), also across its own restart
# (the "reboot"); once `sup install --resume` (supkit-resume.service at
# boot) has run the rest, supd reports the whole install with one ack.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
product_root gw <<'EOF'
[product]
name = acme
plugins = file, exec, system

[system]
reboot_command = echo reboot >>"$SUP_ROOT/reboots"
EOF
SUPD_CONF="$T/supd.conf"
SUPD_EXTRA="sup_config = $CONF" supd_conf "$SUPD_CONF"
L="$T/simlog.json"

count() { # count ID: an exec.command action appending ID to /counter
	printf '{"id": "%s", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo %s >>\\"$SUP_ROOT/counter\\""]}}' "$1" "$1"
}
package reboot.sup <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "reboot", "version": "3.0" },
    "compatibility": { "products": ["acme"] },
    "actions": [ $(count before),
      { "id": "reboot", "type": "system.reboot" },
      $(count after) ] } }
EOF

record_is() {
	[ "$(jq_py "$C" '[d.get("job_id"), d["result"]]' 2>/dev/null)" == "[\"$1\", \"$2\"]" ]
}

section "suspended for a reboot: no ack"
sim_enqueue "$(update_msg rb-1 reboot.sup)" >/dev/null
supd_start "$SUPD_CONF"
assert_true "the install is suspended" wait_until 15 record_is rb-1 suspended
assert_true "progress note" wait_log 5 \
	'any(u["msg"] == "install suspended (reboot); waiting for it to resume" for u in d["updates"])'
sleep 1
sim_log
assert_json "$L" "len($(acks_of rb-1))" "0"
assert_content "$R/reboots" $'reboot\n'
assert_content "$R/counter" $'before\n'

section "supd restarted (the boot): still waiting"
supd_stop
expect_exit 0 "supd stops on SIGTERM"
supd_start "$SUPD_CONF"
sleep 1.5
sim_log
assert_json "$L" "len($(acks_of rb-1))" "0"
assert_supd_log "job 'rb-1': continuing in phase installing"

section "resumed at boot: one ack"
run "$SUP" install --resume --root "$R" --config "$CONF"
expect_exit 0 "sup install --resume"
assert_true "rb-1 acked" wait_log 15 "len($(acks_of rb-1)) == 1"
supd_stop
expect_exit 0 "supd stops on SIGTERM"
assert_json "$L" "[a['errorCode'] for a in $(acks_of rb-1)]" "[0]"
assert_json "$L" "$(acks_of rb-1)[0]['params']" \
	'{"failed": 0, "file": "reboot.sup", "package": "reboot", "skipped": 0, "succeeded": 3, "version": "3.0"}'
assert_content "$R/counter" $'before\nafter\n'
assert_json "$C" '(d["job_id"], d["result"])' '["rb-1", "succeeded"]'
assert_json "$L" 'd["logs"][-1]["msg"]' \
	"package reboot 3.0 installed: 3 succeeded$(signed_by signer-ec256)"
assert_json_contains "$L" 'd["logs"][-1]["msg"]' \
	"; signed by 'CN=supkit test signer EC256' (key sha256 "
assert_json "$L" '[u["fileName"] for u in d["uploads"]]' '["confirmation-gw1-rb-1.json"]'

finish
