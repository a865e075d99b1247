"""Static members of types: [T]::Name and [T]::Method(...) for the .NET types admins use daily
(Math, DateTime, Environment, IO.Path, Regex, Convert, ...), [T]::new, and type_info for [T] itself."""

from __future__ import annotations

import datetime as _dt
import functools
import math
import os
import sys

from pshell.engine import dotnet_types, hostinfo, numbers, powershell_api
from pshell.engine.credentials import CONSTRUCTORS, PSCredential
from pshell.engine.errors import RuntimeException
from pshell.engine.values import (AutomationNull, DBNull, Guid, Hashtable, NullString, PSChar, PSObject,
                                  PSTypeInfo, to_bool, to_number, to_str)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

def _err(message: str, error_id: str, category: str = "InvalidOperation",
         exception_type: str = "System.Management.Automation.RuntimeException") -> RuntimeException:
    return RuntimeException.make(message, error_id, category, exception_type=exception_type)


def _arg(args: List[Any], i: int, default: Any = None) -> Any:
    return args[i] if len(args) > i else default


def user_type(type_name: str) -> Any:
    """The class or enum a script of this runspace defined under that name (or a built-in enum
    such as DayOfWeek), or None."""
    classes = sys.modules.get("pshell.engine.classes")
    found = None if classes is None else classes.find_type(type_name)
    return found if found is not None else dotnet_types.builtin_enum(type_name)


def _list_index(obj: Any, item: Any) -> int:
    from pshell.engine.operators import equals
    for index, element in enumerate(obj if isinstance(obj, (list, tuple)) else [obj]):
        if equals(element, item):
            return index
    return -1


def _cmp(a: Any, b: Any) -> int:
    from pshell.engine.operators import compare_values
    return compare_values(a, b)


def _hashtable_synchronized(a: List[Any]) -> Any:
    """[hashtable]::Synchronized: the table itself (each of its operations is already atomic
    here; a read-modify-write such as $h.n++ is not, as in PowerShell)."""
    table = _arg(a, 0)
    if not isinstance(table, dict):
        raise _err(f'Cannot convert argument "table", with value: "{to_str(table)}", for '
                   f'"Synchronized" to type "System.Collections.Hashtable".',
                   "MethodArgumentConversionInvalidCastArgument")
    return table


def type_info(type_name: str) -> PSTypeInfo:
    from pshell.engine.accelerators import target_of
    added = target_of(type_name.strip().lower())        # [TypeAccelerators]::Add's names
    if added is not None:
        return type_info(added)
    found = user_type(type_name)
    if found is not None:
        return found
    from pshell.engine.types import full_type_name, lookup_type
    kind = lookup_type(type_name)
    if kind == "generic":
        from pshell.engine import generics
        return generics.type_info(type_name) or PSTypeInfo(type_name)
    if kind == "named":
        if type_name.strip().lower() in ("type", "system.type"):
            return PSTypeInfo("System.Type")
        from pshell.engine.exception_types import exception_name
        return PSTypeInfo(exception_name(type_name) or type_name)
    if kind in ("array", "string[]", "int[]") and type_name.endswith("[]"):
        return PSTypeInfo(type_name if "." in type_name else full_type_name(kind))
    return PSTypeInfo(full_type_name(kind))


def _norm_type(type_name: str) -> str:
    name = type_name.lower().strip()
    if name.startswith("system."):
        name = name[7:]
    return name


def _tick_count() -> int:
    import time
    return int(time.monotonic() * 1000)


