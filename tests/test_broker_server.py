"""The connection broker's serving loop without SSH (transport/broker_server.py): a client on a
real Unix socket pair that never finishes its request line is refused by the loop's sweep and
forgotten, and the broker's quieter asyncssh logging still logs whatever a level keeps."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time

import pytest

from pshell.transport import broker_server
from pshell.transport.broker_clients import _Client
from pshell.transport.broker_server import Broker


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_a_client_that_never_ends_its_line_is_refused_by_the_sweep_and_forgotten():
    async def scenario():
        loop = asyncio.get_running_loop()
        broker = Broker("/nonexistent", 30)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ours.setblocking(False)
        client = _Client(broker, ours)
        client.start()
        theirs.sendall(b'{"v": 1, "host": "x"')         # and then nothing, ever
        await asyncio.sleep(0.05)
        broker.sweep()                                  # its time is not up: it waits
        assert client.state == "line" and client in broker.waiting
        broker.waiting[client] = time.monotonic() - 1   # now it is
        broker.sweep()
        await asyncio.sleep(0.05)
        answer = await loop.run_in_executor(None, _read_all, theirs)
        theirs.close()
        # a client that goes away before its line is forgotten too
        ours2, theirs2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ours2.setblocking(False)
        other = _Client(broker, ours2)
        other.start()
        assert other in broker.waiting
        theirs2.close()
        await asyncio.sleep(0.05)
        return answer, broker, client, other

    answer, broker, client, other = asyncio.run(scenario())
    said = json.loads(answer.split(b"\n")[0])
    assert said["ok"] is False and "one line" in said["error"], said
    assert client.state == "done" and other.state == "done"
    assert not broker.waiting and broker.clients == 0


def test_asyncssh_still_logs_what_its_level_keeps(caplog):
    pytest.importorskip("asyncssh")
    from asyncssh.logging import SSHLogger, logger
    from asyncssh.packet import SSHPacketLogger
    broker_server._quiet_asyncssh()
    broker_server._quiet_asyncssh()                     # twice: wrapped once

    class Packets(SSHPacketLogger):
        @property
        def logger(self):
            return logger

    with caplog.at_level(logging.DEBUG, logger="asyncssh"):
        logger.info("opened %s", b"\xffbytes")         # asyncssh's argument conversion stays
        logger.debug1("then %s", ["a", b"b"])
        level = SSHLogger._debug_level
        Packets().log_sent_packet(94, 7, b"data")       # debug level 1: no packet lines
        SSHLogger._debug_level = 3
        try:
            Packets().log_sent_packet(94, 7, b"data")
        finally:
            SSHLogger._debug_level = level
    with caplog.at_level(logging.WARNING, logger="asyncssh"):
        logger.info("not kept %s", "x")
        logger.debug1("not kept %s", "x")
    said = [record.getMessage() for record in caplog.records]
    assert said[:2] == ["opened \\xffbytes", "then a,b"], said
    assert len(said) == 3 and "Sent" in said[2] and "4 bytes" in said[2], said
