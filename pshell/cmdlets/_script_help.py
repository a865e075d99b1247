"""The help object of a function or a script: its comment-based help (``lang/comment_help.py``) and
its declared parameters, shaped as PowerShell's help objects are (``details``, ``syntax.syntaxItem``,
``parameters.parameter``, ``examples.example``, ``relatedLinks.navigationLink``, ...), so scripts
that read help the usual way find what they expect.  Shown as text by a custom view."""

from __future__ import annotations

import os
import re

from pshell.engine.format import register_view
from pshell.engine.values import PSObject
from pshell.lang import ast as A
from pshell.lang.comment_help import (CommentHelp, comment_spans, function_help, parameter_comment,
                                      script_help)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = ["help_of_function", "help_of_script", "HELP_TYPE", "matches_filter"]

HELP_TYPE = "pshell.ScriptHelpInfo"
_PROMPT = re.compile(r"^((?:[A-Za-z]:\\)?PS\b[^>\n]*>)[ \t]*")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_SHORT_TYPES = {"string": "String", "int": "Int32", "long": "Int64", "double": "Double",
                "bool": "Boolean", "switch": "SwitchParameter", "object": "Object",
                "hashtable": "Hashtable", "scriptblock": "ScriptBlock", "datetime": "DateTime",
                "char": "Char", "byte": "Byte", "decimal": "Decimal", "float": "Single",
                "psobject": "PSObject", "array": "Array", "timespan": "TimeSpan"}


def _obj(**props: Any) -> PSObject:
    return PSObject(props, type_names=("System.Management.Automation.PSCustomObject",))


def _texts(text: Optional[str]) -> Optional[List[PSObject]]:
    return None if text is None else [_obj(Text=text)]


def _one_or_list(items: List[Any]) -> Any:
    return items[0] if len(items) == 1 else items


def _type_label(type_name: Optional[str]) -> str:
    if not type_name:
        return "Object"
    array = type_name.endswith("[]")
    base = type_name[:-2] if array else type_name
    label = _SHORT_TYPES.get(base.lower()) or base.rsplit(".", 1)[-1]
    return label + ("[]" if array else "")


def _enum_names(type_name: Optional[str]) -> List[str]:
    """The members of a script-defined enum (``enum Color { Red; Blue }``), else []."""
    if not type_name:
        return []
    from pshell.engine.classes import PSEnum, find_type
    found = find_type(type_name)
    return [name for name, _ in found.members] if isinstance(found, PSEnum) else []


def _comments(unit: Any) -> List[Tuple[int, int]]:
    found = getattr(unit, "_help_comments", None)
    if found is None:
        found = comment_spans(unit.text)
        try:
            unit._help_comments = found
        except AttributeError:
            pass
    return found


# --------------------------------------------------------------------------- parameters and syntax

