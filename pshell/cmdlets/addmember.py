"""Add-Member and New-TimeSpan."""

from __future__ import annotations

import datetime as _dt

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import ParameterBindingError, RuntimeException
from pshell.engine.instance_members import (CANONICAL, MEMBER_KINDS, Member, carrier,
                                            extra_type_names, find, table_of)
from pshell.engine.members import get_member
from pshell.engine.types import lookup_type
from pshell.engine.values import Hashtable, PSObject, to_str, type_name_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional

__all__: List[str] = []

def _binding_error(message: str, error_id: str) -> RuntimeException:
    return ParameterBindingError.make(message, error_id, "InvalidData")


def _not_null(value: Any) -> Any:
    if value is None:
        raise _binding_error("The argument is null. Provide a valid value for the argument, and "
                             "then try running the command again.",
                             "ParameterArgumentValidationErrorNullNotAllowed")
    return value


def _name(value: Any) -> str:
    text = to_str(_not_null(value))
    if text == "":
        raise _binding_error("The argument is an empty string. Provide a name that is not empty.",
                             "ParameterArgumentValidationErrorEmptyStringNotAllowed")
    return text


def _member_type(value: Any) -> str:
    """-MemberType: a PSMemberTypes name (any case) or its number."""
    _not_null(value)
    text = to_str(value).strip()
    kind = CANONICAL.get(text.lower())
    if kind is None and text.lstrip("-").isdigit():
        kind = next((CANONICAL[k] for k, n in MEMBER_KINDS.items() if n == int(text)), None)
    if kind is None:
        raise _binding_error(f'Cannot convert value "{text}" to a member type. Use one of: '
                             f'NoteProperty, AliasProperty, ScriptProperty, ScriptMethod, '
                             f'CodeProperty, CodeMethod, MemberSet, PropertySet.',
                             "CannotConvertArgumentNoMessage")
    return kind


_NO_SECOND_VALUE = ("CodeMethod", "MemberSet", "PropertySet", "ScriptMethod", "NoteProperty")


