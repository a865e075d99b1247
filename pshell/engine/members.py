"""Member access, method calls and indexing on values: the dispatch by kind of value.  The plain
values' own members (strings, arrays, hashtables, dates, numbers) are tables in value_members.py,
``psobject``/``pstypenames`` are psobject_view.py; the static side ([T]::X, [T]::new, type_info) is
in statics.py."""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt

from pshell.engine import instance_members, numbers
from pshell.engine.errors import RuntimeException
from pshell.engine.psobject_view import PropertyCollection, TypeNameList, _BaseObjectView, _PSObjectView
from pshell.engine.runtime import CURRENT
from pshell.engine.value_members import (CONCURRENT_METHODS, DATE_METHODS, DATE_PROPS, DICT_METHODS,
                                         DICT_PROPS, LIST_METHODS, LIST_PROPS, NUMBER_METHODS, RETURNS_NULL,
                                         SPAN_PROPS, STR_PROPS, STRING_METHODS, nth_arg)
from pshell.engine.value_members import member_error as _err
from pshell.engine.values import (NO_PROPERTY, AutomationNull, PSChar, PSObject, PSTypeInfo, get_property,
                                  set_property, to_bool, to_number, to_str, type_names_of)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["get_member", "set_member", "call_method", "get_index", "set_index"]


# --------------------------------------------------------------------------- properties

def get_member(obj: Any, name: str) -> Any:
    """``obj.name``: properties, the built-in members of strings/arrays/hashtables, and member
    enumeration over arrays (``$files.Name``)."""
    value = _get_member(obj, name)
    if value is None:
        table = getattr(CURRENT, "type_data", None)       # Update-TypeData's members
        if table is not None:
            found, typed = table.property_value(obj, name)
            if found:
                return typed
    if value is None and name.lower() in ("count", "length"):
        # PowerShell's intrinsic members: $null has 0 items, any other single object 1
        return 0 if obj is None or obj is AutomationNull else 1
    return value


def _remote_property(obj: Any, lowered: str) -> Any:
    """PSComputerName and PSShowComputerName of a string or number a remote command returned."""
    if lowered == "pscomputername":
        return getattr(obj, "PSComputerName", None)
    if lowered == "psshowcomputername":
        return getattr(obj, "PSShowComputerName", None)
    return None


_NO_INSTANCE_MEMBERS = frozenset((str, int, float, bool, list, PSObject, _dt.datetime))


def _get_member(obj: Any, name: str) -> Any:
    lowered = name.lower()
    if obj is None or obj is AutomationNull:
        return 0 if lowered in ("count", "length") else None
    if type(obj) not in _NO_INSTANCE_MEMBERS:          # what Add-Member put on a value
        added = instance_members.find(obj, name)
        if added is not None:
            return added.read(obj)
        if lowered == "pstypenames" and "ps_extra_type_names" in getattr(obj, "__dict__", ()):
            return list(obj.ps_extra_type_names) + type_names_of(obj)
    if isinstance(obj, str):
        fn = STR_PROPS.get(lowered)
        if fn is None and type(obj) is not str:      # a string with notes of its own ($PROFILE)
            found = next((getattr(obj, p) for p in getattr(obj, "ps_properties", ())
                          if p.lower() == lowered), None)
            return found if found is not None else _remote_property(obj, lowered)
        return fn(obj) if fn is not None else None
    if isinstance(obj, (list, tuple)):
        fn = LIST_PROPS.get(lowered)
        if fn is not None:
            return fn(obj)
        values = []
        for item in obj:
            value = get_member(item, name)
            if isinstance(value, list):
                values.extend(value)
            elif value is not None:
                values.append(value)
        if not values:
            return None
        return values[0] if len(values) == 1 else values
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        fn = DICT_PROPS.get(lowered)
        return fn(obj) if fn is not None else None
    if isinstance(obj, PSObject):
        value = obj.get(name, NO_PROPERTY)
        if value is not NO_PROPERTY:
            return value
        if lowered == "pstypenames":
            return TypeNameList(obj)
        if lowered == "psobject":
            return _PSObjectView(obj)
        return None
    if isinstance(obj, bool) or isinstance(obj, (int, float)):
        return _remote_property(obj, lowered)
    if isinstance(obj, _dt.datetime):
        own = getattr(type(obj), "ps_props", None)       # [DateTimeOffset]'s members first
        date_prop = own.get(lowered) if own is not None else None
        date_prop = date_prop or DATE_PROPS.get(lowered)
        return date_prop(obj) if date_prop is not None else _remote_property(obj, lowered)
    if isinstance(obj, _dt.timedelta):
        span_prop = SPAN_PROPS.get(lowered)
        return span_prop(obj) if span_prop is not None else None
    dynamic = getattr(type(obj), "ps_dynamic_member", None)
    if dynamic is not None:                     # an XML node's attributes and children
        found = dynamic(obj, name)
        if found is not NO_PROPERTY:
            return found
    if lowered == "pstypenames":
        return type_names_of(obj)
    if lowered == "psobject" and get_property(obj, name) is NO_PROPERTY:
        return _BaseObjectView(obj)
    value = get_property(obj, name)
    if value is NO_PROPERTY:
        return None
    if callable(value) and not isinstance(value, type):
        return None
    return value


