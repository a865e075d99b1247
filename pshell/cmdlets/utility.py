"""New-Guid, Join-String, Get-Unique, Set-StrictMode, ConvertFrom-StringData, Get-Verb: small utility
cmdlets."""

from __future__ import annotations

import re

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.values import Hashtable, Guid, get_property, new_guid_v7, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List

__all__: List[str] = []

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


@register
class NewGuid(Cmdlet):
    name = "New-Guid"
    synopsis = "Creates a new globally unique identifier (a time-ordered UUID v7), or reads one from text."
    default_set = "Default"
    params = (
        Param("Empty", "switch", sets=("Empty",)),
        Param("InputObject", "string", position=0, pipeline=True, sets=("InputObject",)),
    )

    def process(self) -> Iterator[Any]:
        if self.Empty:
            yield Guid(EMPTY_GUID)
        elif self.InputObject is not None:
            import uuid
            try:
                yield Guid(uuid.UUID(self.InputObject.strip()))
            except ValueError:
                self.write_error(f"Cannot convert '{self.InputObject}' to a Guid: it is not 32 hex digits "
                                 f"in the form 00000000-0000-0000-0000-000000000000.",
                                 "StringNotRecognizedAsGuid", "InvalidArgument", self.InputObject)
        else:
            yield new_guid_v7()


@register
class JoinString(Cmdlet):
    name = "Join-String"
    synopsis = "Joins the pipeline's objects, or one property of each, into one string."
    params = (
        Param("Property", "object", position=0),
        Param("Separator", "string", position=1),
        Param("OutputPrefix", "string", aliases=("op",)),
        Param("OutputSuffix", "string", aliases=("os",)),
        Param("SingleQuote", "switch"),
        Param("DoubleQuote", "switch"),
        Param("FormatString", "string", aliases=("Format",)),
        Param("UseCulture", "switch"),
        Param("InputObject", "object", pipeline=True),
    )

    def begin(self) -> None:
        self._parts: List[str] = []

    def process(self) -> None:
        items = self.InputObject
        if items is None and not self.is_bound("InputObject"):
            return
        for item in items if isinstance(items, (list, tuple)) else [items]:
            self._parts.append(self._text(item))

    def _text(self, item: Any) -> str:
        value = item
        prop = self.Property
        if prop is not None:
            if hasattr(prop, "ast") and hasattr(prop, "compiled"):
                got = list(self.invoke_iter(prop, dollar_under=item))
                value = got[0] if len(got) == 1 else (None if not got else got)
            else:
                found = get_property(item, to_str(prop), None)
                value = found
        if self.FormatString is not None:
            from pshell.engine.operators import ps_format
            text = ps_format(self.FormatString, [value])
        elif isinstance(value, (list, tuple)):
            text = " ".join(to_str(v) for v in value)
        else:
            text = to_str(value)
        if self.SingleQuote:
            return "'" + text.replace("'", "''") + "'"
        if self.DoubleQuote:
            return '"' + text + '"'
        return text

    def end(self) -> Iterator[str]:
        if self.is_bound("Separator"):
            separator = self.Separator or ""
        elif self.UseCulture:
            separator = ","
        else:
            from pshell.engine.runtime import lookup_variable
            ofs = lookup_variable(self.ctx.frame, "ofs")      # the caller's $OFS, not the global one
            separator = "" if ofs is None else to_str(ofs)
        yield (self.OutputPrefix or "") + separator.join(self._parts) + (self.OutputSuffix or "")


