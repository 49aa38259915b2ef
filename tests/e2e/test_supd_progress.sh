#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_supd_progress.sh - download progress of a campaign job (issue 11,
# item 6): supd logs it and sends it to the portal as mailbox.update
# {"id", "msg"} notes, at most one per tenth of the file or per 30 s;
# the notes go out while the download runs (a second connection), and a
# portal that refuses them fails nothing.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/supd_lib.sh"

sim_start
CONF="$T/supd.conf"
L="$T/simlog.json"

head -c $((6 * 1024 * 1024)) /dev/urandom >"$T/big.bin"
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

# check_notes ID: the download notes of job ID in the simulator's log, as
# "ok N" (N notes), or what is wrong with them.
check_notes() {
	python3 - "$L" "$1" "$SIZE" <<'EOF'
import json, re, sys
log = json.load(open(sys.argv[1]))
job, size = sys.argv[2], int(sys.argv[3])
errors, notes = [], []
for u in log["updates"]:
    if u.get("id") != job:
        continue
    if set(u) != {"id", "msg", "at"} or not isinstance(u["msg"], str):
        errors.append("not {id, msg}: %r" % u)
        continue
    m = re.fullmatch(r"downloading 'big\.sup': (\d+)% \(([0-9.]+ [KMG]?i?B) of ([0-9.]+ MiB)\), "
                     r"[0-9.]+ [KMG]?i?B/s, ETA (\d+:\d\d|-:--)", u["msg"])
    if u["msg"].startswith("downloading 'big.sup': ") and not m:
        errors.append("malformed note: %r" % u["msg"])
    if m:
        notes.append((int(m.group(1)), u["at"]))
last_pct, last_at = -1, None
for pct, at in notes:
    if not 0 < pct < 100 or pct <= last_pct:
        errors.append("percent %d after %d" % (pct, last_pct))
    # A note enters a new tenth, or comes 30 s after the one before.
    if last_at is not None and pct // 10 <= last_pct // 10 and at - last_at < 29.5:
        errors.append("%d%% only %.1f s after %d%%" % (pct, at - last_at, last_pct))
    last_pct, last_at = pct, at
if len(notes) > 10:
    errors.append("%d notes" % len(notes))
print("; ".join(errors) if errors else "ok %d" % len(notes))
EOF
}

section "download notes: one per tenth, to the log and the portal"
R=$(new_root root)
supd_conf "$CONF"
sim_enqueue "$(update_msg p-1 big.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of p-1)]" "[0]"
assert_same_file "$R/opt/big.bin" "$T/big.bin"
N=$(check_notes p-1)
assert_true "notes well-formed and rate-limited ($N)" test "${N%% *}" = ok
# 6 MiB arrive in many blocks: several tenths are crossed on the way.
assert_true "at least 5 notes during the download ($N)" test "${N#ok }" -ge 5
assert_supd_log "job 'p-1': downloading 'big.sup': "
assert_true "the log has as many progress lines as the portal notes" \
	test "$(grep -c "job 'p-1': downloading 'big.sup': [0-9]*%" "$T/supd.log")" = "${N#ok }"
assert_supd_log "job 'p-1': downloaded 'big.sup' ($SIZE bytes"
assert_false "no note was refused" grep -q "progress note not sent" "$T/supd.log"

section "a stalled download: a note after 30 s within the same tenth"
R=$(new_root root2)
supd_conf "$CONF"
: >"$T/supd.log"
# 31 s without a byte after 12% of the file; supd waits 60 s for bytes.
sim_control "{\"faults\": [{\"type\": \"stall\", \"after\": $((SIZE * 12 / 100)), \"seconds\": 31}]}" >/dev/null
sim_enqueue "$(update_msg p-2 big.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of p-2)]" "[0]"
N=$(check_notes p-2)
assert_true "notes well-formed and rate-limited ($N)" test "${N%% *}" = ok
# The note entering 10% and, after the stall, one more in the same tenth.
python3 - "$L" <<'EOF2' && pass "a note 30 s after the last, within the tenth of the stall" ||
import json, re, sys
u = json.load(open(sys.argv[1]))["updates"]
n = [x for x in u if x["id"] == "p-2" and re.match(r"downloading 'big.sup': 1\d%", x["msg"])]
sys.exit(0 if len(n) == 2 and n[1]["at"] - n[0]["at"] >= 29.5 else 1)
EOF2
	fail "notes around the stall" "two in the tenth 10-19%, 30 s apart" \
		"$(grep "job 'p-2': downloading" "$T/supd.log")"

section "a portal that refuses mailbox.update: the job goes on"
R=$(new_root root3)
supd_conf "$CONF"
: >"$T/supd.log"
sim_control '{"faults": [{"type": "cmd_error", "command": "mailbox.update", "code": -90000, "message": "unknown command", "count": 1000}]}' >/dev/null
sim_enqueue "$(update_msg p-3 big.sup)" >/dev/null
supd_once "$CONF"
expect_exit 0 "supd --once"
sim_control '{"clear_faults": true}' >/dev/null
sim_log
assert_json "$L" "[a['errorCode'] for a in $(acks_of p-3)]" "[0]"
assert_supd_log "progress note not sent"
assert_same_file "$R/opt/big.bin" "$T/big.bin"

finish
