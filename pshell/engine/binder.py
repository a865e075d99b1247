"""PowerShell's parameter binding, one binder for cmdlets and script blocks.

Named arguments first (case-insensitive, unique prefixes, aliases, ``-Name:value``), then splatted
hashtables, then positional arguments into the positions of the chosen parameter set, then the
mandatory check.  Pipeline input is bound per object by :func:`bind_pipeline_item`.  Common
parameters (``-ErrorAction``, ``-ErrorVariable``, ``-Verbose`` ...) configure the command context.
"""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt

from pshell.engine.cmdlet import COMMON_PARAMETERS, Cmdlet, Param, qualified_name
from pshell.engine.errors import ErrorRecord, ParameterBindingError, RuntimeException
from pshell.engine.values import (NO_PROPERTY, AutomationNull, PSObject, get_property,
                                  to_bool, to_str, type_name_of)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple
    from pshell.engine.command_context import CommandContext

__all__ = ["BindResult", "bind_arguments", "bind_pipeline_item", "script_params", "convert_param"]

_COMMON_BY_NAME = {p.name.lower(): p for p in COMMON_PARAMETERS}
_ACTION_VALUES = ("continue", "silentlycontinue", "stop", "inquire", "ignore", "suspend", "break")


class BindResult:
    __slots__ = ("values", "unbound", "parameter_set", "from_pipeline", "ctx", "dynamic")

    def __init__(self) -> None:
        self.ctx: Any = None
        self.dynamic: Any = None        # what a dynamicparam block gave (engine/dynparams.py)
        self.values: Dict[str, Any] = {}
        self.unbound: List[Any] = []
        self.parameter_set = "__AllParameterSets"
        self.from_pipeline: Dict[str, bool] = {}


def _error(ctx: Optional["CommandContext"], message: str, error_id: str, target: Any = None,
           category: str = "InvalidArgument") -> ParameterBindingError:
    record = ErrorRecord(message, f"{error_id},{qualified_name(ctx.name) if ctx else ''}", category, target,
                         ctx.location if ctx else None, ctx.name if ctx else "",
                         exception_type="System.Management.Automation.ParameterBindingException")
    return ParameterBindingError(record)


# --------------------------------------------------------------------------- script params

_TYPE_TO_PARAM = {"switch": "switch", "system.management.automation.switchparameter": "switch",
                  "bool": "bool", "boolean": "bool", "system.boolean": "bool"}


_MAX_SETS = 32


def script_params(compiled: Any) -> Tuple[Param, ...]:
    cached = getattr(compiled, "_param_cache", None)
    if cached is not None:
        return cached
    params = []
    positional_index = 0
    explicit_positions = any(spec.position is not None for spec in compiled.params or ())
    for spec in compiled.params or ():
        position = spec.position
        if position is None and not explicit_positions and not spec.switch:
            position = positional_index
            positional_index += 1
        params.append(param_of_spec(spec, position))
    if getattr(compiled, "should_process", False):
        params += [Param("WhatIf", "switch", aliases=("wi",)), Param("Confirm", "switch", aliases=("cf",))]
    result = tuple(params)
    sets = {name.lower() for p in result for name in p.sets}
    if len(sets) > _MAX_SETS:
        raise RuntimeException.make(f"The command has {len(sets)} parameter sets: no more than "
                                    f"{_MAX_SETS} are allowed.", "ParsingTooManyParameterSets",
                                    "MetadataError")
    try:
        compiled._param_cache = result
    except AttributeError:
        pass
    return result


def param_of_spec(spec: Any, position: Optional[int]) -> Param:
    """The binder's Param for a ParamSpec of ``param()`` (or a dynamic parameter)."""
    type_name = spec.type_name or ""
    ptype: Any = _TYPE_TO_PARAM.get(type_name.lower())
    if ptype is None:
        ptype = _script_converter(type_name) if type_name else "object"
    if (spec.validate_range is not None or spec.not_null or spec.checks or spec.mandatory) \
            and ptype not in ("switch", "bool"):
        ptype = _validating(ptype, spec)
    return Param(spec.name, ptype, position=position, mandatory=spec.mandatory,
                 aliases=tuple(str(a) for a in spec.aliases), pipeline=spec.pipeline,
                 by_property=spec.by_property, sets=spec.sets, remaining=spec.remaining,
                 validate_set=spec.validate_set)