@register
class GetUnique(Cmdlet):
    name = "Get-Unique"
    synopsis = "Leaves out each object equal to the one before it (the input is expected sorted)."
    default_set = "AsString"
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("AsString", "switch", sets=("AsString",)),
        Param("OnType", "switch", sets=("UniqueByType",)),
        Param("CaseInsensitive", "switch"),
    )

    def run(self, upstream: Any) -> Iterator[Any]:
        if upstream is None:
            if self.is_bound("InputObject"):
                yield self.InputObject        # one object, as pwsh: a list is not enumerated
            return
        last: Any = _NOTHING
        for value in upstream:
            if self.OnType:
                from pshell.engine.values import type_name_of
                key: Any = type_name_of(value)
            elif self.AsString or isinstance(value, str):
                key = to_str(value)
                if self.CaseInsensitive:
                    key = key.lower()
                if self.AsString:
                    value = to_str(value)
            else:
                key = value
            if last is _NOTHING or not _same(key, last):
                last = key
                yield value


_NOTHING = object()


def _same(a: Any, b: Any) -> bool:
    from pshell.engine.operators import equals
    try:
        return bool(equals(a, b, True))
    except Exception:           # values that cannot be compared are different
        return a is b


@register
class SetStrictMode(Cmdlet):
    name = "Set-StrictMode"
    synopsis = "Makes reading a variable never set an error in this scope and the ones below it."
    default_set = "Version"
    params = (
        Param("Version", "string", mandatory=("Version",), sets=("Version",), aliases=("v",)),
        Param("Off", "switch", mandatory=("Off",), sets=("Off",)),
    )

    def process(self) -> None:
        if self.Off:
            level = 0
        else:
            text = self.Version.strip().lower()
            if text == "latest":
                level = 3
            else:
                match = re.match(r"^(\d+)(\.(\d+))?$", text)
                if not match or int(match.group(1)) < 1:
                    raise self.terminate(f"Cannot validate argument on parameter 'Version'. '{self.Version}' "
                                         f"is not a valid strict mode version: use 1.0, 2.0, 3.0 or "
                                         f"Latest.", "ParameterArgumentValidationError", "InvalidArgument")
                level = min(int(match.group(1)), 3)
        from pshell.engine.runtime import STRICT_MODE_VAR
        self.ctx.frame.scope.vars[STRICT_MODE_VAR] = level


@register
class ConvertFromStringData(Cmdlet):
    name = "ConvertFrom-StringData"
    synopsis = "Turns lines of name=value text into a hash table."
    params = (
        Param("StringData", "string", position=0, mandatory=True, pipeline=True),
        Param("Delimiter", "string", default="="),
    )

    def process(self) -> Iterator[Any]:
        table = Hashtable()
        delimiter = self.Delimiter or "="
        if len(delimiter) != 1:
            raise self.terminate(f"Cannot convert '{delimiter}' to a delimiter: it must be one character.",
                                 "ParameterArgumentTransformationError", "InvalidArgument")
        for raw in self.StringData.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if delimiter not in line:
                raise self.terminate(f"Data line '{line}' is not in 'name{delimiter}value' format.",
                                     "InvalidOperation", "InvalidOperation", line)
            key, _, value = line.partition(delimiter)
            key = key.strip()
            if key in table:
                raise self.terminate(f"Data item '{key}' in line '{line}' is already defined.",
                                     "InvalidOperation", "InvalidOperation", line)
            table[key] = _unescape(value.strip())
        yield table


