#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_progress.sh - progress of `sup install` (issue 11, item 6). On a
# terminal (a pseudo-terminal here) one live line per stage redraws in
# place and the output ends clean; --quiet, TERM=dumb and a stderr that
# is no terminal get plain lines only. --progress-fd N writes one JSON
# event per line: stages in order, bytes that never go back and reach
# their total, a last "result" that matches the exit code, also for a
# failed, a refused, a detached and a suspended install, a --resume and
# an --abandon. A reader that goes away
# costs one warning, never the install; a bad descriptor is a usage
# error (exit 2).
. "$(dirname "$0")/lib.sh"

PLUGINS=(--plugin-dir "$SUP_FIXTURE_DIR/good" --plugin-dir "$SUP_PLUGIN_DIR")
head -c $((24 * 1024 * 1024)) /dev/urandom >"$T/big.bin"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$T/slow.bin"

# The package: a large file staged, a payload streamed slowly by its
# action (fixture.payload reads 64 KiB, then pauses chunk_ms), and an
# action without payload. FAIL=1: the last action fails.
progress_pkg() {
	local last='{"id": "hello", "type": "exec.command", "params": {"argv": ["/bin/echo", "hi"]}}'
	[ "${2:-0}" = 1 ] && last='{"id": "hello", "type": "exec.command", "params": {"argv": ["/bin/false"]}}'
	pkg "$1" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "prog", "version": "1"},
  "actions": [
    {"id": "big", "type": "file.install", "params": {"path": "/opt/big.bin"},
     "payloads": ["big.bin"]},
    {"id": "slow", "type": "fixture.payload",
     "params": {"path": "/opt/slow.bin", "chunk_ms": 8}, "payloads": ["slow.bin"]},
    $last]},
 "entries": [{"name": "big.bin", "file": "$T/big.bin"},
             {"name": "slow.bin", "file": "$T/slow.bin"}]}
JEOF
}
progress_pkg "$T/p.sup"
progress_pkg "$T/fail.sup" 1

# on_pty OUT CMD...: run CMD with stdin, stdout and stderr on a new
# pseudo-terminal; what it wrote to the terminal goes to OUT, its exit
# status to RC.
on_pty() {
	local out=$1
	shift
	python3 - "$out" "$@" <<'EOF'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=slave, stderr=slave,
                     close_fds=True)
os.close(slave)
out = b""
while True:
    try:
        d = os.read(master, 65536)
    except OSError:  # EIO: the last writer closed the terminal
        break
    if not d:
        break
    out += d
sys.stdout.flush()
with open(sys.argv[1], "wb") as f:
    f.write(out)
sys.exit(p.wait())
EOF
	RC=$?
}

# screen OUT: what a terminal shows of OUT, line by line: every "\r"
# returns to the start of the line and ESC [ K clears the rest, so a line
# shows what follows its last "\r"; then a summary of the redraws.
screen() {
	python3 - "$1" <<'EOF'
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
raw = raw.replace("\r\n", "\n")  # the terminal's own newline mapping
draws = re.findall(r"\r(sup: [^\r\n\x1b]*)\x1b\[K", raw)
live = {}
for d in draws:
    key = d.split(":")[1].strip().split(" ")[0] if ":" in d else d
    live[key] = live.get(key, 0) + 1
lines = [l.split("\r")[-1].replace("\x1b[K", "") for l in raw.split("\n")]
print("ends_with_newline=%s" % raw.endswith("\n"))
print("draws=%d" % len(draws))
print("most_redrawn=%d" % max(live.values(), default=0))
print("visible_eta=%d" % sum(1 for l in lines if "ETA" in l))
print("last=%s" % [l for l in lines if l][-1])
for l in lines:
    if l:
        print("line=" + l)
EOF
}

# ---- (a) on a terminal -----------------------------------------------
section "on a terminal: live lines redrawn in place, a clean end"
R=$(new_root tty)
on_pty "$T/tty.out" "$SUP" install "$T/p.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install on a terminal"
screen "$T/tty.out" >"$T/screen"
assert_same_file "$R/opt/big.bin" "$T/big.bin"
assert_true "some live line was drawn ('\\r' ... ESC [K)" \
	grep -qE '^draws=([2-9]|[0-9]{2,})' "$T/screen"
# The slow action alone takes ~0.4 s: its line is drawn again and again.
assert_true "a live line was redrawn in place at least 3 times" \
	grep -qE '^most_redrawn=([3-9]|[0-9]{2,})' "$T/screen"