def _validating(ptype: Any, spec: Any) -> Any:
    """A parameter type that also checks, after conversion, what a mandatory parameter refuses
    (null, '' and @() unless [AllowNull()] / [AllowEmptyString()] / [AllowEmptyCollection()]),
    [ValidateRange()], [ValidateNotNullOrEmpty()], [ValidateScript()], [ValidatePattern()],
    [ValidateLength()] and [ValidateCount()] (the binder calls ``.validate``)."""
    value_range, not_null = spec.validate_range, spec.not_null

    def convert(value: Any) -> Any:
        if callable(ptype):
            return ptype(value)
        return convert_param(Param(spec.name, ptype), value) if ptype != "object" else value

    def validate(ctx: Optional["CommandContext"], param: Param, value: Any) -> None:
        if spec.mandatory:
            _check_mandatory_value(ctx, param, value, spec.allow)
        items = value if isinstance(value, list) else [value]
        for check in spec.checks:
            _run_check(ctx, param, check, value, items)
        if not_null and (value is None or value == "" or value == [] or
                         any(item is None or item == "" for item in items)):
            raise _error(ctx, f"Cannot validate argument on parameter '{param.name}'. The argument "
                              f"is null or empty. Provide an argument that is not null or empty, "
                              f"and then try the command again.", "ParameterArgumentValidationError",
                         value)
        if value_range is not None:
            from pshell.engine.operators import compare_values
            low, high = value_range
            for item in items:
                if compare_values(item, low) < 0:
                    raise _error(ctx, f"Cannot validate argument on parameter '{param.name}'. The "
                                      f"{to_str(item)} argument is less than the minimum allowed "
                                      f"range of {to_str(low)}. Supply an argument that is greater "
                                      f"than or equal to {to_str(low)} and then try the command "
                                      f"again.", "ParameterArgumentValidationError", item)
                if compare_values(item, high) > 0:
                    raise _error(ctx, f"Cannot validate argument on parameter '{param.name}'. The "
                                      f"{to_str(item)} argument is greater than the maximum allowed "
                                      f"range of {to_str(high)}. Supply an argument that is less "
                                      f"than or equal to {to_str(high)} and then try the command "
                                      f"again.", "ParameterArgumentValidationError", item)
    convert.validate = validate  # type: ignore[attr-defined]
    convert.type_label = getattr(ptype, "type_label", "System.Object")  # type: ignore[attr-defined]
    return convert


def ranged(ptype: Any, low: Any, high: Any) -> Any:
    """A cmdlet's parameter type that refuses values outside ``low..high`` when binding, as a
    script's ``[ValidateRange(low, high)]`` does."""
    from types import SimpleNamespace
    spec = SimpleNamespace(name="", validate_range=(low, high), not_null=False, mandatory=False,
                           checks=(), allow=())
    return _validating(ptype, spec)


def not_empty(ptype: Any) -> Any:
    """A cmdlet's parameter type that refuses null, '' and an array holding either when binding,
    as ``[ValidateNotNullOrEmpty()]`` does."""
    from types import SimpleNamespace
    spec = SimpleNamespace(name="", validate_range=None, not_null=True, mandatory=False,
                           checks=(), allow=())
    convert = _validating(ptype, spec)
    convert.type_label = ptype if isinstance(ptype, str) else type_label(ptype)  # type: ignore[attr-defined]
    return convert


