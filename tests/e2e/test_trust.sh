#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_trust.sh - signed packages on the gateway (issue 7): sup install
# accepts a package only with a valid signature from an anchor of the
# keyring, whatever the key type (ECDSA P-256 / P-384, RSA PKCS#1 v1.5 and
# PSS) and anchor (root CA, intermediate, self-signed signer); refuses
# unsigned packages (unless [trust] allow_unsigned), tampered manifests,
# foreign, expired, not yet valid, revoked, weak and misused signers, and
# a missing or unsafe keyring; keys rotate through the keyring; the signer
# is recorded. Every refusal: the documented exit code, one line saying
# why, the root byte for byte unchanged and no action run.
# (sup verify / sign / inspect: test_trust_tools.sh; anti-rollback and
# the clock: test_rollback.sh; strict JSON: test_strict_json.sh.)
. "$(dirname "$0")/lib.sh"

# gw_root NAME [KEYRING]: a new gateway root $R (a keyring of the test PKI,
# default keyring.pem: root-ca) with a little content of its own.
gw_root() {
	R=$(new_root "$1")
	[ -z "${2:-}" ] || install_keyring "$R" "$2" || exit 2
	mkdir -p "$R/etc/app"
	echo "keep" >"$R/etc/app/app.conf"
}

# trust_conf ROOT [LINE...]: ROOT's sup.conf (the default one, under the
# root) with these lines in [trust]; no LINE: no sup.conf.
trust_conf() {
	local f="$1$SUP_SYSCONF_DIR/sup.conf"
	shift
	rm -f "$f"
	[ $# -eq 0 ] || printf '[trust]\n%s\n' "$@" >"$f"
}

# installs STEM SIGNER [ARGS...]: sup install $T/STEM.sup into $R succeeds,
# names its signer (a PKI name) and key, and both actions ran (the trace
# of an earlier install of STEM is removed first).
installs() {
	local stem=$1 signer=$2
	shift 2
	rm -f "$T/marks/$stem"
	sup install "$T/$stem.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" "$@"
	expect_exit 0 "install $stem.sup"
	assert_stderr "sup: signature verified: signed by '$(cert_subject "$signer")' (key sha256 $(cert_key_sha256 "$signer"))"
	assert_installed "$stem" "$R"
}

# sig_algorithm SUP: the signature algorithm of the signer (openssl cms).
sig_algorithm() {
	sup_member "$1" manifest.sig |
		openssl cms -cmsout -print -inform DER |
		sed -n '/signatureAlgorithm:/{n;s/^ *algorithm: \([^ ]*\).*/\1/p;q}'
}

KEYRING_REL="$SUP_SYSCONF_DIR/keyring.pem"

# ---- accepted signatures ----------------------------------------------
section "ECDSA P-256 signer under the intermediate, keyring = root CA"
gw_root gw
traced_pkg ec256
assert_eq "$(sig_algorithm "$T/ec256.sup")" "ecdsa-with-SHA256" "signature algorithm"
installs ec256 signer-ec256
assert_stderr "sup: installed 'app' 1.0"

section "the signer recorded"
C=$(confirmation "$R")
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" '(d["package"]["signature"]["status"], d["package"]["signature"]["reason"])' \
	'["verified", null]'
assert_json "$C" 'd["package"]["signature"]["signer"]' "$(cert_json signer-ec256)"
assert_json "$C" 'd["package"]["signature"]["signer"]["key_sha256"]' \
	"$(cert_key_sha256 signer-ec256)"
SIGNED_AT=$(jq_py "$C" 'd["package"]["signature"]["signing_time"]')
AGE=$(($(date +%s) - $(date -u -d "$SIGNED_AT" +%s)))
assert_true "signing_time $SIGNED_AT is of the last two minutes (${AGE} s ago)" \
	test "$AGE" -ge 0 -a "$AGE" -lt 120
assert_json "$C" 'd["package"]["signature"]["checked_at"] >= d["package"]["signature"]["signing_time"]' "true"
tail -n 1 "$R/var/log/supkit/audit.jsonl" >"$T/audit-last.json"
assert_json "$T/audit-last.json" 'd["msg"]' \
	"package app 1.0 installed: 2 succeeded$(signed_by signer-ec256)"
assert_json_contains "$T/audit-last.json" 'd["msg"]' "'CN=supkit test signer EC256'"
# The install moved the time floor up to the signing time.
assert_json "$R/var/lib/supkit/installed.json" 'd["time_floor"]' \
	"$(date -u -d "$SIGNED_AT" +%s)"

section "other keys and digests"
for case in "ec384 signer-ec384 sha256 ecdsa-with-SHA256" \
	"ec384-sha384 signer-ec384 sha384 ecdsa-with-SHA384" \
	"sha512 signer-ec256 sha512 ecdsa-with-SHA512" \
	"rsa signer-rsa sha256 rsaEncryption" \
	"rsa3072 signer-rsa3072 sha384 rsaEncryption" \
	"pss signer-rsa sha256 rsassaPss"; do
	# shellcheck disable=SC2086 # four words
	set -- $case
	extra=()
	[ "$1" != pss ] || extra=(pss=1)
	traced_pkg "$1" signer="$2" md="$3" "${extra[@]}"
	assert_eq "$(sig_algorithm "$T/$1.sup")" "$4" "signature algorithm of $1.sup"
	installs "$1" "$2"
done

section "RSA-PSS through sup pack --pss"
mkdir -p "$T/pss-payloads" "$T/marks"
echo "packed" >"$T/pss-payloads/packed.txt"
cat >"$T/pss-manifest.json" <<EOF
{ "sup_format": 1, "package": { "name": "app", "version": "1.0" },
  "actions": [
    { "id": "file", "type": "file.install",
      "params": { "path": "/opt/t/packed.txt" }, "payloads": ["packed.txt"] },
    { "id": "trace", "type": "exec.command",
      "params": { "argv": ["/usr/bin/touch", "$T/marks/packed"] } } ] }
EOF
sup pack -m "$T/pss-manifest.json" -C "$T/pss-payloads" -o "$T/packed.sup" \
	--key "$(pki signer-rsa.key)" --cert "$(pki signer-rsa.pem)" \
	--chain "$(pki chain.pem)" --pss
expect_exit 0 "sup pack --pss"
assert_eq "$(sig_algorithm "$T/packed.sup")" "rsassaPss" "signature algorithm"
installs packed signer-rsa

# ---- trust anchors ----------------------------------------------------
section "self-signed signer, its own anchor"
gw_root selfsigned keyring-selfsigned.pem
traced_pkg self signer=selfsigned
installs self selfsigned
traced_pkg self-other-key
refused_install 3 "'$T/self-other-key.sup': signer not trusted: 'CN=supkit test signer EC256' (issued by 'CN=supkit test intermediate CA') does not chain to an anchor of the keyring '$R$KEYRING_REL'" \
	"$T/self-other-key.sup"
gw_root gw
traced_pkg self-not-anchor signer=selfsigned
refused_install 3 "'$T/self-not-anchor.sup': signer not trusted: 'CN=supkit test self-signed signer' (issued by 'CN=supkit test self-signed signer') does not chain to an anchor of the keyring '$R$KEYRING_REL'" \
	"$T/self-not-anchor.sup"

section "the intermediate as anchor"
gw_root int keyring-int.pem
installs ec256 signer-ec256
traced_pkg nochain chain=none
installs nochain signer-ec256

section "a chain that does not reach the anchor"
# The root CA is the anchor, but the signature carries no intermediate.
gw_root gw
refused_install 3 "'$T/nochain.sup': signer not trusted: 'CN=supkit test signer EC256' (issued by 'CN=supkit test intermediate CA') does not chain to an anchor of the keyring '$R$KEYRING_REL'" \
	"$T/nochain.sup"

# ---- unsigned packages ------------------------------------------------
section "unsigned: refused by default"
gw_root gw
traced_pkg unsigned signer=none
assert_eq "$(python3 -c 'import sys, tarfile; print(" ".join(tarfile.open(sys.argv[1]).getnames()))' "$T/unsigned.sup")" \
	"manifest.json unsigned.txt" "no manifest.sig in unsigned.sup"
refused_install 3 "sup: error: '$T/unsigned.sup': unsigned: packages must be signed by a key of the keyring '$R$KEYRING_REL' ([trust] allow_unsigned is false)" \
	"$T/unsigned.sup"
refused_install 3 "'$T/unsigned.sup': unsigned: " "$T/unsigned.sup" --dry-run
refused_install 3 "'$T/unsigned.sup': unsigned: " "$T/unsigned.sup" --allow-downgrade

section "unsigned: refused before the manifest is read"
# Its manifest is not even JSON: only the missing signature is reported.
pkg "$T/unsigned-bad-json.sup" <<'EOF'
{ "manifest_text": "{ \"sup_format\": 1, \"actions\": [ ", "sign": false }
EOF
refused_install 3 "'$T/unsigned-bad-json.sup': unsigned: " "$T/unsigned-bad-json.sup"
assert_stderr_not "manifest.json"

section "unsigned: allowed by [trust] allow_unsigned = true"
gw_root dev
trust_conf "$R" "allow_unsigned = true"
take_snapshot "$R" dev-dry
sup install "$T/unsigned.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" --dry-run
expect_exit 0 "dry-run of unsigned.sup"
assert_stderr "sup: warning: '$T/unsigned.sup' is unsigned; accepted because [trust] allow_unsigned is true"
assert_unchanged "$R" dev-dry "root after the dry-run"
sup install "$T/unsigned.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install unsigned.sup"
assert_stderr "sup: warning: '$T/unsigned.sup' is unsigned; accepted because [trust] allow_unsigned is true"
assert_installed unsigned "$R"
C=$(confirmation "$R")
assert_json "$C" '(d["package"]["signature"]["status"], d["package"]["signature"]["signer"])' \
	'["unsigned", null]'
tail -n 1 "$R/var/log/supkit/audit.jsonl" >"$T/audit-last.json"
assert_json "$T/audit-last.json" 'd["msg"]' "package app 1.0 installed: 2 succeeded; unsigned"
# A signed package is still checked, and still installs.
installs ec256 signer-ec256

section "allow_unsigned: a signature that fails is still refused"
tamper_manifest "$T/ec256.sup" "$T/dev-tampered.sup"
refused_install 3 "'$T/dev-tampered.sup': signature does not match the manifest" \
	"$T/dev-tampered.sup"
traced_pkg dev-other signer=other-signer
refused_install 3 "'$T/dev-other.sup': signer not trusted: 'CN=supkit test other signer'" \
	"$T/dev-other.sup"
traced_pkg dev-expired signer=expired
refused_install 3 "'$T/dev-expired.sup': certificate expired: " "$T/dev-expired.sup"
traced_pkg dev-junk 'sign={"der_hex": "3003020101"}'
refused_install 3 "'$T/dev-junk.sup': signature is not a DER CMS structure" \
	"$T/dev-junk.sup"

# ---- the manifest and the signature do not belong together ------------
section "manifest changed by one byte after signing"
gw_root gw
tamper_manifest "$T/ec256.sup" "$T/tampered.sup"
assert_eq "$(cmp -l "$T/ec256.sup" "$T/tampered.sup" | wc -l)" "1" \
	"tampered.sup differs from ec256.sup in one byte"
sup_member "$T/tampered.sup" manifest.json >"$T/tampered-manifest.json"
assert_json "$T/tampered-manifest.json" 'd["package"]["version"]' "0.0"
refused_install 3 "sup: error: '$T/tampered.sup': signature does not match the manifest" \
	"$T/tampered.sup"
# The same bytes changed in the signed text: mksup signs what it writes.
traced_pkg another 'sign={"text": "{\"sup_format\": 1}"}'
refused_install 3 "sup: error: '$T/another.sup': signature does not match the manifest" \
	"$T/another.sup"

# Refused before the manifest is read: this one is not even JSON.
pkg "$T/another-bad-json.sup" <<'EOF'
{ "manifest_text": "{ \"sup_format\": 1, \"actions\": [ ",
  "sign": { "text": "{\"sup_format\": 1}" } }
EOF
refused_install 3 "sup: error: '$T/another-bad-json.sup': signature does not match the manifest" \
	"$T/another-bad-json.sup"
assert_stderr_not "manifest.json"

section "signature of another package"
traced_pkg twin-a
traced_pkg twin-b version=2.0
python3 - "$T/twin-a.sup" "$T/twin-b.sup" "$T/swapped.sup" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1]) as a:
    sig = a.extractfile("manifest.sig").read()