_STATIC_PROPS: Dict[str, Dict[str, Callable[[], Any]]] = {
    "math": {"pi": lambda: math.pi, "e": lambda: math.e, "tau": lambda: math.tau},
    "int": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -2**31},
    "int32": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -2**31},
    "double": {"maxvalue": lambda: 1.7976931348623157e308, "minvalue": lambda: -1.7976931348623157e308,
               "nan": lambda: float("nan"), "positiveinfinity": lambda: float("inf"),
               "negativeinfinity": lambda: float("-inf"), "epsilon": lambda: 5e-324},
    "string": {"empty": lambda: ""},
    "datetime": {"now": _dt.datetime.now, "today": lambda: _dt.datetime.combine(_dt.date.today(),
                                                                                 _dt.time()),
                 "utcnow": lambda: _dt.datetime.now(_dt.timezone.utc),
                 "minvalue": lambda: _dt.datetime(1, 1, 1),
                 "maxvalue": lambda: _dt.datetime(9999, 12, 31, 23, 59, 59)},
    "environment": {"machinename": lambda: os.uname().nodename, "username": lambda: _username(),
                    "newline": lambda: "\n", "processorcount": lambda: os.cpu_count() or 1,
                    "currentdirectory": os.getcwd, "osversion": lambda: " ".join(os.uname()[:3]),
                    "is64bitprocess": lambda: True, "processid": os.getpid,
                    "tickcount": _tick_count,
                    "userdomainname": lambda: os.uname().nodename},
    "io.path": {"directoryseparatorchar": lambda: "/", "pathseparator": lambda: ":",
                "altdirectoryseparatorchar": lambda: "/"},
    "timespan": {"zero": lambda: _dt.timedelta(0)},
    "guid": {"empty": lambda: Guid("00000000-0000-0000-0000-000000000000")},
}


def _username() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


def static_member(type_name: str, name: str) -> Any:
    found = user_type(type_name)
    if found is not None:
        return found.static(name)
    table = _STATIC_PROPS.get(_norm_type(type_name))
    if table is not None:
        fn = table.get(name.lower())
        if fn is not None:
            return fn()
    _known_type(type_name)
    raise _err(f"The property '{name}' cannot be found on type [{type_name}].", "PropertyNotFound")


def _known_type(type_name: str) -> None:
    """Raise 'Unable to find type' for a name that is no type at all."""
    if _norm_type(type_name) in _STATIC_PROPS or _norm_type(type_name) in _STATIC_METHODS:
        return
    from pshell.engine.types import lookup_type
    lookup_type(type_name)


def _create_script_block(text: str) -> Any:
    """``[scriptblock]::Create(text)``: a parse error is a ParseException, as in pwsh."""
    from pshell.engine.compiler import Unit
    from pshell.engine.errors import ErrorRecord
    from pshell.lang.errors import ParseError
    try:
        return Unit.from_text(text, "<scriptblock>").script_block()
    except ParseError as exc:
        raise RuntimeException(ErrorRecord(exc.message, "ParseException", "ParserError", text,
                                           exc.location,
                                           exception_type="System.Management.Automation."
                                                          "ParseException")) from None


def _round(args: List[Any]) -> Any:
    value = to_number(args[0])
    digits = int(to_number(args[1])) if len(args) > 1 and not isinstance(args[1], str) else 0
    mode = to_str(args[-1]).lower() if len(args) > 1 and isinstance(args[-1], str) else ""
    if mode == "awayfromzero":
        from decimal import ROUND_HALF_UP, Decimal
        quant = Decimal(1).scaleb(-digits)
        result = float(Decimal(str(value)).quantize(quant, rounding=ROUND_HALF_UP))
    else:
        result = round(value, digits)
    if digits == 0 and isinstance(value, float):
        return float(result)
    return result


def _rx(args: List[Any], options_at: int) -> Any:
    """``[regex]::Method(input, pattern, ..., [options])``: a [regex] value, case-sensitive
    unless the options say IgnoreCase (as in .NET)."""
    from pshell.engine.conversions import convert_to
    pattern = args[1]
    if len(args) > options_at:
        return convert_to([pattern, args[options_at]], "regex")
    return convert_to(pattern, "regex")


def _regex_match(args: List[Any]) -> Any:
    return _rx(args, 2).Match(args[0])


def _regex_is_match(args: List[Any]) -> bool:
    return _rx(args, 2).IsMatch(args[0])


def _regex_matches(args: List[Any]) -> List[Any]:
    return _rx(args, 2).Matches(args[0])


def _regex_replace(args: List[Any]) -> Any:
    return _rx(args, 3).Replace(args[0], args[2])


def _regex_split(args: List[Any]) -> List[str]:
    return _rx(args, 2).Split(args[0])


def _path_combine(args: List[Any]) -> str:
    parts = [to_str(a) for a in (args[0] if len(args) == 1 and isinstance(args[0], list) else args)]
    return os.path.join(*parts) if parts else ""


