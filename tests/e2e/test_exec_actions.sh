#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_exec_actions.sh - the built-in "exec" plugin with real commands:
# exec.command (output, exit status, missing programs, timeouts that take
# down the whole process group, env, cwd, SUP_* variables) and
# exec.script (with and without an interpreter).
. "$(dirname "$0")/lib.sh"

R=$(new_root root)
mkdir -p "$R/work/dir"
ROOT_REAL=$(realpath "$R")
MARK="e2e-exec-$$-$RANDOM"

# mkpkg NAME ACTIONS [ENTRIES]: $T/NAME.sup.
mkpkg() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "$1", "version": "1.0" },
    "actions": $2 },
  "entries": ${3:-[]} }
EOF
}

# gone PATTERN: no process has PATTERN (unique to this run) in its
# command line; waits up to 2 s for the kernel to reap what was killed.
# Survivors are reported, then ended by their ids.
gone() {
	local pids
	for _ in $(seq 20); do
		pgrep -f -- "$1" >/dev/null
		case $? in
		0) sleep 0.1 ;;
		1) return 0 ;;
		*) echo "  pgrep failed"; return 1 ;;
		esac
	done
	pids=$(pgrep -d, -f -- "$1")
	echo "  survivors: $(ps -o pid=,args= -p "$pids" 2>/dev/null)"
	# shellcheck disable=SC2046 # a list of ids
	kill -KILL $(echo "$pids" | tr , ' ') 2>/dev/null
	return 1
}

# ---- exec.command --------------------------------------------------
section "exec.command success"
mkpkg ok '[{"id": "echo", "type": "exec.command", "params": {"argv": ["/bin/echo", "hello", "e2e"]}},
  {"id": "bare", "type": "exec.command", "params": {"argv": ["printf", "%s|", "a b", "c"]}}]'
inst ok
expect_exit 0 "install"
assert_json "$C" 'd["actions"][0]["status"]' "succeeded"
assert_json "$C" 'd["actions"][0]["output"]' "hello e2e"
assert_json "$C" 'd["actions"][1]["output"]' "a b|c|"

section "exec.command non-zero exit"
mkpkg exit3 '[{"id": "fail", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "echo partial; echo oops >&2; exit 3"]}}]'
inst exit3
expect_exit 1 "install"
assert_json "$C" 'd["actions"][0]["status"]' "failed"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"command '/bin/sh' exited with status 3"
assert_json "$C" 'd["actions"][0]["output"]' $'partial\noops'
assert_stderr "command '/bin/sh' exited with status 3"

section "exec.command killed by a signal"
mkpkg killed '[{"id": "k", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "kill -9 $$"]}}]'
inst killed
expect_exit 1 "install"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"command '/bin/sh' killed by signal 9 (SIGKILL)"

section "exec.command missing program"
mkpkg missing '[{"id": "abs", "type": "exec.command", "params": {"argv": ["/nonexistent/e2e-cmd"]}},
  {"id": "bare", "type": "exec.command", "params": {"argv": ["e2e-no-such-command"]}}]'
take_snapshot "$R" missing
inst missing
expect_exit 4 "install"
assert_stderr "action 'abs': check failed: cannot run '/nonexistent/e2e-cmd': No such file or directory"
assert_stderr "action 'bare': check failed: cannot run 'e2e-no-such-command': No such file or directory"
assert_unchanged "$R" missing "root"

# inst_watch NAME PATTERN: like inst, and meanwhile look for a process
# whose command line has PATTERN ($SEEN: yes or no).
inst_watch() {
	local pid t0
	C=$(confirmation "$R")
	SEEN=no
	t0=$(date +%s%N)
	"$SUP" install "$T/$1.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
		>"$T/out" 2>"$T/err" &
	pid=$!
	E2E_PIDS+=("$pid")
	for _ in $(seq 100); do
		if pgrep -f -- "$2" >/dev/null; then
			SEEN=yes
			break
		fi
		sleep 0.02
	done
	wait "$pid"
	RC=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
}

# ---- timeouts ------------------------------------------------------
# A command that leaves a background child. The marker is in the
# command line of the background shell and of the foreground one.
BG="/bin/sh -c 'sleep 300; echo $MARK-bg' & sleep 300; echo $MARK-fg"

section "exec.command timeout_s kills the process group"
mkpkg timeout "[{\"id\": \"slow\", \"type\": \"exec.command\", \"timeout_s\": 60,
  \"params\": {\"argv\": [\"/bin/sh\", \"-c\", \"$BG\"], \"timeout_s\": 1}}]"
inst_watch timeout "$MARK-bg"
expect_exit 1 "install"
assert_eq "$SEEN" yes "the background child was seen running"
assert_true "ended soon after the 1 s timeout (took $ELAPSED_MS ms)" \
	test "$ELAPSED_MS" -lt 8000
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"command '/bin/sh' timed out after 1 s"
assert_true "no process of the command survived (pgrep -f $MARK)" gone "$MARK"

