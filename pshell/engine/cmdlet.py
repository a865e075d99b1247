"""One interface for every cmdlet; parameters declared as data; a registry built in one place.

A cmdlet is a class::

    class GetGreeting(Cmdlet):
        name = "Get-Greeting"
        synopsis = "Greets someone."
        params = (
            Param("Name", "string", position=0, mandatory=True, pipeline=True),
            Param("Shout", "switch"),
        )

        def process(self):
            text = f"Hello {self.Name}"
            yield text.upper() if self.Shout else text

The binder (``engine/binder.py``) sets each parameter as an attribute named exactly as declared
(``self.Name``), defaults first (``None``; ``False`` for switches; ``Param.default`` if given).
``begin``/``process``/``end`` may be generators (their items are the command's output) or plain
methods returning ``None``.  ``process`` runs once per pipeline input object, after the object was
bound to the parameters that take pipeline input; when the command is first in its pipeline it runs
once with nothing bound from the pipeline.  A cmdlet that needs the raw input iterator (to stop
early, or for speed) overrides :meth:`Cmdlet.run` instead.

Non-output streams go through ``self.write_error/warning/verbose/debug/information/progress`` and
``self.write_host``; they honour ``-ErrorAction``, ``$ErrorActionPreference`` and friends.
A terminating error is ``raise self.terminate(...)``.
"""

from __future__ import annotations

import _thread
import sys

from pshell.engine.errors import ErrorRecord, RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import (Any, Callable, ClassVar, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple,
                        Type, Union)
    from pshell.engine.command_context import CommandContext
    from pshell.engine.runtime import Runspace

__all__ = ["Param", "Cmdlet", "register", "lookup_cmdlet", "all_cmdlets", "COMMON_PARAMETERS",
           "enum_type"]


class Param:
    """One parameter of a cmdlet, as data (immutable by convention; a plain slotted class, not a
    dataclass: importing ``dataclasses`` pulls in ``inspect``, a tenth of pshell's start-up).

    ``type`` names the conversion the binder applies: 'object' (none), 'string', 'int', 'long',
    'double', 'bool', 'switch', 'scriptblock', 'hashtable', 'datetime', 'psobject', 'timespan',
    each with a '[]' suffix for arrays ('string[]' wraps a scalar into a one-element list), or a
    callable ``f(value) -> value`` raising ValueError with a message.

    ``mandatory``: True (in every set the parameter belongs to) or a tuple of set names.
    ``sets``: the parameter sets it belongs to; empty means all sets.
    ``pipeline``: ValueFromPipeline; ``by_property``: ValueFromPipelineByPropertyName.
    ``remaining``: ValueFromRemainingArguments.
    """

    __slots__ = ("name", "type", "position", "mandatory", "aliases", "pipeline", "by_property",
                 "sets", "remaining", "default", "validate_set", "help")

    def __init__(self, name: str, type: Union[str, Callable[[Any], Any]] = "object",
                 position: Optional[int] = None, mandatory: Union[bool, Tuple[str, ...]] = False,
                 aliases: Tuple[str, ...] = (), pipeline: bool = False,
                 by_property: bool = False, sets: Tuple[str, ...] = (), remaining: bool = False,
                 default: Any = None, validate_set: Optional[Tuple[str, ...]] = None,
                 help: str = "") -> None:
        self.name = name
        self.type = type
        self.position = position
        self.mandatory = mandatory
        self.aliases = aliases
        self.pipeline = pipeline
        self.by_property = by_property
        self.sets = sets
        self.remaining = remaining
        self.default = default
        self.validate_set = validate_set
        self.help = help

    def _key(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, slot) for slot in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(other) is Param and self.name == other.name and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Param({self.name!r}, {self.type!r})"

    @property
    def is_switch(self) -> bool:
        return self.type == "switch"

    def mandatory_in(self, set_name: str) -> bool:
        if self.mandatory is True:
            return True
        if not self.mandatory:
            return False
        return set_name in self.mandatory

    def in_set(self, set_name: str) -> bool:
        return not self.sets or set_name in self.sets


def enum_type(type_name: str, names: Sequence[str]) -> Callable[[Any], str]:
    """A ``Param.type`` for a .NET enum such as ``System.ConsoleColor``: the value as one of
    ``names`` (matched in any case, returned as spelled there), or pwsh's conversion error listing
    them."""
    lowered = {name.lower(): name for name in names}

    def convert(value: Any) -> str:
        text = to_str(value).strip()
        found = lowered.get(text.lower())
        if found is None:
            raise ValueError(f'Cannot convert value "{text}" to type "{type_name}". Error: "Unable '
                             f'to match the identifier name {text} to a valid enumerator name. '
                             f'Specify one of the following enumerator names and try again:\n'
                             f'{", ".join(names)}"')
        return found
    convert.type_label = type_name.rsplit(".", 1)[-1]  # type: ignore[attr-defined]  # for help
    convert.choices = tuple(names)  # type: ignore[attr-defined]  # for completion
    return convert


