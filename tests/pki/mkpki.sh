#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mkpki.sh - the test PKI of supkit: CAs, signers, CRLs and keyrings for
# the signed-package tests (CTest fixture "pki", test pki.setup).
#
#   tests/pki/mkpki.sh OUTDIR
#
# OpenSSL command line only. Private keys are NAME.key (PEM PKCS#8,
# unencrypted, mode 0600), certificates NAME.pem:
#
#   root-ca         self-signed root, ECDSA P-384, CN "supkit test root CA",
#                   CA:TRUE (critical), keyCertSign+cRLSign, 30 years
#   int-ca          intermediate under root-ca, ECDSA P-256, CA:TRUE,
#                   pathlen:0
#   signer-ec256    leaves under int-ca: keyUsage critical digitalSignature,
#   signer-ec384    EKU codeSigning, CA:FALSE, valid from 1 year ago for 20
#   signer-rsa      years. signer-rsa is RSA 2048 (PKCS#1 v1.5 and PSS),
#   signer-rsa3072  weak-rsa1024 RSA 1024, the others ECDSA P-256 unless
#   expired         the name says otherwise. expired: 2020-01-01 to
#   notyet          2021-01-01; notyet: 2098-01-01 to 2099-01-01; revoked:
#   revoked         revoked in crl.pem; server: EKU serverAuth only; noeku:
#   server          no EKU extension.
#   noeku
#   weak-rsa1024
#   selfsigned      self-signed signer (P-256, CA:FALSE, digitalSignature,
#                   codeSigning), its own trust anchor
#   other-ca        an unrelated self-signed CA, and a signer under it
#   other-signer    (never in a keyring)
#   old-ca          "supkit test release CA 2025" and its signer
#   old-signer
#   new-ca          "supkit test release CA 2027" and its signer
#   new-signer
#
#   crl.pem         int-ca CRL revoking `revoked` (nextUpdate in 30 days)
#   crl-empty.pem   int-ca CRL revoking nothing
#   crl-root.pem    root-ca CRL revoking nothing
#   crl-full.pem    crl.pem + crl-root.pem (CRL checks of the whole chain)
#   chain.pem       int-ca.pem: the --chain of a signer under int-ca
#   keyring.pem     root-ca (the default test keyring)
#   keyring-int.pem int-ca; keyring-selfsigned.pem selfsigned;
#   keyring-old.pem old-ca; keyring-new.pem new-ca; keyring-both.pem
#                   old-ca + new-ca
#
# Idempotent: nothing is done if OUTDIR/.done is newer than this script
# and less than 7 days old (the CRLs expire after 30). Otherwise the PKI is
# built in a temporary directory beside OUTDIR and renamed into place, so
# a half-made PKI is never used. Quiet on success.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: mkpki.sh OUTDIR" >&2
	exit 2
fi
command -v openssl >/dev/null || {
	echo "mkpki.sh: error: openssl is needed" >&2
	exit 1
}
out=${1%/}
script=$(readlink -f "${BASH_SOURCE[0]}")
parent=$(dirname "$out")
base=$(basename "$out")
mkdir -p "$parent"

# up_to_date: OUTDIR is complete, newer than this script, and fresh.
up_to_date() {
	[ -f "$out/.done" ] && [ "$out/.done" -nt "$script" ] &&
		[ -z "$(find "$out/.done" -mtime +6 -print)" ]
}
up_to_date && exit 0

# One builder at a time (parallel configure/test runs).
if command -v flock >/dev/null; then
	exec 9>>"$parent/.$base.lock"
	flock 9
	up_to_date && exit 0
fi

umask 022
tmp=$(mktemp -d "$parent/.$base.tmp.XXXXXX")
old=""
cleanup() {
	rm -rf "$tmp"
	[ -z "$old" ] || rm -rf "$old"
}
trap cleanup EXIT
d=$tmp
w=$tmp/.work
mkdir -p "$w"
log=$w/log