def _file_read(path: Any) -> str:
    with open(to_str(path), encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _file_write(path: Any, text: Any, mode: str = "w") -> None:
    with open(to_str(path), mode, encoding="utf-8") as handle:
        handle.write(to_str(text))


def _directory_entries(path: Any, wanted: Callable[[str], bool]) -> List[str]:
    folder = to_str(path)
    return sorted(full for full in (os.path.join(folder, name) for name in os.listdir(folder))
                  if wanted(full))


def _base64(args: List[Any]) -> str:
    import base64
    data = args[0]
    if isinstance(data, list):
        data = bytes(int(x) for x in data)
    elif isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def _from_base64(args: List[Any]) -> List[int]:
    import base64
    return list(base64.b64decode(to_str(args[0])))


def _sign(value: Any) -> int:
    return (value > 0) - (value < 0)


def _string_format(args: List[Any]) -> str:
    from pshell.engine.operators import ps_format
    return ps_format(args[0], args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:])


def _string_compare(args: List[Any]) -> int:
    """[string]::Compare(a, b[, ignoreCase])"""
    ignore_case = len(args) > 2 and to_bool(args[2])
    a, b = (to_str(v).lower() if ignore_case else to_str(v) for v in args[:2])
    return (a > b) - (a < b)


def _parse_datetime(args: List[Any]) -> Any:
    from pshell.engine.conversions import parse_datetime
    return parse_datetime(to_str(args[0]))


def _days_in_month(args: List[Any]) -> int:
    import calendar
    return calendar.monthrange(int(args[0]), int(args[1]))[1]


def _is_leap_year(args: List[Any]) -> bool:
    import calendar
    return calendar.isleap(int(args[0]))


def new_guid_v4() -> Any:
    from pshell.engine.values import Guid
    return Guid(_new_guid())


def _new_guid() -> Any:
    import uuid
    return uuid.uuid4()


def _set_environment_variable(rs: Any, args: List[Any]) -> None:
    """[Environment]::SetEnvironmentVariable(name, value): $null or '' removes the variable."""
    rs.set_env(to_str(args[0]), None if args[1] is None or args[1] == "" else to_str(args[1]))


#: static methods that need the calling runspace (its environment, or to make a runspace beside it:
#: engine/powershell_api.py's hosting types): fn(runspace, args)
_ENVIRONMENT_METHODS: Dict[str, Dict[str, Callable[[Any, List[Any]], Any]]] = {
    "environment": {
        "getenvironmentvariable": lambda rs, a: rs.environ.get(to_str(a[0])),
        "setenvironmentvariable": _set_environment_variable,
        "getenvironmentvariables": lambda rs, a: Hashtable(dict(rs.environ).items()),
        "getfolderpath": lambda rs, a: rs.home(),
    },
    "io.path": {
        "gettemppath": lambda rs, a: (rs.environ.get("TMPDIR") or "/tmp").rstrip("/") + "/",
    },
}
_ENVIRONMENT_METHODS["system.io.path"] = _ENVIRONMENT_METHODS["io.path"]
_ENVIRONMENT_METHODS.update(powershell_api.STATIC_METHODS)    # [PowerShell], [RunspaceFactory], ...
def _exit(args: List[Any]) -> None:
    from pshell.engine.errors import ExitException
    raise ExitException(int(args[0]))


def _temp_file_name(args: List[Any]) -> str:
    import tempfile
    handle, path = tempfile.mkstemp()
    os.close(handle)
    return path


def _regex_escape(args: List[Any]) -> str:
    import re
    return re.escape(to_str(args[0]))


def _sleep(args: List[Any]) -> None:
    import time
    time.sleep(to_number(args[0]) / 1000)


_STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {
    "math": {
        "round": _round, "floor": lambda a: math.floor(to_number(a[0])),
        "ceiling": lambda a: math.ceil(to_number(a[0])), "abs": lambda a: abs(to_number(a[0])),
        "max": lambda a: max(to_number(a[0]), to_number(a[1])),
        "min": lambda a: min(to_number(a[0]), to_number(a[1])),
        "pow": lambda a: float(to_number(a[0])) ** float(to_number(a[1])),
        "sqrt": lambda a: math.sqrt(to_number(a[0])),
        "truncate": lambda a: math.trunc(to_number(a[0])),
        "log": lambda a: math.log(*(to_number(x) for x in a[:2])),
        "log10": lambda a: math.log10(to_number(a[0])), "log2": lambda a: math.log2(to_number(a[0])),
        "exp": lambda a: math.exp(to_number(a[0])), "sign": lambda a: _sign(to_number(a[0])),
        "sin": lambda a: math.sin(to_number(a[0])), "cos": lambda a: math.cos(to_number(a[0])),
        "tan": lambda a: math.tan(to_number(a[0])), "atan": lambda a: math.atan(to_number(a[0])),
    },
    "string": {
        "isnullorempty": lambda a: a[0] is None or to_str(a[0]) == "",
        "isnullorwhitespace": lambda a: a[0] is None or to_str(a[0]).strip() == "",
        "join": lambda a: to_str(a[0]).join(to_str(x) for x in (
            a[1] if len(a) == 2 and isinstance(a[1], (list, tuple)) else a[1:])),
        "format": _string_format,
        "concat": lambda a: "".join(to_str(x) for x in a),
        "equals": lambda a: to_str(a[0]) == to_str(a[1]),
        "compare": _string_compare,
        "new": lambda a: to_str(a[0]) * int(to_number(a[1])) if len(a) > 1 else to_str(a[0]),
    },
    "datetime": {
        "parse": _parse_datetime,
        "parseexact": lambda a: _parse_exact(to_str(a[0]), to_str(a[1])),
        "now": lambda a: _dt.datetime.now(),
        "daysinmonth": _days_in_month,
        "isleapyear": _is_leap_year,
    },
    "guid": {"newguid": lambda a: new_guid_v4()},
    "environment": {
        "exit": _exit,
    },
    "io.path": {
        "combine": _path_combine, "join": _path_combine,
        "getfilename": lambda a: os.path.basename(to_str(a[0])),
        "getextension": lambda a: os.path.splitext(to_str(a[0]))[1],
        "getdirectoryname": lambda a: os.path.dirname(to_str(a[0])),
        "getfilenamewithoutextension": lambda a: os.path.splitext(os.path.basename(to_str(a[0])))[0],
        "getfullpath": lambda a: os.path.abspath(to_str(a[0])),
        "ispathrooted": lambda a: to_str(a[0]).startswith("/"),
        "changeextension": lambda a: os.path.splitext(to_str(a[0]))[0] + (
            ("." + to_str(a[1]).lstrip(".")) if a[1] else ""),
        "gettempfilename": _temp_file_name,
        "getrandomfilename": lambda a: _new_guid().hex[:8] + "." + _new_guid().hex[:3],
    },
    "io.file": {
        "exists": lambda a: os.path.isfile(to_str(a[0])),
        "readalltext": lambda a: _file_read(a[0]),
        "readalllines": lambda a: _file_read(a[0]).splitlines(),
        "writealltext": lambda a: _file_write(a[0], a[1]),
        "appendalltext": lambda a: _file_write(a[0], a[1], "a"),
        "delete": lambda a: os.remove(to_str(a[0])),
    },
    "io.directory": {
        "exists": lambda a: os.path.isdir(to_str(a[0])),
        "createdirectory": lambda a: os.makedirs(to_str(a[0]), exist_ok=True),
        "getfiles": lambda a: _directory_entries(a[0], os.path.isfile),
        "getdirectories": lambda a: _directory_entries(a[0], os.path.isdir),
        "getcurrentdirectory": lambda a: os.getcwd(),
    },
    "regex": {
        "escape": _regex_escape,
        "ismatch": _regex_is_match,
        "match": _regex_match,
        "matches": _regex_matches,
        "replace": _regex_replace,
        "split": _regex_split,
        "unescape": lambda a: to_str(a[0]).replace("\\", ""),
        "new": lambda a: _rx(["", *a], 2),
    },
    "convert": {
        "tobase64string": _base64, "frombase64string": _from_base64,
        "toint32": lambda a: int(to_str(a[0]), int(a[1])) if len(a) > 1 else int(round(to_number(a[0]))),
        "toint64": lambda a: int(to_str(a[0]), int(a[1])) if len(a) > 1 else int(round(to_number(a[0]))),
        "todouble": lambda a: float(to_number(a[0])), "tostring": lambda a: _convert_tostring(a),
        "toboolean": lambda a: to_bool(a[0]),
    },
    "char": {
        "isdigit": lambda a: to_str(a[0]).isdigit(), "isletter": lambda a: to_str(a[0]).isalpha(),
        "iswhitespace": lambda a: to_str(a[0]).isspace(), "isupper": lambda a: to_str(a[0]).isupper(),
        "islower": lambda a: to_str(a[0]).islower(),
        "isletterordigit": lambda a: to_str(a[0]).isalnum(), "toupper": lambda a: to_str(a[0]).upper(),
        "tolower": lambda a: to_str(a[0]).lower(),
    },
    "text.encoding": {},
    "int": {"parse": lambda a: int(to_str(a[0]).strip()),
            "tryparse": lambda a: _try_parse(a, int, 2**31)},
    "int32": {"parse": lambda a: int(to_str(a[0]).strip()),
              "tryparse": lambda a: _try_parse(a, int, 2**31)},
    "double": {"parse": lambda a: float(to_str(a[0]).strip()),
               "tryparse": lambda a: _try_parse(a, float, 0)},
    "timespan": {
        "fromseconds": lambda a: _dt.timedelta(seconds=to_number(a[0])),
        "fromminutes": lambda a: _dt.timedelta(minutes=to_number(a[0])),
        "fromhours": lambda a: _dt.timedelta(hours=to_number(a[0])),
        "fromdays": lambda a: _dt.timedelta(days=to_number(a[0])),
        "frommilliseconds": lambda a: _dt.timedelta(milliseconds=to_number(a[0])),
    },
    "threading.thread": {"sleep": _sleep},
}
_STATIC_METHODS["array"] = {
    "indexof": lambda a: _list_index(a[0], a[1]),
    "reverse": lambda a: a[0].reverse() if isinstance(a[0], list) else None,
    "sort": lambda a: a[0].sort(key=functools.cmp_to_key(_cmp)) if isinstance(a[0], list) else None,
}
_STATIC_METHODS["system.array"] = _STATIC_METHODS["array"]
_STATIC_METHODS["scriptblock"] = {"create": lambda a: _create_script_block(to_str(a[0]))}
_STATIC_METHODS["management.automation.scriptblock"] = _STATIC_METHODS["scriptblock"]
_STATIC_METHODS["system.io.path"] = _STATIC_METHODS["io.path"]
_STATIC_PROPS["system.io.path"] = _STATIC_PROPS["io.path"]
_STATIC_METHODS["management.automation.wildcardpattern"] = _STATIC_METHODS["wildcardpattern"] = {
    "escape": lambda a: __import__("pshell.engine.wildcards", fromlist=["escape"]).escape(to_str(a[0])),
    "unescape": lambda a: __import__("pshell.engine.wildcards", fromlist=["u"]).unescape(to_str(a[0])),
    "containswildcardcharacters":
        lambda a: __import__("pshell.engine.wildcards", fromlist=["h"]).has_wildcards(to_str(a[0])),
}
_STATIC_METHODS["hashtable"] = {"synchronized": _hashtable_synchronized}
_STATIC_METHODS["object"] = _STATIC_METHODS["system.object"] = {
    "referenceequals": lambda a: _same_object(_arg_or_none(a, 0), _arg_or_none(a, 1)),
}


