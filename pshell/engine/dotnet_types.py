"""A few .NET types scripts reach for beside the cmdlets: text encodings (``[Text.Encoding]::UTF8``,
``[Text.UTF8Encoding]::new($false)``), ``[IO.File]``'s byte and encoded-text members,
``[Management.Automation.Platform]``, ``[WildcardPattern]`` and the built-in enums ``DayOfWeek`` and
``DateTimeKind``.

``statics.py`` merges ``STATIC_METHODS``/``STATIC_PROPS`` into its tables and asks ``CONSTRUCTORS``
for ``::new``; ``types.lookup_type`` knows ``KNOWN_TYPES``; ``builtin_enum`` makes the enums as
script enums (``classes.PSEnum``) the first time one is named.  Byte arrays are lists of ints.
"""

from __future__ import annotations

import os
import sys

from pshell.engine import dotnet_misc, dotnet_time, dotnet_uri, language_primitives, net_info
from pshell.engine import dynparams as _dynparams
from pshell.engine import stringbuilder as _stringbuilder
from pshell.engine.constructors import CONSTRUCTORS as _host_types
from pshell.engine.values import PSChar, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["TextEncoding", "encoding_named", "STATIC_METHODS", "STATIC_PROPS", "CONSTRUCTORS",
           "KNOWN_TYPES", "builtin_enum", "ENUM_NAMES", "to_bytes"]


class TextEncoding:
    """A ``System.Text.Encoding``: a Python codec, and whether writing starts with a byte order mark."""

    ps_properties = ("BodyName", "EncodingName", "HeaderName", "WebName", "CodePage", "IsSingleByte")

    def __init__(self, codec: str, class_name: str, web_name: str, display: str, code_page: int,
                 bom: bytes = b"", single_byte: bool = False) -> None:
        self.codec = codec
        self.class_name = class_name
        self.WebName = self.BodyName = self.HeaderName = web_name
        self.EncodingName = display
        self.CodePage = code_page
        self.bom = bom
        self.IsSingleByte = single_byte

    @property
    def ps_type_names(self) -> Tuple[str, ...]:
        return ("System.Text." + self.class_name, "System.Text.Encoding")

    def encode(self, text: str) -> bytes:
        return text.encode(self.codec, errors="replace")

    def decode(self, data: bytes) -> str:
        return data.decode(self.codec, errors="replace")

    def GetBytes(self, value: Any, index: Any = None, count: Any = None) -> List[int]:
        text = "".join(to_str(c) for c in value) if isinstance(value, (list, tuple)) else to_str(value)
        if index is not None:
            start = int(index)
            text = text[start:start + int(count)] if count is not None else text[start:]
        return list(self.encode(text))

    def GetByteCount(self, value: Any) -> int:
        return len(self.GetBytes(value))

    def GetString(self, data: Any, index: Any = None, count: Any = None) -> str:
        raw = to_bytes(data)
        if index is not None:
            start = int(index)
            raw = raw[start:start + int(count)] if count is not None else raw[start:]
        return self.decode(raw)

    def GetChars(self, data: Any) -> List[PSChar]:
        return [PSChar(c) for c in self.GetString(data)]

    def GetCharCount(self, data: Any) -> int:
        return len(self.GetString(data))

    def GetPreamble(self) -> List[int]:
        return list(self.bom)

    def Equals(self, other: Any) -> bool:
        return isinstance(other, TextEncoding) and (other.codec, other.bom) == (self.codec, self.bom)

    def ToString(self) -> str:
        return "System.Text." + self.class_name

    def __repr__(self) -> str:
        return f"<{self.ToString()} {self.WebName}>"