class _Parameter:
    def __init__(self, param: Any, node: Optional[A.ParameterAst], text: str, description: Optional[str]
                 ) -> None:
        self.name = param.name
        self.param = param
        type_name = node.type_name if node is not None else None
        self.switch = param.type == "switch" or (type_name or "").lower() in ("switch", "switchparameter")
        self.label = _type_label("switch" if self.switch else type_name)
        self.position = "named" if param.position is None else str(param.position)
        attributes = [a.name.lower() for a in node.attributes] if node is not None else []
        self.globbing = "true" if "supportswildcards" in attributes else "false"
        self.default = ""
        for attribute in node.attributes if node is not None else ():
            if attribute.name.lower() == "psdefaultvalue":
                for key, value in attribute.named:
                    if key.lower() == "help" and isinstance(value, A.StringConstant):
                        self.default = value.value
        if not self.default and node is not None and node.default is not None:
            default = node.default
            self.default = (default.value if isinstance(default, A.StringConstant)
                            else text[default.span.start:default.span.end])
        pipe = [kind for kind, on in (("ByValue", param.pipeline), ("ByPropertyName", param.by_property))
                if on]
        self.pipeline = f"true ({', '.join(pipe)})" if pipe else "false"
        self.description = description
        self.values = list(param.validate_set) if param.validate_set else _enum_names(type_name)

    def required(self, set_name: str) -> bool:
        mandatory = self.param.mandatory
        return mandatory is True or (isinstance(mandatory, tuple) and set_name in mandatory)

    def value_object(self, required: bool) -> PSObject:
        return _obj(**{"#text": self.label, "required": "true" if required else "false",
                       "variableLength": "true" if self.label.endswith("[]") else "false"})

    def item(self, set_name: str, in_syntax: bool) -> PSObject:
        required = self.required(set_name)
        value = None if self.switch and in_syntax else self.value_object(required)
        group = _obj(parameterValue=self.values) if self.values else None
        return _obj(name=self.name, required="true" if required else "false",
                    position=self.position, globbing=self.globbing, pipelineInput=self.pipeline,
                    defaultValue=self.default, description=_texts(self.description),
                    parameterValue=value, parameterValueGroup=group, type=_obj(name=self.label))

    def syntax_text(self, set_name: str) -> str:
        if self.switch:
            text = f"-{self.name}"
        else:
            value = "{" + " | ".join(self.values) + "}" if self.values else f"<{self.label}>"
            text = f"[-{self.name}] {value}" if self.position != "named" else f"-{self.name} {value}"
        return text if self.required(set_name) else f"[{text}]"


def _parameters(block: Any, text: str, comments: List[Tuple[int, int]],
                help_: Optional[CommentHelp]) -> List[_Parameter]:
    from pshell.engine.binder import script_params
    compiled = block.compiled
    if compiled.params is None:
        return []
    nodes: Dict[str, A.ParameterAst] = {}
    floors: Dict[str, int] = {}
    param_block = block.ast.param_block
    if param_block is not None:
        floor = param_block.span.start
        for node in param_block.parameters:
            nodes[node.name.lower()] = node
            floors[node.name.lower()] = floor
            floor = node.span.end
    out = []
    for param in script_params(compiled):
        key = param.name.lower()
        node = nodes.get(key)
        description = None
        if help_ is not None and key in help_.parameters:
            description = help_.parameters[key][1]
        elif node is not None and comments:
            description = parameter_comment(text, comments, node.span.start, node.span.end, floors[key])
        out.append(_Parameter(param, node, text, description))
    return out


def _syntax(name: str, params: List[_Parameter], advanced: bool) -> Tuple[List[PSObject], List[str]]:
    sets: List[str] = []
    for p in params:
        for s in p.param.sets:
            if s not in sets:
                sets.append(s)
    items, lines = [], []
    for set_name in sets or ["__AllParameterSets"]:
        members = [p for p in params if not p.param.sets or set_name in p.param.sets]
        parts = [name] + [p.syntax_text(set_name) for p in members]
        if advanced:
            parts.append("[<CommonParameters>]")
        lines.append(" ".join(parts))
        items.append(_obj(name=name, parameter=_one_or_list([p.item(set_name, True) for p in members])))
    return items, lines


# --------------------------------------------------------------------------- examples and links

def _example(number: int, content: str) -> PSObject:
    lines = content.split("\n")
    code_lines: List[str] = []
    while lines and lines[0].strip():
        code_lines.append(lines.pop(0))
    remarks = "\n".join(lines).strip("\n")
    intro = "PS > "
    if code_lines:
        match = _PROMPT.match(code_lines[0])
        if match:
            intro = match.group(1)
            code_lines[0] = code_lines[0][match.end():]
    return _obj(title=f"-------------------------- EXAMPLE {number} --------------------------",
                introduction=[_obj(Text=intro)], code="\n".join(code_lines),
                remarks=[_obj(Text=remarks)] + [_obj(Text="") for _ in range(4)])


def _link(text: str) -> PSObject:
    if _URI.match(text):
        return _obj(linkText="", uri=text)
    return _obj(linkText=text, uri="")


