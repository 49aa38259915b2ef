#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""watch.py - watch confirmation.json during installs, and kill the
installer at a chosen point (end-to-end tests).

Usage:
    watch.py CONFIRMATION STOPFILE REPORT [--kill PID --when-running ID
             [--when-exists PATTERN]] [--interval-ms N]

Reads CONFIRMATION every few milliseconds until STOPFILE exists (one more
read after that), across any number of runs on the same file (install,
resume, abandon), and checks each read:

  - it parses as JSON (bytes decoded strictly, RFC 8259);
  - "result" and every action "status" are known values, at most one
    action is "running", "summary" counts the statuses (the running one
    as "pending"), a "running" or
    "suspended" record has no "finished" time and a final one ("succeeded",
    "failed") has it and no action left "pending" or "running";
  - between two reads, no action goes back (pending < running < done), and
    a done status never changes; the one exception is an interrupted
    idempotent action queued again by a resume: "running" to "pending"
    with "interrupted": true.

REPORT.ready is created after the first read: the watcher is watching.

With --kill: as soon as action ID is "running" (and a path matching the
glob PATTERN exists, with --when-exists), send SIGKILL to PID, once, and
keep the record read then.

REPORT (JSON): reads, missing (reads that found no file), bad (parse
errors), violations, results (distinct "result" values in order of first
sight), killed (statuses at the kill, or null), final (the last statuses).
"""

import glob
import json
import os
import signal
import sys
import time

RANK = {"pending": 0, "running": 1, "succeeded": 2, "failed": 2,
        "skipped": 2}
RESULTS = ("running", "succeeded", "failed", "suspended", "rejected")


def check(d, last, r):
    """Violations of one parsed record against the previous statuses."""
    bad = r["violations"]
    acts = d["actions"]
    st = [a["status"] for a in acts]
    if d["result"] not in RESULTS:
        bad.append("unknown result %r" % d["result"])
    for i, s in enumerate(st):
        if s not in RANK:
            bad.append("action %d: unknown status %r" % (i, s))
    if st.count("running") > 1:
        bad.append("two running: %s" % st)
    # "pending" counts the running action too.
    counts = {k: st.count(k) for k in RANK if k != "running"}
    counts["pending"] += st.count("running")
    summary = dict(d["summary"])
    summary.pop("total", None)
    if summary != counts or d["summary"]["total"] != len(st):
        bad.append("summary %r for %s" % (d["summary"], st))
    if d["result"] in ("running", "suspended") and d["finished"] is not None:
        bad.append("%s with finished set" % d["result"])
    if d["result"] in ("succeeded", "failed"):
        if d["finished"] is None:
            bad.append("%s without finished" % d["result"])
        if "pending" in st or "running" in st:
            bad.append("%s with actions left: %s" % (d["result"], st))
    for i, a in enumerate(acts):
        if a["status"] == "running" and (a["started"] is None or
                                         a["finished"] is not None):
            bad.append("action %d running: started %r, finished %r" %
                       (i, a["started"], a["finished"]))
        if RANK.get(a["status"]) == 2 and a["status"] != "skipped" and \
                a["finished"] is None:
            bad.append("action %d %s without finished" % (i, a["status"]))
    if last is not None and len(last) == len(st):
        for i, (a, b) in enumerate(zip(last, st)):
            if a == b or a not in RANK or b not in RANK:
                continue
            requeued = (a == "running" and b == "pending" and
                        acts[i].get("interrupted") is True)
            if requeued:
                continue
            if RANK[b] < RANK[a] or RANK[a] == 2:
                bad.append("action %d: %s -> %s" % (i, a, b))
    return st


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, stop, report = args[:3]
    opts = {"--kill": None, "--when-running": None, "--when-exists": None,
            "--interval-ms": "2"}
    rest = args[3:]
    while rest:
        if rest[0] not in opts or len(rest) < 2:
            print("watch.py: error: bad option %r" % rest[0], file=sys.stderr)
            return 2
        opts[rest[0]] = rest[1]
        rest = rest[2:]
    interval = int(opts["--interval-ms"]) / 1000.0
    kill_pid = int(opts["--kill"]) if opts["--kill"] else None
    r = {"reads": 0, "missing": 0, "bad": [], "violations": [],
         "results": [], "killed": None, "final": None}
    last = None
    ready = False
    while True:
        done = os.path.exists(stop)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            r["missing"] += 1
            data = None
        if data is not None:
            r["reads"] += 1
            try:
                d = json.loads(data)
                st = check(d, last, r)
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                r["bad"].append("%s: %s: %r" % (type(e).__name__, e,
                                                data[:80]))
                d, st = None, None
            if st is not None:
                if d["result"] not in r["results"]:
                    r["results"].append(d["result"])
                last = st
                if kill_pid and r["killed"] is None:
                    ids = [a["id"] for a in d["actions"]]
                    want = opts["--when-running"]
                    ready = (want in ids and
                             st[ids.index(want)] == "running" and
                             (not opts["--when-exists"] or
                              glob.glob(opts["--when-exists"])))
                    if ready:
                        try:
                            os.kill(kill_pid, signal.SIGKILL)
                        except ProcessLookupError:
                            r["violations"].append("pid %d gone before "
                                                   "the kill" % kill_pid)
                        r["killed"] = st
        if not ready:
            open(report + ".ready", "w").close()
            ready = True
        if len(r["bad"]) > 20 or len(r["violations"]) > 20:
            break
        if done:
            break
        time.sleep(interval)
    r["final"] = last
    with open(report, "w") as f:
        json.dump(r, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
