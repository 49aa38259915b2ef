#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_staging.sh - stage, then commit (issue 10, item 1). Every payload
# of a package is staged or verified before the first action runs: a bad
# payload in the last action leaves the root as it was (the installer's
# own directories included), actions before it never run; a payload
# rewritten in the .sup while the package is staged is never installed;
# staged data lives in the installer's private STATE_DIR/stage and is
# gone after the run, failed or not; a staged tree carries no special
# bit before its commit; a run killed while it stages leaves nothing
# pending and nothing behind.
. "$(dirname "$0")/lib.sh"

PLUGINS=(--plugin-dir "$SUP_FIXTURE_DIR/good" --plugin-dir "$SUP_PLUGIN_DIR")
head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/big.bin"

# data_offset SUP NAME: where the data of entry NAME starts in SUP.
data_offset() {
	python3 -c 'import sys, tarfile; print(tarfile.open(sys.argv[1]).getmember(sys.argv[2]).offset_data)' "$1" "$2"
}

# ---- a bad payload in the last action ---------------------------------
section "a bad payload in the last action leaves the root unchanged"
# The manifest promises other bytes for last.bin than the archive holds
# (the signature covers the manifest, so only the data disagrees). The
# actions before it would write a marker, install a file and make a
# directory: none of them runs.
R=$(new_root last-bad)
OTHER=$(printf 'other bytes\n' | sha256sum | cut -d' ' -f1)
pkg "$T/last-bad.sup" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "last-bad", "version": "1"},
  "payloads": {"first.bin": {}, "last.bin": {"sha256": "$OTHER"}},
  "actions": [
    {"id": "marker", "type": "exec.command",
     "params": {"argv": ["/bin/sh", "-c", "echo ran >'$R/ran'"]}},
    {"id": "first", "type": "file.install", "params": {"path": "/opt/app/first.bin"},
     "payloads": ["first.bin"]},
    {"id": "dir", "type": "file.mkdir", "params": {"path": "/opt/app/data"}},
    {"id": "last", "type": "file.install", "params": {"path": "/opt/app/last.bin"},
     "payloads": ["last.bin"]}]},
 "entries": [{"name": "first.bin", "file": "$T/big.bin"},
             {"name": "last.bin", "data": "the real bytes\n"}]}
JEOF
take_snapshot "$R" last-bad
sup install "$T/last-bad.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 3 "install"
assert_stderr "last-bad.sup: payload 'last.bin': sha256 mismatch"
assert_stderr "nothing was changed"
assert_stderr_not "[1/4]"
assert_unchanged "$R" last-bad "root (the installer's directories too)"

section "with --record-rejection, only the record is added"
sup install "$T/last-bad.sup" --root "$R" "${PLUGINS[@]}" --record-rejection
expect_exit 3 "install"
C=$(confirmation "$R")
assert_json "$C" 'd["result"]' "rejected"
assert_json_contains "$C" 'd["error"]["message"]' "payload 'last.bin': sha256 mismatch"
assert_missing "$R/ran"
assert_missing "$R/opt"
assert_missing "$R/var/lib/supkit/stage"

# ---- a payload rewritten while the package is staged ----------------------
section "a payload rewritten in the .sup during staging is never installed"
# fixture.stagetamper's stage() flips a byte of late.bin in the .sup file
# after early.bin was staged and before late.bin is: what is staged for
# late.bin no longer matches the manifest.
# during_pkg OUT TAMPER: the package, fixture.stagetamper's params TAMPER.
during_pkg() {
	pkg "$1" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "during", "version": "1"},
  "actions": [
    {"id": "early", "type": "file.install", "params": {"path": "/opt/early.bin"},
     "payloads": ["early.bin"]},
    {"id": "tamper", "type": "fixture.stagetamper", "params": $2},
    {"id": "late", "type": "file.install", "params": {"path": "/opt/late.bin", "mode": "4755"},
     "payloads": ["late.bin"]}]},
 "entries": [{"name": "early.bin", "data": "early\n"},
             {"name": "late.bin", "file": "$T/big.bin"}]}
JEOF
}
# The offset does not change the layout: build once to find it.
during_pkg "$T/during.sup" '{}'
OFF=$(( $(data_offset "$T/during.sup" late.bin) + 3 * 1024 * 1024 ))
during_pkg "$T/during.sup" "{\"file\": \"$T/during.sup\", \"offset\": $OFF}"
SHA_BEFORE=$(sha256 "$T/during.sup")
R=$(new_root during)
take_snapshot "$R" during
sup install "$T/during.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 3 "install"
assert_ne "$(sha256 "$T/during.sup")" "$SHA_BEFORE" "the package was rewritten while it was staged"
assert_stderr "payload 'late.bin': sha256 mismatch"
assert_unchanged "$R" during "root"

