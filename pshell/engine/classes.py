"""PowerShell classes and enums defined by scripts (``class``, ``enum``).

A definition runs as a statement (``rt._defclass`` / ``rt._defenum``; the compiler hoists it to the
start of its block, so a script may use a class above its definition) and registers the type in
its runspace's table (``types_of(rs)``).  Type names written in scripts are resolved without a
frame in many places (casts in the binder, ``-is``, ``catch``), so the table of the runspace that
runs on the current thread is also published in ``runtime.CURRENT.types``; ``find_type`` reads it.
A runspace sets it whenever it starts running something (``Runspace.invoke_iter``/``execute``).

An object of a class is a :class:`ClassInstance`: a ``PSObject`` (so properties, formatting,
``Get-Member`` and ``-is`` work as for any object) that knows its class.  Its type names are the
class, its base classes, then ``System.Object``.  Methods are script blocks compiled in *method
mode* (``ScriptBlockAst.is_method``): statement output is dropped and only ``return`` gives a value,
converted to the declared return type.  A method runs in a new scope below the scope the class
was defined in, with ``$this`` set; overloads are chosen by the number of arguments, then by
which converts the arguments without error.

An enum value is an :class:`EnumValue`: an ``int`` (arithmetic and comparisons work) that prints
as its name (``Red, Blue`` for a ``[Flags()]`` combination) and whose type names are the enum's.
"""

from __future__ import annotations


from pshell.engine.errors import RuntimeException
from pshell.engine.runtime import CURRENT, Frame, Scope, ScriptBlock
from pshell.engine.values import AutomationNull, PSObject, PSTypeInfo, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["PSClass", "PSEnum", "ClassInstance", "EnumValue", "find_type", "types_of",
           "define_class", "define_enum", "new_object", "convert", "UserType"]


def _err(message: str, error_id: str, category: str = "InvalidOperation",
         exception_type: str = "System.Management.Automation.RuntimeException") -> RuntimeException:
    return RuntimeException.make(message, error_id, category, exception_type=exception_type)


def types_of(rs: Any) -> Dict[str, "UserType"]:
    """The runspace's table of script-defined types (lower-cased name -> type)."""
    table = rs.__dict__.get("types")
    if table is None:
        table = rs.__dict__.setdefault("types", {})
    return table


def find_type(name: str) -> Optional["UserType"]:
    """The script-defined type of that name in the runspace running on this thread, or None."""
    table = getattr(CURRENT, "types", None)
    if not table:
        return None
    return table.get(name.strip().lower())


class UserType(PSTypeInfo):
    """A type a script defined; ``[Name]`` evaluates to it."""

    ps_properties: Tuple[str, ...] = ("Name", "FullName", "BaseType")  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    @property
    def Name(self) -> str:
        return self.name

    def type_names(self) -> List[str]:
        raise NotImplementedError

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def ToString(self) -> str:
        return self.name


def _cast_error(value: Any, type_name: str, detail: str = "") -> RuntimeException:
    extra = f' Error: "{detail}"' if detail else ""
    return _err(f'Cannot convert value "{to_str(value)}" to type "{type_name}".{extra}',
                "InvalidCastException", "InvalidArgument",
                "System.Management.Automation.PSInvalidCastException")


def convert(value: Any, type_name: Optional[str]) -> Any:
    """``[type_name]value`` for a declared property, parameter or return type."""
    if not type_name:
        return value
    from pshell.engine.conversions import convert_to
    return convert_to(value, type_name)


# --------------------------------------------------------------------------- enums

