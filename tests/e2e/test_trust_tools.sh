#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_trust_tools.sh - the release engineer's and the operator's side of
# signed packages (issue 7): sup verify (exit 0 / 3 / 5 and its one line),
# sup sign (signs or re-signs, payload bytes untouched, a corrupt package
# refused with the original left alone) and sup inspect (the signer and
# the verdict, in text and --json, fingerprints checked against openssl).
. "$(dirname "$0")/lib.sh"

KR=$(pki keyring.pem)
EC_SUBJECT=$(cert_subject signer-ec256)
EC_KEY=$(cert_key_sha256 signer-ec256)
# The signer as openssl sees it (see cert_json), and one field of it.
SIGNER=$(cert_json signer-ec256)
field() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$SIGNER" "$1"
}

traced_pkg good
traced_pkg unsigned signer=none
traced_pkg other signer=other-signer
traced_pkg expired signer=expired
tamper_manifest "$T/good.sup" "$T/tampered.sup"
# A payload whose bytes no longer match the (signed) manifest.
python3 - "$T/good.sup" "$T/corrupt.sup" <<'EOF'
import sys, tarfile
raw = bytearray(open(sys.argv[1], "rb").read())
with tarfile.open(sys.argv[1]) as t:
    m = t.getmember("good.txt")
raw[m.offset_data] ^= 0x20
open(sys.argv[2], "wb").write(raw)
EOF

# ---- sup verify -------------------------------------------------------
section "sup verify: a good package"
R=$(new_root gw)
take_snapshot "$R" verify
sup verify "$T/good.sup" --root "$R"
expect_exit 0 "sup verify good.sup"
assert_eq "$(cat "$T/out")" \
	"$T/good.sup: verified: 'app' 1.0, signed by '$EC_SUBJECT' (key sha256 $EC_KEY), 1 payload intact" \
	"stdout of sup verify"
assert_eq "$(wc -c <"$T/err")" "0" "bytes on stderr"
sup verify "$T/good.sup" --keyring "$KR"
expect_exit 0 "sup verify --keyring"
assert_stdout "$T/good.sup: verified: 'app' 1.0, signed by '$EC_SUBJECT'"
sup verify "$T/good.sup" --root "$R" -q
expect_exit 0 "sup verify -q"
assert_eq "$(cat "$T/out" "$T/err")" "" "output of sup verify -q"
gzip -n -c "$T/good.sup" >"$T/good.sup.gz"
sup verify "$T/good.sup.gz" --keyring "$KR"
expect_exit 0 "sup verify of the gzip-compressed package"
assert_unchanged "$R" verify "root after sup verify"
assert_missing "$T/marks/good"

section "sup verify: refused packages, exit 3"
# verify_refused SUP REASON [ARGS...]: exit 3, nothing on stdout, REASON.
verify_refused() {
	local file=$1 reason=$2
	shift 2
	sup verify "$file" "$@"
	expect_exit 3 "sup verify ${file#"$T"/}"
	assert_stderr "$reason"
	assert_eq "$(wc -c <"$T/out")" "0" "bytes on stdout"
}
verify_refused "$T/unsigned.sup" \
	"sup: error: '$T/unsigned.sup': unsigned: packages must be signed by a key of the keyring '$R$SUP_SYSCONF_DIR/keyring.pem' ([trust] allow_unsigned is false)" \
	--root "$R"
verify_refused "$T/tampered.sup" \
	"sup: error: '$T/tampered.sup': signature does not match the manifest" \
	--keyring "$KR"
verify_refused "$T/other.sup" \
	"sup: error: '$T/other.sup': signer not trusted: 'CN=supkit test other signer'" \
	--keyring "$KR"
verify_refused "$T/expired.sup" \
	"sup: error: '$T/expired.sup': certificate expired: 'CN=supkit test signer expired'" \
	--keyring "$KR"
verify_refused "$T/corrupt.sup" \
	"sup: error: $T/corrupt.sup: payload 'good.txt': sha256 mismatch" \
	--keyring "$KR"
verify_refused "$T/good.sup" \
	"sup: error: '$T/good.sup': signer not trusted: '$EC_SUBJECT'" \
	--keyring "$(pki keyring-old.pem)"

section "sup verify: allow_unsigned"
printf '[trust]\nallow_unsigned = true\n' >"$T/dev.conf"
sup verify "$T/unsigned.sup" --root "$R" --config "$T/dev.conf"
expect_exit 0 "sup verify unsigned.sup with allow_unsigned"
assert_eq "$(cat "$T/out")" \
	"$T/unsigned.sup: verified: 'app' 1.0, unsigned (allowed by [trust] allow_unsigned), 1 payload intact" \
	"stdout of sup verify"
