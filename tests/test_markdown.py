"""Markdown: our parser and renderers (engine/markdown*.py) and the four cmdlets around them."""

from __future__ import annotations

import io
import re

import pytest

from pshell.engine.host import PlainHost
from pshell.engine.markdown import MAX_DEPTH, parse
from pshell.engine.markdown_render import PSMarkdownOptionInfo, to_html, to_vt100

ESC = "\x1b"
OPTIONS = PSMarkdownOptionInfo()


def html(text: str) -> str:
    return to_html(parse(text))


def vt(text: str, colour: bool = True) -> str:
    return to_vt100(parse(text), OPTIONS, colour)


# --------------------------------------------------------------------------- HTML

@pytest.mark.parametrize("source, expected", [
    ("# Getting started", '<h1 id="getting-started">Getting started</h1>\n'),
    ("### 2. Install & run ###", '<h3 id="install-run">2. Install &amp; run</h3>\n'),
    ("Title\n=====\n\nSub\n---", '<h1 id="title">Title</h1>\n<h2 id="sub">Sub</h2>\n'),
    ("a *b* **c** ***d*** ~~e~~ _f_ snake_case_name",
     "<p>a <em>b</em> <strong>c</strong> <em><strong>d</strong></em> <del>e</del> <em>f</em> "
     "snake_case_name</p>\n"),
    ("`a < b` and ``x ` y``", "<p><code>a &lt; b</code> and <code>x ` y</code></p>\n"),
    ("[site](https://x.org/a b) [t](/p \"T&C\")",
     '<p>[site](https://x.org/a b) <a href="/p" title="T&amp;C">t</a></p>\n'),
    ("![logo](img/l o.png)", "<p>![logo](img/l o.png)</p>\n"),
    ("![logo](<img/l o.png>)", '<p><img src="img/l%20o.png" alt="logo" /></p>\n'),
    ("see [docs][d]\n\n[d]: https://d.org \"Docs\"",
     '<p>see <a href="https://d.org" title="Docs">docs</a></p>\n'),
    ("<https://a.org> \\*not\\* 1 < 2 & 3", '<p><a href="https://a.org">https://a.org</a> *not* '
                                            '1 &lt; 2 &amp; 3</p>\n'),
    ("line one  \nline two", "<p>line one<br />\nline two</p>\n"),
    ("```ps1\nGet-Item <x>\n```", '<pre><code class="language-ps1">Get-Item &lt;x&gt;\n</code></pre>\n'),
    ("    indented\n      more", "<pre><code>indented\n  more\n</code></pre>\n"),
    ("- a\n- b\n  - c", "<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n"),
    ("3. x\n4. y", '<ol start="3">\n<li>x</li>\n<li>y</li>\n</ol>\n'),
    ("- a\n\n- b", "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n"),
    ("> quoted\nlazy\n> > inner", "<blockquote>\n<p>quoted\nlazy</p>\n<blockquote>\n<p>inner</p>\n"
                                  "</blockquote>\n</blockquote>\n"),
    ("***", "<hr />\n"),
    ("| a | b |\n|:-|-:|\n| 1 | 2 |",
     '<table>\n<thead>\n<tr>\n<th style="text-align: left;">a</th>\n<th style="text-align: right;">'
     'b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td style="text-align: left;">1</td>\n'
     '<td style="text-align: right;">2</td>\n</tr>\n</tbody>\n</table>\n'),
])
def test_html_shapes(source, expected):
    assert html(source) == expected


def test_heading_ids_are_unique():
    assert re.findall(r'id="([^"]*)"', html("# Intro\n# Intro\n# Intro\n# ")) == \
        ["intro", "intro-1", "intro-2", "section"]


def test_an_unterminated_fence_runs_to_the_end():
    assert html("```\ncode\n# not a heading") == "<pre><code>code\n# not a heading\n</code></pre>\n"


# --------------------------------------------------------------------------- VT100

def test_vt100_elements_in_their_colours():
    assert vt("## Two") == f"{ESC}[4;93mTwo{ESC}[0m\n\n"
    # a paragraph ending in a span has one line end, one ending in text two (pwsh's spacing)
    assert vt("**b** and *i*") == f"{ESC}[1mb{ESC}[0m and {ESC}[36mi{ESC}[0m\n"
    assert vt("*i* x") == f"{ESC}[36mi{ESC}[0m x\n\n"
    assert vt("[t](u)") == f'{ESC}[4;38;5;117m"t"{ESC}[0m\n'
    assert vt("![](u)") == f"{ESC}[33m[Image]{ESC}[0m\n"
    code = f"{ESC}[48;2;155;155;155;38;2;30;30;30m" if OPTIONS.Code.startswith("[48") else f"{ESC}[107;95m"
    assert vt("```\na\nb\n```") == f"{code}a{ESC}[500@{ESC}[0m\n{code}b{ESC}[500@{ESC}[0m\n\n"


