"""The helpers compiled script code calls.  ``NAMESPACE`` is the globals dict of every compiled
block; names are short because they appear in generated code, and each one's docstring says which
PowerShell construct uses it."""

from __future__ import annotations

from pshell.engine import operators as ops
from pshell.engine.conversions import convert_to
from pshell.engine.errors import (BreakException, ContinueException, ExitException, PipelineStopped,
                                  ReturnException, RuntimeException)
from pshell.engine.values import (AutomationNull, ConversionError, Hashtable, InputEnumerator,
                                  OrderedHashtable, PSObject, PSTypeInfo,
                                  as_list, enumerate_value, to_bool, to_number, to_str)
from pshell.engine.types import is_type
from pshell.lang import ast as A

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Optional

__all__ = ["NAMESPACE", "literal_value", "stmt_error", "to_runtime_exception"]


def literal_value(node: Any) -> Any:
    """The value of a constant expression in an attribute (``[Parameter(Position=0)]``)."""
    if isinstance(node, A.Constant):
        return node.value
    if isinstance(node, A.StringConstant):
        return node.value
    if isinstance(node, A.Variable) and node.scope is None:
        return {"true": True, "false": False, "null": None}.get(node.name.lower(), node.name)
    if isinstance(node, A.Unary) and node.op == "-" and isinstance(node.operand, A.Constant):
        return -node.operand.value
    if isinstance(node, A.ExpandableString):
        return "".join(p for p in node.parts if isinstance(p, str))
    return None


# --------------------------------------------------------------------------- errors
# Statement errors, throw/catch and traps are rt_errors.py, imported by the first error (a run
# without one, as most start-ups, never loads it); these forwarders keep the names the generated
# code (NAMESPACE) and other modules use.

def to_runtime_exception(exc: BaseException) -> RuntimeException:
    from pshell.engine.rt_errors import to_runtime_exception
    return to_runtime_exception(exc)


def stmt_error(F: Any, exc: BaseException, nid: int) -> None:
    from pshell.engine.rt_errors import stmt_error
    stmt_error(F, exc, nid)


def _located(F: Any, exc: BaseException, nid: int) -> BaseException:
    from pshell.engine.rt_errors import _located
    return _located(F, exc, nid)


def _throw(F: Any, value: Any, nid: int) -> RuntimeException:
    from pshell.engine.rt_errors import _throw
    return _throw(F, value, nid)


def _catchable(exc: BaseException) -> RuntimeException:
    from pshell.engine.rt_errors import _catchable
    return _catchable(exc)


def _caught(rs: Any, err: RuntimeException) -> None:
    from pshell.engine.rt_errors import _caught
    _caught(rs, err)


def _catch_match(err: RuntimeException, type_names: Any) -> bool:
    from pshell.engine.rt_errors import _catch_match
    return _catch_match(err, type_names)


def _readonly(name: str) -> None:
    from pshell.engine.rt_errors import _readonly
    _readonly(name)


def _bad_target(nid: int) -> None:
    from pshell.engine.rt_errors import _bad_target
    _bad_target(nid)


def _trapped(F: Any, exc: BaseException, nid: int) -> Iterator[Any]:
    from pshell.engine.rt_errors import _trapped
    return _trapped(F, exc, nid)


def _constrain(F: Any, name: str, type_name: str) -> None:
    constraints = F.scope.constraints
    if constraints is None:
        constraints = F.scope.constraints = {}
    constraints[name] = type_name


from pshell.engine.runtime import _NOT_FOUND as _MISSING_SENTINEL  # noqa: E402


def _stopped() -> None:
    raise PipelineStopped()


def _label_ok(exc: Any, label: Optional[str]) -> bool:
    return exc.label is None or (label is not None and str(exc.label).lower() == label)


def _exit(value: Any) -> ExitException:
    if value is None or value is AutomationNull:
        return ExitException(0)
    try:
        return ExitException(int(to_number(value)))
    except (ConversionError, ValueError, TypeError):
        return ExitException(1)


# --------------------------------------------------------------------------- values

def _enum(value: Any) -> Iterator[Any]:
    if value is None:
        return iter((None,))
    return enumerate_value(value)


