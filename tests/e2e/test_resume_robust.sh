#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_resume_robust.sh - resume and abandon where it is hard:
#  - on a fresh root (nothing pending, exit 0, nothing created);
#  - the installer killed (SIGKILL, by strace, at an exact system call)
#    between its first durable writes: around the first confirmation.json
#    and install.json, and after the final record, before install.json
#    is removed; nothing is stuck, no action runs twice, the temporaries
#    of the killed writes are swept;
#  - SIGTERM during an action: exit 7, "suspended" with the signal as
#    reason, and --resume runs the rest exactly once;
#  - --resume after the package changed, vanished, or install.json or
#    confirmation.json were damaged or belong to another run: the
#    documented exit code and record, and no action runs;
#  - the durable-write order (fsync of the temporary, rename, fsync of the
#    directory) of confirmation.json and install.json, and a rewrite that
#    replaces the inode, read from an strace of real runs.
. "$(dirname "$0")/lib.sh"

if ! command -v strace >/dev/null; then
	echo "e2e: error: strace is needed (scripts/setup.sh installs it)" >&2
	exit 2
fi

PLUGINS=(--plugin-dir "$SUP_PLUGIN_DIR")
# LeakSanitizer (sanitizer builds) cannot work under ptrace: no leak check
# for the runs under strace.
NOLSAN=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")

# step ID [PREFIX]: an exec.command action (not idempotent) appending
# PREFIXID to /counter.
step() {
	printf '{"id": "%s", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo %s%s >>\\"$SUP_ROOT/counter\\""]}}' \
		"$1" "${2:-}" "$1"
}
# gate ID [PREFIX]: like step, then creates /in-ID and waits (10 s at
# most) until /go-ID exists: the test signals the installer meanwhile.
gate() {
	printf '{"id": "%s", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo %s%s >>\\"$SUP_ROOT/counter\\"; : >\\"$SUP_ROOT/in-%s\\"; i=0; while [ ! -e \\"$SUP_ROOT/go-%s\\" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done"]}}' \
		"$1" "${2:-}" "$1" "$1" "$1"
}

# robust.sup: a1, slow (gate), a2, file; robust-b.sup: the same ids, other
# commands and content (a package the pending install could be confused
# with).
pkg "$T/robust.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "robust", "version": "1.0" },
    "actions": [ $(step a1), $(gate slow), $(step a2),
      {"id": "file", "type": "file.install", "params": {"path": "/opt/r.txt"}, "payloads": ["r.txt"]} ] },
  "entries": [{"name": "r.txt", "data": "robust\n"}] }
EOF
pkg "$T/robust-b.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "robust", "version": "1.0" },
    "actions": [ $(step a1 B-), $(gate slow B-), $(step a2 B-),
      {"id": "file", "type": "file.install", "params": {"path": "/opt/r.txt"}, "payloads": ["r.txt"]} ] },
  "entries": [{"name": "r.txt", "data": "other\n"}] }
EOF
pkg "$T/quick.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "quick", "version": "1.0" },
    "actions": [ $(step q1), $(step q2) ] } }
EOF

lines() { # lines FILE: its lines, space-separated
	tr '\n' ' ' <"$1" 2>/dev/null
}

state_dir() {
	echo "$R/var/lib/supkit"
}

# temporaries: the sk_atomic temporaries and staging directories left in
# the state and logs directories of $R, one per line.
temporaries() {
	find "$R/var/lib/supkit" "$R/var/log/supkit" -maxdepth 1 -name '.*.??????' 2>/dev/null
	find "$R/var/lib/supkit/staging" -mindepth 1 -maxdepth 1 2>/dev/null
}

# fresh NAME: a new root $R (record $C).
fresh() {
	R=$(new_root "$1")
	C=$(confirmation "$R")
}

# ---- a fresh root ------------------------------------------------------
section "fresh root: nothing pending"
fresh empty
take_snapshot "$R" empty
sup install --resume --root "$R"
expect_exit 0 "--resume"
assert_eq "$(cat "$T/err")" "sup: nothing to resume" "stderr"
sup install --abandon --root "$R"
expect_exit 0 "--abandon"
assert_eq "$(cat "$T/err")" "sup: no pending install to abandon" "stderr"
sup install --resume --root "$R" -q
expect_exit 0 "--resume -q"
assert_eq "$(cat "$T/err")" "" "stderr with -q"
assert_unchanged "$R" empty "the fresh root (nothing created)"
sup install --resume --root "$R" --config "$T/no-such.conf"
expect_exit 6 "--resume with a configuration that cannot be read"
assert_stderr "cannot read '$T/no-such.conf'"
# A root whose state directory exists but holds nothing.
mkdir -p "$R/var/lib/supkit"
sup install --resume --root "$R"
expect_exit 0 "--resume, empty state directory"
assert_stderr "sup: nothing to resume"

