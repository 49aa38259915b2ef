#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_runtime_firmware.sh - the runtime and firmware plugins against a
# real (fake) product runtime daemon, configured through a product
# profile: runtime.stop, runtime.start and runtime.restart with what they
# saw; firmware.update to a good release, to a broken one (rolled back),
# without enough space (refused before anything runs); old releases pruned.
. "$(dirname "$0")/lib.sh"

if [ -z "$SUP_FAKERUNTIME" ] || [ ! -x "$SUP_FAKERUNTIME" ]; then
	echo "e2e: error: SUP_FAKERUNTIME is not set to the fakeruntime program" >&2
	exit 2
fi
# Short command lines in the profile, and in the messages checked below.
mkdir -p "$T/bin"
ln -s "$SUP_FAKERUNTIME" "$T/bin/fakeruntime"
FR="$T/bin/fakeruntime"

product_root gw <<EOF
[product]
name = acme
plugins = file, exec, runtime, firmware, system

[runtime]
control = commands
start_command = $FR start --root "\$SUP_ROOT"
stop_command = $FR stop --root "\$SUP_ROOT"
health = command
health_command = $FR health --root "\$SUP_ROOT"
pidfile = /run/fakeruntime.pid
start_timeout_s = 10
stop_timeout_s = 10
poll_interval_ms = 50

[firmware]
method = release
releases_dir = /opt/acme/releases
current_link = /opt/acme/current
keep_releases = 2
health_timeout_s = 2
min_free_mb = 16
EOF
PROFILE="$R/etc/supkit/products/acme.conf"
PIDFILE="$R/run/fakeruntime.pid"

# Release 1.0, installed by hand, and the runtime running it.
mkdir -p "$R/opt/acme/releases/1.0/bin"
echo "1.0" >"$R/opt/acme/releases/1.0/VERSION"
printf '#!/bin/sh\necho acme 1.0\n' >"$R/opt/acme/releases/1.0/bin/acme"
ln -s releases/1.0 "$R/opt/acme/current"
at_exit "$FR" stop --root "$R"
"$FR" start --root "$R" >/dev/null || exit 2
wait_until 5 "$FR" health --root "$R" >/dev/null 2>&1 || exit 2

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

# release VERSION [ENTRIES]: $T/fw-VERSION.tar, a release (VERSION file,
# bin/acme, more entries) and $T/fw-VERSION.sup that installs it.
release() {
	mksup - -o "$T/fw-$1.tar" <<EOF
{ "kind": "tar", "entries": [
    {"name": "VERSION", "data": "$1\n"},
    {"name": "bin/acme", "data": "#!/bin/sh\necho acme $1\n", "mode": 493}
    ${2:+, $2}] }
EOF
	mkpkg "fw-$1" "[{\"id\": \"update\", \"type\": \"firmware.update\",
	    \"params\": {\"version\": \"$1\"}, \"payloads\": [\"fw-$1.tar\"]},
	  {\"id\": \"after\", \"type\": \"exec.command\",
	    \"params\": {\"argv\": [\"/bin/sh\", \"-c\", \"echo $1 >>\\\"\$SUP_ROOT/after.txt\\\"\"]}}]" \
		"[{\"name\": \"fw-$1.tar\", \"file\": \"$T/fw-$1.tar\"}]"
}

install() {
	sup install "$T/$1.sup" --root "$R" --config "$CONF"
}

rt_pid() {
	cat "$PIDFILE" 2>/dev/null
}

rt_version() {
	"$FR" version --root "$R" 2>&1
}

rt_healthy() {
	"$FR" health --root "$R" >/dev/null 2>&1
}

out() { # out N: the output of action N
	jq_py "$C" "d[\"actions\"][$1][\"output\"]"
}

mkpkg rt-stop '[{"id": "stop", "type": "runtime.stop"}]'
mkpkg rt-start '[{"id": "start", "type": "runtime.start"}]'
mkpkg rt-restart '[{"id": "restart", "type": "runtime.restart"}]'

# ---- runtime control ---------------------------------------------------
section "runtime.stop"
P0=$(rt_pid)
assert_true "the runtime runs (pid $P0)" pid_alive "$P0"
install rt-stop
expect_exit 0 "install"
assert_json "$C" 'd["result"]' "succeeded"
assert_contains "$(out 0)" "sent SIGTERM to fakeruntime (pid $P0)" \
	"output (the stop command's own)"
assert_contains "$(out 0)" "runtime stopped (pid $P0)" "output"
# What the last look saw: the pidfile gone, or (when the runtime removed
# it between the read and the liveness check) its pid no longer running.
case "$(out 0)" in
*"after the stop command: no pidfile '/run/fakeruntime.pid'"* | \
	*"after the stop command: pid $P0 from pidfile '/run/fakeruntime.pid' is not running"*)
	pass "output says what the last look saw" ;;
