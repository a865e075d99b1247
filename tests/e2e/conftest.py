"""Real OpenSSH sshd processes on loopback addresses, and a HOME that points pshell at them.

``sshd_hosts`` starts one sshd per "computer" (server01 = 127.0.0.2, server02 = 127.0.0.3, ...),
all on one port, as the current user, with a generated host key each, a generated client key in
authorized_keys, and a test HOME holding ``.ssh/config``, ``known_hosts`` and the client key.
The remote side gets a clean HOME of its own (sshd ``SetEnv``) and ``PATH=/usr/bin:/bin``, so
it runs the system python3 with no pshell installed: what it needs arrives over the channel.

Extra names in the ssh config:
- ``stranger`` - a live sshd whose host key is NOT in known_hosts;
- ``deadhost`` - an address where nothing listens.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pytest

SSHD = "/usr/sbin/sshd"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N_HOSTS = 4


@dataclass
class SSHHosts:
    root: str
    home: str                 # the client's HOME (pshell runs with it)
    remote_home: str          # HOME of the sessions on the "remote computers"
    port: int
    names: List[str]
    addresses: Dict[str, str]
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(HOME=self.home, PYTHONPATH=REPO, NO_COLOR="1", TERM="dumb")
        env.pop("SSH_AUTH_SOCK", None)
        env.update(extra)
        return env

    def session_pids(self, name: str) -> List[int]:
        """The per-connection sshd children of ``name``'s listener."""
        listener = self.procs[name].pid
        out = subprocess.run(["pgrep", "-P", str(listener)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: str, kind: str = "ed25519") -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", path, "-C", "pshell-test"],
                   check=True)


def _sshd_config(root: str, name: str, addr: str, port: int, hostkey: str, remote_home: str,
                 extra: str = "") -> str:
    path = os.path.join(root, f"sshd_{name}.conf")
    with open(path, "w") as fh:
        fh.write(f"""\
ListenAddress {addr}:{port}
HostKey {hostkey}
PidFile {root}/sshd_{name}.pid
AuthorizedKeysFile {root}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
UseDNS no
PrintMotd no
PrintLastLog no
MaxSessions 100
MaxStartups 200:30:400
LogLevel VERBOSE
SetEnv HOME={remote_home} PATH=/usr/bin:/bin
Subsystem sftp internal-sftp
{extra}
""")
    return path


def _wait_listening(addr: str, port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((addr, port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"sshd on {addr}:{port} did not start")


def start_hosts(root: str, n_hosts: int = N_HOSTS, shared: bool = False,
                extra_names: bool = True) -> SSHHosts:
    """Generate keys and configs under ``root`` and start sshd: one per host, or with ``shared``
    one sshd listening on every address (cheap for the 100-host benchmark)."""
    os.makedirs("/run/sshd", exist_ok=True)
    os.chmod(root, 0o755)
    home = os.path.join(root, "home")
    remote_home = os.path.join(root, "remote_home")
    os.makedirs(os.path.join(home, ".ssh"), mode=0o700)
    os.makedirs(remote_home, mode=0o700)
    client_key = os.path.join(home, ".ssh", "id_ed25519")
    _keygen(client_key)
    shutil.copy(client_key + ".pub", os.path.join(root, "authorized_keys"))
    port = _free_port()
    names = [f"server{i:02d}" for i in range(1, n_hosts + 1)]
    addresses = {name: f"127.0.{(i + 2) // 250}.{(i + 2) % 250 or 250}"
                 for i, name in enumerate(names)}
    if extra_names:
        addresses["stranger"] = "127.0.1.60"
    hosts = SSHHosts(root, home, remote_home, port, names, addresses)
    known = []
    config = []
    shared_key = os.path.join(root, "hostkey_shared")
    if shared:
        _keygen(shared_key)
    for name, addr in addresses.items():
        hostkey = shared_key if shared and name != "stranger" else os.path.join(root, f"hostkey_{name}")
        if not os.path.exists(hostkey):
            _keygen(hostkey)
        with open(hostkey + ".pub") as fh:
            pub = " ".join(fh.read().split()[:2])
        if name != "stranger":
            known.append(f"[{name}]:{port},[{addr}]:{port} {pub}")
        config.append(f"Host {name}\n  HostName {addr}\n")
        if shared and name != "stranger":
            continue
        conf = _sshd_config(root, name, addr, port, hostkey, remote_home)
        log = os.path.join(root, f"sshd_{name}.log")
        hosts.procs[name] = subprocess.Popen([SSHD, "-D", "-f", conf, "-E", log])
        hosts.logs[name] = log
    if shared:   # sshd listens on at most 16 addresses: one sshd per group of 16 hosts
        for group in range(0, len(names), 16):
            members = names[group:group + 16]
            listen = "\n".join(f"ListenAddress {addresses[n]}:{port}" for n in members[1:])
            conf = _sshd_config(root, f"shared{group}", addresses[members[0]], port, shared_key,
                                remote_home, extra=listen)
            log = os.path.join(root, f"sshd_shared{group}.log")
            proc = subprocess.Popen([SSHD, "-D", "-f", conf, "-E", log])
            for name in members:
                hosts.procs[name] = proc
                hosts.logs[name] = log
    config.append("Host deadhost\n  HostName 127.0.0.250\n")
    config.append(f"Host *\n  Port {port}\n  User {os.environ.get('USER') or 'root'}\n"
                  f"  IdentityFile {client_key}\n  UserKnownHostsFile {home}/.ssh/known_hosts\n"
                  f"  ConnectTimeout 10\n")
    with open(os.path.join(home, ".ssh", "config"), "w") as fh:
        fh.write("".join(config))
    with open(os.path.join(home, ".ssh", "known_hosts"), "w") as fh:
        fh.write("\n".join(known) + "\n")
    for name in hosts.procs:
        _wait_listening(addresses[name], port)
    return hosts


def stop_hosts(hosts: SSHHosts) -> None:
    procs = {id(p): p for p in hosts.procs.values()}.values()
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def sshd_hosts(tmp_path_factory) -> SSHHosts:
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD} is missing (apt-get install openssh-server; `make test` does it)")
    try:
        import asyncssh  # noqa: F401
    except ImportError:
        pytest.skip("asyncssh is not installed (pip install asyncssh)")
    hosts = start_hosts(str(tmp_path_factory.mktemp("sshd")))
    yield hosts
    stop_hosts(hosts)


@pytest.fixture
def pshell(sshd_hosts, tmp_path):
    """Run pshell as a user would, with the test HOME: ``pshell(args, input=..)``."""

    def run(*args: str, input: Optional[str] = None, timeout: float = 120,
            cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None
            ) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pshell", *args], input=input,
                              capture_output=True, text=True, timeout=timeout,
                              cwd=cwd or str(tmp_path), env=sshd_hosts.env(**(env or {})))

    return run


def cli_available() -> bool:
    return os.path.exists(os.path.join(REPO, "pshell", "cli.py"))


needs_cli = pytest.mark.skipif(not cli_available(), reason="pshell/cli.py has not landed yet")
