"""Key bindings of the REPL on top of prompt_toolkit's emacs defaults (Ctrl-R history search,
Ctrl-A/E, Ctrl-K, Ctrl-L, ...).

Enter runs the input when it is a complete statement and starts a new line while a brace,
bracket, quote or here-string is still open (the parser decides: ``ParseError.incomplete``).
Alt-Enter always starts a new line.
"""

from __future__ import annotations

from typing import Callable

from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import has_focus
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.key_binding.key_processor import KeyPressEvent

__all__ = ["build_key_bindings", "input_is_incomplete"]


def input_is_incomplete(text: str) -> bool:
    """True when ``text`` ends inside an open construct, so Enter should continue the input."""
    try:
        from pshell.lang.errors import ParseError
        from pshell.lang.parser import parse
    except ImportError:
        return False
    try:
        parse(text)
    except ParseError as error:
        return bool(error.incomplete)
    except Exception:           # a parser bug: run the text and let the engine report it
        return False
    return False


def build_key_bindings(is_incomplete: Callable[[str], bool] = input_is_incomplete) -> KeyBindings:
    bindings = KeyBindings()
    editing = has_focus(DEFAULT_BUFFER)     # not while Ctrl-R searching: Enter accepts the match

    @bindings.add("enter", filter=editing)
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None:
            buffer.complete_state = None        # Enter on a menu keeps the chosen completion
        text = buffer.document.text
        if text.strip() and is_incomplete(text):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @bindings.add("escape", "enter", filter=editing)
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings
