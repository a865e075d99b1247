"""Closed generic collection types: ``[List[int]]``, ``[System.Collections.ObjectModel.Collection[string]]``,
``[Dictionary[string, int]]``, ``[Stack[double]]``, written with bare or bracketed arguments
(``list[[int]]``) and nested (``dictionary[dictionary[list[int],string], stack[double]]``).

``parse_generic`` splits such a name; ``types.lookup_type`` gives it the kind ``"generic"`` and
asks ``convert`` for ``[List[int]]@(1, '2')``, ``is_generic`` for ``-is`` and ``type_info`` for the
type value.  A list or a dictionary made here remembers its element types: what is added to it is
converted (``$l.Add('4')`` stores the number 4), and ``GetType()`` gives ``List`1`` with its
``GetGenericArguments()``.  Like .NET, a base name resolves by its last part (``list`` is
``System.Collections.Generic.List``), as ``using namespace`` makes it in pwsh.
"""

from __future__ import annotations


from pshell.engine.values import Hashtable, PSTypeInfo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Tuple

__all__ = ["parse_generic", "GenericType", "GenericList", "GenericDictionary", "GenericHashSet", "resolve",
           "convert", "new", "is_generic", "type_info"]

# the last part of a base name -> (its .NET full name without the arity, its kind, its arity)
_BASES = {
    "list": ("System.Collections.Generic.List", "list", 1),
    "collection": ("System.Collections.ObjectModel.Collection", "list", 1),
    "dictionary": ("System.Collections.Generic.Dictionary", "dictionary", 2),
    "stack": ("System.Collections.Generic.Stack", "stack", 1),
    "hashset": ("System.Collections.Generic.HashSet", "hashset", 1),
    "concurrentdictionary": ("System.Collections.Concurrent.ConcurrentDictionary", "concurrent", 2),
}


def _split_args(text: str) -> Optional[List[str]]:
    """The comma-separated arguments of ``text`` (what is inside the outer brackets), each with
    its own brackets ``[int]`` taken off; None when the brackets do not pair."""
    args: List[str] = []
    depth = 0
    start = 0
    for i, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                return None
        elif char == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    if depth != 0:
        return None
    args.append(text[start:])
    result = []
    for arg in args:
        arg = arg.strip()
        if arg.startswith("[") and arg.endswith("]"):
            arg = arg[1:-1].strip()
        if not arg:
            return None
        result.append(arg)
    return result


def parse_generic(name: str) -> Optional[Tuple[str, List[str]]]:
    """``'List[int]'`` -> ``('List', ['int'])``; None for a name that is not a closed generic
    (an array ``int[]`` included)."""
    text = name.strip()
    at = text.find("[")
    if at <= 0 or not text.endswith("]") or text.endswith("[]"):
        return None
    args = _split_args(text[at + 1:-1])
    if args is None:
        return None
    return text[:at].strip(), args


class GenericType:
    """One closed generic type: its base and the (kind-checked) names of its arguments."""

    __slots__ = ("base", "kind", "args")

    def __init__(self, base: str, kind: str, args: List[str]) -> None:
        self.base = base            # System.Collections.Generic.List
        self.kind = kind            # list | dictionary | stack | hashset | concurrent
        self.args = args            # the arguments' full names: System.Int32, ...

    @property
    def full_name(self) -> str:
        inner = ",".join(f"[{arg}]" for arg in self.args)
        return f"{self.base}`{len(self.args)}[{inner}]"

    def type_info(self) -> "GenericTypeInfo":
        return GenericTypeInfo(self)

    def type_names(self) -> List[str]:
        return [self.full_name, "System.Object"]


class GenericTypeInfo(PSTypeInfo):
    """``[List[int]]`` and ``$list.GetType()``: ``Name`` is ``List`1``, and the arguments are there."""

    __slots__ = ("generic",)
    ps_properties = ("Name", "FullName", "IsGenericType")  # type: ignore[assignment]

    def __init__(self, generic: GenericType) -> None:
        super().__init__(generic.full_name)
        self.generic = generic

    @property
    def Name(self) -> str:
        return f"{self.generic.base.rsplit('.', 1)[-1]}`{len(self.generic.args)}"

    @property
    def IsGenericType(self) -> bool:
        return True

    def GetGenericArguments(self) -> List[Any]:
        from pshell.engine.statics import type_info
        return [type_info(arg) for arg in self.generic.args]


def resolve(name: str) -> Optional[GenericType]:
    """The generic type a name writes, None when it is none we know; an unknown argument type is
    'Unable to find type' (``lookup_type`` raises it)."""
    parsed = parse_generic(name)
    if parsed is None:
        return None
    base, args = parsed
    found = _BASES.get(base.lower().rsplit(".", 1)[-1].split("`", 1)[0])     # List`1 is List
    if found is None or len(args) != found[2]:
        return None
    from pshell.engine.statics import type_info
    return GenericType(found[0], found[1], [type_info(arg).FullName for arg in args])


def _element(value: Any, type_name: str) -> Any:
    from pshell.engine.conversions import convert_to
    return convert_to(value, type_name)


class GenericList(list):
    """``List[T]`` / ``Collection[T]``: a list whose items are converted to ``T`` as they come in."""

    __slots__ = ("generic",)

    def __init__(self, generic: GenericType, items: Iterable[Any] = ()) -> None:
        super().__init__()
        self.generic = generic
        self.extend(items)

    def _item(self, value: Any) -> Any:
        return _element(value, self.generic.args[0])

    def append(self, value: Any) -> None:
        super().append(self._item(value))

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, self._item(value))

    def extend(self, values: Iterable[Any]) -> None:
        super().extend(self._item(value) for value in values)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [self._item(v) for v in value])
        else:
            super().__setitem__(index, self._item(value))

    def ToString(self) -> str:
        return f"{self.generic.base}`1[{self.generic.args[0]}]"


