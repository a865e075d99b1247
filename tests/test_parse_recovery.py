"""The parser's error recovery (lang/recovery.py): one text, every error; never a hang or a
Python exception, whatever the text."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pshell.lang.errors import ParseError
from pshell.lang.parser import parse
from pshell.lang.recovery import MAX_ERRORS


def errors_of(text: str):
    try:
        parse(text)
    except ParseError as exc:
        assert exc.errors[0] is exc
        return [(e.error_id, e.location.start) for e in exc.errors]
    return []


def ids(text: str):
    return [i for i, _ in errors_of(text)]


def test_one_error_per_broken_statement_on_separate_lines():
    text = "$a = (1 + )\n'fine'\n$b = @{ x = }\nif ($c -eq ) { 1 }\n"
    found = errors_of(text)
    assert [i for i, _ in found] == ["ExpectedValueExpression", "MissingStatementAfterAssignment",
                                     "ExpectedValueExpression"]
    assert [text.count("\n", 0, s) + 1 for _, s in found] == [1, 3, 4]


def test_errors_in_nested_blocks_are_all_found():
    text = "function f {\n  1 +\n  if (2 -gt) { }\n}\n$x = )\n"
    found = ids(text)
    assert "ExpectedValueExpression" in found
    assert found.count("ExpectedValueExpression") >= 2
    assert "UnexpectedToken" in found


def test_first_error_is_the_one_raised_and_others_rendered():
    with pytest.raises(ParseError) as info:
        parse("(1 + )\n$x = -\n", "s.ps1")
    assert info.value.location.line == 1
    assert len(info.value.errors) == 2
    rendered = info.value.render()
    assert "1 more parse error:" in rendered and "s.ps1:2:" in rendered


def test_unexpected_token_after_a_broken_expression():
    assert ids("$o.Prop[name]") == ["MissingArrayIndexExpression", "UnexpectedToken"]
    assert ids("$o.M[]()") == ["MissingArrayIndexExpression", "UnexpectedToken", "ExpectedExpression"]
    assert ids("1 2") == ["UnexpectedToken"]


def test_generic_type_arguments_cut_short():
    assert ids("$o.M[T") == ["EndSquareBracketExpectedAtEndOfType"]
    assert ids("$o.M[A[B") == ["EndSquareBracketExpectedAtEndOfAttribute",
                               "EndSquareBracketExpectedAtEndOfType"]
    assert ids("$o.M[T)") == ["EndSquareBracketExpectedAtEndOfType", "UnexpectedToken"]
    assert ids("$o.M[T,]()") == ["MissingTypename"]
    assert ids("[Array]::Empty[string]()") == []
    assert ids("$o.Items[0]; $o.Items[$i]; $o.M[int, string]($x)") == []


def test_incomplete_input_still_asks_for_more():
    with pytest.raises(ParseError) as info:
        parse("if ($x) {\n (1 + )\n")
    assert info.value.incomplete is False          # the first error is a real one
    assert info.value.errors[-1].incomplete is True
    with pytest.raises(ParseError) as info:
        parse("foreach ($i in 1..3) {\n $i\n")
    assert info.value.incomplete is True


def test_speculative_attribute_parse_is_not_polluted():
    # an attribute-looking start that is a type cast: no errors
    assert ids("[int]$x = 5\n[string]::Join(',', @(1))") == []
    assert ids("[ValidateNotNull()]\nparam($a)") == []


def test_error_count_is_bounded():
    text = ")\n" * (MAX_ERRORS * 3)
    found = errors_of(text)
    assert MAX_ERRORS <= len(found) <= MAX_ERRORS + 1
    assert found[-1][0] == "TooManyErrors"


@pytest.mark.parametrize("text", [
    "(" * 400, "{" * 400, "$(" * 400, "@{" * 400, "[" * 400, "'" + "x" * 100,
    "\"$(" * 200, "@'\n", "if (" * 300, "foreach(" * 200, ")]}" * 300, "|" * 500,
    "function f { param(" * 100, "try { } catch [" * 50, "$a.b[c" * 200, "1 +" * 300,
    "$" * 300, "switch (" * 150, "class C {" * 100,
])
def test_hostile_inputs_end_in_a_parse_error(text):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert all(isinstance(e, ParseError) for e in info.value.errors)
    assert len(info.value.errors) <= MAX_ERRORS + 1


_PIECES = st.sampled_from(["(", ")", "{", "}", "[", "]", "$(", "@(", "@{", "'", '"', "|", ";",
                           "\n", " ", "1", "+", "-eq", ",", "$x", ".", "::", "?.", "??", "if",
                           "foreach", "function", "f", "=", "`", "#", "<#", "#>", "@'", "'@",
                           "&", "&&", ">", "2>&1", "param", "class", "try", "catch", "?", ":",
                           "-", "!", "..", "@", "$$", "${", "]", "[int]", "-f", "--%"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=60))
def test_random_garbage_never_raises_anything_but_parse_error(pieces):
    text = "".join(pieces)
    try:
        parse(text)
    except ParseError as exc:
        assert exc.errors and exc.errors[0] is exc
        assert not any(e.message.startswith("Internal parser error") for e in exc.errors), \
            [e.message for e in exc.errors]


def test_a_script_with_errors_runs_nothing_and_lists_them(tmp_path):
    script = tmp_path / "bad.ps1"
    script.write_text("'ran'\n$a = (1 + )\n'also ran'\n$b = @{ x = }\n")
    done = subprocess.run([sys.executable, "-m", "pshell", "-File", str(script)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "ran" not in done.stdout
    assert "bad.ps1:2:" in done.stderr and "bad.ps1:4:" in done.stderr
