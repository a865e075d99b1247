"""Update-TypeData, Get-TypeData, Remove-TypeData (the table is engine/typedata.py)."""

from __future__ import annotations

import os

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.typedata import MEMBER_KINDS, TypeData, TypeDataError, table_of
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, wildcard_regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List

_STANDARD = ("SerializationMethod", "StringSerializationSource", "TargetTypeForDeserialization",
             "SerializationDepth", "InheritPropertySerializationSet", "PropertySerializationSet")


def _path(cmd: Cmdlet, path: Any) -> str:
    """A file path as given (``\\`` is a separator here too, as on pwsh for Linux)."""
    return os.path.join(cmd.runspace.location, to_str(path).replace("\\", "/"))


def _standard_value(name: str, value: Any) -> Any:
    if name == "SerializationMethod":
        text = to_str(value)
        known = ("String", "SpecificProperties", "AllPublicProperties")
        match = next((k for k in known if k.lower() == text.lower()), None)
        if match is None:
            raise TypeDataError(f"-SerializationMethod must be one of {', '.join(known)}, not '{text}'.",
                                "InvalidSerializationMethod")
        return match
    if name == "PropertySerializationSet":
        return [to_str(v) for v in value] if isinstance(value, (list, tuple)) else [to_str(value)]
    return value


def _type_name(name: str) -> str:
    """A type's full name: accelerators ([datetime], [pscredential]) spelled out."""
    from pshell.engine.types import full_type_name, lookup_type
    try:
        kind = lookup_type(name)
    except Exception:
        return name
    full = full_type_name(kind)
    return full if "." in full else name


@register
class UpdateTypeData(Cmdlet):
    name = "Update-TypeData"
    synopsis = "Gives every object of a type extra members, from the command line or a types file."
    default_set = "FileSet"
    params = (
        Param("AppendPath", "string[]", position=0, sets=("FileSet",), aliases=("PSPath", "Path")),
        Param("PrependPath", "string[]", sets=("FileSet",)),
        Param("TypeName", "string", sets=("DynamicTypeSet",)),
        Param("MemberType", "string", sets=("DynamicTypeSet",), validate_set=MEMBER_KINDS),
        Param("MemberName", "string", sets=("DynamicTypeSet",)),
        Param("Value", "object", sets=("DynamicTypeSet",)),
        Param("SecondValue", "object", sets=("DynamicTypeSet",)),
        Param("DefaultDisplayPropertySet", "string[]", sets=("DynamicTypeSet",)),
        Param("TypeAdapter", "string", sets=("DynamicTypeSet",)),
        *(Param(n, "object", sets=("DynamicTypeSet",)) for n in _STANDARD),
        Param("TypeData", "object[]", pipeline=True, sets=("TypeDataSet",)),
        Param("Force", "switch"),
        *SHOULD_PROCESS_PARAMS,
    )

    def process(self) -> Iterator[Any]:
        table = table_of(self.runspace)
        try:
            if self.TypeName is not None:
                self._dynamic(table)
            elif self.TypeData is not None:
                for data in self.TypeData:
                    self._copy(table, data)
            else:
                self._files(table)
        except TypeDataError as exc:
            self.write_error(str(exc), exc.error_id, "InvalidOperation", self.TypeName)
        return iter(())

    def _dynamic(self, table: Any) -> None:
        type_name = _type_name(self.TypeName)
        standard: Dict[str, Any] = {n: _standard_value(n, getattr(self, n)) for n in _STANDARD
                                   if self.is_bound(n)}
        if not (self.MemberType or self.MemberName or self.DefaultDisplayPropertySet or standard
                or self.TypeAdapter):
            raise TypeDataError(f"Nothing to add to type {type_name}: give a member, a display set "
                                f"or serialization settings.", "TypeDataEmpty")
        if not self.should_process(type_name, "Update-TypeData"):
            return
        if self.MemberType or self.MemberName:
            if not self.MemberName:
                raise TypeDataError("-MemberType needs -MemberName.", "MemberNameShouldBeSpecified")
            kind = next(k for k in MEMBER_KINDS if k.lower() == (self.MemberType or "").lower())
            if self.Value is None and (kind != "NoteProperty" or not self.is_bound("Value")):
                raise TypeDataError(f"A {kind} needs -Value.", "ValueShouldBeSpecified")
            table.add_member(type_name, kind, self.MemberName, self.Value, self.SecondValue, self.Force)
        if self.DefaultDisplayPropertySet:
            table.set_display(type_name, list(self.DefaultDisplayPropertySet))
        if standard:
            table.set_standard(type_name, standard)
        if self.TypeAdapter:
            from pshell.engine.values import PSTypeInfo
            table.set_adapter(type_name, PSTypeInfo(self.TypeAdapter))

    def _copy(self, table: Any, data: Any) -> None:
        if not isinstance(data, TypeData):
            raise TypeDataError(f"'{to_str(data)}' is not a TypeData object.", "TypeDataEmpty")
        for member in data.Members.values():
            table.add_member(data.TypeName, member.MemberType, member.Name, member.Value,
                             member.SecondValue, True)

    def _files(self, table: Any) -> None:
        for paths, prepend in ((self.AppendPath or [], False), (self.PrependPath or [], True)):
            for path in paths:
                full = _path(self, path)
                if not full.lower().endswith(".ps1xml"):
                    self.write_error(f"'{path}' is not a types file: its name must end in .ps1xml.",
                                     "WrongExtension", "InvalidArgument", path)
                    continue
                if not self.should_process(full, "Update-TypeData"):
                    continue
                try:
                    with open(full, encoding="utf-8-sig", errors="replace") as f:
                        text = f.read(16 * 1024 * 1024)
                except OSError as exc:
                    self.write_error(f"Cannot read '{full}': {exc.strerror}.", "TypesXmlUpdateException",
                                     "ReadError", path)
                    continue
                try:
                    table.load_file(full, text, prepend)
                except TypeDataError as exc:
                    self.write_error(str(exc), "TypesXmlUpdateException", "InvalidData", path)


