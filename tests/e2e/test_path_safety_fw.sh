#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_path_safety_fw.sh - firmware.update, exec's "cwd" and the runtime's
# pidfile walk their gateway paths from the root by descriptor (issue 8,
# items 3 and 4): a service user (uid 4242) who owns a directory on the
# way cannot lead the release tree, the current link, a command's working
# directory or the pidfile read elsewhere by planting a symbolic link,
# before the preflight or after it (planted by an earlier action), nor
# through a directory of someone else below theirs. First, with no other
# user, what the descriptors build: a first install, a reinstall of the
# current release rolled back by a walk of its own, and an interrupted
# update taken up again from its pending record. The sections with files
# of another owner need root; skipped visibly otherwise.
. "$(dirname "$0")/lib.sh"

SVC=4242 # the service user

# fw_root NAME RELEASES_DIR CURRENT_LINK: a gateway root $R of product
# acme (profile $CONF, confirmation $C) whose runtime is up while
# /run/up exists and is healthy unless its release has a file BROKEN.
# FW_START: a start command of its own.
fw_root() {
	# shellcheck disable=SC2016 # expanded by the shell of the command
	local start=${FW_START:-'touch "$SUP_ROOT/run/up"'}

	product_root "$1" <<EOF
[product]
name = acme
plugins = file, exec, runtime, firmware

[runtime]
control = commands
start_command = $start
stop_command = rm -f "\$SUP_ROOT/run/up"
health = command
health_command = test -e "\$SUP_ROOT/run/up" && test ! -e "\$SUP_ROOT$3/BROKEN"
start_timeout_s = 2
stop_timeout_s = 2
poll_interval_ms = 50

[firmware]
method = release
releases_dir = $2
current_link = $3
health_timeout_s = 2
min_free_mb = 0
EOF
	mkdir -p "$R/run" "$R/etc"
	echo "root:secret" >"$R/etc/shadow"
	touch "$R/run/up"
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

# release STEM VERSION [ENTRIES]: $T/STEM.sup, firmware.update to VERSION
# from $T/STEM.tar (VERSION, bin/acme and ENTRIES); ACTIONS_BEFORE (a JSON
# list of actions with a trailing comma, or empty) runs first.
release() {
	mksup - -o "$T/$1.tar" <<EOF
{ "kind": "tar", "entries": [
    {"name": "VERSION", "data": "$2\n"},
    {"name": "bin/acme", "data": "#!/bin/sh\necho acme $2\n", "mode": 493}
    ${3:+, $3}] }
EOF
	mkpkg "$1" "[${ACTIONS_BEFORE:-}
	  {\"id\": \"update\", \"type\": \"firmware.update\",
	    \"params\": {\"version\": \"$2\"}, \"payloads\": [\"$1.tar\"]}]" \
		"[{\"name\": \"$1.tar\", \"file\": \"$T/$1.tar\"}]"
}

install() {
	sup install "$T/$1.sup" --root "$R" --config "$CONF"
}

# in_record TEXT: confirmation.json holds TEXT (an output line or error).
in_record() {
	if grep -qF -- "$1" "$C"; then
		pass "the record has: $1"
	else
		fail "the record lacks an expected text" "$1" \
			"$(head -c 3000 "$C")"
	fi
}

# refused STEM EXIT WHY: the install of STEM exits EXIT (4: refused in the
# preflight, 1: by the action) with WHY on stderr, and the root is as it
# was, but the installer's own records.
refused() {
	local keep='^\./var/log\|^\./var/lib/supkit'
	snapshot "$R" | grep -v "$keep" >"$T/before.snap"
	install "$1"
	expect_exit "$2" "install $1"
	assert_stderr "$3"
	snapshot "$R" | grep -v "$keep" >"$T/after.snap"
	if cmp -s "$T/before.snap" "$T/after.snap"; then
		pass "root unchanged (but the installer's records)"
	else
		fail "root changed" "no difference" \
			"$(diff "$T/before.snap" "$T/after.snap" | head -n 10)"
	fi
}

# ---- what the descriptors build ----------------------------------------
section "a first install makes the release tree"
fw_root first /opt/fw/releases /opt/fw/current
release fw-1.0 1.0
umask 077
install fw-1.0
umask 022
expect_exit 0 "install fw-1.0 (umask 077)"
assert_eq "$(readlink "$R/opt/fw/current")" "releases/1.0" "current"
assert_content "$R/opt/fw/releases/1.0/VERSION" $'1.0\n'
U=$(id -u)
assert_eq "$(stat -c '%u %a' "$R/opt/fw" "$R/opt/fw/releases" | tr '\n' ' ')" \
	"$U 755 $U 755 " "owner and mode of the directories made"
in_record "switched '/opt/fw/current' to 'releases/1.0'"
in_record "firmware 1.0 is running (previous: none)"

section "the current release installed again, broken: the old tree is put back"
release fw-1.0-broken 1.0 '{"name": "BROKEN", "data": "never healthy\n"}'
install fw-1.0-broken
expect_exit 1 "install fw-1.0-broken"
assert_json "$C" 'd["actions"][0]["rollback"]["status"]' "succeeded"
in_record "firmware 1.0 is already the current release: installing it again"
assert_stderr "put back the replaced release '/opt/fw/releases/1.0'"
assert_stderr "rolled back to 1.0, healthy"
assert_content "$R/opt/fw/releases/1.0/VERSION" $'1.0\n'
assert_missing "$R/opt/fw/releases/1.0/BROKEN"
assert_eq "$(ls -A "$R/opt/fw/releases" | tr '\n' ' ')" "1.0 " \
	"releases: no temporary tree or pending record left"

section "the current release installed again, healthy"
release fw-1.0-again 1.0 '{"name": "NOTE", "data": "again\n"}'
install fw-1.0-again
expect_exit 0 "install fw-1.0-again"
assert_content "$R/opt/fw/releases/1.0/NOTE" $'again\n'
assert_eq "$(ls -A "$R/opt/fw/releases" | tr '\n' ' ')" "1.0 " \
	"releases: the replaced tree removed"

section "an interrupted update taken up again, broken: back to the previous release"
# As left by a run stopped after the link switch: the pending record in
# releases_dir names the release before.
mkdir -p "$R/opt/fw/releases/2.0"
echo "2.0" >"$R/opt/fw/releases/2.0/VERSION"
ln -sfn releases/2.0 "$R/opt/fw/current"
printf 'version=2.0\nprevious=releases/1.0' >"$R/opt/fw/releases/.sup-firmware-pending"
release fw-2.0-broken 2.0 '{"name": "BROKEN", "data": "never healthy\n"}'
install fw-2.0-broken
expect_exit 1 "install fw-2.0-broken"
assert_json "$C" 'd["actions"][0]["rollback"]["status"]' "succeeded"
in_record "resuming an interrupted update to firmware 2.0 (previous: 1.0)"
assert_stderr "switched '/opt/fw/current' to 'releases/1.0'"
assert_stderr "rolled back to 1.0, healthy"
assert_eq "$(readlink "$R/opt/fw/current")" "releases/1.0" "current"
assert_missing "$R/opt/fw/releases/.sup-firmware-pending"

if [ "$(id -u)" != 0 ]; then
	echo "skipped: the service user's links and directories need root (chown)"
	finish
fi

# ---- firmware.update ---------------------------------------------------
section "releases_dir below a directory of the service user"
# From uid 4242's /opt/acme into root's releases: unsafe.
fw_root transition /opt/acme/releases /opt/acme/current
mkdir -p "$R/opt/acme/releases/1.0"
echo "1.0" >"$R/opt/acme/releases/1.0/VERSION"
ln -s releases/1.0 "$R/opt/acme/current"
chown "$SVC:$SVC" "$R/opt/acme"
release fw-2.0 2.0
refused fw-2.0 4 "unsafe path transition from '/opt/acme' (owned by uid $SVC) to '/opt/acme/releases' (owned by uid 0)"
assert_missing "$R/opt/acme/releases/2.0"
assert_eq "$(readlink "$R/opt/acme/current")" "releases/1.0" "current"

section "a link of the service user where releases_dir should be"
fw_root planted /var/lib/app/releases /var/lib/app/current
mkdir -p "$R/var/lib/app"
chown "$SVC:$SVC" "$R/var/lib/app"
ln -s /etc "$R/var/lib/app/releases"
chown -h "$SVC:$SVC" "$R/var/lib/app/releases"
release fw-2.0 2.0
refused fw-2.0 4 "path '/var/lib/app/releases': '/var/lib/app/releases' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_missing "$R/etc/2.0"
assert_missing "$R/etc/.sup-firmware-pending"
assert_missing "$R/var/lib/app/current"

section "... planted after the preflight"
# The preflight finds no releases_dir; an earlier action (standing in for
# the service user) plants the link before firmware.update runs.
rm "$R/var/lib/app/releases"
# shellcheck disable=SC2016 # expanded by the shell of the command
ACTIONS_BEFORE='{"id": "plant", "type": "exec.command", "params": {"argv":
  ["/bin/sh", "-c", "ln -s /etc \"$SUP_ROOT/var/lib/app/releases\" && chown -h 4242:4242 \"$SUP_ROOT/var/lib/app/releases\""]}},'