def to_bytes(data: Any) -> bytes:
    """A byte array (a list of ints 0-255, or bytes) as bytes; anything else is a clear error."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    items = data if isinstance(data, (list, tuple)) else [data]
    try:
        return bytes(int(b) for b in items)
    except (TypeError, ValueError):
        raise ValueError("a byte array needs numbers from 0 to 255") from None


def _utf8(bom: bool = True) -> TextEncoding:
    return TextEncoding("utf-8", "UTF8Encoding", "utf-8", "Unicode (UTF-8)", 65001,
                        b"\xef\xbb\xbf" if bom else b"")


def _utf16(big_endian: bool = False, bom: bool = True) -> TextEncoding:
    if big_endian:
        return TextEncoding("utf-16-be", "UnicodeEncoding", "utf-16BE", "Unicode (Big-Endian)", 1201,
                            b"\xfe\xff" if bom else b"")
    return TextEncoding("utf-16-le", "UnicodeEncoding", "utf-16", "Unicode", 1200,
                        b"\xff\xfe" if bom else b"")


def _utf32(big_endian: bool = False, bom: bool = True) -> TextEncoding:
    if big_endian:
        return TextEncoding("utf-32-be", "UTF32Encoding", "utf-32BE", "Unicode (UTF-32 Big-Endian)",
                            12001, b"\x00\x00\xfe\xff" if bom else b"")
    return TextEncoding("utf-32-le", "UTF32Encoding", "utf-32", "Unicode (UTF-32)", 12000,
                        b"\xff\xfe\x00\x00" if bom else b"")


def _ascii() -> TextEncoding:
    return TextEncoding("ascii", "ASCIIEncoding", "us-ascii", "US-ASCII", 20127, single_byte=True)


def _latin1() -> TextEncoding:
    return TextEncoding("latin-1", "Latin1Encoding", "iso-8859-1", "Western European (ISO)", 28591,
                        single_byte=True)


def _utf7() -> TextEncoding:
    return TextEncoding("utf-7", "UTF7Encoding", "utf-7", "Unicode (UTF-7)", 65000)


#: names and code pages [Text.Encoding]::GetEncoding and the -Encoding parameters take
_BY_NAME: Dict[str, Callable[[], TextEncoding]] = {
    "utf8": _utf8, "utf-8": _utf8, "65001": _utf8, "utf8bom": _utf8,
    "utf8nobom": lambda: _utf8(False),
    "unicode": _utf16, "utf-16": _utf16, "utf16": _utf16, "utf-16le": _utf16, "1200": _utf16,
    "bigendianunicode": lambda: _utf16(True), "utf-16be": lambda: _utf16(True),
    "1201": lambda: _utf16(True),
    "utf32": _utf32, "utf-32": _utf32, "utf-32le": _utf32, "12000": _utf32,
    "bigendianutf32": lambda: _utf32(True), "utf-32be": lambda: _utf32(True),
    "12001": lambda: _utf32(True),
    "ascii": _ascii, "us-ascii": _ascii, "20127": _ascii,
    "latin1": _latin1, "iso-8859-1": _latin1, "28591": _latin1,
    "utf7": _utf7, "utf-7": _utf7, "65000": _utf7,
    "default": lambda: _utf8(False), "oem": lambda: _utf8(False),
}


def encoding_named(value: Any) -> TextEncoding:
    """An encoding object from an encoding object, a PowerShell or web name, or a code page;
    ValueError naming the choices otherwise."""
    if isinstance(value, TextEncoding):
        return value
    key = to_str(value).strip().lower()
    make = _BY_NAME.get(key)
    if make is None:
        raise ValueError(f"'{to_str(value)}' is not a supported encoding name. Use one of: ascii, "
                         f"bigendianunicode, bigendianutf32, latin1, unicode, utf7, utf8, "
                         f"utf8BOM, utf8NoBOM, utf32, or a code page number")
    return make()


def _arg(args: List[Any], i: int, default: Any = None) -> Any:
    return args[i] if len(args) > i else default


def _flag(args: List[Any], i: int, default: bool) -> bool:
    from pshell.engine.values import to_bool
    return to_bool(args[i]) if len(args) > i else default


# --------------------------------------------------------------------------- [System.IO.File]

def _path(value: Any) -> str:
    text = to_str(value)
    if not text:
        raise ValueError("The value cannot be an empty string. (Parameter 'path')")
    return text


def _read_bytes(args: List[Any]) -> List[int]:
    with open(_path(args[0]), "rb") as handle:
        return list(handle.read())


def _write_bytes(args: List[Any]) -> None:
    data = to_bytes(_arg(args, 1, []))
    with open(_path(args[0]), "wb") as handle:
        handle.write(data)


def _text_encoding(args: List[Any], i: int) -> TextEncoding:
    given = _arg(args, i)
    return _utf8(False) if given is None else encoding_named(given)


def _lines_text(value: Any) -> str:
    items = value if isinstance(value, (list, tuple)) else [value]
    return "".join(to_str(line) + "\n" for line in items)


def _write_text(args: List[Any], text: str, append: bool = False) -> None:
    encoding = _text_encoding(args, 2)
    path = _path(args[0])
    fresh = not append or not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "ab" if append else "wb") as handle:
        handle.write((encoding.bom if fresh else b"") + encoding.encode(text))


def _read_text(args: List[Any]) -> str:
    with open(_path(args[0]), "rb") as handle:
        raw = handle.read()
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
                       (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom):].decode(codec, errors="replace")
    return _text_encoding(args, 1).decode(raw)


def _copy(args: List[Any]) -> None:
    import shutil
    target = _path(args[1])
    if os.path.exists(target) and not _flag(args, 2, False):
        raise ValueError(f"The file '{target}' already exists.")
    shutil.copyfile(_path(args[0]), target)


# --------------------------------------------------------------------------- [WildcardPattern]

def _wildcard_escape(args: List[Any]) -> str:
    return "".join("`" + c if c in "*?[]`" else c for c in to_str(_arg(args, 0, "")))


def _wildcard_unescape(args: List[Any]) -> str:
    text = to_str(_arg(args, 0, ""))
    out: List[str] = []
    i = 0
    while i < len(text):
        if text[i] == "`" and i + 1 < len(text) and text[i + 1] in "*?[]`":
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


def _contains_wildcards(args: List[Any]) -> bool:
    from pshell.engine.wildcards import has_wildcards
    return has_wildcards(to_str(_arg(args, 0, "")))


class WildcardPattern:
    """``[WildcardPattern]::new('a*', 'IgnoreCase')``: ``IsMatch(text)``."""

    ps_type_names = ("System.Management.Automation.WildcardPattern",)
    ps_properties = ("Pattern",)

    def __init__(self, pattern: str, ignore_case: bool) -> None:
        self.Pattern = pattern
        self.ignore_case = ignore_case

    def IsMatch(self, text: Any) -> bool:
        from pshell.engine.wildcards import wildcard_match
        return wildcard_match(self.Pattern, to_str(text), case_sensitive=not self.ignore_case)

    def ToWql(self) -> str:
        return self.Pattern.replace("*", "%").replace("?", "_")


def _new_wildcard(args: List[Any]) -> WildcardPattern:
    options = to_str(_arg(args, 1, "")).lower()
    return WildcardPattern(to_str(_arg(args, 0, "")), "ignorecase" in options)


# --------------------------------------------------------------------------- tables

def _is(name: str) -> Callable[[], bool]:
    return lambda: sys.platform.startswith(name)


_PLATFORM_PROPS: Dict[str, Callable[[], Any]] = {
    "islinux": _is("linux"), "ismacos": _is("darwin"), "iswindows": _is("win"),
    "iscoreclr": lambda: True, "isnanoserver": lambda: False, "isiot": lambda: False,
    "iswindowsdesktop": lambda: False, "isstasupported": lambda: False,
}

_ENCODING_PROPS: Dict[str, Callable[[], Any]] = {
    "utf8": _utf8, "unicode": _utf16, "bigendianunicode": lambda: _utf16(True), "utf32": _utf32,
    "ascii": _ascii, "latin1": _latin1, "utf7": _utf7, "default": lambda: _utf8(False),
}

_FILE_METHODS: Dict[str, Callable[[List[Any]], Any]] = {
    "exists": lambda a: bool(to_str(_arg(a, 0, ""))) and os.path.isfile(to_str(a[0])),
    "readallbytes": _read_bytes, "writeallbytes": _write_bytes,
    "readalltext": _read_text, "writealltext": lambda a: _write_text(a, to_str(_arg(a, 1, ""))),
    "appendalltext": lambda a: _write_text(a, to_str(_arg(a, 1, "")), append=True),
    "readalllines": lambda a: _read_text(a).splitlines(),
    "writealllines": lambda a: _write_text(a, _lines_text(_arg(a, 1, []))),
    "appendalllines": lambda a: _write_text(a, _lines_text(_arg(a, 1, [])), append=True),
    "delete": lambda a: os.remove(_path(a[0])) if os.path.lexists(_path(a[0])) else None,
    "copy": _copy, "move": lambda a: os.replace(_path(a[0]), _path(a[1])),
}

_PATH_METHODS: Dict[str, Callable[[List[Any]], Any]] = {
    "getinvalidfilenamechars": lambda a: [PSChar("\0"), PSChar("/")],
    "getinvalidpathchars": lambda a: [PSChar("\0")],
    "hasextension": lambda a: bool(os.path.splitext(to_str(a[0]))[1]),
    "getpathroot": lambda a: "/" if to_str(a[0]).startswith("/") else "",
    "endsindirectoryseparator": lambda a: to_str(a[0]).endswith("/"),
    "trimendingdirectoryseparator": lambda a: to_str(a[0]).rstrip("/") or "/",
    "getrelativepath": lambda a: os.path.relpath(to_str(a[1]), to_str(a[0])),
}

_WILDCARD_METHODS: Dict[str, Callable[[List[Any]], Any]] = {
    "escape": _wildcard_escape, "unescape": _wildcard_unescape,
    "containswildcardcharacters": _contains_wildcards, "new": _new_wildcard,
}

_ENCODING_METHODS: Dict[str, Callable[[List[Any]], Any]] = {
    "getencoding": lambda a: encoding_named(a[0]),
}


def _type_name(value: Any) -> str:
    """The name of a type argument: ``[int]``, a class or enum of the script, or text."""
    return to_str(getattr(value, "FullName", None) or getattr(value, "name", None) or value)


def _convert_to(args: List[Any]) -> Any:
    from pshell.engine.conversions import convert_to
    return convert_to(args[0], _type_name(args[1]))


def _is_true(args: List[Any]) -> bool:
    from pshell.engine.values import to_bool
    return to_bool(args[0])


#: [System.Management.Automation.LanguagePrimitives]: the language's own conversions
_LANGUAGE_PRIMITIVES: Dict[str, Callable[[List[Any]], Any]] = {
    "convertto": _convert_to, "istrue": _is_true,
}


def _constructors() -> Dict[str, Callable[[List[Any]], Any]]:
    return {
        "text.utf8encoding": lambda a: _utf8(_flag(a, 0, False)),
        "text.unicodeencoding": lambda a: _utf16(_flag(a, 0, False), _flag(a, 1, True)),
        "text.utf32encoding": lambda a: _utf32(_flag(a, 0, False), _flag(a, 1, True)),
        "text.asciiencoding": lambda a: _ascii(),
        "text.utf7encoding": lambda a: _utf7(),
        "management.automation.wildcardpattern": _new_wildcard,
        "wildcardpattern": _new_wildcard,
    }


CONSTRUCTORS = _constructors()
CONSTRUCTORS.update(_dynparams.CONSTRUCTORS)    # [RuntimeDefinedParameter], [ParameterAttribute]...
CONSTRUCTORS.update(_host_types)                # [Management.Automation.Host.Coordinates], Size
CONSTRUCTORS.update(_stringbuilder.CONSTRUCTORS)    # [System.Text.StringBuilder]

#: names (lower case, without "system.") -> static methods; statics.py merges them into its own
STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {
    "io.file": _FILE_METHODS,
    "io.path": _PATH_METHODS,
    "text.encoding": _ENCODING_METHODS,
    "wildcardpattern": _WILDCARD_METHODS,
    "management.automation.wildcardpattern": _WILDCARD_METHODS,
    "management.automation.languageprimitives": _LANGUAGE_PRIMITIVES,
}
for _name, _new in CONSTRUCTORS.items():
    STATIC_METHODS.setdefault(_name, {})["new"] = _new
STATIC_METHODS.update(net_info.STATIC_METHODS)      # [System.Net.Dns], [IPAddress], NetworkInterface
STATIC_METHODS.update(dotnet_time.STATIC_METHODS)   # [DateTimeOffset]
STATIC_METHODS.update(dotnet_uri.STATIC_METHODS)    # [Uri]
STATIC_METHODS.update(language_primitives.STATIC_METHODS)   # [LanguagePrimitives]
STATIC_METHODS.update(dotnet_misc.STATIC_METHODS)   # [Diagnostics.Stopwatch], [Text.StringBuilder]

STATIC_PROPS: Dict[str, Dict[str, Callable[[], Any]]] = {
    "text.encoding": _ENCODING_PROPS,
    "management.automation.platform": _PLATFORM_PROPS,
    "io.path": {"volumeseparatorchar": lambda: "/"},
    **dotnet_misc.STATIC_PROPS,
    **dotnet_time.STATIC_PROPS,
    **dotnet_uri.STATIC_PROPS,
}

#: type names (lower case, without "system.") -> the conversion a cast to it makes
def _to_type(value: Any) -> Any:
    """``[type]'int'``: the type a name stands for (a type is itself)."""
    from pshell.engine.values import PSTypeInfo
    if isinstance(value, PSTypeInfo):
        return value
    if not isinstance(value, str):
        raise TypeError("not a type name")
    from pshell.engine.statics import type_info
    return type_info(value)


CASTS: Dict[str, Callable[[Any], Any]] = {
    "uri": dotnet_uri.to_uri,
    "type": _to_type,
    "text.stringbuilder": lambda value: _stringbuilder.StringBuilder(to_str(value)),
    "datetimeoffset": dotnet_time.to_datetimeoffset,
}

#: type names (lower case, with and without "system.") lookup_type accepts as named types
KNOWN_TYPES = frozenset(
    [n for base in list(STATIC_METHODS) + list(STATIC_PROPS) for n in (base, "system." + base)]
    + ["wildcardpattern", "type", "system.type", "text.stringbuilder", "text.encoding",
       "system.text.encoding",
       "microsoft.powershell.commands.bytecollection"] + list(net_info.KNOWN_TYPES)
    + list(dotnet_time.KNOWN_TYPES) + list(dotnet_uri.KNOWN_TYPES)
    + list(language_primitives.KNOWN_TYPES) + list(dotnet_misc.KNOWN_TYPES))


# --------------------------------------------------------------------------- collections

class Stack:
    """``[System.Collections.Generic.Stack[T]]``: last in, first out (enumerated top first)."""

    ps_type_names = ("System.Collections.Generic.Stack`1", "System.Object")
    ps_enumerable = True            # a pipeline, foreach and @() take its items

    def __init__(self, items: Any = ()) -> None:
        self._items: List[Any] = list(items)

    @property
    def Count(self) -> int:
        return len(self._items)

    def Push(self, item: Any) -> None:
        self._items.append(item)

    def Pop(self) -> Any:
        if not self._items:
            raise ValueError("Stack empty.")
        return self._items.pop()

    def Peek(self) -> Any:
        if not self._items:
            raise ValueError("Stack empty.")
        return self._items[-1]

    def Clear(self) -> None:
        self._items.clear()

    def Contains(self, item: Any) -> bool:
        return item in self._items

    def ToArray(self) -> List[Any]:
        return self._items[::-1]

    def __iter__(self) -> Any:
        return iter(self._items[::-1])

    def __len__(self) -> int:
        return len(self._items)


def new_stack(value: Any) -> Stack:
    """``[Stack[T]]::new()`` / ``::new(capacity)`` / ``::new(items)`` and ``[Stack[T]]@(...)``."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return Stack()
    if isinstance(value, Stack):
        return Stack(value._items)
    return Stack(value if isinstance(value, (list, tuple)) else [value])


