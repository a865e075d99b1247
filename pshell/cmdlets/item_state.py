"""Set-Item and Clear-Item: the value of an item on the Variable:, Function:, Alias: and Env:
drives (the FileSystem provider has no item values: Set-Content and Clear-Content are for files)."""

from __future__ import annotations


from pshell.cmdlets.item import PATH_PARAMS, PathCmdlet, env_entries, env_name
from pshell.engine.cmdlet import Param, register
from pshell.engine.errors import RuntimeException
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

class _ValueCmdlet(PathCmdlet):
    env_drive = True
    verb = ""

    def process(self) -> Iterator[Any]:
        self.require_path()
        given = self.LiteralPath if self.LiteralPath is not None else self.Path
        for raw in given if isinstance(given, list) else [given]:
            name = env_name(raw)
            if name is None:
                self.write_error(self.error_record(
                    f"{self.name} works on the Variable:, Function:, Alias: and Env: drives; "
                    f"'{to_str(raw)}' is a file system path (use "
                    f"{'Set-Content' if self.verb == 'Set' else 'Clear-Content'} for a file).",
                    "NotSupported", "NotImplemented", target=to_str(raw)))
                continue
            yield from self.env(name)

    def env(self, name: str) -> Iterator[Any]:
        raise NotImplementedError


@register
class SetItem(_ValueCmdlet):
    name = "Set-Item"
    synopsis = "Sets the value of a variable, function, alias or environment variable by path."
    verb = "Set"
    params = PATH_PARAMS + (
        Param("Value", "object", position=1, pipeline=True, by_property=True),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        Param("Options", "object", aliases=("Option",)),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Filter", "string"),
    ) + SHOULD_PROCESS_PARAMS

    def env(self, name: str) -> Iterator[Any]:
        names = [e.Key for e in env_entries(self.runspace.environ, name)] \
            if has_wildcards(name) else [name]
        for one in names:
            if not one or not self.selected(one):
                continue
            value = self.Value
            if not self.should_process(f"Name: {one} Value: {to_str(value)}", "Set Item"):
                continue
            try:
                self.runspace.set_env(one, None if value is None else to_str(value))
            except RuntimeException as exc:
                self.write_error(exc)
                continue
            if self.PassThru:
                yield from env_entries(self.runspace.environ, one)


@register
class ClearItem(_ValueCmdlet):
    name = "Clear-Item"
    synopsis = "Empties a variable (keeping it) or removes an environment variable, by path."
    verb = "Clear"
    params = PATH_PARAMS + (
        Param("Force", "switch"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Filter", "string"),
    ) + SHOULD_PROCESS_PARAMS

    def env(self, name: str) -> Iterator[Any]:
        entries = env_entries(self.runspace.environ, name)
        if not entries and not has_wildcards(name):
            self.env_not_found(name)
        for entry in entries:
            if self.selected(entry.Key) and self.should_process(f"Item: {entry.Key}",
                                                                "Clear Item"):
                self.runspace.set_env(entry.Key, None)
        return iter(())


__all__ = ["SetItem", "ClearItem"]
