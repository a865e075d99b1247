"""Which modules a name, a path or a ModuleSpecification stands for, and the modules on disk.

A ``ModuleSpecification`` (``@{ModuleName='Foo'; ModuleVersion='1.0'}``) names a module and the
versions it accepts: ``ModuleVersion`` is the lowest, ``MaximumVersion`` the highest (wildcards
in it), ``RequiredVersion`` the only one; ``Guid`` must match when given. Its ModuleName may be a
path. ``Get-Module -ListAvailable`` looks at each folder of ``$env:PSModulePath``: a folder
``X`` holding ``X.psd1`` (else ``X.psm1``) is a module, and so is each version folder
``X/<version>/X.psd1``; with ``-All`` every module file below the folder counts.
"""

from __future__ import annotations

import os

from pshell.engine.errors import RuntimeException
from pshell.engine.values import Hashtable, to_str
from pshell.engine.version import Version
from pshell.engine.wildcards import has_wildcards, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

__all__ = ["ModuleSpecification", "to_spec", "version_matches", "listed_modules", "module_dirs_of"]

_MODULE_EXTENSIONS = (".psd1", ".psm1", ".dll")


class ModuleSpecification:
    """Microsoft.PowerShell.Commands.ModuleSpecification."""

    ps_type_names = ("Microsoft.PowerShell.Commands.ModuleSpecification", "System.Object")
    ps_properties = ("Name", "Guid", "Version", "MaximumVersion", "RequiredVersion")

    def __init__(self, name: str, version: Optional[Version] = None,
                 maximum: Optional[str] = None, required: Optional[Version] = None,
                 guid: Optional[str] = None) -> None:
        self.Name = name
        self.Version = version
        self.MaximumVersion = maximum
        self.RequiredVersion = required
        self.Guid = guid

    def ToString(self) -> str:
        if self.Version is None and self.RequiredVersion is None and self.MaximumVersion is None:
            return self.Name
        fields = [f"ModuleName = '{self.Name}'"]
        if self.Guid:
            fields.append(f"Guid = '{self.Guid}'")
        for key, value in (("ModuleVersion", self.Version), ("MaximumVersion", self.MaximumVersion),
                           ("RequiredVersion", self.RequiredVersion)):
            if value is not None:
                fields.append(f"{key} = '{value}'")
        return "@{ " + "; ".join(fields) + " }"

    def __str__(self) -> str:
        return self.ToString()


def _bad_spec(message: str) -> RuntimeException:
    return RuntimeException.make(message, "ModuleSpecInvalid", "InvalidArgument",
                                 exception_type="System.ArgumentException")


def _version_of(value: Any, key: str) -> Optional[Version]:
    if value is None or to_str(value) == "":
        return None
    found = Version.parse(value)
    if found is None:
        raise _bad_spec(f"The {key} '{to_str(value)}' of a module specification is not a version.")
    return found


def to_spec(value: Any) -> ModuleSpecification:
    """A ModuleSpecification from one, a hash table (ModuleName plus version keys) or a name."""
    if isinstance(value, ModuleSpecification):
        return value
    if isinstance(value, dict):
        table = Hashtable(value.items())
        known = {"modulename", "moduleversion", "requiredversion", "maximumversion", "guid"}
        extra = [to_str(k) for k in table if to_str(k).lower() not in known]
        if extra:
            raise _bad_spec(f"A module specification does not take the key '{extra[0]}'.")
        name = to_str(table.get("ModuleName") or "")
        if not name:
            raise _bad_spec("A module specification must have a ModuleName key.")
        version = _version_of(table.get("ModuleVersion"), "ModuleVersion")
        required = _version_of(table.get("RequiredVersion"), "RequiredVersion")
        maximum = table.get("MaximumVersion")
        if required is not None and (version is not None or maximum is not None):
            raise _bad_spec("A module specification with RequiredVersion takes neither ModuleVersion "
                            "nor MaximumVersion.")
        if version is None and required is None and maximum is None:
            raise _bad_spec(f"The module specification for '{name}' needs ModuleVersion, "
                            f"MaximumVersion or RequiredVersion.")
        guid = table.get("Guid")
        return ModuleSpecification(name, version, None if maximum is None else to_str(maximum),
                                   required, None if guid is None else to_str(guid))
    return ModuleSpecification(to_str(value))


def version_matches(spec: ModuleSpecification, version: Any, guid: str = "") -> bool:
    found = Version.parse(version) or Version((0, 0))
    if spec.Guid and guid and spec.Guid.lower() != guid.lower():
        return False
    if spec.RequiredVersion is not None and found != spec.RequiredVersion:
        return False
    if spec.Version is not None and found < spec.Version:
        return False
    if spec.MaximumVersion is not None:
        text = spec.MaximumVersion
        if has_wildcards(text):
            return wildcard_match(text, found.ToString())
        top = Version.parse(text)
        if top is not None and found > top:
            return False
    return True


# --------------------------------------------------------------------------- modules on disk

def _is_version_dir(name: str) -> bool:
    return Version.parse(name) is not None


def _file_named(directory: str, name: str) -> Optional[str]:
    """``name.psd1``, else ``name.psm1``, in ``directory``, the name's case ignored."""
    try:
        entries = {e.lower(): e for e in sorted(os.listdir(directory), reverse=True)}
    except OSError:
        return None
    for ext in (".psd1", ".psm1"):
        entry = entries.get((name + ext).lower())
        if entry is not None and os.path.isfile(os.path.join(directory, entry)):
            return os.path.join(directory, entry)
    return None


def module_dirs_of(directory: str, name: str) -> Iterator[str]:
    """The files of module folder ``directory`` (named ``name``): ``name.psd1`` (else .psm1) in it,
    then the same in each version folder, highest version first."""
    found = _file_named(directory, name)
    if found is not None:
        yield found
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    versions = sorted((d for d in entries if _is_version_dir(d)),
                      key=lambda d: Version.parse(d), reverse=True)     # type: ignore[arg-type,return-value]
    for version in versions:
        found = _file_named(os.path.join(directory, version), name)
        if found is not None:
            yield found


def _all_module_files(directory: str) -> Iterator[str]:
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(_MODULE_EXTENSIONS):
                yield os.path.join(root, name)


def listed_modules(folders: List[str], patterns: List[str], all_files: bool) -> Iterator[str]:
    """Module files under the module folders ``folders`` whose module names match ``patterns``."""
    for directory in folders:
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(directory, entry)
            if not os.path.isdir(path):
                continue
            if all_files:
                for file in _all_module_files(path):
                    base = os.path.splitext(os.path.basename(file))[0]
                    if any(wildcard_match(p, base) for p in patterns):
                        yield file
            elif any(wildcard_match(p, entry) for p in patterns):
                yield from module_dirs_of(path, entry)
