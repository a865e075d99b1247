"""Piped stdin runs statement by statement; a top-level trap guards the statements after it."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pipe(text: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pshell", "-NoProfile"], input=text, cwd=REPO,
                          env={**os.environ, "HOME": str(tmp_path)}, capture_output=True, text=True,
                          timeout=60)


def test_trap_in_piped_stdin_guards_later_statements(tmp_path):
    proc = _pipe('"first"\ntrap { "trapped: $_"; continue }\nthrow "oops"\n"after"\n', tmp_path)
    assert proc.stdout.splitlines() == ["first", "trapped: oops", "after"]
    assert proc.stderr == ""
    assert proc.returncode == 0


def test_piped_stdin_without_trap_reports_and_goes_on(tmp_path):
    proc = _pipe('"first"\nthrow "oops"\n"after"\n', tmp_path)
    assert proc.stdout.splitlines() == ["first", "after"]
    assert "oops" in proc.stderr
    assert proc.returncode == 1
