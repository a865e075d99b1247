"""Remoting benchmarks (issue 4), side by side in one run, reported as ratios to their baselines.

    python3 bench/bench_remote.py [--quick] [--hosts 100] [--size-mb 1024]

Starts its own OpenSSH sshd on loopback addresses (like the e2e tests), with a clean remote HOME.

1. Round trip of ``Invoke-Command -Session $s { 1 }`` against asyncssh's ``conn.run('true')`` on
   an open connection and an SFTP ``realpath`` (the floor).  Target <= 1 ms.
2. ``New-PSSession`` (bootstrap included), cold and warm cache, against ``ssh host true``.
   Target: warm <= 1.0x.
3. ``Invoke-Command -ComputerName`` over 20 and 100 hosts against a plain asyncssh fan-out script
   and ``xargs -P ssh``.  Target <= 1.2x the asyncssh script.
4. Remote output: lines/s and bytes/s of a remote ``Get-Content`` of a big file, and of a remote
   native ``cat`` redirected to a local file, against ``ssh host cat file``.  Targets >= 1 M
   lines/s and >= 0.8x ssh's bytes/s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _common import REPO, median_time, row  # (bench/ is on the path: these run as scripts)


def ssh_args(hosts, name):
    return ["ssh", "-F", os.path.join(hosts.home, ".ssh", "config"), "-o", "BatchMode=yes", name]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--size-mb", type=int, default=1024)
    opts = parser.parse_args()
    if not os.path.exists("/usr/sbin/sshd"):
        print("bench_remote: /usr/sbin/sshd is missing (apt-get install openssh-server)")
        return 0
    if opts.quick:
        opts.hosts = min(opts.hosts, 20)
        opts.size_mb = min(opts.size_mb, 64)
    from conftest import start_hosts, stop_hosts
    root = tempfile.mkdtemp(prefix="pshell-bench-")
    hosts = start_hosts(root, max(opts.hosts, 20), shared=True, extra_names=False)
    os.environ["HOME"] = hosts.home
    os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        run_all(hosts, opts, root)
    finally:
        stop_hosts(hosts)
        time.sleep(0.5)     # the last connections' sshd children log as they exit
        shutil.rmtree(root, ignore_errors=True)
    return 0


def run_all(hosts, opts, root) -> None:
    import asyncssh
    from pshell.engine.runtime import Runspace
    from pshell.transport.ssh import run_async
    repeat = 20 if opts.quick else 50
    rs = Runspace(location=root)

    # ---- 1. round trip ------------------------------------------------------------------
    print("round trip on an open connection (median)")
    rs.invoke("$s = New-PSSession -ComputerName server01")
    rs.invoke("Invoke-Command -Session $s { 1 }")
    ours = median_time(lambda: rs.invoke("Invoke-Command -Session $s { 1 }"), repeat * 10)

    # the floor on a connection like pshell's own: the same cipher (see preferred_ciphers)
    from pshell.transport.ssh import preferred_ciphers
    ciphers = preferred_ciphers()

    async def open_conn():
        if ciphers:
            return await asyncssh.connect("server01", encryption_algs=ciphers)
        return await asyncssh.connect("server01")
    conn = run_async(open_conn())

    async def run_true():
        await conn.run("true")
    run_async(run_true())
    run_true_t = median_time(lambda: run_async(run_true()), repeat)

    async def sftp_client():
        return await conn.start_sftp_client()
    sftp = run_async(sftp_client())

    async def realpath():
        await sftp.realpath(".")
    sftp_t = median_time(lambda: run_async(realpath()), repeat * 10)
    row("Invoke-Command -Session $s { 1 }", ours * 1000, "ms", sftp_t * 1000, "sftp realpath",
        "target <= 1 ms")
    row("asyncssh conn.run('true')", run_true_t * 1000, "ms", sftp_t * 1000, "sftp realpath")
    row(f"sftp realpath (floor, {(ciphers or ['default'])[0]})", sftp_t * 1000, "ms")
    print(f"  -> Invoke-Command is {run_true_t / ours:.1f}x faster than conn.run('true')")
    conn.close()

    async def open_default():
        return await asyncssh.connect("server01")
    conn = run_async(open_default())
    sftp = run_async(sftp_client())
    run_async(realpath())
    sftp_default = median_time(lambda: run_async(realpath()), repeat * 10)
    row("sftp realpath (asyncssh's default cipher)", sftp_default * 1000, "ms")
    conn.close()

    # ---- 2. New-PSSession ------------------------------------------------------------------
    print("New-PSSession including bootstrap (median)")
    ssh_true = median_time(lambda: subprocess.run(ssh_args(hosts, "server02") + ["true"],
                                                  check=True), 5 if opts.quick else 10)
    cache = os.path.join(hosts.remote_home, ".cache", "pshell")
    from pshell.transport import ssh as ssh_transport

    def cold():
        # nothing on the remote computer but python3: the engine is sent and unpacked, and the
        # client has no idea where a host process listens
        shutil.rmtree(cache, ignore_errors=True)
        ssh_transport.forget_socket(ssh_transport.cache_key(ssh_transport.SSHTarget("server02")))
        rs.invoke("New-PSSession server02 | Remove-PSSession")

    def warm_exec():
        os.environ["PSHELL_SSH_DIRECT"] = "0"
        try:
            rs.invoke("New-PSSession server02 | Remove-PSSession")
        finally:
            os.environ.pop("PSHELL_SSH_DIRECT", None)

    def warm():
        rs.invoke("New-PSSession server02 | Remove-PSSession")
    cold_t = median_time(cold, 5)
    warm_exec()
    exec_t = median_time(warm_exec, 5 if opts.quick else 10)
    warm()
    warm_t = median_time(warm, 5 if opts.quick else 10)
    row("New-PSSession, cold (engine sent)", cold_t * 1000, "ms", ssh_true * 1000, "ssh true")
    row("New-PSSession, warm (cached engine started)", exec_t * 1000, "ms", ssh_true * 1000,
        "ssh true", "target <= 1.0x")
    row("New-PSSession, warm (straight to the host)", warm_t * 1000, "ms", ssh_true * 1000,
        "ssh true", "target <= 1.0x")
    row("ssh host true", ssh_true * 1000, "ms")

    # ---- 3. fan-out ------------------------------------------------------------------------
    for count in sorted({20, opts.hosts}):
        names = hosts.names[:count]
        print(f"Invoke-Command -ComputerName over {count} hosts (medians; fresh processes "
              f"alternating with the script)")
        rs.set_variable("names", names)
        ours = median_time(lambda: rs.invoke("Invoke-Command -ComputerName $names { 1 } "
                                             "-ThrottleLimit 200"), 3)
        script = (
            "import asyncio, asyncssh, sys\n"
            "async def one(h):\n"
            "    async with asyncssh.connect(h) as c:\n"
            "        return (await c.run('echo 1')).stdout\n"
            "async def main():\n"
            "    await asyncio.gather(*(one(h) for h in sys.argv[1:]))\n"
            "asyncio.run(main())\n")
        fan_argv = [sys.executable, "-c", script, *names]
        cli_argv = [sys.executable, "-m", "pshell", "-c", "Invoke-Command -ComputerName "
                    + ",".join(names) + " { 1 } -ThrottleLimit 200 | Out-Null"]
        cli_env = dict(os.environ, PYTHONPATH=REPO)
        subprocess.run(cli_argv, check=True, env=cli_env)       # warm the page cache
        # the two fresh processes alternate, so that a drift in load hits both alike
        fans, clis = [], []
        for _ in range(5 if count <= 20 else 3):
            fans.append(median_time(
                lambda argv=fan_argv: subprocess.run(argv, check=True), 1))
            clis.append(median_time(
                lambda argv=cli_argv, env=cli_env: subprocess.run(argv, check=True, env=env), 1))
        fan = statistics.median(fans)
        ours_cli = statistics.median(clis)
        xargs_cmd = (f"printf '%s\\n' {' '.join(names)} | xargs -P {count} -I{{}} "
                     f"ssh -F {hosts.home}/.ssh/config -o BatchMode=yes {{}} echo 1 > /dev/null")
        xargs = median_time(
            lambda cmd=xargs_cmd: subprocess.run(cmd, shell=True, check=True), 3)
        row(f"pshell -c Invoke-Command x{count} (fresh process)", ours_cli, "s", fan,
            "asyncssh script", "target <= 1.2x")
        row(f"Invoke-Command x{count} (in-process)", ours, "s", fan, "asyncssh script")
        row(f"asyncssh fan-out script x{count}", fan, "s")
        row(f"xargs -P ssh x{count}", xargs, "s", fan, "asyncssh script")

    # ---- 4. remote output ------------------------------------------------------------------
    size = opts.size_mb * 1024 * 1024
    print(f"remote output of a {opts.size_mb} MiB file")
    big = os.path.join(root, "big.log")
    line = b"2024-01-01T00:00:00 host service[1234]: a log line of typical length, more or less\n"
    with open(big, "wb") as fh:
        chunk = line * (1 << 14)
        written = 0
        while written < size:
            fh.write(chunk)
            written += len(chunk)
    size = os.path.getsize(big)
    n_lines = size // len(line)
    rs.set_variable("big", big)
    out_file = os.path.join(root, "copy.out")
    start = time.perf_counter()
    counted = 0
    for _ in rs.invoke_iter("Invoke-Command -Session $s { Get-Content $using:big }"):
        counted += 1
    gc = time.perf_counter() - start
    start = time.perf_counter()
    rs.invoke(f"Invoke-Command -Session $s {{ cat $using:big }} > '{out_file}'")
    cat_t = time.perf_counter() - start
    start = time.perf_counter()
    with open(out_file + ".ssh", "wb") as fh:
        subprocess.run(ssh_args(hosts, "server01") + ["cat", big], stdout=fh, check=True)
    ssh_t = time.perf_counter() - start
    row("remote Get-Content: lines/s", counted / gc, "lines/s", 0, "", "target >= 1M lines/s")
    row("remote Get-Content: MB/s", size / gc / 1e6, "MB/s", size / ssh_t / 1e6, "ssh cat")
    row("remote cat > local file: MB/s", size / cat_t / 1e6, "MB/s", size / ssh_t / 1e6,
        "ssh cat", "target >= 0.8x")
    row("ssh host cat > file: MB/s", size / ssh_t / 1e6, "MB/s")
    if counted != n_lines:
        print(f"  (warning: {counted} lines received, {n_lines} expected)")
    rs.invoke("Get-PSSession | Remove-PSSession")


if __name__ == "__main__":
    sys.exit(main())
