"""`make bench`: every benchmark, each printing its figures and ratios against its baseline.

    python3 bench/run.py [--quick] [--only SUITE[:CASE,...]]

``--only perf`` runs bench_perf.py alone; ``--only perf:strings,sort`` passes ``--only
strings,sort`` to it (a suite that has cases takes them so)."""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ["bench_engine.py", "bench_repl.py", "bench_jobs.py", "bench_remote.py",
          "bench_sessions.py", "bench_isolation.py", "bench_perf.py"]


def main() -> int:
    failed = 0
    extra = sys.argv[1:]
    suites = SUITES
    if "--only" in extra:
        at = extra.index("--only")
        if at + 1 >= len(extra):
            print("usage: run.py [--quick] [--only SUITE[:CASE,...]]")
            return 2
        suite, _, cases = extra[at + 1].partition(":")
        extra = extra[:at] + extra[at + 2:] + (["--only", cases] if cases else [])
        suites = [name for name in SUITES if name in (suite, f"bench_{suite}.py", f"{suite}.py")]
        if not suites:
            print(f"no suite {suite!r}: there are {', '.join(SUITES)}")
            return 2
    for name in suites:
        path = os.path.join(HERE, name)
        if not os.path.exists(path):
            continue
        print(f"== {name}", flush=True)
        code = subprocess.call([sys.executable, path] + extra)
        if code:
            print(f"   ({name} exited with {code})")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
