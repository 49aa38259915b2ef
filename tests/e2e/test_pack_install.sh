#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_pack_install.sh - sup pack (signed), sup inspect and sup install of a good
# package, end to end: the packed archive, the installed tree, the
# confirmation record, --json, --dry-run and compressed packages.
. "$(dirname "$0")/lib.sh"

unset SOURCE_DATE_EPOCH

# ---- inputs --------------------------------------------------------
mkdir -p payloads
head -c 200000 /dev/urandom >payloads/app.bin
printf 'listen = 8080\nlog = info\n' >payloads/app.conf
cat >payloads/setup.sh <<'EOF'
#!/bin/sh
set -e
echo "setup ran with $1" >"$SUP_ROOT/opt/app/setup.out"
echo "setup output"
EOF
mksup - -o payloads/share.tar.gz -z gz <<'EOF'
{ "kind": "tar", "entries": [
  { "name": "doc", "type": "dir" },
  { "name": "doc/README", "data": "readme\n" },
  { "name": "doc/latest", "type": "symlink", "target": "README" },
  { "name": "bin", "type": "dir" },
  { "name": "bin/tool", "data": "#!/bin/sh\necho tool\n", "mode": 493 }
] }
EOF
cat >manifest.json <<'EOF'
{
  "sup_format": 1,
  "package": { "name": "e2e-app", "version": "1.2.3",
               "description": "end-to-end sample" },
  "compatibility": { "products": ["*"], "min_installer": "1.0" },
  "actions": [
    { "id": "app-dir", "type": "file.mkdir",
      "params": { "path": "/opt/app", "mode": "0750" } },
    { "id": "app-bin", "type": "file.install",
      "params": { "path": "/opt/app/bin/app", "mode": "0755" },
      "payloads": ["app.bin"] },
    { "id": "app-conf", "type": "file.install",
      "params": { "path": "/etc/app/app.conf", "mode": "0640" },
      "payloads": ["app.conf"] },
    { "id": "app-link", "type": "file.symlink",
      "params": { "path": "/opt/app/current", "target": "bin/app" } },
    { "id": "share", "type": "file.extract",
      "params": { "path": "/opt/app/share" },
      "payloads": ["share.tar.gz"] },
    { "id": "setup", "type": "exec.script",
      "params": { "args": ["v1"] }, "payloads": ["setup.sh"] },
    { "id": "hello", "type": "exec.command",
      "params": { "argv": ["/bin/echo", "installed"] } }
  ]
}
EOF
PAYLOADS=(app.bin app.conf share.tar.gz setup.sh)
IDS='["app-dir", "app-bin", "app-conf", "app-link", "share", "setup", "hello"]'

# tarlist SUP: one line per member: name, type, mtime (python tarfile).
tarlist() {
	python3 - "$1" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        print("%s %s %d" % (m.name, m.type.decode(), m.mtime))
EOF
}

# ---- pack ----------------------------------------------------------
section "pack"
sup pack -m manifest.json -C payloads -o app.sup "${SIGN_ARGS[@]}"
expect_exit 0 "sup pack (signed)"
assert_stderr "sup: wrote 'app.sup'"
assert_eq "$(tarlist app.sup | cut -d' ' -f1 | tr '\n' ' ')" \
	"manifest.json manifest.sig app.bin app.conf share.tar.gz setup.sh " \
	"archive entries (manifest, signature, payloads in first-use order)"
assert_eq "$(tarlist app.sup | cut -d' ' -f2 | sort -u)" "0" \
	"every entry is a regular file"
assert_eq "$(tarlist app.sup | cut -d' ' -f3 | sort -u)" "0" \
	"mtime without SOURCE_DATE_EPOCH"
assert_eq "$(dd if=app.sup bs=1 skip=257 count=6 2>/dev/null | od -An -c | tr -s ' ')" \
	" u s t a r \0" "POSIX tar (ustar/pax) magic"
sup_member app.sup manifest.json >packed-manifest.json
assert_json packed-manifest.json 'sorted(d["payloads"])' \
	'["app.bin", "app.conf", "setup.sh", "share.tar.gz"]'
