"""``$PSStyle``: ANSI escape sequences by name, and OutputRendering (Host, PlainText or Ansi,
checked when set). pshell's formatted output has colour only on a terminal, so what a script
captures is plain text whatever OutputRendering says; PlainText also takes the escape sequences
out of the strings the runspace's host writes (``"$($PSStyle.Foreground.Red)x"`` shows ``x``)."""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Tuple

__all__ = ["PSStyle"]

_ESC = "\x1b["
_COLOURS: Tuple[Tuple[str, int], ...] = (
    ("Black", 30), ("Red", 31), ("Green", 32), ("Yellow", 33), ("Blue", 34), ("Magenta", 35),
    ("Cyan", 36), ("White", 37), ("BrightBlack", 90), ("BrightRed", 91), ("BrightGreen", 92),
    ("BrightYellow", 93), ("BrightBlue", 94), ("BrightMagenta", 95), ("BrightCyan", 96),
    ("BrightWhite", 97),
)
_RENDERINGS = ("Host", "PlainText", "Ansi")


class _Palette:
    """Foreground or Background: one escape sequence per colour name, and FromRgb."""

    def __init__(self, offset: int, type_name: str) -> None:
        self._offset = offset
        self.ps_type_names = (type_name,)
        for name, code in _COLOURS:
            setattr(self, name, f"{_ESC}{code + offset}m")
        self.ps_properties = tuple(name for name, _ in _COLOURS)

    def FromRgb(self, red: Any, green: Any = None, blue: Any = None) -> str:
        if green is None:
            value = int(red)
            red, green, blue = value >> 16 & 255, value >> 8 & 255, value & 255
        return f"{_ESC}{38 + self._offset};2;{int(red)};{int(green)};{int(blue)}m"


class _Formatting:
    ps_type_names = ("System.Management.Automation.PSStyle+FormattingData",)
    ps_properties = ("FormatAccent", "ErrorAccent", "Error", "Warning", "Verbose", "Debug",
                     "TableHeader", "CustomTableHeaderLabel", "FeedbackName", "FeedbackText",
                     "FeedbackAction")

    def __init__(self) -> None:
        self.FormatAccent = f"{_ESC}32;1m"
        self.ErrorAccent = f"{_ESC}36;1m"
        self.Error = f"{_ESC}31;1m"
        self.Warning = f"{_ESC}33;1m"
        self.Verbose = f"{_ESC}33;1m"
        self.Debug = f"{_ESC}33;1m"
        self.TableHeader = f"{_ESC}32;1m"
        self.CustomTableHeaderLabel = f"{_ESC}32;1;3m"
        self.FeedbackName = f"{_ESC}33m"
        self.FeedbackText = f"{_ESC}96m"
        self.FeedbackAction = f"{_ESC}97m"


class _FileInfo:
    ps_type_names = ("System.Management.Automation.PSStyle+FileInfoFormatting",)
    ps_properties = ("Directory", "SymbolicLink", "Executable", "Extension")

    def __init__(self) -> None:
        self.Directory = f"{_ESC}44;1m"
        self.SymbolicLink = f"{_ESC}36;1m"
        self.Executable = f"{_ESC}32;1m"
        archive = f"{_ESC}31;1m"
        script = f"{_ESC}33;1m"
        self.Extension: Dict[str, str] = {
            ".zip": archive, ".tgz": archive, ".gz": archive, ".tar": archive, ".nupkg": archive,
            ".cab": archive, ".7z": archive, ".ps1": script, ".psd1": script, ".psm1": script,
            ".ps1xml": script}


class PSStyle:
    ps_type_names = ("System.Management.Automation.PSStyle",)
    ps_properties = ("Reset", "BlinkOff", "Blink", "BoldOff", "Bold", "DimOff", "Dim", "HiddenOff",
                     "Hidden", "ReverseOff", "Reverse", "ItalicOff", "Italic", "UnderlineOff",
                     "Underline", "StrikethroughOff", "Strikethrough", "OutputRendering", "Formatting",
                     "Foreground", "Background", "FileInfo")

    def __init__(self, host: Any = None) -> None:
        self._rendering = "Host"
        self._host = host
        self.Reset = f"{_ESC}0m"
        self.Blink, self.BlinkOff = f"{_ESC}5m", f"{_ESC}25m"
        self.Bold, self.BoldOff = f"{_ESC}1m", f"{_ESC}22m"
        self.Dim, self.DimOff = f"{_ESC}2m", f"{_ESC}22m"
        self.Hidden, self.HiddenOff = f"{_ESC}8m", f"{_ESC}28m"
        self.Reverse, self.ReverseOff = f"{_ESC}7m", f"{_ESC}27m"
        self.Italic, self.ItalicOff = f"{_ESC}3m", f"{_ESC}23m"
        self.Underline, self.UnderlineOff = f"{_ESC}4m", f"{_ESC}24m"
        self.Strikethrough, self.StrikethroughOff = f"{_ESC}9m", f"{_ESC}29m"
        self.Formatting = _Formatting()
        self.Foreground = _Palette(0, "System.Management.Automation.PSStyle+ForegroundColor")
        self.Background = _Palette(10, "System.Management.Automation.PSStyle+BackgroundColor")
        self.FileInfo = _FileInfo()

    @property
    def OutputRendering(self) -> str:
        return self._rendering

    @OutputRendering.setter
    def OutputRendering(self, value: Any) -> None:
        text = str(value).strip()
        for name in _RENDERINGS:
            if name.lower() == text.lower():
                self._rendering = name
                if self._host is not None:
                    try:
                        self._host.plain_text = name == "PlainText"
                    except AttributeError:
                        pass
                return
        from pshell.engine.errors import RuntimeException
        raise RuntimeException.make(f'Cannot convert value "{text}" to type '
                                    f'"System.Management.Automation.OutputRendering". Use one of: '
                                    f'{", ".join(_RENDERINGS)}.', "InvalidCastFromStringToEnum",
                                    "InvalidArgument")

    def FormatHyperlink(self, text: Any, link: Any) -> str:
        return f"\x1b]8;;{link}\x1b\\{text}\x1b]8;;\x1b\\"

    def ToString(self) -> str:
        return "System.Management.Automation.PSStyle"
