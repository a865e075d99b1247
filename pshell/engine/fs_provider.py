"""The FileSystem provider's work for the item cmdlets (cmdlets/item.py binds their parameters and
calls these): paths (``~``, ``FileSystem::``, wildcard expansion, unknown drive or provider
qualifiers), -Filter/-Include/-Exclude matching, the Env: drive's entries, creating, removing,
copying and moving items, and the messages for OS errors.  ``cmd`` is the running cmdlet (a
``PathCmdlet``): errors, ShouldProcess, ``terminate`` and its path resolution go through it."""

from __future__ import annotations

import os

from pshell.engine.fs_items import PROVIDER_PREFIX, FileSystemItem
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, unescape, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple


# --------------------------------------------------------------------------- names and paths
# File names are matched case-sensitively (Linux); -Include/-Exclude ignore case, as pwsh's do.

def _any_match(patterns: Optional[Sequence[str]], name: str) -> bool:
    return any(wildcard_match(p, name) for p in patterns or ())


def env_name(path: Any) -> Optional[str]:
    """For a path on the ``Env:`` drive (``Env:``, ``env:PATH``, ``Env:\\HOME``, ``env:/X*``): the
    variable name or pattern after the drive ('' for the whole drive); None for any other path."""
    text = to_str(path)
    if len(text) < 4 or text[:4].lower() != "env:":
        return None
    return text[4:].lstrip("\\/")


def env_entries(environ: Dict[str, str], pattern: str) -> List[Any]:
    """The variables of ``environ`` (a runspace's environment) that ``pattern`` names (all for
    ''), sorted, as DictionaryEntry items (what pwsh's Environment provider gives: Name/Key and
    Value).  Names match exactly first (Linux names are case-sensitive), then ignoring case."""
    from pshell.engine.format import DictionaryEntry
    env = dict(environ)          # a snapshot: a thread job may change a shared environment
    names = sorted(env)
    if not pattern:
        chosen = names
    elif has_wildcards(pattern):
        chosen = [n for n in names if wildcard_match(pattern, n, case_sensitive=False)]
    elif pattern in env:
        chosen = [pattern]
    else:
        chosen = [n for n in names if n.lower() == pattern.lower()][:1]
    return [DictionaryEntry(n, env[n]) for n in chosen]


def _same_file(a: str, b: str) -> bool:
    """Whether two paths reach one file (a hard link, a symbolic link or a chain of them)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def filter_match(pattern: str, name: str) -> bool:
    """-Filter: a wildcard, case-sensitive as Linux names are; ``x*.*`` also takes names without
    any extension (the file system's old rule, which PowerShell keeps on every platform)."""
    if wildcard_match(pattern, name, case_sensitive=True):
        return True
    return pattern.endswith(".*") and "." not in name and \
        wildcard_match(pattern[:-2], name, case_sensitive=True)


def _as_paths(value: Any) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None]
    return [value]


def os_message(exc: OSError, full: str) -> str:
    import errno
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return f"Access to the path '{full}' is denied."
    if code == errno.ENOENT:
        return f"Could not find a part of the path '{full}'."
    if code == errno.ENOTEMPTY:
        return f"Directory not empty : '{full}'"
    if code == errno.EEXIST:
        return f"The file '{full}' already exists."
    if code == errno.EISDIR:
        return f"The path '{full}' is a directory."
    if code == errno.ENOTDIR:
        return f"The path '{full}' is not a directory."
    return f"{exc.strerror or exc} : '{full}'"


def _copy_tree(src: str, dst: str, force: bool) -> None:
    import shutil
    shutil.copytree(src, dst, symlinks=True, copy_function=shutil.copy2, dirs_exist_ok=True)


def absolute(cmd: Any, path: Any) -> str:
    text = to_str(path)
    if text.startswith(PROVIDER_PREFIX):
        text = text[len(PROVIDER_PREFIX):]
    if text == "~" or text.startswith("~/"):
        text = cmd.home() + text[1:]
    return cmd.resolve_path(text)


