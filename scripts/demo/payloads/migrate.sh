#!/bin/sh
# SPDX-License-Identifier: MIT
# Demo migration step: records that the data format moved from $1 to $2.
set -eu
from=$1
to=$2
mkdir -p "$SUP_ROOT/var/lib/acme"
printf 'migrated data from %s to %s\n' "$from" "$to" >"$SUP_ROOT/var/lib/acme/MIGRATED"
echo "migration $from -> $to done"
