#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_rollback.sh - anti-rollback and time on the gateway (issue 7): the
# installer keeps STATE_DIR/installed.json (per package name the version
# last installed and the highest security_version; the time floor); a
# lower version is refused (exit 4) unless --allow-downgrade, which
# [trust] allow_downgrade = false forbids; a lower security_version is
# refused always; versions compare like dpkg; a damaged record is a
# configuration error (exit 5). Certificates are checked at the clock, or,
# on a gateway whose clock is behind the time floor (no RTC, booted in
# 1970), at the floor or the package's signing time: checked with
# faketime when it is installed.
. "$(dirname "$0")/lib.sh"

# installs STEM [ARGS...]: sup install $T/STEM.sup into $R succeeds and both
# actions ran.
installs() {
	local stem=$1
	shift
	rm -f "$T/marks/$stem"
	sup install "$T/$stem.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" "$@"
	expect_exit 0 "install $stem.sup"
	assert_installed "$stem" "$R"
}

# trust_conf ROOT [LINE...]: ROOT's sup.conf with these lines in [trust].
trust_conf() {
	local f="$1$SUP_SYSCONF_DIR/sup.conf"
	shift
	rm -f "$f"
	[ $# -eq 0 ] || printf '[trust]\n%s\n' "$@" >"$f"
}

R=$(new_root gw)
STATE="$R/var/lib/supkit"
REC="$STATE/installed.json"

# ---- the record -------------------------------------------------------
section "the first install is recorded"
traced_pkg v2 version=2.0 sv=3
installs v2
assert_file "$REC"
assert_json_parses "$REC"
assert_mode "$REC" 644
assert_json "$REC" 'd["format"]' "1"
assert_json "$REC" 'sorted(d["packages"])' '["app"]'
assert_json "$REC" '(d["packages"]["app"]["version"], d["packages"]["app"]["security_version"])' \
	'["2.0", 3]'
assert_json "$REC" 'd["packages"]["app"]["installed_at"]' \
	"$(jq_py "$(confirmation "$R")" 'd["finished"]')"
assert_json "$REC" 'isinstance(d["time_floor"], int) and d["time_floor"] > 1700000000' "true"

section "same version again: a re-install"
traced_pkg v2-again version=2.0 sv=3
installs v2-again
traced_pkg v2-spelled version=0:2.00-0 sv=3
installs v2-spelled
assert_json "$REC" 'd["packages"]["app"]["version"]' "0:2.00-0"

section "a lower version: refused (exit 4)"
traced_pkg v1 version=1.0 sv=3
refused_install 4 "sup: error: package 'app' 1.0 is older than the installed 0:2.00-0: refused as a downgrade (--allow-downgrade installs it)" \
	"$T/v1.sup"
refused_install 4 "package 'app' 1.0 is older than the installed 0:2.00-0: refused as a downgrade" \
	"$T/v1.sup" --dry-run

section "--allow-downgrade installs it"
installs v1 --allow-downgrade
assert_json "$REC" '(d["packages"]["app"]["version"], d["packages"]["app"]["security_version"])' \
	'["1.0", 3]'
installs v2

section "[trust] allow_downgrade = false forbids downgrades"
trust_conf "$R" "allow_downgrade = false"
refused_install 4 "sup: error: package 'app' 1.0 is older than the installed 2.0, and [trust] allow_downgrade is false: downgrades are forbidden on this gateway" \
	"$T/v1.sup" --allow-downgrade
refused_install 4 "sup: error: package 'app' 1.0 is older than the installed 2.0, and [trust] allow_downgrade is false: downgrades are forbidden on this gateway" \
	"$T/v1.sup"
assert_stderr_not "--allow-downgrade"
installs v2-again
trust_conf "$R"

section "security_version never goes down"
traced_pkg v1-sv2 version=1.0 sv=2
refused_install 4 "sup: error: package 'app' 1.0: security_version 2 is lower than 3, installed with version 2.0: refused whatever the options" \
	"$T/v1-sv2.sup" --allow-downgrade
traced_pkg v3-sv2 version=3.0 sv=2
refused_install 4 "sup: error: package 'app' 3.0: security_version 2 is lower than 3, installed with version 2.0: refused whatever the options" \
	"$T/v3-sv2.sup"
refused_install 4 "security_version 2 is lower than 3" "$T/v3-sv2.sup" --allow-downgrade
# No security_version counts as 0.
traced_pkg v3-nosv version=3.0
refused_install 4 "sup: error: package 'app' 3.0: security_version 0 is lower than 3, installed with version 2.0: refused whatever the options" \
	"$T/v3-nosv.sup"
traced_pkg v3-sv4 version=3.0 sv=4
installs v3-sv4
assert_json "$REC" '(d["packages"]["app"]["version"], d["packages"]["app"]["security_version"])' \
	'["3.0", 4]'
# A downgrade keeps the highest security_version seen.
traced_pkg v2-sv4 version=2.0 sv=4
installs v2-sv4 --allow-downgrade
traced_pkg v2-sv5 version=2.0 sv=5
installs v2-sv5
assert_json "$REC" '(d["packages"]["app"]["version"], d["packages"]["app"]["security_version"])' \
	'["2.0", 5]'

section "per package name"
traced_pkg other-0.1 name=other version=0.1
installs other-0.1
assert_json "$REC" '(sorted(d["packages"]), d["packages"]["other"]["version"], d["packages"]["app"]["version"])' \
	'[["app", "other"], "0.1", "2.0"]'

section "a failed install is not recorded"
pkg "$T/fails.sup" <<'EOF'
{ "manifest": { "sup_format": 1, "package": { "name": "app", "version": "9.0", "security_version": 9 },
    "actions": [ { "id": "boom", "type": "exec.command", "params": { "argv": ["/bin/false"] } } ] } }
EOF
cp "$REC" "$T/rec.before"
sup install "$T/fails.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 1 "install fails.sup"
assert_json "$REC" '(d["packages"]["app"]["version"], d["packages"]["app"]["security_version"])' \
	'["2.0", 5]'
installs v2-sv5

# ---- version order ----------------------------------------------------
section "versions compare like dpkg"
# Ascending; each refuses the one before it once installed.
VERSIONS=("1.0~rc1" "1.0" "1.0a" "1.0+b1" "1.0.1" "1.9" "1.10" "1.10-1" "1.10-1.1" "1:0.1" "2:0~beta")
if command -v dpkg >/dev/null; then
	ok=1
	for ((i = 1; i < ${#VERSIONS[@]}; i++)); do
		dpkg --compare-versions "${VERSIONS[i - 1]}" lt "${VERSIONS[i]}" || ok=0
	done
	assert_eq "$ok" "1" "dpkg agrees that the list ascends"
fi
R=$(new_root order)
for ((i = 0; i < ${#VERSIONS[@]}; i++)); do
	traced_pkg "ord$i" name=ord version="${VERSIONS[i]}"
done
for ((i = 0; i < ${#VERSIONS[@]}; i++)); do
	installs "ord$i"
	if [ "$i" -gt 0 ]; then
		refused_install 4 "package 'ord' ${VERSIONS[i - 1]} is older than the installed ${VERSIONS[i]}: refused as a downgrade" \
			"$T/ord$((i - 1)).sup"
	fi
done

# ---- a damaged record -------------------------------------------------
section "installed.json damaged: exit 5"
R=$(new_root damaged)
STATE="$R/var/lib/supkit"
REC="$STATE/installed.json"
traced_pkg d1
installs d1
cp "$REC" "$T/rec.good"
damaged() {
	refused_install 5 "sup: error: cannot read '$REC': $1: anti-rollback and the time floor need it (restore it, or remove it to start over)" \
		"$T/d1.sup"
	sup verify "$T/d1.sup" --root "$R"
	expect_exit 5 "sup verify with a damaged installed.json"
	assert_stderr "cannot read '$REC': $1"
}
head -c 20 "$T/rec.good" >"$REC"
damaged "installed.json is not valid JSON (or is truncated)"
echo '{"format": 2, "time_floor": 0, "packages": {}}' >"$REC"
damaged "installed.json: unknown format (this installer reads format 1)"
echo '{"format": 1, "time_floor": 0, "packages": []}' >"$REC"
damaged "installed.json: 'packages' is missing or not an object"
echo '{"format": 1, "time_floor": 0, "packages": {"app": {"version": "1.0", "installed_at": "x"}}}' >"$REC"
damaged "installed.json: a package 'security_version' is missing, negative or not an integer"
rm "$REC"
mkdir "$REC"
damaged "installed.json is not a regular file"
rmdir "$REC"
section "installed.json removed: start over"
installs d1
assert_json "$REC" 'd["packages"]["app"]["version"]' "1.0"

section "installed.json a link: exit 5"
# The installer writes it by rename: a link there was planted. It is not
# followed (whoever owns it), nor replaced.
mv "$REC" "$T/rec.elsewhere"
ln -s "$T/rec.elsewhere" "$REC"
damaged "installed.json is a symbolic link"
rm "$REC"
mv "$T/rec.elsewhere" "$REC"

section "a tree of another user: the state directory a link of theirs"
# Attack review: the state directory was resolved under --root to a path
# string, following links whatever their owner, and installed.json read
# and written by that name. The owner of the tree's /var/lib (uid 4242)
# made /var/lib/supkit a link into /private, a directory of root's they
# may not read (relative, so that by name or walked from the root it
# leads there): the old code took root's record there for this gateway's
# and installed, writing the lock, the state and installed.json into it.
# Now the state directory is walked once from the root's descriptor and
# the link refused, before anything is read or written (exit 5).
# Needs root to make files of another owner.
if [ "$(id -u)" = 0 ]; then
	R=$(new_root planted)
	STATE="$R/var/lib/supkit"
	mkdir -p "$R/var/lib" "$R/private/state"
	chmod 0700 "$R/private"
	echo '{"format": 1, "time_floor": 0, "packages": {"rootonly": {"version": "1.0", "security_version": 0, "installed_at": "2026-01-01T00:00:00Z"}}}' \
		>"$R/private/state/installed.json"
	ln -s ../../private/state "$STATE"
	chown -h 4242:4242 "$R/var/lib" "$STATE"
	LINK="is a symbolic link owned by uid 4242: only links owned by root are followed"
	traced_pkg planted
	refused_install 5 "sup: error: state directory '$STATE': '/var/lib/supkit' $LINK" \
		"$T/planted.sup"
	assert_eq "$(ls -A "$R/private/state")" "installed.json" \
		"root's directory holds what it held"
	sup verify "$T/planted.sup" --root "$R"
	expect_exit 5 "sup verify"
	assert_stderr "sup: error: state directory '$STATE': '/var/lib/supkit' $LINK"

	section "a tree of another user: installed.json a link of theirs"
	# Their own state directory, installed.json in it a link of theirs to
	# root's record: the old code read it as this gateway's record (then
	# replaced the link). Refused, never followed.
	rm "$STATE"
	mkdir "$STATE"
	ln -s ../../../private/state/installed.json "$STATE/installed.json"
	chown -h 4242:4242 "$STATE" "$STATE/installed.json"
	refused_install 5 "sup: error: cannot read '$STATE/installed.json': installed.json is a symbolic link: anti-rollback and the time floor need it (restore it, or remove it to start over)" \
		"$T/planted.sup"
	# sup status reads nothing in a directory others may change.
	sup status --root "$R"
	expect_exit 5 "sup status"
	assert_stderr "sup: error: state directory '$STATE' may be changed by other users (mode 0755, owner 4242): its files are not read"
	assert_stderr_not "rootonly"
else
	echo "skipped: making files of another owner needs root"
fi

# ---- time: gateways without a real-time clock -------------------------
section "RTC-less gateway (clock in 1970)"
if ! command -v faketime >/dev/null; then
	echo "skip: faketime is not installed (Debian package faketime): the RTC-less checks did not run"
else
	# faketime preloads a library; ASan wants to be first otherwise.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	BOOT='1970-01-02 00:00:00'
	R=$(new_root rtcless)
	REC="$R/var/lib/supkit/installed.json"
	traced_pkg fresh
	traced_pkg old-expired signer=expired
	traced_pkg old-expired-2020 signer=expired at='2020-06-01 00:00:00'
	assert_contains "$(sup_member "$T/old-expired-2020.sup" manifest.sig |
		openssl cms -cmsout -print -inform DER | grep -A2 signingTime)" \
		"UTCTIME:Jun  1 00:00:0" "signingTime of old-expired-2020.sup"

	rm -f "$T/marks/fresh"
	run faketime "$BOOT" "$SUP" install "$T/fresh.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 0 "install of a good package at $BOOT"
	assert_installed fresh "$R"
	C=$(confirmation "$R")
	assert_json "$C" 'd["started"][:4]' "1970"
	# Checked at the package's signing time (later than the build time).
	assert_json "$C" 'd["package"]["signature"]["checked_at"] == d["package"]["signature"]["signing_time"]' "true"
	SIGNED_AT=$(jq_py "$C" 'd["package"]["signature"]["signing_time"]')
	assert_json "$REC" 'd["time_floor"]' "$(date -u -d "$SIGNED_AT" +%s)"
	FLOOR_TEXT=$(date -u -d "$SIGNED_AT" +%Y-%m-%dT%H:%M:%SZ)

	take_snapshot "$R" rtc
	run faketime "$BOOT" "$SUP" install "$T/old-expired.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 3 "install of an expired signer's package at $BOOT"
	assert_stderr "sup: error: '$T/old-expired.sup': certificate expired: 'CN=supkit test signer expired' was valid until 2021-01-01T00:00:00Z (checked at "
	assert_stderr_not "(checked at 1970"
	assert_unchanged "$R" rtc "root"
	assert_no_action old-expired

	# Signed while the certificate was valid, but the gateway knows the
	# time is past 2021 (its floor): refused.
	run faketime "$BOOT" "$SUP" install "$T/old-expired-2020.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 3 "install of a package signed in 2020 by an expired signer, at $BOOT"
	assert_stderr "sup: error: '$T/old-expired-2020.sup': certificate expired: 'CN=supkit test signer expired' was valid until 2021-01-01T00:00:00Z (checked at $FLOOR_TEXT)"
	assert_unchanged "$R" rtc "root"
	assert_no_action old-expired-2020
	# Even on a gateway that never installed anything: the build time
	# is the floor.
	R2=$(new_root rtcless-new)
	take_snapshot "$R2" rtc2
	run faketime "$BOOT" "$SUP" install "$T/old-expired-2020.sup" --root "$R2" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 3 "the same on a new gateway"
	assert_stderr "was valid until 2021-01-01T00:00:00Z (checked at 20"
	assert_stderr_not "(checked at 1970"
	assert_stderr_not "(checked at 2020"
	assert_unchanged "$R2" rtc2 "new root"

	section "[trust] validity = clock and = off"
	trust_conf "$R2" "validity = clock"
	take_snapshot "$R2" rtc2
	run faketime "$BOOT" "$SUP" install "$T/fresh.sup" --root "$R2" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 3 "validity = clock at $BOOT: a good package"
	assert_stderr "certificate not yet valid: "
	# faketime starts the clock at $BOOT and lets it run: on a loaded
	# machine the check comes a second or more after the start.
	assert_stderr "(checked at 1970-01-02T00:00:"
	assert_unchanged "$R2" rtc2 "root"
	trust_conf "$R2" "validity = off"
	rm -f "$T/marks/old-expired"
	run faketime "$BOOT" "$SUP" install "$T/old-expired.sup" --root "$R2" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 0 "validity = off at $BOOT: an expired signer"
	assert_installed old-expired "$R2"
fi

# ---- the check under the installer lock -----------------------------
section "an install that finishes during another's preflight"
# Regression: the version was checked in preflight only. Package 1.0 of
# "race" spends 3 s in preflight (a plugin check); meanwhile 2.0 installs.
# When 1.0 then takes the lock, it must see 2.0 and stop as a downgrade,
# before any of its actions runs.
R3=$(new_root race)
pkg "$T/race-2.sup" <<EOF2
{"manifest": {"sup_format": 1, "package": {"name": "race", "version": "2.0"},
  "actions": [{"id": "slow", "type": "exec.command",
               "params": {"argv": ["/bin/sleep", "1"]}}]}}
EOF2
pkg "$T/race-1.sup" <<EOF2
{"manifest": {"sup_format": 1, "package": {"name": "race", "version": "1.0"},
  "actions": [{"id": "hold", "type": "fixture.slowcheck", "params": {"check_ms": 3000}},
              {"id": "mark", "type": "exec.command",
               "params": {"argv": ["/bin/sh", "-c", "echo ran >'$T/race-1.ran'"]}}]}}
EOF2
"$SUP" install "$T/race-2.sup" --root "$R3" --plugin-dir "$SUP_PLUGIN_DIR" -q \
	>"$T/race-2.out" 2>&1 &
race2=$!
sleep 0.3
sup install "$T/race-1.sup" --root "$R3" --plugin-dir "$SUP_PLUGIN_DIR" \
	--plugin-dir "$SUP_FIXTURE_DIR/good"
wait "$race2"
assert_eq "$?" 0 "race 2.0 installed meanwhile"
expect_exit 4 "race 1.0, checked again under the lock"
assert_stderr "sup: error: package 'race' 1.0 is older than the installed 2.0: refused as a downgrade (--allow-downgrade installs it)"
assert_missing "$T/race-1.ran"
assert_json "$R3/var/lib/supkit/installed.json" 'd["packages"]["race"]["version"]' "2.0"

finish
