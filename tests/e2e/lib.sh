# SPDX-License-Identifier: MIT
# lib.sh - shared helpers of the end-to-end tests (sourced, bash).
#
# Environment (set by CTest, or by hand):
#   SUP             the sup binary
#   SUP_PLUGIN_DIR  the built-in plugins (file.so, exec.so)
#   SUP_FIXTURE_DIR the fixture plugins, one case per subdirectory
#   SUP_EXAMPLE_DIR the SDK example plugin (marker.so)
#   SUP_SOURCE_DIR  the source tree
#   SUP_FAKERUNTIME the stand-in product runtime (tests/fakeruntime), for
#                   the tests of the runtime, firmware and system plugins
#   SUP_TEST_PKI    the test PKI made by tests/pki/mkpki.sh (CTest fixture
#                   "pki"): keys, certificates, CRLs, keyrings
#   SUP_SYSCONF_DIR the configuration directory sup was built with
#                   (SUPKIT_SYSCONF_DIR, e.g. /usr/local/etc/supkit): the
#                   default keyring is <root>$SUP_SYSCONF_DIR/keyring.pem
#
# Packages are signed: lib.sh exports SUP_SIGN_KEY, SUP_SIGN_CERT and
# SUP_SIGN_CHAIN (the default test signer, signer-ec256 under int-ca), so
# mksup.py signs every SUP it builds unless its spec says "sign": false;
# SIGN_ARGS holds the same signer as options of `sup pack` / `sup sign`.
# new_root and product_root install the default keyring (root-ca).
# traced_pkg builds packages whose actions leave a trace outside the root,
# and refused_install asserts a refusal (exit code, one-line reason, root
# unchanged, no action run); cert_subject, cert_key_sha256, cert_json and
# signed_by say with openssl what sup must report of a signer.
#
# Every test gets a private temporary directory $T (removed on exit), an
# assertion counter, and ends with `finish`, which prints "N passed,
# M failed" and exits non-zero if anything failed.

set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MKSUP="$E2E_DIR/mksup.py"

for _v in SUP SUP_PLUGIN_DIR SUP_FIXTURE_DIR SUP_TEST_PKI SUP_SYSCONF_DIR; do
	if [ -z "${!_v:-}" ]; then
		echo "e2e: error: environment variable $_v is not set" >&2
		exit 2
	fi
done
if [ "${SUP_SYSCONF_DIR:0:1}" != / ]; then
	echo "e2e: error: SUP_SYSCONF_DIR must be an absolute path: '$SUP_SYSCONF_DIR'" >&2
	exit 2
fi
for _v in .done keyring.pem signer-ec256.key signer-ec256.pem chain.pem; do
	if [ ! -f "$SUP_TEST_PKI/$_v" ]; then
		echo "e2e: error: the test PKI is missing or incomplete ($SUP_TEST_PKI/$_v): run tests/pki/mkpki.sh $SUP_TEST_PKI (CTest test pki.setup)" >&2
		exit 2
	fi
done
unset _v

# The default signer: mksup.py signs with it (see mksup.py, "sign").
export SUP_SIGN_KEY="$SUP_TEST_PKI/signer-ec256.key"
export SUP_SIGN_CERT="$SUP_TEST_PKI/signer-ec256.pem"
export SUP_SIGN_CHAIN="$SUP_TEST_PKI/chain.pem"
# The same signer as options of `sup pack` and `sup sign`.
# shellcheck disable=SC2034 # read by the tests
SIGN_ARGS=(--key "$SUP_SIGN_KEY" --cert "$SUP_SIGN_CERT" --chain "$SUP_SIGN_CHAIN")
: "${SUP_EXAMPLE_DIR:=}"
: "${SUP_FAKERUNTIME:=}"
: "${SUP_SOURCE_DIR:=$(cd "$E2E_DIR/../.." && pwd)}"

# The real interpreter, once: a version manager's python3 shim can cost
# a tenth of a second per call, and the tests call python3 a lot.
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -z "$PYTHON" ]; then
	echo "e2e: error: python3 is needed" >&2
	exit 2
fi
python3() {
	"$PYTHON" "$@"
}

# Plugins, plugin directories and created files must not be group- or
# world-writable for the loader.
umask 022