class EnumValue(int):
    """A value of a script-defined enum."""

    ps_enum: "PSEnum"

    def __new__(cls, value: int, enum: "PSEnum") -> "EnumValue":
        obj = super().__new__(cls, value)
        obj.ps_enum = enum
        return obj

    @property
    def ps_type_names(self) -> Tuple[str, ...]:
        return (self.ps_enum.name, "System.Enum", "System.ValueType")

    @property
    def value__(self) -> int:
        return int(self)

    def __str__(self) -> str:
        return self.ps_enum.name_of(int(self))

    def __repr__(self) -> str:
        return f"[{self.ps_enum.name}]::{self}"

    def ToString(self) -> str:
        return str(self)

    def HasFlag(self, flag: Any) -> bool:
        bits = int(self.ps_enum.convert(flag))
        return int(self) & bits == bits

    def GetType(self) -> "PSEnum":
        return self.ps_enum

    def __reduce__(self) -> Any:          # a job's spill file or the wire: the number
        return (int, (int(self),))


class PSEnum(UserType):
    """``enum Name { A; B = 5 }`` (``flags``: ``[Flags()]``)."""

    def __init__(self, name: str, members: Sequence[Tuple[str, int]], flags: bool = False,
                 underlying: str = "int") -> None:
        super().__init__(name)
        self.flags = flags
        self.underlying = underlying
        self.members: List[Tuple[str, "EnumValue"]] = []
        self.by_name: Dict[str, EnumValue] = {}
        self.by_value: Dict[int, EnumValue] = {}
        for member, number in members:
            value = EnumValue(number, self)
            self.members.append((member, value))
            self.by_name[member.lower()] = value
            self.by_value.setdefault(number, value)
        self.names_by_value: Dict[int, str] = {}
        for member, value in self.members:
            self.names_by_value.setdefault(int(value), member)

    @property
    def BaseType(self) -> PSTypeInfo:
        return PSTypeInfo("System.Enum")

    @property
    def IsEnum(self) -> bool:
        return True

    def type_names(self) -> List[str]:
        return [self.name, "System.Enum", "System.ValueType", "System.Object"]

    def name_of(self, number: int) -> str:
        name = self.names_by_value.get(number)
        if name is not None:
            return name
        if self.flags and number > 0:
            parts = []
            rest = number
            for member, value in sorted(self.members, key=lambda m: -int(m[1])):
                bits = int(value)
                if bits and rest & bits == bits:
                    parts.append((bits, member))
                    rest &= ~bits
            if rest == 0 and parts:
                return ", ".join(member for _, member in sorted(parts))
        return str(number)

    def value(self, number: int) -> EnumValue:
        return self.by_value.get(number) or EnumValue(number, self)

    def names(self) -> List[str]:
        return [member for member, _ in self.members]

    def values(self) -> List[EnumValue]:
        return [value for _, value in self.members]

    def convert(self, value: Any) -> EnumValue:
        if isinstance(value, EnumValue) and value.ps_enum is self:
            return value
        if isinstance(value, (list, tuple)) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool) or value is None or value is AutomationNull:
            raise _cast_error(value, self.name)
        if isinstance(value, int):
            return self.value(int(value))
        if isinstance(value, float) and value == int(value):
            return self.value(int(value))
        if isinstance(value, (list, tuple)) and self.flags:
            total = 0
            for item in value:
                total |= int(self.convert(item))
            return self.value(total)
        if isinstance(value, str):
            text = value.strip()
            if text.lstrip("-").isdigit():
                return self.value(int(text))
            parts = [p.strip() for p in text.split(",")] if self.flags or "," not in text else [text]
            total = 0
            for part in parts:
                found = self.by_name.get(part.lower())
                if found is None:
                    raise _cast_error(value, self.name, f"Unable to match the identifier name "
                                      f"{part} to a valid enumerator name. Specify one of the "
                                      f"following enumerator names and try again:\n"
                                      f"{', '.join(self.names())}")
                total |= int(found)
            return self.value(total)
        raise _cast_error(value, self.name)

    def static(self, name: str) -> Any:
        found = self.by_name.get(name.lower())
        if found is None:
            raise _err(f"The property '{name}' cannot be found on type [{self.name}].",
                       "PropertyNotFound")
        return found

    def static_call(self, frame: Any, name: str, args: List[Any]) -> Any:
        lowered = name.lower()
        if lowered in ("getnames", "getenumnames"):
            return self.names()
        if lowered in ("getvalues", "getenumvalues"):
            return self.values()
        if lowered == "parse":
            return self.convert(args[-1] if args else None)
        if lowered == "isdefined":
            item = args[-1] if args else None
            if isinstance(item, str):
                return item.lower() in self.by_name
            return int(item or 0) in self.names_by_value
        if lowered == "tryparse":
            return _try_parse(self, args)
        raise _err(f"Method invocation failed because [{self.name}] does not contain a method "
                   f"named '{name}'.", "MethodNotFound")

    def method(self, name: str, args: List[Any]) -> Any:
        """Methods of the type object itself (``[Color].GetEnumNames()``)."""
        return self.static_call(None, name, args)


