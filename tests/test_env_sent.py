"""The variables a client sends with its channel (SendEnv, SetEnv), at the per-user host without
sshd: a hand-made relay plays a login (its environment is what sshd would have made of what the
client sent) and says what it was sent; direct channels then say what they would have sent.
The host applies to a direct channel's session only the names a login showed sshd kept, with
the direct channel's own values; the template never keeps a value a client sent; what a client
says cannot add a name sshd did not keep (hostile lists are refused whole)."""

from __future__ import annotations

import json
import os
import time

import pytest

from test_isolation_hostile import Raw, line, sock_path, still_fine
from test_isolation_hostile import keeper as keeper_fixture, state as state_fixture

from pshell.remote.framing import FrameDecoder, encode_frame
from pshell.remote.protocol import PROTOCOL_VERSION

keeper = keeper_fixture      # the fixtures, by their names
state = state_fixture

SHOW = "'[' + $env:PSHELL_T_K + '|' + $env:LD_PRELOAD + '|' + $env:PSHELL_BASE + ']'"


def login(keeper, sent, env: bytes, name: str) -> str:
    """A relay's login with environment ``env`` that says it was sent ``sent`` (a frame
    before its hello, as the client writes it); what SHOW says in its session."""
    raw = Raw(sock_path(keeper), line(env=len(env)), env)
    try:
        assert raw.answer == b"A"
        if sent is not None:
            raw.ask({"t": "env", "env": sent}, want=0)
        return raw.session_env(name, SHOW)[0]
    finally:
        raw.close()


def direct(keeper, sent=None, **fields):
    """A direct channel whose line says ``sent``: what SHOW says in its session, or None when
    the host refused the channel."""
    first = {"direct": 1, **fields}
    if sent is not None:
        first["sent"] = sent
    raw = Raw(sock_path(keeper), json.dumps(first).encode() + b"\n", fds=False)
    try:
        if raw.answer != b"A":
            return None
        raw.sock.sendall(encode_frame({"t": "hello", "v": PROTOCOL_VERSION, "session": "",
                                       "name": "", "new": True, "token": "t"})
                         + encode_frame({"t": "create", "rs": 0})
                         + encode_frame({"t": "invoke", "id": 1, "rs": 0, "args": [],
                                         "source": "t", "script": SHOW}))
        decoder = FrameDecoder()
        got: list = []
        deadline = time.monotonic() + 30
        while not any(m.get("t") == "done" for m in got) and time.monotonic() < deadline:
            data = raw.sock.recv(1 << 16)
            if not data:
                break
            got += decoder.feed(data)
    finally:
        raw.close()
    done = [m for m in got if m.get("t") == "done"]
    assert done and done[0].get("ok"), got
    return done[0]["o"][0]


BASE = b"PSHELL_BASE=b\0PATH=/usr/bin:/bin\0"


def test_a_direct_channel_gets_its_own_values_of_the_names_sshd_kept(keeper):
    # the login: sshd kept PSHELL_T_K (it has the value sent), refused LD_PRELOAD
    env = BASE + b"PSHELL_T_K=one\0"
    assert login(keeper, {"PSHELL_T_K": "one", "LD_PRELOAD": "/tmp/x.so"}, env, "l1") == "[one||b]"
    # a direct channel of the same kind: its own value of the kept name, never the refused one
    assert direct(keeper, {"PSHELL_T_K": "two", "LD_PRELOAD": "/tmp/evil.so"}) == "[two||b]"
    # a direct channel that sends nothing sees none of it (the template never kept "one")
    assert direct(keeper) == "[||b]"
    assert direct(keeper, {}) == "[||b]"
    # a name no login has shown sshd's answer for: the channel is refused (the client logs in)
    assert direct(keeper, {"PSHELL_T_K": "two", "PSHELL_T_NEW": "x"}) is None
    still_fine(keeper)


