"""Benchmarks of background jobs (issue 3), printed as figures and ratios to the targets.

  1. 1,000 `Start-Job { 1 }`, then Wait-Job and Receive-Job, end to end (target < 1 s; PowerShell's
     about_Thread_Jobs reports ~37 s for 1,000 Start-Job).
  2. Stop-Job latency, from the call to state Stopped, for a sleeping job, a `while ($true) {}`
     spin, and a native `sleep 100` (target < 1 s each).
  3. Peak RSS (VmHWM) of a process whose job writes 1 GiB of output nobody receives
     (target < 200 MB), measured in a child process.

Run: python3 bench/bench_jobs.py [--quick]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def _runspace():
    from pshell.engine.runtime import Runspace
    return Runspace()


def bench_thousand_jobs(count: int = 1000) -> float:
    rs = _runspace()
    script = (f"$jobs = foreach ($i in 1..{count}) {{ Start-Job {{ 1 }} }}; "
              f"$null = $jobs | Wait-Job; ($jobs | Receive-Job).Count")
    started = time.perf_counter()
    result = rs.invoke(script)
    elapsed = time.perf_counter() - started
    assert result == [count], result
    rs.invoke("Get-Job | Remove-Job")
    print(f"{count} x Start-Job {{ 1 }} + Wait-Job + Receive-Job: {elapsed:.3f} s  "
          f"(target < 1 s: {elapsed / 1.0:.2f}x of target; PowerShell ~37 s: "
          f"{37.0 / elapsed:.0f}x faster)")
    return elapsed


def bench_process_end_to_end(count: int = 1000) -> float:
    script = (f"$jobs = foreach ($i in 1..{count}) {{ Start-Job {{ 1 }} }}; "
              f"$null = $jobs | Wait-Job; ($jobs | Receive-Job).Count")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pshell", "-c", script], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    base_start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pshell", "-c", "1"], cwd=REPO, capture_output=True,
                   timeout=60)
    base = time.perf_counter() - base_start
    print(f"  same through `pshell -c` (process start included): {elapsed:.3f} s "
          f"(pshell -c 1 alone: {base:.3f} s); output {out.stdout.strip()!r}")
    return elapsed


STOP_KINDS = (
    ("sleeping (Start-Sleep 100)", "Start-Sleep -Seconds 100"),
    ("spinning (while ($true) {})", "while ($true) {}"),
    ("native (/usr/bin/sleep 100)", "/usr/bin/sleep 100"),
    ("native pipeline (/usr/bin/sleep 100 | cat)", "/usr/bin/sleep 100 | cat"),
)


def bench_stop_latency() -> None:
    from pshell.engine.jobs import JobState
    rs = _runspace()
    for label, body in STOP_KINDS:
        job = rs.invoke(f"Start-Job {{ {body} }}")[0]
        deadline = time.monotonic() + 10
        while job.State != JobState.Running and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)          # let it settle into the blocking call
        started = time.perf_counter()
        rs.invoke(f"Stop-Job -Id {job.Id}")
        elapsed = time.perf_counter() - started
        forced = any(getattr(c, "_abandoned", False) for c in job.iter_tree())
        how = "forced after the grace period" if forced else "work ended"
        print(f"Stop-Job latency, {label}: {elapsed * 1000:.1f} ms, state {job.State} ({how}; "
              f"target < 1000 ms: {elapsed:.3f}x)")
    rs.invoke("Get-Job | Remove-Job -Force")


_RSS_CHILD = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
from pshell.engine.runtime import Runspace
rs = Runspace()
job = rs.invoke("Start-Job { $s = 'x' * 1017; foreach ($i in 1..1048576) { $s + $i } }")[0]
job.wait()
child = job.ChildJobs[0]
spill = child.buffer.spill_path
size = os.path.getsize(spill) if spill else 0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(job.State, child.buffer.unread, size, hwm)
rs.invoke("Get-Job | Remove-Job -Force")
print(os.path.exists(spill) if spill else False)
"""


def bench_memory() -> None:
    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, XDG_STATE_HOME=state)
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _RSS_CHILD, REPO], env=env,
                             capture_output=True, text=True, timeout=900)
        elapsed = time.perf_counter() - started
        if out.returncode != 0:
            print("memory bench failed:", out.stderr[-2000:])
            return
        first, second = out.stdout.strip().splitlines()[-2:]
        state_name, unread, size, hwm_kb = first.split()
        mb = int(hwm_kb) / 1024
        print(f"job writing 1 GiB nobody receives: peak RSS {mb:.0f} MB (target < 200 MB: "
              f"{mb / 200:.2f}x), {int(unread):,} records kept, spill file "
              f"{int(size) / 2**30:.2f} GiB, removed with the job: {second == 'False'}, "
              f"state {state_name}, {elapsed:.1f} s ({2**30 / elapsed / 2**20:.0f} MB/s)")


def main() -> None:
    quick = "--quick" in sys.argv
    bench_thousand_jobs()
    if not quick:
        bench_process_end_to_end()
    bench_stop_latency()
    if not quick:
        bench_memory()


if __name__ == "__main__":
    main()