with tarfile.open(sys.argv[2]) as b, \
        tarfile.open(sys.argv[3], "w", format=tarfile.PAX_FORMAT) as out:
    for m in b.getmembers():
        data = b.extractfile(m).read()
        if m.name == "manifest.sig":
            data = sig
            m.size = len(sig)
        out.addfile(m, io.BytesIO(data))
EOF
refused_install 3 "'$T/swapped.sup': signature does not match the manifest" \
	"$T/swapped.sup"

section "payload changed after signing"
# The signature covers the payloads through their sha256 in the manifest.
python3 - "$T/ec256.sup" "$T/payload-changed.sup" <<'EOF'
import sys, tarfile
raw = bytearray(open(sys.argv[1], "rb").read())
with tarfile.open(sys.argv[1]) as t:
    m = t.getmember("ec256.txt")
raw[m.offset_data] ^= 0x20
open(sys.argv[2], "wb").write(raw)
EOF
refused_install 3 "$T/payload-changed.sup: payload 'ec256.txt': sha256 mismatch" \
	"$T/payload-changed.sup"

section "malformed signatures"
traced_pkg junk 'sign={"der_hex": "736967"}'
refused_install 3 "sup: error: '$T/junk.sup': signature is not a DER CMS structure" \
	"$T/junk.sup"
