"""Path arguments of the utility cmdlets: wildcard expansion against the runspace's location."""

from __future__ import annotations


from pshell.engine.wildcards import has_wildcards


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, List

def expand_paths(cmdlet: Any, paths: Iterable[str], literal: Iterable[str] = (),
                 report_missing: bool = False) -> List[str]:
    """Absolute paths for ``-Path`` (wildcards expanded, sorted) and ``-LiteralPath`` (as is).
    A path without wildcards is returned even if it does not exist (the caller reports it);
    a wildcard that matches nothing yields nothing."""
    import glob
    import os
    out: List[str] = []
    for path in paths:
        text = str(path)
        full = cmdlet.resolve_path(text)
        if has_wildcards(text):
            matches = sorted(glob.glob(_glob_pattern(full)))
            if not matches and report_missing:
                cmdlet.write_error(f"Cannot find path '{full}' because it does not exist.",
                                   "PathNotFound", "ObjectNotFound", text)
            out.extend(matches)
        else:
            out.append(full)
    out.extend(cmdlet.resolve_path(str(p)) for p in literal)
    return [os.path.normpath(p) for p in out]


def _glob_pattern(path: str) -> str:
    """PowerShell wildcards to glob: backtick escapes become bracket classes."""
    out = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "`" and i + 1 < len(path):
            out.append(f"[{path[i + 1]}]")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)