def _check_mandatory_value(ctx: Optional["CommandContext"], param: Param, value: Any,
                           allow: Tuple[str, ...]) -> None:
    if value is None and "null" not in allow:
        raise _error(ctx, f"Cannot bind argument to parameter '{param.name}' because it is null.",
                     "ParameterArgumentValidationErrorNullNotAllowed", value)
    if value == "" and isinstance(value, str) and "emptystring" not in allow:
        raise _error(ctx, f"Cannot bind argument to parameter '{param.name}' because it is an "
                          f"empty string.", "ParameterArgumentValidationErrorEmptyStringNotAllowed", value)
    if isinstance(value, list) and not value and "emptycollection" not in allow:
        raise _error(ctx, f"Cannot bind argument to parameter '{param.name}' because it is an "
                          f"empty array.", "ParameterArgumentValidationErrorEmptyArrayNotAllowed", value)


def _run_check(ctx: Optional["CommandContext"], param: Param, check: Tuple[Any, ...], value: Any,
               items: List[Any]) -> None:
    from pshell.engine.operators import ps_format
    kind, argument, message = check
    prefix = f"Cannot validate argument on parameter '{param.name}'. "

    def fail(item: Any, default: str, shown: Any) -> None:
        text = ps_format(message, [item, shown]) if message else default
        raise _error(ctx, prefix + text, "ParameterArgumentValidationError", item)

    if kind == "set":
        allowed = {to_str(v).lower() for v in argument}
        for item in items:
            if to_str(item).lower() not in allowed:
                fail(item, f"The argument \"{to_str(item)}\" does not belong to the set "
                           f"\"{','.join(argument)}\" specified by the ValidateSet attribute.",
                     ",".join(argument))
        return
    if kind == "count":
        low, high = argument
        if not low <= len(items) <= high:
            fail(value, f"The parameter requires at least {low} value(s) and no more than {high} "
                        f"value(s) to be supplied, but {len(items)} value(s) were supplied.", argument)
        return
    for item in items:
        if kind == "script":
            if ctx is None:
                return
            body = argument.text.strip()
            body = body[1:-1].strip() if body.startswith("{") and body.endswith("}") else body
            try:
                ok = any(to_bool(v) for v in ctx.invoke(argument, (), dollar_under=item))
            except RuntimeException as exc:
                fail(item, f"The \"{body}\" validation script for the argument with value "
                           f"\"{to_str(item)}\" did not return a result of True: "
                           f"{exc.record.message}", body)
            if not ok:
                fail(item, f"The \"{body}\" validation script for the argument with value "
                           f"\"{to_str(item)}\" did not return a result of True. Determine why the "
                           f"validation script failed, and then try the command again.", body)
        elif kind == "pattern":
            from pshell.engine.operators import compile_regex
            import re
            if compile_regex(argument, re.IGNORECASE).search(to_str(item)) is None:
                fail(item, f"The argument \"{to_str(item)}\" does not match the \"{argument}\" "
                           f"pattern. Supply an argument that matches \"{argument}\" and try the "
                           f"command again.", argument)
        elif kind == "length":
            low, high = argument
            size = len(to_str(item))
            if size < low:
                fail(item, f"The character length of the {size} argument is too short. Specify an "
                           f"argument with a length that is greater than or equal to \"{low}\", and "
                           f"then try the command again.", argument)
            if size > high:
                fail(item, f"The character length ({size}) of the argument is too long. Specify an "
                           f"argument with a length that is less than or equal to \"{high}\" and "
                           f"then try the command again.", argument)


def _script_converter(type_name: str) -> Any:
    from pshell.engine.conversions import convert_to

    def convert(value: Any) -> Any:
        return convert_to(value, type_name)
    convert.type_label = type_name  # type: ignore[attr-defined]
    return convert


# --------------------------------------------------------------------------- conversion

_SCALAR_TYPES = {"string": "System.String", "int": "System.Int32", "long": "System.Int64",
                 "double": "System.Double", "bool": "System.Boolean", "switch": "SwitchParameter",
                 "scriptblock": "System.Management.Automation.ScriptBlock",
                 "hashtable": "System.Collections.Hashtable", "datetime": "System.DateTime",
                 "psobject": "System.Management.Automation.PSObject", "object": "System.Object",
                 "timespan": "System.TimeSpan"}


