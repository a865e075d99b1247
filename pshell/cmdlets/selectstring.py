"""Select-String: regular-expression search through pipeline strings and files (grep)."""

from __future__ import annotations

import os

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.dotnet_regex import GroupCollection
from pshell.engine.errors import RuntimeException
from pshell.engine.values import AutomationNull, get_property, to_str, type_names_of
from pshell.engine.wildcards import wildcard_match


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator, List, Optional, Tuple

class RegexGroup:
    ps_type_names: Tuple[str, ...] = ("System.Text.RegularExpressions.Group",)
    ps_properties: Tuple[str, ...] = ("Success", "Name", "Captures", "Index", "Length", "Value")

    def __init__(self, name: str, value: Optional[str], index: int) -> None:
        self.Name = name
        self.Success = value is not None
        self.Value = value or ""
        self.Index = index if value is not None else 0
        self.Length = len(self.Value)
        self.Captures = [self] if self.Success else []

    def ToString(self) -> str:
        return self.Value


class RegexMatch(RegexGroup):
    ps_type_names = ("System.Text.RegularExpressions.Match",)
    ps_properties = ("Groups", "Success", "Name", "Captures", "Index", "Length", "Value")

    def __init__(self, m: Any) -> None:
        super().__init__("0", m.group(0), m.start())
        groups = [RegexGroup("0", m.group(0), m.start())]
        names = {index: name for name, index in m.re.groupindex.items()}
        for index in range(1, (m.re.groups or 0) + 1):
            groups.append(RegexGroup(names.get(index, str(index)), m.group(index), m.start(index)))
        self.Groups = GroupCollection(groups)        # by number and by name


class MatchContext:
    ps_type_names = ("Microsoft.PowerShell.Commands.MatchInfoContext",)
    ps_properties = ("PreContext", "PostContext", "DisplayPreContext", "DisplayPostContext")

    def __init__(self, pre: List[str]) -> None:
        self.PreContext = list(pre)
        self.PostContext: List[str] = []

    @property
    def DisplayPreContext(self) -> List[str]:
        return self.PreContext

    @property
    def DisplayPostContext(self) -> List[str]:
        return self.PostContext


class MatchInfo:
    ps_type_names = ("Microsoft.PowerShell.Commands.MatchInfo",)
    ps_properties = ("IgnoreCase", "LineNumber", "Line", "Filename", "Path", "Pattern", "Context",
                     "Matches")

    def __init__(self, line: str, number: int, path: str, pattern: str, ignore_case: bool,
                 matches: List[RegexMatch], context: Optional[MatchContext]) -> None:
        self.Line = line
        self.LineNumber = number
        self.Path = path
        self.Pattern = pattern
        self.IgnoreCase = ignore_case
        self.Matches = matches
        self.Context = context
        self.base: Optional[str] = None    # the directory paths are shown relative to

    @property
    def Filename(self) -> str:
        return "InputStream" if self.Path == "InputStream" else os.path.basename(self.Path)

    def _prefix(self, location: Optional[str], number: int) -> str:
        if self.Path == "InputStream":
            return ""
        path = self.Path
        if location:
            base = location.rstrip("/") + "/"
            if path.startswith(base):
                path = path[len(base):]
        return f"{path}:{number}:"

    def _render(self, location: Optional[str]) -> str:
        if self.Context is None:
            return self._prefix(location, self.LineNumber) + self.Line
        lines = []
        first = self.LineNumber - len(self.Context.PreContext)
        for offset, text in enumerate(self.Context.PreContext):
            lines.append("  " + self._prefix(location, first + offset) + text)
        lines.append("> " + self._prefix(location, self.LineNumber) + self.Line)
        for offset, text in enumerate(self.Context.PostContext, start=1):
            lines.append("  " + self._prefix(location, self.LineNumber + offset) + text)
        return "\n".join(lines)

    def ToEmphasizedString(self, location: Optional[str] = None) -> str:
        return self._render(location or self.base)

    def ToString(self, location: Optional[str] = None) -> str:
        return self._render(location)

    def __str__(self) -> str:
        return self._render(None)


