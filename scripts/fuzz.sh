#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fuzz.sh - build the libFuzzer targets and run them (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--seconds N] [--jobs J] [--replay] [--no-build] [TARGET...]
#
# Builds with clang into build-fuzz/ (scripts/setup.sh --fuzz), then runs
# each TARGET (default: all, see tests/fuzz/CMakeLists.txt) for N seconds
# (default 30), J at a time (default 2), on a copy of its seed corpus
# tests/fuzz/corpus/TARGET/ (the repository's corpus does not grow), with
# its dictionary, -timeout=10 and -rss_limit_mb=2048. Run files, logs,
# grown corpora and reproducers are in build-fuzz/fuzz-run/.
# --replay runs every seed once instead (a quick regression check).
# --no-build uses the targets already built.
#
# Exits 0 when no target found anything; 1 on any crash, leak, timeout,
# out-of-memory or sanitizer report, printing each reproducer and how to
# run it again; 2 on a usage error.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
seconds=30
jobs=2
replay=false
build=true
targets=()
usage() {
	sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift ;;
	--replay) replay=true ;;
	--no-build) build=false ;;
	-h|--help) usage ;;
	-*) echo "fuzz.sh: unknown option '$1'" >&2; usage ;;
	*) targets+=("${1#fuzz_}") ;;
	esac
	shift
done
case "$seconds$jobs" in
*[!0-9]*) echo "fuzz.sh: --seconds and --jobs take whole numbers" >&2; exit 2 ;;
esac
[ "$jobs" -ge 1 ] || jobs=1

# Per target: largest input (bytes) and dictionary (tests/fuzz/dict/).
declare -A max_len=(
	[manifest]=16384 [supfile]=65536 [signature]=16384 [keyring]=16384
	[config]=8192 [supdconf]=4096 [tr50]=8192 [confirm]=16384
	[state]=4096 [installed]=16384 [job]=8192 [extract]=65536
)
declare -A dict=(
	[manifest]=manifest [supfile]=supfile [keyring]=keyring
	[config]=config [supdconf]=supdconf [tr50]=tr50 [confirm]=records
	[state]=records [installed]=records [job]=records [extract]=extract
)
all=(manifest supfile signature keyring config supdconf tr50 confirm state
	installed job extract)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
	[ -n "${max_len[$t]:-}" ] || {
		echo "fuzz.sh: unknown target '$t' (known: ${all[*]})" >&2
		exit 2
	}
done

bin=$here/build-fuzz/tests/fuzz
if $build; then
	"$here/scripts/setup.sh" --fuzz
fi

run=$here/build-fuzz/fuzz-run
rm -rf "$run"
mkdir -p "$run"/{corpus,artifacts,logs}
# The targets' private files (one directory per process, removed at exit)
# live on tmpfs when there is one: extraction syncs what it writes.
tmp_base=$run
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp_base=/dev/shm
tmp=$(mktemp -d "$tmp_base/supkit-fuzz-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Run target $1; its log, grown corpus and reproducers under $run.
fuzz_one() {
	local t=$1 args rc=0
	args=(-timeout=10 -rss_limit_mb=2048 "-max_len=${max_len[$t]}"
		-print_final_stats=1 "-artifact_prefix=$run/artifacts/$t/")
	[ -z "${dict[$t]:-}" ] ||
		args+=("-dict=$here/tests/fuzz/dict/${dict[$t]}.dict")
	mkdir -p "$run/artifacts/$t" "$tmp/$t"
	cp -r "$here/tests/fuzz/corpus/$t" "$run/corpus/$t"
	if $replay; then
		args+=(-runs=0)
	else
		args+=("-max_total_time=$seconds")
	fi
	# libFuzzer stops itself; the outer limit catches a hang outside an
	# input (start-up, the corpus load).
	TMPDIR=$tmp/$t timeout -k 10 $((seconds + 300)) \
		"$bin/fuzz_$t" "${args[@]}" "$run/corpus/$t" \
		>"$run/logs/$t.log" 2>&1 || rc=$?
	echo "$rc" >"$run/logs/$t.rc"
}

start=$(date +%s)
running=0
for t in "${targets[@]}"; do
	if [ ! -x "$bin/fuzz_$t" ]; then
		echo "fuzz.sh: $bin/fuzz_$t is not built" >&2
		exit 1
	fi
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	echo "fuzz.sh: fuzz_$t$($replay && echo ' (replay)' || echo " for ${seconds}s")" >&2
	fuzz_one "$t" &
	running=$((running + 1))
done
wait || true

failed=0
printf '%-10s %-6s %10s %8s %7s\n' target result execs exec/s corpus >&2
for t in "${targets[@]}"; do
	log=$run/logs/$t.log
	rc=$(cat "$run/logs/$t.rc" 2>/dev/null || echo 1)
	final() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
	execs=$(final number_of_executed_units)
	speed=$(final average_exec_per_sec)
	corpus=$(find "$run/corpus/$t" -type f | wc -l)
	repro=$(find "$run/artifacts/$t" -type f | sort)
	result=ok
	if [ "$rc" != 0 ] || [ -n "$repro" ] ||
		grep -qE '^==[0-9]+==(ERROR|WARNING): |runtime error:|^finding: ' "$log"; then
		result=FAILED
		failed=1
	fi
	printf '%-10s %-6s %10s %8s %7s\n' "$t" "$result" "${execs:--}" \
		"${speed:--}" "$corpus" >&2
done

for t in "${targets[@]}"; do
	log=$run/logs/$t.log
	repro=$(find "$run/artifacts/$t" -type f | sort)
	rc=$(cat "$run/logs/$t.rc" 2>/dev/null || echo 1)
	if [ "$rc" = 0 ] && [ -z "$repro" ] &&
		! grep -qE '^==[0-9]+==(ERROR|WARNING): |runtime error:|^finding: ' "$log"; then
		continue
	fi
	echo >&2
	echo "fuzz.sh: fuzz_$t FAILED (exit $rc); the report (from $log):" >&2
	grep -E -A40 -m1 '^==[0-9]+==(ERROR|WARNING)|runtime error:|^finding: |ALARM|out-of-memory|^fuzz harness:' "$log" |
		head -60 >&2 || tail -40 "$log" >&2
	for r in $repro; do
		echo "fuzz.sh: reproducer: $r" >&2
		echo "fuzz.sh:   run it again: $bin/fuzz_$t $r" >&2
	done
	[ -n "$repro" ] || echo "fuzz.sh: no reproducer was written (see the log)" >&2
done
echo "fuzz.sh: ${#targets[@]} target(s) in $(( $(date +%s) - start ))s; logs in $run/logs" >&2
if [ "$failed" != 0 ]; then
	echo "fuzz.sh: keep a reproducer in tests/fuzz/findings/TARGET/ until it is fixed (docs/fuzzing.md)" >&2
	exit 1
fi
