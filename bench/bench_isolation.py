"""Every PSSession its own process (issue 10) against one process for all of a user's sessions
(the design before it), side by side in one run, reported as ratios.

    python3 bench/bench_isolation.py [--quick] [--old COMMIT]

The old design is built at run time from this repository's history (``git archive`` of COMMIT,
by default the last commit before issue 10, into a temporary directory); nothing else is
fetched.  Each design gets its own sshd and remote HOME (started like the e2e tests) and its own
client process (a worker, below, with that tree's ``pshell`` on its path: the client ships its
own engine to the remote computer, so the remote side runs the same tree).

1. ``New-PSSession`` with a warm engine cache, old and new in pairs of runs.  Goal: new within
   1.1x of the old (median of the pair ratios).
2. Memory of 1, 10 and 100 idle sessions of one user: the proportional set size (``Pss`` in
   /proc/<pid>/smaps_rollup) summed over the host process and everything under it (the
   supervisor and its session processes; the old design's one process).  Goal: at most 10 MB
   per extra idle session.
3. A remote round trip, ``Invoke-Command -Session $s { 1 }``, median of many, in alternating
   batches.  Goal: no slower than the old (ratio <= 1.0, within the noise of a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OLD_COMMIT = "8d3c08d"      # main just before "every PSSession its own process" was merged


# --------------------------------------------------------------------------- the worker

def worker() -> int:
    """A client with one tree's pshell: reads commands on stdin, answers one JSON line each."""
    from pshell.engine.runtime import Runspace
    rs = Runspace(location=os.environ.get("HOME") or "/")
    rs.invoke("New-PSSession server01 | Remove-PSSession")          # the engine cache is warm
    rs.invoke("$idle = [System.Collections.ArrayList]::new()")
    rs.invoke("$rt = New-PSSession server01; Invoke-Command -Session $rt { 1 } | Out-Null")
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "new":
            start = time.perf_counter()
            rs.invoke("$f = New-PSSession server01")
            elapsed = time.perf_counter() - start
            rs.invoke("Remove-PSSession $f")
            time.sleep(0.1)
            answer = {"s": elapsed}
        elif cmd == "rt":
            times = []
            for _ in range(int(arg)):
                start = time.perf_counter()
                out = rs.invoke("Invoke-Command -Session $rt { 1 }")
                times.append(time.perf_counter() - start)
                assert out == [1], out
            answer = {"s": statistics.median(times)}
        elif cmd == "idle":
            want = int(arg)
            while int(rs.invoke("$idle.Count")[0]) < want:
                rs.invoke("$idle.Add((New-PSSession server01)) | Out-Null")
            pid = rs.invoke("Invoke-Command -Session $idle[0] { $PID }")[0]
            answer = {"pid": pid, "n": want}
        else:
            break
        print(json.dumps(answer), flush=True)
    rs.invoke("Get-PSSession | Remove-PSSession")
    return 0


class Side:
    """One design: its sshd, its worker process."""

    def __init__(self, name: str, tree: str, root: str, start_hosts) -> None:
        self.name = name
        self.hosts = start_hosts(root, 1, extra_names=False)
        # no connection broker: both sides make their own SSH connection, so what differs is
        # the remote host's design alone
        env = dict(os.environ, HOME=self.hosts.home, PYTHONPATH=tree, NO_COLOR="1", TERM="dumb",
                   PSHELL_BROKER="0")
        env.pop("SSH_AUTH_SOCK", None)
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env, cwd=root)
        self.read()

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker ended")
        return json.loads(line)

    def ask(self, text: str) -> dict:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self, stop_hosts, stop_host_in) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        stop_host_in(self.hosts.state_dir)
        stop_hosts(self.hosts)


