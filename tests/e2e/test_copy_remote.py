"""Copy-Item through a session against real sshd: what crosses is confined on both sides.

The hostile-remote cases (a remote engine that lies) are in tests/test_copy_trust.py; these check
that the same rules hold with the remote side running in the user's host process behind sshd.
"""

from __future__ import annotations

import os
import stat

from pshell.engine.streams import CollectingStreams


def run(rs, text):
    streams = CollectingStreams()
    out = rs.invoke(text, streams=streams)
    return out, [r.message for s, r in streams.records if s == "error"]


def test_to_session_does_not_follow_a_link_out_of_the_destination(rs, tmp_path):
    src = tmp_path / "tree"
    src.mkdir()
    (src / "f").write_bytes(b"data")
    dest, outside = tmp_path / "remote_dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    os.symlink(outside, dest / "tree")
    run(rs, "$s = New-PSSession server01")
    _, errors = run(rs, f"Copy-Item '{src}' '{dest}' -ToSession $s -Recurse")
    assert len(errors) == 1, errors
    assert "[server01]" in errors[0] and "'tree' in the destination is a symbolic link" in errors[0]
    assert os.listdir(outside) == []


def test_from_session_drops_setuid_and_applies_the_local_umask(rs, tmp_path):
    src = tmp_path / "remote_tree"
    src.mkdir()
    (src / "tool").write_bytes(b"#!/bin/sh\n")
    os.chmod(src / "tool", 0o4777)
    os.mkfifo(src / "pipe")
    back = tmp_path / "back"
    back.mkdir()
    run(rs, "$s = New-PSSession server02")
    umask = os.umask(0o027)
    try:
        _, errors = run(rs, f"Copy-Item '{src}' '{back}' -FromSession $s -Recurse")
    finally:
        os.umask(umask)
    assert errors == []
    copied = back / "remote_tree"
    assert sorted(os.listdir(copied)) == ["tool"]          # the fifo is skipped, with a warning
    assert stat.S_IMODE(os.stat(copied / "tool").st_mode) == 0o750
    assert (copied / "tool").read_bytes() == b"#!/bin/sh\n"
