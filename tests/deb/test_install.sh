#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_install.sh - the Debian packages, installed and purged in a scratch
# root (CTest deb.install; docs/packaging.md): scripts/deb.sh builds them
# and runs lintian; dpkg --root installs them with their maintainer scripts
# run outside a chroot (DPKG_ROOT); then the files, modes, conffiles,
# units and man pages are where Debian wants them, the installed sup runs
# and installs a signed package into a second root, and remove, then
# purge, leave only what Debian keeps. Nothing outside the scratch root is
# touched.
#
#   test_install.sh SOURCE_DIR BUILD_DIR   (env: SUP_TEST_PKI)
#
# Exit 0 passed, 1 failed, 77 skipped (no dpkg-deb). As root the files
# are root's; as another user (dpkg --force-not-root) that user's.
set -euo pipefail

src=${1:?usage: test_install.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_install.sh SOURCE_DIR BUILD_DIR}
pki=${SUP_TEST_PKI:?SUP_TEST_PKI is not set (run through ctest)}
if ! command -v dpkg-deb >/dev/null; then
	echo "skip: no dpkg-deb on this machine"
	exit 77
fi
force=(--force-script-chrootless --force-depends)
owner=root:root
if [ "$(id -u)" != 0 ]; then
	force+=(--force-not-root)
	owner=$(id -un):$(id -gn)
fi

