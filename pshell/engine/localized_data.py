"""Import-LocalizedData's work: which ``.psd1`` answers a culture, and reading it as a data
section (the restricted language of ``lang/restricted.py``, then run).

A file is looked for in ``<base>/<culture>/<name>.psd1`` for the culture and each parent (fr-CA,
fr), then ``<base>/<name>.psd1``; when no culture was asked for, en-US and its parents come last.
"""

from __future__ import annotations

import os

from pshell.engine.hostinfo import CultureInfo, find_culture

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, List, Optional

__all__ = ["candidate_files", "find_data_file", "parse_data_file", "MAX_DATA_FILE"]

#: a localized data file is a few strings; a larger one is refused rather than read
MAX_DATA_FILE = 16 * 1024 * 1024


def _culture_chain(culture: Optional[CultureInfo]) -> List[str]:
    names: List[str] = []
    while culture is not None and culture.Name and culture.Name not in names:
        names.append(culture.Name)
        culture = culture.Parent
    return names


def candidate_files(base: str, file_name: str, culture: CultureInfo, culture_given: bool) -> List[str]:
    """The paths tried, in order."""
    leaf = file_name if file_name.lower().endswith(".psd1") else file_name + ".psd1"
    paths = [os.path.join(base, name, leaf) for name in _culture_chain(culture)]
    paths.append(os.path.join(base, leaf))
    if not culture_given:
        paths += [os.path.join(base, name, leaf) for name in _culture_chain(find_culture("en-US"))]
    seen: List[str] = []
    for path in paths:
        if path not in seen:
            seen.append(path)
    return seen


def find_data_file(base: str, file_name: str, culture: CultureInfo, culture_given: bool) -> Optional[str]:
    for path in candidate_files(base, file_name, culture, culture_given):
        if os.path.isfile(path):
            return path
    return None


def parse_data_file(path: str, commands: Iterable[str]) -> Any:
    """The file's text as a script block, after the restricted-language check; raises OSError
    (unreadable, too large, not UTF-8) or ParseError (bad syntax, a refused construct)."""
    from pshell.engine.compiler import Unit
    from pshell.lang.restricted import DATA_COMMANDS, check_restricted
    with open(path, "rb") as handle:
        raw = handle.read(MAX_DATA_FILE + 1)
    if len(raw) > MAX_DATA_FILE:
        raise OSError(f"the file is larger than {MAX_DATA_FILE} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OSError(f"the file is not UTF-8 text (byte {exc.start})") from None
    unit = Unit.from_text(text, path)
    check_restricted(unit.root, DATA_COMMANDS + tuple(commands), path, text)
    return unit.script_block()
