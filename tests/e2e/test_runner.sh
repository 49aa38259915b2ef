#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_runner.sh - the action runner with real plugin processes: order,
# on_error, crashes, hangs, failing and crashing checks, output capture,
# rollback, stop signals, and a confirmation.json that parses at every
# instant of a run.
. "$(dirname "$0")/lib.sh"

PLUGINS=(--plugin-dir "$SUP_FIXTURE_DIR/good" --plugin-dir "$SUP_PLUGIN_DIR")

# mkpkg NAME ACTIONS: $T/NAME.sup with the given actions (a JSON list)
# and no payloads.
mkpkg() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "$1", "version": "1.0" },
    "actions": $2 } }
EOF
}

# install NAME [ARGS...]: install $T/NAME.sup into a fresh root $R; $C is
# its confirmation.json.
install() {
	local name=$1
	shift
	R=$(new_root "root-$name")
	C=$(confirmation "$R")
	sup install "$T/$name.sup" --root "$R" "${PLUGINS[@]}" "$@"
}

w() { # w ID LINE: a fixture.write action appending LINE to /log.txt
	printf '{"id": "%s", "type": "fixture.write", "params": {"path": "/log.txt", "content": "%s", "append": true}}' "$1" "$2"
}

# ---- order ---------------------------------------------------------
section "manifest order"
mkpkg order "[$(w zulu 1), $(w alpha 2), $(w mike 3), $(w bravo 4), $(w yankee 5)]"
install order
expect_exit 0 "install"
assert_content "$R/log.txt" $'1\n2\n3\n4\n5\n'
assert_json "$C" '[a["id"] for a in d["actions"]]' \
	'["zulu", "alpha", "mike", "bravo", "yankee"]'
assert_json "$C" 'all(d["actions"][i]["finished"] <= d["actions"][i + 1]["started"] for i in range(4))' \
	"true"
assert_json "$C" 'sorted(set(a["plugin"] + " " + a["plugin_version"] for a in d["actions"]))' \
	'["fixture 1.0.0"]'

# ---- on_error ------------------------------------------------------
section "on_error abort"
mkpkg abort "[$(w first 1),
  {\"id\": \"boom\", \"type\": \"fixture.fail\", \"params\": {\"message\": \"disk on fire\"}},
  $(w third 3), $(w fourth 4)]"
install abort
expect_exit 1 "install"
assert_stderr "install of 'abort' 1.0 failed: action 'boom' failed: fixture failure: disk on fire"
assert_content "$R/log.txt" $'1\n'
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["error"]["code"]' "action_failed"
assert_json "$C" 'd["error"]["message"]' \
	"action 'boom' failed: fixture failure: disk on fire"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "failed", "skipped", "skipped"]'
assert_json "$C" 'd["actions"][1]["error"]' \
	'{"code": "action_failed", "message": "fixture failure: disk on fire"}'
assert_json "$C" '[a["started"] for a in d["actions"][2:]]' '[null, null]'
assert_json "$C" 'd["summary"]' \
	'{"failed": 1, "pending": 0, "skipped": 2, "succeeded": 1, "total": 4}'

section "on_error continue"
mkpkg continue "[$(w first 1),
  {\"id\": \"boom\", \"type\": \"fixture.fail\", \"params\": {\"message\": \"minor\"}, \"on_error\": \"continue\"},
  $(w third 3)]"
install continue
expect_exit 0 "install"
assert_content "$R/log.txt" $'1\n3\n'
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" 'd["error"]' "null"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "failed", "succeeded"]'
assert_json "$C" 'd["actions"][1]["on_error"]' "continue"
assert_json "$C" 'd["actions"][1]["error"]["message"]' "fixture failure: minor"
assert_json "$C" 'd["summary"]' \
	'{"failed": 1, "pending": 0, "skipped": 0, "succeeded": 2, "total": 3}'

