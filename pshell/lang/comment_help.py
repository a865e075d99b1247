"""Comment-based help: which comments of a source text are the help of a function or a script, and
what their ``.KEYWORD`` sections say.

A help comment is one ``<# ... #>`` comment or a run of ``#`` line comments on consecutive lines
(a blank line ends the run), holding at least one known keyword line (``.SYNOPSIS``,
``.PARAMETER Name``, ...).  A function's help is looked for, in this order: the comment that ends
at most one blank line before ``function``; the first help comment at the start of its body; the
last one at its end.  A script's help is the first help comment before its first statement (unless
that comment belongs to a function written right after it), else the last one after its last
statement.  Parameter help may also sit right before a parameter, or inside its declaration.

Everything here works on offsets into the text the parser was given; the comments come from the
lexer (``comment_spans``), so a ``#`` inside a string is never taken for a comment.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

__all__ = ["CommentHelp", "comment_spans", "function_help", "script_help", "parameter_comment",
           "parse_help", "KEYWORDS"]

KEYWORDS = ("SYNOPSIS", "DESCRIPTION", "PARAMETER", "EXAMPLE", "INPUTS", "OUTPUTS", "NOTES", "LINK",
            "COMPONENT", "ROLE", "FUNCTIONALITY", "FORWARDHELPTARGETNAME", "FORWARDHELPCATEGORY",
            "REMOTEHELPRUNSPACE", "EXTERNALHELP")
_KEYWORD_LINE = re.compile(r"^\s*\.([A-Za-z]+)(?:[ \t]+(.*?))?\s*$")
_FUNCTION_START = re.compile(r"(?i)(?:function|filter|workflow)(?=\s)")

Span = Tuple[int, int]


class CommentHelp:
    """The sections of one help comment.  Single sections hold the text (``''`` when the keyword
    is there with nothing under it, ``None`` when absent); repeatable ones are lists."""

    def __init__(self) -> None:
        self.synopsis: Optional[str] = None
        self.description: Optional[str] = None
        self.parameters: Dict[str, Tuple[str, str]] = {}    # lower-cased name -> (name, text)
        self.examples: List[str] = []
        self.inputs: List[str] = []
        self.outputs: List[str] = []
        self.notes: Optional[str] = None
        self.links: List[str] = []
        self.component: Optional[str] = None
        self.role: Optional[str] = None
        self.functionality: Optional[str] = None
        self.forward_name: Optional[str] = None
        self.forward_category: Optional[str] = None
        self.remote_runspace: Optional[str] = None
        self.external_help: Optional[str] = None


def comment_spans(text: str) -> List[Span]:
    """The comments of ``text`` as (start, end) offsets, in order ([] when it does not parse)."""
    from pshell.lang.errors import ParseError
    from pshell.lang.parser import Parser
    parser = Parser(text, "<help>")
    try:
        parser.parse_script()
    except ParseError:
        return []
    return sorted(parser.lx.comments.items())


# --------------------------------------------------------------------------- finding the comment

def _newlines(text: str, start: int, end: int) -> Optional[int]:
    """How many newlines ``text[start:end]`` holds, or None when it holds anything but blanks."""
    gap = text[start:end]
    if gap.strip():
        return None
    return gap.count("\n")


def _alone_on_line(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip()


def _blocks(text: str, comments: List[Span]) -> List[List[Span]]:
    """Group comments into candidate help comments: each ``<# #>`` alone, line comments that
    stand alone on consecutive lines together."""
    blocks: List[List[Span]] = []
    for span in comments:
        is_line = text.startswith("#", span[0])
        if is_line and not _alone_on_line(text, span[0]):
            blocks.append([span])
            continue
        if blocks and is_line:
            last = blocks[-1][-1]
            if text.startswith("#", last[0]) and _alone_on_line(text, last[0]) \
                    and _newlines(text, last[1], span[0]) == 1:
                blocks[-1].append(span)
                continue
        blocks.append([span])
    return blocks


def _block_lines(text: str, block: List[Span]) -> List[str]:
    if text.startswith("<#", block[0][0]):
        start, end = block[0]
        return text[start + 2:end - 2].replace("\r\n", "\n").split("\n")
    return [text[start:end].lstrip("#").rstrip("\r") for start, end in block]


def _in(comments: List[Span], start: int, end: int) -> List[Span]:
    return [c for c in comments if c[0] >= start and c[1] <= end]


def _skip_forward(text: str, pos: int, end: int, starts: Dict[int, int]) -> int:
    while pos < end:
        if text[pos].isspace():
            pos += 1
        elif pos in starts:
            pos = starts[pos]
        else:
            break
    return pos


def _skip_backward(text: str, pos: int, start: int, ends: Dict[int, int]) -> int:
    while pos > start:
        if text[pos - 1].isspace():
            pos -= 1
        elif pos in ends:
            pos = ends[pos]
        else:
            break
    return pos


def _first_help(text: str, blocks: List[List[Span]]) -> Optional[CommentHelp]:
    for block in blocks:
        found = parse_help(_block_lines(text, block))
        if found is not None:
            return found
    return None


def function_help(text: str, comments: List[Span], start: int, body_start: int,
                  body_end: int) -> Optional[CommentHelp]:
    """The help of the function whose keyword is at ``start`` and whose ``{...}`` body spans
    ``body_start:body_end`` (braces included)."""
    before = [c for c in comments if c[1] <= start]
    if before:
        blocks = _blocks(text, before)
        last = blocks[-1]
        lines = _newlines(text, last[-1][1], start)
        if lines is not None and lines <= 2:
            found = parse_help(_block_lines(text, last))
            if found is not None:
                return found
    inner = _in(comments, body_start + 1, body_end - 1)
    if not inner:
        return None
    starts = dict(inner)
    ends = {e: s for s, e in inner}
    first_code = _skip_forward(text, body_start + 1, body_end - 1, starts)
    found = _first_help(text, _blocks(text, [c for c in inner if c[1] <= first_code]))
    if found is not None:
        return found
    last_code = _skip_backward(text, body_end - 1, body_start + 1, ends)
    if last_code == body_start + 1:
        return None                     # only comments: already looked at
    tail = _blocks(text, [c for c in inner if c[0] >= last_code])
    return _first_help(text, list(reversed(tail)))


def script_help(text: str, comments: List[Span]) -> Optional[CommentHelp]:
    """The help of a whole script file."""
    if not comments:
        return None
    starts = dict(comments)
    ends = {e: s for s, e in comments}
    first_code = _skip_forward(text, 0, len(text), starts)
    head = _blocks(text, [c for c in comments if c[1] <= first_code])
    if head and first_code < len(text) and _FUNCTION_START.match(text, first_code):
        gap = _newlines(text, head[-1][-1][1], first_code)
        if gap is not None and gap <= 2:
            head = head[:-1]            # that one is the function's help
    found = _first_help(text, head)
    if found is not None or first_code >= len(text):
        return found
    last_code = _skip_backward(text, len(text), 0, ends)
    tail = _blocks(text, [c for c in comments if c[0] >= last_code])
    return _first_help(text, list(reversed(tail)))


def parameter_comment(text: str, comments: List[Span], start: int, end: int,
                      floor: int) -> Optional[str]:
    """The help written for the parameter declared at ``start:end``: the comments right before it
    (back to code or ``floor``; a blank line ends them once one is found) and those inside its
    declaration."""
    ends = {e: s for s, e in comments if s >= floor}
    pieces: List[Span] = []
    pos = start
    while pos > floor:
        back = pos
        while back > floor and text[back - 1] in " \t\r\n":
            back -= 1
        if (pieces and text[back:pos].count("\n") > 1) or back not in ends:
            break
        pieces.insert(0, (ends[back], back))
        pos = ends[back]
    pieces += _in(comments, start, end)
    texts = []
    for s, e in pieces:
        body = text[s + 2:e - 2] if text.startswith("<#", s) else text[s:e].lstrip("#")
        if body.strip():
            texts.append(body.strip())
    return "\n".join(texts) if texts else None


# --------------------------------------------------------------------------- reading the sections

def _section_text(lines: List[str]) -> str:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    indents = [len(line) - len(line.lstrip()) for line in lines if line]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines)


def parse_help(lines: List[str]) -> Optional[CommentHelp]:
    """The sections of a help comment's lines (comment markers removed), or None when no line
    is a help keyword."""
    sections: List[Tuple[str, str, List[str]]] = []
    for line in lines:
        match = _KEYWORD_LINE.match(line)
        if match and match.group(1).upper() in KEYWORDS:
            sections.append((match.group(1).upper(), match.group(2) or "", []))
        elif sections:
            sections[-1][2].append(line)
    if not sections:
        return None
    help_ = CommentHelp()
    for keyword, argument, body in sections:
        if keyword in ("PARAMETER", "FORWARDHELPTARGETNAME", "FORWARDHELPCATEGORY",
                       "REMOTEHELPRUNSPACE", "EXTERNALHELP"):
            if not argument:
                return None             # these keywords need their argument
            if keyword == "PARAMETER":
                help_.parameters[argument.lower()] = (argument, _section_text(body))
            elif keyword == "FORWARDHELPTARGETNAME":
                help_.forward_name = argument
            elif keyword == "FORWARDHELPCATEGORY":
                help_.forward_category = argument
            elif keyword == "REMOTEHELPRUNSPACE":
                help_.remote_runspace = argument
            else:
                help_.external_help = argument
            continue
        content = _section_text(([argument] if argument else []) + body)
        if keyword == "EXAMPLE":
            help_.examples.append(content)
        elif keyword == "INPUTS":
            help_.inputs.append(content)
        elif keyword == "OUTPUTS":
            help_.outputs.append(content)
        elif keyword == "LINK":
            help_.links.append(content)
        else:
            attr = keyword.lower()
            if getattr(help_, attr) is None:            # the first one counts
                setattr(help_, attr, content)
    return help_
