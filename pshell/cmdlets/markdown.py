"""ConvertFrom-Markdown, Show-Markdown, Get-MarkdownOption, Set-MarkdownOption.

The parsing and rendering are engine/markdown.py and engine/markdown_render.py; here are only
the parameters, reading files and the session's options."""

from __future__ import annotations

import os
import re

from pshell.cmdlets.item import FileSystemItem, PathCmdlet, env_name
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.format import register_view
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

#: a file larger than this is refused rather than read whole into memory
MAX_FILE_BYTES = 64 << 20
_SGR = re.compile(r"^\[?[0-9;]*m$")


def _colour(value: Any) -> str:
    """An option colour: an SGR sequence without its ESC (``[4;93m``), nothing else, so an
    option can never smuggle another kind of escape sequence into the terminal."""
    text = to_str(value)
    if not _SGR.match(text):
        raise ValueError(f"'{text}' is not a colour: give an SGR sequence without its escape "
                         f"character, such as '[4;93m' or '[32m'")
    return text


def host_shows_colour(rs: Any) -> bool:
    """Whether VT100 text may carry escapes: what the host says ($Host.UI.SupportsVirtualTerminal)
    or, when it says nothing, whether it is a terminal (never for a job's or a remote's host)."""
    host = getattr(rs, "host", None)
    said = getattr(host, "SupportsVirtualTerminal", None)
    if said is not None:
        return bool(said)
    return bool(getattr(host, "is_terminal", False)) and not os.environ.get("NO_COLOR")


class _MarkdownReader(PathCmdlet):
    """What ConvertFrom-Markdown and Show-Markdown share: files and objects to MarkdownInfo."""

    def require_input(self) -> None:
        if self.Path is None and self.LiteralPath is None and self.InputObject is None:
            raise self.terminate(f"{self.name} needs Markdown: give -Path, -LiteralPath or "
                                 f"-InputObject, or pipe text or files to it.",
                                 "MissingMandatoryParameter", "InvalidArgument")

    def convert_text(self, text: str, vt100: bool) -> Any:
        from pshell.engine.markdown_render import convert, options_of
        return convert(text, vt100, options_of(self.runspace), host_shows_colour(self.runspace))

    def convert_object(self, value: Any, vt100: bool) -> Iterator[Any]:
        base = value
        if isinstance(base, FileSystemItem):
            text = self.read_file(base.FullName)
            if text is not None:
                yield self.convert_text(text, vt100)
        elif isinstance(base, str):
            yield self.convert_text(base, vt100)
        else:
            from pshell.engine.values import type_names_of
            shown = type_names_of(base)[0]
            self.write_error(self.error_record(
                f"The input object of type '{shown}' cannot be converted: give Markdown text or a "
                f"file (System.IO.FileInfo).", "InvalidInputObject", "InvalidData", target=value))

    def convert_paths(self, vt100: bool) -> Iterator[Any]:
        literal = self.LiteralPath is not None
        for raw in (self.LiteralPath if literal else self.Path) or []:
            text = to_str(raw)
            for full in self.resolve_markdown_path(text, literal):
                content = self.read_file(full)
                if content is not None:
                    yield self.convert_text(content, vt100)

    def resolve_markdown_path(self, text: str, literal: bool) -> List[str]:
        from pshell.engine.state_drives import split_state_path
        if env_name(text) is not None or split_state_path(self.runspace, text) is not None or \
                re.match(r"^(?!FileSystem::|Microsoft\.PowerShell\.Core\\FileSystem::)[\w.\\]+::", text):
            self.write_error(self.error_record(
                f"'{text}' is not a file system path: {self.name} reads Markdown from files only.",
                "OnlyFileSystemPathsSupported", "InvalidArgument", target=text))
            return []
        matches, wild = self.expand(text, literal)
        if wild and not matches or not wild and not os.path.lexists(matches[0]):
            self.write_error(self.error_record(
                f"Cannot find path '{text}' because it does not exist.", "FileNotFound",
                "ResourceUnavailable", target=text))
            return []
        return matches

    def read_file(self, path: str) -> Optional[str]:
        """The file's text (UTF-8, a BOM dropped); None after an error naming the file.
        Bytes that are not UTF-8 become U+FFFD, with a warning saying so."""
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            self.write_error(self.error_record(
                f"Could not find file '{path}'.", "FileNotFound", "ResourceUnavailable", target=path))
            return None
        except OSError as exc:
            self.write_error(self.error_record(
                f"Cannot read '{path}': {exc.strerror or exc}.", "FileUnauthorizedAccess",
                "SecurityError", target=path))
            return None
        if len(data) > MAX_FILE_BYTES:
            self.write_error(self.error_record(
                f"'{path}' is larger than {MAX_FILE_BYTES >> 20} MiB: too large to render as "
                f"Markdown.", "FileTooLarge", "LimitsExceeded", target=path))
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.write_warning(f"'{path}' is not valid UTF-8 (first bad byte at offset {exc.start}); "
                               f"bytes that are not UTF-8 are shown as U+FFFD.")
            return data.decode("utf-8-sig", errors="replace")


