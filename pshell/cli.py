"""The ``pshell`` command: REPL, ``-c``/``-Command``, script files, piped stdin, ``--server``.

The start-up path imports only the engine: ``pshell -c 1`` must not pay for prompt_toolkit, rich,
pygments or asyncssh.  Every mode runs statements through the same session stack, so
``Enter-PSSession`` works from a script or from piped stdin as it does in the REPL.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

__all__ = ["main"]

USAGE = """\
Usage: pshell [options] [FILE [ARGS...]]
       pshell [options] -c COMMAND
       pshell [options] -File FILE [ARGS...]

Options (case-insensitive; unique prefixes work, as in pwsh):
  -c, -Command TEXT   run TEXT and exit ('-' reads commands from standard input)
  -File FILE [ARGS]   run a script file with arguments (also: pshell FILE.ps1 ARGS)
  -NoProfile          don't run ~/.config/pshell/profile.ps1
  -NoLogo             don't print the banner in the REPL
  -NonInteractive     never prompt (Read-Host and password prompts fail instead)
  --server            speak the remoting protocol on stdin/stdout (used over SSH)
  --version           print the version and exit
  -h, --help          print this help and exit

With no FILE or -c: the interactive REPL when standard input is a terminal, otherwise statements
are read from standard input and run one by one (a statement may span lines).
Exit status: the value given to `exit`, else 1 after an uncaught error or a parse error, else 0.
"""

_OPTIONS = ("command", "file", "noprofile", "nologo", "noninteractive", "help", "version",
            "server", "executionpolicy", "noexit", "inputformat", "outputformat")


class _Options:
    def __init__(self) -> None:
        self.command: Optional[str] = None
        self.file: Optional[str] = None
        self.args: List[str] = []
        self.no_profile = False
        self.no_logo = False
        self.non_interactive = False
        self.server = False


class UsageError(Exception):
    pass


def _option_name(arg: str) -> Optional[str]:
    if arg in ("-h", "-?", "/?"):
        return "help"
    if arg == "-c":
        return "command"
    if not arg.startswith("-") or arg == "-":
        return None
    name = arg.lstrip("-").lower()
    if not name:
        return None
    matches = [o for o in _OPTIONS if o.startswith(name)]
    if name in _OPTIONS:
        return name
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"unknown option '{arg}'")
    raise UsageError(f"option '{arg}' is ambiguous: {', '.join('-' + m for m in matches)}")


def parse_args(argv: List[str]) -> Tuple[_Options, Optional[str]]:
    opts = _Options()
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = _option_name(arg)
        if name is None:
            opts.file = arg
            opts.args = argv[i + 1:]
            break
        if name == "help":
            return opts, "help"
        if name == "version":
            return opts, "version"
        if name == "command":
            if i + 1 >= len(argv):
                raise UsageError("-Command needs a value")
            opts.command = " ".join(argv[i + 1:]) if argv[i + 1] != "-" else "-"
            break
        if name == "file":
            if i + 1 >= len(argv):
                raise UsageError("-File needs a file name")
            opts.file = argv[i + 1]
            opts.args = argv[i + 2:]
            break
        if name == "noprofile":
            opts.no_profile = True
        elif name == "nologo":
            opts.no_logo = True
        elif name == "noninteractive":
            opts.non_interactive = True
        elif name == "server":
            opts.server = True
        elif name in ("executionpolicy", "inputformat", "outputformat"):
            i += 1          # accepted for compatibility with pwsh command lines; no effect
        i += 1
    return opts, None


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("PSHELL_PYTHON", sys.executable)     # what $PSHOME/pwsh starts
    try:
        opts, action = parse_args(argv)
    except UsageError as exc:
        sys.stderr.write(f"pshell: {exc}\n\n{USAGE}")
        return 64
    if action == "help":
        sys.stdout.write(USAGE)
        return 0
    if action == "version":
        from pshell import __version__
        sys.stdout.write(f"pshell {__version__}\n")
        return 0
    if opts.server:
        from pshell.remote.server import main as server_main
        return server_main([])
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 6000))
    interactive = opts.command is None and opts.file is None and sys.stdin.isatty()
    # Start-up makes objects that live as long as the process (modules, the engine's tables):
    # no cycle collection while they are made, and none of them traversed by later collections
    # (gc.freeze).  Start-up ran ~10% of `pshell -c 1` in the collector.  The parser, the
    # compiler and what runs a block, which every mode needs for its first statement, are part
    # of it (imported later, they were two young collections of `-c 1`).
    import gc
    gc.disable()
    try:
        shell = _make_shell(interactive, opts)
        import pshell.engine.command_context  # noqa: F401
        import pshell.engine.compiler  # noqa: F401
        import pshell.engine.toplevel  # noqa: F401
        import pshell.lang.parser  # noqa: F401
        if not opts.no_profile:
            import pshell.engine.profile  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()
    global _SCRIPTED
    _SCRIPTED = not interactive         # -c, -File, stdin: run() may leave without the teardown
    try:
        return _run(shell, opts, interactive)
    except KeyboardInterrupt:
        return 130
    finally:
        try:
            if interactive:
                _announce_running_jobs(shell)
            shell.close()
        except KeyboardInterrupt:
            sys.stderr.write("pshell: left without waiting for the jobs to stop.\n")
        except Exception:
            pass
        from pshell.engine.events import write_event
        write_event("Engine state is changed from Available to Stopped.")
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass


# --------------------------------------------------------------------------- leaving

_SCRIPTED = False
_INHERITED: frozenset = frozenset()


def run() -> None:
    """The ``pshell`` command: :func:`main`, then leave.

    After a fan-out without the broker the interpreter's own teardown took ~25 ms of CPU (and
    more with more computers): no finaliser with Python code, but several full cycle collections
    over every object made after start-up's gc.freeze (asyncssh, its connections) and the
    freeing of ~400 modules.  A -c/-File/stdin run leaves with ``os._exit`` after the atexit
    handlers instead, when :func:`_nothing_to_lose` says it can; otherwise it exits as before."""
    global _INHERITED
    _INHERITED = _inherited_fds()
    code = main()
    if _SCRIPTED:
        _exit_now(code)
    sys.exit(code)


def _inherited_fds() -> frozenset:
    """The descriptors the process had from its parent (pshell never wraps them in a file
    object of its own); not the listing's own, closed by now."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return frozenset()
    kept = []
    for name in names:
        try:
            os.fstat(int(name))
        except (OSError, ValueError):
            continue
        kept.append(name)
    return frozenset(kept)


