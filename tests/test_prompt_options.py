"""The prompt's PSReadLine settings, vi mode, the editor, Enter on the completion menu, $PROFILE:
driven by keys as tests/test_repl.py does."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from test_repl import Driver, drive, printed, shell  # noqa: F401  (shell is a fixture)

from pshell.engine.readline_options import parse_chord


def test_chords_as_prompt_toolkit_keys():
    assert parse_chord("Ctrl+x,Ctrl+e") == (("c-x",), ("c-e",))
    assert parse_chord("Tab") == (("tab",),)
    assert parse_chord("Shift+Tab") == (("s-tab",),)
    assert parse_chord("Alt+f") == (("escape", "f"),)
    assert parse_chord("UpArrow") == (("up",),)
    assert parse_chord("Ctrl+Spacebar") == (("c-@",),)
    assert parse_chord("Hyper+q") is None and parse_chord("Ctrl+Banana") is None and parse_chord("") is None


def test_pwsh_profile_loads_without_errors(tmp_path):
    config = tmp_path / "config" / "pshell"
    config.mkdir(parents=True)
    (config / "profile_all_hosts.ps1").write_text("$order = @('all')\n")
    (config / "profile.ps1").write_text(
        "Import-Module PSReadLine\n"
        "Set-PSReadLineOption -EditMode Emacs -HistorySearchCursorMovesToEnd -PredictionSource History\n"
        "Set-PSReadLineOption -Colors @{ Command = 'Yellow'; String = \"`e[36m\" } -BellStyle None\n"
        "Set-PSReadLineKeyHandler -Key UpArrow -Function HistorySearchBackward\n"
        "Set-PSReadLineKeyHandler -Key Tab -Function MenuComplete\n"
        "Set-PSReadLineKeyHandler -Chord 'Ctrl+x,Ctrl+e' -Function ViEditVisually\n"
        "$order += 'user'\n")
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "pshell", "-c",
                           "$order -join ','; (Get-PSReadLineOption).EditMode; "
                           "(Get-PSReadLineKeyHandler).Function -join ','; $PROFILE; "
                           "$PROFILE.CurrentUserAllHosts; $PROFILE.AllUsersAllHosts"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[:3] == ["all,user", "Emacs", "HistorySearchBackward,MenuComplete,ViEditVisually"]
    assert lines[3:5] == [str(config / "profile.ps1"), str(config / "profile_all_hosts.ps1")]
    assert lines[5].startswith("/etc/pshell/")


def test_unknown_key_function_is_a_warning_not_an_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pshell", "-NoProfile", "-c",
                           "Set-PSReadLineKeyHandler -Key Ctrl+q -Function NoSuchThing; 'still here'"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout == "still here\n" and "NoSuchThing" in done.stderr and "WARNING" in done.stderr


def _escape(d: Driver) -> None:
    """ESC, and wait until vi took it (prompt_toolkit holds a lone ESC for a while in case a key
    sequence follows: keys sent before it let go would make one with it)."""
    from prompt_toolkit.key_binding.vi_state import InputMode
    d.type("\x1b")
    d.wait(lambda: d.session is not None
           and d.session.app.vi_state.input_mode == InputMode.NAVIGATION, "vi's navigation mode")


def test_vi_mode_edits_the_line(shell):     # noqa: F811
    def script(d: Driver) -> None:
        d.run("Set-PSReadLineOption -EditMode Vi")
        d.type("Write-Output one")
        _escape(d)
        d.type("bcw")                        # back a word, change it
        d.run("two")
        d.type("exit\r")

    assert drive(shell, script) == 0
    assert "two" in printed(shell).splitlines() and "one" not in printed(shell).splitlines()


def test_key_handler_binds_a_function(shell):   # noqa: F811
    def script(d: Driver) -> None:
        d.run("Set-PSReadLineKeyHandler -Key Ctrl+b -Function BeginningOfLine")
        d.type("'bound'")
        d.type("\x02")                         # Ctrl-B: to the start of the line
        d.run("Write-Output ")
        d.type("exit\r")

    assert drive(shell, script) == 0
    assert "bound" in printed(shell).splitlines()


def test_ctrl_x_ctrl_e_edits_the_line_in_the_editor(shell, tmp_path, monkeypatch):   # noqa: F811
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/before/after/' \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))

    def script(d: Driver) -> None:
        d.type("Write-Output 'before'")
        d.type("\x18\x05")                     # Ctrl-X Ctrl-E
        d.wait_buffer(lambda text: "'after'" in text, "the edited line")
        assert d.executed == []                # edited, not run
        d.run("")
        d.type("exit\r")

    assert drive(shell, script) == 0
    assert "after" in printed(shell).splitlines()


def test_enter_on_the_menu_takes_the_choice_and_does_not_run(shell, tmp_path):   # noqa: F811
    work = tmp_path / "work"
    (work / "my file.txt").write_text("first")
    (work / "my notes.txt").write_text("second")

    def script(d: Driver) -> None:
        d.complete("Get-Content my\t")         # common part, quoted once: 'my
        d.complete("\t")                       # the menu's first choice
        d.type("\r")                           # takes it...
        d.wait(lambda: d.session.default_buffer.complete_state is None, "the menu to close")
        time.sleep(0.5)
        assert d.executed == []                # ... without running the line
        d.run("")
        d.type("exit\r")

    assert drive(shell, script) == 0
    assert drive.driver.executed[0] == "Get-Content 'my file.txt'"     # type: ignore[attr-defined]
    assert "first" in printed(shell)
