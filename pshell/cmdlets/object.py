"""Select-Object, Where-Object, ForEach-Object, Tee-Object."""

from __future__ import annotations


from pshell.cmdlets._objects import (PropertyExpr, evaluate, hash_key, is_scriptblock,
                                     parse_properties, property_value, single_output, unwrap_result)
from pshell.cmdlets import _engine
from pshell.cmdlets.content import _WRITE_CODECS, encoding_of
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import ErrorRecord
from pshell.engine.values import (AutomationNull, NO_PROPERTY, PSObject, enumerate_value,
                                  to_bool, to_str, type_names_of)
from pshell.engine.wildcards import wildcard_match


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional

def _selected_type_names(obj: Any) -> List[str]:
    names = type_names_of(obj)
    first = names[0] if names else "System.Object"
    if first.startswith("Selected."):
        return list(names)
    return [f"Selected.{first}", "System.Management.Automation.PSCustomObject", "System.Object"]


@register
class SelectObject(Cmdlet):
    name = "Select-Object"
    synopsis = "Selects objects or object properties."
    default_set = "DefaultParameter"
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Property", "object[]", position=0),
        Param("ExcludeProperty", "string[]"),
        Param("ExpandProperty", "string"),
        Param("Unique", "switch"),
        Param("CaseInsensitive", "switch"),
        Param("Last", "int", sets=("DefaultParameter",)),
        Param("First", "int", sets=("DefaultParameter",)),
        Param("Skip", "int", sets=("DefaultParameter", "SkipLastParameter")),
        Param("SkipLast", "int", sets=("SkipLastParameter",)),
        Param("Wait", "switch", sets=("DefaultParameter", "IndexParameter")),
        Param("Index", "int[]", sets=("IndexParameter",)),
        Param("SkipIndex", "int[]", sets=("SkipIndexParameter",)),
    )

    # ---- the driver -------------------------------------------------------------------
    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        self._specs = parse_properties(self, self.Property)
        self._exclude = list(self.ExcludeProperty or [])
        self._seen: set = set()
        self._seen_list: List[Any] = []
        for value in (self.First, self.Last, self.Skip, self.SkipLast):
            if value is not None and value < 0:
                raise self.terminate(
                    f"Cannot validate argument on parameter. The {value} argument is less than "
                    f"the minimum allowed range of 0. Supply an argument that is greater than or "
                    f"equal to 0 and then try the command again.",
                    "ParameterArgumentValidationError", "InvalidData")
        if upstream is None:
            source: Iterator[Any] = iter(()) if not self.is_bound("InputObject") \
                else iter((self.InputObject,))
        else:
            source = upstream
        yield from self._limit(self._transformed(source))

    def _transformed(self, source: Iterator[Any]) -> Iterator[Any]:
        """Each input object's selection (one or more output objects), with -Unique applied."""
        for item in source:
            if item is AutomationNull or item is None:
                continue                # pwsh selects nothing from $null
            for out in self._select(item):
                if self.Unique and not self._first_time(out):
                    continue
                yield out

    def _limit(self, items: Iterator[Any]) -> Iterator[Any]:
        if self.Index is not None:
            wanted = {int(i) for i in self.Index}
            if not wanted:
                return
            last = max(wanted)
            for position, item in enumerate(items):
                if position in wanted:
                    yield item
                if position >= last:
                    return
            return
        if self.SkipIndex is not None:
            skipped = {int(i) for i in self.SkipIndex}
            for position, item in enumerate(items):
                if position not in skipped:
                    yield item
            return
        if self.SkipLast is not None:
            import collections
            buffer: Any = collections.deque()
            for position, item in enumerate(items):
                if position < (self.Skip or 0):
                    continue
                buffer.append(item)
                if len(buffer) > self.SkipLast:
                    yield buffer.popleft()
            return
        skip = self.Skip or 0
        if self.Last is None:
            if self.First == 0:
                return
            taken = 0
            for position, item in enumerate(items):
                if position < skip:
                    continue
                yield item
                taken += 1
                if self.First is not None and taken >= self.First:
                    return
            return
        yield from self._first_and_last(items, skip)

    def _first_and_last(self, items: Iterator[Any], skip: int) -> Iterator[Any]:
        import collections
        first = self.First or 0
        keep = self.Last + skip
        buffer: Any = collections.deque(maxlen=keep if keep else None)
        emitted = 0
        for item in items:
            if emitted < first:
                emitted += 1
                yield item
                continue
            if keep:
                buffer.append(item)
        tail = list(buffer)
        if skip:
            tail = tail[:-skip] if skip < len(tail) else []
        yield from tail[max(0, len(tail) - self.Last):] if self.Last else []

    def _first_time(self, value: Any) -> bool:
        case_sensitive = not self.CaseInsensitive
        if isinstance(value, PSObject):
            key = tuple((name.lower(), hash_key(v, case_sensitive)) for name, v in value.items())
        else:
            key = hash_key(value, case_sensitive)
        try:
            if key in self._seen:
                return False
            self._seen.add(key)
        except TypeError:
            if key in self._seen_list:
                return False
            self._seen_list.append(key)
        return True

    # ---- selecting properties -------------------------------------------------------
    def _select(self, item: Any) -> List[Any]:
        if self.ExpandProperty is not None:
            return self._expand(item)
        if not self._specs and not self._exclude:
            if isinstance(item, PSObject) and item.type_names and \
                    not item.type_names[0].startswith("Selected."):
                # the same bag passes through, marked as selected (once), as pwsh does
                item.type_names.insert(0, "Selected." + item.type_names[0])
            return [item]
        return [self._project(item)]

    def _pairs(self, item: Any, specs: List[PropertyExpr]) -> List[Any]:
        pairs: List[Any] = []
        seen = set()
        for spec in specs:
            for name, expression in spec.resolve(item):
                if name.lower() in seen or self._excluded(name):
                    continue
                seen.add(name.lower())
                value = evaluate(self, expression, item)
                pairs.append((name, None if value is NO_PROPERTY else value))
        return pairs

    def _excluded(self, name: str) -> bool:
        return any(wildcard_match(pattern, name) for pattern in self._exclude)

    def _project(self, item: Any) -> PSObject:
        specs = self._specs or [PropertyExpr("*", "*", wildcard=True)]
        return PSObject.from_pairs(self._pairs(item, specs), type_names=_selected_type_names(item))

    def _expand(self, item: Any) -> List[Any]:
        name = self.ExpandProperty
        value = property_value(item, name)
        if value is NO_PROPERTY:
            matches = [n for n in _names(item) if wildcard_match(name, n)]
            if len(matches) == 1:
                value = property_value(item, matches[0])
            else:
                self.write_error(f'Property "{name}" cannot be found.',
                                 "ExpandPropertyNotFound", "InvalidArgument", item)
                return []
        results = list(enumerate_value(value)) if isinstance(value, (list, tuple)) else [value]
        if self._specs:
            extra = self._pairs(item, self._specs)
            for result in results:
                if isinstance(result, PSObject):
                    for prop, prop_value in extra:
                        if result.has(prop):
                            self.write_error(
                                f"The property cannot be processed because the property "
                                f'"{prop}" already exists.', "AlreadyExistingUserSpecifiedPropertyExpand",
                                "InvalidOperation", item)
                        else:
                            result.set(prop, prop_value)
        return results