def _exit_now(code: int) -> None:
    """Run the atexit handlers and end the process, skipping the teardown; returns (and the
    caller exits normally) when something could be lost by that."""
    if not isinstance(code, int) or not _nothing_to_lose():
        return
    import atexit
    atexit._run_exitfuncs()
    if not _nothing_to_lose():              # a handler opened a file, or a flush failed
        return
    os._exit(code & 0xFF)               # as sys.exit(code) gives it to the parent


def _nothing_to_lose() -> bool:
    """Whether ending the process now leaves everything as the interpreter's teardown would:
    no thread but daemon ones runs (a normal exit waits for the others), standard output and
    error flush, and no file or pipe is open for writing but those the process inherited (pshell's writers
    close their files when their pipeline ends; a file still open would be flushed by its
    finaliser in the teardown, so then the teardown runs)."""
    threading = sys.modules.get("threading")
    if threading is not None:       # not imported: no thread was started (not imported for this:
        main_thread = threading.main_thread()       # ~0.6 ms of a `pshell -c` without threads)
        if any(t is not main_thread and not t.daemon and t.is_alive()
               for t in threading.enumerate()):
            return False
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            return False                    # the teardown reports it as it always did
    import stat
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return False
    for name in fds:
        fd = int(name)
        if fd <= 2 or name in _INHERITED:
            continue
        try:
            mode = os.fstat(fd).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
                continue                    # sockets (SSH, the broker) and directories
            with open(f"/proc/self/fdinfo/{fd}") as info:
                flags = _fd_flags(info.read())
        except (OSError, ValueError):
            continue                        # closed meanwhile (the listing's own fd)
        if flags & (os.O_WRONLY | os.O_RDWR):
            return False
    return True


def _fd_flags(fdinfo: str) -> int:
    for line in fdinfo.splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8)
    raise ValueError("no flags")


def _make_shell(interactive: bool, opts: _Options) -> Any:
    from pshell.engine.runtime import Runspace
    from pshell.engine.session_stack import Shell
    if (interactive or sys.stdout.isatty()) and not os.environ.get("NO_COLOR"):
        from pshell.ui.console import ConsoleHost
        host: Any = ConsoleHost()
    else:
        from pshell.engine.host import PlainHost
        host = PlainHost()
    runspace = Runspace(host=host)
    runspace.owns_process = True          # Switch-Process may replace pshell (only from here)
    runspace.non_interactive = opts.non_interactive or not sys.stdin.isatty()
    shell = Shell(runspace)
    host.location = None
    from pshell.engine.events import write_event
    mode = "Interactive" if interactive else ("Script" if opts.file else "Command")
    write_event(f"Engine state is changed from None to Available. HostName=ConsoleHost Mode={mode}")
    return shell


