"""``make corpus``: every .ps1 / .psm1 of a PowerShell checkout through pshell's parser.

Prints the files and lines that parse, out of the total, and the commonest parse errors (each
with one file where it happens), so the next parser fix can go where it unlocks most.
"""

from __future__ import annotations

import collections
import os
import re
import sys
from typing import List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from pshell.lang.errors import ParseError  # noqa: E402
from pshell.lang.parser import parse  # noqa: E402


def scripts(root: str) -> List[str]:
    found = []
    for base, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        found += [os.path.join(base, n) for n in names if n.lower().endswith((".ps1", ".psm1"))]
    return sorted(found)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: corpus.py <PowerShell checkout>", file=sys.stderr)
        return 2
    root = os.path.abspath(argv[0])
    files = scripts(root)
    ok_files = ok_lines = all_lines = 0
    causes: collections.Counter = collections.Counter()
    example = {}
    for path in files:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8-sig", "replace")
        lines = text.count("\n") + 1
        all_lines += lines
        try:
            parse(text, path)
        except ParseError as exc:
            cause = re.sub(r"'[^']{13,}'", "'…'", exc.message.split("\n")[0])
            causes[cause] += 1
            example.setdefault(cause, f"{os.path.relpath(path, root)}:{exc.location.line}")
            continue
        except RecursionError:
            causes["(nesting too deep)"] += 1
            continue
        ok_files += 1
        ok_lines += lines
    print(f"parsed {ok_files} / {len(files)} files, {ok_lines} / {all_lines} lines")
    for cause, count in causes.most_common(15):
        print(f"{count:5}  {cause}  (e.g. {example.get(cause, '')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
