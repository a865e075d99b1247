"""Every stream of a remote script block comes home once, in its own stream: through a temporary
session, a PSSession and a remote job (Receive-Job), shown as pshell shows local records and
captured as records by ``*>&1``."""

from __future__ import annotations

from conftest import needs_cli

pytestmark = needs_cli

BLOCK = ("{ Write-Error 'e1'; Write-Warning 'w1'; $VerbosePreference = 'Continue'; Write-Verbose 'v1'; "
         "$DebugPreference = 'Continue'; Write-Debug 'd1'; Write-Information 'i1'; Write-Host 'h1'; "
         "Write-Progress -Activity 'p1' -Status 's'; 'out1' }")
WAYS = {
    "temp": "Invoke-Command -ComputerName server01 $sb",
    "session": "Invoke-Command -Session $s $sb",
    "job": "Receive-Job -Wait (Invoke-Command -ComputerName server01 $sb -AsJob)",
}
SHOW = '| ForEach-Object { "$($_.GetType().Name) [$($_.PSComputerName)]: $_" }'
CAPTURED = ["ErrorRecord []: e1", "WarningRecord []: w1", "VerboseRecord []: v1",
            "DebugRecord []: d1", "InformationRecord []: i1", "InformationRecord []: h1",
            "String [server01]: out1"]


def test_each_stream_of_a_remote_block_arrives_once_in_its_stream(pshell):
    script = [f"$sb = {BLOCK}", "$s = New-PSSession -ComputerName server01"]
    for way, command in WAYS.items():
        script += [f"'--- {way}'", command, f"'--- {way} *>&1'", f"{command} *>&1 {SHOW}"]
    proc = pshell("-NoProfile", "-c", "\n".join(script))
    assert "Traceback" not in proc.stdout + proc.stderr and "sent a" not in proc.stderr, proc.stderr
    sections = proc.stdout.split("--- ")[1:]
    for way, shown, captured in zip(WAYS, sections[0::2], sections[1::2]):
        assert shown.splitlines()[1:] == ["h1", "out1"], (way, proc.stdout)   # i1 is hidden
        assert captured.splitlines()[1:] == CAPTURED, (way, proc.stdout)
    err = proc.stderr
    for line in ("WARNING: w1", "VERBOSE: v1", "DEBUG: d1"):
        assert err.count(line) == 3, (line, err)
    assert err.count("[server01] Write-Error: e1") == 3, err
    messages = [line for line in err.splitlines() if not line.startswith(("+", "At "))]
    assert not [line for line in messages if "i1" in line or "h1" in line or "p1" in line], err
