#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkcorpus.py - (re)make the seed corpora and the fixed data of the fuzz
targets (docs/fuzzing.md).

Usage:
    tests/fuzz/mkcorpus.py BUILD_DIR

BUILD_DIR is a normal build (scripts/setup.sh): its `sup` (core/sup), its
plugins (plugins-out/) and its test PKI (test-pki/, made with
tests/pki/mkpki.sh when absent). Writes, under tests/fuzz/:

    data/       keyring.pem (the test root CA), crl.pem (the test CRLs),
                signed-manifest.json and signed-manifest.sig (a valid
                signature by the test signer, chain embedded): what
                fuzz_signature, fuzz_supfile and fuzz_keyring check
                against. Public certificates and CRLs only. clock: the
                time (seconds since 1970) the targets check certificates
                at, a day after this run: inside the validity of the CRLs
                and signatures made now, whenever the targets run.
    corpus/T/   the seeds of target T: real inputs, valid and near-valid,
                made by the tools of the tree (sup pack, sup install,
                tests/e2e/mksup.py, openssl) or taken from tests/data and
                conf/.

Run it again when a format changes. Files of the corpus that it does not
make (added reproducers, see docs/fuzzing.md) are kept; the fixed data is
replaced, which makes the signature and SUP seeds new too: commit all of
it together. Needs python3, openssl, tar, gzip, xz, zstd, bzip2, cpio,
zip (when present).
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(HERE, "data")
CORPUS = os.path.join(HERE, "corpus")
MKSUP = os.path.join(SRC, "tests", "e2e", "mksup.py")
# Time stamps of the SUPs made (tar mtimes): any fixed value.
EPOCH = "1796342400"  # 2026-12-04T00:00:00Z
SEP = b"\n---\n"      # fuzz_tr50.c


