#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mksup.py - build SUP files, good and malformed, for the end-to-end tests.

`sup pack` only makes well-formed packages. The tests also need packages
that no packer should make (manifest not first, duplicate or missing
entries, links and devices as payloads, wrong sizes and hashes, ...), so
this writes the pax tar itself with Python's tarfile module, entry by
entry, exactly as the spec says.

Usage:
    mksup.py SPEC.json [-o OUT] [-z none|gz|xz|zst]
    mksup.py - [-o OUT] [-z ...]          (spec on standard input)

Spec (JSON object):
    "output":       path of the file to write (or -o)
    "kind":         "sup" (default) or "tar": a plain archive (for
                    file.extract payloads): no manifest, no payload table
    "compression":  "none" (default), "gz", "xz" or "zst" (zstd through the
                    `zstd` command)
    "manifest":     the manifest as a JSON value; serialised compactly
    "manifest_text": the manifest's exact text instead (invalid JSON, huge
                    or deeply nested documents); overrides "manifest"
    "payload_table": true (default): complete the manifest's "payloads"
                    table from the entries: for every regular-file entry
                    (other than manifest.json / manifest.sig) the table gets
                    {"size", "sha256"} of its data, unless the manifest
                    already has that name, in which case only the missing
                    fields are filled in. If the manifest has a "payloads"
                    table, only names it lists are completed. false: leave
                    the manifest as given. Ignored with "manifest_text".
    "sign":         the detached CMS signature of the manifest, stored as
                    entry 2, "manifest.sig" (a regular file, mode 0644,
                    like the other entries). Made with
                    `openssl cms -sign -binary -nosmimecap -outform DER`
                    over the exact manifest bytes written (also with
                    "manifest_text"); the signer certificate is embedded.
        absent:     sign with the default test signer when the environment
                    has SUP_SIGN_KEY and SUP_SIGN_CERT (and, optionally,
                    SUP_SIGN_CHAIN: more certificates to embed); unsigned
                    when they are not set
        false:      no signature
        true:       the default signer; an error if it is not set
        an object:  any of
            "key", "cert": the signer's private key and certificate (PEM);
                    give both or neither (neither: the default signer,
                    SUP_SIGN_CHAIN included unless "chain" is given)
            "chain": PEM file of extra certificates to embed (-certfile);
                    null or false: none
            "pss":  true: RSA-PSS padding instead of PKCS#1 v1.5
            "md":   digest, "sha256" by default
            "text": sign this text (UTF-8) instead of the manifest: a
                    signature that belongs to another manifest
            "der_hex": store these bytes (hex) as the signature, without
                    signing (malformed signatures); no key is needed
        Where:      entry 2, but only when the manifest is entry 1
                    (implicitly, or as a placeholder that is the first entry
                    and is not followed by a second manifest placeholder)
                    and no entry is named "manifest.sig" or is a signature
                    placeholder: entries that arrange their own entry 2 or
                    their own manifest.sig are kept as they are. Ignored
                    with "kind": "tar".
    "entries":      list, in archive order, of objects:
        "name":     entry name (required, except for a manifest or
                    signature placeholder)
        "manifest": true: put the manifest here; without such a
                    placeholder the manifest is entry 1
        "signature": true: put the signature ("sign") here, named
                    "manifest.sig" unless "name" says otherwise; with such
                    a placeholder no signature is added as entry 2 (use it
                    for a real signature in the wrong place, twice, ...)
        "type":     "file" (default), "dir", "symlink", "hardlink", "fifo",
                    "chardev", "blockdev"
        "data":     text content (UTF-8) of a file entry
        "data_hex": binary content as hex
        "file":     read the content from this path
        "repeat":   {"text": "ab", "count": N}: text repeated N times
        "size":     header size to claim instead of the data's length (the
                    data is then padded with NUL bytes or cut to that size,
                    so the archive stays readable)
        "target":   link target (symlink, hardlink)
        "mode":     permission bits (default 0644, dirs 0755)
        "mtime":    modification time (default 0)
        "major", "minor": device numbers (default 1, 3)