# A valid signature, cut short.
SIG_HEX=$(sup_member "$T/ec256.sup" manifest.sig | od -An -v -tx1 | tr -d ' \n')
traced_pkg cut "sign={\"der_hex\": \"${SIG_HEX:0:200}\"}"
refused_install 3 "sup: error: '$T/cut.sup': signature is not a DER CMS structure" \
	"$T/cut.sup"

section "CMS structures that are not what sup accepts"
# manifest_of STEM: $T/STEM.manifest, the manifest traced_pkg writes for
# STEM (the same spec gives the same bytes).
manifest_of() {
	traced_pkg "$1" signer=none
	sup_member "$T/$1.sup" manifest.json >"$T/$1.manifest"
}
# cms STEM OUT [ARGS...]: OUT = openssl cms -sign -binary (DER, SHA-256)
# over STEM's manifest, with ARGS (signers, flags).
cms() {
	local stem=$1 out=$2
	shift 2
	openssl cms -sign -binary -nosmimecap -outform DER -md sha256 \
		-in "$T/$stem.manifest" -out "$out" "$@" 2>"$T/openssl.err" ||
		{ echo "e2e: error: openssl cms: $(cat "$T/openssl.err")" >&2; exit 2; }
}
# sig_pkg STEM FILE: traced package STEM with FILE as its manifest.sig.
sig_pkg() {
	traced_pkg "$1" "sign={\"der_hex\": \"$(od -An -v -tx1 "$2" | tr -d ' \n')\"}"
}
EC=(-signer "$(pki signer-ec256.pem)" -inkey "$(pki signer-ec256.key)")
for s in two-signers attached attached-other ca-signer nocerts trailing pem noattr; do
	manifest_of "$s"