for p in "${PAYLOADS[@]}"; do
	assert_json packed-manifest.json "d[\"payloads\"][\"$p\"][\"size\"]" \
		"$(stat -c %s "payloads/$p")"
	assert_json packed-manifest.json "d[\"payloads\"][\"$p\"][\"sha256\"]" \
		"$(sha256 "payloads/$p")"
done
assert_json packed-manifest.json 'd["package"]["description"]' \
	"end-to-end sample"
# The signature is a detached CMS over exactly the packed manifest.
sup_member app.sup manifest.sig >packed.sig
assert_true "manifest.sig verifies over manifest.json (openssl cms)" \
	openssl cms -verify -binary -inform DER -in packed.sig \
	-content packed-manifest.json -CAfile "$(pki keyring.pem)" \
	-purpose any -out /dev/null

section "pack: byte-identical output"
# Unsigned, the output is a function of the inputs.
sup pack -m manifest.json -C payloads -o unsigned.sup
expect_exit 0 "sup pack (unsigned)"
assert_eq "$(tarlist unsigned.sup | cut -d' ' -f1 | tr '\n' ' ')" \
	"manifest.json app.bin app.conf share.tar.gz setup.sh " \
	"archive entries of the unsigned package"
sup_member unsigned.sup manifest.json >unsigned-manifest.json
assert_same_file unsigned-manifest.json packed-manifest.json
sup pack -m manifest.json -C payloads -o unsigned2.sup
expect_exit 0 "second sup pack (unsigned)"
assert_same_file unsigned2.sup unsigned.sup

# Signed with RSA PKCS#1 v1.5 (deterministic) and a fixed signing time,
# too. (ECDSA and PSS signatures are randomised: not compared.)
RSA_ARGS=(--key "$(pki signer-rsa.key)" --cert "$(pki signer-rsa.pem)"
	--chain "$(pki chain.pem)")
SOURCE_DATE_EPOCH=1700000000 run "$SUP" pack -m manifest.json -C payloads \
	-o rsa1.sup "${RSA_ARGS[@]}"
expect_exit 0 "sup pack (RSA, SOURCE_DATE_EPOCH)"
SOURCE_DATE_EPOCH=1700000000 run "$SUP" pack -m manifest.json -C payloads \
	-o rsa2.sup "${RSA_ARGS[@]}"
expect_exit 0 "second sup pack (RSA, SOURCE_DATE_EPOCH)"
assert_same_file rsa2.sup rsa1.sup
sup verify rsa1.sup --keyring "$(pki keyring.pem)"
expect_exit 0 "sup verify of the RSA-signed package"
assert_stdout "signed by '$(cert_subject signer-rsa)'"

SOURCE_DATE_EPOCH=1700000000 run "$SUP" pack -m manifest.json -C payloads \
	-o app-epoch.sup
expect_exit 0 "sup pack with SOURCE_DATE_EPOCH"
assert_eq "$(tarlist app-epoch.sup | cut -d' ' -f3 | sort -u)" "1700000000" \
	"every mtime is SOURCE_DATE_EPOCH"
assert_false "SOURCE_DATE_EPOCH changes the bytes" cmp -s unsigned.sup app-epoch.sup
SUP_SHA=$(sha256 app.sup)

# ---- inspect -------------------------------------------------------
section "inspect"
sup inspect app.sup --keyring "$(pki keyring.pem)"
expect_exit 0 "sup inspect"
assert_stdout "package:      e2e-app 1.2.3"
assert_stdout "sha256:       $SUP_SHA"
assert_stdout "signature:    verified"
assert_stdout "  signer:     $(cert_subject signer-ec256)"
assert_stdout "verification: ok"
assert_stdout "actions:      7"
for p in "${PAYLOADS[@]}"; do
	assert_stdout "$(printf '  %-24s %12s  %s' "$p" \
		"$(stat -c %s "payloads/$p")" "$(sha256 "payloads/$p")")"
done
sup inspect app.sup --json --keyring "$(pki keyring.pem)"
expect_exit 0 "sup inspect --json"
cp "$T/out" inspect.json
assert_json inspect.json 'd["verified"]' "true"
assert_json inspect.json 'd["sha256"]' "$SUP_SHA"
assert_json inspect.json 'd["size"]' "$(stat -c %s app.sup)"
assert_json inspect.json 'd["problems"]' "[]"
assert_json inspect.json '(d["signature"]["present"], d["signature"]["status"], d["signature"]["reason"])' \
	'[true, "verified", null]'