def _arg_or_none(args: List[Any], index: int) -> Any:
    return args[index] if index < len(args) else None


def _same_object(a: Any, b: Any) -> bool:
    """[object]::ReferenceEquals: the same object (nulls are the same; a number is a value,
    boxed anew each time in .NET, so never the same object as another; a string is an object)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float, bool)) and not isinstance(a, str):
        return False
    return a is b


def _langapi(name: str) -> Callable[[List[Any]], Any]:
    def call(args: List[Any]) -> Any:
        from pshell.engine import langapi
        return getattr(langapi, name)(args)
    return call


_STATIC_PROPS["management.automation.typeaccelerators"] = {"get": lambda: _accelerators().get_table()}
_STATIC_METHODS["management.automation.typeaccelerators"] = {
    "add": lambda a: _accelerators().add(a), "remove": lambda a: _accelerators().remove(a)}


def _accelerators() -> Any:
    from pshell.engine import accelerators
    return accelerators


_STATIC_METHODS["management.automation.psparser"] = {"tokenize": _langapi("tokenize")}
_STATIC_METHODS["management.automation.language.parser"] = {"parseinput": _langapi("parse_input")}


def _json_api(args: List[Any]) -> Any:
    from pshell.engine.json_read import convert_from_json_api
    return convert_from_json_api(args)


_STATIC_METHODS["microsoft.powershell.commands.jsonobject"] = {"convertfromjson": _json_api}


def _timezones() -> Any:
    from pshell.engine import timezones
    return timezones


_STATIC_PROPS["timezoneinfo"] = {"local": lambda: _timezones().local_zone(),
                                 "utc": lambda: _timezones().find_zone("UTC")}
_STATIC_METHODS["timezoneinfo"] = {
    "getsystemtimezones": lambda a: _timezones().system_zones(),
    "findsystemtimezonebyid": lambda a: _timezones().find_zone(to_str(a[0])),
}


def _markdown_info(args: List[Any]) -> Any:
    from pshell.engine.markdown_render import MarkdownInfo
    return MarkdownInfo()


def _set_test_hook(args: List[Any]) -> None:
    from pshell.engine.testhooks import set_test_hook
    set_test_hook(args)


_STATIC_METHODS["microsoft.powershell.markdownrender.markdowninfo"] = {"new": _markdown_info}
_STATIC_METHODS["management.automation.internal.internaltesthooks"] = {"settesthook": _set_test_hook}


_STATIC_METHODS["collections.hashtable"] = _STATIC_METHODS["hashtable"]
for _type, _new in CONSTRUCTORS.items():        # [securestring]::new(), [pscredential]::new(u, p)
    _STATIC_METHODS[_type] = {"new": _new}
for _type in ("xml", "xml.xmldocument"):                # [xml]::new(), an empty document
    _STATIC_METHODS[_type] = {"new": lambda a: _xmldoc().XmlDocument()}
_STATIC_METHODS["xml.xmlnamespacemanager"] = {"new": lambda a: _xmldoc().XmlNamespaceManager(*a[:1])}
_STATIC_PROPS["pscredential"] = _STATIC_PROPS["management.automation.pscredential"] = {
    "empty": lambda: PSCredential(None, None)}

def _number_statics() -> None:
    """[byte]::MaxValue, [decimal]::Parse(...) ...: under every name of each type of numbers.py."""
    from pshell.engine.types import _TYPE_ALIASES
    props, methods = numbers.static_props(), numbers.static_methods()
    for alias, kind in _TYPE_ALIASES.items():
        if kind in numbers.KINDS and not alias.startswith("system."):
            _STATIC_PROPS[alias] = props[kind]
            _STATIC_METHODS[alias] = methods[kind]


_number_statics()
_STATIC_PROPS["char"] = {"maxvalue": lambda: PSChar("\uffff"), "minvalue": lambda: PSChar("\0")}
for _type, _methods in dotnet_types.STATIC_METHODS.items():  # [IO.File], [Text.Encoding], ...
    _STATIC_METHODS.setdefault(_type, {}).update(_methods)
for _type, _props in dotnet_types.STATIC_PROPS.items():
    _STATIC_PROPS.setdefault(_type, {}).update(_props)
for _type, _props in hostinfo.STATIC_PROPS.items():        # [CultureInfo]
    _STATIC_PROPS.setdefault(_type, {}).update(_props)
for _type, _methods in hostinfo.STATIC_METHODS.items():
    _STATIC_METHODS.setdefault(_type, {}).update(_methods)
#: settable static properties: type -> name -> setter
_STATIC_SETTERS: Dict[str, Dict[str, Callable[[Any], None]]] = dict(hostinfo.STATIC_SETTERS)


def static_setter(type_name: str, name: str) -> Optional[Callable[[Any], None]]:
    """The setter of the settable static property [type_name]::name, or None."""
    return _STATIC_SETTERS.get(_norm_type(type_name), {}).get(name.lower())


def _xmldoc() -> Any:
    from pshell.engine import xmldoc
    return xmldoc


# ---- [NullString], [Random]: what scripts and PowerShell's tests ask of them
_STATIC_PROPS["nullstring"] = _STATIC_PROPS["management.automation.language.nullstring"] = {
    "value": lambda: NullString}
_STATIC_PROPS["dbnull"] = {"value": lambda: DBNull}
_STATIC_PROPS["management.automation.internal.automationnull"] = {"value": lambda: AutomationNull}
_STATIC_METHODS["psobject"] = _STATIC_METHODS["management.automation.psobject"] = {
    "new": lambda a: a[0] if a else PSObject()}


class DotNetRandom:
    """``[Random]::new()``: Next, NextDouble and NextBytes over Python's generator."""

    ps_type_names = ("System.Random",)
    ps_properties = ()

    def __init__(self, seed: Any = None) -> None:
        import random
        self._gen = random.Random(seed)

    def Next(self, *bounds: Any) -> int:
        low, high = (0, 2**31 - 1) if not bounds else (0, int(bounds[0])) if len(bounds) == 1 \
            else (int(bounds[0]), int(bounds[1]))
        if high < low:
            raise _err("'minValue' cannot be greater than maxValue.", "ArgumentOutOfRangeException")
        return low if high == low else self._gen.randrange(low, high)

    def NextDouble(self) -> float:
        return self._gen.random()


