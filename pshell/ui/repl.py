"""The interactive REPL: a prompt_toolkit prompt over the top frame of the session stack.

One asyncio loop owns the terminal.  Each statement runs in a worker thread (``frame.execute`` is
blocking) so the loop stays alive: Ctrl-C during a command reaches ``frame.stop()`` (the running
pipeline stops, the shell carries on), and the prompt is redrawn from whichever frame is on top
afterwards (``Enter-PSSession`` pushes a remote one).  While the prompt is shown, ``sys.stdout``
and ``sys.stderr`` go through ``patch_stdout`` so that job notices and other background output
print above the prompt; while a command runs they are the real streams, so the command's own
output interleaves correctly with what native commands write straight to the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from typing import Any, AsyncGenerator, Callable, Iterable, Iterator, List, Optional

from prompt_toolkit import PromptSession
from prompt_toolkit.application import create_app_session
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.patch_stdout import patch_stdout

from pshell.ui.highlight import PshellLexer, pshell_style
from pshell.ui.keys import build_key_bindings, readline_key_bindings

__all__ = ["run_repl", "Repl", "FrameCompleter", "history_path", "is_sensitive"]

CONTINUATION_PROMPT = ">> "
COMPLETION_TIMEOUT = 3.0            # seconds; a remote frame completes over the network
_ABANDON_AFTER = 3                  # Ctrl-C presses before the REPL stops waiting for a command


def history_path() -> str:
    """``$XDG_DATA_HOME/pshell/history``, by default ``~/.local/share/pshell/history``."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "pshell", "history")


def is_sensitive(line: str) -> bool:
    """Lines that look like they carry a secret are kept for this session only, never written to
    the history file (PSReadLine does the same)."""
    import re
    return re.search(r"password|passwd|asplaintext|token|apikey|api_key|secret", line, re.I) is not None


class SafeFileHistory(FileHistory):
    """A FileHistory that keeps sensitive lines in memory only."""

    def store_string(self, string: str) -> None:
        if not is_sensitive(string):
            super().store_string(string)


def open_history(path: Optional[str] = None) -> History:
    path = path or history_path()
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)
    except OSError as error:
        print(f"pshell: history is not saved: {error.strerror}: {directory}", file=sys.stderr)
        return InMemoryHistory()
    return SafeFileHistory(path)


def _in_thread(loop: asyncio.AbstractEventLoop, function: Callable[..., Any], *args: Any
               ) -> "asyncio.Future[Any]":
    """Run ``function`` in a daemon thread: one that hangs (a dead remote) never blocks exit."""
    future: "asyncio.Future[Any]" = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def work() -> None:
        try:
            result = function(*args)
        except BaseException as error:      # handed to the loop, re-raised there
            _call_soon(loop, settle, False, error)
        else:
            _call_soon(loop, settle, True, result)

    threading.Thread(target=work, name="pshell-execute", daemon=True).start()
    return future


