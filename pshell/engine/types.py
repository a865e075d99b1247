"""Type names: what a name in [brackets] means (lookup_type's kinds, the aliases and the .NET
names pshell knows), their full names, and the -is test (is_type)."""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt
import decimal
import sys

from pshell.engine import accelerators as _accelerators
from pshell.engine import numbers as _numbers
from pshell.engine.errors import RuntimeException
from pshell.engine.values import (AutomationNull, Guid, Hashtable, OrderedHashtable, PSObject, PSTypeInfo,
                                  type_names_of)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict

_TYPE_ALIASES = {
    "int": "int", "int32": "int", "system.int32": "int", "long": "long", "int64": "long",
    "system.int64": "long", "byte": "byte", "system.byte": "byte", "double": "double",
    "system.double": "double", "float": "single", "single": "single", "decimal": "decimal",
    "system.decimal": "decimal", "string": "string", "system.string": "string", "bool": "bool",
    "boolean": "bool", "system.boolean": "bool", "char": "char", "system.char": "char",
    "array": "array", "system.array": "array", "object[]": "array", "hashtable": "hashtable",
    "system.collections.hashtable": "hashtable", "ordered": "ordered",
    "system.collections.specialized.ordereddictionary": "ordered",
    "collections.specialized.ordereddictionary": "ordered",
    "pscustomobject": "pscustomobject", "psobject": "psobject",
    "system.management.automation.psobject": "psobject", "object": "object",
    "system.object": "object", "datetime": "datetime", "system.datetime": "datetime",
    "timespan": "timespan", "system.timespan": "timespan", "scriptblock": "scriptblock",
    "regex": "regex", "void": "void", "switch": "switch", "version": "version", "guid": "guid",
    "uint32": "uint32", "uint64": "uint64", "int16": "int16", "uint16": "uint16", "sbyte": "sbyte",
    "short": "int16", "ushort": "uint16", "uint": "uint32", "ulong": "uint64", "bigint": "bigint",
    "numerics.biginteger": "bigint", "system.numerics.biginteger": "bigint",
    "ref": "ref", "psreference": "ref", "management.automation.psreference": "ref",
    "string[]": "string[]", "int[]": "int[]", "long[]": "long[]", "double[]": "double[]",
    "xml": "xml", "xml.xmldocument": "xml", "system.xml.xmldocument": "xml",
    "math": "math", "system.math": "math",
    "ipaddress": "string", "securestring": "securestring", "pscredential": "pscredential",
    "security.securestring": "securestring", "management.automation.pscredential": "pscredential",
    "environment": "environment", "system.environment": "environment", "char[]": "char[]",
    "bool[]": "bool[]", "byte[]": "byte[]", "hashtable[]": "array", "psobject[]": "array",
    "pscustomobject[]": "array", "datetime[]": "array", "scriptblock[]": "array",
    "microsoft.powershell.commands.modulespecification": "modulespecification",
    "modulespecification": "modulespecification",
}


def lookup_type(name: str) -> str:
    """The canonical kind for a type name, or raise 'Unable to find type'."""
    key = name.strip().lower()
    kind = _TYPE_ALIASES.get(key)
    if kind is None and key in _accelerators.USER:       # [TypeAccelerators]::Add's names
        return lookup_type(_accelerators.USER[key][1])
    if kind is None and key.startswith("system."):
        kind = _TYPE_ALIASES.get(key[7:])
    if kind is None:
        if key.endswith("[]"):
            return "array"
        if key.endswith("]") and "[" in key:
            from pshell.engine import generics
            if generics.resolve(name) is not None:
                return "generic"            # [List[int]], [Dictionary[string, int]] ...
        if key.startswith(("system.collections.concurrent.concurrentdictionary",
                           "collections.concurrent.concurrentdictionary")):
            return "concurrentdictionary"
        if key.startswith(("system.collections.generic.stack", "collections.generic.stack")):
            return "stack"
        if key.startswith(("system.collections.generic.list", "system.collections.objectmodel.collection",
                           "collections.objectmodel.collection")) or key in (
                "system.collections.arraylist", "collections.arraylist"):
            return "list"
        if key in _KNOWN_NAMED_TYPES or key.rsplit(".", 1)[-1] in _KNOWN_NAMED_TYPES:
            return "named"
        if key.startswith(("system.management.automation.language.", "management.automation.language.")):
            from pshell.engine.ast_view import TYPE_NAMES      # [Parser]::ParseInput's tree
            if key.rsplit(".", 1)[-1] in TYPE_NAMES:
                return "named"
        from pshell.engine import exception_types, powershell_api
        if exception_types.is_exception_type(key) or powershell_api.is_hosting_type(key):
            return "named"      # .NET's exceptions (::new, -is, catch) and the hosting types
        classes = sys.modules.get("pshell.engine.classes")
        if classes is not None and classes.find_type(key) is not None:
            return "user"
        from pshell.engine import dotnet_types
        if key in dotnet_types.ENUM_NAMES:
            return "user"
        if key in dotnet_types.KNOWN_TYPES or "system." + key in dotnet_types.KNOWN_TYPES:
            return "named"
        raise RuntimeException.make(f"Unable to find type [{name}].", "TypeNotFound",
                                     "InvalidOperation")
    return kind


