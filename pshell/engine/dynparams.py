"""Dynamic parameters: a function's ``dynamicparam { }`` block and the objects it builds.

A ``dynamicparam`` block runs while the command line is being bound, after the static parameters
have taken what they know (so it can look at ``$PSBoundParameters`` and the parameter variables).
It returns a ``RuntimeDefinedParameterDictionary`` of ``RuntimeDefinedParameter`` objects (a name,
a type and attributes: ``ParameterAttribute``, ``ValidateSetAttribute``, ``AliasAttribute``...),
or an object of a script class whose properties carry ``[Parameter()]``.  Those become more
parameters of this one call: the command line is bound again with them, a value given to one is
set on its object (``.Value``, ``.IsSet``, or the class property) and in ``$PSBoundParameters``,
not as a variable.  The block runs in the scope the other blocks then run in, so its variables
(``$paramDictionary``) are theirs too.

``Get-Command name args...`` asks :func:`dynamic_params_for` for the same parameters without
running the function.  The attribute objects are also what ``New-Object`` and ``::new()`` make.
"""

from __future__ import annotations


from pshell.engine.cmdlet import Param
from pshell.engine.values import Hashtable, PSTypeInfo, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Sequence, Tuple

__all__ = ["ParameterAttribute", "RuntimeDefinedParameter", "RuntimeDefinedParameterDictionary",
           "CONSTRUCTORS", "bind_dynamic", "dynamic_params_for", "apply_dynamic"]

_SMA = "System.Management.Automation."
_NO_POSITION = -2147483648


class _Attribute:
    ps_type_names: Tuple[str, ...] = ("System.Attribute", "System.Object")

    def ToString(self) -> str:
        return self.ps_type_names[0]


class ParameterAttribute(_Attribute):
    """``[Parameter()]`` as an object: Mandatory, Position, ParameterSetName, ValueFrom..."""

    ps_type_names = (_SMA + "ParameterAttribute", _SMA + "Internal.CmdletMetadataAttribute",
                     "System.Attribute", "System.Object")
    ps_properties = ("Position", "ParameterSetName", "Mandatory", "ValueFromPipeline",
                     "ValueFromPipelineByPropertyName", "ValueFromRemainingArguments", "HelpMessage",
                     "DontShow")

    def __init__(self, *_args: Any) -> None:
        self.Position = _NO_POSITION
        self.ParameterSetName = "__AllParameterSets"
        self.Mandatory = False
        self.ValueFromPipeline = False
        self.ValueFromPipelineByPropertyName = False
        self.ValueFromRemainingArguments = False
        self.HelpMessage: Any = None
        self.DontShow = False


class _ValuesAttribute(_Attribute):
    """An attribute built from a list of values: ValidateSet('a','b'), Alias('x','y')."""

    def __init__(self, *values: Any) -> None:
        flat: List[Any] = []
        for value in values:
            flat.extend(value if isinstance(value, (list, tuple)) else [value])
        self.values = [to_str(v) for v in flat]
        self.ErrorMessage: Any = None
        self.IgnoreCase = True


class ValidateSetAttribute(_ValuesAttribute):
    ps_type_names = (_SMA + "ValidateSetAttribute", "System.Attribute", "System.Object")
    ps_properties = ("ValidValues", "IgnoreCase", "ErrorMessage")

    @property
    def ValidValues(self) -> List[str]:
        return list(self.values)


class AliasAttribute(_ValuesAttribute):
    ps_type_names = (_SMA + "AliasAttribute", "System.Attribute", "System.Object")
    ps_properties = ("AliasNames",)

    @property
    def AliasNames(self) -> List[str]:
        return list(self.values)


class _TwoBounds(_Attribute):
    def __init__(self, low: Any = None, high: Any = None) -> None:
        self.low, self.high = low, high
        self.ErrorMessage: Any = None


class ValidateRangeAttribute(_TwoBounds):
    ps_type_names = (_SMA + "ValidateRangeAttribute", "System.Attribute", "System.Object")
    ps_properties = ("MinRange", "MaxRange")

    @property
    def MinRange(self) -> Any:
        return self.low

    @property
    def MaxRange(self) -> Any:
        return self.high


class ValidateLengthAttribute(_TwoBounds):
    ps_type_names = (_SMA + "ValidateLengthAttribute", "System.Attribute", "System.Object")
    ps_properties = ("MinLength", "MaxLength")


