"""A spare session process is sent a login's environment as a difference from the one it was
forked with (the supervisor's): whatever the login has, lacks or changes, the session sees
exactly the login's environment, never the supervisor's and never the previous session's."""

# ruff: noqa: F811 - the fixtures ``state`` and ``keeper`` are test_isolation_hostile's, imported

from __future__ import annotations

import glob
import json
import os
import signal
import time

from test_isolation_hostile import Raw, keeper, line, sock_path, state, still_fine  # noqa: F401

from pshell.remote.protocol import PROTOCOL_VERSION

LISTING = "(Get-ChildItem env: | ForEach-Object { $_.Name + '=' + $_.Value }) -join '|'"


def waiting_spares(state, keeper) -> set:
    """The supervisor's children that are no session yet (waits until there is one)."""
    with open(state / "run" / "host.pid") as fh:
        supervisor = json.load(fh)["pid"]
    deadline = time.monotonic() + 30
    while True:
        children = set()
        for path in glob.glob(f"/proc/{supervisor}/task/*/children"):
            try:
                with open(path) as fh:
                    children |= {int(p) for p in fh.read().split()}
            except FileNotFoundError:
                pass            # a thread that ended since the listing
        spares = children - {keeper[2]} - SESSIONS
        if spares or time.monotonic() > deadline:
            return spares
        time.sleep(0.05)


SESSIONS: set = set()       # processes of the sessions made here (a temporary one may not have ended)


def session_env(blob: bytes, state, keeper, once: bool) -> dict:
    """The environment a session made over a relay that sent ``blob`` sees (a temporary
    session's, or a named one's), served by a spare process forked before it."""
    text = in_spare(blob, state, keeper, once, LISTING)
    return dict(entry.partition("=")[::2] for entry in text.split("|"))


def in_spare(blob: bytes, state, keeper, once: bool, script: str) -> str:
    """What ``script`` says in a session made over a relay that sent ``blob`` (a temporary
    session, or a named one), served by a spare process forked before it."""
    spares = waiting_spares(state, keeper)
    raw = Raw(sock_path(keeper), line(env=len(blob)), blob)
    try:
        assert raw.answer == b"A"
        hello = {"t": "hello", "v": PROTOCOL_VERSION, "session": "", "new": True, "token": "t"}
        if once:
            hello["once"] = True
        else:
            hello["name"] = f"env-{len(blob)}-{os.getpid()}"
        answers = raw.ask(hello, {"t": "create", "rs": 0},
                          {"t": "invoke", "id": 1, "rs": 0, "script": script + "; $PID",
                           "args": [], "source": "t"}, want=3)
        while not any(m.get("t") == "done" for m in answers):
            more = raw.ask(want=1)
            assert more, answers
            answers += more
        done = [m for m in answers if m.get("t") == "done"]
        assert done and done[0].get("ok"), answers
        text, pid = done[0]["o"]
        assert pid in spares, (pid, spares, answers)
        SESSIONS.add(pid)
    finally:
        raw.close()
    return text


def test_a_sessions_environment_is_exactly_its_logins(state, keeper):
    home = os.environ["HOME"]
    supervisor_has = sorted(k for k in os.environ if k.startswith("PSHELL_"))
    assert supervisor_has      # the fixture's supervisor runs with PSHELL_STATE_DIR and more
    cases = [
        # a name the supervisor lacks, one it has with another value, and none of its others
        {"ONLY_LOGIN": "1", "PATH": "/login/bin:/usr/bin", "HOME": home, "EQ": "a=b=c"},
        # exactly the supervisor's, less one of its names
        {k: v for k, v in os.environ.items() if k != supervisor_has[0]},
        # nothing at all
        {},
    ]
    for once in (True, False):
        for env in cases:
            blob = b"\0".join(k.encode() + b"=" + v.encode() for k, v in env.items())
            assert session_env(blob, state, keeper, once) == (env or {"": ""}), (once, env)
    still_fine(keeper)


def test_the_next_session_does_not_inherit_the_previous_logins_difference(state, keeper):
    """Each spare is forked with the supervisor's environment, whatever sessions before it
    were sent."""
    first = {"HOME": os.environ["HOME"], "FIRST_ONLY": "x"}
    second = {"HOME": os.environ["HOME"], "SECOND_ONLY": "y"}
    for env in (first, second, first):
        blob = b"\0".join(k.encode() + b"=" + v.encode() for k, v in env.items())
        assert session_env(blob, state, keeper, True) == env
    still_fine(keeper)


def test_a_spare_readies_sigalrm_only_for_a_temporary_session(state, keeper):
    """A spare installs SIGALRM's handler (a temporary session's helper-thread timer) before it
    knows its session: a named session's process has the default back, as one forked for it;
    neither catches SIGCHLD or SIGTERM (the supervisor's dispositions are not a session's)."""
    blob = b"HOME=" + os.environ["HOME"].encode()
    caught = {}
    for once in (True, False):
        text = in_spare(blob, state, keeper, once, "((Get-Content /proc/$PID/status) -match '^SigCgt:')[0]")
        caught[once] = int(text.split()[1], 16)
    alarm = 1 << (signal.SIGALRM - 1)
    assert caught[True] & alarm and not caught[False] & alarm, caught
    others = (1 << (signal.SIGCHLD - 1)) | (1 << (signal.SIGTERM - 1))
    assert not (caught[True] | caught[False]) & others, caught
    still_fine(keeper)


def test_a_spares_runspace_is_its_sessions_own(state, keeper, tmp_path):
    """A spare warmed up (a throwaway session) before it was told its session: ``$HOME``, the
    location and ``$env:`` are the login's, ``$PID`` the process's (in_spare checks it), and a
    global variable one session sets is not in the next."""
    home = tmp_path / "login-home"
    home.mkdir()
    blob = b"HOME=" + str(home).encode() + b"\0LOGIN_ONLY=yes"
    script = ("$before = [string]$global:leak; $global:leak = 'set'; "
              "($HOME, (Get-Location).Path, $env:HOME, $env:LOGIN_ONLY, $before) -join '|'")
    for _ in range(3):
        assert in_spare(blob, state, keeper, True, script) == f"{home}|{home}|{home}|yes|"
    assert in_spare(blob, state, keeper, False, script) == f"{home}|{home}|{home}|yes|"
    still_fine(keeper)
