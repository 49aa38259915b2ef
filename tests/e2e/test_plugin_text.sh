#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_plugin_text.sh - text that plugins repeat from a package reaches the
# operator's terminal escaped: parameter values with terminal escape
# sequences, C1 controls and invalid UTF-8 in plugin log lines, in a
# failure printed by the host, in the problems of a failed check, and in
# `sup plugins`. confirmation.json keeps the original text (JSON-escaped).
# And the messages themselves: a check reports all its problems at once,
# and the host's parameter errors do not repeat the action id.
. "$(dirname "$0")/lib.sh"

PLUGINS=(--plugin-dir "$SUP_FIXTURE_DIR/noisy" --plugin-dir "$SUP_PLUGIN_DIR")
ESC=$'\e'

# mkpkg NAME ACTIONS: $T/NAME.sup with the given actions (a JSON list).
mkpkg() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "$1", "version": "1.0" },
    "actions": $2 } }
EOF
}

# no_raw_controls WHAT FILE: FILE holds no C0 control but newline, no DEL
# and no C1 control (U+0080..U+009F as UTF-8).
no_raw_controls() {
	local found
	found=$(python3 - "$2" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
bad = [b for b in data if (b < 0x20 and b != 0x0a) or b == 0x7f]
bad += [1 for i in range(len(data) - 1)
        if data[i] == 0xc2 and 0x80 <= data[i + 1] <= 0x9f]
print(len(bad))
EOF
)
	if [ "$found" = 0 ]; then
		pass "$1: no raw control character"
	else
		fail "$1: raw control characters reach the terminal" "0" \
			"$found: $(head -c 600 "$2" | od -c | head -n 8)"
	fi
}

# The parameter value: clear the screen, set the window title, a CSI as
# a C1 control, UTF-8 text that must stay readable, a backslash, a tab.
TEXT='\u001b[2J\u001b]0;owned\u0007 \u009b31m caf\u00e9 \\ \t end'
SHOWN='said: \x1b[2J\x1b]0;owned\x07 \u009b31m café \ \t end'

# ---- log lines -----------------------------------------------------
section "plugin log lines"
mkpkg log "[{\"id\": \"say\", \"type\": \"noisy.log\", \"params\": {\"text\": \"$TEXT\"}}]"
R=$(new_root root-log)
C=$(confirmation "$R")
sup install "$T/log.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_stderr "sup: say: noisy: info: $SHOWN"
assert_stderr "sup: say: noisy: warning: $SHOWN"
no_raw_controls "stderr" "$T/err"
# The record keeps what the plugin output, byte for byte.
assert_json "$C" 'd["actions"][0]["output"] == "\u001b[2J\u001b]0;owned\u0007 \u009b31m caf\u00e9 \\ \t end"' "true"

# ---- failures --------------------------------------------------------
section "a later failure printed by the host"
mkpkg execfails '[{"id": "f", "type": "noisy.execfails", "params": {"a": "A", "b": "B\u001b[1m"}}]'
R=$(new_root root-execfails)
C=$(confirmation "$R")
sup install "$T/execfails.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 1 "install"
# The first failure is the action's error; the host prints the second.
assert_stderr "sup: f: failed: first: A"
assert_stderr "sup: f: noisy: error: second: B\x1b[1m"
no_raw_controls "stderr" "$T/err"
assert_json "$C" 'd["actions"][0]["error"]["message"]' "first: A"

section "the problems of a failed check"
mkpkg fails '[{"id": "f", "type": "noisy.fails", "params": {"a": "A", "b": "B\u001b[1m"}}]'
sup install "$T/fails.sup" --root "$(new_root root-fails)" "${PLUGINS[@]}" \
	--record-rejection
expect_exit 4 "install"
R="$T/root-fails"
C=$(confirmation "$R")
# Both problems of the check, escaped on the terminal.
assert_stderr "sup: error: action 'f': check failed: first: A; second: B\\x1b[1m"
no_raw_controls "stderr" "$T/err"
# The rejection record keeps the original.
assert_json "$C" 'd["result"]' "rejected"
assert_json "$C" 'd["problems"] == ["action '"'f'"': check failed: first: A; second: B\u001b[1m"]' "true"
assert_json_parses "$C"
# audit.jsonl is clean text (its own rules: a control becomes U+FFFD).
assert_true "audit.jsonl has no raw ESC" \
	bash -c "! grep -q \$'\\e' '$R/var/log/supkit/audit.jsonl'"

section "host parameter errors, all of them, without the action id"
mkpkg types '[{"id": "led", "type": "noisy.fails", "params": {"a": 1, "b": []}}]'
sup install "$T/types.sup" --root "$(new_root root-types)" "${PLUGINS[@]}"
expect_exit 4 "install"
assert_stderr "sup: error: action 'led': check failed: parameter 'a': expected a string, got an integer; parameter 'b': expected a string, got an array"
assert_stderr_not "check failed: action 'led'"
mkpkg missing '[{"id": "led", "type": "noisy.fails", "params": {}}]'
sup install "$T/missing.sup" --root "$(new_root root-missing)" "${PLUGINS[@]}"
expect_exit 4 "install"
assert_stderr "sup: error: action 'led': check failed: missing required parameter 'a'; missing required parameter 'b'"

# ---- sup plugins -----------------------------------------------------
section "sup plugins: a plugin directory with control characters"
D="$T/plugins${ESC}[2J"
mkdir -p "$D"
cp "$SUP_FIXTURE_DIR/noisy/noisy.so" "$D/noisy.so"
sup plugins --plugin-dir "$D"
expect_exit 0 "sup plugins"
assert_stdout "noisy 1.0.0  $T/plugins\\x1b[2J/noisy.so"
no_raw_controls "stdout" "$T/out"
# A refusal names the path: escaped as well.
chmod 0666 "$D/noisy.so"
sup plugins --plugin-dir "$D"
expect_exit 5 "sup plugins, world-writable plugin"
assert_stderr "cannot load plugin '$T/plugins\\x1b[2J/noisy.so': file is world-writable (mode 0666)"
no_raw_controls "stderr" "$T/err"

finish
