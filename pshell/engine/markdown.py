"""Markdown to a tree of blocks and inlines: the CommonMark subset READMEs use (ATX and setext
headings, paragraphs, fenced and indented code, block quotes, lists, thematic breaks, HTML blocks,
pipe tables, link reference definitions; emphasis, strong, strikethrough, code spans, links,
images, autolinks, inline HTML, hard breaks, backslash escapes).

The parser is ours and deliberately simple: one pass over lines for blocks, one pass over the
text for inlines.  It never fails: anything it does not understand is text.  Hostile input is
bounded: block quotes and lists deeper than ``MAX_DEPTH`` are read as plain text, link text
nests at most ``MAX_DEPTH`` levels, and every step is linear or close to it in the input's size.
The renderers (HTML and VT100 text) are in ``engine/markdown_render.py``.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple

__all__ = ["Block", "Inline", "parse", "parse_inlines", "plain_text", "MAX_DEPTH"]

MAX_DEPTH = 48


class Inline:
    """One inline element.  ``kind``: text, code, emph, strong, strike, link, image, html,
    softbreak, hardbreak.  ``text`` is the literal text (text, code, html); ``children`` the
    inlines inside (emphasis, link text, image alt text); ``url``/``title`` for links and images."""

    __slots__ = ("kind", "text", "children", "url", "title")

    def __init__(self, kind: str, text: str = "", children: Optional[List["Inline"]] = None,
                 url: str = "", title: str = "") -> None:
        self.kind = kind
        self.text = text
        self.children = children if children is not None else []
        self.url = url
        self.title = title

    def __repr__(self) -> str:
        inner = self.text if not self.children else self.children
        return f"Inline({self.kind}, {inner!r})"


class Block:
    """One block.  ``kind``: heading (``level``), paragraph, code (``info``, ``text``), quote,
    list (``ordered``, ``start``, ``tight``), item, hr, html (``text``), table (``aligns``,
    ``rows``: the header row first, each a list of cells' inlines).  ``inlines`` for heading and
    paragraph; ``children`` for quote, list and item."""

    __slots__ = ("kind", "level", "inlines", "children", "text", "info", "ordered", "start",
                 "tight", "aligns", "rows")

    def __init__(self, kind: str, **fields: object) -> None:
        self.kind = kind
        self.level = 0
        self.inlines: List[Inline] = []
        self.children: List[Block] = []
        self.text = ""
        self.info = ""
        self.ordered = False
        self.start = 1
        self.tight = True
        self.aligns: List[str] = []
        self.rows: List[List[List[Inline]]] = []
        for name, value in fields.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"Block({self.kind}, {self.children or self.inlines or self.text!r})"


# --------------------------------------------------------------------------- blocks

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)(.*)$")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_HR = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST = re.compile(r"^( {0,3})([-+*]|\d{1,9}[.)])(?:([ \t]+)(.*)|$)")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_HTML_START = re.compile(r"^ {0,3}<(?:!--|/?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$))")
_REFDEF = re.compile(r"^ {0,3}\[((?:[^\]\\]|\\.){1,999})\]:[ \t]*<?(\S+?)>?"
                     r"(?:[ \t]+(\"[^\"]*\"|'[^']*'|\([^)]*\)))?[ \t]*$")
_TABLE_SEP = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


def _expand_tabs(line: str) -> str:
    return line.expandtabs(4) if "\t" in line else line


def _blank(line: str) -> bool:
    return not line.strip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Parser:
    def __init__(self) -> None:
        self.refs: Dict[str, Tuple[str, str]] = {}

    def blocks(self, lines: List[str], depth: int) -> List[Block]:
        """The blocks of ``lines`` (already without their container's prefix)."""
        out: List[Block] = []
        para: List[str] = []
        i = 0
        n = len(lines)

        def flush() -> None:
            if para:
                self._paragraph(para, out)
                para.clear()

        while i < n:
            line = lines[i]
            if _blank(line):
                flush()
                i += 1
                continue
            if para and _SETEXT.match(line):
                level = 1 if line.strip()[0] == "=" else 2
                text = "\n".join(p.strip() for p in para)
                para.clear()
                out.append(Block("heading", level=level, inlines=[Inline("raw", text)]))
                i += 1
                continue
            if not para and _indent(line) >= 4:
                i = self._indented_code(lines, i, out)
                continue
            fence = _FENCE.match(line)
            if fence and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
                flush()
                i = self._fenced(lines, i, fence, out)
                continue
            atx = _ATX.match(line)
            if atx:
                flush()
                text = _ATX_CLOSE.sub("", atx.group(2)).strip()
                out.append(Block("heading", level=len(atx.group(1)), inlines=[Inline("raw", text)]))
                i += 1
                continue
            if _HR.match(line):
                flush()
                out.append(Block("hr"))
                i += 1
                continue
            quote = _QUOTE.match(line)
            if quote:
                flush()
                i = self._quote(lines, i, out, depth)
                continue
            item = _LIST.match(line)
            if item and (not para or (item.group(4) or "").strip()) and \
                    (not para or item.group(2)[0] not in "0123456789" or item.group(2)[:-1] == "1"):
                flush()
                i = self._list(lines, i, out, depth)
                continue
            if not para and _HTML_START.match(line):
                i = self._html(lines, i, out)
                continue
            if not para and "|" in line and i + 1 < n and _TABLE_SEP.match(lines[i + 1]) \
                    and "-" in lines[i + 1]:
                i = self._table(lines, i, out)
                continue
            para.append(line)
            i += 1
        flush()
        return out

    def _paragraph(self, lines: List[str], out: List[Block]) -> None:
        while lines:                   # link reference definitions at the start of a paragraph
            ref = _REFDEF.match(lines[0])
            if not ref:
                break
            label = _normal_label(ref.group(1))
            title = ref.group(3)[1:-1] if ref.group(3) else ""
            self.refs.setdefault(label, (ref.group(2), title))
            lines = lines[1:]
        if lines:
            text = "\n".join(line.lstrip(" ") for line in lines)
            out.append(Block("paragraph", inlines=[Inline("raw", text)]))

    def _indented_code(self, lines: List[str], i: int, out: List[Block]) -> int:
        body: List[str] = []
        while i < len(lines) and (_blank(lines[i]) or _indent(lines[i]) >= 4):
            body.append(lines[i][4:] if len(lines[i]) >= 4 else "")
            i += 1
        while body and not body[-1].strip():
            body.pop()
        out.append(Block("code", text="\n".join(body) + "\n"))
        return i

    def _fenced(self, lines: List[str], i: int, fence: "re.Match[str]", out: List[Block]) -> int:
        """An unterminated fence runs to the end of its container, as CommonMark says."""
        indent, marker = len(fence.group(1)), fence.group(2)
        info = fence.group(3).strip().split(" ")[0] if fence.group(3).strip() else ""
        closing = re.compile("^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$")
        body: List[str] = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            line = lines[i]
            strip = min(indent, _indent(line))
            body.append(line[strip:])
            i += 1
        out.append(Block("code", info=_unescape(info), text="".join(b + "\n" for b in body)))
        return i + 1

    def _quote(self, lines: List[str], i: int, out: List[Block], depth: int) -> int:
        inner: List[str] = []
        while i < len(lines):
            match = _QUOTE.match(lines[i])
            if match:
                inner.append(match.group(1))
            elif inner and not _blank(lines[i]) and not _blank(inner[-1]) and \
                    not _starts_block(lines[i]):
                inner.append(lines[i])            # a lazy continuation of the quoted paragraph
            else:
                break
            i += 1
        if depth >= MAX_DEPTH:
            out.append(Block("paragraph", inlines=[Inline("raw", "\n".join(inner))]))
        else:
            out.append(Block("quote", children=self.blocks(inner, depth + 1)))
        return i

    def _list(self, lines: List[str], i: int, out: List[Block], depth: int) -> int:
        first = _LIST.match(lines[i])
        assert first is not None
        marker = first.group(2)
        ordered = marker[0].isdigit()
        kind = marker[-1]
        block = Block("list", ordered=ordered, start=int(marker[:-1]) if ordered else 1)
        saw_blank_between = False
        while i < len(lines):
            match = _LIST.match(lines[i])
            if not match or match.group(2)[-1] != kind or match.group(2)[0].isdigit() != ordered \
                    or _HR.match(lines[i]):
                break
            spaces = len(match.group(3) or " ")
            content = len(match.group(1)) + len(match.group(2)) + (spaces if spaces <= 4 else 1)
            body = [(match.group(4) or "") if spaces <= 4 else " " * (spaces - 1) + (match.group(4) or "")]
            i += 1
            while i < len(lines):
                line = lines[i]
                if _blank(line):
                    nxt = i + 1
                    while nxt < len(lines) and _blank(lines[nxt]):
                        nxt += 1
                    if nxt < len(lines) and _indent(lines[nxt]) >= content:
                        body.extend([""] * (nxt - i))
                        i = nxt
                        continue
                    break
                if _indent(line) >= content:
                    body.append(line[content:])
                elif not _blank(body[-1]) and not _starts_block(line):
                    body.append(line.lstrip(" "))     # a lazy continuation line
                else:
                    break
                i += 1
            if depth >= MAX_DEPTH:
                children = [Block("paragraph", inlines=[Inline("raw", "\n".join(body))])]
            else:
                children = self.blocks(body, depth + 1)
            if any(_blank(b) for b in body[:-1]) and len(children) > 1:
                block.tight = False
            block.children.append(Block("item", children=children))
            if i < len(lines) and _blank(lines[i]):
                nxt = i
                while nxt < len(lines) and _blank(lines[nxt]):
                    nxt += 1
                again = _LIST.match(lines[nxt]) if nxt < len(lines) else None
                if again and again.group(2)[-1] == kind:
                    saw_blank_between = True
                    i = nxt
                    continue
                break
        if saw_blank_between:
            block.tight = False
        out.append(block)
        return i

    def _html(self, lines: List[str], i: int, out: List[Block]) -> int:
        body: List[str] = []
        while i < len(lines) and not _blank(lines[i]):
            body.append(lines[i])
            i += 1
        out.append(Block("html", text="\n".join(body) + "\n"))
        return i

    def _table(self, lines: List[str], i: int, out: List[Block]) -> int:
        header = _cells(lines[i])
        aligns = []
        for cell in _cells(lines[i + 1]):
            cell = cell.strip()
            left, right = cell.startswith(":"), cell.endswith(":")
            aligns.append("center" if left and right else "right" if right else "left" if left else "")
        if len(aligns) != len(header):
            self._paragraph([lines[i]], out)
            return i + 1
        rows = [header]
        i += 2
        while i < len(lines) and not _blank(lines[i]) and "|" in lines[i] and not _starts_block(lines[i]):
            cells = _cells(lines[i])[:len(header)]
            rows.append(cells + [""] * (len(header) - len(cells)))
            i += 1
        table = Block("table", aligns=aligns)
        table.rows = [[[Inline("raw", cell.strip())] for cell in row] for row in rows]
        out.append(table)
        return i


def _cells(line: str) -> List[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells, current, k = [], [], 0
    while k < len(text):
        if text[k] == "\\" and k + 1 < len(text) and text[k + 1] == "|":
            current.append("|")
            k += 2
            continue
        if text[k] == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append(text[k])
        k += 1
    cells.append("".join(current))
    return cells


def _starts_block(line: str) -> bool:
    return bool(_ATX.match(line) or _FENCE.match(line) or _HR.match(line) or _QUOTE.match(line)
                or _LIST.match(line))


def _normal_label(label: str) -> str:
    return " ".join(label.split()).casefold()


# --------------------------------------------------------------------------- inlines

_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>")
_INLINE_HTML = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*"
                          r"(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)*"
                          r"\s*/?>|!--.*?-->)", re.S)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


class _Delim:
    """An unmatched run of ``*``, ``_`` or ``~`` in the output list, waiting for its closer."""

    __slots__ = ("char", "count", "can_open", "can_close")

    def __init__(self, char: str, count: int, can_open: bool, can_close: bool) -> None:
        self.char, self.count, self.can_open, self.can_close = char, count, can_open, can_close


def _unescape(text: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _bracket_pairs(text: str) -> Dict[int, int]:
    """Where each ``[`` closes, in one pass (escapes skipped; code spans not considered)."""
    pairs: Dict[int, int] = {}
    stack: List[int] = []
    k = 0
    while k < len(text):
        c = text[k]
        if c == "\\":
            k += 2
            continue
        if c == "[":
            stack.append(k)
        elif c == "]" and stack:
            pairs[stack.pop()] = k
        k += 1
    return pairs


class _InlineParser:
    def __init__(self, refs: Dict[str, Tuple[str, str]]) -> None:
        self.refs = refs

    def parse(self, text: str, depth: int = 0) -> List[Inline]:
        out: List[object] = []
        stack: List[int] = []          # positions in ``out`` of delimiters that may open
        pairs = _bracket_pairs(text)
        buf: List[str] = []
        k, n = 0, len(text)

        def flush() -> None:
            if buf:
                out.append(Inline("text", "".join(buf)))
                buf.clear()

        while k < n:
            c = text[k]
            if c == "\\" and k + 1 < n and text[k + 1] in _PUNCT:
                buf.append(text[k + 1])
                k += 2
            elif c == "\\" and k + 1 < n and text[k + 1] == "\n":
                flush()
                out.append(Inline("hardbreak"))
                k += 2
            elif c == "\n":
                hard = len(buf) > 0 and "".join(buf[-2:]).endswith("  ")
                while buf and buf[-1] == " ":
                    buf.pop()
                if buf and buf[-1].endswith(" "):
                    buf[-1] = buf[-1].rstrip(" ")
                flush()
                out.append(Inline("hardbreak" if hard else "softbreak"))
                k += 1
                while k < n and text[k] == " ":
                    k += 1
            elif c == "`":
                k = self._code(text, k, buf, out, flush)
            elif c in "*_~":
                run = k
                while run < n and text[run] == c:
                    run += 1
                flush()
                self._delimiter(text, k, run, out, stack)
                k = run
            elif c in "![" and (c == "[" or (k + 1 < n and text[k + 1] == "[")):
                start = k if c == "[" else k + 1
                made = self._link(text, start, pairs, depth) if start in pairs else None
                if made is None:
                    buf.append(text[k:start + 1])
                    k = start + 1
                else:
                    node, k = made
                    if c == "!":
                        node.kind = "image"
                    flush()
                    out.append(node)
            elif c == "<":
                auto = _AUTOLINK.match(text, k)
                tag = None if auto else _INLINE_HTML.match(text, k)
                if auto:
                    flush()
                    target = auto.group(1)
                    url = ("mailto:" + target) if "@" in target and ":" not in target else target
                    out.append(Inline("link", children=[Inline("text", target)], url=url))
                    k = auto.end()
                elif tag:
                    flush()
                    out.append(Inline("html", tag.group(0)))
                    k = tag.end()
                else:
                    buf.append(c)
                    k += 1
            elif c == "&":
                entity = _ENTITY.match(text, k)
                if entity:
                    import html
                    buf.append(html.unescape(entity.group(0)))
                    k = entity.end()
                else:
                    buf.append(c)
                    k += 1
            else:
                nxt = k + 1
                while nxt < n and text[nxt] not in "\\\n`*_~![<&":
                    nxt += 1
                buf.append(text[k:nxt])
                k = nxt
        flush()
        return _finish(out)

    def _code(self, text: str, k: int, buf: List[str], out: List[object], flush: "object") -> int:
        run = k
        while run < len(text) and text[run] == "`":
            run += 1
        ticks = text[k:run]
        end = text.find(ticks, run)
        while end != -1 and end + len(ticks) < len(text) and text[end + len(ticks)] == "`":
            nxt = end
            while nxt < len(text) and text[nxt] == "`":
                nxt += 1
            end = text.find(ticks, nxt)
        if end == -1:
            buf.append(ticks)
            return run
        body = text[run:end].replace("\n", " ")
        if len(body) > 2 and body[0] == " " and body[-1] == " " and body.strip(" "):
            body = body[1:-1]
        flush()  # type: ignore[operator]
        out.append(Inline("code", body))
        return end + len(ticks)

    def _delimiter(self, text: str, k: int, run: int, out: List[object], stack: List[int]) -> None:
        c = text[k]
        before = text[k - 1] if k > 0 else " "
        after = text[run] if run < len(text) else " "
        left = not after.isspace() and (after not in _PUNCT or before.isspace() or before in _PUNCT)
        right = not before.isspace() and (before not in _PUNCT or after.isspace() or after in _PUNCT)
        if c == "_":
            can_open = left and (not right or before in _PUNCT)
            can_close = right and (not left or after in _PUNCT)
        else:
            can_open, can_close = left, right
        count = run - k
        if c == "~" and count != 2:
            out.append(Inline("text", text[k:run]))
            return
        while can_close and count:
            at = next((s for s in reversed(stack[-64:]) if _opens(out[s], c)), None)
            if at is None:
                break
            opener = out[at]
            assert isinstance(opener, _Delim)
            use = 2 if c == "~" or (opener.count >= 2 and count >= 2) else 1
            kind = "strike" if c == "~" else "strong" if use == 2 else "emph"
            node = Inline(kind, children=_finish(out[at + 1:]))
            del out[at + 1:]
            while stack and stack[-1] > at:
                stack.pop()
            opener.count -= use
            count -= use
            if opener.count == 0:
                out[at] = node
                stack.pop()
            else:
                out.append(node)
        if count:
            out.append(_Delim(c, count, can_open, can_close))
            if can_open:
                stack.append(len(out) - 1)

    def _link(self, text: str, start: int, pairs: Dict[int, int], depth: int) -> Optional[Tuple[Inline, int]]:
        close = pairs[start]
        label = text[start + 1:close]
        after = close + 1
        target: Optional[Tuple[str, str, int]] = None
        if after < len(text) and text[after] == "(":
            target = _destination(text, after)
        if target is None:
            ref_label = label
            end = after
            if text.startswith("[", after) and after in pairs:
                end = pairs[after] + 1
                ref_label = text[after + 1:end - 1] or label
            if len(ref_label) > 999 or not self.refs:      # CommonMark's longest label
                return None
            ref = self.refs.get(_normal_label(ref_label))
            if ref is None:
                return None
            target = (ref[0], ref[1], end)
        url, title, end = target
        children = self.parse(label, depth + 1) if depth < MAX_DEPTH else [Inline("text", label)]
        return Inline("link", children=children, url=_unescape(url), title=_unescape(title)), end


def _destination(text: str, k: int) -> Optional[Tuple[str, str, int]]:
    """``(url "title")`` starting at the parenthesis: (url, title, index after it), or None."""
    match = re.compile(r"\([ \t\n]*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
                       r"(?:[ \t\n]+(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)))?"
                       r"[ \t\n]*\)").match(text, k)
    if not match:
        return None
    url = match.group(1)
    if url.startswith("<"):
        url = url[1:-1]
    title = match.group(2)[1:-1] if match.group(2) else ""
    return url, title, match.end()


def _opens(node: object, char: str) -> bool:
    return isinstance(node, _Delim) and node.char == char and node.can_open


def _finish(nodes: List[object]) -> List[Inline]:
    """Unmatched delimiters become text; neighbouring texts are joined."""
    out: List[Inline] = []
    texts: List[str] = []
    for node in nodes:
        if isinstance(node, _Delim):
            texts.append(node.char * node.count)
            continue
        assert isinstance(node, Inline)
        if node.kind == "text":
            texts.append(node.text)
            continue
        joined = "".join(texts)
        if joined:
            out.append(Inline("text", joined))
        texts = []
        out.append(node)
    if texts and "".join(texts):
        out.append(Inline("text", "".join(texts)))
    return out


# --------------------------------------------------------------------------- entry points

def parse(text: str) -> List[Block]:
    """The blocks of a Markdown text, their inlines parsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    parser = _Parser()
    lines = [_expand_tabs(line) for line in text.split("\n")]
    blocks = parser.blocks(lines, 0)
    inline = _InlineParser(parser.refs)
    _parse_inlines(blocks, inline)
    return blocks


def _parse_inlines(blocks: List[Block], inline: _InlineParser) -> None:
    todo = list(blocks)
    while todo:                                # a work list: nesting never deepens the stack
        block = todo.pop()
        if block.inlines and block.inlines[0].kind == "raw":
            block.inlines = inline.parse(block.inlines[0].text)
        for row in block.rows:
            for index, cell in enumerate(row):
                row[index] = inline.parse(cell[0].text) if cell and cell[0].kind == "raw" else cell
        todo.extend(block.children)


def parse_inlines(text: str) -> List[Inline]:
    return _InlineParser({}).parse(text)


def plain_text(inlines: List[Inline]) -> str:
    """The text a reader sees (images by their alt text, breaks as spaces or newlines)."""
    parts: List[str] = []
    todo: List[object] = list(reversed(inlines))
    while todo:
        node = todo.pop()
        assert isinstance(node, Inline)
        if node.kind in ("text", "code"):
            parts.append(node.text)
        elif node.kind == "softbreak":
            parts.append(" ")
        elif node.kind == "hardbreak":
            parts.append("\n")
        else:
            todo.extend(reversed(node.children))
    return "".join(parts)
