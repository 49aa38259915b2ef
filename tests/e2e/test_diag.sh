#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_diag.sh - sup diag: after an install into a temporary root, the
# bundle holds the logs, the configurations with their secrets redacted,
# the loaded plugins, the system information and the trust policy with the
# keyring's anchors (never a private key); links, FIFOs and big files in
# the logs directory are handled; a tree of another user cannot make it
# bundle a file of root's; errors and usage.
. "$(dirname "$0")/lib.sh"

# members BUNDLE: one line per member: name, type (0 = regular file), size.
members() {
	python3 - "$1" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1], "r:gz") as t:
    for m in t.getmembers():
        print("%s %s %d" % (m.name, m.type.decode(), m.size))
EOF
}

# ---- a gateway with one install ------------------------------------
product_root gw <<'EOF'
[product]
name = acme
description = e2e gateway
plugins = file, exec

[plugin.exec]
api_key = PROFKEY456
EOF
L="$R/var/log/supkit"
cat >"$T/supd.conf" <<'EOF'
# the portal
[portal]
endpoint = http://agent:URLPASS789@127.0.0.1:1/
app_id = e2e-app
app_token = SECRET123
thing_key = gw-0042
insecure = true

[agent]
poll_interval_s = 5
EOF
chmod 0600 "$T/supd.conf"

pkg "$T/app.sup" <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "diag-app", "version": "2.0" },
    "actions": [
      { "id": "conf", "type": "file.install",
        "params": { "path": "/etc/app/app.conf" }, "payloads": ["app.conf"] },
      { "id": "hello", "type": "exec.command",
        "params": { "argv": ["/bin/echo", "hello from diag"] } } ] },
  "entries": [ { "name": "app.conf", "data": "listen = 80\n" } ] }
EOF

section "install"
sup install "$T/app.sup" --root "$R" --config "$CONF"
expect_exit 0 "sup install"
assert_file "$C"