done
cms two-signers "$T/two-signers.der" "${EC[@]}" -certfile "$(pki chain.pem)" \
	-signer "$(pki signer-rsa.pem)" -inkey "$(pki signer-rsa.key)"
sig_pkg two-signers "$T/two-signers.der"
refused_install 3 "sup: error: '$T/two-signers.sup': signature has 2 signers, exactly one is accepted" \
	"$T/two-signers.sup"
# Content embedded in the signature: the manifest itself, or another text
# (which the signature is valid over).
cms attached "$T/attached.der" "${EC[@]}" -certfile "$(pki chain.pem)" -nodetach
sig_pkg attached "$T/attached.der"
refused_install 3 "sup: error: '$T/attached.sup': signature is not detached: it embeds content, manifest.json must be the only signed content" \
	"$T/attached.sup"
echo '{"sup_format": 1}' >"$T/attached-other.manifest"
cms attached-other "$T/attached-other.der" "${EC[@]}" -certfile "$(pki chain.pem)" -nodetach
manifest_of attached-other
sig_pkg attached-other "$T/attached-other.der"
refused_install 3 "sup: error: '$T/attached-other.sup': signature is not detached" \
	"$T/attached-other.sup"
# The intermediate CA signs itself: its key usage is for certificates.
cms ca-signer "$T/ca-signer.der" -signer "$(pki int-ca.pem)" -inkey "$(pki int-ca.key)"
sig_pkg ca-signer "$T/ca-signer.der"
refused_install 3 "sup: error: '$T/ca-signer.sup': signer not trusted: 'CN=supkit test intermediate CA' may not sign: its key usage lacks digitalSignature" \
	"$T/ca-signer.sup"