def home(cmd: Any) -> str:
    """``~``: the runspace's $HOME (a remote or test runspace may have its own)."""
    getter = getattr(cmd.runspace, "get_variable", None)
    value = getter("HOME") if getter is not None else None
    return to_str(value) if value else os.path.expanduser("~")


def expand(cmd: Any, path: Any, literal: bool = False, force: bool = False,
           dot_pattern_shows_hidden: bool = True) -> Tuple[List[str], bool]:
    """The existing paths ``path`` names: (matches, was_wildcard).  A literal path is
    returned whether it exists or not (the caller checks).  Hidden (dot) names match a
    wildcard only with ``force``, or when the pattern itself starts with a dot and
    ``dot_pattern_shows_hidden`` (pwsh's Convert-Path wants -Force even then)."""
    text = to_str(path)
    if text.startswith(PROVIDER_PREFIX):
        literal = True        # a PSPath from an item: already a literal path
    if literal or not has_wildcards(text):
        return [cmd.absolute(unescape(text) if not literal else text)], False
    full = cmd.absolute(text)
    parts = full.split("/")
    current = ["/"]
    for index, part in enumerate(parts[1:], 1):
        if not part:
            continue
        last = index == len(parts) - 1
        nxt: List[str] = []
        for base in current:
            if has_wildcards(part):
                try:
                    names = sorted(os.listdir(base))
                except OSError:
                    continue
                for name in names:
                    if name.startswith(".") and not force and \
                            not (part.startswith(".") and dot_pattern_shows_hidden):
                        continue
                    if wildcard_match(part, name, case_sensitive=True):
                        candidate = os.path.join(base, name)
                        if last or os.path.isdir(candidate):
                            nxt.append(candidate)
            else:
                candidate = os.path.join(base, unescape(part))
                if os.path.lexists(candidate):
                    nxt.append(candidate)
        current = nxt
        if not current:
            break
    return current, True


def bad_qualifier(cmd: Any, text: str) -> bool:
    """``Nope::path`` or ``Nope:/path`` naming no provider or drive (and no such file): said
    as PowerShell says it (ProviderNotFound, DriveNotFound); True when it was."""
    import re
    match = re.match(r"^([A-Za-z][\w.\\-]*)(::?)", text)
    if match is None or os.path.lexists(cmd.absolute(text)):
        return False
    from pshell.engine.drives import PROVIDERS, find_drive
    name, colons = match.group(1), match.group(2)
    if colons == "::":
        provider = name.rsplit("\\", 1)[-1].lower()
        if provider in PROVIDERS:
            return False
        message, error_id = f"Cannot find a provider with the name '{name}'.", "ProviderNotFound"
        exception = "System.Management.Automation.ProviderNotFoundException"
    else:
        if find_drive(cmd.runspace, name) is not None:
            return False
        message = f"Cannot find drive. A drive with the name '{name}' does not exist."
        error_id, exception = "DriveNotFound", "System.Management.Automation.DriveNotFoundException"
    cmd.write_error(cmd.error_record(message, error_id, "ObjectNotFound", target=name,
                                    exception_type=exception))
    return True


def new_directory(cmd: Any, full: str, force: bool) -> Optional[FileSystemItem]:
    if os.path.lexists(full):
        if os.path.isdir(full) and force:
            return FileSystemItem(full)
        cmd.write_error(cmd.error_record(
            f"An item with the specified name {full} already exists.",
            "DirectoryExist", "ResourceExists", target=full,
            exception_type="System.IO.IOException"))
        return None
    os.makedirs(full)
    return FileSystemItem(full)


