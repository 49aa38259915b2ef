#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_file_actions.sh - the built-in "file" plugin on a real tree:
# file.install, file.remove, file.mkdir, file.symlink, file.extract, and
# archives that try to write outside the target (refused, naming the
# entry, with nothing written anywhere). The root is a subdirectory of a
# sandbox whose snapshot proves that nothing outside the root changed.
. "$(dirname "$0")/lib.sh"

SANDBOX="$T/sandbox"
R="$SANDBOX/root"
UNIQ="e2e-$$-$RANDOM"

# mkpkg NAME ACTIONS [ENTRIES]: $T/NAME.sup.
mkpkg() {
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "$1", "version": "1.0" },
    "actions": $2 },
  "entries": ${3:-[]} }
EOF
}

# The sandbox: the root (with the test keyring, as new_root makes it) and,
# beside it, a directory that must stay as is.
rm -rf "$SANDBOX"
mkdir -p "$R/etc/app" "$R/opt/adir" "$R/opt/realdir" "$SANDBOX/outside"
install_keyring "$R" || exit 2
echo "outside" >"$SANDBOX/outside/file.txt"
echo "keep" >"$R/etc/keep.conf"
echo "in a dir" >"$R/opt/adir/inner.txt"
echo "real" >"$R/opt/realdir/data.txt"

# sandbox_snap NAME: snapshot of the sandbox without the installer's own
# records under root/var.
sandbox_snap() {
	snapshot "$SANDBOX" | grep -v -e '^\./root/var[/	]' >"$T/$1.sbox"
}
assert_sandbox_unchanged() {
	snapshot "$SANDBOX" | grep -v -e '^\./root/var[/	]' >"$T/$1.sbox2"
	if cmp -s "$T/$1.sbox" "$T/$1.sbox2"; then
		pass "sandbox (root and its surroundings) unchanged"
	else
		fail "sandbox changed" "no difference" \
			"$(diff "$T/$1.sbox" "$T/$1.sbox2" | head -n 20)"
	fi
}

# ---- file.install --------------------------------------------------
section "file.install"
echo "old" >"$R/etc/app/existing.conf"
ln "$R/etc/app/existing.conf" "$R/etc/old-inode"
mkpkg install '[
  {"id": "new", "type": "file.install", "params": {"path": "/srv/new/deep/new.conf", "mode": "0600"}, "payloads": ["new.conf"]},
  {"id": "replace", "type": "file.install", "params": {"path": "/etc/app/existing.conf"}, "payloads": ["replaced.conf"]}]' \
	'[{"name": "new.conf", "data": "new\n"}, {"name": "replaced.conf", "data": "replaced\n"}]'
inst install
expect_exit 0 "install"
assert_content "$R/srv/new/deep/new.conf" $'new\n'
assert_mode "$R/srv/new/deep/new.conf" 600
assert_mode "$R/srv/new/deep" 755
assert_mode "$R/srv" 755
assert_content "$R/etc/app/existing.conf" $'replaced\n'
assert_mode "$R/etc/app/existing.conf" 644
assert_content "$R/etc/old-inode" $'old\n'
assert_eq "$(stat -c %h "$R/etc/app/existing.conf")" "1" \
	"replaced by a new file (rename), not rewritten in place"
assert_eq "$(find "$R" -name '.*sup-*' | wc -l)" "0" "no temporary files left"

section "file.install onto a directory"
sandbox_snap install-dir
mkpkg install-dir '[{"id": "i", "type": "file.install", "params": {"path": "/opt/adir"}, "payloads": ["x"]}]' \
	'[{"name": "x", "data": "x\n"}]'
inst install-dir
expect_exit 1 "install"
assert_stderr "cannot install '/opt/adir': Is a directory"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"cannot install '/opt/adir': Is a directory"
assert_sandbox_unchanged install-dir

# ---- file.remove ---------------------------------------------------
section "file.remove"
mkdir -p "$R/opt/tree/a/b" "$R/opt/tree/c"
echo 1 >"$R/opt/tree/a/b/one.txt"
echo 2 >"$R/opt/tree/c/two.txt"
ln -s sub "$R/opt/tree/a/dangling"
ln -s /opt/realdir "$R/opt/link-to-dir"
ln -s ../etc/keep.conf "$R/opt/link-to-file"
mkpkg remove '[
  {"id": "missing", "type": "file.remove", "params": {"path": "/opt/missing"}},
  {"id": "tree", "type": "file.remove", "params": {"path": "/opt/tree", "recursive": true}},
  {"id": "dirlink", "type": "file.remove", "params": {"path": "/opt/link-to-dir"}},
  {"id": "filelink", "type": "file.remove", "params": {"path": "/opt/link-to-file", "missing_ok": false}}]'
inst remove
expect_exit 0 "install"
assert_missing "$R/opt/tree"
assert_missing "$R/opt/link-to-dir"
assert_missing "$R/opt/link-to-file"
assert_content "$R/opt/realdir/data.txt" $'real\n'
assert_content "$R/etc/keep.conf" $'keep\n'

