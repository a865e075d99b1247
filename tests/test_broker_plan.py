"""What the connection broker keeps per request line (transport/broker_server.py): the decisions
are reused only while every config file that would be read is unchanged, an Include'd
directory included, and never when a Match exec could decide differently."""

from __future__ import annotations

import json
import os

import pytest

from pshell.transport import broker_server
from pshell.transport.broker_request import BadRequest, config_stamp
from pshell.transport.broker_server import Broker


@pytest.fixture
def config(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh" / "conf.d").mkdir(parents=True)
    path = home / ".ssh" / "config"
    path.write_text("Include conf.d/*.conf\nHost alpha\n  HostName 127.0.0.9\n  Port 2200\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PSHELL_SSH_CONFIG", str(path))
    return path


def line(host="alpha", **fields):
    return json.dumps({"v": 1, "host": host, "user": None, "port": None, "key_file": None,
                       "options": {}, "subsystem": "pshell", **fields}).encode() + b"\n"


def bump(path, text):
    """Write ``text`` and make sure the stamp moves even within one clock tick."""
    before = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_a_request_line_is_decided_once_while_the_config_is_unchanged(config):
    broker = Broker("/nonexistent", 30)
    first = broker._plan(line())
    assert broker._plan(line()) is first
    assert json.loads(first.key)[-1]     # every resolved option is in the key
    bump(config, config.read_text() + "Host alpha\n  ServerAliveInterval 7\n")
    second = broker._plan(line())
    assert second is not first and second.key != first.key
    assert broker._plan(line()) is second


def test_a_file_appearing_in_an_included_directory_changes_the_decision(config):
    broker = Broker("/nonexistent", 30)
    first = broker._plan(line())
    stamp = config_stamp()
    extra = config.parent / "conf.d" / "late.conf"
    extra.write_text("Host alpha\n  User someoneelse\n")
    os.utime(extra.parent, ns=(os.stat(extra.parent).st_mtime_ns + 10**9,) * 2)
    assert config_stamp() != stamp
    second = broker._plan(line())
    assert second.key != first.key and '"someoneelse"' in second.key.replace("'", '"')
    bump(extra, "Host alpha\n  User third\n")     # an included file's own change
    assert "third" in broker._plan(line()).key


def test_match_exec_is_decided_each_time(config):
    bump(config, config.read_text() + "Match exec true\n  User ran\n")
    assert config_stamp() is None
    broker = Broker("/nonexistent", 30)
    assert "ran" in broker._plan(line()).key
    assert not broker.plans                 # nothing kept: the command may answer otherwise


def test_hostile_lines_are_refused_and_the_kept_decisions_stay_bounded(config):
    broker = Broker("/nonexistent", 30)
    for bad in (b"garbage\n", line(host="a\x1bb"), line(port=0)):
        with pytest.raises(BadRequest):
            broker._plan(bad)
    assert not broker.plans
    for n in range(broker_server._PLANS + 40):
        broker._plan(line(host=f"h{n}"))
    assert len(broker.plans) <= broker_server._PLANS
    broker._plan(line(host="alpha", options={"SendEnv": "x" * 4000, "SetEnv": "Y=" + "y" * 3998}))
    assert all(len(key) <= broker_server._PLAN_LINE for key in broker.plans)


def test_an_unreadable_config_is_not_kept_and_says_what_is_wrong(config):
    bump(config, "Host alpha\n  Port notanumber\n")
    broker = Broker("/nonexistent", 30)
    from pshell.transport.ssh_connect import SSHError
    with pytest.raises(SSHError, match="bad port"):
        broker._plan(line())
    assert not broker.plans


def test_the_clients_environment_is_checked_field_by_field(config, monkeypatch):
    """The request's ``env`` (the client's environment, from which SendEnv's values are taken)
    crosses the broker's trust boundary: hostile ones are refused with what was wrong."""
    from pshell.client.broker import _request
    from pshell.transport.broker_request import MAX_ENV_NAMES, MAX_ENV_SIZE, check_request
    from pshell.transport.ssh_connect import SSHTarget
    monkeypatch.setenv("PSHELL_T_RAW", "caf\udce9")         # the bytes b"caf\xe9": not UTF-8
    sent = check_request(_request(SSHTarget("alpha"), "pshell"))["environ"]
    assert sent[b"PSHELL_T_RAW"] == b"caf\xe9" and sent[b"HOME"] == os.fsencode(os.environ["HOME"])
    assert check_request(line())["environ"] == {}           # none: nothing of the broker's
    for env, words in (([1], "a table"), ({"A": 1}, "not text"), ({"": "x"}, "not valid"),
                       ({"A=B": "x"}, "not valid"), ({"A\0B": "x"}, "not valid"),
                       ({"A": "x\0y"}, "not text"), ({"A": "\ud800"}, "not valid text"),
                       ({"N" * 300: "x"}, "not valid"),
                       ({f"V{n}": "" for n in range(MAX_ENV_NAMES + 1)}, "at most"),
                       ({"A": "x" * MAX_ENV_SIZE}, "larger")):
        with pytest.raises(BadRequest, match=words):
            check_request(line(env=env))


def test_a_client_whose_environment_is_too_large_for_the_broker_connects_directly(monkeypatch):
    from pshell.client.broker import _request
    from pshell.transport.ssh_connect import SSHTarget
    assert _request(SSHTarget("alpha"), "pshell") is not None
    monkeypatch.setenv("PSHELL_T_" + "L" * 300, "x")       # a name the broker would refuse
    assert _request(SSHTarget("alpha"), "pshell") is None
    monkeypatch.delenv("PSHELL_T_" + "L" * 300)
    assert _request(SSHTarget("alpha"), "pshell") is not None
    monkeypatch.setenv("PSHELL_T_HUGE", "x" * 60000)
    assert _request(SSHTarget("alpha"), "pshell") is None
