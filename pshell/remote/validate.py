"""Checks of the values a host takes from its clients and from its own state files: the session id
(a directory name) and the idle timeout (a number of seconds).

Both cross a trust boundary: anything that reaches the user's socket can send a ``hello``, and a
state file may have been written by an older pshell that checked nothing.  The messages follow
PowerShell's shape for a parameter that fails validation.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple

__all__ = ["IDLE_MIN", "IDLE_MAX", "HOST_IDLE_MIN", "SESSION_ID_MAX", "valid_session_id", "session_id_error",
           "valid_idle", "idle_error", "stored_idle"]

#: -IdleTimeoutSec, as PowerShell bounds it: at least a minute, at most what fits a 32-bit count
#: of milliseconds (2147483647 ms).  The host itself takes anything from a millisecond up to the
#: maximum (the minimum is the cmdlets' rule, not a safety matter; tests use short timeouts).
IDLE_MIN = 60
IDLE_MAX = 2147483
HOST_IDLE_MIN = 0.001
SESSION_ID_MAX = 64
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def session_id_error(value: Any) -> Optional[str]:
    """Why ``value`` cannot be a session id (it names a directory), or None."""
    text = value if isinstance(value, str) else None
    ok = (text is not None and 0 < len(text) <= SESSION_ID_MAX and not text.startswith(".")
          and all(c in _ID_CHARS for c in text))
    if ok:
        return None
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:60] + f"... ({len(str(value))} characters)"
    return (f"Cannot validate argument on parameter 'InstanceId'. The session id {shown} is not "
            f"valid: it must be 1 to {SESSION_ID_MAX} letters, digits, '-', '_' or '.', not "
            f"starting with '.'.")


def valid_session_id(value: Any) -> bool:
    return session_id_error(value) is None


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def idle_error(value: Any, minimum: float = IDLE_MIN, parameter: str = "IdleTimeoutSec",
               milliseconds: bool = False) -> Optional[str]:
    """PowerShell's message for an idle timeout out of range, or None when fine; ``value`` is
    seconds, or milliseconds with ``milliseconds`` (as New-PSSessionOption takes it)."""
    number = _number(value)
    scale = 1000.0 if milliseconds else 1.0
    if number is not None and math.isfinite(number) and minimum <= number / scale <= IDLE_MAX:
        return None
    if number is None:
        shown: Any = value
    elif math.isnan(number):
        shown = "NaN"
    elif number.is_integer() and abs(number) < 1e15:
        shown = int(number)
    else:
        shown = f"{number:g}"
    span = (f"{minimum * 1000:g} to 2147483647 milliseconds" if milliseconds else
            f"{minimum:g} to {IDLE_MAX} seconds (a minute up to the largest time-out that fits "
            f"2147483647 milliseconds)")
    return (f"Cannot validate argument on parameter '{parameter}'. The argument {shown} is not "
            f"in the range {span}. Supply an argument in that range and try the command again.")


def valid_idle(value: Any) -> Tuple[Optional[float], Optional[str]]:
    """An idle timeout a client sent the host: (seconds, None), or (None, why not).  Any finite
    number from a millisecond up to :data:`IDLE_MAX` is taken."""
    error = idle_error(value, minimum=HOST_IDLE_MIN)
    return (None, error) if error else (float(value), None)


def stored_idle(value: Any, default: float) -> Tuple[float, Optional[str]]:
    """The idle timeout of a session file: (seconds, None), or (default, a warning) when what
    was stored is not one (an older pshell stored NaN, 1e12, -1 as it came)."""
    if value is None:
        return default, None
    number, error = valid_idle(value)
    if number is not None:
        return number, None
    return default, (f"the stored idle timeout {value!r} is not valid; using {default:g} "
                     f"seconds instead")
