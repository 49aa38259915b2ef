#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_kill_resume.sh - the installer killed with SIGKILL at chosen points
# of a run, then `sup install --resume`: no action is applied twice, none
# is lost, an interrupted action that is not idempotent is recorded as
# failed ("interrupted") and never run again, an idempotent one is run
# again; confirmation.json parses at every instant of the run and the
# resume; a pending run blocks new installs until --resume or --abandon.
. "$(dirname "$0")/lib.sh"

PLUGINS=(--plugin-dir "$SUP_FIXTURE_DIR/good" --plugin-dir "$SUP_PLUGIN_DIR")

# step ID ON_ERROR: an exec.command action (not idempotent) that appends
# ID to /counter; if /slow-ID exists it then creates /in-ID and sleeps,
# for the test to kill the installer there.
step() {
	printf '{"id": "%s", "type": "exec.command", "on_error": "%s", "params": {"argv": ["/bin/sh", "-c", "echo %s >>\\"$SUP_ROOT/counter\\"; if [ -e \\"$SUP_ROOT/slow-%s\\" ]; then : >\\"$SUP_ROOT/in-%s\\"; exec sleep 20; fi"]}}' \
		"$1" "$2" "$1" "$1" "$1"
}

# The package: a1 (continue), one (file.install), a2 (continue), a3
# (abort), a4 (continue), big (file.install of 128 MiB, staged before
# the first action runs), last (fixture.write: idempotent, and slow when
# /slow-last exists, to be killed in the middle).
BIG_COUNT=$((8 * 1024 * 1024))
pkg "$T/multi.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "multi", "version": "1.0" },
    "actions": [
      $(step a1 continue),
      {"id": "one", "type": "file.install", "params": {"path": "/opt/one.txt"}, "payloads": ["one.txt"]},
      $(step a2 continue),
      $(step a3 abort),
      $(step a4 continue),
      {"id": "big", "type": "file.install", "params": {"path": "/opt/big.bin"}, "payloads": ["big.bin"]},
      {"id": "last", "type": "fixture.write", "params": {"path": "/opt/last.txt", "content": "last", "pause_if": "/slow-last", "paused": "/in-last"}}] },
  "entries": [{"name": "one.txt", "data": "one\n"},
              {"name": "big.bin", "repeat": {"text": "0123456789abcdef", "count": $BIG_COUNT}}] }
EOF
BIG_SHA=$(python3 -c '
import hashlib, sys
h = hashlib.sha256()
chunk = b"0123456789abcdef" * 65536
for _ in range(int(sys.argv[1]) // 65536):
    h.update(chunk)
print(h.hexdigest())' "$BIG_COUNT")
pkg "$T/other.sup" <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "other", "version": "2.0" },
    "actions": [{"id": "o1", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo other >>\"$SUP_ROOT/other.txt\""]}}] } }
EOF

# kill_at NAME ACTION WHEN: in a fresh root $R, install multi.sup in the
# background and kill it with SIGKILL once ACTION is "running" in
# confirmation.json and a path matching the glob $R/WHEN exists; a step
# ACTION is made slow, and WHEN is then "in-ACTION". The watcher goes on
# watching (watch_stop NAME ends it). Sets R, C, KILL_RC.
kill_at() {
	local name=$1 action=$2 when=$3 pid
	R=$(new_root "$name")
	C=$(confirmation "$R")
	: >"$R/slow-$action"
	"$SUP" install "$T/multi.sup" --root "$R" "${PLUGINS[@]}" \
		>"$T/out" 2>"$T/err" &
	pid=$!
	E2E_PIDS+=("$pid")
	watch_start "$C" "$name" --kill "$pid" --when-running "$action" \
		--when-exists "$R/$when"
	wait "$pid"
	KILL_RC=$?
	rm -f "$R/slow-$action"
	# Its plugin call shares the lock and dies a moment later.
	wait_unlocked "$R/var/lib/supkit" || echo "  the installer lock is still held"
}

resume() {
	sup install --resume --root "$R"
}

# watched NAME RESULTS: the watcher's verdict over the whole story.
watched() {
	local w="$T/$1.watch.json"
	assert_json "$w" 'd["bad"]' "[]"
	assert_json "$w" 'd["violations"]' "[]"
	assert_json "$w" 'd["reads"] >= 20' "true"
	assert_json "$w" 'd["results"]' "$2"
	echo "  watcher: $(jq_py "$w" '"%d reads (%d before the first record)" % (d["reads"], d["missing"])')"
}

lines() { # lines FILE: its lines, space-separated
	tr '\n' ' ' <"$1" 2>/dev/null
}

