"""System.Version: a dotted number of 2 to 4 parts that compares part by part.

Module versions, ``[version]'1.2'`` and ``$PSVersionTable``-like values are these, so ``-eq``,
``-lt`` and Sort-Object order ``'1.10'`` after ``'1.9'``, and a version compares equal to its text
(``$m.Version -eq '1.1'``), the text being converted to a version as PowerShell does.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple

__all__ = ["Version", "parse_version"]


def parse_version(text: str) -> Optional[Tuple[int, ...]]:
    """The parts of ``text`` as a version (2 to 4 non-negative numbers), or None."""
    parts = text.strip().split(".")
    if not 2 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


class Version:
    """Major, Minor, Build, Revision (-1 when the text has no such part)."""

    ps_type_names = ("System.Version", "System.Object")
    ps_properties = ("Major", "Minor", "Build", "Revision")
    __slots__ = ("parts",)

    def __init__(self, parts: Tuple[int, ...]) -> None:
        self.parts = parts

    @classmethod
    def parse(cls, value: Any) -> Optional["Version"]:
        if isinstance(value, Version):
            return value
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            return cls((value, 0))
        parts = parse_version(str(value))
        return None if parts is None else cls(parts)

    def _part(self, index: int) -> int:
        return self.parts[index] if index < len(self.parts) else -1

    @property
    def Major(self) -> int:
        return self._part(0)

    @property
    def Minor(self) -> int:
        return self._part(1)

    @property
    def Build(self) -> int:
        return self._part(2)

    @property
    def Revision(self) -> int:
        return self._part(3)

    def _key(self) -> Tuple[int, ...]:
        return tuple(self._part(i) for i in range(4))

    def _other(self, other: Any) -> Optional[Tuple[int, ...]]:
        found = Version.parse(other)
        return None if found is None else found._key()

    def __eq__(self, other: Any) -> bool:
        return self._key() == self._other(other)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Any) -> bool:
        key = self._other(other)
        if key is None:
            return NotImplemented
        return self._key() < key

    def __gt__(self, other: Any) -> bool:
        key = self._other(other)
        if key is None:
            return NotImplemented
        return self._key() > key

    def __le__(self, other: Any) -> bool:
        return self == other or self < other

    def __ge__(self, other: Any) -> bool:
        return self == other or self > other

    def ToString(self, fields: Optional[int] = None) -> str:
        parts = self.parts if fields is None else self.parts[:int(fields)]
        return ".".join(str(p) for p in parts)

    def CompareTo(self, other: Any) -> int:
        key = self._other(other)
        if key is None:
            return 1
        return (self._key() > key) - (self._key() < key)

    def Equals(self, other: Any) -> bool:
        return self == other

    def __str__(self) -> str:
        return self.ToString()

    def __repr__(self) -> str:
        return f"Version({self.ToString()!r})"
