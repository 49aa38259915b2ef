#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_strict_json.sh - a signed manifest means one thing to every reader
# (issue 7): manifests that are not strict RFC 8259 JSON are refused with
# exit 3 even when correctly signed (the exact bad text is signed), before
# anything runs: NaN, Infinity, -Infinity, a raw control character in a
# string, "1.", lone surrogates, duplicate keys (top level, nested, in
# params, in package, spelled with an escape) and single quotes (a key: the
# strict check; a value: json-c's own refusal). A manifest that is both
# unsigned and not strict is refused as unsigned: it is never parsed.
. "$(dirname "$0")/lib.sh"

R=$(new_root gw)
mkdir -p "$T/marks"

# manifest_text NAME X [TEMPLATE]: the manifest text of package NAME: the
# template (default: $BASE) with @X@ replaced by X and @M@ by the trace
# file $T/marks/NAME of its one action.
BASE='{"sup_format": 1, "package": {"name": "strict", "version": "1.0"}, "x": @X@, "payloads": {}, "actions": [{"id": "trace", "type": "exec.command", "params": {"argv": ["/usr/bin/touch", "@M@"]}}]}'
manifest_text() {
	local t=${3:-$BASE}
	t=${t//@M@/"$T/marks/$1"}
	printf '%s' "${t//@X@/"$2"}"
}

# strict_pkg NAME X [TEMPLATE]: $T/NAME.sup with that manifest text, signed
# by the default signer over exactly these bytes.
strict_pkg() {
	manifest_text "$@" >"$T/$1.manifest"
	python3 - "$T/$1.manifest" >"$T/$1.json" <<'EOF'
import json, sys
print(json.dumps({"manifest_text": open(sys.argv[1], encoding="utf-8").read()}))
EOF
	mksup "$T/$1.json" -o "$T/$1.sup" || exit 2
	cmp -s <(sup_member "$T/$1.sup" manifest.json) "$T/$1.manifest" ||
		{ echo "e2e: error: $1.sup does not hold the manifest as written" >&2; exit 2; }
}

# not_strict NAME X WHY [TEMPLATE]: the package of X is refused by sup
# install with "manifest.json: not strict JSON: WHY" (see refused_install),
# and sup inspect shows why although its signature is valid.
not_strict() {
	section "$1"
	strict_pkg "$1" "$2" "${4:-$BASE}"
	refused_install 3 "sup: error: manifest.json: not strict JSON: $3" "$T/$1.sup"
	sup inspect "$T/$1.sup" --keyring "$(pki keyring.pem)" --json
	expect_exit 3 "sup inspect $1.sup"
	cp "$T/out" "$T/$1.inspect.json"
	assert_json "$T/$1.inspect.json" 'd["signature"]["status"]' "verified"
	assert_json "$T/$1.inspect.json" '(len(d["problems"]), d["manifest"])' '[1, null]'
	assert_json "$T/$1.inspect.json" 'd["problems"][0]' "manifest.json: not strict JSON: $3"
}

section "control: the same manifest, strict"
strict_pkg control 1
sup install "$T/control.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install control.sup"
assert_file "$T/marks/control"
assert_json "$(confirmation "$R")" 'd["result"]' "succeeded"

X=$(manifest_text probe @X@ | python3 -c 'import sys; print(sys.stdin.read().index("@X@"))')
not_strict nan NaN "at byte $X: bare word 'NaN', only true, false and null are allowed"
not_strict infinity Infinity "at byte $X: bare word 'Infinity', only true, false and null are allowed"
not_strict minus-infinity -Infinity "at byte $X: '-Infinity' is not a number"
not_strict raw-tab $'"a\tb"' "at byte $((X + 2)): raw control character 0x09 in string"
not_strict raw-newline $'"a\nb"' "at byte $((X + 2)): raw control character 0x0a in string"
not_strict one-dot '1.' "at byte $X: invalid number '1.': digit expected after '.'"
not_strict lone-surrogate '"\ud800"' "at byte $((X + 1)): high surrogate \\ud800 not followed by a low surrogate"
not_strict lone-low-surrogate '"a\udc00"' "at byte $((X + 2)): low surrogate \\udc00 without a high surrogate before it"
not_strict dup-nested '{"a": 1, "b": {"c": 1, "c": 2}}' "x.b: duplicate key 'c'"

# Two readers, two programs: the first "actions" is empty, the second runs.
not_strict dup-top 1 "(top level): duplicate key 'actions'" \
	'{"sup_format": 1, "package": {"name": "strict", "version": "1.0"}, "payloads": {}, "actions": [], "actions": [{"id": "trace", "type": "exec.command", "params": {"argv": ["/usr/bin/touch", "@M@"]}}]}'
not_strict dup-params 1 "actions[0].params: duplicate key 'argv'" \
	'{"sup_format": 1, "package": {"name": "strict", "version": "1.0"}, "payloads": {}, "actions": [{"id": "trace", "type": "exec.command", "params": {"argv": ["/usr/bin/touch", "@M@"], "argv": ["/bin/true"]}}]}'
not_strict dup-escaped 1 "actions[0].params: duplicate key 'argv'" \
	'{"sup_format": 1, "package": {"name": "strict", "version": "1.0"}, "payloads": {}, "actions": [{"id": "trace", "type": "exec.command", "params": {"argv": ["/bin/true"], "arg\u0076": ["/usr/bin/touch", "@M@"]}}]}'
not_strict dup-package 1 "package: duplicate key 'version'" \
	'{"sup_format": 1, "package": {"name": "strict", "version": "1.0", "version": "9.9"}, "payloads": {}, "actions": [{"id": "trace", "type": "exec.command", "params": {"argv": ["/usr/bin/touch", "@M@"]}}]}'

not_strict single-quoted-key 1 "at byte 1: single-quoted string" \
	"{'sup_format': 1, \"package\": {\"name\": \"strict\", \"version\": \"1.0\"}, \"payloads\": {}, \"actions\": [{\"id\": \"trace\", \"type\": \"exec.command\", \"params\": {\"argv\": [\"/usr/bin/touch\", \"@M@\"]}}]}"
# A single-quoted value: json-c's strict mode refuses it already, so the
# message is json-c's (still exit 3, still after the signature check).
section "single-quoted value"
strict_pkg single-quoted-value "'a'"
refused_install 3 "sup: error: manifest.json: invalid JSON at byte $X: unexpected character" \
	"$T/single-quoted-value.sup"

section "not strict and unsigned: refused as unsigned first"
python3 -c 'import json, sys; print(json.dumps({"manifest_text": open(sys.argv[1]).read(), "sign": False}))' \
	"$T/nan.manifest" | mksup - -o "$T/nan-unsigned.sup"
refused_install 3 "'$T/nan-unsigned.sup': unsigned: " "$T/nan-unsigned.sup"
assert_stderr_not "not strict JSON"

finish
