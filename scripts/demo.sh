#!/usr/bin/env bash
# demo.sh - set up, then pack a sample SUP and install it into a sandbox
# root with the built-in plugins, and show what happened.
#
#   scripts/demo.sh
#
# No portal, no root privileges: everything lands under build/demo/.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
build=$here/build
sup=$build/core/sup
work=$build/demo
rm -rf "$work"
mkdir -p "$work/payloads" "$work/root"

# Payloads: two files from the repo and a release tarball made here,
# reproducibly.
cp "$here/scripts/demo/payloads/runtime.conf" "$here/scripts/demo/payloads/migrate.sh" \
	"$work/payloads/"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$here/scripts/demo/release" -cf - . | gzip -n >"$work/payloads/release-2.1.0.tar.gz"

echo "== sup pack"
"$sup" pack -m "$here/scripts/demo/manifest.json" -C "$work/payloads" -o "$work/acme-runtime-2.1.0.sup"
echo
echo "== sup inspect"
"$sup" inspect "$work/acme-runtime-2.1.0.sup"
echo
echo "== sup install --root $work/root"
"$sup" install "$work/acme-runtime-2.1.0.sup" --root "$work/root" \
	--plugin-dir "$build/plugins-out"
echo
echo "== installed files"
(cd "$work/root" && find . -path ./var/lib/supkit -prune -o -print | sort)
echo
echo "== $work/root/var/log/supkit/confirmation.json"
cat "$work/root/var/log/supkit/confirmation.json"
