"""Compare-Object's matching: PowerShell's sync-window walk over two sequences.

The two sequences are walked side by side.  A pair that is equal matches at once; otherwise each
side's item is looked for in the other side's backlog of unmatched items, and kept in its own
backlog when not found.  A backlog longer than the window gives up its oldest item as a
difference; what is left at the end is a difference too (the difference side's first).  So equal
items come out as they are met and differences later, in the order pwsh gives them.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Tuple

__all__ = ["sync_compare"]


def sync_compare(reference: List[Any], difference: List[Any], window: int,
                 equal: Callable[[Any, Any], bool]) -> List[Tuple[str, int]]:
    """``("==", i)``, ``("<=", i)`` (indexes into ``reference``) and ``("=>", j)`` (into
    ``difference``), in output order."""
    out: List[Tuple[str, int]] = []
    ref_backlog: List[int] = []
    diff_backlog: List[int] = []
    window = max(window, 0)

    def take(key: Any, backlog: List[int], keys: List[Any], key_first: bool) -> Optional[int]:
        for position, index in enumerate(backlog):
            if equal(key, keys[index]) if key_first else equal(keys[index], key):
                return backlog.pop(position)
        return None

    def step(r: Optional[int], d: Optional[int]) -> None:
        if r is not None and d is not None and equal(reference[r], difference[d]):
            out.append(("==", r))
            return
        matched_ref = take(difference[d], ref_backlog, reference, False) if d is not None else None
        matched_diff = take(reference[r], diff_backlog, difference, True) if r is not None else None
        if matched_ref is not None:
            out.append(("==", matched_ref))
        elif d is not None:
            diff_backlog.append(d)
        if matched_diff is not None:
            out.append(("==", r))               # type: ignore[arg-type]  # r is set here
        elif r is not None:
            ref_backlog.append(r)
        while len(diff_backlog) > window:
            out.append(("=>", diff_backlog.pop(0)))
        while len(ref_backlog) > window:
            out.append(("<=", ref_backlog.pop(0)))

    for d in range(len(difference)):
        step(d if d < len(reference) else None, d)
    for r in range(len(difference), len(reference)):
        step(r, None)
    out += [("=>", d) for d in diff_backlog]
    out += [("<=", r) for r in ref_backlog]
    return out
