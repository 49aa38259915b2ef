# SPDX-License-Identifier: MIT
# supd_lib.sh - helpers of the supd end-to-end tests (test_supd_*.sh),
# sourced after lib.sh: the portal simulator (tests/portal/portal_sim.py)
# on 127.0.0.1, a supd.conf for it, supd runs and waits on what the
# simulator received.
#
# Environment: SUPD, the supd binary (besides what lib.sh needs).

if [ -z "${SUPD:-}" ]; then
	echo "e2e: error: environment variable SUPD is not set" >&2
	exit 2
fi
if ! command -v curl >/dev/null; then
	echo "e2e: error: curl is needed" >&2
	exit 2
fi
# Nothing here goes through a proxy.
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

SIM="$SUP_SOURCE_DIR/tests/portal/portal_sim.py"
# The app token of every test: distinctive, so that a leak is found.
TOKEN="e2e-S3cret-Tok3n-7f3a9"
FILES="$T/files"
mkdir -p "$FILES"

# sim_start: start the simulator (files from $FILES, app token $TOKEN);
# sets SIM_URL.
sim_start() {
	rm -f "$T/sim.port"
	"$PYTHON" "$SIM" --port-file "$T/sim.port" --files-dir "$FILES" \
		--app-token "$TOKEN" 2>"$T/sim.err" &
	SIM_PID=$!
	E2E_PIDS+=("$SIM_PID")
	if ! wait_until 10 test -s "$T/sim.port"; then
		echo "e2e: error: the portal simulator did not start: $(cat "$T/sim.err")" >&2
		exit 2
	fi
	SIM_URL="http://127.0.0.1:$(cat "$T/sim.port")"
}

# sim_control JSON: POST /_control; the reply on stdout.
sim_control() {
	curl -sS --fail -X POST -H 'Content-Type: application/json' \
		--data-binary "$1" "$SIM_URL/_control"
}

# sim_enqueue JSON: queue one mailbox message; prints its id.
sim_enqueue() {
	sim_control "{\"enqueue\": $1}" | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["ids"][0])'
}

# update_msg ID NAME [TIMEOUT]: a method.exec gateway.sup.update message.
update_msg() {
	printf '{"id": "%s", "command": "method.exec", "params": {"method": "gateway.sup.update", "params": {"name": "%s", "timeout": %s}}}' \
		"$1" "$2" "${3:-60}"
}

# sim_log: the simulator's record of everything it received, as
# $T/simlog.json (for assert_json).
sim_log() {
	curl -sS --fail "$SIM_URL/_log" >"$T/simlog.json"
}

# wait_log SECONDS EXPR: wait until the Python expression EXPR is true of
# the simulator's log (bound to d); then the log is in $T/simlog.json.
wait_log() {
	python3 - "$SIM_URL" "$1" "$2" "$T/simlog.json" <<'EOF'
import json, sys, time, urllib.request
url, secs, expr, out = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
end = time.monotonic() + secs
while True:
    with urllib.request.urlopen(url + "/_log") as r:
        text = r.read()
    ok = eval(expr, {"d": json.loads(text), "len": len, "any": any,
                     "all": all})
    if ok or time.monotonic() > end:
        break
    time.sleep(0.05)
with open(out, "wb") as f:
    f.write(text)
if not ok:
    print("e2e: wait_log: still false after %s s: %s" % (secs, expr))
sys.exit(0 if ok else 1)
EOF
}

# acks_of ID: python expression: the accepted acks of message ID.
acks_of() {
	printf '[a for a in d["acks"] if a["id"] == "%s"]' "$1"
}

# supd_conf FILE: a supd.conf (mode 0600) for the simulator, the root $R
# and the built sup and plugins. Overrides: SUPD_POLL (1), SUPD_BACKOFF
# (2), SUPD_MIN_FREE_MB (16), SUPD_EXTRA (more [agent] lines).
supd_conf() {
	cat >"$1" <<EOF
; supd.conf of an e2e test
[portal]
endpoint = $SIM_URL
app_id = app
app_token = $TOKEN
thing_key = gw1
insecure = true

[agent]
poll_interval_s = ${SUPD_POLL:-1}
max_backoff_s = ${SUPD_BACKOFF:-2}
download_dir = $T/downloads
state_dir = $T/state
logs_dir = $R/var/log/supkit
sup_path = $SUP
root = $R
plugin_dirs = $SUP_PLUGIN_DIR
min_free_mb = ${SUPD_MIN_FREE_MB:-16}
${SUPD_EXTRA:-}
EOF
	chmod 600 "$1"
}

# supd_once CONF: run `supd --once` (run: $RC, $T/out, $T/err); its
# stderr is also appended to $T/supd.log.
supd_once() {
	run timeout 60 "$SUPD" --config "$1" --once
	cat "$T/err" >>"$T/supd.log"
}

# supd_start CONF: supd in the background (log $T/supd.log); SUPD_PID.
supd_start() {
	"$SUPD" --config "$1" >>"$T/supd.log" 2>&1 &
	SUPD_PID=$!
	E2E_PIDS+=("$SUPD_PID")
}

# supd_kill: SIGKILL (no job notice on the terminal).
supd_kill() {
	{
		kill -KILL "$SUPD_PID"
		wait "$SUPD_PID"
	} 2>/dev/null
}

# installer_running STATE_DIR: a sup installer holds the lock there.
installer_running() {
	python3 - "$1/lock" <<'EOF'
import fcntl, sys
try:
    with open(sys.argv[1], "rb") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(0)
except OSError:
    pass
sys.exit(1)
EOF
}

# supd_stop: SIGTERM, and the exit status in $RC.
supd_stop() {
	kill -TERM "$SUPD_PID" 2>/dev/null
	wait "$SUPD_PID"
	RC=$?
}

# assert_supd_log TEXT: supd's log holds TEXT.
assert_supd_log() {
	if grep -qF -- "$1" "$T/supd.log"; then
		pass "supd log has: $1"
	else
		fail "supd log lacks an expected line" "$1" \
			"$(tail -n 20 "$T/supd.log")"
	fi
}

# package NAME SPEC: build $FILES/NAME from a mksup spec (stdin).
package() {
	pkg "$FILES/$1"
}