cms nocerts "$T/nocerts.der" "${EC[@]}" -nocerts
sig_pkg nocerts "$T/nocerts.der"
refused_install 3 "sup: error: '$T/nocerts.sup': signature does not embed the signer's certificate" \
	"$T/nocerts.sup"
cms trailing "$T/trailing.der" "${EC[@]}" -certfile "$(pki chain.pem)"
printf 'XYZ' >>"$T/trailing.der"
sig_pkg trailing "$T/trailing.der"
refused_install 3 "sup: error: '$T/trailing.sup': signature has data after its DER structure" \
	"$T/trailing.sup"
openssl cms -sign -binary -nosmimecap -outform PEM -md sha256 "${EC[@]}" \
	-certfile "$(pki chain.pem)" -in "$T/pem.manifest" -out "$T/pem.sig"
sig_pkg pem "$T/pem.sig"
refused_install 3 "sup: error: '$T/pem.sup': signature is not a DER CMS structure" \
	"$T/pem.sup"

section "a signature without signed attributes (no signingTime)"
cms noattr "$T/noattr.der" "${EC[@]}" -certfile "$(pki chain.pem)" -noattr
sig_pkg noattr "$T/noattr.der"
installs noattr signer-ec256
C=$(confirmation "$R")
assert_json "$C" '(d["package"]["signature"]["status"], d["package"]["signature"]["signing_time"])' \
	'["verified", null]'

# ---- signers that are refused -----------------------------------------
section "signer not in the keyring"
gw_root gw
traced_pkg other signer=other-signer
refused_install 3 "sup: error: '$T/other.sup': signer not trusted: 'CN=supkit test other signer' (issued by 'CN=supkit test other CA') does not chain to an anchor of the keyring '$R$KEYRING_REL'" \
	"$T/other.sup"

section "expired signer"
traced_pkg expired signer=expired
refused_install 3 "sup: error: '$T/expired.sup': certificate expired: 'CN=supkit test signer expired' was valid until 2021-01-01T00:00:00Z (checked at " \
	"$T/expired.sup"

section "signer not yet valid"
traced_pkg notyet signer=notyet
refused_install 3 "sup: error: '$T/notyet.sup': certificate not yet valid: 'CN=supkit test signer not yet valid' is valid from 2098-01-01T00:00:00Z (checked at " \
	"$T/notyet.sup"

section "weak key: RSA 1024"
traced_pkg weak signer=weak-rsa1024
refused_install 3 "sup: error: '$T/weak.sup': signer key not accepted: 'CN=supkit test signer RSA1024'" \
	"$T/weak.sup"
assert_stderr "RSA 1024"
assert_stderr "RSA keys need at least 2048 bits"

section "weak digest: SHA-1"
traced_pkg sha1 'sign={"md": "sha1"}'
refused_install 3 "sup: error: '$T/sha1.sup': signature digest SHA1 not accepted (SHA-256, SHA-384 or SHA-512 are)" \
	"$T/sha1.sup"

section "server certificate (EKU serverAuth only)"
traced_pkg server signer=server
refused_install 3 "sup: error: '$T/server.sup': signer not trusted: 'CN=supkit test server' may not sign code: its extended key usage lacks codeSigning" \
	"$T/server.sup"

section "certificate without EKU"
traced_pkg noeku signer=noeku
installs noeku noeku
gw_root strict-eku
trust_conf "$R" "require_code_signing = true"
refused_install 3 "sup: error: '$T/noeku.sup': signer not trusted: 'CN=supkit test signer without EKU' has no codeSigning extended key usage, which [trust] require_code_signing asks for" \
	"$T/noeku.sup"
