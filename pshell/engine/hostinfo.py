"""What Get-Host and Get-Culture return: the host program's identity and the culture of the
runspace (from its ``LC_ALL``/``LC_MESSAGES``/``LANG``, as .NET reads them on Linux)."""

from __future__ import annotations

import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["CultureInfo", "HostInfo", "culture_of", "find_culture", "all_cultures", "to_culture",
           "current_culture", "current_ui_culture", "STATIC_PROPS", "STATIC_SETTERS", "STATIC_METHODS"]



_DISPLAY = {
    "en-US": ("English (United States)", 1033), "en-GB": ("English (United Kingdom)", 2057),
    "de-DE": ("German (Germany)", 1031), "fr-FR": ("French (France)", 1036),
    "es-ES": ("Spanish (Spain)", 3082), "it-IT": ("Italian (Italy)", 1040),
    "ja-JP": ("Japanese (Japan)", 1041), "nl-NL": ("Dutch (Netherlands)", 1043),
    "pt-BR": ("Portuguese (Brazil)", 1046), "zh-CN": ("Chinese (Simplified, China)", 2052),
    "ru-RU": ("Russian (Russia)", 1049), "sv-SE": ("Swedish (Sweden)", 1053),
    "pl-PL": ("Polish (Poland)", 1045), "tr-TR": ("Turkish (Türkiye)", 1055),
    "en": ("English", 9), "de": ("German", 7), "fr": ("French", 12), "ru": ("Russian", 25),
}
_SHAPE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")


def find_culture(name: str) -> Optional["CultureInfo"]:
    """The culture of that name in any case ('' is the invariant culture), or None when the text
    cannot be a culture name."""
    if name == "":
        return CultureInfo("")
    for known in _DISPLAY:
        if known.lower() == name.lower():
            return CultureInfo(known)
    if not _SHAPE.match(name):
        return None
    parts = name.split("-")
    return CultureInfo("-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]]))


def all_cultures() -> List["CultureInfo"]:
    return [CultureInfo("")] + [CultureInfo(name) for name in sorted(_DISPLAY)]


# languages whose decimal separator is a comma separate lists with ';' (as .NET's culture data does)
_SEMICOLON_LISTS = frozenset(("de", "fr", "es", "it", "nl", "pt", "ru", "pl", "sv", "da", "nb", "fi",
                              "cs", "tr", "el", "hu", "ro", "uk", "id", "vi"))


class TextInfo:
    """``CultureInfo.TextInfo``: the list separator (Export-Csv -UseCulture), case mapping."""

    ps_type_names = ("System.Globalization.TextInfo",)
    ps_properties = ("ListSeparator", "CultureName", "IsRightToLeft")

    def __init__(self, culture: str) -> None:
        self.CultureName = culture
        self.ListSeparator = ";" if culture.split("-")[0].lower() in _SEMICOLON_LISTS else ","
        self.IsRightToLeft = culture.split("-")[0].lower() in ("ar", "he", "fa", "ur")

    def ToUpper(self, text: Any) -> Any:
        return text.upper() if isinstance(text, str) else text

    def ToLower(self, text: Any) -> Any:
        return text.lower() if isinstance(text, str) else text

    def ToTitleCase(self, text: str) -> str:
        return " ".join(w[:1].upper() + w[1:] if not w.isupper() else w for w in text.split(" "))


class CultureInfo:
    """A culture as Get-Culture shows it (LCID, Name, DisplayName)."""

    ps_type_names = ("System.Globalization.CultureInfo",)
    ps_properties = ("LCID", "Name", "DisplayName", "EnglishName", "TwoLetterISOLanguageName")

    def __init__(self, name: str) -> None:
        self.Name = name
        display, lcid = _DISPLAY.get(name, (name or "Invariant Language (Invariant Country)",
                                            4096 if name else 127))
        self.LCID = lcid
        self.DisplayName = display
        self.EnglishName = display
        self.TwoLetterISOLanguageName = name.split("-")[0] if name else "iv"
        self._text_info: Optional[TextInfo] = None

    @property
    def TextInfo(self) -> TextInfo:
        """Made once per object, so a script's change of ListSeparator stays on this culture."""
        if self._text_info is None:
            self._text_info = TextInfo(self.Name)
        return self._text_info

    @property
    def Parent(self) -> "CultureInfo":
        """en-US's parent is en, en's the invariant culture (whose parent is itself)."""
        return CultureInfo(self.Name.rsplit("-", 1)[0] if "-" in self.Name else "")

    @property
    def IetfLanguageTag(self) -> str:
        return self.Name

    def ToString(self) -> str:
        return self.Name

    def __str__(self) -> str:
        return self.Name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CultureInfo) and other.Name.lower() == self.Name.lower()

    def __hash__(self) -> int:
        return hash(self.Name.lower())


