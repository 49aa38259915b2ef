#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_payload_resized.sh - a payload whose size changes after preflight.
# A local user who can write the SUP file rewrites, in place, the tar
# header of a payload that preflight verified so that it claims fewer or
# more bytes than the manifest declares. The payload stream counts what
# it hands out: fewer bytes fail at the stream's end ("N bytes of data,
# the manifest declares M"), more bytes fail as soon as they exceed the
# declared size ("more data than the M bytes the manifest declares"),
# before any of them reaches the plugin; the hash is not what catches
# either. Nothing is installed and no temporary is left. The resized
# payload goes to fixture.payload, which streams it when it runs; a type
# that stages (file.install, ABI 1.2) took its verified bytes before any
# action ran, and a rewrite afterwards changes nothing (last section).
. "$(dirname "$0")/lib.sh"

R=$(new_root gw)
SIZE=8192
head -c $SIZE /dev/urandom >"$T/data.bin"

# resize_action STEM DELTA: an exec.command action (to run first) that
# rewrites the ustar header of payload data.bin in $T/STEM.sup to claim
# SIZE+DELTA bytes (checksum recomputed), in place.
resize_action() {
	python3 - "$PYTHON" "$T/$1.sup" "$2" <<'PY'
import json, sys
code = (
    "import sys, tarfile\n"
    "path, delta = sys.argv[1], int(sys.argv[2])\n"
    "m = tarfile.open(path).getmember('data.bin')\n"
    "hdr = m.offset_data - 512\n"
    "with open(path, 'r+b') as f:\n"
    "    f.seek(hdr)\n"
    "    h = bytearray(f.read(512))\n"
    "    h[124:136] = b'%011o\\0' % (m.size + delta)\n"
    "    h[148:156] = b' ' * 8\n"
    "    h[148:156] = b'%06o\\0 ' % sum(h)\n"
    "    f.seek(hdr)\n"
    "    f.write(h)\n")
print(json.dumps({"id": "resize", "type": "exec.command",
                  "params": {"argv": [sys.argv[1], "-c", code, sys.argv[2],
                                      sys.argv[3]]}}))
PY
}

# resized_pkg STEM DELTA [TYPE]: $T/STEM.sup: the resize action, then
# data.bin to /opt/data.bin by TYPE (fixture.payload: streamed when it
# runs), and file.install of after.bin to /opt/after.bin: an entry follows
# data.bin, so a longer claim reads real bytes of the archive.
resized_pkg() {
	pkg "$T/$1.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "$1", "version": "1"},
  "actions": [$(resize_action "$1" "$2"),
              {"id": "data", "type": "${3:-fixture.payload}",
               "params": {"path": "/opt/data.bin"}, "payloads": ["data.bin"]},
              {"id": "after", "type": "file.install",
               "params": {"path": "/opt/after.bin"}, "payloads": ["after.bin"]}]},
 "entries": [{"name": "data.bin", "file": "$T/data.bin"},
             {"name": "after.bin", "repeat": {"text": "after", "count": 2000}}]}
EOF
}

# resized STEM DELTA MESSAGE: install; the action data fails with MESSAGE.
resized() {
	resized_pkg "$1" "$2"
	mkdir -p "$R/opt"
	sup install "$T/$1.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
		--plugin-dir "$SUP_FIXTURE_DIR/good"
	expect_exit 1 "install of the resized package"
	assert_stderr "$3"
	assert_stderr_not "sha256 mismatch"
	C=$(confirmation "$R")
	assert_json "$C" '[a["status"] for a in d["actions"]]' \
		'["succeeded", "failed", "skipped"]'
	assert_json_contains "$C" 'd["actions"][1]["error"]["message"]' "$3"
	assert_missing "$R/opt/data.bin"
	assert_eq "$(ls -A "$R/opt")" "" "no temporary file left in /opt"
}

section "the header claims fewer bytes after preflight"
resized shorter -1000 \
	"payload 'data.bin': $((SIZE - 1000)) bytes of data, the manifest declares $SIZE"

section "the header claims more bytes after preflight"
resized longer 1000 \
	"payload 'data.bin': more data than the $SIZE bytes the manifest declares"

section "staged: a resize after staging changes nothing"
resized_pkg staged -1000 file.install
sup install "$T/staged.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install"
assert_same_file "$R/opt/data.bin" "$T/data.bin"
rm -f "$R/opt/data.bin" "$R/opt/after.bin"

section "unchanged, the same package installs"
resized_pkg same 0
sup install "$T/same.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
	--plugin-dir "$SUP_FIXTURE_DIR/good"
expect_exit 0 "install"
assert_same_file "$R/opt/data.bin" "$T/data.bin"
assert_eq "$(head -c 10 "$R/opt/after.bin")" "afterafter" "the next payload"

finish
