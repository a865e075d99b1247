"""The terminal host: the plain host's behaviour with colour (rich) and a live progress bar."""

from __future__ import annotations

import shutil
import sys
from typing import Any, Iterator

from pshell.engine.host import PlainHost, visible, writable

__all__ = ["ConsoleHost"]

_COLORS = {
    "black": "black", "darkblue": "blue", "darkgreen": "green", "darkcyan": "cyan", "darkred": "red",
    "darkmagenta": "magenta", "darkyellow": "yellow", "gray": "white", "darkgray": "bright_black",
    "blue": "bright_blue", "green": "bright_green", "cyan": "bright_cyan", "red": "bright_red",
    "magenta": "bright_magenta", "yellow": "bright_yellow", "white": "bright_white",
}


class ConsoleHost(PlainHost):
    is_terminal = True

    def __init__(self) -> None:
        super().__init__(None, None, shutil.get_terminal_size((120, 40)).columns)
        # no file given: rich writes to whatever sys.stdout/stderr is at the time, so the REPL's
        # patch_stdout keeps background output above the prompt
        self._console: Any = None
        self._err_console: Any = None
        self._progress: Any = None
        self._tasks: dict = {}

    # rich is imported on first use, not at start-up (the REPL's first prompt doesn't need it)
    @property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console
            self._console = Console(file=_SafeStream("stdout"),  # type: ignore[arg-type]
                                    highlight=False, soft_wrap=True)
        return self._console

    @property
    def err_console(self) -> Any:
        if self._err_console is None:
            from rich.console import Console
            self._err_console = Console(file=_SafeStream("stderr"),  # type: ignore[arg-type]
                                        highlight=False,
                                        soft_wrap=True)
        return self._err_console

    def formatter(self) -> Any:
        from pshell.ui.render import RichOutDefault
        return _RichFormatter(RichOutDefault(self.console, self.location, batch_seconds=None), self)

    def write_lines(self, lines: Any) -> None:
        pass   # the rich formatter has printed them already

    def _styled_err(self, text: str, style: str) -> None:
        with self.lock:
            self._end_progress()
            sys.stdout.flush()
            self.err_console.print(visible(text), style=style, markup=False, highlight=False,
                                   emoji=False)

    def error(self, record: Any) -> None:
        self._styled_err(record.render() if hasattr(record, "render") else str(record), "red")

    def warning(self, record: Any) -> None:
        self._styled_err(f"WARNING: {record.Message}", "yellow")

    def verbose(self, record: Any) -> None:
        self._styled_err(f"VERBOSE: {record.Message}", "yellow")

    def debug(self, record: Any) -> None:
        self._styled_err(f"DEBUG: {record.Message}", "yellow")

    def parse_error(self, error: Any) -> None:
        self._styled_err(error.render(), "red")

    def information(self, record: Any) -> None:
        if not hasattr(record, "MessageData"):
            return
        from pshell.engine.values import to_str
        text = to_str(record.MessageData)
        fg = _COLORS.get(str(getattr(record, "fg", "") or "").lower())
        bg = _COLORS.get(str(getattr(record, "bg", "") or "").lower())
        style = " ".join(filter(None, [fg, f"on {bg}" if bg else None])) or None
        with self.lock:
            self._end_progress()
            self.console.print(text, style=style, end="\n" if getattr(record, "newline", True) else "",
                               markup=False, highlight=False, emoji=False)

    def progress(self, record: Any) -> None:
        from rich.progress import Progress
        with self.lock:
            if record.RecordType == "Completed":
                task = self._tasks.pop(record.ActivityId, None)
                if task is not None and self._progress is not None:
                    self._progress.remove_task(task)
                if not self._tasks:
                    self._end_progress()
                return
            if self._progress is None:
                self._progress = Progress(console=self.err_console, transient=True)
                self._progress.start()
            description = visible(f"{record.Activity}: {record.StatusDescription}", False)
            task = self._tasks.get(record.ActivityId)
            total = 100 if record.PercentComplete >= 0 else None
            if task is None:
                task = self._progress.add_task(description, total=total)
                self._tasks[record.ActivityId] = task
            self._progress.update(task, description=description,
                                  completed=max(record.PercentComplete, 0), total=total)

    def _end_progress(self) -> None:
        if self._progress is not None:
            try:
                self._progress.stop()
            except Exception:
                pass
            self._progress = None
            self._tasks = {}

    def write_objects(self, iterator: Iterator[Any]) -> None:
        try:
            super().write_objects(iterator)
        finally:
            with self.lock:
                self._end_progress()


class _SafeStream:
    """``sys.stdout``/``sys.stderr`` as they are at each write (the REPL's patch_stdout swaps
    them), writing text the stream cannot encode - a lone surrogate - with replacement instead
    of failing the statement."""

    def __init__(self, name: str) -> None:
        self._name = name

    def write(self, text: str) -> int:
        stream = getattr(sys, self._name)
        try:
            return stream.write(text)
        except UnicodeEncodeError:
            return stream.write(writable(text, stream))

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(sys, self._name), name)


class _RichFormatter:
    """Output through rich.  A progress bar on the screen is taken away before rows are printed
    (the next progress record draws it again below them): rows that arrive while it is shown
    would otherwise be glued to the bar's line or interleaved with it."""

    def __init__(self, inner: Any, host: Any = None) -> None:
        self.inner = inner
        self.host = host

    def feed(self, obj: Any) -> list:
        with self._no_progress():
            self.inner.feed(obj)
        return []

    def flush(self) -> list:
        with self._no_progress():
            self.inner.flush()
        return []

    def _no_progress(self) -> Any:
        import contextlib
        host = self.host
        if host is None:
            return contextlib.nullcontext()
        lock = host.lock
        lock.acquire()
        host._end_progress()

        @contextlib.contextmanager
        def held() -> Iterator[None]:
            try:
                yield
            finally:
                lock.release()
        return held()