# ossl ARGS...: openssl, output to the log; on failure show it and stop.
ossl() {
	if ! openssl "$@" >>"$log" 2>&1; then
		echo "mkpki.sh: error: openssl $1 failed:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}

# ---- keys (in parallel: the RSA ones take a moment) ----------------
declare -A KEYTYPE=(
	[root-ca]=P-384 [int-ca]=P-256
	[signer-ec256]=P-256 [signer-ec384]=P-384
	[signer-rsa]=RSA:2048 [signer-rsa3072]=RSA:3072
	[expired]=P-256 [notyet]=P-256 [revoked]=P-256 [server]=P-256
	[noeku]=P-256 [weak-rsa1024]=RSA:1024 [selfsigned]=P-256
	[other-ca]=P-256 [other-signer]=P-256
	[old-ca]=P-256 [old-signer]=P-256 [new-ca]=P-256 [new-signer]=P-256
)
declare -A KEYPID=()
for name in "${!KEYTYPE[@]}"; do
	t=${KEYTYPE[$name]}
	case $t in
	RSA:*) opts=(-algorithm RSA -pkeyopt "rsa_keygen_bits:${t#RSA:}") ;;
	*) opts=(-algorithm EC -pkeyopt "ec_paramgen_curve:$t"
		-pkeyopt ec_param_enc:named_curve) ;;
	esac
	openssl genpkey "${opts[@]}" -out "$d/$name.key" \
		>"$w/$name.keylog" 2>&1 &
	KEYPID[$name]=$!
done
for name in "${!KEYPID[@]}"; do
	if ! wait "${KEYPID[$name]}"; then
		echo "mkpki.sh: error: key generation of $name failed:" >&2
		cat "$w/$name.keylog" >&2
		exit 1
	fi
done

# ---- CA configuration ---------------------------------------------
# Times (UTC, GeneralizedTime; OpenSSL writes UTCTime before 2050).
ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
YEAR_AGO=$(ts '1 year ago')
CA_END=$(ts '29 years')     # 30 years from YEAR_AGO
LEAF_END=$(ts '19 years')   # 20 years from YEAR_AGO
CRL_LAST=$(ts '1 hour ago')
CRL_NEXT=$(ts '30 days')

# One serial counter for all CAs: serials are unique across the PKI.
echo 1001 >"$w/serial"

# ca_conf CA: the openssl ca configuration and database of CA.
ca_conf() {
	local dir=$w/$1
	mkdir -p "$dir/new"
	: >"$dir/index.txt"
	echo 01 >"$dir/crlnumber"
	cat >"$dir/ca.cnf" <<CNF
[ ca ]
default_ca = CA_default

[ CA_default ]
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $w/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_cn
unique_subject = no
email_in_dn = no
copy_extensions = none
crl_extensions = crl_ext

[ policy_cn ]
commonName = supplied

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_int ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_sign ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_noeku ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_selfsigned ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash

[ crl_ext ]
authorityKeyIdentifier = keyid:always
CNF
}

# cert NAME ISSUER EXT START END CN: NAME.pem from NAME.key, signed by
# ISSUER ("self": self-signed; it also becomes a CA with a database).
cert() {
	local name=$1 issuer=$2 ext=$3 start=$4 end=$5 cn=$6
	ossl req -new -key "$d/$name.key" -subj "/CN=$cn" -out "$w/$name.csr"
	if [ "$issuer" = self ]; then
		ca_conf "$name"
		ossl ca -batch -notext -config "$w/$name/ca.cnf" -selfsign \
			-keyfile "$d/$name.key" -extensions "$ext" \
			-startdate "$start" -enddate "$end" \
			-in "$w/$name.csr" -out "$d/$name.pem"
	else
		ossl ca -batch -notext -config "$w/$issuer/ca.cnf" \
			-cert "$d/$issuer.pem" -keyfile "$d/$issuer.key" \
			-extensions "$ext" -startdate "$start" -enddate "$end" \
			-in "$w/$name.csr" -out "$d/$name.pem"
	fi
}