*) fail "output" "no pidfile, or pid $P0 not running" "$(out 0)" ;;
esac
assert_missing "$PIDFILE"
assert_false "pid $P0 is gone" pid_alive "$P0"
assert_false "the runtime is not healthy" rt_healthy

section "runtime.stop when down"
install rt-stop
expect_exit 0 "install"
assert_eq "$(out 0)" \
	"runtime already down (no pidfile '/run/fakeruntime.pid'): nothing to stop" \
	"output"

section "runtime.start"
install rt-start
expect_exit 0 "install"
P1=$(rt_pid)
assert_true "the runtime runs (pid $P1)" pid_alive "$P1"
assert_ne "$P1" "$P0" "new pid"
assert_true "the runtime is healthy" rt_healthy
assert_eq "$(rt_version)" "1.0" "running version"
assert_contains "$(out 0)" "fakeruntime 1.0 started (pid $P1)" "output"
assert_contains "$(out 0)" "healthy 1.0" "output (the health command's)"
assert_contains "$(out 0)" "runtime healthy (pid $P1)" "output"
assert_contains "$(out 0)" "after the start command" "output"

section "runtime.start when healthy"
install rt-start
expect_exit 0 "install"
assert_contains "$(out 0)" "runtime already healthy (pid $P1): nothing to start" \
	"output"
assert_eq "$(rt_pid)" "$P1" "same pid"

section "runtime.restart"
install rt-restart
expect_exit 0 "install"
P2=$(rt_pid)
assert_ne "$P2" "$P1" "new pid after the restart"
assert_false "the old pid $P1 is gone" pid_alive "$P1"
assert_true "the new pid $P2 runs" pid_alive "$P2"
assert_true "the runtime is healthy" rt_healthy
assert_json "$C" 'd["actions"][0]["status"]' "succeeded"
assert_true "output says stopped (pid $P1), then healthy (pid $P2)" \
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))["actions"][0]["output"]
a = o.find("runtime stopped (pid %s)" % sys.argv[2])
b = o.find("runtime healthy (pid %s)" % sys.argv[3])
sys.exit(0 if 0 <= a < b else 1)' "$C" "$P1" "$P2"

# ---- firmware ----------------------------------------------------------
section "firmware.update to a good release"
release 2.0
install fw-2.0
expect_exit 0 "install"
P3=$(rt_pid)
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["succeeded", "succeeded"]'
assert_eq "$(rt_version)" "2.0" "running version"
assert_true "the runtime is healthy" rt_healthy
assert_ne "$P3" "$P2" "the runtime was restarted (pid)"
assert_false "the old runtime $P2 is gone" pid_alive "$P2"
assert_eq "$(readlink "$R/opt/acme/current")" "releases/2.0" "current"
assert_content "$R/opt/acme/releases/2.0/VERSION" $'2.0\n'
assert_mode "$R/opt/acme/releases/2.0/bin/acme" 755
assert_content "$R/opt/acme/releases/1.0/VERSION" $'1.0\n'
assert_content "$R/opt/acme/releases/1.0/bin/acme" $'#!/bin/sh\necho acme 1.0\n'
assert_missing "$R/opt/acme/releases/.sup-firmware-pending"
assert_contains "$(out 0)" "switched '/opt/acme/current' to 'releases/2.0'" "output"
assert_contains "$(out 0)" "firmware 2.0 is running (previous: 1.0)" "output"
assert_content "$R/after.txt" $'2.0\n'

section "firmware.update to a broken release"
release 3.0 '{"name": "BROKEN", "data": "never healthy\n"}'
install fw-3.0
expect_exit 1 "install"
P4=$(rt_pid)
assert_true "rolled back within the health timeout (took ${ELAPSED_MS} ms)" \
	test "$ELAPSED_MS" -lt 15000
assert_json "$C" 'd["result"]' "failed"
assert_json "$C" 'd["error"]["code"]' "action_failed"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["failed", "skipped"]'
assert_json_contains "$C" 'd["actions"][0]["error"]["message"]' \
	"firmware 3.0 did not become healthy within 2 s"
assert_json "$C" 'd["actions"][0]["rollback"]["status"]' "succeeded"
assert_json "$C" 'd["actions"][0]["rollback"]["error"]' "null"
assert_contains "$(out 0)" "switched '/opt/acme/current' to 'releases/3.0'" \
	"output: the broken release was switched to"
assert_contains "$(out 0)" "fakeruntime 3.0 started" \
	"output: the broken release was started"
