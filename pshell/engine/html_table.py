"""ConvertTo-Html's lines: an XHTML page (or a fragment) holding objects as a table, one row per
object, or as lists, one two-column table per object.  Every value is HTML-encoded; a collection
shows as its type name, as a table cell cannot hold several values."""

from __future__ import annotations

import html

from pshell.engine.values import to_str, type_names_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

__all__ = ["Column", "HtmlPage", "cell_text", "META_NAMES", "HTTP_EQUIV_NAMES"]

STRICT = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"  '
          '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">')
TRANSITIONAL = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"  '
                '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')

META_NAMES = ("application-name", "author", "description", "generator", "keywords", "viewport")
HTTP_EQUIV_NAMES = ("content-type", "default-style", "refresh", "x-ua-compatible")


def encode(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def cell_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return type_names_of(value)[0]
    return encode(to_str(value))


class Column:
    """One column: its heading and how its ``<col/>`` is sized and aligned."""

    __slots__ = ("heading", "width", "align")

    def __init__(self, heading: str, width: Optional[str] = None, align: Optional[str] = None):
        self.heading = heading
        self.width = width
        self.align = align

    def col(self) -> str:
        attrs = ""
        if self.width:
            attrs += f' width="{encode(self.width)}"'
        if self.align:
            attrs += f' align="{encode(self.align.lower())}"'
        return f"<col{attrs}/>"


class HtmlPage:
    """The page around the tables; ``meta`` pairs are (name, content) already checked."""

    def __init__(self, title: str = "HTML TABLE", head: Sequence[str] = (), body: Sequence[str] = (),
                 css: Sequence[str] = (), charset: str = "", meta: Sequence[Tuple[str, str]] = (),
                 transitional: bool = False, pre: Sequence[str] = (), post: Sequence[str] = (),
                 fragment: bool = False) -> None:
        self.title, self.head, self.body, self.css = title, list(head), list(body), list(css)
        self.charset, self.meta, self.transitional = charset, list(meta), transitional
        self.pre, self.post, self.fragment = list(pre), list(post), fragment

    def opening(self) -> Iterator[str]:
        if not self.fragment:
            yield TRANSITIONAL if self.transitional else STRICT
            yield '<html xmlns="http://www.w3.org/1999/xhtml">'
            yield "<head>"
            if self.charset:
                yield f'<meta charset="{encode(self.charset.upper())}">'
            for name, content in self.meta:
                kind = "http-equiv" if name.lower() in HTTP_EQUIV_NAMES else "name"
                yield f'<meta {kind}="{encode(name)}" content="{encode(content)}">'
            if self.head:
                yield from self.head
            else:
                yield f"<title>{encode(self.title)}</title>"
            for uri in self.css:
                yield f'<link rel="stylesheet" type="text/css" href="{encode(uri)}" />'
            yield "</head><body>"
            yield from self.body
        yield from self.pre

    def closing(self) -> Iterator[str]:
        yield from self.post
        if not self.fragment:
            yield "</body></html>"


def table_lines(columns: List[Column], rows: List[List[Any]]) -> Iterator[str]:
    yield "<table>"
    if columns:
        yield "<colgroup>" + "".join(c.col() for c in columns) + "</colgroup>"
        yield "<tr>" + "".join(f"<th>{encode(c.heading)}</th>" for c in columns) + "</tr>"
    for row in rows:
        yield "<tr>" + "".join(f"<td>{cell_text(v)}</td>" for v in row) + "</tr>"
    yield "</table>"


def list_lines(columns: List[Column], row: List[Any]) -> Iterator[str]:
    yield "<table>"
    for column, value in zip(columns, row):
        yield f"<tr><td>{encode(column.heading)}:</td><td>{cell_text(value)}</td></tr>"
    yield "</table>"


def check_meta(meta: Dict[Any, Any]) -> Tuple[List[Tuple[str, str]], List[str]]:
    """The meta pairs, and the names that are neither standard names nor http-equiv ones."""
    pairs = [(to_str(k), to_str(v)) for k, v in meta.items()]
    unknown = [name for name, _ in pairs
               if name.lower() not in META_NAMES and name.lower() not in HTTP_EQUIV_NAMES]
    return pairs, unknown