_STATIC_METHODS["random"] = {"new": lambda a: DotNetRandom(a[0] if a else None)}


def static_new(type_name: str, runspace: Any = None) -> Optional[Callable[[List[Any]], Any]]:
    """``[T]::new`` for a type pshell knows the constructor of (New-Object uses it too), or None."""
    made = _ENVIRONMENT_METHODS.get(_norm_type(type_name), {}).get("new")
    if made is not None:
        return functools.partial(made, runspace)
    return _STATIC_METHODS.get(_norm_type(type_name), {}).get("new")


def _enum_value(value: str) -> Callable[[], Any]:
    return lambda: value


_STATIC_PROPS["management.automation.runspaces.pipelinestate"] = {
    name.lower(): _enum_value(name) for name in (
        "NotStarted", "Running", "Stopping", "Stopped", "Completed", "Failed", "Disconnected")}


def _date_kind(value: Any) -> Optional[str]:
    """The DateTimeKind an argument names ('Utc', [DateTimeKind]::Local), or None for a number."""
    enum = getattr(value, "ps_enum", None)
    if enum is not None and enum.name == "System.DateTimeKind":
        return to_str(value).lower()
    if isinstance(value, str) and value.strip().lower() in ("utc", "local", "unspecified"):
        return value.strip().lower()
    return None


