"""Remoting end to end against real OpenSSH sshd: sessions, Invoke-Command, remote jobs.

These drive a Runspace in this process (the transport runs for real: sshd, bootstrap, protocol);
tests/e2e/test_cli_remoting.py runs the same through the ``pshell`` command in its three modes.
"""

from __future__ import annotations

import os

from conftest import pids_of, process_gone, wait_for

from pshell.engine.streams import CollectingStreams


def run(rs, text, **kw):
    streams = CollectingStreams()
    out = rs.invoke(text, streams=streams, **kw)
    return out, streams.records


def errors_of(records):
    return [r.message for s, r in records if s == "error"]


def test_new_get_remove_pssession(rs):
    out, rec = run(rs, "$s = New-PSSession -ComputerName server01 -Name web; $s")
    assert not errors_of(rec)
    (session,) = out
    assert (session.ComputerName, session.Transport, session.State, session.Name) == \
        ("server01", "SSH", "Opened", "web")
    assert session.Availability == "Available"
    out, _ = run(rs, "Get-PSSession -Name web")
    assert out == [session]
    # -ComputerName asks the computer (its host lists this user's sessions there): the same object
    out, _ = run(rs, "Get-PSSession -ComputerName server01 -Name web | ForEach-Object Id")
    assert out == [session.Id]
    run(rs, "Remove-PSSession -Name web")
    assert session.State == "Closed"
    assert run(rs, "Get-PSSession")[0] == []


def test_session_keeps_its_runspace(rs):
    run(rs, "$s = New-PSSession server01")
    run(rs, "Invoke-Command -Session $s { $x = 42; function Get-Answer { $x * 2 }; Set-Location /tmp }")
    out, rec = run(rs, "Invoke-Command -Session $s { $x; Get-Answer; (Get-Location).Path }")
    assert out[:2] == [42, 84]
    assert out[2] == "/tmp"


def test_invoke_command_many_computers_and_pscomputername(rs):
    out, rec = run(rs, "Invoke-Command -ComputerName server01,server02,server03 "
                       "{ [pscustomobject]@{ N = 1 } }")
    assert not errors_of(rec)
    assert sorted(o.get("PSComputerName") for o in out) == ["server01", "server02", "server03"]
    out, _ = run(rs, "Invoke-Command -ComputerName server01 -HideComputerName "
                     "{ [pscustomobject]@{ N = 1 } }")
    assert not out[0].has("PSComputerName")


def test_strings_and_numbers_carry_pscomputername_with_and_without_asjob(rs):
    script = ("Invoke-Command -ComputerName server01,server02 { 'who'; 7; 2.5 }TAIL | "
              "ForEach-Object { \"$($_.PSComputerName)=$_ $($_ + 1)\" } | Sort-Object")
    expected = sorted(f"{c}={v}" for c in ("server01", "server02")
                      for v in ("who who1", "7 8", "2.5 3.5"))
    for tail in ("", " -AsJob | Receive-Job -Wait -AutoRemoveJob"):
        out, rec = run(rs, script.replace("TAIL", tail))
        assert not errors_of(rec)
        assert out == expected
    out, _ = run(rs, "Invoke-Command -ComputerName server01 -HideComputerName { 'x' } | "
                     "ForEach-Object { $null -eq $_.PSComputerName }")
    assert out == [True]
    # Get-Member shows the notes of a remote string, number and date (PowerShell's remoting notes)
    out, rec = run(rs, "Invoke-Command -ComputerName server01 { 'x'; 7; Get-Date } | "
                       "ForEach-Object { ($_ | Get-Member -MemberType NoteProperty).Name -join ',' }")
    assert out == ["PSComputerName,PSShowComputerName"] * 3 and not errors_of(rec)


def test_hostile_strings_arrive_byte_exact(rs):
    hostile = "it's \"quoted\"; rm -rf / #\n$(Get-Process) `backtick` & | > \\ é\t"
    rs.set_variable("hostile", hostile)
    out, rec = run(rs, "Invoke-Command -ComputerName server01 -ArgumentList $hostile "
                       "{ param($a) $a; $using:hostile; $args.Count }")
    assert out == [hostile, hostile, 0]
    out, _ = run(rs, "$s = New-PSSession server02; Invoke-Command -Session $s -ArgumentList $hostile,2 "
                     "{ $args[0]; $args[1] }")
    assert out == [hostile, 2]


