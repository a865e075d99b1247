"""Running text at the top level (a REPL line, a statement from stdin, a script file): output to
the host, errors reported on the host, the shell carries on.  Only ``exit`` escapes, as
ExitException."""

from __future__ import annotations

import os
import sys

from pshell.engine.errors import (BreakException, ContinueException, ExitException, PipelineStopped,
                                  ReturnException, RuntimeException)
from pshell.engine.runtime import Runspace, ScriptBlock
from pshell.lang import ast as A
from pshell.lang.errors import ParseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence

__all__ = ["execute", "run_statements", "parse_unit", "report_internal_error"]


def parse_unit(rs: Runspace, text: str, source: str) -> Any:
    from pshell.engine.compiler import Unit
    try:
        return Unit.from_text(text, source)
    except ParseError as exc:
        rs.last_success = False
        reporter = getattr(rs.host, "parse_error", None)
        if reporter is not None:
            reporter(exc)
        else:
            rs.host.error(RuntimeException.make(exc.message, "ParseError", "ParserError",
                                                location=exc.location).record)
        return None


def execute(rs: Runspace, text: str, source: str = "<interactive>") -> bool:
    if source == "<interactive>":
        return _execute_recorded(rs, text, source)
    unit = parse_unit(rs, text, source)
    if unit is None:
        return False
    return run_statements(rs, unit, None)


def _execute_recorded(rs: Runspace, text: str, source: str) -> bool:
    """An interactive command: run it, then add it to the session history (Get-History)."""
    import datetime as _dt
    start = _dt.datetime.now()
    rs.history_id = rs.history[-1].Id + 1 if rs.history else 1
    ok = False
    try:
        unit = parse_unit(rs, text, source)
        ok = unit is not None and run_statements(rs, unit, None)
        return ok
    finally:
        from pshell.engine.history import record_history
        record_history(rs, text.strip(), ok, start)


def run_statements(rs: Runspace, unit: Any, statements: Optional[Sequence[Any]]) -> bool:
    """Run the unit's whole script (``statements is None``) or some of its top-level statements,
    in the global scope, with output going to the host."""
    root = unit.root
    if statements is None:
        block_ast = root
    else:
        block_ast = A.ScriptBlockAst(end=A.NamedBlock("end", tuple(statements)), text=root.text,
                                     source=root.source, span=root.span)
    unit.top_blocks.add(id(block_ast))
    block = ScriptBlock(block_ast, unit)
    frame = rs.new_frame(host_output=True, unit=unit)
    frame.traps = unit.__dict__.setdefault("top_traps", [])    # a script's traps, for each statement
    # no clear_stop() here: a stop requested while the statement was on its way (Ctrl-C right
    # after Enter) is this statement's; the REPL clears stale ones as it accepts a line
    # (LocalFrame.accept), and the previous statement cleared its own as it ended
    from pshell.engine.command_context import invoke_block
    if unit.__dict__.get("requires_failed"):
        return False                # `#requires` stopped this script: none of it runs
    try:
        if "requires_checked" not in unit.__dict__:
            unit.requires_checked = True
            from pshell.engine.compiler import requirements_of
            requirements = requirements_of(unit)
            if requirements:
                from pshell.engine.rt_requires import _requires
                unit.requires_failed = True
                _requires(frame, requirements)
                unit.requires_failed = False
        # top-level statements keep the script's $args (pshell FILE a b runs them one by one)
        top_args = rs.global_scope.vars.get("args")
        args = tuple(top_args) if isinstance(top_args, list) else ()
        rs.host.write_objects(invoke_block(frame, block, args, new_scope=False))
        return True
    except ExitException:
        raise
    except (ReturnException, BreakException, ContinueException):
        return True
    except PipelineStopped:
        rs.last_success = False
        return False
    except RuntimeException as exc:
        record = exc.record
        rs.add_error(record)
        rs.last_success = False
        rs.uncaught_errors += 1
        rs.host.error(record)
        return False
    except KeyboardInterrupt:
        rs.stop()
        rs.last_success = False
        return False
    except RecursionError:
        rs.last_success = False
        rs.host.error(RuntimeException.make("The script failed due to call depth overflow.",
                                            "CallDepthOverflow", "InvalidOperation").record)
        return False
    except Exception as exc:   # a bug in pshell: say so plainly, keep the shell alive
        rs.last_success = False
        report_internal_error(rs, exc)
        return False
    finally:
        rs.clear_stop()


def report_internal_error(rs: Runspace, exc: BaseException) -> None:
    if os.environ.get("PSHELL_DEBUG"):
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    rs.host.error(RuntimeException.make(f"Internal error in pshell: {type(exc).__name__}: {exc}",
                                        "InternalError").record)