failed=0
pass() { echo "ok: $1"; }
fail() { echo "FAIL: $1" >&2; failed=$((failed + 1)); }
check() { # check WHAT COMMAND...: pass when COMMAND succeeds
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
dpkg_root() {
	# The scratch root has no libc6 & co. in its database: --force-depends.
	dpkg --root="$R" "${force[@]}" "$@"
}

echo "== build the packages and run lintian (scripts/deb.sh)"
mapfile -t debs < <("$src/scripts/deb.sh" --build-dir "$build/deb-packages")
[ ${#debs[@]} = 3 ] || { echo "FAIL: deb.sh made ${#debs[@]} packages, not 3" >&2; exit 1; }
for d in "${debs[@]}"; do
	echo "   $(basename "$d"): $(stat -c %s "$d") bytes"
done

echo "== install into $R"
if ! dpkg_root -i "${debs[@]}" >"$T/install.log" 2>&1; then
	cat "$T/install.log" >&2
	echo "FAIL: dpkg -i" >&2
	exit 1
fi
status() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' "$1" 2>/dev/null || true; }
for p in supkit supkit-agent supkit-sdk; do
	check "$p is installed" [ "$(status "$p")" = "install ok installed" ]
done

plugins=$(dpkg_root -L supkit | grep '/supkit/plugins$')
mode() { stat -c '%a %U:%G' "$R$1"; }
check "sup in /usr/bin" [ "$(mode /usr/bin/sup)" = "755 $owner" ]
check "supd in /usr/sbin" [ "$(mode /usr/sbin/supd)" = "755 $owner" ]
for p in file exec runtime firmware system; do
	check "plugin $p.so in $plugins" [ "$(mode "$plugins/$p.so")" = "644 $owner" ]
done
check "supd.conf 0600" [ "$(mode /etc/supkit/supd.conf)" = "600 $owner" ]
check "sup.conf 0644" [ "$(mode /etc/supkit/sup.conf)" = "644 $owner" ]
check "units in /lib/systemd/system" [ -f "$R/lib/systemd/system/supkit-resume.service" ] \
	&& [ -f "$R/lib/systemd/system/supd.service" ]
check "man pages sup(1) and supd(8)" gzip -t "$R/usr/share/man/man1/sup.1.gz" \
	"$R/usr/share/man/man8/supd.8.gz"
for p in supkit supkit-agent supkit-sdk; do
	check "$p: copyright and changelog" [ -f "$R/usr/share/doc/$p/copyright" ] \
		&& gzip -t "$R/usr/share/doc/$p/changelog.Debian.gz"
done
check "SDK header, .pc and CMake package" [ -f "$R/usr/include/sup/plugin.h" ] \
	&& ls "$R"/usr/lib/*/pkgconfig/supkit-sdk.pc "$R"/usr/lib/*/cmake/supkit-sdk/supkit-sdkConfig.cmake >/dev/null
conffiles() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Conffiles}\n' "$1" | awk 'NF { print $1 }'; }
check "conffiles of supkit" [ "$(conffiles supkit | tr '\n' ' ')" = \
	"/etc/supkit/sup.conf /etc/supkit/products/acme-initd.conf /etc/supkit/products/acme-systemd.conf /etc/supkit/products/edge-gw.conf /etc/supkit/products/generic-linux.conf " ]
check "conffile of supkit-agent" [ "$(conffiles supkit-agent)" = /etc/supkit/supd.conf ]
wants=$R/etc/systemd/system/multi-user.target.wants
check "supkit-resume.service enabled" [ -L "$wants/supkit-resume.service" ]
check "supd.service not enabled" [ ! -e "$wants/supd.service" ] && [ ! -L "$wants/supd.service" ]

echo "== the installed sup"
export SUPKIT_NO_BUILTIN_DIRS=1
sup=$R/usr/bin/sup
check "sup --version" [ "$("$sup" --version)" = "sup (supkit) $(dpkg-deb -f "${debs[0]}" Version | sed 's/-[^-]*$//')" ]
"$sup" plugins --plugin-dir "$R$plugins" --json >"$T/plugins.json"
check "sup plugins lists the built-in plugins" [ "$(python3 -c 'import json,sys; print(" ".join(sorted(p["name"] for p in json.load(open(sys.argv[1])))))' "$T/plugins.json")" = \
	"exec file firmware runtime system" ]
mkdir -p "$T/payloads"
echo "installed by the packaged sup" >"$T/payloads/hello.txt"
cat >"$T/manifest.json" <<'JSON'
{ "sup_format": 1, "package": { "name": "deb-demo", "version": "1.0" },
  "actions": [ { "id": "hello", "type": "file.install",
    "params": { "path": "/opt/demo/hello.txt" }, "payloads": ["hello.txt"] } ] }
JSON
"$sup" pack -m "$T/manifest.json" -C "$T/payloads" -o "$T/demo.sup" \
	--key "$pki/selfsigned.key" --cert "$pki/selfsigned.pem" >/dev/null
G=$T/gateway
mkdir -p "$G"
if "$sup" install "$T/demo.sup" --root "$G" --plugin-dir "$R$plugins" \
	--keyring "$pki/keyring-selfsigned.pem" >"$T/demo.log" 2>&1; then
	check "demo install" [ "$(cat "$G/opt/demo/hello.txt")" = "installed by the packaged sup" ]
else
	cat "$T/demo.log" >&2
	fail "demo install"
fi

echo "== remove"
# State and logs as an install leaves them, for purge to delete.
mkdir -p "$R/var/lib/supkit/supd/jobs" "$R/var/log/supkit"
echo '{}' >"$R/var/lib/supkit/installed.json"
echo '{}' >"$R/var/log/supkit/confirmation.json"
dpkg_root -r supkit-sdk supkit-agent supkit >"$T/remove.log" 2>&1 ||
	{ cat "$T/remove.log" >&2; fail "dpkg -r"; }
check "binaries gone" [ ! -e "$R/usr/bin/sup" ] && [ ! -e "$R/usr/sbin/supd" ] && [ ! -e "$R$plugins" ]
check "conffiles kept" [ -f "$R/etc/supkit/sup.conf" ] && [ -f "$R/etc/supkit/supd.conf" ]
check "state kept" [ -f "$R/var/lib/supkit/installed.json" ]
check "supkit config-files" [ "$(status supkit)" = "deinstall ok config-files" ]

echo "== purge"
dpkg_root -P supkit-sdk supkit-agent supkit >"$T/purge.log" 2>&1 ||
	{ cat "$T/purge.log" >&2; fail "dpkg -P"; }
for p in supkit supkit-agent supkit-sdk; do
	check "$p purged" [ -z "$(status "$p")" ] || [ "$(status "$p")" = "unknown ok not-installed" ]
done
# Left: dpkg's own database, and directories that dpkg and
# deb-systemd-helper made and leave (empty).
left=$(cd "$R" && find . -path ./var/lib/dpkg -prune -o ! -type d -print | sort)
check "no file left after purge" [ -z "$left" ]
[ -z "$left" ] || echo "$left" >&2
check "/etc/supkit gone" [ ! -e "$R/etc/supkit" ]
check "/var/lib/supkit and /var/log/supkit gone" [ ! -e "$R/var/lib/supkit" ] && [ ! -e "$R/var/log/supkit" ]

if [ "$failed" != 0 ]; then
	echo "deb.install: $failed checks failed" >&2
	exit 1
fi
echo "deb.install: every check passed"
