#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# torture.sh - kill -9 the installer at random points of real installs and
# resume each time; check that nothing a crash can leave is ever wrong.
#
#   scripts/torture.sh [--kills N] [--seed S] [--build-dir DIR] [--keep] [-v]
#
# One gateway root (product "acme": file, exec, runtime and firmware
# plugins, the fake runtime of tests/fakeruntime running a release) gets
# mixed packages in turn: file installs (4 MiB and small), archive
# extraction (replace and merge), commands that are not idempotent (each
# appends "ITERATION ID" to /counter) and firmware.update to another
# release with a runtime restart. Each install is killed with SIGKILL after
# a random delay (up to a little more than the package's uninterrupted
# install time; three times in four after its preflight), then `sup
# install --resume` runs, itself killed again at random half of the time
# (4 times in a row at most), until a resume ends the run; an install
# killed before its first record is started again. Until N kills have
# landed (default 200).
#
# After every kill:   confirmation.json and install.json parse and agree
#                     (a pending install has its own record: open, or
#                     final if the kill came before install.json was
#                     removed), and no target path shows anything but its
#                     old or its new content (a file, an extracted tree, a
#                     release);
# after every run:    every non-idempotent action ran at most once (and
#                     exactly once if recorded as succeeded), what
#                     succeeded is in place, nothing is pending, and no
#                     temporary is left (sk_atomic temporaries, plugin
#                     ".NAME.sup-XXXXXX" files and trees, staging
#                     directories, the firmware pending record, the kept
#                     package link).
#
# Prints the counts; exits 1 on any violation, 2 on a setup problem.
#
# The binaries: the environment of the e2e tests (SUP, SUP_PLUGIN_DIR,
# SUP_FAKERUNTIME, SUP_TEST_PKI, SUP_SYSCONF_DIR, as CTest sets them), or
# --build-dir (default: build/ of the source tree; its test PKI is made if
# missing). Slow (minutes for 200 kills): not run by CI; the e2e test
# e2e.torture runs a short variant (20 kills).
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
kills=200
seed=""
build_dir=""
keep=0
verbose=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kills) kills=${2:?--kills needs a number}; shift ;;
	--seed) seed=${2:?--seed needs a number}; shift ;;
	--build-dir) build_dir=${2:?--build-dir needs a directory}; shift ;;
	--keep) keep=1 ;;
	-v|--verbose) verbose=1 ;;
	-h|--help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "torture: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
case "$kills" in
''|*[!0-9]*) echo "torture: --kills '$kills' is not a number" >&2; exit 2 ;;
esac
[ -n "$seed" ] || seed=$(( $(date +%s) % 100000 ))
case "$seed" in
*[!0-9]*) echo "torture: --seed '$seed' is not a number" >&2; exit 2 ;;
esac

if [ -z "${SUP:-}" ]; then
	b=${build_dir:-$here/build}
	if [ ! -x "$b/core/sup" ]; then
		echo "torture: no sup in '$b' (build first, or give --build-dir)" >&2
		exit 2
	fi
	b=$(cd "$b" && pwd)
	export SUP=$b/core/sup SUP_PLUGIN_DIR=$b/plugins-out \
		SUP_FIXTURE_DIR=$b/fixtures \
		SUP_FAKERUNTIME=$b/tests/fakeruntime/fakeruntime \
		SUP_TEST_PKI=${SUP_TEST_PKI:-$b/test-pki} \
		SUP_SOURCE_DIR=$here
	if [ -z "${SUP_SYSCONF_DIR:-}" ]; then
		SUP_SYSCONF_DIR=$(sed -n 's/^SUPKIT_SYSCONF_DIR:[A-Z]*=//p' "$b/CMakeCache.txt")
		export SUP_SYSCONF_DIR
	fi
	if [ ! -f "$SUP_TEST_PKI/.done" ]; then
		bash "$here/tests/pki/mkpki.sh" "$SUP_TEST_PKI" >/dev/null || exit 2
	fi
fi
if [ -z "${SUP_FAKERUNTIME:-}" ] || [ ! -x "$SUP_FAKERUNTIME" ]; then
	echo "torture: the fake runtime (SUP_FAKERUNTIME) is needed" >&2
	exit 2