# ---- a crashing plugin ---------------------------------------------
section "crash"
mkpkg crash "[$(w first 1), {\"id\": \"c\", \"type\": \"fixture.crash\"}, $(w third 3)]"
install crash
expect_exit 1 "install"
assert_stderr "plugin 'fixture' crashed executing action 'c': Segmentation fault (signal 11)"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["finished"] is not None' "true"
assert_json "$C" 'd["error"]["code"]' "plugin_crashed"
assert_json "$C" 'd["actions"][1]["status"]' "failed"
assert_json "$C" 'd["actions"][1]["error"]["code"]' "plugin_crashed"
assert_json_contains "$C" 'd["actions"][1]["error"]["message"]' "signal 11"
assert_json "$C" 'd["actions"][1]["finished"] is not None and isinstance(d["actions"][1]["duration_ms"], int)' "true"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "failed", "skipped"]'
assert_json "$C" 'd["summary"]["pending"]' "0"

# ---- a hanging plugin ----------------------------------------------
section "hang"
mkpkg hang '[{"id": "h", "type": "fixture.hang", "timeout_s": 2}, {"id": "ok", "type": "fixture.ok"}]'
install hang
expect_exit 1 "install"
assert_true "finished within 2 to 6 s (took ${ELAPSED_MS} ms)" \
	test "$ELAPSED_MS" -ge 1900 -a "$ELAPSED_MS" -lt 6000
assert_json "$C" 'd["actions"][0]["error"]["code"]' "timeout"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"plugin 'fixture' timed out after 2 s executing action 'h'"
assert_json "$C" 'd["error"]["code"]' "timeout"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["failed", "skipped"]'

section "hang, SIGTERM ignored"
mkpkg hang-hard '[{"id": "h", "type": "fixture.hang", "timeout_s": 1, "params": {"ignore_sigterm": true}}]'
install hang-hard
expect_exit 1 "install"
assert_true "SIGKILL after the grace period (took ${ELAPSED_MS} ms)" \
	test "$ELAPSED_MS" -ge 5500 -a "$ELAPSED_MS" -lt 10000
assert_json "$C" 'd["actions"][0]["error"]["code"]' "timeout"

# ---- checks ----------------------------------------------------------
section "crashing check"
mkpkg crashcheck "[$(w first 1), {\"id\": \"cc\", \"type\": \"fixture.crashcheck\"}]"
R=$(new_root root-crashcheck)
take_snapshot "$R" crashcheck
sup install "$T/crashcheck.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 4 "install"
assert_stderr "action 'cc': check failed: plugin 'fixture' crashed checking action 'cc': Segmentation fault (signal 11)"
assert_unchanged "$R" crashcheck "root"

section "failing check"
mkpkg checkfail "[$(w first 1), {\"id\": \"cf\", \"type\": \"fixture.checkfail\", \"params\": {\"message\": \"not on this gateway\"}}]"
R=$(new_root root-checkfail)
take_snapshot "$R" checkfail
sup install "$T/checkfail.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 4 "install"
assert_stderr "action 'cf': check failed: fixture check failed: not on this gateway"
assert_unchanged "$R" checkfail "root"