def set_member(obj: Any, name: str, value: Any) -> None:
    if obj is None:
        raise _err(f"The property '{name}' cannot be found on this object. Verify that the property "
                   f"exists and can be set.", "PropertyNotFound")
    added = instance_members.find(obj, name) if type(obj) not in _NO_INSTANCE_MEMBERS else None
    if added is not None:
        added.write(obj, value)
        return
    if isinstance(obj, PSObject) and getattr(obj, "ps_class", None) is not None:
        obj.ps_class.set_property(obj, name, value)     # type: ignore[attr-defined]
        return
    if isinstance(obj, PSTypeInfo) and hasattr(obj, "set_static"):
        obj.set_static(name, value)
        return
    if isinstance(obj, PSTypeInfo):
        from pshell.engine.statics import static_setter     # its tables cost ~12 ms to load
        setter = static_setter(obj.FullName, name)
        if setter is not None:
            setter(value)
            return
    if isinstance(obj, dict):
        obj[name] = value
        return
    if isinstance(obj, (list, tuple)):
        for item in obj:
            set_member(item, name, value)
        return
    dynamic = getattr(type(obj), "ps_set_dynamic_member", None)
    if dynamic is not None:                     # an XML node's attribute or simple child
        from pshell.engine.xmldoc import XmlError
        try:
            if dynamic(obj, name, value):
                return
        except XmlError as exc:
            raise _err(str(exc), "XmlNodeSetShouldBeAString") from None
    try:
        set_property(obj, name, value)
    except (KeyError, AttributeError):
        raise _err(f"The property '{name}' cannot be found on this object. Verify that the property "
                   f"exists and can be set.", "PropertyNotFound") from None


# --------------------------------------------------------------------------- indexing

def get_index(obj: Any, index: Any) -> Any:
    if obj is None or obj is AutomationNull:
        raise _err("Cannot index into a null array.", "NullArray")
    if isinstance(obj, dict):
        if isinstance(index, (list, tuple)):
            return [obj[k] for k in index]
        return obj[index]
    if isinstance(obj, PSObject):
        if isinstance(index, int) and not isinstance(index, bool):
            return obj if index in (0, -1) else None     # one object is a one-item list
        return obj.get(to_str(index))
    if isinstance(index, str) and hasattr(obj, "by_name"):
        return obj.named(index)                 # $m.Groups['name']
    if isinstance(obj, (list, tuple, str, range)):
        if isinstance(index, (list, tuple, range)):
            result = []
            for i in index:
                value = _index_one(obj, i)
                if value is not _MISSING:
                    result.append(value)
            return result
        value = _index_one(obj, index)
        return None if value is _MISSING else value
    getter = getattr(obj, "__getitem__", None)
    if getter is not None:
        try:
            return getter(index)
        except (KeyError, IndexError, TypeError):
            return None
    # a scalar indexed with 0 or -1 is itself, as PowerShell does
    try:
        i = int(to_number(index))
    except Exception:
        i = None
    if i in (0, -1):
        return obj
    raise _err(f"Unable to index into an object of type {type_names_of(obj)[0]}.", "CannotIndex")


_MISSING = object()


def _index_one(seq: Any, index: Any) -> Any:
    try:
        i = int(to_number(index))
    except Exception:
        raise _err(f"Cannot convert value \"{to_str(index)}\" to type \"System.Int32\".",
                   "InvalidCastFromStringToInteger") from None
    n = len(seq)
    if i < 0:
        i += n
    if 0 <= i < n:
        return PSChar(seq[i]) if isinstance(seq, str) else seq[i]
    return _MISSING