release fw-2.0-late 2.0
ACTIONS_BEFORE=
install fw-2.0-late
expect_exit 1 "install fw-2.0-late"
assert_stderr "path '/var/lib/app/releases': '/var/lib/app/releases' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["succeeded", "failed"]'
assert_missing "$R/etc/2.0"
assert_missing "$R/etc/.sup-firmware-pending"
assert_missing "$R/var/lib/app/current"
assert_eq "$(ls -A "$R/etc" | tr '\n' ' ')" "shadow supkit " "/etc"

section "a link of the service user where current_link's directory should be"
fw_root link-dir /opt/fw/releases /var/lib/app/cur/current
mkdir -p "$R/var/lib/app"
chown "$SVC:$SVC" "$R/var/lib/app"
ln -s /etc "$R/var/lib/app/cur"
chown -h "$SVC:$SVC" "$R/var/lib/app/cur"
release fw-2.0 2.0
refused fw-2.0 4 "path '/var/lib/app/cur/current': '/var/lib/app/cur' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_missing "$R/etc/current"
assert_missing "$R/opt/fw/releases/2.0"

section "... planted after the preflight"
rm "$R/var/lib/app/cur"
# shellcheck disable=SC2016 # expanded by the shell of the command
ACTIONS_BEFORE='{"id": "plant", "type": "exec.command", "params": {"argv":
  ["/bin/sh", "-c", "ln -s /etc \"$SUP_ROOT/var/lib/app/cur\" && chown -h 4242:4242 \"$SUP_ROOT/var/lib/app/cur\""]}},'