# Things a logs directory should not hand over: a link to a file outside
# it, a FIFO (reading it would block), a directory; and a file bigger
# than the 16 MiB cap.
echo "OUTSIDE-SECRET" >"$T/outside.txt"
ln -s "$T/outside.txt" "$L/evil.log"
mkfifo "$L/pipe"
mkdir "$L/old"
python3 - "$L/big.log" <<'EOF'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(17 * 1024 * 1024 // 32):
        f.write(b"line %026d\n" % i)
EOF

# ---- the bundle ----------------------------------------------------
section "bundle"
run timeout 120 "$SUP" diag -o "$T/bundle.tar.gz" --root "$R" \
	--config "$CONF" --plugin-dir "$SUP_PLUGIN_DIR" \
	--supd-config "$T/supd.conf"
expect_exit 0 "sup diag"
assert_stderr "sup: wrote '$T/bundle.tar.gz'"
assert_file "$T/bundle.tar.gz"
assert_mode "$T/bundle.tar.gz" 600
assert_eq "$(ls -A "$T" | grep -c '^\.bundle\.tar\.gz\.')" 0 \
	"temporary files left beside the bundle"
assert_eq "$(od -An -tx1 -N2 "$T/bundle.tar.gz" | tr -d ' ')" "1f8b" \
	"gzip magic"
assert_eq "$(gzip -dc "$T/bundle.tar.gz" | dd bs=1 skip=257 count=6 2>/dev/null | od -An -c | tr -s ' ')" \
	" u s t a r \0" "POSIX tar (ustar/pax) magic"

members "$T/bundle.tar.gz" >"$T/members"
NAMES=$(cut -d' ' -f1 "$T/members" | sort | tr '\n' ' ')
for f in MANIFEST.txt system.json plugins.json config/sup.conf \
	config/products/acme.conf config/supd.conf logs/confirmation.json \
	logs/audit.jsonl logs/big.log; do
	assert_contains "$NAMES" "supkit-diag/$f " "bundle members"
done
assert_eq "$(cut -d' ' -f2 "$T/members" | sort -u)" "0" \
	"every member is a regular file"
assert_eq "$(cut -d' ' -f1 "$T/members" | grep -vc '^supkit-diag/')" 0 \
	"members outside supkit-diag/"
# Every regular file of the logs directory, and nothing else from it
# (audit.jsonl and installer.log when the install wrote them).
WANT_LOGS=$(find "$L" -mindepth 1 -maxdepth 1 -type f -printf 'supkit-diag/logs/%f\n' | sort | tr '\n' ' ')
GOT_LOGS=$(cut -d' ' -f1 "$T/members" | grep '^supkit-diag/logs/' | sort | tr '\n' ' ')
assert_eq "$GOT_LOGS" "$WANT_LOGS" "logs in the bundle"

X="$T/x"
mkdir -p "$X"
tar -xzf "$T/bundle.tar.gz" -C "$X"
D="$X/supkit-diag"

section "logs"
assert_same_file "$D/logs/confirmation.json" "$C"
assert_same_file "$D/logs/audit.jsonl" "$L/audit.jsonl"
tail -n 1 "$D/logs/audit.jsonl" >"$T/audit-last.json"
assert_json "$T/audit-last.json" 'd["msg"]' \
	"package diag-app 2.0 installed: 2 succeeded$(signed_by signer-ec256)"
assert_json_contains "$T/audit-last.json" 'd["msg"]' \
	"; signed by 'CN=supkit test signer EC256' (key sha256 "
assert_json "$T/audit-last.json" '[d["package"], d["version"], d["level"]]' \
	'["diag-app", "2.0", 2]'
assert_eq "$(stat -c %s "$D/logs/big.log")" 16777216 "big.log cut to 16 MiB"
tail -c 16777216 "$L/big.log" >"$T/big.tail"
assert_same_file "$D/logs/big.log" "$T/big.tail"
assert_true "MANIFEST notes the cut" grep -q \
	'logs/big.log .*the last 16777216 bytes of 17825792: the first 1048576 are left out' \
	"$D/MANIFEST.txt"
assert_true "MANIFEST names the link" grep -qF 'logs/evil.log: a symbolic link' \
	"$D/MANIFEST.txt"
assert_true "MANIFEST names the FIFO" grep -qF 'logs/pipe: a FIFO' \
	"$D/MANIFEST.txt"
assert_true "MANIFEST names the directory" grep -qF 'logs/old: a directory' \
	"$D/MANIFEST.txt"
assert_false "the link's target is not in the bundle" \
	grep -rqF OUTSIDE-SECRET "$X"

section "redaction"
for secret in SECRET123 PROFKEY456 URLPASS789; do
	assert_false "$secret appears nowhere in the bundle" \
		grep -rqF "$secret" "$X"
done
assert_true "supd.conf: app_token redacted" \
	grep -qxF 'app_token = <redacted>' "$D/config/supd.conf"
assert_true "supd.conf: thing_key kept" \
	grep -qxF 'thing_key = gw-0042' "$D/config/supd.conf"
assert_true "supd.conf: app_id kept" \
	grep -qxF 'app_id = e2e-app' "$D/config/supd.conf"
assert_true "supd.conf: URL password redacted, host kept" \
	grep -qxF 'endpoint = http://agent:redacted@127.0.0.1:1/' \
	"$D/config/supd.conf"
assert_true "supd.conf: [agent] kept" \
	grep -qxF 'poll_interval_s = 5' "$D/config/supd.conf"
assert_true "profile: api_key redacted" \
	grep -qxF 'api_key = <redacted>' "$D/config/products/acme.conf"
assert_true "profile: plugins kept" \
	grep -qxF 'plugins = file, exec' "$D/config/products/acme.conf"
assert_true "sup.conf: product kept" \
	grep -qxF 'product = acme' "$D/config/sup.conf"
assert_true "MANIFEST: supd.conf mode" grep -qF \
	"supd configuration '$T/supd.conf' (mode 0600" "$D/MANIFEST.txt"

section "plugins.json and system.json"
assert_json_parses "$D/plugins.json"
assert_json "$D/plugins.json" 'sorted(p["name"] for p in d["plugins"])' \
	'["exec", "file"]'
assert_json "$D/plugins.json" \
	'[p["path"] for p in d["plugins"] if p["name"] == "file"][0]' \
	"$SUP_PLUGIN_DIR/file.so"
assert_json "$D/plugins.json" \
	'sorted([p["types"] for p in d["plugins"] if p["name"] == "exec"][0])' \
	'["exec.command", "exec.script"]'
assert_json "$D/plugins.json" \
	'"file.install" in [p["types"] for p in d["plugins"] if p["name"] == "file"][0]' \
	'true'
assert_json "$D/plugins.json" 'all(p["version"] for p in d["plugins"])' 'true'
assert_json "$D/plugins.json" 'd["problems"]' '[]'
assert_json_parses "$D/system.json"
assert_json "$D/system.json" 'd["product"]' acme
assert_json "$D/system.json" 'd["root"]' "$(realpath "$R")"
assert_json "$D/system.json" 'd["supkit_version"]' \
	"$("$SUP" --version | sed 's/.* //')"
assert_json "$D/system.json" 'd["uname"]["sysname"]' "$(uname -s)"
assert_json "$D/system.json" 'type(d["uptime_s"]).__name__' int
assert_json "$D/system.json" \
	'[type(d["disk"][k]["free_bytes"]).__name__ for k in ("root", "logs")]' \
	'["int", "int"]'

section "trust.json: the keyring's anchors"
assert_json_parses "$D/trust.json"
assert_json "$D/trust.json" 'd["anchors"]' "[$(cert_json root-ca)]"
assert_json "$D/trust.json" '(d["keyring"], d["allow_unsigned"], d["problems"])' \
	"[\"$SUP_SYSCONF_DIR/keyring.pem\", false, []]"
assert_json "$D/trust.json" 'd["time_floor"]' \
	"$(jq_py "$R/var/lib/supkit/installed.json" 'd["time_floor"]')"
assert_json "$D/trust.json" '[(p["name"], p["version"], p["security_version"]) for p in d["installed"]]' \
	'[["diag-app", "2.0", 0]]'

section "trust.json: a keyring holding a private key"
# The keyring is refused, and nothing of the key reaches the bundle.
KR=$(keyring_path "$R")
cp "$KR" "$T/keyring.saved"
cat "$(pki signer-ec256.key)" >>"$KR"
run "$SUP" diag -o "$T/keyed.tar.gz" --root "$R" --config "$CONF"
expect_exit 0 "sup diag"
mkdir -p "$T/keyed" && tar -xzf "$T/keyed.tar.gz" -C "$T/keyed"
assert_json "$T/keyed/supkit-diag/trust.json" 'd["anchors"]' "[]"
assert_json "$T/keyed/supkit-diag/trust.json" 'd["problems"]' \
	"[\"keyring '$KR': PEM block 2 is a private key; it must hold CERTIFICATE blocks only (remove the key, and consider it exposed)\"]"
KEY_LINE=$(sed -n 2p "$(pki signer-ec256.key)")
assert_false "no line of the private key in the bundle" \
	grep -rqF -e "$KEY_LINE" -e "PRIVATE KEY" "$T/keyed"
cp "$T/keyring.saved" "$KR"

# ---- a second bundle replaces the first ------------------------------
section "replace, unreadable items"
rm -f "$T/outside.txt" "$L/evil.log" "$L/big.log"
run "$SUP" diag -o "$T/bundle.tar.gz" --root "$R" --config "$CONF" \
	--supd-config "$T/no-such-supd.conf"
expect_exit 0 "sup diag with a missing supd.conf"
rm -rf "$X" && mkdir -p "$X" && tar -xzf "$T/bundle.tar.gz" -C "$X"
assert_missing "$D/logs/big.log"
assert_missing "$D/config/supd.conf"
assert_true "MANIFEST: supd.conf cannot be read" grep -qF \
	"supd configuration '$T/no-such-supd.conf': cannot read: No such file or directory" \
	"$D/MANIFEST.txt"

# The bundle written into the logs directory itself: neither the new one
# nor the one it replaces goes into it.
run "$SUP" diag -o "$L/self.tar.gz" --root "$R" --config "$CONF"
expect_exit 0 "sup diag into the logs directory"
run "$SUP" diag -o "$L/self.tar.gz" --root "$R" --config "$CONF"
expect_exit 0 "sup diag into the logs directory, again"
assert_false "the bundle does not hold itself" \
	grep -q 'self' <(members "$L/self.tar.gz")
rm -f "$L/self.tar.gz"

# ---- a tree of another user ------------------------------------------
section "a tree of another user: links of theirs into directories of root's"
# Attack review: diag read sup.conf and the product profile again by the
# host path the loader showed, and resolved the logs and state directories
# to path strings (following links whatever their owner), then copied what
# it found into the bundle, root's files included. Here the owner of
# /srv, /var/log and /var/lib in the tree (uid 4242) made profiles_dir,
# the logs directory and the state directory links into /private, a
# directory of root's they may not read (say, a package's). The links are
# relative, so that read by name or walked from the root they lead to the
# same files. The old code bundled the profile, secret.log and the
# packages of installed.json from there. Now each is walked from the
# root's descriptor once and refused; the manifest says what, where, why.
# Needs root to make files of another owner.
if [ "$(id -u)" = 0 ]; then
	RA=$(new_root attack)
	mkdir -p "$RA$SUP_SYSCONF_DIR" "$RA/srv" "$RA/var/log" "$RA/var/lib"
	printf '[gateway]\nproduct = acme\n[paths]\nprofiles_dir = /srv/profiles\n' \
		>"$RA$SUP_SYSCONF_DIR/sup.conf"
	mkdir -p -m 0700 "$RA/private"
	mkdir -p "$RA/private/profiles" "$RA/private/logs" "$RA/private/state"
	printf '[product]\nname = acme\ndescription = ROOTONLY-PROFILE\n' \
		>"$RA/private/profiles/acme.conf"
	echo "ROOTONLY-LOG" >"$RA/private/logs/secret.log"
	echo '{"format": 1, "time_floor": 0, "packages": {"rootonly-pkg": {"version": "1.0", "security_version": 0, "installed_at": "2026-01-01T00:00:00Z"}}}' \
		>"$RA/private/state/installed.json"
	ln -s ../private/profiles "$RA/srv/profiles"
	ln -s ../../private/logs "$RA/var/log/supkit"
	ln -s ../../private/state "$RA/var/lib/supkit"
	chown -hR 4242:4242 "$RA/srv" "$RA/var/log" "$RA/var/lib"
	run "$SUP" diag -o "$T/attack.tar.gz" --root "$RA"
	expect_exit 0 "sup diag of their tree"
	XA="$T/xa"
	mkdir -p "$XA" && tar -xzf "$T/attack.tar.gz" -C "$XA"
	DA="$XA/supkit-diag"
	assert_false "nothing of root's files in the bundle" \
		grep -rqiF ROOTONLY "$XA"
	assert_false "nothing of root's installed.json in the bundle" \
		grep -rqF rootonly-pkg "$XA"
	assert_missing "$DA/config/products/acme.conf"
	assert_missing "$DA/logs"
	assert_true "sup.conf, root's own, is bundled" \
		grep -qxF 'profiles_dir = /srv/profiles' "$DA/config/sup.conf"
	LINK="is a symbolic link owned by uid 4242: only links owned by root are followed"
	assert_true "MANIFEST: the profile refused" grep -qF \
		"product profile: cannot read '$RA/srv/profiles/acme.conf': '/srv/profiles' $LINK" \
		"$DA/MANIFEST.txt"
	assert_true "MANIFEST: the logs directory refused" grep -qF \
		"logs directory '/var/log/supkit': '/var/log/supkit' $LINK" \
		"$DA/MANIFEST.txt"
	assert_true "MANIFEST: the state directory refused" grep -qF \
		"state directory '/var/lib/supkit': '/var/lib/supkit' $LINK" \
		"$DA/MANIFEST.txt"
	assert_json "$DA/trust.json" '(d["installed"], d["problems"])' \
		"[[], [\"state directory '$RA/var/lib/supkit': '/var/lib/supkit' $LINK\"]]"
	assert_json "$DA/system.json" '(d["disk"]["logs"]["path"], d["disk"]["state"]["path"])' \
		'[null, null]'

	section "a tree of another user: sup.conf a link of theirs"
	# Their configuration directory, sup.conf in it a link of theirs to a
	# file of root's. The loader refused it since 7db462c; diag then read
	# it by name all the same and bundled it.
	RB=$(new_root attack-conf)
	SC="$RB$SUP_SYSCONF_DIR"
	mkdir -p -m 0700 "$RB/private"
	printf '[gateway]\nproduct = ROOTONLY-CONF\n' >"$RB/private/sup.conf"
	chmod 0600 "$RB/private/sup.conf"
	ln -s "$(realpath -m --relative-to="$SC" "$RB/private/sup.conf")" \
		"$SC/sup.conf"
	chown -h 4242:4242 "$SC" "$SC/sup.conf"
	run "$SUP" diag -o "$T/attack-conf.tar.gz" --root "$RB"
	expect_exit 0 "sup diag of a tree whose sup.conf is their link"
	XB="$T/xb"
	mkdir -p "$XB" && tar -xzf "$T/attack-conf.tar.gz" -C "$XB"
	assert_false "nothing of root's sup.conf in the bundle" \
		grep -rqiF ROOTONLY "$XB"
	assert_missing "$XB/supkit-diag/config/sup.conf"
	assert_true "MANIFEST: sup.conf refused" grep -qF \
		"main configuration: cannot read '$SC/sup.conf': '$SUP_SYSCONF_DIR/sup.conf' $LINK" \
		"$XB/supkit-diag/MANIFEST.txt"
else
	echo "skipped: making files of another owner needs root"
fi

# ---- errors ---------------------------------------------------------
section "errors and usage"
sup diag -o "$T/no/such/dir/b.tar.gz" --root "$R"
expect_exit 6 "output directory missing"
assert_stderr "sup: error: cannot create a file in '$T/no/such/dir'"
assert_missing "$T/no"
sup diag --root "$R"
expect_exit 2 "no -o"
assert_stderr "sup: error: no output file"
sup diag -o "$T/b.tar.gz" extra
expect_exit 2 "extra argument"
sup diag -o "$T/b.tar.gz" --plugin-dir relative/dir
expect_exit 2 "relative --plugin-dir"
sup diag --bogus
expect_exit 2 "unknown option"
sup diag --help
expect_exit 0 "--help"
assert_stdout "usage: sup diag -o FILE.tar.gz"
assert_missing "$T/b.tar.gz"

finish