def _try_parse(enum: PSEnum, args: List[Any]) -> bool:
    target = args[-1] if args else None
    try:
        value = enum.convert(args[0] if args else None)
    except RuntimeException:
        value = None
    if target is not None and hasattr(target, "Value"):
        target.Value = value
    return value is not None


def enum_static_call(type_name: str, name: str, args: List[Any]) -> Any:
    """``[enum]::GetNames([Color])`` and its relatives."""
    target = args[0] if args else None
    if isinstance(target, str):
        from pshell.engine.dotnet_types import builtin_enum
        target = find_type(target) or builtin_enum(target)
    if not isinstance(target, PSEnum):
        raise _err(f'Exception calling "{name}" with "{len(args)}" argument(s): "Type provided must '
                   f'be an Enum."', "MethodInvocationException",
                   exception_type="System.Management.Automation.MethodInvocationException")
    return target.static_call(None, name, list(args[1:]))


def define_enum(F: Any, node: Any, values: List[Any]) -> PSEnum:
    flags = any(a.name.lower() in ("flags", "system.flags", "flagsattribute", "system.flagsattribute")
                for a in node.attributes)
    members: List[Tuple[str, int]] = []
    nxt = 0
    underlying = (node.underlying or "int").lower()
    for (member, _), value in zip(node.members, values):
        if value is not None:
            try:
                number = int(convert(value, "long"))
            except RuntimeException as exc:
                raise _err(f"The value of enum member '{member}' is not an integer: "
                           f"{exc.record.message}", "InvalidEnumValue") from None
        else:
            number = nxt
        members.append((member, number))
        nxt = number + 1
    enum = PSEnum(node.name, members, flags, underlying)
    _register(F, enum)
    return enum


# --------------------------------------------------------------------------- classes

class _Method:
    __slots__ = ("name", "block", "params", "return_type", "static", "hidden", "owner", "base_args")

    def __init__(self, node: Any, block: ScriptBlock, owner: "PSClass") -> None:
        self.name: str = node.name
        self.block = block
        pb = node.body.param_block
        self.params: List[Tuple[str, Optional[str]]] = [
            (p.name, p.type_name) for p in (pb.parameters if pb is not None else ())]
        self.return_type: Optional[str] = node.return_type
        self.static: bool = node.static
        self.hidden: bool = node.hidden
        self.owner = owner
        self.base_args = node.base_args

    def signature(self) -> str:
        params = ", ".join(f"{t or 'Object'} {n}" for n, t in self.params)
        return f"{self.return_type or 'void'} {self.name}({params})"


class _Property:
    __slots__ = ("name", "type_name", "default", "static", "hidden", "attributes")

    def __init__(self, node: Any, default: Any) -> None:
        self.attributes = node.attributes   # [Parameter()] on a property: engine/dynparams.py
        self.name: str = node.name
        self.type_name: Optional[str] = node.type_name
        self.default = default          # compiled function F -> value, or None
        self.static: bool = node.static
        self.hidden: bool = node.hidden


_TYPE_DEFAULTS = {"int": 0, "int32": 0, "long": 0, "int64": 0, "double": 0.0, "float": 0.0,
                  "single": 0.0, "decimal": 0.0, "bool": False, "boolean": False, "byte": 0,
                  "int16": 0, "uint16": 0, "uint32": 0, "uint64": 0, "char": "\0",
                  "switch": False}


