"""The item cmdlets on the Variable:, Function: and Alias: drives (engine/state_drives.py does
the work; this turns each cmdlet's parameters into calls and its errors into the cmdlet's
errors).  ``claims(cmd)`` says whether every path a command was given is on such a drive;
``run(cmd)`` then does the command's whole work."""

from __future__ import annotations


from pshell.engine.state_drives import STORES, StateError, parse_options, split_state_path
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, wildcard_match


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional, Tuple

def _given(cmd: Any) -> Optional[List[Any]]:
    literal = getattr(cmd, "LiteralPath", None)
    value = literal if literal is not None else getattr(cmd, "Path", None)
    if value is None:
        return None
    return [v for v in (value if isinstance(value, (list, tuple)) else [value]) if v is not None]


def claims(cmd: Any) -> bool:
    if cmd.name not in _HANDLERS:
        return False
    rs = cmd.runspace
    paths = _given(cmd)
    if paths is None:
        # no path: the current location (Get-ChildItem), or -Name alone (New-Item)
        return bool(getattr(rs, "state_location", None)) and cmd.name in ("Get-ChildItem",
                                                                           "New-Item")
    if not paths:
        return False
    return all(split_state_path(rs, p) is not None for p in paths)


def _report(cmd: Any, exc: StateError) -> None:
    exception_type = "System.Management.Automation.ItemNotFoundException" \
        if exc.error_id == "PathNotFound" else "System.Management.Automation.RuntimeException"
    cmd.write_error(cmd.error_record(exc.message, exc.error_id, exc.category, exc.target,
                                     exception_type=exception_type))


def _selected(cmd: Any, name: str) -> bool:
    include = getattr(cmd, "Include", None)
    exclude = getattr(cmd, "Exclude", None)
    flt = getattr(cmd, "Filter", None)
    if flt and not wildcard_match(flt, name):
        return False
    if include and not any(wildcard_match(p, name) for p in include):
        return False
    return not (exclude and any(wildcard_match(p, name) for p in exclude))


def _targets(cmd: Any) -> Iterator[Tuple[str, Any, str]]:
    """(drive, store, name) for each existing item the paths name; a plain name that names
    nothing is a PathNotFound error."""
    rs, frame = cmd.runspace, cmd.ctx.frame
    for raw in _given(cmd) or [""]:
        drive, name = split_state_path(rs, raw) or (getattr(rs, "state_location", ""), "")
        store = STORES[drive]
        literal = getattr(cmd, "LiteralPath", None) is not None
        if name and (literal or not has_wildcards(name)):
            if store.find(frame, name) is None:
                _report(cmd, store.not_found(name))
                continue
            if _selected(cmd, name):
                yield drive, store, name
            continue
        for item in store.matching(frame, name):
            if _selected(cmd, item.Name):
                yield drive, store, item.Name


def run(cmd: Any) -> Iterator[Any]:
    handler = _HANDLERS.get(cmd.name)
    if handler is None:
        raise cmd.terminate(f"{cmd.name} does not work on the Variable:, Function: or Alias: "
                            f"drives.", "NotSupported", "NotImplemented")
    try:
        yield from handler(cmd)
    except StateError as exc:
        raise cmd.terminate(exc.message, exc.error_id, exc.category, exc.target) from None


def _get_item(cmd: Any) -> Iterator[Any]:
    frame = cmd.ctx.frame
    for _drive, store, name in _targets(cmd):
        found = store.find(frame, name)
        if found is not None:
            yield store.item(frame, name.lower(), *found)


def _get_child_item(cmd: Any) -> Iterator[Any]:
    for item in _get_item(cmd):
        yield item.Name if getattr(cmd, "Name", False) is True else item


def _test_path(cmd: Any) -> Iterator[Any]:
    rs, frame = cmd.runspace, cmd.ctx.frame
    kind = to_str(getattr(cmd, "PathType", "Any") or "Any")
    for raw in _given(cmd) or []:
        drive, name = split_state_path(rs, raw) or ("", "")
        if not name:
            yield kind != "Leaf"
            continue
        store = STORES[drive]
        hits = store.matching(frame, name) if has_wildcards(name) else \
            ([1] if store.find(frame, name) is not None else [])
        yield kind != "Container" and bool(hits)


def _new_item(cmd: Any) -> Iterator[Any]:
    rs, frame = cmd.runspace, cmd.ctx.frame
    for raw in _given(cmd) or [""]:
        drive, name = split_state_path(rs, raw) or (getattr(rs, "state_location", ""), "")
        if cmd.Name:
            name = f"{name}/{cmd.Name}" if name else to_str(cmd.Name)
        if not name:
            raise StateError("New-Item needs the name of the item to make (-Name).", "Argument",
                             "InvalidArgument", raw)
        store = STORES[drive]
        if not cmd.should_process(f"Item: {name}", "New Item"):
            continue
        try:
            yield store.set(frame, name, cmd.Value, bool(cmd.Force), new=True)
        except StateError as exc:
            _report(cmd, exc)


