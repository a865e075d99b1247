"""Type accelerators: the short names ``[int]``, ``[hashtable]``, ``[pscredential]`` stand for, and
the ones scripts add through ``[psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')``
(``::Get`` the table, ``::Add(name, type)``, ``::Remove(name)``).

The built-in short names are resolved by ``types.lookup_type``; this module lists the ones it
knows (for ``::Get``) and holds the added ones.  Like PowerShell's, the added names are the
process's, not one runspace's.
"""

from __future__ import annotations


from pshell.engine.values import PSTypeInfo, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = ["USER", "target_of", "get_table", "add", "remove", "Assembly", "TYPE_NAME"]

TYPE_NAME = "System.Management.Automation.TypeAccelerators"

#: lower-cased added name -> (the name as written, the type name it stands for)
USER: Dict[str, Tuple[str, str]] = {}

# PowerShell's short names that pshell resolves too (those it does not know are left out of ::Get)
_BUILT_IN = (
    "Alias", "AllowEmptyCollection", "AllowEmptyString", "AllowNull", "ArgumentCompleter",
    "ArgumentCompletions", "array", "bool", "byte", "char", "CmdletBinding", "datetime", "decimal",
    "double", "DscResource", "ExperimentAction", "Experimental", "ExperimentalFeature", "float",
    "single", "guid", "hashtable", "int", "int32", "short", "int16", "long", "int64", "ciminstance",
    "cimclass", "cimtype", "cimconverter", "IPEndpoint", "NullString", "OutputType", "ObjectSecurity",
    "ordered", "Parameter", "PhysicalAddress", "pscredential", "PSDefaultValue", "pslistmodifier",
    "psobject", "pscustomobject", "psprimitivedictionary", "ref", "PSTypeNameAttribute", "regex",
    "DscProperty", "sbyte", "string", "SupportsWildcards", "switch", "cultureinfo", "bigint",
    "securestring", "timespan", "uint16", "ushort", "uint32", "uint", "uint64", "ulong", "uri",
    "ValidateCount", "ValidateDrive", "ValidateLength", "ValidateNotNull", "ValidateNotNullOrEmpty",
    "ValidateNotNullOrWhiteSpace", "ValidatePattern", "ValidateRange", "ValidateScript", "ValidateSet",
    "ValidateTrustedData", "ValidateUserDrive", "version", "void", "ipaddress",
    "DscLocalConfigurationManager", "WildcardPattern", "X509Certificate", "X500DistinguishedName",
    "xml", "CimSession", "mailaddress", "semver", "scriptblock", "pspropertyexpression", "psvariable",
    "type", "psmoduleinfo", "powershell", "runspacefactory", "runspace", "initialsessionstate",
    "psscriptmethod", "psscriptproperty", "psnoteproperty", "psaliasproperty", "psvariableproperty",
    "NoRunspaceAffinity", "object",
)


def target_of(name: str) -> Optional[str]:
    """The type name an added accelerator stands for (``name`` lower-cased), or None."""
    found = USER.get(name)
    return found[1] if found is not None else None


def _type_name_of(value: Any) -> str:
    if isinstance(value, PSTypeInfo):
        return value.FullName
    name = getattr(value, "name", None)                 # a script's class or enum
    if isinstance(name, str):
        return name
    return to_str(value)


def get_table() -> Any:
    """``::Get``: every short name and the type it stands for (names compare case-insensitively)."""
    from pshell.engine.statics import type_info
    from pshell.engine.errors import RuntimeException
    from pshell.engine.values import Hashtable
    table = Hashtable()
    for name in _BUILT_IN:
        try:
            table[name] = type_info(name)
        except RuntimeException:                        # a type pshell does not have
            continue
    for written, target in USER.values():
        table[written] = type_info(target)
    return table


def add(args: List[Any]) -> None:
    """``::Add(name, type)``: ``[name]`` stands for the type from now on (a name already taken
    by a built-in accelerator keeps its meaning, as in PowerShell)."""
    name = to_str(args[0]).strip()
    if not name:
        raise ValueError("the accelerator's name is empty")
    if args[1] is None:
        raise ValueError("the accelerator's type is null")
    USER[name.lower()] = (name, _type_name_of(args[1]))


def remove(args: List[Any]) -> bool:
    """``::Remove(name)``: true when the name was an added accelerator."""
    return USER.pop(to_str(args[0]).strip().lower(), None) is not None


class Assembly:
    """``[psobject].Assembly``: the engine's assembly, only to reach its TypeAccelerators type."""

    ps_type_names = ("System.Reflection.RuntimeAssembly", "System.Reflection.Assembly", "System.Object")
    ps_properties = ("FullName", "Location")
    FullName = "System.Management.Automation, Version=7.4.0.0, Culture=neutral"
    Location = ""

    def GetType(self, name: Any = None, *rest: Any) -> Optional[PSTypeInfo]:
        """A type of the engine by its full name (null when there is none)."""
        if name is None:
            return PSTypeInfo("System.Reflection.RuntimeAssembly")
        wanted = to_str(name).strip()
        if wanted.lower() == TYPE_NAME.lower():
            return PSTypeInfo(TYPE_NAME)
        from pshell.engine.statics import type_info
        from pshell.engine.errors import RuntimeException
        try:
            return type_info(wanted)
        except RuntimeException:
            return None

    def ToString(self) -> str:
        return self.FullName