def _type_default(type_name: Optional[str]) -> Any:
    if not type_name:
        return None
    key = type_name.lower()
    if key.startswith("system."):
        key = key[7:]
    if key in _TYPE_DEFAULTS:
        return _TYPE_DEFAULTS[key]
    found = find_type(type_name)
    if isinstance(found, PSEnum):
        return found.value(0)
    return None


class ClassInstance(PSObject):
    """An object of a script-defined class."""

    __slots__ = ("ps_class",)

    def __init__(self, cls: "PSClass") -> None:
        super().__init__(type_names=cls.type_names())
        self.ps_class = cls


class PSClass(UserType):
    """``class Name : Base { ... }``."""

    def __init__(self, name: str, base: Optional["PSClass"], other_bases: Sequence[str],
                 frame: Frame) -> None:
        super().__init__(name)
        self.base = base
        self.other_bases = list(other_bases)
        self.frame = frame                      # where it was defined: methods run below it
        self.properties: List[_Property] = []
        self.methods: Dict[str, List[_Method]] = {}
        self.constructors: List[_Method] = []
        self.static_values: Dict[str, Any] = {}     # lower-cased name -> value
        self.static_props: Dict[str, _Property] = {}

    @property
    def BaseType(self) -> PSTypeInfo:
        return self.base if self.base is not None else PSTypeInfo("System.Object")

    def type_names(self) -> List[str]:
        names = [self.name]
        base = self.base
        while base is not None:
            names.append(base.name)
            base = base.base
        return names + self.other_bases + ["System.Object"]

    def chain(self) -> List["PSClass"]:
        """This class and its bases, the most basic first."""
        found: List[PSClass] = []
        cls: Optional[PSClass] = self
        while cls is not None:
            found.append(cls)
            cls = cls.base
        return found[::-1]

    # ---- members ---------------------------------------------------------------------
    def find_methods(self, name: str, static: bool) -> List[_Method]:
        cls: Optional[PSClass] = self
        while cls is not None:
            found = [m for m in cls.methods.get(name.lower(), ()) if m.static == static]
            if found:
                return found
            cls = cls.base
        return []

    def find_property(self, name: str) -> Optional[_Property]:
        for cls in reversed(self.chain()):
            for prop in cls.properties:
                if prop.name.lower() == name.lower():
                    return prop
        return None

    def static_owner(self, name: str) -> Optional["PSClass"]:
        cls: Optional[PSClass] = self
        while cls is not None:
            if name.lower() in cls.static_props:
                return cls
            cls = cls.base
        return None

    def static(self, name: str) -> Any:
        owner = self.static_owner(name)
        if owner is None:
            raise _err(f"The property '{name}' cannot be found on type [{self.name}].",
                       "PropertyNotFound")
        return owner.static_values.get(name.lower())

    def set_static(self, name: str, value: Any) -> None:
        owner = self.static_owner(name)
        if owner is None:
            raise _err(f"The property '{name}' cannot be found on type [{self.name}].",
                       "PropertyNotFound")
        owner.static_values[name.lower()] = convert(value, owner.static_props[name.lower()].type_name)

    def set_property(self, obj: ClassInstance, name: str, value: Any) -> None:
        prop = self.find_property(name)
        if prop is None:
            raise _err(f"The property '{name}' cannot be found on this object. Verify that the "
                       f"property exists and can be set.", "PropertyNotFound")
        obj.set(prop.name, convert(value, prop.type_name))

    def static_call(self, frame: Any, name: str, args: List[Any]) -> Any:
        if name.lower() == "new":
            return self.new(frame, args)
        methods = self.find_methods(name, True)
        if not methods:
            raise _err(f"Method invocation failed because [{self.name}] does not contain a method "
                       f"named '{name}'.", "MethodNotFound")
        return invoke_method(frame, methods, None, name, args)

    def method(self, name: str, args: List[Any]) -> Any:
        raise _err(f"Method invocation failed because [System.RuntimeType] does not contain a "
                   f"method named '{name}'.", "MethodNotFound")

    # ---- objects -------------------------------------------------------------------
    def new(self, frame: Any, args: Sequence[Any]) -> ClassInstance:
        obj = ClassInstance(self)
        run_frame = frame if frame is not None else self.frame
        for cls in self.chain():
            for prop in cls.properties:
                if prop.default is not None:
                    value = convert(prop.default(_method_frame(run_frame, cls, obj)), prop.type_name)
                else:
                    value = _type_default(prop.type_name)
                obj.set(prop.name, value)
        self._construct(run_frame, obj, list(args))
        return obj

    def _construct(self, frame: Any, obj: ClassInstance, args: List[Any]) -> None:
        if not self.constructors:
            if args:
                raise _no_overload("new", len(args))
            if self.base is not None:
                self.base._construct(frame, obj, [])
            return
        ctor, values = _choose(self.constructors, args, "new")
        callee = _method_frame(frame, self, obj)
        _bind(callee, ctor, values)
        if self.base is not None:
            base_args: List[Any] = []
            if ctor.base_args:
                base_args = _evaluate_args(callee, ctor)
            self.base._construct(frame, obj, base_args)
        _run(callee, ctor)

    def convert(self, value: Any) -> Any:
        if value is None or value is AutomationNull:
            return None
        if isinstance(value, ClassInstance) and self.name in value.type_names:
            return value
        if isinstance(value, dict) or (isinstance(value, PSObject) and not isinstance(value, ClassInstance)):
            obj = self.new(None, [])
            pairs = value.items()
            for key, item in pairs:
                self.set_property(obj, str(key), item)
            return obj
        for ctor in self.constructors:
            if len(ctor.params) == 1:
                try:
                    return self.new(None, [value])
                except RuntimeException:
                    break
        raise _err(f'Cannot convert the "{to_str(value)}" value of type '
                   f'"{_type_name(value)}" to type "{self.name}".',
                   "ConvertToFinalInvalidCastException", "InvalidArgument",
                   "System.Management.Automation.PSInvalidCastException")