section "the same package, not rewritten, installs what was staged"
during_pkg "$T/during-ok.sup" '{}'
sup install "$T/during-ok.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_same_file "$R/opt/late.bin" "$T/big.bin"
assert_mode "$R/opt/late.bin" 4755
assert_content "$R/opt/early.bin" $'early\n'
assert_missing "$R/var/lib/supkit/stage"

# ---- one thread whenever the installer forks ------------------------------
section "a plugin call forks an installer with one thread"
# The hash of the whole file is computed beside the stage pass. In a
# thread, a fork while it held a lock (the allocator's, a sanitizer's)
# could leave the plugin's child waiting forever; it is a process, so
# the installer forks with one thread. The first stage call notes the
# installer's thread count while the 64 MiB file is still being hashed.
head -c $((64 * 1024 * 1024)) /dev/zero >"$T/zeros.bin"
pkg "$T/threads.sup" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "threads", "version": "1"},
  "actions": [
    {"id": "note", "type": "fixture.stagetamper", "params": {"threads_to": "$T/threads.txt"}},
    {"id": "big", "type": "file.install", "params": {"path": "/opt/zeros.bin"},
     "payloads": ["zeros.bin"]}]},
 "entries": [{"name": "zeros.bin", "file": "$T/zeros.bin"}]}
JEOF
R=$(new_root threads)
sup install "$T/threads.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_content "$T/threads.txt" $'Threads:\t1\n'
assert_json "$(confirmation "$R")" 'd["package"]["sha256"]' "$(sha256 "$T/threads.sup")"
rm -f "$T/zeros.bin" "$T/threads.sup"

# ---- what a failed run staged goes --------------------------------------
section "staged data of actions that never ran is removed"
pkg "$T/abort.sup" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "abort", "version": "1"},
  "actions": [
    {"id": "fails", "type": "exec.command", "params": {"argv": ["/bin/false"]}},
    {"id": "never", "type": "file.install", "params": {"path": "/opt/never.bin"},
     "payloads": ["never.bin"]}]},
 "entries": [{"name": "never.bin", "file": "$T/big.bin"}]}
JEOF
R=$(new_root abort)
sup install "$T/abort.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 1 "install"
C=$(confirmation "$R")
assert_json "$C" '[a["status"] for a in d["actions"]]' '["failed", "skipped"]'
assert_missing "$R/opt/never.bin"
assert_missing "$R/var/lib/supkit/stage"

# ---- a tree ------------------------------------------------------------
section "file.extract stages its tree; set-id bits appear only with the commit"
# An installer killed after the tree was staged (a later stage hangs)
# leaves it in the private staging, 0700, with no special bit: those are
# held back until execute() commits it.
mkdir -p "$T/tree/bin"
printf '#!/bin/sh\n' >"$T/tree/bin/tool"
chmod 4755 "$T/tree/bin/tool"
printf 'x\n' >"$T/tree/bin/group"
chmod 2750 "$T/tree/bin/group"
chmod 0751 "$T/tree"
tar --owner=0 --group=0 --numeric-owner -C "$T/tree" -cf "$T/tree.tar" .
# tree_pkg OUT HANG_MS: extract the tree to /opt/tree, then a stage that
# hangs HANG_MS.
tree_pkg() {
	pkg "$1" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "tree", "version": "1"},
  "actions": [
    {"id": "tree", "type": "file.extract", "params": {"path": "/opt/tree"},
     "payloads": ["tree.tar"]},
    {"id": "slow", "type": "fixture.stagetamper", "params": {"hang_ms": $2}}]},
 "entries": [{"name": "tree.tar", "file": "$T/tree.tar"}]}
JEOF
}
tree_pkg "$T/tree-slow.sup" 60000
R=$(new_root tree)
"$SUP" install "$T/tree-slow.sup" --root "$R" "${PLUGINS[@]}" 2>"$T/tree.err" &
PID=$!
E2E_PIDS+=("$PID")
wait_until 20 test -e "$R/var/lib/supkit/stage/0-0/modes"
sleep 0.3
kill -KILL "$PID"
wait "$PID" 2>/dev/null
assert_file "$R/var/lib/supkit/stage/0-0/tree/bin/tool"
assert_eq "$(stat -c %a "$R/var/lib/supkit/stage/0-0/tree")" "700" "the staged tree is private (0700)"
assert_eq "$(find "$R/var/lib/supkit/stage" -perm /7000 | wc -l)" "0" \
	"no special bit in staging"
assert_missing "$R/opt/tree"
tree_pkg "$T/tree.sup" 0
sup install "$T/tree.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 0 "install"
assert_mode "$R/opt/tree" 751
assert_mode "$R/opt/tree/bin/tool" 4755
assert_mode "$R/opt/tree/bin/group" 2750
assert_missing "$R/var/lib/supkit/stage"

