"""Runs the language/cmdlet behaviour cases in ``tests/spec/*.txt`` (format: see test_spec.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

SPEC_DIR = os.path.join(os.path.dirname(__file__), "spec")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Case:
    file: str
    name: str
    line: int
    script: str = ""
    stdout: Optional[str] = None
    stderr: Optional[str] = None
    stdout_contains: List[str] = field(default_factory=list)
    stderr_contains: List[str] = field(default_factory=list)
    status: Optional[int] = None
    mode: str = "inprocess"

    @property
    def id(self) -> str:
        return f"{os.path.basename(self.file)[:-4]}:{self.line}:{self.name}"


def parse_file(path: str) -> List[Case]:
    cases: List[Case] = []
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    case: Optional[Case] = None
    section: Optional[str] = None
    body: List[str] = []

    def close_section() -> None:
        nonlocal section, body
        if case is not None and section is not None:
            text = "\n".join(body)
            if section == "script":
                case.script = text.strip("\n")
            else:
                setattr(case, section, text)
        section, body = None, []

    for number, line in enumerate(lines, start=1):
        if line.startswith("#### "):
            close_section()
            case = Case(path, line[5:].strip(), number)
            cases.append(case)
            section, body = "script", []
            continue
        if case is None:
            continue
        if line.startswith("## "):
            close_section()
            key, _, rest = line[3:].partition(":")
            key = key.strip().lower()
            rest = rest.strip()
            if key in ("stdout", "stderr"):
                section, body = key, []
                if rest:
                    body.append(rest)
            elif key == "stdout-contains":
                case.stdout_contains.append(rest)
            elif key == "stderr-contains":
                case.stderr_contains.append(rest)
            elif key == "status":
                case.status = int(rest)
            elif key == "mode":
                case.mode = rest
            continue
        body.append(line)
    close_section()
    return cases


def all_cases() -> List[Case]:
    cases: List[Case] = []
    for name in sorted(os.listdir(SPEC_DIR)):
        if name.endswith(".txt"):
            cases.extend(parse_file(os.path.join(SPEC_DIR, name)))
    return cases


def _norm(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def run_inprocess(script: str, cwd: str) -> Tuple[str, str, int]:
    from pshell.engine.errors import ExitException
    from pshell.engine.host import PlainHost
    from pshell.engine.runtime import Runspace
    from pshell.engine.session_stack import Shell
    out, err = io.StringIO(), io.StringIO()
    host = PlainHost(out, err, 120, stdin=io.StringIO(""))
    rs = Runspace(host=host, location=cwd)
    rs.global_scope.vars["home"] = cwd
    shell = Shell(rs)
    status = 0
    try:
        ok = shell.run_text(script, "<spec>")
        status = shell.exit_code if shell.exit_requested else (0 if ok else 1)
    except ExitException as exc:
        status = exc.code
    finally:
        rs.close()
    return out.getvalue(), err.getvalue(), status


def run_subprocess(script: str, cwd: str) -> Tuple[str, str, int]:
    env = dict(os.environ, HOME=cwd, NO_COLOR="1", PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-m", "pshell", "-NoProfile", "-c", script], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    return proc.stdout, proc.stderr, proc.returncode


def check(case: Case, out: str, err: str, status: int) -> List[str]:
    problems = []
    if case.stdout is not None and _norm(out) != _norm(case.stdout):
        problems.append(f"stdout differs:\n--- expected\n{_norm(case.stdout)}\n--- got\n{_norm(out)}")
    if case.stderr is not None and _norm(err) != _norm(case.stderr):
        problems.append(f"stderr differs:\n--- expected\n{_norm(case.stderr)}\n--- got\n{_norm(err)}")
    for needle in case.stdout_contains:
        if needle not in out:
            problems.append(f"stdout lacks {needle!r}; got:\n{out}")
    for needle in case.stderr_contains:
        if needle not in err:
            problems.append(f"stderr lacks {needle!r}; got:\n{err}")
    if case.status is not None and status != case.status:
        problems.append(f"status {status}, expected {case.status}; stderr:\n{err}")
    if "Traceback (most recent call last)" in err or "Internal error in pshell" in err:
        problems.append(f"an internal error reached the user:\n{err}")
    return problems
