"""-WhatIf and -Confirm on every cmdlet that changes state (engine/shouldprocess.py)."""

from __future__ import annotations

import io

import pytest

from pshell.engine.cmdlet import all_cmdlets
from pshell.engine.host import PlainHost
from pshell.engine.runtime import Runspace

#: verbs whose commands change something outside themselves
CHANGING_VERBS = {"New", "Set", "Remove", "Clear", "Rename", "Move", "Copy", "Stop", "Add", "Out",
                  "Export", "Import", "Start"}
#: commands of those verbs that change no state of the session, the machine or a file
NOT_STATE = {"New-Object", "New-Guid", "New-TimeSpan", "New-PSSessionOption", "Set-Location",
             "Set-StrictMode", "Set-PSReadLineOption", "Set-PSReadLineKeyHandler", "Clear-Host",
             "Set-MarkdownOption",
             "Out-Default", "Out-Host", "Out-Null", "Out-String", "Add-Member", "Import-Csv", "Import-Clixml",
             "Import-LocalizedData", "Import-PowerShellDataFile",
             "Import-Module", "Start-Sleep", "Start-Job", "Start-ThreadJob", "New-PSSession",
             "Export-ModuleMember", "Add-Type", "New-PSDrive", "Remove-PSDrive"}
#: state-changing commands that do not take -WhatIf/-Confirm yet (the list may only shrink)
NOT_YET: set = set()


def _state_changing():
    for cls in all_cmdlets().values():
        verb = cls.name.split("-")[0]
        if verb in CHANGING_VERBS and cls.name not in NOT_STATE:
            yield cls


def test_every_state_changing_cmdlet_takes_whatif_and_confirm():
    missing = sorted(cls.name for cls in _state_changing()
                     if not {"WhatIf", "Confirm"} <= {p.name for p in cls.params})
    assert sorted(set(missing) - NOT_YET) == []
    # an entry of NOT_YET that has both now must leave the list
    assert sorted(NOT_YET - set(missing)) == []


# (setup, the command under -WhatIf, a check printing the state that must not change)
CASES = {
    "New-Item": ("", "New-Item f.txt", "Test-Path f.txt"),
    "Remove-Item": ("Set-Content f.txt 1", "Remove-Item f.txt", "Test-Path f.txt"),
    "Set-Item": ("$v = 1", "Set-Item Variable:v 2", "$v"),
    "Clear-Item": ("$v = 1", "Clear-Item Variable:v", "$v"),
    "New-Variable": ("", "New-Variable v 1", "Test-Path Variable:v"),
    "Set-Variable": ("$v = 1", "Set-Variable v 2", "$v"),
    "Remove-Variable": ("$v = 1", "Remove-Variable v", "$v"),
    "Clear-Variable": ("$v = 1", "Clear-Variable v", "$v"),
    "New-Alias": ("", "New-Alias zz Get-Date", "Test-Path Alias:zz"),
    "Set-Alias": ("", "Set-Alias zz Get-Date", "Test-Path Alias:zz"),
    "New-TemporaryFile": ("$env:TMPDIR = $PWD.Path", "New-TemporaryFile",
                          "@(Get-ChildItem).Count"),
    "New-TemporaryDirectory": ("$env:TMPDIR = $PWD.Path", "New-TemporaryDirectory",
                               "@(Get-ChildItem).Count"),
    "Clear-Content": ("Set-Content f.txt 1", "Clear-Content f.txt", "Get-Content f.txt"),
    "Set-ItemProperty": ("Set-Content f.txt 1", "Set-ItemProperty f.txt IsReadOnly $true",
                         "(Get-Item f.txt).IsReadOnly"),
    "Set-Content": ("Set-Content f.txt 1", "Set-Content f.txt 2", "Get-Content f.txt"),
    "Add-Content": ("Set-Content f.txt 1", "Add-Content f.txt 2", "Get-Content f.txt"),
    "Out-File": ("Set-Content f.txt 1", "'2' | Out-File f.txt", "Get-Content f.txt"),
    "Copy-Item": ("Set-Content f.txt 1", "Copy-Item f.txt g.txt", "Test-Path g.txt"),
    "Move-Item": ("Set-Content f.txt 1", "Move-Item f.txt g.txt", "(Get-ChildItem).Name"),
    "Rename-Item": ("Set-Content f.txt 1", "Rename-Item f.txt g.txt", "(Get-ChildItem).Name"),
    "Export-Csv": ("", "[pscustomobject]@{a=1} | Export-Csv f.csv", "Test-Path f.csv"),
    "New-ModuleManifest": ("", "New-ModuleManifest m.psd1", "Test-Path m.psd1"),
    "Remove-Module": ("Set-Content zzm.psm1 'function zzf { 1 }'; Import-Module ./zzm.psm1",
                      "Remove-Module zzm", "zzf"),
    "Stop-Job": ("$j = Start-Job { Start-Sleep 30 }", "Stop-Job $j",
                 "$j.State -ne 'Stopped'; Remove-Job $j -Force"),
    "Remove-Job": ("$j = Start-Job { 1 } | Wait-Job", "Remove-Job $j", "@(Get-Job).Count"),
}


