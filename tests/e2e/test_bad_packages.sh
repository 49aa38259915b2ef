#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_bad_packages.sh - every kind of bad package is refused by preflight
# with the documented exit code (3 malformed, 4 not installable here), a
# message that names what is wrong and where, and a root left byte for
# byte as it was (no var/log/supkit either). --record-rejection is the one
# way a refused package leaves a trace.
. "$(dirname "$0")/lib.sh"

A_SHA=$(printf 'alpha\n' | sha256sum | cut -d' ' -f1)
B_SHA=$(printf 'bravo\n' | sha256sum | cut -d' ' -f1)
HEAD='"sup_format": 1, "package": {"name": "bad", "version": "1.0"}'
ACT_A='{"id": "a1", "type": "file.install", "params": {"path": "/opt/x/a.txt"}, "payloads": ["a.txt"]}'
ACT_B='{"id": "a2", "type": "file.install", "params": {"path": "/opt/x/b.txt"}, "payloads": ["b.txt"]}'
E_A='{"name": "a.txt", "data": "alpha\n"}'
E_B='{"name": "b.txt", "data": "bravo\n"}'
GOOD_MANIFEST="{ $HEAD, \"actions\": [$ACT_A, $ACT_B] }"

# mkbad NAME MANIFEST ENTRIES [MORE_SPEC]: $T/NAME.sup from a manifest
# (JSON), the entries (a JSON list) and more spec fields (",...").
mkbad() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": $2, "entries": $3 ${4:-} }
EOF
}

# A root with some content, fresh for each case.
make_root() {
	R=$(new_root root)
	mkdir -p "$R/etc" "$R/opt/x"
	echo "keep" >"$R/etc/keep.conf"
	echo "old a" >"$R/opt/x/a.txt"
	ln -s keep.conf "$R/etc/link"
}

# refused NAME CODE MESSAGE [INSTALL_ARGS...]: installing $T/NAME.sup
# exits CODE, says MESSAGE on stderr and leaves the root unchanged.
refused() {
	local name=$1 code=$2 msg=$3
	shift 3
	section "$name"
	make_root
	take_snapshot "$R" "$name"
	sup install "$T/$name.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" "$@"
	expect_exit "$code" "install $name.sup"
	assert_stderr "$msg"
	assert_stderr "'$T/$name.sup' was not installed:"
	assert_stderr "nothing was changed"
	assert_unchanged "$R" "$name" "root"
	assert_missing "$R/var"
}

# ---- positive control -----------------------------------------------
section "control"
mkbad good "$GOOD_MANIFEST" "[$E_A, $E_B]"
make_root
sup install "$T/good.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install of the unbroken package"
assert_content "$R/opt/x/b.txt" $'bravo\n'

# ---- not a SUP at all -----------------------------------------------
echo "this is not a tar archive, just text" >"$T/not-a-tar.sup"
refused not-a-tar 3 "$T/not-a-tar.sup: not a SUP file: Unrecognized archive format"
sup inspect "$T/not-a-tar.sup"
expect_exit 3 "inspect not-a-tar.sup"

: >"$T/empty.sup"
refused empty 3 "$T/empty.sup: not a SUP file"

# Cut inside the second payload's data, and inside the manifest entry.
off=$(python3 -c 'import sys, tarfile; print([m.offset_data for m in tarfile.open(sys.argv[1]) if m.name == "b.txt"][0])' "$T/good.sup")
head -c $((off + 3)) "$T/good.sup" >"$T/truncated.sup"
refused truncated 3 "$T/truncated.sup: payload 'b.txt': Truncated"
head -c 700 "$T/good.sup" >"$T/truncated-manifest.sup"
refused truncated-manifest 3 \
	"$T/truncated-manifest.sup: cannot read manifest.json: Truncated tar archive"

# ---- the manifest entry ---------------------------------------------
mkbad manifest-not-first "$GOOD_MANIFEST" "[$E_A, {\"manifest\": true}, $E_B]"
refused manifest-not-first 3 \
	"$T/manifest-not-first.sup: first entry is 'a.txt', expected manifest.json"

pkg "$T/invalid-json.sup" <<EOF
{ "manifest_text": "{ ${HEAD//\"/\\\"}, \"actions\": [ }",
  "entries": [$E_A, $E_B] }
EOF
refused invalid-json 3 "manifest.json: invalid JSON at byte"