@register
class GetTypeData(Cmdlet):
    name = "Get-TypeData"
    synopsis = "Shows the extra members and settings the session has for types, by type name."
    output_type = "System.Management.Automation.Runspaces.TypeData"
    params = (Param("TypeName", "string[]", position=0, pipeline=True),)

    def process(self) -> Iterator[Any]:
        table = table_of(self.runspace)
        patterns = [to_str(n) for n in (self.TypeName or ["*"])]
        seen = set()
        for pattern in patterns:
            if has_wildcards(pattern):
                regex = wildcard_regex(pattern)
                found: List[TypeData] = [d for k, d in sorted(table.types.items()) if regex.match(d.TypeName)]
            else:
                one = table.find(_type_name(pattern))
                found = [one] if one is not None else []
            for data in found:
                if id(data) not in seen:
                    seen.add(id(data))
                    yield data


@register
class RemoveTypeData(Cmdlet):
    name = "Remove-TypeData"
    synopsis = "Takes back what Update-TypeData added: a type's data, or all the types of a file."
    params = (
        Param("TypeName", "string", position=0, mandatory=("RemoveTypeSet",), sets=("RemoveTypeSet",)),
        Param("Path", "string[]", mandatory=("RemoveFileSet",), sets=("RemoveFileSet",)),
        Param("TypeData", "object", pipeline=True, mandatory=("RemoveTypeDataSet",),
              sets=("RemoveTypeDataSet",)),
        *SHOULD_PROCESS_PARAMS,
    )

    def process(self) -> Iterator[Any]:
        table = table_of(self.runspace)
        if self.Path:
            for path in self.Path:
                full = _path(self, path)
                if self.should_process(full, "Remove-TypeData") and not table.remove_file(full):
                    self.write_error(f"The types file '{full}' was not loaded in this session.",
                                     "TypeFileNotExistsInCurrentSession", "ObjectNotFound", path)
            return iter(())
        name = self.TypeData.TypeName if isinstance(self.TypeData, TypeData) else self.TypeName
        full_name = _type_name(to_str(name))
        if self.should_process(full_name, "Remove-TypeData") and not table.remove_type(full_name):
            self.write_error(f"The session has no type data for type '{full_name}'.",
                             "TypesDynamicRemoveException", "ObjectNotFound", name)
        return iter(())
