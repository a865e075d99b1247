"""Tab completion as the engine computes it (``pshell.engine.completion``), against a real Runspace."""

from __future__ import annotations

import io
import os
import shutil
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pshell.engine.completion import Completion, complete, split_words, ssh_config_hosts
from pshell.engine.runtime import Runspace


def make_runspace(location: str) -> Runspace:
    from pshell.engine.host import PlainHost
    return Runspace(host=PlainHost(out=io.StringIO(), err=io.StringIO()), location=location)


@pytest.fixture
def rs(tmp_path):
    runspace = make_runspace(str(tmp_path))
    yield runspace
    runspace.close()


def texts(completions):
    return [c.text for c in completions]


# ---- splitting the statement being typed --------------------------------------------------

def test_split_words_last_segment_only():
    words, in_comment = split_words("Get-Process | Where-Object -Prop")
    assert [w.value for w in words] == ["Where-Object", "-Prop"]
    assert not in_comment


def test_split_words_trailing_space_gives_empty_word():
    words, _ = split_words("Get-ChildItem ")
    assert [w.value for w in words] == ["Get-ChildItem", ""]
    assert words[-1].start == len("Get-ChildItem ")


def test_split_words_open_quote_is_one_word():
    words, _ = split_words("Get-Content 'My Doc")
    assert words[-1].value == "My Doc" and words[-1].quote == "'" and not words[-1].closed
    assert words[-1].start == len("Get-Content ")


def test_split_words_assignment_and_subexpression_start_commands():
    assert [w.value for w in split_words("$x = Get-Chi")[0]] == ["Get-Chi"]
    assert [w.value for w in split_words("Write-Output $(Get-Da")[0]] == ["Get-Da"]
    assert [w.value for w in split_words("if ($a) { Get-Da")[0]] == ["Get-Da"]


def test_split_words_comment():
    assert split_words("Get-Date # Get-Chi")[1] is True
    assert split_words("Get-Date <# Get-Chi")[1] is True
    assert split_words("Get-Date <# x #> Get-Chi")[0][-1].value == "Get-Chi"


# ---- commands ---------------------------------------------------------------------------------

def test_cmdlet_name(rs):
    found = complete(rs, "Get-ChildI")
    assert "Get-ChildItem" in texts(found)
    assert all(c.start == 0 for c in found)
    assert found[0].kind == "command"


def test_cmdlet_name_is_case_insensitive_and_keeps_canonical_case(rs):
    assert "Get-ChildItem" in texts(complete(rs, "get-childi"))


def test_cmdlet_name_after_pipe(rs):
    found = complete(rs, "Get-ChildItem | Select-Obj")
    assert texts(found) == ["Select-Object"]
    assert found[0].start == len("Get-ChildItem | ")


def test_wildcard_command_name(rs):
    found = texts(complete(rs, "Get-*Item"))
    assert "Get-ChildItem" in found and "Get-Item" in found


