"""Completion of argument values from the session and of members of expressions
(pshell/engine/completion_args.py)."""

from __future__ import annotations

import os

from test_completion import make_runspace, rs, ssh_home, texts  # noqa: F401  (fixtures)

from pshell.engine.completion import complete
from pshell.engine.completion_args import upstream_text


def test_job_ids_and_names(rs):     # noqa: F811
    rs.invoke("$j = Start-Job -Name nightly-backup { 1 }; Wait-Job $j | Out-Null")
    job_id = str(rs.invoke("$j.Id")[0])
    assert texts(complete(rs, "Get-Job -Name night")) == ["nightly-backup"]
    assert job_id in texts(complete(rs, "Receive-Job "))
    assert job_id in texts(complete(rs, "Stop-Job -Id "))
    found = complete(rs, "Remove-Job -Name ")
    assert found[0].display == "nightly-backup (Completed)"


def test_process_names_and_ids(rs):     # noqa: F811
    assert "python" in " ".join(texts(complete(rs, "Get-Process -Name py")))
    assert str(os.getpid()) in texts(complete(rs, f"Stop-Process -Id {os.getpid()}"))
    assert texts(complete(rs, "Get-Process zzznotaprocess")) == []


def test_help_topics(rs):     # noqa: F811
    found = texts(complete(rs, "Get-Help about_"))
    assert "about_pshell" in found and "about_Thread_Jobs" in found
    assert "Get-ChildItem" in texts(complete(rs, "Get-Help Get-Chi"))


def test_property_names_from_the_pipeline_input(rs, tmp_path):     # noqa: F811
    (tmp_path / "a.txt").write_text("x")
    assert texts(complete(rs, "Get-ChildItem | Sort-Object -Property Len")) == ["Length"]
    assert texts(complete(rs, "Get-ChildItem | Sort-Object Len")) == ["Length"]
    assert "LastWriteTime" in texts(complete(rs, "gci | Format-Table Name, Last"))
    rs.invoke("$rows = @([pscustomobject]@{Host = 'a'; Port = 22})")
    assert texts(complete(rs, "$rows | Select-Object -ExpandProperty Po")) == ["Port"]


def test_property_names_never_run_commands_with_side_effects(rs, tmp_path):     # noqa: F811
    marker = tmp_path / "ran"
    for text in (f"New-Item {marker} | Sort-Object -Property ",
                 f"Get-ChildItem $(New-Item {marker}) | Sort-Object ",
                 f"(New-Item {marker}).Le"):
        complete(rs, text)
    assert not marker.exists()


def test_upstream_text():
    assert upstream_text("Get-ChildItem /etc | Sort-Object ") == "Get-ChildItem /etc"
    assert upstream_text("a | b | c ") == "a | b"
    assert upstream_text("x; Get-Item 'a|b' | ") == "Get-Item 'a|b'"
    assert upstream_text("Get-Item ") == ""
    assert upstream_text("1..3 | % { Get-Item ") == ""


def test_enum_values_of_a_parameter(rs):     # noqa: F811
    assert texts(complete(rs, "Write-Host hi -ForegroundColor DarkR")) == ["DarkRed"]
    assert texts(complete(rs, "Set-PSReadLineOption -EditMode ")) == ["Windows", "Emacs", "Vi"]


def test_computer_names_after_a_comma(rs, ssh_home):     # noqa: F811
    assert texts(complete(rs, "Invoke-Command -ComputerName web01, we")) == ["web01", "web02"]
    assert texts(complete(rs, "Invoke-Command -ComputerName web01,db01,b")) == ["backup01"]


def test_ssh_hosts(rs, ssh_home):     # noqa: F811
    assert texts(complete(rs, "ssh we")) == ["web01", "web02"]
    assert texts(complete(rs, "ssh admin@d")) == ["admin@db01"]


def test_members_of_expressions(rs):     # noqa: F811
    assert texts(complete(rs, "(Get-Date).DayOf")) == ["DayOfWeek", "DayOfYear"]
    assert "ToUpper(" in texts(complete(rs, '"abc".ToU'))
    assert "Trim(" in texts(complete(rs, "'it''s'.Tr"))
    rs.invoke("$list = @([pscustomobject]@{Alpha = 1; Beta = 2})")
    found = complete(rs, "$list[0].Al")
    assert texts(found) == ["Alpha"] and found[0].start == len("$list[0].")
    assert texts(complete(rs, "Write-Output (Get-Date).Yea")) == ["Year"]