T=$(mktemp -d "${TMPDIR:-/tmp}/sup-e2e.XXXXXX") || exit 2
chmod 0755 "$T"
E2E_PIDS=()
E2E_AT_EXIT=()
_e2e_cleanup() {
	local p c
	for c in "${E2E_AT_EXIT[@]}"; do
		eval "$c" >/dev/null 2>&1
	done
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$T"
}

# at_exit CMD [ARGS...]: run the command when the test exits (stop a
# daemon it started), before $T is removed.
at_exit() {
	E2E_AT_EXIT+=("$(printf '%q ' "$@")")
}
trap _e2e_cleanup EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 2

PASSED=0
FAILED=0
E2E_SECTION=""

# section NAME: a heading for the assertions that follow.
section() {
	E2E_SECTION=$1
	echo "== $1"
}

# One line per assertion: newlines in values are shown as \n.
pass() {
	PASSED=$((PASSED + 1))
	echo "ok: ${E2E_SECTION:+$E2E_SECTION: }${1//$'\n'/\\n}"
}

# fail WHAT [EXPECTED ACTUAL]
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL: ${E2E_SECTION:+$E2E_SECTION: }$1"
	if [ $# -ge 3 ]; then
		echo "  expected: $2"
		echo "  actual:   $3"
	fi
}

# finish: the closing line, and the exit status.
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] || exit 1
	exit 0
}

# ---- running sup ------------------------------------------------------

# run CMD...: run a command, stdout to $T/out, stderr to $T/err, exit
# status in $RC, wall time in $ELAPSED_MS (both read by the tests).
run() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	t1=$(date +%s%N)
	# shellcheck disable=SC2034 # read by the tests
	ELAPSED_MS=$(((t1 - t0) / 1000000))
}

# sup ARGS...: run the sup binary under test.
sup() {
	run "$SUP" "$@"
}

# expect_exit CODE WHAT: $RC must be CODE (after run/sup).
expect_exit() {
	if [ "$RC" -eq "$1" ]; then
		pass "$2: exit $1"
	else
		fail "$2: exit status" "$1" "$RC"
		echo "  stderr: $(head -c 2000 "$T/err")"
	fi
}

# assert_stderr SUBSTRING: the last run's stderr contains SUBSTRING.
assert_stderr() {
	if grep -qF -- "$1" "$T/err"; then
		pass "stderr has: $1"
	else
		fail "stderr lacks an expected message" "$1" \
			"$(head -c 2000 "$T/err")"
	fi
}

assert_stderr_not() {
	if grep -qF -- "$1" "$T/err"; then
		fail "stderr has an unexpected message" "no '$1'" \
			"$(grep -F -- "$1" "$T/err" | head -n 3)"
	else
		pass "stderr has no: $1"
	fi
}

assert_stdout() {
	if grep -qF -- "$1" "$T/out"; then
		pass "stdout has: $1"
	else
		fail "stdout lacks an expected text" "$1" \
			"$(head -c 2000 "$T/out")"
	fi
}

# wait_until SECONDS CMD...: run CMD every 20 ms until it succeeds; fails
# if it still fails after SECONDS.
wait_until() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02
	done
}

# wait_unlocked STATE_DIR: wait (5 s at most) until no process holds the
# installer lock in STATE_DIR: after a kill -9 of the installer, its plugin
# call (which shares the lock) dies a moment later.
wait_unlocked() {
	python3 - "$1/lock" <<'EOF'
import fcntl, sys, time
end = time.monotonic() + 5
while True:
    try:
        with open(sys.argv[1], "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        sys.exit(0)
    except FileNotFoundError:
        sys.exit(0)
    except BlockingIOError:
        if time.monotonic() > end:
            sys.exit(1)
        time.sleep(0.01)
EOF
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	local st
	[ -n "$1" ] && st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st:0:1}" != Z ] && [ "${st:0:1}" != X ]
}

# ---- plain assertions -----------------------------------------------

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
	if [ "$1" == "$2" ]; then
		pass "$3 = '$2'"
	else
		fail "$3" "$2" "$1"
	fi
}