def test_the_template_keeps_what_a_login_not_sent_the_name_had(keeper):
    # a login not sent PSHELL_T_K has it from elsewhere (sshd's SetEnv, PAM): that is the base
    login(keeper, {"PSHELL_T_K": "one"}, BASE + b"PSHELL_T_K=one\0", "l1")
    assert login(keeper, None, BASE + b"PSHELL_T_K=pam\0", "l2") == "[pam||b]"
    # then a login sent it: its session has the client's value, the template keeps the base
    assert login(keeper, {"PSHELL_T_K": "mine"}, BASE + b"PSHELL_T_K=mine\0", "l3") == "[mine||b]"
    assert direct(keeper) == "[pam||b]"
    assert direct(keeper, {"PSHELL_T_K": "d"}) == "[d||b]"
    still_fine(keeper)


def test_a_login_may_change_the_answer(keeper):
    login(keeper, {"PSHELL_T_K": "one"}, BASE + b"PSHELL_T_K=one\0", "l1")
    assert direct(keeper, {"PSHELL_T_K": "two"}) == "[two||b]"
    # sshd now refuses it (its config changed): the login has not the value sent
    login(keeper, {"PSHELL_T_K": "one"}, BASE, "l2")
    assert direct(keeper, {"PSHELL_T_K": "two"}) == "[||b]"
    still_fine(keeper)


def test_a_login_cannot_claim_a_name_its_environment_does_not_have(keeper):
    """A client that says it sent LD_PRELOAD (sshd refused it: the login has it not) cannot
    give it to a direct channel's session afterwards."""
    login(keeper, {"LD_PRELOAD": "/tmp/x.so"}, BASE, "l1")
    assert direct(keeper, {"LD_PRELOAD": "/tmp/x.so"}) == "[||b]"
    still_fine(keeper)


HOSTILE = [
    ["not", "a", "dict"],
    "LD_PRELOAD=/tmp/x.so",
    {f"PSHELL_T_{i}": "v" for i in range(300)},      # more than a login is ever sent
    {"LD_PRELOAD=/tmp/x.so": "v"},                   # '=' in a name
    {"": "v"},
    {"PSHELL_T_K": 5},
    {"LD\0PRELOAD": "v"},
    {"PSHELL_T_K": "a\0b"},
    {"\ud800": "v"},                                 # not even as bytes through surrogates
    {"N" * 300: "v"},
    {"PSHELL_T_K": "v" * 70000},
]


@pytest.mark.parametrize("sent", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_list_from_a_direct_channel_is_refused(keeper, sent):
    login(keeper, {"PSHELL_T_K": "one"}, BASE + b"PSHELL_T_K=one\0", "l1")
    assert direct(keeper, sent) is None
    still_fine(keeper)


@pytest.mark.parametrize("sent", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_list_from_a_login_teaches_nothing(keeper, sent):
    """Nothing of a list that makes no sense is believed: its login's variables count as sent by
    nobody, so no name is known from it (a direct channel sending one is refused)."""
    env = BASE + b"PSHELL_T_K=one\0"
    assert login(keeper, sent, env, "l1") == "[one||b]"    # the login's session: sshd's decision
    assert direct(keeper, {"PSHELL_T_K": "two"}) is None
    still_fine(keeper)


def test_a_direct_line_cannot_give_a_login_environment(keeper):
    """Found: a direct line with an ``env`` object was taken as a login's environment (only a
    relay's count, read after its line, is one): its session's start failed (the connection was
    reset).  Now it is ignored: the session has the template."""
    assert direct(keeper, env={"LD_PRELOAD": "/tmp/x.so", "PSHELL_T_K": "x"}, umask=0) == "[||]"
    still_fine(keeper)


def test_bytes_that_are_not_utf8_cross_as_surrogates(keeper):
    value = os.fsdecode(b"caf\xe9")
    env = BASE + b"PSHELL_T_K=caf\xe9\0"
    login(keeper, {"PSHELL_T_K": value}, env, "l1")
    assert direct(keeper, {"PSHELL_T_K": os.fsdecode(b"th\xe9")}) is not None
    still_fine(keeper)
