#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# spdx.sh - every source file of the tree names its licence (an SPDX line
# in its first three lines) and the licence it names is in LICENSE.
#
#   spdx.sh SOURCE_DIR
#
# Source files: C, headers, shell and Python scripts, CMake files and
# templates, configuration samples, systemd units, and every executable
# file. Data is not source: fuzz corpora and dictionaries, test data,
# documentation and JSON. Exit 1 and a list when a file lacks the line.
set -euo pipefail

src=${1:?usage: spdx.sh SOURCE_DIR}
cd "$src"
status=0
if ! grep -q '^MIT License$' LICENSE 2>/dev/null; then
	echo "spdx: LICENSE is missing or is not the MIT licence" >&2
	status=1
fi
checked=0
while IFS= read -r -d '' f; do
	checked=$((checked + 1))
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT'; then
		echo "spdx: $f: no 'SPDX-License-Identifier: MIT' in its first three lines" >&2
		status=1
	fi
done < <(find . \( -path ./.git -o -path './build*' -o -path ./tests/fuzz/corpus \
	-o -path ./tests/fuzz/dict -o -path ./tests/fuzz/data -o -path ./tests/data \
	-o -path ./docs -o -name __pycache__ -o -name 'CMakeFiles' \) -prune -o \
	-type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \
	-o -name CMakeLists.txt -o -name '*.cmake' -o -name '*.in' \
	-o -path './conf/*' -o -perm -u+x \) -print0)
if [ "$checked" -lt 100 ]; then
	echo "spdx: only $checked source files found under '$src': wrong directory?" >&2
	status=1
fi
[ "$status" = 0 ] && echo "spdx: $checked source files, each with its SPDX line"
exit "$status"
