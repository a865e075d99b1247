"""JSON Schema validation for Test-Json (standard library only).

Covers the validation vocabulary that drafts 4 to 2020-12 share, plus the newer spellings:
``type enum const``; numbers ``minimum maximum exclusiveMinimum exclusiveMaximum multipleOf``;
strings ``minLength maxLength pattern``; arrays ``items prefixItems additionalItems contains
minContains maxContains minItems maxItems uniqueItems``; objects ``properties patternProperties
additionalProperties required propertyNames minProperties maxProperties dependentRequired
dependentSchemas dependencies``; logic ``allOf anyOf oneOf not if/then/else``; and ``$ref`` to
``#/json/pointer`` in the same document, to ``$defs``/``definitions``, or to another file
(``other.json#/pointer``, resolved against the schema file's folder) through a loader the caller
gives. ``format`` is an annotation only (as the 2020-12 default has it).

A schema is checked when it is built (:class:`Schema`): bad JSON in a referenced file, a ``$ref``
that leads nowhere or a bad ``pattern`` raise :class:`SchemaError`. :meth:`Schema.validate`
returns every failure as ``(instance_pointer, message)``, the pointer in JSON-pointer form
(``/Devices/3/os``); a failed ``anyOf``/``oneOf`` reports one failure at the value it was about,
not the failures of each branch (which would name values that are fine).
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["Schema", "SchemaError", "json_type"]

Loader = Callable[[str], Any]


class SchemaError(ValueError):
    """The schema itself is unusable."""


class _TooDeep(Exception):
    def __init__(self, at: str) -> None:
        super().__init__(at)
        self.at = at


_MAX_DEPTH = 300        # levels of schema applied to one value, nested values and $refs together


def json_type(value: Any) -> str:
    """The JSON type of a parsed value ('integer' for a whole number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_type(value: Any, name: str) -> bool:
    actual = json_type(value)
    return actual == name or (name == "number" and actual == "integer")


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 equals 1.0, true does not equal 1, objects ignore key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _pointer_part(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _show(value: Any) -> str:
    import json
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


class Schema:
    """A checked schema, ready to validate any number of documents."""

    def __init__(self, document: Any, loader: Optional[Loader] = None, base: str = "") -> None:
        self.root = document
        self.loader = loader
        self.base = base
        self._documents: Dict[str, Any] = {base: document}
        self._regex: Dict[str, Any] = {}
        self._checked: set = set()
        self._check(document, document, base, 0)

    # ---- building ---------------------------------------------------------------------
    def _document(self, uri: str) -> Any:
        if uri not in self._documents:
            if self.loader is None:
                raise SchemaError(f"the schema refers to '{uri}', which cannot be read here")
            self._documents[uri] = None     # a cycle of files resolves to the one being read
            self._documents[uri] = self.loader(uri)
        return self._documents[uri]

    def resolve(self, ref: str, root: Any, base: str) -> Tuple[Any, Any, str]:
        """The schema ``ref`` names, with the root document and base it lives in."""
        target, _, fragment = ref.partition("#")
        if target:
            base = _join(base, target)
            root = self._document(base)
        node = root
        if fragment:
            if not fragment.startswith("/"):
                node = _find_anchor(root, fragment)
                if node is None:
                    raise SchemaError(f"the $ref '{ref}' names no anchor of the schema")
                return node, root, base
            for raw in fragment[1:].split("/"):
                part = _unquote(raw).replace("~1", "/").replace("~0", "~")
                if isinstance(node, dict) and part in node:
                    node = node[part]
                elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                else:
                    raise SchemaError(f"the $ref '{ref}' leads to nothing in the schema")
        return node, root, base

    def _check(self, node: Any, root: Any, base: str, depth: int) -> None:
        if depth > 200:
            raise SchemaError("the schema is nested too deeply")
        if isinstance(node, bool):
            return
        if not isinstance(node, dict):
            raise SchemaError(f"a schema must be an object or a boolean, not {_show(node)}")
        ref = node.get("$ref")
        if ref is not None:
            if not isinstance(ref, str):
                raise SchemaError("$ref must be a string")
            target, target_root, target_base = self.resolve(ref, root, base)
            if target_root is not root and target is not None:
                seen = (target_base, id(target))
                if seen not in self._checked:       # check each referenced file's part once
                    self._checked.add(seen)
                    self._check(target, target_root, target_base, depth + 1)
        pattern = node.get("pattern")
        if pattern is not None:
            self._compile(pattern)
        for key in ("patternProperties",):
            for pat in (node.get(key) or {}):
                self._compile(pat)
        for key in ("items", "additionalItems", "contains", "additionalProperties", "propertyNames",
                    "not", "if", "then", "else"):
            sub = node.get(key)
            if isinstance(sub, list) and key == "items":
                for item in sub:
                    self._check(item, root, base, depth + 1)
            elif sub is not None:
                self._check(sub, root, base, depth + 1)
        for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
            subs = node.get(key)
            if subs is None:
                continue
            if not isinstance(subs, list) or not subs:
                raise SchemaError(f"{key} must be a non-empty array of schemas")
            for item in subs:
                self._check(item, root, base, depth + 1)
        for key in ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions"):
            subs = node.get(key)
            if subs is None:
                continue
            if not isinstance(subs, dict):
                raise SchemaError(f"{key} must be an object")
            for item in subs.values():
                self._check(item, root, base, depth + 1)
        kind = node.get("type")
        names = kind if isinstance(kind, list) else [kind] if kind is not None else []
        for name in names:
            if name not in ("null", "boolean", "object", "array", "number", "string", "integer"):
                raise SchemaError(f"'{name}' is not a JSON Schema type")

    def _compile(self, pattern: Any) -> Any:
        if not isinstance(pattern, str):
            raise SchemaError("a pattern must be a string")
        found = self._regex.get(pattern)
        if found is None:
            try:
                found = re.compile(pattern)
            except re.error as exc:
                raise SchemaError(f"the pattern '{pattern}' is not a valid regular expression: {exc}")
            self._regex[pattern] = found
        return found

    # ---- validating ---------------------------------------------------------------------
    def validate(self, instance: Any) -> List[Tuple[str, str]]:
        errors: List[Tuple[str, str]] = []
        try:
            self._validate(self.root, instance, "", self.root, self.base, errors, 0)
        except _TooDeep as exc:
            return [("",
                     f"the document and schema nest more than {_MAX_DEPTH} levels deep (a value "
                     f"at '{exc.at[:80]}...', or a $ref that leads back to itself): not checked")]
        except RecursionError:
            return [("", "the document is nested too deeply to check against the schema")]
        return errors

    def is_valid(self, node: Any, instance: Any, pointer: str, root: Any, base: str,
                 depth: int) -> bool:
        errors: List[Tuple[str, str]] = []
        self._validate(node, instance, pointer, root, base, errors, depth)
        return not errors

    def _validate(self, node: Any, value: Any, at: str, root: Any, base: str,
                  errors: List[Tuple[str, str]], depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise _TooDeep(at)
        if node is True or node == {}:
            return
        if node is False:
            errors.append((at, "no value is allowed here"))
            return
        ref = node.get("$ref")
        if ref is not None:
            target, target_root, target_base = self.resolve(ref, root, base)
            self._validate(target, value, at, target_root, target_base, errors, depth + 1)
        self._generic(node, value, at, root, base, errors, depth)
        if isinstance(value, str):
            self._string(node, value, at, errors)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self._number(node, value, at, errors)
        elif isinstance(value, list):
            self._array(node, value, at, root, base, errors, depth)
        elif isinstance(value, dict):
            self._object(node, value, at, root, base, errors, depth)

    def _generic(self, node: Dict[str, Any], value: Any, at: str, root: Any, base: str,
                 errors: List[Tuple[str, str]], depth: int) -> None:
        kind = node.get("type")
        if kind is not None:
            names = kind if isinstance(kind, list) else [kind]
            if not any(_is_type(value, n) for n in names):
                wanted = " or ".join(f'"{n}"' for n in names)
                errors.append((at, f'the value is "{json_type(value)}" where the schema wants '
                                   f'{wanted}'))
        if "enum" in node and not any(_equal(value, option) for option in node["enum"] or []):
            errors.append((at, f"the value {_show(value)} is not one of "
                               f"{', '.join(_show(v) for v in node['enum'] or [])}"))
        if "const" in node and not _equal(value, node["const"]):
            errors.append((at, f"the value {_show(value)} is not {_show(node['const'])}"))
        for sub in node.get("allOf") or []:
            self._validate(sub, value, at, root, base, errors, depth + 1)
        if "anyOf" in node and not any(self.is_valid(sub, value, at, root, base, depth + 1)
                                       for sub in node["anyOf"]):
            errors.append((at, "the value matches none of the schemas of anyOf"))
        if "oneOf" in node:
            matched = sum(1 for sub in node["oneOf"]
                          if self.is_valid(sub, value, at, root, base, depth + 1))
            if matched != 1:
                errors.append((at, "the value matches none of the schemas of oneOf" if not matched
                               else f"the value matches {matched} of the schemas of oneOf, not one"))
        if "not" in node and self.is_valid(node["not"], value, at, root, base, depth + 1):
            errors.append((at, "the value matches the schema of 'not'"))
        if "if" in node:
            branch = "then" if self.is_valid(node["if"], value, at, root, base, depth + 1) else "else"
            if branch in node:
                self._validate(node[branch], value, at, root, base, errors, depth + 1)

    def _string(self, node: Dict[str, Any], value: str, at: str,
                errors: List[Tuple[str, str]]) -> None:
        length = len(value)
        if "minLength" in node and length < node["minLength"]:
            errors.append((at, f"the string is {length} characters long, shorter than the "
                               f"minimum of {node['minLength']}"))
        if "maxLength" in node and length > node["maxLength"]:
            errors.append((at, f"the string is {length} characters long, longer than the "
                               f"maximum of {node['maxLength']}"))
        if "pattern" in node and not self._compile(node["pattern"]).search(value):
            errors.append((at, f"the string {_show(value)} does not match the pattern "
                               f"'{node['pattern']}'"))

    def _number(self, node: Dict[str, Any], value: Any, at: str,
                errors: List[Tuple[str, str]]) -> None:
        low, high = node.get("minimum"), node.get("maximum")
        ex_low, ex_high = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if ex_low is True:              # draft 4: a flag on minimum
            ex_low, low = low, None
        if ex_high is True:
            ex_high, high = high, None
        if isinstance(low, (int, float)) and not isinstance(low, bool) and value < low:
            errors.append((at, f"{value} is less than the minimum of {low}"))
        if isinstance(high, (int, float)) and not isinstance(high, bool) and value > high:
            errors.append((at, f"{value} is greater than the maximum of {high}"))
        if isinstance(ex_low, (int, float)) and not isinstance(ex_low, bool) and value <= ex_low:
            errors.append((at, f"{value} is not greater than {ex_low}"))
        if isinstance(ex_high, (int, float)) and not isinstance(ex_high, bool) and value >= ex_high:
            errors.append((at, f"{value} is not less than {ex_high}"))
        step = node.get("multipleOf")
        if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0:
            if isinstance(value, int) and isinstance(step, int):
                ok = value % step == 0
            else:
                quotient = value / step
                ok = math.isfinite(quotient) and abs(quotient - round(quotient)) < 1e-9
            if not ok:
                errors.append((at, f"{value} is not a multiple of {step}"))

    def _array(self, node: Dict[str, Any], value: List[Any], at: str, root: Any, base: str,
               errors: List[Tuple[str, str]], depth: int) -> None:
        items = node.get("items")
        prefix = node.get("prefixItems")
        if isinstance(items, list):          # drafts before 2020-12: a schema per position
            prefix, items = items, node.get("additionalItems")
        start = 0
        if isinstance(prefix, list):
            for index, sub in enumerate(prefix[:len(value)]):
                self._validate(sub, value[index], f"{at}/{index}", root, base, errors, depth + 1)
            start = len(prefix)
        if items is not None:
            for index in range(start, len(value)):
                self._validate(items, value[index], f"{at}/{index}", root, base, errors, depth + 1)
        if "minItems" in node and len(value) < node["minItems"]:
            errors.append((at, f"the array has {len(value)} items, fewer than the minimum of "
                               f"{node['minItems']}"))
        if "maxItems" in node and len(value) > node["maxItems"]:
            errors.append((at, f"the array has {len(value)} items, more than the maximum of "
                               f"{node['maxItems']}"))
        if node.get("uniqueItems") is True:
            for i in range(len(value)):
                if any(_equal(value[i], value[j]) for j in range(i)):
                    errors.append((at, f"the array's items are not unique (item {i} repeats one "
                                       f"before it)"))
                    break
        if "contains" in node:
            count = sum(1 for index, item in enumerate(value)
                        if self.is_valid(node["contains"], item, f"{at}/{index}", root, base,
                                         depth + 1))
            least = node.get("minContains", 1)
            most = node.get("maxContains")
            if count < least:
                errors.append((at, f"the array has {count} items that match 'contains', fewer "
                                   f"than {least}"))
            if most is not None and count > most:
                errors.append((at, f"the array has {count} items that match 'contains', more "
                                   f"than {most}"))

    def _object(self, node: Dict[str, Any], value: Dict[str, Any], at: str, root: Any,
                base: str, errors: List[Tuple[str, str]], depth: int) -> None:
        for name in node.get("required") or []:
            if name not in value:
                errors.append((at, f"the required property '{name}' is missing"))
        properties = node.get("properties") or {}
        patterns = [(self._compile(p), sub) for p, sub in (node.get("patternProperties") or {}).items()]
        extra = node.get("additionalProperties")
        names = node.get("propertyNames")
        for key, item in value.items():
            where = f"{at}/{_pointer_part(key)}"
            matched = False
            if key in properties:
                matched = True
                self._validate(properties[key], item, where, root, base, errors, depth + 1)
            for regex, sub in patterns:
                if regex.search(key):
                    matched = True
                    self._validate(sub, item, where, root, base, errors, depth + 1)
            if not matched and extra is not None:
                if extra is False:
                    errors.append((where, f"the property '{key}' is not allowed"))
                else:
                    self._validate(extra, item, where, root, base, errors, depth + 1)
            if names is not None and not self.is_valid(names, key, where, root, base, depth + 1):
                errors.append((where, f"the property name '{key}' does not match propertyNames"))
        if "minProperties" in node and len(value) < node["minProperties"]:
            errors.append((at, f"the object has {len(value)} properties, fewer than the minimum "
                               f"of {node['minProperties']}"))
        if "maxProperties" in node and len(value) > node["maxProperties"]:
            errors.append((at, f"the object has {len(value)} properties, more than the maximum "
                               f"of {node['maxProperties']}"))
        dependencies = dict(node.get("dependencies") or {})
        dependencies.update(node.get("dependentRequired") or {})
        dependencies.update(node.get("dependentSchemas") or {})
        for key, needed in dependencies.items():
            if key not in value:
                continue
            if isinstance(needed, list):
                for other in needed:
                    if other not in value:
                        errors.append((at, f"the property '{other}' is required when '{key}' is "
                                           f"present"))
            else:
                self._validate(needed, value, at, root, base, errors, depth + 1)


def _unquote(text: str) -> str:
    from urllib.parse import unquote
    return unquote(text)


def _join(base: str, target: str) -> str:
    """A referenced document's location, relative to the referring one's folder."""
    import os
    if "://" in target or os.path.isabs(target) or not base:
        return target
    return os.path.normpath(os.path.join(os.path.dirname(base), target))


def _find_anchor(root: Any, name: str) -> Any:
    """The subschema with ``"$anchor": name`` (or an old-style ``"$id": "#name"``)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("$anchor") == name or node.get("$id") == "#" + name:
                return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None
