"""Add-Member and New-TimeSpan."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterator, List

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.values import Hashtable, PSObject, to_str

__all__: List[str] = []

_MEMBER_TYPES = ("NoteProperty", "ScriptProperty", "ScriptMethod", "AliasProperty")


@register
class AddMember(Cmdlet):
    name = "Add-Member"
    synopsis = "Adds a property (note, script or alias) or a script method to an object."
    params = (
        Param("InputObject", "object", mandatory=True, pipeline=True),
        Param("MemberType", "string", position=0, sets=("TypedMember",), aliases=("Type",),
              validate_set=_MEMBER_TYPES),
        Param("Name", "string", position=1, sets=("TypedMember",)),
        Param("Value", "object", position=2, sets=("TypedMember",)),
        Param("SecondValue", "object", position=3, sets=("TypedMember",)),
        Param("NotePropertyName", "string", position=0, sets=("NotePropertySingle",)),
        Param("NotePropertyValue", "object", position=1, sets=("NotePropertySingle",)),
        Param("NotePropertyMembers", "hashtable", position=0, sets=("NotePropertyMulti",)),
        Param("TypeName", "string"),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
    )
    default_set = "TypedMember"

    def process(self) -> Iterator[Any]:
        target = self.InputObject
        if not isinstance(target, PSObject):
            raise self.terminate(
                f"Add-Member can only add members to custom objects here (got a "
                f"{type(target).__name__ if target is not None else 'null'} value); use "
                f"[pscustomobject]@{{...}} or Select-Object to make one.", "CannotAddMember",
                "InvalidOperation", target)
        for name, value in self._members():
            if target.has(name) and not self.Force:
                raise self.terminate(f'Cannot add a member with the name "{name}" because a member '
                                     f'with that name already exists. To overwrite the member '
                                     f'anyway, add the Force parameter to your command.',
                                     "MemberAlreadyExists", "InvalidOperation", name)
            target.set(name, value)
        if self.TypeName:
            target.type_names.insert(0, self.TypeName)
        if self.PassThru:
            yield target

    def _members(self) -> List[Any]:
        if self.NotePropertyMembers is not None:
            table: Hashtable = self.NotePropertyMembers
            return [(to_str(k), v) for k, v in table.items()]
        if self.NotePropertyName is not None:
            return [(self.NotePropertyName, self.NotePropertyValue)]
        if not self.Name:
            raise self.terminate("Add-Member needs -Name (or -NotePropertyName / "
                                 "-NotePropertyMembers).", "MissingName", "InvalidArgument")
        kind = (self.MemberType or "NoteProperty").lower()
        if kind == "noteproperty":
            return [(self.Name, self.Value)]
        if kind == "aliasproperty":
            return [(self.Name, self.InputObject.get(to_str(self.Value)))]
        if kind in ("scriptproperty", "scriptmethod"):
            if not hasattr(self.Value, "compiled"):
                raise self.terminate(f"A {self.MemberType} needs a script block as its -Value.",
                                     "ScriptBlockRequired", "InvalidArgument", self.Value)
            if kind == "scriptproperty":
                value = self.invoke(self.Value, dollar_under=self.InputObject)
                return [(self.Name, value[0] if len(value) == 1 else (value or None))]
            return [(self.Name, self.Value)]     # a script block member: $obj.Name() runs it
        raise self.terminate(f"Member type {self.MemberType} is not supported.",
                             "MemberTypeNotSupported", "InvalidArgument")


@register
class NewTimeSpan(Cmdlet):
    name = "New-TimeSpan"
    synopsis = "Makes a TimeSpan from a start and end date, or from days, hours, minutes, seconds."
    params = (
        Param("Start", "datetime", position=0, sets=("Date",), aliases=("LastWriteTime",),
              by_property=True),
        Param("End", "datetime", position=1, sets=("Date",)),
        Param("Days", "int", sets=("Time",)),
        Param("Hours", "int", sets=("Time",)),
        Param("Minutes", "int", sets=("Time",)),
        Param("Seconds", "int", sets=("Time",)),
        Param("Milliseconds", "int", sets=("Time",)),
    )
    default_set = "Date"

    def process(self) -> Iterator[Any]:
        if self.parameter_set == "Time":
            yield _dt.timedelta(days=self.Days or 0, hours=self.Hours or 0, minutes=self.Minutes or 0,
                                seconds=self.Seconds or 0, milliseconds=self.Milliseconds or 0)
            return
        start = self.Start if self.Start is not None else _dt.datetime.now()
        end = self.End if self.End is not None else _dt.datetime.now()
        yield end.replace(tzinfo=None) - start.replace(tzinfo=None)
