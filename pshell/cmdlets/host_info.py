"""Get-Host, Get-Culture, Get-UICulture, Import-LocalizedData."""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, qualified_name, register
from pshell.engine.errors import ErrorRecord, RuntimeException
from pshell.engine.format import register_view
from pshell.engine.hostinfo import HostInfo, all_cultures, current_culture, current_ui_culture, find_culture

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

__all__ = ["GetHost", "GetCulture", "GetUICulture", "ImportLocalizedData"]


def _host_name(runspace: Any) -> str:
    """ConsoleHost at the terminal shell, ServerRemoteHost in a remote session, Default Host in a
    job (the names PowerShell's hosts have there)."""
    if runspace.get_variable("PSSenderInfo") is not None:
        return "ServerRemoteHost"
    if type(getattr(runspace, "host", None)).__name__ == "JobStreams":
        return "Default Host"
    return "ConsoleHost"


@register
class GetHost(Cmdlet):
    name = "Get-Host"
    synopsis = "Gets the host program: its name, version, instance id and culture."
    params = ()

    def process(self) -> Iterator[Any]:
        yield HostInfo(self.runspace, _host_name(self.runspace))


@register
class GetCulture(Cmdlet):
    name = "Get-Culture"
    synopsis = "Gets the culture set by the locale (LC_ALL, LC_MESSAGES, LANG), or cultures by name."
    default_set = "CurrentCulture"
    params = (Param("Name", "string[]", position=0, pipeline=True, sets=("Name",)),
              Param("ListAvailable", "switch", sets=("ListAvailable",)),
              Param("NoUserOverrides", "switch"))

    def process(self) -> Iterator[Any]:
        if self.ListAvailable:
            yield from all_cultures()
        elif self.Name is not None:
            for name in self.Name:
                found = find_culture(name or "")
                if found is None:
                    self.write_error(f"Cannot validate argument on parameter 'Name'. '{name}' is not a "
                                     f"culture name (such as en-US).", "ParameterArgumentValidationError",
                                     "InvalidArgument", name)
                else:
                    yield found
        else:
            yield current_culture(self.runspace)


@register
class GetUICulture(Cmdlet):
    name = "Get-UICulture"
    synopsis = "Gets the user-interface culture (the same locale variables as Get-Culture)."
    params = ()

    def process(self) -> Iterator[Any]:
        yield current_ui_culture(self.runspace)


@register
class ImportLocalizedData(Cmdlet):
    name = "Import-LocalizedData"
    synopsis = "Reads the .psd1 data file of the user-interface culture (or its parents) into a variable."
    params = (Param("BindingVariable", "string", position=0, aliases=("Variable",)),
              Param("UICulture", "string", position=1),
              Param("BaseDirectory", "string"),
              Param("FileName", "string"),
              Param("SupportedCommand", "string[]"))

    def _caller_script(self) -> str:
        path = self.ctx.frame.scope.lookup("pscommandpath")
        return path if isinstance(path, str) else ""

    def process(self) -> Iterator[Any]:
        import os
        from pshell.engine.localized_data import find_data_file, parse_data_file
        from pshell.engine.rt import _scope_for
        from pshell.lang.errors import ParseError
        script = self._caller_script()
        base = self.resolve_path(self.BaseDirectory) if self.BaseDirectory else (
            os.path.dirname(script) if script else self.runspace.location)
        file_name = self.FileName or os.path.splitext(os.path.basename(script))[0]
        if not file_name:
            raise self.terminate("Import-LocalizedData needs -FileName outside a script (there is no "
                                 "script name to take it from).", "ImportLocalizedData", "InvalidArgument")
        culture = current_ui_culture(self.runspace)
        if self.UICulture is not None:
            found = find_culture(self.UICulture)
            if found is None:
                raise self.terminate(f"Cannot use '{self.UICulture}' as -UICulture: it is not a culture "
                                     f"name (such as en-US).", "CannotFindCulture", "InvalidArgument",
                                     self.UICulture)
            culture = found
        path = find_data_file(base, file_name, culture, self.UICulture is not None)
        if path is None:
            raise RuntimeException(self.error_record(
                f"Cannot find the data file '{file_name}.psd1' in directory '{base}', nor in its "
                f"'{culture.Name}' culture folder or those of its parent cultures.",
                "ImportLocalizedData", "ObjectNotFound", base,
                exception_type="System.Management.Automation.PSInvalidOperationException"))
        try:
            block = parse_data_file(path, self.SupportedCommand or ())
        except OSError as exc:
            raise self.terminate(f"Cannot read the data file '{path}': {exc.strerror or exc}.",
                                 "ImportLocalizedData", "ReadError", path) from None
        except ParseError as exc:
            raise RuntimeException(ErrorRecord(exc.message, f"{exc.error_id},{qualified_name(self.name)}",
                                               "ParserError", path, exc.location, self.name)) from None
        values = self.invoke(block)
        value = values[0] if len(values) == 1 else (values or None)
        if not self.BindingVariable:
            yield value
            return
        scope_name, _, var = self.BindingVariable.rpartition(":")
        scope = _scope_for(self.ctx.frame, scope_name.lower()) if scope_name else self.ctx.frame.scope
        if scope is None:
            raise self.terminate(f"Cannot bind to '{self.BindingVariable}': '{scope_name}' is not a scope "
                                 f"(Global, Script, Local or Private).", "ImportLocalizedData",
                                 "InvalidArgument", self.BindingVariable)
        scope.vars[var.lower()] = value


register_view("System.Globalization.CultureInfo", "table", ("LCID", "Name", "DisplayName"))
register_view("System.Version", "table", ("Major", "Minor", "Build", "Revision"))