section "a bad archive in the last action leaves the root unchanged"
OTHER=$(printf 'not the tree\n' | sha256sum | cut -d' ' -f1)
pkg "$T/tree-bad.sup" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "tree-bad", "version": "1"},
  "payloads": {"first.bin": {}, "tree.tar": {"sha256": "$OTHER"}},
  "actions": [
    {"id": "first", "type": "file.install", "params": {"path": "/opt/first.bin"},
     "payloads": ["first.bin"]},
    {"id": "tree", "type": "file.extract", "params": {"path": "/opt/tree2"},
     "payloads": ["tree.tar"]}]},
 "entries": [{"name": "first.bin", "data": "first\n"},
             {"name": "tree.tar", "file": "$T/tree.tar"}]}
JEOF
R=$(new_root tree-bad)
take_snapshot "$R" tree-bad
sup install "$T/tree-bad.sup" --root "$R" "${PLUGINS[@]}"
expect_exit 3 "install"
assert_stderr "payload 'tree.tar': sha256 mismatch"
assert_unchanged "$R" tree-bad "root"

# ---- killed while staging ----------------------------------------------
section "an installer killed while it stages leaves nothing pending"
pkg "$T/killed.sup" <<JEOF
{"manifest": {"sup_format": 1, "package": {"name": "killed", "version": "1"},
  "actions": [
    {"id": "first", "type": "file.install", "params": {"path": "/opt/first.bin"},
     "payloads": ["first.bin"]},
    {"id": "slow", "type": "fixture.stagetamper", "params": {"hang_ms": 60000}}]},
 "entries": [{"name": "first.bin", "file": "$T/big.bin"}]}
JEOF
R=$(new_root killed)
"$SUP" install "$T/killed.sup" --root "$R" "${PLUGINS[@]}" 2>"$T/killed.err" &
PID=$!
E2E_PIDS+=("$PID")
wait_until 20 test -e "$R/var/lib/supkit/stage/0-0/payload"
wait_until 20 pgrep -f "sup install $T/killed.sup" >/dev/null
sleep 0.3
kill -KILL "$PID"
wait "$PID" 2>/dev/null
assert_file "$R/var/lib/supkit/stage/0-0/payload"
assert_eq "$(stat -c %a "$R/var/lib/supkit/stage")" "700" "staging is private (0700)"
assert_eq "$(stat -c %a "$R/var/lib/supkit/stage/0-0/payload")" "600" "a staged file is private (0600)"
sup install --resume --root "$R"
expect_exit 0 "resume"
assert_stderr "nothing to resume"
assert_missing "$R/var/lib/supkit/stage"
assert_missing "$R/opt/first.bin"
assert_missing "$R/var/lib/supkit/install.json"

# ---- the resume pin is the manifest that was verified --------------------
section "a resume refuses a manifest that is not the one verified"
# The file's SHA-256 (the resume pin) is hashed by a thread of its own
# reads, beside the pass that checks the signature over the manifest. An
# owner who rewrites the manifest between the two reads (same length, the
# action ids kept) gets the pin of the forged file; this section makes
# that outcome directly, then resumes: the manifest's own hash, pinned
# from the bytes the signature was checked over, refuses it.
product_root resume-pin <<'CONF'
[product]
name = acme
plugins = exec, system

[system]
reboot_command = true
CONF
OLD='echo a2 >>$SUP_ROOT/counter                                            '
NEW='echo forged >$SUP_ROOT/forged'
pkg "$T/pin.sup" <<JEOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "pin", "version": "1.0" },
    "compatibility": { "products": ["acme"] },
    "actions": [
      {"id": "reboot", "type": "system.reboot"},
      {"id": "a2", "type": "exec.command", "params": {"argv": ["/bin/sh", "-c", $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$OLD")]}}] } }
JEOF
sup install "$T/pin.sup" --root "$R" --config "$CONF"
expect_exit 7 "install (suspended for the reboot)"
python3 - "$T/pin.sup" "$OLD" "$NEW" <<'PY'
import sys, tarfile
path, old, new = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
m = tarfile.open(path).getmember("manifest.json")
with open(path, "r+b") as f:
    f.seek(m.offset_data)
    text = f.read(m.size)
    assert text.count(old) == 1
    f.seek(m.offset_data)
    f.write(text.replace(old, new + b" " * (len(old) - len(new))))
PY
python3 - "$R/var/lib/supkit/install.json" "$(sha256 "$T/pin.sup")" <<'PY'
import json, os, sys
p, sha = sys.argv[1], sys.argv[2]
d = json.load(open(p))
d["sup_sha256"] = sha
open(p + ".new", "w").write(json.dumps(d))
os.rename(p + ".new", p)
PY
sup install --resume --root "$R" --config "$CONF"
expect_exit 1 "resume"
assert_stderr "is gone or changed since the install started"
assert_missing "$R/forged"
assert_json "$C" 'd["result"]' "failed"

finish
