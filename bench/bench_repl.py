"""REPL start-up: time from exec to the first prompt on a terminal, pshell vs a bare
prompt_toolkit prompt, measured side by side in a pseudo-terminal.  Target: ratio <= 1.2.

    python3 bench/bench_repl.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import shutil
import signal
import statistics
import sys
import tempfile
import time
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BARE = ("from prompt_toolkit import PromptSession\n"
        "PromptSession().prompt('PS /tmp> ')\n")
PROMPT = re.compile(rb"PS [^\r\n]*>")
TIMEOUT = 30.0


def time_to_prompt(argv: List[str], env: Dict[str, str], cwd: str) -> float:
    """Seconds from fork to the prompt text appearing on the terminal."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:                                    # child: becomes the program
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    seen = b""
    try:
        deadline = started + TIMEOUT
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if b"\x1b[6n" in chunk:                 # answer a cursor position request
                os.write(fd, b"\x1b[1;1R")
            if PROMPT.search(_strip_escapes(seen)):
                return time.perf_counter() - started
        raise RuntimeError(f"no prompt from {argv!r}; the terminal showed {seen[-400:]!r}")
    finally:
        _end(pid, fd)


def _strip_escapes(data: bytes) -> bytes:
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", data)


def _end(pid: int, fd: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="pshell-bench-")
    env = dict(os.environ, HOME=home, TERM="xterm-256color", PYTHONPATH=ROOT)
    env.pop("XDG_DATA_HOME", None)
    python = sys.executable
    pshell = [python, "-m", "pshell", "-NoProfile", "-NoLogo"]
    bare = [python, "-c", BARE]
    try:
        time_to_prompt(pshell, env, home)           # warm the file cache and .pyc files
        time_to_prompt(bare, env, home)
        ours: List[float] = []
        theirs: List[float] = []
        for _ in range(args.runs):                  # interleaved, so drift hits both alike
            ours.append(time_to_prompt(pshell, env, home))
            theirs.append(time_to_prompt(bare, env, home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    ours_ms = statistics.median(ours) * 1000
    theirs_ms = statistics.median(theirs) * 1000
    ratio = ours_ms / theirs_ms
    best_ratio = min(ours) / min(theirs)       # the fastest runs: least disturbed by other load
    if args.json:
        print(json.dumps({"pshell_ms": round(ours_ms, 1), "prompt_toolkit_ms": round(theirs_ms, 1),
                          "ratio": round(ratio, 2), "best_ratio": round(best_ratio, 2),
                          "target": 1.2}))
    else:
        print(f"REPL start to first prompt: pshell {ours_ms:.0f} ms, bare prompt_toolkit "
              f"{theirs_ms:.0f} ms (median of {args.runs}): ratio {ratio:.2f}x, fastest runs "
              f"{best_ratio:.2f}x (target <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
