#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_status.sh - sup status: what is installed (installed.json, else the
# last record), an install running (its pid) or pending (killed, or
# suspended by a signal), the last result, as text and as JSON; damaged or
# unsafe state files are clear errors (exit 5); status writes nothing, and
# a tree of another user cannot make it read a file of root's.
. "$(dirname "$0")/lib.sh"

PLUGINS=(--plugin-dir "$SUP_FIXTURE_DIR/good" --plugin-dir "$SUP_PLUGIN_DIR")

# mkpkg NAME VERSION ACTIONS: $T/NAME.sup, no payloads.
mkpkg() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "$1", "version": "$2", "security_version": 3 },
    "actions": $3 } }
EOF
}

# status [ARGS...]: sup status of $R as text; the root must not change.
status() {
	take_snapshot "$R" status
	sup status --root "$R" "$@"
	assert_unchanged "$R" status "root after sup status"
}

# status_json NAME: sup status --json of $R, kept as $T/NAME.json ($J).
status_json() {
	J="$T/$1.json"
	status --json
	cp "$T/out" "$J"
	assert_json_parses "$J"
}

# stdout_is TEXT: the last run's stdout is exactly TEXT.
stdout_is() {
	assert_eq "$(cat "$T/out")" "$1" "stdout"
}

# An exec.command action: creates /in-ID, then sleeps SECONDS.
sleeper() {
	printf '{"id": "%s", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", ": >\\"$SUP_ROOT/in-%s\\"; exec sleep %s"]}}' \
		"$1" "$1" "$2"
}

# start_install NAME ACTION: install $T/NAME.sup into $R in the
# background (its pid in PID) and wait until the sleeper ACTION runs.
start_install() {
	"$SUP" install "$T/$1.sup" --root "$R" "${PLUGINS[@]}" >"$T/$1.out" 2>&1 &
	PID=$!
	E2E_PIDS+=("$PID")
	assert_true "action $2 started" wait_until 20 test -e "$R/in-$2"
}

# ---- help -------------------------------------------------------------
section "help"
sup --help
assert_stdout "  status    what is installed, a running or pending install, the last result"
sup status --help
expect_exit 0 "status --help"
assert_stdout "usage: sup status [--root DIR] [--config FILE] [--json]"
sup status --bogus
expect_exit 2 "unknown option"
sup status extra
expect_exit 2 "an argument"
sup status --root
expect_exit 2 "--root without a value"

# ---- a fresh root -----------------------------------------------------
section "fresh root"
R=$(new_root fresh)
status
expect_exit 0 "status"
stdout_is $'installed:   nothing\nstate:       idle\nlast result: none'
assert_missing "$R/var/lib/supkit"
assert_missing "$R/var/log/supkit"
status_json fresh
expect_exit 0 "status --json"
assert_json "$J" 'sorted(d.keys())' \
	'["installed", "installed_from", "last", "pending", "problems", "root", "running", "state"]'
assert_json "$J" 'd["root"]' "$R"
assert_json "$J" 'd["installed"]' "[]"
assert_json "$J" 'd["installed_from"]' "null"
assert_json "$J" 'd["state"]' "idle"
assert_json "$J" '[d["running"], d["pending"], d["last"]]' "[null, null, null]"
assert_json "$J" 'd["problems"]' "[]"

section "missing root"
sup status --root "$T/no-such-root"
expect_exit 5 "status"
assert_stderr "sup: error: root directory '$T/no-such-root': No such file or directory"
assert_stdout "state:       unknown"

# ---- after a successful install -------------------------------------
section "after a successful install"
mkpkg app 1.0 '[{"id": "hello", "type": "fixture.ok"}]'
sup install "$T/app.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install app 1.0"
C=$(confirmation "$R")
FINISHED=$(jq_py "$C" 'd["finished"]')
AT=$(jq_py "$R/var/lib/supkit/installed.json" 'd["packages"]["app"]["installed_at"]')
status
expect_exit 0 "status"
stdout_is "installed:   app 1.0 (security_version 3, $AT)
state:       idle
last result: app 1.0 succeeded
             finished $FINISHED
