"""The seed's three ways to run a remote background job (about_Remote_Jobs), through the
``pshell`` command in its three entry modes: ``-c``, a script file, and piped stdin.

Linux paths stand in for ``c:\\logs``.  ``Get-EventLog`` needs a journal or /var/log/syslog; where
the machine has neither, the job reports that clearly, and the rest of each procedure still runs.
"""

from __future__ import annotations

import os

import pytest

from conftest import needs_cli

pytestmark = needs_cli

MODES = ("command", "file", "stdin")


def run_mode(pshell, mode, script, tmp_path):
    if mode == "command":
        return pshell("-c", script)
    if mode == "file":
        path = tmp_path / "script.ps1"
        path.write_text(script)
        return pshell(str(path))
    return pshell(input=script)


def no_traceback(proc):
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


@pytest.mark.parametrize("mode", MODES)
def test_method_one_interactive_session(pshell, tmp_path, mode):
    """Enter-PSSession, Start-Job, Get-Job, Receive-Job > file (on the remote), Exit-PSSession,
    then Invoke-Command Get-Content in a PSSession."""
    log = tmp_path / "logs" / "PsLog.txt"
    log.parent.mkdir()
    script = f"""\
Enter-PSSession -computername Server01
$job = start-job -scriptblock {{ "event A"; "event B" }}
get-job $job
wait-job $job | Out-Null
receive-job $job > {log}
$PSSenderInfo -ne $null
Exit-PSSession
"local again: $($PSSenderInfo -eq $null)"
$s = new-pssession -computername Server01
invoke-command -session $s -scriptblock {{get-content {log}}}
"""
    proc = run_mode(pshell, mode, script, tmp_path)
    no_traceback(proc)
    assert log.read_text().split("\n")[:2] == ["event A", "event B"]
    out = proc.stdout
    assert "localhost" in out and "BackgroundJob" in out          # get-job in the session
    assert "True" in out                                           # ran on the remote side
    assert "local again: True" in out
    assert out.rstrip().endswith("event A\nevent B")


@pytest.mark.parametrize("mode", MODES)
def test_method_two_asjob_results_come_home(pshell, tmp_path, mode):
    script = """\
invoke-command -computername Server01 -scriptblock {"line 1"; "line 2"; hostname} -asjob -JobName seedjob
wait-job -Name seedjob | Out-Null
get-job
$results = receive-job -id 1
"got $($results.Count): $($results[0])"
"""
    proc = run_mode(pshell, mode, script, tmp_path)
    no_traceback(proc)
    assert "RemoteJob" in proc.stdout and "Server01" in proc.stdout
    assert "Completed" in proc.stdout
    assert "got 3: line 1" in proc.stdout


@pytest.mark.parametrize("mode", MODES)
def test_method_three_results_stay_remote(pshell, tmp_path, mode):
    log = tmp_path / "pslog.txt"
    script = f"""\
$s = new-pssession -computername Server01
invoke-command -session $s -scriptblock {{start-job -scriptblock {{ "kept remotely" }}}}
invoke-command -session $s -scriptblock {{ wait-job -id 1 | Out-Null; get-job }}
$results = invoke-command -session $s -scriptblock {{receive-job -sessionid 1 -keep}}
"results: $results"
invoke-command -session $s -command {{receive-job -sessionid 1 > {log}}}
(Get-Job | Measure-Object).Count
"""
    proc = run_mode(pshell, mode, script, tmp_path)
    no_traceback(proc)
    assert "Running" in proc.stdout or "Completed" in proc.stdout
    assert "localhost" in proc.stdout.lower()
    assert "results: kept remotely" in proc.stdout
    assert log.read_text().strip() == "kept remotely"
    assert proc.stdout.rstrip().endswith("0")      # the local job table is empty


def test_seed_literal_eventlog_examples(pshell, tmp_path):
    """The seed's commands as written: the remote job runs Get-EventLog; it completes where the
    machine has logs, or fails with Get-EventLog's clear reason where it has none."""
    script = """\
invoke-command -computername Server01 -scriptblock {get-eventlog system} -asjob
wait-job -id 1 -Timeout 60 | Out-Null
get-job
$results = receive-job -id 1
$s = new-pssession -computername Server01
invoke-command -session $s -scriptblock {start-job -scriptblock {get-eventlog system}}
invoke-command -session $s -scriptblock {get-job}
"""
    proc = pshell("-c", script)
    no_traceback(proc)
    assert "RemoteJob" in proc.stdout and "Server01" in proc.stdout
    assert "BackgroundJob" in proc.stdout
    assert ("Completed" in proc.stdout) or ("event log" in proc.stderr.lower())


def test_unknown_host_error_is_clear(pshell):
    proc = pshell("-c", "Invoke-Command -ComputerName stranger { 1 }; 'carried on'")
    no_traceback(proc)
    assert "not known" in proc.stderr and "refused" in proc.stderr
    assert "carried on" in proc.stdout


def test_lost_connection_in_entered_session_pops_frame(pshell, sshd_hosts, tmp_path):
    script = """\
Enter-PSSession server02
$PID
kill -9 $PID
'after'
"local: $($PSSenderInfo -eq $null)"
"""
    proc = pshell(input=script, timeout=60)
    no_traceback(proc)
    assert "lost" in proc.stderr.lower()
    assert "after" in proc.stdout            # the next statement runs here, not in the dead frame
    assert "local: True" in proc.stdout


def test_pshell_c_does_not_import_asyncssh(pshell):
    proc = pshell("-c", "[bool](Get-Command Invoke-Command) ; 1",
                  env={"PYTHONVERBOSE": ""})
    assert proc.returncode == 0
    import subprocess
    import sys
    code = ("import sys\nfrom pshell.cli import main\nmain(['-c', '1'])\n"
            "print('asyncssh' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=sshd_env(pshell))
    assert out.stdout.strip().endswith("False")


def sshd_env(pshell):
    return dict(os.environ, PYTHONPATH=os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_a_remote_call_writes_nothing_on_stderr(pshell):
    """Nothing but pshell's own words on the screen: the SSH library and the crypto library under it
    print nothing of theirs (cryptography 51 deprecates the DSA types asyncssh names at import)."""
    proc = pshell("-c", "Invoke-Command -ComputerName server01, server02 { 'ok' } | Sort-Object;"
                        "$s = New-PSSession server01; Invoke-Command -Session $s { 2 }; Remove-PSSession $s")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "ok", "2"]
    assert proc.stderr == ""
