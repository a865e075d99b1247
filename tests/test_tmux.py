"""The REPL in a real terminal: ``python3 -m pshell`` inside tmux, read back with capture-pane."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from typing import List

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TMUX = shutil.which("tmux")
WAIT = 60.0     # generous: a loaded machine is slow, and only a failing test waits it out

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

PROMPT = re.compile(r"^PS /\S*>(?: |$)", re.M)


class Terminal:
    """One tmux server (private socket) running pshell in a 120x30 window."""

    def __init__(self, tmp_path) -> None:
        self.socket = str(tmp_path / "tmux.sock")
        self.home = tmp_path / "home"
        self.home.mkdir()
        (self.home / ".ssh").mkdir()
        (self.home / ".ssh" / "config").write_text("Host web01\n  HostName 127.0.0.1\n")

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([TMUX, "-S", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=WAIT)

    def start(self) -> None:
        env = {"HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": ROOT, "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        command = " ".join(["exec", "env", "-i"] + [f"{k}='{v}'" for k, v in env.items()]
                           + [sys.executable, "-m", "pshell", "-NoProfile"])
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "120", "-y", "30",
                  "-c", str(self.home), command)
        self.tmux("set-option", "-t", "t", "remain-on-exit", "off")

    def screen(self, colours: bool = False) -> str:
        args = ["capture-pane", "-p", "-t", "t"] + (["-e"] if colours else [])
        return self.tmux(*args).stdout

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def wait_for(self, predicate, what: str) -> str:
        deadline = time.monotonic() + WAIT
        screen = ""
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"pshell ended while waiting for {what}; last screen:\n{screen}")
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")

    def prompts(self, screen: str) -> List[str]:
        return PROMPT.findall(screen)

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", "t", check=False).returncode == 0

    def close(self) -> None:
        self.tmux("kill-server", check=False)


@pytest.fixture
def term(tmp_path):
    terminal = Terminal(tmp_path)
    terminal.start()
    yield terminal
    terminal.close()


def last_line(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_prompt_completion_highlighting_interrupt_and_exit(term):
    # the prompt
    screen = term.wait_for(lambda s: term.prompts(s), "the first prompt")
    assert term.prompts(screen)[0].startswith("PS /")

    # completion of a cmdlet name, then of a parameter
    term.type("Get-ChildI")
    term.send("Tab")
    term.wait_for(lambda s: last_line(s).endswith("Get-ChildItem"), "Get-ChildItem completed")
    term.type(" -Recu")
    term.send("Tab")
    term.wait_for(lambda s: last_line(s).endswith("Get-ChildItem -Recurse"), "-Recurse completed")

    # highlighting: the command word is drawn with a colour
    coloured = term.screen(colours=True)
    line = [row for row in coloured.splitlines() if "Get-ChildItem" in row][-1]
    assert re.search(r"\x1b\[[0-9;]*m\s*Get-ChildItem", line), line
    assert re.search(r"\x1b\[[0-9;]*m\s*-Recurse", line), line

    # Ctrl-C at the prompt clears the line
    term.send("C-c")
    term.wait_for(lambda s: PROMPT.match(last_line(s) + " ") and "Get-ChildItem" not in last_line(s),
                  "a fresh prompt after Ctrl-C")

    # Ctrl-C during a running command returns to the prompt
    before = len(term.prompts(term.screen()))
    term.type("'now ' + 'sleeping'; Start-Sleep 300")
    term.send("Enter")
    # it says it runs: a Ctrl-C before the statement starts is forgotten (the engine clears
    # stop requests as a statement begins), and Start-Sleep would outlast the wait
    term.wait_for(lambda s: "\nnow sleeping" in s, "the command to run")
    term.send("C-c")
    term.wait_for(lambda s: len(term.prompts(s)) > before and PROMPT.match(last_line(s) + " ")
                  and "Start-Sleep" not in last_line(s),
                  "the prompt after Ctrl-C stopped Start-Sleep")
    assert "Traceback" not in term.screen()

    # the shell still works, and `exit` ends it
    term.type("Write-Output ('ok' * 2)")
    term.send("Enter")
    term.wait_for(lambda s: "okok" in s, "output of a command after the interrupt")
    term.type("exit")
    term.send("Enter")
    deadline = time.monotonic() + WAIT
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not term.alive(), "pshell did not end after exit"


def test_ssh_host_completion_and_multiline(term):
    term.wait_for(lambda s: term.prompts(s), "the first prompt")
    term.type("Enter-PSSession we")
    term.send("Tab")
    term.wait_for(lambda s: last_line(s).endswith("Enter-PSSession web01"), "the host name")
    term.send("C-c")
    term.type("foreach ($i in 1..2) {")
    term.send("Enter")
    term.wait_for(lambda s: last_line(s).startswith(">>"), "the continuation prompt")
    term.type("  \"line $i\"")
    term.send("Enter")
    term.type("}")
    term.send("Enter")
    screen = term.wait_for(lambda s: "line 2" in s, "the loop output")
    assert "line 1" in screen
    term.send("C-d")
    deadline = time.monotonic() + WAIT
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not term.alive(), "pshell did not end after Ctrl-D"


def test_progress_bar_never_mixes_with_rows(term):
    """Objects in list view (printed through the rich formatter as soon as each arrives) while a
    Write-Progress bar is shown: each entry whole, and no trace of the bar in the scroll-back
    (wrapped lines joined).  Before rows taken through rich took the bar away first, the bar
    was left above each entry with the entry's first line glued to it.  The pane's byte log
    shows that the bar was really drawn (by a timer, 10 times a second, and taken away for each
    entry: step 2 lasts long enough for a loaded machine to draw it)."""
    term.wait_for(lambda s: term.prompts(s), "the first prompt")
    raw = term.home / "pane.log"
    term.tmux("pipe-pane", "-o", "-t", "t", f"cat >> {raw}")
    term.type("1..4 | ForEach-Object { Write-Progress -Activity Copying -Status \"step $_\" "
              "-PercentComplete ($_ * 20); Start-Sleep -Milliseconds (250 + 1500 * [int]($_ -eq 2)); "
              "[pscustomobject]@{ "
              "Step = $_; Name = 'd' * 100; Kind = 'file'; Owner = 'root'; Size = 7 } }; "
              "'all' + ' finished'")
    term.send("Enter")
    term.wait_for(lambda s: "all finished" in s and term.prompts(s.rstrip().rsplit("\n", 1)[-1]),
                  "the prompt after the output")
    drawn = b""
    deadline = time.monotonic() + WAIT
    while b"Copying: step 2" not in drawn and time.monotonic() < deadline:
        time.sleep(0.05)
        drawn = raw.read_bytes() if raw.exists() else b""
    assert b"Copying: step 2" in drawn, "the progress bar was never drawn"
    history = term.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t").stdout.rstrip()
    assert "Copying:" not in history and "\u2501" not in history, f"the bar was left:\n{history}"
    steps = re.findall(r"^Step\s+: (\d)\s*$", history, re.M)
    names = re.findall(r"^Name\s+: d{100}\s*$", history, re.M)
    assert steps == ["1", "2", "3", "4"] and len(names) == 4, history


def test_exit_says_which_running_jobs_it_stops(term):
    term.wait_for(lambda s: term.prompts(s), "the first prompt")
    term.type("$j = Start-Job -Name sleeper { Start-Sleep 60 }")
    term.send("Enter")
    term.wait_for(lambda s: len(term.prompts(s)) >= 2, "the prompt after Start-Job")
    term.tmux("set-option", "-t", "t", "remain-on-exit", "on")
    term.type("exit")
    term.send("Enter")
    screen = term.wait_for(lambda s: "before exiting" in s or "Pane is dead" in s, "the exit message")
    assert "stopping 1 running job before exiting: [" in screen and "sleeper on localhost" in screen