# crl CA OUT: the current CRL of CA.
crl() {
	ossl ca -batch -config "$w/$1/ca.cnf" -gencrl \
		-cert "$d/$1.pem" -keyfile "$d/$1.key" \
		-crl_lastupdate "$CRL_LAST" -crl_nextupdate "$CRL_NEXT" \
		-out "$d/$2"
}

# ---- certificates -------------------------------------------------
cert root-ca self v3_ca "$YEAR_AGO" "$CA_END" "supkit test root CA"
cert int-ca root-ca v3_int "$YEAR_AGO" "$CA_END" "supkit test intermediate CA"
ca_conf int-ca

leaf() { cert "$1" int-ca "$2" "${4:-$YEAR_AGO}" "${5:-$LEAF_END}" "$3"; }
leaf signer-ec256 v3_sign "supkit test signer EC256"
leaf signer-ec384 v3_sign "supkit test signer EC384"
leaf signer-rsa v3_sign "supkit test signer RSA2048"
leaf signer-rsa3072 v3_sign "supkit test signer RSA3072"
leaf expired v3_sign "supkit test signer expired" \
	20200101000000Z 20210101000000Z
leaf notyet v3_sign "supkit test signer not yet valid" \
	20980101000000Z 20990101000000Z
leaf revoked v3_sign "supkit test signer revoked"
leaf server v3_server "supkit test server"
leaf noeku v3_noeku "supkit test signer without EKU"
leaf weak-rsa1024 v3_sign "supkit test signer RSA1024"

cert selfsigned self v3_selfsigned "$YEAR_AGO" "$LEAF_END" \
	"supkit test self-signed signer"

cert other-ca self v3_ca "$YEAR_AGO" "$CA_END" "supkit test other CA"
cert other-signer other-ca v3_sign "$YEAR_AGO" "$LEAF_END" \
	"supkit test other signer"
cert old-ca self v3_ca "$YEAR_AGO" "$CA_END" "supkit test release CA 2025"
cert old-signer old-ca v3_sign "$YEAR_AGO" "$LEAF_END" \
	"supkit test release signer 2025"
cert new-ca self v3_ca "$YEAR_AGO" "$CA_END" "supkit test release CA 2027"
cert new-signer new-ca v3_sign "$YEAR_AGO" "$LEAF_END" \
	"supkit test release signer 2027"

# ---- CRLs ---------------------------------------------------------
crl int-ca crl-empty.pem
ossl ca -batch -config "$w/int-ca/ca.cnf" -cert "$d/int-ca.pem" \
	-keyfile "$d/int-ca.key" -revoke "$d/revoked.pem" \
	-crl_reason keyCompromise
crl int-ca crl.pem
crl root-ca crl-root.pem
cat "$d/crl.pem" "$d/crl-root.pem" >"$d/crl-full.pem"

# ---- keyrings and chains ------------------------------------------
cp "$d/int-ca.pem" "$d/chain.pem"
cp "$d/root-ca.pem" "$d/keyring.pem"
cp "$d/int-ca.pem" "$d/keyring-int.pem"
cp "$d/selfsigned.pem" "$d/keyring-selfsigned.pem"
cp "$d/old-ca.pem" "$d/keyring-old.pem"
cp "$d/new-ca.pem" "$d/keyring-new.pem"
cat "$d/old-ca.pem" "$d/new-ca.pem" >"$d/keyring-both.pem"

rm -rf "$w"
chmod 0755 "$d"
touch "$d/.done"

# ---- into place ---------------------------------------------------
if [ -e "$out" ] || [ -L "$out" ]; then
	old=$(mktemp -u "$parent/.$base.old.XXXXXX")
	mv -T "$out" "$old"
fi
mv -T "$tmp" "$out"