# ---- killed at an exact system call --------------------------------------
# call_index CALL FILE N: the index (1-based) among the CALL system calls
# (rename, unlink) of the traced main process ($T/dry.trace) of the N-th
# ("last": the last) one on FILE (a rename's target).
call_index() {
	python3 - "$T/dry.trace" "$1" "$2" "$3" <<'EOF'
import re, sys
trace, call, name, n = sys.argv[1:5]
k = c = 0
found = None
for line in open(trace):
    if not line.startswith(call + "("):
        continue
    k += 1
    p = re.findall(r'"([^"]*)"', line)
    if p and p[-1].endswith("/" + name):
        c += 1
        found = k
        if n != "last" and c == int(n):
            break
if found and (n == "last" or c == int(n)):
    print(found)
EOF
}

# killed_at NAME CALL FILE N: in a fresh root $R, `sup install quick.sup`
# gets SIGKILL on entering the N-th CALL (rename or unlink) on FILE
# (strace -e inject): for a rename, the temporary is written and synced,
# the rename not done. The calls are counted in a first, uninjected run
# in another fresh root (the same sequence: same package, same empty
# root).
killed_at() {
	local name=$1 call=$2 file=$3 n=$4 idx
	fresh "$name-dry"
	"${NOLSAN[@]}" strace -qq -o "$T/dry.trace" -e trace="$call" \
		"$SUP" install "$T/quick.sup" --root "$R" "${PLUGINS[@]}" \
		>/dev/null 2>&1
	idx=$(call_index "$call" "$file" "$n")
	if [ -z "$idx" ]; then
		fail "$name: $call number $n of $file not found in the trace" \
			"a $call" "$(cat "$T/dry.trace")"
		idx=1
	fi
	fresh "$name"
	# (The braces keep bash's "Killed" notice off the log.)
	{
		run "${NOLSAN[@]}" strace -qq -o /dev/null -e trace="$call" \
			-e inject="$call":signal=SIGKILL:when="$idx" \
			"$SUP" install "$T/quick.sup" --root "$R" "${PLUGINS[@]}"
	} 2>/dev/null
	assert_eq "$RC" "137" "$name: the installer was killed ($call $idx, $file #$n)"
}

section "killed before the first record is in place"
killed_at k-record rename confirmation.json 1
assert_missing "$C"
assert_missing "$(state_dir)/install.json"
assert_eq "$(temporaries | sed 's|.*/||; s|\.[^.]*$||')" ".confirmation.json" \
	"the temporary of the record is left"
sup install --resume --root "$R"
expect_exit 0 "--resume"
assert_stderr "sup: nothing to resume"
assert_eq "$(temporaries)" "" "temporaries after --resume"
assert_missing "$C"
assert_missing "$R/counter"

section "killed after the first record, before install.json"
killed_at k-state rename install.json 1
assert_json "$C" 'd["result"]' "running"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["pending", "pending"]'
assert_missing "$(state_dir)/install.json"
assert_eq "$(temporaries | sed 's|.*/||; s|\.[^.]*$||')" ".install.json" \
	"the temporary of install.json is left"
# Nothing is pending: a new install is not refused, a resume has nothing
# to do; the record that says "running" is closed.
sup install --resume --root "$R"
expect_exit 0 "--resume"
assert_stderr "sup: closed the record of a run that was never pending: there is no install state in '$(state_dir)'"
assert_stderr "sup: nothing to resume"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["error"]["code"]' "interrupted"
assert_json "$C" 'd["finished"] is not None' "true"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["skipped", "skipped"]'
assert_eq "$(temporaries)" "" "temporaries after --resume"
assert_missing "$(state_dir)/package.sup"
assert_missing "$R/counter"
assert_true "the closed run is in the audit log" \
	grep -q '"msg":"package quick 1.0 failed: ' "$R/var/log/supkit/audit.jsonl"
sup install --resume --root "$R"
expect_exit 0 "--resume again"
assert_stderr_not "closed the record"
sup install "$T/quick.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "a new install"
assert_eq "$(lines "$R/counter")" "q1 q2 " "counter"

