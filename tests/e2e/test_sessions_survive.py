"""Sessions and remote jobs that survive (issue 5), against real OpenSSH sshd.

The loopback "computers" log in as the same user, so they share one per-user host process and
one list of sessions: every test names its sessions uniquely.  ``otherbox`` logs in as a second
user created for the test (see conftest).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time


from conftest import REPO, host_pid_in, pids_of, wait_for

from pshell.engine.streams import CollectingStreams


def run(rs, text):
    streams = CollectingStreams()
    out = rs.invoke(text, streams=streams)
    return out, [r.message for s, r in streams.records if s == "error"]


def ok(proc):
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout.splitlines()


# --------------------------------------------------------------------------- reconnecting

def test_disconnect_then_connect_from_another_pshell(pshell):
    lines = ok(pshell("-c", """
$s = New-PSSession -ComputerName server01 -Name surv-a
Invoke-Command -Session $s { $kept = 'still here'; Start-Job { 'one'; 'two' } -Name j1 | Out-Null }
Disconnect-PSSession $s | Out-Null
"local: $($s.State)"
"""))
    assert lines == ["local: Disconnected"]
    proc = pshell("-c", """
Get-PSSession -ComputerName server01 -Name surv-a | ForEach-Object {
    "listed: $($_.Name) $($_.State) $($_.Availability) jobs=$($_.JobCount) $($_.StartTime -ne $null)" }
$s = Connect-PSSession -ComputerName server01 -Name surv-a
"state: $($s.State)"
Invoke-Command -Session $s { $kept; Wait-Job -Name j1 | Out-Null; Receive-Job -Name j1 }
Remove-PSSession $s
Get-PSSession -ComputerName server01 -Name surv-a
""")
    lines = ok(proc)
    assert lines[:5] == ["listed: surv-a Disconnected None jobs=1 True", "state: Opened",
                         "still here", "one", "two"]
    # removed: the computer no longer has it, and the error lists what it has
    assert "Cannot find a session named 'surv-a'" in proc.stderr
    assert "Sessions there:" in proc.stderr


def test_in_disconnected_session_and_receive(pshell):
    lines = ok(pshell("-c", """
$s = Invoke-Command -ComputerName server01 -InDisconnectedSession -SessionName surv-b {
    1..6 | ForEach-Object { $_; Start-Sleep -Milliseconds 50 } }
"$($s.Name) $($s.State)"
"""))
    assert lines == ["surv-b Disconnected"]
    lines = ok(pshell("-c", """
Receive-PSSession -ComputerName server01 -Name surv-b
'again:'
Receive-PSSession -Name surv-b
Remove-PSSession -Name surv-b
"""))
    assert lines == ["1", "2", "3", "4", "5", "6", "again:"]


def test_unknown_name_lists_what_exists(pshell):
    proc = pshell("-c", "$s = New-PSSession server01 -Name surv-c; Disconnect-PSSession $s | Out-Null")
    ok(proc)
    proc = pshell("-c", "Connect-PSSession -ComputerName server01 -Name surv-nope; 'after'")
    assert ok(proc) == ["after"]
    assert "There is no session 'surv-nope'" in proc.stderr
    assert "surv-c" in proc.stderr
    ok(pshell("-c", "Get-PSSession -ComputerName server01 -Name surv-c | Remove-PSSession"))


def test_second_client_is_refused_unless_force(pshell, sshd_hosts, tmp_path):
    script = tmp_path / "hold.ps1"
    script.write_text("$s = New-PSSession server01 -Name surv-d; 'ready'; Start-Sleep 60\n")
    holder = subprocess.Popen([sys.executable, "-m", "pshell", str(script)], stdout=subprocess.PIPE,
                              text=True, env=sshd_hosts.env(), cwd=str(tmp_path))
    try:
        assert holder.stdout.readline().strip() == "ready"
        proc = pshell("-c", "Connect-PSSession -ComputerName server01 -Name surv-d; 'refused'")
        assert ok(proc) == ["refused"]
        assert "in use by another pshell" in proc.stderr and "-Force" in proc.stderr
        proc = pshell("-c", "$s = Connect-PSSession -ComputerName server01 -Name surv-d -Force; "
                            "$s.State; Remove-PSSession $s")
        assert ok(proc) == ["Opened"]
    finally:
        holder.kill()
        holder.wait()


def test_idle_timeout_and_remove_of_disconnected(pshell):
    # a timeout running out is tested on the host (test_host_daemon): the cmdlets take no less
    # than PowerShell's minute
    ok(pshell("-c", """