assert_stderr "sup: warning: '$T/unsigned.sup' is unsigned; accepted because [trust] allow_unsigned is true"
verify_refused "$T/tampered.sup" \
	"sup: error: '$T/tampered.sup': signature does not match the manifest" \
	--root "$R" --config "$T/dev.conf"

section "sup verify: no keyring, exit 5"
mkdir -p "$T/bare"
sup verify "$T/good.sup" --root "$T/bare"
expect_exit 5 "sup verify without a keyring"
assert_stderr "sup: error: keyring '$T/bare$SUP_SYSCONF_DIR/keyring.pem': No such file or directory"
assert_eq "$(wc -c <"$T/out")" "0" "bytes on stdout"
sup verify "$T/good.sup" --keyring "$T/none.pem"
expect_exit 5 "sup verify --keyring of a missing file"
assert_stderr "sup: error: keyring '$T/none.pem': No such file or directory"
cat "$KR" "$(pki signer-ec256.key)" >"$T/with-key.pem"
sup verify "$T/good.sup" --keyring "$T/with-key.pem"
expect_exit 5 "sup verify --keyring holding a private key"
assert_stderr "PEM block 2 is a private key"

# ---- sup sign ---------------------------------------------------------
section "sup sign: an unsigned package"
sup_members "$T/unsigned.sup" >"$T/unsigned.members"
cp "$T/unsigned.sup" "$T/unsigned.orig"
sup sign "$T/unsigned.sup" -o "$T/signed.sup" "${SIGN_ARGS[@]}"
expect_exit 0 "sup sign -o"
assert_stderr "sup: signed '$T/signed.sup' as '$EC_SUBJECT' (key sha256 $EC_KEY)"
assert_same_file "$T/unsigned.sup" "$T/unsigned.orig"
sup_members "$T/signed.sup" >"$T/signed.members"
assert_eq "$(cut -d' ' -f1 "$T/signed.members" | tr '\n' ' ')" \
	"manifest.json manifest.sig unsigned.txt " "entries of signed.sup"
assert_eq "$(grep -v '^manifest.sig ' "$T/signed.members")" \
	"$(cat "$T/unsigned.members")" "manifest and payload bytes unchanged"
sup verify "$T/signed.sup" --keyring "$KR"
expect_exit 0 "sup verify signed.sup"
assert_stdout "signed by '$EC_SUBJECT'"
R=$(new_root sign-root)
sup install "$T/signed.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install signed.sup"
assert_installed unsigned "$R"

section "sup sign: re-sign a package signed by another key"
cp "$T/other.sup" "$T/resign.sup"
sup_members "$T/other.sup" >"$T/other.members"
sup sign "$T/resign.sup" --key "$(pki signer-rsa.key)" \
	--cert "$(pki signer-rsa.pem)" --chain "$(pki chain.pem)"
expect_exit 0 "sup sign in place"
assert_stderr "sup: signed '$T/resign.sup' as '$(cert_subject signer-rsa)'"
sup_members "$T/resign.sup" >"$T/resign.members"
assert_eq "$(cut -d' ' -f1 "$T/resign.members" | tr '\n' ' ')" \
	"manifest.json manifest.sig other.txt " "entries: one manifest.sig, as entry 2"
assert_eq "$(grep -v '^manifest.sig ' "$T/resign.members")" \
	"$(grep -v '^manifest.sig ' "$T/other.members")" "manifest and payload bytes unchanged"
assert_ne "$(grep '^manifest.sig ' "$T/resign.members")" \
	"$(grep '^manifest.sig ' "$T/other.members")" "the old signature is gone"
sup inspect "$T/resign.sup" --json --keyring "$KR"
expect_exit 0 "sup inspect --json resign.sup"
cp "$T/out" "$T/resign.json"
assert_json "$T/resign.json" '(d["signature"]["status"], d["signature"]["signer"]["subject"])' \
	"[\"verified\", \"$(cert_subject signer-rsa)\"]"

section "sup sign: compressed input, uncompressed output"
traced_pkg zipped signer=other-signer z=gz
assert_eq "$(head -c 2 "$T/zipped.sup" | od -An -tx1 | tr -d ' ')" "1f8b" "zipped.sup is gzip"
sup sign "$T/zipped.sup" -o "$T/zipped-signed.sup" --key "$(pki signer-rsa.key)" \
	--cert "$(pki signer-rsa.pem)" --chain "$(pki chain.pem)" --pss
