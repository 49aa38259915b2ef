#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_unverified.sh - nothing unverified is reachable by another user
# (issue 8, items 1 and 2). A local user who can write the SUP file changes
# a payload after preflight. file.install staged it before any action ran
# (issue 10): the verified bytes are installed, and nothing of it shows
# next to the target before the commit. file.extract streams it: its
# temporary tree stays private (0700) and carries no set-user-id,
# set-group-id or sticky bit, and when the last read finds the change
# nothing is left. Verified payloads get their final owner and modes. A watcher polls the target's directory every
# millisecond during the install and records what it could see; a payload
# of 48 MiB keeps the window open long enough to be seen.
. "$(dirname "$0")/lib.sh"

R=$(new_root gw)

# watch_temps DIR NAME: record (in $T/NAME.seen.json) the modes of every
# temporary entry of the installer (".<base>.sup-XXXXXX") that appears in
# DIR, and of everything below it.
watch_temps() {
	rm -f "$T/$2.stop" "$T/$2.seen.json" "$T/$2.ready"
	python3 - "$1" "$T/$2.stop" "$T/$2.seen.json" "$T/$2.ready" <<'PY' &
import json, os, stat, sys, time
top, stop, out, ready = sys.argv[1:5]
seen = {}
def note(path, rel):
    try:
        st = os.lstat(path)
    except OSError:
        return
    seen.setdefault(rel, set()).add(stat.S_IMODE(st.st_mode))
open(ready, "w").close()
while not os.path.exists(stop):
    try:
        names = os.listdir(top)
    except OSError:
        names = []
    for n in names:
        if ".sup-" not in n:
            continue
        p = os.path.join(top, n)
        note(p, n)
        if os.path.isdir(p) and not os.path.islink(p):
            for d, dirs, files in os.walk(p):
                for e in dirs + files:
                    q = os.path.join(d, e)
                    note(q, os.path.relpath(q, top))
    time.sleep(0.001)
json.dump({k: sorted(v) for k, v in seen.items()}, open(out, "w"))
PY
	WATCHER=$!
	E2E_PIDS+=("$WATCHER")
	wait_until 10 test -e "$T/$2.ready"
}

unwatch_temps() {
	touch "$T/$1.stop"
	wait "$WATCHER"
}

# tamper_action STEM PAYLOAD: an exec.command action (to run first) that
# flips one byte near the end of PAYLOAD inside $T/STEM.sup, in place, as a
# local user who can write the file would after preflight.
tamper_action() {
	python3 - "$PYTHON" "$T/$1.sup" "$2" <<'PY'
import json, sys
code = ("import sys, tarfile\n"
        "t = tarfile.open(sys.argv[1])\n"
        "m = t.getmember(sys.argv[2])\n"
        "at = m.offset_data + m.size - 100\n"
        "with open(sys.argv[1], 'r+b') as f:\n"
        "    f.seek(at)\n"
        "    b = f.read(1)\n"
        "    f.seek(at)\n"
        "    f.write(bytes([b[0] ^ 1]))\n")
print(json.dumps({"id": "tamper", "type": "exec.command",
                  "params": {"argv": [sys.argv[1], "-c", code,
                                      sys.argv[2], sys.argv[3]]}}))
PY
}

head -c $((48 * 1024 * 1024)) /dev/urandom >"$T/big.bin"

# ---- file.install -----------------------------------------------------
section "file.install: a set-user-id file changed after staging"
# file.install stages (ABI 1.2): its payload was streamed into the
# installer's private staging directory and verified before the first
# action ran, so the change comes too late to matter: the verified bytes
# are installed, and nothing of the payload ever showed in the target's
# directory before it was complete, owned and moded.
pkg "$T/suid-file.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "suid-file", "version": "1"},
  "actions": [$(tamper_action suid-file tool),
              {"id": "tool", "type": "file.install",
               "params": {"path": "/usr/local/bin/tool", "mode": "4755"},
               "payloads": ["tool"]}]},
 "entries": [{"name": "tool", "file": "$T/big.bin"}]}
EOF
mkdir -p "$R/usr/local/bin"
watch_temps "$R/usr/local/bin" install
sup install "$T/suid-file.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
unwatch_temps install
expect_exit 0 "install of the package changed after staging"
assert_same_file "$R/usr/local/bin/tool" "$T/big.bin"
assert_mode "$R/usr/local/bin/tool" 4755
assert_json "$T/install.seen.json" 'len(d)' "0"
rm -f "$R/usr/local/bin/tool"

section "file.install: verified, it gets its mode"
pkg "$T/suid-ok.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "suid-ok", "version": "1"},
  "actions": [{"id": "tool", "type": "file.install",
               "params": {"path": "/usr/local/bin/tool", "mode": "4755"},
               "payloads": ["tool"]}]},
 "entries": [{"name": "tool", "file": "$T/big.bin"}]}
EOF
sup install "$T/suid-ok.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install"
assert_mode "$R/usr/local/bin/tool" 4755
assert_same_file "$R/usr/local/bin/tool" "$T/big.bin"