assert_true "the output ends with a newline" grep -qx 'ends_with_newline=True' "$T/screen"
assert_true "no live line is left on the screen" grep -qx 'visible_eta=0' "$T/screen"
assert_true "the last line is the result" grep -q "^last=sup: installed 'prog' 1" "$T/screen"
assert_true "the staging summary stays" grep -qE '^line=sup: staged 24.0 MiB in [0-9.]+ s' "$T/screen"
assert_true "the verification summary stays" grep -qE '^line=sup: verified 3.0 MiB in' "$T/screen"
assert_true "the action lines stay, as off a terminal" \
	grep -qx 'line=sup: \[2/3\] slow (fixture.payload)' "$T/screen"
grep -qE 'sup:   \[2/3\] [0-9.]+ [KM]iB of 3.0 MiB \([0-9]+%\), .*/s, ETA [0-9]+:[0-9]{2}' "$T/tty.out" &&
	pass "the action's live line shows bytes, percent, rate and ETA" ||
	fail "the action's live line" "bytes, percent, rate, ETA" "$(head -c 600 "$T/tty.out" | cat -A)"

section "on a terminal with --quiet, or TERM=dumb: no live line"
R=$(new_root ttyq)
on_pty "$T/ttyq.out" "$SUP" install "$T/p.sup" --root "$R" "${PLUGINS[@]}" -q
expect_exit 0 "install -q on a terminal"
assert_false "no carriage return" grep -q $'\r[^\n]' "$T/ttyq.out"
R=$(new_root ttyd)
on_pty "$T/ttyd.out" env TERM=dumb "$SUP" install "$T/p.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install with TERM=dumb"
assert_false "no ESC [ K" grep -q $'\x1b' "$T/ttyd.out"

# ---- (c) off a terminal ------------------------------------------------
section "off a terminal: plain lines as before"
R=$(new_root plain)
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_false "no carriage return or escape on stderr" grep -q $'[\r\x1b]' "$T/err"
assert_stderr "sup: [2/3] slow (fixture.payload)"
assert_stderr_not "sup: staged"
assert_stderr_not "sup: verified 3.0"

