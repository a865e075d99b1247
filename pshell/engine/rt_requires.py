"""``using`` statements and a script's ``#requires`` (read by lang/requires.py) at run time.
Imported when a script has one, never at start-up: rt.py forwards ``_use``/``_requires`` here."""

from __future__ import annotations

import os

from pshell.engine.errors import RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _use(F: Any, kind: str, name: str, spec: Any, nid: int) -> None:
    """``using namespace`` changes nothing at run time (type names resolve by their last part
    too); ``using module`` imports the module; ``using assembly`` cannot load .NET assemblies."""
    if kind == "namespace":
        return
    if kind == "assembly":
        raise RuntimeException.make(f"'using assembly {name}': pshell cannot load .NET assemblies.",
                                    "UsingAssemblyNotSupported", "NotImplemented")
    from pshell.engine.modules import import_module
    source = F.unit.source if F.unit is not None else ""
    if spec is None and name.startswith((".", "..")) and os.path.isfile(source):
        name = os.path.join(os.path.dirname(source), name)    # relative to the script's own folder
    import_module(F, spec if spec is not None else name, using=True)


def _requires(F: Any, requirements: Any) -> None:
    """``#requires`` (read by lang/requires.py): the language version and edition, then each module
    imported (a loaded one is kept); what is not met stops the script before it starts."""
    version, editions, modules, admin = requirements
    from pshell.lang.requires import LANGUAGE_VERSION
    if version is not None:
        wanted = tuple(int(p) for p in version.split("."))
        if wanted[:2] > LANGUAGE_VERSION[:len(wanted[:2])]:
            raise _requires_error(f"The script cannot be run because it requires PowerShell {version}, "
                                  f"and pshell speaks the language of PowerShell "
                                  f"{'.'.join(map(str, LANGUAGE_VERSION))}.",
                                  "ScriptRequiresUnmatchedPSVersion")
    if editions and not any(e.lower() == "core" for e in editions):
        raise _requires_error(f"The script cannot be run because it requires PowerShell's "
                              f"{' or '.join(editions)} edition; pshell is a Core edition.",
                              "ScriptRequiresUnmatchedPSEdition")
    if admin and os.geteuid() != 0:
        raise _requires_error("The script cannot be run because it requires running as root "
                              "(#requires -RunAsAdministrator).", "ScriptRequiresElevation")
    missing = [text for text in (_require_module(F, spec) for spec in modules) if text]
    if missing:
        raise _requires_error(f"The script cannot be run because the following modules that are specified "
                              f"by the \"#requires\" statements of the script are missing: "
                              f"{', '.join(missing)}.", "ScriptRequiresMissingModules")


def _require_module(F: Any, spec: str) -> str:
    """Import one ``#requires -Modules`` item; '' when it is there, else how to name it missing."""
    from pshell.engine.modules import import_module, is_loaded
    target: Any = spec
    key, shown = spec, spec
    if spec.startswith("@{"):
        target = F.rs.invoke(spec)[0] if spec.endswith("}") else spec
        if isinstance(target, dict):
            fields = {to_str(k).lower(): to_str(v) for k, v in target.items()}
            key = fields.get("modulename", spec)
            limits = [f"{label} {fields[name]}" for name, label in (
                ("moduleversion", "version"), ("requiredversion", "exactly version"),
                ("maximumversion", "at most version")) if name in fields]
            shown = f"'{key}' ({', '.join(limits)})" if limits else f"'{key}'"
    if is_loaded(F.rs, key):
        return ""
    try:
        import_module(F, target)
    except RuntimeException:
        return shown
    return ""


def _requires_error(message: str, error_id: str) -> RuntimeException:
    from pshell.engine.errors import ErrorRecord
    return RuntimeException(ErrorRecord(message, error_id, "ResourceUnavailable", None,
                                        exception_type="System.Management.Automation.ScriptRequiresException"))
