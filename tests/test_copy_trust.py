"""Copy-Item through a session never lets the other side write outside the destination.

-FromSession: a remote engine that lies (tests/fake_remote.py, started through the process
transport, so the client's code runs exactly as over SSH) sends hostile names, modes, types and
sizes; nothing lands outside the destination, each refusal names the computer and the bad name,
and nothing is left half-written.  -ToSession: the real remote side (``pshell.remote.server``
through the process transport) is sent the same hostile names by a client.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import sys

import pytest

from pshell.engine.runtime import Runspace
from pshell.engine.streams import CollectingStreams

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_remote.py")
T = 1_000_000_000
ROOT = ["", "dir", 0o755, T, 0]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def box(tmp_path):
    """A runspace, a destination, an ``outside`` directory that must stay empty, and a way to copy
    from a fake remote computer ``evilbox`` that answers as ``spec`` says."""
    (tmp_path / "dest").mkdir()
    (tmp_path / "outside").mkdir()
    rs = Runspace(location=str(tmp_path))
    sessions = []

    def copy_from(spec, source="/srv/tree", destination="dest", recurse=True):
        from pshell.cmdlets.session import PSSession
        from pshell.remote.client import RemoteConnection
        from pshell.transport.process import ProcessLink
        spec.setdefault("path", "/srv/tree")
        spec.setdefault("kind", "dir")
        spec_file = tmp_path / f"spec{len(sessions)}.json"
        spec_file.write_text(json.dumps(spec))
        env = dict(os.environ, FAKE_REMOTE=str(spec_file))
        link = ProcessLink([sys.executable, FAKE], env=env)
        conn = RemoteConnection(link, "evilbox")
        link.attach(conn)
        session = PSSession("evilbox", conn, conn.open("", "", 0, 30), "Process")
        sessions.append(session)
        rs.set_variable("s", session)
        streams = CollectingStreams()
        out = rs.invoke(f"Copy-Item -Path '{source}' -Destination '{destination}' -FromSession $s"
                        + (" -Recurse" if recurse else ""), streams=streams)
        return out, [r.message for s, r in streams.records if s == "error"]

    yield tmp_path, copy_from
    for session in sessions:
        session.close()
    rs.close()


def tree_of(path):
    """Every path below ``path``, relative, as the file system has them."""
    found = []
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            found.append(os.path.relpath(os.path.join(top, name), path))
    return sorted(found)


def assert_refused(tmp_path, errors, shown):
    assert tree_of(tmp_path / "outside") == []
    assert sorted(n for n in os.listdir(tmp_path) if not n.startswith("spec")) == ["dest", "outside"]
    assert len(errors) == 1, errors
    assert "[evilbox]" in errors[0] and shown in errors[0], errors[0]
    assert "Traceback" not in errors[0]
    assert not [p for p in tree_of(tmp_path / "dest") if ".part" in p]   # no temporary left


# ---------------------------------------------------------------- names that climb out (Found)

@pytest.mark.parametrize("bad", ["../../outside/escape", "a/../../../outside/escape"])
def test_dotdot_names_are_refused(box, bad):
    tmp_path, copy_from = box
    _, errors = copy_from({"pages": [[ROOT, ["a", "dir", 0o755, T, 0], [bad, "file", 0o644, T, 5]]],
                           "files": {"/srv/tree/" + bad: {"data": b64(b"owned")}}})
    assert_refused(tmp_path, errors, repr(bad))
    assert "'..'" in errors[0]
    assert tree_of(tmp_path / "dest") == ["tree", "tree/a"]


def test_absolute_name_is_refused(box):
    tmp_path, copy_from = box
    bad = str(tmp_path / "outside" / "x")
    _, errors = copy_from({"pages": [[ROOT, [bad, "file", 0o644, T, 5]]],
                           "files": {"/srv/tree/" + bad: {"data": b64(b"owned")},
                                     "/srv/tree" + bad: {"data": b64(b"owned")}}})
    assert_refused(tmp_path, errors, "absolute path")


def test_top_name_is_the_one_asked_for_not_the_remote_one(box):
    tmp_path, copy_from = box
    # asked for 'tree'; the remote says it is '/root/.ssh': the copy is still called 'tree'
    _, errors = copy_from({"path": "/root/.ssh", "pages": [[ROOT, ["k", "file", 0o600, T, 2]]],
                           "files": {"/root/.ssh/k": {"data": b64(b"ok")}}})
    assert errors == []
    assert tree_of(tmp_path / "dest") == ["tree", "tree/k"]
    assert (tmp_path / "dest" / "tree" / "k").read_bytes() == b"ok"


@pytest.mark.parametrize("bad,shown", [
    ("a\0b", "a\\x00b"),
    ("evil\nname", "evil\\x0aname"),
    ("bad\udcffutf8", "bad\\udcffutf8"),
    ("x" * 256, "longer than 255 bytes"),
    ("a//b", "not names"),
])
def test_names_that_are_not_names_are_refused(box, bad, shown):
    tmp_path, copy_from = box
    _, errors = copy_from({"pages": [[ROOT, [bad, "file", 0o644, T, 2]]],
                           "files": {"/srv/tree/" + bad: {"data": b64(b"hi")}}})
    assert_refused(tmp_path, errors, shown)
    assert tree_of(tmp_path / "dest") == ["tree"]


def test_a_frame_that_is_not_utf8_ends_the_connection_clearly(box):
    tmp_path, copy_from = box
    _, errors = copy_from({"raw": True})
    assert len(errors) == 1 and "[evilbox]" in errors[0] and "not valid" in errors[0], errors
    assert "Traceback" not in errors[0]
    assert tree_of(tmp_path / "dest") == [] and tree_of(tmp_path / "outside") == []


# ---------------------------------------------------------------- links in the destination

def test_symlink_in_destination_is_not_followed(box):
    tmp_path, copy_from = box
    (tmp_path / "dest" / "tree").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "dest" / "tree" / "link")
    _, errors = copy_from({"pages": [[ROOT, ["link", "dir", 0o755, T, 0],
                                      ["link/pwned", "file", 0o644, T, 5]]],
                           "files": {"/srv/tree/link/pwned": {"data": b64(b"owned")}}})
    assert_refused(tmp_path, errors, "'tree/link' in the destination is a symbolic link")
    assert os.path.islink(tmp_path / "dest" / "tree" / "link")


def test_existing_link_or_fifo_with_a_file_name_is_replaced_not_written_through(box):
    tmp_path, copy_from = box
    (tmp_path / "dest" / "tree").mkdir()
    (tmp_path / "outside" / "target").write_bytes(b"mine")
    os.symlink(tmp_path / "outside" / "target", tmp_path / "dest" / "tree" / "a")
    os.mkfifo(tmp_path / "dest" / "tree" / "p")          # opening it to write would hang
    _, errors = copy_from({"pages": [[ROOT, ["a", "file", 0o644, T, 3], ["p", "file", 0o644, T, 3]]],
                           "files": {"/srv/tree/a": {"data": b64(b"new")},
                                     "/srv/tree/p": {"data": b64(b"new")}}})
    assert errors == []
    assert (tmp_path / "outside" / "target").read_bytes() == b"mine"
    for name in "ap":
        path = tmp_path / "dest" / "tree" / name
        assert stat.S_ISREG(os.lstat(path).st_mode) and path.read_bytes() == b"new"


# ---------------------------------------------------------------- modes and types

def test_setuid_and_world_writable_modes_are_not_taken(box):
    tmp_path, copy_from = box
    umask = os.umask(0o022)
    try:
        _, errors = copy_from({"pages": [[["", "dir", 0o7777, T, 0], ["d", "dir", 0o3777, T, 0],
                                          ["d/suid", "file", 0o4777, T, 2],
                                          ["sgid", "file", 0o2755, T, 2]]],
                               "files": {"/srv/tree/d/suid": {"data": b64(b"#!")},
                                         "/srv/tree/sgid": {"data": b64(b"#!")}}})
    finally:
        os.umask(umask)
    assert errors == []
    dest = tmp_path / "dest" / "tree"
    assert stat.S_IMODE(os.stat(dest / "d" / "suid").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(dest / "sgid").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(dest / "d").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o755
    assert int(os.stat(dest / "sgid").st_mtime) == T


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink", 7])
def test_other_entry_types_are_refused(box, kind):
    tmp_path, copy_from = box
    _, errors = copy_from({"pages": [[ROOT, ["x", kind, 0o644, T, 0]]],
                           "files": {"/srv/tree/x": {"data": b64(b"")}}})
    assert_refused(tmp_path, errors, "only files and directories are copied")
    assert tree_of(tmp_path / "dest") == ["tree"]


# ---------------------------------------------------------------- sizes and counts

def test_more_data_than_announced_is_refused_and_nothing_kept(box):
    tmp_path, copy_from = box
    _, errors = copy_from({"pages": [[ROOT, ["big", "file", 0o644, T, 10]]],
                           "files": {"/srv/tree/big": {"data": b64(b"x" * 100_000), "more": True}}})
    assert_refused(tmp_path, errors, "more than the 10 bytes it announced")
    assert tree_of(tmp_path / "dest") == ["tree"]


def test_less_data_than_announced_is_an_error_and_nothing_kept(box):
    tmp_path, copy_from = box
    _, errors = copy_from({"pages": [[ROOT, ["short", "file", 0o644, T, 100]]],
                           "files": {"/srv/tree/short": {"data": b64(b"x" * 10)}}})
    assert_refused(tmp_path, errors, "'tree/short' ended after 10 of the 100 bytes announced")
    assert tree_of(tmp_path / "dest") == ["tree"]


def test_absurd_announced_size_fails_before_writing(box):
    tmp_path, copy_from = box
    _, errors = copy_from({"pages": [[ROOT, ["huge", "file", 0o644, T, 1 << 62]]],
                           "files": {"/srv/tree/huge": {"data": b64(b"x")}}})
    assert len(errors) == 1 and "[evilbox]" in errors[0] and "bytes are free" in errors[0]
    assert tree_of(tmp_path / "dest") == ["tree"]


def test_a_page_with_an_absurd_count_of_entries_is_refused(box):
    tmp_path, copy_from = box
    page = [ROOT] + [[f"f{i}", "file", 0o644, T, 0] for i in range(20_000)]
    _, errors = copy_from({"pages": [page]})
    assert_refused(tmp_path, errors, "not a page of at most 1000 entries")
    assert tree_of(tmp_path / "dest") == []


def test_listing_arrives_in_pages(box):
    tmp_path, copy_from = box
    names = [f"f{i:04d}" for i in range(2500)]
    entries = [[n, "file", 0o644, T, 1] for n in names]
    pages = [[ROOT] + entries[:999], entries[999:1999], entries[1999:]]
    _, errors = copy_from({"pages": pages, "total": 2500,
                           "files": {f"/srv/tree/{n}": {"data": b64(b"z")} for n in names}})
    assert errors == []
    assert tree_of(tmp_path / "dest" / "tree") == names


@pytest.mark.parametrize("entry", [["x", "file", "rwx", T, 1], ["x", "file", 0o644, "noon", 1],
                                   ["x", "file", 0o644, T, -1], ["x", "file"], "x", [None] * 5])
def test_malformed_entries_are_clear_errors(box, entry):
    tmp_path, copy_from = box
    _, errors = copy_from({"pages": [[ROOT, entry]], "files": {"/srv/tree/x": {"data": b64(b"z")}}})
    assert_refused(tmp_path, errors, "[evilbox] Copy-Item")
    assert tree_of(tmp_path / "dest") in ([], ["tree"])      # a malformed page: before anything


def test_a_single_file_lands_at_the_name_the_user_gave(box):
    tmp_path, copy_from = box
    _, errors = copy_from({"path": "/srv/../../etc/passwd", "kind": "file",
                           "pages": [[["", "file", 0o4755, T, 4]]],
                           "files": {"/srv/../../etc/passwd": {"data": b64(b"data")}}},
                          source="/srv/f", destination="dest/mine", recurse=False)
    assert errors == []
    assert tree_of(tmp_path / "dest") == ["mine"]
    assert stat.S_IMODE(os.stat(tmp_path / "dest" / "mine").st_mode) == 0o755 & ~_umask()


def _umask() -> int:
    from pshell.remote.files import user_umask
    return user_umask()


# ---------------------------------------------------------------- -ToSession: the remote side

@pytest.fixture
def real_remote(tmp_path):
    """A session with the real remote side (pshell.remote.server --direct) and a way to send it
    file messages as a hostile client would."""
    (tmp_path / "dest").mkdir()
    (tmp_path / "outside").mkdir()
    rs = Runspace(location=str(tmp_path))
    session = rs.invoke("New-PSSession -ComputerName localhost -Transport Process")[0]
    rs.set_variable("s", session)
    yield tmp_path, rs, session.runspace
    rs.invoke("Remove-PSSession $s")
    rs.close()


@pytest.mark.parametrize("rel,shown", [
    ("../outside/x", "'..'"), ("a/../../outside/x", "'..'"), ("/etc/x", "absolute path"),
    ("a\0b", "a\\x00b"), ("a\nb", "a\\x0ab"), ("", "not names"), (".", "not names"),
])
def test_remote_side_refuses_hostile_names(real_remote, rel, shown):
    tmp_path, _, remote = real_remote
    (tmp_path / "dest" / "a").mkdir()
    with pytest.raises(OSError) as info:
        remote.file_request("fput", root=str(tmp_path / "dest"), rel=rel, kind="file",
                            data=b64(b"owned"), last=True, mode=0o644)
    assert shown in str(info.value)
    assert tree_of(tmp_path / "outside") == []
    assert tree_of(tmp_path / "dest") == ["a"]


def test_remote_side_does_not_follow_a_link_out_of_the_destination(real_remote):
    tmp_path, rs, _ = real_remote
    src = tmp_path / "tree"
    src.mkdir()
    (src / "f").write_bytes(b"data")
    os.symlink(tmp_path / "outside", tmp_path / "dest" / "tree")
    streams = CollectingStreams()
    rs.invoke(f"Copy-Item -Path '{src}' -Destination '{tmp_path / 'dest'}' -ToSession $s -Recurse",
              streams=streams)
    errors = [r.message for s, r in streams.records if s == "error"]
    assert len(errors) == 1 and "'tree' in the destination is a symbolic link" in errors[0]
    assert "[localhost]" in errors[0]
    assert tree_of(tmp_path / "outside") == []


def test_remote_side_keeps_permission_bits_only_and_refuses_other_types(real_remote):
    tmp_path, _, remote = real_remote
    root = str(tmp_path / "dest")
    remote.file_request("fput", root=root, rel="s", kind="file", data=b64(b"#!"), last=True,
                        mode=0o4777, mtime=T)
    umask = os.umask(0o022)
    os.umask(umask)             # the remote side applies its own (the SSH login's) umask
    assert stat.S_IMODE(os.stat(tmp_path / "dest" / "s").st_mode) == 0o777 & ~umask
    assert int(os.stat(tmp_path / "dest" / "s").st_mtime) == T
    with pytest.raises(OSError, match="only files and directories"):
        remote.file_request("fput", root=root, rel="p", kind="fifo")
    with pytest.raises(OSError, match="no file is being received"):
        remote.file_request("fput", upload=12345, data=b64(b"x"), last=True)
    assert tree_of(tmp_path / "dest") == ["s"]


def test_copy_to_and_from_a_real_remote_side(real_remote):
    tmp_path, rs, _ = real_remote
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 9000)     # more than one chunk
    (src / "a.txt").write_bytes(b"alpha\n")
    os.chmod(src / "sub", 0o750)
    os.mkfifo(src / "pipe")
    os.symlink("a.txt", src / "link")
    streams = CollectingStreams()
    rs.invoke(f"Copy-Item '{src}' '{tmp_path / 'dest'}' -ToSession $s -Recurse", streams=streams)
    assert [r for s, r in streams.records if s == "error"] == []
    assert any("pipe" in str(r) for s, r in streams.records if s == "warning")
    copied = tmp_path / "dest" / "tree"
    assert tree_of(copied) == ["a.txt", "link", "sub", "sub/b.bin"]
    assert (copied / "link").read_bytes() == b"alpha\n" and not os.path.islink(copied / "link")
    assert stat.S_IMODE(os.stat(copied / "sub").st_mode) == 0o750
    back = tmp_path / "back"
    streams = CollectingStreams()
    rs.invoke(f"Copy-Item '{copied}' '{back}' -FromSession $s -Recurse", streams=streams)
    assert [r for s, r in streams.records if s == "error"] == []
    assert tree_of(back) == ["a.txt", "link", "sub", "sub/b.bin"]
    assert (back / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 9000