# ---- file.extract -----------------------------------------------------
mkdir -p "$T/tree/bin" "$T/tree/data"
cp "$T/big.bin" "$T/tree/data/big.bin"
printf '#!/bin/sh\necho hi\n' >"$T/tree/bin/suid"
chmod 4755 "$T/tree/bin/suid"
printf 'x\n' >"$T/tree/bin/sgid"
chmod 2750 "$T/tree/bin/sgid"
chmod 1777 "$T/tree/data"
chmod 0751 "$T/tree"
# The set-id entries first, the big file after them: they sit in the tree
# while the rest still streams.
tar --owner=0 --group=0 --numeric-owner --no-recursion -C "$T/tree" \
	-cf "$T/tree.tar" ./ ./bin ./bin/suid ./bin/sgid ./data ./data/big.bin

section "file.extract: a tree with set-id files changed after staging"
# file.extract stages too: the tree was unpacked into the installer's
# private staging and verified before any action ran; the change comes
# too late, the verified tree is installed, and nothing of it showed
# next to the target before the commit.
pkg "$T/suid-tree-late.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "suid-tree-late", "version": "1"},
  "actions": [$(tamper_action suid-tree-late tree.tar),
              {"id": "tree", "type": "file.extract",
               "params": {"path": "/opt/app"}, "payloads": ["tree.tar"]}]},
 "entries": [{"name": "tree.tar", "file": "$T/tree.tar"}]}
EOF
mkdir -p "$R/opt"
watch_temps "$R/opt" extract
sup install "$T/suid-tree-late.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
unwatch_temps extract
expect_exit 0 "install of the package changed after staging"
assert_json "$T/extract.seen.json" 'len(d)' "0"
assert_mode "$R/opt/app/bin/suid" 4755
assert_same_file "$R/opt/app/data/big.bin" "$T/big.bin"
rm -rf "$R/opt/app"

section "file.extract: a tree with set-id files changed while it streams"
# When staging cannot reach the target (here /opt/loop is a regular
# file until the first action removes it), the host verifies the
# payload before any action runs and execute() streams it again next to
# the target. The change comes between the two: the stream's last read
# finds it, and the temporary tree was private and without special bits
# all along.
echo file >"$R/opt/loop"
pkg "$T/suid-tree-bad.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "suid-tree-bad", "version": "1"},
  "actions": [{"id": "unfile", "type": "file.remove", "params": {"path": "/opt/loop"}},
              $(tamper_action suid-tree-bad tree.tar),
              {"id": "tree", "type": "file.extract",
               "params": {"path": "/opt/loop/app"}, "payloads": ["tree.tar"]}]},
 "entries": [{"name": "tree.tar", "file": "$T/tree.tar"}]}
EOF
watch_temps "$R/opt/loop" extract
sup install "$T/suid-tree-bad.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
unwatch_temps extract
expect_exit 1 "install of the changed package"
assert_stderr "sha256 mismatch"
assert_missing "$R/opt/loop/app"
assert_eq "$(ls -A "$R/opt/loop")" "" "no temporary tree left"
# The temporary tree: 0700 whenever it was seen...
assert_json "$T/extract.seen.json" \
	'sorted(set("%o" % m for k, v in d.items() if "/" not in k for m in v))' '["700"]'
# ...and nothing in it ever had a special bit, though the set-id entries
# sat in it while the rest streamed.
assert_json "$T/extract.seen.json" \
	'any(k.endswith("bin/suid") for k in d)' "true"
assert_json "$T/extract.seen.json" \
	'[k for k, v in d.items() if any(m & 0o7000 for m in v)]' "[]"
rm -rf "$R/opt/loop"

section "file.extract: verified, the tree gets its modes"
pkg "$T/suid-tree.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "suid-tree", "version": "1"},
  "actions": [{"id": "tree", "type": "file.extract",
               "params": {"path": "/opt/app"}, "payloads": ["tree.tar"]}]},
 "entries": [{"name": "tree.tar", "file": "$T/tree.tar"}]}
EOF
sup install "$T/suid-tree.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install"
assert_mode "$R/opt/app" 751
assert_mode "$R/opt/app/bin/suid" 4755
assert_mode "$R/opt/app/bin/sgid" 2750
assert_mode "$R/opt/app/data" 1777
assert_same_file "$R/opt/app/data/big.bin" "$T/big.bin"

# ---- temporaries of an action that did not finish ---------------------
section "killed while a temporary is noted, then abandoned: it goes"
# A type that writes next to its target when it runs (fixture.noted, as
# a plugin without staging does): what it noted goes with --abandon.
pkg "$T/killed.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "killed", "version": "1"},
  "actions": [{"id": "big", "type": "fixture.noted",
               "params": {"path": "/srv/big.bin", "content": "big",
                          "pause_if": "/srv", "paused": "/paused"}}]}}
EOF
mkdir -p "$R/srv"
"$SUP" install "$T/killed.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
	--plugin-dir "$SUP_FIXTURE_DIR/good" -q >"$T/killed.out" 2>&1 &
KPID=$!
E2E_PIDS+=("$KPID")
temp_seen() {
	compgen -G "$R/srv/.big.bin.sup-??????" >/dev/null
}
if wait_until 20 test -e "$R/paused"; then
	kill -9 "$KPID"
	wait "$KPID" 2>/dev/null
	wait_unlocked "$R/var/lib/supkit"
	assert_true "the killed install left its temporary" temp_seen
	sup install --abandon --root "$R"
	expect_exit 0 "abandon"
	assert_stderr "removed temporary '.big.bin.sup-"
	assert_false "no temporary left after --abandon" temp_seen
	assert_missing "$R/srv/big.bin"
	assert_missing "$R/var/lib/supkit/temps.jsonl"
else
	fail "the install never paused with its temporary"
fi

finish
