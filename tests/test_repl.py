"""The REPL driven end to end by feeding keys through a prompt_toolkit pipe input.

The REPL runs in the main thread (it owns SIGINT, as it does in a terminal); a driver thread types
keys, waits for statements to be executed and presses Ctrl-C (a SIGINT, which is what a terminal
sends while a command runs) the way a user would.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from typing import Any, Callable, List

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from pshell.ui.repl import history_path, is_sensitive, run_repl

WAIT = 60.0     # generous bound for a step (a loaded machine is slow); only a failing test waits it out


class Capture:
    """A terminal stand-in for prompt_toolkit's output: everything the REPL draws."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self._parts: List[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)


def make_shell(tmp_path) -> Any:
    """The shell the command line builds: ``shell.stack.top`` is the local frame."""
    import io

    from pshell.engine.host import PlainHost
    from pshell.engine.runtime import Runspace
    from pshell.engine.session_stack import Shell
    host = PlainHost(out=io.StringIO(), err=io.StringIO())
    return Shell(Runspace(host=host, location=str(tmp_path)))


def printed(shell: Any) -> str:
    """What the host wrote to its output stream."""
    return shell.host.out.getvalue()


def errors(shell: Any) -> str:
    return shell.host.err.getvalue()


class Driver:
    """Types keys into the REPL and watches what it executes."""

    def __init__(self, shell: Any, pipe: Any, screen: Capture) -> None:
        self.shell = shell
        self.pipe = pipe
        self.screen = screen
        self.executed: List[str] = []
        self.finished: List[str] = []
        self.session: Any = None        # the REPL's PromptSession (set by drive())
        self._changed = threading.Condition()
        frame = shell.stack.top
        original = frame.execute

        def recording_execute(text: str, source: str = "<interactive>") -> Any:
            with self._changed:
                self.executed.append(text)
                self._changed.notify_all()
            try:
                return original(text, source)
            finally:
                with self._changed:
                    self.finished.append(text)
                    self._changed.notify_all()

        frame.execute = recording_execute

    def type(self, keys: str) -> None:
        self.pipe.send_text(keys)

    def run(self, line: str) -> None:
        """Type a line, press Enter and wait until it has finished running."""
        count = len(self.finished)
        self.type(line + "\r")
        self.wait_finished(count + 1)

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; executed={self.executed}")
                self._changed.wait(min(remaining, 0.05))

    def wait_started(self, count: int) -> None:
        self.wait(lambda: len(self.executed) >= count, f"{count} statements to start")

    def wait_finished(self, count: int) -> None:
        self.wait(lambda: len(self.finished) >= count, f"{count} statements to finish")

    def wait_screen(self, text: str) -> None:
        self.wait(lambda: text in self.screen.text(), f"{text!r} on the screen")

    def buffer(self) -> str:
        """The text of the line being edited (the prompt's buffer)."""
        session = self.session
        return "" if session is None else session.default_buffer.text

    def wait_buffer(self, predicate: Callable[[str], bool], what: str) -> str:
        """Wait until the line being edited satisfies ``predicate`` (keys are handled by the
        REPL's own thread: what was typed is there only once it has taken it)."""
        deadline = time.monotonic() + WAIT
        text = self.buffer()
        while not predicate(text):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the line: {text!r}, "
                                     f"executed={self.executed}")
            time.sleep(0.02)
            text = self.buffer()
        return text

    def complete(self, keys: str) -> None:
        """Type ``keys`` ending in Tab and wait until the completion changed the line or put up
        a menu of its choices (the completer runs in a thread: a key typed before it is done
        acts on the line as it was)."""
        typed, tab = keys[:-1], keys[-1]
        assert tab == "\t", keys
        if typed:
            before = self.buffer()
            self.type(typed)
            self.wait_buffer(lambda text: text == before + typed, f"{typed!r} to be typed")
        before = self.buffer()
        menu = self.session.default_buffer.complete_state if self.session is not None else None

        def completed(text: str) -> bool:
            state = self.session.default_buffer.complete_state
            return text != before or (state is not None and state is not menu
                                      and len(state.completions) >= 2)
        self.type(tab)
        self.wait_buffer(completed, f"the completion of {before!r}")

    def interrupt(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)


