"""Texts the sessions ran, compiled ahead by the supervisor for the spares it forks next
(remote/precompile.py, engine/compiler.py's shared units): a shared unit carries nothing from one
run to another, a session reports only what it parsed anew, and no report can crash, hang or
flood the supervisor."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest

from pshell.engine import compiler
from pshell.engine.runtime import Runspace
from pshell.remote.precompile import COST_MAX, Precompiler, tell_ran
from test_oneshot import Once, supervisor  # noqa: F401 (a fixture: a real supervisor)

# defines a function and variables; says what it found defined before it ran; uses its
# arguments, $using: and input, which differ per run
_TEXT = ("'before: ' + [bool](Get-Command leaky -ErrorAction SilentlyContinue) + ' ' + "
         "[bool](Get-Variable left -Scope Global -ErrorAction SilentlyContinue); "
         "function global:leaky { 'leak' }; $global:left = $args[0]; "
         "\"args $($args[0]) using $using:u input $(@($input) -join ',')\"")


@pytest.fixture
def shared():
    """The process's shared units, emptied after the test (the table is process-wide)."""
    saved = dict(compiler._SHARED)
    compiler._SHARED.clear()
    yield
    compiler._SHARED.clear()
    compiler._SHARED.update(saved)
    compiler.note_texts(False)


def _compile_reported(texts):
    logged = []
    pre = Precompiler(logged.append)
    pre.heard({"op": "ran", "texts": [[t, "<test>", 0.001] for t in texts]})
    pre.compile_pending(threading.Lock(), lambda: True)
    return pre, logged


def test_a_shared_unit_runs_in_each_runspace_with_its_own_arguments_and_nothing_left(shared):
    _compile_reported([_TEXT])
    unit = compiler.shared_unit(_TEXT, "<test>")
    assert unit is not None
    outputs = []
    for arg, using, data in [(1, "a", [10, 11]), (2, "b", [20]), (3, "c", None)]:
        rs = Runspace()
        assert rs.compile(_TEXT, "<test>").unit is unit       # taken, not parsed again
        outputs.append(rs.invoke(_TEXT, args=[arg], using={"u": using}, input=data, source="<test>"))
    assert outputs == [["before: False False", "args 1 using a input 10,11"],
                       ["before: False False", "args 2 using b input 20"],
                       ["before: False False", "args 3 using c input "]]


def test_a_forked_process_runs_the_inherited_unit_and_reports_nothing(shared):
    """What a spare does: forked after the supervisor compiled the text, it runs it without
    parsing it (nothing noted for the supervisor), and what it defines stays in it."""
    _compile_reported([_TEXT])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:        # the "session"
        try:
            compiler.note_texts()
            rs = Runspace()
            same = rs.compile(_TEXT, "<test>").unit is compiler.shared_unit(_TEXT, "<test>")
            out = rs.invoke(_TEXT, args=[7], using={"u": "x"}, source="<test>")
            os.write(write, json.dumps([same, out, compiler.take_noted()]).encode())
        finally:
            os._exit(0)
    os.close(write)
    data = b""
    while True:
        chunk = os.read(read, 65536)
        if not chunk:
            break
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    assert json.loads(data) == [True, ["before: False False", "args 7 using x input "], []]
    rs = Runspace()     # the parent (the supervisor) never ran it: nothing defined here
    assert rs.invoke("[bool](Get-Command leaky -ErrorAction SilentlyContinue)") == [False]


def test_a_session_reports_the_texts_it_parsed_anew_once_each_and_bounded(shared):
    compiler.note_texts()
    _compile_reported(["'shared'"])
    rs = Runspace()
    rs.invoke("'shared'", source="<test>")
    rs.invoke("'new'", source="<test>")
    rs.invoke("'new'", source="<test>")             # the runspace's own table: not noted again
    big = "'" + "x" * compiler.TEXT_MAX + "'"
    rs.invoke(big, source="<test>")
    for n in range(compiler.SHARED_MAX + 5):
        rs.invoke(f"'{n}'", source="<test>")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        tell_ran(ours)
        ours.close()
        reports = []
        while True:
            data = theirs.recv(1 << 20)
            if not data:
                break
            reports.append(json.loads(data))
    finally:
        theirs.close()
    texts = [t for r in reports for t, _, _ in r["texts"]]
    assert texts[0] == "'new'" and "'shared'" not in texts and big not in texts
    assert len(texts) == compiler.SHARED_MAX
    assert all(r["op"] == "ran" and r["texts"][0][1] == "<test>" and r["texts"][0][2] >= 0
               for r in reports)
    assert compiler.take_noted() == []


