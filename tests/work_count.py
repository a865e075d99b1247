"""Counting work instead of timing it, for tests of how code scales.

"How long did it take" depends on the machine's load; "how many lines of the package ran" does
not.  These helpers count the Python lines run inside one directory of pshell for an input of
size n and 8n: linear code does about 8x the work, a quadratic or exponential regression 64x and
more, and the budget stops such a run after it has done 10x the work instead of letting it run on.
"""

from __future__ import annotations

import sys

import pytest


class OverBudget(BaseException):
    """More work than allowed.  A BaseException, so that the code under test's own ``except
    Exception`` cannot turn it into one of its errors."""


def work(fn, budget, under, lines=True):
    """The number of Python lines (``lines=False``: function calls) run in files under ``under``
    while ``fn()`` runs; raises OverBudget once it passes ``budget``."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
            if count > budget:
                raise OverBudget(f"more than {budget} lines")
        return local

    def calls(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename.startswith(under):
            count += 1
            if count > budget:
                raise OverBudget(f"more than {budget} calls")
            return local if lines else None
        return None

    old = sys.gettrace()
    sys.settrace(calls)
    try:
        fn()
    finally:
        sys.settrace(old)
    return count


def assert_linear(run, make, n, under, growth=10):
    """``run(make(8n))`` does at most ``growth`` times the work of ``run(make(n))``, counted in
    files under ``under``."""
    try:
        small = work(lambda: run(make(n)), 4000 * (len(make(n)) + 1), under)
    except OverBudget:
        pytest.fail(f"{make(n)[:40]!r}... did more than 4000 lines a character")
    try:
        work(lambda: run(make(8 * n)), growth * small, under)
    except OverBudget:
        pytest.fail(f"{make(n)[:40]!r}... 8x longer did more than {growth}x the work ({small} lines)")
    return small