def pss_tree(pid: int, session_pid: int) -> tuple:
    """(PSS in bytes, processes) of the host: the old one's single process, or the supervisor
    (the session process's parent) and all its children."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    root = pid
    tree = {root}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    total = 0
    for member in tree:
        try:
            with open(f"/proc/{member}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total, len(tree)


def host_root(side: "Side", session_pid: int) -> int:
    """The old design's host is the session's $PID; the new one's is its parent."""
    if side.name == "old":
        return session_pid
    with open(f"/proc/{session_pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--old", default=OLD_COMMIT, help="the commit of the old design")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.worker:
        return worker()
    if not os.path.exists("/usr/sbin/sshd"):
        print("bench_isolation: /usr/sbin/sshd is missing (apt-get install openssh-server)")
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    sys.path.insert(0, os.path.join(repo, "tests", "e2e"))
    from conftest import start_hosts, stop_host_in, stop_hosts
    root = tempfile.mkdtemp(prefix="pshell-bench-isolation-")
    os.chmod(root, 0o755)
    old_tree = os.path.join(root, "old")
    os.makedirs(old_tree)
    try:
        archive = subprocess.run(["git", "-C", repo, "archive", opts.old, "pshell"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", old_tree], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bench_isolation: cannot build the old design from {opts.old}: {exc}")
        shutil.rmtree(root, ignore_errors=True)
        return 1
    sides = []
    try:
        for name, tree in (("old", old_tree), ("new", repo)):
            side_root = os.path.join(root, name + "-hosts")
            os.makedirs(side_root)
            sides.append(Side(name, tree, side_root, start_hosts))
        run_all(sides, opts)
    finally:
        for side in sides:
            side.close(stop_hosts, stop_host_in)
        shutil.rmtree(root, ignore_errors=True)
    return 0


def row(name: str, value: float, unit: str, ratio: str = "", target: str = "") -> None:
    print(f"  {name:<50} {value:12.3f} {unit:<6} {ratio:<26} {target}", flush=True)


def run_all(sides: list, opts) -> None:
    old, new = sides
    pairs = 7 if opts.quick else 21
    print(f"New-PSSession, warm engine cache ({opts.old} = one host process; this tree = a "
          f"process per session), median of {pairs} pairs")
    times: dict = {"old": [], "new": []}
    ratios = []
    old.ask("new")
    new.ask("new")
    for i in range(pairs):
        pair = {}
        for side in ((old, new) if i % 2 else (new, old)):
            pair[side.name] = side.ask("new")["s"]
        times["old"].append(pair["old"])
        times["new"].append(pair["new"])
        ratios.append(pair["new"] / pair["old"])
    row("New-PSSession, old", statistics.median(times["old"]) * 1000, "ms")
    row("New-PSSession, new", statistics.median(times["new"]) * 1000, "ms",
        f"{statistics.median(ratios):.2f}x old (paired)", "target <= 1.10x")

    batches = 5 if opts.quick else 11
    per_batch = 100 if opts.quick else 200
    print(f"Invoke-Command -Session $s {{ 1 }}: median of {per_batch}, {batches} alternating "
          f"batches")
    times = {"old": [], "new": []}
    ratios = []
    for i in range(batches + 1):
        pair = {}
        for side in ((old, new) if i % 2 else (new, old)):
            pair[side.name] = side.ask(f"rt {per_batch}")["s"]
        if i == 0:
            continue                        # warm-up
        times["old"].append(pair["old"])
        times["new"].append(pair["new"])
        ratios.append(pair["new"] / pair["old"])
    row("round trip, old", statistics.median(times["old"]) * 1000, "ms")
    row("round trip, new", statistics.median(times["new"]) * 1000, "ms",
        f"{statistics.median(ratios):.2f}x old (paired)", "target <= 1.0x")

    counts = (1, 10, 100)
    print("idle sessions of one user: PSS of the host (supervisor + session processes), MB")
    figures: dict = {}
    for n in counts:
        for side in sides:
            answer = side.ask(f"idle {n}")
            time.sleep(1.0)             # let the new sessions' threads settle
            pid = host_root(side, int(answer["pid"]))
            pss, procs = pss_tree(pid, int(answer["pid"]))
            figures[(side.name, n)] = pss
            row(f"{n:>3} idle sessions (+1 for the round trip), {side.name}, {procs} proc.",
                pss / 1e6, "MB")
    for side in sides:
        extra = (figures[(side.name, counts[-1])] - figures[(side.name, counts[0])]) / (
            counts[-1] - counts[0])
        row(f"per extra idle session, {side.name}", extra / 1e6, "MB", "",
            "target <= 10 MB" if side.name == "new" else "")
    row("100 idle sessions, new / old", figures[("new", 100)] / figures[("old", 100)], "ratio")


if __name__ == "__main__":
    sys.exit(main())
