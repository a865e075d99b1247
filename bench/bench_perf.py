"""Issue 15: pshell against the fastest peer for the same work, each pair run side by side.

    python3 bench/bench_perf.py [--quick] [--only strings,where,sort,redirect,setcontent,remote]

  strings     `$s += "$i,"` 100,000 times vs Python; and n = 100k/200k/400k for linear growth
              target <= 5x Python, time per item at 400k <= 2x that at 100k
  where       `1..1e6 | Where-Object {$_ % 3 -eq 0} | Measure-Object -Sum` vs Python    <= 15x
  sort        `Sort-Object` of 100,000 numbers vs `sorted`                               <= 5x
  redirect    `pshell -c 'Get-Content big > out'` vs `cat big > out` (1 M lines, 268 MB) <= 1.5x
  setcontent  peak RSS of `Get-Content big | Set-Content out` vs `Get-Content big > out` <= 50 MB
  remote      `Invoke-Command -Session $s { Get-Content $using:big } > file` vs
              `ssh host cat big > file` (starts its own sshd, like the e2e tests)        <= 1.5x
  fanout      `pshell -c 'Invoke-Command -ComputerName <20|100 hosts> { 1 }'` from a fresh
              process, repeated, the connection broker up, vs `ssh` to each (parallel) with
              ControlMaster up; also without the broker, and `pshell -c 1`               <= 1.0x
              and the first fan-out (no broker, no host running) vs parallel-ssh (<= 1.0x)
              and a plain asyncssh script (<= 1.2x)
              --baseline DIR: DIR's pshell too (e.g. `git worktree add /tmp/old <commit>`), on
              hosts of its own, in the same rounds
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from _common import REPO, row  # (bench/ is on the path: these run as scripts)

CASES = ("strings", "where", "sort", "redirect", "setcontent", "remote", "fanout")


def best(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def side_by_side(ours, theirs, repeat: int):
    """Best times of two callables, alternating, so a drift in load hits both alike."""
    a, b = [], []
    for _ in range(repeat):
        a.append(best(ours, 1))
        b.append(best(theirs, 1))
    return min(a), min(b)


# ---------------------------------------------------------------------------- engine

def py_strings(n: int) -> str:
    s = ""
    for i in range(1, n + 1):
        s += f"{i},"
    return s


def bench_strings(rs, opts) -> None:
    print("string building: $s += \"$i,\"")
    script = '$s = ""; foreach ($i in 1..{n}) {{ $s += "$i," }}; $s.Length'
    n = 100_000
    assert rs.invoke(script.format(n=n)) == [len(py_strings(n))]
    ours, py = side_by_side(lambda: rs.invoke(script.format(n=n)), lambda: py_strings(n), opts.repeat)
    row(f"$s += \"$i,\" x{n:,}", ours * 1000, "ms", py * 1000, "python", "target <= 5x")
    per = {}
    for count in (100_000, 200_000, 400_000):
        per[count] = best(lambda c=count: rs.invoke(script.format(n=c)), max(2, opts.repeat // 2)) / count
        row(f"  time per item, n = {count:,}", per[count] * 1e6, "us")
    growth = per[400_000] / per[100_000]
    print(f"  per-item time at 400k / at 100k: {growth:.2f} (linear: about 1; target <= 2) "
          f"{'ok' if growth <= 2 else 'NOT LINEAR'}")


def bench_where(rs, opts) -> None:
    print("Where-Object over 1..1e6")
    script = "1..1e6 | Where-Object {$_ % 3 -eq 0} | Measure-Object -Sum"
    expected = sum(x for x in range(1, 1_000_001) if x % 3 == 0)
    assert rs.invoke(script)[0].Sum == expected
    ours, py = side_by_side(lambda: rs.invoke(script),
                            lambda: sum(x for x in range(1, 1_000_001) if x % 3 == 0), opts.repeat)
    row("Where-Object {$_ % 3 -eq 0} | Measure -Sum", ours * 1000, "ms", py * 1000, "python",
        "target <= 15x")


def bench_sort(rs, opts) -> None:
    print("Sort-Object of 100,000 numbers")
    numbers = [random.randint(0, 10**9) for _ in range(100_000)]
    rs.set_variable("numbers", numbers)
    assert rs.invoke("$numbers | Sort-Object") == sorted(numbers)
    ours, py = side_by_side(lambda: rs.invoke("$sorted = $numbers | Sort-Object"),
                            lambda: sorted(numbers), opts.repeat)
    row("$numbers | Sort-Object", ours * 1000, "ms", py * 1000, "sorted()", "target <= 5x")


# ---------------------------------------------------------------------------- files

def make_big(path: str, lines: int) -> None:
    body = b"x" * 250
    with open(path, "wb") as handle:
        batch = []
        for i in range(lines):
            batch.append(b"%09d %s %06d\n" % (i, body, i % 999983))
            if len(batch) == 10000:
                handle.write(b"".join(batch))
                batch = []
        handle.write(b"".join(batch))


def child_run(argv, env=None, cwd=None) -> float:
    """Run a process; its wall time."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   cwd=cwd)
    return time.perf_counter() - start


