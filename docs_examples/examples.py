"""Running an example: ``run`` gives output objects and error messages, ``text`` the output as
the console shows it (Out-String, one string with lines)."""

from __future__ import annotations

import time
from typing import Any, List, Tuple

from pshell.engine.streams import CollectingStreams

__all__ = ["run", "text", "lines", "wait_for", "table_rows"]


def run(rs: Any, script: str) -> Tuple[List[Any], List[str]]:
    """Run ``script`` in ``rs``: its output objects and the messages of its errors."""
    streams = CollectingStreams()
    out = rs.invoke(script, streams=streams)
    return out, [r.message for s, r in streams.records if s == "error"]


def text(rs: Any, script: str) -> str:
    """What the console would show for ``script``'s output (errors are asserted absent)."""
    out, errors = run(rs, f"& {{ {script} }} | Out-String -Width 200")
    assert errors == [], errors
    return "".join(str(o) for o in out)


def lines(rs: Any, script: str) -> List[str]:
    return [line.rstrip() for line in text(rs, script).splitlines() if line.strip()]


def table_rows(rendered: str) -> List[List[str]]:
    """The rows of a table (header first), split on runs of spaces."""
    return [line.split() for line in rendered.splitlines() if line.strip()
            and not set(line.strip()) <= {"-", " "}]


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
