"""Bad input never breaks pshell: random and mutated scripts through the parser and the evaluator.

Hypothesis builds scripts from a corpus of valid snippets and mutates them (tokens and characters
inserted, deleted, duplicated, swapped), and also tries plain random text.  The parser may only
raise ParseError; the evaluator (a fresh Runspace writing to StringIO) may only raise ExitException
and must never report an internal error.  A timer stops each run after about a second, so loops
that a mutation made endless end; a run that does not end within 30 s of that is a hang (a stop
that is not honoured), not a slow run: the bound tells the two apart, it measures no speed.

The corpus holds no native commands and nothing that deletes, and ``$PATH`` points at an empty
folder while the tests run, so a mutation cannot reach a real program.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
import time

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from pshell.engine.errors import ExitException
from pshell.engine.host import PlainHost
from pshell.engine.runtime import Runspace
from pshell.lang.errors import ParseError
from pshell.lang.parser import parse

CORPUS = [
    "$x = 1 + 2 * 3; $x",
    "$a = 1, 2, 3; $a[0]; $a[-1]; $a[0..1]",
    "'single' + \"double $x\" + \"sub $(1 + 1)\"",
    "@\"\nhere $x\n\"@",
    "@'\nliteral $x\n'@",
    "$h = @{ a = 1; b = 'two' }; $h.a; $h['b']; $h.Keys",
    "$o = [pscustomobject]@{ Name = 'n'; Value = 3 }; $o.Name",
    "[ordered]@{ z = 1; a = 2 }",
    "[int]'42' + [double]'1.5'; [string]12; [bool]0; [array]5; [datetime]'2024-01-02'",
    "if ($x -gt 2) { 'big' } elseif ($x -eq 2) { 'two' } else { 'small' }",
    "foreach ($i in 1..3) { $i * 2 }",
    "for ($i = 0; $i -lt 3; $i++) { $i }",
    "$n = 0; while ($n -lt 3) { $n++ }",
    "do { $n-- } while ($n -gt 0)",
    "do { $n++ } until ($n -ge 3)",
    "switch (2) { 1 { 'one' } 2 { 'two'; break } default { 'other' } }",
    "switch -Wildcard ('abc') { 'a*' { 'wild' } }",
    "switch -Regex ('a1') { '\\d' { $matches[0] } }",
    "switch (1, 2) { { $_ -gt 1 } { 'gt' } }",
    ":outer foreach ($i in 1..2) { foreach ($j in 1..2) { if ($j -eq 2) { continue outer } } }",
    "function F($a, [int]$b = 2) { $a + $b }; F 1; F -a 2 -b 3",
    "function G { param([Parameter(Mandatory)]$Name, [switch]$Loud) if ($Loud) { $Name } }",
    "function P { begin { $t = 0 } process { $t += $_ } end { $t } }; 1..3 | P",
    "filter Dbl { $_ * 2 }; 1, 2 | Dbl",
    "function A { [CmdletBinding()] param($X) Write-Verbose 'v'; $X }; A -X 1 -Verbose",
    "try { throw 'boom' } catch { \"caught $_\" } finally { 'done' }",
    "try { 1 / 0 } catch [System.DivideByZeroException] { 'div' }",
    "try { try { throw 'in' } catch { throw } } catch { $_.Exception.Message }",
    "Write-Error 'soft' -ErrorAction SilentlyContinue; $?",
    "Write-Warning 'w' 3>$null; Write-Verbose 'v'; Write-Debug 'd'",
    "'x' -like 'x*'; 'abc' -match 'b(c)'; $matches[1]; 'a,b' -split ','; 1, 2 -join '-'",
    "'a' -replace 'a', 'b'; 5 -in 1..5; 1..3 -contains 2; 5 -is [int]; '{0:N1}' -f 2.5",
    "$true -and $false -or -not $false; !$true; 6 -band 3; 6 -bor 1; -7 % 3",
    "$s = 'Hello'; $s.Length; $s.ToUpper(); $s.Substring(1, 2); $s.Split('l'); $s.Trim()",
    "$s.Replace('l', 'L'); $s.StartsWith('H'); $s.IndexOf('e'); $s.Contains('ell')",
    "$list = @(1, 2); $list.Count; @($list).Length; $h.ContainsKey('a'); $h.Add('c', 3)",
    "1..5 | Where-Object { $_ -gt 2 } | ForEach-Object { $_ * 10 } | Select-Object -First 2",
    "1..100 | Measure-Object -Sum | Select-Object -ExpandProperty Sum",
    "Get-Date | Out-Null; 3, 1, 2 | Sort-Object",
    "$sb = { param($p) $p + 1 }; & $sb 1; . $sb 2; $sb.Invoke(3)",
    "$args; $input; $_; $PSItem; $null; $true; $false; $PWD; $HOME; $PID; $Error.Count",
    "$global:g = 1; $script:s = 2; $local:l = 3; $env:PSHELL_FUZZ = 'x'; $env:PSHELL_FUZZ",
    "$p = @{ InputObject = 'splat' }; Write-Output @p; $q = 'a', 'b'; Write-Output @q",
    "'out' > ./fuzz.txt; 'more' >> ./fuzz.txt; Get-Content ./fuzz.txt",
    "Write-Error 'e' 2>&1 | Out-String; & { 'a'; Write-Warning 'b' } *> $null",
    "Set-Content -Path ./f.txt -Value 'data'; Get-Content -Path ./f.txt",
    "Invoke-Expression '1 + 1'; iex '$z = 5'",
    "Write-Output `\n  'continued' |\n  ForEach-Object { $_ }",
    "<# block #> 'code' # line comment",
    "$x, $y = 1, 2; $x += 1; $y -= 1; $x *= 2; $y /= 2",
    "$i = 0; while ($true) { $i++; if ($i -gt 3) { break } }",
    "return 5",
    "exit 3",
    "[math]::Max(1, 2); [string]::IsNullOrEmpty(''); [int]::Parse('5')",
    "(1..3).Count; $(1; 2); @(1; 2); ,1",
    "1..3 | ForEach-Object -Begin { 'b' } -Process { $_ } -End { 'e' }",
]

_TOKEN = re.compile(r"\s+|[A-Za-z_][\w-]*|\$\w+|\d+|\.\.|-\w+|[^\w\s]")
TOKENS = sorted({tok for snippet in CORPUS for tok in _TOKEN.findall(snippet)} |
                {"{", "}", "(", ")", "[", "]", "@{", "@(", "$(", "'", '"', "`", "|", "\n", ";",
                 "<#", "#>", "@'", "'@", '@"', '"@', "--", "++", "=", ",", "&", "."})
CHARS = "{}()[]$@\"'`|;,.-+*/%=!<># &:\n\t0123456789"


def _mutate(text: str, data: st.DataObject) -> str:
    count = data.draw(st.integers(min_value=0, max_value=4), label="mutations")
    for _ in range(count):
        kind = data.draw(st.sampled_from(["ins_tok", "del_tok", "dup_tok", "swap_tok", "ins_chr",
                                          "del_chr", "dup_chr"]), label="kind")
        if kind.endswith("tok"):
            tokens = _TOKEN.findall(text) or [""]
            i = data.draw(st.integers(min_value=0, max_value=len(tokens) - 1), label="at")
            if kind == "ins_tok":
                tokens.insert(i, data.draw(st.sampled_from(TOKENS), label="token"))
            elif kind == "del_tok":
                del tokens[i]
            elif kind == "dup_tok":
                tokens.insert(i, tokens[i])
            else:
                j = data.draw(st.integers(min_value=0, max_value=len(tokens) - 1), label="with")
                tokens[i], tokens[j] = tokens[j], tokens[i]
            text = "".join(tokens)
        else:
            i = data.draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)), label="at")
            if kind == "ins_chr":
                text = text[:i] + data.draw(st.sampled_from(CHARS), label="char") + text[i:]
            elif kind == "del_chr":
                text = text[:i] + text[i + 1:]
            else:
                text = text[:i] + text[i:i + 1] + text[i:]
    return text


# Mutations that glue digits together can make ranges of billions, which only the stop timer
# could end (and CPU-bound pipeline stages do not all poll it); keep numbers small.
_HUGE_NUMBER = re.compile(r"\d{6,}")


@st.composite
def mutated_scripts(draw: st.DrawFn) -> str:
    data = draw(st.data())
    parts = draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=3))
    joiner = draw(st.sampled_from(["\n", "; ", " | ", "\n\n"]))
    text = _mutate(joiner.join(parts), data)
    assume(not _HUGE_NUMBER.search(text))
    return text


random_scripts = st.text(alphabet=CHARS + "abcxyzFGW-$ ", max_size=80).filter(
    lambda text: not _HUGE_NUMBER.search(text))


@pytest.fixture(autouse=True)
def _no_programs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No native program is reachable from fuzzed scripts."""
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("emptypath")))