python3 - "$HEAD" "$ACT_A" "$ACT_B" "$E_A" "$E_B" >"$T/huge.json" <<'EOF'
import json, sys
head, a, b, ea, eb = sys.argv[1:]
text = '{ %s, "pad": "%s", "actions": [%s, %s] }' % (head, "x" * (1 << 20), a, b)
print(json.dumps({"manifest_text": text,
                  "entries": [json.loads(ea), json.loads(eb)]}))
EOF
mksup "$T/huge.json" -o "$T/manifest-too-big.sup"
HUGE=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["manifest_text"].encode()))' "$T/huge.json")
refused manifest-too-big 3 \
	"$T/manifest-too-big.sup: manifest.json is $HUGE bytes, the limit is 1048576"

deep=$(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))
mkbad too-deep "{ $HEAD, \"deep\": $deep, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A, $E_B]"
refused too-deep 3 "manifest.json: JSON nested deeper than 32 levels"

mkbad format-2 '{ "sup_format": 2, "package": {"name": "bad", "version": "1.0"}, "actions": [] }' \
	"[$E_A]"
refused format-2 3 \
	"manifest.json: sup_format: unsupported format 2, this installer reads 1"

# ---- manifest semantics ---------------------------------------------
mkbad duplicate-id "{ $HEAD, \"actions\": [$ACT_A, ${ACT_B/a2/a1}] }" \
	"[$E_A, $E_B]"
refused duplicate-id 3 \
	"manifest.json: actions[1].id: duplicate id 'a1', also used by actions[0]"

mkbad unknown-payload "{ $HEAD, \"actions\": [$ACT_A, ${ACT_B/b.txt\"]/x\"]}] }" \
	"[$E_A, $E_B]" ', "payload_table": true'
refused unknown-payload 3 \
	"manifest.json: actions[1].payloads[0]: unknown payload 'x'"

mkbad unused-payload "{ $HEAD, \"payloads\": {\"a.txt\": {}, \"b.txt\": {}, \"c.txt\": {}}, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A, $E_B, {\"name\": \"c.txt\", \"data\": \"charlie\n\"}]"
refused unused-payload 3 "manifest.json: payloads.c.txt: not used by any action"

mkbad dotdot-name "{ $HEAD, \"actions\": [${ACT_A/\"a.txt\"/\"../a.txt\"}] }" \
	'[{"name": "../a.txt", "data": "alpha\n"}]'
refused dotdot-name 3 "manifest.json: payloads: invalid payload name '../a.txt'"
assert_stderr "manifest.json: actions[0].payloads[0]: invalid payload name '../a.txt'"

# ---- archive entries against the manifest ---------------------------
mkbad missing-payload "{ $HEAD, \"payloads\": {\"a.txt\": {}, \"b.txt\": {\"size\": 6, \"sha256\": \"$B_SHA\"}}, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A]"
refused missing-payload 3 "$T/missing-payload.sup: payload 'b.txt' is missing from the archive"

mkbad extra-entry "{ $HEAD, \"payloads\": {\"a.txt\": {}, \"b.txt\": {}}, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A, $E_B, {\"name\": \"extra.txt\", \"data\": \"extra\n\"}]"
refused extra-entry 3 \
	"$T/extra-entry.sup: archive entry 'extra.txt' is not a payload declared in the manifest"

mkbad duplicate-entry "$GOOD_MANIFEST" "[$E_A, $E_B, $E_B]"
refused duplicate-entry 3 "$T/duplicate-entry.sup: payload 'b.txt' appears twice in the archive"

for kind in symlink hardlink dir fifo chardev; do
	mkbad "payload-$kind" "{ $HEAD, \"payloads\": {\"a.txt\": {\"size\": 6, \"sha256\": \"$A_SHA\"}, \"b.txt\": {}}, \"actions\": [$ACT_A, $ACT_B] }" \
		"[{\"name\": \"a.txt\", \"type\": \"$kind\", \"target\": \"manifest.json\"}, $E_B]"
	if [ "$kind" = dir ]; then
		# A directory entry is named "a.txt/" in the archive (as
		# tar writes directories): it is no payload at all.
		refused "payload-$kind" 3 \
			"$T/payload-$kind.sup: archive entry 'a.txt/' is not a payload declared in the manifest"
	else
		refused "payload-$kind" 3 \
			"$T/payload-$kind.sup: payload 'a.txt' is not a regular file (links, devices and directories are refused)"
	fi
	assert_stderr "$T/payload-$kind.sup: payload 'a.txt' is missing from the archive"
done

mkbad size-mismatch "{ $HEAD, \"payloads\": {\"a.txt\": {\"size\": 5}, \"b.txt\": {}}, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A, $E_B]"
refused size-mismatch 3 \
	"$T/size-mismatch.sup: payload 'a.txt': archive entry is 6 bytes, the manifest says 5"

