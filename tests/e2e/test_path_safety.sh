#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_path_safety.sh - root writes stay where the package says (issue 8,
# items 3 and 4): a service user who owns a directory on a managed path
# cannot turn a package's write against the rest of the system by
# planting a symbolic link (refused: links of other users are not
# followed), nor by a directory of someone else below theirs (an unsafe
# path transition). Needs root to make files of another owner; skipped
# visibly otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skipped: making files of another owner needs root"
	finish
fi

SVC=4242 # the service user
R=$(new_root gw)
mkdir -p "$R/etc" "$R/var/lib/app"
echo "root:secret" >"$R/etc/shadow"
chmod 0640 "$R/etc/shadow"
chown "$SVC:$SVC" "$R/var/lib/app"
echo "new content" >"$T/payload.txt"

# pkg_action STEM ACTION [PAYLOAD]: a package of one action.
pkg_action() {
	local entries='[]'
	[ -z "${3:-}" ] || entries="[{\"name\": \"p\", \"file\": \"$3\"}]"
	pkg "$T/$1.sup" <<EOF
{"manifest": {"sup_format": 1, "package": {"name": "$1", "version": "1"},
  "actions": [$2]}, "entries": $entries}
EOF
}

# refused STEM WHY: the install fails at its action with WHY, and the root
# outside the installer's records is unchanged.
refused() {
	take_snapshot "$R" before
	sup install "$T/$1.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
	expect_exit 1 "install $1"
	assert_stderr "$2"
	snapshot "$R" | grep -v '^\./var/log\|^\./var/lib/supkit' >"$T/after.snap"
	grep -v '^\./var/log\|^\./var/lib/supkit' "$T/before.snap" >"$T/before2.snap"
	if cmp -s "$T/before2.snap" "$T/after.snap"; then
		pass "root unchanged (but the installer's records)"
	else
		fail "root changed" "no difference" \
			"$(diff "$T/before2.snap" "$T/after.snap" | head -n 10)"
	fi
}

section "a link planted by the service user is not followed"
ln -s /etc "$R/var/lib/app/cache"
chown -h "$SVC:$SVC" "$R/var/lib/app/cache"
pkg_action install-through '{"id": "f", "type": "file.install",
  "params": {"path": "/var/lib/app/cache/shadow", "mode": "0644"}, "payloads": ["p"]}' \
	"$T/payload.txt"
refused install-through "path '/var/lib/app/cache/shadow': '/var/lib/app/cache' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_content "$R/etc/shadow" $'root:secret\n'
pkg_action mkdir-through '{"id": "d", "type": "file.mkdir",
  "params": {"path": "/var/lib/app/cache", "owner": "4242", "mode": "0777"}}'
refused mkdir-through "path '/var/lib/app/cache': '/var/lib/app/cache' is a symbolic link owned by uid $SVC: only links owned by root are followed"
assert_eq "$(stat -c '%u %a' "$R/etc")" "0 755" "owner and mode of /etc"
tar -C "$T" -cf "$T/payload.tar" payload.txt
pkg_action extract-through '{"id": "x", "type": "file.extract",
  "params": {"path": "/var/lib/app/cache/conf.d"}, "payloads": ["p"]}' \
	"$T/payload.tar"
refused extract-through "'/var/lib/app/cache' is a symbolic link owned by uid $SVC"
assert_missing "$R/etc/conf.d"

section "the link itself may be replaced or removed"
pkg_action remove-link '{"id": "r", "type": "file.remove",
  "params": {"path": "/var/lib/app/cache"}}'
sup install "$T/remove-link.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install remove-link"
assert_missing "$R/var/lib/app/cache"
assert_file "$R/etc/shadow"

section "an unsafe path transition is refused"
# A root-owned link does not help either, nor a directory of root's
# below the service user's own: from uid 4242 into uid 0 is unsafe.
mkdir "$R/var/lib/app/rootdir"
pkg_action transition '{"id": "f", "type": "file.install",
  "params": {"path": "/var/lib/app/rootdir/f"}, "payloads": ["p"]}' \
	"$T/payload.txt"
refused transition "unsafe path transition from '/var/lib/app' (owned by uid $SVC) to '/var/lib/app/rootdir' (owned by uid 0)"

section "a link of root's moved into the service user's directory is not followed"
# A package made /var/lib/app/conf -> /etc/app (a link of root's); the
# service user, who owns /var/lib/app, renames it to a name that a later
# package manages as a directory of theirs.
mkdir -p "$R/etc/app"
chmod 0700 "$R/etc/app"
pkg_action conf-link '{"id": "l", "type": "file.symlink",
  "params": {"path": "/var/lib/app/conf", "target": "/etc/app"}}'
sup install "$T/conf-link.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install conf-link"
assert_eq "$(stat -c %u "$R/var/lib/app/conf")" 0 "owner of the link"
mv "$R/var/lib/app/conf" "$R/var/lib/app/plugins" # as the service user could
pkg_action moved-link '{"id": "d", "type": "file.mkdir",
  "params": {"path": "/var/lib/app/plugins", "owner": "4242"}}'
refused moved-link "'/var/lib/app/plugins' is a symbolic link in a directory owned by uid $SVC: links in other users' directories are not followed"
pkg_action moved-link2 '{"id": "f", "type": "file.install",
  "params": {"path": "/var/lib/app/plugins/enabled.conf"}, "payloads": ["p"]}' \
	"$T/payload.txt"
refused moved-link2 "'/var/lib/app/plugins' is a symbolic link in a directory owned by uid $SVC: links in other users' directories are not followed"
assert_eq "$(stat -c '%u %a' "$R/etc/app")" "0 700" "owner and mode of /etc/app"
rm "$R/var/lib/app/plugins"

section "no directory of root's is made in the service user's directory"
pkg_action user-parent '{"id": "f", "type": "file.install",
  "params": {"path": "/var/lib/app/new/app.conf"}, "payloads": ["p"]}' \
	"$T/payload.txt"
refused user-parent "unsafe path transition: '/var/lib/app/new' is missing and is not made in '/var/lib/app', a directory owned by uid $SVC"
assert_missing "$R/var/lib/app/new"

section "the service user's own directories are fine"
mkdir "$R/var/lib/app/data"
chown "$SVC:$SVC" "$R/var/lib/app/data"
pkg_action own '{"id": "f", "type": "file.install",
  "params": {"path": "/var/lib/app/data/app.conf", "owner": "4242"}, "payloads": ["p"]}' \
	"$T/payload.txt"
sup install "$T/own.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR"
expect_exit 0 "install own"
assert_content "$R/var/lib/app/data/app.conf" $'new content\n'
assert_eq "$(stat -c %u "$R/var/lib/app/data/app.conf")" "$SVC" "owner"

section "parents made by the installer are 0755 and root's"
pkg_action parents '{"id": "f", "type": "file.install",
  "params": {"path": "/opt/vendor/deep/app.conf"}, "payloads": ["p"]}' \
	"$T/payload.txt"
(umask 077 && "$SUP" install "$T/parents.sup" --root "$R" \
	--plugin-dir "$SUP_PLUGIN_DIR" -q)
assert_eq "$?" 0 "install parents (umask 077)"
assert_eq "$(stat -c '%u %a' "$R/opt/vendor" "$R/opt/vendor/deep" | tr '\n' ' ')" \
	"0 755 0 755 " "owner and mode of the parents"

finish