_FULL_TYPE_NAMES = {
    "int": "System.Int32", "long": "System.Int64", "byte": "System.Byte", "double": "System.Double",
    "string": "System.String", "bool": "System.Boolean", "char": "System.Char",
    "array": "System.Object[]", "hashtable": "System.Collections.Hashtable",
    "ordered": "System.Collections.Specialized.OrderedDictionary",
    "pscustomobject": "System.Management.Automation.PSCustomObject",
    "psobject": "System.Management.Automation.PSObject", "object": "System.Object",
    "datetime": "System.DateTime", "timespan": "System.TimeSpan",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "regex": "System.Text.RegularExpressions.Regex", "void": "System.Void",
    "switch": "System.Management.Automation.SwitchParameter", "version": "System.Version",
    "guid": "System.Guid", "string[]": "System.String[]", "int[]": "System.Int32[]",
    "math": "System.Math", "list": "System.Collections.Generic.List",
    "stack": "System.Collections.Generic.Stack`1", "long[]": "System.Int64[]",
    "double[]": "System.Double[]", "environment": "System.Environment",
    "securestring": "System.Security.SecureString",
    "pscredential": "System.Management.Automation.PSCredential",
    "ref": "System.Management.Automation.PSReference",
    "xml": "System.Xml.XmlDocument",
}
_FULL_TYPE_NAMES.update((kind, full) for kind, (_, full) in _numbers.KINDS.items())


# .NET types pshell has no conversion for but whose objects it produces (so `-is [ErrorRecord]`,
# `catch [System.IO.IOException]` and `[System.Management.Automation.PSCredential]` parse).
_KNOWN_NAMED_TYPES = {
    "errorrecord", "system.management.automation.errorrecord", "exception", "system.exception",
    "runtimeexception", "system.management.automation.runtimeexception", "ioexception",
    "system.io.ioexception", "fileinfo", "system.io.fileinfo", "directoryinfo",
    "system.io.directoryinfo", "filesysteminfo", "system.io.filesysteminfo",
    "job", "system.management.automation.job", "pssession",
    "system.management.automation.runspaces.pssession", "process", "system.diagnostics.process",
    "warningrecord", "verboserecord", "debugrecord", "informationrecord", "progressrecord",
    "matchinfo", "microsoft.powershell.commands.matchinfo", "pathinfo", "commandinfo",
    "system.management.automation.commandinfo", "dividebyzeroexception",
    "system.dividebyzeroexception", "argumentexception", "system.argumentexception",
    "itemnotfoundexception", "system.management.automation.itemnotfoundexception",
    "commandnotfoundexception", "system.management.automation.commandnotfoundexception",
    "invalidoperationexception", "system.invalidoperationexception", "psinvalidcastexception",
    "cultureinfo", "system.globalization.cultureinfo", "globalization.cultureinfo",
    "system.net.networkcredential", "net.networkcredential",
    "system.management.automation.psparser", "management.automation.psparser",
    "powershell", "system.management.automation.powershell", "runspacefactory",
    "system.management.automation.runspaces.runspacefactory",
    "system.management.automation.language.parser", "management.automation.language.parser",
    "errorcategory", "system.management.automation.errorcategory",
    "psmoduleinfo", "system.management.automation.psmoduleinfo",
    "attribute", "system.attribute",        # engine/dynparams.py's attribute objects
}


