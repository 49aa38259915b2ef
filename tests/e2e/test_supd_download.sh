#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_download.sh - the download of a job's package: a transfer cut
# three times is resumed with Range requests, verified and installed; a
# wrong crc32 fails the job with code 3 after three tries and installs
# nothing; a file the portal does not have is code 3 at once; too little
# disk space is code 7, checked before downloading.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
R=$(new_root root)
C=$(confirmation "$R")
CONF="$T/supd.conf"
supd_conf "$CONF"
L="$T/simlog.json"

head -c 400000 /dev/urandom >"$T/big.bin"
package big.sup <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "big", "version": "1.0" },
    "actions": [
      { "id": "blob", "type": "file.install",
        "params": { "path": "/opt/big.bin", "mode": "0644" },
        "payloads": ["big.bin"] } ] },
  "entries": [ { "name": "big.bin", "file": "$T/big.bin" } ] }
EOF
SIZE=$(stat -c %s "$FILES/big.sup")

section "download cut three times, resumed"
sim_control "{\"faults\": [{\"type\": \"drop\", \"after\": $((SIZE / 5)), \"count\": 3}]}" >/dev/null
sim_enqueue "$(update_msg d-1 big.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of d-1)]" "[0]"
assert_json "$L" '[(x["status"], x["start"] > 0) for x in d["downloads"]]' \
	'[[200, false], [206, true], [206, true], [206, true]]'
assert_json "$L" '[x["start"] for x in d["downloads"]]' \
	"[0, $((SIZE / 5)), $((2 * (SIZE / 5))), $((3 * (SIZE / 5)))]"
assert_json "$L" 'sum(x["sent"] for x in d["downloads"])' "$SIZE"
# A new file id for every try.
assert_json "$L" 'len(set(x["fileId"] for x in d["downloads"]))' "4"
assert_json "$L" 'len([c for c in d["api"] if c["command"] == "file.get"])' "4"
assert_same_file "$R/opt/big.bin" "$T/big.bin"
assert_supd_log "resuming the download of 'big.sup' at byte $((SIZE / 5)) of $SIZE"

section "wrong crc32: code 3, nothing installed"
R=$(new_root root2)
C=$(confirmation "$R")
supd_conf "$CONF"
take_snapshot "$R" before
sim_control '{"faults": [{"type": "bad_crc", "file": "big.sup"}]}' >/dev/null
sim_enqueue "$(update_msg d-2 big.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_control '{"clear_faults": true}' >/dev/null
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of d-2)]" "[3]"
assert_json_contains "$L" "$(acks_of d-2)[0]['errorMessage']" \
	"download of 'big.sup' failed verification 3 times: crc32 of '$T/downloads/big.sup.part' is"
assert_json "$L" 'len([c for c in d["api"] if c["command"] == "file.get"])' "7"
assert_unchanged "$R" before "the root"
assert_eq "$(ls -A "$T/downloads")" "" "no partial or complete download left"
assert_json "$L" '[u for u in d["uploads"] if "d-2" in u["fileName"]]' "[]"

section "not on the portal: code 3"
sim_enqueue "$(update_msg d-3 missing.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of d-3)]" "[3]"
assert_json_contains "$L" "$(acks_of d-3)[0]['errorMessage']" \
	"the portal refused file.get of 'missing.sup'"
assert_json_contains "$L" "$(acks_of d-3)[0]['errorMessage']" "file not found"

section "not enough disk space: code 7"
SUPD_MIN_FREE_MB=1048576 supd_conf "$CONF"
sim_enqueue "$(update_msg d-4 big.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of d-4)]" "[7]"
assert_json_contains "$L" "$(acks_of d-4)[0]['errorMessage']" \
	"not enough space in '$T/downloads' for 'big.sup': $SIZE bytes to download"
assert_json_contains "$L" "$(acks_of d-4)[0]['errorMessage']" "1048576 MiB must stay free (min_free_mb)"
assert_json "$L" 'len(d["downloads"])' "7"

finish
