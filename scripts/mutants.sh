#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mutants.sh - does the test suite notice when a guarantee breaks? Apply
# small code mutations, one guarantee each, to a scratch copy of the tree,
# rebuild, run the suite, and report which mutants survived.
#
#   scripts/mutants.sh [--only ID[,ID...]] [--quick] [--head] [-j N]
#                      [-E REGEX] [--out FILE] [--keep] [--list]
#
# The scratch copy is a `git worktree add --detach` of HEAD in a temporary
# directory (never the source tree), with the source tree's uncommitted
# changes and untracked files laid over it (--head: HEAD alone, plus the
# untracked files under tests/). It is built once (cmake + ninja, the
# project's default build type, -DSUPKIT_WERROR=ON), then the suite runs on it
# unmutated: the baseline. Tests that fail there are reported and never
# count as killing a mutant. Then for each mutant: the file is changed (the
# old text must occur exactly once, else the mutant is "stale": fix its
# text here), rebuilt (ninja, incremental), the suite runs (ctest -j N,
# every test; --quick: only the tests named for the mutant, listed with
# --list), and the file is restored. A test that fails on the mutant (and
# passed on the baseline) is run once more; one that fails twice killed
# the mutant. A mutant whose only failures did not repeat "survived
# (flaky)". -E REGEX leaves out the tests it matches (ctest -E), e.g. to
# see whether a mutant survives without the test written for it.
#
# Prints a table: mutant, guarantee, killed/survived, the tests that killed
# it (also written to --out FILE, and to mutants.md in the scratch
# directory with one log per run). Exits 0 when every mutant was killed,
# 1 when one survived, 2 on a setup problem, a stale mutant or a mutant
# that does not build. Slow (the whole suite per mutant, about 5 minutes
# each on 2 CPUs): not run by CI. Needs git, cmake, ninja, ctest and
# python3.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
only=""
exclude=""
quick=0
head_only=0
jobs=2
out=""
keep=0
list=0
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=${2:?--only needs mutant ids}; shift ;;
	--quick) quick=1 ;;
	-E) exclude=${2:?-E needs a regular expression}; shift ;;
	--head) head_only=1 ;;
	-j) jobs=${2:?-j needs a number}; shift ;;
	--out) out=${2:?--out needs a file}; shift ;;
	--keep) keep=1 ;;
	--list) list=1 ;;
	-h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "mutants: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

