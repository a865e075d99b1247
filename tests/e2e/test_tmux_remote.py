"""Enter-PSSession typed in the REPL of a real terminal (tmux): the prompt changes to the remote
one, commands run there, and ``exit`` brings the local prompt back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import REPO, needs_cli

TMUX = shutil.which("tmux")
WAIT = 60       # seconds for a step: generous (a loaded machine is slow), only a failure waits it out
pytestmark = [needs_cli, pytest.mark.skipif(TMUX is None, reason="tmux is not installed")]


class Term:
    def __init__(self, tmp_path, home):
        self.socket = str(tmp_path / "tmux.sock")
        self.home = home

    def tmux(self, *args, check=True):
        return subprocess.run([TMUX, "-S", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=WAIT)

    def start(self, cwd, width=120):
        env = {"HOME": self.home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": REPO, "TERM": "xterm-256color", "LANG": "C.UTF-8",
               "PSHELL_BROKER": os.environ.get("PSHELL_BROKER", "1")}
        command = " ".join(["exec", "env", "-i"] + [f"{k}='{v}'" for k, v in env.items()]
                           + [sys.executable, "-m", "pshell", "-NoProfile"])
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(width), "-y", "30",
                  "-c", cwd, command)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t").stdout

    def history(self):
        """The whole scroll-back, lines the terminal wrapped joined again."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t").stdout

    def type_line(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)
        self.tmux("send-keys", "-t", "t", "Enter")

    def wait_for(self, needle, timeout=WAIT):
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if needle in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {needle!r}; screen:\n{screen}")

    def wait_prompts(self, prompt, count, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while self.screen().count(prompt) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.screen().count(prompt) >= count, self.screen()

    def wait_last_line(self, start, timeout=WAIT):
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            lines = [ln for ln in self.screen().splitlines() if ln.strip()]
            last = lines[-1] if lines else ""
            if last.startswith(start):
                return
            time.sleep(0.05)
        raise AssertionError(f"the last line is not {start!r}:\n{self.screen()}")

    def close(self):
        self.tmux("kill-server", check=False)


def test_enter_pssession_changes_the_prompt(sshd_hosts, tmp_path):
    term = Term(tmp_path, sshd_hosts.home)
    cwd = str(tmp_path)
    term.start(cwd)
    try:
        term.wait_for(f"PS {cwd}>")
        term.type_line("Enter-PSSession server01")
        term.wait_for(f"[server01]: PS {sshd_hosts.remote_home}>")
        term.type_line("Set-Location /tmp; \"remote pid $PID\"")
        screen = term.wait_for("[server01]: PS /tmp>")
        assert "remote pid" in screen
        term.type_line("exit")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            last = [ln for ln in term.screen().splitlines() if ln.strip()][-1]
            if last.startswith(f"PS {cwd}>"):
                break
            time.sleep(0.05)
        assert last.startswith(f"PS {cwd}>"), term.screen()
    finally:
        term.close()


def test_enter_pssession_offers_to_reconnect_on_a_terminal(sshd_hosts, tmp_path):
    """Enter-PSSession on a disconnected session, typed in a real terminal: it asks whether to
    reconnect; "n" leaves it disconnected, Enter (yes) reconnects and enters it."""
    term = Term(tmp_path, sshd_hosts.home)
    cwd = str(tmp_path)
    question = "Reconnect? [Y] Yes  [N] No (default is Y):"
    term.start(cwd)
    try:
        term.wait_for(f"PS {cwd}>")
        term.type_line("$s = New-PSSession server02 -Name tmux-rc; "
                       "Invoke-Command -Session $s { $kept = 'kept there' }; "
                       "Disconnect-PSSession $s | Out-Null; \"state: $($s.State)\"")
        term.wait_for("state: Disconnected")
        term.type_line("Enter-PSSession -Session $s")
        term.wait_for(question)
        term.type_line("n")
        term.wait_for("not reconnected")
        term.type_line("\"still: $($s.State)\"")
        term.wait_for("still: Disconnected")
        term.type_line("Enter-PSSession -Session $s")
        deadline = time.monotonic() + WAIT
        while term.screen().count(question) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert term.screen().count(question) == 2, term.screen()
        term.type_line("")                          # the default: yes
        term.wait_for(f"[server02]: PS {sshd_hosts.remote_home}>")
        term.type_line("\"remote: $kept\"")
        term.wait_for("remote: kept there")
        term.type_line("exit")
        term.type_line("\"back: $($s.State)\"; Remove-PSSession $s")
        term.wait_for("back: Opened")
    finally:
        term.close()


def test_terminal_programs_run_on_a_remote_pty(sshd_hosts, tmp_path):
    """Inside Enter-PSSession, vi/less/stty run on a pty of the remote computer with this
    terminal in raw mode: vi writes a file there, less quits with q, stty sees the pane's size,
    and the remote prompt is back after each."""
    term = Term(tmp_path, sshd_hosts.home)
    cwd = str(tmp_path)
    target = tmp_path / "written-by-vi.txt"
    term.start(cwd)
    try:
        term.wait_for(f"PS {cwd}>")
        term.type_line("Enter-PSSession server01")
        prompt = f"[server01]: PS {sshd_hosts.remote_home}>"
        term.wait_for(prompt)
        term.type_line("stty size")
        term.wait_for("30 120")
        term.type_line(f"vi {target}")
        term.wait_for("~")
        # one step at a time, each seen on the screen: keys typed while vi still waits for the
        # terminal's answers to its start-up queries can be taken as part of those answers
        term.tmux("send-keys", "-t", "t", "-l", "i")
        term.wait_for("-- INSERT --")
        term.tmux("send-keys", "-t", "t", "-l", "hello from vi")
        term.wait_for("hello from vi")
        term.tmux("send-keys", "-t", "t", "Escape")
        deadline = time.monotonic() + WAIT
        while "-- INSERT --" in term.screen() and time.monotonic() < deadline:
            time.sleep(0.05)
        term.tmux("send-keys", "-t", "t", "-l", ":wq")
        term.tmux("send-keys", "-t", "t", "Enter")
        # vi creates the file before it writes it: wait for the content, not the name
        deadline = time.monotonic() + WAIT
        written = ""
        while written != "hello from vi\n" and time.monotonic() < deadline:
            time.sleep(0.05)
            written = target.read_text() if target.exists() else ""
        assert written == "hello from vi\n", term.screen()
        term.wait_prompts(prompt, 3)
        term.type_line("\"status $LASTEXITCODE\"")
        term.wait_for("status 0")
        term.type_line(f"less {target}")
        term.wait_for("hello from vi")
        term.tmux("send-keys", "-t", "t", "q")
        term.wait_prompts(prompt, 5)
        term.type_line("\"after less\"")
        screen = term.wait_for("after less")
        assert prompt in screen
        term.tmux("resize-window", "-t", "t", "-x", "100", "-y", "25")
        term.type_line("stty size")
        term.wait_for("25 100")
        term.type_line("sh -c 'echo sleeping; sleep 60'")   # Ctrl-C goes to the remote program
        term.wait_for("\nsleeping")
        term.tmux("send-keys", "-t", "t", "C-c")
        term.wait_last_line(prompt)
        term.type_line("\"ctrl-c status $LASTEXITCODE\"")
        term.wait_for("ctrl-c status 130")
    finally:
        term.close()


@pytest.mark.parametrize("width", [80, 160])
def test_invoke_command_progress_never_mixes_with_rows(sshd_hosts, tmp_path, width):
    """Issue 14: rows of 102 characters from four computers, 200 ms apart (the last one 1.5 s
    later still), arrive while the Invoke-Command progress bar is on the screen.  Each must end
    up whole on a line of its own (wrapped lines joined), with no trace of the bar left in the
    scroll-back.  Before the fix rows went straight to the terminal past the bar: at 160
    columns a row was glued to the end of the bar's line, at 80 (where the bar fills the line)
    a stale bar was left between the rows.  The byte log of the pane shows that the bar was
    really drawn before the rows came: it is drawn by a timer (10 times a second) and taken
    away for each row, so the last computer waits long enough for a loaded machine to draw it
    ("1 running") before its row comes."""
    term = Term(tmp_path, sshd_hosts.home)
    cwd = str(tmp_path)
    raw = tmp_path / "pane.log"
    term.start(cwd, width)
    try:
        prompt = f"PS {cwd}>"
        term.wait_for(prompt)
        term.tmux("pipe-pane", "-o", "-t", "t", f"cat >> {raw}")
        term.type_line("$ProgressPreference = 'Continue'; Invoke-Command -ComputerName "
                       "server01,server02,server03,server04 { $n = [int]$env:SSH_CONNECTION."
                       "Split(' ')[2].Split('.')[3]; "
                       "Start-Sleep -Milliseconds (200 * $n + 1500 * [int]($n -eq 5)); "
                       "\"$n \" + 'r' * 100 }")
        term.wait_prompts(prompt, 2)
        drawn = b""
        deadline = time.monotonic() + WAIT
        while b"1 running" not in drawn and time.monotonic() < deadline:
            time.sleep(0.05)
            drawn = raw.read_bytes() if raw.exists() else b""
        assert b"1 running" in drawn, "the progress bar was never drawn"
        history = term.history().splitlines()
        first = next(i for i, line in enumerate(history) if line.startswith(prompt))
        last = max(i for i, line in enumerate(history) if line.startswith(prompt))
        echo_end = first + 1
        while history[echo_end].startswith(">> "):
            echo_end += 1
        output = [line.rstrip() for line in history[echo_end:last] if line.strip()]
        shown = "\n".join(history).rstrip()
        assert all(re.fullmatch(r"[2-5] r{100}", line) for line in output), \
            f"a row mixed with the bar or split:\n{shown}"
        assert sorted(line[0] for line in output) == ["2", "3", "4", "5"], shown
        assert "running" not in shown and "\u2501" not in shown, f"the bar was left:\n{shown}"
    finally:
        term.close()
