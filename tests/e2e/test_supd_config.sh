#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_config.sh - supd.conf: refused when it holds the app token
# and others (or its group) may read it, or when others may change it;
# every problem reported as FILE:LINE: what, all at once, without the
# token; exit code 3. Usage errors exit 2.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

# No portal is contacted: every configuration here is refused first.
SIM_URL="https://portal.invalid"
R=$(new_root root)
CONF="$T/supd.conf"

section "readable by others"
supd_conf "$CONF"
chmod 0644 "$CONF"
run "$SUPD" --config "$CONF" --once
expect_exit 3 "supd"
assert_stderr "supd: error: $CONF: holds app_token and is readable by others (mode 0644): chmod 600 it"
assert_stderr "supd: error: configuration '$CONF' refused; nothing was done"
assert_missing "$T/state"

section "readable by the group"
chmod 0640 "$CONF"
run "$SUPD" --config "$CONF" --once
expect_exit 3 "supd"
assert_stderr "$CONF: holds app_token and is readable by its group (mode 0640): chmod 600 it"

section "writable by others"
chmod 0602 "$CONF"
run "$SUPD" --config "$CONF" --once
expect_exit 3 "supd"
assert_stderr "configuration '$CONF' may be changed by other users (mode 0602, owner $(id -u))"
assert_stderr "writable by its owner only"

section "no token: readable is fine"
grep -v '^app_token' "$CONF" >"$T/notoken.conf"
chmod 0644 "$T/notoken.conf"
run "$SUPD" --config "$T/notoken.conf" --once
expect_exit 3 "supd"
assert_stderr "$T/notoken.conf: [portal] app_token is missing"
assert_stderr_not "readable by"

section "every problem, with its line"
cat >"$CONF" <<EOF
[portal]
endpoint = http://127.0.0.1:1
app_id = app
app_token = bad token $TOKEN
[agent]
pol_interval_s = 5
poll_interval_s = 0
max_backoff_s = 99999
download_dir = downloads
min_free_mb = 12
min_free_mb = 13
sup_path = /nonexistent/sup
[extra]
x = 1
EOF
chmod 600 "$CONF"
run "$SUPD" --config "$CONF"
expect_exit 3 "supd"
assert_stderr "$CONF:4: app_token is not 1-1024 printable ASCII characters without spaces"
assert_stderr "$CONF:6: unknown key 'pol_interval_s' in section [agent]"
assert_stderr "$CONF:7: poll_interval_s: '0' is not a number from 1 to 86400"
assert_stderr "$CONF:8: max_backoff_s: '99999' is not a number from 1 to 86400"
assert_stderr "$CONF:9: download_dir: 'downloads' is not an absolute path"
assert_stderr "$CONF:11: key 'min_free_mb' given twice in [agent] (first on line 10)"
assert_stderr "$CONF:14: unknown key 'x' in section [extra]"
assert_stderr "$CONF: [portal] thing_key is missing"
assert_stderr "$CONF:2: endpoint 'http://127.0.0.1:1' is plain http: use https, or set insecure = true (tests only)"
assert_stderr "$CONF:12: sup_path '/nonexistent/sup' cannot be run: No such file or directory"
assert_stderr_not "$TOKEN"

section "endpoint with credentials, backoff below the poll interval"
cat >"$CONF" <<EOF
[portal]
endpoint = https://user:pw@portal.invalid
app_id = app
app_token = $TOKEN
thing_key = gw1
[agent]
poll_interval_s = 60
max_backoff_s = 30
sup_path = $SUP
root = $R
EOF
run "$SUPD" --config "$CONF"
expect_exit 3 "supd"
assert_stderr "$CONF:2: endpoint must not hold user credentials (no '@')"
assert_stderr "$CONF:8: max_backoff_s 30 is less than poll_interval_s 60"
assert_stderr_not "pw@"

section "missing file, usage"
run "$SUPD" --config "$T/nope.conf"
expect_exit 3 "supd"
assert_stderr "supd: error: cannot read '$T/nope.conf': No such file or directory"
run "$SUPD" --bogus
expect_exit 2 "supd --bogus"
assert_stderr "supd: error: unknown option '--bogus'"
run "$SUPD" extra
expect_exit 2 "supd extra"
run "$SUPD" --version
expect_exit 0 "supd --version"
assert_stdout "supd (supkit) "
run "$SUPD" --help
expect_exit 0 "supd --help"
assert_stdout "usage: supd [--config FILE] [--once]"

section "SUPKIT_NO_BUILTIN_DIRS: no default supd.conf"
# CTest sets the variable for every test (docs/config.md).
run env SUPKIT_NO_BUILTIN_DIRS=1 "$SUPD" --once
expect_exit 3 "supd without --config"
assert_stderr "supd: error: no --config given and SUPKIT_NO_BUILTIN_DIRS is set: the default '$SUP_SYSCONF_DIR/supd.conf' is not read"
run env SUPKIT_NO_BUILTIN_DIRS=yes "$SUPD" --once
expect_exit 3 "supd with a bad value"
assert_stderr "supd: error: environment variable SUPKIT_NO_BUILTIN_DIRS: 'yes' is not 0 or 1"

finish
