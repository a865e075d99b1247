"""The differential test: OpenSSH's ``ssh`` and pshell, same config, same known_hosts, same
real sshd - the same decision (connect or refuse), and after an accept-new the same names
recorded.  Each case also states the decision expected, so a broken fixture that makes both
refuse cannot pass.

The sshds (started once for the module): A on 127.0.0.81, B on 127.0.0.82 (a jump host), L on
127.0.0.1 (reached as ``localhost``: a name that is not its address), C on 127.0.0.83 with a
host certificate, D on 127.0.0.84 logging at DEBUG and accepting the variables PSHELL_T_* (what
a connection negotiated: the second table).  All listen on one free port, so every lookup is
``[name]:port``.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time

import pytest
from conftest import SSHD, _keygen, _sshd_config, _wait_listening

from test_password import password_host  # noqa: F401  (the fixture: a user with a password)

from pshell.transport.known_hosts import KnownHosts, hash_name

SSH = shutil.which("ssh")
ADDR = {"A": "127.0.0.81", "B": "127.0.0.82", "L": "127.0.0.1", "C": "127.0.0.83"}
DEBUG_ADDR = "127.0.0.84"


class Lab:
    def __init__(self, root: str, port: int) -> None:
        self.root = root
        self.port = port
        self.keys = {}
        self.procs = []
        self.client_key = os.path.join(root, "id_client")

    def key(self, name: str) -> str:
        return self.keys[name]

    def line(self, names: str, key: str) -> str:
        return f"{names} {self.key(key)}\n"

    def ip(self, name: str) -> str:
        return f"[{ADDR[name]}]:{self.port}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not os.path.exists(SSHD) or SSH is None:
        pytest.skip("OpenSSH's sshd and ssh are needed")
    from conftest import _free_port
    root = str(tmp_path_factory.mktemp("decisions"))
    os.chmod(root, 0o755)
    os.makedirs("/run/sshd", exist_ok=True)
    lab = Lab(root, _free_port())
    _keygen(lab.client_key)
    shutil.copy(lab.client_key + ".pub", os.path.join(root, "authorized_keys"))
    remote_home = os.path.join(root, "rhome")
    os.makedirs(remote_home)
    ca = os.path.join(root, "host_ca")
    _keygen(ca)
    for name, addr in ADDR.items():
        hostkey = os.path.join(root, f"hostkey_{name}")
        _keygen(hostkey)
        extra = ""
        if name == "C":
            subprocess.run(["ssh-keygen", "-q", "-s", ca, "-I", "hostC", "-h", "-n", addr,
                            hostkey + ".pub"], check=True)
            extra = f"HostCertificate {hostkey}-cert.pub"
        conf = _sshd_config(root, name, addr, lab.port, hostkey, remote_home, extra)
        lab.procs.append(subprocess.Popen([SSHD, "-D", "-f", conf, "-E",
                                           os.path.join(root, f"sshd_{name}.log")]))
        lab.keys[name] = " ".join(open(hostkey + ".pub").read().split()[:2])
    lab.keys["CA"] = " ".join(open(ca + ".pub").read().split()[:2])
    hostkey = os.path.join(root, "hostkey_D")
    _keygen(hostkey)
    conf = _sshd_config(root, "D", DEBUG_ADDR, lab.port, hostkey, remote_home,
                        "AcceptEnv PSHELL_T_*")
    with open(conf) as fh:
        text = fh.read().replace("LogLevel VERBOSE", "LogLevel DEBUG")
    with open(conf, "w") as fh:
        fh.write(text)
    lab.debug_log = os.path.join(root, "sshd_D.log")
    lab.procs.append(subprocess.Popen([SSHD, "-D", "-f", conf, "-E", lab.debug_log]))
    lab.keys["D"] = " ".join(open(hostkey + ".pub").read().split()[:2])
    _wait_listening(DEBUG_ADDR, lab.port)
    other = os.path.join(root, "other_ed")
    _keygen(other)
    lab.keys["X"] = " ".join(open(other + ".pub").read().split()[:2])     # "changed"
    rsa = os.path.join(root, "other_rsa")
    _keygen(rsa, "rsa")
    lab.keys["R"] = " ".join(open(rsa + ".pub").read().split()[:2])       # another kind
    # the client key again, under a passphrase, and an agent holding the client key
    shutil.copy(lab.client_key, lab.client_key + "_enc")
    shutil.copy(lab.client_key + ".pub", lab.client_key + "_enc.pub")
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", "secret", "-f",
                    lab.client_key + "_enc"], check=True, capture_output=True)
    lab.agent = os.path.join(root, "agent.sock")
    lab.procs.append(subprocess.Popen(["ssh-agent", "-D", "-a", lab.agent],
                                      stdout=subprocess.DEVNULL))
    for addr in ADDR.values():
        _wait_listening(addr, lab.port)
    deadline = time.monotonic() + 60
    while not os.path.exists(lab.agent) and time.monotonic() < deadline:
        time.sleep(0.05)
    subprocess.run(["ssh-add", "-q", lab.client_key], check=True,
                   env=dict(os.environ, SSH_AUTH_SOCK=lab.agent))
    yield lab
    for proc in lab.procs:
        proc.terminate()
    for proc in lab.procs:
        proc.wait(5)


def _config(lab: Lab, case_dir: str, extra: str) -> str:
    path = os.path.join(case_dir, "config")
    with open(path, "w") as fh:
        fh.write(extra.format(port=lab.port, dir=case_dir, A=ADDR["A"], B=ADDR["B"],
                              key=lab.client_key))
        fh.write(f"""