#: the installed `pshell` command (what `make run` runs and a user types), next to the interpreter;
#: `python -m pshell` only where it is missing (runpy's own imports are ~1.5 ms a start the
#: installed command does not pay). PYTHONPATH in each run's environment still picks the tree.
_COMMAND = os.path.join(os.path.dirname(sys.executable), "pshell")
_PSHELL = [_COMMAND] if os.access(_COMMAND, os.X_OK) else [sys.executable, "-m", "pshell"]


def pshell_argv(command: str):
    return [*_PSHELL, "-NoProfile", "-c", command]


def bench_redirect(root, big, opts) -> None:
    print(f"Get-Content big > out ({os.path.getsize(big) / 1e6:.0f} MB), fresh processes")
    env = dict(os.environ, PYTHONPATH=REPO, NO_COLOR="1")
    out = os.path.join(root, "out.txt")
    child_run(pshell_argv(f"Get-Content '{big}' > '{out}'"), env)
    assert os.path.getsize(out) == os.path.getsize(big)

    def fresh(argv, env=None) -> float:
        """Each run writes a new file (truncating a big one costs as much as writing it), with
        no dirty pages left from the run before (their writeback would slow whichever comes next)."""
        if os.path.exists(out):
            os.unlink(out)
        os.sync()
        return child_run(argv, env)
    pairs = [(fresh(pshell_argv(f"Get-Content '{big}' > '{out}'"), env),
              fresh(["sh", "-c", f"cat '{big}' > '{out}'"])) for _ in range(2 * opts.repeat)]
    ours, cat = min(p[0] for p in pairs), min(p[1] for p in pairs)
    paired = sorted(p[0] / p[1] for p in pairs)[len(pairs) // 2]
    start = best(lambda: child_run(pshell_argv("1"), env), 3)
    from pshell.engine.runtime import Runspace
    rs = Runspace(location=root)

    def in_shell() -> float:
        os.unlink(out)              # (outside the time, as for the fresh runs)
        os.sync()
        begin = time.perf_counter()
        rs.invoke(f"Get-Content '{big}' > '{out}'")
        return time.perf_counter() - begin
    inside = min(in_shell() for _ in range(opts.repeat))
    row("pshell -c 'Get-Content big > out' (best of each)", ours, "s", cat, "cat > out", "target <= 1.5x")
    print(f"  {'  median of the paired ratios':<52} {paired:12.2f}x   (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: the writer thread needs a free one)")
    row("  of which pshell -c 1 (start-up)", start, "s")
    row("  Get-Content big > out in a running pshell", inside, "s", cat, "cat > out")


def bench_setcontent(root, big, opts) -> None:
    print("peak RSS of writers (fresh processes)")
    env = dict(os.environ, PYTHONPATH=REPO, NO_COLOR="1")
    out = os.path.join(root, "set.txt")
    # the child's peak RSS: RUSAGE_CHILDREN keeps the largest, so measure in a fresh shell each
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    cases = (("Get-Content big > out", f"Get-Content '{big}' > '{out}'"),
             ("Get-Content big | Set-Content out", f"Get-Content '{big}' | Set-Content '{out}'"),
             ("Get-Content big | Out-File out", f"Get-Content '{big}' | Out-File '{out}'"),
             ("pshell -c 1", "1"))
    for label, command in cases:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code] + pshell_argv(command), env=env,
                              check=True, capture_output=True, text=True)
        wall = time.perf_counter() - start
        rss = int(done.stdout.strip().splitlines()[-1]) / 1024
        row(f"{label}: peak RSS", rss, "MB", 0, "", "target < 50 MB" if "Set" in label else "")
        row(f"{label}: time", wall, "s")


# ---------------------------------------------------------------------------- remote