section "killed after the first record, before install.json: a new install"
killed_at k-state2 rename install.json 1
sup install "$T/quick.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "a new install"
assert_eq "$(lines "$R/counter")" "q1 q2 " "counter"
assert_json "$C" 'd["result"]' "succeeded"
assert_eq "$(grep -c '"action":null' "$R/var/log/supkit/audit.jsonl")" "2" \
	"audit summaries: the closed run and the new one"
assert_eq "$(temporaries)" "" "temporaries"

section "killed after install.json, before the first action"
# The second record write marks q1 running; killed on it, install.json
# and the first record are in place and no action ran.
killed_at k-first rename confirmation.json 2
assert_json "$C" '[a["status"] for a in d["actions"]]' '["pending", "pending"]'
assert_file "$(state_dir)/install.json"
assert_missing "$R/counter"
sup install "$T/quick.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 8 "a new install while it is pending"
sup install --resume --root "$R"
expect_exit 0 "--resume"
assert_stderr "sup: resuming 'quick' 1.0 (interrupted)"
assert_eq "$(lines "$R/counter")" "q1 q2 " "counter: each action once"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["succeeded", "succeeded"]'
assert_missing "$(state_dir)/install.json"
assert_eq "$(temporaries)" "" "temporaries after --resume"

section "killed before install.json: --abandon"
killed_at k-abandon rename install.json 1
sup install --abandon --root "$R"
expect_exit 0 "--abandon"
assert_stderr "sup: no pending install to abandon"
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["error"]["code"]' "interrupted"
assert_eq "$(temporaries)" "" "temporaries after --abandon"

section "killed after the final record, before install.json is removed"
killed_at k-end unlink install.json last
assert_json "$C" 'd["result"]' "succeeded"
assert_file "$(state_dir)/install.json"
assert_eq "$(lines "$R/counter")" "q1 q2 " "counter"
sup install "$T/quick.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 8 "a new install while install.json is there"
sup install --resume --root "$R"
expect_exit 0 "--resume"
assert_stderr "sup: the pending install of 'quick' 1.0 had ended (succeeded) before its install state was removed"
assert_stderr_not "sup: resuming"
assert_eq "$(lines "$R/counter")" "q1 q2 " "counter: nothing ran again"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" 'd.get("resumed")' "null"
assert_missing "$(state_dir)/install.json"
assert_missing "$(state_dir)/package.sup"
assert_true "installed.json names quick 1.0" grep -q '"quick"' "$(state_dir)/installed.json"
sup install --resume --root "$R"
expect_exit 0 "--resume again"
assert_stderr "sup: nothing to resume"

section "killed after the final record, before install.json is removed: --abandon"
killed_at k-end2 unlink install.json last
cp "$C" "$T/ended.json"
sup install --abandon --root "$R"
expect_exit 0 "--abandon"
assert_stderr "sup: the pending install of 'quick' 1.0 had ended (succeeded)"
assert_same_file "$C" "$T/ended.json"
assert_missing "$(state_dir)/install.json"
assert_true "installed.json names quick 1.0" grep -q '"quick"' "$(state_dir)/installed.json"

# ---- SIGTERM during an action ------------------------------------------
# suspend_robust NAME SIGNAL: in a fresh root, install robust.sup and send
# SIGNAL to the installer while "slow" runs; then let "slow" end. Sets
# R, C, RC (the installer's exit status).
suspend_robust() {
	local pid
	fresh "$1"
	"$SUP" install "$T/robust.sup" --root "$R" "${PLUGINS[@]}" \
		>"$T/out" 2>"$T/err" &
	pid=$!
	E2E_PIDS+=("$pid")
	wait_until 10 test -e "$R/in-slow" || fail "$1: the slow action did not start"
	kill -"$2" "$pid"
	# The action goes on: the signal does not reach it.
	sleep 0.2
	: >"$R/go-slow"
	wait "$pid"
	RC=$?
}

section "SIGTERM during an action: suspended"
suspend_robust term TERM
expect_exit 7 "install"
assert_stderr "sup: 'robust' 1.0 suspended (signal 15); 'sup install --resume' continues it"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "suspended"
assert_json "$C" 'd["suspended"]["reason"]' "signal 15"
assert_json "$C" 'd["suspended"]["after_action"]' "slow"
assert_json "$C" 'd["suspended"]["at"] is not None' "true"
assert_json "$C" 'd["finished"]' "null"
assert_json "$C" 'd["error"]' "null"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "pending", "pending"]'
assert_json "$C" 'd["summary"]' \
	'{"failed": 0, "pending": 2, "skipped": 0, "succeeded": 2, "total": 4}'