@register
class AddMember(Cmdlet):
    name = "Add-Member"
    synopsis = "Adds a property (note, script or alias) or a script method to any object."
    params = (
        Param("InputObject", _not_null, mandatory=True, pipeline=True),
        Param("MemberType", _member_type, position=0, sets=("TypedMember",), aliases=("Type",)),
        Param("Name", _name, position=1, sets=("TypedMember",)),
        Param("Value", "object", position=2, sets=("TypedMember",)),
        Param("SecondValue", "object", position=3, sets=("TypedMember",)),
        Param("NotePropertyName", _name, position=0, sets=("NotePropertySingle",)),
        Param("NotePropertyValue", "object", position=1, sets=("NotePropertySingle",)),
        Param("NotePropertyMembers", "hashtable", position=0, sets=("NotePropertyMulti",)),
        Param("TypeName", "string"),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
    )
    default_set = "TypedMember"

    @staticmethod
    def positional_set(named: Dict[str, Any], positional: List[Any]) -> Optional[str]:
        """``Add-Member $o Name Value`` adds a note; ``Add-Member $o @{...}`` several; three or
        more positions are -MemberType, -Name, -Value (as in PowerShell)."""
        if {"MemberType", "Name", "Value", "NotePropertyName", "NotePropertyMembers"} & set(named):
            return None
        if len(positional) == 1 and isinstance(positional[0], dict):
            return "NotePropertyMulti"
        if len(positional) == 2:
            return "NotePropertySingle"
        return None

    def process(self) -> Iterator[Any]:
        target = self.InputObject
        members = self._members()
        holder = target if isinstance(target, PSObject) else carrier(target)
        if holder is None:
            raise self.terminate(f"Cannot add a member to a {type_name_of(target)} value.",
                                 "CannotAddMember", "InvalidOperation", target)
        for member in members:
            self._add(holder, member)
        if self.TypeName:
            names = holder.type_names if isinstance(holder, PSObject) else extra_type_names(holder)
            names.insert(0, self.TypeName)
        if self.PassThru:
            yield holder

    def _add(self, holder: Any, member: Member) -> None:
        if isinstance(holder, PSObject):
            exists = holder.has(member.name)
        else:
            exists = find(holder, member.name) is not None
        if exists and not self.Force:
            self.write_error(self.error_record(
                f'Cannot add a member with the name "{member.name}" because a member with that '
                f'name already exists. To overwrite the member anyway, add the Force parameter to '
                f'your command.', "MemberAlreadyExists", "InvalidOperation", member.name,
                exception_type="System.InvalidOperationException"))
            return
        if not isinstance(holder, PSObject):
            table_of(holder)[member.name.lower()] = member
        elif member.kind in ("NoteProperty", "ScriptMethod"):
            holder.set(member.name, member.value)     # a script block note: $obj.Name() runs it
        else:                       # a custom object keeps the value the member has now
            holder.set(member.name, member.read(holder))

    def _members(self) -> List[Member]:
        frame = self.ctx.frame
        if self.NotePropertyMembers is not None:
            table: Hashtable = self.NotePropertyMembers
            return [Member("NoteProperty", to_str(k), v) for k, v in table.items()]
        if self.NotePropertyName is not None:
            return [Member("NoteProperty", self.NotePropertyName, self.NotePropertyValue)]
        kind = self.MemberType
        if kind is None:
            if self.Name is None:
                if self.TypeName:
                    return []
                raise self.terminate("Add-Member needs -MemberType and -Name, -NotePropertyName, "
                                     "-NotePropertyMembers or -TypeName.", "MissingName",
                                     "InvalidArgument")
            kind = "NoteProperty"
        if kind in ("Method", "Property", "ParameterizedProperty"):
            raise self.terminate(f"Add-Member cannot add a member of type {kind}: those are the "
                                 f"object's own.", "CannotAddMemberType", "InvalidOperation", kind)
        if self.Name is None:
            raise self.terminate("Add-Member needs -Name for a -MemberType.", "MissingName",
                                 "InvalidArgument")
        second = self.bound.get("SecondValue")
        if kind in _NO_SECOND_VALUE and second is not None:
            raise self.terminate(f"A {kind} takes no -SecondValue.", "Value2ShouldNotBeSpecified",
                                 "InvalidOperation", second)
        value = self.Value
        if kind in ("CodeProperty", "ScriptProperty") and value is None and second is None:
            raise self.terminate(f"A {kind} needs a getter (-Value) or a setter (-SecondValue).",
                                 "Value1AndValue2AreNotBothNull", "InvalidOperation")
        if kind in ("CodeProperty", "CodeMethod"):
            raise self.terminate(f"A {kind} needs a .NET method, which pshell has none of; use a "
                                 f"Script{kind[4:]} with a script block.",
                                 "ConvertToFinalInvalidCastException", "InvalidArgument", value)
        if kind in ("ScriptProperty", "ScriptMethod"):
            for block in (value, second):
                if block is not None and not hasattr(block, "compiled"):
                    raise self.terminate(f"A {kind} needs script blocks; got '{to_str(block)}'.",
                                         "ConvertToFinalInvalidCastException", "InvalidArgument",
                                         block)
            return [Member(kind, self.Name, value, second, frame)]
        if kind == "AliasProperty":
            if second is not None:
                try:
                    lookup_type(to_str(second))
                except RuntimeException:
                    raise self.terminate(f'Cannot convert "{to_str(second)}" to a type: no type of '
                                         f'that name.', "InvalidCastFromStringToType",
                                         "InvalidArgument", second) from None
            return [Member(kind, self.Name, to_str(value), to_str(second) if second else None)]
        if kind == "MemberSet":
            return [Member("NoteProperty", self.Name, self._member_set(value))]
        if kind == "PropertySet":
            return [Member("NoteProperty", self.Name, value)]
        return [Member("NoteProperty", self.Name, value)]

    def _member_set(self, value: Any) -> PSObject:
        bag = PSObject()
        if value is None:
            return bag
        if not isinstance(value, (list, tuple)):
            raise self.terminate(f"A MemberSet needs a collection of members; got "
                                 f"'{to_str(value)}'.", "ConvertToFinalInvalidCastException",
                                 "InvalidArgument", value)
        for item in value:
            bag.set(to_str(get_member(item, "Name")), get_member(item, "Value"))
        return bag


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