Prints nothing on success; exits 2 with a message on a bad spec.
"""

import argparse
import copy
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "fifo": tarfile.FIFOTYPE,
    "chardev": tarfile.CHRTYPE,
    "blockdev": tarfile.BLKTYPE,
}
RESERVED = ("manifest.json", "manifest.sig")


def die(msg):
    print("mksup.py: error: %s" % msg, file=sys.stderr)
    sys.exit(2)


def entry_data(e):
    """The bytes of a file entry (b'' for other types)."""
    n = sum(k in e for k in ("data", "data_hex", "file", "repeat"))
    if n > 1:
        die("entry '%s': give only one of data, data_hex, file, repeat"
            % e.get("name"))
    if "data" in e:
        return e["data"].encode("utf-8")
    if "data_hex" in e:
        return bytes.fromhex(e["data_hex"])
    if "file" in e:
        with open(e["file"], "rb") as f:
            return f.read()
    if "repeat" in e:
        r = e["repeat"]
        return r["text"].encode("utf-8") * int(r["count"])
    return b""


def is_placeholder(e):
    return bool(e.get("manifest") or e.get("signature"))


def complete_payload_table(manifest, entries):
    """Fill in sizes and hashes of the manifest's payload table."""
    m = copy.deepcopy(manifest)
    if not isinstance(m, dict):
        return m
    files = {}
    for e in entries:
        if is_placeholder(e) or e.get("type", "file") != "file":
            continue
        if e["name"] in RESERVED or e["name"] in files:
            continue
        files[e["name"]] = entry_data(e)
    table = m.get("payloads")
    if table is None:
        table = {name: {} for name in files}
        m["payloads"] = table
    if not isinstance(table, dict):
        return m
    for name, decl in table.items():
        if name not in files or not isinstance(decl, dict):
            continue
        decl.setdefault("size", len(files[name]))
        decl.setdefault("sha256", hashlib.sha256(files[name]).hexdigest())
    return m


def signer_of(spec):
    """The signing request of the spec as a dict, or None: unsigned."""
    sign = spec.get("sign")
    env_key = os.environ.get("SUP_SIGN_KEY", "")
    env_cert = os.environ.get("SUP_SIGN_CERT", "")
    have_env = bool(env_key and env_cert)
    if sign is None:
        sign = {} if have_env else False
    elif sign is True:
        sign = {}
    if sign is False:
        return None
    if not isinstance(sign, dict):
        die("\"sign\" must be false, true or an object")
    unknown = set(sign) - {"key", "cert", "chain", "pss", "md", "text",
                           "der_hex"}
    if unknown:
        die("\"sign\": unknown field(s) %s" % ", ".join(sorted(unknown)))
    s = dict(sign)
    if "der_hex" in s:
        try:
            s["der"] = bytes.fromhex(s["der_hex"])
        except (TypeError, ValueError):
            die("\"sign\": der_hex is not hex")
        return s
    if ("key" in s) != ("cert" in s):
        die("\"sign\": give both key and cert, or neither")
    if "key" not in s:
        if not have_env:
            die("\"sign\": no key and cert, and SUP_SIGN_KEY / "
                "SUP_SIGN_CERT are not set")
        s["key"], s["cert"] = env_key, env_cert
        if "chain" not in s:
            s["chain"] = os.environ.get("SUP_SIGN_CHAIN") or None
    return s


def signature(s, manifest_bytes):
    """The DER signature bytes the request s asks for."""
    if "der" in s:
        return s["der"]
    content = manifest_bytes
    if "text" in s:
        content = s["text"].encode("utf-8")
    cmd = ["openssl", "cms", "-sign", "-binary", "-nosmimecap",
           "-outform", "DER", "-md", s.get("md") or "sha256",
           "-signer", s["cert"], "-inkey", s["key"]]
    if s.get("chain"):
        cmd += ["-certfile", s["chain"]]
    if s.get("pss"):
        cmd += ["-keyopt", "rsa_padding_mode:pss"]
    try:
        r = subprocess.run(cmd, input=content, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False)
    except OSError as exc:
        die("cannot run openssl: %s" % exc)
    if r.returncode != 0 or not r.stdout:
        die("openssl cms -sign failed (%s): %s"
            % (" ".join(cmd), r.stderr.decode("utf-8", "replace").strip()))
    return r.stdout