assert_json inspect.json 'd["signature"]["keyring"]' "$(pki keyring.pem)"
assert_json inspect.json 'd["signature"]["signer"]["subject"]' \
	"$(cert_subject signer-ec256)"
assert_json inspect.json 'd["signature"]["signer"]["key_sha256"]' \
	"$(cert_key_sha256 signer-ec256)"
assert_json inspect.json 'd["manifest"]["package"]["version"]' "1.2.3"
assert_json inspect.json '[a["id"] for a in d["manifest"]["actions"]]' "$IDS"
assert_json inspect.json 'd["manifest"]["payloads"]["app.bin"]["sha256"]' \
	"$(sha256 payloads/app.bin)"
sup inspect unsigned.sup --json --keyring "$(pki keyring.pem)"
expect_exit 3 "sup inspect --json of the unsigned package"
cp "$T/out" inspect-unsigned.json
assert_json inspect-unsigned.json '(d["verified"], d["signature"]["present"], d["signature"]["status"], d["signature"]["signer"])' \
	'[false, false, "unsigned", null]'
assert_json inspect-unsigned.json 'd["manifest"]["package"]["version"]' "1.2.3"

# ---- install -------------------------------------------------------
section "install"
R=$(new_root root)
sup install "$T/app.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "sup install"
assert_stderr "installed 'e2e-app' 1.2.3"
assert_mode "$R/opt/app" 750
assert_mode "$R/opt/app/bin" 755
assert_same_file "$R/opt/app/bin/app" payloads/app.bin
assert_mode "$R/opt/app/bin/app" 755
assert_same_file "$R/etc/app/app.conf" payloads/app.conf
assert_mode "$R/etc/app/app.conf" 640
assert_mode "$R/etc/app" 755
assert_eq "$(readlink "$R/opt/app/current")" "bin/app" "symlink target"
assert_content "$R/opt/app/share/doc/README" $'readme\n'
assert_eq "$(readlink "$R/opt/app/share/doc/latest")" "README" \
	"extracted symlink target"
assert_content "$R/opt/app/share/bin/tool" $'#!/bin/sh\necho tool\n'
assert_mode "$R/opt/app/share/bin/tool" 755
assert_content "$R/opt/app/setup.out" $'setup ran with v1\n'
assert_eq "$(find "$R/opt" "$R/etc" -name '.*' | wc -l)" "0" \
	"no temporary files left in the installed tree"
if [ -d "$R/var/lib/supkit/staging" ]; then
	assert_eq "$(find "$R/var/lib/supkit/staging" -mindepth 1 | wc -l)" "0" \
		"no staging leftovers"
fi

section "confirmation.json"
C=$(confirmation "$R")
assert_file "$C"
assert_json_parses "$C"
assert_json "$C" 'd["confirmation_format"]' "1"
assert_json "$C" 'd["installer"]' '{"name": "supkit", "version": "1.0.0"}'
assert_json "$C" 'd["package"]["name"]' "e2e-app"
assert_json "$C" 'd["package"]["version"]' "1.2.3"
assert_json "$C" 'd["package"]["sha256"]' "$SUP_SHA"
assert_json "$C" 'd["package"]["file"]' "$T/app.sup"
assert_json "$C" '(d["package"]["signature"]["status"], d["package"]["signature"]["signer"]["subject"])' \
	"[\"verified\", \"$(cert_subject signer-ec256)\"]"
assert_json "$C" 'd["product"]' "null"
assert_json "$C" 'd["root"]' "$(realpath "$R")"
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" 'd["error"]' "null"
assert_json "$C" 'd["finished"] is not None and d["started"] <= d["finished"]' \
	"true"
assert_json "$C" 'd["summary"]' \
	'{"failed": 0, "pending": 0, "skipped": 0, "succeeded": 7, "total": 7}'
assert_json "$C" '[a["id"] for a in d["actions"]]' "$IDS"
assert_json "$C" '[a["status"] for a in d["actions"]]' \
	'["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]'
assert_json "$C" '[a["plugin"] for a in d["actions"]]' \
	'["file", "file", "file", "file", "file", "exec", "exec"]'