assert_ne() {
	if [ "$1" != "$2" ]; then
		pass "$3 (differs from '$2')"
	else
		fail "$3" "anything but '$2'" "$1"
	fi
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
	if [[ "$1" == *"$2"* ]]; then
		pass "$3 contains '$2'"
	else
		fail "$3" "text containing '$2'" "$1"
	fi
}

# assert_true WHAT CMD...: the command succeeds.
assert_true() {
	local what=$1
	shift
	if "$@"; then
		pass "$what"
	else
		fail "$what" "command succeeds: $*" "it failed"
	fi
}

assert_false() {
	local what=$1
	shift
	if "$@"; then
		fail "$what" "command fails: $*" "it succeeded"
	else
		pass "$what"
	fi
}

assert_file() {
	if [ -f "$1" ] && [ ! -L "$1" ]; then
		pass "regular file exists: ${1#"$T"/}"
	else
		fail "regular file ${1#"$T"/}" "a regular file" \
			"$(stat -c %F "$1" 2>&1)"
	fi
}

assert_missing() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		fail "${1#"$T"/} must not exist" "absent" "$(stat -c %F "$1")"
	else
		pass "absent: ${1#"$T"/}"
	fi
}

# assert_content FILE TEXT: FILE holds exactly TEXT (printf %s).
assert_content() {
	local want got
	want=$(printf '%s' "$2" | sha256sum | cut -d' ' -f1)
	if [ -f "$1" ]; then
		got=$(sha256sum <"$1" | cut -d' ' -f1)
	else
		got="(no file)"
	fi
	if [ "$want" == "$got" ]; then
		pass "content of ${1#"$T"/}"
	else
		fail "content of ${1#"$T"/}" "$(printf '%q' "$2")" \
			"$( [ -f "$1" ] && printf '%q' "$(head -c 500 "$1")" || echo "(no file)")"
	fi
}

# assert_same_file A B: byte-identical files.
assert_same_file() {
	if cmp -s "$1" "$2"; then
		pass "${1#"$T"/} is byte-identical to ${2#"$T"/}"
	else
		fail "${1#"$T"/} differs from ${2#"$T"/}" \
			"$(sha256sum <"$2" 2>&1 | cut -c1-16)" \
			"$(sha256sum <"$1" 2>&1 | cut -c1-16)"
	fi
}

# assert_mode PATH OCTAL: permission bits (stat %a).
assert_mode() {
	assert_eq "$(stat -c %a "$1" 2>&1)" "$2" "mode of ${1#"$T"/}"
}

sha256() {
	sha256sum <"$1" | cut -d' ' -f1
}

# ---- snapshots ------------------------------------------------------

# snapshot DIR: every path below DIR (DIR itself as "."), sorted, one per
# line: path, type, mode, size, sha256 (files) and link target (symlinks).
# Two equal snapshots mean the tree is byte-for-byte unchanged.
snapshot() {
	python3 - "$1" <<'EOF'
import hashlib, os, stat, sys
top = sys.argv[1]
rows = []
def describe(path, rel):
    st = os.lstat(path)
    m = st.st_mode
    kind = ("dir" if stat.S_ISDIR(m) else "file" if stat.S_ISREG(m) else
            "symlink" if stat.S_ISLNK(m) else "fifo" if stat.S_ISFIFO(m) else
            "chardev" if stat.S_ISCHR(m) else "blockdev" if stat.S_ISBLK(m)
            else "socket" if stat.S_ISSOCK(m) else "other")
    size = st.st_size if kind == "file" else 0
    digest = "-"
    if kind == "file":
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                h.update(chunk)
        digest = h.hexdigest()
    target = os.readlink(path) if kind == "symlink" else "-"
    rows.append("%s\t%s\t%04o\t%d\t%s\t%s" % (rel, kind, stat.S_IMODE(m),
                                             size, digest, target))
describe(top, ".")
for d, dirs, files in os.walk(top):
    for n in dirs + files:
        p = os.path.join(d, n)
        describe(p, "./" + os.path.relpath(p, top))
for r in sorted(rows):
    print(r)
EOF
}

# take_snapshot DIR NAME: store the snapshot of DIR as $T/NAME.snap.
take_snapshot() {
	snapshot "$1" >"$T/$2.snap"
}

