"""Running native (external) commands inside a pipeline.

A native command is a child process started with an argv list (never through a shell), in the
runspace's current location (the process's own cwd is shared by every runspace and job, so it is
never changed).  Its output joins the pipeline in one of three ways, chosen by the pipeline before
``run``:

- ``"lines"``: decoded text lines (UTF-8, undecodable bytes replaced), newline stripped;
- ``"bytes"``: raw ``bytes`` chunks, so native-to-native pipes and file redirections stay exact;
- ``"inherit"``: the child writes straight to the shell's own stdout/stderr (a terminal), so full
  screen programs and colours work.

Both pipes are read from the consumer's thread with a selector, so stderr lines become error
records on the caller's streams in order with the output, and nothing is written to the streams
from a foreign thread.  Upstream input is fed to the child's stdin from a helper thread.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading

from pshell.engine.cmdlet import Cmdlet
from pshell.engine.errors import ErrorRecord, PipelineStopped

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Mapping, Optional, Tuple

__all__ = ["find_executable", "NativeCommand", "NativeErrorRecord", "exit_code_of"]

_CHUNK = 65536
_RAW_CHUNK = 1 << 20  # bytes mode: a bigger pipe and reads (fewer chunks to pass on)
_GRACE = 0.3          # seconds between SIGTERM and SIGKILL when stopping
_POLL = 0.25          # how often a blocked read looks at the runspace's stop flag


def find_executable(name: str, location: str, environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The absolute path of the executable ``name`` would run, or None.

    A name containing ``/`` is a path, taken relative to ``location`` (the runspace's current
    directory); a bare name is looked up in the PATH of ``environ`` (the runspace's environment;
    the process's when None)."""
    if not name:
        return None
    env = os.environ if environ is None else environ
    if name.startswith("~"):
        name = _expand_home(name, env)
    if "/" in name:
        path = name if os.path.isabs(name) else os.path.join(location, name)
        return os.path.normpath(path) if _is_executable(path) else None
    for folder in _path_folders(env.get("PATH", os.defpath), location):
        candidate = os.path.join(folder, name)
        if _is_executable(candidate):
            return os.path.normpath(candidate)
    return None


