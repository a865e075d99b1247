"""asyncssh's empty SSH_MSG_IGNORE before every encrypted packet (a defence of CBC ciphers): pshell's
client connections send none with the ciphers that need no such defence, and keep them with CBC.
Read from asyncssh's own log of the packets it sent, over real sshd."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile

import pytest

from pshell.client.session import Target, open_session
from pshell.transport.ssh_connect import load_asyncssh


@pytest.fixture
def client_home(sshd_hosts, monkeypatch):
    monkeypatch.setenv("HOME", sshd_hosts.home)
    monkeypatch.setenv("PSHELL_SSH_DIRECT", "0")        # a relay channel: data both ways
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return sshd_hosts


class _Sent(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.types: list = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "Sent MSG_" in text:
            self.types.append(text.split("Sent ", 1)[1].split()[0])


def _packets_sent(target: Target) -> list:
    asyncssh = load_asyncssh()
    logger = logging.getLogger("asyncssh")
    sent = _Sent()
    level = logger.level
    logger.addHandler(sent)
    logger.setLevel(logging.DEBUG)
    asyncssh.set_debug_level(3)
    try:
        session = open_session(target)
        try:
            for _ in range(3):
                assert session.runspace.invoke("1 + 1") == [2]
        finally:
            session.close()
    finally:
        asyncssh.set_debug_level(1)
        logger.setLevel(level)
        logger.removeHandler(sent)
    return sent.types


def test_no_ignore_packets_with_an_aead_cipher(client_home):
    sent = _packets_sent(Target("server01"))
    assert "MSG_CHANNEL_DATA" in sent and "MSG_CHANNEL_OPEN" in sent
    assert "MSG_IGNORE" not in sent, sent


def test_a_cbc_cipher_keeps_them(client_home):
    from conftest import own_sshd, stop_host_in
    # a short root: the remote host's socket fits there (a long path would put it in the
    # shared /tmp/pshell-<uid>, where a host left running answers for other tests' sshd)
    root = tempfile.mkdtemp(prefix="cbc-", dir="/tmp")
    addr = "127.0.0.72"
    proc = own_sshd(client_home, root, addr, extra="Ciphers aes128-cbc")
    try:
        sent = _packets_sent(Target(addr, options={"Ciphers": "aes128-cbc"}))
    finally:
        stop_host_in(os.path.join(root, "rhome", ".local", "state", "pshell"))
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)
    data = sent.count("MSG_CHANNEL_DATA")
    assert data and sent.count("MSG_IGNORE") >= data