# assert_unchanged DIR NAME [WHAT]: DIR matches snapshot NAME.
assert_unchanged() {
	snapshot "$1" >"$T/$2.after"
	if cmp -s "$T/$2.snap" "$T/$2.after"; then
		pass "${3:-${1#"$T"/}} unchanged (snapshot)"
	else
		fail "${3:-${1#"$T"/}} changed" "no difference" \
			"$(diff "$T/$2.snap" "$T/$2.after" | head -n 20)"
	fi
}

# ---- JSON ----------------------------------------------------------

# jq_py FILE EXPR: evaluate the Python expression EXPR on the JSON in
# FILE (bound to d); strings print raw, None as "null", the rest as JSON.
# Prints "<error: ...>" if the file does not parse or EXPR fails.
jq_py() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
    v = eval(sys.argv[2], {"d": d, "len": len, "all": all, "any": any,
                           "set": set, "sorted": sorted, "list": list})
except Exception as e:
    print("<error: %s: %s>" % (type(e).__name__, e))
    sys.exit(0)
if isinstance(v, str):
    print(v)
elif v is None:
    print("null")
else:
    print(json.dumps(v, sort_keys=True))
EOF
}

# assert_json FILE EXPR EXPECTED: the value of EXPR (see jq_py) is EXPECTED.
assert_json() {
	local got
	got=$(jq_py "$1" "$2")
	if [ "$got" == "$3" ]; then
		pass "${1##*/}: $2 = $3"
	else
		fail "${1##*/}: $2" "$3" "$got"
	fi
}

# assert_json_contains FILE EXPR NEEDLE: the string value contains NEEDLE.
assert_json_contains() {
	local got
	got=$(jq_py "$1" "$2")
	if [[ "$got" == *"$3"* ]]; then
		pass "${1##*/}: $2 contains '$3'"
	else
		fail "${1##*/}: $2" "text containing '$3'" "$got"
	fi
}