expect_exit 0 "sup sign --pss of a gzip-compressed package"
assert_eq "$(dd if="$T/zipped-signed.sup" bs=1 skip=257 count=5 2>/dev/null)" "ustar" \
	"the output is an uncompressed tar"
gzip -dc "$T/zipped.sup" >"$T/zipped.tar"
assert_eq "$(sup_members "$T/zipped-signed.sup" | grep -v '^manifest.sig ')" \
	"$(sup_members "$T/zipped.tar" | grep -v '^manifest.sig ')" "manifest and payload bytes unchanged"
sup verify "$T/zipped-signed.sup" --keyring "$KR"
expect_exit 0 "sup verify zipped-signed.sup"
assert_stdout "signed by '$(cert_subject signer-rsa)'"

section "sup sign: a chain file that starts with the signer (fullchain.pem)"
cat "$(pki signer-ec256.pem)" "$(pki chain.pem)" >"$T/fullchain.pem"
sup sign "$T/unsigned.sup" -o "$T/fullchain.sup" --key "$(pki signer-ec256.key)" \
	--cert "$(pki signer-ec256.pem)" --chain "$T/fullchain.pem"
expect_exit 0 "sup sign --chain fullchain.pem"
sup verify "$T/fullchain.sup" --keyring "$KR"
expect_exit 0 "sup verify fullchain.sup"
assert_stdout "signed by '$EC_SUBJECT'"

section "sup sign: a corrupt package is refused, the original untouched"
cp "$T/corrupt.sup" "$T/corrupt.orig"
sup sign "$T/corrupt.sup" "${SIGN_ARGS[@]}"
expect_exit 3 "sup sign corrupt.sup (in place)"
assert_stderr "$T/corrupt.sup: payload 'good.txt': sha256 mismatch"
assert_same_file "$T/corrupt.sup" "$T/corrupt.orig"
sup sign "$T/corrupt.sup" -o "$T/corrupt-signed.sup" "${SIGN_ARGS[@]}"
expect_exit 3 "sup sign corrupt.sup -o"
assert_missing "$T/corrupt-signed.sup"
head -c 1000 "$T/good.sup" >"$T/truncated.sup"
cp "$T/truncated.sup" "$T/truncated.orig"
sup sign "$T/truncated.sup" "${SIGN_ARGS[@]}"
expect_exit 3 "sup sign truncated.sup"
assert_same_file "$T/truncated.sup" "$T/truncated.orig"
assert_eq "$(find "$T" -maxdepth 1 -name '.*' | wc -l)" "0" "no temporary files left"

section "sup sign: unusable keys, exit 5"
sup sign "$T/unsigned.sup" -o "$T/x.sup" --key "$(pki signer-ec256.key)" \
	--cert "$(pki signer-rsa.pem)"
expect_exit 5 "key of another certificate"
assert_stderr "sup: error: signing key '$(pki signer-ec256.key)' does not belong to the certificate '$(pki signer-rsa.pem)'"
sup sign "$T/unsigned.sup" -o "$T/x.sup" --key "$(pki weak-rsa1024.key)" \
	--cert "$(pki weak-rsa1024.pem)"
expect_exit 5 "RSA 1024 key"
assert_stderr "RSA keys need at least 2048 bits"
sup sign "$T/unsigned.sup" -o "$T/x.sup" "${SIGN_ARGS[@]}" --pss
expect_exit 5 "--pss with an ECDSA key"
assert_stderr "sup: error: --pss applies to RSA keys; '$(pki signer-ec256.key)' is ECDSA P-256"
assert_missing "$T/x.sup"
assert_same_file "$T/unsigned.sup" "$T/unsigned.orig"

# ---- sup inspect ------------------------------------------------------
section "sup inspect --keyring: text"
sup inspect "$T/good.sup" --keyring "$KR"
expect_exit 0 "sup inspect --keyring"
assert_stdout "signature:    verified"
assert_stdout "  signer:     $EC_SUBJECT"
assert_stdout "  issuer:     CN=supkit test intermediate CA"
assert_stdout "  key:        ECDSA P-256, sha256 $EC_KEY"
assert_stdout "  cert:       serial $(field serial), sha256 $(field cert_sha256)"
assert_stdout "  valid:      $(field not_before) to $(field not_after)"
assert_stdout "  signed at:  20"
assert_stdout "  checked at: 20"
assert_stdout "verification: ok"