def run(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha256(b):
    return hashlib.sha256(b).hexdigest()


class Maker:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.sup = os.path.join(self.build, "core", "sup")
        self.plugins = os.path.join(self.build, "plugins-out")
        self.pki = os.path.join(self.build, "test-pki")
        if not os.path.exists(os.path.join(self.pki, "keyring.pem")):
            run(["bash", os.path.join(SRC, "tests", "pki", "mkpki.sh"),
                 self.pki])
        self.tmp = tempfile.mkdtemp(prefix="mkcorpus.")

    def p(self, name):
        return os.path.join(self.pki, name)

    def t(self, name):
        return os.path.join(self.tmp, name)

    def cms(self, data, signer, chain=True, extra=()):
        """A detached DER CMS signature of data by the test signer."""
        src = self.t("to-sign")
        with open(src, "wb") as f:
            f.write(data)
        argv = ["openssl", "cms", "-sign", "-binary", "-nosmimecap",
                "-outform", "DER", "-in", src,
                "-signer", self.p(signer + ".pem"),
                "-inkey", self.p(signer + ".key")]
        if chain:
            argv += ["-certfile", self.p("chain.pem")]
        argv += list(extra)
        return run(argv, capture_output=True,
                   env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)).stdout

    def mksup(self, spec, compression="none"):
        out = self.t("mksup.sup")
        run([sys.executable, MKSUP, "-", "-o", out, "-z", compression],
            input=json.dumps(spec).encode(),
            env=dict(os.environ, SUP_SIGN_KEY=self.p("signer-ec256.key"),
                     SUP_SIGN_CERT=self.p("signer-ec256.pem"),
                     SUP_SIGN_CHAIN=self.p("chain.pem")))
        return read(out)

    def pack(self, manifest, payloads, sign=None):
        d = self.t("payloads")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in payloads.items():
            os.makedirs(os.path.dirname(os.path.join(d, name)),
                        exist_ok=True)
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        m = self.t("manifest.json")
        with open(m, "w") as f:
            json.dump(manifest, f)
        out = self.t("pack.sup")
        argv = [self.sup, "pack", "-m", m, "-C", d, "-o", out]
        if sign:
            argv += ["--key", self.p(sign + ".key"),
                     "--cert", self.p(sign + ".pem"),
                     "--chain", self.p("chain.pem")]
        run(argv, env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH))
        return read(out)

    # --- fixed data ---

    def data(self):
        os.makedirs(DATA, exist_ok=True)
        shutil.copy(self.p("root-ca.pem"), os.path.join(DATA, "keyring.pem"))
        shutil.copy(self.p("crl-full.pem"), os.path.join(DATA, "crl.pem"))
        m = read(os.path.join(SRC, "tests", "data", "manifests",
                              "valid-minimal.json"))
        with open(os.path.join(DATA, "signed-manifest.json"), "wb") as f:
            f.write(m)
        with open(os.path.join(DATA, "signed-manifest.sig"), "wb") as f:
            f.write(self.cms(m, "signer-ec256"))
        with open(os.path.join(DATA, "clock"), "w") as f:
            f.write("%d\n" % (int(time.time()) + 86400))
        self.manifest = m

    # --- targets ---

    def manifest_seeds(self):
        d = os.path.join(SRC, "tests", "data", "manifests")
        for n in sorted(os.listdir(d)):
            put("manifest", n, read(os.path.join(d, n)))
        put("manifest", "strict-duplicate-key.json",
            '{"sup_format": 1, "sup_format": 1, "package": {"name": "a", '
            '"version": "1"}, "actions": []}')
        put("manifest", "strict-nan.json",
            '{"sup_format": 1, "package": {"name": "a", "version": "1", '
            '"security_version": NaN}, "actions": []}')
        put("manifest", "strict-escape.json",
            '{"sup_format": 1, "package": {"name": "a\\ud800", '
            '"version": "1"}, "actions": []}')
        put("manifest", "pack-input.json", json.dumps({
            "sup_format": 1,
            "package": {"name": "edge-agent", "version": "2.4.1",
                        "security_version": 3},
            "compatibility": {"products": ["edge-gw", "edge-*"],
                              "min_installer": "1.0"},
            "actions": [
                {"id": "install", "type": "file.install",
                 "params": {"path": "/opt/a", "mode": "0755"},
                 "payloads": ["bin/a"], "on_error": "abort",
                 "timeout_s": 60},
                {"id": "unpack", "type": "file.extract",
                 "params": {"path": "/opt/b", "replace": True},
                 "payloads": ["b.tar.gz", "bin/a"]}]}, indent=1))

    def supfile_seeds(self):
        m = json.loads(read(os.path.join(SRC, "tests", "data", "manifests",
                                         "valid-minimal.json")))
        put("supfile", "minimal.sup", self.pack(m, {}))
        put("supfile", "minimal-signed.sup",
            self.pack(m, {}, sign="signer-ec256"))
        put("supfile", "minimal-signed-rsa.sup",
            self.pack(m, {}, sign="signer-rsa"))
        two = {
            "sup_format": 1,
            "package": {"name": "demo", "version": "1.0"},
            "actions": [
                {"id": "app", "type": "file.install",
                 "params": {"path": "/opt/demo/app"}, "payloads": ["app"]},
                {"id": "tree", "type": "file.extract",
                 "params": {"path": "/opt/demo/tree"},
                 "payloads": ["tree.tar"]}]}
        payloads = {"app": b"abc\n", "tree.tar": self.tar_valid()}
        put("supfile", "two-payloads.sup", self.pack(two, payloads))
        put("supfile", "two-payloads-signed.sup",
            self.pack(two, payloads, sign="signer-ec256"))
        spec = {"manifest": two, "sign": False,
                "entries": [{"name": "app", "data": "abc\n"},
                            {"name": "tree.tar",
                             "data_hex": self.tar_valid().hex()}]}
        for z in ("gz", "xz", "zst"):
            put("supfile", "two-payloads.sup." + z, self.mksup(spec, z))
        put("supfile", "signed.sup.gz",
            self.mksup(dict(spec, sign=True), "gz"))
        # Near-valid: each breaks one rule.
        bad = {
            "bad-sha256.sup": dict(spec, manifest=dict(two, payloads={
                "app": {"size": 4, "sha256": "0" * 64},
                "tree.tar": {"size": len(self.tar_valid()),
                             "sha256": sha256(self.tar_valid())}})),
            "bad-size.sup": dict(spec, entries=[
                {"name": "app", "data": "abc\n", "size": 3},
                spec["entries"][1]]),
            "manifest-second.sup": dict(spec, entries=[
                spec["entries"][0], {"manifest": True},
                spec["entries"][1]]),
            "duplicate-entry.sup": dict(spec, entries=spec["entries"] +
                                        [{"name": "app", "data": "xyz\n"}]),
            "symlink-payload.sup": dict(spec, entries=[
                {"name": "app", "type": "symlink", "target": "tree.tar"},
                spec["entries"][1]]),
            "signed-other-text.sup": dict(spec, sign={"text": "other"}),
            "signed-garbage.sup": dict(spec, sign={"der_hex": "3082"}),
            "signed-pss.sup": dict(spec, sign={
                "key": self.p("signer-rsa.key"),
                "cert": self.p("signer-rsa.pem"), "pss": True}),
            "bad-json.sup": {"manifest_text": '{"sup_format": 1,',
                             "sign": False, "entries": []},
        }
        for name, s in bad.items():
            put("supfile", name, self.mksup(s))

    def signature_seeds(self):
        m = self.manifest
        seeds = {
            "ec256.der": self.cms(m, "signer-ec256"),
            "ec384-sha384.der": self.cms(m, "signer-ec384",
                                         extra=["-md", "sha384"]),
            "rsa.der": self.cms(m, "signer-rsa"),
            "rsa-pss.der": self.cms(m, "signer-rsa", extra=[
                "-keyopt", "rsa_padding_mode:pss"]),
            "rsa3072-sha512.der": self.cms(m, "signer-rsa3072",
                                           extra=["-md", "sha512"]),
            "revoked.der": self.cms(m, "revoked"),
            "expired.der": self.cms(m, "expired"),
            "noeku.der": self.cms(m, "noeku"),
            "server-eku.der": self.cms(m, "server"),
            "weak-rsa1024.der": self.cms(m, "weak-rsa1024"),
            "selfsigned.der": self.cms(m, "selfsigned", chain=False),
            "other-ca.der": self.cms(m, "other-signer", chain=False),
            "no-chain.der": self.cms(m, "signer-ec256", chain=False),
            "no-certs.der": self.cms(m, "signer-ec256", chain=False,
                                     extra=["-nocerts"]),
            "mismatch.der": self.cms(m + b" ", "signer-ec256"),
            "no-attrs.der": self.cms(m, "signer-ec256",
                                     extra=["-noattr"]),
        }
        for name, der in seeds.items():
            put("signature", name, der)

    def keyring_seeds(self):
        p = self.p
        put("keyring", "root.pem", read(p("root-ca.pem")))
        put("keyring", "both.pem", read(p("keyring-both.pem")))
        put("keyring", "int.pem", read(p("int-ca.pem")))
        put("keyring", "annotated.pem",
            b"# supkit test root\n" + read(p("root-ca.pem")) +
            b"\nsecond anchor:\n" + read(p("int-ca.pem")))
        put("keyring", "root+crl-full.pem",
            read(p("root-ca.pem")) + b"\0" + read(p("crl-full.pem")))
        put("keyring", "root+int+crl.pem",
            read(p("root-ca.pem")) + read(p("int-ca.pem")) + b"\0" +
            read(p("crl.pem")))
        put("keyring", "root+crl-empty.pem",
            read(p("root-ca.pem")) + b"\0" + read(p("crl-empty.pem")))
        put("keyring", "signer.pem", read(p("signer-ec256.pem")))

    def config_seeds(self):
        conf = read(os.path.join(SRC, "conf", "sup.conf"))
        products = os.path.join(SRC, "conf", "products")
        full = (b"[gateway]\nproduct = fuzz\n"
                b"[paths]\nlogs_dir = /var/log/supkit\n"
                b"state_dir = /var/lib/supkit\n"
                b"plugin_dirs = /usr/lib/supkit/plugins, /opt/acme/plugins\n"
                b"[install]\ndefault_timeout_s = 600\n"
                b"[trust]\nkeyring = /etc/supkit/keyring.pem\n"
                b"crl = /etc/supkit/crl.pem\nallow_unsigned = false\n"
                b"allow_downgrade = true\nrequire_code_signing = true\n"
                b"validity = auto\n")
        for n in sorted(os.listdir(products)):
            prof = read(os.path.join(products, n))
            name = n[:-len(".conf")].encode()
            prof = prof.replace(b"name = " + name + b"\n", b"name = fuzz\n")
            put("config", "sample+" + n, conf + b"\0" + prof)
        put("config", "sample-only.conf", conf)
        put("config", "full+profile.conf", full + b"\0" +
            b"[product]\nname = fuzz\ndescription = fuzz product\n"
            b"plugins = file, exec, runtime, firmware, system\n"
            b"[runtime]\ncontrol = systemd\nunit = app.service\n"
            b"stop_timeout_s = 30\n[firmware]\nmethod = symlink\n"
            b"releases_dir = /opt/app/releases\ncurrent_link = "
            b"/opt/app/current\n[system]\nreboot_command = /sbin/reboot\n"
            b"[plugin.acme]\nled = green\n")
        put("config", "bad-values.conf",
            b"[gateway]\nproduct = no/slash\n[paths]\nstate_dir = rel\n"
            b"plugin_dirs = /a,,/b,\n[install]\ndefault_timeout_s = 0\n"
            b"[trust]\nallow_unsigned = yes\nvalidity = sometimes\n"
            b"[unknown]\nkey = value\n")
        put("config", "long-line.conf",
            b"[paths]\nlogs_dir = /" + b"x" * 400 + b"\n")

    def supdconf_seeds(self):
        sample = read(os.path.join(SRC, "conf", "supd.conf"))
        put("supdconf", "sample.conf", sample)
        valid = (b"[portal]\nendpoint = https://portal.example.com/\n"
                 b"app_id = supkit-gateways\n"
                 b"app_token = 0123456789abcdef\nthing_key = gw-0001\n"
                 b"[agent]\npoll_interval_s = 30\nmax_backoff_s = 600\n"
                 b"download_dir = /var/lib/supkit/downloads\n"
                 b"state_dir = /var/lib/supkit\nlogs_dir = /var/log/supkit\n"
                 b"sup_path = /bin/true\nroot = /\n"
                 b"plugin_dirs = /opt/a, /opt/b\nmin_free_mb = 16\n"
                 b"mailbox_limit = 10\n")
        put("supdconf", "valid.conf", valid)
        put("supdconf", "insecure.conf",
            b"[portal]\nendpoint = http://127.0.0.1:8080\napp_id = app\n"
            b"app_token = tok3n1234abcdef\nthing_key = gw1\n"
            b"insecure = true\n[agent]\nsup_path = /bin/true\n")
        put("supdconf", "bad.conf",
            b"[portal]\nendpoint = https://user:pw@portal\napp_id = a b\n"
            b"app_token = \nthing_key = gw1\nthing_key = gw2\n"
            b"[agent]\npoll_interval_s = 0\nmax_backoff_s = 99999999\n"
            b"plugin_dirs = /a,\nroot = relative\n")

    def tr50_seeds(self):
        def d(o):
            return json.dumps(o).encode()

        auth = d({"auth": {"success": True,
                           "params": {"sessionId": "a1b2c3d4e5f6a7b8"}}})
        ok = d({"1": {"success": True}})

        def fail(code, msg):
            return d({"1": {"success": False, "errorCodes": [code],
                            "errorMessages": [msg]}})

        msg = {"id": "msg-1", "thingKey": "gw1", "command": "method.exec",
               "params": {"method": "sup.install",
                          "params": {"name": "edge-agent-2.4.1.sup",
                                     "timeout_s": 3600}}}
        seeds = {
            "mailbox-check": (0, 9, 0, [auth, d({"1": {"success": True,
                "params": {"messages": [msg]}}})]),
            "mailbox-empty": (0, 9, 0, [auth, ok]),
            "file-get": (1, 0, 0, [auth, d({"1": {"success": True,
                "params": {"fileId": "9f86d081884c7d65", "fileSize": 1234,
                           "crc32": 3735928559}}})]),
            "file-get-signed-crc": (1, 0, 0, [auth, d({"1": {
                "success": True, "params": {"fileId": "f1",
                                            "fileSize": 10,
                                            "crc32": -559038737}}})]),
            "file-get-missing": (1, 0, 0, [auth,
                                           fail(-90010, "file not found")]),
            "ack": (2, 1, 0, [auth, ok]),
            "ack-done": (2, 0, 0, [auth, fail(
                -90012, "message already completed")]),
            "update-expired": (3, 0, 0, [auth, fail(
                -90008, "session expired"), auth, ok]),
            "log-auth-refused": (4, 2, 0, [d({"auth": {
                "success": False, "errorCodes": [-90002],
                "errorMessages": ["authentication failed"]}})]),
            "top-level-refusal": (4, 0, 0, [auth, d({
                "success": False, "errorCodes": [-90000],
                "errorMessages": ["invalid or expired session"]}),
                auth, ok]),
            "download-200": (5, 9, 0, [
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"]),
            "download-206": (5, 9, 3, [
                b"HTTP/1.1 206 Partial Content\r\nContent-Range: "
                b"bytes 3-9/10\r\nContent-Length: 7\r\n\r\n3456789"]),
            "download-206-star": (5, 9, 3, [
                b"HTTP/1.1 206 Partial Content\r\nContent-Range: "
                b"bytes 3-9/*\r\nContent-Length: 7\r\n\r\n3456789"]),
            "download-416": (5, 9, 5, [
                b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: "
                b"bytes */10\r\nContent-Length: 0\r\n\r\n"]),
            "download-chunked": (5, 4, 0, [
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nabcde\r\n0\r\n\r\n"]),
            "download-too-long": (5, 3, 0, [
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"]),
            "file-put": (6, 0, 0, [auth, d({"1": {"success": True,
                "params": {"fileId": "up-1"}}}), d({"success": True})]),
            "file-put-refused": (6, 0, 0, [auth, d({"1": {
                "success": True, "params": {"fileId": "up-1"}}}),
                d({"success": False, "errorCodes": [-90004],
                   "errorMessages": ["bad request"]})]),
            "update-http-401": (3, 0, 0, [auth,
                b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
                auth, ok]),
            "ack-done-dialect": (2, 0, 0, [auth, fail(
                -32000, "Message msg-1 was already acknowledged")]),
            "ack-auth-dialect": (2, 0, 0, [auth, fail(
                -1, "Access denied: token expired"), auth, ok]),
            "file-put-403": (6, 0, 0, [auth, d({"1": {"success": True,
                "params": {"fileId": "up-1"}}}),
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
                auth, d({"1": {"success": True,
                               "params": {"fileId": "up-2"}}}),
                d({"success": True})]),
            "two-calls-expired": (7, 0, 0, [auth, ok, fail(
                -90008, "invalid session"), auth, d({"1": {
                    "success": True, "params": {"fileId": "f",
                                                "fileSize": 1,
                                                "crc32": 0}}})]),
        }
        for name, (op, a, b, replies) in seeds.items():
            put("tr50", name, bytes([op, a, b]) + SEP.join(replies))

    def install_records(self):
        """confirmation.json and installed.json of real runs."""
        out = {}
        root = self.t("root")
        os.makedirs(root)
        keyring = self.t("keyring.pem")
        shutil.copy(self.p("keyring.pem"), keyring)
        os.chmod(keyring, 0o600)
        conf = self.t("sup.conf")
        with open(conf, "w") as f:
            f.write("[trust]\nallow_unsigned = true\n")
        os.chmod(conf, 0o600)
        ok = {"sup_format": 1,
              "package": {"name": "edge-agent", "version": "2.4.1",
                          "security_version": 2},
              "actions": [
                  {"id": "hello", "type": "exec.command",
                   "params": {"argv": ["echo", "hello \u00e9\u001b[2J"]}},
                  {"id": "app", "type": "file.install",
                   "params": {"path": "/opt/demo/app"},
                   "payloads": ["app"]}]}
        failing = {"sup_format": 1,
                   "package": {"name": "demo", "version": "1.1"},
                   "actions": [
                       {"id": "first", "type": "exec.command",
                        "params": {"argv": ["true"]}},
                       {"id": "fails", "type": "exec.command",
                        "params": {"argv": ["sh", "-c",
                                            "echo oops >&2; exit 3"]},
                        "on_error": "continue"},
                       {"id": "last", "type": "exec.command",
                        "params": {"argv": ["false"]}}]}
        runs = [("succeeded", ok, {"app": b"abc\n"}, []),
                ("failed", failing, {}, ["--job-id", "msg-7"]),
                ("rejected", dict(ok, compatibility={
                    "products": ["other"]}), {"app": b"abc\n"},
                 ["--record-rejection"])]
        for name, m, payloads, extra in runs:
            sup = self.t(name + ".sup")
            with open(sup, "wb") as f:
                f.write(self.pack(m, payloads))
            subprocess.run([self.sup, "install", sup, "--root", root,
                            "--config", conf, "--keyring", keyring,
                            "--plugin-dir", self.plugins, "-q"] + extra,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            out[name] = read(os.path.join(root, "var", "log", "supkit",
                                          "confirmation.json"))
        out["installed"] = read(os.path.join(root, "var", "lib", "supkit",
                                             "installed.json"))
        return out

    def record_seeds(self):
        rec = self.install_records()
        for name in ("succeeded", "failed", "rejected"):
            put("confirm", name + ".json", rec[name])
        doc = json.loads(rec["succeeded"])
        doc["result"] = "suspended"
        doc["suspended"] = {"reason": "reboot", "after_action": "hello",
                            "at": "2026-12-04T17:00:00Z"}
        doc["actions"][1]["status"] = "pending"
        put("confirm", "suspended.json", json.dumps(doc, indent=2))
        doc = json.loads(rec["succeeded"])
        doc["result"] = "running"
        doc["actions"][1]["status"] = "running"
        put("confirm", "running.json", json.dumps(doc, indent=2))

        put("installed", "real.json", rec["installed"])
        put("installed", "several.json", json.dumps({
            "format": 1, "time_floor": 1764201600, "future_member": [1],
            "packages": {
                "edge-agent": {"version": "2.4.1", "security_version": 3,
                               "installed_at": "2026-12-04T17:00:00Z"},
                "fw": {"version": "1:2.0~rc1-3", "security_version": 0,
                       "installed_at": "2026-12-01T00:00:00Z"},
                "b": {"version": "1.0+b1", "security_version":
                      18446744073709551615,
                      "installed_at": "x"}}}, indent=2))
        put("installed", "empty.json",
            '{"format": 1, "time_floor": 0, "packages": {}}\n')

        put("state", "install.json", json.dumps({
            "state_format": 1, "sup": "/var/lib/supkit/package.sup",
            "sup_sha256": sha256(b"package"), "config": None,
            "product": "edge-gw",
            "plugin_dirs": ["/usr/lib/supkit/plugins", "/opt/p"],
            "job_id": "msg-1"}, indent=2))
        put("state", "minimal.json", json.dumps({
            "state_format": 1, "sup": "/tmp/a.sup",
            "sup_sha256": sha256(b"")}))

    def job_seeds(self):
        base = {"job_format": 1, "id": "fuzz",
                "name": "edge-agent-2.4.1.sup", "timeout_s": 3600,
                "received": 1796342400, "elapsed_ms": 1500,
                "phase": "received", "finished": 0,
                "download": {"net_failures": 0, "verify_failures": 0},
                "install": {"sup_started": False, "sup_pid": 0,
                            "sup_start": 0, "boot_id": None},
                "report": {"code": 0, "message": None, "params": None,
                           "have_record": False, "audit_sent": False,
                           "uploaded": False, "upload_failures": 0,
                           "ack_refusals": 0}}
        put("job", "received.json", json.dumps(base, indent=2))
        j = json.loads(json.dumps(base))
        j["phase"] = "installing"
        j["install"] = {"sup_started": True, "sup_pid": 4242,
                        "sup_start": 123456789,
                        "boot_id": "3f1c2a9e-1111-2222-3333-444455556666"}
        put("job", "installing.json", json.dumps(j, indent=2))
        j["phase"] = "reporting"
        j["report"] = {"code": 1, "message": "action 'fails': exit 3",
                       "params": {"package": "demo", "version": "1.1",
                                  "succeeded": 1, "failed": 1,
                                  "skipped": 0},
                       "have_record": True, "audit_sent": True,
                       "uploaded": False, "upload_failures": 2,
                       "ack_refusals": 1}
        put("job", "reporting.json", json.dumps(j, indent=2))
        j["phase"] = "done"
        j["finished"] = 1796346000
        put("job", "done.json", json.dumps(j, indent=2))
        put("job", "name-hex.txt", "x-2f2e2e2f6574632f706173737764.json\n")
        put("job", "name-id.txt", "msg-1\n")

    # --- archives for fuzz_extract ---

    def tar(self, entries, fmt=tarfile.PAX_FORMAT):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
            for e in entries:
                ti = tarfile.TarInfo(e["name"])
                ti.type = {"file": tarfile.REGTYPE,
                           "dir": tarfile.DIRTYPE,
                           "symlink": tarfile.SYMTYPE,
                           "hardlink": tarfile.LNKTYPE,
                           "fifo": tarfile.FIFOTYPE,
                           "chardev": tarfile.CHRTYPE}[e.get("type",
                                                             "file")]
                ti.mode = e.get("mode", 0o755 if ti.type ==
                                tarfile.DIRTYPE else 0o644)
                ti.linkname = e.get("target", "")
                ti.mtime = 1796342400
                data = e.get("data", b"")
                ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
                t.addfile(ti, io.BytesIO(data) if ti.size else None)
        # Without the padding of tarfile's 10 KiB records.
        raw = b.getvalue()
        end = len(raw)
        while end >= 1024 and raw[end - 512:end] == bytes(512):
            end -= 512
        return raw[:end + 1024]

    def tar_valid(self):
        return self.tar([
            {"name": "bin", "type": "dir"},
            {"name": "bin/tool", "data": b"#!/bin/sh\necho hi\n",
             "mode": 0o755},
            {"name": "etc/app.conf", "data": b"key = value\n"},
            {"name": "current", "type": "symlink", "target": "bin"},
            {"name": "etc/up", "type": "symlink", "target": "../bin/tool"},
        ])

    def extract_seeds(self):
        valid = self.tar_valid()
        put("extract", "valid.tar", valid)
        put("extract", "valid-gnu.tar", self.tar([
            {"name": "d/" + "n" * 120, "data": b"long name\n"},
            {"name": "l", "type": "symlink", "target": "d/" + "n" * 120}],
            fmt=tarfile.GNU_FORMAT))
        put("extract", "valid-ustar.tar", self.tar([
            {"name": "a/b/c.txt", "data": b"x"},
            {"name": "a/ro", "type": "dir", "mode": 0o555}],
            fmt=tarfile.USTAR_FORMAT))
        for tool, ext in (("gzip", "gz"), ("xz", "xz"), ("zstd", "zst"),
                          ("bzip2", "bz2")):
            if shutil.which(tool):
                put("extract", "valid.tar." + ext,
                    run([tool, "-c"], input=valid,
                        capture_output=True).stdout)
        z = io.BytesIO()
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("dir/file.txt", "zip entry\n")
            zf.writestr("top.txt", "top\n")
        put("extract", "valid.zip", z.getvalue())
        if shutil.which("cpio"):
            d = self.t("cpio")
            os.makedirs(os.path.join(d, "sub"), exist_ok=True)
            with open(os.path.join(d, "sub", "f"), "w") as f:
                f.write("cpio\n")
            put("extract", "valid.cpio",
                run(["cpio", "-o", "-H", "newc", "--quiet"],
                    input=b"sub\nsub/f\n", cwd=d,
                    capture_output=True).stdout)
        put("extract", "mtree.txt",
            b"#mtree\n./etc type=dir mode=0755\n"
            b"./etc/passwd type=file contents=/etc/passwd\n")
        bad = {
            "up-dotdot.tar": [{"name": "up", "type": "symlink",
                               "target": ".."}],
            "nested-escape.tar": [{"name": "a", "type": "dir"},
                                  {"name": "a/b", "type": "symlink",
                                   "target": "../.."}],
            "name-dotdot.tar": [{"name": "a", "type": "dir"},
                                {"name": "a/l", "type": "symlink",
                                 "target": "x/../.."}],
            "empty-target.tar": [{"name": "e", "type": "symlink",
                                  "target": ""}],
            "absolute.tar": [{"name": "/etc/x", "data": b"x"}],
            "dotdot-name.tar": [{"name": "../x", "data": b"x"}],
            "hardlink.tar": [{"name": "f", "data": b"x"},
                             {"name": "h", "type": "hardlink",
                              "target": "f"}],
            "fifo.tar": [{"name": "p", "type": "fifo"}],
            "device.tar": [{"name": "null", "type": "chardev"}],
            "through-link.tar": [{"name": "l", "type": "symlink",
                                  "target": "."},
                                 {"name": "l/x", "data": b"x"}],
            "setuid.tar": [{"name": "s", "data": b"x", "mode": 0o4755}],
            "dot.tar": [{"name": ".", "type": "dir", "mode": 0o700},
                        {"name": "./f", "data": b"x"}],
        }
        for name, entries in bad.items():
            put("extract", name, self.tar(entries))

    def all(self):
        self.data()
        self.manifest_seeds()
        self.supfile_seeds()
        self.signature_seeds()
        self.keyring_seeds()
        self.config_seeds()
        self.supdconf_seeds()
        self.tr50_seeds()
        self.record_seeds()
        self.job_seeds()
        self.extract_seeds()
        shutil.rmtree(self.tmp)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    Maker(sys.argv[1]).all()


if __name__ == "__main__":
    main()