record:      $C"
status_json ok
assert_json "$J" 'd["installed"]' \
	"[{\"installed_at\": \"$AT\", \"name\": \"app\", \"security_version\": 3, \"version\": \"1.0\"}]"
assert_json "$J" 'd["installed_from"]' "installed.json"
assert_json "$J" 'd["state"]' "idle"
assert_json "$J" 'd["last"]["name"]' "app"
assert_json "$J" 'd["last"]["version"]' "1.0"
assert_json "$J" 'd["last"]["result"]' "succeeded"
assert_json "$J" 'd["last"]["error"]' "null"
assert_json "$J" 'd["last"]["finished"]' "$FINISHED"
assert_json "$J" 'd["last"]["started"] == d["last"]["started"][:20]' "true"
assert_json "$J" 'd["last"]["record"]' "$C"
assert_json "$J" 'd["last"]["job_id"]' "null"

section "without installed.json: from the last record"
mv "$R/var/lib/supkit/installed.json" "$T/installed.json.saved"
status_json norecord
expect_exit 0 "status"
assert_json "$J" 'd["installed_from"]' "confirmation.json"
assert_json "$J" 'd["installed"]' \
	"[{\"installed_at\": \"$FINISHED\", \"name\": \"app\", \"security_version\": 3, \"version\": \"1.0\"}]"
status
assert_stdout "installed:   app 1.0 (security_version 3, $FINISHED) from confirmation.json: there is no installed.json"
mv "$T/installed.json.saved" "$R/var/lib/supkit/installed.json"

# ---- after a failed install -----------------------------------------
section "after a failed install"
mkpkg broken 2.0 '[{"id": "bad", "type": "fixture.fail", "params": {"message": "on purpose"}}]'
sup install "$T/broken.sup" --root "$R" "${PLUGINS[@]}" --job-id job-7
expect_exit 1 "install broken 2.0"
status
expect_exit 0 "status"
assert_stdout "installed:   app 1.0 (security_version 3, $AT)"
assert_stdout "state:       idle"
assert_stdout "last result: broken 2.0 failed: "
assert_stdout "action 'bad' failed: fixture failure: on purpose"
status_json failed
assert_json "$J" '[p["name"] for p in d["installed"]]' '["app"]'
assert_json "$J" 'd["installed_from"]' "installed.json"
assert_json "$J" 'd["last"]["name"]' "broken"
assert_json "$J" 'd["last"]["result"]' "failed"
assert_json "$J" 'd["last"]["error"]["code"]' "$(jq_py "$C" 'd["error"]["code"]')"
assert_json_contains "$J" 'd["last"]["error"]["message"]' "fixture failure: on purpose"
assert_json "$J" 'd["last"]["job_id"]' "job-7"
# Without installed.json, a failed last run installed nothing known.
mv "$R/var/lib/supkit/installed.json" "$T/installed.json.saved"
status_json failed-norecord
assert_json "$J" '[d["installed"], d["installed_from"]]' "[[], null]"
mv "$T/installed.json.saved" "$R/var/lib/supkit/installed.json"

# ---- running, then pending (killed) ---------------------------------
section "running"
mkpkg slow 1.5 "[$(sleeper wait 30), {\"id\": \"after\", \"type\": \"fixture.ok\"}]"
start_install slow wait
status
expect_exit 0 "status"
assert_stdout "state:       running (pid $PID)"
assert_stdout "installer:   installing 'slow' 1.5 from '$T/slow.sup'"
assert_stdout "last result: slow 1.5 running"
status_json running
assert_json "$J" 'd["state"]' "running"
assert_json "$J" 'd["running"]["pid"]' "$PID"
assert_json "$J" 'd["running"]["holder"]' "pid $PID, installing 'slow' 1.5 from '$T/slow.sup'"
assert_json "$J" 'd["pending"]["name"]' "slow"
assert_json "$J" 'd["pending"]["reason"]' "null"
assert_json "$J" 'd["last"]["result"]' "running"
assert_json "$J" '[p["name"] for p in d["installed"]]' '["app"]'

