#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - set up, then make a throw-away release CA and signing key, pack
# and sign a sample SUP and install it into a sandbox root (signatures
# mandatory, as on any gateway) with the built-in plugins, and show what
# happened.
#
#   scripts/demo.sh
#
# No portal, no root privileges: everything lands under build/demo/.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
build=$here/build
sup=$build/core/sup
work=$build/demo
rm -rf "$work"
mkdir -p "$work/payloads" "$work/root"

# Payloads: two files from the repo and a release tarball made here,
# reproducibly.
cp "$here/scripts/demo/payloads/runtime.conf" "$here/scripts/demo/payloads/migrate.sh" \
	"$work/payloads/"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$here/scripts/demo/release" -cf - . | gzip -n >"$work/payloads/release-2.1.0.tar.gz"

# A throw-away release PKI: a root CA (kept offline in real life) that is
# the gateway's only trust anchor, and a release signing key it certifies
# for code signing (docs/security.md).
pki=$work/pki
mkdir -p "$pki"
cat >"$pki/signer.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
EXT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
	-subj "/O=ACME demo/CN=ACME demo release root CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-keyout "$pki/root-ca.key" -out "$pki/root-ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/O=ACME demo/CN=ACME demo release signer" \
	-keyout "$pki/signer.key" -out "$pki/signer.csr" 2>/dev/null
openssl x509 -req -in "$pki/signer.csr" -CA "$pki/root-ca.pem" -CAkey "$pki/root-ca.key" \
	-CAcreateserial -days 730 -extfile "$pki/signer.ext" -out "$pki/signer.pem" 2>/dev/null

# The gateway trusts the root CA: its keyring, and a sup.conf saying where
# it is (signatures are mandatory: the default policy).
mkdir -p "$work/root/etc/supkit"
install -m 0644 "$pki/root-ca.pem" "$work/root/etc/supkit/keyring.pem"
cat >"$work/sup.conf" <<'CONF'
[trust]
keyring = /etc/supkit/keyring.pem
CONF

echo "== sup pack --key --cert (signed)"
"$sup" pack -m "$here/scripts/demo/manifest.json" -C "$work/payloads" \
	-o "$work/acme-runtime-2.1.0.sup" --key "$pki/signer.key" --cert "$pki/signer.pem"
echo
echo "== sup verify"
"$sup" verify "$work/acme-runtime-2.1.0.sup" --root "$work/root" --config "$work/sup.conf"
echo
echo "== sup inspect"
"$sup" inspect "$work/acme-runtime-2.1.0.sup" --root "$work/root" --config "$work/sup.conf"
echo
echo "== the same package unsigned: refused before anything of it is read"
"$sup" pack -m "$here/scripts/demo/manifest.json" -C "$work/payloads" \
	-o "$work/unsigned.sup" 2>/dev/null
rc=0
"$sup" install "$work/unsigned.sup" --root "$work/root" --config "$work/sup.conf" \
	--plugin-dir "$build/plugins-out" || rc=$?
echo "(exit code $rc)"
[ "$rc" = 3 ] || { echo "demo: the unsigned package was not refused" >&2; exit 1; }
echo
echo "== sup install --root $work/root"
"$sup" install "$work/acme-runtime-2.1.0.sup" --root "$work/root" --config "$work/sup.conf" \
	--plugin-dir "$build/plugins-out"
echo
echo "== installed files"
(cd "$work/root" && find . -path ./var/lib/supkit -prune -o -path ./etc/supkit -prune -o -print | sort)
echo
echo "== $work/root/var/log/supkit/confirmation.json"
cat "$work/root/var/log/supkit/confirmation.json"