release fw-2.0-late 2.0
ACTIONS_BEFORE=
install fw-2.0-late
expect_exit 1 "install fw-2.0-late"
assert_stderr "path '/var/lib/app/cur/current': '/var/lib/app/cur' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_missing "$R/etc/current"
assert_eq "$(ls -A "$R/etc" | tr '\n' ' ')" "shadow supkit " "/etc"

section "releases_dir swapped for a link while the update runs"
# The service user owns the release tree; the start command stands in
# for them swapping releases_dir for a link after the walk. The pruning
# that follows works in the directory that was walked, not in the one
# the link leads to, where two version-named directories hold data. (A
# relative link: one a path string would follow stays under the root.)
cat >"$T/swap.sh" <<'EOF'
app=$SUP_ROOT/var/lib/app
mv "$app/releases" "$app/old" && ln -s ../../../srv/data "$app/releases" &&
	chown -h 4242:4242 "$app/releases" && touch "$SUP_ROOT/run/up"
EOF
FW_START="sh $T/swap.sh"
fw_root swapped /var/lib/app/releases /var/lib/app/current
FW_START=
mkdir -p "$R/var/lib/app/releases/0.8" "$R/var/lib/app/releases/0.9" \
	"$R/var/lib/app/releases/1.0" "$R/srv/data/0.4" "$R/srv/data/0.5"
