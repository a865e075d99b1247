"""Set-PSReadLineOption, Set-PSReadLineKeyHandler and their Get- pairs, so that what people keep in
their pwsh profiles loads here too (``Import-Module PSReadLine`` is accepted by cmdlets/module.py:
PSReadLine is built into the prompt).
The settings are data on the host (``engine/readline_options.py``); the REPL applies them."""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, enum_type, register
from pshell.engine.readline_options import (COLOR_TOKENS, KEY_FUNCTIONS, KeyHandler, options_of,
                                            parse_chord)
from pshell.engine.values import PSObject, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

__all__: list = []

_EDIT_MODES = ("Windows", "Emacs", "Vi")
_PREDICTION = ("None", "History", "Plugin", "HistoryAndPlugin")
_BELL = ("None", "Visual", "Audible")
_VI_MODES = ("Insert", "Command")

# options accepted with their values kept but no effect on the prompt
_KEPT = ("ContinuationPrompt", "HistoryNoDuplicates", "HistorySavePath", "HistorySaveStyle",
         "MaximumHistoryCount", "MaximumKillRingCount", "ShowToolTips", "ExtraPromptLineCount",
         "DingTone", "DingDuration", "CompletionQueryItems", "WordDelimiters", "AnsiEscapeTimeout",
         "PromptText", "ViModeIndicator", "ViModeChangeHandler", "PredictionViewStyle",
         "AddToHistoryHandler", "CommandValidationHandler", "TerminateOrphanedConsoleApps")


@register
class SetPSReadLineOption(Cmdlet):
    name = "Set-PSReadLineOption"
    synopsis = "Changes how the prompt edits: edit mode, history search, predictions, colours."
    params = (
        Param("EditMode", enum_type("Microsoft.PowerShell.EditMode", _EDIT_MODES)),
        Param("PredictionSource", enum_type("Microsoft.PowerShell.PredictionSource", _PREDICTION)),
        Param("HistorySearchCursorMovesToEnd", "switch"),
        Param("BellStyle", enum_type("Microsoft.PowerShell.BellStyle", _BELL)),
        Param("Colors", "hashtable"),
    ) + tuple(Param(name, "object") for name in _KEPT)

    def end(self) -> Iterator[Any]:
        options = options_of(self.runspace.host)
        for param in self.params:
            if not self.is_bound(param.name) or param.name == "Colors":
                continue
            value = getattr(self, param.name)
            if param.is_switch:
                value = bool(value)
            options.set(param.name, value)
        if self.Colors:
            for key, value in self.Colors.items():
                token = to_str(key).lower()
                if token not in COLOR_TOKENS:
                    raise self.terminate(f"Set-PSReadLineOption: '{key}' is not a colour the prompt "
                                         f"has; use one of: {', '.join(sorted(COLOR_TOKENS))}.",
                                         "InvalidColor", "InvalidArgument", key)
                options.set_color(token, to_str(value))
        return iter(())


@register
class GetPSReadLineOption(Cmdlet):
    name = "Get-PSReadLineOption"
    synopsis = "Shows the prompt's current editing options."
    params = ()

    def end(self) -> Iterator[Any]:
        options = options_of(self.runspace.host)
        pairs = sorted(options.options.items())
        pairs += [(f"{token.capitalize()}Color", value) for token, value in sorted(options.colors.items())]
        yield PSObject.from_pairs(pairs, ["Microsoft.PowerShell.PSConsoleReadLineOptions"])


@register
class SetPSReadLineKeyHandler(Cmdlet):
    name = "Set-PSReadLineKeyHandler"
    synopsis = "Binds keys of the prompt to editing functions (MenuComplete, ViEditVisually, ...)."
    params = (
        Param("Chord", "string[]", position=0, mandatory=True, aliases=("Key",)),
        Param("Function", "string", position=1, sets=("Function",), mandatory=("Function",)),
        Param("ScriptBlock", "scriptblock", position=1, sets=("ScriptBlock",),
              mandatory=("ScriptBlock",)),
        Param("BriefDescription", "string"),
        Param("Description", "string", aliases=("LongDescription",)),
        Param("ViMode", enum_type("Microsoft.PowerShell.ViMode", _VI_MODES)),
    )

    def end(self) -> Iterator[Any]:
        options = options_of(self.runspace.host)
        if self.ScriptBlock is not None:
            self.write_warning("Set-PSReadLineKeyHandler: key handlers written as script blocks are not "
                               f"supported by pshell's prompt; {', '.join(self.Chord)} keeps its "
                               f"default.")
            return iter(())
        function = KEY_FUNCTIONS.get(to_str(self.Function).lower())
        if function is None:
            self.write_warning(f"Set-PSReadLineKeyHandler: pshell's prompt has no function "
                               f"'{self.Function}'; {', '.join(self.Chord)} keeps its default.")
            return iter(())
        for chord in self.Chord:
            keys = parse_chord(chord)
            if keys is None:
                raise self.terminate(f"Set-PSReadLineKeyHandler: cannot read the key '{chord}' "
                                     f"(write it as Tab, Ctrl+r, Alt+f, Shift+Tab, Ctrl+x,Ctrl+e, "
                                     f"UpArrow...).", "InvalidKey", "InvalidArgument", chord)
            options.bind(KeyHandler(chord, keys, function, self.Description or "",
                                    (self.ViMode or "").lower()))
        return iter(())


@register
class GetPSReadLineKeyHandler(Cmdlet):
    name = "Get-PSReadLineKeyHandler"
    synopsis = "Lists the keys bound with Set-PSReadLineKeyHandler."
    params = (Param("Chord", "string[]", position=0, aliases=("Key",)), Param("Bound", "switch"))

    def end(self) -> Iterator[Any]:
        wanted = {c.lower() for c in self.Chord or ()}
        for handler in options_of(self.runspace.host).handlers:
            if not wanted or handler.Key.lower() in wanted:
                yield handler
