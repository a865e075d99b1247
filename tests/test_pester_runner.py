"""The Pester-compatible runner (tests/pester/Pester.ps1), run by pshell over a file of our own."""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "pester"))

import run as pester_run  # noqa: E402


def _run(src: str, rel: str) -> pester_run.FileResult:
    return pester_run.run_file(src, rel, 60, [sys.executable, "-m", "pshell"])


def test_runner_counts_passed_failed_and_skipped():
    result = _run(os.path.join(HERE, "pester"), "selftest/Sample.Tests.ps1")
    assert result.status == "ok", result.detail
    assert (len(result.passed), len(result.failed), len(result.skipped)) == (8, 2, 3)
    assert [name for name, _ in result.failed] == ["Runner > fails on purpose",
                                                   "Runner > fails when nothing is thrown"]
    assert "Runner > adds 2" in result.passed
    assert "Runner > Inner > marks itself skipped" in result.skipped


def test_a_file_that_does_not_parse_is_one_failure(tmp_path):
    (tmp_path / "Bad.Tests.ps1").write_text("Describe 'x' {\n  It 'y' { 1 }\n  $a = (1 +\n}\n")
    result = _run(str(tmp_path), "Bad.Tests.ps1")
    assert result.passed == [] and len(result.failed) == 1
    assert result.failed[0][0].startswith("(file")


def test_regressions_are_failures_missing_from_the_baseline(tmp_path, monkeypatch, capsys):
    baseline = tmp_path / "failing.txt"
    baseline.write_text("= a.Tests.ps1 passed 2\na.Tests.ps1 :: D > known\n")
    monkeypatch.setattr(pester_run, "FAILING", str(baseline))
    same = pester_run.FileResult("a.Tests.ps1", ["D > p1", "D > p2"], [("D > known", "m")], [], "ok", "")
    assert pester_run.compare([same]) == 0
    worse = pester_run.FileResult("a.Tests.ps1", ["D > p1"], [("D > known", "m"), ("D > p2", "m")],
                                  [], "ok", "")
    assert pester_run.compare([worse]) == 1
    assert "REGRESSION a.Tests.ps1 :: D > p2" in capsys.readouterr().out


def test_be_puts_the_expected_value_on_the_left(tmp_path):
    # 'hello' -eq $matchInfo compares as strings; $matchInfo -eq 'hello' does not
    (tmp_path / "Order.Tests.ps1").write_text(
        "Describe 'o' {\n"
        "  It 'be' { 'hello', 'x' | Select-String hello | Should -Be 'hello' }\n"
        "  It 'exactly' { 'hello', 'x' | Select-String hello | Should -BeExactly 'hello' }\n"
        "  It 'not' { 'hello' | Select-String hello | Should -Not -BeExactly 'Hello' }\n"
        "}\n")
    result = _run(str(tmp_path), "Order.Tests.ps1")
    assert result.failed == [] and len(result.passed) == 3
