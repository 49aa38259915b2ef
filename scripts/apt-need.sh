#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apt-need.sh - install those of the given Debian packages that are not
# installed yet (apt-get; as root, or with sudo). Used by setup.sh and deb.sh.
#
#   scripts/apt-need.sh PACKAGE...
set -euo pipefail

missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "apt-need: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends "${missing[@]}" >/dev/null