Host hosta HostA keyless
  HostName {ADDR['A']}
Host * !keyless
  IdentityFile {lab.client_key}
  IdentitiesOnly yes
Host jumpb
  HostName {ADDR['B']}
Host hostc
  HostName {ADDR['C']}
Host hostd
  HostName {DEBUG_ADDR}
Host *
  Port {lab.port}
  User root
  BatchMode yes
  UserKnownHostsFile {case_dir}/known_hosts
  GlobalKnownHostsFile {case_dir}/global_known_hosts
  ConnectTimeout 30
""")
    return path


# (id, destination, config lines before the common part, known_hosts, expected)
# known_hosts is a function of the lab: lines naming keys A, B, L, C, X (unrelated), R (rsa)
CASES = [
    ("known-by-hostname", "hosta", "", lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("unknown-refused", "hosta", "", lambda h: "", "refuse"),
    ("unknown-accept-new", "hosta", "StrictHostKeyChecking accept-new\n", lambda h: "", "connect"),
    ("unknown-no", "hosta", "StrictHostKeyChecking no\n", lambda h: "", "connect"),
    ("unknown-yes", "hosta", "StrictHostKeyChecking yes\n", lambda h: "", "refuse"),
    ("changed-refused", "hosta", "", lambda h: h.line(h.ip("A"), "X"), "refuse"),
    ("changed-accept-new", "hosta", "StrictHostKeyChecking accept-new\n",
     lambda h: h.line(h.ip("A"), "X"), "refuse"),
    ("changed-no-connects-with-keys", "hosta", "StrictHostKeyChecking no\n",
     lambda h: h.line(h.ip("A"), "X"), "connect"),
    ("changed-yes", "hosta", "StrictHostKeyChecking yes\n", lambda h: h.line(h.ip("A"), "X"),
     "refuse"),
    ("other-kind-known-is-changed", "hosta", "StrictHostKeyChecking accept-new\n",
     lambda h: h.line(h.ip("A"), "R"), "refuse"),
    ("other-kind-and-right-key", "hosta", "",
     lambda h: h.line(h.ip("A"), "R") + h.line(h.ip("A"), "A"), "connect"),
    ("trusted-under-config-alias-only", "hosta", "",
     lambda h: h.line(f"[hosta]:{h.port}", "A"), "refuse"),
    ("hostkeyalias-trusted", "hosta", "Host hosta\n  HostKeyAlias web-a\n",
     lambda h: h.line("web-a", "A"), "connect"),
    ("hostkeyalias-with-port-form", "hosta", "Host hosta\n  HostKeyAlias web-a\n",
     lambda h: h.line(f"[web-a]:{h.port}", "A"), "refuse"),
    ("hostkeyalias-wrong-alias", "hosta", "Host hosta\n  HostKeyAlias web-z\n",
     lambda h: h.line(h.ip("A"), "A") + h.line("web-a", "A"), "refuse"),
    ("revoked", "hosta", "", lambda h: h.line(h.ip("A"), "A") + h.line("@revoked *", "A"),
     "refuse"),
    # pshell is stricter here, deliberately: ssh connects to a revoked key under
    # StrictHostKeyChecking no (password auth off); pshell never does
    ("revoked-even-with-no", "hosta", "StrictHostKeyChecking no\n",
     lambda h: h.line(h.ip("A"), "A") + h.line("@revoked *", "A"), "refuse"),
    ("hashed-entry", "hosta", "", lambda h: h.line(hash_name(h.ip("A")), "A"), "connect"),
    ("hashed-entry-without-port", "hosta", "", lambda h: h.line(hash_name(ADDR["A"]), "A"),
     "connect"),
    ("plain-address-without-port", "hosta", "", lambda h: h.line(ADDR["A"], "A"), "connect"),
    ("without-port-other-key", "hosta", "", lambda h: h.line(ADDR["A"], "X"), "refuse"),
    ("without-port-accept-new", "hosta", "StrictHostKeyChecking accept-new\n",
     lambda h: h.line(ADDR["A"], "X"), "connect"),
    ("wildcard-pattern", "hosta", "", lambda h: h.line(f"[127.0.0.8?]:{h.port}", "A"), "connect"),
    ("negated-pattern", "hosta", "",
     lambda h: h.line(f"[127.0.0.*]:{h.port},!{h.ip('A')}", "A"), "refuse"),
    ("ip-only-trust-for-a-name", "localhost", "", lambda h: h.line(h.ip("L"), "L"), "refuse"),
    ("ip-only-trust-checkhostip", "localhost", "CheckHostIP yes\n",
     lambda h: h.line(h.ip("L"), "L"), "refuse"),
    ("name-trusted", "localhost", "", lambda h: h.line(f"[localhost]:{h.port}", "L"), "connect"),
    ("accept-new-records-the-name", "localhost", "StrictHostKeyChecking accept-new\n",
     lambda h: "", "connect"),
    ("capitalised-host-pattern", "HostA", "", lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("global-known-hosts", "hosta", "", lambda h: "", "connect"),     # see _GLOBAL below
    # ~/.ssh/known_hosts is only read when no UserKnownHostsFile says otherwise (asyncssh's
    # default read it for every connection and trusted its keys without asking pshell)
    ("default-file-when-another-is-configured", "hosta", "", lambda h: "", "refuse"),
    ("second-user-known-hosts-file", "hosta",
     "UserKnownHostsFile {dir}/empty {dir}/second\n", lambda h: "", "connect"),
    ("cipher-cbc-not-offered", "hosta", "Ciphers aes128-cbc\n", lambda h: h.line(h.ip("A"), "A"),
     "refuse"),
    ("cipher-ctr", "hosta", "Ciphers aes256-ctr\n", lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("kex-group1-not-offered", "hosta", "KexAlgorithms diffie-hellman-group1-sha1\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("kex-curve25519", "hosta", "KexAlgorithms curve25519-sha256\n",
     lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("mac-md5-not-offered", "hosta", "Ciphers aes128-ctr\nMACs hmac-md5\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("hostkeyalgorithms-rsa-only", "hosta", "HostKeyAlgorithms rsa-sha2-256\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("jump-trusted", "hosta", "Host hosta\n  ProxyJump jumpb\n",
     lambda h: h.line(h.ip("A"), "A") + h.line(h.ip("B"), "B"), "connect"),
    ("jump-untrusted", "hosta", "Host hosta\n  ProxyJump jumpb\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("jump-trusted-under-alias-only", "hosta", "Host hosta\n  ProxyJump jumpb\n",
     lambda h: h.line(h.ip("A"), "A") + h.line(f"[jumpb]:{h.port}", "B"), "refuse"),
    ("jump-own-accept-new", "hosta",
     "Host hosta\n  ProxyJump jumpb\nHost jumpb\n  StrictHostKeyChecking accept-new\n",
     lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("jump-target-unknown", "hosta", "Host hosta\n  ProxyJump jumpb\n",
     lambda h: h.line(h.ip("B"), "B"), "refuse"),
    ("jump-changed-target", "hosta", "Host hosta\n  ProxyJump jumpb\n",
     lambda h: h.line(h.ip("A"), "X") + h.line(h.ip("B"), "B"), "refuse"),
    ("cert-authority", "hostc", "", lambda h: h.line("@cert-authority *", "CA"), "connect"),
    ("cert-authority-revoked", "hostc", "",
     lambda h: h.line("@cert-authority *", "CA") + h.line("@revoked *", "CA"), "refuse"),
    ("cert-authority-other-hosts", "hostc", "",
     lambda h: h.line("@cert-authority *.example", "CA"), "refuse"),
    ("include-sets-accept-new", "hosta", "Include {dir}/inc.conf\n", lambda h: "", "connect"),
    ("match-host-sets-alias", "hosta",
     "Host hosta\n  HostName {A}\nMatch host {A}\n  HostKeyAlias matched\n",
     lambda h: h.line("matched", "A"), "connect"),
    # how and where: options that decide whether authentication or the route can succeed
    ("port-nothing-listens", "hosta", "Host hosta\n  Port 1\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("hostname-from-an-alias", "webserver", "Host webserver\n  HostName {A}\n",
     lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("pubkey-authentication-off", "hosta", "Host hosta\n  PubkeyAuthentication no\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("preferred-authentications-password-only", "hosta",
     "Host hosta\n  PreferredAuthentications password\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("identityfile-accumulates", "hosta",
     "Host hosta\n  IdentityFile {dir}/../../not_authorized\n  IdentitiesOnly yes\n",
     lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("proxycommand-trusted", "hosta",
     "Host hosta\n  ProxyCommand ssh -F {dir}/config -W %h:%p jumpb\n",
     lambda h: h.line(h.ip("A"), "A") + h.line(h.ip("B"), "B"), "connect"),
    ("proxycommand-target-unknown", "hosta",
     "Host hosta\n  ProxyCommand ssh -F {dir}/config -W %h:%p jumpb\n",
     lambda h: h.line(h.ip("B"), "B"), "refuse"),
    ("preferred-authentications-unknown-only", "hosta",
     "Host hosta\n  PreferredAuthentications no-such-method\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    # which keys are offered: "keyless" has no IdentityFile of the common part; SSH_AUTH_SOCK
    # is an agent holding the client key; in the cases of the loop under _EXTRA_FILES,
    # pshell's ~/.ssh/id_ed25519 is the client key (ssh's ~ is root's passwd home, where no
    # such key is), so a default key ssh would not offer connects pshell only
    ("agent-without-identityfile", "keyless", "", lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("identityagent-none", "keyless", "Host keyless\n  IdentityAgent none\n"
     "  IdentityFile {dir}/missing\n", lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("identityfile-missing-no-default-keys", "keyless",
     "Host keyless\n  IdentityFile {dir}/missing\n  IdentityAgent none\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("identityfile-missing-agent-still-asked", "keyless",
     "Host keyless\n  IdentityFile {dir}/missing\n", lambda h: h.line(h.ip("A"), "A"), "connect"),
    ("identityfile-missing-identitiesonly", "keyless",
     "Host keyless\n  IdentityFile {dir}/missing\n  IdentitiesOnly yes\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("identitiesonly-without-identityfile", "keyless", "Host keyless\n  IdentitiesOnly yes\n",
     lambda h: h.line(h.ip("A"), "A"), "refuse"),
    ("identitiesonly-encrypted-key-in-agent", "keyless",
     "Host keyless\n  IdentityFile {key}_enc\n  IdentitiesOnly yes\n",
     lambda h: h.line(h.ip("A"), "A"), "connect"),
    # a default key file asyncssh cannot load (XMSS, a security key without its library, a
    # damaged file) is skipped, not the end of the connection: the agent's key still logs in
    ("unusable-default-key-files-are-skipped", "keyless", "", lambda h: h.line(h.ip("A"), "A"),
     "connect"),
]

#: cases where pshell refuses what ssh accepts (never the other way round): what ssh does
_STRICTER = {"revoked-even-with-no": "connect"}

_EXTRA_FILES = {
    "global-known-hosts": lambda h: {"global_known_hosts": h.line(h.ip("A"), "A")},
    "second-user-known-hosts-file": lambda h: {"second": h.line(h.ip("A"), "A"), "empty": ""},
    "include-sets-accept-new": lambda h: {"inc.conf": "StrictHostKeyChecking accept-new\n"},
    "default-file-when-another-is-configured":
        lambda h: {"home/.ssh/known_hosts": h.line(h.ip("A"), "A")},
    "unusable-default-key-files-are-skipped":
        lambda h: {"home/.ssh/id_xmss": "not a key\n", "home/.ssh/id_ecdsa_sk": "not a key\n",
                   "home/.ssh/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\ndamaged\n"},
}
for _name in ("identityagent-none", "identityfile-missing-no-default-keys",
              "identityfile-missing-agent-still-asked", "identityfile-missing-identitiesonly",
              "identitiesonly-encrypted-key-in-agent"):
    _EXTRA_FILES[_name] = lambda h: {"home/.ssh/id_ed25519": open(h.client_key).read()}


def _setup(lab: Lab, base: str, case: tuple) -> str:
    name, dest, extra, known, expected = case
    os.makedirs(base)
    with open(os.path.join(base, "known_hosts"), "w") as fh:
        fh.write(known(lab))
    for file, text in _EXTRA_FILES.get(name, lambda h: {})(lab).items():
        os.makedirs(os.path.dirname(os.path.join(base, file)), exist_ok=True)
        with open(os.path.join(base, file), "w") as fh:
            fh.write(text)
    return _config(lab, base, extra)


def _ssh_decides(config: str, dest: str) -> str:
    debug = os.environ.get("PSHELL_TEST_SSH_DEBUG", "").split()      # e.g. -v
    out = subprocess.run([SSH, *debug, "-F", config, dest, "true"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=90)
    if debug:
        print(out.stderr)
    return "connect" if out.returncode == 0 else "refuse:" + out.stderr.strip()[-300:]


def _pshell_decides(config: str, dest: str, monkeypatch) -> str:
    from pshell.transport.ssh import SSHError, SSHTarget, connect, run_async
    monkeypatch.setenv("PSHELL_SSH_CONFIG", config)
    home = os.path.join(os.path.dirname(config), "home")      # the same file as ~/.ssh/config
    os.makedirs(os.path.join(home, ".ssh"), exist_ok=True)
    os.symlink(config, os.path.join(home, ".ssh", "config"))
    monkeypatch.setenv("HOME", home)

    async def attempt():
        conn = await connect(SSHTarget(dest))
        conn.close()
        await conn.wait_closed()
    try:
        run_async(attempt(), 90)
        return "connect"
    except SSHError as exc:
        return "refuse:" + str(exc)


def _recorded(lab: Lab, path: str) -> dict:
    names = [lab.ip(n) for n in ADDR] + [f"[{n}]:{lab.port}" for n in ("hosta", "jumpb", "localhost")]
    hosts = KnownHosts([path])
    return {n: hosts.known_kinds([n]) for n in names}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_decision_as_openssh(lab, tmp_path, monkeypatch, case):
    name, dest, _, _, expected = case
    monkeypatch.setenv("SSH_AUTH_SOCK", lab.agent)
    ours_dir, theirs_dir = str(tmp_path / "pshell"), str(tmp_path / "ssh")
    theirs = _ssh_decides(_setup(lab, theirs_dir, case), dest)
    ours = _pshell_decides(_setup(lab, ours_dir, case), dest, monkeypatch)
    ssh_expected = _STRICTER.get(name, expected)
    assert (theirs.split(":")[0], ours.split(":")[0]) == (ssh_expected, expected), (theirs, ours)
    assert _recorded(lab, theirs_dir + "/known_hosts") == _recorded(lab, ours_dir + "/known_hosts")


def test_enough_cases():
    assert len(CASES) >= 30


# --------------------------------------------------------------------------- what is negotiated

# (id, config lines, remote command, its input, what to observe, expected for both): each run
# once through `ssh -F config hostd command` and once through pshell's connection (asyncssh's
# run of the same command), against sshd D; sshd's DEBUG log of the connection (or the kernel's
# view of the client's socket) says what happened
KEEPALIVE_COMMAND = "echo ready; cat >/dev/null"
NEGOTIATION = [
    ("compression-default", "", "true", b"", "compression", "none"),
    ("compression-yes", "Compression yes\n", "true", b"", "compression", "zlib@openssh.com"),
    ("compression-no", "Compression no\n", "true", b"", "compression", "none"),
    # the client's socket is looked at once the command runs and has written its first line, an
    # idle connection (looked at as soon as it showed, ssh's socket under load had no timer yet:
    # ssh sets SO_KEEPALIVE after connect() returns; and a packet not yet acknowledged shows the
    # retransmit timer instead); the command ends when its input does
    ("tcpkeepalive-default", "", KEEPALIVE_COMMAND, b"", "keepalive", True),
    ("tcpkeepalive-no", "TCPKeepAlive no\n", KEEPALIVE_COMMAND, b"", "keepalive", False),
    # 1.5 MB sent, 8 MB received, against a limit of 256 KiB: several rekeys (ssh counts blocks
    # and pshell bytes, so "several", not an exact count); none without RekeyLimit.  Past the
    # limit of data received, both rekey with the next packet they send (window adjusts)
    ("rekeylimit-default", "", "cat >/dev/null", b"x" * 1500000, "rekeys", "none"),
    ("rekeylimit-sent", "RekeyLimit 256K\n", "cat >/dev/null", b"x" * 1500000, "rekeys",
     "several"),
    ("rekeylimit-received", "RekeyLimit 256K\n", "head -c 8000000 /dev/zero", b"", "rekeys",
     "several"),
    # a rekey a second: at least one in a command of 2 s, and no more than one a second of the
    # connection's life (measured around it: a loaded machine stretches it past 3 s)
    ("rekeylimit-time", "RekeyLimit default 1\n", "sleep 2; echo done", b"", "timed rekeys",
     "one a second"),
    # sshd D accepts PSHELL_T_* only (AcceptEnv): OTHER_B is sent and refused
    ("setenv", "SetEnv PSHELL_T_A=one \"PSHELL_T_B=two words\" OTHER_B=three\n", "env", b"",
     "env", "PSHELL_T_A=one|PSHELL_T_B=two words"),
]


def _log_size(lab: Lab) -> int:
    return os.path.getsize(lab.debug_log)


def _log_since(lab: Lab, start: int) -> str:
    """The DEBUG log of the connection that began after ``start``, once it has ended."""
    deadline = time.monotonic() + 30
    while True:
        with open(lab.debug_log, errors="replace") as fh:
            fh.seek(start)
            text = fh.read()
        if "Disconnected from" in text or "Connection closed by" in text or \
                time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def _keepalive(match: str) -> object:
    """Whether the client's TCP socket (the line of ``ss`` with ``match``) has SO_KEEPALIVE:
    the kernel shows a keepalive timer on it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-tnpo", "state", "established", "dst",
                              f"{DEBUG_ADDR}"], capture_output=True, text=True).stdout
        lines = [line for line in out.splitlines() if match in line]
        if lines:
            return "timer:(keepalive" in lines[0]
        time.sleep(0.05)
    return "no socket"