# --------------------------------------------------------------------------- built-in enums

_FILE_ATTRIBUTES = ("ReadOnly", "Hidden", "System", "", "Directory", "Archive", "Device", "Normal",
                    "Temporary", "SparseFile", "ReparsePoint", "Compressed", "Offline",
                    "NotContentIndexed", "Encrypted", "IntegrityStream", "", "NoScrubData")


def _numbered(*names: str) -> List[Tuple[str, int]]:
    return [(name, i) for i, name in enumerate(names)]


# full name -> (members, [Flags], underlying type)
_ENUMS: Dict[str, Tuple[List[Tuple[str, int]], bool, str]] = {
    "System.DayOfWeek": (_numbered("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                   "Saturday"), False, "int"),
    "System.DateTimeKind": (_numbered("Unspecified", "Utc", "Local"), False, "int"),
    "System.ConsoleColor": (_numbered("Black", "DarkBlue", "DarkGreen", "DarkCyan", "DarkRed",
                                      "DarkMagenta", "DarkYellow", "Gray", "DarkGray", "Blue", "Green",
                                      "Cyan", "Red", "Magenta", "Yellow", "White"), False, "int"),
    "System.Management.Automation.ActionPreference": (_numbered(
        "SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break"), False, "int"),
    "System.Management.Automation.CommandTypes": ([
        ("Alias", 1), ("Function", 2), ("Filter", 4), ("Cmdlet", 8), ("ExternalScript", 16),
        ("Application", 32), ("Script", 64), ("Configuration", 256), ("All", 383)], True, "int"),
    "System.Security.AccessControl.AceFlags": ([
        ("None", 0), ("ObjectInherit", 1), ("ContainerInherit", 2), ("NoPropagateInherit", 4),
        ("InheritOnly", 8), ("InheritanceFlags", 15), ("Inherited", 16), ("SuccessfulAccess", 64),
        ("FailedAccess", 128), ("AuditFlags", 192)], True, "byte"),
    "System.IO.FileAttributes": ([(a, 1 << i) for i, a in enumerate(_FILE_ATTRIBUTES) if a], True, "int"),
    "System.UriKind": (_numbered("RelativeOrAbsolute", "Absolute", "Relative"), False, "int"),
    "System.Text.RegularExpressions.RegexOptions": ([
        ("None", 0), ("IgnoreCase", 1), ("Multiline", 2), ("ExplicitCapture", 4), ("Compiled", 8),
        ("Singleline", 16), ("IgnorePatternWhitespace", 32), ("RightToLeft", 64), ("ECMAScript", 256),
        ("CultureInvariant", 512), ("NonBacktracking", 1024)], True, "int"),
    "System.StringSplitOptions": ([("None", 0), ("RemoveEmptyEntries", 1), ("TrimEntries", 2)], True, "int"),
    # the flags of foreach / switch statements in [Parser]::ParseInput's tree (engine/ast_view.py)
    "System.Management.Automation.Language.ForEachFlags": ([("None", 0), ("Parallel", 1)], True, "int"),
    "System.Management.Automation.Language.SwitchFlags": ([
        ("None", 0), ("File", 1), ("Regex", 2), ("Wildcard", 4), ("Exact", 8), ("CaseSensitive", 16),
        ("Parallel", 32)], True, "int"),
}
# every spelling of each name -> its full name: System.X, X without System., and the last part
_ENUM_KEYS: Dict[str, str] = {}
for _full in _ENUMS:
    _lowered = _full.lower()
    for _key in (_lowered, _lowered[7:], _lowered.rsplit(".", 1)[-1]):
        _ENUM_KEYS.setdefault(_key, _full)
ENUM_NAMES = frozenset(_ENUM_KEYS)
_MADE: Dict[str, Any] = {}


def builtin_enum(name: str) -> Optional[Any]:
    """The ``PSEnum`` for a built-in .NET enum name (``DayOfWeek``, ``System.DateTimeKind``,
    ``[System.Management.Automation.CommandTypes]``), made on first use; None for any other name."""
    full = _ENUM_KEYS.get(name.strip().lower())
    if full is None:
        return None
    found = _MADE.get(full)
    if found is None:
        from pshell.engine.classes import PSEnum
        members, flags, underlying = _ENUMS[full]
        found = _MADE.setdefault(full, PSEnum(full, members, flags, underlying))
    return found