def new_file(cmd: Any, full: str, force: bool, value: Any) -> Optional[FileSystemItem]:
    if os.path.isdir(full):
        cmd.write_error(cmd.error_record(
            f"An item with the specified name {full} already exists.", "DirectoryExist",
            "ResourceExists", target=full, exception_type="System.IO.IOException"))
        return None
    if os.path.lexists(full) and not force:
        cmd.write_error(cmd.error_record(
            f"The file '{full}' already exists.", "NewItemIOError", "WriteError",
            target=full, exception_type="System.IO.IOException"))
        return None
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        if not force:
            raise OSError(2, "No such file or directory", full)
        os.makedirs(parent)
    with open(full, "w", encoding="utf-8", newline="") as handle:
        if value is not None:
            handle.write(to_str(value))
    return FileSystemItem(full)


def new_link(cmd: Any, full: str, kind: str, force: bool, value: Any) -> Optional[FileSystemItem]:
    if value is None:
        raise cmd.terminate("The Value (Target) parameter is required to create a link.",
                            "ArgumentNull", "InvalidArgument")
    target = to_str(value)
    reached = os.path.realpath(cmd.absolute(target))
    if os.path.normpath(cmd.absolute(target)) == os.path.normpath(full) or (
            os.path.lexists(full) and not os.path.islink(full) and reached == os.path.realpath(full)):
        # checked before -Force removes the path: the link would replace its own target
        cmd.write_error(cmd.error_record(
            f"Cannot create the link '{full}': its target is the link's own path.",
            "TargetIsSameAsLink", "InvalidArgument", target=full,
            exception_type="System.IO.IOException"))
        return None
    if os.path.lexists(full):
        if not force:
            cmd.write_error(cmd.error_record(
                f"An item with the specified name {full} already exists.", "SymLinkExists",
                "ResourceExists", target=full))
            return None
        os.remove(full)
    if kind == "HardLink":
        os.link(cmd.absolute(target), full)
    else:
        os.symlink(target, full)            # a link to nothing (yet) is allowed, as in pwsh
    return FileSystemItem(full)


def remove_item(cmd: Any, full: str, recurse: bool) -> None:
    import shutil
    is_dir = os.path.isdir(full) and not os.path.islink(full)
    if full == "/":
        cmd.write_error(cmd.error_record(
            "Cannot remove the root directory '/'.", "RemoveRootDirectory",
            "InvalidOperation", target=full))
        return
    if not cmd.should_process(full, "Remove Directory" if is_dir else "Remove File"):
        return
    try:
        if is_dir:
            if os.listdir(full) and not recurse:
                cmd.write_error(cmd.error_record(
                    f"The item at {full} has children and the Recurse parameter was not "
                    f"specified. Nothing was removed; use -Recurse to remove it with its "
                    f"contents.", "DirectoryNotEmpty", "WriteError", target=full,
                    exception_type="System.IO.IOException"))
                return
            if recurse:
                errors: List[Tuple[str, Any]] = []
                shutil.rmtree(full, onerror=lambda f, p, e: errors.append((p, e[1])))
                for path, exc in errors[:1]:
                    cmd.io_error(exc, path, "RemoveItemIOError")
            else:
                os.rmdir(full)
        else:
            os.remove(full)
    except OSError as exc:
        cmd.io_error(exc, full, "RemoveItemIOError")