def type_label(ptype: Any) -> str:
    if callable(ptype):
        return getattr(ptype, "type_label", "System.Object")
    base = ptype[:-2] if ptype.endswith("[]") else ptype
    label = _SCALAR_TYPES.get(base, base)
    return label + ("[]" if ptype.endswith("[]") else "")


def convert_param(param: Param, value: Any, ctx: Optional["CommandContext"] = None) -> Any:
    ptype = param.type
    if value is AutomationNull:
        value = None
    try:
        if callable(ptype):
            return ptype(value)
        if ptype == "object":
            return value
        if hasattr(value, "__next__") and not isinstance(value, str):
            value = list(value)         # an enumerator ($input) binds as what is left in it
            if len(value) == 1 and not ptype.endswith("[]"):
                value = value[0]
        if ptype.endswith("[]"):
            base = ptype[:-2]
            if value is None:
                return None
            items = list(value) if isinstance(value, (list, tuple, range)) else [value]
            return [_convert_scalar(base, item) for item in items]
        return _convert_scalar(ptype, value)
    except ParameterBindingError as exc:        # a conversion that names its own error id
        raise _error(ctx, exc.record.message, exc.record.FullyQualifiedErrorId.split(",")[0],
                     value) from None
    except RuntimeException as exc:
        raise _error(ctx, f"Cannot process argument transformation on parameter '{param.name}'. "
                          f"{exc.record.message}", "ParameterArgumentTransformationError",
                     value) from None
    except (ValueError, TypeError) as exc:
        detail = str(exc) or f'Cannot convert value "{to_str(value)}" to type "{type_label(ptype)}".'
        raise _error(ctx, f"Cannot process argument transformation on parameter '{param.name}'. "
                          f"{detail}", "ParameterArgumentTransformationError", value) from None


def _convert_scalar(kind: str, value: Any) -> Any:
    if kind == "object" or kind == "psobject":
        return value
    if kind == "switch" or kind == "bool":
        return to_bool(value)
    if isinstance(value, (list, tuple)) and kind not in ("object",):
        if len(value) == 1:
            value = value[0]
        else:
            raise ValueError(f'Cannot convert "System.Object[]" to the type "{type_label(kind)}" '
                             f'required by the parameter.')
    if kind == "string":
        if value is None:
            return None
        return to_str(value)
    from pshell.engine.conversions import convert_to
    if kind == "int":
        return convert_to(value, "int")
    if kind == "long":
        return convert_to(value, "long")
    if kind == "double":
        return convert_to(value, "double")
    if kind == "datetime":
        return convert_to(value, "datetime")
    if kind == "timespan":
        return convert_to(value, "timespan")
    if kind == "hashtable":
        if value is None or isinstance(value, dict):
            return value
        raise ValueError(f'Cannot convert the "{to_str(value)}" value of type "{type_name_of(value)}" '
                         f'to type "System.Collections.Hashtable".')
    if kind == "scriptblock":
        if value is None or (hasattr(value, "ast") and hasattr(value, "compiled")):
            return value
        raise ValueError(f'Cannot convert the "{to_str(value)}" value of type "{type_name_of(value)}" '
                         f'to type "System.Management.Automation.ScriptBlock".')
    return value


# --------------------------------------------------------------------------- binding

class _Table:
    """Name lookup for one command's parameters (built once per command class)."""

    __slots__ = ("params", "by_name", "names", "sets", "positional", "pipeline", "remaining",
                 "required")

    def __init__(self, params: Sequence[Param], with_common: bool) -> None:
        self.params = list(params) + (list(COMMON_PARAMETERS) if with_common else [])
        self.by_name: Dict[str, Param] = {}
        for param in self.params:
            self.by_name.setdefault(param.name.lower(), param)
            for alias in param.aliases:
                self.by_name.setdefault(alias.lower(), param)
        self.names = sorted(self.by_name)
        sets: List[str] = []
        for param in params:
            for name in param.sets:
                if name not in sets:
                    sets.append(name)
        self.sets = sets
        self.positional = sorted((p for p in params if p.position is not None),
                                 key=lambda p: p.position)  # type: ignore[arg-type,return-value]
        self.pipeline = [p for p in params if p.pipeline or p.by_property]
        self.remaining = [p for p in params if p.remaining]
        self.required: Dict[str, List[Param]] = {}      # by parameter set: see required_in

    def required_in(self, chosen: str) -> List[Param]:
        """The parameters the command line must give in set ``chosen`` (mandatory there, and not
        one the pipeline may give): worked out once per set, not at every binding."""
        found = self.required.get(chosen)
        if found is None:
            found = self.required[chosen] = [
                p for p in self.params if p.in_set(chosen)
                and (p.mandatory_in(chosen) or p.mandatory is True)
                and not (p.pipeline or p.by_property)]
        return found

    def knows(self, name: str) -> bool:
        """Whether ``name`` is a parameter, an alias or the prefix of one."""
        lowered = name.lower()
        return lowered in self.by_name or any(n.startswith(lowered) for n in self.names)

    def find(self, name: str, ctx: Optional["CommandContext"]) -> Param:
        lowered = name.lower()
        exact = self.by_name.get(lowered)
        if exact is not None:
            return exact
        matches = {self.by_name[n].name: self.by_name[n] for n in self.names if n.startswith(lowered)}
        if len(matches) == 1:
            return next(iter(matches.values()))
        if not matches:
            raise _error(ctx, f"A parameter cannot be found that matches parameter name '{name}'.",
                         "NamedParameterNotFound", name)
        listing = " ".join(f"-{n}" for n in sorted(matches))
        raise _error(ctx, f"Parameter cannot be processed because the parameter name '{name}' is "
                          f"ambiguous. Possible matches include: {listing}.", "AmbiguousParameter",
                     name)


_TABLES: Dict[Any, _Table] = {}


def _table_for(params: Sequence[Param], with_common: bool) -> _Table:
    key = (id(params), with_common)
    table = _TABLES.get(key)
    if table is None or table.params[:len(params)] != list(params):
        table = _Table(params, with_common)
        _TABLES[key] = table
    return table