# --------------------------------------------------------------------------- the help object

def _build(name: str, category: str, help_: Optional[CommentHelp], params: List[_Parameter],
           advanced: bool) -> PSObject:
    syntax_items, syntax_lines = _syntax(name, params, advanced)
    synopsis = help_.synopsis if help_ is not None and help_.synopsis is not None else \
        "\n".join(syntax_lines)
    h = help_ or CommentHelp()
    syntax = HelpSyntax(_one_or_list(syntax_items), "\n".join(syntax_lines))
    obj = PSObject(type_names=(HELP_TYPE, "HelpInfo"))
    for key, value in (
            ("Name", name), ("Category", category), ("Synopsis", synopsis),
            ("Component", h.component), ("Role", h.role), ("Functionality", h.functionality),
            ("ModuleName", ""),
            ("details", _obj(name=name, description=_texts(synopsis))),
            ("description", _texts(h.description)),
            ("syntax", syntax),
            ("parameters", _obj(parameter=_one_or_list([p.item("__AllParameterSets", False)
                                                        for p in params])) if params else None),
            ("examples", _obj(example=_one_or_list([_example(i, text) for i, text
                                                    in enumerate(h.examples, 1)]))
             if h.examples else None),
            ("inputTypes", _obj(inputType=_one_or_list([_obj(type=_obj(name=t)) for t in h.inputs]))
             if h.inputs else None),
            ("returnValues", _obj(returnValue=_one_or_list([_obj(type=_obj(name=t)) for t in h.outputs]))
             if h.outputs else None),
            ("alertSet", _obj(alert=[_obj(Text=h.notes)]) if h.notes is not None else None),
            ("relatedLinks", _obj(navigationLink=_one_or_list([_link(t) for t in h.links]))
             if h.links else None)):
        obj.set(key, value)
    return obj


class HelpSyntax:
    """``syntax`` of a help object: ``syntaxItem`` (one per parameter set), shown as its lines."""

    ps_type_names = (HELP_TYPE + ".Syntax",)
    ps_properties = ("syntaxItem",)

    def __init__(self, items: Any, text: str) -> None:
        self.syntaxItem = items
        self.text = text

    def ToString(self) -> str:
        return self.text


def _external(unit: Any, help_: CommentHelp, name: str, culture: str) -> Optional[str]:
    """The synopsis a ``.EXTERNALHELP`` file (MAML XML, next to the script that defines the
    function, in a folder named after the culture or not) gives ``name``, or None."""
    source = getattr(unit, "source", "") or ""
    if not os.path.isfile(source) or not help_.external_help:
        return None
    wanted = os.path.join(os.path.dirname(os.path.abspath(source)), help_.external_help)
    folder, base = os.path.split(wanted)
    for directory in dict.fromkeys(os.path.join(folder, c) for c in (culture, "en-US", "")):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for entry in sorted(names, key=lambda n: n != base):
            if entry.lower() == base.lower():
                found = _maml_synopsis(os.path.join(directory, entry), name)
                if found is not None:
                    return found
    return None


def _maml_synopsis(path: str, name: str) -> Optional[str]:
    import xml.etree.ElementTree as ET
    try:
        if os.path.getsize(path) > 16 * 1024 * 1024:
            return None
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    for command in root.iter():
        if not command.tag.endswith("}command") or "/command/" not in command.tag:
            continue
        details = next((c for c in command if c.tag.endswith("}details")), None)
        if details is None:
            continue
        title = next((c for c in details if c.tag.endswith("}name")), None)
        if title is None or (title.text or "").strip().lower() != name.lower():
            continue
        paras = [(p.text or "").strip() for d in details if d.tag.endswith("}description")
                 for p in d if p.tag.endswith("}para")]
        return "\n".join(paras)
    return None