mkbad sha-mismatch "{ $HEAD, \"payloads\": {\"a.txt\": {\"sha256\": \"$B_SHA\"}, \"b.txt\": {}}, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A, $E_B]"
refused sha-mismatch 3 \
	"$T/sha-mismatch.sup: payload 'a.txt': sha256 mismatch: the manifest says $B_SHA, the data hashes to $A_SHA"
sup inspect "$T/sha-mismatch.sup"
expect_exit 3 "inspect sha-mismatch.sup"
assert_stdout "verification: FAILED"

mkbad out-of-order "$GOOD_MANIFEST" "[$E_B, $E_A]"
refused out-of-order 3 \
	"$T/out-of-order.sup: payload 'a.txt' is out of order: payloads must follow the order in which actions first use them"

# A real signature as entry 2 and a second manifest.sig further on.
mkbad sig-misplaced "$GOOD_MANIFEST" \
	"[{\"signature\": true}, $E_A, {\"name\": \"manifest.sig\", \"data\": \"sig\"}, $E_B]"
refused sig-misplaced 3 \
	"$T/sig-misplaced.sup: manifest.sig is archive entry 4; it may only be entry 2"
assert_stderr_not "is not a payload declared in the manifest"

# The only manifest.sig is entry 3: the package is unsigned (entry 2 is
# where a signature is looked for), refused before anything else.
mkbad sig-late "$GOOD_MANIFEST" \
	"[$E_A, {\"name\": \"manifest.sig\", \"data\": \"sig\"}, $E_B]"
refused sig-late 3 "'$T/sig-late.sup': unsigned: "

# Entry 2 is manifest.sig, but not a signature at all.
mkbad sig-junk "$GOOD_MANIFEST" "[$E_A, $E_B]" ', "sign": {"der_hex": "736967"}'
refused sig-junk 3 "'$T/sig-junk.sup': signature is not a DER CMS structure"

section "manifest.sig as entry 2 (control)"
mkbad sig-ok "$GOOD_MANIFEST" "[{\"signature\": true}, $E_A, $E_B]"
assert_eq "$(python3 -c 'import sys, tarfile; print(" ".join(tarfile.open(sys.argv[1]).getnames()))' "$T/sig-ok.sup")" \
	"manifest.json manifest.sig a.txt b.txt" "archive entries of sig-ok.sup"
sup inspect "$T/sig-ok.sup" --keyring "$(pki keyring.pem)"
expect_exit 0 "inspect sig-ok.sup"
assert_stdout "signature:    verified"
assert_stdout "verification: ok"
make_root
sup install "$T/sig-ok.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" --dry-run
expect_exit 0 "dry-run of a package with manifest.sig as entry 2"

# ---- valid, but not installable here (exit 4) -----------------------
mkbad unknown-type "{ $HEAD, \"actions\": [$ACT_A, {\"id\": \"u\", \"type\": \"nosuch.thing\"}] }" \
	"[$E_A]"
refused unknown-type 4 "action 'u': no enabled plugin handles type 'nosuch.thing'"

mkbad product "{ $HEAD, \"compatibility\": {\"products\": [\"acme-*\"]}, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A, $E_B]"
refused product 4 "package 'bad' is for products 'acme-*', not for 'other-gw'" \
	--product other-gw
refused product 4 "package 'bad' is for products 'acme-*', and this gateway's product type is unknown"
section "product (control)"
make_root
sup install "$T/product.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
	--product acme-gw1 --dry-run
expect_exit 0 "dry-run with a matching --product"

mkbad min-installer "{ $HEAD, \"compatibility\": {\"min_installer\": \"1.1\"}, \"actions\": [$ACT_A, $ACT_B] }" \
	"[$E_A, $E_B]"
refused min-installer 4 "package 'bad' needs installer 1.1 or newer, this is 1.0"

mkbad unknown-param "{ $HEAD, \"actions\": [${ACT_A/\"params\": \{/\"params\": \{\"colour\": \"red\", }, $ACT_B] }" \
	"[$E_A, $E_B]"
refused unknown-param 4 \
	"action 'a1': unknown parameter 'colour' for type 'file.install' (accepted: path, mode, owner, group)"

mkbad param-type "{ $HEAD, \"actions\": [${ACT_A/\"\/opt\/x\/a.txt\"/42}, $ACT_B] }" \
	"[$E_A, $E_B]"
refused param-type 4 \
	"action 'a1': check failed: parameter 'path': expected a string, got an integer"