def _parse_only(text: str) -> None:
    try:
        parse(text, "<fuzz>")
    except ParseError as exc:
        assert exc.message, "a parse error without a message"
        assert exc.location is not None


def _evaluate(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="pshell-fuzz-") as folder:
        _evaluate_in(text, folder)


def _evaluate_in(text: str, folder: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    rs = Runspace(host=PlainHost(out, err, 120, stdin=io.StringIO("")), location=folder)
    timer = threading.Timer(1.0, rs.stop)
    timer.daemon = True
    started = time.monotonic()
    timer.start()
    try:
        rs.execute(text, "<fuzz>")
    except ExitException:
        pass
    finally:
        timer.cancel()
        rs.close()
    elapsed = time.monotonic() - started
    errors = err.getvalue()
    assert "Internal error" not in errors, f"{text!r}\n{errors}"
    assert "Traceback" not in errors, f"{text!r}\n{errors}"
    # stopped after 1 s: it must end, not run on.  A hang guard, not a timing assertion: an honoured
    # stop ends the run at once, an ignored one runs an endless loop for ever; 30 s leaves room
    # for a machine so loaded that the process gets a tenth of a CPU
    assert elapsed < 30, f"{text!r} ran {elapsed:.1f}s"


@settings(deadline=None, max_examples=600, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(mutated_scripts())
def test_parser_accepts_or_reports_mutated_scripts(text: str) -> None:
    _parse_only(text)


@settings(deadline=None, max_examples=400, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(random_scripts)
def test_parser_accepts_or_reports_random_text(text: str) -> None:
    _parse_only(text)


# no shrinking for the evaluator: a failing example is reported as found, not after minutes of
# re-running one-second stop timers
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


@settings(deadline=None, max_examples=150, database=None, phases=NO_SHRINK,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(text=mutated_scripts())
def test_evaluator_survives_mutated_scripts(text: str) -> None:
    _evaluate(text)


@settings(deadline=None, max_examples=150, database=None, phases=NO_SHRINK,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=random_scripts)
def test_evaluator_survives_random_text(text: str) -> None:
    _evaluate(text)


@pytest.mark.parametrize("snippet", CORPUS)
def test_corpus_runs_cleanly(snippet: str) -> None:
    """Every unmutated snippet parses; running it reports no internal error."""
    parse(snippet, "<corpus>")
    _evaluate(snippet)


ENDLESS = [
    "while ($true) { }", "for (;;) { }", "do { } while ($true)", "foreach ($i in 1..1e12) { }",
    "1..1e12 | ForEach-Object { }", "1..1e12 | Where-Object { $false }",
    "function Sink { process { } }; 1..1e12 | Sink", "1..1e12 | Measure-Object -Sum",
    "1..1e12 | Sort-Object", "1..1e12 | Out-Null", "1..1e12 | Select-Object -Last 1",
    "switch (1..1e12) { default { } }", "function Loop { Loop2 }; function Loop2 { while (1) { } }; Loop",
]


@pytest.mark.parametrize("script", ENDLESS)
def test_endless_work_ends_when_stopped(script: str) -> None:
    """What the fuzz test relies on: the stop timer ends every kind of endless loop."""
    _evaluate(script)
