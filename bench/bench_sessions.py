"""Sessions that survive (issue 5), side by side in one run, reported as ratios.

    python3 bench/bench_sessions.py [--quick]

Starts its own OpenSSH sshd on loopback (like the e2e tests), with a clean remote HOME.

1. Reconnecting to a disconnected session (``Connect-PSSession -Session $s``, which attaches to
   the runspace kept by the remote user's host process) against opening a fresh session with a
   warm engine cache (``New-PSSession``), in pairs of runs.  Target: <= 1.0x (median ratio).
2. The cost of spooling job output to disk: a job in a remote session writes N objects, received
   with ``Receive-Job -Wait``, with the host spooling (the default) and with
   ``$env:PSHELL_NO_SPOOL = 1`` in the session (jobs started then are not spooled), in pairs of
   runs one after the other.  Target: <= 10% slower (median ratio <= 1.10).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

from _common import row  # (bench/ is on the path: these run as scripts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller jobs")
    opts = parser.parse_args()
    if not os.path.exists("/usr/sbin/sshd"):
        print("bench_sessions: /usr/sbin/sshd is missing (apt-get install openssh-server)")
        return 0
    from conftest import start_hosts, stop_hosts, stop_host_in
    root = tempfile.mkdtemp(prefix="pshell-bench-sessions-")
    hosts = start_hosts(root, 2, extra_names=False)
    os.environ["HOME"] = hosts.home
    os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        run_all(hosts, opts, root, stop_host_in)
    finally:
        stop_hosts(hosts)
        time.sleep(0.5)     # the last connections' sshd children log as they exit
        shutil.rmtree(root, ignore_errors=True)
    return 0


def run_all(hosts, opts, root, stop_host_in) -> None:
    from pshell.engine.runtime import Runspace
    repeat = 5 if opts.quick else 15
    rs = Runspace(location=root)

    # ---- 1. reconnect vs a fresh session --------------------------------------------------
    print("reconnect to a disconnected session vs a fresh New-PSSession, warm cache (medians)")
    rs.invoke("New-PSSession server01 | Remove-PSSession")          # warm the engine cache
    rs.invoke("$s = New-PSSession server01 -Name bench-keep; Invoke-Command -Session $s { $x = 1 }")

    def fresh():
        start = time.perf_counter()
        rs.invoke("$f = New-PSSession server01")
        elapsed = time.perf_counter() - start
        rs.invoke("Remove-PSSession $f")
        time.sleep(0.2)
        return elapsed

    def reconnect():
        rs.invoke("Disconnect-PSSession $s | Out-Null")
        time.sleep(0.2)             # let the old channel's teardown finish (as fresh() does)
        start = time.perf_counter()
        rs.invoke("Connect-PSSession -Session $s | Out-Null")
        return time.perf_counter() - start

    fresh()
    reconnect()
    fresh_times, reconnect_times, ratios = [], [], []
    for i in range(repeat * 3):     # in pairs, alternating which goes first: a drift in load
        if i % 2:                   # hits both of a pair alike
            f = fresh()
            r = reconnect()
        else:
            r = reconnect()
            f = fresh()
        fresh_times.append(f)
        reconnect_times.append(r)
        ratios.append(r / f)
    fresh_t = statistics.median(fresh_times)
    reconnect_t = statistics.median(reconnect_times)
    pair_ratio = statistics.median(ratios)
    by_name_t = statistics.median(_by_name(rs) for _ in range(repeat))
    row("Connect-PSSession -Session $s", reconnect_t * 1000, "ms", fresh_t * 1000,
        "New-PSSession")
    row("  median of paired runs: reconnect / fresh", pair_ratio, "ratio", 0, "",
        "target <= 1.0")
    row("Connect-PSSession -ComputerName -Name", by_name_t * 1000, "ms", fresh_t * 1000,
        "New-PSSession")
    row("New-PSSession (warm cache)", fresh_t * 1000, "ms")
    rs.invoke("Remove-PSSession $s")

    # ---- 2. spooling cost --------------------------------------------------------------------
    n = 100_000 if opts.quick else 300_000
    print(f"job output through a remote session: {n} objects, Start-Job | Receive-Job -Wait "
          f"(median of paired runs)")
    scripts = {
        # counted in the remote session: the job and its spool are all that runs
        "host": f"Invoke-Command -Session $p {{ Start-Job {{ 1..{n} }} | Receive-Job -Wait "
                f"-AutoRemoveJob | Measure-Object | ForEach-Object Count }}",
        # what a user sees: the job's output received here, over SSH
        "client": f"Invoke-Command -Session $p {{ Start-Job {{ 1..{n} }} | Receive-Job -Wait "
                  f"-AutoRemoveJob }} | Measure-Object | ForEach-Object Count",
    }
    # One session, one host: $env:PSHELL_NO_SPOOL switches spooling for the next job, so a run
    # with it and a run without follow each other (in alternating order) and each pair is
    # compared - a drift in the load of a shared machine hits both runs of a pair alike.
    rs.invoke("$p = New-PSSession server01")
    switch = {True: "$env:PSHELL_NO_SPOOL = $null",
              False: "$env:PSHELL_NO_SPOOL = '1'"}
    pairs = 7 if opts.quick else 15
    for where, text in (("host", "counted in the session"), ("client", "received by the client")):
        script = scripts[where]
        times: dict = {True: [], False: []}
        ratios = []
        for i in range(pairs + 1):
            pair = {}
            for spooled in ((True, False) if i % 2 else (False, True)):
                rs.invoke(f"Invoke-Command -Session $p {{ {switch[spooled]} }}")
                start = time.perf_counter()
                counted = rs.invoke(script)
                pair[spooled] = time.perf_counter() - start
                assert counted == [n], counted
            if i == 0:
                continue                    # warm-up
            times[True].append(pair[True])
            times[False].append(pair[False])
            ratios.append(pair[True] / pair[False])
        row(f"{text}, spooled: objects/s", n / statistics.median(times[True]), "obj/s")
        row(f"{text}, not spooled: objects/s", n / statistics.median(times[False]), "obj/s")
        row(f"{text}: spooled time / not spooled", statistics.median(ratios), "ratio", 0, "",
            "target <= 1.10")
    rs.invoke(f"Invoke-Command -Session $p {{ {switch[True]} }}; Remove-PSSession $p")
    stop_host_in(os.path.join(hosts.remote_home, ".local", "state", "pshell"))


def _by_name(rs) -> float:
    """Another shell's way: find the session by name on the computer (this shell forgets its
    own object first)."""
    from pshell.client.session import sessions_of
    rs.invoke("Disconnect-PSSession $s | Out-Null")
    time.sleep(0.2)
    table = sessions_of(rs)
    for session in [t for t in table if t.Name == "bench-keep"]:
        table.remove(session)
    start = time.perf_counter()
    rs.invoke("$s = Connect-PSSession -ComputerName server01 -Name bench-keep")
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
