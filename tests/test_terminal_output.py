"""Output on a real terminal (tmux): colour from rich, a live Write-Progress bar that goes away,
and plain text with no escapes when stdout is not a terminal or NO_COLOR is set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from test_tmux import TMUX, Terminal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def term(tmp_path):
    terminal = Terminal(tmp_path)
    terminal.start()
    terminal.wait_for(lambda s: "PS /" in s, "the first prompt")
    yield terminal
    terminal.tmux("kill-server", check=False)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_progress_bar_is_drawn_then_removed(term):
    term.type("1..4 | ForEach-Object { Write-Progress -Activity Copying -Status \"file $_\" "
              "-PercentComplete ($_ * 25); Start-Sleep -Milliseconds 700 }; 'copied'")
    term.send("Enter")
    screen = term.wait_for(lambda s: "Copying: file" in s, "the progress bar")
    bar = next(line for line in screen.splitlines() if "Copying: file" in line)
    assert "%" in bar                                 # rich draws a bar with a percentage
    term.wait_for(lambda s: any(line.strip() == "copied" for line in s.splitlines()),
                  "the end of the command")
    # transient: gone once the command ends (the last output and the bar's removal are two
    # writes, so a capture can fall between them: wait for it, a bar that stays times out)
    term.wait_for(lambda s: "Copying: file" not in s, "the progress bar to go")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_errors_and_table_headers_are_coloured_on_a_terminal(term):
    term.type("Write-Error 'red alert'; [pscustomobject]@{Name='a'; Size=1}")
    term.send("Enter")
    term.wait_for(lambda s: "----" in s and "Write-Error: red alert" in s, "the error and the table")
    coloured = term.screen(colours=True).splitlines()
    error_line = next(line for line in coloured if "Write-Error: red alert" in line)
    assert "\x1b[" in error_line                      # the error is coloured
    header = next(line for line in coloured if "Name" in line and "Size" in line and "@{" not in line)
    assert "\x1b[" in header                          # so is the table header


def _run(script: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pshell", "-NoProfile", "-c", script],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=ROOT, **env))


def test_plain_text_and_no_progress_when_not_a_terminal():
    proc = _run("Write-Progress -Activity Busy -PercentComplete 50; "
                "[pscustomobject]@{Name='a'; Size=1}; Write-Warning 'w'")
    assert "\x1b[" not in proc.stdout and "\x1b[" not in proc.stderr
    assert "Busy" not in proc.stdout and "Busy" not in proc.stderr
    assert proc.stdout.split() == ["Name", "Size", "----", "----", "a", "1"]
    assert proc.stderr.strip() == "WARNING: w"


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_no_color_gives_plain_text_even_on_a_terminal(tmp_path):
    terminal = Terminal(tmp_path)
    script = tmp_path / "show.ps1"
    script.write_text("Write-Error 'plain alert'\n")
    terminal.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "120", "-y", "30",
                  f"env NO_COLOR=1 PYTHONPATH={ROOT} {sys.executable} -m pshell -NoProfile "
                  f"{script}; sleep 30")
    try:
        terminal.wait_for(lambda s: "plain alert" in s, "the error")
        line = next(row for row in terminal.screen(colours=True).splitlines() if "plain alert" in row)
        assert "\x1b[" not in line
    finally:
        terminal.tmux("kill-server", check=False)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_job_notice_prints_above_the_prompt_not_through_the_typed_line(term):
    term.type('$j = Start-Job { Start-Sleep 1; "hi" }')
    term.send("Enter")
    term.wait_for(lambda s: s.count("PS /") >= 2, "the next prompt")
    term.type("Get-Da")                               # half-typed when the job finishes
    def redrawn(screen: str) -> bool:
        lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
        return any("Job1 Completed" in line for line in lines[:-1]) and \
            lines[-1].startswith("PS /") and lines[-1].endswith("Get-Da")

    screen = term.wait_for(redrawn, "the job notice above a redrawn prompt")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    notice = next(i for i, line in enumerate(lines) if "Job1 Completed" in line)
    assert lines[notice].startswith("[1] Job1 Completed")      # a line of its own
    assert lines[notice + 1].startswith("PS /") and lines[notice + 1].endswith("Get-Da")