def copy_item(cmd: Any, src: str, destination: str, recurse: bool, force: bool) -> Optional[str]:
    import shutil
    target = destination
    if os.path.isdir(destination):
        target = os.path.join(destination, os.path.basename(src))
    if os.path.abspath(target) == os.path.abspath(src) or _same_file(src, target) or \
            (os.path.isdir(destination) and _same_file(src, destination)):
        record = cmd.error_record(
            f"Cannot overwrite the item {src} with itself.", "CopyError", "WriteError",
            target=src, exception_type="System.IO.IOException")
        record.Exception.Data["SelfCopy"] = True     # type: ignore[attr-defined]
        cmd.write_error(record)
        return None
    if not cmd.should_process(f"Item: {src} Destination: {target}",
                              "Copy Directory" if os.path.isdir(src) else "Copy File"):
        return None
    try:
        if os.path.isdir(src):
            if (target + "/").startswith(src.rstrip("/") + "/"):
                cmd.write_error(cmd.error_record(
                    f"Cannot copy the directory '{src}' into itself ('{target}').",
                    "CopyContainerItemToLeafError", "InvalidArgument", target=src))
                return None
            if os.path.lexists(target) and not os.path.isdir(target):
                cmd.write_error(cmd.error_record(
                    f"An item with the specified name {target} already exists.",
                    "DirectoryExist", "ResourceExists", target=target))
                return None
            if recurse:
                _copy_tree(src, target, force)
            else:
                os.makedirs(target, exist_ok=True)
                shutil.copystat(src, target)
        else:
            parent = os.path.dirname(target)
            if not os.path.isdir(parent):
                raise OSError(2, "No such file or directory", target)
            if os.path.exists(target) and not os.access(target, os.W_OK) and force:
                os.chmod(target, 0o600)
            shutil.copy2(src, target, follow_symlinks=True)
    except OSError as exc:
        cmd.io_error(exc, getattr(exc, "filename", None) or target, "CopyError")
        return None
    return target


def move_item(cmd: Any, src: str, destination: str, force: bool) -> Optional[str]:
    import shutil
    target = destination
    if os.path.isdir(destination) and not os.path.islink(destination):
        target = os.path.join(destination, os.path.basename(src))
    is_dir = os.path.isdir(src) and not os.path.islink(src)
    if target == src and not is_dir:
        return target
    if is_dir and (target + "/").startswith(src.rstrip("/") + "/"):
        cmd.write_error(cmd.error_record(
            f"Cannot move the directory '{src}' onto or into itself ('{target}').",
            "MoveItemArgumentError", "InvalidArgument", target=src,
            exception_type="System.ArgumentException"))
        return None
    if os.path.lexists(target):
        if is_dir:
            cmd.write_error(cmd.error_record(
                f"Cannot move the directory '{src}': an item named '{target}' already exists.",
                "DirectoryExist", "WriteError", target=target,
                exception_type="System.IO.IOException"))
            return None
        if not force or os.path.isdir(target):
            cmd.write_error(cmd.error_record(
                "Cannot create a file when that file already exists.", "MoveFileInfoItemIOError",
                "WriteError", target=target, exception_type="System.IO.IOException"))
            return None
    if not cmd.should_process(f"Item: {src} Destination: {target}",
                              "Move Directory" if is_dir else "Move File"):
        return None
    try:
        if not os.path.isdir(os.path.dirname(target)):
            raise OSError(2, "No such file or directory", target)
        shutil.move(src, target)
    except OSError as exc:
        cmd.write_error(cmd.error_record(
            os_message(exc, getattr(exc, "filename", None) or target),
            "MoveDirectoryItemIOError" if is_dir else "MoveFileInfoItemIOError", "WriteError",
            target=src, exception_type="System.IO.IOException"))
        return None
    return target


def rename_item(cmd: Any, full: str, new_name: str) -> Optional[str]:
    parent = os.path.dirname(full)
    if "/" in new_name:
        candidate = cmd.absolute(new_name)
        if os.path.dirname(candidate) != parent:
            cmd.write_error(cmd.error_record(
                "Cannot rename the specified target, because it represents a path or device "
                "name.", "Argument", "InvalidArgument", target=new_name))
            return None
        new_name = os.path.basename(candidate)
    target = os.path.join(parent, new_name)
    if os.path.lexists(target) and target != full:
        cmd.write_error(cmd.error_record(
            "Cannot create a file when that file already exists.", "RenameItemIOError",
            "WriteError", target=full, exception_type="System.IO.IOException"))
        return None
    if not cmd.should_process(f"Item: {full} Destination: {target}", "Rename Item"):
        return None
    try:
        os.rename(full, target)
    except OSError as exc:
        cmd.io_error(exc, full, "RenameItemIOError")
        return None
    return target
