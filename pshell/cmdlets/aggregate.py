"""Sort-Object, Group-Object, Measure-Object, Compare-Object: cmdlets that see the whole input."""

from __future__ import annotations

import functools

from pshell.cmdlets._objects import (PropertyExpr, compare_values, evaluate, hash_key,
                                     parse_properties, values_equal)
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.compare_objects import sync_compare
from pshell.engine.values import (AutomationNull, Hashtable, NO_PROPERTY, PSObject, to_number,
                                  to_str)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple

def _input(cmdlet: Cmdlet, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
    """The objects a whole-input cmdlet works on: the pipeline, or ``-InputObject`` as one."""
    if upstream is None:
        if cmdlet.is_bound("InputObject") and cmdlet.InputObject is not AutomationNull:
            yield cmdlet.InputObject
        return
    for item in upstream:
        if item is not AutomationNull:
            yield item


class _Missing:
    """The sort key of a property an object does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def _values(cmdlet: Cmdlet, specs: List[PropertyExpr], item: Any, missing: Any = None) -> List[Any]:
    """One value per property expression (wildcards expand to every matching property); a
    property the object lacks is ``missing``."""
    if not specs:
        return [item]
    out: List[Any] = []
    for spec in specs:
        for _, expression in spec.resolve(item):
            value = evaluate(cmdlet, expression, item)
            out.append(missing if value is NO_PROPERTY else value)
    return out


# --------------------------------------------------------------------------- Sort-Object

@register
class SortObject(Cmdlet):
    name = "Sort-Object"
    synopsis = "Sorts objects by property values."
    default_set = "Default"
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Property", "object[]", position=0),
        Param("Descending", "switch"),
        Param("Unique", "switch"),
        Param("CaseSensitive", "switch"),
        Param("Stable", "switch", sets=("Default",)),
        Param("Top", "int", mandatory=("Top",), sets=("Top",)),
        Param("Bottom", "int", mandatory=("Bottom",), sets=("Bottom",)),
        Param("Culture", "string"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        specs = parse_properties(self, self.Property, allowed_extra=("ascending", "descending"))
        if upstream is None:
            items = list(_input(self, upstream))
        else:                                   # the whole input in one step
            items = [item for item in upstream if item is not AutomationNull]
        if self.Top is not None and self.Bottom is not None:
            raise self.terminate("Parameter set cannot be resolved using the specified named "
                                 "parameters.", "AmbiguousParameterSet", "InvalidArgument")
        for name in ("Top", "Bottom"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise self.terminate(
                    f"Cannot validate argument on parameter '{name}'. The {value} argument is "
                    f"less than the minimum allowed range of 1. Supply an argument that is "
                    f"greater than or equal to 1 and then try the command again.",
                    "ParameterArgumentValidationError", "InvalidData")
        if not specs and not self.Unique and self.Top is None and self.Bottom is None:
            plain = _plain_sort(items, bool(self.Descending), bool(self.CaseSensitive))
            if plain is not None:
                yield from plain
                return
        rows = [(_values(self, specs, item, MISSING), item) for item in items]
        directions = [self._descending(spec) for spec in specs] or [bool(self.Descending)]
        ordered = self._sorted(rows, directions)
        if self.Unique:
            ordered = self._unique(ordered)
        result = [item for _, item in ordered]
        if self.Top is not None:
            result = result[:self.Top]
        elif self.Bottom is not None:
            result = result[-self.Bottom:]
        yield from result

    def _descending(self, spec: PropertyExpr) -> bool:
        return bool(self.Descending) if spec.descending is None else spec.descending

    def _sorted(self, rows: List[Tuple[List[Any], Any]], directions: List[bool]
                ) -> List[Tuple[List[Any], Any]]:
        """Stable, in ``directions`` key by key; a property an object lacks sorts after every
        value in either direction (null among numbers sorts as pwsh orders it: see
        ``compare_values``)."""
        cs = bool(self.CaseSensitive)
        fast = _fast_key(rows, cs) if len(directions) == 1 else None
        if fast is not None:
            return sorted(rows, key=fast, reverse=directions[0])

        def cmp(a: Tuple[List[Any], Any], b: Tuple[List[Any], Any]) -> int:
            for index in range(max(len(a[0]), len(b[0]))):
                x = a[0][index] if index < len(a[0]) else MISSING
                y = b[0][index] if index < len(b[0]) else MISSING
                if x is MISSING or y is MISSING:
                    result = (x is MISSING) - (y is MISSING)
                    if result:
                        return result
                    continue
                result = compare_values(x, y, cs)
                if result:
                    descending = directions[index] if index < len(directions) else directions[-1]
                    return -result if descending else result
            return 0
        return sorted(rows, key=functools.cmp_to_key(cmp))

    def _unique(self, ordered: List[Tuple[List[Any], Any]]) -> List[Tuple[List[Any], Any]]:
        cs = bool(self.CaseSensitive)
        out: List[Tuple[List[Any], Any]] = []
        seen = set()
        for keys, item in ordered:
            marker = tuple(hash_key(k, cs) if k is not MISSING else (MISSING,) for k in keys)
            if marker in seen:
                continue
            seen.add(marker)
            out.append((keys, item))
        return out


def _plain_sort(items: List[Any], descending: bool, cs: bool) -> Optional[List[Any]]:
    """Numbers, or strings compared without case, sorted as they are (no key rows); None for
    any other input.  Python's sort is stable in both directions, as the general path is."""
    kinds = set(map(type, items))
    if kinds <= {int, float}:
        return sorted(items, reverse=descending)
    if kinds == {str} and not cs:
        return sorted(items, key=str.lower, reverse=descending)
    return None


def _fast_key(rows: List[Tuple[List[Any], Any]], cs: bool) -> Any:
    """A plain key function when every sort key is a number, or every one a string."""
    keys = [row[0][0] if row[0] else None for row in rows]
    if all(type(k) in (int, float) for k in keys):
        return lambda row: row[0][0]
    if not cs and all(type(k) is str for k in keys):
        return lambda row: row[0][0].lower()
    return None


# --------------------------------------------------------------------------- Group-Object

class GroupInfo:
    ps_type_names: Tuple[str, ...] = ("Microsoft.PowerShell.Commands.GroupInfo",)
    ps_properties: Tuple[str, ...] = ("Count", "Name", "Group")

    def __init__(self, name: str, values: List[Any], group: List[Any]) -> None:
        self.Name = name
        self.Values = values
        self.Group = group

    @property
    def Count(self) -> int:
        return len(self.Group)

    def ToString(self) -> str:
        return self.Name


class GroupInfoNoElement(GroupInfo):
    ps_type_names = ("Microsoft.PowerShell.Commands.GroupInfoNoElement",
                     "Microsoft.PowerShell.Commands.GroupInfo")
    ps_properties = ("Count", "Name")

    def __init__(self, name: str, values: List[Any], count: int) -> None:
        super().__init__(name, values, [])
        self._count = count

    @property
    def Count(self) -> int:
        return self._count


@register
class GroupObject(Cmdlet):
    name = "Group-Object"
    synopsis = "Groups objects that have the same value for the specified properties."
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Property", "object[]", position=0),
        Param("NoElement", "switch"),
        Param("AsHashTable", "switch", aliases=("AHT",)),
        Param("AsString", "switch"),
        Param("CaseSensitive", "switch"),
        Param("Culture", "string"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if self.AsString and not self.AsHashTable:
            raise self.terminate("Cannot use -AsString without -AsHashTable.",
                                 "ArgumentException", "InvalidArgument")
        specs = parse_properties(self, self.Property)
        cs = bool(self.CaseSensitive)
        groups: Dict[Any, Tuple[List[Any], List[Any]]] = {}
        for item in _input(self, upstream):
            values = _values(self, specs, item)
            key = tuple(hash_key(v, cs) for v in values)
            entry = groups.get(key)
            if entry is None:
                groups[key] = (values, [item])
            else:
                entry[1].append(item)
        def by_values(a: Tuple[List[Any], List[Any]], b: Tuple[List[Any], List[Any]]) -> int:
            return _compare_lists(a[0], b[0], cs)
        ordered = sorted(groups.values(), key=functools.cmp_to_key(by_values))
        if self.AsHashTable:
            yield self._table(ordered)
            return
        for values, members in ordered:
            name = ", ".join(to_str(v) for v in values)
            if self.NoElement:
                yield GroupInfoNoElement(name, values, len(members))
            else:
                yield GroupInfo(name, values, members)

    def _table(self, ordered: List[Tuple[List[Any], List[Any]]]) -> Hashtable:
        table = Hashtable()
        for values, members in ordered:
            if self.AsString or len(values) != 1:
                key: Any = ", ".join(to_str(v) for v in values)
            else:
                key = values[0]
                if isinstance(key, (list, dict)):
                    key = to_str(key)
            table[key] = members
        return table


def _compare_lists(a: List[Any], b: List[Any], cs: bool) -> int:
    for x, y in zip(a, b):
        result = compare_values(x, y, cs)
        if result:
            return result
    return len(a) - len(b)


# --------------------------------------------------------------------------- Measure-Object

class GenericMeasureInfo:
    ps_type_names = ("Microsoft.PowerShell.Commands.GenericMeasureInfo",
                     "Microsoft.PowerShell.Commands.MeasureInfo")
    ps_properties = ("Count", "Average", "Sum", "Maximum", "Minimum", "StandardDeviation",
                     "Property")

    def __init__(self) -> None:
        self.Count = 0
        self.Average: Any = None
        self.Sum: Any = None
        self.Maximum: Any = None
        self.Minimum: Any = None
        self.StandardDeviation: Any = None
        self.Property: Optional[str] = None


class TextMeasureInfo:
    ps_type_names = ("Microsoft.PowerShell.Commands.TextMeasureInfo",
                     "Microsoft.PowerShell.Commands.MeasureInfo")
    ps_properties = ("Lines", "Words", "Characters", "Property")

    def __init__(self) -> None:
        self.Lines: Any = None
        self.Words: Any = None
        self.Characters: Any = None
        self.Property: Optional[str] = None


class _Stats:
    __slots__ = ("name", "count", "sum", "variance", "min", "max", "lines", "words", "chars",
                 "numeric")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.count = 0
        self.sum: Any = 0
        self.variance = 0.0
        self.min: Any = None
        self.max: Any = None
        self.lines = 0
        self.words = 0
        self.chars = 0
        self.numeric = True


def _as_double(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, str):
        try:
            return float(to_number(value))
        except (ValueError, TypeError):
            return None
    return None


def _extreme(value: Any, current: Any, want_min: bool) -> Any:
    """Measure-Object's min/max step: numbers numerically, mixed kinds as strings."""
    if current is None:
        return value
    a: Any = _as_double(value) if value is not None else None
    b: Any = _as_double(current)
    a = value if a is None else a
    b = current if b is None else b
    if a is not None and type(a) is not type(b):
        a, b = to_str(value), to_str(current)
    result = compare_values(b, a, True)
    return value if (result if want_min else -result) > 0 else current


@register
class MeasureObject(Cmdlet):
    name = "Measure-Object"
    synopsis = "Counts objects and computes sums, averages, extremes, or text statistics."
    default_set = "GenericMeasure"
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Property", "object[]", position=0),
        Param("Sum", "switch", sets=("GenericMeasure",)),
        Param("Average", "switch", sets=("GenericMeasure",)),
        Param("Maximum", "switch", sets=("GenericMeasure",)),
        Param("Minimum", "switch", sets=("GenericMeasure",)),
        Param("StandardDeviation", "switch", sets=("GenericMeasure",)),
        Param("AllStats", "switch", sets=("GenericMeasure",)),
        Param("Line", "switch", sets=("TextMeasure",)),
        Param("Word", "switch", sets=("TextMeasure",)),
        Param("Character", "switch", sets=("TextMeasure",)),
        Param("IgnoreWhiteSpace", "switch", sets=("TextMeasure",)),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if self.AllStats:
            self.Sum = self.Average = self.Maximum = self.Minimum = self.StandardDeviation = True
        self._text = bool(self.Line or self.Word or self.Character)
        if self._text and (self.Sum or self.Average or self.Maximum or self.Minimum
                           or self.StandardDeviation):
            raise self.terminate("Parameter set cannot be resolved using the specified named "
                                 "parameters. One or more parameters issued cannot be used "
                                 "together or an insufficient number of parameters were provided.",
                                 "AmbiguousParameterSet", "InvalidArgument")
        self._numeric = bool(self.Sum or self.Average or self.StandardDeviation)
        stats: Dict[str, _Stats] = {}
        specs = parse_properties(self, self.Property)
        if not specs:
            stat = stats.setdefault("", _Stats())
            self._measure_values(stat, _input(self, upstream))
        else:
            for item in _input(self, upstream):
                self._measure_properties(stats, specs, item)
        yield from self._results(stats, bool(specs))

    def _measure_values(self, stat: _Stats, items: Iterator[Any]) -> None:
        if not self._text and not self.Maximum and not self.Minimum and not self.StandardDeviation:
            # the fast path: counting and summing plain numbers
            count = 0
            total: Any = 0
            for value in items:
                if value is None:
                    continue
                kind = type(value)
                if kind is int or kind is float:
                    count += 1
                    total += value
                    continue
                stat.count, stat.sum = stat.count + count, stat.sum + total
                count, total = 0, 0
                self._analyze(stat, value)
            stat.count += count
            stat.sum += total
            return
        for value in items:
            if value is not None:
                self._analyze(stat, value)

    def _measure_properties(self, stats: Dict[str, _Stats], specs: List[PropertyExpr],
                            item: Any) -> None:
        counted = set()
        for spec in specs:
            resolved = spec.resolve(item)
            for name, expression in resolved:
                value = evaluate(self, expression, item)
                if value is NO_PROPERTY:
                    if not spec.wildcard:
                        stats.setdefault(name.lower(), _Stats(name))
                    continue
                if name.lower() in counted:
                    continue
                counted.add(name.lower())
                self._analyze(stats.setdefault(name.lower(), _Stats(name)), value)

    def _analyze(self, stat: _Stats, value: Any) -> None:
        stat.count += 1
        if self._text:
            text = "" if value is None else to_str(value)
            if self.Character:
                stat.chars += len(text) if not self.IgnoreWhiteSpace else sum(
                    1 for ch in text if not ch.isspace())
            if self.Word:
                stat.words += len(text.split())
            if self.Line and text:
                stat.lines += text.count("\n") + (0 if text.endswith("\n") else 1)
        if self._numeric:
            number = _as_double(value)
            if number is None:
                stat.numeric = False
                self.write_error(f'Input object "{to_str(value)}" is not numeric.',
                                 "NonNumericInputObject", "InvalidType", value)
                return
            previous = stat.sum
            stat.sum = previous + number
            if self.StandardDeviation and stat.count > 1:
                avg_previous = previous / (stat.count - 1)
                avg = stat.sum / stat.count
                stat.variance += ((number - avg_previous) * (number - avg) - stat.variance) \
                    / stat.count
        if self.Minimum:
            stat.min = _extreme(value, stat.min, True)
        if self.Maximum:
            stat.max = _extreme(value, stat.max, False)

    def _results(self, stats: Dict[str, _Stats], by_property: bool) -> Iterator[Any]:
        for stat in stats.values():
            if by_property and stat.count == 0:
                continue
            name = stat.name if by_property else None
            if self._text:
                info: Any = TextMeasureInfo()
                info.Lines = stat.lines if self.Line else None
                info.Words = stat.words if self.Word else None
                info.Characters = stat.chars if self.Character else None
            else:
                info = self._generic(stat)
            info.Property = name
            yield info

    def _generic(self, stat: _Stats) -> GenericMeasureInfo:
        import math
        info = GenericMeasureInfo()
        info.Count = stat.count
        if stat.numeric:
            if self.Sum:
                info.Sum = float(stat.sum)
            if self.Average and stat.count:
                info.Average = float(stat.sum) / stat.count
            if self.StandardDeviation:
                # the sample standard deviation (n - 1), as pwsh gives
                n = stat.count
                info.StandardDeviation = math.sqrt(stat.variance * n / (n - 1)) if n > 1 else 0.0
        numeric_extremes = all(v is None or _as_double(v) is not None for v in (stat.min, stat.max))
        if self.Maximum and stat.max is not None:
            info.Maximum = _as_double(stat.max) if numeric_extremes else stat.max
        if self.Minimum and stat.min is not None:
            info.Minimum = _as_double(stat.min) if numeric_extremes else stat.min
        return info


# --------------------------------------------------------------------------- Compare-Object

@register
class CompareObject(Cmdlet):
    name = "Compare-Object"
    synopsis = "Compares two sets of objects."
    params = (
        Param("ReferenceObject", "object[]", position=0, mandatory=True),
        Param("DifferenceObject", "object[]", position=1, mandatory=True, pipeline=True),
        Param("SyncWindow", "int"),
        Param("Property", "object[]"),
        Param("ExcludeDifferent", "switch"),
        Param("IncludeEqual", "switch"),
        Param("PassThru", "switch"),
        Param("Culture", "string"),
        Param("CaseSensitive", "switch"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if self.ReferenceObject is None:
            raise self.terminate("Cannot bind argument to parameter 'ReferenceObject' because it "
                                 "is null.", "ParameterArgumentValidationErrorNullNotAllowed",
                                 "InvalidData")
        reference = _as_items(self.ReferenceObject)
        if upstream is None:
            if self.DifferenceObject is None:
                raise self.terminate("Cannot bind argument to parameter 'DifferenceObject' "
                                     "because it is null.",
                                     "ParameterArgumentValidationErrorNullNotAllowed",
                                     "InvalidData")
            difference = _as_items(self.DifferenceObject)
        else:
            difference = []
            for item in upstream:
                difference.extend(_as_items(item))
        self._specs = parse_properties(self, self.Property)
        cs = bool(self.CaseSensitive)
        ref_keys = [self._key(item) for item in reference]
        diff_keys = [self._key(item) for item in difference]
        include_diff = not self.ExcludeDifferent
        # -ExcludeDifferent shows the equal ones unless -IncludeEqual:$false says otherwise
        include_equal = bool(self.IncludeEqual) or \
            (bool(self.ExcludeDifferent) and not self.is_bound("IncludeEqual"))
        window = self.SyncWindow if self.SyncWindow is not None else 2 ** 31 - 1
        for side, index in sync_compare(ref_keys, diff_keys, window,
                                        lambda a, b: _keys_equal(a, b, cs)):
            if side == "==":
                if include_equal:
                    yield self._result(reference[index], side)
            elif include_diff:
                yield self._result((reference if side == "<=" else difference)[index], side)

    def _key(self, item: Any) -> List[Any]:
        if not self._specs:
            return [item]
        return _values(self, self._specs, item)

    def _result(self, item: Any, indicator: str) -> Any:
        if self.PassThru:
            if isinstance(item, PSObject):
                item.set("SideIndicator", indicator)
            return item
        if self._specs:
            pairs: List[Tuple[str, Any]] = []
            for spec in self._specs:
                for name, expression in spec.resolve(item):
                    value = evaluate(self, expression, item)
                    pairs.append((name, None if value is NO_PROPERTY else value))
            pairs.append(("SideIndicator", indicator))
            return PSObject.from_pairs(pairs)
        return PSObject.from_pairs([("InputObject", item), ("SideIndicator", indicator)])


def _as_items(value: Any) -> List[Any]:
    if value is None or value is AutomationNull:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _is_simple(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _keys_equal(a: List[Any], b: List[Any], cs: bool) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, PSObject) or isinstance(y, PSObject) or \
                not (_is_simple(x) and _is_simple(y)) and not values_equal(x, y, cs):
            # objects that do not compare as values compare by their text, as in pwsh
            if to_str(x) != to_str(y) if cs else to_str(x).lower() != to_str(y).lower():
                return False
            continue
        if not values_equal(x, y, cs):
            return False
    return True


__all__ = ["SortObject", "GroupObject", "MeasureObject", "CompareObject", "GroupInfo",
           "GenericMeasureInfo", "TextMeasureInfo"]