# ---- (b) --progress-fd ---------------------------------------------------
# check_events FILE EXIT RESULT: every line of FILE is a JSON event that
# fits docs/schema/progress-v1.schema.json (when python3-jsonschema is
# there), in order, with bytes that never go back and reach their totals,
# and the last is the result; prints what is wrong, or "ok STAGES".
check_events() {
	python3 - "$@" "$SUP_SOURCE_DIR/docs/schema/progress-v1.schema.json" <<'EOF'
import json, sys
path, code, result = sys.argv[1], int(sys.argv[2]), sys.argv[3]
errors = []
events = []
with open(path, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            events.append(json.loads(line))
        except ValueError as e:
            errors.append("line %d is not JSON: %s: %r" % (n, e, line))
try:
    from jsonschema import Draft202012Validator
    schema = json.load(open(sys.argv[4], encoding="utf-8"))
    validator = Draft202012Validator(schema)
except ImportError:
    validator = None
for e in events:
    for err in (validator.iter_errors(e) if validator else []):
        errors.append("does not fit the schema: %s: %r" % (err.message, e))
order = ["verify", "stage", "actions"]
stage, last_stage, done, total, elapsed, action = None, -1, 0, 0, -1, 0
seen = []
for e in events:
    ev = e.get("event")
    if not isinstance(e.get("elapsed_ms"), int) or e["elapsed_ms"] < elapsed:
        errors.append("elapsed_ms goes back: %r" % e)
    elapsed = e.get("elapsed_ms", elapsed)
    if ev == "stage":
        if stage is not None:
            errors.append("stage %s began inside %s" % (e["stage"], stage))
        stage, done, total = e["stage"], 0, e["bytes_total"]
        i = order.index(stage)
        if i <= last_stage:
            errors.append("stage %s out of order" % stage)
        last_stage = i
        seen.append(stage)
        continue
    if ev in ("progress", "stage_end", "action", "action_end"):
        if e.get("stage") != stage:
            errors.append("%s outside its stage: %r" % (ev, e))
    if ev in ("progress", "stage_end", "action_end"):
        if e["bytes_total"] != total:
            errors.append("bytes_total changed: %r" % e)
        if e["bytes_done"] < done:
            errors.append("bytes_done went back: %d after %d: %r" % (e["bytes_done"], done, e))
        if e["bytes_done"] > total:
            errors.append("bytes_done beyond the total: %r" % e)
        if not 0 <= e["percent"] <= 100:
            errors.append("percent out of range: %r" % e)
        done = e["bytes_done"]
    if ev == "action":
        a = e["action"]
        if a["index"] <= action or a["index"] > a["count"] or not a["id"] or not a["type"]:
            errors.append("bad action event: %r" % e)
        action = a["index"]
    if ev == "action_end" and e["result"] not in ("succeeded", "failed"):
        errors.append("bad action result: %r" % e)
    if ev == "stage_end":
        if e["ok"] and (done != total or e["percent"] != 100):
            errors.append("a stage that passed ends short of its total: %r" % e)
        stage = None
if stage is not None:
    errors.append("stage %s never ended" % stage)
if not events or events[-1].get("event") != "result":
    errors.append("the last event is not the result")
elif events[-1]["exit_code"] != code or events[-1]["result"] != result:
    errors.append("result %r, exit %d" % (events[-1], code))
if sum(1 for e in events if e.get("event") == "result") != 1:
    errors.append("not exactly one result event")
print("; ".join(errors) if errors else "ok " + ",".join(seen))
EOF
}

section "--progress-fd 3: JSON events, in order, bytes never back, the result"
R=$(new_root fd)
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --progress-fd 3 3>"$T/ev.jsonl"
expect_exit 0 "install"
assert_eq "$(check_events "$T/ev.jsonl" 0 succeeded)" "ok verify,stage,actions" "events"
assert_eq "$(grep -c '"event":"progress"' "$T/ev.jsonl" | awk '{print ($1 >= 2)}')" 1 \
	"progress events during the slow action"
assert_true "the staged bytes reach the file's size" \
	grep -q '"event":"stage_end","stage":"stage","bytes_done":25165824,"bytes_total":25165824' "$T/ev.jsonl"
assert_false "off a terminal, stderr is as before" grep -q $'[\r\x1b]' "$T/err"

section "--progress-fd with a failed, a refused, a dry-run install"
R=$(new_root fdfail)
sup install "$T/fail.sup" --root "$R" "${PLUGINS[@]}" --progress-fd 3 3>"$T/fail.jsonl"
expect_exit 1 "install"
assert_eq "$(check_events "$T/fail.jsonl" 1 failed)" "ok verify,stage,actions" "events of a failed install"
assert_true "the failed action says so" \
	grep -q '"event":"action_end".*"id":"hello".*"result":"failed"' "$T/fail.jsonl"
cp "$T/p.sup" "$T/bad.sup"
# A byte of big.bin (staged, so found in the stage pass) changed.
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(1 << 20); b = f.read(1); f.seek(1 << 20); f.write(bytes([b[0] ^ 1]))' "$T/bad.sup"
R=$(new_root fdbad)
sup install "$T/bad.sup" --root "$R" "${PLUGINS[@]}" --progress-fd 3 3>"$T/bad.jsonl"
expect_exit 3 "install of a corrupt package"
assert_eq "$(check_events "$T/bad.jsonl" 3 rejected)" "ok verify,stage" "events of a refused install"
R=$(new_root fddry)
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --dry-run --progress-fd 3 3>"$T/dry.jsonl"
expect_exit 0 "dry run"
assert_eq "$(check_events "$T/dry.jsonl" 0 dry-run)" "ok verify" "events of a dry run"
assert_true "a dry run verifies every payload" \
	grep -q '"event":"stage_end","stage":"verify","bytes_done":28311552,"bytes_total":28311552' "$T/dry.jsonl"

section "--detach: the caller's result is 'detached'; the installer sends nothing"
R=$(new_root fddetach)
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --detach --progress-fd 3 3>"$T/det.jsonl"
expect_exit 0 "install --detach"
wait_until 30 grep -q '"result": "succeeded"' "$(confirmation "$R")" &&
	pass "the detached install ended" || fail "detached install" "succeeded" "$(cat "$(confirmation "$R")")"
wait_unlocked "$R/var/lib/supkit"
assert_eq "$(check_events "$T/det.jsonl" 0 detached)" "ok verify,stage" "events of a detached install"
assert_true "the result names the installer's pid" grep -q '"result":"detached","exit_code":0,"pid":[0-9]' "$T/det.jsonl"

section "a reader that goes away: one warning, the install goes on"
R=$(new_root fdgone)
# true exits at once: the first event finds no reader (EPIPE).
"$SUP" install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --progress-fd 3 3>&1 >/dev/null 2>"$T/err" | true
assert_eq "${PIPESTATUS[0]}" 0 "install exit"
assert_stderr "sup: warning: progress descriptor 3: Broken pipe; no more progress events"
assert_eq "$(grep -c 'progress descriptor' "$T/err")" 1 "warnings"
assert_same_file "$R/opt/big.bin" "$T/big.bin"
assert_json "$(confirmation "$R")" 'd["result"]' "succeeded"

section "--resume and --abandon with --progress-fd"
# A sleeper first (stopped by SIGTERM: the install is suspended, exit 7),
# then the large file and an action without payload.
pkg "$T/pause.sup" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "pause", "version": "1"},
  "actions": [
    {"id": "nap", "type": "exec.command",
     "params": {"argv": ["/bin/sh", "-c", ": >\\"\$SUP_ROOT/napping\\"; exec sleep 2"]}},
    {"id": "big", "type": "file.install", "params": {"path": "/opt/big.bin"},
     "payloads": ["big.bin"]},
    {"id": "ok", "type": "fixture.ok"}]},
 "entries": [{"name": "big.bin", "file": "$T/big.bin"}]}