class ValidateCountAttribute(_TwoBounds):
    ps_type_names = (_SMA + "ValidateCountAttribute", "System.Attribute", "System.Object")
    ps_properties = ("MinLength", "MaxLength")


class ValidatePatternAttribute(_Attribute):
    ps_type_names = (_SMA + "ValidatePatternAttribute", "System.Attribute", "System.Object")
    ps_properties = ("RegexPattern",)

    def __init__(self, pattern: Any = "") -> None:
        self.RegexPattern = to_str(pattern)
        self.ErrorMessage: Any = None


def _flag_attribute(type_name: str) -> type:
    return type(type_name.rsplit(".", 1)[-1], (_Attribute,), {
        "ps_type_names": (_SMA + type_name, "System.Attribute", "System.Object"),
        "__init__": lambda self, *a: None})


ValidateNotNullAttribute = _flag_attribute("ValidateNotNullAttribute")
ValidateNotNullOrEmptyAttribute = _flag_attribute("ValidateNotNullOrEmptyAttribute")
AllowNullAttribute = _flag_attribute("AllowNullAttribute")
AllowEmptyStringAttribute = _flag_attribute("AllowEmptyStringAttribute")
AllowEmptyCollectionAttribute = _flag_attribute("AllowEmptyCollectionAttribute")


class RuntimeDefinedParameter:
    """One dynamic parameter: ``::new(name, [type], attributes)``; ``Value`` and ``IsSet`` say what
    the command line gave it."""

    ps_type_names = (_SMA + "RuntimeDefinedParameter", "System.Object")
    ps_properties = ("Name", "ParameterType", "Value", "IsSet", "Attributes")

    def __init__(self, name: Any = "", ptype: Any = None, attributes: Any = None) -> None:
        self.Name = to_str(name)
        self.ParameterType = ptype if ptype is not None else PSTypeInfo("System.Object")
        if attributes is None:
            attributes = []
        self.Attributes: List[Any] = list(attributes) if isinstance(attributes, (list, tuple)) \
            else [attributes]
        self.Value: Any = None
        self.IsSet = False

    def ToString(self) -> str:
        return self.Name


class RuntimeDefinedParameterDictionary(Hashtable):
    """Name -> RuntimeDefinedParameter (names case-insensitive)."""

    __slots__ = ("HelpFile", "Data")
    ps_type_names = (_SMA + "RuntimeDefinedParameterDictionary",
                     "System.Collections.Generic.Dictionary`2[[System.String],"
                     "[" + _SMA + "RuntimeDefinedParameter]]", "System.Object")

    def __init__(self, *_args: Any) -> None:
        super().__init__()
        self.HelpFile = ""
        self.Data: Any = None


_TYPES: Dict[str, Any] = {cls.__name__.lower(): cls for cls in (
    ParameterAttribute, RuntimeDefinedParameter, RuntimeDefinedParameterDictionary,
    ValidateSetAttribute, AliasAttribute, ValidateRangeAttribute, ValidateLengthAttribute,
    ValidateCountAttribute, ValidatePatternAttribute, ValidateNotNullAttribute,
    ValidateNotNullOrEmptyAttribute, AllowNullAttribute, AllowEmptyStringAttribute,
    AllowEmptyCollectionAttribute)}

#: type names (lower case, without "system.") -> fn(args), for ``::new()`` and New-Object
CONSTRUCTORS: Dict[str, Any] = {}
for _name, _cls in _TYPES.items():
    CONSTRUCTORS["management.automation." + _name] = (lambda cls: lambda a: cls(*a))(_cls)


# --------------------------------------------------------------------------- to parameters

def _type_name(ptype: Any) -> str:
    if ptype is None:
        return "object"
    name = getattr(ptype, "FullName", None)
    return to_str(name if name is not None else ptype)