def _type_name(value: Any) -> str:
    from pshell.engine.values import type_name_of
    return type_name_of(value)


def _no_overload(name: str, count: int) -> RuntimeException:
    return _err(f'Cannot find an overload for "{name}" and the argument count: "{count}".',
                "MethodCountCouldNotFindBest",
                exception_type="System.Management.Automation.MethodException")


def _choose(methods: List[_Method], args: List[Any], name: str) -> Tuple[_Method, List[Any]]:
    candidates = [m for m in methods if len(m.params) == len(args)]
    if not candidates:
        raise _no_overload(name, len(args))
    last: Optional[RuntimeException] = None
    for method in candidates:
        try:
            return method, [convert(a, t) for a, (_, t) in zip(args, method.params)]
        except RuntimeException as exc:
            last = exc
    assert last is not None
    raise _err(f'Cannot convert argument of "{name}": {last.record.message}',
               "MethodArgumentConversionInvalidCastArgument", "NotSpecified",
               "System.Management.Automation.MethodException")


def _method_frame(frame: Any, cls: PSClass, this: Any) -> Frame:
    home = cls.frame
    scope = Scope(home.scope)
    callee = Frame(home.rs, scope, frame.streams if frame is not None else home.streams,
                   home.script_scope, home.unit, None, False)
    if this is not None:
        scope.vars["this"] = this
    return callee


def _bind(callee: Frame, method: _Method, values: List[Any]) -> None:
    variables = callee.scope.vars
    for (name, _), value in zip(method.params, values):
        variables[name.lower()] = value
    variables["args"] = []
    callee.block = method.block
    callee.unit = method.block.unit