section "pending: the installer was killed"
kill -KILL "$PID"
wait "$PID" 2>/dev/null
wait_unlocked "$R/var/lib/supkit" || echo "  the installer lock is still held"
status
expect_exit 0 "status"
assert_stdout "state:       pending: slow 1.5, interrupted"
assert_stdout "next action: 1/2 wait (exec.command, running)"
assert_stdout "'sup install --resume' continues it, 'sup install --abandon' closes it"
status_json killed
assert_json "$J" 'd["state"]' "pending"
assert_json "$J" 'd["running"]' "null"
assert_json "$J" 'd["pending"]["name"]' "slow"
assert_json "$J" 'd["pending"]["version"]' "1.5"
assert_json "$J" 'd["pending"]["result"]' "running"
assert_json "$J" 'd["pending"]["reason"]' "interrupted"
assert_json "$J" 'd["pending"]["sup"]' "$R/var/lib/supkit/package.sup"
assert_json "$J" 'd["pending"]["next_action"]' \
	'{"id": "wait", "number": 1, "status": "running", "total": 2, "type": "exec.command"}'
sup install --abandon --root "$R"
expect_exit 0 "abandon"
status_json abandoned
assert_json "$J" 'd["state"]' "idle"
assert_json "$J" 'd["pending"]' "null"
assert_json "$J" '[d["last"]["name"], d["last"]["result"], d["last"]["error"]["code"]]' \
	'["slow", "failed", "abandoned"]'

# ---- pending: suspended by SIGTERM ----------------------------------
section "pending: suspended by a signal"
mkpkg pause 3.0 "[$(sleeper first 1), {\"id\": \"second\", \"type\": \"fixture.ok\"}, {\"id\": \"third\", \"type\": \"fixture.ok\"}]"
start_install pause first
kill -TERM "$PID"
wait "$PID"
assert_eq "$?" "7" "the install was suspended (exit status)"
status
expect_exit 0 "status"
assert_stdout "state:       pending: pause 3.0, suspended"
assert_stdout "             suspended by: signal 15"
assert_stdout "next action: 2/3 second (fixture.ok, pending)"
assert_stdout "last result: pause 3.0 suspended"
status_json suspended
assert_json "$J" 'd["state"]' "pending"
assert_json "$J" '[d["pending"]["result"], d["pending"]["reason"]]' \
	'["suspended", "signal 15"]'
assert_json "$J" 'd["pending"]["next_action"]["id"]' "second"
assert_json "$J" 'd["pending"]["next_action"]["number"]' "2"
sup install --resume --root "$R"
expect_exit 0 "resume"
status_json resumed
assert_json "$J" 'd["state"]' "idle"
assert_json "$J" '[(p["name"], p["version"]) for p in d["installed"]]' \
	'[["app", "1.0"], ["pause", "3.0"]]'
assert_json "$J" '[d["last"]["name"], d["last"]["result"]]' '["pause", "succeeded"]'

# ---- another configuration --------------------------------------------
section "--config: the directories it names"
R2=$(new_root other)
printf '[paths]\nstate_dir = /data/state\nlogs_dir = /data/logs\n' >"$T/other.conf"
sup install "$T/app.sup" --root "$R2" --config "$T/other.conf" "${PLUGINS[@]}"
expect_exit 0 "install with --config"
sup status --root "$R2"
expect_exit 0 "status without --config"
assert_stdout "installed:   nothing"
sup status --root "$R2" --config "$T/other.conf" --json
expect_exit 0 "status with --config"
cp "$T/out" "$T/other.json"
assert_json "$T/other.json" '[p["name"] for p in d["installed"]]' '["app"]'
assert_json "$T/other.json" 'd["last"]["record"]' "$R2/data/logs/confirmation.json"
sup status --root "$R2" --config "$T/no-such.conf"
expect_exit 5 "status with a missing --config"

# ---- damaged and unsafe state -----------------------------------------
S="$R/var/lib/supkit"
L="$R/var/log/supkit"

section "damaged installed.json"
cp "$S/installed.json" "$T/installed.json.saved"
printf '{"format": 1, "packages": {' >"$S/installed.json"
status
expect_exit 5 "status"
assert_stderr "sup: error: cannot read '$S/installed.json': installed.json is not valid JSON (or is truncated)"
assert_stdout "installed:   unknown"
assert_stdout "last result: pause 3.0 succeeded"
status_json bad-installed
expect_exit 5 "status --json"
assert_json "$J" 'd["installed"]' "null"
assert_json "$J" 'd["installed_from"]' "null"
assert_json "$J" 'd["state"]' "idle"
assert_json "$J" 'd["problems"]' \
	"[\"cannot read '$S/installed.json': installed.json is not valid JSON (or is truncated)\"]"