def _call_soon(loop: asyncio.AbstractEventLoop, function: Callable[..., Any], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(function, *args)
    except RuntimeError:                    # the loop closed while the thread was working
        pass


class FrameCompleter(Completer):
    """Asks the top frame for completions, in a thread, with a timeout."""

    def __init__(self, shell: Any, timeout: float = COMPLETION_TIMEOUT) -> None:
        self.shell = shell
        self.timeout = timeout

    def get_completions(self, document: Document, complete_event: CompleteEvent
                        ) -> Iterable[Completion]:
        items = _safe_complete(self.shell.stack.top, document.text, document.cursor_position)
        return _to_prompt_toolkit(items, document.cursor_position)

    async def get_completions_async(self, document: Document, complete_event: CompleteEvent
                                    ) -> AsyncGenerator[Completion, None]:
        loop = asyncio.get_running_loop()
        job = _in_thread(loop, _safe_complete, self.shell.stack.top, document.text,
                         document.cursor_position)
        try:
            items = await asyncio.wait_for(job, self.timeout)
        except Exception:
            return
        for completion in _to_prompt_toolkit(items, document.cursor_position):
            yield completion


def _safe_complete(frame: Any, text: str, cursor: int) -> List[Any]:
    try:
        return list(frame.complete(text, cursor) or ())
    except Exception:
        return []


def _to_prompt_toolkit(items: Iterable[Any], cursor: int) -> List[Completion]:
    """Engine completions (objects, or dicts from the wire) as prompt_toolkit completions."""
    result = []
    for item in items:
        if isinstance(item, dict):
            text, start = item.get("text", ""), item.get("start", cursor)
            display, kind = item.get("display") or text, item.get("kind", "")
        else:
            text, start = getattr(item, "text", ""), getattr(item, "start", cursor)
            display, kind = getattr(item, "display", "") or text, getattr(item, "kind", "")
        if not isinstance(text, str) or not isinstance(start, int) or start > cursor:
            continue
        style = "class:completion.directory" if kind == "directory" else ""
        result.append(Completion(text, start_position=start - cursor, display=display, style=style))
    return result


class Repl:
    """The read-execute loop.  ``input``/``output`` are for tests (pipe input, captured output)."""

    def __init__(self, shell: Any, input: Optional[Input] = None, output: Optional[Output] = None,
                 history: Optional[History] = None) -> None:
        self.shell = shell
        self.input = input
        self.output = output
        self.history = history
        self.exit_code = 0
        self._running: Optional["asyncio.Future[Any]"] = None
        self._running_frame: Any = None
        self._interrupts = 0
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._pending_notices: List[str] = []
        self._options_version = -1

    # ---- the loop --------------------------------------------------------------------------
    def make_session(self) -> "PromptSession[str]":
        return PromptSession(
            lexer=PshellLexer(),
            completer=FrameCompleter(self.shell),
            complete_while_typing=False,
            history=self.history if self.history is not None else open_history(),
            key_bindings=build_key_bindings(),
            enable_open_in_editor=False,               # ours: edits without running (ui/keys.py)
            multiline=True,
            prompt_continuation=lambda width, line, wrap: [("class:prompt-continuation",
                                                            CONTINUATION_PROMPT)],
            style=pshell_style(),
            include_default_pygments_style=False,
            enable_history_search=False,
            auto_suggest=AutoSuggestFromHistory(),     # grey hint from history; Right accepts
            input=self.input,
            output=self.output,
        )

    async def run(self) -> int:
        self._loop = asyncio.get_running_loop()
        session = self.make_session()
        self._loop.call_later(0.2, _warm_up)
        with self._job_notices():
            return await self._loop_until_exit(session)

    async def _loop_until_exit(self, session: "PromptSession[str]") -> int:
        while True:
            self._flush_notices()
            try:
                text = await self._read(session)
            except KeyboardInterrupt:          # Ctrl-C at the prompt: a fresh line
                continue
            except EOFError:                   # Ctrl-D on an empty line: as if `exit` was typed
                depth = _stack_depth(self.shell.stack)
                if await self._execute("exit") or depth <= 1:
                    return self.exit_code
                continue
            if not text.strip():
                continue
            try:
                finished = await self._execute(text)
            except KeyboardInterrupt:
                continue
            if finished:
                return self.exit_code

    async def _read(self, session: "PromptSession[str]") -> str:
        self._apply_readline_options(session)
        with patch_stdout(raw=True):
            return await session.prompt_async(self._prompt_text())

    def _apply_readline_options(self, session: "PromptSession[str]") -> None:
        """What Set-PSReadLineOption/-KeyHandler changed since the last prompt (a profile, or the
        last command), applied to the prompt session."""
        host = getattr(self.shell, "host", None)
        options = getattr(host, "readline_options", None)
        if options is None or options.version == self._options_version:
            return
        self._options_version = options.version
        from prompt_toolkit.enums import EditingMode
        from prompt_toolkit.key_binding import merge_key_bindings
        from prompt_toolkit.styles import Style, merge_styles
        mode = str(options.get("EditMode", "Emacs")).lower()
        session.editing_mode = EditingMode.VI if mode == "vi" else EditingMode.EMACS
        prediction = str(options.get("PredictionSource", "History")).lower()
        session.auto_suggest = None if prediction == "none" else AutoSuggestFromHistory()
        session.key_bindings = merge_key_bindings([build_key_bindings(),
                                                   readline_key_bindings(options.handlers)])
        session.style = merge_styles([pshell_style(), Style(_color_rules(options.colors))])

    def _prompt_text(self) -> str:
        try:
            return str(self.shell.stack.top.prompt())
        except Exception:
            return "PS> "

    # ---- job notices ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _job_notices(self) -> Iterator[None]:
        """Route the host's finished-job notices through the REPL (above the prompt, or held
        back until the running command ends) while it runs."""
        host = getattr(self.shell, "host", None)
        if host is None or not hasattr(host, "job_notice") or host.job_notice is not None:
            yield
            return
        host.job_notice = self._on_job_finished
        try:
            yield
        finally:
            host.job_notice = None

    def _on_job_finished(self, job: Any) -> None:
        """Called from a job's thread."""
        try:
            from pshell.engine.jobs import job_notice
            text = job_notice(job)
        except Exception:
            text = f"[{getattr(job, 'Id', '?')}] {getattr(job, 'Name', '')} {getattr(job, 'State', '')}"
        if self._loop is not None:
            _call_soon(self._loop, self._show_notice, text)

    def _show_notice(self, text: str) -> None:
        self._pending_notices.append(text)
        if self._running is None:
            self._flush_notices()

    def _flush_notices(self) -> None:
        from prompt_toolkit import print_formatted_text
        while self._pending_notices:
            text = self._pending_notices.pop(0)
            if self.output is None:
                # while the prompt is up, sys.stdout is patch_stdout's proxy: it erases the
                # prompt, prints the line above it and draws the prompt (with its input) again
                sys.stdout.write(text + "\n")
                sys.stdout.flush()
            else:
                print_formatted_text(text, output=self.output)

    # ---- running a statement ----------------------------------------------------------------
    async def _execute(self, text: str) -> bool:
        """Run ``text`` in the top frame; True when the shell should end."""
        assert self._loop is not None
        frame = self.shell.stack.top
        self._running_frame = frame
        self._interrupts = 0
        accept = getattr(frame, "accept", None)
        if accept is not None:          # here, in the loop's thread, where Ctrl-C is taken
            accept()
        release = self._catch_sigint()
        self._running = _in_thread(self._loop, frame.execute, text, "<interactive>")
        try:
            result = await self._running
        except asyncio.CancelledError:         # abandoned after repeated Ctrl-C
            return False
        except BaseException as error:
            return self._handle_failure(error)
        finally:
            self._running = None
            self._running_frame = None
            release()
        return self._exit_requested(result)

    def _catch_sigint(self) -> Callable[[], None]:
        """While a command runs, SIGINT wakes the loop through its wakeup descriptor.  The kernel
        may hand the signal to another thread (the main thread blocks signals while it creates
        one, e.g. the command's): Python runs its handler only once the main thread runs, and
        the loop's main thread sleeps until something wakes it, so that Ctrl-C was lost."""
        loop = self._loop
        if loop is None or threading.current_thread() is not threading.main_thread():
            return lambda: None
        before = signal.getsignal(signal.SIGINT)
        try:
            loop.add_signal_handler(signal.SIGINT, self._interrupt)
        except (RuntimeError, ValueError, NotImplementedError):
            return lambda: None

        def release() -> None:
            loop.remove_signal_handler(signal.SIGINT)
            if before is not None:
                signal.signal(signal.SIGINT, before)
        return release

    def _exit_requested(self, result: Any) -> bool:
        """How the engine says `exit`: a truthy ``shell.exit_requested``, or an exception."""
        requested = getattr(self.shell, "exit_requested", False)
        if requested:
            code = getattr(self.shell, "exit_code", 0)
            self.exit_code = code if isinstance(code, int) else 0
            return True
        return False

    def _handle_failure(self, error: BaseException) -> bool:
        from pshell.engine.errors import ExitException
        if isinstance(error, (ExitException, SystemExit)):
            code = getattr(error, "code", 0)
            self.exit_code = code if isinstance(code, int) else 0
            return True
        if isinstance(error, KeyboardInterrupt):
            return False
        message = str(error) or type(error).__name__
        sys.stderr.write(f"pshell: internal error: {message}\n")
        if os.environ.get("PSHELL_DEBUG"):
            import traceback
            traceback.print_exception(type(error), error, error.__traceback__)
        sys.stderr.flush()
        return False

    # ---- Ctrl-C -------------------------------------------------------------------------------
    def on_sigint(self, signum: int = signal.SIGINT, frame_: Any = None) -> None:
        """SIGINT while a command runs (the terminal is in cooked mode then): stop the pipeline.
        The third press stops waiting for it and returns to the prompt."""
        loop = self._loop
        if loop is not None:
            _call_soon(loop, self._interrupt)

    def _interrupt(self) -> None:
        running, frame = self._running, self._running_frame
        if running is None or running.done():
            return
        self._interrupts += 1
        stopper = threading.Thread(target=_stop_frame, args=(frame,), daemon=True)
        stopper.start()
        if self._interrupts == 1:
            _write(sys.stdout, "\n")           # the terminal echoed ^C; the prompt starts below
        elif self._interrupts == 2:
            sys.stderr.write("\nStopping... press Ctrl-C again to return to the prompt now.\n")
            sys.stderr.flush()
        elif self._interrupts >= _ABANDON_AFTER:
            sys.stderr.write("\nThe command is still stopping in the background.\n")
            sys.stderr.flush()
            running.cancel()


def _color_rules(colors: Any) -> List[Any]:
    """-Colors values (a console colour name, or an escape sequence such as "`e[93m") as style
    rules for the token classes of ``ui/highlight.py``."""
    from pshell.engine.readline_options import COLOR_TOKENS
    from pshell.ui.highlight import KIND_CLASSES
    rules = []
    for token, value in colors.items():
        style = _style_of(str(value))
        kind = COLOR_TOKENS.get(token, "")
        if style is None or not kind:
            continue
        target = KIND_CLASSES.get(kind) or f"class:{kind}"
        rules.append((target.replace("class:", "", 1), style))
    return rules


_CONSOLE_COLORS = {"black": "ansiblack", "darkblue": "ansiblue", "darkgreen": "ansigreen",
                   "darkcyan": "ansicyan", "darkred": "ansired", "darkmagenta": "ansimagenta",
                   "darkyellow": "ansiyellow", "gray": "ansigray", "darkgray": "ansibrightblack",
                   "blue": "ansibrightblue", "green": "ansibrightgreen", "cyan": "ansibrightcyan",
                   "red": "ansibrightred", "magenta": "ansibrightmagenta", "yellow": "ansibrightyellow",
                   "white": "ansiwhite"}
_SGR_COLORS = ("ansiblack", "ansired", "ansigreen", "ansiyellow", "ansiblue", "ansimagenta", "ansicyan",
               "ansigray")


def _style_of(value: str) -> Optional[str]:
    import re
    named = _CONSOLE_COLORS.get(value.strip().lower())
    if named is not None:
        return named
    match = re.fullmatch(r"\x1b\[([0-9;]*)m", value)
    if match is None:
        return None
    parts = []
    for code in (int(c) for c in match.group(1).split(";") if c.isdigit()):
        if 30 <= code <= 37:
            parts.append(_SGR_COLORS[code - 30])
        elif 90 <= code <= 97:
            parts.append(_SGR_COLORS[code - 90].replace("ansi", "ansibright").replace("brightgray", "white"))
        elif 40 <= code <= 47:
            parts.append("bg:" + _SGR_COLORS[code - 40])
        elif code == 1:
            parts.append("bold")
        elif code == 4:
            parts.append("underline")
    return " ".join(parts) or None


def _write(stream: Any, text: str) -> None:
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def _warm_up() -> None:
    """Load the lexer and parser in the background once the first prompt is up, so the first
    keystroke and Enter don't pay for those imports.  (Not the cmdlet table: its loader is not
    safe to run beside a command that looks a cmdlet up.)"""
    def load() -> None:
        try:
            from pshell.lang.lex_display import tokenize_for_display
            tokenize_for_display("Get-Item -Path $x")
        except Exception:
            pass
    threading.Thread(target=load, name="pshell-warm-up", daemon=True).start()


def _stop_frame(frame: Any) -> None:
    try:
        frame.stop()
    except Exception:
        pass


def _stack_depth(stack: Any) -> int:
    for attr in ("depth", "__len__"):
        value = getattr(stack, attr, None)
        try:
            depth = value() if callable(value) else value
        except Exception:
            continue
        if isinstance(depth, int):
            return depth
    frames = getattr(stack, "frames", None)
    return len(frames) if frames is not None else 1


def run_repl(shell: Any, input: Optional[Input] = None, output: Optional[Output] = None,
             history: Optional[History] = None) -> int:
    """Run the interactive loop until ``exit`` or Ctrl-D; the shell's exit status."""
    repl = Repl(shell, input=input, output=output, history=history)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, repl.on_sigint) if in_main else None
    try:
        if input is None and output is None:
            # the default app session: a fresh one would leave patch_stdout's proxy writing
            # through the prompt line instead of above it
            return asyncio.run(repl.run())
        with create_app_session(input=input, output=output):
            return asyncio.run(repl.run())
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