def test_input_object_and_file_path(rs, tmp_path):
    script = tmp_path / "remote.ps1"
    script.write_text("param($n) $n * 3\n")
    out, rec = run(rs, f"Invoke-Command -ComputerName server01 -FilePath '{script}' -ArgumentList 5")
    assert out == [15]
    out, _ = run(rs, "1,2,3 | Invoke-Command -ComputerName server01 { $input | ForEach-Object { $_ + 1 } }")
    assert out == [2, 3, 4]


def test_errors_keep_message_and_category(rs):
    out, rec = run(rs, "Invoke-Command -ComputerName server01 "
                       "{ Write-Error 'bad thing' -Category InvalidData; 'after' }")
    assert out == ["after"]
    (err,) = [r for s, r in rec if s == "error"]
    assert "bad thing" in err.message and err.category == "InvalidData"
    assert err.computer_name == "server01"
    # a remote throw ends the remote script; locally it is an error record and the script goes on
    out, rec = run(rs, "Invoke-Command -ComputerName server01 { throw 'stop here' }; 'next'")
    assert out == ["next"]
    assert any("stop here" in m for m in errors_of(rec))


def test_unreachable_host_fails_only_its_part(rs):
    out, rec = run(rs, "Invoke-Command -ComputerName server01,deadhost,server02 { 'ok' }")
    assert out == ["ok", "ok"]
    errs = errors_of(rec)
    assert len(errs) == 1 and "deadhost" in errs[0]


def test_unknown_host_key_is_refused(rs):
    out, rec = run(rs, "New-PSSession -ComputerName stranger")
    assert out == []
    assert "not known" in errors_of(rec)[0]


def test_asjob_remote_job(rs):
    out, _ = run(rs, "$j = Invoke-Command -ComputerName server01,server02 "
                     "-ScriptBlock { 'hi'; hostname } -AsJob -JobName rj; $j")
    (job,) = out
    assert job.PSJobTypeName == "RemoteJob" and job.Name == "rj"
    assert len(job.ChildJobs) == 2
    assert sorted(c.Location for c in job.ChildJobs) == ["server01", "server02"]
    run(rs, "Wait-Job $j -Timeout 60")
    assert job.State == "Completed"
    out, _ = run(rs, "Receive-Job -Name rj")
    assert out.count("hi") == 2
    out, _ = run(rs, "Get-Job -Name rj | ForEach-Object Location")
    assert sorted(out[0].split(",")) == ["server01", "server02"]


def test_asjob_unreachable_fails_only_its_child(rs):
    out, _ = run(rs, "$j = Invoke-Command -ComputerName server01,deadhost { 1 } -AsJob; "
                     "Wait-Job $j -Timeout 60 | Out-Null; $j")
    job = out[0]
    states = {c.Location: c.State for c in job.ChildJobs}
    assert states == {"server01": "Completed", "deadhost": "Failed"}
    assert job.State == "Failed"
    bad = [c for c in job.ChildJobs if c.Location == "deadhost"][0]
    assert "deadhost" in str(bad.JobStateInfo.Reason)


def test_stop_job_stops_remote_work(rs, sshd_hosts):
    marker = f"pshell-stop-test-{os.getpid()}"
    # /bin/sleep: a real process there (plain `sleep` is Start-Sleep); its argv[0] is "sleep"
    run(rs, f"$j = Invoke-Command -ComputerName server03 {{ /bin/sleep 300; '{marker}' }} -AsJob")
    running = lambda: pids_of("sleep 300", sshd_hosts.remote_home)     # noqa: E731
    wait_for(running, what="the remote command to start")
    run(rs, "Stop-Job $j")
    out, _ = run(rs, "$j.State")
    assert out == ["Stopped"]
    wait_for(lambda: not running(), what="the remote command to end")