section "sup inspect --keyring --json"
sup inspect "$T/good.sup" --keyring "$KR" --json
expect_exit 0 "sup inspect --json"
cp "$T/out" "$T/good.json"
assert_json_parses "$T/good.json"
assert_json "$T/good.json" 'd["signature"]["signer"]' "$SIGNER"
assert_json "$T/good.json" 'd["signature"]["signer"]["subject"]' "$EC_SUBJECT"
# Computed here with openssl from the certificate alone.
assert_json "$T/good.json" 'd["signature"]["signer"]["key_sha256"]' \
	"$(openssl x509 -in "$(pki signer-ec256.pem)" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)"
assert_json "$T/good.json" '(d["signature"]["present"], d["signature"]["status"], d["signature"]["reason"], d["signature"]["keyring"])' \
	"[true, \"verified\", null, \"$KR\"]"
assert_json "$T/good.json" 'd["signature"]["signing_time"] <= d["signature"]["checked_at"]' "true"
assert_json "$T/good.json" 'd["verified"]' "true"

section "sup inspect of a refused signature"
sup inspect "$T/other.sup" --keyring "$KR"
expect_exit 3 "sup inspect other.sup"
assert_stdout "signature:    REFUSED: signer not trusted: 'CN=supkit test other signer' (issued by 'CN=supkit test other CA') does not chain to an anchor of the keyring '$KR'"
assert_stdout "  signer:     CN=supkit test other signer"
assert_stdout "package:      app 1.0"
sup inspect "$T/other.sup" --keyring "$KR" --json
expect_exit 3 "sup inspect --json other.sup"
cp "$T/out" "$T/other.json"
assert_json "$T/other.json" '(d["verified"], d["signature"]["status"])' '[false, "untrusted"]'
assert_json_contains "$T/other.json" 'd["signature"]["reason"]' "signer not trusted: 'CN=supkit test other signer'"
assert_json "$T/other.json" 'd["signature"]["signer"]' "$(cert_json other-signer)"
sup inspect "$T/tampered.sup" --keyring "$KR" --json
expect_exit 3 "sup inspect --json tampered.sup"
cp "$T/out" "$T/tampered.json"
assert_json "$T/tampered.json" '(d["signature"]["status"], d["signature"]["reason"])' \
	'["mismatch", "signature does not match the manifest"]'

section "sup inspect --root of a gateway without a keyring: exit 5"
sup inspect "$T/good.sup" --root "$T/bare"
expect_exit 5 "sup inspect --root with no keyring there"
assert_stderr "sup: error: keyring '$T/bare$SUP_SYSCONF_DIR/keyring.pem': No such file or directory"
sup inspect "$T/good.sup" --keyring "$T/none.pem"
expect_exit 5 "sup inspect --keyring of a missing file"
assert_stderr "keyring '$T/none.pem': No such file or directory"

section "sup inspect on a build machine: shown, not checked"
# Without --root, --config or --keyring, a missing keyring of this machine
# only means "not checked". Under SUPKIT_NO_BUILTIN_DIRS=1 (as CTest runs
# the suite) this machine's configuration directory is not read at all;
# else only where this machine has no supkit configuration of its own.
unchecked=
if [ "${SUPKIT_NO_BUILTIN_DIRS:-}" = 1 ]; then
	unchecked="keyring '$SUP_SYSCONF_DIR/keyring.pem': not read: SUPKIT_NO_BUILTIN_DIRS is set (give --config with this gateway's configuration)"
elif [ ! -e "$SUP_SYSCONF_DIR/keyring.pem" ] && [ ! -e "$SUP_SYSCONF_DIR/sup.conf" ]; then
	unchecked="keyring '$SUP_SYSCONF_DIR/keyring.pem': No such file or directory"
fi
if [ -z "$unchecked" ]; then
	echo "skip: this machine has $SUP_SYSCONF_DIR/keyring.pem or sup.conf: the build-machine checks of sup inspect did not run"
else
	sup inspect "$T/good.sup"
	expect_exit 0 "sup inspect with no keyring on this machine"
	assert_stdout "signature:    present, not checked ($unchecked)"
	assert_stdout "  signer:     $EC_SUBJECT"
	assert_stdout "verification: ok"
	sup inspect "$T/good.sup" --json
	expect_exit 0 "sup inspect --json with no keyring on this machine"
	cp "$T/out" "$T/unchecked.json"
	assert_json "$T/unchecked.json" '(d["signature"]["status"], d["signature"]["keyring"], d["signature"]["checked_at"])' \
		'["not_checked", null, null]'
	assert_json "$T/unchecked.json" 'd["signature"]["signer"]' "$SIGNER"
	sup inspect "$T/unsigned.sup"
	expect_exit 0 "sup inspect of an unsigned package, no keyring"
	assert_stdout "signature:    none (unsigned)"
fi

finish
