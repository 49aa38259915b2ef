#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_reboot_resume.sh - system.reboot with a harmless reboot command: the
# installer stops with exit code 7 once the reboot is accepted, the record
# says "suspended", and `sup install --resume` after "boot" runs the rest,
# once; two reboots in one package; a reboot that kills the installer
# before its command returns, as a real one does; a reboot command that
# fails; one that cannot run.
. "$(dirname "$0")/lib.sh"

# reboot_root NAME REBOOT_COMMAND: a root whose product profile enables
# file, exec and system, with that [system] reboot_command.
reboot_root() {
	product_root "$1" <<EOF
[product]
name = acme
plugins = file, exec, system

[system]
reboot_command = $2
EOF
}

# mkpkg NAME ACTIONS [ENTRIES]: $T/NAME.sup for product acme.
mkpkg() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "$1", "version": "1.0" },
    "compatibility": { "products": ["acme"] },
    "actions": $2 },
  "entries": ${3:-[]} }
EOF
}

count() { # count ID: an exec.command action appending ID to /counter
	printf '{"id": "%s", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo %s >>\\"$SUP_ROOT/counter\\""]}}' "$1" "$1"
}

reboot() { # reboot ID
	printf '{"id": "%s", "type": "system.reboot"}' "$1"
}

isup() {
	sup install "$@" --root "$R" --config "$CONF"
}

# A reboot that records itself: one line per reboot.
REBOOT_LOG='echo reboot >>"$SUP_ROOT/reboots"'

mkpkg one "[$(count a1),
  {\"id\": \"one\", \"type\": \"file.install\", \"params\": {\"path\": \"/opt/one.txt\"}, \"payloads\": [\"one.txt\"]},
  $(reboot reboot),
  $(count a2),
  {\"id\": \"two\", \"type\": \"file.install\", \"params\": {\"path\": \"/opt/two.txt\"}, \"payloads\": [\"two.txt\"]}]" \
	'[{"name": "one.txt", "data": "one\n"}, {"name": "two.txt", "data": "two\n"}]'
mkpkg other "[$(count other)]"

# ---- the reboot ------------------------------------------------------
section "reboot: the installer stops"
reboot_root gw "$REBOOT_LOG"
isup "$T/one.sup"
expect_exit 7 "install"
assert_stderr "sup: 'one' 1.0 suspended (reboot); 'sup install --resume' continues it"
assert_content "$R/reboots" $'reboot\n'
assert_content "$R/counter" $'a1\n'
assert_content "$R/opt/one.txt" $'one\n'
assert_missing "$R/opt/two.txt"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "suspended"
assert_json "$C" 'd["finished"]' "null"
assert_json "$C" 'd["error"]' "null"
assert_json "$C" '[d["suspended"]["reason"], d["suspended"]["after_action"]]' \
	'["reboot", "reboot"]'
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "pending", "pending"]'
assert_json "$C" 'd["actions"][2]["resume_reason"]' "reboot"
assert_json "$C" 'd["actions"][2]["finished"] is not None' "true"
assert_json_contains "$C" 'd["actions"][2]["output"]' \
	"reboot requested with 'echo reboot >>\"\$SUP_ROOT/reboots\"'; the install continues after boot"
assert_json "$C" 'd["summary"]' \
	'{"failed": 0, "pending": 2, "skipped": 0, "succeeded": 3, "total": 5}'
assert_file "$R/var/lib/supkit/install.json"
STARTED=$(jq_py "$C" '[a["started"] for a in d["actions"][:3]]')

section "reboot: a new install while suspended"
isup "$T/other.sup"
expect_exit 8 "install"
assert_stderr "an unfinished install is pending"
assert_stderr "run 'sup install --resume' to finish it or 'sup install --abandon' to close it"
assert_content "$R/counter" $'a1\n'
assert_json "$C" 'd["package"]["name"]' "one"
assert_json "$C" 'd["result"]' "suspended"

section "reboot: resume after boot"
isup --resume
expect_exit 0 "resume"
assert_stderr "sup: resuming 'one' 1.0 (reboot)"
assert_stderr "sup: installed 'one' 1.0"
assert_content "$R/reboots" $'reboot\n'
assert_content "$R/counter" $'a1\na2\n'
assert_content "$R/opt/two.txt" $'two\n'
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" 'd["finished"] is not None' "true"
assert_json "$C" 'd.get("suspended")' "null"
assert_json "$C" '[r["reason"] for r in d["resumed"]]' '["reboot"]'
assert_json "$C" 'd["resumed"][0]["at"] >= d["actions"][2]["finished"]' "true"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'
assert_json "$C" '[a["started"] for a in d["actions"][:3]]' "$STARTED"
assert_json "$C" 'd["summary"]' \
	'{"failed": 0, "pending": 0, "skipped": 0, "succeeded": 5, "total": 5}'
assert_missing "$R/var/lib/supkit/install.json"

section "reboot: nothing more to resume"
isup --resume
expect_exit 0 "resume"
assert_stderr "sup: nothing to resume"
assert_content "$R/counter" $'a1\na2\n'
assert_json "$C" 'd["result"]' "succeeded"
isup "$T/other.sup"
expect_exit 0 "a new install"
assert_content "$R/counter" $'a1\na2\nother\n'

# ---- two reboots -----------------------------------------------------
section "two reboots"
mkpkg twice "[$(count b1), $(reboot r1), $(count b2), $(reboot r2), $(count b3)]"
reboot_root twice "$REBOOT_LOG"
watch_start "$C" twice
isup "$T/twice.sup"
expect_exit 7 "install"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "pending", "pending", "pending"]'
isup --resume
expect_exit 7 "first resume: the second reboot"
assert_stderr "sup: resuming 'twice' 1.0 (reboot)"
assert_json "$C" 'd["result"]' "suspended"
assert_json "$C" 'd["suspended"]["after_action"]' "r2"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "pending"]'
isup --resume
expect_exit 0 "second resume"
watch_stop twice
assert_content "$R/reboots" $'reboot\nreboot\n'
assert_content "$R/counter" $'b1\nb2\nb3\n'
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[r["reason"] for r in d["resumed"]]' '["reboot", "reboot"]'
assert_json "$T/twice.watch.json" 'd["bad"]' "[]"
assert_json "$T/twice.watch.json" 'd["violations"]' "[]"
assert_json "$T/twice.watch.json" 'd["results"]' '["running", "suspended", "succeeded"]'