JEOF
# suspend NAME: install pause.sup into a new root $R, events in
# $T/NAME.jsonl, stopped by SIGTERM while its first action runs.
suspend() {
	R=$(new_root "$1")
	"$SUP" install "$T/pause.sup" --root "$R" "${PLUGINS[@]}" --progress-fd 3 \
		3>"$T/$1.jsonl" 2>"$T/err" &
	local pid=$!
	E2E_PIDS+=("$pid")
	assert_true "the first action runs" wait_until 20 test -e "$R/napping"
	kill -TERM "$pid"
	wait "$pid"
	assert_eq "$?" 7 "a suspended install's exit status"
	assert_eq "$(check_events "$T/$1.jsonl" 7 suspended)" "ok verify,stage,actions" \
		"events of a suspended install"
}
suspend fdsusp
sup install --resume --root "$R" --progress-fd 3 3>"$T/resume.jsonl"
expect_exit 0 "resume"
assert_eq "$(check_events "$T/resume.jsonl" 0 succeeded)" "ok verify,stage,actions" \
	"events of a resume"
assert_true "the resume stages the large file again" \
	grep -q '"event":"stage_end","stage":"stage","bytes_done":25165824,"bytes_total":25165824' "$T/resume.jsonl"
assert_eq "$(grep -o '"event":"action","stage":"actions","action":{"index":[0-9]*' "$T/resume.jsonl" | grep -o '[0-9]*$' | tr '\n' ' ')" \
	"2 3 " "actions the resume runs (the suspended one had ended)"
assert_same_file "$R/opt/big.bin" "$T/big.bin"
sup install --resume --root "$R" --progress-fd 3 3>"$T/none.jsonl"
expect_exit 0 "resume with nothing pending"
assert_eq "$(check_events "$T/none.jsonl" 0 nothing-pending)" "ok " "events of a resume with nothing pending"
suspend fdab
sup install --abandon --root "$R" --progress-fd 3 3>"$T/abandon.jsonl"
expect_exit 0 "abandon"
assert_eq "$(check_events "$T/abandon.jsonl" 0 abandoned)" "ok " "events of an abandon"
assert_json "$(confirmation "$R")" 'd["result"]' "failed"
sup install --abandon --root "$R" --progress-fd 3 3>"$T/none.jsonl"
expect_exit 0 "abandon with nothing pending"
assert_eq "$(check_events "$T/none.jsonl" 0 nothing-pending)" "ok " "events of an abandon with nothing pending"

# ---- (d) a bad descriptor ------------------------------------------------
section "--progress-fd: a descriptor that cannot be written is a usage error"
R=$(new_root fdusage)
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --progress-fd x3
expect_exit 2 "not a number"
assert_stderr "--progress-fd 'x3': not a descriptor number"
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --progress-fd 57
expect_exit 2 "not open"
assert_stderr "--progress-fd '57': not an open descriptor"
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --progress-fd 3 3</dev/null
expect_exit 2 "read-only"
assert_stderr "--progress-fd '3': not open for writing"
sup install "$T/p.sup" --root "$R" "${PLUGINS[@]}" --json --progress-fd 1
expect_exit 2 "--json on the same descriptor"
assert_missing "$R/opt"

finish
