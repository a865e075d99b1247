"""Redirection of a command's streams (``>``, ``>>``, ``2>&1``, ``*> $null``, ``> variable:x``):
:class:`_RedirectSink` merges non-output streams into the output, sends them to files
(:class:`~pshell.engine.filetarget.FileTarget`), discards them or passes them on."""

from __future__ import annotations

from pshell.engine.command_context import _Hidden
from pshell.engine.filetarget import FileTarget
from pshell.engine.runtime import _NOT_FOUND, Frame, Scope
from pshell.engine.streams import Streams
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Deque, Dict, Iterator, List, Optional, Tuple
    from pshell.engine.pipeline import _Stage
    from collections import deque
else:       # collections.deque itself, without collections/__init__.py (~1 ms with what it imports)
    from _collections import deque


def _redirect_encoding(frame: Frame) -> Any:
    """`> file` writes as Out-File does: $PSDefaultParameterValues['Out-File:Encoding'] (an
    encoding object or name) when set, else UTF-8 without a byte order mark (None)."""
    defaults = frame.scope.lookup("psdefaultparametervalues")
    if defaults is _NOT_FOUND or not hasattr(defaults, "items"):
        return None
    for key, value in defaults.items():
        if isinstance(key, str) and key.replace(" ", "").lower() == "out-file:encoding":
            from pshell.engine.dotnet_types import encoding_named
            try:
                encoding = encoding_named(value)
            except ValueError:
                return None
            return None if (encoding.codec, encoding.bom) == ("utf-8", b"") else encoding
    return None


class _RedirectSink(Streams):
    """The non-output streams of one redirected command: merged into its output, sent to files,
    discarded, or passed on to the enclosing frame's streams."""

    def __init__(self, frame: Frame, parent: Streams) -> None:
        self.frame = frame
        self.parent = parent
        self.merged: Deque[Any] = deque()
        self.routes: Dict[str, Any] = {}      # stream number -> 'merge' | 'null' | FileTarget
        self.output_target: Any = None        # None | 'null' | FileTarget

    @classmethod
    def make(cls, frame: Frame, redirs: Any) -> Optional["_RedirectSink"]:
        if not redirs:
            return None
        sink = cls(frame, frame.streams)
        for redir in redirs:
            kind = redir[0]
            if kind == "m":
                numbers: Tuple[str, ...] = ("2", "3", "4", "5", "6") if redir[1] == "*" \
                    else (redir[1],)
                for number in numbers:
                    sink.routes[number] = "merge"
            elif kind == "n":
                numbers = ("1", "2", "3", "4", "5", "6") if redir[1] == "*" else (redir[1],)
                for number in numbers:
                    if number == "1":
                        sink.output_target = "null"
                    else:
                        sink.routes[number] = "null"
            else:
                text = to_str(redir[2])
                target: FileTarget
                if text[:9].lower() == "variable:" and len(text) > 9:
                    target = _VariableTarget(frame, text[9:].lstrip("/\\"), redir[3])
                else:
                    target = FileTarget(frame.rs.resolve_path(text), redir[3],
                                        _redirect_encoding(frame))
                numbers = ("1", "2", "3", "4", "5", "6") if redir[1] == "*" else (redir[1],)
                for number in numbers:
                    if number == "1":
                        sink.output_target = target
                    else:
                        sink.routes[number] = target
        return sink

    def bytes_ok(self) -> bool:
        return type(self.output_target) is FileTarget and not any(
            route == "merge" for route in self.routes.values())

    def _route(self, number: str, record: Any, forward: Any) -> None:
        route = self.routes.get(number)
        if route is None:
            forward(record)
        elif route == "merge":
            if self.output_target is not None and not isinstance(self.output_target, str):
                self.output_target.write_object(record)
            elif self.output_target == "null":
                return
            else:
                self.merged.append(record)
        elif route == "null":
            return
        else:
            route.write_object(record)

    def error(self, record: Any) -> None:
        self._route("2", record, self.parent.error)

    def warning(self, record: Any) -> None:
        self._route("3", record, self.parent.warning)

    def verbose(self, record: Any) -> None:
        self._route("4", record, self.parent.verbose)

    def debug(self, record: Any) -> None:
        self._route("5", record, self.parent.debug)

    def information(self, record: Any) -> None:
        if isinstance(record, _Hidden):
            # hidden by $InformationPreference on the host, but a 6> redirection captures it
            if self.routes.get("6") is None:
                self.parent.information(record)  # type: ignore[arg-type]  # passed on wrapped
                return
            record = record.record
        self._route("6", record, self.parent.information)

    def progress(self, record: Any) -> None:
        self.parent.progress(record)

    def wrap(self, output: Iterator[Any], stage: _Stage) -> Iterator[Any]:
        target = self.output_target
        merged = self.merged
        try:
            if target is None:
                for item in output:
                    while merged:
                        yield merged.popleft()
                    yield item
                while merged:
                    yield merged.popleft()
            elif target == "null":
                for _ in output:
                    pass
            else:
                for item in output:
                    target.write_object(item)
        finally:
            # every file is closed (its held text written) even when one of them fails
            failure: Optional[BaseException] = None
            for route in list(self.routes.values()) + [target]:
                if isinstance(route, FileTarget):
                    try:
                        route.close()
                    except Exception as exc:
                        failure = failure or exc
            if failure is not None:
                raise failure


class _VariableTarget(FileTarget):
    """``> variable:name`` / ``>> variable:name``: the objects themselves (not their text) become
    the variable's value in the current scope (one object alone, several as an array); ``>>``
    adds them after what the variable holds."""

    def __init__(self, frame: Frame, name: str, append: bool) -> None:
        super().__init__("variable:" + name, append)
        self.frame, self.name = frame, name
        self.items: List[Any] = []

    def write_object(self, item: Any) -> None:
        self.items.append(item)

    def close(self) -> None:
        if self.opened:
            return
        self.opened = True
        key = self.name.lower()
        values = list(self.items)
        if self.append:
            scope: Optional[Scope] = self.frame.scope
            while scope is not None and key not in scope.vars:
                scope = scope.parent
            if scope is not None and scope.vars[key] is not None:
                old = scope.vars[key]
                values = (list(old) if isinstance(old, list) else [old]) + values
        self.frame.scope.vars[key] = values[0] if len(values) == 1 else (values or None)