$a = New-PSSession server01 -Name surv-e -IdleTimeoutSec 60
$b = New-PSSession server01 -Name surv-f
Disconnect-PSSession $a, $b | Out-Null
"""))
    proc = pshell("-c", """
$a, $b = Get-PSSession -ComputerName server01 -Name surv-e, surv-f
"$($a.IdleTimeout) $($a.ExpiresOn -lt (Get-Date).AddMinutes(2))"
"$($b.IdleTimeout) $($b.ExpiresOn -gt (Get-Date).AddHours(23))"
$a, $b | Remove-PSSession
(Get-PSSession -ComputerName server01 -Name 'surv-*').Count
""")
    assert ok(proc) == ["60 True", "86400 True", "0"]


def test_enter_pssession_reconnects_a_disconnected_session(pshell):
    proc = pshell(input="""\
$s = New-PSSession server02 -Name surv-g
Invoke-Command -Session $s { $inside = 'remote value' }
Disconnect-PSSession $s | Out-Null
Enter-PSSession -Session $s
"in: $inside"
exit
"back: $($s.State)"
Remove-PSSession $s
""")
    lines = ok(proc)
    assert "in: remote value" in lines and "back: Opened" in lines
    assert "disconnected; reconnecting" in proc.stderr


def test_stop_job_while_disconnected_stops_the_remote_command(rs, sshd_hosts):
    """Stop-Job on an -AsJob job whose connection is down: pshell reconnects to stop the
    command there too (not only the local job)."""
    from conftest import SSHD, _wait_listening
    name = "server04"
    marker = "sleep 307"
    conf = os.path.join(sshd_hosts.root, f"sshd_{name}.conf")
    out, _ = run(rs, f"$PSSessionReconnectSeconds = 120; "
                     f"$j = Invoke-Command -ComputerName {name} {{ /bin/{marker}; 'never' }} -AsJob; $j")
    child = out[0].ChildJobs[0]
    # /bin/sleep: a real process there (plain `sleep` is Start-Sleep); its argv[0] is "sleep"
    running = lambda: pids_of(marker, sshd_hosts.remote_home)   # noqa: E731
    wait_for(running, what=f"{marker} to run there")
    listener = sshd_hosts.procs[name]
    sessions = sshd_hosts.session_pids(name)
    listener.terminate()            # no new connections: reconnecting fails for now
    listener.wait(5)
    try:
        for pid in sessions:
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: child.State == "Disconnected", what="the job to be Disconnected")
        time.sleep(2.0)             # the reconnect attempts back off: it now waits between two
        assert running()            # the command goes on there meanwhile
    finally:
        sshd_hosts.procs[name] = subprocess.Popen(
            [SSHD, "-D", "-f", conf, "-E", sshd_hosts.logs[name]])
        _wait_listening(sshd_hosts.addresses[name], sshd_hosts.port)
    run(rs, "Stop-Job $j")
    wait_for(lambda: child.State == "Stopped", what="the job to be Stopped")
    wait_for(lambda: not running(), what=f"{marker} to end")
    out, _ = run(rs, "Receive-Job $j")
    assert "never" not in out


# --------------------------------------------------------------------------- nothing lost

def test_kill9_client_then_every_number_exactly_once(sshd_hosts, pshell, tmp_path):
    """A remote job writes a numbered sequence; the first pshell receives part of it and is
    killed with SIGKILL (maybe in the middle of a receive); a second pshell reconnects and
    receives the rest, including what was in flight: every number arrives exactly once."""
    first_out = tmp_path / "first.txt"
    script = tmp_path / "first.ps1"
    script.write_text("""\
$s = New-PSSession server03 -Name surv-seq
Invoke-Command -Session $s {
    Start-Job -Name seq { 1..400 | ForEach-Object { $_; Start-Sleep -Milliseconds 10 } } } | Out-Null
