"""Writers that stream (Set-Content, Add-Content, Out-File past their bound), `> file` written in
batches without the formatter, and Get-Content handing bytes to a redirection: each gives the same
file as the whole-input path, never reads back what it writes, and says which file failed."""

from __future__ import annotations

import io
import os

import pytest

from pshell.cmdlets import _writer
from pshell.engine.host import PlainHost
from pshell.engine.runtime import Runspace


def run(script: str, where: str):
    out, err = io.StringIO(), io.StringIO()
    rs = Runspace(host=PlainHost(out, err, 80), location=where)
    rs.execute(script, "<test>")
    return out.getvalue(), err.getvalue()


@pytest.fixture
def small_bound(monkeypatch):
    """Writers start streaming after 64 characters instead of 4 M."""
    monkeypatch.setattr(_writer, "SPILL", 64)


LINES = "\n".join(f"line {i} é" for i in range(500)) + "\n"
BIG = "\n".join(f"line {i} é" for i in range(40000)) + "\n"     # more than Get-Content's block


def test_set_content_streams_the_same_file(tmp_path, small_bound):
    (tmp_path / "in.txt").write_text(LINES, encoding="utf-8")
    run("Get-Content in.txt | Set-Content out.txt; "
        "1..300 | Set-Content -NoNewline nn.txt; "
        "'x' | Set-Content small.txt", str(tmp_path))
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == LINES
    assert (tmp_path / "nn.txt").read_text() == "".join(str(i) for i in range(1, 301))
    assert (tmp_path / "small.txt").read_text() == "x\n"


def test_reading_and_writing_one_file_is_safe(tmp_path, small_bound):
    (tmp_path / "same.txt").write_text(BIG, encoding="utf-8")
    (tmp_path / "grow.txt").write_text(BIG, encoding="utf-8")
    (tmp_path / "native.txt").write_text(BIG, encoding="utf-8")
    os.symlink("same.txt", tmp_path / "link.txt")
    _, err = run("Get-Content same.txt | Set-Content same.txt\n"
                 "Get-Content grow.txt | Add-Content grow.txt\n"
                 "cat native.txt | Set-Content native.txt\n"
                 "Get-Content link.txt | Set-Content link.txt", str(tmp_path))
    assert err == ""
    assert (tmp_path / "same.txt").read_text(encoding="utf-8") == BIG
    assert (tmp_path / "grow.txt").read_text(encoding="utf-8") == BIG + BIG
    assert (tmp_path / "native.txt").read_text(encoding="utf-8") == BIG
    assert os.path.islink(tmp_path / "link.txt")        # written through, not replaced


def test_streamed_encoding_and_append(tmp_path, small_bound):
    run("1..100 | Set-Content -Encoding unicode u16.txt; 1..100 | Add-Content -Encoding unicode u16.txt",
        str(tmp_path))
    data = (tmp_path / "u16.txt").read_bytes()
    assert data.startswith(b"\xff\xfe") and data.count(b"\xff\xfe") == 1
    assert data[2:].decode("utf-16-le") == "".join(f"{i}\n" for i in range(1, 101)) * 2


def test_out_file_streams_text_and_tables(tmp_path, small_bound):
    (tmp_path / "in.txt").write_text(LINES, encoding="utf-8")
    script = ("Get-Content in.txt | Out-File out.txt\n"
              "$rows = 1..40 | ForEach-Object { [pscustomobject]@{ N = $_; Name = 'n' * ($_ % 7) } }\n"
              "$rows | Out-File table.txt\n"
              "$expected = $rows | Out-String\n"
              "[IO.File]::WriteAllText((Join-Path $PWD 'expected.txt'), $expected)")
    run(script, str(tmp_path))
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == LINES
    assert (tmp_path / "table.txt").read_text() == (tmp_path / "expected.txt").read_text()


