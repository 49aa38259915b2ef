#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_example_plugin.sh - the SDK example plugin (marker.so, built out of
# tree against the installed SDK by the sdk.example test) loads through
# --plugin-dir and runs: marker.write writes its text under the root.
. "$(dirname "$0")/lib.sh"

MARKER="$SUP_EXAMPLE_DIR/marker.so"

section "example plugin"
if [ -z "$SUP_EXAMPLE_DIR" ] || [ ! -f "$MARKER" ]; then
	fail "no example plugin (run the sdk.example test first)" \
		"\$SUP_EXAMPLE_DIR/marker.so" "'$MARKER' does not exist"
	finish
fi
pass "found $MARKER"

sup plugins --plugin-dir "$SUP_EXAMPLE_DIR" --json
expect_exit 0 "sup plugins"
cp "$T/out" plugins.json
assert_json plugins.json '[(p["name"], p["types"]) for p in d]' \
	'[["marker", ["marker.write"]]]'

pkg "$T/marker.sup" <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "marker-demo", "version": "1.0" },
    "actions": [
      { "id": "dir", "type": "file.mkdir", "params": { "path": "/etc/acme" } },
      { "id": "stamp", "type": "marker.write",
        "params": { "path": "/etc/acme/release", "text": "2.4.1 from the example" } } ] } }
EOF
R=$(new_root root)
sup install "$T/marker.sup" --root "$R" --plugin-dir "$SUP_EXAMPLE_DIR" \
	--plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install"
assert_content "$R/etc/acme/release" $'2.4.1 from the example\n'
assert_mode "$R/etc/acme/release" 644
C=$(confirmation "$R")
assert_json "$C" 'd["result"]' "succeeded"
assert_json "$C" 'd["actions"][1]["plugin"]' "marker"
assert_json "$C" 'd["actions"][1]["plugin_version"] is not None' "true"
assert_json "$C" 'd["actions"][1]["status"]' "succeeded"

section "example plugin check"
pkg "$T/marker-bad.sup" <<'EOF'
{ "manifest": { "sup_format": 1,
    "package": { "name": "marker-bad", "version": "1.0" },
    "actions": [
      { "id": "stamp", "type": "marker.write",
        "params": { "path": "relative/release", "text": "x" } } ] } }
EOF
R=$(new_root root-bad)
take_snapshot "$R" bad
sup install "$T/marker-bad.sup" --root "$R" --plugin-dir "$SUP_EXAMPLE_DIR"
expect_exit 4 "install with a relative path"
assert_stderr "action 'stamp': check failed: parameter 'path' must be an absolute gateway path, got 'relative/release'"
assert_unchanged "$R" bad "root"

finish