def _context_sizes(value: Any) -> Tuple[int, int]:
    if value is None:
        return 0, 0
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    numbers = [int(v) for v in items]
    if not numbers:
        return 0, 0
    if len(numbers) == 1:
        return numbers[0], numbers[0]
    return numbers[0], numbers[1]


class _Searcher:
    """Matches lines against the patterns and builds MatchInfo objects with their context."""

    def __init__(self, cmdlet: "SelectString") -> None:
        from pshell.engine.operators import regex
        import re
        self.cmdlet = cmdlet
        cs = bool(cmdlet.CaseSensitive)
        patterns = [to_str(p) for p in (cmdlet.Pattern or [])]
        self.patterns = patterns
        if cmdlet.SimpleMatch:
            flags = 0 if cs else re.IGNORECASE
            self.compiled = [re.compile(re.escape(p), flags) for p in patterns]
        else:
            self.compiled = []
            for text in patterns:
                try:
                    self.compiled.append(regex(text, cs))
                except RuntimeException as exc:
                    detail = exc.record.message.rsplit(": ", 1)[-1].rstrip(".")
                    raise cmdlet.terminate(f"The string {text} is not a valid regular expression: "
                                           f"{detail}.", "InvalidRegex", "InvalidArgument",
                                           text) from None
        self.ignore_case = not cs
        self.pre, self.post = _context_sizes(cmdlet.Context)

    def find(self, line: str) -> Tuple[Optional[str], List[RegexMatch]]:
        for text, pattern in zip(self.patterns, self.compiled):
            if self.cmdlet.AllMatches:
                found = [RegexMatch(m) for m in pattern.finditer(line)]
                if found:
                    return text, found
            else:
                m = pattern.search(line)
                if m is not None:
                    return text, [RegexMatch(m)]
        return None, []

    def search(self, lines: Iterable[Tuple[int, str]], path: str) -> Iterator[MatchInfo]:
        """Matching (or, with -NotMatch, non-matching) lines; a match is emitted once its
        post-context is complete, so the caller may stop early."""
        import collections
        pre_buffer: Any = collections.deque(maxlen=self.pre or None) if self.pre else None
        pending: Optional[MatchInfo] = None     # a match waiting for its post-context
        pending_post: List[str] = []            # that post-context (pending.Context.PostContext)
        use_context = bool(self.pre or self.post)
        not_match = bool(self.cmdlet.NotMatch)
        for number, line in lines:
            pattern, matches = self.find(line)
            hit = (pattern is None) if not_match else (pattern is not None)
            if pending is not None:
                if not hit and len(pending_post) < self.post:
                    pending_post.append(line)
                    if len(pending_post) >= self.post:
                        yield pending
                        pending = None
                    continue
                yield pending
                pending = None
            if not hit:
                if pre_buffer is not None:
                    pre_buffer.append(line)
                continue
            context = MatchContext(list(pre_buffer) if pre_buffer is not None else []) \
                if use_context else None
            if pre_buffer is not None:
                pre_buffer.clear()
            info = MatchInfo(line, number, path, pattern if pattern is not None else self.patterns[0],
                             self.ignore_case, [] if not_match else matches, context)
            info.base = self.cmdlet.runspace.location
            if self.post and context is not None:
                pending, pending_post = info, context.PostContext
            else:
                yield info
        if pending is not None:
            yield pending


def _read_lines(path: str) -> Iterator[Tuple[int, str]]:
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line.rstrip("\r\n")