while ($true) {
    Invoke-Command -Session $s { Receive-Job -Name seq }
    Start-Sleep -Milliseconds 30
}
""")
    with open(first_out, "w") as out:
        first = subprocess.Popen([sys.executable, "-m", "pshell", str(script)], stdout=out,
                                 stderr=subprocess.DEVNULL, env=sshd_hosts.env(),
                                 cwd=str(tmp_path))
    try:
        wait_for(lambda: len(first_out.read_text().split()) >= 60, timeout=120,
                 what="60 numbers in the first pshell")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    got_first = [int(x) for x in first_out.read_text().split()]
    assert got_first and got_first[-1] < 400
    proc = pshell("-c", """
$s = Connect-PSSession -ComputerName server03 -Name surv-seq
Receive-PSSession -Session $s
Invoke-Command -Session $s { Wait-Job -Name seq | Out-Null; Receive-Job -Name seq }
Remove-PSSession $s
""")
    got_second = [int(x) for x in ok(proc)]
    everything = got_first + got_second
    assert sorted(everything) == list(range(1, 401))
    assert len(set(everything)) == len(everything)


def test_host_death_keeps_completed_and_fails_running(pshell, sshd_hosts):
    ok(pshell("-c", """
$s = New-PSSession server01 -Name surv-h
Invoke-Command -Session $s {
    Start-Job -Name done { 'result one'; 'result two' } | Wait-Job | Out-Null
    Start-Job -Name busy { 'started'; Start-Sleep 300 } | Out-Null
    Start-Sleep -Milliseconds 500
}
Disconnect-PSSession $s | Out-Null
"""))
    pid = sshd_hosts.host_pid()
    assert pid
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: host_pid_in(sshd_hosts.state_dir) != pid)
    proc = pshell("-c", """
$s = Connect-PSSession -ComputerName server01 -Name surv-h
Invoke-Command -Session $s {
    Get-Job | ForEach-Object { "$($_.Name) $($_.State) [$($_.JobStateInfo.Reason.Message)]" }
    Receive-Job -Name done
}
Remove-PSSession $s
""")
    lines = ok(proc)
    assert lines == ["done Completed []", "busy Failed [host process ended]",
                     "result one", "result two"]


# --------------------------------------------------------------------------- security

def test_state_files_are_private(pshell, sshd_hosts):
    ok(pshell("-c", """
$s = New-PSSession server01 -Name surv-p
Invoke-Command -Session $s { Start-Job { 'x' } | Wait-Job | Out-Null }
Disconnect-PSSession $s | Out-Null
"""))
    state = sshd_hosts.state_dir
    sessions = os.path.join(state, "sessions")
    found = [os.path.join(sessions, d) for d in os.listdir(sessions)
             if json.load(open(os.path.join(sessions, d, "session.json")))["name"] == "surv-p"]
    (session_dir,) = found
    jobs_dir = os.path.join(session_dir, "jobs")
    for directory in (state, sessions, session_dir, jobs_dir, os.path.join(state, "run")):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700, directory
    files = [os.path.join(jobs_dir, f) for f in os.listdir(jobs_dir)]
    assert any(f.endswith(".spool") for f in files) and any(f.endswith(".json") for f in files)
    for path in files + [os.path.join(session_dir, "session.json")]:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            continue            # a state file's temporary twin, renamed over it meanwhile
        assert stat.S_IMODE(mode) == 0o600, path
    sock = os.path.join(state, "run", "host-v2.sock")
    assert stat.S_ISSOCK(os.stat(sock).st_mode)
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    ok(pshell("-c", "Get-PSSession -ComputerName server01 -Name surv-p | Remove-PSSession"))


def test_another_user_cannot_reach_the_host(pshell, sshd_hosts, other_user):
    # a session of this user (root) that the other user will try to reach
    ok(pshell("-c", "$s = New-PSSession server01 -Name surv-mine; Disconnect-PSSession $s | Out-Null"))
    sock_path = os.path.join(sshd_hosts.state_dir, "run", "host-v2.sock")
    probe = ("import socket,sys\n"
             "s=socket.socket(socket.AF_UNIX)\n"
             "try:\n s.connect(sys.argv[1]); print('connected')\n"
             "except OSError as e: print(type(e).__name__)\n")
    out = subprocess.run(["runuser", "-u", other_user.name, "--", "/usr/bin/python3", "-c", probe,
                          sock_path], capture_output=True, text=True)
    assert out.stdout.strip() == "PermissionError", out
    # the other user's own sessions live in its own host; ours are not there
    proc = pshell("-c", """