def test_a_full_disk_is_reported_with_the_file(tmp_path, small_bound):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    _, err = run("1..5000 | Set-Content /dev/full; 'after'", str(tmp_path))
    assert "/dev/full" in err and "No space left" in err


def test_a_directory_target_is_an_error_not_a_traceback(tmp_path, small_bound):
    (tmp_path / "d").mkdir()
    out, err = run("1..100 | Set-Content d; 1..100 | Set-Content missing/x.txt; 'after'",
                   str(tmp_path))
    assert out == "after\n"
    assert "Traceback" not in err
    assert str(tmp_path / "d") in err and "missing" in err


def test_redirection_of_text_and_objects_keeps_order(tmp_path):
    script = ("& { 'a'; 1; 2.5; $true; [pscustomobject]@{ P = 1 }; 'after table'; \"x`r`ny\" } > r.txt\n"
              "& { 'a'; 1; 2.5; $true; [pscustomobject]@{ P = 1 }; 'after table'; \"x`r`ny\" } | "
              "Out-String -Stream | Set-Content s.txt")
    run(script, str(tmp_path))
    assert (tmp_path / "r.txt").read_text() == (tmp_path / "s.txt").read_text()
    assert (tmp_path / "r.txt").read_text().startswith("a\n1\n2.5\nTrue\n")


@pytest.mark.parametrize("data", [
    b"a\r\nb\r\nc", b"a\rb\rc\r", b"one\r\ntwo\rthree\nfour\r", b"ok\n\xe2\x82\nhalf\xff\xfe!\n",
    b"\xef\xbb\xbfhello\nworld", "hi\nthere\n".encode("utf-16"), b"", b"\n", b"x",
    (b"y" * 300000 + b"\r") * 5, b"q" * (1 << 20) + b"\r\n" + b"\xc3\xa9" * 1000 + b"\n",
    b"a\n\n\nb\n\n", b"\x00\n\x00\x00\n", b"\xf0\x9f\x98\x80" * (1 << 19),
    b"\xe2\x82" * 700000, b"\x80\xbf" * 600000 + b"\xf0\x9f",
    b"\xed\xa0\x80 \xc0\xaf \xe0\x80\xaf \xf4\x90\x80\x80 \xf8\x88\x80\x80\x80\n" * 50000,
], ids=["crlf", "cr", "mixed", "invalid-utf8", "bom", "utf16", "empty", "newline", "no-eol",
        "long-cr", "block-edge", "empty-lines", "nul-lines", "huge-line-4-byte-chars",
        "huge-line-truncated-chars", "stray-continuations-cut-end", "surrogates-overlong"])
