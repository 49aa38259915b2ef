#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_installer_survives.sh - the installer started by the product
# runtime itself (as an update agent inside it would), with a package whose
# runtime.restart kills that runtime's whole process group: with --detach
# the install goes on and completes; without it the installer dies with
# its parent, the record stays "running" and `sup install --resume`
# completes it. Also: one installer at a time (exit code 8).
. "$(dirname "$0")/lib.sh"

# The runtime's stand-in: a process group of its own (setsid), its pid in
# /run/rt.pid; if /run/install.cmd exists, it runs that command as its
# child (once) and records its exit status, then it waits forever.
cat >"$T/rt.sh" <<'EOF'
#!/bin/sh
R=$1
echo $$ >"$R/run/rt.pid.tmp" && mv "$R/run/rt.pid.tmp" "$R/run/rt.pid"
echo "runtime $$ started" >>"$R/run/rt.log"
if [ -e "$R/run/install.cmd" ]; then
	cmd=$(cat "$R/run/install.cmd")
	rm -f "$R/run/install.cmd"
	sh -c "$cmd" >"$R/run/install.out" 2>&1 &
	echo "installer $!" >>"$R/run/rt.log"
	wait $!
	echo $? >"$R/run/install.rc"
fi
while :; do
	sleep 1
done
EOF
# Stopping it: SIGTERM to its whole process group, then SIGKILL to what
# is still alive after half a second (zombies do not count).
cat >"$T/rt-stop.sh" <<'EOF'
#!/bin/sh
pg=$(cat "$1/run/rt.pid" 2>/dev/null) || exit 0
alive() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v pg="$pg" '$5 == pg && $3 != "Z" { n++ } END { exit n ? 0 : 1 }'
}
kill -TERM "-$pg" 2>/dev/null || exit 0
i=0
while alive && [ $i -lt 10 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -KILL "-$pg" 2>/dev/null
exit 0
EOF
chmod 755 "$T/rt.sh" "$T/rt-stop.sh"

# survive_root NAME: a root whose product profile runs the runtime above.
survive_root() {
	product_root "$1" <<EOF
[product]
name = acme
plugins = file, exec, runtime

[runtime]
control = commands
start_command = setsid $T/rt.sh "\$SUP_ROOT" </dev/null >/dev/null 2>&1 &
stop_command = $T/rt-stop.sh "\$SUP_ROOT"
pidfile = /run/rt.pid
start_timeout_s = 10
stop_timeout_s = 10
poll_interval_ms = 50
EOF
	mkdir -p "$R/run"
	at_exit "$T/rt-stop.sh" "$R"
}

# start_runtime_with CMD: start the runtime, which runs CMD as its child.
start_runtime_with() {
	printf '%s\n' "$1" >"$R/run/install.cmd"
	SUP_ROOT=$R sh -c 'setsid "$1" "$SUP_ROOT" </dev/null >/dev/null 2>&1 &' \
		sh "$T/rt.sh"
	wait_until 5 test -s "$R/run/rt.pid" || exit 2
	RT0=$(cat "$R/run/rt.pid")
}

rt_pid() {
	cat "$R/run/rt.pid" 2>/dev/null
}

result_not_running() {
	local r
	r=$(jq_py "$C" 'd["result"]')
	[ "$r" != "running" ] && [ "${r:0:1}" != "<" ]
}

count() { # count ID: an exec.command action appending ID to /counter
	printf '{"id": "%s", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo %s >>\\"$SUP_ROOT/counter\\""]}}' "$1" "$1"
}

# mksurvive NAME [FIRST_ACTION]: $T/NAME.sup: FIRST_ACTION, then the
# restart, a slow step (time to try a second installer), more steps and a
# file.
mksurvive() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "survive", "version": "1.0" },
    "compatibility": { "products": ["acme"] },
    "actions": [ ${2:+$2,}
      {"id": "restart", "type": "runtime.restart"},
      {"id": "slow", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo slow >>\"\$SUP_ROOT/counter\"; : >\"\$SUP_ROOT/in-slow\"; sleep 1.5"]}},
      $(count a2),
      {"id": "file", "type": "file.install", "params": {"path": "/opt/acme/data.txt"}, "payloads": ["data.txt"]},
      $(count a3)] },
  "entries": [{"name": "data.txt", "data": "data\n"}] }
EOF
}
mksurvive survive
# The runtime records the exit status of its `sup install --detach` child
# once that returns; the first step waits for it (5 s at most), so that
# the restart does not kill the runtime before.
mksurvive survive-detach '{"id": "settle", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "i=0; while [ ! -e \"$SUP_ROOT/run/install.rc\" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done"]}}'
pkg "$T/other.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "other", "version": "2.0" },
    "compatibility": { "products": ["acme"] },
    "actions": [$(count other)] } }
EOF

# ---- --detach --------------------------------------------------------
section "detached installer outlives its parent"
survive_root detach
start_runtime_with "$SUP install --detach $T/survive-detach.sup --root $R --config $CONF --job-id job-42"
wait_until 10 test -e "$R/run/install.rc" || fail "the runtime's installer child did not return"
assert_eq "$(cat "$R/run/install.rc" 2>/dev/null)" "0" \
	"sup install --detach returned to the runtime (exit status)"