assert_json "$C" 'sorted(set(a["plugin_version"] for a in d["actions"]))' \
	'["1.0.0"]'
assert_json "$C" 'all(a["error"] is None and a["started"] and a["finished"] and isinstance(a["duration_ms"], int) and a["on_error"] == "abort" for a in d["actions"])' \
	"true"
assert_json "$C" 'd["actions"][6]["output"]' "installed"
assert_json_contains "$C" 'd["actions"][5]["output"]' "setup output"
assert_json "$C" '"problems" in d' "false"
# Every documented field is present (more may follow in later versions).
assert_json "$C" 'sorted({"actions", "confirmation_format", "error", "finished", "installer", "package", "product", "result", "root", "started", "summary"} - set(d))' \
	"[]"
assert_json "$C" 'sorted({"file", "name", "security_version", "sha256", "signature", "version"} - set(d["package"]))' \
	"[]"
assert_json "$C" 'sorted(set().union(*[{"duration_ms", "error", "finished", "id", "on_error", "output", "plugin", "plugin_version", "rollback", "started", "status", "type"} - set(a) for a in d["actions"]]))' \
	"[]"
assert_json "$C" 'all(__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t) is not None for t in [d["started"], d["finished"]] + [a[k] for a in d["actions"] for k in ("started", "finished")])' \
	"true"
assert_json "$C" '[a["output"] for a in d["actions"][:5]]' '[null, null, null, null, null]'
assert_mode "$C" 644

section "install --json"
R2=$(new_root root-json)
sup install "$T/app.sup" --root "$R2" --plugin-dir "$SUP_PLUGIN_DIR" --json
expect_exit 0 "sup install --json"
cp "$T/out" stdout.json
assert_json_parses stdout.json
assert_true "--json stdout equals confirmation.json" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if a == b else 1)' stdout.json "$(confirmation "$R2")"
assert_json stdout.json 'd["result"]' "succeeded"

section "install --dry-run"
R3=$(new_root root-dry)
mkdir -p "$R3/etc/app"
echo keep >"$R3/etc/app/app.conf"
take_snapshot "$R3" dry
sup install "$T/app.sup" --root "$R3" --plugin-dir "$SUP_PLUGIN_DIR" --dry-run
expect_exit 0 "sup install --dry-run"
assert_stderr "preflight passed for 'e2e-app' 1.2.3: 7 actions would run"
assert_unchanged "$R3" dry "dry-run root"
sup install "$T/app.sup" --root "$R3" --plugin-dir "$SUP_PLUGIN_DIR" --dry-run \
	--json
expect_exit 0 "sup install --dry-run --json"
cp "$T/out" dry.json
assert_json dry.json 'd["result"]' "dry-run"
assert_json dry.json 'sorted(set(a["status"] for a in d["actions"]))' '["pending"]'
assert_json dry.json 'd["package"]["sha256"]' "$SUP_SHA"
assert_unchanged "$R3" dry "dry-run --json root"

# ---- compressed packages -------------------------------------------
# snap_tree ROOT: the snapshot without the installer's own records
# (confirmation timestamps, lock and state).
snap_tree() {
	snapshot "$1" | grep -v -e '^\./var/log/supkit' -e '^\./var/lib/supkit'
}
snap_tree "$R" >plain.tree
gzip -9 -n -c app.sup >app.sup.gz
xz -c app.sup >app.sup.xz
zstd -q -c app.sup >app.sup.zst
for z in gz xz zst; do
	section "compressed ($z)"
	sup inspect "app.sup.$z"
	expect_exit 0 "sup inspect app.sup.$z"
	assert_stdout "verification: ok"
	Rz=$(new_root "root-$z")
	sup install "$T/app.sup.$z" --root "$Rz" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 0 "sup install app.sup.$z"
	Cz=$(confirmation "$Rz")
	assert_json "$Cz" 'd["result"]' "succeeded"
	assert_json "$Cz" 'd["package"]["sha256"]' "$(sha256 "app.sup.$z")"
	snap_tree "$Rz" >"$z.tree"
	if cmp -s plain.tree "$z.tree"; then
		pass "the tree installed from app.sup.$z equals the plain one"
	else
		fail "the tree installed from app.sup.$z differs" "no difference" \
			"$(diff plain.tree "$z.tree" | head -n 10)"
	fi
done

finish