def set_index(obj: Any, index: Any, value: Any) -> None:
    if obj is None:
        raise _err("Cannot index into a null array.", "NullArray")
    if isinstance(obj, dict):
        obj[index] = value
        return
    if isinstance(obj, PSObject):
        obj.set(to_str(index), value)
        return
    if isinstance(obj, list):
        i = int(to_number(index))
        n = len(obj)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise _err("Index was outside the bounds of the array.", "IndexOutOfRange",
                       exception_type="System.IndexOutOfRangeException")
        obj[i] = value
        return
    raise _err(f"Unable to index into an object of type {type_names_of(obj)[0]}.", "CannotIndex")


# --------------------------------------------------------------------------- methods

def call_method(frame: Any, obj: Any, name: str, args: List[Any]) -> Any:
    lowered = name.lower()
    if obj is None or obj is AutomationNull:
        raise _err("You cannot call a method on a null-valued expression.", "InvokeMethodOnNull")
    table: Optional[Dict[str, Callable[..., Any]]] = None
    added = instance_members.find(obj, name) if type(obj) not in _NO_INSTANCE_MEMBERS else None
    if added is not None and added.kind == "ScriptMethod":
        result = added.run(added.value, obj, args)
        return AutomationNull if result is None else result
    types = getattr(CURRENT, "type_data", None)             # Update-TypeData's script methods
    if types is not None:
        member = types.member(obj, name)
        if member is not None and member.MemberType == "ScriptMethod":
            result = types.run(obj, member.Value, args)
            return result[0] if len(result) == 1 else (result or None)
    if lowered == "getenumerator" and isinstance(obj, (list, tuple, range)) and not args:
        from pshell.engine.values import InputEnumerator
        return InputEnumerator(obj)         # its own position: MoveNext(), Current, Reset()
    if isinstance(obj, str):
        table = STRING_METHODS
    elif isinstance(obj, (list, tuple)):
        if lowered in ("where", "foreach"):
            return _magic_method(frame, obj, lowered, args)
        if isinstance(obj, PropertyCollection) and lowered in ("item", "match"):
            return getattr(obj, name[0].upper() + lowered[1:])(*args[:1])
        table = LIST_METHODS
    elif isinstance(obj, dict):
        table = CONCURRENT_METHODS if type(obj).__name__ == "ConcurrentDictionary" else DICT_METHODS
    elif isinstance(obj, _dt.datetime):
        own_methods = getattr(type(obj), "ps_methods", None)
        table = own_methods if own_methods is not None and lowered in own_methods else DATE_METHODS
    elif isinstance(obj, (int, float, numbers.Decimal)) and not isinstance(obj, bool):
        table = NUMBER_METHODS
    elif isinstance(obj, _dt.timedelta):
        if lowered == "tostring":
            return to_str(obj)
    if table is CONCURRENT_METHODS and lowered == "addorupdate":
        from pshell.engine.generic_methods import add_or_update
        return add_or_update(frame, obj, args)      # its value factories are scripts to run
    if table is not None:
        fn = table.get(lowered)
        if fn is not None:
            try:
                result = fn(obj, args)
            except RuntimeException:
                raise
            except IndexError:
                # the method read an argument it was not given
                raise _err(f'Cannot find an overload for "{name}" and the argument count: '
                           f'"{len(args)}".', "MethodCountCouldNotFindBest",
                           exception_type="System.Management.Automation.MethodException") from None
            except (TypeError, ValueError, KeyError) as exc:
                raise _err(f'Exception calling "{name}" with "{len(args)}" argument(s): "{exc}"',
                           "MethodInvocationException",
                           exception_type="System.Management.Automation.MethodInvocationException") from None
            return AutomationNull if result is None and lowered not in RETURNS_NULL else result
        if table is LIST_METHODS and obj and lowered not in ("gettype", "tostring"):
            # method enumeration: ('a', 'b').ToUpper() calls ToUpper on each element
            results: List[Any] = []
            for item in obj:
                value = call_method(frame, item, name, args)
                if value is not AutomationNull:
                    results.append(value)
            return results if len(results) != 1 else results[0]
    if isinstance(obj, PSObject):
        cls = getattr(obj, "ps_class", None)
        if cls is not None:
            from pshell.engine import classes
            result = classes.call_instance_method(frame, obj, name, args)  # type: ignore[arg-type]
            if result is not classes.NOT_OURS:
                return result
            if lowered == "gettype":
                return cls
            if lowered == "tostring":
                return classes.instance_to_string(obj)  # type: ignore[arg-type]
        member = obj.get(name, NO_PROPERTY)
        if member is not NO_PROPERTY and hasattr(member, "compiled"):
            from pshell.engine.command_context import invoke_block
            from pshell.engine.runtime import collect
            return collect(invoke_block(frame, member, tuple(args), dollar_under=obj))
        if lowered == "tostring":
            return to_str(obj)
        if lowered == "gettype":
            return PSTypeInfo(obj.type_names[0] if obj.type_names else "System.Object")
        if lowered == "psobject":
            return _PSObjectView(obj)
    if isinstance(obj, PSTypeInfo) and hasattr(obj, "static_call") and lowered not in (
            "tostring", "gettype"):
        return obj.method(name, args)  # type: ignore[attr-defined]  # [Color].GetEnumNames()
    if lowered == "gettype" and not (args and hasattr(type(obj), "GetType")):   # Assembly.GetType(name)
        if hasattr(obj, "ps_enum"):
            return obj.ps_enum
        return PSTypeInfo(type_names_of(obj)[0])
    if lowered == "tostring" and not hasattr(obj, "ToString"):
        return to_str(obj)
    if lowered == "invoke" and hasattr(obj, "compiled"):
        from pshell.engine.command_context import invoke_block
        from pshell.engine.runtime import collect
        return collect(invoke_block(frame, obj, tuple(args)))
    if lowered == "getnewclosure" and hasattr(obj, "compiled"):
        return obj
    if lowered == "getsteppablepipeline" and hasattr(obj, "compiled"):
        from pshell.engine.steppable import steppable_pipeline
        return steppable_pipeline(frame, obj)
    if lowered.startswith("get_") and not args and len(name) > 4:
        value = get_member(obj, name[4:])       # a property's getter: $h.get_Keys()
        if value is not None:
            return value
    method = get_property(obj, name)
    if method is not NO_PROPERTY and callable(method):
        try:
            result = method(*args)
        except RuntimeException:
            raise
        except TypeError as exc:
            raise _err(f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
                       "MethodCountCouldNotFindBest") from exc
        except ValueError as exc:       # what the method refused (an XML document's LoadXml, ...)
            raise _err(f'Exception calling "{name}" with "{len(args)}" argument(s): "{exc}"',
                       "MethodInvocationException",
                       exception_type="System.Management.Automation.MethodInvocationException") from None
        return AutomationNull if result is None else result
    if lowered in ("where", "foreach"):             # a scalar is a collection of one
        return _magic_method(frame, [obj], lowered, args)
    raise _err(f"Method invocation failed because [{type_names_of(obj)[0]}] does not contain a "
               f"method named '{name}'.", "MethodNotFound")