def test_get_content_to_a_file_as_bytes_equals_the_text_path(tmp_path, data):
    (tmp_path / "in").write_bytes(data)
    run("Get-Content in > bytes.txt; Get-Content in | Write-Output > text.txt", str(tmp_path))
    assert (tmp_path / "bytes.txt").read_bytes() == (tmp_path / "text.txt").read_bytes()
    text = data.decode("utf-16" if data.startswith(b"\xff\xfe") else "utf-8-sig", "replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    assert (tmp_path / "text.txt").read_text(encoding="utf-8") == "".join(x + "\n" for x in lines)


def _edges():
    """Files whose block boundaries (every 1 MiB after 4 bytes) fall inside a character, between
    CR and LF, after a lone CR, or inside an invalid sequence."""
    block = 4 + (1 << 20)
    cases = {}
    for name, tail in (("crlf", b"\r\n"), ("cr", b"\rz"), ("euro", "\u20ac".encode()),
                       ("emoji", "\U0001f600".encode()), ("bad", b"\xe2\x82z"), ("e9", b"\xc3\xa9")):
        for shift in range(len(tail) + 1):
            body = b"a" * (block - shift) + tail + "\u00e9\n".encode() * 3
            cases[f"{name}-{shift}"] = body + body[:-1]
    return cases


EDGES = _edges()


@pytest.mark.parametrize("name", sorted(EDGES))
def test_block_edges_in_get_content_to_a_file(tmp_path, name):
    (tmp_path / "in").write_bytes(EDGES[name])
    run("Get-Content in > bytes.txt; Get-Content in | Write-Output > text.txt", str(tmp_path))
    assert (tmp_path / "bytes.txt").read_bytes() == (tmp_path / "text.txt").read_bytes()


def test_appending_blocks_and_text_keeps_order(tmp_path):
    """Blocks go through the writer thread; text after them waits for it."""
    big = b"".join(b"%08d\n" % i for i in range(400000))
    (tmp_path / "in").write_bytes(big)
    run("& { Get-Content in; 'between'; Get-Content in; 42 } > out.txt; 'x' >> out.txt; "
        "Get-Content in >> out.txt", str(tmp_path))
    assert (tmp_path / "out.txt").read_bytes() == big + b"between\n" + big + b"42\nx\n" + big


def test_a_full_disk_under_get_content_is_reported_with_the_file(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    (tmp_path / "in").write_bytes(b"line\n" * 1000000)
    (tmp_path / "one").write_bytes(b"line\n")
    out, err = run("Get-Content in > /dev/full; 'next'; Get-Content one > /dev/full", str(tmp_path))
    assert out == "next\n"
    assert err.count("Could not write to file '/dev/full': No space left on device") == 2


@pytest.mark.parametrize("one_cpu", [False, True], ids=["writer-thread", "one-cpu"])
def test_a_file_size_limit_is_an_error_and_keeps_what_was_written(tmp_path, one_cpu):
    """A short write (the file size limit reached inside a block) is continued and then fails
    loudly: the command exits non-zero and the file holds a prefix of the lines, never more.
    On one CPU the blocks are written without the writer thread."""
    import resource
    import subprocess
    import sys
    data = b"".join(b"%07d\n" % i for i in range(1000000))          # 8 MB: several blocks
    (tmp_path / "in").write_bytes(data)
    limit = 3 * (1 << 20) + 12345                                     # inside the fourth block

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        if one_cpu:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-m", "pshell", "-NoProfile", "-c",
                           "Get-Content in > out.txt; 'after'"],
                          cwd=tmp_path, preexec_fn=limited, capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=repo, NO_COLOR="1"))
    written = (tmp_path / "out.txt").read_bytes()
    assert done.returncode != 0
    assert "Could not write to file" in done.stderr.decode() and "out.txt" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
    assert len(written) == limit and data.startswith(written)


def test_one_failing_redirection_still_writes_the_others(tmp_path):
    """`2> /dev/full > ok.txt`: the full disk is reported, and ok.txt still gets its lines."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    out, err = run("& { 'a'; Write-Error 'oops'; 'b' } 2> /dev/full > ok.txt; 'after'", str(tmp_path))
    assert (tmp_path / "ok.txt").read_text() == "a\nb\n"
    assert "Could not write to file '/dev/full'" in err
    assert out == "after\n"


def test_an_encoding_reads_the_same_to_a_file_as_through_a_pipeline(tmp_path):
    data = b"caf\xe9\r\nna\xefve\rend\xff"
    (tmp_path / "in").write_bytes(data)
    run("Get-Content -Encoding utf8 in > u1.txt; Get-Content -Encoding utf8 in | Write-Output > u2.txt\n"
        "Get-Content -Encoding latin1 in > l1.txt; Get-Content -Encoding latin1 in | Write-Output > l2.txt",
        str(tmp_path))
    assert (tmp_path / "u1.txt").read_bytes() == (tmp_path / "u2.txt").read_bytes()
    assert (tmp_path / "u1.txt").read_text(encoding="utf-8") == "caf\ufffd\nna\ufffdve\nend\ufffd\n"
    assert (tmp_path / "l1.txt").read_bytes() == (tmp_path / "l2.txt").read_bytes()
    assert (tmp_path / "l1.txt").read_text(encoding="utf-8") == "café\nnaïve\nendÿ\n"