def drive(shell: Any, script: Callable[[Driver], None], history: Any = None) -> int:
    """Run the REPL in this (main) thread while ``script`` drives it from another."""
    screen = Capture()
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=120), term="xterm-256color",
                          enable_cpr=False)
    failure: List[BaseException] = []
    from pshell.ui.repl import Repl
    make_session = Repl.make_session

    def capture_session(repl: Any) -> Any:
        driver.session = make_session(repl)
        return driver.session

    with create_pipe_input() as pipe:
        driver = Driver(shell, pipe, screen)
        Repl.make_session = capture_session     # type: ignore[method-assign]

        def run_script() -> None:
            try:
                script(driver)
            except BaseException as error:     # reported by the main thread
                failure.append(error)
                for _ in range(3):
                    if len(driver.executed) > len(driver.finished):
                        driver.interrupt()
                        time.sleep(0.2)
                pipe.send_text("\x03\x04")

        thread = threading.Thread(target=run_script, daemon=True)
        thread.start()
        try:
            status = run_repl(shell, input=pipe, output=output,
                              history=history if history is not None else InMemoryHistory())
        finally:
            Repl.make_session = make_session    # type: ignore[method-assign]
        thread.join(WAIT)
    if failure:
        raise failure[0]
    drive.screen = screen.text()   # type: ignore[attr-defined]
    drive.driver = driver          # type: ignore[attr-defined]
    return status


