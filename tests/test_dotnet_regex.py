""".NET patterns and replacements on Python's re (pshell/engine/dotnet_regex.py)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pshell.engine.dotnet_regex import RegexNotSupported, options_flags, substitution, translate

# (pattern, text, expected match or None)
MATCHES = [
    (r"(?<year>\d{4})-(?<m>\d\d)", "on 2024-05 ok", "2024-05"),
    (r"(?'n'a+)b", "xaab", "aab"),
    (r"(?<w>o)\k<w>", "foo", "oo"),
    (r"(?<w>o)\k'w'", "foo", "oo"),
    (r"^[\w-.]+$", "a-b.c", "a-b.c"),
    (r"^[.-\w]+$", "a-b.c", "a-b.c"),
    (r"abc\z", "abc\n", None),
    (r"abc\Z", "abc\n", "abc"),
    (r"a(?i)b", "aB", "aB"),
    (r"a(?i)b", "AB", None),
    (r"x(?i)b|c", "C", "C"),                  # the option holds for later alternatives
    (r"(x(?i)b)|c", "C", None),               # ... but ends with its group
    (r"(?i)abc", "ABC", "ABC"),
    (r"(?i:a)b", "Ab", "Ab"),
    (r"\e", "\x1b", "\x1b"),
    (r"\cC", "\x03", "\x03"),
    (r"^\p{L}+$", "héllo", "héllo"),
    (r"\P{L}", "ab1", "1"),
    (r"[[]", "a[b", "["),
    (r"[a&&b]", "&", "&"),
    (r"(a)?(?(1)b|c)", "c", "c"),
    (r"(?<=ab)c", "abc", "c"),
    (r"(?<!a)c", "bc", "c"),
]


@pytest.mark.parametrize("pattern,text,expected", MATCHES)
def test_translated_patterns_match_as_in_dotnet(pattern, text, expected):
    m = re.search(translate(pattern), text)
    assert (m.group(0) if m else None) == expected


@pytest.mark.parametrize("pattern,construct", [
    (r"(?<a-b>x)", "balancing group"), (r"(?'a-b'x)", "balancing group"),
    (r"[a-z-[aeiou]]", "subtraction"), (r"\Gx", r"\G"), (r"(?n)(a)", "explicit capture"),
    (r"\p{Lu}", r"\p{Lu}"), (r"[\p{L}]", "inside a character class"), (r"(?<1>a)", "numbered"),
    (r"(?(a+)b|c)", "conditional"),
])
def test_untranslatable_constructs_are_named(pattern, construct):
    with pytest.raises(RegexNotSupported) as info:
        translate(pattern)
    assert construct in str(info.value)
    assert "offset" in str(info.value)


def test_substitutions():
    m = re.search(translate(r"(?<first>\w+) (?<second>\w+)"), "<hello big> world")
    assert substitution(r"${second} $1")(m) == "big hello"
    assert substitution("[$&]")(m) == "[hello big]"
    assert substitution("[$`|$']")(m) == "[<|> world]"
    assert substitution("$_")(m) == "<hello big> world"
    assert substitution("$+")(m) == "big"
    assert substitution("$$1 $9 ${nope} $")(m) == "$1 $9 ${nope} $"
    assert substitution("$12")(m) == "hello2"          # the longest group number that exists
    assert substitution("${2}x")(m) == "bigx"


def test_options():
    assert options_flags("IgnoreCase, Multiline") == re.IGNORECASE | re.MULTILINE
    assert options_flags(["Singleline", "IgnorePatternWhitespace"]) == re.DOTALL | re.VERBOSE
    assert options_flags(1 | 16) == re.IGNORECASE | re.DOTALL
    with pytest.raises(ValueError, match="not a RegexOptions value"):
        options_flags("Bogus")
    with pytest.raises(ValueError, match="not supported"):
        options_flags("RightToLeft")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab()[]{}<>?*+|\\-^$.'&:=!#kzZGepPcLn0123,", max_size=24))
def test_any_text_translates_or_is_refused_cleanly(pattern):
    """Hostile patterns: the translator gives a string or RegexNotSupported, never a crash."""
    try:
        out = translate(pattern)
    except RegexNotSupported:
        return
    assert isinstance(out, str)
    try:
        re.compile(out)
    except (re.error, OverflowError, RecursionError):
        pass


def test_plain_patterns_are_unchanged():
    for pattern in (r"^\d+\.\d*$", r"a|b|c", r"(ab)+?", r"[^a-z]\s\S\b", r"x{2,3}"):
        assert translate(pattern) == pattern
