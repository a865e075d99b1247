"""Get-Process and Stop-Process, read from /proc.

A :class:`ProcessInfo` is read once when made (``Refresh()`` reads again); its properties use
.NET's names so scripts written for pwsh work: Id, ProcessName/Name, CPU (seconds), WorkingSet64/WS,
PagedMemorySize64/PM, VirtualMemorySize64/VM, StartTime, Path, CommandLine, SessionId/SI, Threads.
"""

from __future__ import annotations

import datetime as _dt
import os

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional

__all__ = ["ProcessInfo", "list_processes", "get_process"]

_PROC = "/proc"


def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return 100


def _boot_time() -> Optional[float]:
    try:
        with open(f"{_PROC}/stat") as handle:
            for line in handle:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


_BOOT: List[Optional[float]] = []


def boot_time() -> Optional[float]:
    if not _BOOT:
        _BOOT.append(_boot_time())
    return _BOOT[0]


class ProcessInfo:
    """A process as ``System.Diagnostics.Process`` shows it."""

    ps_type_names = ("System.Diagnostics.Process", "System.ComponentModel.Component",
                     "System.MarshalByRefObject")
    ps_properties = ("Name", "Id", "PriorityClass", "FileVersion", "HandleCount", "WorkingSet",
                     "PagedMemorySize", "PrivateMemorySize", "VirtualMemorySize", "TotalProcessorTime",
                     "SI", "Handles", "VM", "WS", "PM", "NPM", "Path", "CommandLine", "Parent",
                     "Company", "CPU", "ProductVersion", "Description", "Product",
                     "BasePriority", "ExitCode", "HasExited", "ExitTime", "MachineName",
                     "MaxWorkingSet", "MinWorkingSet", "NonpagedSystemMemorySize64",
                     "PagedMemorySize64", "PeakPagedMemorySize64", "PeakWorkingSet64",
                     "PeakVirtualMemorySize64", "PrivateMemorySize64", "ProcessName",
                     "SessionId", "StartTime", "Threads", "VirtualMemorySize64", "WorkingSet64")

    def __init__(self, pid: int) -> None:
        self.Id = pid
        self._status: Dict[str, str] = {}
        self._stat: List[str] = []
        self._comm = ""
        self.Refresh()

    def Refresh(self) -> None:
        """Read /proc/<pid> again (raises OSError when the process is gone)."""
        base = f"{_PROC}/{self.Id}"
        with open(f"{base}/stat", "rb") as handle:
            raw = handle.read().decode("utf-8", errors="replace")
        open_paren, close_paren = raw.find("("), raw.rfind(")")
        self._comm = raw[open_paren + 1:close_paren]
        self._stat = raw[close_paren + 2:].split()
        status: Dict[str, str] = {}
        try:
            with open(f"{base}/status", "rb") as handle:
                for line in handle.read().decode("utf-8", errors="replace").splitlines():
                    key, _, value = line.partition(":")
                    status[key] = value.strip()
        except OSError:
            pass
        self._status = status
        try:
            with open(f"{base}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
            self._argv = [a.decode("utf-8", errors="replace") for a in args if a]
        except OSError:
            self._argv = []

    # ---- names -----------------------------------------------------------------------
    @property
    def ProcessName(self) -> str:
        """/proc's name is cut at 15 characters; the executable's file name is used when it
        starts with those characters (as .NET does)."""
        name = self._status.get("Name", self._comm)
        if len(name) >= 15 and self._argv:
            candidate = os.path.basename(self._argv[0].split(" ")[0])
            if candidate.startswith(name):
                return candidate
        return name

    @property
    def Name(self) -> str:
        return self.ProcessName

    @property
    def Path(self) -> Optional[str]:
        try:
            return os.readlink(f"{_PROC}/{self.Id}/exe")
        except OSError:
            return None

    @property
    def MainModule(self) -> Any:
        from pshell.engine.proc_modules import main_module
        return main_module(self.Id, self.Path)

    @property
    def Modules(self) -> List[Any]:
        from pshell.engine.proc_modules import process_modules
        try:
            return list(process_modules(self.Id))
        except OSError:
            return []

    @property
    def CommandLine(self) -> str:
        return " ".join(self._argv)

    @property
    def MachineName(self) -> str:
        return "."

    @property
    def StartInfo(self) -> Any:
        return None

    # ---- numbers ----------------------------------------------------------------------
    def _stat_field(self, index: int) -> int:
        """Field N of /proc/<pid>/stat (1-based as in proc(5)); fields 1-2 are parsed apart."""
        try:
            return int(self._stat[index - 3])
        except (IndexError, ValueError):
            return 0

    def _kb(self, key: str) -> int:
        value = self._status.get(key, "0 kB").split()
        try:
            return int(value[0]) * 1024
        except (IndexError, ValueError):
            return 0

    @property
    def ParentProcessId(self) -> int:
        return self._stat_field(4)

    @property
    def Parent(self) -> Optional["ProcessInfo"]:
        ppid = self.ParentProcessId
        return get_process(ppid) if ppid > 0 else None

    @property
    def SessionId(self) -> int:
        return self._stat_field(6)

    @property
    def SI(self) -> int:
        return self.SessionId

    @property
    def CPU(self) -> float:
        ticks = self._stat_field(14) + self._stat_field(15)
        return round(ticks / _clock_ticks(), 2)

    @property
    def TotalProcessorTime(self) -> _dt.timedelta:
        return _dt.timedelta(seconds=(self._stat_field(14) + self._stat_field(15)) / _clock_ticks())

    @property
    def UserProcessorTime(self) -> _dt.timedelta:
        return _dt.timedelta(seconds=self._stat_field(14) / _clock_ticks())

    @property
    def PrivilegedProcessorTime(self) -> _dt.timedelta:
        return _dt.timedelta(seconds=self._stat_field(15) / _clock_ticks())

    @property
    def BasePriority(self) -> int:
        return self._stat_field(18)

    @property
    def PriorityClass(self) -> str:
        nice = self._stat_field(19)
        if nice < -10:
            return "RealTime" if nice <= -20 else "High"
        if nice < 0:
            return "AboveNormal"
        if nice == 0:
            return "Normal"
        return "BelowNormal" if nice < 10 else "Idle"

    @property
    def StartTime(self) -> Optional[_dt.datetime]:
        boot = boot_time()
        if boot is None:
            return None
        return _dt.datetime.fromtimestamp(boot + self._stat_field(22) / _clock_ticks())

    @property
    def WorkingSet64(self) -> int:
        return self._kb("VmRSS")

    WorkingSet = WorkingSet64
    WS = WorkingSet64

    @property
    def PeakWorkingSet64(self) -> int:
        return self._kb("VmHWM")

    @property
    def VirtualMemorySize64(self) -> int:
        return self._kb("VmSize")

    VirtualMemorySize = VirtualMemorySize64
    VM = VirtualMemorySize64

    @property
    def PeakVirtualMemorySize64(self) -> int:
        return self._kb("VmPeak")

    @property
    def PagedMemorySize64(self) -> int:
        return self._kb("VmSwap")

    PagedMemorySize = PagedMemorySize64
    PM = PagedMemorySize64

    @property
    def PeakPagedMemorySize64(self) -> int:
        return self._kb("VmSwap")

    @property
    def PrivateMemorySize64(self) -> int:
        return self._kb("VmData")

    PrivateMemorySize = PrivateMemorySize64

    @property
    def NonpagedSystemMemorySize64(self) -> int:
        return 0

    NPM = NonpagedSystemMemorySize64

    @property
    def MaxWorkingSet(self) -> int:
        return 0

    @property
    def MinWorkingSet(self) -> int:
        return 0

    @property
    def Threads(self) -> List[int]:
        try:
            return sorted(int(t) for t in os.listdir(f"{_PROC}/{self.Id}/task"))
        except OSError:
            return []

    @property
    def HandleCount(self) -> int:
        try:
            return len(os.listdir(f"{_PROC}/{self.Id}/fd"))
        except OSError:
            return 0

    Handles = HandleCount

    @property
    def HasExited(self) -> bool:
        return not os.path.exists(f"{_PROC}/{self.Id}") or self._status.get("State", "")[:1] == "Z"

    @property
    def Responding(self) -> bool:
        return True

    @property
    def UserName(self) -> Optional[str]:
        uid = self._status.get("Uid", "").split()
        if not uid:
            return None
        try:
            import pwd
            return pwd.getpwuid(int(uid[0])).pw_name
        except (KeyError, ValueError, ImportError):
            return uid[0]

    # empty on Linux, kept so scripts and views find them
    ExitCode = None
    ExitTime = None
    FileVersion = None
    Company = None
    ProductVersion = None
    Description = None
    Product = None

    # ---- methods -----------------------------------------------------------------------
    def Kill(self, entire_tree: Any = False) -> None:
        from pshell.engine.own_process import kill
        if entire_tree:
            for child in list_processes():
                if child.ParentProcessId == self.Id:
                    try:
                        child.Kill(True)
                    except OSError:
                        pass
        kill(self.Id)

    def WaitForExit(self, milliseconds: Any = None) -> bool:
        import time
        deadline = None if milliseconds is None else time.monotonic() + int(milliseconds) / 1000
        while os.path.exists(f"{_PROC}/{self.Id}") and not _is_zombie(self.Id):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def ToString(self) -> str:
        return f"System.Diagnostics.Process ({self.ProcessName})"

    def __repr__(self) -> str:
        return f"ProcessInfo({self.Id}, {self.ProcessName!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProcessInfo) and other.Id == self.Id

    def __hash__(self) -> int:
        return hash(self.Id)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as handle:
            raw = handle.read()
        return raw[raw.rfind(b")") + 2:][:1] == b"Z"
    except OSError:
        return True


def get_process(pid: int) -> Optional[ProcessInfo]:
    try:
        return ProcessInfo(pid)
    except (OSError, ValueError):
        return None


def list_processes() -> List[ProcessInfo]:
    out: List[ProcessInfo] = []
    try:
        names = os.listdir(_PROC)
    except OSError:
        return out
    for name in names:
        if name.isdigit():
            proc = get_process(int(name))
            if proc is not None:
                out.append(proc)
    return out


def _sorted(procs: List[ProcessInfo]) -> List[ProcessInfo]:
    return sorted(procs, key=lambda p: (p.ProcessName.lower(), p.Id))


# --------------------------------------------------------------------------- cmdlets

def _mandatory(name: str, kind: str) -> Any:
    """A mandatory parameter's type: null is refused when binding, as pwsh does."""
    from pshell.engine.binder import _convert_scalar, _error

    def convert(value: Any) -> Any:
        if value is None:
            raise _error(None, f"Cannot bind argument to parameter '{name}' because it is null.",
                         "ParameterArgumentValidationErrorNullNotAllowed", category="InvalidData")
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        return [_convert_scalar(kind[:-2], item) for item in items]
    convert.type_label = "System.Int32[]" if kind == "int[]" else "System.Object[]"  # type: ignore[attr-defined]
    return convert


@register
class GetProcess(Cmdlet):
    name = "Get-Process"
    synopsis = "Gets the processes running on this computer."
    default_set = "Name"
    params = (
        Param("Name", "string[]", position=0, by_property=True, aliases=("ProcessName",),
              sets=("Name", "NameWithUserName")),
        Param("Id", _mandatory("Id", "int[]"), mandatory=("Id", "IdWithUserName"), by_property=True,
              aliases=("PID",), sets=("Id", "IdWithUserName")),
        Param("InputObject", _mandatory("InputObject", "object[]"), pipeline=True,
              mandatory=("InputObject",), sets=("InputObject",)),
        Param("IncludeUserName", "switch"),
        Param("Module", "switch"),
        Param("FileVersionInfo", "switch", aliases=("FV", "FVI")),
    )

    def process(self) -> Iterator[Any]:
        if not (self.Module or self.FileVersionInfo):
            yield from self._processes()
            return
        for proc in self._processes():
            if self.Module:
                from pshell.engine.proc_modules import process_modules
                try:
                    yield from process_modules(proc.Id)
                except OSError as exc:
                    self.write_error(self.error_record(
                        f"Cannot enumerate the modules of the \"{proc.ProcessName}\" process: "
                        f"{exc.strerror or exc}.", "CouldNotEnumerateModules", "PermissionDenied",
                        target=proc))
            if self.FileVersionInfo:
                from pshell.engine.proc_modules import FileVersionInfo
                path = proc.Path
                if path:
                    yield FileVersionInfo(path)
                else:
                    self.write_error(self.error_record(
                        f"Cannot enumerate the file version information of the "
                        f"\"{proc.ProcessName}\" process: its program file cannot be read.",
                        "CouldNotEnumerateFileVer", "PermissionDenied", target=proc))

    def _processes(self) -> Iterator[Any]:
        if self.InputObject is not None:
            for obj in self.InputObject:
                if isinstance(obj, ProcessInfo):
                    obj.Refresh()
                    yield obj
            return
        if self.Id is not None:
            for pid in self.Id:
                proc = get_process(int(pid))
                if proc is None:
                    self.write_error(self.error_record(
                        f"Cannot find a process with the process identifier {pid}.",
                        "NoProcessFoundForGivenId", "ObjectNotFound", target=pid))
                    continue
                yield proc
            return
        procs = _sorted(list_processes())
        if self.Name is None:
            yield from procs
            return
        seen = set()
        for pattern in self.Name:
            pattern = to_str(pattern)
            found = [p for p in procs if wildcard_match(pattern, p.ProcessName)]
            if not found and not has_wildcards(pattern):
                self.write_error(self.error_record(
                    f'Cannot find a process with the name "{pattern}". Verify the process name '
                    f'and call the cmdlet again.', "NoProcessFoundForGivenName", "ObjectNotFound",
                    target=pattern))
            for proc in found:
                if proc.Id not in seen:
                    seen.add(proc.Id)
                    yield proc


@register
class StopProcess(Cmdlet):
    name = "Stop-Process"
    synopsis = "Stops one or more running processes."
    default_set = "Id"
    params = (
        Param("Id", "int[]", position=0, mandatory=("Id",), by_property=True, sets=("Id",)),
        Param("Name", "string[]", mandatory=("Name",), by_property=True, aliases=("ProcessName",),
              sets=("Name",)),
        Param("InputObject", "object[]", pipeline=True, mandatory=("InputObject",),
              sets=("InputObject",)),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        Param("WhatIf", "switch", aliases=("wi",)),
        Param("Confirm", "switch", aliases=("cf",)),
    )

    def process(self) -> Iterator[Any]:
        for proc in self._targets():
            if self._stop(proc) and self.PassThru:
                yield proc

    def _targets(self) -> Iterator[ProcessInfo]:
        if self.InputObject is not None:
            for obj in self.InputObject:
                if isinstance(obj, ProcessInfo):
                    yield obj
                elif isinstance(obj, int) or to_str(obj).isdigit():
                    found = self._by_id(int(to_str(obj)))
                    if found is not None:
                        yield found
                else:
                    pid = _pid_of(obj)
                    found = self._by_id(pid) if pid is not None else None
                    if found is not None:
                        yield found
                    elif pid is None:
                        self.write_error(self.error_record(
                            f"Cannot stop '{to_str(obj)}': it is not a process.",
                            "InvalidInputObject", "InvalidArgument", target=obj))
            return
        if self.Id is not None:
            for pid in self.Id:
                found = self._by_id(int(pid))
                if found is not None:
                    yield found
            return
        procs = _sorted(list_processes())
        for pattern in self.Name or []:
            pattern = to_str(pattern)
            named = [p for p in procs if wildcard_match(pattern, p.ProcessName)]
            if not named and not has_wildcards(pattern):
                self.write_error(self.error_record(
                    f'Cannot find a process with the name "{pattern}". Verify the process name '
                    f'and call the cmdlet again.', "NoProcessFoundForGivenName", "ObjectNotFound",
                    target=pattern))
            yield from named

    def _by_id(self, pid: int) -> Optional[ProcessInfo]:
        proc = get_process(pid)
        if proc is None:
            self.write_error(self.error_record(
                f"Cannot find a process with the process identifier {pid}.",
                "NoProcessFoundForGivenId", "ObjectNotFound", target=pid))
        return proc

    def _stop(self, proc: ProcessInfo) -> bool:
        from pshell.engine.own_process import kill
        if self.WhatIf:
            self.write_host(f'What if: Performing the operation "Stop-Process" on target '
                            f'"{proc.ProcessName} ({proc.Id})".')
            return False
        try:
            kill(proc.Id)       # this process: what it has not written yet goes out first
        except ProcessLookupError:
            return True
        except OSError as exc:
            reason = "Operation not permitted" if isinstance(exc, PermissionError) else \
                (exc.strerror or str(exc))
            self.write_error(self.error_record(
                f'Cannot stop process "{proc.ProcessName} ({proc.Id})" because of the following '
                f'error: {reason}', "CouldNotStopProcess", "CloseError", target=proc))
            return False
        return True


def _pid_of(obj: Any) -> Optional[int]:
    from pshell.engine.values import NO_PROPERTY, get_property
    value = get_property(obj, "Id", None)
    if value is None or value is NO_PROPERTY:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- views

def _mb(value: Any) -> str:
    return f"{(value or 0) / 1048576:.2f}"


def _register_views() -> None:
    try:
        from pshell.engine.format import register_view
    except ImportError:
        return
    register_view("System.Diagnostics.Process", "table", [
        ("NPM(K)", lambda p: str(int((p.NPM or 0) / 1024)), 7, "right"),
        ("PM(M)", lambda p: _mb(p.PM), 8, "right"),
        ("WS(M)", lambda p: _mb(p.WS), 10, "right"),
        ("CPU(s)", lambda p: f"{p.CPU:.2f}" if p.CPU is not None else "", 10, "right"),
        ("Id", "Id", 7, "right"),
        ("SI", "SI", 5, "right"),
        ("ProcessName", "ProcessName", 0, "left"),
    ])
    register_view("System.Diagnostics.Process", "list", [
        "Id", "Handles", "CPU", "SI", "Name"])


_register_views()


# --------------------------------------------------------------------------- Start-Process

class StartedProcess(ProcessInfo):
    """A process Start-Process started: its exit code is known once it ends."""

    def __init__(self, popen: Any) -> None:
        self._popen = popen
        super().__init__(popen.pid)

    @property
    def ExitCode(self) -> Optional[int]:          # type: ignore[override]
        return self._popen.poll()

    @property
    def HasExited(self) -> bool:
        return self._popen.poll() is not None

    def WaitForExit(self, milliseconds: Any = None) -> bool:
        import subprocess
        try:
            self._popen.wait(None if milliseconds is None else int(milliseconds) / 1000)
        except subprocess.TimeoutExpired:
            return False
        return True


@register
class StartProcess(Cmdlet):
    name = "Start-Process"
    synopsis = ("Starts a program in the background (or waits with -Wait), optionally redirecting its "
                "input and output to files.")
    params = (
        Param("FilePath", "string", position=0, mandatory=True, aliases=("PSPath", "Path")),
        Param("ArgumentList", "string[]", position=1, aliases=("Args",)),
        Param("WorkingDirectory", "string"),
        Param("PassThru", "switch"),
        Param("Wait", "switch"),
        Param("NoNewWindow", "switch", aliases=("nnw",)),
        Param("RedirectStandardInput", "string", aliases=("RSI",)),
        Param("RedirectStandardOutput", "string", aliases=("RSO",)),
        Param("RedirectStandardError", "string", aliases=("RSE",)),
        Param("UseNewEnvironment", "switch"),
        Param("Environment", "hashtable"),
        Param("Verb", "string"),
        Param("WindowStyle", "string"),
        Param("LoadUserProfile", "switch", aliases=("Lup",)),
        Param("Credential", "object"),
        Param("WhatIf", "switch", aliases=("wi",)),
        Param("Confirm", "switch", aliases=("cf",)),
    )

    def process(self) -> Iterator[Any]:
        import shlex
        import shutil
        import subprocess
        for unsupported in ("Verb", "WindowStyle", "Credential", "LoadUserProfile"):
            if self.is_bound(unsupported):
                raise self.terminate(f"The parameter -{unsupported} is not supported on Linux.",
                                     "NotSupportedException", "InvalidOperation")
        rs = self.runspace
        program = self.FilePath
        if not program:
            raise self.terminate("Cannot bind argument to parameter 'FilePath' because it is null or empty.",
                                 "ParameterArgumentValidationErrorNullNotAllowed", "InvalidData")
        if "/" in program or program.startswith("."):
            program = rs.resolve_path(program)
        else:
            found = shutil.which(program, path=rs.environ.get("PATH"))
            if found is None:
                raise self.terminate(f"This command cannot be run due to the error: cannot find the "
                                     f"program '{program}'.", "InvalidOperationException",
                                     "InvalidOperation", program)
            program = found
        args: List[str] = []
        if self.ArgumentList:
            try:
                args = shlex.split(" ".join(a for a in self.ArgumentList if a is not None))
            except ValueError as exc:
                raise self.terminate(f"Cannot split the argument list: {exc}.", "InvalidArgument",
                                     "InvalidArgument") from None
        cwd = rs.resolve_path(self.WorkingDirectory) if self.WorkingDirectory else rs.location
        if not os.path.isdir(cwd):
            raise self.terminate(f"This command cannot be run because the working directory '{cwd}' "
                                 f"does not exist.", "DirectoryNotFoundException", "InvalidOperation", cwd)
        if self.RedirectStandardOutput and self.RedirectStandardError and \
                rs.resolve_path(self.RedirectStandardOutput) == rs.resolve_path(self.RedirectStandardError):
            raise self.terminate("This command cannot be run because \"RedirectStandardOutput\" and "
                                 "\"RedirectStandardError\" are the same file. Give different files.",
                                 "DuplicateEntry", "InvalidOperation")
        target = " ".join([program] + args)
        if self.WhatIf or rs.get_variable("WhatIfPreference"):
            self.ctx.write_host(f'What if: Performing the operation "Start-Process" on target "{target}".')
            return
        env = {} if self.UseNewEnvironment else dict(rs.environ)
        if self.UseNewEnvironment:
            for key in ("HOME", "USER", "LOGNAME", "PATH", "SHELL"):
                if key in os.environ:
                    env[key] = os.environ[key]
        for key, value in (self.Environment or {}).items():
            if value is None:
                env.pop(to_str(key), None)
            else:
                env[to_str(key)] = to_str(value)
        files: List[Any] = []
        try:
            stdin = self._open(self.RedirectStandardInput, "rb", files) if self.RedirectStandardInput \
                else subprocess.DEVNULL if not self.NoNewWindow else None
            stdout = self._open(self.RedirectStandardOutput, "wb", files) \
                if self.RedirectStandardOutput else None
            stderr = self._open(self.RedirectStandardError, "wb", files) \
                if self.RedirectStandardError else None
            popen = subprocess.Popen([program] + args, cwd=cwd, env=env, stdin=stdin, stdout=stdout,
                                     stderr=stderr, start_new_session=not self.NoNewWindow)
        except OSError as exc:
            raise self.terminate(f"This command cannot be run due to the error: {exc.strerror or exc}.",
                                 "InvalidOperationException", "InvalidOperation", program) from None
        finally:
            for handle in files:
                handle.close()
        started = StartedProcess(popen)
        if self.Wait:
            while popen.poll() is None:
                if rs.stopping:
                    break
                try:
                    popen.wait(0.1)
                except subprocess.TimeoutExpired:
                    pass
        if self.PassThru:
            yield started

    def _open(self, path: str, mode: str, files: List[Any]) -> Any:
        full = self.runspace.resolve_path(path)
        try:
            handle = open(full, mode)
        except OSError as exc:
            raise self.terminate(f"Cannot open '{full}' for the redirection: {exc.strerror}.",
                                 "FileOpenFailure", "OpenError", full) from None
        files.append(handle)
        return handle