@register
class ConvertFromMarkdown(_MarkdownReader):
    name = "ConvertFrom-Markdown"
    synopsis = "Converts Markdown text or files to HTML or to VT100-coloured text (a MarkdownInfo)."
    output_type = "Microsoft.PowerShell.MarkdownRender.MarkdownInfo"
    default_set = "InputObjParamSet"     # so that piped input needs no -Path
    params = (
        Param("Path", "string[]", position=0, mandatory=True, sets=("PathParamSet",)),
        Param("LiteralPath", "string[]", mandatory=True, aliases=("PSPath", "LP"),
              sets=("LiteralParamSet",)),
        Param("InputObject", "object", mandatory=True, pipeline=True, sets=("InputObjParamSet",)),
        Param("AsVT100EncodedString", "switch"),
    )

    def process(self) -> Iterator[Any]:
        vt100 = bool(self.AsVT100EncodedString)
        self.require_input()
        if self.Path is None and self.LiteralPath is None:
            yield from self.convert_object(self.InputObject, vt100)
        else:
            yield from self.convert_paths(vt100)


@register
class ShowMarkdown(_MarkdownReader):
    name = "Show-Markdown"
    synopsis = "Shows Markdown (text, a file or a MarkdownInfo) coloured in the console, or in a browser."
    output_type = "System.String"
    default_set = "InputObject"          # so that piped input needs no -Path
    params = (
        Param("InputObject", "object", mandatory=True, pipeline=True, sets=("InputObject",)),
        Param("Path", "string[]", position=0, mandatory=True, by_property=True, sets=("Path",)),
        Param("LiteralPath", "string[]", mandatory=True, by_property=True, aliases=("PSPath", "LP"),
              sets=("LiteralPath",)),
        Param("UseBrowser", "switch"),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.markdown_render import MarkdownInfo
        vt100 = not self.UseBrowser
        self.require_input()
        if self.Path is None and self.LiteralPath is None:
            value = self.InputObject
            base = value
            infos = [base] if isinstance(base, MarkdownInfo) else self.convert_object(value, vt100)
        else:
            infos = self.convert_paths(vt100)
        for info in infos:
            yield from self._show(info)

    def _show(self, info: Any) -> Iterator[Any]:
        if not self.UseBrowser:
            if not info.VT100EncodedString:
                self.write_error(self.error_record(
                    "The MarkdownInfo has no VT100EncodedString to show: make it with "
                    "ConvertFrom-Markdown -AsVT100EncodedString.", "VT100EncodedStringIsNullOrEmpty",
                    "InvalidData"))
                return
            yield info.VT100EncodedString
            return
        if not info.Html:
            self.write_error(self.error_record(
                "The MarkdownInfo has no Html to show: make it with ConvertFrom-Markdown without "
                "-AsVT100EncodedString.", "HtmlIsNullOrEmpty", "InvalidData"))
            return
        from pshell.engine.testhooks import test_hook
        if test_hook("ShowMarkdownOutputBypass"):
            yield info.Html
            return
        self._open_in_browser(info.Html)

    def _open_in_browser(self, html_text: str) -> None:
        """Written to a private temporary file and handed to the desktop's opener; a computer
        without a display or an opener (a server, an SSH session) gets an error, not a hang."""
        import subprocess
        import sys
        import tempfile

        from pshell.cmdlets.filetools import temp_folder
        from pshell.engine.native import find_executable
        environ = self.runspace.environ
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        program = find_executable(opener, self.runspace.location, environ)
        if program is None or (sys.platform != "darwin" and not environ.get("DISPLAY")
                               and not environ.get("WAYLAND_DISPLAY")):
            raise self.terminate(
                "Show-Markdown -UseBrowser needs a graphical desktop with a browser "
                f"({opener}{'' if sys.platform == 'darwin' else ' and $env:DISPLAY'}); there is none "
                "here. Show it in the console (without -UseBrowser), or save the HTML: "
                "(ConvertFrom-Markdown file.md).Html | Set-Content file.html",
                "NoBrowserAvailable", "ResourceUnavailable")
        try:
            handle, path = tempfile.mkstemp(suffix=".html", dir=temp_folder(self.runspace))
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(html_text)
        except OSError as exc:
            raise self.terminate(f"Cannot write the HTML to a temporary file: {exc.strerror or exc}.",
                                 "ErrorWritingTempFile", "WriteError") from None
        try:
            subprocess.Popen([program, path], env=dict(environ), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        except OSError as exc:
            raise self.terminate(f"Cannot start {program}: {exc.strerror or exc}.",
                                 "ErrorLaunchingDefaultApplication", "InvalidOperation") from None


@register
class GetMarkdownOption(Cmdlet):
    name = "Get-MarkdownOption"
    synopsis = "Gets the colours Markdown is shown with in this session."
    output_type = "Microsoft.PowerShell.MarkdownRender.PSMarkdownOptionInfo"
    params = ()

    def end(self) -> Iterator[Any]:
        from pshell.engine.markdown_render import options_of
        yield options_of(self.runspace)


_COLOUR_PARAMS = (("Header1Color", "Header1"), ("Header2Color", "Header2"), ("Header3Color", "Header3"),
                  ("Header4Color", "Header4"), ("Header5Color", "Header5"), ("Header6Color", "Header6"),
                  ("Code", "Code"), ("ImageAltTextForegroundColor", "Image"),
                  ("LinkForegroundColor", "Link"), ("ItalicsForegroundColor", "EmphasisItalics"),
                  ("BoldForegroundColor", "EmphasisBold"))


@register
class SetMarkdownOption(Cmdlet):
    name = "Set-MarkdownOption"
    synopsis = ("Sets the colours Markdown is shown with in this session (a theme, single colours, "
                "or an option object).")
    output_type = "Microsoft.PowerShell.MarkdownRender.PSMarkdownOptionInfo"
    default_set = "IndividualSetting"
    params = tuple(Param(name, _colour, sets=("IndividualSetting",)) for name, _ in _COLOUR_PARAMS) + (
        Param("PassThru", "switch"),
        Param("Theme", "string", mandatory=True, sets=("Theme",), validate_set=("Dark", "Light")),
        Param("InputObject", "object", position=0, mandatory=True, pipeline=True, sets=("InputObject",)),
    )

    def end(self) -> Iterator[Any]:
        from pshell.engine.markdown_render import PSMarkdownOptionInfo, set_options
        if self.InputObject is not None:
            value = self.InputObject
            base = value
            if not isinstance(base, PSMarkdownOptionInfo):
                from pshell.engine.values import type_names_of
                raise self.terminate(
                    f"The input object of type '{type_names_of(base)[0]}' is not Markdown options: "
                    f"give what Get-MarkdownOption returns.", "InvalidObject", "InvalidArgument", value)
            options = base
        elif self.Theme is not None:
            options = PSMarkdownOptionInfo()
            if to_str(self.Theme).lower() == "light":
                options.SetLightTheme()
        else:
            options = PSMarkdownOptionInfo()     # the given colours over the defaults, as pwsh does
            for param, option in _COLOUR_PARAMS:
                value = getattr(self, param, None)
                if value:
                    setattr(options, option, value)
        set_options(self.runspace, options)
        if self.PassThru:
            yield options


# the options as text (the escape character left out, so a pipe or a log never receives escapes)
register_view("Microsoft.PowerShell.MarkdownRender.PSMarkdownOptionInfo", "list",
              ["Header1", "Header2", "Header3", "Header4", "Header5", "Header6", "Code", "Link", "Image",
               "EmphasisBold", "EmphasisItalics", "EnableVT100Encoding"])

__all__ = ["ConvertFromMarkdown", "ShowMarkdown", "GetMarkdownOption", "SetMarkdownOption"]
