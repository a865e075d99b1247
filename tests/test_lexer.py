"""Tests for pshell.lang.lexer: modal tokens, numbers, and tokenize_for_display."""

from __future__ import annotations

import os

import pytest
from work_count import OverBudget, assert_linear, work

from pshell.lang import ast as A
from pshell.lang.errors import ParseError
from pshell.lang.lex_display import tokenize_for_display
from pshell.lang.lex_numbers import parse_number
from pshell.lang.lexer import Lexer

_PACKAGE = os.path.dirname(os.path.abspath(A.__file__)) + os.sep   # pshell/lang/

KINDS = {"keyword", "command", "parameter", "variable", "string", "number", "operator", "comment",
         "type", "member", "punctuation", "text", "error"}


def tok(text, mode, pos=0):
    return Lexer(text).token(pos, mode)


def tokens(text, mode):
    lx = Lexer(text)
    out = []
    pos = 0
    while True:
        t = lx.token(pos, mode)
        if t.kind == "eof":
            return out
        out.append((t.kind, text[t.start:t.end]))
        pos = t.end


def classes(text):
    """(token text, kind) for the non-blank runs of tokenize_for_display."""
    return [(text[s:e], k) for s, e, k in tokenize_for_display(text) if text[s:e].strip()]


def kind_of(text, piece, nth=0):
    """The display kind of the run that starts where ``piece`` (nth occurrence) starts."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(piece, start + 1)
    for s, e, k in tokenize_for_display(text):
        if s <= start < e:
            return k
    raise AssertionError(piece)


def check_cover(text):
    runs = tokenize_for_display(text)
    pos = 0
    for s, e, k in runs:
        assert s == pos and e > s, (text, runs)
        assert k in KINDS, k
        pos = e
    assert pos == len(text)
    return runs


# --------------------------------------------------------------------------- modal tokens

def test_dash_words_by_mode():
    assert tok("-eq", "E").kind == "op" and tok("-eq", "E").value == "-eq"
    assert tok("-EQ", "E").value == "-eq"
    assert tok("-eq", "C").kind == "param" and tok("-eq", "C").value == ("eq", False)
    assert tok("-Path:x", "C").value == ("Path", True)
    assert tok("-Foo", "E").kind == "param"                 # not an operator: parser reports it
    assert tok("-", "E").kind == "-" and tok("--", "E").kind == "--"
    assert tok("-- ", "C").kind == "dashdash"
    assert tok("--x", "C").kind == "word"
    assert tok("-1", "C").kind == "num" and tok("-1", "C").value.value == -1
    assert tok("-1", "E").kind == "-"


def test_numbers_by_mode():
    assert tok("7z", "C").kind == "word"
    assert tok("7z", "E").kind == "num" and tok("7z", "E").end == 1
    assert tok("1.2.3", "C").kind == "word"
    assert tok("1kb", "C").value.value == 1024
    assert tok("1..5", "E").end == 1
    assert tokens("1..5", "E") == [("num", "1"), ("..", ".."), ("num", "5")]


def test_expression_tokens():
    assert tokens("$a+=1;$b -and !$c", "E") == [
        ("var", "$a"), ("+=", "+="), ("num", "1"), (";", ";"), ("var", "$b"), ("op", "-and"),
        ("!", "!"), ("var", "$c")]
    assert tokens("[int]::MaxValue", "E") == [("[", "["), ("ident", "int"), ("]", "]"),
                                              ("::", "::"), ("ident", "MaxValue")]
    assert tokens("@(1) @{} $(2) @splat", "E") == [
        ("@(", "@("), ("num", "1"), (")", ")"), ("@{", "@{"), ("}", "}"), ("$(", "$("),
        ("num", "2"), (")", ")"), ("splat", "@splat")]


def test_command_tokens():
    assert tokens("Get-X -Path a*.txt 1,2 > out 2>&1 | y", "C") == [
        ("word", "Get-X"), ("param", "-Path"), ("word", "a*.txt"), ("num", "1"), (",", ","),
        ("num", "2"), ("redir", ">"), ("word", "out"), ("redir", "2>&1"), ("|", "|"),
        ("word", "y")]
    assert tokens("a&&b||c & d", "C") == [("word", "a"), ("&&", "&&"), ("word", "b"),
                                          ("||", "||"), ("word", "c"), ("&", "&"), ("word", "d")]


def test_newlines_comments_continuations():
    assert tokens("a # c\r\nb `\n c <# x #> d", "C") == [
        ("word", "a"), ("newline", "\r\n"), ("word", "b"), ("word", "c"), ("word", "d")]


def test_spaced_flag():
    lx = Lexer("a  b(c")
    t = lx.token(1, "C")
    assert t.spaced and t.start == 3
    t = lx.token(4, "C")
    assert t.kind == "(" and not t.spaced


def test_token_cache():
    lx = Lexer("$x + 1")
    assert lx.token(0, "E") is lx.token(0, "E")


def test_words_produce_nodes():
    t = tok("a$b'c d'`te", "C")
    assert t.kind == "word" and t.plain is None
    assert isinstance(t.value, A.ExpandableString) and t.value.kind == "bare"
    assert t.value.parts[0] == "a" and t.value.parts[1].name == "b"
    assert t.value.parts[2] == "c d\te"
    t = tok("plain-word", "C")
    assert t.plain == "plain-word" and t.value.value == "plain-word"


def test_lexer_errors_are_parse_errors():
    for text in ['"abc', "'abc", "@'", '@"\nx', "${x", "<# x", "a`"]:
        with pytest.raises(ParseError) as info:
            Lexer(text).token(0, "C")
        assert info.value.incomplete


def test_span_line_and_column():
    lx = Lexer("ab\ncd\n\nef")
    s = lx.span(0, 1)
    assert (s.line, s.col) == (1, 1)
    s = lx.span(3, 5)
    assert (s.line, s.col) == (2, 1)
    s = lx.span(4, 5)
    assert (s.line, s.col) == (2, 2)
    s = lx.span(7, 9)
    assert (s.line, s.col) == (4, 1)
    s = lx.span(2, 3)                                    # the newline itself is on line 1
    assert (s.line, s.col) == (1, 3)


@pytest.mark.parametrize("word, value", [
    ("1", 1), ("0", 0), ("42l", 42), ("0x1F", 31), ("0XffL", 255), ("1.5", 1.5), (".5", 0.5),
    ("1e3", 1000.0), ("1.5e-3", 0.0015), ("2kb", 2048), ("1MB", 1048576), ("3gb", 3 * 1024 ** 3),
    ("1tb", 1024 ** 4), ("1pb", 1024 ** 5), ("0.5kb", 512.0), ("-7", -7), ("-0x10", -16),
    ("123456789012345678901234567890", 123456789012345678901234567890),
])
def test_parse_number(word, value):
    v = parse_number(word)
    assert v == value and type(v) is type(value)


@pytest.mark.parametrize("word", ["", "abc", "1abc", "1.2.3", "7z", "0x", "1e", "1..2", "1kbx",
                                  "--1", "1.5l", "1_000", "١"])
def test_parse_number_rejects(word):
    assert parse_number(word) is None


def test_parse_number_decimal_suffix():
    import decimal
    assert parse_number("1.5d") == decimal.Decimal("1.5")


def test_huge_number_does_not_raise():
    v = parse_number("9" * 6000)
    assert v is not None
    v = parse_number("1e999")
    assert v == float("inf")


# --------------------------------------------------------------------------- display

def test_display_empty():
    assert tokenize_for_display("") == []


def test_display_command_classification():
    text = "Get-ChildItem -Path /tmp *.log | Where-Object { $_.Length -gt 1kb } # note"
    assert classes(text) == [
        ("Get-ChildItem", "command"), ("-Path", "parameter"), ("/tmp", "text"),
        ("*.log", "text"), ("|", "operator"), ("Where-Object", "command"), ("{", "punctuation"),
        ("$_", "variable"), (".", "punctuation"), ("Length", "member"), ("-gt", "operator"),
        ("1kb", "number"), ("}", "punctuation"), ("# note", "comment")]


def test_display_keywords_and_types():
    text = "if ($x -eq 'a') { [int]$y = 5 } else { foreach ($i in $l) { break } }"
    assert kind_of(text, "if") == "keyword"
    assert kind_of(text, "else") == "keyword"
    assert kind_of(text, "foreach") == "keyword"
    assert kind_of(text, "in ") == "keyword"
    assert kind_of(text, "break") == "keyword"
    assert kind_of(text, "-eq") == "operator"
    assert kind_of(text, "'a'") == "string"
    assert kind_of(text, "int") == "type"
    assert kind_of(text, "$y") == "variable"
    assert kind_of(text, "5") == "number"
    assert kind_of(text, "=") == "operator"


def test_display_parameter_vs_operator():
    text = "ls -Recurse; $a -like 'x*'"
    assert kind_of(text, "-Recurse") == "parameter"
    assert kind_of(text, "-like") == "operator"
    assert kind_of(text, "ls") == "command"


def test_display_strings_with_variables():
    text = '"Hello $name, $($x + 1)!"'
    runs = classes(text)
    assert ('"Hello ', "string") in runs
    assert ("$name", "variable") in runs
    assert ("$x", "variable") in runs
    assert ("1", "number") in runs
    assert runs[-1] == ('!"', "string")


def test_display_here_string_and_block_comment():
    text = "<# help\n more #>\n$s = @'\nline $x\n'@\n"
    assert kind_of(text, "<#") == "comment"
    assert kind_of(text, "more") == "comment"
    assert kind_of(text, "@'") == "string"
    assert kind_of(text, "line") == "string"
    assert kind_of(text, "$x") == "string"               # single-quoted: no expansion


def test_display_function_and_param():
    text = "function Get-Thing { param([Parameter(Mandatory)][string]$Name) $Name.ToUpper() }"
    assert kind_of(text, "function") == "keyword"
    assert kind_of(text, "Get-Thing") == "command"
    assert kind_of(text, "param") == "keyword"
    assert kind_of(text, "Parameter") == "type"
    assert kind_of(text, "Mandatory") == "member"
    assert kind_of(text, "string") == "type"
    assert kind_of(text, "ToUpper") == "member"


def test_display_static_member_and_hashtable():
    text = "[math]::Round(2.5); @{ key = 'v' }"
    assert kind_of(text, "math") == "type"
    assert kind_of(text, "::") == "punctuation"
    assert kind_of(text, "Round") == "member"
    assert kind_of(text, "key") == "member"


def test_display_incomplete_input():
    for text in ['Get-X -Path "abc', "if ($x) {", "$x = @'\nabc", "<# open", "ls |", "${abc",
                 "Get-X `", "$x.", "[int", "@{ a = "]:
        runs = check_cover(text)
        assert all(k != "error" for _, _, k in runs), (text, runs)
    assert kind_of('Get-X -Path "abc', '"abc') == "string"
    assert kind_of('Get-X -Path "abc', "-Path") == "parameter"
    assert kind_of("<# open\nstill", "still") == "comment"
    assert kind_of("$x = @'\nabc", "abc") == "string"


def test_display_error_marks_offending_token():
    text = "foo ) bar -x"
    assert kind_of(text, ")") == "error"
    assert kind_of(text, "foo") == "command"
    assert kind_of(text, "-x") == "parameter"
    text = "1 2"
    assert kind_of(text, "2") == "error"


def test_display_after_error_keeps_classifying():
    text = "a && b\nGet-X -Path 'p'"
    assert kind_of(text, "Get-X") == "command"
    assert kind_of(text, "-Path") == "parameter"
    assert kind_of(text, "'p'") == "string"


def test_display_bare_words_with_variables():
    text = "cd $HOME/src a$x"
    assert kind_of(text, "$HOME") == "variable"
    assert kind_of(text, "/src") == "text"
    assert kind_of(text, "$x") == "variable"


def test_display_redirection_and_splat():
    text = "ls > out.txt 2>&1 @args"
    assert kind_of(text, ">") == "operator"
    assert kind_of(text, "2>&1") == "operator"
    assert kind_of(text, "out.txt") == "text"
    assert kind_of(text, "@args") == "variable"


def test_display_covers_text_exactly():
    for text in ["", " ", "\n", "a", "  ls  -la  \n\n", "1 + \t 2", "$x = 'a'\r\n$y",
                 "function f { param($a) }", "\x00\x01", "é ü ☃ $ünï = 'ç'", "`", "'", '"', "@",
                 "<#", "#", "$(", "@{", "[", "-", "--", "&&", ")))", "}}}", "\r", "\r\n\r\n"]:
        check_cover(text)


# --------------------------------------------------------------------------- counting work
# (tests/work_count.py: lines of the package counted, not time)


@pytest.mark.parametrize("piece, n", [
    ("Get-ChildItem -Path /tmp *.log | Where-Object { $_.Length -gt 1kb } # c\n", 20),
    ("(", 100), ('"$(', 50), ("{", 100), ("'unclosed ", 50), ("@{a=", 50),
    ("echo a$(", 20), ("echo a$(", 40), ("!", 700), ("[int]", 700)])
def test_display_work_is_linear(piece, n):
    # highlighting runs on every key press: 8x the text, at most 10x the work, runs covering it all.
    # Found: an unclosed `echo a$(` nest was parsed twice per level (2^k work), so the highlighter
    # hung on about 25 such characters; 40 and 320 of them now take linear work
    assert_linear(check_cover, lambda k: piece * k, n, _PACKAGE)


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:                                        # pragma: no cover
    given = None

def _check_cover_bounded(text):
    # no text, however odd, makes the highlighter do more than a bounded work per character
    # (calls into the package; typical texts take about 10 a character)
    try:
        work(lambda: check_cover(text), 300 * len(text) + 5000, _PACKAGE, lines=False)
    except OverBudget:
        pytest.fail(f"more than 300 calls a character highlighting {text!r}")


if given is not None:
    _pieces = st.sampled_from([
        "$x", "$", "@", "(", ")", "{", "}", "[", "]", "'", '"', "`", "#", "<#", "#>", "|", "&",
        ";", ",", ".", "..", "::", "-", "--", "-eq", "-not", "+", "=", "!", "\n", " ", "1",
        "0x1F", "kb", "if", "else", "foreach", "in", "switch", "function", "param", "Get-X",
        "-Path", "-Name:", "2>&1", ">", "@'\n", "'@", '@"\n', '"@', "$(", "@(", "@{", "${a b}",
        "[int]", ":lbl", "\r\n", "`n",
    ])

    @settings(deadline=None, max_examples=300,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.text(max_size=200))
    def test_hypothesis_display_random_text(text):
        _check_cover_bounded(text)

    @settings(deadline=None, max_examples=300,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.lists(_pieces, max_size=60).map("".join))
    def test_hypothesis_display_token_soup(text):
        _check_cover_bounded(text)