# ---- killed during the first action ----------------------------------
section "killed during the first action (not idempotent, on_error continue)"
kill_at first a1 in-a1
assert_eq "$KILL_RC" "137" "the installer was killed (exit status)"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "running"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["running", "pending", "pending", "pending", "pending", "pending", "pending"]'
assert_eq "$(lines "$R/counter")" "a1 " "counter after the kill"
resume
watch_stop first
expect_exit 0 "resume"
assert_stderr "sup: resuming 'multi' 1.0"
assert_eq "$(lines "$R/counter")" "a1 a2 a3 a4 " "counter: every step once"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["failed", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'
assert_json "$C" 'd["actions"][0]["error"]["code"]' "interrupted"
assert_json_contains "$C" 'd["actions"][0]["error"]["message"]' \
	"it is not idempotent, so it is not run again"
assert_json "$C" 'd["actions"][0]["finished"] is not None' "true"
assert_json "$C" '[r["reason"] for r in d["resumed"]]' '["interrupted"]'
assert_json "$C" 'd["summary"]' \
	'{"failed": 1, "pending": 0, "skipped": 0, "succeeded": 6, "total": 7}'
assert_content "$R/opt/one.txt" $'one\n'
assert_eq "$(sha256 "$R/opt/big.bin")" "$BIG_SHA" "sha256 of /opt/big.bin"
assert_missing "$R/var/lib/supkit/install.json"
watched first '["running", "succeeded"]'
assert_json "$T/first.watch.json" 'd["killed"]' \
	'["running", "pending", "pending", "pending", "pending", "pending", "pending"]'

# ---- killed in the middle --------------------------------------------
section "killed in the middle (not idempotent, on_error abort)"
kill_at middle a3 in-a3
assert_eq "$KILL_RC" "137" "the installer was killed (exit status)"
assert_json "$C" 'd["result"]' "running"
assert_eq "$(lines "$R/counter")" "a1 a2 a3 " "counter after the kill"
ONE_INODE=$(stat -c %i "$R/opt/one.txt")
resume
watch_stop middle
expect_exit 1 "resume"
assert_stderr "install of 'multi' 1.0 failed: action 'a3' failed: it was interrupted"
assert_eq "$(lines "$R/counter")" "a1 a2 a3 " "counter: nothing ran twice, a4 not at all"
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["error"]' \
	"{\"code\": \"interrupted\", \"message\": \"action 'a3' failed: it was interrupted\"}"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "failed", "skipped", "skipped", "skipped"]'
assert_json "$C" 'd["actions"][3]["error"]["code"]' "interrupted"
assert_json "$C" 'd["summary"]' \
	'{"failed": 1, "pending": 0, "skipped": 3, "succeeded": 3, "total": 7}'
assert_eq "$(stat -c %i "$R/opt/one.txt")" "$ONE_INODE" \
	"/opt/one.txt not installed again (inode)"
assert_missing "$R/opt/big.bin"
assert_missing "$R/var/lib/supkit/install.json"
watched middle '["running", "failed"]'
assert_json "$T/middle.watch.json" 'd["killed"]' \
	'["succeeded", "succeeded", "succeeded", "running", "pending", "pending", "pending"]'

# ---- killed during the last action -----------------------------------
section "killed during the last action (idempotent)"
# In the middle of fixture.write, after big.bin was staged and installed.
kill_at last last in-last
assert_eq "$KILL_RC" "137" "the installer was killed (exit status)"
assert_json "$C" 'd["result"]' "running"
assert_json "$C" 'd["actions"][6]["status"]' "running"
assert_eq "$(lines "$R/counter")" "a1 a2 a3 a4 " "counter after the kill"
resume
watch_stop last
expect_exit 0 "resume"
assert_stderr "sup: [7/7] last (fixture.write)"
assert_eq "$(lines "$R/counter")" "a1 a2 a3 a4 " "counter: nothing ran twice"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'
assert_json "$C" 'd["actions"][6]["interrupted"]' "true"
assert_json "$C" 'd["actions"][6]["error"]' "null"
assert_json "$C" '[a.get("interrupted") for a in d["actions"][:6]]' \
	'[null, null, null, null, null, null]'
assert_eq "$(sha256 "$R/opt/big.bin")" "$BIG_SHA" "sha256 of /opt/big.bin"
assert_content "$R/opt/last.txt" "last"
# Nothing interrupted stays behind next to a target, nor staged.
assert_eq "$(cd "$R/opt" && ls -A | tr '\n' ' ')" "big.bin last.txt one.txt " \
	"files in /opt"
assert_eq "$(find "$R/var/lib/supkit/staging" -mindepth 1 | wc -l)" "0" \
	"staging directories left"
assert_missing "$R/var/lib/supkit/stage"
watched last '["running", "succeeded"]'
assert_json "$T/last.watch.json" 'd["killed"]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "running"]'

# ---- a pending run, abandoned ----------------------------------------
section "pending run: a new install is refused"
kill_at abandon a2 in-a2
assert_eq "$KILL_RC" "137" "the installer was killed (exit status)"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "running", "pending", "pending", "pending", "pending"]'
sup install "$T/other.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 8 "install"
assert_stderr "sup: error: an unfinished install is pending ("
assert_stderr "run 'sup install --resume' to finish it or 'sup install --abandon' to close it"
assert_missing "$R/other.txt"
assert_json "$C" 'd["package"]["name"]' "multi"
assert_json "$C" 'd["result"]' "running"

section "pending run: --abandon"
sup install --abandon --root "$R"
expect_exit 0 "abandon"
assert_stderr "sup: abandoned the pending install of"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["finished"] is not None' "true"
assert_json "$C" 'd["error"]["code"]' "abandoned"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "failed", "skipped", "skipped", "skipped", "skipped"]'
assert_json "$C" 'd["actions"][2]["error"]["code"]' "abandoned"
assert_json "$C" 'd["summary"]["pending"]' "0"
assert_eq "$(lines "$R/counter")" "a1 a2 " "counter: nothing ran after the kill"
assert_missing "$R/var/lib/supkit/install.json"
resume
expect_exit 0 "resume"
assert_stderr "sup: nothing to resume"
sup install --abandon --root "$R"
expect_exit 0 "abandon again"
assert_stderr "sup: no pending install to abandon"
watch_stop abandon
watched abandon '["running", "failed"]'
assert_json "$T/abandon.watch.json" 'd["killed"]' \
	'["succeeded", "succeeded", "running", "pending", "pending", "pending", "pending"]'

section "pending run: a new install after --abandon"
sup install "$T/other.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_content "$R/other.txt" $'other\n'
assert_json "$C" 'd["package"]["name"]' "other"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" 'd.get("resumed")' "null"

finish