def test_hostile_reports_are_dropped_in_the_lobby(shared):
    """What a report may hold is checked before anything is queued: sizes, types, the cost."""
    pre = Precompiler(lambda text: None)
    huge = "1;" * (5 << 20)                     # 10 MB
    for texts in ("x", None, 5, [["1"]], [[1, "<s>", 0.0]], [["1", None, 0.0]],
                  [[huge, "<s>", 0.0]], [["1", "s" * 5000, 0.0]], [["1", "<s>", True]],
                  [["1", "<s>", float("nan")]], [["1", "<s>", -1]], [["1", "<s>", COST_MAX * 2]],
                  [["1", "<s>", "0"]], [[["1"], "<s>", 0.0]]):
        pre.heard({"op": "ran", "texts": texts})
    assert not pre.pending()
    pre.heard({"op": "ran", "texts": [[str(n), "<s>", 0.0] for n in range(1000)]})
    assert len(pre.wanted) == compiler.SHARED_MAX
    for n in range(500):
        pre.heard({"op": "ran", "texts": [[f"'{n}'", "<s>", 0.0]]})
    assert len(pre.wanted) == compiler.SHARED_MAX and ("'499'", "<s>") in pre.wanted


def test_the_supervisors_lobby_takes_garbage_on_a_control_socket(shared):
    from pshell.remote.session_table import SessionTable
    table = SessionTable.__new__(SessionTable)
    table.precompiler = Precompiler(lambda text: None)
    for data in (b"\xff\xfe garbage", b'{"op": "ran"}', b'{"op": "ran", "texts": {"a": 1}}',
                 b'[1, 2]', b'{"op": "ran", "texts": [["\\ud800 1", "<s>", 0.0]]}'):
        table._heard(None, data)        # type: ignore[arg-type]
    assert list(table.precompiler.wanted) == [("\ud800 1", "<s>")]


def test_texts_that_do_not_compile_here_are_remembered_not_retried_and_end_nothing(shared):
    """Compiled in a thread, as the supervisor's refill does: deep nesting, a parse error, a
    lone surrogate; the supervisor goes on, and a good text after them is shared."""
    bad = ["(" * 30000 + "1" + ")" * 30000, "{" * 20000, "$a" + ".b" * 20000, "if (",
           "'\ud800' + \"\udfff\"", "'ok'"]
    bad = [t[:compiler.TEXT_MAX] for t in bad]
    logged = []
    pre = Precompiler(logged.append)
    pre.heard({"op": "ran", "texts": [[t, "<s>", 0.0] for t in bad]})
    worker = threading.Thread(target=pre.compile_pending,
                              args=(threading.Lock(), lambda: True))
    deadline = time.monotonic() + 120
    while pre.pending() and time.monotonic() < deadline:      # BUDGET a call: call again
        worker = threading.Thread(target=pre.compile_pending, args=(threading.Lock(), lambda: True))
        worker.start()
        worker.join(120)
    assert not pre.pending()
    assert compiler.shared_unit("'ok'", "<s>") is not None
    assert compiler.shared_unit("'\ud800' + \"\udfff\"", "<s>") is not None
    failed = set(pre.failed)
    assert {(t, "<s>") for t in bad[:4]} <= failed
    pre.heard({"op": "ran", "texts": [[bad[3], "<s>", 0.0]]})
    assert not pre.pending()            # not tried again
    rs = Runspace()
    assert rs.invoke("'\ud800' + \"\udfff\"", source="<s>") == ["\ud800\udfff"]


def test_the_table_keeps_the_latest_texts(shared):
    for n in range(compiler.SHARED_MAX + 3):
        compiler.share(compiler.compile_ahead(f"{n}", "<s>"))
    texts = [t for t, _ in compiler.shared_texts()]
    assert len(texts) == compiler.SHARED_MAX and texts[-1] == str(compiler.SHARED_MAX + 2)
    assert "0" not in texts


def test_sessions_of_a_real_supervisor_running_a_text_again_share_nothing(supervisor):  # noqa: F811
    """Session A runs the text (the supervisor compiles it for the next spares); sessions after
    it run it with their own arguments and find nothing A defined."""
    sock_path, state = supervisor
    text = _TEXT.replace("$using:u", "$env:PSHELL_PRECOMPILE_T")
    seen = []
    for n in range(3):
        once = Once(sock_path)
        once.open()
        once.send({"t": "invoke", "id": 1, "rs": 0, "script": text, "args": [n], "using": {},
                   "input": [n * 10], "source": "<remote>"})
        done = once.until("done")[-1]
        once.close()
        seen.append(done.get("o"))
        time.sleep(0.6)         # the sessions' report, the refill: compiled, spares forked
    assert seen == [["before: False False", f"args {n} using  input {n * 10}"] for n in range(3)]
    # hostile texts through a real session: too large to report, a lone surrogate, a parse error
    once = Once(sock_path)
    once.open()
    for inv_id, script in enumerate(["'" + "y" * (compiler.TEXT_MAX + 10) + "'.Length",
                                     "'\ud800'.Length", "if ("], 1):
        once.send({"t": "invoke", "id": inv_id, "rs": 0, "script": script, "args": [],
                   "using": {}, "input": None, "source": "<remote>"})
        done = once.until("done", inv_id=inv_id)[-1]
        if inv_id < 3:
            assert done["ok"] and done["o"] == [compiler.TEXT_MAX + 10 if inv_id == 1 else 1]
        else:
            assert not done["ok"]
    once.close()
    time.sleep(0.6)
    once = Once(sock_path)
    once.open("'\ud800'.Length")
    assert once.until("done")[-1]["o"] == [1]
    once.close()
    log = (state / "host.log").read_text()
    assert "Traceback" not in log and "failed" not in log, log
