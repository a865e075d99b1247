"""The intrinsic ``psobject`` and ``pstypenames`` members: a property bag's type names as a list
that writes back, and the ``$obj.psobject`` view of any value (its Properties and TypeNames)."""

from __future__ import annotations


from pshell.engine.values import PSObject, properties_of, to_str, type_names_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List

__all__ = ["TypeNameList", "PropertyCollection", "_PSObjectView", "_BaseObjectView"]

# The two view classes keep their leading underscore: a Python class's name is its PowerShell type
# name (``$x.psobject.GetType()`` shows ``pshell._PSObjectView``).


def _with_object(names: List[str]) -> List[str]:
    """A custom object's type names end in System.Object, its base type (names set outright, as
    Import-Csv's ``#Type`` does, stay as they are)."""
    if names and names[-1] == "System.Management.Automation.PSCustomObject":
        return list(names) + ["System.Object"]
    return list(names)


class TypeNameList(list):
    """A property bag's ``pstypenames``: inserting, adding or removing a name changes the
    object's own type names (the ``System.Object`` shown last is not stored)."""

    def __init__(self, owner: PSObject) -> None:
        super().__init__(_with_object(owner.type_names))
        self._owner = owner
        self._shown_base = len(self) > len(owner.type_names)

    def _sync(self) -> None:
        names = list(self)
        if self._shown_base and names and names[-1] == "System.Object":
            names.pop()
        self._owner.type_names = names


def _syncing(method: str) -> Callable[..., Any]:
    base = getattr(list, method)

    def call(self: TypeNameList, *args: Any) -> Any:
        result = base(self, *args)
        self._sync()
        return result
    call.__name__ = method
    return call


for _method in ("insert", "append", "extend", "remove", "pop", "clear", "reverse", "__setitem__",
                "__delitem__"):
    setattr(TypeNameList, _method, _syncing(_method))


class PropertyCollection(list):
    """``$obj.psobject.Properties``: a list of properties that also finds one by name
    (``.Item('Name')``, ``['Name']``)."""

    by_name = True

    def Item(self, name: Any) -> Any:
        wanted = to_str(name).lower()
        return next((p for p in self if to_str(p.get("Name")).lower() == wanted), None)

    named = Item

    def Match(self, pattern: Any) -> List[Any]:
        from pshell.engine.wildcards import wildcard_match
        return [p for p in self if wildcard_match(to_str(pattern), to_str(p.get("Name")))]


class _PSObjectView:
    """``$obj.psobject``: its properties, for scripts that enumerate them."""

    ps_properties = ("Properties", "TypeNames")

    def __init__(self, obj: PSObject) -> None:
        self._obj = obj

    @property
    def Properties(self) -> List[PSObject]:
        return PropertyCollection(
            PSObject.from_pairs([("Name", k), ("Value", v), ("MemberType", "NoteProperty"),
                                 ("TypeNameOfValue", _type_name_of_value(v))])
            for k, v in self._obj.items())

    @property
    def TypeNames(self) -> List[str]:
        return TypeNameList(self._obj)


def _type_name_of_value(value: Any) -> str:
    return "System.Object" if value is None else type_names_of(value)[0]


class _BaseObjectView:
    """``$obj.psobject`` of an object that is not a property bag: its type names and properties."""

    ps_properties = ("Properties", "TypeNames")

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    @property
    def Properties(self) -> List[PSObject]:
        from pshell.engine.members import get_member
        return PropertyCollection(
            PSObject.from_pairs([("Name", k), ("Value", value), ("MemberType", "Property"),
                                 ("TypeNameOfValue", _type_name_of_value(value))])
            for k in properties_of(self._obj) for value in (get_member(self._obj, k),))

    @property
    def TypeNames(self) -> List[str]:
        return type_names_of(self._obj)