# objects of engine modules that have no conversion of their own (kept apart from the set above)
_KNOWN_NAMED_TYPES.update(("timezoneinfo", "system.timezoneinfo",
                           "system.management.automation.internal.internaltesthooks",
                           "management.automation.internal.internaltesthooks"))
# what Get-Command and Get-Alias give (cmdlets/commands.py, engine/alias_table.py)
_KNOWN_NAMED_TYPES.update(("aliasinfo", "system.management.automation.aliasinfo", "cmdletinfo",
                           "system.management.automation.cmdletinfo", "functioninfo",
                           "system.management.automation.functioninfo", "applicationinfo",
                           "system.management.automation.applicationinfo"))
_KNOWN_NAMED_TYPES.update("system.xml." + name for name in (        # engine/xmldoc.py's nodes
    "xmlnode", "xmlelement", "xmlattribute", "xmltext", "xmlcdatasection", "xmlcomment",
    "xmldeclaration", "xmlnodelist", "xmlnamespacemanager", "xmllinkednode", "xmlcharacterdata"))


def full_type_name(kind: str) -> str:
    return _FULL_TYPE_NAMES.get(kind, kind)


def is_type(value: Any, type_name: str) -> bool:
    kind = lookup_type(type_name)
    if value is None or value is AutomationNull:
        return False
    if kind == "psobject":
        # a bare string, number or bool (a literal, a variable's value) is no PSObject wrapper
        return not isinstance(value, (str, int, float, decimal.Decimal)) or type(value) is Guid
    if kind == "object":
        return True
    if kind == "generic":
        from pshell.engine import generics
        return bool(generics.is_generic(value, type_name))
    checks: Dict[str, Callable[[Any], bool]] = {
        "int": lambda v: type(v) is int and -2**31 <= v < 2**31,
        "long": lambda v: type(v) is _numbers.PSInt64 or (type(v) is int and -2**63 <= v < 2**63
                                                          and not -2**31 <= v < 2**31),
        "bigint": lambda v: type(v) is _numbers.PSBigInteger or (type(v) is int and
                                                                 not -2**63 <= v < 2**63),
        "double": lambda v: type(v) is float,
        "string": lambda v: isinstance(v, str) and type(v) is not Guid,
        "guid": lambda v: type(v) is Guid,
        "bool": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, (list, tuple)),
        "hashtable": lambda v: isinstance(v, dict) and type(v) is not OrderedHashtable,
        "ordered": lambda v: isinstance(v, OrderedHashtable) or (isinstance(v, dict)
                                                                 and not isinstance(v, Hashtable)),
        "pscustomobject": lambda v: isinstance(v, PSObject),
        "datetime": lambda v: isinstance(v, _dt.datetime),
        "timespan": lambda v: isinstance(v, _dt.timedelta),
        "scriptblock": lambda v: hasattr(v, "ast") and hasattr(v, "text"),
        "securestring": lambda v: "System.Security.SecureString" in type_names_of(v),
        "pscredential": lambda v: "System.Management.Automation.PSCredential" in type_names_of(v),
        "ref": lambda v: "System.Management.Automation.PSReference" in type_names_of(v),
        "xml": lambda v: "System.Xml.XmlDocument" in type_names_of(v),
    }
    if type_name.strip().lower() in ("type", "system.type"):
        return isinstance(value, PSTypeInfo)
    check = checks.get(kind)
    if check is not None:
        return check(value)
    if kind in _numbers.KINDS:
        return type(value) is _numbers.KINDS[kind][0]
    wanted = type_name.lower()
    # the class's own names count too: PSTypeNames changed on an instance do not change its type
    names = type_names_of(value)
    own = getattr(type(value), "ps_type_names", None)
    if isinstance(own, (tuple, list)):
        names = names + list(own)
    return any(name.lower() in (wanted, "deserialized." + wanted) or
               name.lower().endswith("." + wanted) for name in names)