installs ec256 signer-ec256

# ---- revocation -------------------------------------------------------
section "revoked by the CRL"
gw_root crl
mkdir -p "$R/etc/supkit-crl"
cp "$(pki crl.pem)" "$R/etc/supkit-crl/crl.pem"
trust_conf "$R" "crl = /etc/supkit-crl/crl.pem"
traced_pkg revoked signer=revoked
refused_install 3 "sup: error: '$T/revoked.sup': certificate revoked: 'CN=supkit test signer revoked' is listed in the CRL '$R/etc/supkit-crl/crl.pem'" \
	"$T/revoked.sup"
installs ec256 signer-ec256
# The whole chain's CRLs (int-ca and root-ca) in one file.
cp "$(pki crl-full.pem)" "$R/etc/supkit-crl/crl.pem"
refused_install 3 "'$T/revoked.sup': certificate revoked: 'CN=supkit test signer revoked'" \
	"$T/revoked.sup"

section "not revoked: an empty CRL, or no CRL"
cp "$(pki crl-empty.pem)" "$R/etc/supkit-crl/crl.pem"
installs revoked revoked
gw_root no-crl
installs revoked revoked

section "a CRL whose signature does not verify: the gateway's problem, exit 5"
# Regression: it was blamed on every package (exit 3, "signer not
# trusted"), so campaigns acked the package as bad.
gw_root crl-bad
mkdir -p "$R/etc/supkit-crl"
python3 - "$(pki crl.pem)" "$R/etc/supkit-crl/crl.pem" <<'PY'
import base64, sys
text = open(sys.argv[1]).read()
b64 = "".join(l for l in text.splitlines() if not l.startswith("-----"))
der = bytearray(base64.b64decode(b64))
der[-1] ^= 0x01  # the last byte of the CRL's signature
body = base64.encodebytes(bytes(der)).decode()
open(sys.argv[2], "w").write("-----BEGIN X509 CRL-----\n" + body +
                             "-----END X509 CRL-----\n")
PY
trust_conf "$R" "crl = /etc/supkit-crl/crl.pem"
refused_install 5 "sup: error: '$T/ec256.sup': the CRL file '$R/etc/supkit-crl/crl.pem' holds a CRL whose signature does not verify (checking 'CN=supkit test signer EC256'): repair the gateway's CRL file" \
	"$T/ec256.sup"

section "CRL configured but missing: exit 5"
gw_root crl-missing
trust_conf "$R" "crl = /etc/supkit-crl/crl.pem"
refused_install 5 "sup: error: CRL file '$R/etc/supkit-crl/crl.pem': No such file or directory" \
	"$T/ec256.sup"

# ---- the keyring ------------------------------------------------------
section "missing keyring: exit 5, nothing read"
gw_root nokeyring
rm "$R$KEYRING_REL"
refused_install 5 "sup: error: keyring '$R$KEYRING_REL': No such file or directory" \
	"$T/ec256.sup"
# The package is not even opened: a FIFO would block a reader.
mkfifo "$T/fifo.sup"
run timeout 10 "$SUP" install "$T/fifo.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 5 "install of a FIFO with no keyring (not opened)"
assert_stderr "keyring '$R$KEYRING_REL': No such file or directory"
refused_install 5 "sup: error: keyring '$R$KEYRING_REL': No such file or directory" \
	"$T/no-such-package.sup"
assert_stderr_not "no-such-package.sup: "

section "unsafe keyring: exit 5"
gw_root unsafe
chmod 0664 "$R$KEYRING_REL"
refused_install 5 "sup: error: keyring '$R$KEYRING_REL' may be changed by other users (mode 0664, owner $(id -u)): it must be owned by root" \
	"$T/ec256.sup"
assert_stderr "writable by its owner only"
chmod 0646 "$R$KEYRING_REL"
refused_install 5 "keyring '$R$KEYRING_REL' may be changed by other users (mode 0646" \
	"$T/ec256.sup"