# assert_json_parses FILE: FILE is valid JSON text; read as bytes and
# decoded strictly, as JSON text is UTF-8 (RFC 8259).
assert_json_parses() {
	local why
	why=$(python3 -c '
import json, sys
try:
    json.loads(open(sys.argv[1], "rb").read())
except Exception as e:
    print("%s: %s" % (type(e).__name__, e))' "$1" 2>&1)
	if [ -z "$why" ]; then
		pass "${1##*/} parses as JSON"
	else
		fail "${1##*/} does not parse as JSON" "valid JSON" "$why"
	fi
}

# ---- packages ------------------------------------------------------

# mksup [ARGS...]: run the SUP generator (spec on stdin with "-").
mksup() {
	python3 "$MKSUP" "$@"
}

# pkg OUT: build a SUP from the spec on stdin.
pkg() {
	if ! python3 "$MKSUP" - -o "$1"; then
		echo "e2e: error: cannot build '$1'" >&2
		exit 2
	fi
}

# confirmation ROOT: the path of confirmation.json under ROOT.
confirmation() {
	echo "$1/var/log/supkit/confirmation.json"
}

# mktar NAME ENTRIES: $T/NAME.tar, a plain archive (a payload) of the
# mksup.py entries ENTRIES (a JSON list).
mktar() {
	mksup - -o "$T/$1.tar" <<EOF
{ "kind": "tar", "entries": $2 }
EOF
}

# inst NAME: install $T/NAME.sup into the root $R with the built plugins;
# sets $C to the path of its confirmation.
inst() {
	C=$(confirmation "$R")
	sup install "$T/$1.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
}

# pki NAME: the path of NAME in the test PKI (a key, a certificate, a CRL,
# a keyring: see tests/pki/mkpki.sh).
pki() {
	echo "$SUP_TEST_PKI/$1"
}

# cert_subject CERT: the subject of a certificate (a PKI name or a path)
# as sup shows it (RFC 2253: "CN=supkit test signer EC256").
cert_subject() {
	local c=$1
	[[ "$c" == */* ]] || c="$SUP_TEST_PKI/$c.pem"
	openssl x509 -in "$c" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'
}

# cert_key_sha256 CERT: the SHA-256 of the certificate's DER
# SubjectPublicKeyInfo, computed by openssl (sup's "key sha256").
cert_key_sha256() {
	local c=$1
	[[ "$c" == */* ]] || c="$SUP_TEST_PKI/$c.pem"
	openssl x509 -in "$c" -pubkey -noout |
		openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

# cert_json CERT: the signer object sup records for CERT (subject, issuer,
# serial, key, key_sha256, cert_sha256, not_before, not_after), computed
# with the openssl command, as JSON with sorted keys (as jq_py prints).
cert_json() {
	local c=$1
	[[ "$c" == */* ]] || c="$SUP_TEST_PKI/$c.pem"
	python3 - "$c" "$(cert_key_sha256 "$c")" <<'EOF'
import hashlib, json, re, subprocess, sys
cert, key_sha = sys.argv[1:3]
def ossl(*args, data=None):
    return subprocess.run(("openssl",) + args, input=data, check=True,
                          stdout=subprocess.PIPE).stdout
def field(opt):
    out = ossl("x509", "-in", cert, "-noout", opt, "-nameopt", "RFC2253",
               "-dateopt", "iso_8601").decode().strip()
    return out.split("=", 1)[1]
text = ossl("x509", "-in", cert, "-noout", "-text").decode()
bits = re.search(r"Public-Key: \((\d+) bit\)", text).group(1)
curve = re.search(r"NIST CURVE: (P-\d+)", text)
key = ("ECDSA %s" % curve.group(1)) if curve else "RSA %s" % bits
der = ossl("x509", "-in", cert, "-outform", "DER")
iso = lambda s: s.replace(" ", "T")
print(json.dumps({
    "subject": field("-subject"), "issuer": field("-issuer"),
    "serial": field("-serial"), "key": key, "key_sha256": key_sha,
    "cert_sha256": hashlib.sha256(der).hexdigest(),
    "not_before": iso(field("-startdate")),
    "not_after": iso(field("-enddate"))}, sort_keys=True))
EOF
}

# signed_by CERT: the end of an audit summary of a package signed by CERT:
# "; signed by 'SUBJECT' (key sha256 HEX)".
signed_by() {
	echo "; signed by '$(cert_subject "$1")' (key sha256 $(cert_key_sha256 "$1"))"
}

# keyring_path ROOT: where the installer looks for its keyring under ROOT.
keyring_path() {
	echo "$1$SUP_SYSCONF_DIR/keyring.pem"
}

# install_keyring ROOT [FILE]: install FILE (a name in the test PKI, or a
# path if it holds a /; default keyring.pem) as the keyring of ROOT, at
# the default location, mode 0644.
install_keyring() {
	local src=${2:-keyring.pem} dst
	[[ "$src" == */* ]] || src="$SUP_TEST_PKI/$src"
	dst=$(keyring_path "$1")
	if ! { mkdir -p "${dst%/*}" && cp "$src" "$dst.tmp" &&
		chmod 0644 "$dst.tmp" && mv -f "$dst.tmp" "$dst"; }; then
		echo "e2e: error: cannot install the keyring '$src' into '$1'" >&2
		return 1
	fi
}

# new_root NAME: a fresh root directory $T/NAME, empty but for the default
# keyring (root-ca) at <root>$SUP_SYSCONF_DIR/keyring.pem. (It runs in
# $(...): it prints the root even if the keyring could not be installed,
# so that R is never empty; the message is on stderr.)
new_root() {
	rm -rf "${T:?}/$1"
	mkdir -p "$T/$1"
	install_keyring "$T/$1"
	echo "$T/$1"
}

# product_root NAME: a fresh root $T/NAME (with the default keyring, as
# new_root) for a gateway of product type "acme": the product profile from
# stdin as
# <root>/etc/supkit/products/acme.conf, and the main configuration
# $T/NAME.conf (for --config: product acme, that profiles_dir, the built-in
# plugins). Sets R (the root), CONF (the main configuration) and C (its
# confirmation.json).
product_root() {
	R=$(new_root "$1")
	CONF="$T/$1.conf"
	# shellcheck disable=SC2034 # read by the tests
	C=$(confirmation "$R")
	mkdir -p "$R/etc/supkit/products"
	cat >"$R/etc/supkit/products/acme.conf"
	cat >"$CONF" <<EOF
[gateway]
product = acme

[paths]
profiles_dir = /etc/supkit/products
plugin_dirs = $SUP_PLUGIN_DIR
EOF
}

# ---- signed packages and refusals -----------------------------------

# traced_pkg STEM [KEY=VALUE...]: $T/STEM.sup, a package whose actions leave
# traces: file.install of /opt/t/STEM.txt (content "STEM\n") and, last,
# exec.command touching $T/marks/STEM (outside every root: see
# assert_no_action). Signed by the default signer unless told otherwise:
#   name=N       package.name (default "app")
#   version=V    package.version (default "1.0")
#   sv=N         package.security_version (an integer)
#   signer=NAME  sign with NAME.key / NAME.pem of the test PKI, embedding
#                chain.pem when NAME is a leaf under int-ca; "none": unsigned
#   chain=none   embed no chain
#   pss=1        RSA-PSS padding
#   md=DIGEST    the digest (default sha256)
#   sign=JSON    the mksup "sign" value as given (overrides the four above)
#   keyring=FILE one more action (before the trace) installs the PKI file
#                FILE as the gateway's keyring (file.install of
#                $SUP_SYSCONF_DIR/keyring.pem, mode 0644)
#   z=gz|xz|zst  compression
#   at=TIME      sign with the clock at TIME (faketime must be installed)
traced_pkg() {
	local stem=$1 a at=""
	shift
	for a in "$@"; do
		[ "${a#at=}" = "$a" ] || at=${a#at=}
	done
	mkdir -p "$T/marks"
	if ! python3 - "$stem" "$T" "$SUP_TEST_PKI" "$SUP_SYSCONF_DIR" "$@" <<'EOF' |
import json, sys
stem, t, pki, sysconf = sys.argv[1:5]
opts = {}
for a in sys.argv[5:]:
    k, _, v = a.partition("=")
    opts[k] = v
opts.pop("at", None)
UNDER_INT = {"expired", "notyet", "revoked", "server", "noeku", "weak-rsa1024"}
pkg = {"name": opts.get("name", "app"), "version": opts.get("version", "1.0")}
if "sv" in opts:
    pkg["security_version"] = int(opts["sv"])
actions = [{"id": "file", "type": "file.install",
            "params": {"path": "/opt/t/%s.txt" % stem},
            "payloads": ["%s.txt" % stem]}]
entries = [{"name": "%s.txt" % stem, "data": stem + "\n"}]
if "keyring" in opts:
    actions.append({"id": "keyring", "type": "file.install",
                    "params": {"path": sysconf + "/keyring.pem",
                               "mode": "0644"},
                    "payloads": ["keyring.pem"]})
    entries.append({"name": "keyring.pem",
                    "file": "%s/%s" % (pki, opts["keyring"])})
actions.append({"id": "trace", "type": "exec.command",
                "params": {"argv": ["/usr/bin/touch",
                                    "%s/marks/%s" % (t, stem)]}})
spec = {"manifest": {"sup_format": 1, "package": pkg, "actions": actions},
        "entries": entries}
signer = opts.get("signer")
if "sign" in opts:
    spec["sign"] = json.loads(opts["sign"])
elif signer == "none":
    spec["sign"] = False
elif signer or "pss" in opts or "chain" in opts or "md" in opts:
    s = {}
    if signer:
        s = {"key": "%s/%s.key" % (pki, signer),
             "cert": "%s/%s.pem" % (pki, signer),
             "chain": ("%s/chain.pem" % pki
                       if signer.startswith("signer-") or signer in UNDER_INT
                       else None)}
    if opts.get("chain") == "none":
        s["chain"] = None
    if opts.get("pss") == "1":
        s["pss"] = True
    if "md" in opts:
        s["md"] = opts["md"]
    spec["sign"] = s
if "z" in opts:
    spec["compression"] = opts["z"]
print(json.dumps(spec))
EOF
		${at:+faketime "$at"} "$PYTHON" "$MKSUP" - -o "$T/$stem.sup"; then
		echo "e2e: error: cannot build '$T/$stem.sup'" >&2
		exit 2
	fi
}

# sup_member SUP NAME: the bytes of archive member NAME of SUP on stdout.
sup_member() {
	python3 -c 'import sys, tarfile; sys.stdout.buffer.write(tarfile.open(sys.argv[1]).extractfile(sys.argv[2]).read())' "$1" "$2"
}

# sup_members SUP: one line per member: name and the sha256 of its data.
sup_members() {
	python3 - "$1" <<'EOF'
import hashlib, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        print(m.name, hashlib.sha256(t.extractfile(m).read()).hexdigest())
EOF
}

# tamper_manifest IN OUT: OUT is IN (an uncompressed SUP) with one byte of
# manifest.json changed after signing: the first character of
# package.version, by its lowest bit ("1.0" becomes "0.0", "2.0" "3.0").
# The tar stays well-formed (header checksums cover headers only).
tamper_manifest() {
	if ! python3 - "$1" "$2" <<'EOF'; then
import sys, tarfile
raw = bytearray(open(sys.argv[1], "rb").read())
with tarfile.open(sys.argv[1]) as t:
    m = t.getmember("manifest.json")
key = b'"version":"'
i = raw.index(key, m.offset_data, m.offset_data + m.size) + len(key)
raw[i] ^= 1
open(sys.argv[2], "wb").write(raw)
EOF
		echo "e2e: error: cannot tamper with '$1'" >&2
		exit 2
	fi
}

# assert_no_action STEM: no action of traced package STEM ran (its trace
# file outside the roots is absent).
assert_no_action() {
	if [ -e "$T/marks/$1" ]; then
		fail "an action of $1 ran" "no marks/$1" "it exists"
	else
		pass "no action of $1 ran"
	fi
}

# assert_installed STEM ROOT: traced package STEM ran whole in ROOT.
assert_installed() {
	assert_content "$2/opt/t/$1.txt" "$1"$'\n'
	assert_file "$T/marks/$1"
}

# refused_install CODE REASON SUP [ARGS...]: `sup install SUP --root $R
# --plugin-dir $SUP_PLUGIN_DIR ARGS...` exits CODE, and stderr is exactly
# two lines: the one problem, which contains REASON, and "... was not
# installed: 1 problem found; nothing was changed"; $R is byte-for-byte
# unchanged and no action ran (SUP built by traced_pkg, or no trace; the
# trace of an earlier install is removed first).
refused_install() {
	local code=$1 reason=$2 file=$3 stem
	shift 3
	stem=${file##*/}
	stem=${stem%.sup}
	rm -f "$T/marks/$stem"
	take_snapshot "$R" refused
	sup install "$file" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" "$@"
	expect_exit "$code" "install ${file#"$T"/}"
	assert_stderr "$reason"
	assert_eq "$(head -n 1 "$T/err" | grep -cF -- "$reason")|$(sed -n 2p "$T/err")|$(wc -l <"$T/err")" \
		"1|sup: error: '$file' was not installed: 1 problem found; nothing was changed|2" \
		"stderr: the reason, the summary, nothing else"
	assert_unchanged "$R" refused "root"
	assert_no_action "$stem"
}

# ---- watching a run --------------------------------------------------

# watch_start CONFIRMATION NAME [watch.py options]: watch.py reads the
# record every 2 ms in the background (and kills the installer at the
# point its options say) until watch_stop NAME; the report is
# $T/NAME.watch.json. Returns once the watcher has read once.
watch_start() {
	local file=$1 name=$2
	shift 2
	rm -f "$T/$name.watch.stop" "$T/$name.watch.json" \
		"$T/$name.watch.json.ready"
	python3 "$E2E_DIR/watch.py" "$file" "$T/$name.watch.stop" \
		"$T/$name.watch.json" "$@" &
	WATCH_PID=$!
	E2E_PIDS+=("$WATCH_PID")
	wait_until 10 test -e "$T/$name.watch.json.ready" ||
		echo "e2e: warning: the watcher '$name' did not start in 10 s" >&2
}

# watch_stop NAME: stop the watcher; then assert on $T/NAME.watch.json.
watch_stop() {
	touch "$T/$1.watch.stop"
	wait "$WATCH_PID"
}