section "file.remove, strict and non-recursive"
mkdir -p "$R/opt/tree2/x"
echo x >"$R/opt/tree2/x/f"
sandbox_snap remove-strict
mkpkg remove-strict '[{"id": "m", "type": "file.remove", "params": {"path": "/opt/missing", "missing_ok": false}}]'
inst remove-strict
expect_exit 1 "missing_ok false on a missing path"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"cannot remove '/opt/missing': No such file or directory"
mkpkg remove-dir '[{"id": "d", "type": "file.remove", "params": {"path": "/opt/tree2"}}]'
inst remove-dir
expect_exit 1 "a directory without recursive"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"cannot remove '/opt/tree2': it is a directory and parameter 'recursive' is false"
assert_sandbox_unchanged remove-strict
mkpkg remove-root '[{"id": "r", "type": "file.remove", "params": {"path": "/", "recursive": true}}]'
inst remove-root
expect_exit 4 "removing the root is refused by the check"
assert_stderr "refusing to remove the root directory '/'"
assert_sandbox_unchanged remove-strict

# ---- file.mkdir ----------------------------------------------------
section "file.mkdir"
# The root's own mode and owner are not a package's to change.
sandbox_snap mkdir-root
mkpkg mkdir-root '[{"id": "r", "type": "file.mkdir", "params": {"path": "/", "mode": "0777"}}]'
inst mkdir-root
expect_exit 4 "file.mkdir of the root is refused by the check"
assert_stderr "refusing to change the root directory '/'"
assert_sandbox_unchanged mkdir-root
echo "file" >"$R/opt/plainfile"
mkpkg mkdir '[
  {"id": "deep", "type": "file.mkdir", "params": {"path": "/var/lib/app/cache", "mode": "0750"}},
  {"id": "existing", "type": "file.mkdir", "params": {"path": "/opt/realdir", "mode": "0700"}}]'
inst mkdir
expect_exit 0 "install"
assert_mode "$R/var/lib/app/cache" 750
assert_mode "$R/var/lib/app" 755
assert_mode "$R/opt/realdir" 700
assert_content "$R/opt/realdir/data.txt" $'real\n'
chmod 755 "$R/opt/realdir"
mkpkg mkdir-file '[{"id": "f", "type": "file.mkdir", "params": {"path": "/opt/plainfile"}}]'
inst mkdir-file
expect_exit 1 "mkdir over a file"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"cannot create directory '/opt/plainfile': it exists and is not a directory"
assert_content "$R/opt/plainfile" $'file\n'

# ---- file.symlink --------------------------------------------------
section "file.symlink"
mkpkg symlink '[
  {"id": "v1", "type": "file.symlink", "params": {"path": "/opt/links/current", "target": "releases/1"}},
  {"id": "v2", "type": "file.symlink", "params": {"path": "/opt/links/current", "target": "releases/2"}},
  {"id": "abs", "type": "file.symlink", "params": {"path": "/opt/links/abs", "target": "/opt/realdir"}}]'
inst symlink
expect_exit 0 "install"
assert_eq "$(readlink "$R/opt/links/current")" "releases/2" "replaced link target"
assert_eq "$(readlink "$R/opt/links/abs")" "/opt/realdir" "absolute link target"
assert_eq "$(find "$R/opt/links" -mindepth 1 | wc -l)" "2" "no temporary links left"
mkpkg symlink-dir '[{"id": "d", "type": "file.symlink", "params": {"path": "/opt/adir", "target": "x"}}]'
inst symlink-dir
expect_exit 1 "a symlink over a directory"
assert_json "$C" 'd["actions"][0]["error"]["message"]' \
	"cannot create symlink '/opt/adir': a directory is in the way"
assert_content "$R/opt/adir/inner.txt" $'in a dir\n'

# ---- file.extract --------------------------------------------------
section "file.extract merge and replace"
mktar content '[{"name": "new.txt", "data": "new\n"}, {"name": "sub", "type": "dir"},
  {"name": "sub/add.txt", "data": "add\n"}]'
for d in ext ext2; do
	mkdir -p "$R/opt/$d/sub"
	echo old >"$R/opt/$d/old.txt"
	echo keep >"$R/opt/$d/sub/keep.txt"
done
mkpkg extract '[
  {"id": "merge", "type": "file.extract", "params": {"path": "/opt/ext"}, "payloads": ["content.tar"]},
  {"id": "replace", "type": "file.extract", "params": {"path": "/opt/ext2", "replace": true}, "payloads": ["content.tar"]},
  {"id": "fresh", "type": "file.extract", "params": {"path": "/opt/ext3/inner"}, "payloads": ["content.tar"]}]' \
	"[{\"name\": \"content.tar\", \"file\": \"$T/content.tar\"}]"
inst extract
expect_exit 0 "install"
assert_eq "$(cd "$R/opt/ext" && find . | sort | tr '\n' ' ')" \
	". ./new.txt ./old.txt ./sub ./sub/add.txt ./sub/keep.txt " "merged tree"
