"""Language and cmdlet behaviour as data: every case in tests/spec/*.txt.

A case starts with ``#### name``; the script follows; then expectations, each a ``## `` line:
``## stdout:`` / ``## stderr:`` (the following lines, compared exactly up to trailing spaces and
blank lines), ``## stdout-contains: text`` / ``## stderr-contains: text`` (repeatable),
``## status: N``, ``## mode: subprocess`` (run ``python -m pshell -c`` instead of in-process).
Each case runs in a fresh runspace whose location and $HOME are a fresh temporary directory.
"""

from __future__ import annotations

import pytest

from specrunner import all_cases, check, run_inprocess, run_subprocess

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec(case, tmp_path):
    runner = run_subprocess if case.mode == "subprocess" else run_inprocess
    out, err, status = runner(case.script, str(tmp_path))
    problems = check(case, out, err, status)
    assert not problems, f"{case.file}:{case.line} {case.name}\n" + "\n".join(problems)