COMMON_PARAMETERS: Tuple[Param, ...] = (
    Param("Verbose", "switch", aliases=("vb",)),
    Param("Debug", "switch", aliases=("db",)),
    Param("ErrorAction", "string", aliases=("ea",)),
    Param("WarningAction", "string", aliases=("wa",)),
    Param("InformationAction", "string", aliases=("infa",)),
    Param("ProgressAction", "string", aliases=("proga",)),
    Param("ErrorVariable", "string", aliases=("ev",)),
    Param("WarningVariable", "string", aliases=("wv",)),
    Param("InformationVariable", "string", aliases=("iv",)),
    Param("OutVariable", "string", aliases=("ov",)),
    Param("OutBuffer", "int", aliases=("ob",)),
    Param("PipelineVariable", "string", aliases=("pv",)),
)


def qualified_name(name: str) -> str:
    """How a FullyQualifiedErrorId names a command: a cmdlet by its .NET class
    (``Microsoft.PowerShell.Commands.GetItemCommand``), anything else by its name."""
    cls = lookup_cmdlet(name) if "-" in name else None
    if cls is None:
        return name
    return "Microsoft.PowerShell.Commands." + (getattr(cls, "dotnet_class", "") or
                                               name.replace("-", "") + "Command")


class Cmdlet:
    """Base of every compiled-in command.  See the module docstring."""

    name: ClassVar[str] = ""
    synopsis: ClassVar[str] = ""
    params: ClassVar[Tuple[Param, ...]] = ()
    default_set: ClassVar[Optional[str]] = None
    #: Extra type names for ``Get-Command``'s OutputType column; informational only.
    output_type: ClassVar[str] = ""
    #: How much a change by this command matters, for -Confirm / $ConfirmPreference
    #: (engine/shouldprocess.py): 'Low', 'Medium' or 'High'.
    confirm_impact: ClassVar[str] = "Medium"

    ctx: "CommandContext"
    bound: Dict[str, Any]
    parameter_set: str

    if TYPE_CHECKING:
        # Parameters are attributes named as declared in ``params`` (set by the binder); this
        # tells the type checker so, without hiding misspellings at run time.
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, ctx: "CommandContext") -> None:
        self.ctx = ctx
        self.bound = {}
        self.parameter_set = self.default_set or "__AllParameterSets"
        defaults = type(self).__dict__.get("_defaults")
        if defaults is None or defaults[0] is not self.params:
            # the parameters' defaults, worked out once per class; a list or dict default is
            # copied for each instance (no parameter is a descriptor: they are plain attributes)
            values = {p.name: _default_for(p) for p in self.params}
            mutable = tuple(n for n, v in values.items() if isinstance(v, (list, dict)))
            defaults = (self.params, values, mutable)
            type(self)._defaults = defaults  # type: ignore[attr-defined]
        self.__dict__.update(defaults[1])
        for name in defaults[2]:
            value = defaults[1][name]
            setattr(self, name, type(value)(value))

    # ---- lifecycle ----------------------------------------------------------------
    def begin(self) -> Optional[Iterable[Any]]:
        return None

    def process(self) -> Optional[Iterable[Any]]:
        return None

    def end(self) -> Optional[Iterable[Any]]:
        return None

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        """Drive begin/process/end, binding each upstream object to pipeline parameters."""
        cls = type(self)
        if upstream is None and cls.begin is Cmdlet.begin and cls.end is Cmdlet.end:
            # first in its pipeline with only a process block: its output is the pipeline's,
            # without one more generator level per object
            result = self.process()
            return iter(()) if result is None else iter(result)
        return self._drive(upstream)

    def _drive(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        result = self.begin()
        if result is not None:
            yield from result
        if upstream is None:
            result = self.process()
            if result is not None:
                yield from result
        else:
            bind = self.ctx.bind_pipeline_input
            for item in upstream:
                bind(self, item)
                result = self.process()
                if result is not None:
                    yield from result
        result = self.end()
        if result is not None:
            yield from result

    def stop(self) -> None:
        """Called from another thread when the pipeline is being stopped (Ctrl-C, Stop-Job).
        Override to interrupt blocking work (e.g. kill a child process)."""

    # ---- context ------------------------------------------------------------------
    @property
    def runspace(self) -> "Runspace":
        return self.ctx.runspace

    @property
    def stopping(self) -> bool:
        return self.ctx.runspace.stopping

    def is_bound(self, name: str) -> bool:
        return name in self.bound

    def resolve_path(self, path: str) -> str:
        """An absolute path for ``path``, relative to the runspace's current location, ``~``
        expanded.  Does not check that it exists."""
        return self.ctx.runspace.resolve_path(path)

    def invoke(self, block: Any, *args: Any, dollar_under: Any = None, input: Any = None,
               new_scope: bool = True) -> List[Any]:
        """Run a script block from this command's scope and collect its output.  ``dollar_under``
        sets ``$_``/``$PSItem`` (pass the pipeline object), ``args`` become ``$args`` and bind to
        ``param()``.  ``new_scope=False`` runs it in the caller's scope (ForEach-Object style)."""
        return self.ctx.invoke(block, args, dollar_under=dollar_under, input=input,
                               new_scope=new_scope)

    def invoke_iter(self, block: Any, *args: Any, dollar_under: Any = None, input: Any = None,
                    new_scope: bool = True) -> Iterator[Any]:
        """Like :meth:`invoke`, streaming the output."""
        return self.ctx.invoke_iter(block, args, dollar_under=dollar_under, input=input,
                                    new_scope=new_scope)

    def item_function(self, block: Any, new_scope: bool = False) -> Any:
        """A function of one pipeline item for a block that is one expression, giving its value
        without a generator or frame per call (see CommandContext.item_function); None when the
        block is anything else (then call :meth:`invoke`)."""
        return self.ctx.item_function(block, new_scope)

    def should_process(self, target: Any, action: str = "") -> bool:
        """Whether to make a change now: False under -WhatIf (after saying what it would do)
        or when -Confirm's answer is no.  See engine/shouldprocess.py."""
        from pshell.engine.shouldprocess import should_process
        return should_process(self, target, action)

    # ---- streams --------------------------------------------------------------------
    def error_record(self, message: str, error_id: str = "", category: str = "NotSpecified",
                     target: Any = None,
                     exception_type: str = "System.Management.Automation.RuntimeException"
                     ) -> ErrorRecord:
        fqid = f"{error_id or 'RuntimeException'},{qualified_name(self.name)}"
        return ErrorRecord(message, fqid, category, target, self.ctx.location, self.name,
                           exception_type=exception_type)

    def write_error(self, message: Union[str, ErrorRecord, BaseException], error_id: str = "",
                    category: str = "NotSpecified", target: Any = None) -> None:
        """A non-terminating error (``-ErrorAction Stop`` makes it terminating)."""
        if isinstance(message, ErrorRecord):
            record = message
        elif isinstance(message, RuntimeException):
            record = message.record
        else:
            record = self.error_record(str(message), error_id, category, target)
        self.ctx.write_error(record)

    def terminate(self, message: str, error_id: str = "", category: str = "NotSpecified",
                  target: Any = None) -> RuntimeException:
        """A terminating error to ``raise``."""
        return RuntimeException(self.error_record(message, error_id, category, target))

    def write_warning(self, message: str) -> None:
        self.ctx.write_warning(message)

    def write_verbose(self, message: str) -> None:
        self.ctx.write_verbose(message)

    def write_debug(self, message: str) -> None:
        self.ctx.write_debug(message)

    def write_information(self, data: Any, tags: Tuple[str, ...] = ()) -> None:
        self.ctx.write_information(data, tags)

    def write_host(self, text: str, newline: bool = True, fg: Optional[str] = None,
                   bg: Optional[str] = None) -> None:
        self.ctx.write_host(text, newline, fg, bg)

    def write_progress(self, record: Any) -> None:
        self.ctx.write_progress(record)


def _default_for(param: Param) -> Any:
    if param.default is not None:
        return param.default
    if param.type == "switch":
        return False
    return None


# --------------------------------------------------------------------------- registry

_REGISTRY: Dict[str, Type[Cmdlet]] = {}
_LOADED = False
_LOAD_LOCK = _thread.RLock()


def register(cls: Type[Cmdlet]) -> Type[Cmdlet]:
    """Class decorator: make a cmdlet known by its ``name``."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no name")
    _REGISTRY[cls.name.lower()] = cls
    return cls


def _import(name: str) -> Any:
    """``importlib.import_module`` without importing importlib (and warnings) at start-up."""
    __import__(name)
    return sys.modules[name]


def _load_all() -> None:
    """Import every module of ``pshell.cmdlets`` once; each registers its cmdlets."""
    global _LOADED
    if _LOADED:
        return
    with _LOAD_LOCK:          # jobs and the REPL's warm-up may look commands up concurrently
        if _LOADED:
            return
        import pkgutil
        import pshell.cmdlets as package
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                _import(f"pshell.cmdlets.{info.name}")
        _LOADED = True


_WHERE: Optional[Dict[str, str]] = None


def lookup_cmdlet(name: str) -> Optional[Type[Cmdlet]]:
    """The cmdlet called ``name`` (any case), importing only the module that holds it (see
    ``pshell.cmdlets.MODULES``); None when there is none by that name."""
    key = name.lower()
    found = _REGISTRY.get(key)
    if found is None and not _LOADED:
        global _WHERE
        if _WHERE is None:
            from pshell.cmdlets import MODULES
            _WHERE = {n.lower(): module for module, names in MODULES.items() for n in names}
        module = _WHERE.get(key)
        if module is not None:
            with _LOAD_LOCK:
                _import(f"pshell.cmdlets.{module}")
            found = _REGISTRY.get(key)
    return found


def all_cmdlets() -> Dict[str, Type[Cmdlet]]:
    _load_all()
    return dict(_REGISTRY)