assert_content "$R/opt/ext/new.txt" $'new\n'
assert_content "$R/opt/ext/old.txt" $'old\n'
assert_eq "$(cd "$R/opt/ext2" && find . | sort | tr '\n' ' ')" \
	". ./new.txt ./sub ./sub/add.txt " "replaced tree"
assert_content "$R/opt/ext3/inner/sub/add.txt" $'add\n'
assert_eq "$(find "$R/opt" -maxdepth 1 -name '.*' | wc -l)" "0" \
	"no temporary trees left"

# ---- archives that try to escape -----------------------------------
mkdir -p "$R/opt/target"
echo "target" >"$R/opt/target/t.txt"
OK='{"name": "ok.txt", "data": "ok\n"}'
while IFS='|' read -r name entries message; do
	section "escaping archive: $name"
	mktar "esc-$name" "[$OK, $entries]"
	mkpkg "esc-$name" '[{"id": "x", "type": "file.extract", "params": {"path": "/opt/target"}, "payloads": ["evil.tar"]}]' \
		"[{\"name\": \"evil.tar\", \"file\": \"$T/esc-$name.tar\"}]"
	sandbox_snap "esc-$name"
	# Refused while it is staged, before any action runs.
	inst "esc-$name"
	expect_exit 4 "install"
	assert_stderr "action 'x': staging failed: $message"
	assert_sandbox_unchanged "esc-$name"
	assert_missing "/etc/$UNIQ"
done <<EOF
dotdot|{"name": "../escape.txt", "data": "x"}|archive entry '../escape.txt' has a '..' component
nested-dotdot|{"name": "a/../../escape.txt", "data": "x"}|archive entry 'a/../../escape.txt' has a '..' component
absolute|{"name": "/etc/$UNIQ", "data": "x"}|archive entry '/etc/$UNIQ' has an absolute path
symlink-abs|{"name": "evil", "type": "symlink", "target": "/etc"}, {"name": "evil/$UNIQ", "data": "x"}|archive entry 'evil' is a symlink to absolute path '/etc'
symlink-up|{"name": "up", "type": "symlink", "target": "../../.."}, {"name": "up/$UNIQ", "data": "x"}|archive entry 'up' is a symlink to '../../..', outside the extraction directory
hardlink|{"name": "h", "type": "hardlink", "target": "/etc/passwd"}|archive entry 'h' is a hard link to '/etc/passwd'
hardlink-up|{"name": "h2", "type": "hardlink", "target": "../../outside/file.txt"}|archive entry 'h2' is a hard link to '../../outside/file.txt'
chardev|{"name": "dev", "type": "chardev", "major": 1, "minor": 3}|archive entry 'dev' is a device node
fifo|{"name": "pipe", "type": "fifo"}|archive entry 'pipe' is a fifo
EOF

# ---- symbolic links inside the root --------------------------------
section "a symlink to / inside the root"
ln -s / "$R/opt/sys"
ln -s ../../../../.. "$R/opt/up"
mktar through '[{"name": "x.txt", "data": "extracted\n"}]'
mkpkg through "[
  {\"id\": \"via-slash\", \"type\": \"file.install\", \"params\": {\"path\": \"/opt/sys/etc/$UNIQ-a\"}, \"payloads\": [\"a\"]},
  {\"id\": \"via-dotdot\", \"type\": \"file.install\", \"params\": {\"path\": \"/opt/up/etc/$UNIQ-b\"}, \"payloads\": [\"b\"]},
  {\"id\": \"extract\", \"type\": \"file.extract\", \"params\": {\"path\": \"/opt/sys/srv/$UNIQ\"}, \"payloads\": [\"through.tar\"]}]" \
	"[{\"name\": \"a\", \"data\": \"a\n\"}, {\"name\": \"b\", \"data\": \"b\n\"},
	  {\"name\": \"through.tar\", \"file\": \"$T/through.tar\"}]"
snapshot "$SANDBOX/outside" >outside.snap
inst through
expect_exit 0 "install"
assert_content "$R/etc/$UNIQ-a" $'a\n'
assert_content "$R/etc/$UNIQ-b" $'b\n'
assert_content "$R/srv/$UNIQ/x.txt" $'extracted\n'
assert_missing "/etc/$UNIQ-a"
assert_missing "/etc/$UNIQ-b"
assert_missing "/srv/$UNIQ"
assert_eq "$(readlink "$R/opt/sys")" "/" "the link itself is untouched"
assert_true "the sandbox beside the root is unchanged" \
	cmp -s outside.snap <(snapshot "$SANDBOX/outside")

section "a symlink loop inside the root"
ln -s loop "$R/opt/loop"
mkpkg loop '[{"id": "i", "type": "file.install", "params": {"path": "/opt/loop/x"}, "payloads": ["a"]}]' \
	'[{"name": "a", "data": "a\n"}]'
sandbox_snap loop
inst loop
expect_exit 4 "install through a symlink loop is refused by the check"
assert_stderr "action 'i': check failed: path '/opt/loop/x': too many levels of symbolic links"
assert_sandbox_unchanged loop

finish