def test_vt100_without_colour_is_plain_text():
    assert vt("# One\n\nSome `code` and **bold**\n\n- x\n- y\n\n> q", colour=False) == \
        "One\n\nSome code and bold\n- x\n- y\n\n> q\n\n"


def test_vt100_shows_the_documents_control_characters_as_symbols():
    text = "evil \x1b]0;title\x07 \x1b[2J \x9b31m # x"
    for colour in (True, False):
        out = vt(f"# {text}\n\n{text}\n\n`{text}`\n\n```\n{text}\n```", colour)
        escapes = re.findall(r"\x1b(\[[0-9;]*m|\[500@)", out)
        assert out.count(ESC) == len(escapes)          # only our colours, nothing of the text's
        assert "\x07" not in out and "\x9b" not in out
        assert "\u241b]0;title\u2407" in out


def test_a_colour_set_by_hand_to_anything_but_sgr_is_not_written():
    options = PSMarkdownOptionInfo()
    options.Header1 = "[31m\x1b]0;pwned\x07"
    assert to_vt100(parse("# x"), options, True) == "x\n\n"


def test_as_escape_sequence_and_themes():
    options = PSMarkdownOptionInfo()
    assert options.AsEscapeSequence("header2") == f"{ESC}[4;93m[4;93m{ESC}[0m"
    options.SetLightTheme()
    assert (options.Header2, options.Header6, options.Header1) == ("[4;33m", "[4;30m", "[7m")
    with pytest.raises(ValueError):
        options.AsEscapeSequence("Nope")


# --------------------------------------------------------------------------- hostile input

@pytest.mark.parametrize("source", [
    ">" * 20000 + " deep",
    "- " * 20000 + "deep",
    "".join("  " * i + "- x\n" for i in range(300)),
    "[" * 50000 + "]" * 50000,
    "[" * 3000 + "a" + "](u)" * 3000,
    "*" * 5000 + "a" + "*" * 5000,
    "*a " * 30000 + " a*" * 30000,
    "_a " * 50000,
    "`a``b" * 20000,
    "<" * 50000 + "&" * 50000,
    "![" * 50000,
    "[a](" + "(a" * 50000,
    "|a|b|\n|-|-|\n" + "|1|\n" * 5000,
])
def test_hostile_documents_render_without_error(source):
    blocks = parse(source)
    assert isinstance(to_html(blocks), str)
    assert isinstance(to_vt100(blocks, OPTIONS, True), str)


def test_nesting_beyond_the_limit_is_text():
    out = html(">" * (MAX_DEPTH + 10) + " deep")
    assert out.count("<blockquote>") == MAX_DEPTH
    assert "deep" in out


def test_nul_becomes_the_replacement_character():
    assert html("a\0b") == "<p>a\ufffdb</p>\n"


# --------------------------------------------------------------------------- the cmdlets

def _run(tmp_path, script, vt100=False):
    from pshell.engine.runtime import Runspace
    out, err = io.StringIO(), io.StringIO()
    host = PlainHost(out, err, 200, stdin=io.StringIO(""))
    if vt100:
        host.SupportsVirtualTerminal = True   # type: ignore[attr-defined]
    rs = Runspace(host=host, location=str(tmp_path))
    try:
        rs.execute(script, "<test>")
    finally:
        rs.close()
    return out.getvalue(), err.getvalue()