echo '{"format": 2, "time_floor": 0, "packages": {}}' >"$S/installed.json"
status
expect_exit 5 "status (unknown format)"
assert_stderr "installed.json: unknown format"
cp "$T/installed.json.saved" "$S/installed.json"

section "damaged confirmation.json"
cp "$L/confirmation.json" "$T/confirmation.json.saved"
echo 'not json' >"$L/confirmation.json"
status
expect_exit 5 "status"
assert_stderr "sup: error: cannot read '$L/confirmation.json': not a JSON object"
assert_stdout "installed:   app 1.0"
assert_stdout "last result: none"
status_json bad-record
assert_json "$J" 'd["last"]' "null"
assert_json "$J" '[p["name"] for p in d["installed"]]' '["app", "pause"]'
assert_json_contains "$J" 'd["problems"][0]' "confirmation.json': not a JSON object"
echo '{"confirmation_format": 9, "actions": []}' >"$L/confirmation.json"
status
expect_exit 5 "status (other format)"
assert_stderr "confirmation.json': not a confirmation document of format 1"
cp "$T/confirmation.json.saved" "$L/confirmation.json"

section "damaged install.json"
echo '{"state_format": 1}' >"$S/install.json"
status
expect_exit 5 "status"
assert_stderr "sup: error: cannot read '$S/install.json': install state lacks the package"
assert_stdout "state:       pending"
rm -f "$S/install.json"

section "a link is not followed"
mv "$S/installed.json" "$T/elsewhere.json"
ln -s "$T/elsewhere.json" "$S/installed.json"
status
expect_exit 5 "status"
assert_stderr "sup: error: '$S/installed.json' is a symbolic link: not read"
assert_stdout "installed:   unknown"
rm -f "$S/installed.json"
mv "$T/elsewhere.json" "$S/installed.json"

section "a state directory others may change"
chmod 0777 "$S"
status
expect_exit 5 "status"
assert_stderr "sup: error: state directory '$S' may be changed by other users (mode 0777, owner $(id -u)): its files are not read"
assert_stdout "state:       unknown"
chmod 0755 "$S"
status
expect_exit 0 "status once repaired"
assert_stdout "state:       idle"

section "a tree of another user: sup.conf a link of theirs"
# Attack review: status resolved sup.conf under --root to a path string
# and opened it again by name, through links of the tree's owner; the
# parser's complaints then showed the key names of a file that user may
# not read (in the attack, /etc/shadow, by swapping a directory for a
# link in between). Now the file is walked once from the root's
# descriptor, and a link another user owns is not followed. The old code
# parsed the file below. Needs root to make files of another owner.
if [ "$(id -u)" = 0 ]; then
	RA=$(new_root attack)
	mkdir -p "$RA$SUP_SYSCONF_DIR" "$RA/var/lib/supkit" "$RA/var/log/supkit"
	ln -s /private/shadow "$RA$SUP_SYSCONF_DIR/sup.conf"
	chown -hR 4242:4242 "$RA"
	# A file of root's in their tree, say a package's: theirs not to read.
	mkdir -m 0700 "$RA/private"
	# shellcheck disable=SC2016 # a shadow line: nothing to expand
	printf 'root:$6$saltsalt$secrethash:19000:0:99999:7:::\ndaemon:*:19000::::::\n' \
		>"$RA/private/shadow"
	chmod 0600 "$RA/private/shadow"
	sup status --root "$RA"
	expect_exit 5 "status"
	assert_stderr "sup: error: cannot read '$RA$SUP_SYSCONF_DIR/sup.conf': '$SUP_SYSCONF_DIR/sup.conf' is a symbolic link owned by uid 4242: only links owned by root are followed"
	assert_stderr_not "daemon"
	assert_stderr_not "private/shadow"
	assert_stdout "state:       unknown"

	section "a tree of another user: a directory swapped for a link while status reads"
	# The attack itself: their configuration directory and a link of
	# theirs to a directory of root's (holding a root-only sup.conf) are
	# swapped in a tight loop while status runs. The old code resolved the
	# path while the directory was there and opened it by name once the
	# link was: it parsed root's file in 10 to 36 runs of 100 here, so 150
	# runs all but surely find it (at 1 in 10, 150 runs miss it once in
	# seven million). The new code walks from the root once and finds the
	# link or the directory, and refuses either: it reads nothing of
	# root's, whatever the timing, and cannot fail this test by chance.
	RB=$(new_root swap)
	SC="$RB$SUP_SYSCONF_DIR"
	mkdir -p "$SC" "$T/hostconf" "$T/sig"
	printf '[paths]\nlogs_dir = /var/log/supkit\n' >"$SC/sup.conf"
	ln -s "$T/hostconf" "$SC.link"
	chown -hR 4242:4242 "$RB"
	printf '[secret]\nroot_hash = x\n' >"$T/hostconf/sup.conf"
	chmod 0600 "$T/hostconf/sup.conf"
	cat >"$T/swap.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b, stop = (s.encode() for s in sys.argv[1:4])