def _set_item(cmd: Any) -> Iterator[Any]:
    rs, frame = cmd.runspace, cmd.ctx.frame
    options = parse_options(cmd.Options) if cmd.Options is not None else None
    for raw in _given(cmd) or []:
        drive, name = split_state_path(rs, raw) or ("", "")
        store = STORES[drive]
        if has_wildcards(name):
            names = [i.Name for i in store.matching(frame, name) if _selected(cmd, i.Name)]
        else:
            names = [name] if _selected(cmd, name) else []
        for one in names:
            if not cmd.should_process(f"Item: {one} Value: {to_str(cmd.Value)}", "Set Item"):
                continue
            try:
                made = store.set(frame, one, cmd.Value, bool(cmd.Force), options=options)
            except StateError as exc:
                _report(cmd, exc)
                continue
            if cmd.PassThru and made is not None:
                yield made


def _clear_item(cmd: Any) -> Iterator[Any]:
    frame = cmd.ctx.frame
    for drive, store, name in _targets(cmd):
        if drive != "variable":
            raise StateError(f"Clear-Item does not work on the {store.drive}: drive; use "
                             f"Remove-Item.", "NotSupported", "NotImplemented", name)
        if not cmd.should_process(f"Item: {name}", "Clear Item"):
            continue
        try:
            store.clear(frame, name, bool(cmd.Force))
        except StateError as exc:
            _report(cmd, exc)
    return iter(())


def _remove_item(cmd: Any) -> Iterator[Any]:
    frame = cmd.ctx.frame
    for _drive, store, name in list(_targets(cmd)):
        if not cmd.should_process(f"Item: {name}", "Remove Item"):
            continue
        try:
            store.remove(frame, name, bool(cmd.Force))
        except StateError as exc:
            _report(cmd, exc)
    return iter(())


def _rename_item(cmd: Any) -> Iterator[Any]:
    frame = cmd.ctx.frame
    for _drive, store, name in list(_targets(cmd)):
        new_name = to_str(cmd.NewName)
        found = store.find(frame, name)
        if found is None:
            continue
        if store.find(frame, new_name) is not None and not cmd.Force:
            _report(cmd, StateError(f"An item named '{new_name}' already exists.",
                                    "RenameItemAlreadyExists", "ResourceExists", new_name))
            continue
        if not cmd.should_process(f"Item: {name} Destination: {new_name}", "Rename Item"):
            continue
        try:
            rename_check = getattr(store, "rename_check", None)
            if rename_check is not None:
                rename_check(frame, name, bool(cmd.Force))
            value = found[0]
            options = store.options(found[1], name.lower(), value) or None
            store.remove(frame, name, True)
            made = store.set(frame, new_name, value, True, options=options)
        except StateError as exc:
            _report(cmd, exc)
            continue
        if getattr(cmd, "PassThru", False):
            yield made


def _copy_item(cmd: Any, move: bool = False) -> Iterator[Any]:
    rs, frame = cmd.runspace, cmd.ctx.frame
    destination = split_state_path(rs, cmd.Destination)
    for drive, store, name in list(_targets(cmd)):
        if destination is None or destination[0] != drive or not destination[1]:
            raise StateError(f"The destination '{to_str(cmd.Destination)}' is not a name on the "
                             f"{store.drive}: drive.", "Argument", "InvalidArgument",
                             cmd.Destination)
        target = destination[1]
        found = store.find(frame, name)
        if found is None:
            continue
        if move and store.find(frame, target) is not None and not cmd.Force:
            _report(cmd, StateError(f"An item named '{target}' already exists.",
                                    "GetDynamicParametersException", "ResourceExists", target))
            continue
        action = "Move Item" if move else "Copy Item"
        if not cmd.should_process(f"Item: {name} Destination: {target}", action):
            continue
        try:
            made = store.set(frame, target, found[0], bool(cmd.Force))
            if move:
                store.remove(frame, name, bool(cmd.Force))
        except StateError as exc:
            _report(cmd, exc)
            continue
        if getattr(cmd, "PassThru", False):
            yield made


_HANDLERS = {
    "Get-Item": _get_item, "Get-ChildItem": _get_child_item, "Test-Path": _test_path,
    "New-Item": _new_item, "Set-Item": _set_item, "Clear-Item": _clear_item,
    "Remove-Item": _remove_item, "Rename-Item": _rename_item, "Copy-Item": _copy_item,
    "Move-Item": lambda cmd: _copy_item(cmd, move=True),
}
