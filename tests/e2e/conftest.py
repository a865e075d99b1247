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
from contextlib import contextmanager
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

    @property
    def state_dir(self) -> str:
        """The remote user's pshell state directory (sessions, spools, the host's socket)."""
        return os.path.join(self.remote_home, ".local", "state", "pshell")

    def host_pid(self) -> Optional[int]:
        """The pid of the remote user's pshell host process, if one runs."""
        return host_pid_in(self.state_dir)


def host_pid_in(state_dir: str) -> Optional[int]:
    import json
    try:
        with open(os.path.join(state_dir, "run", "host.pid")) as fh:
            pid = int(json.load(fh)["pid"])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, KeyError):
        return None


def stop_host_in(state_dir: str) -> None:
    """End the pshell host process a test run left (it would linger with its sessions)."""
    pid = host_pid_in(state_dir)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def wait_for(predicate, timeout: float = 60.0, step: float = 0.05, what: str = ""):
    """predicate()'s first true value, polled until ``timeout`` (generous: a loaded machine is
    slow, and only a failing test waits that long); else the test fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting" + (f" for {what}" if what else ""))


@contextmanager
def sigint_as_a_terminal_sends_it():
    """Processes started inside take SIGINT as Ctrl-C in a terminal does (KeyboardInterrupt).
    A suite started in the background by a non-interactive shell (`make test &`, some CI
    runners) has SIGINT ignored, and a child inherits an ignored signal through exec: its
    pshell would rightly ignore a SIGINT too (as under nohup), and never stop."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def process_gone(pid: int) -> bool:
    """The process has ended (a zombie has: it only waits to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def pids_of(command: str, home: str) -> List[int]:
    """Processes whose command line is exactly ``command`` and whose HOME is ``home``: the ones a
    test started on its "remote computers" (the loopback hosts of this run), not another run's
    (a `pgrep -f` alone would see every run's on the machine)."""
    found = []
    out = subprocess.run(["pgrep", "-x", "-f", command], capture_output=True, text=True).stdout
    for pid in out.split():
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                env = fh.read().split(b"\0")
        except OSError:
            continue
        if b"HOME=" + os.fsencode(home) in env and not process_gone(int(pid)):
            found.append(int(pid))
    return found


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


def own_sshd(hosts: "SSHHosts", root: str, addr: str, extra: str = "",
             path: str = "/usr/bin:/bin") -> subprocess.Popen:
    """An sshd of a test's own on ``addr`` (the fixture hosts' port and client key; its log at
    ``root/log``, its remote home ``root/rhome``), known to the client's known_hosts."""
    os.chmod(root, 0o755)
    hostkey = os.path.join(root, "hostkey")
    _keygen(hostkey)
    remote_home = os.path.join(root, "rhome")
    os.makedirs(remote_home)
    conf = _sshd_config(root, "own", addr, hosts.port, hostkey, remote_home, extra=extra)
    text = open(conf).read().replace(f"AuthorizedKeysFile {root}/authorized_keys",
                                     f"AuthorizedKeysFile {hosts.root}/authorized_keys")
    open(conf, "w").write(text.replace("PATH=/usr/bin:/bin", f"PATH={path}"))
    proc = subprocess.Popen([SSHD, "-D", "-f", conf, "-E", os.path.join(root, "log")])
    _wait_listening(addr, hosts.port)
    pub = " ".join(open(hostkey + ".pub").read().split()[:2])
    with open(os.path.join(hosts.home, ".ssh", "known_hosts"), "a") as fh:
        fh.write(f"[{addr}]:{hosts.port} {pub}\n")
    return proc


def _wait_listening(addr: str, port: int, timeout: float = 60) -> None:
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


def stop_brokers_in(runtime: str) -> None:
    """End the brokers whose directories are under ``runtime`` (their XDG_RUNTIME_DIR): each
    writes its pid there."""
    for directory, _, files in os.walk(runtime):
        if "pid" in files:
            try:
                with open(os.path.join(directory, "pid")) as fh:
                    os.kill(int(fh.read().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass


def stop_brokers_of(root: str) -> None:
    """End the connection brokers that pshell processes of this run started with their default
    settings (600 s of life after their last client): they would outlive the run, holding
    connections to its sshd processes.  A broker is this run's when its HOME is under ``root``."""
    out = subprocess.run(["pgrep", "-f", "pshell.transport.broker_server"], capture_output=True,
                         text=True).stdout
    prefix = b"HOME=" + os.fsencode(root.rstrip("/")) + b"/"
    for pid in out.split():
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if not any(entry.startswith(prefix) for entry in fh.read().split(b"\0")):
                    continue
            os.kill(int(pid), signal.SIGTERM)
        except (OSError, ValueError):
            pass


def stop_hosts(hosts: SSHHosts) -> None:
    stop_brokers_of(hosts.root)
    stop_host_in(hosts.state_dir)
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


# --------------------------------------------------------------------------- a second user

OTHER_USER_PREFIX = "psh-other-"    # and the run's pid (tests/run_users.py)
OTHER_ADDR = "127.0.1.61"


@dataclass
class OtherUser:
    name: str
    home: str
    alias: str                # ssh config alias that logs in as this user
    proc: subprocess.Popen

    @property
    def state_dir(self) -> str:
        return os.path.join(self.home, ".local", "state", "pshell")


@pytest.fixture(scope="session")
def other_user(sshd_hosts) -> OtherUser:
    """A second local user (``useradd``) with an sshd of its own on ``otherbox``: the closest to a
    computer where the same person has another account, or another person's sessions."""
    import pwd
    from run_users import remove_leftovers, remove_user, user_name
    if os.getuid() != 0 or not shutil.which("useradd"):
        pytest.skip("creating a second user needs root and useradd")
    remove_leftovers(OTHER_USER_PREFIX)
    name = user_name(OTHER_USER_PREFIX)
    remove_user(name)                   # an earlier run with this pid, killed
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True)
    subprocess.run(["usermod", "-p", "*", name], check=True)
    entry = pwd.getpwnam(name)
    ssh_dir = os.path.join(entry.pw_dir, ".ssh")
    os.makedirs(ssh_dir, exist_ok=True)
    with open(os.path.join(sshd_hosts.home, ".ssh", "id_ed25519.pub")) as fh:
        pub = fh.read()
    with open(os.path.join(ssh_dir, "authorized_keys"), "w") as fh:
        fh.write(pub)
    for path in (ssh_dir, os.path.join(ssh_dir, "authorized_keys")):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    os.chmod(ssh_dir, 0o700)
    root = sshd_hosts.root
    hostkey = os.path.join(root, "hostkey_otherbox")
    if not os.path.exists(hostkey):
        _keygen(hostkey)
    conf = _sshd_config(root, "otherbox", OTHER_ADDR, sshd_hosts.port, hostkey, entry.pw_dir)
    with open(conf) as fh:
        conf_text = fh.read()
    conf_text = conf_text.replace(f"AuthorizedKeysFile {root}/authorized_keys",
                                  "AuthorizedKeysFile .ssh/authorized_keys")
    conf_text = conf_text.replace(f"SetEnv HOME={entry.pw_dir} PATH=/usr/bin:/bin",
                                  "SetEnv PATH=/usr/bin:/bin")
    with open(conf, "w") as fh:
        fh.write(conf_text)
    log = os.path.join(root, "sshd_otherbox.log")
    proc = subprocess.Popen([SSHD, "-D", "-f", conf, "-E", log])
    with open(hostkey + ".pub") as fh:
        key = " ".join(fh.read().split()[:2])
    with open(os.path.join(sshd_hosts.home, ".ssh", "known_hosts"), "a") as fh:
        fh.write(f"[otherbox]:{sshd_hosts.port},[{OTHER_ADDR}]:{sshd_hosts.port} {key}\n")
    config_path = os.path.join(sshd_hosts.home, ".ssh", "config")
    with open(config_path) as fh:
        config = fh.read()
    with open(config_path, "w") as fh:
        fh.write(f"Host otherbox\n  HostName {OTHER_ADDR}\n  User {name}\n" + config)
    _wait_listening(OTHER_ADDR, sshd_hosts.port)
    user = OtherUser(name, entry.pw_dir, "otherbox", proc)
    yield user
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    remove_user(name)


@pytest.fixture
def rs(sshd_hosts, monkeypatch, tmp_path):
    """A local runspace that reaches the test hosts (the test HOME), its sessions removed after."""
    monkeypatch.setenv("HOME", sshd_hosts.home)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    from pshell.engine.runtime import Runspace
    runspace = Runspace(location=str(tmp_path))
    yield runspace
    try:
        runspace.invoke("Get-PSSession | Remove-PSSession")
    finally:
        runspace.close()


def find_named(root: str, name: str) -> List[str]:
    """Every file called ``name`` under ``root``."""
    return [os.path.join(d, name) for d, _, files in os.walk(root) if name in files]


def stop_brokers(runtime: str) -> None:
    """SIGTERM to every connection broker whose pid file is under ``runtime``."""
    for pid_file in find_named(runtime, "pid"):
        try:
            with open(pid_file) as fh:
                os.kill(int(fh.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass


@pytest.fixture
def broker_env(sshd_hosts):
    """An environment with the broker on, in a short private runtime directory of its own; the
    broker it starts is stopped (by its pid) at the end."""
    import tempfile
    runtime = tempfile.mkdtemp(prefix="pb-", dir="/tmp")
    env = sshd_hosts.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="30", XDG_RUNTIME_DIR=runtime)
    yield env
    stop_brokers(runtime)
    time.sleep(0.2)
    shutil.rmtree(runtime, ignore_errors=True)
