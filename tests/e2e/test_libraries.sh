#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_libraries.sh - sup, the root process of every install, and the
# built-in plugins it loads carry no network code: ldd lists no HTTP, TLS,
# Kerberos, LDAP or SASL library for them. supd, the campaign agent, is
# the control: it does link libcurl, so the check below can see one.
. "$(dirname "$0")/lib.sh"

# Shared libraries an installer has no use for (sonames, as ldd prints).
NETWORK='^(libcurl|libssl|libgnutls|libnghttp|libssh|librtmp|libpsl|libidn2|libkrb5|libk5crypto|libgssapi|libldap|liblber|libsasl2|libbrotli)'

# libs FILE: the sonames ldd lists for FILE, one per line.
libs() {
	ldd "$1" | awk '{ print $1 }' | sed 's|.*/||'
}

section "sup"
libs "$SUP" >"$T/sup.libs"
assert_true "ldd lists libraries for sup" test -s "$T/sup.libs"
found=$(grep -E "$NETWORK" "$T/sup.libs" | tr '\n' ' ')
assert_eq "$found" "" "network libraries of sup"

section "built-in plugins"
for so in "$SUP_PLUGIN_DIR"/*.so; do
	libs "$so" >"$T/plugin.libs"
	found=$(grep -E "$NETWORK" "$T/plugin.libs" | tr '\n' ' ')
	assert_eq "$found" "" "network libraries of $(basename "$so")"
done

section "supd (control)"
if [ -n "${SUPD:-}" ]; then
	libs "$SUPD" >"$T/supd.libs"
	assert_true "supd links libcurl" grep -qE '^libcurl' "$T/supd.libs"
fi

finish