def _spec_of(param: RuntimeDefinedParameter) -> Any:
    """A RuntimeDefinedParameter as the compiler's ParamSpec, so the binder treats it like a
    parameter of ``param()``."""
    from pshell.engine.compiler import ParamSpec
    spec = ParamSpec(param.Name)
    spec.type_name = _type_name(param.ParameterType)
    spec.switch = spec.type_name.lower() in ("switch", "system.management.automation.switchparameter")
    sets: List[str] = []
    for attr in param.Attributes:
        if isinstance(attr, ParameterAttribute):
            spec.mandatory = spec.mandatory or bool(attr.Mandatory)
            if attr.Position is not None and int(attr.Position) != _NO_POSITION:
                spec.position = int(attr.Position)
            spec.pipeline = spec.pipeline or bool(attr.ValueFromPipeline)
            spec.by_property = spec.by_property or bool(attr.ValueFromPipelineByPropertyName)
            spec.remaining = spec.remaining or bool(attr.ValueFromRemainingArguments)
            name = to_str(attr.ParameterSetName or "__AllParameterSets")
            if name != "__AllParameterSets":
                sets.append(name)
        elif isinstance(attr, ValidateSetAttribute):
            spec.validate_set = tuple(attr.values)
        elif isinstance(attr, AliasAttribute):
            spec.aliases = tuple(attr.values)
        elif isinstance(attr, ValidateRangeAttribute):
            spec.validate_range = (attr.low, attr.high)
        elif isinstance(attr, (ValidateNotNullAttribute, ValidateNotNullOrEmptyAttribute)):
            spec.not_null = True
        elif isinstance(attr, AllowNullAttribute):
            spec.allow += ("null",)
        elif isinstance(attr, AllowEmptyStringAttribute):
            spec.allow += ("emptystring",)
        elif isinstance(attr, AllowEmptyCollectionAttribute):
            spec.allow += ("emptycollection",)
        elif isinstance(attr, ValidatePatternAttribute):
            spec.checks.append(("pattern", attr.RegexPattern, attr.ErrorMessage))
        elif isinstance(attr, ValidateLengthAttribute):
            spec.checks.append(("length", (attr.low, attr.high), attr.ErrorMessage))
        elif isinstance(attr, ValidateCountAttribute):
            spec.checks.append(("count", (attr.low, attr.high), attr.ErrorMessage))
    spec.sets = tuple(sets)
    return spec


def _class_specs(obj: Any) -> List[Any]:
    """The properties of a script class's object that carry [Parameter()] (and [Alias()],
    [ValidateSet()]...): the parameters such an object declares."""
    from pshell.engine.compiler import ParamSpec
    from pshell.engine.rt import literal_value
    specs = []
    for cls in obj.ps_class.chain():
        for prop in cls.properties:
            attributes = prop.attributes
            if not any(a.name.lower() in ("parameter", "system.management.automation.parameter")
                       for a in attributes):
                continue
            spec = ParamSpec(prop.name)
            spec.type_name = prop.type_name
            spec.switch = (prop.type_name or "").lower() == "switch"
            for attr in attributes:
                lname = attr.name.lower()
                if lname == "parameter":
                    for key, value in attr.named:
                        lkey = key.lower()
                        literal = True if value is None else literal_value(value)
                        if lkey == "mandatory":
                            spec.mandatory = bool(literal)
                        elif lkey == "position":
                            spec.position = int(literal)
                        elif lkey == "parametersetname":
                            spec.sets = (str(literal),)
                        elif lkey == "valuefrompipeline":
                            spec.pipeline = bool(literal)
                        elif lkey == "valuefrompipelinebypropertyname":
                            spec.by_property = bool(literal)
                elif lname == "alias":
                    spec.aliases = tuple(str(literal_value(a)) for a in attr.positional)
                elif lname == "validateset":
                    spec.validate_set = tuple(str(literal_value(a)) for a in attr.positional)
                elif lname in ("validatenotnullorempty", "validatenotnull"):
                    spec.not_null = True
            specs.append(spec)
    return specs


def _specs_of(returned: Any) -> List[Any]:
    if isinstance(returned, RuntimeDefinedParameterDictionary):
        return [_spec_of(p) for p in returned.values() if isinstance(p, RuntimeDefinedParameter)]
    if hasattr(returned, "ps_class"):
        return _class_specs(returned)
    return []


def _params_of(specs: Sequence[Any], static: Sequence[Param], ctx: Any) -> Tuple[Param, ...]:
    from pshell.engine.binder import param_of_spec
    from pshell.engine.errors import ErrorRecord, ParameterBindingError
    known = {p.name.lower() for p in static}
    out = []
    for spec in specs:
        if spec.name.lower() in known:
            name = ctx.name if ctx is not None else ""
            raise ParameterBindingError(ErrorRecord(
                f"A parameter with the name '{spec.name}' was defined multiple times for the "
                f"command.", f"ParameterNameAlreadyExistsForCommand,{name}", "MetadataError",
                spec.name, exception_type=_SMA + "MetadataException"))
        known.add(spec.name.lower())
        out.append(param_of_spec(spec, spec.position))
    return tuple(out)


