"""``[Uri]``: an absolute or relative URI read into its parts (scheme, host, port, path, query...).

``[Uri]'https://example.com/a?b'`` and ``[Uri]::new(text[, kind])`` make one; text that is no URI
is a conversion error naming it.  JSON writes a Uri as the text it was made from.
"""

from __future__ import annotations

import urllib.parse

from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

__all__ = ["Uri", "to_uri", "STATIC_METHODS", "STATIC_PROPS", "KNOWN_TYPES"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443, "ldap": 389,
                  "file": -1, "mailto": 25, "ssh": 22, "telnet": 23}


class Uri:
    """``System.Uri``."""

    ps_type_names = ("System.Uri",)
    ps_properties = ("AbsolutePath", "AbsoluteUri", "LocalPath", "Authority", "HostNameType",
                     "IsDefaultPort", "IsFile", "IsLoopback", "PathAndQuery", "Segments", "IsUnc",
                     "Host", "Port", "Query", "Fragment", "Scheme", "OriginalString", "DnsSafeHost",
                     "IdnHost", "IsAbsoluteUri", "UserEscaped", "UserInfo")

    def __init__(self, text: str, absolute: bool) -> None:
        self.OriginalString = text
        self.IsAbsoluteUri = absolute
        self.UserEscaped = False
        self._parts = urllib.parse.urlsplit(text) if absolute else None

    # the parts of an absolute URI; a relative one has none (as .NET throws, we answer $null)
    def _part(self, fn: Callable[[urllib.parse.SplitResult], Any]) -> Any:
        return None if self._parts is None else fn(self._parts)

    @property
    def Scheme(self) -> Any:
        return self._part(lambda p: p.scheme.lower())

    @property
    def Host(self) -> Any:
        return self._part(lambda p: (p.hostname or "").lower())

    @property
    def DnsSafeHost(self) -> Any:
        return self.Host

    @property
    def IdnHost(self) -> Any:
        return self.Host

    @property
    def Port(self) -> Any:
        return self._part(lambda p: p.port if p.port is not None
                          else _DEFAULT_PORTS.get(p.scheme.lower(), -1))

    @property
    def IsDefaultPort(self) -> Any:
        return self._part(lambda p: p.port is None or p.port == _DEFAULT_PORTS.get(p.scheme.lower()))

    @property
    def UserInfo(self) -> Any:
        return self._part(lambda p: p.netloc.rpartition("@")[0] if "@" in p.netloc else "")

    @property
    def Authority(self) -> Any:
        def authority(p: urllib.parse.SplitResult) -> str:
            host = (p.hostname or "").lower()
            return host if p.port is None or self.IsDefaultPort else f"{host}:{p.port}"
        return self._part(authority)

    @property
    def AbsolutePath(self) -> Any:
        return self._part(lambda p: p.path or "/")

    @property
    def LocalPath(self) -> Any:
        return self._part(lambda p: urllib.parse.unquote(p.path) if p.scheme.lower() == "file"
                          else (p.path or "/"))

    @property
    def Query(self) -> Any:
        return self._part(lambda p: "?" + p.query if p.query else "")

    @property
    def Fragment(self) -> Any:
        return self._part(lambda p: "#" + p.fragment if p.fragment else "")

    @property
    def PathAndQuery(self) -> Any:
        return self._part(lambda p: (p.path or "/") + ("?" + p.query if p.query else ""))

    @property
    def Segments(self) -> Any:
        path = self.AbsolutePath
        if path is None:
            return None
        pieces = path.split("/")
        return ["/"] + [piece + "/" for piece in pieces[1:-1]] + ([pieces[-1]] if pieces[-1] else [])

    @property
    def AbsoluteUri(self) -> Any:
        def absolute(p: urllib.parse.SplitResult) -> str:
            netloc = p.netloc.lower() if "@" not in p.netloc else p.netloc
            return urllib.parse.urlunsplit((p.scheme.lower(), netloc, p.path or "/", p.query,
                                            p.fragment))
        return self._part(absolute)

    @property
    def IsFile(self) -> Any:
        return self._part(lambda p: p.scheme.lower() == "file")

    @property
    def IsUnc(self) -> Any:
        return self._part(lambda p: p.scheme.lower() == "file" and bool(p.hostname))

    @property
    def IsLoopback(self) -> Any:
        return self._part(lambda p: (p.hostname or "").lower() in ("localhost", "127.0.0.1", "::1")
                          or (p.scheme.lower() == "file" and not p.hostname))

    @property
    def HostNameType(self) -> Any:
        def kind(p: urllib.parse.SplitResult) -> str:
            host = p.hostname or ""
            if not host:
                return "Basic"
            if ":" in host:
                return "IPv6"
            return "IPv4" if host.replace(".", "").isdigit() else "Dns"
        return self._part(kind)

    def ToString(self) -> str:
        return str(self)

    def GetLeftPart(self, part: Any) -> Any:
        which = to_str(part).lower()
        p = self._parts
        if p is None:
            raise ValueError("This operation is not supported for a relative URI.")
        base = f"{p.scheme.lower()}://" if which in ("scheme",) else f"{p.scheme.lower()}://{p.netloc}"
        if which == "path":
            return base + (p.path or "/")
        if which == "query":
            return base + (p.path or "/") + ("?" + p.query if p.query else "")
        return base

    def ps_json_text(self) -> str:
        return self.OriginalString

    def __str__(self) -> str:
        absolute = self.AbsoluteUri
        return self.OriginalString if absolute is None else urllib.parse.unquote(absolute)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Uri):
            return str(self) == str(other)
        if isinstance(other, str):
            found = to_uri(other, "RelativeOrAbsolute", strict=False)
            return found is not None and str(found) == str(self)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))