class Returned:
    """What ``return`` yields in a method body (its value, kept apart from any other object)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _run(callee: Frame, method: _Method) -> Any:
    compiled = method.block.compiled
    result: Any = None
    if compiled.end is not None:
        for item in compiled.end(callee):
            if isinstance(item, Returned):
                result = item.value
                break
    return result


def _evaluate_args(callee: Frame, ctor: _Method) -> List[Any]:
    """The values of ``: base(a, b)``, evaluated in the constructor's scope (its parameters)."""
    from pshell.lang import ast as A
    node = ctor.base_args
    cache = ctor.block.unit.__dict__.setdefault("_base_args", {})
    entry = cache.get(id(node))
    if entry is None or entry[0] is not node:
        values = A.Pipeline((A.CommandExpression(A.ArrayLiteral(tuple(node))),))
        ast = A.ScriptBlockAst(end=A.NamedBlock("end", (A.Return(values),)), is_method=True)
        entry = cache[id(node)] = (node, ScriptBlock(ast, ctor.block.unit))
    compiled = entry[1].compiled
    for item in compiled.end(callee):
        if isinstance(item, Returned):
            return list(item.value)
    return []


def invoke_method(frame: Any, methods: List[_Method], this: Any, name: str, args: List[Any]) -> Any:
    method, values = _choose(methods, args, name)
    callee = _method_frame(frame, method.owner, this)
    _bind(callee, method, values)
    result = _run(callee, method)
    rtype = (method.return_type or "void").lower()
    if rtype in ("void", "system.void"):
        return AutomationNull
    return convert(result, method.return_type)


def call_instance_method(frame: Any, obj: ClassInstance, name: str, args: List[Any]) -> Any:
    """``$obj.Name(args)`` on an object of a class: its methods, then None (not ours)."""
    methods = obj.ps_class.find_methods(name, False)
    if not methods:
        return _NOT_OURS
    return invoke_method(frame, methods, obj, name, args)


_NOT_OURS = object()
NOT_OURS = _NOT_OURS


def instance_to_string(obj: ClassInstance) -> str:
    methods = [m for m in obj.ps_class.find_methods("ToString", False) if not m.params]
    if methods:
        return to_str(invoke_method(None, methods, obj, "ToString", []))
    return obj.ps_class.name


def define_class(F: Any, node: Any, defaults: Dict[str, Any]) -> PSClass:
    from pshell.lang import ast as A
    base: Optional[PSClass] = None
    others: List[str] = []
    for i, name in enumerate(node.bases):
        found = find_type(name) or types_of(F.rs).get(name.lower())
        if i == 0 and isinstance(found, PSClass):
            base = found
        elif isinstance(found, PSEnum):
            raise _err(f"The class '{node.name}' cannot derive from the enum '{name}'.",
                       "InvalidBaseType")
        else:
            others.append(name)
    cls = PSClass(node.name, base, others, F)
    for member in node.members:
        if isinstance(member, A.PropertyMember):
            prop = _Property(member, defaults.get(member.name.lower()))
            if member.static:
                cls.static_props[member.name.lower()] = prop
            else:
                cls.properties.append(prop)
        else:
            method = _Method(member, ScriptBlock(member.body, F.unit), cls)
            if member.is_constructor:
                if member.static:
                    continue        # a static constructor: nothing of pshell's needs one
                cls.constructors.append(method)
            else:
                cls.methods.setdefault(member.name.lower(), []).append(method)
    _register(F, cls)
    for key, prop in cls.static_props.items():
        value = prop.default(_method_frame(F, cls, None)) if prop.default is not None else \
            _type_default(prop.type_name)
        cls.static_values[key] = convert(value, prop.type_name)
    return cls


def _register(F: Any, utype: UserType) -> None:
    table = types_of(F.rs)
    table[utype.name.lower()] = utype
    CURRENT.types = table


def new_object(frame: Any, utype: UserType, args: List[Any]) -> Any:
    if isinstance(utype, PSClass):
        return utype.new(frame, args)
    raise _err(f"Cannot create an object of the enum [{utype.name}] with New-Object.",
               "CannotInstantiateEnum")
