#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_trust.sh - campaigns install only what sup install accepts
# (issue 7): an unsigned package, one signed by a key outside the keyring,
# a tampered one, a downgrade and a gateway without a keyring are all
# acked with code 2 and the reason, the rejection recorded and nothing
# run; a package signed by the release key installs.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
R=$(new_root root)
C=$(confirmation "$R")
CONF="$T/supd.conf"
supd_conf "$CONF"
L="$T/simlog.json"

traced_pkg good version=2.0
traced_pkg unsigned signer=none
traced_pkg foreign signer=other-signer
traced_pkg old version=1.0
tamper_manifest "$T/good.sup" "$T/tampered.sup"
cp "$T/good.sup" "$T/unsigned.sup" "$T/foreign.sup" "$T/tampered.sup" \
	"$T/old.sup" "$FILES/"

# rejected ID FILE REASON: a campaign of FILE (message ID) is acked once
# with code 2 and an errorMessage holding REASON; the record says
# "rejected" for this job; no action ran and the root is unchanged but for
# the installer's records.
rejected() {
	local id=$1 file=$2 reason=$3 stem=${2%.sup}
	section "$file: code 2"
	rm -f "$T/marks/$stem"
	snapshot "$R" | grep -v -e '^\./var[/	]' >"$T/$id.before"
	sim_enqueue "$(update_msg "$id" "$file")" >/dev/null
	supd_once "$CONF"
	expect_exit 0 "supd --once"
	sim_log
	assert_json "$L" "[a['errorCode'] for a in $(acks_of "$id")]" "[2]"
	assert_json_contains "$L" "$(acks_of "$id")[0]['errorMessage']" " rejected: "
	assert_json_contains "$L" "$(acks_of "$id")[0]['errorMessage']" "$reason"
	assert_json_contains "$L" 'd["logs"][-1]["msg"]' "$reason"
	assert_json "$L" 'd["logs"][-1]["level"]' "0"
	assert_json "$C" '(d["job_id"], d["result"])' "[\"$id\", \"rejected\"]"
	assert_json_contains "$C" 'd["error"]["message"]' "$reason"
	assert_no_action "$stem"
	snapshot "$R" | grep -v -e '^\./var[/	]' >"$T/$id.after"
	if cmp -s "$T/$id.before" "$T/$id.after"; then
		pass "root unchanged but for var/"
	else
		fail "root changed" "no difference" "$(diff "$T/$id.before" "$T/$id.after" | head)"
	fi
}

section "control: a signed package installs"
sim_enqueue "$(update_msg g-1 good.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of g-1)]" "[0]"
assert_installed good "$R"
assert_json "$C" '(d["job_id"], d["result"], d["package"]["signature"]["status"])' \
	'["g-1", "succeeded", "verified"]'
assert_json "$L" 'd["logs"][-1]["msg"]' \
	"package app 2.0 installed: 2 succeeded$(signed_by signer-ec256)"

rejected u-1 unsigned.sup \
	"unsigned: packages must be signed by a key of the keyring '$R$SUP_SYSCONF_DIR/keyring.pem' ([trust] allow_unsigned is false)"
assert_json "$C" '(d["package"]["signature"]["status"], d["package"]["signature"]["signer"])' \
	'["unsigned", null]'
rejected f-1 foreign.sup \
	"signer not trusted: 'CN=supkit test other signer' (issued by 'CN=supkit test other CA') does not chain to an anchor of the keyring"
assert_json "$C" '(d["package"]["signature"]["status"], d["package"]["signature"]["signer"]["subject"])' \
	'["untrusted", "CN=supkit test other signer"]'
rejected t-1 tampered.sup "signature does not match the manifest"
rejected o-1 old.sup \
	"package 'app' 1.0 is older than the installed 2.0: refused as a downgrade (--allow-downgrade installs it)"

mv "$R$SUP_SYSCONF_DIR/keyring.pem" "$T/keyring.away"
rejected k-1 good.sup "keyring '$R$SUP_SYSCONF_DIR/keyring.pem': No such file or directory"
mv "$T/keyring.away" "$R$SUP_SYSCONF_DIR/keyring.pem"

section "one ack per message"
assert_json "$L" 'sorted(a["id"] for a in d["acks"])' \
	'["f-1", "g-1", "k-1", "o-1", "t-1", "u-1"]'
python3 -c '
import json, sys
for a in json.load(open(sys.argv[1]))["acks"]:
    print("  ack %s: %d %s" % (a["id"], a["errorCode"], a.get("errorMessage")))' "$L"

finish
