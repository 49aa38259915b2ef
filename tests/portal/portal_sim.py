#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""portal_sim.py - a TR50 portal simulator for the tests (stdlib only).

Usage:
    portal_sim.py --port-file FILE [--app-id ID] [--app-token TOKEN]
                  [--thing-key KEY] [--files-dir DIR] [--tls CERT KEY]
                  [--file-ttl SECONDS] [--session-dialect NAME]
                  [--ack-dialect NAME] [--upload-methods LIST]

Listens on 127.0.0.1, on a port the kernel picks; the port number is
written to FILE (atomically, so a reader never sees half of it) once the
server accepts connections. State lives in memory; stop it with SIGTERM.
Defaults: --app-id app, --app-token token, --thing-key gw1, --files-dir
none (every file.get fails), --file-ttl 300.

Dialects (docs/tr50.md, "Portal dialects"): the public TR50 sources do not
say how a portal words some answers, so the simulator speaks several. Each
has a command-line switch, an environment variable (used when the switch
is absent) and a /_control key to change it while running:
    --session-dialect, PORTAL_SIM_SESSION_DIALECT, {"dialect": {"session"}}:
        how a command with an unknown or expired sessionId is refused
        tr50     -90008 "session expired" (per command; the default)
        expired  -90000 "invalid or expired session"
        unauth   -90001 "Not authenticated"
        http401  HTTP 401 for the whole request (text body)
        http403  HTTP 403 for the whole request (JSON body)
    --ack-dialect, PORTAL_SIM_ACK_DIALECT, {"dialect": {"ack"}}: how a
        mailbox.ack of a message acked before is refused
        tr50          -90012 "message already completed" (the default)
        acknowledged  -90020 "Mailbox message has already been
                      acknowledged"
        status        -90000 "mailbox message status is COMPLETED"
    --upload-methods, PORTAL_SIM_UPLOAD_METHODS, {"dialect": {"upload"}}:
        comma-separated HTTP methods /file/<fileId> takes an upload with;
        others get 405 with an Allow header, as a real portal answers.
        Default POST (the method of the sources); POST,PUT is the lenient
        simulator of old.

TR50 (POST /api, JSON object; replies per key, HTTP 200):
    {"auth": {"command": "api.authenticate",
              "params": {"appId", "appToken", "thingKey"}}}
        -> {"auth": {"success": true, "params": {"sessionId": S}}}
    {"auth": {"sessionId": S}, "1": {"command", "params"}, "2": ...}
        -> {"1": {"success": true, "params": {...}}, "2": ...}
    A failed command: {"success": false, "errorCodes": [C],
    "errorMessages": [M]}. api.authenticate may also be a numbered command.
    Error codes:
        -90002 authentication failed      (wrong appId/appToken/thingKey)
        -90008 session expired            (unknown or expired sessionId;
                                           see --session-dialect)
        -90004 bad request                (missing or mistyped param)
        -90006 unknown command
        -90010 file not found             (file.get; unknown fileName)
        -90011 message not found          (mailbox.update/ack; unknown id)
        -90012 message already completed  (second mailbox.ack of an id;
                                           see --ack-dialect)
    Commands: api.authenticate; mailbox.check {"autoComplete": false,
    "limit"} -> {"messages": [...]} (every queued message not yet acked,
    so un-acked messages come again); mailbox.update {"id", "msg"};
    mailbox.ack {"id", "errorCode", "errorMessage", "params"};
    log.publish {"thingKey", "msg", "level"}; file.get {"fileName",
    "global": true} (a file of --files-dir, read at each call) or
    {"fileName", "thingKey"} (a file that thing uploaded) -> {"fileId",
    "fileSize", "crc32"}; file.put {"fileName", "thingKey"} -> {"fileId"}.

Files: GET /file/<fileId> sends the bytes (single use: a second GET is
410; expired after --file-ttl: 410; unknown: 404); "Range: bytes=N-"
gives 206 with Content-Range, N >= size gives 416. POST /file/<fileId>
(the raw bytes as the body, Content-Length or chunked; any Content-Type)
stores an upload; another method is 405 (see --upload-methods).

