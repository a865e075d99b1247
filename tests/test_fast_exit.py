"""A -c/-File/stdin run leaves with os._exit after the atexit handlers (cli.run), skipping the
interpreter's teardown, only when nothing can be lost.  Every script here runs twice, through
``run()`` (fast) and through ``main()`` with the interpreter's whole teardown: the files each
writer leaves, the exit code, stdout and stderr must be the same, and complete."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# run(): an object made by the last atexit handler (after start-up's gc.freeze) says, from its
# finaliser, whether the teardown ran
FAST = ("import os, atexit\n"
        "atexit.register(lambda: setattr(os, '_mark', type('M', (), {'__del__':\n"
        "    lambda self, write=os.write: write(2, b'@@teardown\\n')})()))\n"
        "import pshell.cli\n"
        "pshell.cli.run()\n")
SLOW = "from pshell.cli import main\nraise SystemExit(main())\n"

N = 30000
WRITERS = (f"1..{N} | Out-File a.txt; 1..{N} | Set-Content b.txt; 1..{N} | Add-Content c.txt;"
           f"1..{N} > d.txt; Write-Error 'x1x' 2> e.txt; 1..{N} | Tee-Object -FilePath f.txt | Out-Null;"
           "1..3 | ForEach-Object { [pscustomobject]@{n=$_} } | Export-Csv g.csv;"
           "@{k=1} | Export-Clixml h.xml; Get-Content a.txt > i.txt; Get-Content a.txt >> i.txt;"
           "$j = Start-Job { 1..500 }; Wait-Job $j | Out-Null; Receive-Job $j | Out-File j.txt")


def _go(tmp_path, name: str, runner: str, args, stdin: str = ""):
    where = tmp_path / name
    where.mkdir()
    done = subprocess.run([sys.executable, "-c", runner, "-NoProfile", *args], cwd=where,
                          input=stdin, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT, NO_COLOR="1", TERM="dumb"))
    files = {p.name: p.read_bytes() for p in where.iterdir()}
    return done, files


def _both(tmp_path, args, stdin: str = "", fast_expected: bool = True):
    fast, fast_files = _go(tmp_path, "fast", FAST, args, stdin)
    slow, slow_files = _go(tmp_path, "slow", SLOW, args, stdin)
    assert ("@@teardown" in fast.stderr) is not fast_expected, fast.stderr
    assert fast.stderr.replace("@@teardown\n", "") == slow.stderr
    assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout)
    assert fast_files == slow_files
    return fast, fast_files


def _lines(data: bytes):
    return data.decode("utf-8-sig").splitlines()


@pytest.mark.parametrize("ending, code", [("", 0), ("; exit 3", 3), ("; throw 'boom'", 1)])
def test_every_writer_leaves_its_whole_file(tmp_path, ending, code):
    done, files = _both(tmp_path, ["-c", WRITERS + ending])
    assert done.returncode == code
    for name in "abcdf":
        assert _lines(files[f"{name}.txt"]) == [str(i) for i in range(1, N + 1)], name
    assert len(_lines(files["i.txt"])) == 2 * N
    assert _lines(files["j.txt"])[-1] == "500"
    assert _lines(files["g.csv"]) == ['"n"', '"1"', '"2"', '"3"']
    assert b"</Objs>" in files["h.xml"]
    assert b"x1x" in files["e.txt"] and done.stdout == ""


@pytest.mark.parametrize("writer", ["Out-File m.txt", "Set-Content m.txt", "Add-Content m.txt",
                                    "Tee-Object -FilePath m.txt", "Out-Null > m.txt",
                                    "Export-Csv m.csv"])
def test_an_exit_in_the_middle_of_a_writing_pipeline(tmp_path, writer):
    script = f"1..{N} | ForEach-Object {{ if ($_ -eq 20000) {{ exit 4 }}; $_ }} | {writer}"
    done, _ = _both(tmp_path, ["-c", script])
    assert done.returncode == 4


def test_a_script_file_and_stdin(tmp_path):
    script = tmp_path / "s.ps1"
    script.write_text("param($n) 1..$n | Set-Content s.txt; exit 5\n")
    done, files = _both(tmp_path, ["-File", str(script), "100"])
    assert done.returncode == 5 and len(_lines(files["s.txt"])) == 100
    (tmp_path / "fast").rename(tmp_path / "file-fast")
    (tmp_path / "slow").rename(tmp_path / "file-slow")
    done, files = _both(tmp_path, ["-c", "-"], stdin=f"1..{N} | Out-File s.txt\nexit 6\n")
    assert done.returncode == 6 and len(_lines(files["s.txt"])) == N


@pytest.mark.parametrize("before", [
    # a file opened (by the process, not inherited) and still open for writing
    "import os, pshell.cli\n_main = pshell.cli.main\n"
    "def _open_then_main():\n"
    "    os.kept = open('w.txt', 'w')\n"
    "    os.kept.write('kept')\n"
    "    return _main()\n"
    "pshell.cli.main = _open_then_main",
    "import threading, time\n"                                 # a thread a normal exit waits for
    "threading.Thread(target=lambda: (time.sleep(0.3), open('w.txt', 'w').write('kept'))).start()"])
def test_what_could_be_lost_gets_the_teardown(tmp_path, before):
    """Something the teardown would still finish (a file's buffer flushed by its finaliser, a
    thread joined): then pshell exits the ordinary way, and nothing is lost."""
    runner = before + "\n" + FAST
    done, files = _go(tmp_path, "open", runner, ["-c", "exit 7"])
    assert "@@teardown" in done.stderr
    assert (done.returncode, files["w.txt"]) == (7, b"kept")


def test_stdout_whose_reader_is_gone(tmp_path):
    """`pshell -c ... | head -1`: the same exit code and message as with the teardown."""
    results = []
    for runner in (FAST, SLOW):
        shell = (f"{sys.executable!r} -c {_quote(runner)} -NoProfile -c '1..200000' | head -1; "
                 "echo \"rc=${PIPESTATUS[0]}\"")
        done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=tmp_path,
                              env=dict(os.environ, PYTHONPATH=ROOT, NO_COLOR="1", TERM="dumb"))
        results.append((done.stdout, done.stderr.replace("@@teardown\n", "")))
    assert results[0] == results[1]
    assert results[0][0].startswith("1\n")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_a_run_without_threads_leaves_fast_without_importing_threading(tmp_path):
    """Deciding whether a thread is left needs ``threading`` only when something imported it
    (no thread was started otherwise); a fast exit of ``pshell -c 1`` does not load it."""
    runner = FAST + "\n"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", runner, "-NoProfile", "-c",
                           "1; exit 4"], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT, NO_COLOR="1", TERM="dumb"))
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")]
    assert (done.returncode, done.stdout) == (4, "1\n"), done.stderr
    assert "@@teardown" not in done.stderr
    assert "pshell.cli" in imported and "threading" not in imported