def test_killed_connection_asjob_disconnects_then_resumes(rs, sshd_hosts):
    """Killing the sshd session process during an -AsJob job: the child goes Disconnected (not
    Failed), reconnects by itself and completes with all of its output, each item once."""
    out, _ = run(rs, "$j = Invoke-Command -ComputerName server04 "
                     "{ 1..30 | ForEach-Object { $_; Start-Sleep -Milliseconds 200 } } -AsJob; $j")
    child = out[0].ChildJobs[0]
    states = []
    child.add_listener(lambda job: states.append(job.State))
    # the command runs there (its first output came back): only now is the connection's end a
    # drop in the middle (killed during its set-up, the job fails to start instead)
    wait_for(lambda: len(child.Output) > 0, what="the job's first output")
    # every connection to server04: the job's may be one the connection broker already held
    connections = sshd_hosts.session_pids("server04")
    assert connections, "no connection to server04"
    for pid in connections:
        os.kill(pid, 9)
    run(rs, "Wait-Job $j -Force -Timeout 60 | Out-Null")
    assert "Disconnected" in states
    assert child.State == "Completed"
    out, _ = run(rs, "Receive-Job $j")
    assert out == list(range(1, 31))


def test_seed_method_three_remote_job_in_session(rs, tmp_path):
    """Invoke-Command -Session $s { Start-Job ... }; Get-Job; Receive-Job -Keep; > file."""
    log = tmp_path / "pslog.txt"
    run(rs, "$s = New-PSSession -ComputerName server01")
    out, _ = run(rs, "Invoke-Command -Session $s -ScriptBlock "
                     "{ Start-Job -ScriptBlock { 'event one'; 'event two' } }")
    (job,) = out
    assert "Deserialized.System.Management.Automation.Job" in job.type_names
    assert job.get("Location") == "localhost"
    jid = job.get("Id")
    assert run(rs, "Get-Job")[0] == []          # the local table doesn't list remote jobs
    run(rs, f"Invoke-Command -Session $s {{ Wait-Job -Id {jid} | Out-Null }}")
    out, _ = run(rs, "Invoke-Command -Session $s -ScriptBlock { Get-Job }")
    assert out[0].get("State") == "Completed"
    out, _ = run(rs, f"$results = Invoke-Command -Session $s -ScriptBlock "
                     f"{{ Receive-Job -Id {jid} -Keep }}; $results")
    assert out == ["event one", "event two"]
    run(rs, f"Invoke-Command -Session $s -Command {{ Receive-Job -Id {jid} > '{log}' }}")
    assert log.read_text().split() == ["event", "one", "event", "two"]
    out, _ = run(rs, f"Invoke-Command -Session $s -ScriptBlock {{ Get-Content '{log}' }}")
    assert out == ["event one", "event two"]


def test_temporary_connection_cancels_start_job(rs, tmp_path):
    marker = tmp_path / "job-ran"
    out, _ = run(rs, f"Invoke-Command -ComputerName server02 {{ Start-Job {{ Start-Sleep 15; "
                     f"Set-Content '{marker}' 'ran' }}; $PID }}")
    job, pid = out
    assert job.get("State") in ("Running", "NotStarted")
    # the connection closed when Invoke-Command returned: the remote job (a thread of the
    # session's process) was cancelled with it, long before it would have written
    wait_for(lambda: process_gone(pid), what=f"the session's process {pid} to end")
    assert not marker.exists()


