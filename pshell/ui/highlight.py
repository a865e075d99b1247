"""Syntax highlighting for the REPL, driven by the parser's own lexer.

``pshell.lang.lex_display.tokenize_for_display(text)`` returns ``(start, end, kind)`` spans; this module
only maps kinds to prompt_toolkit style classes (named like pygments' token classes, so a pygments
palette applies) and cuts the spans into lines.  There is no second grammar here: what is coloured
as a command is what the parser will run as a command.

The palette follows PSReadLine's defaults and is written out here rather than loaded from pygments,
because importing a pygments style costs start-up time the first prompt should not pay.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Tuple

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

__all__ = ["PshellLexer", "KIND_CLASSES", "STYLE_RULES", "pshell_style", "fragments_for"]

StyleAndText = Tuple[str, str]

#: token kind -> prompt_toolkit class (pygments token naming)
KIND_CLASSES: Dict[str, str] = {
    "keyword": "class:pygments.keyword",
    "command": "class:pygments.name.function",
    "parameter": "class:pygments.name.attribute",
    "variable": "class:pygments.name.variable",
    "string": "class:pygments.literal.string",
    "number": "class:pygments.literal.number",
    "operator": "class:pygments.operator",
    "comment": "class:pygments.comment",
    "type": "class:pygments.name.class",
    "member": "class:pygments.name.property",
    "punctuation": "class:pygments.punctuation",
    "text": "",
    "error": "class:pygments.error",
}

#: PSReadLine's default colours, as prompt_toolkit style rules
STYLE_RULES: Dict[str, str] = {
    "pygments.keyword": "ansibrightgreen",
    "pygments.name.function": "ansibrightyellow",
    "pygments.name.attribute": "ansibrightblack",
    "pygments.name.variable": "ansibrightgreen",
    "pygments.literal.string": "ansicyan",
    "pygments.literal.number": "ansiwhite",
    "pygments.operator": "ansibrightblack",
    "pygments.comment": "ansigreen",
    "pygments.name.class": "ansigray",
    "pygments.name.property": "ansiwhite",
    "pygments.punctuation": "",
    "pygments.error": "ansibrightred",
    "prompt-continuation": "ansibrightblack",
}


def pshell_style() -> Style:
    return Style.from_dict(STYLE_RULES)


def _default_tokenizer() -> Callable[[str], List[Tuple[int, int, str]]]:
    try:
        from pshell.lang.lex_display import tokenize_for_display
    except ImportError:         # the lexer is not there (yet): no colours rather than no prompt
        return lambda text: []
    return tokenize_for_display


def fragments_for(text: str, spans: List[Tuple[int, int, str]]) -> List[List[StyleAndText]]:
    """Cut ``text`` into lines of (style, text) fragments; gaps between spans are plain text."""
    lines: List[List[StyleAndText]] = [[]]
    position = 0

    def emit(style: str, chunk: str) -> None:
        pieces = chunk.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                lines.append([])
            if piece:
                lines[-1].append((style, piece))

    for start, end, kind in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if end <= start:
            continue
        if start > position:
            emit("", text[position:start])
        emit(KIND_CLASSES.get(kind, ""), text[start:end])
        position = end
    if position < len(text):
        emit("", text[position:])
    return lines


class PshellLexer(Lexer):
    """A prompt_toolkit lexer over ``tokenize_for_display``; never raises on bad input."""

    def __init__(self, tokenizer: "Callable[[str], List[Tuple[int, int, str]]] | None" = None
                 ) -> None:
        self._tokenizer = tokenizer

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        text = document.text
        if not text:                # the first prompt: no need to load the lexer for it
            return lambda lineno: []
        if self._tokenizer is None:
            self._tokenizer = _default_tokenizer()
        try:
            spans = list(self._tokenizer(text))
        except Exception:       # a lexer bug must not take the prompt down
            spans = []
        lines = fragments_for(text, spans)

        def get_line(lineno: int) -> StyleAndTextTuples:
            return list(lines[lineno]) if 0 <= lineno < len(lines) else []

        return get_line
