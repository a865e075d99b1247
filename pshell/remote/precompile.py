"""Texts the sessions ran, compiled ahead by the supervisor (:mod:`pshell.remote.supervisor`) so
that the spares it forks next inherit them: an admin re-running a command over a fleet is the
common case, and parsing and compiling its text was most of what running it cost a new session.

A session process notes the texts it parsed that were not shared
(:func:`pshell.engine.compiler.note`) and tells its supervisor, over their control socket, with
``ran`` {texts: [[text, source, seconds], ...]}: a temporary session once its connection is shut
(its answers are out), a lasting one from its reaper.  The supervisor checks a report in the
lobby (cheap: nothing is compiled there) and queues its texts; it compiles them before it forks
the next spares, each text while it holds the fork lock (compiling may import a module, and a
fork meanwhile would leave the child that module's lock), at most BUDGET seconds a refill, and
only while no session starts.

What a report may make the supervisor do is bounded: a text of at most ``compiler.TEXT_MAX``
(64 Ki) characters whose first parse and compile took its session at most COST_MAX seconds, at most
``compiler.SHARED_MAX`` (32) texts queued (the oldest go), one report at most REPORT_MAX bytes.  A
text that does not parse or compile here is remembered (at most FAILED_MAX) and never tried
again.  The supervisor never runs a text: a unit holds what its text and source make of it, and
every session runs it in a process of its own, so nothing one session does reaches another.
Standard library only.  The engine's compiler is imported where it is used: the supervisor imports
the engine in its prewarm, before it forks a session (nothing reaches here earlier), and importing
it with this module would delay the supervisor's start.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Callable, Dict, Tuple

__all__ = ["Precompiler", "tell_ran", "COST_MAX", "BUDGET"]

#: a text that took its session longer than this (seconds) to parse and compile is not compiled
#: ahead: the supervisor holds the fork lock meanwhile (a session starting then waits)
COST_MAX = 0.05
#: seconds of compiling per refill; what is left waits for the next one
BUDGET = 0.2
#: the largest report a session sends (bytes: a control packet, within the socket's buffer)
REPORT_MAX = 128 << 10
FAILED_MAX = 256
#: how many command names of a text have their modules imported ahead
COMMANDS_MAX = 16
_SOURCE_MAX = 1024


def tell_ran(ctl: socket.socket) -> None:
    """Tell the supervisor what texts this session process parsed that were not shared (one
    packet a text; never waits: a full socket drops it)."""
    from pshell.engine import compiler
    for text, source, cost in compiler.take_noted():
        data = json.dumps({"op": "ran", "texts": [[text, source, cost]]}, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8", "surrogatepass")
        if len(data) > REPORT_MAX:
            continue
        try:
            ctl.send(data, socket.MSG_DONTWAIT)
        except OSError:
            return


def load_commands(unit: Any) -> None:
    """Import the modules of the pshell cmdlets the text names (at most COMMANDS_MAX names; an
    alias is followed), and the engine's command path: the first command a session process runs
    imported them (~2 ms of ``Get-Date``'s first run).  Nothing is resolved on disk and nothing
    runs: a name that is no pshell cmdlet is left alone."""
    from pshell.engine import compiler, pipeline
    from pshell.engine.cmdlet import lookup_cmdlet
    from pshell.engine.compile_statements import _walk
    from pshell.lang import ast as A
    names = set()
    for block in compiler._script_blocks(unit.root):
        for node in _walk(block):
            if isinstance(node, A.CommandAst) and node.elements and \
                    isinstance(node.elements[0], A.StringConstant):
                names.add(str(node.elements[0].value).lower())
                if len(names) >= COMMANDS_MAX:
                    break
    for name in names:
        for _ in range(10):
            alias = pipeline.DEFAULT_ALIASES.get(name)
            if alias is None:
                break
            name = alias.lower()
        lookup_cmdlet(name)


class Precompiler:
    """The texts the sessions asked to have compiled ahead, and their compiling."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log
        self._lock = threading.Lock()
        self.wanted: Dict[Tuple[str, str], None] = {}     # oldest first
        self.failed: Dict[Tuple[str, str], None] = {}

    def heard(self, msg: Dict[str, Any]) -> None:
        """A session's ``ran``: its texts checked and queued (in the lobby: nothing compiled)."""
        from pshell.engine import compiler
        texts = msg.get("texts")
        if not isinstance(texts, list):
            return
        for entry in texts[:compiler.SHARED_MAX]:
            if not isinstance(entry, list) or len(entry) != 3:
                continue
            text, source, cost = entry
            if (type(text) is not str or type(source) is not str or len(text) > compiler.TEXT_MAX
                    or len(source) > _SOURCE_MAX or type(cost) not in (int, float)
                    or not 0 <= cost <= COST_MAX):
                continue
            key = (text, source)
            with self._lock:
                if key in self.failed or compiler.shared_unit(text, source) is not None:
                    continue
                self.wanted.pop(key, None)
                self.wanted[key] = None
                while len(self.wanted) > compiler.SHARED_MAX:
                    self.wanted.pop(next(iter(self.wanted)))

    def pending(self) -> bool:
        return bool(self.wanted)

    def compile_pending(self, fork_lock: Any, quiet: Callable[[], bool]) -> int:
        """Compile and share the queued texts, oldest first, each under ``fork_lock``, while
        ``quiet()`` (no session started) and within BUDGET seconds; how many were shared."""
        from pshell.engine import compiler
        spent = 0.0
        shared = 0
        while spent < BUDGET and quiet():
            with self._lock:
                if not self.wanted:
                    break
                key = next(iter(self.wanted))
                del self.wanted[key]
            with fork_lock:
                started = time.perf_counter()
                try:
                    unit = compiler.compile_ahead(*key)
                except Exception as exc:    # noqa: BLE001 - a text must never end the supervisor
                    unit = None
                    with self._lock:
                        self.failed[key] = None
                        while len(self.failed) > FAILED_MAX:
                            self.failed.pop(next(iter(self.failed)))
                    self._log(f"compiling a session's text ahead ({len(key[0])} characters): "
                              f"{type(exc).__name__}: {str(exc)[:200]}")
                if unit is not None:
                    compiler.share(unit)
                    shared += 1
                    try:
                        load_commands(unit)
                    except Exception as exc:    # noqa: BLE001
                        self._log(f"loading a session's commands ahead: {type(exc).__name__}: {exc}")
                took = time.perf_counter() - started
            spent += took
            if took > 4 * COST_MAX:
                self._log(f"compiling a session's text ahead ({len(key[0])} characters) took "
                          f"{took * 1000:.0f} ms")
        return shared