class GenericDictionary(Hashtable):
    """``Dictionary[K, V]``: keys compare exactly, keys and values are converted as they come in."""

    __slots__ = ("generic",)

    def __init__(self, generic: GenericType, items: Iterable[Tuple[Any, Any]] = ()) -> None:
        self.generic = generic
        super().__init__(items)

    @staticmethod
    def _fold(key: Any) -> Any:
        return key

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(_element(key, self.generic.args[0]), _element(value, self.generic.args[1]))

    def ToString(self) -> str:
        return f"{self.generic.base}`2[{self.generic.args[0]},{self.generic.args[1]}]"


class GenericHashSet:
    """``HashSet[T]``: distinct items (strings compare case-sensitively, as .NET's default does),
    kept in the order they were added; ``Add`` says whether the item was new."""

    __slots__ = ("generic", "_items")
    ps_properties = ("Count",)
    ps_enumerable = True            # a pipeline, foreach and @() take its items

    def __init__(self, generic: GenericType, items: Iterable[Any] = ()) -> None:
        self.generic = generic
        self._items: Dict[Any, Any] = {}
        self.UnionWith(items)

    @property
    def ps_type_names(self) -> Tuple[str, ...]:
        return (self.generic.full_name, "System.Object")

    @staticmethod
    def _key(value: Any) -> Any:
        try:
            hash(value)
        except TypeError:                   # a list, a hashtable: the same object only
            return ("\0object", id(value))
        return (type(value) is str, value)

    @property
    def Count(self) -> int:
        return len(self._items)

    def Add(self, value: Any) -> bool:
        item = _element(value, self.generic.args[0])
        key = self._key(item)
        if key in self._items:
            return False
        self._items[key] = item
        return True

    def Remove(self, value: Any) -> bool:
        return self._items.pop(self._key(_element(value, self.generic.args[0])), _MISSING) is not _MISSING

    def Contains(self, value: Any) -> bool:
        return self._key(_element(value, self.generic.args[0])) in self._items

    def Clear(self) -> None:
        self._items.clear()

    def UnionWith(self, values: Iterable[Any]) -> None:
        for value in _items(values) if values is not None else ():
            self.Add(value)

    def IntersectWith(self, values: Iterable[Any]) -> None:
        keep = {self._key(_element(v, self.generic.args[0])) for v in _items(values)}
        self._items = {k: v for k, v in self._items.items() if k in keep}

    def ExceptWith(self, values: Iterable[Any]) -> None:
        for value in _items(values):
            self.Remove(value)

    def IsSubsetOf(self, values: Iterable[Any]) -> bool:
        other = {self._key(_element(v, self.generic.args[0])) for v in _items(values)}
        return all(k in other for k in self._items)

    def IsSupersetOf(self, values: Iterable[Any]) -> bool:
        return all(self.Contains(v) for v in _items(values))

    def Overlaps(self, values: Iterable[Any]) -> bool:
        return any(self.Contains(v) for v in _items(values))

    def __iter__(self) -> Any:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def ToString(self) -> str:
        return f"{self.generic.base}`1[{self.generic.args[0]}]"


_MISSING = object()


def _items(value: Any) -> List[Any]:
    if isinstance(value, (list, tuple, range)):
        return list(value)
    if hasattr(value, "__iter__") and not isinstance(value, (str, dict)) and hasattr(value, "ps_type_names"):
        return list(value)          # another collection (a Stack ...)
    return [value]


def _make(generic: GenericType, value: Any) -> Any:
    if generic.kind == "list":
        return GenericList(generic, () if value is None else _items(value))
    if generic.kind == "dictionary":
        made = GenericDictionary(generic)
        if isinstance(value, dict):
            for key, item in value.items():
                made[key] = item
        return made
    if generic.kind == "stack":
        from pshell.engine.dotnet_types import new_stack
        return new_stack(value)
    if generic.kind == "hashset":
        return GenericHashSet(generic, () if value is None else _items(value))
    from pshell.engine.values import ConcurrentDictionary
    return ConcurrentDictionary()


def convert(value: Any, type_name: str) -> Any:
    """``[List[int]]value``: each item converted; ``$null`` stays ``$null``."""
    generic = resolve(type_name)
    if generic is None or value is None:
        return None
    if getattr(value, "generic", None) is not None and value.generic.full_name == generic.full_name:
        return value
    if generic.kind == "dictionary" and not isinstance(value, dict):
        from pshell.engine.conversions import invalid_cast
        raise invalid_cast(f'Cannot convert value "{value}" to type "{generic.full_name}".')
    return _make(generic, value)


def new(type_name: str, args: List[Any]) -> Any:
    """``[List[int]]::new()``, ``::new(capacity)`` and ``::new(items)``."""
    generic = resolve(type_name)
    if generic is None:
        return None
    first = args[0] if args else None
    if isinstance(first, int) and not isinstance(first, bool):
        first = None                # a capacity
    return _make(generic, first)


def is_generic(value: Any, type_name: str) -> bool:
    generic = resolve(type_name)
    mine = getattr(value, "generic", None)
    return generic is not None and isinstance(mine, GenericType) and mine.full_name == generic.full_name


def type_info(type_name: str) -> Optional[PSTypeInfo]:
    generic = resolve(type_name)
    return generic.type_info() if generic is not None else None