open(sys.argv[4], "w").close()  # swapping from now on
while not os.path.exists(stop):
    for _ in range(1000):
        libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE
PY
	python3 "$T/swap.py" "$SC" "$SC.link" "$T/sig/swap-stop" \
		"$T/sig/swapping" &
	swapper=$!
	E2E_PIDS+=("$swapper")
	assert_true "the swapper started" wait_until 20 test -e "$T/sig/swapping"
	leaked=0
	for i in $(seq 1 150); do
		sup status --root "$RB"
		if grep -q secret "$T/err"; then
			leaked=$i
			break
		fi
	done
	touch "$T/sig/swap-stop"
	wait "$swapper"
	assert_eq "$leaked" 0 "the run (of $i) that read root's sup.conf"
else
	echo "skipped: making files of another owner needs root"
fi

section "--root: opened once, walked from /"
RR=$(new_root rootarg)
sup install "$T/app.sup" --root "$RR" "${PLUGINS[@]}"
expect_exit 0 "install"
# A relative --root and a link of root's (or of the caller's) to it.
ln -s "$RR" "$T/rootlink"
(cd "$(dirname "$RR")" && "$SUP" status --json --root "$(basename "$RR")" >"$T/out" 2>"$T/err"); RC=$?
expect_exit 0 "status, relative --root"
assert_json "$T/out" 'd["root"]' "$RR"
sup status --json --root "$T/rootlink"
expect_exit 0 "status, --root through the caller's link"
assert_json "$T/out" 'd["root"]' "$RR"
if [ "$(id -u)" = 0 ]; then
	# Another user's link as --root, to a tree of root's: refused, and
	# nothing of that tree is read (a name that is not the descriptor's
	# could lead anywhere).
	ln -s "$RR" "$T/theirs"
	chown -h 4242:4242 "$T/theirs"
	sup status --root "$T/theirs"
	expect_exit 5 "status, --root through another user's link"
	assert_stderr "root directory '$T/theirs': '$T/theirs' is a symbolic link owned by uid 4242: only links owned by root are followed"
	assert_stdout "installed:   unknown"
	sup verify "$T/app.sup" --root "$T/theirs"
	expect_exit 5 "verify, --root through another user's link"
	sup install "$T/app.sup" --root "$T/theirs" "${PLUGINS[@]}"
	expect_exit 5 "install, --root through another user's link"
else
	echo "skipped: making files of another owner needs root"
fi

section "the installer lock is the installer's alone (mode 0600)"
# flock() needs only a descriptor open for reading: a lock others may read,
# any of them may hold, and no install would run.
RL=$(new_root lockmode)
sup install "$T/app.sup" --root "$RL" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_eq "$(stat -c %a "$RL/var/lib/supkit/lock")" 600 "mode of the lock a new install made"
chmod 0644 "$RL/var/lib/supkit/lock"
sup install "$T/app.sup" --root "$RL" "${PLUGINS[@]}"
expect_exit 0 "install again"
assert_eq "$(stat -c %a "$RL/var/lib/supkit/lock")" 600 "mode of an older lock, once taken"

finish