assert_eq "$(lines "$R/counter")" "a1 slow " "counter"
assert_missing "$R/opt/r.txt"
assert_file "$(state_dir)/install.json"

section "SIGTERM during an action: --resume runs the rest once"
rm -f "$R/in-slow" "$R/go-slow"
sup install --resume --root "$R"
expect_exit 0 "--resume"
assert_stderr "sup: resuming 'robust' 1.0 (signal 15)"
assert_stderr_not "] slow ("
assert_eq "$(lines "$R/counter")" "a1 slow a2 " "counter: every action once"
assert_content "$R/opt/r.txt" $'robust\n'
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded"]'
assert_json "$C" '[r["reason"] for r in d["resumed"]]' '["signal 15"]'
assert_json "$C" 'd.get("suspended")' "null"
assert_json "$C" '[a.get("interrupted") for a in d["actions"]]' \
	'[null, null, null, null]'
assert_missing "$(state_dir)/install.json"
assert_missing "$R/in-slow"
sup install --resume --root "$R"
expect_exit 0 "--resume again"
assert_stderr "sup: nothing to resume"
assert_eq "$(lines "$R/counter")" "a1 slow a2 " "counter"

section "SIGINT during an action: suspended"
suspend_robust int INT
expect_exit 7 "install"
assert_json "$C" '[d["result"], d["suspended"]["reason"], d["suspended"]["after_action"]]' \
	'["suspended", "signal 2", "slow"]'
sup install --resume --root "$R" -q
expect_exit 0 "--resume"
assert_eq "$(lines "$R/counter")" "a1 slow a2 " "counter"

section "SIGTERM during the last action: the run ends"
pkg "$T/last.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "last", "version": "1.0" },
    "actions": [ $(step l1), $(gate slow) ] } }
EOF
fresh last
"$SUP" install "$T/last.sup" --root "$R" "${PLUGINS[@]}" >"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS+=("$pid")
wait_until 10 test -e "$R/in-slow" || fail "the slow action did not start"
kill -TERM "$pid"
: >"$R/go-slow"
wait "$pid"
RC=$?
expect_exit 0 "install"
assert_json "$C" 'd["result"]' "succeeded"
assert_missing "$(state_dir)/install.json"

# ---- --resume that cannot go on ------------------------------------------
# pending NAME: robust.sup suspended by SIGTERM after "slow" in a fresh
# root, its package and state in place.
pending() {
	suspend_robust "$1" TERM
	[ "$RC" -eq 7 ] || fail "$1: the install was not suspended" "7" "$RC"
	rm -f "$R/in-slow" "$R/go-slow"
	RECORD_BEFORE=$(jq_py "$C" '[d["result"], [a["status"] for a in d["actions"]]]')
}

section "--resume: the package changed"
pending changed
# The package is rewritten in place (same inode, so the state's hard
# link sees it too) with another valid package of the same action ids.
PKG_LINK="$(state_dir)/package.sup"
assert_eq "$(stat -c %i "$PKG_LINK")" "$(stat -c %i "$T/robust.sup")" \
	"the state keeps a hard link to the package"
cp "$T/robust.sup" "$T/robust.sup.orig"
cat "$T/robust-b.sup" >"$T/robust.sup"
sup install --resume --root "$R"
expect_exit 1 "--resume"
assert_stderr "sup: error: cannot resume: package '$PKG_LINK' is gone or changed since the install started"
assert_eq "$(lines "$R/counter")" "a1 slow " "counter: no action ran"
assert_missing "$R/opt/r.txt"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["error"]["code"]' "package_changed"
assert_json_contains "$C" 'd["error"]["message"]' "is gone or changed since the install started"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "skipped", "skipped"]'
assert_missing "$(state_dir)/install.json"
assert_missing "$PKG_LINK"
cat "$T/robust.sup.orig" >"$T/robust.sup"

section "--resume: the package vanished"
pending vanished
rm -f "$(state_dir)/package.sup"
sup install --resume --root "$R"
expect_exit 1 "--resume"
assert_stderr "is gone or changed since the install started"
assert_eq "$(lines "$R/counter")" "a1 slow " "counter: no action ran"
assert_json "$C" '[d["result"], d["error"]["code"]]' '["failed", "package_changed"]'
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "skipped", "skipped"]'
assert_missing "$(state_dir)/install.json"