mkbad dotdot-target "{ $HEAD, \"actions\": [${ACT_A/\/opt\/x\/a.txt/\/opt\/..\/etc\/keep.conf}, $ACT_B] }" \
	"[$E_A, $E_B]"
refused dotdot-target 4 \
	"action 'a1': check failed: path '/opt/../etc/keep.conf': '..' components are not allowed"

mkbad payload-count "{ $HEAD, \"actions\": [$ACT_A, {\"id\": \"n\", \"type\": \"file.install\", \"params\": {\"path\": \"/opt/x/n\"}},
  {\"id\": \"c\", \"type\": \"exec.command\", \"params\": {\"argv\": [\"/bin/true\"]}, \"payloads\": [\"b.txt\"]}] }" \
	"[$E_A, $E_B]"
refused payload-count 4 "action 'n': type 'file.install' takes exactly 1 payload, 0 given"
assert_stderr "action 'c': type 'exec.command' takes exactly 0 payloads, 1 given"

# ---- several problems, all reported ---------------------------------
MULTI="{ $HEAD, \"compatibility\": {\"products\": [\"acme-*\"]}, \"actions\": [
  {\"id\": \"u\", \"type\": \"nosuch.thing\"},
  {\"id\": \"m\", \"type\": \"file.mkdir\", \"params\": {\"path\": \"/opt/y\", \"colour\": \"red\"}},
  $ACT_A ] }"
mkbad multi "$MULTI" "[$E_A]"
refused multi 4 "3 problems found" --product other-gw
assert_stderr "package 'bad' is for products 'acme-*', not for 'other-gw'"
assert_stderr "action 'u': no enabled plugin handles type 'nosuch.thing'"
assert_stderr "action 'm': unknown parameter 'colour' for type 'file.mkdir'"
assert_eq "$(grep -c '^sup: error: ' "$T/err")" "4" \
	"stderr lines: 3 problems and the summary"

section "--record-rejection"
make_root
take_snapshot "$R" rejection
sup install "$T/multi.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
	--product other-gw --record-rejection
expect_exit 4 "install multi.sup --record-rejection"
C=$(confirmation "$R")
assert_file "$C"
assert_json_parses "$C"
assert_json "$C" 'd["result"]' "rejected"
assert_json "$C" 'd["product"]' "other-gw"
assert_json "$C" 'd["package"]["name"]' "bad"
assert_json "$C" 'd["package"]["sha256"]' "$(sha256 "$T/multi.sup")"
assert_json "$C" 'd["finished"] is not None' "true"
assert_json "$C" 'len(d["problems"])' "3"
assert_json "$C" 'd["problems"][0]' \
	"package 'bad' is for products 'acme-*', not for 'other-gw'"
assert_json "$C" 'any("nosuch.thing" in p for p in d["problems"])' "true"
assert_json "$C" 'any("colour" in p for p in d["problems"])' "true"
assert_json "$C" 'd["error"]["code"]' "preflight_failed"
assert_json "$C" 'd["error"]["message"] == d["problems"][0]' "true"
assert_json "$C" '[a["status"] for a in d["actions"]]' '["pending", "pending", "pending"]'
assert_json "$C" '[a["plugin"] for a in d["actions"]]' '[null, "file", "file"]'
snapshot "$R" | grep -v -e '^\./var[/	]' >"$T/rejection.after"
if cmp -s "$T/rejection.snap" "$T/rejection.after"; then
	pass "only the record (and the installer lock) was added to the root"
else
	fail "the root changed beyond the record" "no difference" \
		"$(diff "$T/rejection.snap" "$T/rejection.after" | head)"
fi
# The lock makes sure no install was pending or running when the record was
# written.
assert_eq "$(cd "$R" && find var | sort | tr '\n' ' ')" \
	"var var/lib var/lib/supkit var/lib/supkit/lock var/log var/log/supkit var/log/supkit/audit.jsonl var/log/supkit/confirmation.json " \
	"what --record-rejection created"

section "--json of a rejected package"
make_root
sup install "$T/multi.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
	--product other-gw --json
expect_exit 4 "install multi.sup --json"
assert_eq "$(wc -c <"$T/out")" "0" "bytes on stdout"

section "--record-rejection of a corrupt package"
make_root
sup install "$T/sha-mismatch.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
	--record-rejection
expect_exit 3 "install sha-mismatch.sup --record-rejection"
C=$(confirmation "$R")
assert_json "$C" 'd["result"]' "rejected"
assert_json "$C" 'd["package"]["sha256"]' "null"
assert_json_contains "$C" 'd["problems"][0]' "sha256 mismatch"

finish