def test_convert_from_markdown_reads_paths_files_and_text(tmp_path):
    (tmp_path / "a.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("\ufeff*b*", encoding="utf-8")
    out, err = _run(tmp_path, "(ConvertFrom-Markdown a.md).Html; (Get-Item b.md | ConvertFrom-Markdown).Html;"
                              "(ConvertFrom-Markdown -LiteralPath b.md).Html;"
                              "('`x`' | ConvertFrom-Markdown).Html; (ConvertFrom-Markdown *.md).Count")
    assert err == ""
    assert out.split("\n")[:-1] == ['<h1 id="a">A</h1>', "", "<p><em>b</em></p>", "",
                                    "<p><em>b</em></p>", "", "<p><code>x</code></p>", "", "2"]


def test_convert_from_markdown_errors(tmp_path):
    (tmp_path / "dir.md").mkdir()
    out, err = _run(tmp_path, "$ErrorActionPreference = 'Stop';"
                              "foreach ($s in { ConvertFrom-Markdown nope.md },"
                              "{ ConvertFrom-Markdown Env:HOME },"
                              "{ ConvertFrom-Markdown Variable:x }, { ConvertFrom-Markdown -InputObject 1 },"
                              "{ ConvertFrom-Markdown dir.md }, { ConvertFrom-Markdown }) {"
                              " try { & $s } catch { $_.FullyQualifiedErrorId.Split(',')[0] } }")
    assert out.split() == ["FileNotFound", "OnlyFileSystemPathsSupported", "OnlyFileSystemPathsSupported",
                           "InvalidInputObject", "FileUnauthorizedAccess", "MissingMandatoryParameter"]


def test_a_file_that_is_not_utf8_is_read_with_a_warning(tmp_path):
    (tmp_path / "bad.md").write_bytes(b"# caf\xe9 \xff\xfe\n")
    out, err = _run(tmp_path, "(ConvertFrom-Markdown bad.md).Html")
    assert out == '<h1 id="caf">caf\ufffd \ufffd\ufffd</h1>\n\n'
    assert "not valid UTF-8" in err and "bad.md" in err and "offset 5" in err


def test_vt100_follows_the_host_and_the_options(tmp_path):
    script = ("('**b**' | ConvertFrom-Markdown -AsVT100EncodedString).VT100EncodedString;"
              "$o = Get-MarkdownOption; $o.EnableVT100Encoding = $false; '**c**' | Show-Markdown;"
              "Set-MarkdownOption -BoldForegroundColor '[32m'; '**d**' | Show-Markdown")
    out, _ = _run(tmp_path, script, vt100=True)
    assert out == f"{ESC}[1mb{ESC}[0m\n\nc\n\n{ESC}[32md{ESC}[0m\n\n"
    out, _ = _run(tmp_path, script, vt100=False)
    assert out == "b\n\nc\n\nd\n\n"


def test_set_markdown_option_sets(tmp_path):
    out, err = _run(tmp_path, "Set-MarkdownOption -Theme Light; (Get-MarkdownOption).Header2;"
                              "$p = Set-MarkdownOption -Header1Color '[4;1m' -PassThru;"
                              "$p.Header1; $p.Header2;"
                              "$keep = Get-MarkdownOption; Set-MarkdownOption -Theme Dark;"
                              "Set-MarkdownOption -InputObject $keep; (Get-MarkdownOption).Header1;"
                              "(Start-Job { (Get-MarkdownOption).Header1 } | Wait-Job | Receive-Job)")
    assert err == ""
    assert out.split() == ["[4;33m", "[4;1m", "[4;93m", "[4;1m", "[7m"]


@pytest.mark.parametrize("bad", ["red", "[31m\x1b]0;x\x07", "[31mX"])
def test_set_markdown_option_refuses_what_is_not_a_colour(tmp_path, bad):
    out, err = _run(tmp_path, f"Set-MarkdownOption -Code \"{bad}\"; (Get-MarkdownOption).Code -eq '[31m'")
    assert "not a colour" in err
    assert out.strip() in ("False", "")


def test_show_markdown_errors_on_an_empty_markdowninfo_and_without_a_browser(tmp_path):
    out, err = _run(tmp_path, "$m = [Microsoft.PowerShell.MarkdownRender.MarkdownInfo]::new();"
                              "try { Show-Markdown -InputObject $m -ErrorAction Stop }"
                              "catch { $_.FullyQualifiedErrorId };"
                              "try { $m | Show-Markdown -UseBrowser -ErrorAction Stop }"
                              "catch { $_.FullyQualifiedErrorId };"
                              "$env:DISPLAY = $null; $env:WAYLAND_DISPLAY = $null;"
                              "try { '# x' | Show-Markdown -UseBrowser } catch { $_.FullyQualifiedErrorId }")
    suffix = ",Microsoft.PowerShell.Commands.ShowMarkdownCommand"
    assert out.split() == [f"VT100EncodedStringIsNullOrEmpty{suffix}", f"HtmlIsNullOrEmpty{suffix}",
                           f"NoBrowserAvailable{suffix}"]


def test_typed_parameters_left_out_hold_their_types_empty_value(tmp_path):
    out, _ = _run(tmp_path, "function f { param([string]$s, [int]$i, [bool]$b, [hashtable]$h, $o)"
                            " ($null -eq $s), $s.Length, $i, $b, ($null -eq $h), ($null -eq $o) }; f")
    assert out.split() == ["False", "0", "0", "False", "True", "True"]