def _run(tmp_path, script):
    out, err = io.StringIO(), io.StringIO()
    rs = Runspace(host=PlainHost(out, err, 120, stdin=io.StringIO("")), location=str(tmp_path))
    try:
        rs.execute(script, "<test>")
    finally:
        rs.close()
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("how", ["switch", "preference"])
def test_whatif_changes_nothing(tmp_path, name, how):
    setup, command, check = CASES[name]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before, _ = _run(tmp_path / "a", f"{setup}\n{check}")
    run = f"{command} -WhatIf" if how == "switch" else f"$WhatIfPreference = $true; {command}"
    out, err = _run(tmp_path / "b", f"{setup}\n{run}\n$WhatIfPreference = $false\n{check}")
    assert out.startswith("What if: Performing the operation"), (out, err)
    assert out.split("\n", 1)[1] == before, (out, before, err)
    assert err == ""


def test_every_case_is_a_state_changing_cmdlet():
    names = {cls.name for cls in _state_changing()}
    assert set(CASES) - names == set()


def _run_answering(tmp_path, script, answers):
    out, err = io.StringIO(), io.StringIO()
    rs = Runspace(host=PlainHost(out, err, 120, stdin=io.StringIO(answers)), location=str(tmp_path))
    try:
        rs.execute(script, "<test>")
    finally:
        rs.close()
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ["Set-Content", "Add-Content", "Out-File", "Copy-Item", "Move-Item",
                                  "Rename-Item", "Export-Csv", "Remove-Job"])
def test_confirm_no_changes_nothing_and_yes_changes(tmp_path, name):
    setup, command, check = CASES[name]
    for sub in "abc":
        (tmp_path / sub).mkdir()
    before, _ = _run(tmp_path / "a", f"{setup}\n{check}")
    out, err = _run_answering(tmp_path / "b", f"{setup}\n{command} -Confirm\n{check}", "n\n")
    assert "Are you sure you want to perform this action?" in out, (out, err)
    assert out.endswith(before), (out, before, err)
    # yes: the change is made ($ConfirmPreference Low asks too, -Confirm:$false then does not)
    out, err = _run_answering(tmp_path / "c", f"{setup}\n$ConfirmPreference = 'Low'\n{command}\n"
                              f"{command} -Confirm:$false -ErrorAction SilentlyContinue\n{check}", "y\n")
    assert out.count("Are you sure") == 1, (out, err)
    assert not out.endswith(before), (out, before, err)


def test_one_rule_decides_when_to_ask_for_cmdlets_and_functions():
    from pshell.engine.shouldprocess import confirm_needed, read_choice
    assert confirm_needed("High", "High") and confirm_needed("Medium", "Low")
    assert not confirm_needed("Medium", "High") and not confirm_needed("None", "Low")
    assert not confirm_needed("High", "None") and not confirm_needed("High", "bogus")
    assert confirm_needed("bogus", "Medium")            # an unknown impact counts as Medium
    answers = iter(["maybe", "L"])
    assert read_choice(lambda _q: next(answers), "x") == "none"     # asks again until it understands
