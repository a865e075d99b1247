"""What the remoting benchmarks share: the import path (the package, and the e2e fixtures that
start sshd), a median timer and the row printer."""

from __future__ import annotations

import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(REPO, "tests", "e2e"), REPO):
    if _path not in sys.path:
        sys.path.insert(0, _path)


def median_time(func, repeat: int) -> float:
    """The median of ``repeat`` timed calls of ``func``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(name: str, value: float, unit: str, baseline: float = 0.0, base_name: str = "",
        target: str = "") -> None:
    """One figure, with its ratio to the baseline when there is one."""
    ratio = f"{value / baseline:6.2f}x {base_name}" if baseline else ""
    print(f"  {name:<52} {value:12.4f} {unit:<8} {ratio:<30} {target}", flush=True)