def help_of_function(function: Any, culture: str = "en-US") -> Tuple[PSObject, Optional[CommentHelp]]:
    """The help object of a FunctionInfo, and its comment help (None when it has none)."""
    block = function.block
    unit = block.unit
    text = unit.text
    comments = _comments(unit)
    help_ = None
    span = block.ast.span
    if comments and span.end > span.start and text.startswith("{", span.start):
        start = getattr(function, "start", None)
        help_ = function_help(text, comments, span.start if start is None else start,
                              span.start, span.end)
    if help_ is not None and help_.external_help:
        synopsis = _external(unit, help_, function.name, culture)
        if synopsis is not None:
            help_.synopsis = synopsis
    params = _parameters(block, text, comments, help_)
    category = "Filter" if getattr(function, "is_filter", False) else "Function"
    return _build(function.name, category, help_, params, bool(block.compiled.advanced)), help_


def help_of_script(path: str, text: str) -> Tuple[PSObject, Optional[CommentHelp]]:
    """The help object of the script file at ``path`` whose content is ``text``."""
    from pshell.engine.compiler import Unit
    unit = Unit.from_text(text, path)
    comments = _comments(unit)
    help_ = script_help(text, comments) if comments else None
    block = unit.script_block()
    params = _parameters(block, text, comments, help_)
    return _build(os.path.basename(path), "ExternalScript", help_, params,
                  bool(block.compiled.advanced)), help_


def matches_filter(help_: Optional[CommentHelp], field: str, patterns: List[str]) -> bool:
    """-Component/-Role/-Functionality: does the help's field match one of the wildcards?"""
    from pshell.engine.wildcards import wildcard_regex
    value = getattr(help_, field, None) if help_ is not None else None
    if value is None:
        return False
    return any(wildcard_regex(p).match(value) for p in patterns)


# --------------------------------------------------------------------------- as text

def _indent(text: str, by: str = "    ") -> List[str]:
    return [by + line if line else "" for line in text.split("\n")]


def _items(value: Any) -> List[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _render(obj: PSObject) -> str:
    out = ["", "NAME", f"    {obj.get('Name')}", "", "SYNOPSIS"] + _indent(str(obj.get("Synopsis") or ""))
    syntax = obj.get("syntax")
    if syntax is not None:
        out += ["", "", "SYNTAX"] + _indent(syntax.text)
    for item in _items(obj.get("description")):
        out += ["", "", "DESCRIPTION"] + _indent(str(item.get("Text") or ""))
    params = obj.get("parameters")
    if params is not None:
        out += ["", "", "PARAMETERS"]
        for p in _items(params.get("parameter")):
            value = p.get("parameterValue")
            label = f" <{value.get('#text')}>" if value is not None and value.get("#text") != \
                "SwitchParameter" else ""
            out.append(f"    -{p.get('name')}{label}")
            for text in _items(p.get("description")):
                out += _indent(str(text.get("Text") or ""), "        ")
            out.append("")
    links = obj.get("relatedLinks")
    if links is not None:
        out += ["", "RELATED LINKS"]
        for link in _items(links.get("navigationLink")):
            out.append("    " + (link.get("uri") or link.get("linkText") or ""))
    examples = obj.get("examples")
    if examples is not None:
        out += ["", "EXAMPLES"]
        for example in _items(examples.get("example")):
            out += ["    " + example.get("title"), ""]
            intro = example.get("introduction")[0].get("Text")
            out += _indent(intro + example.get("code"))
            remarks = example.get("remarks")[0].get("Text")
            if remarks:
                out += [""] + _indent(remarks)
            out.append("")
    alerts = obj.get("alertSet")
    if alerts is not None:
        out += ["", "NOTES"]
        for alert in _items(alerts.get("alert")):
            out += _indent(str(alert.get("Text") or ""))
    return "\n".join(out).rstrip("\n") + "\n"


def _render_syntax(obj: HelpSyntax) -> str:
    return obj.text + "\n"


register_view(HELP_TYPE, "custom", render=_render, out_of_band=True)
register_view(HELP_TYPE + ".Syntax", "custom", render=_render_syntax, out_of_band=True)