def _observed(what: str, log: str, output: bytes, seconds: float) -> object:
    if what == "compression":
        found = [line.rsplit("compression: ", 1)[1].split()[0] for line in log.splitlines()
                 if "kex: client->server" in line and "compression: " in line]
        return found[0] if found else "no kex in the log"
    if what == "rekeys":
        rekeys = log.count("SSH2_MSG_KEXINIT received") - 1
        return "none" if rekeys == 0 else "few" if rekeys < 3 else "several"
    if what == "timed rekeys":
        rekeys = log.count("SSH2_MSG_KEXINIT received") - 1
        return "one a second" if 1 <= rekeys <= seconds + 1 else f"{rekeys} in {seconds:.1f} s"
    if what == "env":
        names = ("PSHELL_T_", "OTHER_")
        return "|".join(sorted(line for line in output.decode().splitlines()
                               if line.startswith(names)))
    raise AssertionError(what)


def _ssh_negotiates(lab: Lab, config: str, command: str, data: bytes, what: str) -> object:
    start, began = _log_size(lab), time.monotonic()
    proc = subprocess.Popen([SSH, "-F", config, "hostd", command], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    keepalive = None
    if what == "keepalive":
        # the command runs: the connection is idle
        ready, _, _ = select.select([proc.stdout], [], [], 90)
        line = proc.stdout.readline() if ready else b"(nothing within 90 s)"
        if line != b"ready\n":
            proc.kill()
            raise AssertionError((line, proc.communicate()[1]))
        keepalive = _keepalive(f"pid={proc.pid},")
    out, err = proc.communicate(data, timeout=90)
    assert proc.returncode == 0, err
    seconds = time.monotonic() - began
    return keepalive if what == "keepalive" else _observed(what, _log_since(lab, start), out, seconds)


def _pshell_negotiates(lab: Lab, config: str, command: str, data: bytes, what: str,
                       monkeypatch) -> object:
    from pshell.transport.ssh import SSHTarget, connect, run_async
    monkeypatch.setenv("PSHELL_SSH_CONFIG", config)
    start = _log_size(lab)

    async def attempt():
        import asyncio
        conn = await connect(SSHTarget("hostd"))
        try:
            if what != "keepalive":
                result = await conn.run(command, input=data, encoding=None, check=True)
                return None, result.stdout
            proc = await conn.create_process(command, encoding=None)
            assert await proc.stdout.readline() == b"ready\n"   # as for ssh: looked at while idle
            port = conn.get_extra_info("sockname")[1]
            keepalive = await asyncio.get_running_loop().run_in_executor(None, _keepalive, f":{port} ")
            proc.stdin.write_eof()
            await proc.wait(check=True)
            return keepalive, b""
        finally:
            conn.close()
            await conn.wait_closed()
    began = time.monotonic()
    keepalive, out = run_async(attempt(), 90)
    seconds = time.monotonic() - began
    return keepalive if what == "keepalive" else _observed(what, _log_since(lab, start), out, seconds)


@pytest.mark.parametrize("case", NEGOTIATION, ids=[c[0] for c in NEGOTIATION])
def test_same_negotiation_as_openssh(lab, tmp_path, monkeypatch, case):
    name, extra, command, data, what, expected = case
    base = str(tmp_path / "case")
    os.makedirs(base)
    with open(os.path.join(base, "known_hosts"), "w") as fh:
        fh.write(f"[{DEBUG_ADDR}]:{lab.port} {lab.key('D')}\n")
    config = _config(lab, base, "Host hostd\n" + extra)
    theirs = _ssh_negotiates(lab, config, command, data, what)
    ours = _pshell_negotiates(lab, config, command, data, what, monkeypatch)
    assert (theirs, ours) == (expected, expected)


# --------------------------------------------------------------------------- a changed key under "no"

@pytest.fixture
def pw_home(request, tmp_path, monkeypatch):
    """A copy of the password host's client HOME (its config and known_hosts) to edit."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("needs root and useradd to create a user with a password")
    password_home = request.getfixturevalue("password_host")
    home = tmp_path / "home"
    shutil.copytree(password_home, home)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("PSHELL_SSH_CONFIG", raising=False)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


def _connect_with_password(dest: str) -> str:
    from pshell.transport.ssh import SSHError, SSHTarget, connect, run_async
    from test_password import PASSWORD

    async def attempt():
        conn = await connect(SSHTarget(dest, password=PASSWORD))
        conn.close()
    try:
        run_async(attempt(), 90)
        return "connect"
    except SSHError as exc:
        return str(exc)


def test_changed_key_with_no_sends_no_password(pw_home, lab):
    """ssh, on a changed key under StrictHostKeyChecking no, connects but turns password and
    keyboard-interactive authentication off (a man in the middle must not get the password).
    The password works with the right key; with a changed one pshell does not send it."""
    config = pw_home / ".ssh" / "config"
    config.write_text("Host pwhost\n  StrictHostKeyChecking no\n  PubkeyAuthentication no\n"
                      + config.read_text())
    assert _connect_with_password("pwhost") == "connect"
    known = pw_home / ".ssh" / "known_hosts"
    names = known.read_text().split()[0]
    known.write_text(f"{names} {lab.key('X')}\n")
    result = _connect_with_password("pwhost")
    assert "authentication failed" in result and "host key has changed" in result


# --------------------------------------------------------------------------- SetEnv in a session

def test_setenv_reaches_the_session_as_it_reaches_ssh(sshd_hosts, monkeypatch):
    """ssh sends SetEnv's variables with the session and sshd keeps the AcceptEnv ones: a pshell
    session sees what ``ssh host env`` sees.  After the config changes, the next session (a
    direct channel to the host's socket: it says what it would have sent, and the host applies
    the names a login showed sshd kept) sees the new value, as the next ssh does."""
    import tempfile

    from conftest import own_sshd, stop_host_in

    from pshell.client.session import Target, open_session
    root = tempfile.mkdtemp(prefix="setenv-", dir="/tmp")     # short: the host's socket fits
    addr = "127.0.0.74"
    proc = own_sshd(sshd_hosts, root, addr, extra="AcceptEnv PSHELL_T_*")
    monkeypatch.setenv("HOME", sshd_hosts.home)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    config = os.path.join(root, "config")
    monkeypatch.setenv("PSHELL_SSH_CONFIG", config)
    common = open(os.path.join(sshd_hosts.home, ".ssh", "config")).read()
    try:
        for value in ("one", "two"):
            with open(config, "w") as fh:
                fh.write(f"Host {addr}\n  SetEnv PSHELL_T_A={value} OTHER_B=refused\n" + common)
            out = subprocess.run([SSH, "-F", config, addr, "env"], capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=60,
                                 env=dict(os.environ, HOME=sshd_hosts.home))
            env = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
            theirs = f"{env.get('PSHELL_T_A', '')}|{env.get('OTHER_B', '')}"
            session = open_session(Target(addr))
            try:
                ours = session.runspace.invoke("[string]$env:PSHELL_T_A + '|' + [string]$env:OTHER_B")
            finally:
                session.close()
            assert (theirs, ours) == (f"{value}|", [f"{value}|"]), out.stderr
    finally:
        stop_host_in(os.path.join(root, "rhome", ".local", "state", "pshell"))
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)
