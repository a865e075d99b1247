"""``make pester``: PowerShell's own language tests run by pshell through our Pester runner.

Each test file runs in its own ``pshell`` process (``Pester.ps1`` beside this file does the work and
reports one ``##pester##`` line per It), with a time limit, a fresh HOME and working directory. The
table shows passed / failed / skipped per file and the total; then the run is compared with
``failing.txt`` (the failing Its of the last recorded run, and each file's passed count): a failure
not listed there, or fewer passes in a file, is a regression and the exit status is 1.
``--update`` rewrites ``failing.txt`` from the run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, NamedTuple, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNNER = os.path.join(HERE, "Pester.ps1")
EXCLUDED = os.path.join(HERE, "excluded.txt")
# the sets of test folders (--set), each compared with its own baseline file
SETS = {
    "language": (("test/powershell/Language/Operators", "test/powershell/Language/Parser",
                  "test/powershell/Language/Scripting"), os.path.join(HERE, "failing.txt")),
    "cmdlets": (("test/powershell/Modules/Microsoft.PowerShell.Utility",
                 "test/powershell/Modules/Microsoft.PowerShell.Management",
                 "test/powershell/Modules/Microsoft.PowerShell.Core"),
                os.path.join(HERE, "failing-cmdlets.txt")),
}
FAILING = SETS["language"][1]
DEFAULT_DIRS = SETS["language"][0]
_IT = re.compile(r"^\s*It\s", re.IGNORECASE | re.MULTILINE)


class FileResult(NamedTuple):
    path: str                   # relative to the source checkout
    passed: List[str]
    failed: List[Tuple[str, str]]
    skipped: List[str]
    status: str                 # 'ok', 'parse error', 'timeout', 'stopped', 'did not run, ...'
    detail: str


def read_excluded(path: str = EXCLUDED) -> Dict[str, str]:
    """``relative/path<whitespace>reason`` lines; '#' starts a comment."""
    out: Dict[str, str] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, reason = line.partition(" ")
                    out[name] = reason.strip()
    return out


def find_files(src: str, dirs: List[str], excluded: Dict[str, str]) -> List[str]:
    found = []
    for d in dirs:
        for base, _, names in os.walk(os.path.join(src, d)):
            for name in names:
                if name.lower().endswith(".tests.ps1"):
                    rel = os.path.relpath(os.path.join(base, name), src)
                    if rel not in excluded:
                        found.append(rel)
    return sorted(found)


def run_file(src: str, rel: str, timeout: float, pshell: List[str]) -> FileResult:
    path = os.path.join(src, rel)
    script = f". '{RUNNER}'; Invoke-PesterFile '{path}'"
    with tempfile.TemporaryDirectory(prefix="pester-home-") as home:
        # the culture PowerShell's CI machines have (some Its run only under en-US)
        env = dict(os.environ, HOME=home, NO_COLOR="1", PYTHONPATH=ROOT, TMPDIR=home, LANG="en_US.UTF-8")
        env.pop("LC_ALL", None)
        env.pop("LC_MESSAGES", None)
        # testexe, the small native program many tests call (tools/testexe, our own stand-in), and
        # pwsh for the tests that start a new shell: pshell's own $PSHOME/pwsh (pshell/pwsh)
        env["PATH"] = os.pathsep.join((os.path.join(HERE, "tools"), os.path.join(ROOT, "pshell"),
                                       env.get("PATH", "")))
        env["PSHELL_PYTHON"] = pshell[0]
        try:
            proc = subprocess.run(pshell + ["-NoProfile", "-NonInteractive", "-c", script], cwd=home,
                                  env=env, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, errors="replace")
            out, err, status = proc.stdout, proc.stderr, "ok"
        except subprocess.TimeoutExpired as exc:
            out = _text(exc.stdout)
            err, status = _text(exc.stderr), "timeout"
        # It names that show a temporary path (the TestDrive) read the same in every run
        out = out.replace(home.rstrip("/") + "/", "$TMP/").replace(home, "$TMP")
    return parse_output(rel, out, err, status, path)


def _text(data: Optional[bytes]) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def parse_output(rel: str, out: str, err: str, status: str, path: str) -> FileResult:
    passed: List[str] = []
    failed: List[Tuple[str, str]] = []
    skipped: List[str] = []
    done = False
    for line in out.splitlines():
        if not line.startswith("##pester## "):
            continue
        body = line[len("##pester## "):]
        if body.startswith("DONE"):
            done = True
            continue
        outcome, _, rest = body.partition("\t")
        name, _, message = rest.partition("\t")
        if outcome == "PASS":
            passed.append(name)
        elif outcome == "SKIP":
            skipped.append(name)
        else:
            failed.append((name, message))
    detail = ""
    if status == "ok" and not done:
        status = "stopped"
        if "ParserError" in err and not (passed or failed or skipped):
            status = "parse error"
        lines = [x for x in err.strip().splitlines() if x.strip()]
        detail = " | ".join(lines[:4])[:300]
        with open(path, encoding="utf-8", errors="replace") as handle:
            approx = len(_IT.findall(handle.read()))
        failed.append((f"(file did not finish: {status}; about {approx} Its)", detail))
    elif status == "timeout":
        failed.append(("(file timed out)", ""))
    elif not passed and not skipped and [name for name, _ in failed] == ["(file)"]:
        with open(path, encoding="utf-8", errors="replace") as handle:
            status = f"did not run, about {len(_IT.findall(handle.read()))} Its"
        detail = failed[0][1]
    return FileResult(rel, passed, failed, skipped, status, detail)


def read_baseline(path: str) -> Tuple[set, Dict[str, int]]:
    failing, passed = set(), {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.rstrip("\n")
                if line.startswith("= "):
                    rel, _, count = line[2:].rpartition(" passed ")
                    passed[rel] = int(count)
                elif line and not line.startswith("#"):
                    failing.add(line)
    return failing, passed


def write_baseline(results: List[FileResult], commit: str, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# Failing Its of `make pester` (tests/pester/run.py --update), PowerShell repo at "
                     f"{commit}.\n# '= file passed N' lines: each file's passed count.\n")
        for r in results:
            handle.write(f"= {r.path} passed {len(r.passed)}\n")
            for name, _ in r.failed:
                handle.write(f"{r.path} :: {name}\n")


def git_commit(src: str) -> str:
    try:
        return subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src", help="a checkout of PowerShell/PowerShell")
    ap.add_argument("paths", nargs="*", help="test files or folders (default: the set's folders)")
    ap.add_argument("--set", default="language", choices=sorted(SETS),
                    help="which folders and baseline: language (default) or cmdlets")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--update", action="store_true", help="rewrite failing.txt from this run")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every failing It")
    args = ap.parse_args(argv)
    src = os.path.abspath(args.src)
    excluded = read_excluded()
    set_dirs, baseline = SETS[args.set]
    dirs = args.paths or list(set_dirs)
    files = []
    for d in dirs:
        rel = os.path.relpath(os.path.abspath(os.path.join(src, d)), src) if not os.path.isabs(d) \
            else os.path.relpath(d, src)
        files += [rel] if rel.lower().endswith(".ps1") else find_files(src, [rel], excluded)
    pshell = [sys.executable, "-m", "pshell"]
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(lambda rel: run_file(src, rel, args.timeout, pshell), files))
    totals = [0, 0, 0]
    print(f"{'passed':>7} {'failed':>7} {'skipped':>7}  file")
    for r in results:
        counts = (len(r.passed), len(r.failed), len(r.skipped))
        totals = [a + b for a, b in zip(totals, counts)]
        note = "" if r.status == "ok" else f"  [{r.status}]"
        print(f"{counts[0]:7} {counts[1]:7} {counts[2]:7}  {r.path}{note}")
        if args.verbose:
            for name, message in r.failed:
                print(f"{'':25}FAIL {name}: {message[:200]}")
    print(f"{totals[0]:7} {totals[1]:7} {totals[2]:7}  total ({len(results)} files, "
          f"{len(excluded)} left out: see tests/pester/excluded.txt)")
    print_subtotals(results, dirs)
    commit = git_commit(src)
    if args.update:
        write_baseline(results, commit, baseline)
        print(f"{os.path.basename(baseline)} updated (PowerShell at {commit})")
        return 0
    return compare(results, baseline)


def print_subtotals(results: List[FileResult], dirs: List[str]) -> None:
    """Passed / failed / skipped per folder given (a module's tests), and the share of Its that ran
    (not skipped) and passed."""
    if len(dirs) < 2:
        return
    for d in dirs:
        prefix = d.rstrip("/") + "/"
        mine = [r for r in results if r.path.startswith(prefix)]
        if not mine:
            continue
        p, f, s = (sum(len(getattr(r, k)) for r in mine) for k in ("passed", "failed", "skipped"))
        share = f"{100 * p / (p + f):.0f}%" if p + f else "-"
        print(f"{p:7} {f:7} {s:7}  {d} ({len(mine)} files, {share} of the Its that ran pass)")


def compare(results: List[FileResult], baseline: Optional[str] = None) -> int:
    baseline = baseline or FAILING
    failing, passed = read_baseline(baseline)
    if not passed:
        print(f"no baseline in {os.path.relpath(baseline, ROOT)} (run with --update to record one)")
        return 0
    regressions, fixed = [], 0
    for r in results:
        if f"{r.path} :: (file)" in failing:
            continue            # the file did not run before: whatever fails now is no regression
        for name, message in r.failed:
            if f"{r.path} :: {name}" not in failing:
                regressions.append(f"{r.path} :: {name}: {message[:200]}")
        before = passed.get(r.path)
        if before is not None and len(r.passed) < before:
            regressions.append(f"{r.path}: {len(r.passed)} passed, {before} before")
        if before is not None and len(r.passed) > before:
            fixed += len(r.passed) - before
    if fixed:
        print(f"{fixed} more Its pass than in {os.path.basename(baseline)}: record them with --update")
    for line in regressions:
        print("REGRESSION " + line)
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
