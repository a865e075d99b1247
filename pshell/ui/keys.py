"""Key bindings of the REPL on top of prompt_toolkit's emacs defaults (Ctrl-R history search,
Ctrl-A/E, Ctrl-K, Ctrl-L, ...).

Enter runs the input when it is a complete statement and starts a new line while a brace,
bracket, quote or here-string is still open (the parser decides: ``ParseError.incomplete``).
Alt-Enter always starts a new line.  Enter while the completion menu has a choice selected takes
that choice and keeps editing (PSReadLine's MenuComplete).  Ctrl-X Ctrl-E (vi: v in command mode)
edits the line in $VISUAL/$EDITOR.  Set-PSReadLineKeyHandler adds ``readline_key_bindings``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import emacs_mode, has_focus, vi_navigation_mode
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.key_binding.key_processor import KeyPressEvent

__all__ = ["build_key_bindings", "input_is_incomplete", "readline_key_bindings", "edit_in_editor"]


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
            chosen = buffer.complete_state.current_completion is not None
            buffer.complete_state = None        # Enter on a menu keeps the chosen completion
            if chosen:
                return                          # ... and does not run the line yet
        text = buffer.document.text
        if text.strip() and is_incomplete(text):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @bindings.add("escape", "enter", filter=editing)
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    bindings.add("c-x", "c-e", filter=editing & emacs_mode)(edit_in_editor)
    bindings.add("v", filter=editing & vi_navigation_mode)(edit_in_editor)

    return bindings


# PSReadLine function -> prompt_toolkit's named command of the same job
_NAMED = {"AcceptLine": "accept-line", "BackwardChar": "backward-char",
          "BackwardDeleteChar": "backward-delete-char", "BackwardKillLine": "unix-line-discard",
          "BackwardKillWord": "backward-kill-word", "BackwardWord": "backward-word",
          "ShellBackwardWord": "backward-word", "BeginningOfHistory": "beginning-of-history",
          "BeginningOfLine": "beginning-of-line", "ClearScreen": "clear-screen", "DeleteChar": "delete-char",
          "EndOfHistory": "end-of-history", "EndOfLine": "end-of-line", "ForwardChar": "forward-char",
          "ForwardWord": "forward-word", "ShellForwardWord": "forward-word", "KillLine": "kill-line",
          "KillWord": "kill-word", "NextHistory": "next-history", "PreviousHistory": "previous-history",
          "ReverseSearchHistory": "reverse-search-history", "Undo": "undo",
          "UnixWordRubout": "unix-word-rubout", "Yank": "yank", "AcceptSuggestion": "forward-char",
          "TabCompletePrevious": "menu-complete-backward"}


def edit_in_editor(event: KeyPressEvent) -> None:
    """The line in $VISUAL/$EDITOR; back at the prompt with what was saved, not run yet."""
    event.current_buffer.open_in_editor(validate_and_handle=False)


def _handler_for(function: str) -> Optional[Callable[[KeyPressEvent], object]]:
    from prompt_toolkit.key_binding.bindings.named_commands import get_by_name
    if function in _NAMED:
        return get_by_name(_NAMED[function]).handler
    buffer_method = {"HistorySearchBackward": "history_backward", "HistorySearchForward": "history_forward"}
    if function in buffer_method:
        method = buffer_method[function]
        return lambda event: getattr(event.current_buffer, method)(count=event.arg)

    def menu(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state:
            buffer.complete_next()
        else:
            buffer.start_completion(select_first=True)

    def complete_common(event: KeyPressEvent) -> None:
        event.current_buffer.start_completion(insert_common_part=True)

    def add_line(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    def cancel(event: KeyPressEvent) -> None:
        event.current_buffer.reset()

    def delete_line(event: KeyPressEvent) -> None:
        event.current_buffer.reset()

    def select_all(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        buffer.cursor_position = 0
        buffer.start_selection()
        buffer.cursor_position = len(buffer.text)

    def redo(event: KeyPressEvent) -> None:
        event.current_buffer.redo()

    def above(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        buffer.cursor_position += buffer.document.get_start_of_line_position()
        buffer.insert_text("\n", move_cursor=False)

    def below(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        buffer.cursor_position += buffer.document.get_end_of_line_position()
        buffer.insert_text("\n")

    return {"MenuComplete": menu, "TabCompleteNext": menu, "Complete": complete_common,
            "PossibleCompletions": menu, "AddLine": add_line, "CancelLine": cancel,
            "DeleteLine": delete_line, "SelectAll": select_all, "Redo": redo,
            "InsertLineAbove": above, "InsertLineBelow": below, "ViEditVisually": edit_in_editor,
            "AcceptNextSuggestionWord": get_by_name("forward-word").handler,
            "ForwardSearchHistory": get_by_name("reverse-search-history").handler,
            }.get(function)


def readline_key_bindings(handlers: Iterable[Any]) -> KeyBindings:
    """Bindings from Set-PSReadLineKeyHandler (``engine/readline_options.KeyHandler``s)."""
    from prompt_toolkit.filters import vi_insert_mode, vi_navigation_mode
    bindings = KeyBindings()
    for handler in handlers:
        action = _handler_for(handler.Function)
        if action is None:
            continue
        keys = [key for chord in handler.keys for key in chord]
        mode_filter = {"insert": vi_insert_mode, "command": vi_navigation_mode}.get(handler.vi_mode)
        bindings.add(*keys, filter=has_focus(DEFAULT_BUFFER) & mode_filter if mode_filter is not None
                     else has_focus(DEFAULT_BUFFER))(action)
    return bindings