def to_culture(value: Any) -> CultureInfo:
    """``[cultureinfo]value``: a culture, its name, or an LCID."""
    if isinstance(value, CultureInfo):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        for name, (_, lcid) in _DISPLAY.items():
            if lcid == value:
                return CultureInfo(name)
        if value == 127:
            return CultureInfo("")
        raise ValueError(f"Culture ID {value} is not a supported culture.")
    from pshell.engine.values import to_str
    text = to_str(value)
    found = find_culture(text)
    if found is None:
        raise ValueError(f"Culture is not supported: '{text}' is an invalid culture identifier.")
    return found


def _runspace() -> Any:
    """The runspace running on this thread (None outside one)."""
    from pshell.engine.runtime import CURRENT
    return getattr(CURRENT, "runspace", None)


def _current(attr: str, rs: Any) -> CultureInfo:
    # [CultureInfo]::CurrentCulture / CurrentUICulture set by a script belong to its runspace (a
    # job's runspace starts from the locale again, as pwsh's job process does)
    if rs is None:
        rs = _runspace()
    found = rs.__dict__.get(attr) if rs is not None else None
    if found is not None:
        return found
    return culture_of(rs.environ if rs is not None else os.environ)


def current_culture(rs: Any = None) -> CultureInfo:
    """The culture of ``rs`` (else the thread's runspace): what a script set, else the locale's."""
    return _current("culture_override", rs)


def current_ui_culture(rs: Any = None) -> CultureInfo:
    return _current("ui_culture_override", rs)


def _setter(attr: str) -> Callable[[Any], None]:
    def set_culture(value: Any) -> None:
        rs = _runspace()
        if rs is None:
            raise ValueError("there is no runspace to set the culture of")
        rs.__dict__[attr] = None if value is None else to_culture(value)
    return set_culture


_CULTURE_PROPS: Dict[str, Callable[[], Any]] = {
    "currentculture": current_culture, "currentuiculture": current_ui_culture,
    "invariantculture": lambda: CultureInfo(""),
    "defaultthreadcurrentculture": lambda: None, "defaultthreadcurrentuiculture": lambda: None,
}
_CULTURE_SETTERS = {"currentculture": _setter("culture_override"),
                    "currentuiculture": _setter("ui_culture_override")}
_CULTURE_METHODS: Dict[str, Callable[[List[Any]], Any]] = {
    "new": lambda a: to_culture(a[0]), "getcultureinfo": lambda a: to_culture(a[0]),
    "getcultures": lambda a: all_cultures(),
}
#: merged into statics.py's static tables (names lower case, without "system.")
STATIC_PROPS = {"cultureinfo": _CULTURE_PROPS, "globalization.cultureinfo": _CULTURE_PROPS}
STATIC_SETTERS = {"cultureinfo": _CULTURE_SETTERS, "globalization.cultureinfo": _CULTURE_SETTERS}
STATIC_METHODS = {"cultureinfo": _CULTURE_METHODS, "globalization.cultureinfo": _CULTURE_METHODS}


def culture_of(environ: Any) -> CultureInfo:
    """The culture the locale variables name (``de_DE.UTF-8`` is de-DE; C and POSIX are the
    invariant culture)."""
    value: Optional[str] = None
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(key):
            value = environ.get(key)
            break
    text = (value or "").split(".")[0].split("@")[0]
    if not text or text in ("C", "POSIX"):
        return CultureInfo("")
    parts = text.replace("_", "-").split("-")
    name = parts[0].lower() + ("-" + parts[1].upper() if len(parts) > 1 else "")
    return CultureInfo(name)


class HostInfo:
    """The host program (Get-Host, ``$Host``'s identity): Name, Version, InstanceId, cultures."""

    ps_type_names = ("System.Management.Automation.Internal.Host.InternalHost",)
    ps_properties = ("Name", "Version", "InstanceId", "UI", "CurrentCulture", "CurrentUICulture",
                     "PrivateData", "DebuggerEnabled", "IsRunspacePushed", "Runspace")

    def __init__(self, runspace: Any, name: str) -> None:
        from pshell import __version__
        from pshell.engine.values import Guid
        self.Name = name
        self.Version = _Version(__version__)
        self.InstanceId = Guid(_host_guid())
        self.UI = getattr(runspace, "host", None)
        self.CurrentCulture = current_culture(runspace)
        self.CurrentUICulture = current_ui_culture(runspace)
        self.PrivateData = None
        self.DebuggerEnabled = False
        self.IsRunspacePushed = False
        self.Runspace = runspace


class _Version:
    """A System.Version: Major, Minor, Build, Revision; its text is the dotted number."""

    ps_type_names = ("System.Version",)
    ps_properties = ("Major", "Minor", "Build", "Revision")

    def __init__(self, text: str) -> None:
        numbers = [int(p) if p.isdigit() else 0 for p in text.split(".")] + [-1, -1, -1, -1]
        self.Major, self.Minor, self.Build, self.Revision = numbers[:4]
        self._text = text

    def ToString(self) -> str:
        return self._text

    def __str__(self) -> str:
        return self._text


_GUID: Optional[str] = None


def _host_guid() -> str:
    global _GUID
    if _GUID is None:
        import uuid
        _GUID = str(uuid.uuid4())
    return _GUID