BROKEN_PID=$(out 0 | sed -n 's/^fakeruntime 3\.0 started (pid \([0-9]*\)).*/\1/p')
assert_false "the broken runtime (pid ${BROKEN_PID:-?}) is gone" \
	pid_alive "${BROKEN_PID:-0}"
assert_eq "$(rt_version)" "2.0" "running version after the rollback"
assert_true "the runtime is healthy" rt_healthy
assert_true "the runtime runs (pid $P4)" pid_alive "$P4"
assert_eq "$(readlink "$R/opt/acme/current")" "releases/2.0" "current"
assert_content "$R/opt/acme/releases/2.0/VERSION" $'2.0\n'
assert_missing "$R/opt/acme/releases/.sup-firmware-pending"
assert_content "$R/after.txt" $'2.0\n'

section "firmware.update without enough space"
# Refused in preflight: nothing runs, not even the restart before it.
release 4.0
mkpkg fw-4.0-restart '[{"id": "restart", "type": "runtime.restart"},
  {"id": "update", "type": "firmware.update", "params": {"version": "4.0"}, "payloads": ["fw-4.0.tar"]}]' \
	"[{\"name\": \"fw-4.0.tar\", \"file\": \"$T/fw-4.0.tar\"}]"
sed -i 's/^min_free_mb = .*/min_free_mb = 1048576/' "$PROFILE"
take_snapshot "$R/opt" opt-nospace
C_SHA=$(sha256 "$C")
P5=$(rt_pid)
install fw-4.0-restart
expect_exit 4 "install"
assert_stderr "action 'update': check failed: not enough space for firmware 4.0 in '/opt/acme/releases'"
assert_stderr "MiB needed"
assert_stderr "nothing was changed"
assert_eq "$(rt_pid)" "$P5" "the runtime was not touched (pid)"
assert_true "the runtime runs" pid_alive "$P5"
assert_true "the runtime is healthy" rt_healthy
assert_unchanged "$R/opt" opt-nospace "/opt"
assert_eq "$(sha256 "$C")" "$C_SHA" "confirmation.json untouched"
assert_missing "$R/var/lib/supkit/install.json"
sed -i 's/^min_free_mb = .*/min_free_mb = 16/' "$PROFILE"

section "firmware.update prunes old releases"
# keep_releases = 2: the new release and the previous one stay; 1.0 and
# the broken 3.0 go.
release 5.0
install fw-5.0
expect_exit 0 "install"
assert_eq "$(rt_version)" "5.0" "running version"
assert_eq "$(readlink "$R/opt/acme/current")" "releases/5.0" "current"
assert_eq "$(cd "$R/opt/acme/releases" && ls -A | tr '\n' ' ')" "2.0 5.0 " \
	"releases left"
assert_contains "$(out 0)" "removed old release 1.0 from '/opt/acme/releases'" "output"
assert_contains "$(out 0)" "removed old release 3.0 from '/opt/acme/releases'" "output"
assert_contains "$(out 0)" "firmware 5.0 is running (previous: 2.0)" "output"


section "firmware.update with the product's flasher"
# The flasher gets the verified, staged image as $1: this one records it
# and unpacks it over the running release, as a product tool would flash.
sed -i 's/^method = release/method = flasher/' "$PROFILE"
cat >>"$PROFILE" <<'EOF'
flasher_command = cp "$1" "$SUP_ROOT/flashed.img" && tar -xf "$1" -C "$SUP_ROOT/opt/acme/current/"
EOF
release 6.0
P6=$(rt_pid)
install fw-6.0
expect_exit 0 "install"
assert_json "$C" 'd["result"]' "succeeded"
assert_eq "$(sha256 "$R/flashed.img")" "$(sha256 "$T/fw-6.0.tar")" \
	"the flasher got the payload"
assert_eq "$(rt_version)" "6.0" "running version"
assert_true "the runtime is healthy" rt_healthy
assert_ne "$(rt_pid)" "$P6" "the runtime was restarted (pid)"
assert_eq "$(readlink "$R/opt/acme/current")" "releases/5.0" \
	"current (the flasher owns the layout)"

section "firmware.update with a failing flasher"
sed -i 's/^flasher_command = .*/flasher_command = exit 3/' "$PROFILE"
release 7.0
install fw-7.0
expect_exit 1 "install"
assert_json "$C" 'd["result"]' "failed"
assert_json_contains "$C" 'd["actions"][0]["error"]["message"]' \
	"flasher command for firmware 7.0 exited with status 3"
assert_json "$C" 'd["actions"][0]["rollback"]["status"]' "succeeded"
assert_eq "$(rt_version)" "6.0" "running version after the failed flash"
assert_true "the runtime is healthy" rt_healthy

finish