def _run(shell: Any, opts: _Options, interactive: bool) -> int:
    if not opts.no_profile:
        _run_profile(shell)
    if opts.command is not None:
        if opts.command == "-":
            return _run_stdin(shell)
        return _run_command(shell, opts.command)
    if opts.file is not None:
        return _run_file(shell, opts.file, opts.args)
    if interactive:
        from pshell.ui.repl import run_repl
        if not opts.no_logo:
            from pshell import __version__
            sys.stdout.write(f"pshell {__version__} - type Get-Help for help, exit to leave.\n")
        return run_repl(shell)
    return _run_stdin(shell)


def _announce_running_jobs(shell: Any) -> None:
    """Leaving the REPL stops the jobs still running: say which, so the wait is not a mystery
    (a remote -AsJob job is stopped on each of its computers)."""
    from pshell.engine.job_table import job_outlives_shell
    try:
        running = [job for job in shell.runspace.jobs.jobs() if not job.is_finished]
    except Exception:
        return
    kept = [job for job in running if job_outlives_shell(job)]
    if kept:
        names = ", ".join(f"[{job.Id}] {job.Name} on {job.Location}" for job in kept[:5])
        sys.stderr.write(f"pshell: leaving {names} running in {'its' if len(kept) == 1 else 'their'} "
                         f"session, Disconnected: Receive-PSSession picks the results up later.\n")
    running = [job for job in running if not job_outlives_shell(job)]
    if not running:
        sys.stderr.flush()
        return
    names = ", ".join(f"[{job.Id}] {job.Name} on {job.Location}" for job in running[:5])
    more = f" and {len(running) - 5} more" if len(running) > 5 else ""
    sys.stderr.write(f"pshell: stopping {len(running)} running job{'s' if len(running) != 1 else ''} "
                     f"before exiting: {names}{more}. Ctrl-C leaves without waiting.\n")
    sys.stderr.flush()


def _status(shell: Any, ok: bool) -> int:
    """`exit N`, else 1 after any terminating error that no catch handled (even one that only
    ended its statement) or a parse error, else 0."""
    if shell.exit_requested:
        return shell.exit_code
    return 0 if ok and not shell.runspace.uncaught_errors else 1


def _run_profile(shell: Any) -> None:
    """The profile scripts that exist, in pwsh's order (``engine/profile.py``)."""
    from pshell.engine.profile import profile_paths
    for path in profile_paths().in_load_order():
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read()
        except OSError as error:
            sys.stderr.write(f"pshell: cannot read the profile {path}: {error.strerror}\n")
            continue
        shell.run_text(text, path)


# --------------------------------------------------------------------------- statements

def _dispatch(shell: Any, unit: Any, statement: Any) -> bool:
    """One top-level statement, to whichever frame is on top of the stack now."""
    from pshell.engine.errors import ExitException
    frame = shell.stack.top
    try:
        if getattr(frame, "is_remote", False):
            span = statement.span
            result = frame.execute(unit.text[span.start:span.end], unit.source)
        else:
            result = frame.execute_unit(unit, [statement])
    except ExitException as exc:
        if getattr(frame, "is_remote", False):
            return True
        shell.exit_requested = True
        shell.exit_code = exc.code
        return True
    return result is not False


def _statements_of(unit: Any) -> Optional[List[Any]]:
    root = unit.root
    if root.param_block is not None or root.begin is not None or root.process is not None:
        return None
    return list(root.end.statements) if root.end is not None else []


def _run_command(shell: Any, text: str) -> int:
    """-c: statement by statement, each to the frame on top (after Enter-PSSession, the next
    statements run on that computer, as in a script or piped stdin)."""
    from pshell.engine.toplevel import parse_unit
    unit = parse_unit(shell.runspace, text, "<command line>")
    if unit is None:
        return 1
    statements = _statements_of(unit)
    if statements is None:
        return _status(shell, shell.run_text(text, "<command line>"))
    for statement in statements:
        if not _dispatch(shell, unit, statement):
            return _status(shell, False)
        if shell.exit_requested:
            return shell.exit_code
    return _status(shell, True)