def find_script_on_path(name: str, location: str,
                        environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The ``.ps1`` file a bare name runs from PATH (``deploy`` or ``deploy.ps1``), or None; a
    script needs no execute permission to run, as in PowerShell."""
    if not name or "/" in name or name.startswith("~"):
        return None
    file_name = name if name.lower().endswith(".ps1") else name + ".ps1"
    env = os.environ if environ is None else environ
    for folder in _path_folders(env.get("PATH", os.defpath), location):
        candidate = os.path.join(folder, file_name)
        if os.path.isfile(candidate):
            return os.path.normpath(candidate)
    return None


def _expand_home(name: str, env: Mapping[str, str]) -> str:
    home = env.get("HOME")
    if home and (name == "~" or name.startswith("~/")):
        return (home.rstrip("/") + name[1:]) or "/"
    return os.path.expanduser(name)


@functools.lru_cache(maxsize=32)
def _path_folders(path: str, location: str) -> Tuple[str, ...]:
    """The folders of a PATH value in search order, each absolute (an empty or relative entry is
    taken against ``location``).  Kept per value: runspaces with different PATHs stay cheap."""
    folders = []
    for folder in path.split(os.pathsep):
        folder = folder or "."
        folders.append(folder if os.path.isabs(folder) else os.path.join(location, folder))
    return tuple(folders)


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _argv0(path: str, environ: Optional[Mapping[str, str]] = None) -> str:
    folder, name = os.path.split(path)
    env = os.environ if environ is None else environ
    for entry in env.get("PATH", os.defpath).split(os.pathsep):
        if entry and os.path.isabs(entry) and os.path.normpath(entry) == folder:
            return name
    return path


def exit_code_of(returncode: int) -> int:
    """A process's exit status as PowerShell on Unix reports it: 128+N when killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


class NativeErrorRecord(ErrorRecord):
    """A line a native command wrote to stderr: shown as the program wrote it (pwsh 7.3+), with
    no command name or script position around it."""

    def render(self) -> str:
        prefix = f"[{self.computer_name}] " if self.computer_name else ""
        return prefix + self.message


class NativeCommand(Cmdlet):
    """An external program as a pipeline stage.  Not registered: the pipeline builds one when a
    command name resolves to an executable file."""

    def __init__(self, ctx: Any, path: str, args: List[str]) -> None:
        super().__init__(ctx)
        self.path = path
        self.args = [str(a) for a in args]
        self.name = os.path.basename(path)   # type: ignore[misc]  # shadows the class attribute
        self.stdout_mode = "lines"
        self.stdin_raw = False
        #: None: decide (inherit the shell's stdin only on the main thread with a terminal);
        #: True/False force it.  Ignored when there is upstream input.
        self.stdin_inherit: Optional[bool] = None
        #: argv[0] for the child; default: the bare name for a program found on $PATH (so its
        #: messages say ``ls:``, not ``/usr/bin/ls:``), else the path.
        self.argv0: Optional[str] = None
        self.exit_code: Optional[int] = None
        self._proc: Any = None
        self._stop_requested = False
        self._lock = threading.Lock()
        self._feeder: Optional[threading.Thread] = None
        self._feed_error: Optional[BaseException] = None

    # ---- running ---------------------------------------------------------------------
    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        proc = self._start(upstream is not None)
        completed = False
        try:
            if upstream is not None:
                self._feeder = threading.Thread(target=self._feed, args=(proc, upstream),
                                                name=f"stdin:{self.name}", daemon=True)
                self._feeder.start()
            if self.stdout_mode == "inherit":
                self._wait_inherited(proc)
            else:
                yield from self._pump(proc)
                self._wait_exit(proc)
            completed = True
        finally:
            if not completed:
                self._kill(proc)
            self._close_pipes(proc)
            if self._feeder is not None:
                self._feeder.join(1.0)
        if self._stop_requested or self._runspace_stopping():
            raise PipelineStopped()
        if self._feed_error is not None:
            raise self._feed_error
        self._finish(proc.returncode)

    def _start(self, has_input: bool) -> Any:
        import subprocess
        inherit = self.stdout_mode == "inherit"
        if has_input:
            stdin: Any = subprocess.PIPE
        elif self._should_inherit_stdin(inherit):
            stdin = None
        else:
            stdin = subprocess.DEVNULL
        out: Any = None if inherit else subprocess.PIPE
        runspace = self.ctx.runspace
        cwd = runspace.location
        # a copy: a thread job may change the shared dict while subprocess walks it
        env = dict(getattr(runspace, "environ", os.environ))
        try:
            proc = subprocess.Popen([self.argv0 or _argv0(self.path, env)] + self.args,
                                    executable=self.path, stdin=stdin, stdout=out, stderr=out,
                                    cwd=cwd, env=env, start_new_session=not inherit, close_fds=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if not os.path.isdir(cwd):
                reason = f"the working directory '{cwd}' does not exist"
            raise self.terminate(
                f"An error occurred trying to start process '{self.path}' with working "
                f"directory '{cwd}'. {reason}.".replace("..", "."),
                "NativeCommandFailed", "ResourceUnavailable", target=self.path) from None
        except ValueError:      # a NUL or an unencodable character (UnicodeEncodeError included)
            raise self.terminate(
                f"Cannot start process '{self.path}': an argument holds a NUL character or text "
                f"that cannot be passed to a program.", "NativeCommandFailed", "InvalidArgument",
                target=self.path) from None
        with self._lock:
            self._proc = proc
            stop_now = self._stop_requested
        if stop_now:
            self._kill(proc)
        return proc

    def _should_inherit_stdin(self, inherit: bool) -> bool:
        if self.stdin_inherit is not None:
            return self.stdin_inherit
        if inherit:
            return True
        if threading.current_thread() is not threading.main_thread():
            return False   # a job or a server thread: the shell's stdin is not ours to give away
        try:
            return sys.stdin is not None and sys.stdin.isatty()
        except (ValueError, OSError):
            return False

    def _pump(self, proc: Any) -> Iterator[Any]:
        """Yield stdout as it arrives; turn stderr lines into error records."""
        import selectors
        sel = selectors.DefaultSelector()
        try:
            sel.register(proc.stdout, selectors.EVENT_READ, "out")
            sel.register(proc.stderr, selectors.EVENT_READ, "err")
            pending = {"out": b"", "err": b""}
            as_bytes = self.stdout_mode == "bytes"
            out_size = _CHUNK
            if as_bytes and _grow_pipe(proc.stdout.fileno()):
                out_size = _RAW_CHUNK
            out_fd = proc.stdout.fileno()
            while sel.get_map():
                events = sel.select(_POLL)
                if not events:
                    if self._check_stop(proc):
                        return
                    continue
                for key, _ in events:
                    data = os.read(key.fd, out_size if key.fd == out_fd else _CHUNK)
                    stream = key.data
                    if not data:
                        sel.unregister(key.fileobj)
                        rest = pending[stream]
                        pending[stream] = b""
                        if rest:
                            if stream == "out" and as_bytes:
                                yield rest
                            else:
                                yield from self._emit_lines(stream, [rest])
                        continue
                    if stream == "out" and as_bytes:
                        yield data
                        continue
                    lines = (pending[stream] + data).split(b"\n")
                    pending[stream] = lines.pop()
                    if lines:
                        yield from self._emit_lines(stream, lines)
        finally:
            sel.close()

    def _emit_lines(self, stream: str, lines: List[bytes]) -> Iterator[str]:
        for raw in lines:
            text = raw.decode("utf-8", errors="replace")
            if text.endswith("\r"):
                text = text[:-1]
            if stream == "out":
                yield text
            else:
                self._write_stderr_line(text)

    def _write_stderr_line(self, text: str) -> None:
        record = NativeErrorRecord(text, "NativeCommandError", "NotSpecified", text,
                                   command=self.name,
                                   exception_type="System.Management.Automation.RemoteException")
        self.ctx.write_error(record)

    def _check_stop(self, proc: Any) -> bool:
        """On a quiet pipe: if a stop was asked for, make sure the child dies; True when the
        reading should end (the child is gone even if a grandchild still holds the pipe)."""
        if not (self._stop_requested or self._runspace_stopping()):
            return False
        self._kill(proc)
        return proc.poll() is not None

    def _wait_exit(self, proc: Any) -> None:
        while True:
            try:
                proc.wait(_POLL)
                return
            except Exception:   # subprocess.TimeoutExpired
                if self._check_stop(proc):
                    return

    def _wait_inherited(self, proc: Any) -> None:
        """The child owns the terminal; Ctrl-C reaches it directly.  Still honour stop()."""
        self._wait_exit(proc)

    def _finish(self, returncode: int) -> None:
        code = exit_code_of(returncode)
        self.exit_code = code
        runspace = self.ctx.runspace
        runspace.set_variable("LASTEXITCODE", code)
        set_success = getattr(self.ctx, "set_success", None)
        if set_success is not None:
            set_success(code == 0)
        if code == 0 and hasattr(runspace, "last_success"):
            # stderr lines are error records, but as in pwsh 7.2+ only the exit code decides $?
            runspace.last_success = True

    # ---- stdin -----------------------------------------------------------------------
    def _feed(self, proc: Any, upstream: Iterator[Any]) -> None:
        fd = proc.stdin.fileno()
        text = _InputText(getattr(getattr(self.ctx.runspace, "host", None), "width", None))
        try:
            for item in upstream:
                if self._stop_requested:
                    break
                if isinstance(item, (bytes, bytearray)):
                    data = bytes(item)
                else:
                    data = text.feed(item)
                if data and not _write_all(fd, data):
                    break
            else:
                data = text.flush()
                if data:
                    _write_all(fd, data)
        except Exception as exc:   # a terminating error upstream: re-raised by the consumer
            self._feed_error = exc
        finally:
            close = getattr(upstream, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass
            try:
                proc.stdin.close()
            except OSError:
                pass

    # ---- stopping --------------------------------------------------------------------
    def stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            proc = self._proc
        if proc is not None:
            self._kill(proc, wait=False)

    def _runspace_stopping(self) -> bool:
        try:
            return bool(self.ctx.runspace.stopping)
        except AttributeError:
            return False

    def _kill(self, proc: Any, wait: bool = True) -> None:
        """SIGTERM the child (its whole process group unless it shares ours), SIGKILL after a
        short grace period."""
        self._signal(proc, signal.SIGTERM)
        if wait:
            self._reap(proc)
        else:
            threading.Thread(target=self._reap, args=(proc,), daemon=True).start()

    def _reap(self, proc: Any) -> None:
        try:
            proc.wait(_GRACE)
        except Exception:   # TimeoutExpired
            self._signal(proc, signal.SIGKILL)
            try:
                proc.wait(_GRACE)
            except Exception:
                pass
        if self.stdout_mode != "inherit":
            # the leader is gone; anything left in its group still gets the KILL
            self._signal(proc, signal.SIGKILL)

    def _signal(self, proc: Any, sig: int) -> None:
        try:
            if self.stdout_mode == "inherit":
                if proc.poll() is None:
                    proc.send_signal(sig)
            else:
                os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def _close_pipes(self, proc: Any) -> None:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


def _grow_pipe(fd: int) -> bool:
    """Make a pipe hold ``_RAW_CHUNK`` bytes (Linux; best effort)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import fcntl
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _RAW_CHUNK)
        return True
    except (OSError, ImportError):
        return False


def _write_all(fd: int, data: bytes) -> bool:
    """Write everything; False when the reader has gone away."""
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except (BrokenPipeError, OSError):
        return False
    return True


class _InputText:
    """Objects as a native command's stdin sees them: strings and numbers one per line, other
    objects formatted as the console shows them (one table for a run of like objects, as
    pwsh's Out-String does), UTF-8."""

    def __init__(self, width: Any = None) -> None:
        self.width = width if isinstance(width, int) and width > 0 else 120
        self.formatter: Any = None

    def feed(self, item: Any) -> bytes:
        from pshell.engine.values import to_str
        if self.formatter is None:
            if item is None or isinstance(item, (str, int, float, bool)):
                return (to_str(item) + "\n").encode("utf-8", errors="surrogateescape")
            self.formatter = self._make_formatter()
            if self.formatter is None:
                return (to_str(item) + "\n").encode("utf-8", errors="surrogateescape")
        return self._lines(self.formatter.feed(item))

    def flush(self) -> bytes:
        if self.formatter is None:
            return b""
        return self._lines(self.formatter.flush())

    def _make_formatter(self) -> Any:
        try:
            from pshell.engine.format_render import make_out_default
        except ImportError:   # a bare engine without formatting
            return None
        return make_out_default(self.width, batch_seconds=None)

    @staticmethod
    def _lines(lines: List[str]) -> bytes:
        return "".join(line + "\n" for line in lines).encode("utf-8", errors="surrogateescape")
