"""The runspace's type table (Update-TypeData / Get-TypeData / Remove-TypeData): members given to
every object of a type by its name, from the command line or from ``*.types.ps1xml`` files.

The table lives on the runspace and is published for the running thread as ``CURRENT.type_data``
(like ``CURRENT.types``), because member access (``$s.Note``) has no runspace at hand.  Members
found here come after an object's own: a type's note never hides a real property.
"""

from __future__ import annotations


from pshell.engine.values import Hashtable, PSObject, to_str, type_names_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Tuple

__all__ = ["TypeData", "TypeTable", "TypeDataError", "table_of", "MEMBER_KINDS"]

MEMBER_KINDS = ("NoteProperty", "AliasProperty", "ScriptProperty", "ScriptMethod")

# types whose data ships with pshell (what it shows and adds for them natively)
_BUILT_IN = ("System.DateTime", "System.Management.Automation.PSCredential",
             "System.Management.Automation.ErrorRecord", "System.Management.Automation.PSReference")


class TypeDataError(ValueError):
    """Update-TypeData refused: ``error_id`` says why, as pwsh names it."""

    def __init__(self, message: str, error_id: str) -> None:
        super().__init__(message)
        self.error_id = error_id


class TypeMember:
    ps_properties = ("Name", "MemberType", "Value")

    def __init__(self, kind: str, name: str, value: Any, second: Any = None) -> None:
        self.MemberType = kind
        self.Name = name
        self.Value = value
        self.SecondValue = second


class TypeData:
    """``System.Management.Automation.Runspaces.TypeData``: one type's members and settings."""

    ps_type_names = ("System.Management.Automation.Runspaces.TypeData",)
    ps_properties = ("TypeName", "Members", "DefaultDisplayPropertySet", "TypeAdapter")

    def __init__(self, type_name: str) -> None:
        self.TypeName = type_name
        self.Members = Hashtable()
        self.DefaultDisplayPropertySet: Any = None
        self.TypeAdapter: Any = None
        self.standard: Dict[str, Any] = {}

    def is_empty(self) -> bool:
        return not self.Members and self.DefaultDisplayPropertySet is None and not self.standard


class TypeTable:
    def __init__(self, runspace: Any) -> None:
        self.runspace = runspace
        self.types: Dict[str, TypeData] = {n.lower(): TypeData(n) for n in _BUILT_IN}
        self.dynamic: Dict[str, TypeData] = {}       # what the command line added, per type
        self.files: List[Tuple[str, List[TypeData]]] = []

    # ---- changes ---------------------------------------------------------------
    def add_member(self, type_name: str, kind: str, name: str, value: Any, second: Any,
                   force: bool) -> None:
        data = self.dynamic.setdefault(type_name.lower(), TypeData(type_name))
        if name in data.Members and not force:
            raise TypeDataError(f"The member {name} is already present on type {type_name}; use "
                                f"-Force to replace it.", "TypesDynamicUpdateException")
        data.Members[name] = TypeMember(kind, name, value, second)
        self._rebuild()

    def set_display(self, type_name: str, names: List[str]) -> None:
        data = self.dynamic.setdefault(type_name.lower(), TypeData(type_name))
        data.DefaultDisplayPropertySet = PSObject.from_pairs([("ReferencedProperties", list(names))])
        self._rebuild()

    def set_standard(self, type_name: str, settings: Dict[str, Any]) -> None:
        data = self.dynamic.setdefault(type_name.lower(), TypeData(type_name))
        data.standard.update(settings)
        self._rebuild()

    def set_adapter(self, type_name: str, adapter: Any) -> None:
        data = self.dynamic.setdefault(type_name.lower(), TypeData(type_name))
        data.TypeAdapter = adapter
        self._rebuild()

    def load_file(self, path: str, text: str, prepend: bool) -> None:
        entry = (path, parse_types_xml(text, path))
        if any(p == path for p, _ in self.files):
            return
        if prepend:
            self.files.insert(0, entry)
        else:
            self.files.append(entry)
        self._rebuild()

    def remove_file(self, path: str) -> bool:
        before = len(self.files)
        self.files = [(p, d) for p, d in self.files if p != path]
        self._rebuild()
        return len(self.files) != before

    def remove_type(self, type_name: str) -> bool:
        key = type_name.lower()
        found = key in self.types and not self.types[key].is_empty()
        self.dynamic.pop(key, None)
        self.files = [(p, [d for d in datas if d.TypeName.lower() != key]) for p, datas in self.files]
        self._rebuild()
        self.types.pop(key, None)
        return found

    def _rebuild(self) -> None:
        merged: Dict[str, TypeData] = {n.lower(): TypeData(n) for n in _BUILT_IN}
        sources: List[TypeData] = [d for _, datas in self.files for d in datas]
        for data in sources + list(self.dynamic.values()):
            into = merged.setdefault(data.TypeName.lower(), TypeData(data.TypeName))
            for key, member in data.Members.items():
                into.Members[key] = member
            if data.DefaultDisplayPropertySet is not None:
                into.DefaultDisplayPropertySet = data.DefaultDisplayPropertySet
            if data.TypeAdapter is not None:
                into.TypeAdapter = data.TypeAdapter
            into.standard.update(data.standard)
        self.types = merged

    # ---- lookups ---------------------------------------------------------------
    def find(self, type_name: str) -> Optional[TypeData]:
        return self.types.get(type_name.lower())

    def _datas(self, obj: Any) -> Iterable[TypeData]:
        for name in type_names_of(obj):
            data = self.types.get(name.lower())
            if data is not None:
                yield data

    def member(self, obj: Any, name: str) -> Optional[TypeMember]:
        for data in self._datas(obj):
            member = data.Members.get(name)
            if member is not None:
                return member
        return None

    def property_value(self, obj: Any, name: str) -> Any:
        """(True, value) when a type of ``obj`` has a property ``name``, else (False, None)."""
        if name.lower() == "psstandardmembers":
            standard = self._standard(obj)
            return (True, standard) if standard is not None else (False, None)
        member = self.member(obj, name)
        if member is None or member.MemberType == "ScriptMethod":
            return False, None
        if member.MemberType == "NoteProperty":
            return True, member.Value
        if member.MemberType == "AliasProperty":
            from pshell.engine.members import get_member
            value = get_member(obj, to_str(member.Value))
            if member.SecondValue:
                from pshell.engine.conversions import convert_to
                value = convert_to(value, to_str(member.SecondValue))
            return True, value
        result = self.run(obj, member.Value, [])
        return True, result[0] if len(result) == 1 else (result or None)

    def _standard(self, obj: Any) -> Any:
        settings: Dict[str, Any] = {}
        display = None
        for data in reversed(list(self._datas(obj))):
            settings.update(data.standard)
            display = data.DefaultDisplayPropertySet or display
        if not settings and display is None:
            return None
        pairs: List[Tuple[str, Any]] = []
        for key, value in settings.items():
            if key == "StringSerializationSource":
                from pshell.engine.members import get_member
                value = get_member(obj, to_str(value))
            elif key == "PropertySerializationSet":
                value = PSObject.from_pairs([("ReferencedPropertyNames", list(value))])
            pairs.append((key, value))
        if display is not None:
            names = display.get("ReferencedProperties")
            pairs.append(("DefaultDisplayPropertySet",
                          PSObject.from_pairs([("ReferencedPropertyNames", names)])))
        return PSObject.from_pairs(pairs)

    def run(self, this: Any, block: Any, args: List[Any]) -> List[Any]:
        """Run a script member's block with ``$this`` set to the object."""
        from pshell.engine.command_context import invoke_block
        from pshell.engine.runtime import Frame, Scope
        if not hasattr(block, "compiled"):
            block = self.runspace.compile(to_str(block), "<type member>")
        base = self.runspace.new_frame()
        scope = Scope(base.scope)
        scope.vars["this"] = this
        frame = Frame(base.rs, scope, base.streams, base.script_scope, base.unit)
        return list(invoke_block(frame, block, tuple(args)))