def test_executable_on_path(rs, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "zzpshell-tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    (bin_dir / "zzpshell-data").write_text("not executable")
    assert texts(complete(rs, "zzpsh")) == []
    rs.execute(f"$env:PATH = '{bin_dir}'")       # the runspace's PATH, not the process's
    assert texts(complete(rs, "zzpsh")) == ["zzpshell-tool"]
    assert str(bin_dir) not in os.environ.get("PATH", "")


def test_function_and_its_parameters(rs):
    rs.execute("function Deploy-App { param([string]$Target, [switch]$Force, "
               "[ValidateSet('Blue','Green')][string]$Slot) 'x' }")
    assert texts(complete(rs, "Deploy-A")) == ["Deploy-App"]
    assert texts(complete(rs, "Deploy-App -T")) == ["-Target"]
    assert texts(complete(rs, "Deploy-App -")) == ["-Target", "-Force", "-Slot"]
    assert texts(complete(rs, "Deploy-App -Slot G")) == ["Green"]


def test_advanced_function_has_common_parameters_and_aliases(rs, ssh_home):
    rs.execute("function Get-Thing { [CmdletBinding()] param([Alias('Server')][string]$ComputerName) }")
    assert texts(complete(rs, "Get-Thing -Verb")) == ["-Verbose"]
    assert texts(complete(rs, "Get-Thing -Server we")) == ["web01", "web02"]


def test_alias_name(rs):
    assert "gci" in texts(complete(rs, "gc"))


# ---- parameters -------------------------------------------------------------------------------

def test_parameter_of_cmdlet(rs):
    found = complete(rs, "Get-ChildItem -Recu")
    assert texts(found) == ["-Recurse"]
    assert found[0].start == len("Get-ChildItem ") and found[0].kind == "parameter"


def test_parameter_includes_common_parameters(rs):
    found = texts(complete(rs, "Get-ChildItem -ErrorA"))
    assert found == ["-ErrorAction"]


def test_parameter_through_alias(rs):
    assert "-Recurse" in texts(complete(rs, "gci -Re"))


def test_parameter_already_used_not_offered_again(rs):
    assert "-Recurse" not in texts(complete(rs, "Get-ChildItem -Recurse -"))


def test_parameter_of_unknown_command_is_nothing(rs):
    assert complete(rs, "Not-AThing -Fo") == []


def test_negative_number_is_not_a_parameter(rs, tmp_path):
    assert complete(rs, "Get-Random -Maximum -1") == [] or all(
        c.kind != "parameter" for c in complete(rs, "Get-Random -Maximum -1"))


def test_action_preference_values(rs):
    assert texts(complete(rs, "Get-ChildItem -ErrorAction Si")) == ["SilentlyContinue"]
    assert texts(complete(rs, "Get-ChildItem -ea st")) == ["Stop"]


# ---- variables --------------------------------------------------------------------------------

def test_variables(rs):
    rs.set_variable("DeployTarget", "web01")
    found = texts(complete(rs, "Write-Output $Deploy"))
    assert [t.lower() for t in found] == ["$deploytarget"]
    assert "$Error" in texts(complete(rs, "$Err"))


def test_variable_start_offset(rs):
    found = complete(rs, "Write-Output $HO")
    assert "$HOME" in texts(found)
    assert {c.start for c in found} == {len("Write-Output ")}


def test_environment_variables(rs, monkeypatch):
    monkeypatch.setenv("PSHELL_TEST_OTHER", "1")    # the process's, set after the runspace was made
    rs.execute("$env:PSHELL_TEST_VAR = 1")
    assert texts(complete(rs, "$env:PSHELL_TEST_")) == ["$env:PSHELL_TEST_VAR"]


# ---- paths ------------------------------------------------------------------------------------

@pytest.fixture
def tree(rs, tmp_path):
    (tmp_path / "My Documents").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "notebook").mkdir()
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "It's.txt").write_text("x")
    return tmp_path


def test_path_relative_to_runspace_location(rs, tree):
    found = complete(rs, "Get-Content no")
    assert texts(found) == ["notebook/", "notes.txt"]
    assert [c.kind for c in found] == ["directory", "path"]
    assert found[0].start == len("Get-Content ")


def test_path_with_space_is_quoted(rs, tree):
    assert texts(complete(rs, "Set-Location My")) == ["'My Documents/'"]


def test_path_inside_open_quote(rs, tree):
    found = complete(rs, "Get-ChildItem 'My D")
    assert texts(found) == ["'My Documents/'"]
    assert found[0].start == len("Get-ChildItem ")
    assert texts(complete(rs, 'Get-ChildItem "My D')) == ['"My Documents/"']


def test_path_with_quote_char_doubles_it(rs, tree):
    assert texts(complete(rs, "Get-Content It")) == ["'It''s.txt'"]


def test_hidden_files_only_when_asked(rs, tree):
    assert ".hidden" not in texts(complete(rs, "Get-Content "))
    assert texts(complete(rs, "Get-Content .h")) == [".hidden"]


def test_path_in_subdirectory_and_absolute(rs, tree):
    (tree / "notebook" / "page1.md").write_text("x")
    assert texts(complete(rs, "Get-Content notebook/pa")) == ["notebook/page1.md"]
    assert texts(complete(rs, f"Get-Content {tree}/notes")) == [f"{tree}/notes.txt"]


def test_path_follows_set_location(rs, tree):
    rs.set_location(str(tree / "notebook"))
    (tree / "notebook" / "inside.txt").write_text("x")
    assert texts(complete(rs, "Get-Content in")) == ["inside.txt"]


def test_script_path_in_command_position(rs, tree):
    script = tree / "deploy.ps1"
    script.write_text("'hi'")
    assert "./deploy.ps1" in texts(complete(rs, "./dep"))


# ---- ssh hosts --------------------------------------------------------------------------------

SSH_CONFIG = """\
Host web01 web02
    HostName 10.0.0.1
Host *.internal !bastion
Host db01
  User ops
Include extra.conf
"""


@pytest.fixture
def ssh_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text(SSH_CONFIG)
    (home / ".ssh" / "extra.conf").write_text("Host backup01\n")
    monkeypatch.setenv("HOME", str(home))
    return home


def test_ssh_config_hosts_skips_patterns(ssh_home):
    assert ssh_config_hosts() == ["web01", "web02", "db01", "backup01"]


def test_ssh_config_missing_is_empty(tmp_path):
    assert ssh_config_hosts(str(tmp_path / "nope")) == []


