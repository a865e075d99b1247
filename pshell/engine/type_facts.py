"""What a type name alone tells about a .NET type: its base type's name and whether it is
serializable, for ``$x.GetType().BaseType`` / ``.IsSerializable`` and the table view of types."""

from __future__ import annotations

__all__ = ["base_type_name", "is_serializable", "is_value_type"]

_BASE_TYPES = {
    "system.object": "", "system.valuetype": "System.Object", "system.string": "System.Object",
    "system.array": "System.Object", "system.object[]": "System.Array",
    "system.collections.hashtable": "System.Object",
    "system.collections.specialized.ordereddictionary": "System.Object",
    "system.management.automation.pscustomobject": "System.Object",
    "system.management.automation.psobject": "System.Object",
    "system.management.automation.scriptblock": "System.Object",
    "system.enum": "System.ValueType",
}
_VALUE_TYPES = frozenset((
    "int32", "int64", "int16", "byte", "double", "single", "decimal", "boolean", "char", "datetime",
    "timespan", "guid", "uint32", "uint64", "sbyte", "uint16", "datetimeoffset", "intptr"))
_NOT_SERIALIZABLE = frozenset(("system.management.automation.pscustomobject",
                               "system.management.automation.scriptblock"))


def is_value_type(full_name: str) -> bool:
    name = full_name.lower()
    return name.startswith("system.") and name.count(".") == 1 and name[7:] in _VALUE_TYPES


def base_type_name(full_name: str) -> str:
    """The base type's full name; '' for System.Object itself."""
    name = full_name.lower()
    if name in _BASE_TYPES:
        return _BASE_TYPES[name]
    if name.endswith("[]"):
        return "System.Array"
    return "System.ValueType" if is_value_type(full_name) else "System.Object"


def is_serializable(full_name: str) -> bool:
    return full_name.lower() not in _NOT_SERIALIZABLE
