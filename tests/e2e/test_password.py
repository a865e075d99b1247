"""Password authentication: asked on a terminal (never echoed), refused clearly without one.

Needs root (creates a user with a password) and its own sshd with PasswordAuthentication on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, SSHD, _free_port, _keygen, _sshd_config, _wait_listening, needs_cli
from run_users import remove_leftovers, remove_user, user_name
from test_tmux_remote import TMUX, Term

USER = user_name("psh-pw-")     # this run's own (tests/run_users.py)
PASSWORD = "Corr3ct-horse;battery"

pytestmark = [needs_cli,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a user"),
              pytest.mark.skipif(shutil.which("useradd") is None, reason="no useradd")]


@pytest.fixture(scope="module")
def password_host(tmp_path_factory):
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD} is missing")
    remove_leftovers("psh-pw-")
    remove_user(USER)                   # this module's user in test_openssh_decisions, or a killed run's
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", USER], check=True)
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n", text=True, check=True)
    root = str(tmp_path_factory.mktemp("pwsshd"))
    os.chmod(root, 0o755)
    hostkey = os.path.join(root, "hostkey")
    _keygen(hostkey)
    port = _free_port()
    addr = "127.0.0.70"
    conf = _sshd_config(root, "pw", addr, port, hostkey, f"/home/{USER}",
                        extra="PasswordAuthentication yes\nPermitEmptyPasswords no")
    text = open(conf).read().replace("PasswordAuthentication no\n", "").replace(
        f"SetEnv HOME=/home/{USER} PATH=/usr/bin:/bin", "SetEnv PATH=/usr/bin:/bin")
    open(conf, "w").write(text)
    proc = subprocess.Popen([SSHD, "-D", "-f", conf, "-E", os.path.join(root, "log")])
    _wait_listening(addr, port)
    home = os.path.join(root, "home")
    os.makedirs(os.path.join(home, ".ssh"), mode=0o700)
    pub = " ".join(open(hostkey + ".pub").read().split()[:2])
    with open(os.path.join(home, ".ssh", "known_hosts"), "w") as fh:
        fh.write(f"[pwhost]:{port},[{addr}]:{port} {pub}\n")
    with open(os.path.join(home, ".ssh", "config"), "w") as fh:
        fh.write(f"Host pwhost\n  HostName {addr}\n  Port {port}\n  User {USER}\n")
    yield home
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    remove_user(USER)


def test_no_terminal_means_no_prompt_and_a_clear_error(password_host, tmp_path):
    env = dict(os.environ, HOME=password_host, PYTHONPATH=REPO, NO_COLOR="1")
    env.pop("SSH_AUTH_SOCK", None)
    proc = subprocess.run([sys.executable, "-m", "pshell", "-c", "Invoke-Command pwhost { 1 }"],
                          capture_output=True, text=True, env=env, timeout=60, cwd=str(tmp_path))
    assert "authentication failed" in proc.stderr
    assert "no terminal" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_password_prompt_on_a_terminal(password_host, tmp_path):
    term = Term(tmp_path, password_host)
    term.start(str(tmp_path))
    try:
        term.wait_for("PS ")
        term.type_line("Enter-PSSession pwhost")
        term.wait_for("password:")
        term.type_line(PASSWORD)
        screen = term.wait_for(f"[{USER}@pwhost]: PS /home/{USER}>")
        assert PASSWORD not in screen
        term.type_line("exit")
        term.wait_last_line(f"PS {tmp_path}>")      # back home: everything is on the screen
        assert PASSWORD not in term.screen()
    finally:
        term.close()
    history = [os.path.join(password_host, p) for p in (".local", ".config", ".cache")]
    for base in history:
        for top, _, files in os.walk(base):
            for name in files:
                with open(os.path.join(top, name), "rb") as fh:
                    assert PASSWORD.encode() not in fh.read(), name
