"""Markdown rendered two ways: HTML (the shape ConvertFrom-Markdown's ``Html`` has in PowerShell)
and VT100 text for a terminal (``VT100EncodedString``), coloured by the session's
``PSMarkdownOptionInfo`` (Get-/Set-MarkdownOption).

The VT100 text is meant for a terminal, so the document's own control characters (an ESC in a
README could move the cursor, retitle the window or worse) are shown as the Unicode control
pictures (U+2400 and on) instead of being passed through; only the option colours are escapes.
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata

from pshell.engine.markdown import Block, Inline, parse, plain_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

__all__ = ["PSMarkdownOptionInfo", "MarkdownInfo", "convert", "to_html", "to_vt100",
           "options_of", "set_options", "OPTION_NAMES"]

ESC = "\x1b"
_SGR = re.compile(r"^\[?[0-9;]*m$")
OPTION_NAMES = ("Header1", "Header2", "Header3", "Header4", "Header5", "Header6", "Code", "Link",
                "Image", "EmphasisBold", "EmphasisItalics")
_DARK = {"Header1": "[7m", "Header2": "[4;93m", "Header3": "[4;94m", "Header4": "[4;95m",
         "Header5": "[4;96m", "Header6": "[4;97m"}
_LIGHT = {"Header1": "[7m", "Header2": "[4;33m", "Header3": "[4;34m", "Header4": "[4;35m",
          "Header5": "[4;36m", "Header6": "[4;30m"}
# macOS's Terminal has no 24-bit colours: PowerShell picks a 16-colour code background there
_CODE = "[107;95m" if sys.platform == "darwin" else "[48;2;155;155;155;38;2;30;30;30m"
_COMMON = {"Code": _CODE, "Link": "[4;38;5;117m", "Image": "[33m", "EmphasisBold": "[1m",
           "EmphasisItalics": "[36m"}


class PSMarkdownOptionInfo:
    """The colours of rendered Markdown: each an SGR sequence without its ESC (``[4;93m``)."""

    ps_type_names = ("Microsoft.PowerShell.MarkdownRender.PSMarkdownOptionInfo", "System.Object")
    ps_properties = OPTION_NAMES + ("EnableVT100Encoding",)

    def __init__(self) -> None:
        self.EnableVT100Encoding = True
        self.SetDarkTheme()
        for name, value in _COMMON.items():
            setattr(self, name, value)

    def SetDarkTheme(self) -> None:
        for name, value in _DARK.items():
            setattr(self, name, value)

    def SetLightTheme(self) -> None:
        for name, value in _LIGHT.items():
            setattr(self, name, value)

    def AsEscapeSequence(self, name: Any) -> str:
        """The option's own text drawn in its colour (what the default view shows)."""
        key = _option_name(name)
        value = getattr(self, key)
        return f"{ESC}{value}{value}{ESC}[0m"

    def copy(self) -> "PSMarkdownOptionInfo":
        made = PSMarkdownOptionInfo()
        for name in self.ps_properties:
            setattr(made, name, getattr(self, name))
        return made


def _option_name(name: Any) -> str:
    text = str(name)
    for known in OPTION_NAMES:
        if known.lower() == text.lower():
            return known
    raise ValueError(f"'{text}' is not a Markdown option; the options are {', '.join(OPTION_NAMES)}")


class MarkdownInfo:
    """What ConvertFrom-Markdown returns: the HTML, the VT100 text (with -AsVT100EncodedString)
    and the parsed document (``Tokens``: pshell's blocks, not Markdig's objects)."""

    ps_type_names = ("Microsoft.PowerShell.MarkdownRender.MarkdownInfo", "System.Object")
    ps_properties = ("Html", "VT100EncodedString", "Tokens")

    def __init__(self, html_text: Optional[str] = None, vt100: Optional[str] = None,
                 tokens: Optional[List[Block]] = None) -> None:
        self.Html = html_text
        self.VT100EncodedString = vt100
        self.Tokens = tokens


def options_of(rs: Any) -> PSMarkdownOptionInfo:
    """The runspace's options (made with the defaults the first time); the object itself, so
    changing a property of what Get-MarkdownOption returned changes the session's options."""
    found = getattr(rs, "markdown_options", None)
    if not isinstance(found, PSMarkdownOptionInfo):
        found = PSMarkdownOptionInfo()
        rs.markdown_options = found
    return found


def set_options(rs: Any, options: PSMarkdownOptionInfo) -> None:
    rs.markdown_options = options


def convert(text: str, vt100: bool, options: PSMarkdownOptionInfo, colour: bool) -> MarkdownInfo:
    """``colour``: whether the VT100 text may hold escapes at all (the host can show them)."""
    blocks = parse(text)
    if vt100:
        return MarkdownInfo(None, to_vt100(blocks, options, colour and options.EnableVT100Encoding),
                            blocks)
    return MarkdownInfo(to_html(blocks), None, blocks)


# --------------------------------------------------------------------------- HTML

def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _url(url: str) -> str:
    """Percent-encode what may not stand in a URL (spaces, non-ASCII), then escape for HTML."""
    from urllib.parse import quote
    return _attr(quote(url, safe="%;/?:@&=+$,-_.!~*'()#[]"))


class _Html:
    def __init__(self) -> None:
        self.ids: Dict[str, int] = {}
        self.out: List[str] = []

    def blocks(self, blocks: List[Block], tight: bool = False) -> None:
        todo: List[Any] = list(reversed(blocks))
        while todo:                 # a work list: a deeply nested document never deepens the stack
            item = todo.pop()
            if isinstance(item, str):
                self.out.append(item)
                continue
            block, in_tight = item if isinstance(item, tuple) else (item, tight)
            self._block(block, in_tight, todo)

    def _block(self, block: Block, tight: bool, todo: List[Any]) -> None:
        kind = block.kind
        if kind == "heading":
            ident = self._identifier(plain_text(block.inlines))
            level = block.level
            self.out.append(f'<h{level} id="{ident}">{self.inlines(block.inlines)}</h{level}>\n')
        elif kind == "paragraph":
            body = self.inlines(block.inlines)
            self.out.append(body if tight else f"<p>{body}</p>\n")
        elif kind == "code":
            lang = f' class="language-{_attr(block.info)}"' if block.info else ""
            self.out.append(f"<pre><code{lang}>{html.escape(block.text, quote=False)}</code></pre>\n")
        elif kind == "hr":
            self.out.append("<hr />\n")
        elif kind == "html":
            self.out.append(block.text)
        elif kind == "quote":
            todo.append("</blockquote>\n")
            todo.extend((child, False) for child in reversed(block.children))
            self.out.append("<blockquote>\n")
        elif kind == "list":
            tag = "ol" if block.ordered else "ul"
            start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
            todo.append(f"</{tag}>\n")
            for item in reversed(block.children):
                todo.append("</li>\n")
                last = len(item.children) - 1
                for index in range(last, -1, -1):
                    child = item.children[index]
                    if block.tight and child.kind == "paragraph" and index < last:
                        todo.append("\n")          # a tight item's text, then its nested block
                    todo.append((child, block.tight))
                todo.append("<li>" if block.tight else "<li>\n")
            self.out.append(f"<{tag}{start}>\n")
        elif kind == "table":
            self._table(block)

    def _table(self, block: Block) -> None:
        out = self.out
        out.append("<table>\n<thead>\n")
        for index, row in enumerate(block.rows):
            if index == 1:
                out.append("<tbody>\n")
            cell_tag = "th" if index == 0 else "td"
            out.append("<tr>\n")
            for align, cell in zip(block.aligns, row):
                style = f' style="text-align: {align};"' if align else ""
                out.append(f"<{cell_tag}{style}>{self.inlines(cell)}</{cell_tag}>\n")
            out.append("</tr>\n")
            if index == 0:
                out.append("</thead>\n")
        if len(block.rows) > 1:
            out.append("</tbody>\n")
        out.append("</table>\n")

    def _identifier(self, text: str) -> str:
        """A heading's id, GitHub-like: lower-case ASCII letters and digits, runs of spaces and
        separators as one '-', other punctuation dropped, leading non-letters dropped; a repeat
        gets '-1', '-2', ..."""
        folded = unicodedata.normalize("NFKD", text)
        chars: List[str] = []
        for c in folded.lower():
            if c.isascii() and c.isalnum():
                if c.isalpha() or chars:
                    chars.append(c)
            elif c in " -_." and chars and chars[-1] != "-":
                chars.append("-" if c == " " else c)
        ident = "".join(chars).strip("-") or "section"
        seen = self.ids.get(ident)
        self.ids[ident] = 0 if seen is None else seen + 1
        return ident if seen is None else f"{ident}-{seen + 1}"

    def inlines(self, inlines: List[Inline]) -> str:
        """A work list, not recursion: emphasis may nest as deep as the text is long."""
        parts: List[str] = []
        todo: List[Any] = list(reversed(inlines))
        while todo:
            node = todo.pop()
            if isinstance(node, str):
                parts.append(node)
                continue
            kind = node.kind
            if kind == "text":
                parts.append(html.escape(node.text, quote=False))
            elif kind == "code":
                parts.append(f"<code>{html.escape(node.text, quote=False)}</code>")
            elif kind in ("emph", "strong", "strike", "link"):
                if kind == "link":
                    title = f' title="{_attr(node.title)}"' if node.title else ""
                    opening, closing = f'<a href="{_url(node.url)}"{title}>', "</a>"
                else:
                    tag = {"emph": "em", "strong": "strong", "strike": "del"}[kind]
                    opening, closing = f"<{tag}>", f"</{tag}>"
                parts.append(opening)
                todo.append(closing)
                todo.extend(reversed(node.children))
            elif kind == "image":
                title = f' title="{_attr(node.title)}"' if node.title else ""
                parts.append(f'<img src="{_url(node.url)}" alt="{_attr(plain_text(node.children))}"'
                             f'{title} />')
            elif kind == "html":
                parts.append(node.text)
            elif kind == "softbreak":
                parts.append("\n")
            elif kind == "hardbreak":
                parts.append("<br />\n")
        return "".join(parts)


def to_html(blocks: List[Block]) -> str:
    writer = _Html()
    writer.blocks(blocks)
    return "".join(writer.out)


# --------------------------------------------------------------------------- VT100

_PICTURES = {i: chr(0x2400 + i) for i in range(32) if i not in (9, 10)}
_PICTURES[127] = "\u2421"
_PICTURES.update({i: "\ufffd" for i in range(0x80, 0xA0)})


def visible(text: str) -> str:
    """Control characters as their pictures (tab and newline kept)."""
    return text.translate(_PICTURES)


class _Vt100:
    def __init__(self, options: PSMarkdownOptionInfo, colour: bool) -> None:
        self.options = options
        self.colour = colour

    def paint(self, option: str, text: str, fill: bool = False) -> str:
        value = str(getattr(self.options, option, ""))
        if not self.colour or not _SGR.match(value):     # a colour set by hand to anything else
            return text                                  # is not written to the terminal
        return f"{ESC}{value}{text}{ESC + '[500@' if fill else ''}{ESC}[0m"

    def blocks(self, blocks: List[Block]) -> str:
        """Nesting is at most MAX_DEPTH deep (the parser's bound), so recursion is safe here."""
        return "".join(self._block(block) for block in blocks)

    def _block(self, block: Block) -> str:
        if block.kind == "quote":
            inner = self.blocks(block.children).rstrip("\n")
            return "\n".join("> " + line if line else ">" for line in inner.split("\n")) + "\n\n"
        if block.kind == "list":
            items = []
            for number, item in enumerate(block.children, block.start):
                bullet = f"{number}. " if block.ordered else "- "
                inner = self.blocks(item.children).rstrip("\n")
                if block.tight:
                    inner = "\n".join(line for line in inner.split("\n") if line)
                lines = inner.split("\n")
                pad = " " * len(bullet)
                items.append("\n".join([bullet + lines[0]] + [pad + line if line else ""
                                                               for line in lines[1:]]))
            return ("\n" if block.tight else "\n\n").join(items) + "\n\n"
        return self._render_leaf(block)

    def _render_leaf(self, block: Block) -> str:
        kind = block.kind
        if kind == "heading":
            text = visible(plain_text(block.inlines))
            return (self.paint(f"Header{block.level}", text) if text else "") + "\n\n"
        if kind == "paragraph":
            body = self.inlines(block.inlines)
            # a paragraph ending in plain text gets one more line end than one ending in a span
            # (bold, link, ...): the spacing PowerShell's renderer gives, kept for its scripts
            ends_in_text = bool(block.inlines) and block.inlines[-1].kind == "text"
            return body + ("\n\n" if ends_in_text else "\n")
        if kind == "code":
            lines = block.text.split("\n")[:-1]
            if not lines:
                return "\n"
            return "\n".join(self.paint("Code", visible(line), fill=True) for line in lines) + "\n\n"
        if kind == "hr":
            return "-" * 40 + "\n\n"
        if kind == "html":
            return visible(block.text) + "\n"
        if kind == "table":
            return self._table(block)
        return ""

    def _table(self, block: Block) -> str:
        rows = [[visible(plain_text(cell)) for cell in row] for row in block.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(len(block.aligns))]
        lines = []
        for index, row in enumerate(rows):
            cells = []
            for i, cell in enumerate(row):
                align = block.aligns[i]
                cells.append(cell.rjust(widths[i]) if align == "right" else
                             cell.center(widths[i]) if align == "center" else cell.ljust(widths[i]))
            lines.append(" | ".join(cells).rstrip())
            if index == 0:
                lines.append("-+-".join("-" * w for w in widths))
        return "\n".join(lines) + "\n\n"

    def inlines(self, inlines: List[Inline]) -> str:
        parts: List[str] = []
        for node in inlines:
            kind = node.kind
            if kind == "text":
                parts.append(visible(node.text))
            elif kind == "code":
                parts.append(self.paint("Code", visible(node.text)))
            elif kind in ("emph", "strong"):
                option = "EmphasisBold" if kind == "strong" else "EmphasisItalics"
                parts.append(self.paint(option, visible(plain_text(node.children))))
            elif kind == "strike":
                parts.append(visible(plain_text(node.children)))
            elif kind == "link":
                parts.append(self.paint("Link", '"' + visible(plain_text(node.children)) + '"'))
            elif kind == "image":
                alt = visible(plain_text(node.children)) or "Image"
                parts.append(self.paint("Image", f"[{alt}]"))
            elif kind == "html":
                parts.append(visible(node.text))
            elif kind in ("softbreak", "hardbreak"):
                parts.append("\n")
        return "".join(parts)


def to_vt100(blocks: List[Block], options: PSMarkdownOptionInfo, colour: bool) -> str:
    return _Vt100(options, colour).blocks(blocks)
