"""Import-PowerShellDataFile's work: a ``.psd1`` file read as data, never run.

The file must hold one hash table literal whose values are constants (strings, numbers, $true,
$false, $null, arrays and nested hash tables): anything else (a command, a variable, a cast, a
method call) is refused before a single part of it is evaluated.  More than ``KEY_LIMIT`` keys in
the top hash table is refused unless the caller skips that check; the file is read only up to
``MAX_SIZE`` bytes, so a huge or endless file (``/dev/zero``) cannot exhaust memory.
"""

from __future__ import annotations

import os

from pshell.engine.values import Hashtable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DataFileError", "read_data_file", "KEY_LIMIT", "MAX_SIZE"]

KEY_LIMIT = 500
MAX_SIZE = 16 * 1024 * 1024


class DataFileError(Exception):
    """Why a data file was refused: ``error_id`` and ``category`` as pwsh names them, and the
    .NET exception type the error record carries."""

    def __init__(self, message: str, error_id: str, category: str,
                 exception_type: str = "System.InvalidOperationException") -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.category = category
        self.exception_type = exception_type


def read_data_file(path: str, skip_limit: bool = False) -> Hashtable:
    """The hash table the file at ``path`` (absolute) holds, or DataFileError."""
    from pshell.lang import ast as A
    from pshell.lang.errors import ParseError
    from pshell.lang.parser import _lone_expr, parse
    if not os.path.isfile(path):
        raise DataFileError(f"Cannot find the data file '{path}': it does not exist or is not a file.",
                            "PathNotFound", "ObjectNotFound",
                            "System.Management.Automation.ItemNotFoundException")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SIZE + 1)
    except OSError as exc:
        raise DataFileError(f"Cannot read the data file '{path}': {exc.strerror or exc}.", "ReadError",
                            "ReadError", "System.IO.IOException") from None
    if len(raw) > MAX_SIZE:
        raise DataFileError(f"The data file '{path}' is larger than {MAX_SIZE} bytes.",
                            "DataFileTooLarge", "LimitsExceeded")
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        root = parse(text, path)
    except ParseError as exc:
        raise DataFileError(f"Cannot parse '{path}' as a PowerShell data file: {exc.message}",
                            "CouldNotParseAsPowerShellDataFile", "ParserError") from None
    stmts = root.end.statements if root.end is not None else ()
    expr = _lone_expr(stmts[0]) if len(stmts) == 1 else None
    if not isinstance(expr, A.Hashtable) or root.param_block is not None or root.begin is not None or \
            root.process is not None or root.clean is not None:
        raise DataFileError(f"The file '{path}' is not a PowerShell data file: it must hold one hash "
                            f"table literal (@{{ ... }}) and nothing else.",
                            "CouldNotParseAsPowerShellDataFileNoHashtableRoot", "ParserError")
    if not skip_limit and len(expr.pairs) > KEY_LIMIT:
        raise DataFileError(f"The data file '{path}' has {len(expr.pairs)} keys, more than the "
                            f"{KEY_LIMIT} allowed; -SkipLimitCheck lifts that limit.",
                            "System.InvalidOperationException", "InvalidOperation")
    return _constant(expr, path)


def _constant(node: Any, path: str) -> Any:
    """The value of a manifest-style literal; a refused part is named with its line."""
    from pshell.engine.errors import RuntimeException
    from pshell.engine.modules import _data
    try:
        return _data(node, path)
    except RuntimeException as exc:
        detail = exc.record.message
        where = detail[detail.rfind("(line "):].rstrip(".") if "(line " in detail else ""
        raise DataFileError(f"The data file '{path}' holds something other than constant values"
                            f"{' ' + where if where else ''}: a data file is never run, so commands, "
                            f"variables and expressions are not allowed in it.",
                            "System.InvalidOperationException", "InvalidData") from None