fi

# shellcheck source=tests/e2e/lib.sh
. "$here/tests/e2e/lib.sh"
if [ "$keep" = 1 ]; then
	trap 'for c in "${E2E_AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done; echo "torture: kept $T" >&2' EXIT
fi
RANDOM=$seed

log() {
	[ "$verbose" = 0 ] || echo "torture: $*"
}

# rand N: a number from 0 to N-1.
rand() {
	echo $(( (RANDOM * 32768 + RANDOM) % $1 ))
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# ---- the gateway -------------------------------------------------------
mkdir -p "$T/bin"
ln -s "$SUP_FAKERUNTIME" "$T/bin/fakeruntime"
FR="$T/bin/fakeruntime"
product_root gw <<EOF
[product]
name = acme
plugins = file, exec, runtime, firmware

[runtime]
control = commands
start_command = $FR start --root "\$SUP_ROOT"
stop_command = $FR stop --root "\$SUP_ROOT"
health = command
health_command = $FR health --root "\$SUP_ROOT"
pidfile = /run/fakeruntime.pid
start_timeout_s = 10
stop_timeout_s = 10
poll_interval_ms = 20

[firmware]
method = release
releases_dir = /opt/acme/releases
current_link = /opt/acme/current
keep_releases = 2
health_timeout_s = 10
min_free_mb = 1
EOF
STATE="$R/var/lib/supkit"
mkdir -p "$R/opt/acme/releases/1.0/bin" "$R/opt/acme/releases/1.0/data"
echo "1.0" >"$R/opt/acme/releases/1.0/VERSION"
printf '#!/bin/sh\necho acme 1.0\n' >"$R/opt/acme/releases/1.0/bin/acme"
chmod 755 "$R/opt/acme/releases/1.0/bin/acme"
printf 'release 1.0\n' >"$R/opt/acme/releases/1.0/data/blob"
ln -s releases/1.0 "$R/opt/acme/current"
at_exit "$FR" stop --root "$R"
"$FR" start --root "$R" >/dev/null || exit 2
wait_until 5 "$FR" health --root "$R" >/dev/null 2>&1 || exit 2

# ---- the packages and what each one puts where ---------------------------
cat >"$T/build.py" <<'EOF'
"""Write the SUP specs (for mksup.py) of the torture packages and
expect.json: for each package its actions and targets, and the release
trees by version."""
import hashlib, json, stat, sys

t = sys.argv[1]
sha = lambda b: hashlib.sha256(b).hexdigest()


def counter(i, sleep=None, on_error="continue"):
    cmd = 'echo "$(cat "$SUP_ROOT/iter") %s" >>"$SUP_ROOT/counter"' % i
    if sleep:
        cmd += "; sleep %s" % sleep
    return {"id": i, "type": "exec.command", "on_error": on_error,
            "params": {"argv": ["/bin/sh", "-c", cmd]}}


def data(text, count):
    return {"repeat": {"text": text, "count": count}}, (text * count).encode()


def tree_of(entries):
    """The tree an archive of entries unpacks to: rel -> [kind, mode, sha]."""
    tree = {}
    for e in entries:
        parts = e["name"].split("/")
        for k in range(1, len(parts)):
            tree["/".join(parts[:k])] = ["dir", None, None]
        tree[e["name"]] = ["file", e.get("mode", 0o644), e["_sha"]]
    return tree


def tar(name, entries):
    spec = {"kind": "tar", "entries": [
        {k: v for k, v in e.items() if not k.startswith("_")} for e in entries]}
    json.dump(spec, open("%s/tar-%s.spec" % (t, name), "w"))


def files_entries(prefix, n, size, v):
    out = []
    for k in range(n):
        text = "%s-%s-%03d|" % (v, prefix, k)
        d, raw = data(text, size // len(text))
        e = {"name": "%s%02d.txt" % (prefix, k), "_sha": sha(raw)}
        e.update(d)
        out.append(e)
    return out


expect = {"packages": {}, "releases": {}}
# Release 1.0, installed by hand (torture.sh).
expect["releases"]["1.0"] = {
    "VERSION": ["file", 0o644, sha(b"1.0\n")],
    "bin": ["dir", None, None],
    "bin/acme": ["file", 0o755, sha(b"#!/bin/sh\necho acme 1.0\n")],
    "data": ["dir", None, None],
    "data/blob": ["file", 0o644, sha(b"release 1.0\n")]}

for v, fwver in (("A", "2.0"), ("B", "3.0")):
    # -- files-V: installs, extraction, commands
    big_d, big = data("%s-big-0123456789|" % v, (4 << 20) // 17)
    small = ("small %s\n" % v).encode()
    www = files_entries("w", 40, 12 * 1024, v)
    www.append(dict(files_entries("s", 1, 2048, v)[0], name="sub/deep.txt"))
    merge = files_entries("m", 20, 8 * 1024, v)
    tar("www-%s" % v, www)
    tar("merge-%s" % v, merge)
    actions = [
        counter("c1"),
        {"id": "big", "type": "file.install",
         "params": {"path": "/opt/t/big.bin"}, "payloads": ["big.bin"]},
        counter("c2", "0.05", "abort"),
        {"id": "small", "type": "file.install",
         "params": {"path": "/opt/t/small.txt"}, "payloads": ["small.txt"]},
        {"id": "www", "type": "file.extract",
         "params": {"path": "/opt/t/www", "replace": True},
         "payloads": ["www.tar"]},
        counter("c3", "0.02"),
        {"id": "merge", "type": "file.extract",
         "params": {"path": "/opt/t/merge"}, "payloads": ["merge.tar"]},
        counter("c4")]
    entries = [dict(big_d, name="big.bin"),
               {"name": "small.txt", "data": small.decode()},
               {"name": "www.tar", "file": "%s/www-%s.tar" % (t, v)},
               {"name": "merge.tar", "file": "%s/merge-%s.tar" % (t, v)}]
    json.dump({"manifest": {"sup_format": 1,
                            "package": {"name": "files", "version": "1.0"},
                            "compatibility": {"products": ["acme"]},
                            "actions": actions},
               "entries": entries}, open("%s/files-%s.spec" % (t, v), "w"))
    expect["packages"]["files-%s" % v] = {
        "actions": [a["id"] for a in actions],
        "counters": ["c1", "c2", "c3", "c4"],
        "targets": {
            "big": {"kind": "file", "path": "/opt/t/big.bin", "sha": sha(big)},
            "small": {"kind": "file", "path": "/opt/t/small.txt",
                      "sha": sha(small)},
            "www": {"kind": "tree", "path": "/opt/t/www",
                    "tree": tree_of(www)},
            "merge": {"kind": "merge", "path": "/opt/t/merge",
                      "tree": tree_of(merge)}}}

    # -- fw-V: firmware to release fwver, with commands and a file
    blob_d, blob = data("%s-fw-%s|" % (v, fwver), (1 << 20) // 10)
    acme = ("#!/bin/sh\necho acme %s\n" % fwver).encode()
    rel = [{"name": "VERSION", "data": fwver + "\n", "_sha": sha((fwver + "\n").encode())},
           {"name": "bin/acme", "data": acme.decode(), "mode": 0o755, "_sha": sha(acme)},
           dict(blob_d, name="data/blob", _sha=sha(blob))]
    tar("fw-%s" % v, rel)
    expect["releases"][fwver] = tree_of(rel)
    note = ("firmware %s\n" % fwver).encode()
    actions = [
        counter("c1"),
        {"id": "fw", "type": "firmware.update", "params": {"version": fwver},
         "payloads": ["fw.tar"]},
        counter("c2", "0.02"),
        {"id": "note", "type": "file.install",
         "params": {"path": "/opt/t/fwnote.txt"}, "payloads": ["note.txt"]}]
    json.dump({"manifest": {"sup_format": 1,
                            "package": {"name": "fw", "version": "1.0"},
                            "compatibility": {"products": ["acme"]},
                            "actions": actions},
               "entries": [{"name": "fw.tar", "file": "%s/fw-%s.tar" % (t, v)},
                           {"name": "note.txt", "data": note.decode()}]},
              open("%s/fw-%s.spec" % (t, v), "w"))
    expect["packages"]["fw-%s" % v] = {
        "actions": [a["id"] for a in actions],
        "counters": ["c1", "c2"],
        "targets": {
            "fw": {"kind": "fw", "version": fwver},
            "note": {"kind": "file", "path": "/opt/t/fwnote.txt",
                     "sha": sha(note)}}}
json.dump(expect, open("%s/expect.json" % t, "w"))
EOF
python3 "$T/build.py" "$T" || exit 2
for v in A B; do
	for f in www merge fw; do
		mksup "$T/tar-$f-$v.spec" -o "$T/$f-$v.tar" || exit 2
	done
	for p in files fw; do
		mksup "$T/$p-$v.spec" -o "$T/$p-$v.sup" || exit 2
	done
done

# ---- the checks --------------------------------------------------------
cat >"$T/check.py" <<'EOF'
"""check.py MODE ROOT T PKG ITER [RC]

MODE begin:  note what the targets of PKG hold now (T/old.json).
MODE killed: after a kill: the record and the state, and no target
             showing anything but its old or new content.
MODE done:   after the run ended with exit status RC: the same, and the
             counter, final contents, nothing pending, no temporaries.
Adds what it finds to T/tally.json and prints each violation."""
import hashlib, json, os, re, stat, sys

mode, root, t, pkg, it = sys.argv[1:6]
rc = int(sys.argv[6]) if len(sys.argv) > 6 else None
expect = json.load(open(os.path.join(t, "expect.json")))
P = expect["packages"][pkg]
state_dir = os.path.join(root, "var/lib/supkit")
logs_dir = os.path.join(root, "var/log/supkit")
record_path = os.path.join(logs_dir, "confirmation.json")
state_path = os.path.join(state_dir, "install.json")
releases = os.path.join(root, "opt/acme/releases")
tally_path = os.path.join(t, "tally.json")
try:
    tally = json.load(open(tally_path))
except FileNotFoundError:
    tally = {k: 0 for k in ("corrupt_records", "state_mismatch", "partial",
                            "twice", "lost", "wrong_final", "temporaries")}
    tally["results"] = {}
    tally["messages"] = []


def bad(kind, msg):
    tally[kind] += 1
    line = "iteration %s (%s, %s): %s: %s" % (it, pkg, mode, kind, msg)
    tally["messages"].append(line)
    print("torture: VIOLATION: " + line, flush=True)


def host(p):
    return os.path.join(root, p.lstrip("/"))


def file_sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def tree(p):
    """rel -> [kind, mode, sha] of the tree at p (no links followed), or
    None if p does not exist."""
    if not os.path.lexists(p):
        return None
    out = {}
    for d, dirs, files in os.walk(p):
        for n in dirs + files:
            q = os.path.join(d, n)
            rel = os.path.relpath(q, p)
            st = os.lstat(q)
            if stat.S_ISDIR(st.st_mode):
                out[rel] = ["dir", None, None]
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ["file", stat.S_IMODE(st.st_mode), file_sha(q)]
            else:
                out[rel] = ["other", None, os.readlink(q) if
                            stat.S_ISLNK(st.st_mode) else None]
    return out


def content(tg):
    """What a target holds now, comparable with json."""
    if tg["kind"] == "file":
        p = host(tg["path"])
        if not os.path.lexists(p):
            return None
        if not os.path.isfile(p) or os.path.islink(p):
            return "not a regular file"
        return file_sha(p)
    if tg["kind"] in ("tree", "merge"):
        return tree(host(tg["path"]))
    cur = os.path.join(root, "opt/acme/current")
    return os.readlink(cur) if os.path.islink(cur) else None


# ---- the record and the state -------------------------------------------
RANK = {"pending": 0, "running": 1, "succeeded": 2, "failed": 2, "skipped": 2}


def check_record():
    """The parsed record, or None; a record that is not a consistent
    confirmation document counts as corrupt."""
    if not os.path.exists(record_path):
        return None
    try:
        d = json.loads(open(record_path, "rb").read())
        st = [a["status"] for a in d["actions"]]
        why = []
        if d["result"] not in ("running", "suspended", "succeeded",
                               "failed", "rejected"):
            why.append("result %r" % d["result"])
        if any(s not in RANK for s in st):
            why.append("statuses %s" % st)
        if st.count("running") > 1:
            why.append("two running: %s" % st)
        counts = {k: st.count(k) for k in RANK if k != "running"}
        counts["pending"] += st.count("running")
        summ = dict(d["summary"])
        total = summ.pop("total", None)
        if summ != counts or total != len(st):
            why.append("summary %s for %s" % (d["summary"], st))
        final = d["result"] in ("succeeded", "failed")
        if final and (d["finished"] is None or "pending" in st or
                      "running" in st):
            why.append("final %s with %s, finished %r" %
                       (d["result"], st, d["finished"]))
        if not final and d["finished"] is not None:
            why.append("%s with finished set" % d["result"])
        if why:
            bad("corrupt_records", "; ".join(why))
        return d
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        bad("corrupt_records", "%s: %s" % (type(e).__name__, e))
        return None


def check_state(d):
    if not os.path.exists(state_path):
        return None
    try:
        s = json.loads(open(state_path, "rb").read())
        if s["state_format"] != 1 or not isinstance(s["sup"], str) or \
                not re.fullmatch(r"[0-9a-f]{64}", s["sup_sha256"]):
            raise ValueError("fields")
    except (ValueError, KeyError, TypeError) as e:
        bad("corrupt_records", "install.json: %s: %s" % (type(e).__name__, e))
        return None
    # A pending install has its own record (written before install.json):
    # else --resume could not tell how far it got. The record is open, or
    # final when the installer was killed between the final record and
    # the removal of install.json.
    if d is None:
        bad("state_mismatch", "install.json without confirmation.json")
    elif (d.get("package") or {}).get("sha256") != s["sup_sha256"] or \
            d.get("result") not in ("running", "suspended", "succeeded",
                                    "failed"):
        bad("state_mismatch", "install.json with a record of another run "
            "(result %r)" % d.get("result"))
    return s


# ---- targets --------------------------------------------------------
def release_ok(name, got):
    want = expect["releases"].get(name)
    return want is not None and got == want


def check_targets(old):
    for aid, tg in P["targets"].items():
        if tg["kind"] == "fw":
            check_releases()
            continue
        now = content(tg)
        new = tg["sha"] if tg["kind"] == "file" else tg["tree"]
        was = old.get(aid)
        if tg["kind"] == "merge" and now is not None:
            # Merged entry by entry, each one by an atomic rename.
            for rel, e in now.items():
                if e not in ((new or {}).get(rel), (was or {}).get(rel)):
                    bad("partial", "%s/%s: %s is neither the old nor the "
                        "new entry" % (tg["path"], rel, e))
            continue
        if now != new and now != was:
            desc = now if tg["kind"] == "file" else (
                "a tree of %d entries" % len(now) if now is not None else None)
            bad("partial", "%s holds neither its old nor its new content: %s"
                % (tg["path"], desc))


def check_releases():
    if not os.path.isdir(releases):
        return
    for n in sorted(os.listdir(releases)):
        if n.startswith("."):
            continue
        if not release_ok(n, tree(os.path.join(releases, n))):
            bad("partial", "release directory %s is incomplete or unknown" % n)
    cur = os.path.join(root, "opt/acme/current")
    if os.path.lexists(cur):
        target = os.readlink(cur)
        name = target.rsplit("/", 1)[-1]
        if not target.startswith("releases/") or \
                not release_ok(name, tree(os.path.join(releases, name))):
            bad("partial", "current -> %s: not a complete release" % target)


def temporaries():
    found = []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel == "run" or rel.startswith("run/"):
            continue
        for n in dirs + files:
            if n.startswith("."):
                found.append(os.path.join(rel, n))
    staging = os.path.join(state_dir, "staging")
    if os.path.isdir(staging):
        found += ["staging/" + n for n in os.listdir(staging)]
    for n in ("install.json", "package.sup"):
        if os.path.lexists(os.path.join(state_dir, n)):
            found.append("var/lib/supkit/" + n)
    return found


# ---- main --------------------------------------------------------------
old_path = os.path.join(t, "old.json")
if mode == "begin":
    json.dump({aid: content(tg) for aid, tg in P["targets"].items()},
              open(old_path, "w"))
    sys.exit(0)
old = json.load(open(old_path))
d = check_record()
s = check_state(d)
check_targets(old)
if mode == "done":
    if rc not in (0, 1):
        bad("wrong_final", "the run ended with exit status %s" % rc)
    if d is None or d.get("result") not in ("succeeded", "failed"):
        bad("wrong_final", "the record is not final: %s" %
            (d or {}).get("result"))
    res = (d or {}).get("result", "none")
    tally["results"][res] = tally["results"].get(res, 0) + 1
    status = {a["id"]: a["status"] for a in (d or {}).get("actions", [])}
    try:
        lines = open(os.path.join(root, "counter")).read().split("\n")
    except FileNotFoundError:
        lines = []
    for c in P["counters"]:
        n = lines.count("%s %s" % (it, c))
        st = status.get(c)
        if n > 1:
            bad("twice", "%s ran %d times (status %s)" % (c, n, st))
        elif st == "succeeded" and n != 1:
            bad("lost", "%s recorded succeeded, ran %d times" % (c, n))
        elif st in ("skipped", "pending") and n:
            bad("twice", "%s ran though recorded %s" % (c, st))
    for aid, tg in P["targets"].items():
        st = status.get(aid)
        now = content(tg)
        if tg["kind"] == "fw":
            want = "releases/" + tg["version"]
            if st == "succeeded" and now != want:
                bad("wrong_final", "current -> %s after fw succeeded" % now)
            continue
        new = tg["sha"] if tg["kind"] == "file" else tg["tree"]
        if st == "succeeded" and now != new:
            bad("wrong_final", "%s does not hold the new content" % tg["path"])
        if st == "skipped" and now != old.get(aid):
            bad("wrong_final", "%s changed though %s was skipped" %
                (tg["path"], aid))
    for f in temporaries():
        bad("temporaries", "left behind: %s" % f)
json.dump(tally, open(tally_path, "w"))
EOF

check() { # check MODE PKG [RC]
	python3 "$T/check.py" "$1" "$R" "$T" "$2" "$ITER" ${3:+"$3"}
}

ISUP=(--root "$R" --config "$CONF" -q)

# attempt DELAY_MS CMD...: run CMD; SIGKILL it after DELAY_MS unless it
# ended. Sets RC and KILLED (1 when the kill landed).
attempt() {
	local pid delay=$1
	shift
	"$@" >>"$T/sup.log" 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	RC=$?
	KILLED=0
	if [ "$RC" -eq 137 ]; then
		KILLED=1
		# Its plugin call shares the lock and dies right after.
		wait_unlocked "$STATE" || echo "torture: warning: the lock is still held 5 s after the kill" >&2
	fi
}

PKGS=(files-A fw-A files-B fw-B)
declare -A DURATION PREFLIGHT

# delay PKG [resume]: when to kill: anywhere in the run one time in four
# (always for a resume, which has no preflight), else after the preflight
# (where the actions run and write).
delay() {
	local d=$((DURATION[$1] * 12 / 10 + 20)) pre=${PREFLIGHT[$1]}
	if [ -n "${2:-}" ] || [ "$(rand 4)" = 0 ] || [ "$pre" -ge "$d" ]; then
		rand "$d"
	else
		echo $((pre + $(rand $((d - pre)))))
	fi
}

# ---- calibration: each package once, uninterrupted ----------------------
ITER=0
for p in "${PKGS[@]}"; do
	ITER=$((ITER + 1))
	echo "$ITER" >"$R/iter"
	check begin "$p"
	t0=$(now_ms)
	run "$SUP" install "$T/$p.sup" --dry-run "${ISUP[@]}"
	PREFLIGHT[$p]=$(($(now_ms) - t0))
	t0=$(now_ms)
	run "$SUP" install "$T/$p.sup" "${ISUP[@]}"
	DURATION[$p]=$(($(now_ms) - t0))
	check done "$p" "$RC"
	log "calibration: $p: preflight ${PREFLIGHT[$p]} ms, install ${DURATION[$p]} ms (exit $RC)"
	if [ "$RC" -ne 0 ]; then
		echo "torture: error: $p does not install (exit $RC): $(head -c 2000 "$T/err")" >&2
		exit 2
	fi
done

# ---- the torture -------------------------------------------------------
landed=0
install_kills=0
resume_kills=0
runs=0
unstarted=0
start=$(now_ms)
while [ "$landed" -lt "$kills" ] && [ "$ITER" -lt $((kills * 20 + 10)) ]; do
	ITER=$((ITER + 1))
	p=${PKGS[$(( (ITER - 1) % 4 ))]}
	echo "$ITER" >"$R/iter"
	check begin "$p"
	psha=$(sha256 "$T/$p.sup")
	tries=0
	# Until the run of this package ended: an install killed before its
	# first record never started (the record is still the last
	# iteration's, of another package), and is started again.
	while :; do
		tries=$((tries + 1))
		# A retry after the last kill landed runs to its end: the count
		# stays exactly N.
		if [ "$landed" -lt "$kills" ]; then
			attempt "$(delay "$p")" "$SUP" install "$T/$p.sup" "${ISUP[@]}"
		else
			run "$SUP" install "$T/$p.sup" "${ISUP[@]}"
			KILLED=0
		fi
		n=0
		while [ "$KILLED" = 1 ]; do
			landed=$((landed + 1))
			[ "$n" = 0 ] && install_kills=$((install_kills + 1)) ||
				resume_kills=$((resume_kills + 1))
			n=$((n + 1))
			check killed "$p"
			if [ "$n" -lt 5 ] && [ "$(rand 2)" = 0 ] && [ "$landed" -lt "$kills" ]; then
				attempt "$(delay "$p" resume)" "$SUP" install --resume "${ISUP[@]}"
			else
				run "$SUP" install --resume "${ISUP[@]}"
				KILLED=0
			fi
		done
		[ "$(jq_py "$C" 'd["package"]["sha256"]')" != "$psha" ] || break
		if [ "$tries" -ge 20 ]; then
			echo "torture: error: iteration $ITER: $p never got a record in 20 tries" >&2
			break
		fi
		unstarted=$((unstarted + 1))
		log "iteration $ITER ($p): killed before its first record; installing again"
	done
	runs=$((runs + 1))
	check done "$p" "$RC"
	log "iteration $ITER ($p): $n kill(s), exit $RC; $landed kills so far"
	if [ "$(jq_py "$T/tally.json" 'len(d["messages"])')" -gt 100 ]; then
		echo "torture: more than 100 violations: stopping" >&2
		break
	fi
done
elapsed=$(( ($(now_ms) - start) / 1000 ))

# ---- the report ----------------------------------------------------------
python3 - "$T/tally.json" "$seed" "$landed" "$install_kills" "$resume_kills" \
	"$runs" "$elapsed" "$unstarted" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
seed, landed, ik, rk, runs, secs, unstarted = sys.argv[2:9]
print("torture: seed %s: %s kills (%s of installs, %s of resumes) over %s runs in %s s"
      % (seed, landed, ik, rk, runs, secs))
print("torture: installs killed before their first record (started again): %s"
      % unstarted)
print("torture: results: %s" % ", ".join("%s %d" % kv for kv in sorted(t["results"].items())))
rows = [("corrupt records", "corrupt_records"),
        ("install.json without its own record", "state_mismatch"),
        ("partial files visible at a target path", "partial"),
        ("non-idempotent actions run twice", "twice"),
        ("actions recorded succeeded that never ran", "lost"),
        ("runs that did not end as recorded", "wrong_final"),
        ("leftover temporaries", "temporaries")]
total = 0
for label, key in rows:
    print("torture: %-42s %d" % (label + ":", t[key]))
    total += t[key]
sys.exit(1 if total else 0)
EOF
status=$?
[ "$landed" -ge "$kills" ] || { echo "torture: error: only $landed of $kills kills landed" >&2; status=1; }
if [ "$status" -ne 0 ]; then
	echo "torture: FAILED (seed $seed; rerun with --seed $seed --keep to inspect)" >&2
	exit 1
fi
echo "torture: passed"
exit 0