def bench_remote(root, big, opts) -> None:
    if not os.path.exists("/usr/sbin/sshd"):
        print("remote: /usr/sbin/sshd is missing")
        return
    sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
    from conftest import start_hosts, stop_hosts
    os.makedirs(os.path.join(root, "hosts"))
    hosts = start_hosts(os.path.join(root, "hosts"), 1, shared=True, extra_names=False)
    home = os.environ.get("HOME")
    os.environ["HOME"] = hosts.home
    os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        from pshell.engine.runtime import Runspace
        rs = Runspace(location=root)
        rs.set_variable("big", big)
        rs.invoke("$s = New-PSSession server01")
        out = os.path.join(root, "remote.out")
        ssh = ["ssh", "-F", os.path.join(hosts.home, ".ssh", "config"), "-o", "BatchMode=yes",
               "server01", "cat", big]

        def ours():
            rs.invoke(f"Invoke-Command -Session $s {{ Get-Content $using:big }} > '{out}'")

        def theirs():
            with open(out + ".ssh", "wb") as handle:
                subprocess.run(ssh, stdout=handle, check=True)
        print(f"remote Get-Content > local file ({os.path.getsize(big) / 1e6:.0f} MB)")
        o, t = side_by_side(ours, theirs, opts.repeat)
        same = os.path.getsize(out) == os.path.getsize(big)
        row("Invoke-Command -Session $s { Get-Content $using:big } > file", o, "s", t,
            "ssh host cat > file", "target <= 1.5x" + ("" if same else "  (SIZE DIFFERS)"))
        rs.invoke("Get-PSSession | Remove-PSSession")
    finally:
        stop_hosts(hosts)
        if home is not None:
            os.environ["HOME"] = home


#: seconds of quiet before each measured fan-out (more than the hosts' burst gap of 1 s)
SETTLE = 1.2


