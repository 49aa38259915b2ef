#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_extract_boundaries.sh - file.extract at the edges of its entry
# checks (issue 8, item 15 c). Symbolic links whose targets climb to one
# level above the extraction directory ("up -> ..", "a/b -> ../..",
# "a/b/c -> ../../.."), a ".." after a name ("a/l -> x/../.."), an empty
# link target, a hard link, devices, a FIFO, a socket (from cpio: a tar
# header cannot carry one) and an mtree description are each
# refused while the payload is staged, before any action runs: exit 4, a
# message naming the entry (or the payload), and the sandbox (the root and
# the directory beside it) byte-for-byte unchanged.
# The links that climb to exactly the extraction directory, or stay one
# level inside it, are extracted as they are: an off-by-one in the
# containment check, either way, fails this test. What libarchive makes of
# types a tar header cannot say is pinned too: a tar entry of type '7' is
# a regular file, and a zip "socket" read as a stream (its mode is in the
# central directory only) an empty regular file.
. "$(dirname "$0")/lib.sh"

SANDBOX="$T/sandbox"
R="$SANDBOX/root"

# mkpkg NAME PAYLOAD-FILE: $T/NAME.sup, one file.extract of the payload
# into /opt/target (merge), the payload under its own base name.
mkpkg() {
	local pl=${2##*/}
	pkg "$T/$1.sup" <<EOF
{ "manifest": { "sup_format": 1,
    "package": { "name": "$1", "version": "1.0" },
    "actions": [{"id": "x", "type": "file.extract",
                 "params": {"path": "/opt/target"}, "payloads": ["$pl"]}] },
  "entries": [{"name": "$pl", "file": "$2"}] }
EOF
}

# mkraw KIND OUT: archives mksup.py does not make, written byte by byte:
#   cpio-socket  SVR4 "newc" cpio: ok.txt, then "sock" of mode 0140644
#                (the mode field carries the whole st_mode, file type
#                included, as bsdtar writes a real socket)
#   zip-socket   zip: ok.txt, then "sock" whose Unix external attributes
#                (central directory) say S_IFSOCK (create_system 3)
#   mtree        an mtree description naming ./ok.txt and ./etc/shadow
#   tar-contig   ustar: "contig" of type '7' (contiguous file), which tar
#                readers treat as a regular file
mkraw() {
	python3 - "$1" "$2" <<'EOF'
import io, stat, sys, tarfile, zipfile
kind, out = sys.argv[1:3]

def newc(name, mode, data=b"", ino=1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    h = b"070701" + b"".join(b"%08X" % v for v in fields) + name_b
    h += b"\0" * (-len(h) % 4)
    return h + data + b"\0" * (-len(data) % 4)

if kind == "cpio-socket":
    raw = (newc("ok.txt", stat.S_IFREG | 0o644, b"ok\n", 1)
           + newc("sock", stat.S_IFSOCK | 0o644, b"", 2)
           + newc("TRAILER!!!", 0, b"", 0))
    raw += b"\0" * (-len(raw) % 512)
elif kind == "zip-socket":
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, mode, data in (("ok.txt", stat.S_IFREG | 0o644, b"ok\n"),
                                 ("sock", stat.S_IFSOCK | 0o644, b"")):
            zi = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            zi.create_system = 3
            zi.external_attr = mode << 16
            z.writestr(zi, data)
    raw = buf.getvalue()
elif kind == "mtree":
    raw = (b"#mtree\n/set type=file uid=0 gid=0 mode=0644\n"
           b"./ok.txt size=3\n./etc type=dir mode=0755\n"
           b"./etc/shadow contents=/etc/shadow\n")
elif kind == "tar-contig":
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        ti = tarfile.TarInfo("contig")
        ti.type = tarfile.CONTTYPE
        ti.size = 7
        ti.mode = 0o644
        t.addfile(ti, io.BytesIO(b"contig\n"))
    raw = buf.getvalue()
else:
    sys.exit("mkraw: unknown kind " + kind)
open(out, "wb").write(raw)
EOF
}

# The sandbox: the root (with the test keyring) holding the extraction
# directory /opt/target and a neighbour beside it, and a directory beside
# the root. The installer's own records (root/var) are left out of the
# snapshots.
rm -rf "$SANDBOX"
mkdir -p "$R/opt/target/a/b/c" "$R/opt/neighbour" "$SANDBOX/outside"
install_keyring "$R" || exit 2
echo "target" >"$R/opt/target/t.txt"
echo "neighbour" >"$R/opt/neighbour/n.txt"
echo "outside" >"$SANDBOX/outside/file.txt"

sandbox_snap() {
	snapshot "$SANDBOX" | grep -v -e '^\./root/var[/	]' >"$T/$1.sbox"
}
assert_sandbox_unchanged() {
	snapshot "$SANDBOX" | grep -v -e '^\./root/var[/	]' >"$T/$1.sbox2"
	if cmp -s "$T/$1.sbox" "$T/$1.sbox2"; then
		pass "sandbox (root and its surroundings) unchanged"
	else
		fail "sandbox changed" "no difference" \
			"$(diff "$T/$1.sbox" "$T/$1.sbox2" | head -n 20)"
	fi
}

# refused NAME PAYLOAD-FILE MESSAGE: the package of the payload is refused
# while file.extract stages it, before any action runs (exit 4, "staging
# failed: MESSAGE"); with --record-rejection its record says so; nothing
# changed anywhere.
refused() {
	local name=$1 payload=$2 message=$3
	mkpkg "$name" "$payload"
	sandbox_snap "$name"
	inst "$name"
	expect_exit 4 "install"
	assert_stderr "action 'x': staging failed: "
	assert_stderr "$message"
	sup install "$T/$name.sup" --root "$R" --plugin-dir "$SUP_PLUGIN_DIR" \
		--record-rejection
	expect_exit 4 "install --record-rejection"
	assert_json "$C" 'd["result"]' "rejected"
	assert_json_contains "$C" 'd["error"]["message"]' "$message"
	assert_sandbox_unchanged "$name"
}

OK='{"name": "ok.txt", "data": "ok\n"}'

# ---- links that climb out ------------------------------------------
# Each link twice: after a good entry, alone (were it accepted, it would
# land in /opt/target pointing at /opt or beyond), and followed by an
# entry written through it (which libarchive's SECURE_SYMLINKS refuses
# too, but only the entry check names the link and its target).
while IFS='|' read -r name link target message; do
	[ -n "$name" ] || continue
	LINK="{\"name\": \"$link\", \"type\": \"symlink\", \"target\": \"$target\"}"
	section "refused link: $name ($link -> $target)"
	mktar "$name" "[$OK, $LINK]"
	refused "$name" "$T/$name.tar" "$message"
	section "refused link, then an entry through it: $name ($link -> $target)"
	mktar "$name-through" "[$OK, $LINK,
	  {\"name\": \"$link/through.txt\", \"data\": \"through\n\"}]"
	refused "$name-through" "$T/$name-through.tar" "$message"
done <<'EOF'
up|up|..|archive entry 'up' is a symlink to '..', outside the extraction directory
up-slash|up|../|archive entry 'up' is a symlink to '../', outside the extraction directory
a-b|a/b|../..|archive entry 'a/b' is a symlink to '../..', outside the extraction directory
a-b-dots|a/b|./.././/..|archive entry 'a/b' is a symlink to './.././/..', outside the extraction directory
dot-a-b|./a/b|../..|archive entry './a/b' is a symlink to '../..', outside the extraction directory
a-slash-slash-b|a//b|../..|archive entry 'a//b' is a symlink to '../..', outside the extraction directory
a-b-c|a/b/c|../../..|archive entry 'a/b/c' is a symlink to '../../..', outside the extraction directory
a-b-c-d|a/b/c/d|../../../..|archive entry 'a/b/c/d' is a symlink to '../../../..', outside the extraction directory
a-b-c-back|a/b/c|../../../target/a|archive entry 'a/b/c' is a symlink to '../../../target/a', outside the extraction directory
a-l|a/l|x/../..|archive entry 'a/l' is a symlink to 'x/../..', which has '..' after a name
a-l-inside|a/l|x/..|archive entry 'a/l' is a symlink to 'x/..', which has '..' after a name
a-b-l|a/b/l|../x/../..|archive entry 'a/b/l' is a symlink to '../x/../..', which has '..' after a name
EOF

# ---- links at the boundary, accepted -------------------------------
# A link that climbs to exactly the extraction directory, and one that
# stays one level inside it: extracted with their targets as written, and
# resolving inside /opt/target.
while IFS='|' read -r name link target resolves; do
	[ -n "$name" ] || continue
	section "accepted link: $name ($link -> $target)"
	mktar "$name" "[{\"name\": \"$link\", \"type\": \"symlink\", \"target\": \"$target\"}]"
	mkpkg "$name" "$T/$name.tar"
	sandbox_snap "$name"
	inst "$name"
	expect_exit 0 "install"
	assert_json "$C" '[d["result"], d["actions"][0]["status"]]' '["succeeded", "succeeded"]'
	assert_eq "$(readlink "$R/opt/target/$link" 2>&1)" "$target" \
		"link $link"
	assert_eq "$(readlink -f "$R/opt/target/$link" 2>&1)" \
		"$(readlink -f "$R/opt/target$resolves")" "$link resolves to"
	# Only the link is new: drop it, and everything is as before.
	rm -f "$R/opt/target/$link"
	assert_sandbox_unchanged "$name"
done <<'EOF'
top-dot|top|.|
a-d-exact|a/d|..|
dot-a-d-exact|./a/d|..|
a-b-d-exact|a/b/d|../..|
a-b-c-d-exact|a/b/c/d|../../..|
a-b-d-inside|a/b/d|..|/a
a-b-c-d-inside|a/b/c/d|../..|/a
a-b-c-d-inside2|a/b/c/d|..|/a/b
a-b-d-back|a/b/d|../../a/b/c|/a/b/c
EOF

# ---- entries that are not files, directories or symlinks --------------
section "refused: empty link target"
mktar empty-target "[$OK, {\"name\": \"e\", \"type\": \"symlink\", \"target\": \"\"}]"
refused empty-target "$T/empty-target.tar" \
	"archive entry 'e' is a symlink with an empty target"

section "refused: hard link to an entry of the same archive"
mktar hardlink "[$OK, {\"name\": \"h\", \"type\": \"hardlink\", \"target\": \"ok.txt\"}]"
refused hardlink "$T/hardlink.tar" "archive entry 'h' is a hard link to 'ok.txt'"

section "refused: hard link out of the extraction directory"
mktar hardlink-up "[$OK, {\"name\": \"h\", \"type\": \"hardlink\", \"target\": \"../neighbour/n.txt\"}]"
refused hardlink-up "$T/hardlink-up.tar" \
	"archive entry 'h' is a hard link to '../neighbour/n.txt'"

section "refused: character device"
mktar chardev "[$OK, {\"name\": \"null\", \"type\": \"chardev\", \"major\": 1, \"minor\": 3}]"
refused chardev "$T/chardev.tar" "archive entry 'null' is a device node"

section "refused: block device"
mktar blockdev "[$OK, {\"name\": \"disk\", \"type\": \"blockdev\", \"major\": 7, \"minor\": 0}]"
refused blockdev "$T/blockdev.tar" "archive entry 'disk' is a device node"

section "refused: fifo"
mktar fifo "[$OK, {\"name\": \"a/pipe\", \"type\": \"fifo\"}]"
refused fifo "$T/fifo.tar" "archive entry 'a/pipe' is a fifo"

# A tar header has no socket type: libarchive reads an unknown type, and
# type '7', as a regular file, and its pax and ustar writers refuse
# sockets. cpio keeps the whole st_mode, so a cpio archive gives libarchive
# an AE_IFSOCK entry.
section "refused: socket (cpio)"
mkraw cpio-socket "$T/sock.cpio"
if command -v bsdtar >/dev/null; then
	assert_eq "$(bsdtar -tvf - <"$T/sock.cpio" 2>&1 | sed -n '2s/^\(.\).* \([^ ]*\)$/\1 \2/p')" \
		"s sock" "libarchive (bsdtar -tv) lists a socket"
else
	echo "skip: bsdtar not installed: the archive's socket is not cross-checked"
fi
refused socket-cpio "$T/sock.cpio" "archive entry 'sock' is a socket"

# zip keeps the mode in the central directory only; the payload streams,
# and libarchive's streaming zip reader sees the local headers, which
# carry no mode: the "socket" is an empty regular file, never a socket.
section "a zip socket, streamed, is an empty regular file"
mkraw zip-socket "$T/sock.zip"
mkpkg socket-zip "$T/sock.zip"
inst socket-zip
expect_exit 0 "install"
assert_file "$R/opt/target/sock"
assert_eq "$(stat -c %s "$R/opt/target/sock" 2>&1)" "0" "size of the 'socket'"
rm -f "$R/opt/target/sock" "$R/opt/target/ok.txt"

section "a socket archived by bsdtar"
if command -v bsdtar >/dev/null; then
	mkdir -p "$T/sockdir"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$T/sockdir/live.sock"
	(cd "$T/sockdir" && bsdtar --format newc -cf "$T/live.cpio" live.sock)
	refused socket-bsdtar "$T/live.cpio" \
		"archive entry 'live.sock' is a socket"
else
	echo "skip: bsdtar not installed: no archive of a real socket"
fi

# The extraction reads tar, cpio and zip only, so libarchive does not
# recognise the description ("Unrecognized archive format"); were mtree
# enabled, the entry loop refuses it by its format. Either way the
# message names the payload and nothing of /etc/shadow is read.
section "refused: mtree description"
mkraw mtree "$T/files.mtree"
refused mtree "$T/files.mtree" "'files.mtree'"
assert_true "the message says why" grep -qE \
	"cannot read archive 'files.mtree': Unrecognized archive format|payload 'files.mtree' is an mtree description, not an archive" \
	"$T/err"
assert_missing "$R/opt/target/etc"

section "accepted: a tar entry of type '7' is a regular file"
mkraw tar-contig "$T/contig.tar"
mkpkg contig "$T/contig.tar"
inst contig
expect_exit 0 "install"
assert_file "$R/opt/target/contig"
assert_content "$R/opt/target/contig" $'contig\n'

finish