section "checks that share a child (SUP_ACTION_SHARED_CHECK)"
# fixture.pidcheck (shared) and fixture.pidcheck-own (not) fail naming the
# process they ran in: the shared ones in one, the others one each.
mkpkg shared "[{\"id\": \"s1\", \"type\": \"fixture.pidcheck\"},
  {\"id\": \"o1\", \"type\": \"fixture.pidcheck-own\"},
  {\"id\": \"s2\", \"type\": \"fixture.pidcheck\"},
  {\"id\": \"o2\", \"type\": \"fixture.pidcheck-own\"}, $(w last 1)]"
R=$(new_root root-shared)
take_snapshot "$R" shared
sup install "$T/shared.sup" --root "$R" --dry-run "${PLUGINS[@]}"
expect_exit 4 "dry run"
pid_of() { sed -n "s/.*action '$1': check failed: check in process \([0-9]*\).*/\1/p" "$T/err"; }
s1=$(pid_of s1) s2=$(pid_of s2) o1=$(pid_of o1) o2=$(pid_of o2)
assert_true "each check failed with its process (s1=$s1 s2=$s2 o1=$o1 o2=$o2)" \
	test -n "$s1" -a -n "$s2" -a -n "$o1" -a -n "$o2"
assert_true "the shared checks ran in one process" test "$s1" = "$s2"
assert_true "the other checks ran in processes of their own" \
	test "$o1" != "$o2" -a "$o1" != "$s1" -a "$o2" != "$s1"
assert_true "reported in action order" \
	test "$(grep -o "action '[a-z0-9]*': check failed" "$T/err" | cut -d"'" -f2 | tr '\n' ' ')" = "s1 o1 s2 o2 "
assert_unchanged "$R" shared "root"

# ---- output tail ---------------------------------------------------
section "output tail"
# 100 lines of 100 bytes: 10000 bytes of output.
mkpkg output '[{"id": "print", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "i=0; while [ $i -lt 100 ]; do printf \"%099d\\n\" $i; i=$((i + 1)); done"]}}]'
install output
expect_exit 0 "install"
sh -c 'i=0; while [ $i -lt 100 ]; do printf "%099d\n" $i; i=$((i + 1)); done' \
	>expected-output.txt
assert_eq "$(stat -c %s expected-output.txt)" "10000" "size of the full output"
assert_true "output tail: at most 4096 bytes, the last bytes of the output" \
	python3 -c '
import json, sys
out = json.load(open(sys.argv[1]))["actions"][0]["output"]
full = open(sys.argv[2]).read()
print("  tail length %d" % len(out.encode()))
sys.exit(0 if 0 < len(out.encode()) <= 4096 and full.endswith(out) and len(out) >= 4000 else 1)' \
	"$C" expected-output.txt

section "output that is not UTF-8"
# confirmation.json must stay valid JSON (UTF-8 text, RFC 8259) whatever
# bytes a command prints.
mkpkg binary-output '[{"id": "bin", "type": "exec.command", "params": {"argv": ["/usr/bin/printf", "ok\\377\\376end\\n"]}}]'
install binary-output
expect_exit 0 "install"
assert_json_parses "$C"
assert_json_contains "$C" 'd["actions"][0]["output"]' "end"

section "output tail cut inside a UTF-8 character"
# 3001 two-byte characters and one byte: the 4096-byte tail starts in the
# middle of a character unless the cut respects character boundaries.
mkpkg utf8-output '[{"id": "utf8", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "i=0; while [ $i -lt 3001 ]; do printf \"\\303\\251\"; i=$((i + 1)); done; printf x"]}}]'
install utf8-output
expect_exit 0 "install"
assert_json_parses "$C"
tail_check=$(python3 -c '
import json, sys
out = json.loads(open(sys.argv[1], "rb").read())["actions"][0]["output"]
ok = out.endswith("\u00e9x") and set(out[:-1]) == {"\u00e9"} and len(out.encode()) <= 4096
print("ok" if ok else "starts %r, ends %r, %d bytes" % (out[:3], out[-3:], len(out.encode())))' \
	"$C" 2>&1)
assert_eq "$tail_check" "ok" \
	"the tail is whole characters, at most 4096 bytes, ending with the last bytes"

section "output with a NUL byte"
mkpkg nul-output '[{"id": "nul", "type": "exec.command", "params": {"argv": ["/usr/bin/printf", "before\\000after\\n"]}}]'
install nul-output
expect_exit 0 "install"
assert_json_parses "$C"
assert_json_contains "$C" 'd["actions"][0]["output"]' "after"

# ---- a payload changed after preflight -----------------------------
# The first action rewrites bytes of both payloads in the .sup file while
# the installer runs. Both were staged (file.install and file.extract,
# ABI 1.2) and verified before any action ran: the bytes verified are the
# bytes installed, whatever the file says later. (e2e.unverified drives
# a stream that notices such a change: an action whose target staging
# could not reach.)
section "payload changed after preflight"
cat >tamper.py <<'PYEOF'
import io, sys, tarfile
path = sys.argv[1]
with tarfile.open(path) as t:
    members = {m.name: m for m in t.getmembers()}
    inner = t.extractfile("t.tar").read()
with tarfile.open(fileobj=io.BytesIO(inner)) as it:
    inner_off = [m.offset_data for m in it.getmembers() if m.name == "new.txt"][0]
with open(path, "r+b") as f:
    f.seek(members["p.bin"].offset_data + 10)
    f.write(b"BBBB")
    f.seek(members["t.tar"].offset_data + inner_off)
    f.write(b"EVIL")
print("tampered")
PYEOF
mksup - -o t.tar <<'JEOF'
{ "kind": "tar", "entries": [{"name": "new.txt", "data": "new content\n"}] }
JEOF
pkg "$T/toctou.sup" <<JEOF
{ "manifest": { "sup_format": 1, "package": { "name": "toctou", "version": "1.0" },
    "actions": [
      {"id": "tamper", "type": "exec.command", "params": {"argv": ["$PYTHON", "$T/tamper.py", "$T/toctou.sup"]}},
      {"id": "install", "type": "file.install", "params": {"path": "/opt/p.bin"}, "payloads": ["p.bin"], "on_error": "continue"},
      {"id": "extract", "type": "file.extract", "params": {"path": "/opt/ext"}, "payloads": ["t.tar"]}] },
  "entries": [{"name": "p.bin", "repeat": {"text": "A", "count": 100000}},
              {"name": "t.tar", "file": "$T/t.tar"}] }
JEOF
SHA_BEFORE=$(sha256 "$T/toctou.sup")
R=$(new_root root-toctou)
C=$(confirmation "$R")
mkdir -p "$R/opt/ext"
echo old >"$R/opt/ext/old.txt"
sup install "$T/toctou.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_ne "$(sha256 "$T/toctou.sup")" "$SHA_BEFORE" "the package was changed during the run"
assert_json "$C" 'd["actions"][0]["output"]' "tampered"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["succeeded", "succeeded", "succeeded"]'
assert_eq "$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(len(d), set(d) == {65})' "$R/opt/p.bin")" \
	"100000 True" "the staged p.bin, as verified, was installed"
assert_content "$R/opt/ext/new.txt" $'new content\n'
assert_eq "$(cd "$R/opt" && find . | sort | tr '\n' ' ')" \
	". ./ext ./ext/new.txt ./ext/old.txt ./p.bin " "the staged tree, as verified, was merged"

# ---- rollback ------------------------------------------------------
section "rollback"
mkpkg rollback '[{"id": "rb", "type": "fixture.rollback", "params": {"path": "/rolled.txt"}}]'
install rollback
expect_exit 1 "install"
assert_content "$R/rolled.txt" $'rolled back\n'
assert_json "$C" 'd["actions"][0]["status"]' "failed"
assert_json "$C" 'd["actions"][0]["error"]["message"]' "fixture failure before rollback"
assert_json "$C" 'd["actions"][0]["rollback"]["status"]' "succeeded"
assert_json "$C" 'd["actions"][0]["rollback"]["error"]' "null"

mkpkg rollback-fail '[{"id": "rb", "type": "fixture.rollback", "params": {"path": "/rolled.txt", "rollback_fail": true}}]'
install rollback-fail
expect_exit 1 "install"
assert_missing "$R/rolled.txt"
assert_json "$C" 'd["actions"][0]["rollback"]["status"]' "failed"
assert_json "$C" 'd["actions"][0]["rollback"]["error"]["message"]' \
	"fixture rollback failure"

# ---- stop signal ---------------------------------------------------
# SIGTERM to the installer while an action runs (docs/cli.md): the running
# action finishes, the rest do not run, and the run does not end as
# succeeded.
section "SIGTERM during an action"
mkpkg interrupt '[{"id": "slow", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "sleep 1; echo done >\"$SUP_ROOT/first.txt\""]}},
  {"id": "later", "type": "fixture.write", "params": {"path": "/later.txt", "content": "x"}}]'
R=$(new_root root-interrupt)
C=$(confirmation "$R")
"$SUP" install "$T/interrupt.sup" --root "$R" "${PLUGINS[@]}" \
	>"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS+=("$pid")
for _ in $(seq 100); do
	grep -q "running command" "$T/err" && break
	sleep 0.02
done
kill -TERM "$pid"
wait "$pid"
RC=$?
assert_ne "$RC" "0" "exit status after SIGTERM"
echo "  exit $RC, result $(jq_py "$C" 'd["result"]'), error $(jq_py "$C" 'd["error"]')"
assert_json_parses "$C"
assert_content "$R/first.txt" $'done\n'
assert_missing "$R/later.txt"
assert_json "$C" 'd["actions"][0]["status"]' "succeeded"
assert_json "$C" 'd["actions"][1]["status"] in ("skipped", "pending")' "true"
assert_json "$C" 'd["actions"][1]["started"]' "null"
assert_json "$C" 'd["result"] not in ("succeeded", "running")' "true"

section "installer killed (SIGKILL) during an action"
mkpkg killed '[{"id": "slow", "type": "exec.command", "params": {"argv": ["/bin/sleep", "1"]}},
  {"id": "later", "type": "fixture.write", "params": {"path": "/later.txt", "content": "x"}}]'
R=$(new_root root-killed)
C=$(confirmation "$R")
"$SUP" install "$T/killed.sup" --root "$R" "${PLUGINS[@]}" \
	>"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS+=("$pid")
for _ in $(seq 100); do
	grep -q "running command" "$T/err" && break
	sleep 0.02
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 1.2 # the orphaned plugin call ends with its command
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "running"
assert_json "$C" 'd["finished"]' "null"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["running", "pending"]'
assert_missing "$R/later.txt"

# ---- confirmation.json parses at every instant ---------------------
section "confirmation.json during a run"
sleeper() { # sleeper ID: an exec.command action sleeping 0.3 s
	printf '{"id": "%s", "type": "exec.command", "params": {"argv": ["/bin/sleep", "0.3"]}}' "$1"
}
mkpkg live "[$(w w1 1), $(sleeper s1), $(w w2 2), $(sleeper s2), $(w w3 3), $(sleeper s3), $(w w4 4)]"
R=$(new_root root-live)
C=$(confirmation "$R")
cat >poll.py <<'EOF'
import json, os, sys, time
path, stop, report = sys.argv[1:4]
rank = {"pending": 0, "running": 1, "succeeded": 2, "failed": 2, "skipped": 2}
r = {"reads": 0, "missing": 0, "bad": [], "violations": [], "running_seen": 0,
     "results": []}
last = None
while True:
    done = os.path.exists(stop)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        r["missing"] += 1
        data = None
    if data is not None:
        r["reads"] += 1
        try:
            d = json.loads(data)
            st = [a["status"] for a in d["actions"]]
        except (ValueError, KeyError, TypeError) as e:
            r["bad"].append("%s: %r" % (e, data[:80]))
            st = None
        if st is not None:
            if d["result"] not in r["results"]:
                r["results"].append(d["result"])
            if d["result"] == "running" and d["finished"] is not None:
                r["violations"].append("running with finished set")
            for i, a in enumerate(d["actions"]):
                if a["status"] == "running" and (a["started"] is None or
                                                 a["finished"] is not None):
                    r["violations"].append("action %d running: %r" % (i, a))
                if a["status"] == "succeeded" and a["finished"] is None:
                    r["violations"].append("action %d done, no finished" % i)
            if st.count("running") > 1:
                r["violations"].append("two running: %s" % st)
            if "running" in st:
                r["running_seen"] += 1
            if last is not None:
                for i, (a, b) in enumerate(zip(last, st)):
                    if rank[b] < rank[a] or (rank[a] == 2 and a != b):
                        r["violations"].append("action %d: %s -> %s" % (i, a, b))
            last = st
    if done:
        break
    time.sleep(0.003)
r["final"] = last
json.dump(r, open(report, "w"))
EOF
python3 poll.py "$C" "$T/poll.stop" "$T/poll.json" &
poller=$!
E2E_PIDS+=("$poller")
sup install "$T/live.sup" --root "$R" "${PLUGINS[@]}"
touch "$T/poll.stop"
wait "$poller"
expect_exit 0 "install"
assert_json "$T/poll.json" 'd["reads"] >= 50' "true"
assert_json "$T/poll.json" 'd["bad"]' "[]"
assert_json "$T/poll.json" 'd["violations"]' "[]"
assert_json "$T/poll.json" 'd["running_seen"] >= 3' "true"
assert_json "$T/poll.json" 'd["results"]' '["running", "succeeded"]'
assert_json "$T/poll.json" 'd["final"]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'
echo "  poller: $(jq_py "$T/poll.json" '"%d reads, %d while missing, %d with an action running" % (d["reads"], d["missing"], d["running_seen"])')"

finish