# --------------------------------------------------------------------------- running the block

def _known_args(params: Sequence[Param], args: List[Tuple[Any, ...]], advanced: bool
                ) -> List[Tuple[Any, ...]]:
    """The command line without the parameter names the static parameters do not know (nor the
    value after such a name): what the first, tolerant binding sees."""
    from pshell.engine.binder import knows_name
    from pshell.engine.rt import NOARG
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            if arg[0] == "a":
                continue
        if arg[0] == "p" and arg[1] != "-" and not knows_name(params, advanced, arg[1]):
            skip = arg[2] is NOARG
            continue
        out.append(arg)
    return out


def _run_block(frame: Any, block: Any, bound: Any) -> Tuple[Any, Any]:
    """Run the dynamicparam block in a new scope below ``frame`` holding what the first binding
    gave; returns (what the block returned, the scope)."""
    from pshell.engine.errors import ReturnException
    from pshell.engine.command_context import _apply_bound
    from pshell.engine.runtime import Frame, Scope
    compiled = block.compiled
    scope = Scope(frame.scope)
    callee = Frame(frame.rs, scope, frame.streams, frame.script_scope, block.unit, frame.using, False)
    callee.block = block
    if bound is not None:
        _apply_bound(callee, compiled, bound)
    out: List[Any] = []
    try:
        for item in compiled.dynamicparam(callee):
            out.append(item)
    except ReturnException:
        pass
    found = next((item for item in out if item is not None), None)
    return found, scope


def _first_binding(block: Any, args: List[Tuple[Any, ...]], ctx: Any) -> Any:
    from pshell.engine.binder import bind_arguments, script_params
    from pshell.engine.errors import ParameterBindingError
    compiled = block.compiled
    static = script_params(compiled)
    try:
        return bind_arguments(static, _known_args(static, args, bool(compiled.advanced)), ctx,
                              block, partial=True)
    except ParameterBindingError:
        return None


def bind_dynamic(frame: Any, block: Any, args: List[Tuple[Any, ...]], ctx: Any) -> Any:
    """Bind ``args`` to a block with a dynamicparam block: a tolerant first binding, the block,
    then the real binding with the parameters it returned.  The BindResult carries the block's
    scope and objects (``dynamic``) for :func:`apply_dynamic`."""
    from pshell.engine.binder import bind_arguments, script_params
    static = script_params(block.compiled)
    first = _first_binding(block, args, ctx)
    returned, scope = _run_block(frame, block, first)
    extra = _params_of(_specs_of(returned), static, ctx)
    bound = bind_arguments(static + extra, args, ctx, block) if extra else \
        bind_arguments(static, args, ctx, block)
    bound.dynamic = (returned, scope, extra)
    return bound


def dynamic_params_for(frame: Any, block: Any, args: List[Tuple[Any, ...]], ctx: Any
                       ) -> Tuple[Param, ...]:
    """The parameters the dynamicparam block of ``block`` adds for this command line (Get-Command
    name args...)."""
    from pshell.engine.binder import script_params
    first = _first_binding(block, args, ctx)
    returned, _ = _run_block(frame, block, first)
    return _params_of(_specs_of(returned), script_params(block.compiled), ctx)


def apply_dynamic(variables: Dict[str, Any], bound: Any, psbound: Any) -> None:
    """Before the blocks run: the dynamicparam block's variables become the call's, and each value
    the command line gave a dynamic parameter is set on its object and in $PSBoundParameters."""
    returned, scope, extra = bound.dynamic
    for key, value in scope.vars.items():
        variables.setdefault(key, value)
    for param in extra:
        if param.name not in bound.values:
            continue
        value = bound.values[param.name]
        psbound[param.name] = value
        if isinstance(returned, RuntimeDefinedParameterDictionary):
            target = returned.get(param.name)
            if isinstance(target, RuntimeDefinedParameter):
                target.Value = value
                target.IsSet = True
        elif returned is not None:
            from pshell.engine.members import set_member
            set_member(returned, param.name, value)