def table_of(runspace: Any) -> TypeTable:
    """The runspace's table, made on first use and published for this thread."""
    from pshell.engine.runtime import CURRENT
    table = runspace.__dict__.get("type_data")
    if table is None:
        table = runspace.__dict__["type_data"] = TypeTable(runspace)
    CURRENT.type_data = table
    return table


# --------------------------------------------------------------------------- *.types.ps1xml

def _text(node: Any, tag: str) -> Optional[str]:
    child = node.find(tag)
    return None if child is None or child.text is None else child.text.strip()


def parse_types_xml(text: str, path: str) -> List[TypeData]:
    """The types of a types file: ``<Types><Type><Name/><Members>...</Members></Type></Types>``.
    Anything else in a Type (a misspelt element) is an error naming it, as is bad XML."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise TypeDataError(f"{path}: the file is not valid XML: {exc}.", "TypesXmlUpdateException")
    if root.tag != "Types":
        raise TypeDataError(f"{path}: the root element is <{root.tag}>, not <Types>.",
                            "TypesXmlUpdateException")
    result = []
    for node in root:
        if node.tag != "Type":
            raise TypeDataError(f"{path}: unexpected element <{node.tag}> in <Types>.",
                                "TypesXmlUpdateException")
        name = _text(node, "Name")
        if not name:
            raise TypeDataError(f"{path}: a <Type> has no <Name>.", "TypesXmlUpdateException")
        data = TypeData(name)
        for part in node:
            if part.tag == "Name":
                continue
            if part.tag != "Members":
                raise TypeDataError(f"{path}: type {name} has an unknown element <{part.tag}>.",
                                    "TypesXmlUpdateException")
            for member in part:
                _xml_member(data, member, path)
        result.append(data)
    return result


def _xml_member(data: TypeData, node: Any, path: str) -> None:
    name = _text(node, "Name") or ""
    values = {"NoteProperty": "Value", "AliasProperty": "ReferencedMemberName",
              "ScriptProperty": "GetScriptBlock", "ScriptMethod": "Script"}
    if node.tag in values:
        value = _text(node, values[node.tag])
        if not name or value is None:
            raise TypeDataError(f"{path}: a {node.tag} of type {data.TypeName} needs a name and "
                                f"<{values[node.tag]}>.", "TypesXmlUpdateException")
        data.Members[name] = TypeMember(node.tag, name, value)
    elif node.tag == "MemberSet" and name == "PSStandardMembers":
        for inner in node.iter("PropertySet"):
            if _text(inner, "Name") == "DefaultDisplayPropertySet":
                names = [n.text.strip() for n in inner.iter("Name") if n.text][1:]
                data.DefaultDisplayPropertySet = PSObject.from_pairs([("ReferencedProperties", names)])
    else:
        raise TypeDataError(f"{path}: member kind <{node.tag}> of type {data.TypeName} is not "
                            f"supported.", "TypesXmlUpdateException")
