"""Each runspace's own environment (``Runspace.environ``): what it starts from, who shares it, and
that everything a script does with the environment goes through it, never the process's
os.environ.  The job cases in the language's own words are in tests/spec/environment.txt."""

from __future__ import annotations

import io
import os
import stat

from pshell.engine.host import PlainHost
from pshell.engine.native import find_executable
from pshell.engine.runtime import Runspace


def make_runspace(location, environ=None):
    out, err = io.StringIO(), io.StringIO()
    rs = Runspace(host=PlainHost(out, err, 120, stdin=io.StringIO("")), location=str(location),
                  environ=environ)
    return rs, out, err


def tool(folder, name, text):
    path = folder / name
    path.write_text("#!/bin/sh\n" + text + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_runspace_starts_from_a_copy_of_the_process_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PSHELL_T_BEFORE", "seen")
    rs, _, _ = make_runspace(tmp_path)
    other, _, _ = make_runspace(tmp_path)
    monkeypatch.setenv("PSHELL_T_AFTER", "not seen")
    rs.invoke("$env:PSHELL_T_SET = 'mine'; Remove-Item Env:PSHELL_T_BEFORE")
    assert "PSHELL_T_SET" not in os.environ and os.environ["PSHELL_T_BEFORE"] == "seen"
    assert rs.invoke('"$env:PSHELL_T_SET [$env:PSHELL_T_AFTER] [$env:PSHELL_T_BEFORE]"') == \
        ["mine [] []"]
    assert other.invoke('"$env:PSHELL_T_BEFORE [$env:PSHELL_T_SET]"') == ["seen []"]


def test_native_commands_get_exactly_the_runspace_environment(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PSHELL_T_ONLY": "x y"}
    rs, _, err = make_runspace(tmp_path, env)
    lines = rs.invoke("/usr/bin/env")
    assert sorted(lines) == sorted(f"{k}={v}" for k, v in env.items()), err.getvalue()


def test_path_lookup_follows_the_runspace_path_only(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    tool(first, "pshell-t-tool", "echo first")
    tool(second, "pshell-t-tool", "echo second")
    a, _, _ = make_runspace(tmp_path, {"PATH": f"{first}:/usr/bin:/bin"})
    b, _, _ = make_runspace(tmp_path, {"PATH": f"{second}:/usr/bin:/bin"})
    assert a.invoke("pshell-t-tool") == ["first"]
    assert b.invoke("pshell-t-tool") == ["second"]
    a.invoke(f"$env:PATH = '{second}:' + $env:PATH")      # the lookup is not stuck on the old PATH
    assert a.invoke("pshell-t-tool; (Get-Command pshell-t-tool).Source") == \
        ["second", str(second / "pshell-t-tool")]
    assert find_executable("pshell-t-tool", str(tmp_path), {"PATH": str(first)}) == \
        str(first / "pshell-t-tool")
    assert find_executable("pshell-t-tool", str(tmp_path), {"PATH": "/nonexistent"}) is None


def test_a_program_added_to_the_path_later_is_found(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    rs, _, _ = make_runspace(tmp_path, {"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert rs.invoke("@(Get-Command pshell-t-late -ErrorAction SilentlyContinue).Count") == [0]
    tool(bin_dir, "pshell-t-late", "echo late")
    assert rs.invoke("pshell-t-late") == ["late"]


def test_home_is_the_runspace_home(tmp_path):
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    tool(home / "bin", "pshell-t-home", "echo from home")
    rs, _, _ = make_runspace(tmp_path, {"HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert rs.resolve_path("~/x") == str(home / "x")
    assert rs.invoke("$HOME; ~/bin/pshell-t-home; (Resolve-Path ~).Path") == \
        [str(home), "from home", str(home)]


def test_environment_class_methods_use_the_runspace(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", "/process/tmp")
    rs, _, _ = make_runspace(tmp_path, {"PSHELL_T_E": "e", "TMPDIR": str(tmp_path)})
    rs.invoke("[Environment]::SetEnvironmentVariable('PSHELL_T_F', 'f')")
    assert rs.invoke("[Environment]::GetEnvironmentVariable('PSHELL_T_E'); $env:PSHELL_T_F; "
                     "([Environment]::GetEnvironmentVariables()).Count; "
                     "[System.IO.Path]::GetTempPath()") == ["e", "f", 3, str(tmp_path) + "/"]
    assert "PSHELL_T_F" not in os.environ


def test_thread_jobs_changing_the_shared_environment_never_break_the_caller(tmp_path):
    """A thread job adds and removes variables while its caller lists the Env: drive and starts
    programs from the same dict: no 'dictionary changed size' error, every program starts."""
    rs, _, err = make_runspace(tmp_path, {"PATH": "/usr/bin:/bin"})
    rs.invoke("$j = Start-ThreadJob { foreach ($i in 1..3000) { "
              "New-Item Env:PSHELL_T_$i -Value x -Force | Out-Null; Remove-Item Env:PSHELL_T_$i } }")
    counts = rs.invoke("foreach ($n in 1..30) { (Get-ChildItem Env:).Count -gt 0; "
                       "(/usr/bin/env).Count -gt 0 }; Receive-Job -Wait $j")
    assert counts == [True] * 60, err.getvalue()
    assert "Internal error" not in err.getvalue() and "changed size" not in err.getvalue()


def test_a_remote_runspace_starts_from_the_process_environment_it_is_made_in(monkeypatch):
    """The contract the remote host relies on: a session's process sets os.environ to the login's
    environment before the runspace is made, and the runspace takes a copy then."""
    from pshell.remote.server import _default_runspace
    monkeypatch.setenv("PSHELL_T_LOGIN", "login value")
    rs = _default_runspace()
    monkeypatch.setenv("PSHELL_T_LOGIN", "changed later")
    rs.invoke("$env:PSHELL_T_REMOTE = 'r'")
    assert rs.invoke("$env:PSHELL_T_LOGIN") == ["login value"]
    assert "PSHELL_T_REMOTE" not in os.environ


def test_a_runspace_without_programs_on_its_path_leaves_others_alone(tmp_path):
    rs, _, err = make_runspace(tmp_path)
    other, _, _ = make_runspace(tmp_path)
    rs.execute("$env:PATH = '/nonexistent'")
    rs.execute("sh -c 'echo no'")
    assert "'sh' is not recognized" in err.getvalue()
    assert other.invoke("sh -c 'echo yes'") == ["yes"]