$o = New-PSSession -ComputerName otherbox -Name theirs
Invoke-Command -Session $o { whoami }
Disconnect-PSSession $o | Out-Null
Connect-PSSession -ComputerName otherbox -Name surv-mine
(Get-PSSession -ComputerName otherbox).Name
""")
    lines = ok(proc)
    assert lines == [other_user.name, "theirs"], proc.stderr
    assert "There is no session 'surv-mine'" in proc.stderr
    # root can enter the other user's directories, but the host checks the peer's uid
    their_sock = os.path.join(other_user.state_dir, "run", "host-v2.sock")
    assert host_pid_in(other_user.state_dir)
    r, w = os.pipe()
    s = socket.socket(socket.AF_UNIX)
    s.connect(their_sock)
    s.settimeout(60)
    try:
        socket.send_fds(s, [b"{}\n"], [r, w])
        answer = s.recv(1)
    except (BrokenPipeError, ConnectionResetError):
        answer = b""
    assert answer == b""                     # refused: closed without taking the channel
    s.close()
    os.close(r)
    os.close(w)
    # nor as a direct connection (what sshd's forwarding to the socket looks like)
    s = socket.socket(socket.AF_UNIX)
    s.connect(their_sock)
    s.settimeout(60)
    try:
        s.sendall(b'{"direct":1}\n')
        answer = s.recv(1)
    except (BrokenPipeError, ConnectionResetError):
        answer = b""
    assert answer == b""
    s.close()
    with open(os.path.join(other_user.state_dir, "host.log")) as fh:
        assert "refused a connection from uid 0" in fh.read()
    for path in (other_user.state_dir, os.path.join(other_user.state_dir, "sessions")):
        info = os.stat(path)
        assert info.st_uid != 0 and stat.S_IMODE(info.st_mode) == 0o700
    ok(pshell("-c", "Get-PSSession -ComputerName otherbox -Name theirs | Remove-PSSession; "
                    "Get-PSSession -ComputerName server01 -Name surv-mine | Remove-PSSession"))


_unused = REPO


def test_asjob_job_is_disconnected_when_disconnect_pssession_returns(rs):
    """The job's state is set before Disconnect-PSSession returns, not later by the thread that
    notices the dropped connection."""
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01 -Name surv-dj
foreach ($i in 1..8) {
    $j = Invoke-Command -Session $s { Start-Sleep 30 } -AsJob
    while ($j.State -ne 'Running') { Start-Sleep -Milliseconds 10 }
    Disconnect-PSSession $s | Out-Null
    "$($j.State) $($j.ChildJobs[0].State) $($s.State)"
    Connect-PSSession $s | Out-Null
    Stop-Job $j
}
""")
    assert errors == []
    assert out == ["Disconnected Disconnected Disconnected"] * 8


def test_receive_pssession_waits_for_a_command_that_has_not_written_yet(pshell):
    """Receive-PSSession on a session whose command has written nothing yet waits for it and
    receives its output (it once returned at once with nothing, and the output was lost)."""
    ok(pshell("-c", "Invoke-Command -ComputerName server01 -InDisconnectedSession "
                    "-SessionName surv-late { Start-Sleep 2; 'late'; 'later' } | Out-Null"))
    lines = ok(pshell("-c", """
$r = Receive-PSSession -ComputerName server01 -Name surv-late
"got: $r"
"again: $(Receive-PSSession -Name surv-late)"
Remove-PSSession -Name surv-late
"""))
    assert lines == ["got: late later", "again: "]


def test_a_session_job_started_just_before_exit_outlives_the_shell(pshell):
    """`-AsJob` on a PSSession and the shell exits at once: the shell does not stop that job (its
    command goes on in the session, left Disconnected) and says so; Receive-PSSession gets every
    line later.  Before, the shell's exit stopped the job, and the session often ended with it."""
    first = pshell("-c", "$s = New-PSSession server01 -Name surv-exit\n"
                         "Invoke-Command -Session $s { Start-Sleep 2; 'late 1'; 'late 2' } -AsJob | Out-Null")
    assert ok(first) == []
    lines = ok(pshell("-c", "Get-PSSession -ComputerName server01 -Name surv-exit | "
                            "ForEach-Object { \"$($_.State)\" }\n"
                            "Receive-PSSession -ComputerName server01 -Name surv-exit\n"
                            "Get-PSSession -ComputerName server01 -Name surv-exit | Remove-PSSession"))
    assert lines == ["Disconnected", "late 1", "late 2"]