def bench_fanout(root, opts) -> None:
    if not os.path.exists("/usr/sbin/sshd"):
        print("fanout: /usr/sbin/sshd is missing")
        return
    import glob
    import signal
    import statistics
    sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
    from conftest import start_hosts, stop_hosts
    counts = (20,) if opts.quick else (20, 100)
    os.makedirs(os.path.join(root, "fan"))
    hosts = start_hosts(os.path.join(root, "fan"), max(counts), shared=True, extra_names=False)
    runtime = tempfile.mkdtemp(prefix="pb-", dir="/tmp")
    env = hosts.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="120", XDG_RUNTIME_DIR=runtime)
    direct = dict(env, PSHELL_BROKER="0")
    old = None              # --baseline: another checkout, on hosts of its own (its own host process)
    if opts.baseline:
        os.makedirs(os.path.join(root, "fan-old"))
        old = start_hosts(os.path.join(root, "fan-old"), max(counts), shared=True, extra_names=False)
        old_env = old.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="120", XDG_RUNTIME_DIR=runtime,
                          PYTHONPATH=opts.baseline)
    config = os.path.join(hosts.home, ".ssh", "config")
    control = os.path.join(root, "cm-%C")
    try:
        for count in counts:
            names = hosts.names[:count]
            command = ("Invoke-Command -ComputerName " + ",".join(names) +
                       " { 1 } -ThrottleLimit 200 | Out-Null")
            ssh = " ".join(f"ssh -F {config} -o BatchMode=yes -o ControlMaster=auto "
                           f"-o ControlPath={control} -o ControlPersist=120 {n} true &"
                           for n in names) + " wait"
            print(f"fan-out over {count} hosts from a fresh process (medians)")
            for _ in range(2):          # masters and the broker up, the page cache warm
                subprocess.run(ssh, shell=True, env=env, check=True)
                child_run(pshell_argv(command), env)
                if old is not None:
                    child_run(pshell_argv(command), old_env, opts.baseline)
            ours, theirs, plain, before = [], [], [], []

            def settled(argv, run_env, *extra):
                # each measured run starts on a settled machine, as a user's next command would:
                # not inside the aftermath of the run before it (ssh's masters are idle, pshell's
                # hosts fork the spares of the last burst a quarter of a second after it)
                time.sleep(SETTLE)
                return child_run(argv, run_env, *extra)
            for _ in range(opts.repeat + 2):
                ours.append(settled(pshell_argv(command), env))
                theirs.append(settled(["sh", "-c", ssh], env))
                plain.append(settled(pshell_argv(command), direct))
                if old is not None:
                    before.append(settled(pshell_argv(command), old_env, opts.baseline))
            start = best(lambda: child_run(pshell_argv("1"), env), 3)
            o, t, p = (statistics.median(x) for x in (ours, theirs, plain))
            row(f"pshell -c Invoke-Command x{count}, broker up", o, "s", t,
                "ssh, ControlMaster up", "target <= 1.0x")
            row(f"pshell -c Invoke-Command x{count}, no broker", p, "s", t, "ssh, ControlMaster up")
            if old is not None:
                b = statistics.median(before)
                row("  the baseline's, broker up", b, "s", t, "ssh, ControlMaster up")
                row("  this pshell against the baseline", o, "s", b, "baseline")
            row(f"ssh x{count} in parallel, ControlMaster up", t, "s")
            row("pshell -c 1 (start-up)", start, "s")
            bench_first_fanout(hosts, names, config, env, opts)
    finally:
        subprocess.run(" ".join(f"ssh -F {config} -o ControlPath={control} -O exit {n} 2>/dev/null;"
                                for n in hosts.names[:max(counts)]), shell=True, env=env)
        for pid_file in glob.glob(os.path.join(runtime, "pshell", "*", "pid")):
            try:
                with open(pid_file) as handle:
                    os.kill(int(handle.read()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        stop_hosts(hosts)
        if old is not None:
            stop_hosts(old)
        shutil.rmtree(runtime, ignore_errors=True)


ASYNCSSH_FANOUT = """
import asyncio, sys, asyncssh
async def one(name):
    async with asyncssh.connect(name, config=[sys.argv[1]]) as conn:
        return (await conn.run("true")).exit_status
async def main():
    codes = await asyncio.gather(*(one(n) for n in sys.argv[2:]))
    sys.exit(max(codes))
asyncio.run(main())
"""


def bench_first_fanout(hosts, names, config, env, opts) -> None:
    """The first fan-out: no broker, no pshell host running on the far side (stopped before each
    run; its engine stays cached there, as an installed program would), vs parallel-ssh and a
    plain asyncssh script, both making fresh connections."""
    import statistics
    from conftest import stop_host_in
    count = len(names)
    first = dict(env, PSHELL_BROKER="0")
    command = ("Invoke-Command -ComputerName " + ",".join(names) + " { 1 } -ThrottleLimit 200"
               " | Out-Null")
    pssh = shutil.which("parallel-ssh") or shutil.which("pssh")
    script = os.path.join(hosts.root, "asyncssh_fanout.py")
    with open(script, "w") as handle:
        handle.write(ASYNCSSH_FANOUT)

    def ours() -> float:
        stop_host_in(hosts.state_dir)
        time.sleep(SETTLE)
        took = child_run(pshell_argv(command), first)
        # the host it started forks its spares after the burst: stopped, so that the peers
        # measured next run on a quiet machine too (they ran inside that refill before)
        stop_host_in(hosts.state_dir)
        return took

    def settled(argv) -> float:
        time.sleep(SETTLE)
        return child_run(argv, env)
    child_run(pshell_argv(command), first)          # the engine cached on the far side
    mine, theirs, plain = [], [], []
    for _ in range(opts.repeat):
        mine.append(ours())
        plain.append(settled([sys.executable, "-W", "ignore", script, config] + names))
        if pssh:
            theirs.append(settled([pssh, "-p", str(count), "-t", "60", "-H", " ".join(names),
                                   "-x", f"-F {config} -o BatchMode=yes", "true"]))
    print(f"first fan-out over {count} hosts (nothing running on either side; medians)")
    o, a = statistics.median(mine), statistics.median(plain)
    if pssh:
        row(f"pshell -c Invoke-Command x{count}, first", o, "s", statistics.median(theirs),
            "parallel-ssh", "target <= 1.0x")
    else:
        print("  parallel-ssh is not installed (Debian: apt-get install pssh)")
    row(f"pshell -c Invoke-Command x{count}, first", o, "s", a, "asyncssh script",
        "target <= 1.2x")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(CASES))
    parser.add_argument("--baseline", default="", help="fanout: also run this checkout's pshell "
                        "(a directory holding its pshell package), side by side")
    opts = parser.parse_args()
    opts.baseline = os.path.abspath(opts.baseline) if opts.baseline else ""
    wanted = [c for c in opts.only.split(",") if c] or list(CASES)
    unknown = [c for c in wanted if c not in CASES]
    if unknown:
        print(f"bench_perf: no case {', '.join(unknown)} (there are {', '.join(CASES)})")
        return 0        # run.py passes --only to every suite: not ours
    opts.repeat = 3 if opts.quick else 5
    # fresh processes load bytecode, as an installed pshell does (PYTHONDONTWRITEBYTECODE, set
    # in some environments, would make each of them compile every module it imports)
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(REPO, "pshell")],
                   check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, REPO)
    from pshell.engine.runtime import Runspace
    rs = Runspace()
    for name, func in (("strings", bench_strings), ("where", bench_where), ("sort", bench_sort)):
        if name in wanted:
            func(rs, opts)
    file_cases = [c for c in ("redirect", "setcontent", "remote") if c in wanted]
    if not file_cases and "fanout" not in wanted:
        return 0
    root = tempfile.mkdtemp(prefix="pshell-bench-perf-")
    try:
        if "fanout" in wanted:
            bench_fanout(root, opts)
        if not file_cases:
            return 0
        big = os.path.join(root, "big.txt")
        make_big(big, 200_000 if opts.quick else 1_000_000)
        subprocess.run(["cat", big], stdout=subprocess.DEVNULL, check=True)     # page cache
        for name in file_cases:
            {"redirect": bench_redirect, "setcontent": bench_setcontent,
             "remote": bench_remote}[name](root, big, opts)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
