"""Programs on a remote pty (remote/pty.py, ui/remote_pty.py): the rule that picks them, the
checks on their messages, and a real program on a real pty behind a RunspaceHost."""

from __future__ import annotations

import threading

import pytest

from pshell.remote.messages import check_request, check_reply
from pshell.remote.framing import ProtocolError
from pshell.remote.server import RunspaceHost
from pshell.ui.remote_pty import _ends_mid_line, terminal_command


@pytest.mark.parametrize("text, argv", [
    ("vi /tmp/a.txt", ["vi", "/tmp/a.txt"]),
    ("  less 'a b'  ", ["less", "a b"]),
    ("/usr/bin/top", ["/usr/bin/top"]),
    ("git log", ["git", "log"]),
    ("vi $file", None), ("less x | Out-String", None), ("vi a; ls", None), ("top > out", None),
    ("ls -l", None), ("Get-Content x", None), ("vi 'unclosed", None), ("", None),
    ("vi (Get-Item x)", None), ("sudo `\nls", None),
    ("sh -c 'echo a; sleep 1 | cat'", ["sh", "-c", "echo a; sleep 1 | cat"]),
    ("vi 'it''s'", ["vi", "it's"]), ('less "a b"', ["less", "a b"]), ('less "$x"', None),
    ('less "a`tb"', None), ("vi a'b c'", ["vi", "ab c"]), ("vi 'a", None), ('vi "a', None),
    ("vi #comment", None), ("vi a,b", None), ("'vi' x", ["vi", "x"]), ("'' x", None),
    ("vim\tx", ["vim", "x"]),
])
def test_which_statements_run_on_a_pty(text, argv):
    assert terminal_command(text) == argv


@pytest.mark.parametrize("msg", [
    {"t": "pty", "id": 1, "argv": "vi"}, {"t": "pty", "id": 1, "argv": []},
    {"t": "pty", "id": 1, "argv": ["vi\0x"]}, {"t": "pty", "id": 1, "argv": [3]},
    {"t": "pty", "id": 1, "argv": ["vi"], "rows": "24"}, {"t": "pty", "id": 1, "argv": ["vi"], "cols": -1},
    {"t": "pty", "id": 1, "argv": ["vi"], "term": "x" * 101}, {"t": "pwin", "id": 1, "rows": 1.5},
])
def test_malformed_pty_requests_are_refused(msg):
    with pytest.raises(ProtocolError):
        check_request(msg)


def test_malformed_pty_answers_are_refused():
    with pytest.raises(ProtocolError):
        check_reply({"t": "pexit", "id": 1, "code": "0"})
    with pytest.raises(ProtocolError):
        check_reply({"t": "pexit", "id": 1, "code": -1})


def _host():
    got = []
    ended = threading.Event()

    def send(msg):
        got.append(msg)
        if msg.get("t") == "pexit":
            ended.set()
    host = RunspaceHost(send)
    host.handle({"t": "create", "rs": 0})
    return host, got, ended


def test_a_program_runs_on_a_pty_of_the_given_size_and_sets_lastexitcode():
    host, got, ended = _host()
    try:
        host.handle({"t": "pty", "id": 5, "rs": 0, "argv": ["sh", "-c", "stty size; tty; exit 3"],
                     "rows": 7, "cols": 33})
        assert ended.wait(60)
        out = b"".join(bytes(m["_bin"]) for m in got if m["t"] == "pout").decode()
        assert "7 33" in out and "/dev/pts/" in out
        assert got[-1] == {"t": "pexit", "id": 5, "code": 3}
        assert host.slots[0].runspace.get_variable("LASTEXITCODE") == 3
        assert host.ptys == {}
    finally:
        host.close()


def test_keys_and_sizes_reach_the_program():
    host, got, ended = _host()
    try:
        host.handle({"t": "pty", "id": 6, "rs": 0, "argv": ["sh", "-c", "read x; stty size; echo got=$x"],
                     "rows": 10, "cols": 40})
        host.handle({"t": "pwin", "id": 6, "rows": 12, "cols": 50})
        host.handle({"t": "pin", "id": 6, "_bin": b"hi\r"})
        assert ended.wait(60)
        out = b"".join(bytes(m["_bin"]) for m in got if m["t"] == "pout").decode()
        assert "12 50" in out and "got=hi" in out
    finally:
        host.close()


def test_an_unknown_program_or_runspace_is_an_error_not_a_hang():
    host, got, ended = _host()
    try:
        host.handle({"t": "pty", "id": 7, "rs": 0, "argv": ["no-such-program-xyz"]})
        last = got[-1]
        assert last["t"] == "pexit" and last["code"] == 127 and "no-such-program-xyz" in last["error"]
        host.handle({"t": "pty", "id": 8, "rs": 9, "argv": ["vi"]})
        assert got[-1]["t"] == "pexit" and got[-1]["code"] == 127
        host.handle({"t": "pin", "id": 99, "_bin": b"ignored"})      # no such program: nothing happens
        host.handle({"t": "pwin", "id": 99, "rows": 99999, "cols": 0})
    finally:
        host.close()


@pytest.mark.parametrize("tail, mid", [
    (b"sleeping\r\n^C", True), (b"done\r\n", False), (b"text\x1b[?1049l", False),
    (b"\x1b[?1l\x1b>", False), (b"abc", True), (b"x\x1b(B", False),
])
def test_the_prompt_starts_a_new_line_only_after_text(tail, mid):
    assert _ends_mid_line(tail) is mid