section "--resume: install.json damaged"
pending damaged-state
printf '{"state_format": 1, "sup": ' >"$(state_dir)/install.json"
sup install --resume --root "$R"
expect_exit 1 "--resume"
assert_stderr "sup: error: cannot resume: install state in '$(state_dir)': install state is not a JSON object"
assert_eq "$(lines "$R/counter")" "a1 slow " "counter: no action ran"
assert_json "$C" '[d["result"], d["error"]["code"]]' '["failed", "resume_failed"]'
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "skipped", "skipped"]'
assert_missing "$(state_dir)/install.json"
assert_missing "$(state_dir)/package.sup"
sup install "$T/quick.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "a new install"

section "--resume: install.json names another package hash"
pending state-hash
python3 - "$(state_dir)/install.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["sup_sha256"] = "0" * 64
json.dump(d, open(sys.argv[1], "w"))
EOF
sup install --resume --root "$R"
expect_exit 1 "--resume"
assert_stderr "is gone or changed since the install started"
assert_eq "$(lines "$R/counter")" "a1 slow " "counter: no action ran"
assert_json "$C" '[d["result"], d["error"]["code"]]' '["failed", "package_changed"]'

section "--resume: confirmation.json damaged"
pending damaged-record
printf '{"confirmation_format": 1, "act' >"$C"
cp "$C" "$T/damaged.json"
sup install --resume --root "$R"
expect_exit 6 "--resume"
assert_stderr "sup: error: cannot resume: '$C': confirmation.json is missing or does not parse; 'sup install --abandon' closes the pending run"
assert_eq "$(lines "$R/counter")" "a1 slow " "counter: no action ran"
assert_file "$(state_dir)/install.json"
assert_same_file "$C" "$T/damaged.json"
sup install "$T/quick.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 8 "a new install while it is pending"
sup install --abandon --root "$R"
expect_exit 0 "--abandon"
assert_missing "$(state_dir)/install.json"
assert_eq "$(lines "$R/counter")" "a1 slow " "counter: no action ran"

section "--resume: confirmation.json of another run"
# The pending install's record replaced by the final record of an earlier
# run of a package with the same action ids: continuing from it would
# mark this package installed with none of its remaining actions run.
fresh foreign
sup install "$T/robust-b.sup" --root "$R" "${PLUGINS[@]}" -q
expect_exit 0 "install of robust-b.sup"
cp "$C" "$T/foreign.json"
rm -f "$R/counter" "$R/in-slow" "$R/go-slow"
"$SUP" install "$T/robust.sup" --root "$R" "${PLUGINS[@]}" >"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS+=("$pid")
wait_until 10 test -e "$R/in-slow" || fail "the slow action did not start"
kill -TERM "$pid"
: >"$R/go-slow"
wait "$pid"
rm -f "$R/in-slow" "$R/go-slow"
cp "$T/foreign.json" "$C"
sup install --resume --root "$R"
expect_exit 6 "--resume"
assert_stderr "sup: error: cannot resume: '$C' is not the record of the pending install (its result is 'succeeded', its package sha256 $(sha256 "$T/robust-b.sup"))"
assert_eq "$(lines "$R/counter")" "a1 slow " "counter: no action ran"
assert_same_file "$C" "$T/foreign.json"
assert_file "$(state_dir)/install.json"
sup install --abandon --root "$R"
expect_exit 0 "--abandon"
assert_same_file "$C" "$T/foreign.json"
assert_missing "$(state_dir)/install.json"