def _run_file(shell: Any, path: str, args: List[str]) -> int:
    rs = shell.runspace
    full = rs.resolve_path(path)
    try:
        with open(full, encoding="utf-8-sig", errors="replace", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        sys.stderr.write(f"pshell: cannot run '{path}': {exc.strerror}\n")
        return 64 if not os.path.exists(full) else 1
    from pshell.engine.toplevel import parse_unit
    unit = parse_unit(rs, text, full)
    if unit is None:
        return 1
    g = rs.global_scope.vars
    g["psscriptroot"] = os.path.dirname(full)
    g["pscommandpath"] = full
    from pshell.engine.values import PSObject
    g["myinvocation"] = PSObject.from_pairs([
        ("MyCommand", PSObject.from_pairs([("Name", os.path.basename(full)), ("Path", full),
                                           ("Definition", full)])),
        ("InvocationName", path), ("PSScriptRoot", os.path.dirname(full)), ("PSCommandPath", full),
        ("ScriptName", full)])
    statements = _statements_of(unit)
    if statements is None:
        return _run_whole_script(shell, unit, full, args)
    g["args"] = [_cli_value(a) for a in args]
    for statement in statements:
        if not _dispatch(shell, unit, statement):
            return _status(shell, False)
        if shell.exit_requested:
            return shell.exit_code
    return _status(shell, True)


def _cli_value(text: str) -> Any:
    from pshell.engine.values import parse_number
    try:
        if text and (text[0].isdigit() or (text[0] in "+-" and text[1:2].isdigit())):
            return parse_number(text)
    except ValueError:
        pass
    return text


def _cli_arguments(args: List[str]) -> List[Tuple[Any, ...]]:
    from pshell.engine.rt import NOARG
    out: List[Tuple[Any, ...]] = []
    for arg in args:
        if arg.startswith("-") and len(arg) > 1 and not arg[1].isdigit():
            name = arg[1:]
            if ":" in name:
                name, value = name.split(":", 1)
                out.append(("p", name, _cli_value(value), -1))
            else:
                out.append(("p", name, NOARG, -1))
        else:
            out.append(("a", _cli_value(arg), True, -1))
    return out


def _run_whole_script(shell: Any, unit: Any, path: str, args: List[str]) -> int:
    """A script with param()/begin/process: bind the command-line arguments, run it whole."""
    from pshell.engine.errors import ExitException, RuntimeException
    from pshell.engine.pipeline import invoke_script_file
    from pshell.engine.toplevel import report_internal_error
    rs = shell.runspace
    frame = rs.new_frame(host_output=True, unit=unit)
    rs.exit_on_script_exit = True
    try:
        rs.host.write_objects(invoke_script_file(frame, path, _cli_arguments(args), None, None))
        return _status(shell, True)
    except ExitException as exc:
        return exc.code
    except RuntimeException as exc:
        rs.host.error(exc.record)
        return 1
    except Exception as exc:
        report_internal_error(rs, exc)
        return 1


def _has_top_level_trap(unit: Any) -> bool:
    from pshell.lang import ast as A
    statements = _statements_of(unit)
    return bool(statements) and any(isinstance(st, A.Trap) for st in statements or ())


def _run_stdin(shell: Any) -> int:
    """Read statements from standard input and run each as soon as it is complete."""
    from pshell.engine.compiler import Unit
    from pshell.lang.errors import ParseError
    failed = False
    buffer: List[str] = []
    line_no = 0
    stdin = sys.stdin
    while True:
        line = stdin.readline()
        at_eof = not line
        if not at_eof:
            line_no += 1
            buffer.append(line)
        text = "".join(buffer)
        if not text.strip():
            buffer = []
            if at_eof:
                break
            continue
        try:
            unit = Unit.from_text(text, "<stdin>")
            if not at_eof and _has_top_level_trap(unit):
                # a trap guards the statements after it: from here stdin is read whole and run
                # as one script, as a file would be
                rest = stdin.read()
                text, at_eof = text + rest, True
                unit = Unit.from_text(text, "<stdin>")
        except ParseError as exc:
            if exc.incomplete and not at_eof:
                continue
            shell.runspace.host.parse_error(exc)
            failed = True
            buffer = []
            if at_eof:
                break
            continue
        buffer = []
        statements = _statements_of(unit)
        if statements is None:
            ok = shell.run_text(text, "<stdin>")
            failed = failed or not ok
        else:
            for statement in statements:
                ok = _dispatch(shell, unit, statement)
                if shell.exit_requested:
                    return shell.exit_code
                if not ok:
                    failed = True
                    break
        if shell.exit_requested:
            return shell.exit_code
        if at_eof:
            break
    return 1 if failed else 0