assert_contains "$(cat "$R/run/install.out")" "sup: installing in the background (pid " \
	"what the runtime's child printed"
DPID=$(sed -n 's/^sup: installing in the background (pid \([0-9]*\)).*/\1/p' "$R/run/install.out")
assert_true "the detached installer (pid ${DPID:-?}) runs" pid_alive "${DPID:-0}"
at_exit kill -KILL "${DPID:-0}"
assert_eq "$(ps -o sid= -p "${DPID:-0}" | tr -d ' ')" "${DPID:-}" \
	"the detached installer leads a session of its own"

section "one installer at a time"
wait_until 10 test -e "$R/in-slow" || fail "the slow step did not start"
sup install "$T/other.sup" --root "$R" --config "$CONF"
expect_exit 8 "a second install"
assert_stderr "sup: error: another installer is running (pid $DPID, installing 'survive' 1.0 from '$T/survive-detach.sup')"
sup install --resume --root "$R" --config "$CONF"
expect_exit 8 "--resume while it runs"
assert_stderr "another installer is running (pid $DPID,"
sup install --abandon --root "$R" --config "$CONF"
expect_exit 8 "--abandon while it runs"
assert_stderr "another installer is running (pid $DPID,"
assert_missing "$R/other.txt"
assert_json "$C" 'd["package"]["name"]' "survive"
assert_json "$C" 'd["result"]' "running"

section "detached install completes"
wait_until 20 result_not_running || fail "the install did not finish in 20 s"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" 'd["job_id"]' "job-42"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'
assert_json "$C" 'd["summary"]' \
	'{"failed": 0, "pending": 0, "skipped": 0, "succeeded": 6, "total": 6}'
assert_json "$C" 'all(a["finished"] is not None and a["error"] is None for a in d["actions"])' "true"
assert_json "$C" 'd.get("resumed")' "null"
RT1=$(rt_pid)
assert_ne "$RT1" "$RT0" "the runtime runs with a new pid"
assert_false "the old runtime (pid $RT0), the installer's parent, is gone" \
	pid_alive "$RT0"
assert_true "the new runtime (pid $RT1) runs" pid_alive "$RT1"
assert_json_contains "$C" 'd["actions"][1]["output"]' "runtime stopped (pid $RT0)"
assert_json_contains "$C" 'd["actions"][1]["output"]' "runtime healthy (pid $RT1)"
assert_content "$R/counter" $'slow\na2\na3\n'
assert_content "$R/opt/acme/data.txt" $'data\n'
assert_false "the detached installer has exited" pid_alive "$DPID"
assert_missing "$R/var/lib/supkit/install.json"
assert_true "installer.log tells the story" grep -q \
	"sup: installed 'survive' 1.0; record in " "$R/var/log/supkit/installer.log"
assert_true "installer.log names the detached pid" grep -q \
	"sup: detached installer, pid $DPID" "$R/var/log/supkit/installer.log"

section "after it: a new install works"
sup install "$T/other.sup" --root "$R" --config "$CONF"
expect_exit 0 "install"
assert_content "$R/counter" $'slow\na2\na3\nother\n'

# ---- without --detach ------------------------------------------------
section "attached installer dies with its parent"
survive_root attached
start_runtime_with "$SUP install $T/survive.sup --root $R --config $CONF"
# The restart kills the runtime (SIGTERM), then the installer in its
# process group (SIGKILL, as it does not stop on SIGTERM in the middle of
# an action).
wait_until 20 eval '! pid_alive "$RT0"' || fail "the runtime was not stopped"
wait_unlocked "$R/var/lib/supkit" || fail "the installer lock is still held"
echo "  runtime log: $(tr '\n' ';' <"$R/run/rt.log")"
IPID=$(sed -n 's/^pid \([0-9]*\), installing .*/\1/p' "$R/var/lib/supkit/lock")
assert_false "the installer (pid ${IPID:-?}) is gone" pid_alive "${IPID:-0}"
assert_missing "$R/run/install.rc"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "running"
assert_json "$C" 'd["finished"]' "null"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["running", "pending", "pending", "pending", "pending"]'
assert_missing "$R/counter"
assert_file "$R/var/lib/supkit/install.json"

section "attached installer: --resume completes it"
RT0=$(rt_pid)
sup install --resume --root "$R" --config "$CONF"
expect_exit 0 "resume"
assert_stderr "sup: resuming 'survive' 1.0"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'
assert_json "$C" 'd["actions"][0]["interrupted"]' "true"
assert_json "$C" '[r["reason"] for r in d["resumed"]]' '["interrupted"]'
assert_content "$R/counter" $'slow\na2\na3\n'
assert_content "$R/opt/acme/data.txt" $'data\n'
assert_true "the runtime runs again (pid $(rt_pid))" pid_alive "$(rt_pid)"
assert_missing "$R/var/lib/supkit/install.json"

finish