def add_entry(tar, e, manifest_bytes, sig_bytes=None):
    if e.get("manifest"):
        name = e.get("name", "manifest.json")
        data = manifest_bytes
        kind = "file"
    elif e.get("signature"):
        if sig_bytes is None:
            die("a signature placeholder, but the package is not signed "
                "(\"sign\" false, or no SUP_SIGN_KEY / SUP_SIGN_CERT)")
        name = e.get("name", "manifest.sig")
        data = sig_bytes
        kind = "file"
    else:
        if "name" not in e:
            die("an entry has no name")
        name = e["name"]
        kind = e.get("type", "file")
        data = entry_data(e)
    if kind not in TYPES:
        die("entry '%s': unknown type '%s'" % (name, kind))
    ti = tarfile.TarInfo(name)
    ti.type = TYPES[kind]
    ti.mtime = int(e.get("mtime", 0))
    ti.mode = int(e.get("mode", 0o755 if kind == "dir" else 0o644))
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    if kind in ("symlink", "hardlink"):
        if "target" not in e:
            die("entry '%s': a %s needs a target" % (name, kind))
        ti.linkname = e["target"]
    if kind in ("chardev", "blockdev"):
        ti.devmajor = int(e.get("major", 1))
        ti.devminor = int(e.get("minor", 3))
    if kind != "file":
        ti.size = 0
        tar.addfile(ti)
        return
    if "size" in e:
        size = int(e["size"])
        data = data[:size] + b"\0" * max(0, size - len(data))
    ti.size = len(data)
    tar.addfile(ti, io.BytesIO(data))


def wants_auto_signature(entries):
    """Whether the signature goes in as entry 2 (see "sign")."""
    for e in entries:
        if e.get("signature") or (not e.get("manifest")
                                  and e.get("name") == "manifest.sig"):
            return False
    # entries[0] is the manifest (placeholder) here.
    return not (len(entries) > 1 and entries[1].get("manifest"))


def build(spec):
    kind = spec.get("kind", "sup")
    entries = spec.get("entries", [])
    manifest_bytes = b""
    sig_bytes = None
    if kind == "sup":
        if "manifest_text" in spec:
            manifest_bytes = spec["manifest_text"].encode("utf-8")
        elif "manifest" in spec:
            m = spec["manifest"]
            if spec.get("payload_table", True):
                m = complete_payload_table(m, entries)
            manifest_bytes = json.dumps(m, separators=(",", ":")).encode()
        else:
            die("a sup spec needs 'manifest' or 'manifest_text'")
        if not any(e.get("manifest") for e in entries):
            entries = [{"manifest": True}] + list(entries)
        signer = signer_of(spec)
        if signer is not None:
            sig_bytes = signature(signer, manifest_bytes)
            if entries[0].get("manifest") and wants_auto_signature(entries):
                entries = ([entries[0], {"signature": True}]
                           + list(entries[1:]))
    elif kind != "tar":
        die("unknown kind '%s'" % kind)

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            add_entry(tar, e, manifest_bytes, sig_bytes)
    return buf.getvalue()


def compress(raw, how):
    if how in (None, "none"):
        return raw
    if how == "gz":
        import gzip
        return gzip.compress(raw, mtime=0)
    if how == "xz":
        import lzma
        return lzma.compress(raw, format=lzma.FORMAT_XZ)
    if how == "zst":
        return subprocess.run(["zstd", "-q", "-c"], input=raw,
                              stdout=subprocess.PIPE, check=True).stdout
    die("unknown compression '%s'" % how)
    return b""


def main():
    ap = argparse.ArgumentParser(description="build a SUP file from a spec")
    ap.add_argument("spec", help="spec file (JSON), or - for stdin")
    ap.add_argument("-o", "--output", help="output file (overrides spec)")
    ap.add_argument("-z", "--compression",
                    choices=["none", "gz", "xz", "zst"],
                    help="compression (overrides spec)")
    args = ap.parse_args()
    try:
        if args.spec == "-":
            spec = json.load(sys.stdin)
        else:
            with open(args.spec, encoding="utf-8") as f:
                spec = json.load(f)
    except (OSError, ValueError) as exc:
        die("cannot read the spec: %s" % exc)
    if not isinstance(spec, dict):
        die("the spec must be a JSON object")
    out = args.output or spec.get("output")
    if not out:
        die("no output file: give -o or \"output\"")
    data = compress(build(spec), args.compression or
                    spec.get("compression", "none"))
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