def _names(item: Any) -> List[str]:
    from pshell.cmdlets._objects import member_names
    return member_names(item)


# --------------------------------------------------------------------------- Where-Object

_WHERE_OPERATORS = (
    "EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains",
    "NotContains", "In", "NotIn", "Is", "IsNot",
    "CEQ", "CNE", "CGT", "CGE", "CLT", "CLE", "CLike", "CNotLike", "CMatch", "CNotMatch",
    "CContains", "CNotContains", "CIn", "CNotIn",
)


@register
class WhereObject(Cmdlet):
    name = "Where-Object"
    synopsis = "Selects objects from a collection based on a script block or a property comparison."
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("FilterScript", "scriptblock"),
        Param("Property", "object", position=0),
        Param("Value", "object", position=1),
        Param("Not", "switch"),
    ) + tuple(Param(op, "switch", aliases=((f"I{op}",) if not op.startswith("C") else ()))
              for op in _WHERE_OPERATORS)

    def begin(self) -> None:
        self._block = self.FilterScript
        self._operator: Optional[str] = None
        chosen = [op for op in _WHERE_OPERATORS if getattr(self, op)]
        if self.Not:
            chosen.append("Not")
        if len(chosen) > 1:
            raise self.terminate("Parameter set cannot be resolved using the specified named "
                                 "parameters. One or more parameters issued cannot be used "
                                 "together or an insufficient number of parameters were provided.",
                                 "AmbiguousParameterSet", "InvalidArgument")
        if self._block is None and is_scriptblock(self.Property):
            self._block = self.Property
        if self._block is not None:
            if chosen:
                raise self.terminate("Parameter set cannot be resolved using the specified named "
                                     "parameters. One or more parameters issued cannot be used "
                                     "together or an insufficient number of parameters were "
                                     "provided.", "AmbiguousParameterSet", "InvalidArgument")
            return
        if self.Property is None:
            raise self.terminate("Cannot process command because of one or more missing mandatory "
                                 "parameters: FilterScript.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        self._operator = chosen[0] if chosen else None
        self._property = to_str(self.Property)
        if self._operator is None and self.is_bound("Value"):
            # a value with no operator is -EQ, unless an operator was switched off (-GT:$false)
            if any(self.is_bound(op) for op in _WHERE_OPERATORS + ("Not",)):
                raise self.terminate(
                    "A comparison operator is required when -Value is given; none of the operator "
                    "switches is on.", "OperatorNotSpecified", "InvalidArgument")
            self._operator = "EQ"
        if self._operator and self._operator != "Not" and not self.is_bound("Value"):
            if self._operator not in ("EQ", "NE", "CEQ", "CNE"):
                raise self.terminate(
                    "The specified operator requires both the -Property and -Value parameters. "
                    "Supply both parameters and retry.", "ValueNotSpecifiedForWhereObject",
                    "InvalidArgument")

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        self.begin()
        if upstream is None:
            if not self.is_bound("InputObject"):
                return
            upstream = iter((self.InputObject,))
        if self._block is not None:
            block = self._block
            function = self.item_function(block)
            if function is not None:            # one expression: a call per item, no frame
                for item in upstream:
                    if item is AutomationNull:
                        continue
                    value = function(item)
                    if value is True or (value is not False and to_bool(single_output(value))):
                        yield item
                return
            for item in upstream:
                if item is AutomationNull:
                    continue
                if to_bool(unwrap_result(self.invoke(block, dollar_under=item, new_scope=False))):
                    yield item
            return
        for item in upstream:
            if item is AutomationNull:
                continue
            if self._test(item):
                yield item

    def _test(self, item: Any) -> bool:
        value = _property_value(item, self._property)
        op = self._operator
        if op is None:
            return to_bool(value)
        if op == "Not":
            return not to_bool(value)
        return to_bool(_engine.compare(op.lower(), value, self.Value))


_SCALARS = (int, float, bool, str)


def _property_value(item: Any, name: str) -> Any:
    value = property_value(item, name)
    return None if value is NO_PROPERTY else value


# --------------------------------------------------------------------------- ForEach-Object

@register
class ForEachObject(Cmdlet):
    name = "ForEach-Object"
    synopsis = "Runs a script block for each input object, or gets a member of each object."
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Begin", "scriptblock"),
        Param("Process", "object", position=0),
        Param("End", "scriptblock"),
        Param("RemainingScripts", "object", remaining=True),
        Param("MemberName", "string"),
        Param("ArgumentList", "object[]", aliases=("Args",)),
        Param("Parallel", "scriptblock"),
        Param("ThrottleLimit", "int"),
        Param("AsJob", "switch"),
        Param("UseNewRunspace", "switch"),
        Param("TimeoutSeconds", "int"),
    )

    def _plan(self) -> None:
        scripts = _flatten(self.Process) + _flatten(self.RemainingScripts)
        self._member: Optional[str] = self.MemberName
        self._args: List[Any] = list(self.ArgumentList or [])
        if self._member is None and scripts and not is_scriptblock(scripts[0]):
            self._member = to_str(scripts[0])
            self._args = scripts[1:] + self._args
            scripts = []
        if self._member is not None:
            self._begin_blocks: List[Any] = []
            self._process_blocks: List[Any] = []
            self._end_blocks: List[Any] = []
            return
        for block in scripts:
            if not is_scriptblock(block) and block is not None:
                raise self.terminate(
                    f'Cannot bind parameter \'Process\'. Cannot convert the "{to_str(block)}" value '
                    f'of type "{type_names_of(block)[0]}" to type '
                    f'"System.Management.Automation.ScriptBlock".',
                    "CannotConvertArgumentNoMessage", "InvalidArgument")
        begin = [self.Begin] if self.Begin is not None else []
        end = [self.End] if self.End is not None else []
        if self.Begin is None and len(scripts) > 1:
            begin, scripts = [scripts[0]], scripts[1:]
            if self.End is None and len(scripts) > 1:
                end, scripts = [scripts[-1]], scripts[:-1]
        self._begin_blocks, self._process_blocks, self._end_blocks = begin, scripts, end

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if self.Parallel is not None:
            yield from self._run_parallel(upstream)
            return
        self._plan()
        for block in self._begin_blocks:
            if block is not None:
                yield from self.invoke_iter(block, new_scope=False)
        process = [(block, self.item_function(block)) for block in self._process_blocks
                   if block is not None]
        if upstream is None:
            upstream = iter((self.InputObject if self.is_bound("InputObject") else None,))
            lone = True
        else:
            lone = False
        for item in upstream:
            if self._member is not None:
                if item is None and lone:
                    continue
                yield from self._member_of(item)
                continue
            for block, function in process:
                if function is not None:        # one expression: a call per item, no frame
                    value = function(item)
                    if value is None:
                        yield None
                    elif type(value) in _SCALARS:
                        yield value
                    else:
                        yield from enumerate_value(value)
                else:
                    yield from self.invoke_iter(block, dollar_under=item, new_scope=False)
        for block in self._end_blocks:
            if block is not None:
                yield from self.invoke_iter(block, new_scope=False)

    def _run_parallel(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        """-Parallel: engine/parallel.py runs the block per object; -AsJob makes it a thread
        job (PSTaskJob) that does the same."""
        import threading
        self._check_parallel()
        using = self._parallel_using()
        items = []
        for item in (list(upstream) if upstream is not None else
                     [self.InputObject] if self.is_bound("InputObject") else []):
            if is_scriptblock(item):
                self.write_error(self.error_record(
                    "A script block cannot be piped to ForEach-Object -Parallel: it would run in "
                    "another runspace than the one it was made in.",
                    "ParallelPipedInputObjectCannotBeScriptBlock", "InvalidType", target=item))
                continue
            items.append(item)
        throttle = self.ThrottleLimit if self.ThrottleLimit is not None else 5
        if self.AsJob:
            from pshell.engine.parallel import parallel_job
            yield parallel_job(self.runspace.jobs, self.Parallel, items, self.runspace.location,
                               self.runspace.environ, using, throttle,
                               to_str(getattr(self.Parallel, "text", "")), bool(self.UseNewRunspace))
            return
        stop = self._parallel_stop = threading.Event()
        from pshell.engine.parallel import RunspacePool, run_parallel
        pool = RunspacePool(self.runspace.location, self.runspace.environ, bool(self.UseNewRunspace))
        for stream, value in run_parallel(self.Parallel, items, self.runspace.location,
                                          self.runspace.environ, using, throttle,
                                          self.TimeoutSeconds, stop, pool=pool):
            if stream == "output":
                yield value
            else:
                self._write_record(stream, value)

    def _check_parallel(self) -> None:
        """What -Parallel refuses before anything runs."""
        throttle = self.ThrottleLimit
        if throttle is not None and throttle < 1:
            raise self.terminate(f"Cannot validate argument on parameter 'ThrottleLimit'. The "
                                 f"{throttle} argument is less than the minimum allowed range "
                                 f"of 1.", "ParameterArgumentValidationError", "InvalidData")
        if self.AsJob and self.is_bound("TimeoutSeconds"):
            raise self.terminate("-TimeoutSeconds cannot be used with -AsJob: stop the job with "
                                 "Stop-Job, or wait for it with Wait-Job -Timeout.",
                                 "ParallelCannotUseTimeoutWithJob", "InvalidArgument")
        prefs = self.ctx.prefs or {}
        refused = [name for name, key in (("ErrorAction", "erroraction"), ("WarningAction", "warning"),
                                          ("InformationAction", "information")) if key in prefs]
        if "\x00pipevar" in prefs:
            refused.append("PipelineVariable")
        if refused:
            raise self.terminate(f"ForEach-Object -Parallel does not take -{refused[0]}: each block "
                                 f"runs in a runspace of its own; set the preference inside the block.",
                                 "ParallelCommonParametersNotSupported", "InvalidArgument")

    def _parallel_using(self) -> Dict[str, Any]:
        """The block's $using: values, read here; an undefined one or a script block is an error."""
        from pshell.engine.runtime import _NOT_FOUND, automatic_variable
        from pshell.engine.parallel import using_names
        frame = getattr(self.ctx, "frame", None)
        ast = getattr(self.Parallel, "ast", None)
        own, nested = using_names(ast) if ast is not None else ([], [])
        using: Dict[str, Any] = {}
        if frame is None:
            return using
        for name in own + nested:
            value = frame.scope.lookup(name)
            if value is _NOT_FOUND:
                value = automatic_variable(frame.rs, name)
            if value is _NOT_FOUND:
                if name in nested:      # perhaps a nested -Parallel's, defined where that runs
                    continue
                # (a $using: value of an enclosing -Parallel is not a variable of this scope)
                raise self.terminate(f"The value of the using variable '$using:{name}' cannot be "
                                     f"found: it is not defined in this scope.",
                                     "UsingVariableIsUndefined", "InvalidOperation", name)
            if is_scriptblock(value):
                raise self.terminate(f"The using variable '$using:{name}' holds a script block, which "
                                     f"cannot run in another runspace; pass its text and use "
                                     f"[scriptblock]::Create there.",
                                     "ParallelUsingVariableCannotBeScriptBlock", "InvalidType", name)
            using[name] = value
        return using

    def _write_record(self, stream: str, record: Any) -> None:
        """A record of a block, written here as if this command wrote it (so -ErrorVariable,
        -WarningVariable and -InformationVariable see it)."""
        ctx = self.ctx
        if stream == "error":
            if not isinstance(record, ErrorRecord):
                record = self.error_record(str(record), "PSTaskException", "NotSpecified")
            ctx.write_error(record)
            return
        collected = {"warning": ctx.warning_var, "information": ctx.info_var}.get(stream)
        if collected is not None:
            collected.append(getattr(record, "record", record))
        writer = getattr(ctx.streams, stream, None) if getattr(ctx, "streams", None) else None
        if writer is not None:
            writer(record)

    def stop(self) -> None:
        event = getattr(self, "_parallel_stop", None)
        if event is not None:
            event.set()
        parent = getattr(super(), "stop", None)
        if parent is not None:
            parent()

    def _member_of(self, item: Any) -> Iterator[Any]:
        name = self._member or ""
        if not self._args:
            value = property_value(item, name)
            if value is not NO_PROPERTY:
                yield from enumerate_value(value) if isinstance(value, (list, tuple)) else (value,)
                return
        ok, result = _engine.call_method(self, item, name, self._args)
        if ok:
            if result is not AutomationNull:
                yield from enumerate_value(result) if isinstance(result, (list, tuple)) else (result,)
            return
        if item is None:
            return
        self.write_error(f'The input name "{name}" cannot be resolved to a member.',
                         "PropertyOrMethodNotFound", "InvalidArgument", item)


def _flatten(value: Any) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: List[Any] = []
        for item in value:
            out.extend(_flatten(item) if isinstance(item, (list, tuple)) else [item])
        return out
    return [value]


# --------------------------------------------------------------------------- Tee-Object

@register
class TeeObject(Cmdlet):
    name = "Tee-Object"
    synopsis = "Saves command output in a file or variable and also sends it down the pipeline."
    default_set = "File"
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("FilePath", "string", position=0, mandatory=("File",), sets=("File",),
              aliases=("Path",)),
        Param("LiteralPath", "string", mandatory=("LiteralFile",), sets=("LiteralFile",),
              aliases=("PSPath", "LP")),
        Param("Append", "switch", sets=("File", "LiteralFile")),
        Param("Encoding", encoding_of, sets=("File", "LiteralFile")),
        Param("Variable", "string", mandatory=("Variable",), sets=("Variable",)),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        path = self.FilePath or self.LiteralPath
        if path is None and self.Variable is None:
            raise self.terminate("Cannot process command because of one or more missing mandatory "
                                 "parameters: FilePath.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        if upstream is None:
            upstream = iter((self.InputObject,)) if self.is_bound("InputObject") else iter(())
        collected: List[Any] = []
        handle = None
        if path is not None:
            full = self.resolve_path(path)
            codec = self.Encoding if self.Encoding not in (None, "bytes") else "utf-8"
            # a byte order mark on a new file only (TextIOWrapper knows where an append starts)
            codec = _WRITE_CODECS.get(codec, codec)
            try:
                handle = open(full, "a" if self.Append else "w", encoding=codec, errors="replace",
                              newline="")
            except OSError as exc:
                raise self.terminate(f"Could not open file '{full}': {exc.strerror}.",
                                     "FileOpenFailure", "OpenError", path) from None
        try:
            for item in upstream:
                collected.append(item)
                yield item
        finally:
            if handle is not None:
                try:
                    text = _engine.format_text(self, collected)
                    handle.write(text)
                finally:
                    handle.close()
            if self.Variable is not None:
                _engine.set_variable(self, self.Variable,
                                        collected[0] if len(collected) == 1 else collected)
