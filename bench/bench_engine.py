"""Benchmarks of the engine (issue 2), each against a baseline run side by side, as ratios.

  a. `pshell -c 1` start-up against `python3 -c pass` (same interpreter)        target <= 5x
  c. `foreach ($i in 1..1000000) { $s += $i }` against the same loop in Python   target <= 20x
     `1..1000000 | Measure-Object -Sum` against `sum()`-style loop in Python      target <= 40x

Run: python3 bench/bench_engine.py [--quick]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def _median_run(argv, runs: int) -> float:
    times = []
    env = dict(os.environ, NO_COLOR="1")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_startup(runs: int) -> None:
    py = sys.executable
    # interleave the two so machine noise hits both alike
    ours, base = [], []
    for _ in range(runs):
        ours.append(_median_run([py, "-m", "pshell", "-NoProfile", "-c", "1"], 1))
        base.append(_median_run([py, "-c", "pass"], 1))
    o, b = statistics.median(ours), statistics.median(base)
    print(f"startup  pshell -c 1: {o * 1000:7.1f} ms   python3 -c pass: {b * 1000:6.1f} ms   "
          f"ratio {o / b:5.2f}x  (target <= 5x)")


def _python_loop(n: int) -> int:
    s = 0
    for i in range(1, n + 1):
        s += i
    return s


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_loops(n: int, repeat: int) -> None:
    from pshell.engine.runtime import Runspace
    rs = Runspace()
    loop = f"$s = 0; foreach ($i in 1..{n}) {{ $s += $i }}; $s"
    pipe = f"1..{n} | Measure-Object -Sum"
    assert rs.invoke(loop) == [_python_loop(n)]
    ps_loop = _best(lambda: rs.invoke(loop), repeat)
    py_loop = _best(lambda: _python_loop(n), repeat)
    print(f"foreach  {n:,} x $s += $i: {ps_loop:6.3f} s   python loop: {py_loop:6.3f} s   "
          f"ratio {ps_loop / py_loop:5.2f}x  (target <= 20x)")
    ps_pipe = _best(lambda: rs.invoke(pipe), repeat)
    py_pipe = _best(lambda: sum(x for x in range(1, n + 1)), repeat)
    print(f"pipeline 1..{n:,} | Measure-Object -Sum: {ps_pipe:6.3f} s   python: {py_pipe:6.3f} s   "
          f"ratio {ps_pipe / py_pipe:5.2f}x  (target <= 40x)")


def main() -> None:
    quick = "--quick" in sys.argv
    bench_startup(5 if quick else 21)
    bench_loops(1_000_000, 2 if quick else 5)


if __name__ == "__main__":
    main()