def test_copy_item_to_and_from_session(rs, tmp_path):
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha\n")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 5000)
    os.chmod(src / "a.txt", 0o640)
    os.utime(src / "a.txt", (1_000_000_000, 1_000_000_000))
    remote_dir = tmp_path / "remote_side"
    remote_dir.mkdir()
    run(rs, "$s = New-PSSession server01")
    out, rec = run(rs, f"Copy-Item -Path '{src}' -Destination '{remote_dir}' -ToSession $s -Recurse")
    assert not errors_of(rec)
    copied = remote_dir / "tree"
    assert (copied / "a.txt").read_bytes() == b"alpha\n"
    assert (copied / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 5000
    assert os.stat(copied / "a.txt").st_mode & 0o777 == 0o640
    assert int(os.stat(copied / "a.txt").st_mtime) == 1_000_000_000
    back = tmp_path / "back"
    back.mkdir()
    out, rec = run(rs, f"Copy-Item -Path '{copied}' -Destination '{back}' -FromSession $s -Recurse")
    assert not errors_of(rec)
    assert (back / "tree" / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 5000


def test_process_transport_session(rs):
    out, rec = run(rs, "$p = New-PSSession -ComputerName localhost -Transport Process; "
                       "Invoke-Command -Session $p { 6 * 7 }; $p.Transport")
    assert out == [42, "Process"]


def test_remote_frame_prompt_completion_and_exit(rs, sshd_hosts):
    from pshell.engine.host import PlainHost
    from pshell.remote.frame import RemoteFrame
    import io
    out, _ = run(rs, "$s = New-PSSession server01; Invoke-Command -Session $s { $remoteOnlyVariable = 1; "
                     "New-Item -ItemType Directory -Path ~/zz_remote_dir -Force | Out-Null }; $s")
    session = out[0]
    popped = []
    buf = io.StringIO()
    frame = RemoteFrame(session, PlainHost(out=buf, err=buf), lambda f, reason: popped.append(reason))
    assert frame.prompt() == f"[server01]: PS {sshd_hosts.remote_home}> "
    texts = [c.text for c in frame.complete("$remoteOnlyV", 12)]
    assert "$remoteonlyvariable" in [t.lower() for t in texts]
    texts = [c.text for c in frame.complete("Get-ChildItem ~/zz_rem", 22)]
    assert any("zz_remote_dir" in t for t in texts)
    frame.execute("Set-Location /tmp; 'hello from remote'")
    assert "hello from remote" in buf.getvalue()
    assert frame.prompt() == "[server01]: PS /tmp> "
    frame.execute("exit")
    assert popped == [""]
    assert session.State == "Opened"        # entered with -Session: stays open


def test_remote_native_output_to_local_file_is_byte_exact(rs, tmp_path):
    src = tmp_path / "blob.bin"
    data = bytes(range(256)) * 300 + b"\r\nline\xff\xfe\r\n" + os.urandom(200000) + b"no newline"
    src.write_bytes(data)
    rs.set_variable("src", str(src))
    run(rs, "$s = New-PSSession server01")
    out, rec = run(rs, "Invoke-Command -Session $s { cat $using:src } > copy.bin")
    assert not errors_of(rec) and out == []
    assert (tmp_path / "copy.bin").read_bytes() == data
    # a temporary connection too, and >> appends
    run(rs, "Invoke-Command -ComputerName server01 { cat $using:src } >> copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == data + data
    # output that is collected stays lines; objects still go through the formatter
    out, rec = run(rs, "Invoke-Command -Session $s { $x = cat $using:src; $x.GetType().Name; 7 }"
                       " > text.txt")
    assert not errors_of(rec)
    assert (tmp_path / "text.txt").read_text().split() == ["Object[]", "7"]
    # not redirected: lines, as before
    out, _ = run(rs, "Invoke-Command -Session $s { printf 'a\\nb\\n' }")
    assert out == ["a", "b"]
    # several computers: whole lines (raw chunks of two would interleave mid-line)
    (tmp_path / "t.txt").write_text("one\ntwo\n")
    rs.set_variable("p", str(tmp_path / "t.txt"))
    out, rec = run(rs, "Invoke-Command -ComputerName server01,server02 { cat $using:p } > two.txt")
    assert not errors_of(rec)
    assert sorted((tmp_path / "two.txt").read_text().split()) == ["one", "one", "two", "two"]


def test_a_session_given_by_position_binds_to_session(rs, tmp_path):
    """Invoke-Command $s { } and Invoke-Command $s -FilePath f run in the session, as in PowerShell
    (before, $s was taken for a computer name: "unknown host name")."""
    script = tmp_path / "where.ps1"
    script.write_text("$PSSenderInfo -ne $null; $here\n")
    out, rec = run(rs, f"$s = New-PSSession server01; Invoke-Command -Session $s {{ $here = 'kept' }};"
                       f"Invoke-Command $s {{ $here }}; Invoke-Command $s -FilePath {script}")
    assert not errors_of(rec)
    assert out == ["kept", True, "kept"]
    out, rec = run(rs, "Invoke-Command $s { 1 } -Session $s")
    assert "both by position and with -Session" in errors_of(rec)[0]


def test_computer_names_bind_from_the_pipeline(rs, tmp_path):
    """Get-Content servers.txt | New-PSSession; New-PSSession -Session $s opens another to the same
    computer."""
    (tmp_path / "servers.txt").write_text("server01\nserver02\n")
    out, rec = run(rs, "Get-Content servers.txt | New-PSSession | ForEach-Object ComputerName")
    assert not errors_of(rec)
    assert out == ["server01", "server02"]
    out, rec = run(rs, "$a = New-PSSession server03; $b = New-PSSession -Session $a; "
                       "$b.ComputerName; $a.Id -ne $b.Id")
    assert not errors_of(rec)
    assert out == ["server03", True]


def test_native_arguments_are_expanded_on_the_remote_side(rs, tmp_path):
    """Globs and ~ in a bare native argument are expanded where the command runs: the remote
    computer's files and its user's home."""
    (tmp_path / "r1.log").write_text("1")
    (tmp_path / "r2.log").write_text("2")
    out, rec = run(rs, f"Invoke-Command server01 {{ Set-Location '{tmp_path}'; printf '%s\\n' *.log; "
                       f"(printf '%s' ~) -eq $env:HOME }}")
    assert not errors_of(rec)
    assert out == ["r1.log", "r2.log", True]


def test_a_null_session_is_an_error_not_a_local_run(rs):
    """A New-PSSession that failed leaves $s empty: Invoke-Command -Session $s must not run the
    block on the local computer (PowerShell refuses a null -Session too)."""
    out, rec = run(rs, "$s = $null; Invoke-Command -Session $s { 'ran here' }; "
                       "Invoke-Command -ComputerName @() { 'ran here' }")
    assert out == []
    errors = errors_of(rec)
    assert len(errors) == 2 and "parameter 'Session'" in errors[0] and "ComputerName" in errors[1]


def test_remote_get_content_to_a_local_file_and_using_pwd(rs, tmp_path):
    """Get-Content on the far side whose output the client writes to a file goes over as bytes
    (lines normalised as text mode reads them); Found: $using:PWD arrived empty (it is the local
    location, an automatic variable, not one in a scope)."""
    src = tmp_path / "text.txt"
    src.write_bytes(b"one\r\ntwo\rthr\xffee\n" + b"x" * 300000 + b"\nlast")
    rs.set_variable("src", str(src))
    run(rs, f"Set-Location '{tmp_path}'; $s = New-PSSession server01")
    out, rec = run(rs, "Invoke-Command -Session $s { Get-Content $using:src } > copy.txt")
    assert not errors_of(rec) and out == []
    expected = "one\ntwo\nthr\ufffdee\n" + "x" * 300000 + "\nlast\n"
    assert (tmp_path / "copy.txt").read_text(encoding="utf-8") == expected
    out, rec = run(rs, "Invoke-Command -Session $s { \"$using:PWD\" }")
    assert out == [str(tmp_path)]


def test_a_remote_get_process_table_shows_its_values(rs):
    """Get-Process from a remote computer formats as the local table does, with the values filled
    in (the deserialized process keeps its view) and the computer's name beside them."""
    out, rec = run(rs, "$r = Invoke-Command server01 { Get-Process -Id $PID }; "
                       "$r | Format-Table | Out-String -Width 200; $r.Id")
    assert not errors_of(rec)
    table, pid = out
    header, rule, row = [line for line in table.splitlines() if line.strip()][:3]
    assert header.split()[-3:] == ["SI", "ProcessName", "PSComputerName"]
    assert str(pid) in row.split() and row.split()[-1] == "server01"