# ---- the mutants ---------------------------------------------------
# "@ ID" starts a mutant; "file", "what" (the guarantee) and "tests" (the
# ctest regular expression of --quick) follow; then the old text, one line
# each prefixed by "-", and the new text, prefixed by "+" (tabs kept).
MUTANTS=$(cat <<'EOF'
@ stream-hash
file core/lib/package/supfile.c
what payload stream: the sha256 is compared at its verified end
tests ^e2e\.(unverified|bad_packages|compressed_install|payload_resized)$|^unit\.supfile$
-	if (strcmp(hex, s->p->sha256) != 0) {
+	if (0 && strcmp(hex, s->p->sha256) != 0) {
@ stream-size
file core/lib/package/supfile.c
what payload stream: fewer bytes than declared fail at its end
tests ^e2e\.(unverified|bad_packages|compressed_install|payload_resized)$|^unit\.supfile$
-	if (s->got != s->p->size) {
+	if (s->got > s->p->size) {
@ stream-overrun
file core/lib/package/supfile.c
what payload stream: no byte beyond the declared size reaches a plugin
tests ^e2e\.(payload_resized|unverified)$|^unit\.supfile$
-		if ((unsigned long long)n > s->p->size - s->got) {
+		if (0 && (unsigned long long)n > s->p->size - s->got) {
@ entry-size
file core/lib/package/supfile.c
what verification: the archive entry's size must be the declared size
tests ^e2e\.(bad_packages|compressed_install)$|^unit\.supfile$
-	if (hdr_size < 0 || (unsigned long long)hdr_size != p->size) {
+	if (hdr_size < 0) {
@ resume-hash
file core/lib/install/runner.c
what --resume: the package's sha256 must be the one pinned at install
tests ^e2e\.(resume_robust|kill_resume|reboot_resume)$
-	    strcmp(f.sha256, st.sup_sha256) != 0) {
+	    (strcmp(f.sha256, st.sup_sha256) != 0 && 0)) {
@ abi-major
file core/lib/install/loader.c
what plugin loader: ABI major must equal the host's
tests ^e2e\.plugins_loading$|^unit\.loader$
-	if (p->abi_major != SUP_ABI_MAJOR) {
+	if (p->abi_major > SUP_ABI_MAJOR) {
@ link-escape
file plugins/lib/extract.c
what file.extract: a symlink may not climb above the extraction directory
tests ^e2e\.(extract_boundaries|file_actions)$
-			if (--depth < 0)
+			if (--depth < -1)
@ link-inside
file plugins/lib/extract.c
what file.extract: a symlink to exactly the extraction directory is kept
tests ^e2e\.(extract_boundaries|file_actions)$
-			if (--depth < 0)
+			if (--depth <= 0)
@ extract-setid
file plugins/lib/extract.c
what file.extract: set-id bits only after the payload is verified (streamed), only with the commit (staged)
tests ^e2e\.(unverified|staging)$
-			archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
+			(void)0;
@ atomic-fsync
file core/lib/base/util.c
what durable write: the temporary is synced before the rename
tests ^e2e\.resume_robust$|^unit\.util$
-	if (fsync(a->fd) != 0) {
-		ret = -errno;
-		return ret;
-	}
-	ret = close(a->fd);
+	ret = close(a->fd);
@ atomic-order
file core/lib/base/util.c
what durable write: rename only after the temporary is synced
tests ^e2e\.resume_robust$|^unit\.util$
-	if (fsync(a->fd) != 0) {
-		ret = -errno;
-		return ret;
-	}
-	ret = close(a->fd);
-	a->fd = -1;
-	if (ret != 0)
-		return -errno;
-	if (rename(a->tmp, a->path) != 0)
-		return -errno;
+	if (rename(a->tmp, a->path) != 0)
+		return -errno;
+	if (fsync(a->fd) != 0) {
+		ret = -errno;
+		return ret;
+	}
+	ret = close(a->fd);
+	a->fd = -1;
+	if (ret != 0)
+		return -errno;
@ atomic-dirsync
file core/lib/base/util.c
what durable write: the directory is synced after the rename
tests ^e2e\.resume_robust$|^unit\.util$
-	return sk_fsync_dir(a->dir);
+	return 0;
@ ack-once
file core/supd/report.c
what supd: an accepted ack closes the job (acked exactly once)
tests ^e2e\.supd_
-		step = done(j, "acked, the portal accepted it");
+		step = SUPD_STEP_RETRY;
@ ack-persist
file core/supd/report.c
what supd: a closed job is on disk, not acked again after a restart
tests ^e2e\.supd_
-	 * completed", which counts as accepted. */
-	return supd_job_commit(j) ? SUPD_STEP_RETRY : SUPD_STEP_NEXT;
+	 * completed", which counts as accepted. */
+	return SUPD_STEP_NEXT;
@ untrusted-ok
file core/lib/verify/trust.c
what trust: a signer that chains to no anchor is refused
tests ^e2e\.(trust|supd_trust|trust_tools)$|^unit\.(trust|signature)$
-	if (r->status == SK_SIG_OK)
-		return true;
+	if (r->status == SK_SIG_OK || r->status == SK_SIG_UNTRUSTED)
+		return true;
@ sig-mismatch
file core/lib/verify/signature.c
what signature: it must verify over the exact manifest bytes
tests ^e2e\.(trust|supd_trust|trust_tools|bad_packages)$|^unit\.signature$
-		       CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
+		       CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1 && 0) {
@ json-dup
file core/lib/base/jsonstrict.c
what strict JSON: a duplicate key is refused
tests ^e2e\.strict_json$|^unit\.(jsonstrict|manifest)$
-	if (lh_table_lookup_entry_w_hash(f->keys, k, h)) {
+	if (0 && lh_table_lookup_entry_w_hash(f->keys, k, h)) {
@ anti-rollback
file core/lib/verify/trust.c
what trust: a lower security_version is refused whatever the options
tests ^e2e\.(trust|rollback)$|^unit\.(trust|rollback)$
-	case SK_RB_SAME: return;
-	case SK_RB_SECURITY_DOWNGRADE:
+	case SK_RB_SAME: return;
+	case SK_RB_SECURITY_DOWNGRADE: return;
@ sv-off-by-one
file core/lib/verify/rollback.c
what anti-rollback: security_version one lower is a downgrade too
tests ^e2e\.(trust|rollback)$|^unit\.(trust|rollback)$
-	if (sv < p->security_version)
+	if (sv + 1 < p->security_version)
@ link-owner
file core/lib/base/rootfd.c
what paths: a symlink owned by another user is not followed
tests ^e2e\.(path_safety|path_safety_fw|exec_actions)$|^unit\.rootfd$
-			if (!trusted(st.st_uid))
+			if (!trusted(st.st_uid) && 0)
@ unsafe-transition
file core/lib/base/rootfd.c
what paths: no step from a user's directory into another owner's
tests ^e2e\.(path_safety|path_safety_fw|exec_actions)$|^unit\.rootfd$
-		if (!trusted(top->uid) && st.st_uid != top->uid) {
+		if (!trusted(top->uid) && st.st_uid != top->uid && 0) {
@ link-in-user-dir
file core/lib/base/rootfd.c
what paths: no link in another user's directory is followed, root's included
tests ^e2e\.path_safety$|^unit\.rootfd$
-			else if (!trusted(top->uid))
+			else if (0 && !trusted(top->uid))
@ mkparent-user-dir
file core/lib/base/rootfd.c
what paths: no missing parent is made in another user's directory
tests ^e2e\.(path_safety|path_race)$|^unit\.rootfd$
-	if (!trusted(top->uid))
-		return fail(w, EPERM,
+	if (0 && !trusted(top->uid))
+		return fail(w, EPERM,
@ mkdir-swap
file plugins/file/file.c
what file.mkdir: a directory swapped in after the walk is not given owner and mode
tests ^e2e\.path_race$
-	if (!spl_fs_is_safe_transition(&dst, &st) &&
+	if (0 && !spl_fs_is_safe_transition(&dst, &st) &&
@ install-mode-early
file plugins/file/file.c
what file.install: the final mode only after the data is verified
tests ^e2e\.(unverified|file_actions)$
-			   "cannot create a temporary file for '%s'", a.path);
-		goto out;
-	}
+			   "cannot create a temporary file for '%s'", a.path);
+		goto out;
+	}
+	if (fchmod(fd, a.mode) != 0)
+		goto out;
EOF
)

# mut_tool CMD ...: the mutation engine (python3) over $MUTANTS.
#   list                  ID<TAB>FILE<TAB>WHAT<TAB>TESTS, one per mutant
#   apply ID SRCDIR       change the file; exit 3 if the old text does not
#                         occur exactly once
mut_tool() {
	printf '%s\n' "$MUTANTS" | python3 -c '
import sys
cmd = sys.argv[1]
muts, cur = [], None
for line in sys.stdin.read().split("\n"):
    if line.startswith("@ "):
        cur = {"id": line[2:].strip(), "old": [], "new": []}
        muts.append(cur)
    elif cur is None or not line:
        continue
    elif line[0] == "-":
        cur["old"].append(line[1:])
    elif line[0] == "+":
        cur["new"].append(line[1:])
    else:
        k, _, v = line.partition(" ")
        cur[k] = v
if cmd == "list":
    for m in muts:
        print("\t".join((m["id"], m["file"], m["what"], m["tests"])))
    sys.exit(0)
mid, src = sys.argv[2:4]
m = next((m for m in muts if m["id"] == mid), None)
if m is None:
    sys.exit("mutants: no mutant %r" % mid)
path = src + "/" + m["file"]
text = open(path).read()
old, new = "\n".join(m["old"]) + "\n", "\n".join(m["new"]) + "\n"
n = text.count(old)
if n != 1:
    print("mutants: %s: the old text occurs %d times in %s" % (mid, n, m["file"]),
          file=sys.stderr)
    sys.exit(3)
open(path, "w").write(text.replace(old, new))
' "$@"
}

if [ "$list" = 1 ]; then
	mut_tool list | awk -F'\t' '{ printf "%-20s %-28s %s\n    --quick: %s\n", $1, $2, $3, $4 }'
	exit 0
fi

for t in git cmake ninja ctest python3; do
	command -v "$t" >/dev/null || { echo "mutants: $t is needed" >&2; exit 2; }
done
git -C "$here" rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "mutants: '$here' is not a git checkout" >&2; exit 2; }

ids=()
while IFS=$'\t' read -r id _; do
	if [ -z "$only" ] || [[ ",$only," == *",$id,"* ]]; then
		ids+=("$id")
	fi
done < <(mut_tool list)
if [ ${#ids[@]} -eq 0 ]; then
	echo "mutants: no mutant matches '$only' (see --list)" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/supkit-mutants.XXXXXX") || exit 2
src="$work/src"
bld="$work/build"
logs="$work/logs"
mkdir -p "$logs"
cleanup() {
	if [ "$keep" = 1 ]; then
		echo "mutants: kept $work (remove the worktree with: git -C '$here' worktree remove --force '$src')"
		return
	fi
	git -C "$here" worktree remove --force "$src" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() {
	echo "mutants: $*"
}

# ---- the scratch tree ----------------------------------------------
say "scratch tree $src (logs in $logs)"
if ! git -C "$here" worktree add --detach "$src" HEAD >"$logs/worktree.log" 2>&1; then
	cat "$logs/worktree.log" >&2
	exit 2
fi
# Read-only git commands on the source tree: no index refresh.
gitro() {
	git --no-optional-locks -C "$here" "$@"
}
if [ "$head_only" = 0 ]; then
	gitro diff --binary HEAD >"$work/uncommitted.diff"
	if [ -s "$work/uncommitted.diff" ] &&
		! git -C "$src" apply --whitespace=nowarn "$work/uncommitted.diff"; then
		echo "mutants: cannot lay the uncommitted changes over HEAD (the tree changed meanwhile?); try again, or --head" >&2
		exit 2
	fi
	untracked=(.)
else
	untracked=(tests)
fi
gitro ls-files -z --others --exclude-standard -- "${untracked[@]}" |
	(cd "$here" && xargs -0 -r cp --parents -t "$src")
say "$(gitro rev-parse --short HEAD)$([ "$head_only" = 0 ] && echo " + $(grep -c '^diff --git' "$work/uncommitted.diff") changed files") + $(gitro ls-files --others --exclude-standard -- "${untracked[@]}" | wc -l) untracked files"

say "building"
if ! { cmake -S "$src" -B "$bld" -G Ninja -DSUPKIT_WERROR=ON &&
	ninja -C "$bld" -j "$jobs"; } >"$logs/build.log" 2>&1; then
	tail -n 30 "$logs/build.log" >&2
	echo "mutants: the unmutated tree does not build (log: $logs/build.log)" >&2
	exit 2
fi

# run_suite LOG [REGEX]: ctest on the scratch build; prints the names of
# the tests that failed, one per line.
run_suite() {
	local log=$1 re=${2:-}
	rm -f "$bld/Testing/Temporary/LastTestsFailed.log"
	(cd "$bld" && ctest -j "$jobs" --output-on-failure ${re:+-R "$re"} \
		${exclude:+-E "$exclude"}) \
		</dev/null >"$log" 2>&1
	if [ -f "$bld/Testing/Temporary/LastTestsFailed.log" ]; then
		cut -d: -f2- "$bld/Testing/Temporary/LastTestsFailed.log" | sort -u
	fi
}

# names_re NAME...: a ctest regular expression of exactly these tests
# (ctest's regular expressions allow few groups: one, for any number).
names_re() {
	local IFS='|'
	echo "^(${*//./\\.})\$"
}

# The baseline: with --quick the tests of every selected mutant (by name:
# the union of their expressions), else the whole suite.
base_re=""
if [ "$quick" = 1 ]; then
	mapfile -t all_tests < <(cd "$bld" && ctest -N | sed -n 's/^ *Test *#[0-9]*: //p')
	base_tests=()
	while IFS=$'\t' read -r id _ _ re; do
		for i in "${ids[@]}"; do
			[ "$i" = "$id" ] || continue
			for t in "${all_tests[@]}"; do
				grep -qE -- "$re" <<<"$t" && base_tests+=("$t")
			done
		done
	done < <(mut_tool list)
	mapfile -t base_tests < <(printf '%s\n' "${base_tests[@]}" | sort -u)
	if [ ${#base_tests[@]} -eq 0 ]; then
		echo "mutants: --quick: the selected mutants name no test" >&2
		exit 2
	fi
	base_re=$(names_re "${base_tests[@]}")
fi
say "baseline: ${base_re:-the whole suite}"
t0=$(date +%s)
base_failed=$(run_suite "$logs/baseline.log" "$base_re")
say "baseline done in $(($(date +%s) - t0)) s"
if [ -n "$base_failed" ]; then
	say "WARNING: failing on the unmutated tree (never counted as a kill): $(echo $base_failed)"
fi

# ---- the mutants ---------------------------------------------------
rows=()
status=0
while IFS=$'\t' read -r id file what re; do
	sel=0
	for i in "${ids[@]}"; do
		[ "$i" = "$id" ] && sel=1
	done
	[ "$sel" = 1 ] || continue
	cp -p "$src/$file" "$work/orig"
	result="" killers=""
	if ! mut_tool apply "$id" "$src" 2>"$logs/$id.apply.log"; then
		result="STALE (old text not found once)"
		say "$id: stale: $(cat "$logs/$id.apply.log")"
		cat "$logs/$id.apply.log" >&2
		status=2
	else
		diff -u "$work/orig" "$src/$file" >"$logs/$id.diff"
		say "$id: $(grep -c '^[-+][^-+]' "$logs/$id.diff") lines changed in $file; building"
		if ! ninja -C "$bld" -j "$jobs" </dev/null >"$logs/$id.build.log" 2>&1; then
			result="DOES NOT BUILD"
			say "$id: does not build (log: $logs/$id.build.log)"
			status=2
		else
			t0=$(date +%s)
			suite_re=""
			[ "$quick" = 1 ] && suite_re=$re
			failed=$(run_suite "$logs/$id.log" "$suite_re")
			new=()
			for t in $failed; do
				grep -qxF -- "$t" <<<"$base_failed" || new+=("$t")
			done
			if [ ${#new[@]} -gt 0 ]; then
				again=$(run_suite "$logs/$id.again.log" \
					"$(names_re "${new[@]}")")
				for t in "${new[@]}"; do
					grep -qxF -- "$t" <<<"$again" &&
						killers="${killers:+$killers, }$t"
				done
			fi
			if [ -n "$killers" ]; then
				result="killed"
			elif [ ${#new[@]} -gt 0 ]; then
				result="SURVIVED (flaky: ${new[*]} failed once)"
				status=$((status > 1 ? status : 1))
			else
				result="SURVIVED"
				status=$((status > 1 ? status : 1))
			fi
			say "$id: $result${killers:+ by $killers} ($(($(date +%s) - t0)) s)"
		fi
	fi
	# Restored with a new time stamp: ninja rebuilds it next time.
	cp "$work/orig" "$src/$file"
	touch "$src/$file"
	rows+=("$id	$what	$result	$killers")
done < <(mut_tool list)

# ---- the table -----------------------------------------------------
{
	echo "| mutant | guarantee | result | killed by |"
	echo "|---|---|---|---|"
	for r in "${rows[@]}"; do
		IFS=$'\t' read -r id what result killers <<<"$r"
		echo "| $id | $what | $result | ${killers:--} |"
	done
	echo
	echo "tree: $(gitro rev-parse --short HEAD)$([ "$head_only" = 0 ] && echo " with the uncommitted changes"); tests: $([ "$quick" = 1 ] && echo "per mutant (--quick)" || echo "the whole suite (ctest -j $jobs)")${exclude:+, without /$exclude/}"
	[ -z "$base_failed" ] || echo "failing on the unmutated tree, not counted: $(echo $base_failed)"
} >"$work/mutants.md"
cat "$work/mutants.md"
[ -z "$out" ] || cp "$work/mutants.md" "$out"
exit "$status"
