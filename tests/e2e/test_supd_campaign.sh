#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_campaign.sh - supd against the portal simulator: a campaign
# message (both forms) -> progress notes -> download -> install -> audit
# messages (log.publish) -> record uploaded -> exactly one ack with code 0
# and the outcome counts; a message seen again after its ack is ignored;
# malformed and unsupported messages are answered with code 5; secrets
# never reach a log or a state file.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
R=$(new_root root)
C=$(confirmation "$R")
CONF="$T/supd.conf"
supd_conf "$CONF"

package good.sup <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "good", "version": "1.0" },
    "actions": [
      { "id": "conf", "type": "file.install",
        "params": { "path": "/opt/app/app.conf", "mode": "0644" },
        "payloads": ["app.conf"] },
      { "id": "hello", "type": "exec.command",
        "params": { "argv": ["/bin/echo", "hello"] } } ] },
  "entries": [ { "name": "app.conf", "data": "listen = 8080\n" } ] }
EOF

# ---- method.exec gateway.sup.update ----------------------------------
section "campaign as method.exec"
sim_enqueue "$(update_msg job-1 good.sup 120)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
L="$T/simlog.json"
assert_json "$L" "len($(acks_of job-1))" "1"
assert_json "$L" "$(acks_of job-1)[0]['errorCode']" "0"
assert_json "$L" "$(acks_of job-1)[0]['params']" \
	'{"failed": 0, "file": "good.sup", "package": "good", "skipped": 0, "succeeded": 2, "version": "1.0"}'
assert_json "$L" '[u["msg"] for u in d["updates"] if u["id"] == "job-1"][0]' \
	"downloading 'good.sup'"
assert_json "$L" '[x["fileName"] for x in d["downloads"]]' '["good.sup"]'
assert_content "$R/opt/app/app.conf" $'listen = 8080\n'
assert_json "$C" 'd["job_id"]' "job-1"
assert_json "$C" 'd["result"]' "succeeded"

section "audit messages"
assert_json "$L" 'len(d["logs"])' "3"
assert_json "$L" '[(x["level"], x["thingKey"]) for x in d["logs"]]' \
	'[[2, "gw1"], [2, "gw1"], [2, "gw1"]]'
assert_json_contains "$L" 'd["logs"][0]["msg"]' "action 'conf' (file.install, plugin file"
assert_json_contains "$L" 'd["logs"][1]["msg"]' "action 'hello' (exec.command, plugin exec"
assert_json "$L" 'd["logs"][2]["msg"]' \
	"package good 1.0 installed: 2 succeeded$(signed_by signer-ec256)"
assert_json_contains "$L" 'd["logs"][2]["msg"]' \
	"; signed by 'CN=supkit test signer EC256' (key sha256 "
# The same messages as in the audit file of sup install.
assert_eq "$(jq_py "$L" '[[x["level"], x["msg"]] for x in d["logs"]]')" \
	"$(python3 -c '
import json, sys
print(json.dumps([[d["level"], d["msg"]] for d in map(json.loads, open(sys.argv[1]))], sort_keys=True))' \
	"$R/var/log/supkit/audit.jsonl" 2>&1)" "log.publish messages = audit.jsonl"

section "record uploaded"
assert_json "$L" '[(u["fileName"], u["thingKey"]) for u in d["uploads"]]' \
	'[["confirmation-gw1-job-1.json", "gw1"]]'
curl -sS --fail "$SIM_URL/_upload/confirmation-gw1-job-1.json" >"$T/up.json"
assert_json "$T/up.json" '(d["job_id"], d["result"], d["summary"]["succeeded"])' \
	'["job-1", "succeeded", 2]'
# The order of the exchange: notes, file.get, audit, upload, ack last.
assert_json "$L" '[c["command"] for c in d["api"] if c["command"] != "mailbox.check"]' \
	'["api.authenticate", "mailbox.update", "file.get", "mailbox.update", "log.publish", "log.publish", "log.publish", "file.put", "mailbox.ack"]'

section "job state"
J="$T/state/supd/jobs/m-job-1.json"
assert_json "$J" '(d["phase"], d["report"]["code"])' '["done", 0]'
assert_mode "$J" 600
assert_eq "$(ls -A "$T/downloads")" "" "download dir empty after the install"

# ---- the command form, and a message seen again -----------------------
section "campaign as a gateway.sup.update command"
sim_enqueue '{"id": "job-2", "command": "gateway.sup.update", "params": {"name": "good.sup"}}' >/dev/null
# The portal delivers job-1 once more (as after a lost ack).
sim_enqueue "$(update_msg job-1 good.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "len($(acks_of job-2))" "1"
assert_json "$L" "$(acks_of job-2)[0]['errorCode']" "0"
assert_json "$L" "len($(acks_of job-1))" "1"
assert_json "$L" '[x["fileName"] for x in d["downloads"]]' '["good.sup", "good.sup"]'
assert_json "$C" 'd["job_id"]' "job-2"

# ---- messages answered at once ----------------------------------------
section "bad requests: code 5"
sim_control '{"enqueue": [
  {"id": "m-method", "command": "method.exec", "params": {"method": "gateway.reboot", "params": {}}},
  {"id": "m-cmd", "command": "thing.frobnicate", "params": {}},
  {"id": "m-noname", "command": "method.exec", "params": {"method": "gateway.sup.update", "params": {"timeout": 5}}},
  {"id": "m-badname", "command": "gateway.sup.update", "params": {"name": "../../etc/passwd"}},
  {"id": "m-timeout", "command": "gateway.sup.update", "params": {"name": "good.sup", "timeout": -4}}
]}' >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
for id in m-method m-cmd m-noname m-badname m-timeout; do
	assert_json "$L" "[a['errorCode'] for a in d['acks'] if a['id'] == '$id']" "[5]"
done
assert_json "$L" "$(acks_of m-method)[0]['errorMessage']" "unsupported method 'gateway.reboot'"
assert_json "$L" "$(acks_of m-cmd)[0]['errorMessage']" "unsupported method 'thing.frobnicate'"
assert_json_contains "$L" "$(acks_of m-noname)[0]['errorMessage']" "params.name"
assert_json_contains "$L" "$(acks_of m-badname)[0]['errorMessage']" "is not a package file name"
assert_json_contains "$L" "$(acks_of m-timeout)[0]['errorMessage']" "params.timeout"
assert_json "$L" 'len(d["downloads"])' "2"

section "no secrets"
assert_false "the app token is in no log or state file" \
	grep -rqF -- "$TOKEN" "$T/supd.log" "$T/state" "$R/var/log"
assert_false "no session id is logged" grep -qi "sessionid" "$T/supd.log"

finish