def _new_datetime(args: List[Any]) -> Any:
    """``[datetime]::new(year, month, day[, hour, minute, second[, millisecond[, microsecond]]]
    [, kind])`` or (ticks[, kind]).  A Utc kind gives an aware UTC date; Local and Unspecified
    the plain (local) date pshell uses for both."""
    kind = _date_kind(args[-1]) if len(args) in (2, 7, 8, 9) else None
    if kind is not None:
        args = args[:-1]
    numbers = [int(to_number(a)) for a in args]
    if len(numbers) == 1:
        made = _dt.datetime(1, 1, 1) + _dt.timedelta(microseconds=numbers[0] / 10)
    else:
        year, month, day, hour, minute, second, milli, micro = (numbers + [0] * 8)[:8]
        made = _dt.datetime(year, month, day, hour, minute, second) + _dt.timedelta(
            milliseconds=milli, microseconds=micro)
    return made.replace(tzinfo=_dt.timezone.utc) if kind == "utc" else made


_STATIC_METHODS["datetime"]["new"] = _new_datetime


_STATIC_PROPS.update(powershell_api.STATIC_PROPS)          # [RunspaceMode]::CurrentRunspace


def _new_error_object(type_name: str, args: List[Any]) -> Any:
    """``[SomeException]::new(...)`` with .NET's overloads and ``[ErrorRecord]::new(exception, id,
    category, target)`` (engine/exception_types.py); None for other types."""
    from pshell.engine import exception_types
    full = exception_types.exception_name(type_name)
    if full is not None:
        return exception_types.construct(full, args)
    if _norm_type(type_name) in ("management.automation.errorrecord", "errorrecord"):
        return exception_types.new_error_record(args)
    return None