# ---- a reboot that does not return -----------------------------------
# A real reboot kills the installer, maybe before the reboot command has
# returned: the state was made durable first, so the install goes on.
section "reboot that kills the installer"
cat >"$T/hard-reboot.sh" <<'EOF'
#!/bin/sh
# The installer's pid from its lock file; kill it, and return only once it
# is gone (5 s at most).
echo reboot >>"$SUP_ROOT/reboots"
pid=$(sed -n 's/^pid \([0-9][0-9]*\),.*/\1/p' "$SUP_ROOT/var/lib/supkit/lock")
kill -KILL "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
EOF
chmod 755 "$T/hard-reboot.sh"
reboot_root hard "$T/hard-reboot.sh"
isup "$T/one.sup"
assert_eq "$RC" "137" "the installer was killed (exit status)"
wait_unlocked "$R/var/lib/supkit"
assert_content "$R/reboots" $'reboot\n'
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "suspended"
assert_json "$C" 'd["suspended"]["reason"]' "reboot"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "pending", "pending"]'
isup --resume
expect_exit 0 "resume"
assert_stderr "sup: resuming 'one' 1.0 (reboot)"
assert_content "$R/reboots" $'reboot\n'
assert_content "$R/counter" $'a1\na2\n'
assert_content "$R/opt/two.txt" $'two\n'
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'

# ---- a reboot command that fails -------------------------------------
section "reboot command fails"
reboot_root refused "sh -c 'echo reboot refused by policy; exit 3'"
isup "$T/one.sup"
expect_exit 1 "install"
assert_stderr "action 'reboot' failed: reboot command exited with status 3"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["finished"] is not None' "true"
assert_json "$C" 'd.get("suspended")' "null"
assert_json "$C" 'd["error"]["code"]' "action_failed"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "failed", "skipped", "skipped"]'
assert_json_contains "$C" 'd["actions"][2]["error"]["message"]' \
	"reboot command exited with status 3"
assert_json_contains "$C" 'd["actions"][2]["output"]' "reboot refused by policy"
assert_json "$C" 'd["summary"]["pending"]' "0"
assert_content "$R/counter" $'a1\n'
assert_missing "$R/var/lib/supkit/install.json"
isup --resume
expect_exit 0 "resume"
assert_stderr "sup: nothing to resume"
assert_content "$R/counter" $'a1\n'
assert_json "$C" 'd["result"]' "failed"

section "reboot command that cannot run"
reboot_root norun "/nonexistent/sbin/reboot now"
take_snapshot "$R" norun
isup "$T/one.sup"
expect_exit 4 "install"
assert_stderr "action 'reboot': check failed: [system] reboot_command: cannot run '/nonexistent/sbin/reboot'"
assert_unchanged "$R" norun "root"

finish