Control (tests; no credentials needed):
    POST /_control {"enqueue": MSG | [MSG...]}  queue mailbox messages;
        MSG = {"command", "params"[, "id"][, "thingKey"]}; the reply
        {"ids": [...]} gives their ids (generated "msg-N" when absent).
    POST /_control {"expire_sessions": true}    forget every sessionId.
    POST /_control {"faults": [FAULT...]}       add faults (consumed in
        order; "count" defaults to 1; "api calls" are POST /api requests,
        api.authenticate included; "downloads" are GET /file/<fileId>):
        {"type": "http_error", "status": 500, "count": N,
         "path": "api"|"file"}                  HTTP error instead of
                                                the next N api calls or
                                                file transfers
        {"type": "drop", "after": B, "count": N} next N downloads: close
                                                the connection after B
                                                body bytes
        {"type": "stall", "after": B, "seconds": S, "count": N}
                                                next N downloads: pause S
                                                seconds after B bytes
        {"type": "slow", "seconds": S, "count": N}
                                                sleep S before answering
                                                the next N api calls
        {"type": "ignore_range", "count": N}    next N downloads: 200 with
                                                the whole file
        {"type": "bad_crc", "file": NAME}       file.get of NAME reports a
                                                wrong crc32 (until cleared)
        {"type": "cmd_error", "command": CMD, "code": C, "message": M,
         "count": N, "echo_session": B}         next N CMD commands fail
                                                (B: M ends with the
                                                request's sessionId, as
                                                a careless portal's)
        {"type": "raw_reply", "body": TEXT, "repeat": R, "count": N,
         "command": CMD, "fold": B}             next N api calls (of CMD
                                                only, if given) get HTTP
                                                200 with TEXT (R times)
                                                as the reply, unprocessed
                                                (B: the first header line
                                                is folded, as an obsolete
                                                or hostile server's)
        {"type": "ack_lost", "count": N}        next N accepted
                                                mailbox.acks: the ack is
                                                taken, the reply is HTTP
                                                500 (as if it were lost)
        {"type": "upload_stall", "seconds": S, "count": N}
                                                next N uploads: wait S
                                                seconds before reading
                                                the body
    POST /_control {"dialect": {"session": NAME, "ack": NAME,
        "upload": [METHOD...]}}                 change dialects (any
                                                subset); 400 on an
                                                unknown name
    POST /_control {"clear_faults": true}       drop all pending faults.
    GET /_log    everything received, as JSON: {"api": [{"command",
        "params", "success", "errorCodes"}], "auth": [{"appId",
        "thingKey", "success"}], "updates": [mailbox.update params, and
        "at": when, in seconds], "acks": [...] (accepted
        acks only), "logs": [log.publish params], "downloads": [{"fileId",
        "fileName", "start", "status", "sent"}], "uploads": [{"fileName",
        "thingKey", "size", "sha256", "method", "contentType"}] (stored
        uploads), "upload_attempts": [{"method", "fileId", "status"}]
        (every upload request), "mailbox": [{"id", "command", "acked"}],
        "faults": [pending faults], "dialect": {"session", "ack",
        "upload"}, "api_connections": how many connections carried a
        POST /api}. An api entry refused with an HTTP status (a session
        dialect) has "http": STATUS. The appToken is never recorded.
    GET /_upload/<fileName>   the bytes of the latest upload of that name.
"""

import argparse
import hashlib
import itertools
import json
import os
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

E_AUTH, E_SESSION, E_BADREQ, E_UNKNOWN = -90002, -90008, -90004, -90006
E_NOFILE, E_NOMSG, E_DONE = -90010, -90011, -90012

# How a command with an unknown session is refused: (code, message) per
# command, or (HTTP status, body) for the whole request.
SESSION_DIALECTS = {
    "tr50": ("cmd", E_SESSION, "session expired"),
    "expired": ("cmd", -90000, "invalid or expired session"),
    "unauth": ("cmd", -90001, "Not authenticated"),
    "http401": ("http", 401, b"Unauthorized\n"),
    "http403": ("http", 403, b'{"error": "forbidden"}'),
}
# How the ack of a message acked before is refused.
ACK_DIALECTS = {
    "tr50": (E_DONE, "message already completed"),
    "acknowledged": (-90020, "Mailbox message has already been acknowledged"),
    "status": (-90000, "mailbox message status is COMPLETED"),
}
MAX_BODY = 64 << 20  # refuse bigger requests and uploads
CHUNK = 64 * 1024


class Portal:
    """All state, behind one lock."""

    def __init__(self, opts):
        self.o = opts
        self.lock = threading.Lock()
        self.sessions = set()
        self.messages = []  # {"id","thingKey","command","params","acked"}
        self.ids = itertools.count(1)
        self.file_ids = {}  # fileId -> {"kind","name","thingKey","expires"}
        self.uploads = {}  # (thingKey, name) -> bytes
        self.faults = []
        self.log = {k: [] for k in ("api", "auth", "updates", "acks", "logs",
                                    "downloads", "uploads",
                                    "upload_attempts")}
        self.dialect = {"session": opts.session_dialect,
                        "ack": opts.ack_dialect,
                        "upload": list(opts.upload_methods)}
        self.lose_reply = False  # an ack_lost fault hit this request
        self.api_connections = 0

    def set_dialect(self, d):
        """Change dialects; an error message, or None."""
        if not isinstance(d, dict):
            return "dialect must be an object"
        if "session" in d and d["session"] not in SESSION_DIALECTS:
            return "unknown session dialect"
        if "ack" in d and d["ack"] not in ACK_DIALECTS:
            return "unknown ack dialect"
        up = d.get("upload", self.dialect["upload"])
        if not (isinstance(up, list) and up and
                all(m in ("POST", "PUT") for m in up)):
            return "upload must be a list of POST and PUT"
        for k in ("session", "ack"):
            if k in d:
                self.dialect[k] = d[k]
        self.dialect["upload"] = list(up)
        return None

    # --- faults ---------------------------------------------------------
    def take_fault(self, kind, pred=lambda f: True):
        """Consume one use of the first matching fault (under the lock)."""
        for f in self.faults:
            if f.get("type") == kind and pred(f):
                if kind != "bad_crc":
                    f["count"] = f.get("count", 1) - 1
                    if f["count"] <= 0:
                        self.faults.remove(f)
                return f
        return None

    # --- TR50 commands --------------------------------------------------
    def authenticate(self, p):
        ok = (p.get("appId") == self.o.app_id and
              p.get("appToken") == self.o.app_token and
              p.get("thingKey") == self.o.thing_key)
        self.log["auth"].append({"appId": p.get("appId"),
                                 "thingKey": p.get("thingKey"),
                                 "success": ok})
        if not ok:
            return fail(E_AUTH, "authentication failed")
        sid = secrets.token_hex(16)
        self.sessions.add(sid)
        return {"success": True, "params": {"sessionId": sid}}

    def find_msg(self, p):
        mid = p.get("id")
        for m in self.messages:
            if m["id"] == mid:
                return m
        return None

    def command(self, cmd, p, sid=None):
        """Run one authenticated command (with session sid); returns the
        reply object."""
        f = self.take_fault("cmd_error", lambda f: f.get("command") == cmd)
        if f:
            msg = f.get("message", "injected")
            if f.get("echo_session"):
                msg += " (session %s)" % sid
            return fail(f.get("code", -90000), msg)
        if cmd == "mailbox.check":
            limit = p.get("limit", 10)
            if not isinstance(limit, int) or limit < 1:
                return fail(E_BADREQ, "bad limit")
            out = [{k: m[k] for k in ("id", "thingKey", "command", "params")}
                   for m in self.messages if not m["acked"]][:limit]
            return ok({"messages": out})
        if cmd == "mailbox.update":
            if not isinstance(p.get("msg"), str):
                return fail(E_BADREQ, "msg missing")
            if not self.find_msg(p):
                return fail(E_NOMSG, "message not found")
            # When it came (seconds on the simulator's monotonic
            # clock), for tests of how often notes are sent.
            self.log["updates"].append(dict(p, at=time.monotonic()))
            return ok()
        if cmd == "mailbox.ack":
            m = self.find_msg(p)
            if not m:
                return fail(E_NOMSG, "message not found")
            if m["acked"]:
                return fail(*ACK_DIALECTS[self.dialect["ack"]])
            if not isinstance(p.get("errorCode", 0), int):
                return fail(E_BADREQ, "bad errorCode")
            m["acked"] = True
            self.log["acks"].append(p)
            if self.take_fault("ack_lost"):
                self.lose_reply = True
            return ok()
        if cmd == "log.publish":
            if not isinstance(p.get("msg"), str):
                return fail(E_BADREQ, "msg missing")
            self.log["logs"].append(p)
            return ok()
        if cmd == "file.get":
            return self.file_get(p)
        if cmd == "file.put":
            name, thing = p.get("fileName"), p.get("thingKey")
            if not valid_name(name) or not isinstance(thing, str):
                return fail(E_BADREQ, "bad fileName or thingKey")
            return ok({"fileId": self.new_file_id("put", name, thing)})
        return fail(E_UNKNOWN, "unknown command")

    def file_get(self, p):
        name = p.get("fileName")
        if not valid_name(name):
            return fail(E_BADREQ, "bad fileName")
        if p.get("global") is True:
            thing = None
            path = self.o.files_dir and os.path.join(self.o.files_dir, name)
            if not path or not os.path.isfile(path):
                return fail(E_NOFILE, "file not found")
            with open(path, "rb") as fp:
                data = fp.read()
        elif isinstance(p.get("thingKey"), str):
            thing = p["thingKey"]
            data = self.uploads.get((thing, name))
            if data is None:
                return fail(E_NOFILE, "file not found")
        else:
            return fail(E_BADREQ, "global or thingKey needed")
        crc = zlib.crc32(data)
        if self.take_fault("bad_crc", lambda f: f.get("file") == name):
            crc ^= 0x5A5A5A5A
        fid = self.new_file_id("get", name, thing)
        return ok({"fileId": fid, "fileSize": len(data), "crc32": crc})

    def new_file_id(self, kind, name, thing):
        fid = secrets.token_hex(12)
        self.file_ids[fid] = {"kind": kind, "name": name, "thingKey": thing,
                              "expires": time.monotonic() + self.o.file_ttl}
        return fid

    def take_file_id(self, fid, kind):
        """The live file id (single use: it is gone afterwards), or an
        HTTP status."""
        f = self.file_ids.get(fid)
        if not f or f["kind"] != kind:
            return 404
        if f.get("used") or time.monotonic() > f["expires"]:
            return 410
        f["used"] = True
        return f


def ok(params=None):
    r = {"success": True}
    if params is not None:
        r["params"] = params
    return r


def fail(code, msg):
    return {"success": False, "errorCodes": [code], "errorMessages": [msg]}


def valid_name(name):
    return (isinstance(name, str) and 0 < len(name) <= 255 and
            "/" not in name and name not in (".", "..") and "\0" not in name)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue for PUT
    portal = None  # set in main()

    def log_message(self, fmt, *args):
        if os.environ.get("PORTAL_SIM_VERBOSE"):
            sys.stderr.write("portal_sim: " + fmt % args + "\n")

    def reply(self, status, body, ctype="application/json", extra=()):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def folded_reply(self, body):
        """HTTP 200 whose first header line continues a previous one
        (obs-fold, RFC 9112 section 5.2), which there is not."""
        self.log_request(200)
        self.wfile.write(b"HTTP/1.1 200 OK\r\n X-Folded: yes\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def read_body(self):
        """The request body (Content-Length or chunked), or None."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                total += size
                if total > MAX_BODY:
                    return None
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if 0 <= n <= MAX_BODY else None

    # --- routes ---------------------------------------------------------
    def do_POST(self):
        if self.path.startswith("/file/"):
            return self.upload("POST")
        body = self.read_body()
        if body is None:
            self.close_connection = True
            return self.reply(413, {"error": "body too large"})
        try:
            req = json.loads(body)
        except ValueError:
            return self.reply(400, {"error": "bad json"})
        if self.path not in ("/api", "/_control"):
            return self.reply(404, {"error": "not found"})
        if self.path == "/api" and not getattr(self, "api_seen", False):
            self.api_seen = True  # this handler serves one connection
            with self.portal.lock:
                self.portal.api_connections += 1
        if not isinstance(req, dict):
            return self.reply(400, {"error": "not an object"})
        if self.path == "/_control":
            return self.control(req)
        P = self.portal
        with P.lock:
            f = P.take_fault("http_error", lambda f: f.get("path", "api")
                             == "api")
            slow = P.take_fault("slow")
            raw = P.take_fault("raw_reply", lambda f: f.get(
                "command") in (None, request_command(req)))
        if slow:
            time.sleep(slow.get("seconds", 1))
        if f:
            return self.reply(f.get("status", 500), b"injected error\n",
                              "text/plain")
        if raw:
            body = raw.get("body", "").encode() * raw.get("repeat", 1)
            if raw.get("fold"):
                return self.folded_reply(body)
            return self.reply(200, body)
        with P.lock:
            P.lose_reply = False
            status, body = self.api(P, req)
            if P.lose_reply:
                status, body = 500, b"injected error\n"
        if isinstance(body, bytes) and status != 200:
            return self.reply(status, body, "text/plain")
        return self.reply(status, body)

    def api(self, P, req):
        """(HTTP status, reply) of one POST /api."""
        out, session = {}, False
        auth = req.get("auth")
        if isinstance(auth, dict):
            if auth.get("command") == "api.authenticate":
                p = params_of(auth)
                out["auth"] = P.authenticate(p)
                session = out["auth"]["success"]
                P.log["api"].append({
                    "command": "api.authenticate",
                    "params": {k: v for k, v in p.items() if k != "appToken"},
                    "success": session,
                    "errorCodes": out["auth"].get("errorCodes", [])})
            else:
                session = auth.get("sessionId") in P.sessions
        keys = sorted((k for k in req if k != "auth"),
                      key=lambda k: (len(k), k))
        how, code, text = SESSION_DIALECTS[P.dialect["session"]]
        if how == "http" and not session and keys and not any(
                isinstance(req[k], dict) and
                req[k].get("command") == "api.authenticate" for k in keys):
            # The whole request is refused, as some HTTP front ends do.
            for k in keys:
                c = req[k]
                cmd = c.get("command") if isinstance(c, dict) else None
                P.log["api"].append({
                    "command": cmd, "params": params_of(c) if
                    isinstance(c, dict) else {}, "success": False,
                    "errorCodes": [], "http": code})
            return code, text
        for k in keys:
            c = req[k]
            if not isinstance(c, dict) or not isinstance(c.get("command"),
                                                         str):
                out[k] = fail(E_BADREQ, "command missing")
                continue
            cmd, p = c["command"], params_of(c)
            if cmd == "api.authenticate":
                r = P.authenticate(p)
                p = {k2: v for k2, v in p.items() if k2 != "appToken"}
            elif not session:
                r = (fail(code, text) if how == "cmd" else
                     fail(E_SESSION, "session expired"))
            else:
                r = P.command(cmd, p, auth.get("sessionId"))
            P.log["api"].append({"command": cmd, "params": p,
                                 "success": r["success"],
                                 "errorCodes": r.get("errorCodes", [])})
            out[k] = r
        return 200, out

    def control(self, req):
        P = self.portal
        res = {}
        with P.lock:
            if req.get("expire_sessions"):
                P.sessions.clear()
            if req.get("clear_faults"):
                P.faults.clear()
            if "dialect" in req:
                why = P.set_dialect(req["dialect"])
                if why:
                    return self.reply(400, {"error": why})
            P.faults.extend(dict(f) for f in req.get("faults", []))
            enq = req.get("enqueue")
            if enq is not None:
                res["ids"] = []
                for m in enq if isinstance(enq, list) else [enq]:
                    m = {"id": m.get("id") or "msg-%d" % next(P.ids),
                         "thingKey": m.get("thingKey", P.o.thing_key),
                         "command": m.get("command"),
                         "params": m.get("params", {}), "acked": False}
                    P.messages.append(m)
                    res["ids"].append(m["id"])
        return self.reply(200, res)

    def do_GET(self):
        P = self.portal
        if self.path == "/_log":
            with P.lock:
                log = dict(P.log)
                log["mailbox"] = [{k: m[k] for k in ("id", "command", "acked")}
                                  for m in P.messages]
                log["faults"] = P.faults
                log["dialect"] = P.dialect
                log["api_connections"] = P.api_connections
                return self.reply(200, log)
        m = re.fullmatch(r"/_upload/([^/]+)", self.path)
        if m:
            with P.lock:
                data = [v for (t, n), v in P.uploads.items()
                        if n == m.group(1)]
            if not data:
                return self.reply(404, {"error": "no such upload"})
            return self.reply(200, data[-1], "application/octet-stream")
        m = re.fullmatch(r"/file/([0-9a-f]+)", self.path)
        if not m:
            return self.reply(404, {"error": "not found"})
        self.download(P, m.group(1))

    def download(self, P, fid):
        entry = {"fileId": fid, "fileName": None, "start": 0, "status": 0,
                 "sent": 0}
        with P.lock:
            P.log["downloads"].append(entry)
            f = P.take_fault("http_error", lambda f: f.get("path") == "file")
            if f:
                entry["status"] = f.get("status", 500)
                return self.reply(entry["status"], b"injected error\n",
                                  "text/plain")
            fe = P.take_file_id(fid, "get")
            if isinstance(fe, int):
                entry["status"] = fe
                return self.reply(fe, {"error": "bad fileId"})
            entry["fileName"] = fe["name"]
            if fe["thingKey"] is None:
                try:
                    with open(os.path.join(P.o.files_dir, fe["name"]),
                              "rb") as fp:
                        data = fp.read()
                except OSError:
                    entry["status"] = 404
                    return self.reply(404, {"error": "file gone"})
            else:
                data = P.uploads[(fe["thingKey"], fe["name"])]
            ignore = P.take_fault("ignore_range")
            drop = P.take_fault("drop")
            stall = P.take_fault("stall")
        size, start = len(data), 0
        rng = re.fullmatch(r"bytes=(\d+)-(\d*)",
                           self.headers.get("Range", ""))
        if rng and not ignore:
            start = int(rng.group(1))
            end = int(rng.group(2)) + 1 if rng.group(2) else size
            end = min(end, size)
            if start >= size or start >= end:
                entry["status"] = 416
                return self.reply(416, b"", "application/octet-stream",
                                  [("Content-Range", "bytes */%d" % size)])
            entry.update(start=start, status=206)
            self.send_response(206)
            self.send_header("Content-Range",
                             "bytes %d-%d/%d" % (start, end - 1, size))
        else:
            end = size
            entry["status"] = 200
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        pos = start
        try:
            while pos < end:
                n = min(CHUNK, end - pos)
                # Stop exactly at the fault's byte count (counted from the
                # first byte of this reply).
                for flt in (drop, stall):
                    if flt and pos - start < flt.get("after", 0):
                        n = min(n, start + flt["after"] - pos)
                self.wfile.write(data[pos:pos + n])
                pos += n
                with P.lock:
                    entry["sent"] = pos - start
                if stall and pos - start == stall.get("after", 0):
                    self.wfile.flush()
                    time.sleep(stall.get("seconds", 1))
                    stall = None
                if drop and pos - start >= drop.get("after", 0):
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
        except OSError:
            self.close_connection = True

    def do_PUT(self):
        self.upload("PUT")

    def upload(self, method):
        """POST (or, if allowed, PUT) /file/<fileId>: store an upload."""
        P = self.portal
        m = re.fullmatch(r"/file/([0-9a-f]+)", self.path)
        if not m:
            self.close_connection = True  # the body is not read
            return self.reply(404, {"error": "not found"})
        attempt = {"method": method, "fileId": m.group(1), "status": 0}
        with P.lock:
            P.log["upload_attempts"].append(attempt)
            if method not in P.dialect["upload"]:
                attempt["status"] = 405
                self.close_connection = True
                return self.reply(405, {"error": "method not allowed"},
                                  extra=[("Allow", ", ".join(
                                      P.dialect["upload"]))])
            f = P.take_fault("http_error", lambda f: f.get("path") == "file")
            fe = None if f else P.take_file_id(m.group(1), "put")
            stall = None if f else P.take_fault("upload_stall")
        if f or isinstance(fe, int):
            self.close_connection = True  # the body is not read
            attempt["status"] = f.get("status", 500) if f else fe
            return self.reply(attempt["status"], {"error": "refused"})
        if stall:
            time.sleep(stall.get("seconds", 1))
        data = self.read_body()
        if data is None:
            self.close_connection = True
            attempt["status"] = 413
            return self.reply(413, {"error": "body too large"})
        with P.lock:
            attempt["status"] = 200
            P.uploads[(fe["thingKey"], fe["name"])] = data
            P.log["uploads"].append({
                "fileName": fe["name"], "thingKey": fe["thingKey"],
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "method": method,
                "contentType": self.headers.get("Content-Type")})
        self.reply(200, {"success": True})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A refused TLS handshake or a client that hung up is expected in
        # tests: one line, not a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError)):
            sys.stderr.write("portal_sim: %s\n" % exc)
        else:
            super().handle_error(request, client_address)


def request_command(req):
    """The command of key "1" of a TR50 request (api.authenticate when it
    is only that), or None."""
    c = req.get("1")
    if isinstance(c, dict) and isinstance(c.get("command"), str):
        return c["command"]
    auth = req.get("auth")
    if isinstance(auth, dict) and auth.get("command") == "api.authenticate":
        return "api.authenticate"
    return None


def params_of(c):
    p = c.get("params")
    return p if isinstance(p, dict) else {}


def main():
    ap = argparse.ArgumentParser(description="TR50 portal simulator")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--app-id", default="app")
    ap.add_argument("--app-token", default="token")
    ap.add_argument("--thing-key", default="gw1")
    ap.add_argument("--files-dir")
    ap.add_argument("--file-ttl", type=float, default=300)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    env = os.environ.get
    ap.add_argument("--session-dialect", choices=sorted(SESSION_DIALECTS),
                    default=env("PORTAL_SIM_SESSION_DIALECT", "tr50"))
    ap.add_argument("--ack-dialect", choices=sorted(ACK_DIALECTS),
                    default=env("PORTAL_SIM_ACK_DIALECT", "tr50"))
    ap.add_argument("--upload-methods",
                    default=env("PORTAL_SIM_UPLOAD_METHODS", "POST"))
    o = ap.parse_args()
    o.upload_methods = [m.strip().upper()
                        for m in o.upload_methods.split(",") if m.strip()]
    for v, known in ((o.session_dialect, SESSION_DIALECTS),
                     (o.ack_dialect, ACK_DIALECTS)):
        if v not in known:
            ap.error("unknown dialect %r" % v)
    if not o.upload_methods or any(m not in ("POST", "PUT")
                                   for m in o.upload_methods):
        ap.error("--upload-methods: a list of POST and PUT")

    Handler.portal = Portal(o)
    srv = Server(("127.0.0.1", 0), Handler)
    if o.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(o.tls[0], o.tls[1])
        # The handshake happens in the connection's thread, on first
        # read, so one stuck client cannot block accept().
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    tmp = o.port_file + ".tmp"
    with open(tmp, "w") as fp:
        fp.write("%d\n" % srv.server_address[1])
    os.replace(tmp, o.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
