"""`make bench`: every benchmark, each printing its figures and ratios against its baseline."""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ["bench_engine.py", "bench_repl.py", "bench_jobs.py", "bench_remote.py",
          "bench_sessions.py", "bench_isolation.py"]


def main() -> int:
    failed = 0
    extra = sys.argv[1:]
    for name in SUITES:
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