echo precious >"$R/srv/data/0.4/data"
ln -s releases/1.0 "$R/var/lib/app/current"
chown -R "$SVC:$SVC" "$R/var/lib/app"
release fw-2.0 2.0
install fw-2.0
expect_exit 0 "install fw-2.0"
assert_content "$R/srv/data/0.4/data" $'precious\n'
assert_true "/srv/data/0.5 is still there" test -d "$R/srv/data/0.5"
assert_eq "$(ls -A "$R/var/lib/app/old" | tr '\n' ' ')" "1.0 2.0 " \
	"the walked releases_dir, pruned"

section "the service user's own release tree is fine"
# Below uid 4242's directory, in directories of uid 4242 too.
fw_root own /var/lib/app/releases /var/lib/app/current
mkdir -p "$R/var/lib/app/releases"
chown -R "$SVC:$SVC" "$R/var/lib/app"
release fw-2.0 2.0
install fw-2.0
expect_exit 0 "install fw-2.0"
assert_eq "$(readlink "$R/var/lib/app/current")" "releases/2.0" "current"
assert_content "$R/var/lib/app/releases/2.0/VERSION" $'2.0\n'

# ---- exec: cwd ---------------------------------------------------------
section "exec.command: a cwd through a link of the service user"
fw_root exec /opt/fw/releases /opt/fw/current
mkdir -p "$R/var/lib/app" "$R/opt/real"
chown "$SVC:$SVC" "$R/var/lib/app"
ln -s /etc "$R/var/lib/app/work"
chown -h "$SVC:$SVC" "$R/var/lib/app/work"
mkpkg cwd-through '[{"id": "cmd", "type": "exec.command", "params": {
  "argv": ["/bin/sh", "-c", "echo planted >planted"], "cwd": "/var/lib/app/work"}}]'
refused cwd-through 1 "path '/var/lib/app/work': '/var/lib/app/work' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_missing "$R/etc/planted"

section "exec.command: a cwd through a link of root"
ln -s /opt/real "$R/opt/cwd"
mkpkg cwd-root '[{"id": "cmd", "type": "exec.command", "params": {
  "argv": ["/bin/sh", "-c", "pwd -P; echo here >here"], "cwd": "/opt/cwd"}}]'
install cwd-root
expect_exit 0 "install cwd-root"
assert_content "$R/opt/real/here" $'here\n'
in_record "$R/opt/real"

# ---- runtime: pidfile --------------------------------------------------
# pidfile_profile START_COMMAND: the profile of $R, health by the pidfile
# /var/lib/app/run/app.pid.
pidfile_profile() {
	cat >"$R/etc/supkit/products/acme.conf" <<EOF
[product]
name = acme
plugins = runtime

[runtime]
control = commands
start_command = $1
stop_command = true
health = pidfile
pidfile = /var/lib/app/run/app.pid
start_timeout_s = 2
poll_interval_ms = 50
EOF
}

section "runtime.start: a pidfile through a link of the service user"
# /etc/app.pid names a live process (this test): read through the link,
# it would say the runtime is up.
product_root pidfile </dev/null
pidfile_profile true
mkdir -p "$R/var/lib/app" "$R/etc"
echo "$$" >"$R/etc/app.pid"
chown "$SVC:$SVC" "$R/var/lib/app"
ln -s /etc "$R/var/lib/app/run"
chown -h "$SVC:$SVC" "$R/var/lib/app/run"
mkpkg rt-start '[{"id": "start", "type": "runtime.start"}]'
install rt-start
expect_exit 1 "install rt-start"
assert_stderr "path '/var/lib/app/run/app.pid': '/var/lib/app/run' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_eq "$(grep -c "^sup: start: failed: path '/var/lib/app/run/app.pid'" "$T/err")" 1 \
	"the refusal recorded once"
assert_stderr_not "running the start command"

section "runtime.start: a pidfile in a directory the start command makes"
# Not walked before the directory is there: "no pidfile", no failure.
rm "$R/var/lib/app/run"
chown 0:0 "$R/var/lib/app"
pidfile_profile "mkdir -p \"\$SUP_ROOT/var/lib/app/run\" && echo $$ >\"\$SUP_ROOT/var/lib/app/run/app.pid\""
install rt-start
expect_exit 0 "install rt-start"
in_record "runtime healthy"

finish