chmod 0644 "$R$KEYRING_REL"
chmod 0775 "$R$SUP_SYSCONF_DIR"
refused_install 5 "sup: error: keyring '$R$KEYRING_REL': its directory '$R$SUP_SYSCONF_DIR' may be changed by other users (mode 0775" \
	"$T/ec256.sup"
chmod 0755 "$R$SUP_SYSCONF_DIR"

section "keyring holding a private key: exit 5"
cat "$(pki root-ca.pem)" "$(pki signer-ec256.key)" >"$R$KEYRING_REL"
refused_install 5 "sup: error: keyring '$R$KEYRING_REL': PEM block 2 is a private key; it must hold CERTIFICATE blocks only (remove the key, and consider it exposed)" \
	"$T/ec256.sup"

section "keyring without certificates: exit 5"
: >"$R$KEYRING_REL"
refused_install 5 "sup: error: keyring '$R$KEYRING_REL' holds no PEM CERTIFICATE" \
	"$T/ec256.sup"
echo "not a keyring" >"$R$KEYRING_REL"
refused_install 5 "sup: error: keyring '$R$KEYRING_REL' holds no PEM CERTIFICATE" \
	"$T/ec256.sup"

section "--keyring overrides the configured keyring"
gw_root override keyring-old.pem
refused_install 3 "'$T/ec256.sup': signer not trusted: 'CN=supkit test signer EC256' (issued by 'CN=supkit test intermediate CA') does not chain to an anchor of the keyring '$R$KEYRING_REL'" \
	"$T/ec256.sup"
installs ec256 signer-ec256 --keyring "$(pki keyring.pem)"
gw_root override2
traced_pkg old signer=old-signer
refused_install 3 "'$T/ec256.sup': signer not trusted: 'CN=supkit test signer EC256' (issued by 'CN=supkit test intermediate CA') does not chain to an anchor of the keyring '$(pki keyring-old.pem)'" \
	"$T/ec256.sup" --keyring "$(pki keyring-old.pem)"
installs old old-signer --keyring "$(pki keyring-old.pem)"
refused_install 5 "sup: error: keyring '$T/none.pem': No such file or directory" \
	"$T/ec256.sup" --keyring "$T/none.pem"

section "[trust] keyring names another file"
gw_root conf-keyring
mkdir -p "$R/etc/release-keys"
cp "$(pki keyring-old.pem)" "$R/etc/release-keys/anchors.pem"
trust_conf "$R" "keyring = /etc/release-keys/anchors.pem"
installs old old-signer
refused_install 3 "'$T/ec256.sup': signer not trusted: 'CN=supkit test signer EC256' (issued by 'CN=supkit test intermediate CA') does not chain to an anchor of the keyring '$R/etc/release-keys/anchors.pem'" \
	"$T/ec256.sup"

section "[trust] configuration errors: exit 5"
gw_root conf-errors
CONF_FILE="$R$SUP_SYSCONF_DIR/sup.conf"
mkdir -p "$R/etc/supkit-crl"
cp "$(pki crl.pem)" "$R/etc/supkit-crl/crl.pem"
chmod 0666 "$R/etc/supkit-crl/crl.pem"
trust_conf "$R" "crl = /etc/supkit-crl/crl.pem"
refused_install 5 "sup: error: CRL file '$R/etc/supkit-crl/crl.pem' may be changed by other users (mode 0666" \
	"$T/ec256.sup"
cp "$(pki root-ca.pem)" "$R/etc/supkit-crl/crl.pem"
chmod 0644 "$R/etc/supkit-crl/crl.pem"
refused_install 5 "sup: error: CRL file '$R/etc/supkit-crl/crl.pem': PEM block 1 is a 'CERTIFICATE', expected X509 CRL" \
	"$T/ec256.sup"
trust_conf "$R" "allow_unsigned = yes"
refused_install 5 "sup: error: $CONF_FILE:2: allow_unsigned: 'yes' is not true or false" \
	"$T/unsigned.sup"
trust_conf "$R" "validity = sometimes"
refused_install 5 "sup: error: $CONF_FILE:2: validity: 'sometimes' is not auto, clock or off" \
	"$T/ec256.sup"
