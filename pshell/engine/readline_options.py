"""What Set-PSReadLineOption and Set-PSReadLineKeyHandler set: plain data on the host, read by the
REPL (``ui/repl.py``) before each prompt.  Kept here, not in ``ui/``, because the cmdlets run in
the engine and a script without a terminal may still set them (a profile run by ``pshell -c``).

Options pshell has no use for are accepted and kept, so that a profile written for pwsh loads
without errors; ``KEY_FUNCTIONS`` lists the editing functions the REPL can bind.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = ["ReadLineOptions", "KeyHandler", "KEY_FUNCTIONS", "parse_chord", "COLOR_TOKENS", "options_of"]

#: PSReadLine function names the REPL implements (lower-case -> spelling)
KEY_FUNCTIONS = {name.lower(): name for name in (
    "AcceptLine", "AcceptSuggestion", "AcceptNextSuggestionWord", "AddLine", "BackwardChar",
    "BackwardDeleteChar", "BackwardKillLine", "BackwardKillWord", "BackwardWord", "BeginningOfHistory",
    "BeginningOfLine", "CancelLine", "ClearScreen", "Complete", "DeleteChar", "EndOfHistory",
    "EndOfLine", "ForwardChar", "ForwardWord", "HistorySearchBackward", "HistorySearchForward",
    "KillLine", "KillWord", "MenuComplete", "NextHistory", "PossibleCompletions", "PreviousHistory",
    "ReverseSearchHistory", "ForwardSearchHistory", "TabCompleteNext", "TabCompletePrevious", "Undo",
    "Redo", "UnixWordRubout", "ViEditVisually", "Yank", "SelectAll", "ShellForwardWord",
    "ShellBackwardWord", "DeleteLine", "InsertLineAbove", "InsertLineBelow",
)}

#: the -Colors keys and the token kinds of ``ui/highlight.py`` they colour
COLOR_TOKENS = {"command": "command", "parameter": "parameter", "variable": "variable",
                "string": "string", "number": "number", "operator": "operator", "comment": "comment",
                "keyword": "keyword", "type": "type", "member": "member", "error": "error",
                "default": "", "inlineprediction": "auto-suggestion", "selection": "selected",
                "continuationprompt": "prompt-continuation", "emphasis": "", "listprediction": ""}

_KEY_NAMES = {"tab": "tab", "enter": "enter", "escape": "escape", "esc": "escape", "spacebar": "space",
              "space": "space", "backspace": "backspace", "delete": "delete", "home": "home",
              "end": "end", "pageup": "pageup", "pagedown": "pagedown", "insert": "insert",
              "uparrow": "up", "downarrow": "down", "leftarrow": "left", "rightarrow": "right"}


class KeyHandler:
    """One binding: the chord as PSReadLine spells it, the keys as prompt_toolkit names them."""

    ps_properties = ("Key", "Function", "Description")
    ps_type_names = ("Microsoft.PowerShell.KeyHandler",)

    def __init__(self, chord: str, keys: Tuple[Tuple[str, ...], ...], function: str,
                 description: str = "", vi_mode: str = "") -> None:
        self.Key = chord
        self.keys = keys
        self.Function = function
        self.Description = description
        self.vi_mode = vi_mode


class ReadLineOptions:
    """The prompt's settings; ``version`` changes on every change so the REPL re-reads them."""

    def __init__(self) -> None:
        self.options: Dict[str, Any] = {"EditMode": "Emacs", "PredictionSource": "History",
                                        "HistorySearchCursorMovesToEnd": False, "BellStyle": "Audible",
                                        "HistoryNoDuplicates": True, "ShowToolTips": True}
        self.colors: Dict[str, str] = {}
        self.handlers: List[KeyHandler] = []
        self.version = 0

    def set(self, name: str, value: Any) -> None:
        self.options[name] = value
        self.version += 1

    def get(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def set_color(self, token: str, value: str) -> None:
        self.colors[token] = value
        self.version += 1

    def bind(self, handler: KeyHandler) -> None:
        self.handlers = [h for h in self.handlers
                         if not (h.keys == handler.keys and h.vi_mode == handler.vi_mode)]
        self.handlers.append(handler)
        self.version += 1

    def unbind(self, keys: Tuple[Tuple[str, ...], ...]) -> None:
        self.handlers = [h for h in self.handlers if h.keys != keys]
        self.version += 1


def parse_chord(chord: str) -> Optional[Tuple[Tuple[str, ...], ...]]:
    """``"Ctrl+x,Ctrl+e"`` -> ``(("c-x",), ("c-e",))`` as prompt_toolkit key sequences (Alt+k is
    escape then k); None for a key it cannot name."""
    sequence: List[Tuple[str, ...]] = []
    for part in chord.split(","):
        part = part.strip()
        if not part:
            return None
        keys = _one_key(part)
        if keys is None:
            return None
        sequence.append(keys)
    return tuple(sequence) if sequence else None


def _one_key(text: str) -> Optional[Tuple[str, ...]]:
    pieces = text.split("+")
    if text.endswith("++"):                   # Ctrl++
        pieces = pieces[:-2] + ["+"]
    *modifiers, key = pieces
    mods = {m.strip().lower() for m in modifiers}
    if not mods <= {"ctrl", "alt", "shift"}:
        return None
    name = _KEY_NAMES.get(key.lower())
    if name is None:
        if len(key) == 1:
            name = key.lower() if "ctrl" in mods else key
        elif key.lower().startswith("f") and key[1:].isdigit() and 1 <= int(key[1:]) <= 24:
            name = key.lower()
        else:
            return None
    if "shift" in mods:
        if name in ("tab", "up", "down", "left", "right", "home", "end", "delete", "insert"):
            name = "s-tab" if name == "tab" else "s-" + name
        elif len(name) == 1:
            name = name.upper()
    if "ctrl" in mods:
        if len(name) == 1 and name.isalpha():
            name = "c-" + name.lower()
        elif name in ("space", "up", "down", "left", "right", "home", "end", "delete"):
            name = "c-@" if name == "space" else "c-" + name
        elif name not in ("c-" + n for n in "abcdefghijklmnopqrstuvwxyz"):
            return None
    return ("escape", name) if "alt" in mods else (name,)


def options_of(host: Any) -> ReadLineOptions:
    """The prompt settings kept on ``host`` (made on first use)."""
    options = getattr(host, "readline_options", None)
    if not isinstance(options, ReadLineOptions):
        options = ReadLineOptions()
        try:
            host.readline_options = options
        except (AttributeError, TypeError):
            pass
    return options