class _Extra:
    """An argument only the ValueFromRemainingArguments parameter takes (an unknown -name)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def knows_name(params: Sequence[Param], advanced: bool, name: str) -> bool:
    """Whether ``-name`` names one of ``params`` (or a common parameter of an advanced command)."""
    return _table_for(params, advanced).knows(name)


def bind_arguments(params: Sequence[Param], args: List[Tuple[Any, ...]],
                   ctx: Optional["CommandContext"], target: Any, partial: bool = False) -> BindResult:
    """Bind command-line arguments.  ``target`` is a Cmdlet instance (its attributes are set) or
    a ScriptBlock (the values are returned).  ``partial``: what a dynamicparam block sees first
    (no mandatory check, arguments left over are no error)."""
    from pshell.engine.rt import NOARG
    is_cmdlet = isinstance(target, Cmdlet)
    advanced = is_cmdlet or bool(getattr(getattr(target, "compiled", None), "advanced", False))
    table = _table_for(params, advanced)
    result = BindResult()
    result.ctx = ctx
    named: Dict[str, Any] = {}
    positional: List[Any] = []
    literal_rest = is_cmdlet and getattr(target, "literal_after_first", False)
    i = 0
    count = len(args)
    while i < count:
        kind, value, extra, _nid = args[i]
        if kind == "p" and value == "-":            # `--`: the words after it are arguments
            i += 1
            continue
        if kind == "p":
            name, argument = value, extra
            if advanced and table.remaining and not table.knows(name) and (
                    not is_cmdlet or getattr(target, "takes_unknown_names", False)):
                # a name a function does not know (and the value after it) goes, in its place
                # on the line, to its ValueFromRemainingArguments parameter (a cmdlet refuses it,
                # but for Get-Command's -ArgumentList)
                positional.append(_Extra("-" + name if argument is NOARG else "-" + name + ":"))
                if argument is not NOARG:
                    positional.append(_Extra(argument))
                elif i + 1 < count and args[i + 1][0] == "a":
                    i += 1
                    positional.append(_Extra(args[i][1]))
                i += 1
                continue
            if (not advanced and not table.knows(name)) or (positional and literal_rest):
                # (Switch-Process: after the program's name every word is the program's)
                # a simple function takes a name it does not declare as an argument ($args)
                if argument is NOARG:
                    positional.append("-" + name)
                else:
                    positional += ["-" + name + ":", argument]
                i += 1
                continue
            param = table.find(name, ctx)
            if param.name in named:
                raise _error(ctx, f"Cannot bind parameter because parameter '{param.name}' is "
                                  f"specified more than once. To provide multiple values to "
                                  f"parameters that can accept multiple values, use the array syntax.",
                             "ParameterAlreadyBound", name)
            if argument is NOARG:
                if param.type == "switch":
                    named[param.name] = True
                else:
                    if i + 1 < count and args[i + 1][0] == "a":
                        i += 1
                        named[param.name] = args[i][1]
                    else:
                        raise _error(ctx, f"Missing an argument for parameter '{param.name}'. Specify "
                                          f"a parameter of type '{type_label(param.type)}' and try "
                                          f"again.", "MissingArgument", name)
            else:
                named[param.name] = argument
        elif kind == "s":
            _splat(table, value, named, positional, ctx, advanced)
        else:
            positional.append(value)
        i += 1

    if advanced and ctx is not None:
        _apply_default_values(ctx, table, named)

    # parameter sets: the sets compatible with every named parameter
    candidates = _candidate_sets(table, params, named, target, ctx)
    chosen = _choose_set(table, params, candidates, target)
    chooser = getattr(target, "positional_set", None) if is_cmdlet and positional else None
    if chooser is not None:          # a cmdlet whose sets differ in how many positions they take
        chosen = chooser(named, positional) or chosen

    # positional
    leftovers: List[Any] = []
    pos_params = [p for p in table.positional if p.name not in named and p.in_set(chosen)]
    if not pos_params and candidates and len(candidates) > 1:
        pos_params = [p for p in table.positional if p.name not in named and
                      any(p.in_set(s) for s in candidates)]
    for index, value in enumerate(positional):
        if isinstance(value, _Extra):
            leftovers.append(value.value)
        elif pos_params:
            param = pos_params.pop(0)
            if param.remaining and not pos_params and index + 1 < len(positional):
                # Position=N plus ValueFromRemainingArguments: it takes the rest (Write-Output 1 2 3)
                named[param.name] = [v.value if isinstance(v, _Extra) else v for v in positional[index:]]
                break
            named[param.name] = value
            if param.sets and chosen not in param.sets:
                chosen = param.sets[0]
        else:
            leftovers.append(value)
    if leftovers:
        remaining = [p for p in table.remaining if p.name not in named]
        if remaining:
            named[remaining[0].name] = leftovers if len(leftovers) > 1 else leftovers[0]
            leftovers = []
        elif advanced and not partial:
            raise _error(ctx, f"A positional parameter cannot be found that accepts argument "
                              f"'{to_str(leftovers[0])}'.", "PositionalParameterNotFound",
                         leftovers[0])
    result.unbound = leftovers

    # conversion, validation, common parameters
    for name, value in named.items():
        param = table.by_name[name.lower()]
        if _COMMON_BY_NAME.get(name.lower()) is param and all(p.name != name for p in params):
            _apply_common(ctx, param, value)
            continue
        converted = convert_param(param, value, ctx)
        if param.validate_set is not None and converted is not None:
            _validate_set(ctx, param, converted)
        check = getattr(param.type, "validate", None)
        if check is not None:
            check(ctx, param, converted)
        result.values[param.name] = converted
    result.parameter_set = chosen

    if not partial:
        _check_mandatory(ctx, table, result, chosen)
    if is_cmdlet:
        for name, value in result.values.items():
            setattr(target, name, value)
        target.bound = dict(result.values)
        target.parameter_set = chosen
    return result


def _apply_default_values(ctx: "CommandContext", table: _Table, named: Dict[str, Any]) -> None:
    """``$PSDefaultParameterValues``: 'Command:Parameter' keys (wildcards in the command name) give
    values to parameters the command line left unset; a script block value is run for the value;
    ``Disabled = $true`` turns them all off."""
    defaults = ctx.frame.scope.lookup("psdefaultparametervalues")
    if not isinstance(defaults, dict) or not defaults:
        return
    if to_bool(defaults.get("Disabled", False)):
        return
    from pshell.engine.wildcards import wildcard_match
    for key, value in list(defaults.items()):
        command, sep, pname = to_str(key).partition(":")
        if not sep or not pname.strip() or not wildcard_match(command.strip(), ctx.name):
            continue
        param = table.by_name.get(pname.strip().lower())
        if param is None or param.name in named or param.pipeline or param.by_property:
            continue
        if hasattr(value, "ast") and hasattr(value, "compiled"):
            from pshell.engine.runtime import collect
            value = collect(ctx.invoke_iter(value, ()))
        named[param.name] = value


def _splat(table: _Table, value: Any, named: Dict[str, Any], positional: List[Any],
           ctx: Optional["CommandContext"], advanced: bool = True) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not advanced and not table.knows(to_str(key)):
                positional += ["-" + to_str(key) + ":", item]
                continue
            param = table.find(to_str(key), ctx)
            if param.type == "switch":
                named[param.name] = to_bool(item)
            else:
                named[param.name] = item
    elif isinstance(value, (list, tuple)):
        positional.extend(value)
    elif value is not None:
        positional.append(value)


def _candidate_sets(table: _Table, params: Sequence[Param], named: Dict[str, Any],
                    target: Any, ctx: Optional["CommandContext"] = None) -> List[str]:
    candidates = list(table.sets)
    for name in named:
        param = table.by_name.get(name.lower())
        if param is None or not param.sets:
            continue
        narrowed = [s for s in candidates if s in param.sets]
        if narrowed:
            candidates = narrowed
        else:
            # parameters from sets that don't meet: PowerShell's "cannot be resolved" error
            raise _error(getattr(target, "ctx", None) or ctx,
                         "Parameter set cannot be resolved using the specified named parameters. "
                         "One or more parameters issued cannot be used together or an insufficient "
                         "number of parameters were provided.", "AmbiguousParameterSet")
    return candidates


def _choose_set(table: _Table, params: Sequence[Param], candidates: List[str], target: Any) -> str:
    default = getattr(target, "default_set", None)
    if default is None and hasattr(target, "compiled"):     # a script block's DefaultParameterSetName
        default = getattr(target.compiled, "default_set", None)
    if not candidates:
        return default or "__AllParameterSets"
    if default in candidates:
        return default  # type: ignore[return-value]
    return candidates[0]


def _validate_set(ctx: Optional["CommandContext"], param: Param, value: Any) -> None:
    allowed = [v.lower() for v in param.validate_set or ()]
    values = value if isinstance(value, list) else [value]
    for item in values:
        if to_str(item).lower() not in allowed:
            raise _error(ctx, f"Cannot validate argument on parameter '{param.name}'. The argument "
                              f"\"{to_str(item)}\" does not belong to the set "
                              f"\"{','.join(param.validate_set or ())}\" specified by the "
                              f"ValidateSet attribute. Supply an argument that is in the set and "
                              f"then try the command again.", "ParameterArgumentValidationError", item)


def _check_mandatory(ctx: Optional["CommandContext"], table: _Table, result: BindResult,
                     chosen: str) -> None:
    # (one the pipeline may give is checked when input arrives)
    values = result.values
    missing = [param.name for param in table.required_in(chosen) if param.name not in values]
    if missing:
        raise _error(ctx, f"Cannot process command because of one or more missing mandatory "
                          f"parameters: {' '.join(missing)}.", "MissingMandatoryParameter",
                     category="InvalidArgument")


def _apply_common(ctx: Optional["CommandContext"], param: Param, value: Any) -> None:
    if ctx is None:
        return
    name = param.name.lower()
    if name in ("erroraction", "warningaction", "informationaction", "progressaction"):
        text = to_str(value).lower()
        if text not in _ACTION_VALUES:
            raise _error(ctx, f"Cannot bind parameter '{param.name}'. Cannot convert value "
                              f"\"{to_str(value)}\" to type \"System.Management.Automation."
                              f"ActionPreference\". Valid values: SilentlyContinue, Stop, Continue, "
                              f"Inquire, Ignore, Suspend, Break.", "CannotConvertArgument", value)
        key = {"erroraction": "erroraction", "warningaction": "warning",
               "informationaction": "information", "progressaction": "progress"}[name]
        if ctx.prefs is None:
            ctx.prefs = {}
        ctx.prefs[key] = text
    elif name in ("errorvariable", "warningvariable", "informationvariable"):
        collected = collecting_variable(ctx.frame, to_str(value))
        if name == "errorvariable":
            ctx.error_var = collected
        elif name == "warningvariable":
            ctx.warning_var = collected
        else:
            ctx.info_var = collected
    elif name in ("outvariable", "pipelinevariable"):
        if ctx.prefs is None:
            ctx.prefs = {}
        ctx.prefs["\x00outvar" if name == "outvariable" else "\x00pipevar"] = to_str(value)
    elif name == "verbose":
        ctx.verbose = to_bool(value)
    elif name == "debug":
        ctx.debug = to_bool(value)


def collecting_variable(frame: Any, spec: str) -> List[Any]:
    """The list a ``-ErrorVariable``/``-OutVariable`` (``name``, ``scope:name``, ``+name`` to
    append) collects into, already stored in its variable."""
    from pshell.engine.rt import _scope_for
    from pshell.engine.runtime import _NOT_FOUND
    append = spec.startswith("+")
    spec = spec[1:] if append else spec
    scope_name, _, var = spec.rpartition(":")
    var = var.lower()
    scope = (_scope_for(frame, scope_name.lower()) if scope_name else None) or frame.scope
    collected: List[Any] = []
    if append:
        existing = scope.lookup(var) if not scope_name else scope.vars.get(var)
        if isinstance(existing, list):
            collected = existing
        elif existing not in (None, AutomationNull, _NOT_FOUND):
            collected = [existing]
    scope.vars[var] = collected
    return collected


# --------------------------------------------------------------------------- pipeline input

def bind_pipeline_item(ctx: "CommandContext", cmdlet: Cmdlet, item: Any) -> None:
    """Bind one pipeline object to the cmdlet's pipeline parameters for this ``process`` call."""
    table = ctx.pipeline_params
    if table is None:
        table = [p for p in cmdlet.params if (p.pipeline or p.by_property) and
                 p.in_set(cmdlet.parameter_set)]
        if not table:
            table = [p for p in cmdlet.params if p.pipeline or p.by_property]
        ctx.pipeline_params = table
    explicit = cmdlet.bound
    by_value_done = False
    for param in table:
        if param.name in explicit:
            continue
        if param.pipeline and not by_value_done:
            try:
                converted = convert_param(param, item, ctx)
            except RuntimeException:
                converted = NO_PROPERTY
            if converted is not NO_PROPERTY:
                check = getattr(param.type, "validate", None)
                if check is not None:           # [ValidateNotNullOrEmpty()] and the like
                    check(ctx, param, converted)
                setattr(cmdlet, param.name, converted)
                by_value_done = True
                continue
            if not param.by_property:
                raise _error(ctx, "The input object cannot be bound to any parameters for the "
                                  "command either because the command does not take pipeline "
                                  "input or the input and its properties do not match any of "
                                  "the parameters that take pipeline input.",
                             "InputObjectNotBound", item)
        if param.by_property:
            for name in (param.name,) + param.aliases:
                value = get_property(item, name) if isinstance(item, (PSObject, dict)) or \
                    not isinstance(item, (str, int, float, bool, _dt.datetime)) else NO_PROPERTY
                if value is not NO_PROPERTY:
                    setattr(cmdlet, param.name, convert_param(param, value, ctx))
                    break
