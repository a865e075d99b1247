"""Get-Host, Get-Culture, Get-UICulture."""

from __future__ import annotations

from typing import Any, Iterator

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.format import register_view
from pshell.engine.hostinfo import HostInfo, all_cultures, culture_of, find_culture

__all__ = ["GetHost", "GetCulture", "GetUICulture"]


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
            yield culture_of(self.runspace.environ)


@register
class GetUICulture(Cmdlet):
    name = "Get-UICulture"
    synopsis = "Gets the user-interface culture (the same locale variables as Get-Culture)."
    params = ()

    def process(self) -> Iterator[Any]:
        yield culture_of(self.runspace.environ)


register_view("System.Globalization.CultureInfo", "table", ("LCID", "Name", "DisplayName"))
register_view("System.Version", "table", ("Major", "Minor", "Build", "Revision"))