trust_conf "$R" "keyring = etc/keyring.pem"
refused_install 5 "sup: error: $CONF_FILE:2: keyring: not an absolute path" "$T/ec256.sup"
trust_conf "$R" "trust_everything = true"
refused_install 5 "sup: error: $CONF_FILE:2: unknown key 'trust_everything' in section [trust]" \
	"$T/ec256.sup"
# sup.conf decides the trust policy: nobody else may change it.
trust_conf "$R" "allow_unsigned = true"
chmod 0666 "$CONF_FILE"
refused_install 5 "sup: error: configuration '$CONF_FILE' may be changed by other users (mode 0666" \
	"$T/unsigned.sup"

# ---- key rotation -----------------------------------------------------
section "rotation: the old key installs a keyring with both anchors"
gw_root rotation keyring-old.pem
traced_pkg rot-both signer=old-signer version=1.0 keyring=keyring-both.pem
traced_pkg rot-new1 signer=new-signer version=1.1
traced_pkg rot-new signer=old-signer version=2.0 keyring=keyring-new.pem
traced_pkg rot-old-late signer=old-signer version=3.0
traced_pkg rot-new2 signer=new-signer version=3.0
refused_install 3 "'$T/rot-new1.sup': signer not trusted: 'CN=supkit test release signer 2027' (issued by 'CN=supkit test release CA 2027') does not chain to an anchor of the keyring '$R$KEYRING_REL'" \
	"$T/rot-new1.sup"
installs rot-both old-signer
assert_same_file "$R$KEYRING_REL" "$(pki keyring-both.pem)"
assert_mode "$R$KEYRING_REL" 644
installs rot-new1 new-signer

section "rotation: the old key retires itself"
installs rot-new old-signer
assert_same_file "$R$KEYRING_REL" "$(pki keyring-new.pem)"
refused_install 3 "sup: error: '$T/rot-old-late.sup': signer not trusted: 'CN=supkit test release signer 2025' (issued by 'CN=supkit test release CA 2025') does not chain to an anchor of the keyring '$R$KEYRING_REL'" \
	"$T/rot-old-late.sup"
installs rot-new2 new-signer
assert_json "$R/var/lib/supkit/installed.json" 'd["packages"]["app"]["version"]' "3.0"

section "rotation across a reboot: the resumed install is not checked again"
# The package replaces the keyring, then reboots: its signer is no
# longer an anchor when the install resumes, which must still finish (the
# package was accepted; its bytes are pinned, not its signer).
product_root rotation-reboot <<'EOF'
[product]
name = acme
plugins = file, exec, system

[system]
reboot_command = /bin/true
EOF
install_keyring "$R" keyring-old.pem || exit 2
pkg "$T/rot-reboot.sup" <<EOF
{ "manifest": { "sup_format": 1, "package": { "name": "rot", "version": "1.0" },
    "actions": [
      { "id": "keyring", "type": "file.install",
        "params": { "path": "$KEYRING_REL", "mode": "0644" }, "payloads": ["keyring.pem"] },
      { "id": "reboot", "type": "system.reboot" },
      { "id": "trace", "type": "exec.command",
        "params": { "argv": ["/usr/bin/touch", "$T/marks/rot-reboot"] } } ] },
  "entries": [ { "name": "keyring.pem", "file": "$(pki keyring-new.pem)" } ],
  "sign": { "key": "$(pki old-signer.key)", "cert": "$(pki old-signer.pem)" } }
EOF
sup install "$T/rot-reboot.sup" --root "$R" --config "$CONF"
expect_exit 7 "install rot-reboot.sup: suspended for the reboot"
assert_same_file "$R$KEYRING_REL" "$(pki keyring-new.pem)"
assert_no_action rot-reboot
sup install --resume --root "$R" --config "$CONF"
expect_exit 0 "sup install --resume"
assert_file "$T/marks/rot-reboot"
assert_json "$C" '(d["result"], d["package"]["signature"]["status"], d["package"]["signature"]["signer"]["subject"])' \
	"[\"succeeded\", \"verified\", \"$(cert_subject old-signer)\"]"
refused_install 3 "'$T/rot-reboot.sup': signer not trusted: 'CN=supkit test release signer 2025'" \
	"$T/rot-reboot.sup" --config "$CONF"

finish
