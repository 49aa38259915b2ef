#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_torture.sh - a short run of scripts/torture.sh: 20 kill -9 of the
# installer at random points (fixed seed) over file installs, extraction,
# commands and firmware, each followed by --resume; no corrupt record, no
# partial file at a target path, no non-idempotent action run twice, no
# temporary left. The long run (200 kills or more) is by hand:
# scripts/torture.sh --build-dir build.
. "$(dirname "$0")/lib.sh"

section "torture: 20 kills"
run bash "$SUP_SOURCE_DIR/scripts/torture.sh" --kills 20 --seed 4242
cat "$T/out"
expect_exit 0 "scripts/torture.sh --kills 20 --seed 4242"
assert_stdout "torture: seed 4242: 20 kills"
assert_stdout "torture: corrupt records:                           0"
assert_stdout "torture: partial files visible at a target path:    0"
assert_stdout "torture: non-idempotent actions run twice:          0"
assert_stdout "torture: leftover temporaries:                      0"
assert_stdout "torture: passed"

finish