section "action timeout_s kills the process group"
mkpkg action-timeout "[{\"id\": \"slow\", \"type\": \"exec.command\", \"timeout_s\": 1,
  \"params\": {\"argv\": [\"/bin/sh\", \"-c\", \"$BG\"]}}]"
inst_watch action-timeout "$MARK-bg"
expect_exit 1 "install"
assert_eq "$SEEN" yes "the background child was seen running"
assert_true "ended soon after the 1 s timeout (took $ELAPSED_MS ms)" \
	test "$ELAPSED_MS" -lt 8000
# The installer's deadline and the exec plugin's own one (time_left_ms)
# are the same instant. Normally the installer records "timeout"; under
# load the plugin may stop the command and exit first, and the action is
# then recorded as "action_failed" (a known product race, reported). Both
# are accepted here so that the suite is not flaky; the NOTE shows when
# the race happened.
code=$(jq_py "$C" 'd["actions"][0]["error"]["code"]')
if [ "$code" = action_failed ]; then
	echo "  NOTE: the plugin won the timeout race: $(jq_py "$C" 'd["actions"][0]["error"]')"
	assert_json "$C" 'd["actions"][0]["error"]["message"]' \
		"command '/bin/sh' timed out after 1 s"
else
	assert_json "$C" 'd["actions"][0]["error"]' \
		"{\"code\": \"timeout\", \"message\": \"plugin 'exec' timed out after 1 s executing action 'slow'\"}"
fi
assert_true "no process of the command survived (pgrep -f $MARK)" gone "$MARK"

# ---- env, cwd, SUP_* -----------------------------------------------
section "env and cwd"
mkpkg env '[{"id": "show", "type": "exec.command",
  "params": {"argv": ["/bin/sh", "-c", "echo \"FOO=$FOO\"; echo \"PWD=$(pwd -P)\"; echo \"ROOT=$SUP_ROOT\"; echo \"ID=$SUP_ACTION_ID\"; test -d \"$SUP_STAGING_DIR\" && echo STAGING=yes"],
             "env": {"FOO": "bar baz", "E2E_SECOND": "2"}, "cwd": "/work/dir"}},
  {"id": "home", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", "pwd -P"]}}]'
inst env
expect_exit 0 "install"
assert_json "$C" 'd["actions"][0]["output"]' \
	"$(printf 'FOO=bar baz\nPWD=%s/work/dir\nROOT=%s\nID=show\nSTAGING=yes\n' "$ROOT_REAL" "$ROOT_REAL")"
assert_json "$C" 'd["actions"][1]["output"]' "$ROOT_REAL"

section "reserved env"
mkpkg env-reserved '[{"id": "r", "type": "exec.command", "params": {"argv": ["/bin/true"], "env": {"SUP_ROOT": "/"}}}]'
inst env-reserved
expect_exit 4 "install"
assert_stderr "action 'r': check failed: environment variable 'SUP_ROOT' in parameter 'env' is reserved"

# ---- exec.script ---------------------------------------------------
section "exec.script with a #! line"
mkpkg script '[{"id": "s", "type": "exec.script", "params": {"args": ["one", "two words"]}, "payloads": ["run.sh"]}]' \
	'[{"name": "run.sh", "data": "#!/bin/sh\necho \"args: $1|$2\"\necho ran >\"$SUP_ROOT/work/script.out\"\n"}]'
inst script
expect_exit 0 "install"
assert_content "$R/work/script.out" $'ran\n'
assert_json "$C" 'd["actions"][0]["output"]' "args: one|two words"

section "exec.script with an interpreter"
mkpkg interp '[{"id": "i", "type": "exec.script", "params": {"interpreter": "/bin/sh", "args": ["x"]}, "payloads": ["plain.sh"]}]' \
	'[{"name": "plain.sh", "data": "echo \"via interpreter $1\" >\"$SUP_ROOT/work/interp.out\"\n"}]'
inst interp
expect_exit 0 "install"
assert_content "$R/work/interp.out" $'via interpreter x\n'

section "exec.script without #! nor interpreter"
mkpkg noshebang '[{"id": "n", "type": "exec.script", "payloads": ["plain.sh"]}]' \
	'[{"name": "plain.sh", "data": "echo no\n"}]'
inst noshebang
expect_exit 1 "install"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"script 'plain.sh' does not start with '#!' and no interpreter is given"

section "exec.script failing"
mkpkg script-fail '[{"id": "f", "type": "exec.script", "payloads": ["fail.sh"]}]' \
	'[{"name": "fail.sh", "data": "#!/bin/sh\necho before\nexit 4\n"}]'
inst script-fail
expect_exit 1 "install"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"script 'fail.sh' exited with status 4"
assert_json "$C" 'd["actions"][0]["output"]' "before"

finish