ERROR_CATEGORIES = (
    "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument",
    "InvalidData", "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError",
    "NotImplemented", "NotInstalled", "ObjectNotFound", "OperationStopped", "OperationTimeout",
    "SyntaxError", "ParserError", "PermissionDenied", "ResourceBusy", "ResourceExists",
    "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr", "SecurityError", "ProtocolError",
    "ConnectionError", "AuthenticationError", "LimitsExceeded", "QuotaExceeded", "NotEnabled")


def _constant(value: str) -> Callable[[], str]:
    return lambda: value


_STATIC_PROPS["management.automation.errorcategory"] = _STATIC_PROPS["errorcategory"] = {
    c.lower(): _constant(c) for c in ERROR_CATEGORIES}


def _try_parse(args: List[Any], kind: Callable[[str], Any], limit: int) -> bool:
    """``[int]::TryParse(text, [ref]$n)``: whether ``text`` is a number of the type; the number
    (or 0 when it is not) goes to the reference."""
    from pshell.engine.reference import set_out
    text = to_str(args[0]).strip() if args and args[0] is not None else ""
    value: Any = kind("0")
    try:
        value = kind(text)
        ok = not limit or -limit <= value < limit
    except ValueError:
        ok = False
    if len(args) > 1:
        set_out(args[1], value if ok else kind("0"))
    return ok


def _convert_tostring(args: List[Any]) -> str:
    if len(args) > 1:
        value, base = int(to_number(args[0])), int(to_number(args[1]))
        if base == 2:
            return format(value, "b")
        if base == 8:
            return format(value, "o")
        if base == 16:
            return format(value, "x")
    return to_str(args[0])


def _parse_exact(text: str, fmt: str) -> _dt.datetime:
    mapping = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("hh", "%I"),
               ("mm", "%M"), ("ss", "%S"), ("tt", "%p"), ("fff", "%f")]
    py = fmt
    for src, dst in mapping:
        py = py.replace(src, dst)
    try:
        return _dt.datetime.strptime(text, py)
    except ValueError:
        raise _err(f'Exception calling "ParseExact" with "3" argument(s): "String \'{text}\' was not '
                   f'recognized as a valid DateTime."', "FormatException",
                   exception_type="System.FormatException") from None


def static_call(frame: Any, type_name: str, name: str, args: List[Any]) -> Any:
    found = user_type(type_name)
    if found is not None:
        return found.static_call(frame, name, args)
    if _norm_type(type_name) in ("enum", "system.enum"):
        from pshell.engine.classes import enum_static_call
        return enum_static_call(type_name, name, args)
    table = _STATIC_METHODS.get(_norm_type(type_name))
    env_fn = _ENVIRONMENT_METHODS.get(_norm_type(type_name), {}).get(name.lower())
    if env_fn is not None and frame is not None:
        table = {name.lower(): functools.partial(env_fn, frame.rs)}
    if table is not None:
        fn = table.get(name.lower())
        if fn is not None:
            try:
                result = fn(args)
            except RuntimeException:
                raise
            except IndexError:          # the method read an argument it was not given
                raise _err(f'Cannot find an overload for "{name}" and the argument count: '
                           f'"{len(args)}".',
                           "MethodCountCouldNotFindBest",
                           exception_type="System.Management.Automation.MethodException") from None
            except (TypeError, ValueError, OSError, KeyError) as exc:
                detail = getattr(exc, "strerror", None) or str(exc)
                raise _err(f'Exception calling "{name}" with "{len(args)}" argument(s): "{detail}"',
                           "MethodInvocationException",
                           exception_type="System.Management.Automation.MethodInvocationException") from None
            return AutomationNull if result is None else result
    _known_type(type_name)
    if name.lower() == "new" and type_name.endswith("]") and not type_name.endswith("[]"):
        from pshell.engine import generics
        made = generics.new(type_name, args)
        if made is not None:
            return made
    if name.lower() == "new" and type_name.rstrip().endswith("[]"):
        from pshell.engine.constructors import construct
        return construct(frame, type_name, args)        # [int[]]::new(3): three zeros
    if name.lower() == "new":
        made = _new_error_object(type_name, args)
        if made is not None:
            return made
        from pshell.engine.conversions import convert_to
        return convert_to(args[0] if len(args) == 1 else list(args), type_name) if args else \
            convert_to(None, type_name)
    raise _err(f"Method invocation failed because [{type_name}] does not contain a method named "
               f"'{name}'.", "MethodNotFound")