# ---- durable writes, from an strace of real runs ------------------------
# check_trace TRACE: every rename over confirmation.json or install.json
# in TRACE (strace -y of the installer's main process) is the last step
# of a durable write: a temporary ".NAME.XXXXXX" created in the same
# directory (O_CREAT|O_EXCL), written, then fsync'd or fdatasync'd, then
# renamed; then the directory is fsync'd before the next rename. Neither
# file is ever opened for writing itself (a rewrite is a new inode). The
# first record is in place before install.json. Prints one line per
# violation, and "writes N" (the number of durable writes checked).
check_trace() {
	python3 - "$1" <<'EOF'
import os, re, sys
names = ("confirmation.json", "install.json")
call = re.compile(r'^(?:\[pid +\d+\] |\d+ +)?(\w+)\((.*)\) += (-?\d+)(<([^>]*)>)?')
fdpath = re.compile(r'^(\d+)<([^>]*)>')
events = []  # (kind, info)
for line in open(sys.argv[1]):
    m = call.match(line)
    if not m:
        continue
    name, args, ret, retpath = m.group(1), m.group(2), int(m.group(3)), m.group(5)
    if ret < 0:
        continue
    if name in ("open", "openat", "creat"):
        path = retpath
        flags = args
        events.append(("open", path, flags))
    elif name in ("write", "pwrite64", "writev", "ftruncate"):
        fm = fdpath.match(args)
        if fm:
            events.append(("write", fm.group(2), ""))
    elif name in ("fsync", "fdatasync"):
        fm = fdpath.match(args)
        if fm:
            events.append(("fsync", fm.group(2), ""))
    elif name in ("rename", "renameat", "renameat2"):
        paths = re.findall(r'"([^"]*)"', args)
        if len(paths) == 2:
            events.append(("rename", paths[0], paths[1]))
bad = []
writes = 0
first = {}
for i, ev in enumerate(events):
    kind = ev[0]
    if kind == "open" and os.path.basename(ev[1]) in names and \
            re.search(r'O_WRONLY|O_RDWR|O_TRUNC|O_APPEND', ev[2]):
        bad.append("opened for writing in place: %s (%s)" % (ev[1], ev[2]))
    if kind != "rename":
        continue
    src, dst = ev[1], ev[2]
    base = os.path.basename(dst)
    if base not in names:
        continue
    writes += 1
    first.setdefault(base, i)
    d = os.path.realpath(os.path.dirname(dst))
    if os.path.realpath(os.path.dirname(src)) != d or \
            not re.fullmatch(r'\.' + re.escape(base) + r'\.[A-Za-z0-9]{6}',
                             os.path.basename(src)):
        bad.append("rename from %s: not a temporary of %s" % (src, dst))
        continue
    tmp = os.path.join(d, os.path.basename(src))
    # Back from the rename: the temporary's fsync, its writes before it,
    # and its creation.
    synced = created = False
    for kind2, p, flags in reversed(events[:i]):
        if p != tmp:
            continue
        if kind2 == "fsync" and not synced and not created:
            synced = True
        elif kind2 == "write" and not synced:
            bad.append("%s: written after its fsync, or never synced" % tmp)
            break
        elif kind2 == "open":
            created = "O_CREAT" in flags and "O_EXCL" in flags
            break
    if not synced:
        bad.append("%s: renamed over %s without an fsync" % (tmp, base))
    if not created:
        bad.append("%s: not created with O_CREAT|O_EXCL" % tmp)
    # Forward: the directory's fsync before any other rename.
    ok = False
    for kind2, p, _ in events[i + 1:]:
        if kind2 == "rename":
            break
        if kind2 == "fsync" and p == d:
            ok = True
            break
    if not ok:
        bad.append("rename over %s: the directory %s is not synced after it" % (dst, d))
if "install.json" in first and first["install.json"] < first.get("confirmation.json", 1 << 30):
    bad.append("install.json is in place before the first confirmation.json")
for b in bad[:20]:
    print(b)
print("writes %d" % writes)
EOF
}

STRACE=("${NOLSAN[@]}" strace -qq -y -s 0 -e trace=open,openat,creat,write,pwrite64,writev,ftruncate,fsync,fdatasync,rename,renameat,renameat2)

section "durable writes: install"
fresh durable
: >"$R/go-slow"
run "${STRACE[@]}" -o "$T/install.trace" \
	"$SUP" install "$T/robust.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install under strace"
check_trace "$T/install.trace" >"$T/install.check"
# The first record, 4 x 2 around the actions, the final one: 10 records;
# 1 install.json.
assert_eq "$(cat "$T/install.check")" "writes 11" "durable writes of the install"
assert_eq "$(grep -c '^rename(.*/confirmation.json"' "$T/install.trace")" "10" \
	"confirmation.json renames"

section "durable writes: suspend and resume replace the record's inode"
fresh durable-resume
suspend_robust durable-resume TERM
expect_exit 7 "install"
cp "$C" "$T/suspended.json"
INODE=$(stat -c %i "$C")
exec 3<"$C"
run "${STRACE[@]}" -o "$T/resume.trace" "$SUP" install --resume --root "$R"
expect_exit 0 "--resume under strace"
check_trace "$T/resume.trace" >"$T/resume.check"
# resumed, a2 start/end, file start/end, final: 6 records.
assert_eq "$(cat "$T/resume.check")" "writes 6" "durable writes of the resume"
assert_ne "$(stat -c %i "$C")" "$INODE" "the record's inode after the resume"
cat <&3 >"$T/held.json"
exec 3<&-
assert_same_file "$T/held.json" "$T/suspended.json"

finish
