"""Cultures (``System.Globalization.CultureInfo``) as far as scripts look at them: a name, its English
name, the current culture from the locale environment variables."""

from __future__ import annotations

import os
import re
from typing import Dict, List, Mapping, Optional, Tuple

__all__ = ["CultureInfo", "current_culture", "find_culture", "all_cultures"]

# name -> (English name, native name, LCID)
_KNOWN: Dict[str, Tuple[str, str, int]] = {
    "": ("Invariant Language (Invariant Country)", "Invariant Language (Invariant Country)", 127),
    "en": ("English", "English", 9),
    "en-US": ("English (United States)", "English (United States)", 1033),
    "en-GB": ("English (United Kingdom)", "English (United Kingdom)", 2057),
    "de": ("German", "Deutsch", 7),
    "de-DE": ("German (Germany)", "Deutsch (Deutschland)", 1031),
    "fr": ("French", "français", 12),
    "fr-FR": ("French (France)", "français (France)", 1036),
    "es-ES": ("Spanish (Spain)", "español (España)", 3082),
    "it-IT": ("Italian (Italy)", "italiano (Italia)", 1040),
    "ja-JP": ("Japanese (Japan)", "日本語 (日本)", 1041),
    "ru": ("Russian", "русский", 25),
    "ru-RU": ("Russian (Russia)", "русский (Россия)", 1049),
    "zh-CN": ("Chinese (Simplified, China)", "中文 (中国)", 2052),
    "pt-BR": ("Portuguese (Brazil)", "português (Brasil)", 1046),
    "nl-NL": ("Dutch (Netherlands)", "Nederlands (Nederland)", 1043),
    "sv-SE": ("Swedish (Sweden)", "svenska (Sverige)", 1053),
    "pl-PL": ("Polish (Poland)", "polski (Polska)", 1045),
    "tr-TR": ("Turkish (Türkiye)", "Türkçe (Türkiye)", 1055),
}
_SHAPE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class CultureInfo:
    ps_type_names = ("System.Globalization.CultureInfo",)
    ps_properties = ("LCID", "Name", "DisplayName")

    def __init__(self, name: str) -> None:
        english, native, lcid = _KNOWN.get(name, (name, name, 4096))
        self.Name = name
        self.EnglishName = english
        self.DisplayName = english
        self.NativeName = native
        self.LCID = lcid
        self.TwoLetterISOLanguageName = name.split("-")[0] if name else "iv"
        self.IetfLanguageTag = name

    @property
    def Parent(self) -> "CultureInfo":
        return CultureInfo(self.Name.rsplit("-", 1)[0] if "-" in self.Name else "")

    def ToString(self) -> str:
        return self.Name

    def __str__(self) -> str:
        return self.Name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CultureInfo) and other.Name == self.Name

    def __hash__(self) -> int:
        return hash(self.Name)


def find_culture(name: str) -> Optional[CultureInfo]:
    """The culture of that name (any case), or None when the name is not one."""
    for known in _KNOWN:
        if known.lower() == name.lower():
            return CultureInfo(known)
    if _SHAPE.match(name) and len(name) <= 11:
        parts = name.split("-")
        return CultureInfo("-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]]))
    return None


def current_culture(environ: Optional[Mapping[str, str]] = None, ui: bool = False) -> CultureInfo:
    """From LC_ALL, LC_MESSAGES (for the UI culture) or LC_CTYPE, then LANG, as .NET reads them;
    with none set, or C and POSIX, en-US: pshell formats numbers and dates the en-US way (.NET
    would take the invariant culture there)."""
    env = os.environ if environ is None else environ
    keys = ("LC_ALL", "LC_MESSAGES" if ui else "LC_CTYPE", "LANG")
    for key in keys:
        value = env.get(key)
        if value:
            base = value.split(".")[0].split("@")[0]
            if base in ("C", "POSIX"):
                return CultureInfo("en-US")
            found = find_culture(base.replace("_", "-"))
            if found is not None:
                return found
    return CultureInfo("en-US")


def all_cultures() -> List[CultureInfo]:
    return [CultureInfo(name) for name in _KNOWN]