def test_host_after_computername(rs, ssh_home):
    found = complete(rs, "Invoke-Command -ComputerName we")
    assert texts(found) == ["web01", "web02"]
    assert found[0].kind == "host"


def test_host_as_first_argument_of_enter_pssession(rs, ssh_home):
    assert texts(complete(rs, "Enter-PSSession d")) == ["db01"]
    assert texts(complete(rs, "New-PSSession -HostName b")) == ["backup01"]


# ---- robustness -------------------------------------------------------------------------------

def test_cursor_in_the_middle(rs):
    text = "Get-ChildI | Sort-Object"
    found = complete(rs, text, len("Get-ChildI"))
    assert "Get-ChildItem" in texts(found)


def test_in_comment_nothing(rs):
    assert complete(rs, "# Get-Chi") == []


def test_completion_round_trips_as_dict():
    item = Completion("-Name", 4, "-Name", "parameter")
    assert Completion.from_dict(item.as_dict()) == item


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -$'\"`|;{}()#<>@:./~*\n\t")), max_size=30),
       st.integers(min_value=0, max_value=40))
def test_never_raises(text, cursor):
    runspace = make_runspace(os.getcwd())
    found = complete(runspace, text, cursor)
    assert isinstance(found, list)
    for item in found:
        assert 0 <= item.start <= min(cursor, len(text))


# ---- members ----------------------------------------------------------------------------------

def test_member_of_variable(rs):
    rs.execute("$server = [pscustomobject]@{ Name = 'web01'; Port = 22 }")
    found = complete(rs, "Write-Output $server.Na")
    assert texts(found) == ["$server.Name"]
    assert found[0].start == len("Write-Output ") and found[0].kind == "member"
    assert texts(complete(rs, "$server.")) == ["$server.Name", "$server.Port"]


def test_member_chain_and_string_methods(rs):
    rs.execute("$server = [pscustomobject]@{ Name = 'web01' }")
    assert texts(complete(rs, "$server.Name.Len")) == ["$server.Name.Length"]
    assert "$server.Name.ToUpper(" in texts(complete(rs, "$server.Name.To"))


def test_member_of_hashtable_keys(rs):
    rs.execute("$config = @{ Retries = 3 }")
    assert texts(complete(rs, "$config.Re")) == ["$config.Retries", "$config.Remove("]


def test_member_of_unknown_variable_is_nothing(rs):
    assert complete(rs, "$doesNotExist.") == []


# ---- completion scripts for the pshell command line ---------------------------------------------

COMPLETIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "completions")


def _bash_complete(words, cwd):
    import subprocess
    script = (f"source {COMPLETIONS}/pshell.bash\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
              "_pshell; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    return sorted(line for line in result.stdout.splitlines() if line)


@pytest.fixture
def scripts_dir(tmp_path):
    (tmp_path / "deploy.ps1").write_text("'x'")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    return tmp_path


def test_bash_completes_options_case_insensitively(scripts_dir):
    assert _bash_complete(["pshell", "-No"], scripts_dir) == ["-NoLogo", "-NoProfile", "-NonInteractive"]
    assert _bash_complete(["pshell", "-nop"], scripts_dir) == ["-NoProfile"]
    assert "--version" in _bash_complete(["pshell", "--"], scripts_dir)


def test_bash_completes_scripts_and_stops_after_command(scripts_dir):
    assert _bash_complete(["pshell", ""], scripts_dir) == ["deploy.ps1", "sub"]
    assert _bash_complete(["pshell", "-File", ""], scripts_dir) == ["deploy.ps1", "sub"]
    assert _bash_complete(["pshell", "-c", ""], scripts_dir) == []
    assert _bash_complete(["pshell", "deploy.ps1", "-"], scripts_dir) == []


@pytest.mark.skipif(not shutil.which("fish"), reason="fish is not installed")
def test_fish_completes_options_and_scripts(scripts_dir):
    import subprocess

    def fish(line):
        result = subprocess.run(["fish", "-N", "-c", f"source {COMPLETIONS}/pshell.fish; "
                                 f"complete -C '{line}'"], cwd=scripts_dir, capture_output=True,
                                text=True, timeout=120)
        return [row.split("\t")[0] for row in result.stdout.splitlines()]

    assert sorted(fish("pshell -No")) == ["-NoLogo", "-NoProfile", "-NonInteractive"]
    assert "deploy.ps1" in fish("pshell -File ")
    assert fish("pshell -c ") == []


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_script_parses():
    import subprocess
    result = subprocess.run(["zsh", "-n", os.path.join(COMPLETIONS, "_pshell")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_type_names(rs):
    assert texts(complete(rs, "[pscu")) == ["[pscustomobject"]
    assert texts(complete(rs, "function f { param([Validate")) == [
        "[ValidateNotNullOrEmpty", "[ValidateRange", "[ValidateSet"]