def _unescape(text: str) -> str:
    """Backslash escapes as in a .NET string: \\n, \\t, \\\\, \\r."""
    out: List[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "0": "\0"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_VERBS = (
    ("Add", "Common"), ("Clear", "Common"), ("Close", "Common"), ("Copy", "Common"), ("Enter", "Common"),
    ("Exit", "Common"), ("Find", "Common"), ("Format", "Common"), ("Get", "Common"), ("Hide", "Common"),
    ("Join", "Common"), ("Lock", "Common"), ("Move", "Common"), ("New", "Common"), ("Open", "Common"),
    ("Optimize", "Common"), ("Push", "Common"), ("Pop", "Common"), ("Redo", "Common"),
    ("Remove", "Common"), ("Rename", "Common"), ("Reset", "Common"), ("Resize", "Common"),
    ("Search", "Common"), ("Select", "Common"), ("Set", "Common"), ("Show", "Common"), ("Skip", "Common"),
    ("Split", "Common"), ("Step", "Common"), ("Switch", "Common"), ("Undo", "Common"),
    ("Unlock", "Common"), ("Watch", "Common"), ("Connect", "Communications"),
    ("Disconnect", "Communications"), ("Read", "Communications"), ("Receive", "Communications"),
    ("Send", "Communications"), ("Write", "Communications"), ("Backup", "Data"), ("Checkpoint", "Data"),
    ("Compare", "Data"), ("Compress", "Data"), ("Convert", "Data"), ("ConvertFrom", "Data"),
    ("ConvertTo", "Data"), ("Dismount", "Data"), ("Edit", "Data"), ("Expand", "Data"), ("Export", "Data"),
    ("Group", "Data"), ("Import", "Data"), ("Initialize", "Data"), ("Limit", "Data"), ("Merge", "Data"),
    ("Mount", "Data"), ("Out", "Data"), ("Publish", "Data"), ("Restore", "Data"), ("Save", "Data"),
    ("Sync", "Data"), ("Unpublish", "Data"), ("Update", "Data"), ("Debug", "Diagnostic"),
    ("Measure", "Diagnostic"), ("Ping", "Diagnostic"), ("Repair", "Diagnostic"), ("Resolve", "Diagnostic"),
    ("Test", "Diagnostic"), ("Trace", "Diagnostic"), ("Approve", "Lifecycle"), ("Assert", "Lifecycle"),
    ("Build", "Lifecycle"), ("Complete", "Lifecycle"), ("Confirm", "Lifecycle"), ("Deny", "Lifecycle"),
    ("Deploy", "Lifecycle"), ("Disable", "Lifecycle"), ("Enable", "Lifecycle"), ("Install", "Lifecycle"),
    ("Invoke", "Lifecycle"), ("Register", "Lifecycle"), ("Request", "Lifecycle"), ("Restart", "Lifecycle"),
    ("Resume", "Lifecycle"), ("Start", "Lifecycle"), ("Stop", "Lifecycle"), ("Submit", "Lifecycle"),
    ("Suspend", "Lifecycle"), ("Uninstall", "Lifecycle"), ("Unregister", "Lifecycle"), ("Wait", "Lifecycle"),
    ("Use", "Other"), ("Block", "Security"), ("Grant", "Security"), ("Protect", "Security"),
    ("Revoke", "Security"), ("Unblock", "Security"), ("Unprotect", "Security"),
)
_ALIAS_PREFIX = {"Add": "a", "Clear": "cl", "Copy": "cp", "Get": "g", "New": "n", "Remove": "r",
                 "Set": "s", "Start": "sa", "Stop": "sp", "Move": "m", "Invoke": "i", "Out": "o"}


@register
class GetVerb(Cmdlet):
    name = "Get-Verb"
    synopsis = "Lists the approved verbs for command names, with their group."
    params = (
        Param("Verb", "string[]", position=0, pipeline=True),
        Param("Group", "string[]", position=1,
              validate_set=("Common", "Communications", "Data", "Diagnostic", "Lifecycle", "Other",
                            "Security")),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.values import PSObject
        from pshell.engine.wildcards import wildcard_regex
        patterns = [wildcard_regex(v) for v in (self.Verb or ["*"])]
        groups = [g.lower() for g in (self.Group or [])]
        for verb, group in _VERBS:
            if groups and group.lower() not in groups:
                continue
            if any(p.match(verb) for p in patterns):
                yield PSObject.from_pairs(
                    [("Verb", verb), ("AliasPrefix", _ALIAS_PREFIX.get(verb, verb[:2].lower())),
                     ("Group", group), ("Description", f"{group} verb {verb}")],
                    ["System.Management.Automation.VerbInfo"])