@register
class SelectString(Cmdlet):
    name = "Select-String"
    synopsis = "Finds text in strings and files (like grep)."
    # Parameter sets are resolved here rather than by the binder: which of pipeline input,
    # -Path and -LiteralPath is in use is only known when the command runs.
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Pattern", "string[]", position=0, mandatory=True),
        Param("Path", "string[]", position=1),
        Param("LiteralPath", "string[]", aliases=("PSPath", "LP"), by_property=True),
        Param("Raw", "switch"),
        Param("SimpleMatch", "switch"),
        Param("CaseSensitive", "switch"),
        Param("Quiet", "switch"),
        Param("List", "switch"),
        Param("NoEmphasis", "switch"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("NotMatch", "switch"),
        Param("AllMatches", "switch"),
        Param("Encoding", "string"),
        Param("Context", "int[]"),
        Param("Culture", "string"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if not self.Pattern:
            raise self.terminate("Cannot bind argument to parameter 'Pattern' because it is an "
                                 "empty array.", "ParameterArgumentValidationErrorEmptyArrayNotAllowed",
                                 "InvalidData")
        self._searcher = _Searcher(self)
        for info in self._all(upstream):
            if self.Quiet:
                yield True
                return
            yield info.Line if self.Raw else info
        if self.Quiet:
            yield False

    def _all(self, upstream: Optional[Iterator[Any]]) -> Iterator[MatchInfo]:
        if self.Path or self.LiteralPath:
            yield from self._files(self.Path or [], self.LiteralPath or [])
            return
        if upstream is None:
            if not self.is_bound("InputObject"):
                raise self.terminate("Cannot process command because of one or more missing "
                                     "mandatory parameters: Path.", "MissingMandatoryParameter",
                                     "InvalidArgument")
            upstream = iter((self.InputObject,))
        yield from self._objects(upstream)

    def _objects(self, upstream: Iterator[Any]) -> Iterator[MatchInfo]:
        lines: List[Tuple[int, str]] = []

        def numbered() -> Iterator[Tuple[int, str]]:
            number = 0
            for item in upstream:
                if item is None or item is AutomationNull:
                    continue
                path = _file_path(item)
                if path is not None:
                    lines.append((0, path))
                    continue
                number += 1
                yield number, item if isinstance(item, str) else to_str(item)

        for info in self._searcher.search(numbered(), "InputStream"):
            yield info
            if self.List:
                return
        # FileInfo objects from Get-ChildItem are searched as files
        if lines:
            yield from self._files([], [path for _, path in lines])

    def _files(self, paths: List[str], literal: List[str]) -> Iterator[MatchInfo]:
        from pshell.cmdlets._paths import expand_paths
        wildcard_dirs = set()
        resolved = expand_paths(self, paths, literal, report_missing=False)
        for path in paths:
            if any(ch in path for ch in "*?["):
                wildcard_dirs.add(path)
        for path in resolved:
            if not self._included(path):
                continue
            if os.path.isdir(path):
                if not wildcard_dirs:
                    self.write_error(f"The file {path} cannot be read: Access to the path "
                                     f"'{path}' is denied.", "ProcessingFile", "PermissionDenied",
                                     path)
                continue
            if not os.path.exists(path):
                self.write_error(f"Cannot find path '{path}' because it does not exist.",
                                 "PathNotFound", "ObjectNotFound", path)
                continue
            try:
                for info in self._searcher.search(_read_lines(path), path):
                    yield info
                    if self.List:
                        break
            except OSError as exc:
                self.write_error(f"The file {path} cannot be read: {exc.strerror}.",
                                 "ProcessingFile", "ReadError", path)

    def _included(self, path: str) -> bool:
        name = os.path.basename(path)
        if self.Include and not any(wildcard_match(p, name) for p in self.Include):
            return False
        if self.Exclude and any(wildcard_match(p, name) for p in self.Exclude):
            return False
        return True


def _file_path(item: Any) -> Optional[str]:
    """A Get-ChildItem file object's path (searched as a file, as pwsh does)."""
    if isinstance(item, str):
        return None
    names = type_names_of(item)
    if not any(n.endswith("System.IO.FileInfo") for n in names):
        return None
    full = get_property(item, "FullName", None)
    return to_str(full) if full else None


__all__ = ["SelectString", "MatchInfo", "RegexMatch"]