def _absolute(text: str) -> bool:
    parts = urllib.parse.urlsplit(text)
    if not parts.scheme or len(parts.scheme) < 2:       # "c:/x" is a path, not a scheme
        return False
    return bool(parts.netloc) or parts.scheme.lower() in ("file", "mailto", "urn", "news", "tel", "data")


def to_uri(value: Any, kind: str = "Absolute", strict: bool = True) -> Any:
    """``value`` as a Uri: ``kind`` Absolute (the cast's reading), Relative or RelativeOrAbsolute.
    Text that does not fit raises ValueError (None when not ``strict``)."""
    if isinstance(value, Uri):
        return value
    text = to_str(value)
    kind = kind.lower()
    try:
        absolute = _absolute(text)
        if absolute:
            _ = urllib.parse.urlsplit(text).port      # a bad port number raises here
    except ValueError:
        absolute = False
    if (kind == "absolute" and not absolute) or (kind == "relative" and absolute) or not text.strip() \
            and kind == "absolute":
        if not strict:
            return None
        wanted = "an absolute" if kind == "absolute" else "a relative"
        raise ValueError(f'Invalid URI: "{text}" is not {wanted} URI.')
    return Uri(text, absolute)


def _new(args: List[Any]) -> Any:
    if len(args) == 2 and isinstance(args[0], Uri):         # ::new(base, relative)
        base = args[0]
        if not base.IsAbsoluteUri:
            raise ValueError("This operation is not supported for a relative URI.")
        return Uri(urllib.parse.urljoin(base.OriginalString, to_str(args[1])), True)
    kind = to_str(args[1]) if len(args) > 1 else "Absolute"
    return to_uri(args[0], kind)


def _try_create(args: List[Any]) -> bool:
    found = to_uri(args[0], to_str(args[1]) if len(args) > 2 else "Absolute", strict=False)
    if len(args) > 2 and hasattr(args[2], "Value"):
        args[2].Value = found
    return found is not None


_STATICS: Dict[str, Callable[[List[Any]], Any]] = {
    "new": _new, "trycreate": _try_create,
    "iswellformeduristring": lambda a: to_uri(a[0], to_str(a[1]) if len(a) > 1 else "Absolute",
                                              strict=False) is not None,
    "escapedatastring": lambda a: urllib.parse.quote(to_str(a[0]), safe="-_.~"),
    "unescapedatastring": lambda a: urllib.parse.unquote(to_str(a[0])),
    "escapeuristring": lambda a: urllib.parse.quote(to_str(a[0]), safe="-_.~:/?#[]@!$&'()*+,;="),
}
STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {"uri": _STATICS}
STATIC_PROPS: Dict[str, Dict[str, Callable[[], Any]]] = {"uri": {
    "urischemehttp": lambda: "http", "urischemehttps": lambda: "https", "urischemefile": lambda: "file",
    "schemedelimiter": lambda: "://"}}
KNOWN_TYPES = ("uri", "system.uri")
