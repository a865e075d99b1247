"""Get-Help for every cmdlet (pshell/help/commands_*.txt) and the about_ topics."""

from __future__ import annotations

import pytest

from pshell.cmdlets.help import command_entries, topic_names
from pshell.engine.cmdlet import all_cmdlets
from pshell.engine.runtime import Runspace
from pshell.engine.streams import CollectingStreams


@pytest.fixture
def rs(tmp_path):
    runspace = Runspace(location=str(tmp_path))
    yield runspace
    runspace.close()


def help_text(rs: Runspace, args: str) -> str:
    out = rs.invoke(f"Get-Help {args}", streams=CollectingStreams())
    return "".join(str(o) for o in out)


def test_every_cmdlet_has_a_description_and_an_example():
    entries = command_entries()
    missing = [cls.name for cls in all_cmdlets().values()
               if cls.name.lower() not in entries
               or not entries[cls.name.lower()].description
               or not entries[cls.name.lower()].examples]
    assert missing == []
    unknown = sorted(e.name for key, e in entries.items() if key not in all_cmdlets())
    assert unknown == []            # an entry for a cmdlet that does not exist is a typo


def test_default_help_has_description_syntax_and_examples(rs):
    text = help_text(rs, "Get-Job")
    for heading in ("NAME", "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES"):
        assert f"\n{heading}\n" in "\n" + text
    assert "PS> Get-Job -State Running" in text
    assert "PARAMETERS" not in text


def test_examples_only(rs):
    text = help_text(rs, "Copy-Item -Examples")
    assert "SYNTAX" not in text and "DESCRIPTION" not in text
    assert "----- Example 3 -----" in text
    # a two-line example stays one example
    assert "PS> $s = New-PSSession web1\n    PS> Copy-Item app.tar.gz" in text


def test_detailed_and_full_list_parameters(rs):
    detailed = help_text(rs, "Sort-Object -Detailed")
    assert "PARAMETERS" in detailed and "-Descending" in detailed and "Required?" not in detailed
    full = help_text(rs, "Sort-Object -Full")
    assert "Required?" in full and "Accept pipeline input?" in full and "EXAMPLES" in full


def test_parameter_help(rs):
    text = help_text(rs, "Get-Content -Parameter Tail")
    assert text.startswith("-Tail <Int32>")


def test_help_by_alias(rs):
    assert "NAME\n    Get-ChildItem" in help_text(rs, "gci")


@pytest.mark.parametrize("topic", ["about_pshell", "about_Remote_Disconnected_Sessions", "about_Thread_Jobs"])
def test_about_topics(rs, topic):
    assert topic in topic_names()
    text = help_text(rs, topic.lower())
    assert text.startswith(f"TOPIC\n    {topic}\n") and "SHORT DESCRIPTION" in text


def test_wildcard_lists_topics_and_commands(rs):
    out = rs.invoke("Get-Help *thread* | ForEach-Object Name")
    assert "Start-ThreadJob" in out and "about_Thread_Jobs" in out
