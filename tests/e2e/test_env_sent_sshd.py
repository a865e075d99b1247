"""SendEnv and SetEnv against a real sshd that accepts PSHELL_T_* (AcceptEnv): a pshell session
sees what ``ssh alias printenv`` sees on the same config - over a login (the relay) and over a
direct channel to the host's socket, after the client's value changes, and for another alias of
the same user@host that sends nothing (it never sees another alias's variables)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from pshell.transport.ssh import open_ssh_session

SSH = shutil.which("ssh") or "ssh"
NAMES = ("PSHELL_T_A", "PSHELL_T_S", "OTHER_B")


def _ssh(config: str, alias: str, home: str) -> str:
    out = subprocess.run([SSH, "-F", config, alias, "printenv"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60, env=dict(os.environ, HOME=home))
    env = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return "|".join(env.get(name, "") for name in NAMES)


def _ours(alias: str):
    from pshell.transport.ssh_connect import SSHTarget
    conn, runspace = open_ssh_session(SSHTarget(alias))
    try:
        out = runspace.invoke(" + '|' + ".join(f"[string]$env:{n}" for n in NAMES))
        return out[0], conn.link.direct
    finally:
        conn.close()


def test_sent_variables_reach_a_session_as_they_reach_ssh(sshd_hosts, monkeypatch):
    from conftest import own_sshd, stop_host_in
    root = tempfile.mkdtemp(prefix="sendenv-", dir="/tmp")     # short: the host's socket fits
    addr = "127.0.0.75"
    proc = own_sshd(sshd_hosts, root, addr, extra="AcceptEnv PSHELL_T_*")
    monkeypatch.setenv("HOME", sshd_hosts.home)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.delenv("PSHELL_T_A", raising=False)
    monkeypatch.setenv("PSHELL_T_S", "first")
    config = os.path.join(root, "config")
    monkeypatch.setenv("PSHELL_SSH_CONFIG", config)
    common = open(os.path.join(sshd_hosts.home, ".ssh", "config")).read()
    with open(config, "w") as fh:
        fh.write(f"Host withenv\n  HostName {addr}\n  SetEnv PSHELL_T_A=set OTHER_B=refused\n"
                 f"  SendEnv PSHELL_T_* -PSHELL_T_A\n"
                 f"Host plain\n  HostName {addr}\n" + common)
    try:
        seen = []
        # the plain alias first: a login, its host's socket is learnt
        seen.append(("plain", _ssh(config, "plain", sshd_hosts.home), _ours("plain")))
        # the alias that sends: its first contact is a login, then direct channels
        seen.append(("withenv", _ssh(config, "withenv", sshd_hosts.home), _ours("withenv")))
        seen.append(("withenv", _ssh(config, "withenv", sshd_hosts.home), _ours("withenv")))
        monkeypatch.setenv("PSHELL_T_S", "second")      # the client's value changes
        seen.append(("withenv", _ssh(config, "withenv", sshd_hosts.home), _ours("withenv")))
        # the plain alias again, over a direct channel: nothing of the other alias's login
        seen.append(("plain", _ssh(config, "plain", sshd_hosts.home), _ours("plain")))
        assert [(alias, theirs, ours) for alias, theirs, (ours, _) in seen] == [
            ("plain", "||", "||"),
            ("withenv", "set|first|", "set|first|"),
            ("withenv", "set|first|", "set|first|"),
            ("withenv", "set|second|", "set|second|"),
            ("plain", "||", "||")]
        # and the channels were the fast ones where the host's socket was known
        assert [direct for _, _, (_, direct) in seen] == [False, False, True, True, True]
    finally:
        stop_host_in(os.path.join(root, "rhome", ".local", "state", "pshell"))
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)