def _iter(value: Any) -> Iterable[Any]:
    """``foreach ($x in value)``: ``$null`` gives no iterations."""
    if value is None or value is AutomationNull:
        return ()
    if isinstance(value, (list, tuple, range)):
        return value
    if isinstance(value, dict) or isinstance(value, str):
        return (value,)
    if hasattr(value, "__next__") or getattr(type(value), "ps_enumerable", False):
        return value
    return (value,)


def _store(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is str:          # a loop's variable, most assignments
        return value
    if value is AutomationNull:
        return None
    if isinstance(value, range):
        return list(value)
    return value


def _collect(iterator: Iterable[Any]) -> Any:
    items = list(iterator)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return items


def _collect_list(iterator: Iterable[Any]) -> List[Any]:
    return list(iterator)


def _arr(value: Any) -> List[Any]:
    """``@(expr)``: ``@($null)`` holds one $null; only "no output" (AutomationNull) is empty."""
    if value is AutomationNull:
        return []
    if isinstance(value, list):
        return list(value)
    if isinstance(value, (tuple, range)):
        return list(value)
    if hasattr(value, "__next__") and not isinstance(value, str):
        return list(value)
    if getattr(type(value), "ps_enumerable", False):
        return list(value)
    return [value]


def _as_list(value: Any) -> List[Any]:
    return as_list(_store(value))


def _rest(items: List[Any], index: int) -> Any:
    rest = items[index:]
    if not rest:
        return None
    if len(rest) == 1:
        return rest[0]
    return rest


def _s(value: Any) -> str:
    if type(value) is str:
        return value
    return to_str(value)


def _sx(F: Any, value: Any) -> str:
    """A value expanded into a string: arrays are joined with ``$OFS``."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:                         # "$i," in a loop: what to_str makes of an int
        return str(value)
    if isinstance(value, InputEnumerator) or getattr(type(value), "ps_enumerable", False):
        value = list(value)                 # "in: $input", "$stack": the items, joined
    if isinstance(value, (list, tuple)):
        ofs = F.scope.lookup("ofs")
        return to_str(value, " " if ofs is _MISSING_SENTINEL or ofs is None else to_str(ofs))
    return to_str(value)


def _tb(value: Any) -> bool:
    if value is True:
        return True
    if value is False or value is None:
        return False
    return to_bool(value)


def _cond_ok(rs: Any, value: bool) -> bool:
    """The truth of an if/while/for condition that ran a command: $? is true after it."""
    rs.last_success = True
    return value


def _range(a: Any, b: Any) -> range:
    return ops.in_range(a, b)  # type: ignore[return-value]


def _rangel(a: Any, b: Any) -> List[int]:
    return list(ops.in_range(a, b))


def _ht(pairs: Any, ordered: bool = False) -> Hashtable:
    table = OrderedHashtable() if ordered else Hashtable()
    for key, value in pairs:
        if key in table:
            raise RuntimeException.make(f"Duplicate keys '{key}' are not allowed in hash literals.",
                                        "DuplicateKeyInHashLiteral", "ParserError")
        table[key] = _store(value)
    return table


def _pso(pairs: Any) -> PSObject:
    obj = PSObject()
    for key, value in pairs:
        name = to_str(key)
        if name.lower() == "pstypename":          # names the object's type, is no property
            obj.type_names.insert(0, to_str(value))
            continue
        obj.set(name, _store(value))
    return obj


def _neg(value: Any) -> Any:
    if type(value) is int:
        return -value
    return ops.negate(value)


def _num(value: Any) -> Any:
    return to_number(value)


def _bnot(value: Any) -> Any:
    if type(value) is int and -2**31 <= value < 2**31:
        return ~value
    return ops.complement(value)


def _usplit(value: Any) -> List[str]:
    return ops.unary_split(value)


def _ujoin(value: Any) -> str:
    return ops.join(value, "")


def _add(a: Any, b: Any) -> Any:
    if type(a) is int:
        if type(b) is int:
            r = a + b
            if -2147483648 <= r <= 2147483647:
                return r
            return ops._overflow(a, b, r)
    elif type(a) is float and type(b) is int:              # a sum that overflowed Int32 goes on
        return a + b
    return ops.add(a, b)


def _mod(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int and a >= 0 and b > 0:
        return a % b
    return ops.mod(a, b)


def _iadd_var(F: Any, L: Any, name: str, b: Any) -> None:
    """``$name += b`` on an unscoped, unconstrained variable.  A string held only by the variable
    grows in place (the dict's reference is taken out for the append, so CPython can resize it),
    which makes building a string in a loop linear instead of quadratic."""
    if name not in L:
        L[name] = _add(_rv(F, name), b)
        return
    a = L[name]
    if type(a) is str:
        tail = b if type(b) is str else ops.to_str(b)
        del L[name]
        try:
            a += tail                                   # in place when ``a`` has no other holder
        finally:
            L[name] = a
        return
    L[name] = _add(a, b)


# ``-eq`` and friends with numbers compared inline, written out (generating them with exec cost
# every pshell start ~0.5 ms of compiling); anything else goes through the operator's function
def _cmp_rest(fn: Any, a: Any, b: Any) -> Any:
    if isinstance(a, (list, tuple)) or hasattr(a, "__next__"):
        return [item for item in a if fn(item, b, False)]
    return fn(a, b, False)


def _ceq(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        return a == b
    return _cmp_rest(_SCALAR_EQ, a, b)


def _cne(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        return a != b
    return _cmp_rest(_SCALAR_NE, a, b)


def _clt(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        return a < b
    return _cmp_rest(_SCALAR_LT, a, b)


def _cle(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        return a <= b
    return _cmp_rest(_SCALAR_LE, a, b)


def _cgt(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        return a > b
    return _cmp_rest(_SCALAR_GT, a, b)


def _cge(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        return a >= b
    return _cmp_rest(_SCALAR_GE, a, b)


_SCALAR_EQ, _SCALAR_NE, _SCALAR_LT, _SCALAR_LE, _SCALAR_GT, _SCALAR_GE = (
    ops._SCALAR_COMPARE[name] for name in ("eq", "ne", "lt", "le", "gt", "ge"))


def _compare(op: str, a: Any, b: Any) -> Any:
    return ops.compare_op(op, a, b)


def _match(F: Any, a: Any, b: Any, cs: bool, negate: bool) -> Any:
    a = ops._seq(a)
    if isinstance(a, (list, tuple)):
        compiled = ops.regex(b, cs)
        result = [item for item in a if (compiled.search(to_str(item)) is not None) != negate]
        return result
    m = ops.regex(b, cs).search(to_str(a))
    if m is not None:
        F.scope.vars["matches"] = ops.matches_table(m)
    return (m is not None) != negate


def _contains(collection: Any, item: Any, cs: bool) -> bool:
    return ops._contains(collection, item, cs)


def _replace(a: Any, b: Any, cs: bool) -> Any:
    return ops.replace(a, b, cs)


def _split(a: Any, b: Any, cs: bool) -> Any:
    return ops.split(a, b, cs)


def _join(a: Any, b: Any) -> str:
    return ops.join(a, b)


def _conv(value: Any, type_name: str) -> Any:
    lowered = type_name.lower()
    if lowered == "int" and type(value) is int and -2**31 <= value < 2**31:
        return value
    if lowered == "string" and type(value) is str:
        return value
    return convert_to(value, type_name)


def _as(value: Any, type_name: Any) -> Any:
    name = type_name.FullName if isinstance(type_name, PSTypeInfo) else to_str(type_name)
    try:
        return convert_to(value, name)
    except RuntimeException:
        return None


def _is(value: Any, type_name: Any, from_value: bool = False) -> bool:
    """``-is``: ``from_value`` when the right side is a value (``-is 'Name'``), not a type literal;
    a name that is no type is then a failed conversion to [type], not TypeNotFound."""
    name = type_name.FullName if isinstance(type_name, PSTypeInfo) else to_str(type_name)
    if not from_value:
        return is_type(value, name)
    from pshell.engine.values import type_name_of
    try:
        return is_type(value, name)
    except RuntimeException as exc:
        if exc.record.FullyQualifiedErrorId.split(",")[0] != "TypeNotFound":
            raise
        raise RuntimeException.wrapping(
            f'Cannot convert the "{name}" value of type "{type_name_of(type_name)}" to type '
            f'"System.Type".', "System.Management.Automation.PSInvalidCastException",
            category="InvalidArgument") from None


def _type(type_name: str) -> PSTypeInfo:
    from pshell.engine.statics import type_info
    return type_info(type_name)


# --------------------------------------------------------------------------- variables

def _rv(F: Any, name: str) -> Any:
    from pshell.engine.runtime import lookup_variable
    return lookup_variable(F, name)


def _ref_var(F: Any, scope: Any, name: str) -> Any:
    """``[ref]$name``: a reference to the variable in the scope that holds it (the local scope
    when no scope has it yet, as pwsh makes the variable there)."""
    from pshell.engine.reference import PSReference
    if scope in (None, "variable"):
        target = F.scope.find_scope(name) or F.scope
    else:
        target = _scope_for(F, scope)
        if target is None:
            return PSReference(_getv(F, scope, name))
    return PSReference(scope=target, name=name)


def _scope_for(F: Any, scope: str) -> Any:
    if scope == "global":
        return F.rs.global_scope
    if scope == "script":
        return F.script_scope
    if scope in ("local", "private"):
        return F.scope
    return None


def _getv(F: Any, scope: str, name: str) -> Any:
    target = _scope_for(F, scope)
    if target is None:
        return None
    value = target.vars.get(name, _MISSING_SENTINEL)
    if value is _MISSING_SENTINEL:
        return None
    return value


def _setv(F: Any, scope: str, name: str, value: Any) -> None:
    target = _scope_for(F, scope)
    if target is None and scope.lower() == "using":
        # $Using:x is a value, not a variable (PowerShell's parser refuses it on the left)
        raise RuntimeException.make("The assignment expression is not valid. The input to an assignment "
                                    "operator must be an object that is able to accept assignments, "
                                    "such as a variable or a property.", "InvalidLeftHandSide",
                                    "ParserError")
    if target is None:
        raise RuntimeException.make(f"Cannot assign to the '{scope}:' drive here.",
                                    "DriveNotSupported", "InvalidOperation")
    target.vars[name] = value


def _env_set(rs: Any, name: str, value: Any) -> None:
    """``$env:NAME = value`` in the runspace's own environment; $null or '' removes it."""
    rs.set_env(name, None if value is None or value is AutomationNull or value == "" else to_str(value))


def _using(F: Any, name: str) -> Any:
    using = F.using
    if using is not None and name in using:
        return using[name]
    from pshell.engine.runtime import lookup_variable
    return lookup_variable(F, name)


def _fnval(F: Any, name: str) -> Any:
    info = F.scope.find_function(name)
    return None if info is None else info.block


def _incdec_var(F: Any, scope: Any, name: str, delta: int, post: bool) -> Any:
    lname = name.lower()
    old = _getv(F, scope, lname) if scope not in (None, "local") else _rv(F, lname)
    new = _add(old, delta)
    if scope in (None, "local"):
        F.scope.vars[lname] = new
    else:
        _setv(F, scope, lname, new)
    return old if post else new


# --------------------------------------------------------------------------- members

def _memnum(obj: Any, number: int) -> Any:
    """``$Matches.0``: a dictionary's entry under the number (or its text), else a member."""
    if isinstance(obj, dict):
        return obj[number] if number in obj else obj.get(str(number))
    return _mem(obj, str(number))


def _mem(obj: Any, name: str) -> Any:
    from pshell.engine.members import get_member
    return get_member(obj, name)


def _setmem(obj: Any, name: str, value: Any) -> None:
    from pshell.engine.members import set_member
    set_member(obj, name, _store(value))


def _call(F: Any, obj: Any, name: str, args: List[Any]) -> Any:
    from pshell.engine.members import call_method
    return call_method(F, obj, name, args)


def _gcall(F: Any, obj: Any, name: str, type_args: Any, args: List[Any], static: bool) -> Any:
    from pshell.engine.generic_methods import call_generic
    if static and isinstance(obj, PSTypeInfo):
        obj = obj.FullName
    return call_generic(F, obj, name, type_args, args, static)


def _static(type_name: str, name: str) -> Any:
    from pshell.engine.statics import static_member
    return static_member(type_name, name)


def _static_of(obj: Any, name: str) -> Any:
    type_name = obj.FullName if isinstance(obj, PSTypeInfo) else to_str(obj)
    return _static(type_name, name)


def _static_call(F: Any, type_name: str, name: str, args: List[Any]) -> Any:
    from pshell.engine.statics import static_call
    return static_call(F, type_name, name, args)


def _static_call_of(F: Any, obj: Any, name: str, args: List[Any]) -> Any:
    type_name = obj.FullName if isinstance(obj, PSTypeInfo) else to_str(obj)
    return _static_call(F, type_name, name, args)


def _idx(obj: Any, index: Any) -> Any:
    from pshell.engine.members import get_index
    return get_index(obj, index)


def _setidx(obj: Any, index: Any, value: Any) -> None:
    from pshell.engine.members import set_index
    set_index(obj, index, _store(value))


def _incdec_index(obj: Any, index: Any, delta: int, post: bool) -> Any:
    old = _idx(obj, index)
    new = _add(old, delta)
    _setidx(obj, index, new)
    return old if post else new


def _incdec_member(obj: Any, name: str, delta: int, post: bool) -> Any:
    old = _mem(obj, name)
    new = _add(old, delta)
    _setmem(obj, name, new)
    return old if post else new


# --------------------------------------------------------------------------- blocks & commands

def _sb(F: Any, index: int) -> Any:
    from pshell.engine.runtime import ScriptBlock
    block = ScriptBlock(F.unit.asts[index], F.unit)
    block.bound_frame = F
    return block


def _deffn(F: Any, name: str, index: int) -> None:
    from pshell.engine.runtime import FunctionInfo, ScriptBlock
    node = F.unit.asts[index]
    info = FunctionInfo(name, ScriptBlock(node.body, F.unit), node.is_filter)
    info.block.definition = node
    info.start = node.span.start                    # where its comment-based help may begin
    target = F.scope
    lowered = name.lower()
    if lowered.startswith("global:"):
        target = F.rs.global_scope
        info.name = name[7:]
    elif lowered.startswith("script:"):
        target = F.script_scope
        info.name = name[7:]
    target.set_function(info)


def _defclass(F: Any, index: int, defaults: Dict[str, Any]) -> None:
    from pshell.engine.classes import define_class
    define_class(F, F.unit.asts[index], defaults)


def _defenum(F: Any, index: int, values: List[Any]) -> None:
    from pshell.engine.classes import define_enum
    define_enum(F, F.unit.asts[index], values)


def _use(F: Any, kind: str, name: str, spec: Any, nid: int) -> None:
    """``using namespace/module/assembly`` (rt_requires.py)."""
    from pshell.engine.rt_requires import _use
    _use(F, kind, name, spec, nid)


def _requires(F: Any, requirements: Any) -> None:
    """``#requires`` (rt_requires.py)."""
    from pshell.engine.rt_requires import _requires
    _requires(F, requirements)


def _returned(value: Any) -> Any:
    """What ``return`` yields in a class method (kept apart from any other object)."""
    from pshell.engine.classes import Returned
    return Returned(value)


def _drop(value: Any) -> None:
    """A statement in a class method: run it (a pipeline to its end), keep nothing."""
    if hasattr(value, "__next__"):
        for _ in value:
            pass


def _deftrap(F: Any, type_name: Optional[str], body: Any) -> None:
    """``trap [type] { ... }``: ``body`` is the compiled generator function of its statements."""
    traps = F.traps
    if traps is None:
        traps = F.traps = []
    traps.append((type_name, body))


def _pipe(F: Any, stages: Any, top: bool) -> Iterator[Any]:
    from pshell.engine.pipeline import run_pipeline
    return run_pipeline(F, stages, top)


def _background(F: Any, index: int) -> Any:
    from pshell.engine.pipeline import start_background
    return start_background(F, F.unit.asts[index])


class LoopEnumerator:
    """``$foreach`` / ``$switch``: the enumerator of the loop that is running; ``MoveNext()`` in
    the body takes the next item, which the loop then skips."""

    ps_type_names = ("System.Collections.IEnumerator", "System.Object")
    ps_properties = ("Current",)

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self.Current: Any = None

    def __iter__(self) -> "LoopEnumerator":
        return self

    def __next__(self) -> Any:
        self.Current = next(self._items)
        return self.Current

    def MoveNext(self) -> bool:
        try:
            next(self)
        except StopIteration:
            self.Current = None
            return False
        return True

    def Reset(self) -> None:
        raise ValueError("a loop's enumerator cannot be reset")


def _loop_enumerator(L: Any, name: str, items: Iterable[Any]) -> LoopEnumerator:
    L[name] = found = LoopEnumerator(items)
    return found


def _switch_items(F: Any, subject: Any, flags: Any) -> Iterable[Any]:
    if "file" in flags:
        path = F.rs.resolve_path(to_str(subject))
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return [line.rstrip("\n").rstrip("\r") for line in handle]
        except OSError as exc:
            raise RuntimeException.make(
                f"Cannot find path '{path}' because it does not exist.", "PathNotFound",
                "ObjectNotFound", path,
                exception_type="System.Management.Automation.ItemNotFoundException") from exc
    if subject is AutomationNull:
        return ()
    if isinstance(subject, (list, tuple, range)):
        return subject
    if hasattr(subject, "__next__") and not isinstance(subject, str):
        return subject
    return (subject,)


def _switch_block(F: Any, block: Any, item: Any) -> Any:
    from pshell.engine.command_context import invoke_block
    return _collect(invoke_block(F, block, (), dollar_under=item, new_scope=False))


def _switch_test(F: Any, item: Any, cond: Any, flags: Any) -> bool:
    cs = "casesensitive" in flags
    if "regex" in flags:
        m = ops.regex(cond, cs).search(to_str(item))
        if m is not None:
            F.scope.vars["matches"] = ops.matches_table(m)
            return True
        return False
    if "wildcard" in flags:
        return ops.like_to_regex(to_str(cond), cs).match(to_str(item)) is not None
    if isinstance(cond, bool):
        return cond
    if isinstance(item, str) or isinstance(cond, str):
        a, b = to_str(item), to_str(cond)
        return a == b if cs else a.lower() == b.lower()
    return ops.equals(item, cond, cs)


class _NoArg:
    """A parameter written without a value (``-Force``)."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no argument>"


NOARG = _NoArg()


def _isnull(value: Any) -> bool:
    """What ``??``, ``??=`` and their friends call null: $null (and AutomationNull)."""
    return value is None or value is AutomationNull


NAMESPACE: Dict[str, Any] = {
    "_stmt_error": stmt_error, "_located": _located, "_enum": _enum, "_pipe": _pipe,
    "_background": _background, "_loop_enumerator": _loop_enumerator,
    "_add": _add, "_iadd_var": _iadd_var, "_sub": ops.sub, "_mul": ops.mul, "_div": ops.div, "_mod": _mod,
    "_fmt": ops.ps_format, "_setidx": _setidx, "_idx": _idx, "_setmem": _setmem, "_mem": _mem,
    "_memnum": _memnum,
    "_conv": _conv, "_constrain": _constrain, "_as_list": _as_list, "_rest": _rest,
    "_bad_target": _bad_target,
    "_readonly": _readonly, "_store": _store, "_env_set": _env_set,
    "_setv": _setv, "_getv": _getv, "_collect": _collect, "_tb": _tb, "_cond_ok": _cond_ok,
    "_stopped": _stopped,
    "_BREAK": BreakException, "_CONTINUE": ContinueException, "_label_ok": _label_ok,
    "_iter": _iter, "_collect_list": _collect_list, "_switch_items": _switch_items,
    "_switch_block": _switch_block, "_switch_test": _switch_test, "_exit": _exit,
    "_ReturnException": ReturnException,
    "_throw": _throw, "_deffn": _deffn, "_deftrap": _deftrap, "_trapped": _trapped, "_catchable": _catchable,
    "_caught": _caught,
    "_catch_match": _catch_match, "_range": _range, "_rangel": _rangel, "_s": _s, "_sx": _sx, "_rv": _rv,
    "_using": _using, "_fnval": _fnval, "_arr": _arr, "_ht": _ht, "_sb": _sb, "_as": _as,
    "_is": _is, "_compare": _compare, "_match": _match, "_contains": _contains,
    "_replace": _replace, "_split": _split, "_join": _join, "_BIN": ops.BINARY, "_neg": _neg,
    "_num": _num, "_bnot": _bnot, "_usplit": _usplit, "_ujoin": _ujoin,
    "_incdec_index": _incdec_index, "_incdec_member": _incdec_member, "_incdec_var": _incdec_var,
    "_defclass": _defclass, "_defenum": _defenum, "_use": _use, "_Returned": _returned,
    "_drop": _drop, "_requires": _requires, "_ref_var": _ref_var,
    "_pso": _pso, "_type": _type, "_static": _static, "_static_of": _static_of,
    "_static_call": _static_call, "_gcall": _gcall, "_static_call_of": _static_call_of, "_call": _call,
    "_NOARG": NOARG, "_isnull": _isnull, "_AUTONULL": AutomationNull,
}
NAMESPACE.update(_ceq=_ceq, _cne=_cne, _clt=_clt, _cle=_cle, _cgt=_cgt, _cge=_cge)