_WHERE_MODES = ("default", "first", "last", "skipuntil", "until", "split")


def _where(items: Any, test: Callable[[Any], bool], args: List[Any]) -> Any:
    """``.Where({...}, mode, count)``: Default, First, Last, SkipUntil, Until or Split."""
    mode = to_str(args[1]).lower() if len(args) > 1 and args[1] is not None else "default"
    if mode not in _WHERE_MODES:
        raise RuntimeException.make(f"Cannot convert value \"{to_str(args[1])}\" to type "
                                    f"\"System.Management.Automation.WhereOperatorSelectionMode\".",
                                    "InvalidCastFromStringToEnum", "InvalidArgument")
    count = int(to_str(args[2])) if len(args) > 2 and args[2] is not None else 0
    items = list(items)
    if mode in ("default", "first", "last"):
        hits = [item for item in items if test(item)]
        if mode == "first":
            return hits[:count or 1]
        if mode == "last":
            return hits[-(count or 1):]
        return hits[:count] if count else hits
    if mode == "split":
        yes: List[Any] = []
        no: List[Any] = []
        for item in items:
            (yes if (not count or len(yes) < count) and test(item) else no).append(item)
        return [yes, no]
    for index, item in enumerate(items):               # SkipUntil / Until: the first match splits
        if test(item):
            chosen = items[index:] if mode == "skipuntil" else items[:index]
            break
    else:
        chosen = [] if mode == "skipuntil" else items
    return chosen[:count] if count else chosen


def _magic_method(frame: Any, items: Any, name: str, args: List[Any]) -> Any:
    """``.Where({...})`` and ``.ForEach({...})`` on arrays."""
    from pshell.engine.command_context import invoke_block
    from pshell.engine.runtime import collect
    block = nth_arg(args, 0)
    if name == "where":
        return _where(items, lambda item: to_bool(collect(invoke_block(
            frame, block, (), dollar_under=item, new_scope=False))), args)
    result: List[Any] = []
    for item in items:
        if hasattr(block, "compiled"):
            result.extend(invoke_block(frame, block, (), dollar_under=item, new_scope=False))
        else:
            result.append(get_member(item, to_str(block)))
    return result