@pytest.fixture
def shell(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    made = make_shell(work)
    yield made
    close = getattr(made, "close", None)
    if callable(close):
        close()


# ---- running statements -------------------------------------------------------------------

def test_command_runs_and_output_appears(shell):
    def script(d: Driver) -> None:
        d.run("Write-Output 'hello from the repl'")
        d.type("exit\r")

    assert drive(shell, script) == 0
    assert "hello from the repl" in printed(shell)
    assert "PS " in drive.screen            # type: ignore[attr-defined]


def test_prompt_shows_location(shell, tmp_path):
    def script(d: Driver) -> None:
        d.wait_screen("PS ")
        d.type("exit\r")

    drive(shell, script)
    assert f"PS {tmp_path / 'work'}> " in drive.screen   # type: ignore[attr-defined]


def test_multiline_input_while_brace_open(shell):
    def script(d: Driver) -> None:
        d.type("if ($true) {\r")
        d.type("  'inside the block'\r")
        d.type("}\r")
        d.wait_finished(1)
        d.type("exit\r")

    drive(shell, script)
    executed = drive.driver.executed          # type: ignore[attr-defined]
    assert executed[0] == "if ($true) {\n  'inside the block'\n}"
    assert "inside the block" in printed(shell)
    assert ">> " in drive.screen              # type: ignore[attr-defined]


def test_multiline_input_while_quote_open(shell):
    def script(d: Driver) -> None:
        d.type("'first\r")
        d.type("second'\r")
        d.wait_finished(1)
        d.type("exit\r")

    drive(shell, script)
    assert drive.driver.executed[0] == "'first\nsecond'"   # type: ignore[attr-defined]
    assert "first\nsecond" in printed(shell)


def test_parse_error_reported_and_shell_continues(shell):
    def script(d: Driver) -> None:
        d.run("1 +* 2")
        d.run("Write-Output 'still here'")
        d.type("exit\r")

    assert drive(shell, script) == 0
    assert "still here" in printed(shell)
    assert "Traceback" not in errors(shell) + printed(shell)
    assert "1 +* 2" in errors(shell)


# ---- completion ---------------------------------------------------------------------------

def test_tab_completes_cmdlet_name(shell):
    def script(d: Driver) -> None:
        d.complete("Get-ChildI\t")
        d.type("\r")
        d.wait_finished(1)
        d.type("exit\r")

    drive(shell, script)
    assert drive.driver.executed[0] == "Get-ChildItem"      # type: ignore[attr-defined]


def test_tab_completes_parameter(shell):
    def script(d: Driver) -> None:
        d.complete("Write-Output -NoEnum\t")
        d.type(" 'x'\r")
        d.wait_finished(1)
        d.type("exit\r")

    drive(shell, script)
    assert drive.driver.executed[0] == "Write-Output -NoEnumerate 'x'"   # type: ignore[attr-defined]


# ---- keys -----------------------------------------------------------------------------------

def test_ctrl_c_cancels_running_command_and_shell_continues(shell):
    def script(d: Driver) -> None:
        # the statement says it runs before it sleeps: a Ctrl-C taken before the engine starts
        # the statement is forgotten (the engine clears stop requests as a statement begins)
        d.type("'now ' + 'sleeping'; Start-Sleep 100\r")
        d.wait_started(1)
        d.wait(lambda: "now sleeping" in printed(shell), "the statement to run")
        started = time.monotonic()
        d.interrupt()
        d.wait_finished(1)
        assert time.monotonic() - started < WAIT
        d.run("Write-Output 'after the interrupt'")
        d.type("exit\r")

    assert drive(shell, script) == 0
    assert "after the interrupt" in printed(shell)


def test_ctrl_c_right_after_enter_stops_the_statement(shell):
    """Ctrl-C pressed after Enter, while the statement is still on its way to the engine (being
    parsed and compiled: held back here until the REPL has passed the stop on), must stop it.
    The REPL takes it as an interrupt of the running command, but the engine forgets it: the
    statement runs to its end.  In a terminal the window is short (the parse of a line); the
    tmux and REPL tests press Ctrl-C only once the statement says it runs."""
    frame = shell.stack.top
    execute, stop = frame.execute, frame.stop
    taken = threading.Event()

    def stop_and_tell() -> None:
        stop()
        taken.set()

    def late_execute(text: str, source: str = "<interactive>") -> Any:
        if "never printed" in text:
            taken.wait(WAIT)
        return execute(text, source)

    frame.stop, frame.execute = stop_and_tell, late_execute

    def script(d: Driver) -> None:
        d.type("Start-Sleep -Milliseconds 500; 'never printed'\r")
        d.wait_started(1)
        d.interrupt()
        d.wait_finished(1)
        d.type("exit\r")

    drive(shell, script)
    assert "never printed" not in printed(shell)


def test_ctrl_c_at_prompt_clears_the_line(shell):
    def script(d: Driver) -> None:
        d.type("Write-Output 'never run'")
        d.wait_screen("never run")
        d.type("\x03")
        d.run("Write-Output 'ran'")
        d.type("exit\r")

    drive(shell, script)
    assert drive.driver.executed[0] == "Write-Output 'ran'"   # type: ignore[attr-defined]


def test_ctrl_d_on_empty_line_exits(shell):
    def script(d: Driver) -> None:
        d.run("Write-Output 1")
        d.type("\x04")

    assert drive(shell, script) == 0


def test_exit_with_status(shell):
    def script(d: Driver) -> None:
        d.type("exit 7\r")

    assert drive(shell, script) == 7


def test_background_output_prints_above_the_prompt(shell):
    def script(d: Driver) -> None:
        d.wait_screen("PS ")
        print("job 3 has finished", flush=True)     # what a job notice does from its thread
        d.wait_screen("job 3 has finished")
        d.run("Write-Output 'later'")
        d.type("exit\r")

    drive(shell, script)
    screen = drive.screen                             # type: ignore[attr-defined]
    notice = screen.index("job 3 has finished")
    assert "PS " in screen[notice:], "the prompt is drawn again below the notice"


# ---- history ---------------------------------------------------------------------------------

def test_history_file_written_with_private_directory(shell, tmp_path):
    def script(d: Driver) -> None:
        d.run("Write-Output 'remember me'")
        d.run("$password = 'hunter2'")
        d.type("exit\r")

    from pshell.ui.repl import open_history
    drive(shell, script, history=open_history())
    path = history_path()
    assert path == str(tmp_path / "home" / ".local" / "share" / "pshell" / "history")
    content = open(path).read()
    assert "Write-Output 'remember me'" in content
    assert "hunter2" not in content
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


def test_history_recalled_with_up_arrow(shell):
    def script(d: Driver) -> None:
        d.run("Write-Output 'again'")
        d.type("\x1b[A")
        d.wait_buffer(lambda line: line == "Write-Output 'again'", "the line recalled by Up")
        d.type("\r")
        d.wait_finished(2)
        d.type("exit\r")

    drive(shell, script)
    assert drive.driver.executed[:2] == ["Write-Output 'again'"] * 2   # type: ignore[attr-defined]


def test_ctrl_r_searches_history(shell):
    history = InMemoryHistory()
    for line in ("Get-Date", "Write-Output 'needle in history'", "Get-Location"):
        history.append_string(line)

    def script(d: Driver) -> None:
        d.wait_screen("PS ")
        d.type("\x12")                  # Ctrl-R
        d.type("needle")
        d.wait_screen("needle")
        d.type("\r")                    # accept the found line into the buffer
        d.wait_buffer(lambda line: line == "Write-Output 'needle in history'" and
                      not d.session.app.layout.is_searching, "the found line, the search closed")
        d.type("\r")                    # and run it
        d.wait_finished(1)
        d.type("exit\r")

    drive(shell, script, history=history)
    assert drive.driver.executed[0] == "Write-Output 'needle in history'"   # type: ignore


def test_sensitive_lines_detected():
    assert is_sensitive("$cred = Get-Credential; $password = 'x'")
    assert is_sensitive("ConvertTo-SecureString 'x' -AsPlainText")
    assert not is_sensitive("Get-ChildItem -Recurse")


# ---- highlighting ---------------------------------------------------------------------------

def _styles_by_text(text: str) -> dict:
    from prompt_toolkit.document import Document

    from pshell.ui.highlight import PshellLexer
    get_line = PshellLexer().lex_document(Document(text))
    found: dict = {}
    for lineno in range(text.count("\n") + 1):
        for style, chunk in get_line(lineno):
            found.setdefault(chunk.strip(), style)
    return found


def test_fragments_cover_text_and_split_lines():
    from pshell.ui.highlight import KIND_CLASSES, fragments_for
    text = "Get-Item x {\n  'a'\n}"
    spans = [(0, 8, "command"), (15, 18, "string")]
    lines = fragments_for(text, spans)
    assert ["".join(chunk for _, chunk in line) for line in lines] == text.split("\n")
    assert lines[0][0] == (KIND_CLASSES["command"], "Get-Item")
    assert (KIND_CLASSES["string"], "'a'") in lines[1]


def test_fragments_ignore_overlapping_and_out_of_range_spans():
    from pshell.ui.highlight import fragments_for
    lines = fragments_for("abc", [(0, 2, "command"), (1, 3, "string"), (5, 9, "number")])
    assert "".join(chunk for _, chunk in lines[0]) == "abc"


def test_highlighting_follows_the_parser_lexer():
    from pshell.ui.highlight import KIND_CLASSES
    styles = _styles_by_text("Get-ChildItem -Path $HOME | Where-Object { $_.Length -gt 10 } # note")
    assert styles["Get-ChildItem"] == KIND_CLASSES["command"]
    assert styles["Where-Object"] == KIND_CLASSES["command"]
    assert styles["-Path"] == KIND_CLASSES["parameter"]
    assert styles["$HOME"] == KIND_CLASSES["variable"]
    assert styles["10"] == KIND_CLASSES["number"]
    assert styles["# note"] == KIND_CLASSES["comment"]


def test_highlighting_strings_and_keywords():
    from pshell.ui.highlight import KIND_CLASSES
    styles = _styles_by_text("foreach ($i in 1..3) { \"item $i\" }")
    assert styles["foreach"] == KIND_CLASSES["keyword"]
    assert any(style == KIND_CLASSES["string"] for text, style in styles.items() if "item" in text)


def test_highlighting_never_raises_on_broken_input():
    from prompt_toolkit.document import Document

    from pshell.ui.highlight import PshellLexer
    for text in ("'open", "@\"\nhere", "{ ( [", "`", "$", "-", "<#", "1..", "\x00\x1b"):
        get_line = PshellLexer().lex_document(Document(text))
        for lineno in range(text.count("\n") + 1):
            assert "".join(chunk for _, chunk in get_line(lineno)) == text.split("\n")[lineno]


def test_finished_job_notice_prints_above_the_prompt(shell):
    def script(d: Driver) -> None:
        d.run("$j = Start-Job { Start-Sleep -Milliseconds 300; 'done' }")
        d.wait_screen("Completed")
        d.run("Receive-Job $j")
        d.type("exit\r")

    drive(shell, script)
    screen = drive.screen                             # type: ignore[attr-defined]
    assert "Completed" in screen
    assert "PS " in screen[screen.index("Completed"):]
    assert "done" in printed(shell)


class _StubbornFrame:
    """A frame whose command ignores stop(): the REPL must still get back to the prompt."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.stops = 0

    def prompt(self) -> str:
        return "PS /stub> "

    def execute(self, text: str, source: str = "<interactive>") -> None:
        if text == "exit":
            from pshell.engine.errors import ExitException
            raise ExitException(3)
        if text == "hang":
            self.release.wait(WAIT)

    def complete(self, text: str, cursor: int) -> list:
        return []

    def stop(self) -> None:
        self.stops += 1


class _StubShell:
    def __init__(self) -> None:
        self.stack = type("Stack", (), {})()
        self.stack.top = _StubbornFrame()
        self.stack.frames = [self.stack.top]


def test_third_ctrl_c_abandons_a_command_that_does_not_stop():
    shell = _StubShell()

    def script(d: Driver) -> None:
        d.type("hang\r")
        d.wait_started(1)
        for count in range(1, 4):
            # one at a time: two signals sent before the handler ran are taken as one
            d.interrupt()
            d.wait(lambda c=count: shell.stack.top.stops >= c, f"stop request {count}")
        d.type("exit\r")
        d.wait_started(2)

    assert drive(shell, script) == 3
    shell.stack.top.release.set()
