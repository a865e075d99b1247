"""Get-EventLog / Get-WinEvent on Linux, against log files and a stand-in journalctl that the
tests write themselves (PSHELL_LOG_DIR, PSHELL_JOURNALCTL), so the results are deterministic."""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest
from hypothesis import given, settings, strategies as st

from pshell.cmdlets import eventlog
from pshell.cmdlets.eventlog import _reverse_lines, parse_syslog_line

SYSLOG = """\
Jan  5 10:00:00 web1 systemd[1]: Started Daily apt upgrade.
Jan  5 10:01:00 web1 sshd[222]: Failed password for root from 10.0.0.9 port 2222 ssh2
Jan  5 10:02:00 web1 kernel: [  12.345] eth0: link up

Jan  5 10:03:00 web1 CRON[333]: (root) CMD (run-parts /etc/cron.hourly)
2024-01-05T10:04:00.123456+00:00 web1 nginx[444]: warning: upstream is slow
Jan  5 10:05:00 web1 pshell[555]: job 3 finished
"""

AUTH = """\
Jan  5 09:00:00 web1 sshd[10]: Accepted publickey for ops
Jan  5 09:30:00 web1 sudo: ops : TTY=pts/0 ; COMMAND=/bin/ls
"""


@pytest.fixture
def logdir(tmp_path, monkeypatch):
    folder = tmp_path / "log"
    folder.mkdir()
    (folder / "syslog").write_text(SYSLOG)
    (folder / "auth.log").write_text(AUTH)
    (folder / "myapp.log").write_text("Jan  5 11:00:00 web1 myapp: hello from myapp\n")
    monkeypatch.setenv("PSHELL_LOG_DIR", str(folder))
    monkeypatch.delenv("PSHELL_JOURNALCTL", raising=False)
    # pshell's own event log (engine start/stop) lives in the state directory: keep it empty here
    monkeypatch.setenv("PSHELL_STATE_DIR", str(tmp_path / "state"))
    return folder


@pytest.fixture
def rs(tmp_path):
    from pshell.engine.runtime import Runspace
    from pshell.engine.streams import CollectingStreams
    runspace = Runspace(host=CollectingStreams(), location=str(tmp_path))
    yield runspace
    runspace.close()


def run(rs, script):
    return rs.invoke(script)


def errors(rs):
    return [str(rec) for kind, rec in rs.host.records if kind == "error"]


# ---------------------------------------------------------------------------- parsing

def test_parse_bsd_line():
    raw = parse_syslog_line("Jan  5 10:01:00 web1 sshd[222]: Failed password for root", 9,
                            year=2024)
    assert raw.time == dt.datetime(2024, 1, 5, 10, 1)
    assert (raw.host, raw.source, raw.pid, raw.index) == ("web1", "sshd", 222, 9)
    assert raw.message == "Failed password for root"
    assert eventlog.entry_type_of(raw.priority) == "Error"


def test_parse_iso_line_converts_to_local_time():
    raw = parse_syslog_line("2024-01-05T10:04:00.5+00:00 web1 nginx[4]: warning: slow", 1)
    expected = dt.datetime(2024, 1, 5, 10, 4, 0, 500000, tzinfo=dt.timezone.utc)
    assert raw.time == expected.astimezone().replace(tzinfo=None)
    assert eventlog.entry_type_of(raw.priority) == "Warning"
    assert raw.source == "nginx"


def test_parse_priority_prefix_wins_over_guessing():
    raw = parse_syslog_line("<11>Jan  5 10:00:00 host app: all good", 1)
    assert raw.priority == 3 and not raw.guessed


def test_parse_untagged_and_blank():
    assert parse_syslog_line("   ", 1) is None
    raw = parse_syslog_line("just some text", 4)
    assert raw.message == "just some text" and raw.time is None


def _reverse(path):
    return list(_reverse_lines(str(path)))


def test_reverse_lines_matches_forward(tmp_path):
    path = tmp_path / "big.log"
    lines = [f"line {i} " + "x" * (i % 97) for i in range(30000)]
    path.write_text("\n".join(lines) + "\n")
    got = _reverse(path)
    assert [text for _, text in got] == lines[::-1]
    assert [n for n, _ in got] == list(range(len(lines), 0, -1))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n\r", max_size=300))
def test_reverse_lines_property(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("rev") / "f.log"
    path.write_bytes(text.encode())
    forward = text.split("\n")
    if forward and forward[-1] == "":
        forward.pop()
    expected = [(i + 1, line.rstrip("\r")) for i, line in enumerate(forward)][::-1]
    assert _reverse(path) == expected


# ---------------------------------------------------------------------------- Get-EventLog, files

def test_system_log_newest_first(logdir, rs):
    entries = run(rs, "Get-EventLog system")
    assert [e.Source for e in entries] == ["pshell", "nginx", "CRON", "kernel", "sshd", "systemd"]
    assert entries[0].Index == 7 and entries[-1].Index == 1
    assert entries[0].Message == "job 3 finished"
    assert entries[0].MachineName == "web1"
    assert entries[0].TimeGenerated.hour == 10


def test_newest(logdir, rs):
    assert [e.Source for e in run(rs, "Get-EventLog -LogName System -Newest 2")] == \
        ["pshell", "nginx"]


def test_entry_type_filter(logdir, rs):
    assert [e.Source for e in run(rs, "Get-EventLog system -EntryType Error")] == ["sshd"]
    assert [e.Source for e in run(rs, "Get-EventLog system -EntryType Error, Warning")] == \
        ["nginx", "sshd"]


def test_source_and_message_filters(logdir, rs):
    assert [e.Source for e in run(rs, "Get-EventLog system -Source cr*")] == ["CRON"]
    assert [e.Index for e in run(rs, "Get-EventLog system -Message '*password*'")] == [2]


def test_after_and_before(logdir, rs):
    year = run(rs, "(Get-EventLog system -Newest 1).TimeGenerated.Year")[0]
    entries = run(rs, f"Get-EventLog system -After ([datetime]'{year}-01-05 10:01:30') "
                      f"-Before ([datetime]'{year}-01-05 10:03:30')")
    assert [e.Source for e in entries] == ["CRON", "kernel"]


def test_security_reads_auth_log(logdir, rs):
    assert [e.Source for e in run(rs, "Get-EventLog security")] == ["sudo", "sshd"]


def test_named_log_file(logdir, rs):
    entries = run(rs, "Get-EventLog myapp")
    assert [e.Message for e in entries] == ["hello from myapp"]


def test_pshell_log_from_syslog(logdir, rs):
    assert [e.Message for e in run(rs, "Get-EventLog 'Windows PowerShell'")] == ["job 3 finished"]


def statement_error(rs, script):
    """The message of the statement-terminating error the script's first statement raised (the
    script itself carries on, as in pwsh)."""
    assert run(rs, script + "; 'carried on'") == ["carried on"]
    found = errors(rs)
    assert found, "no error"
    return found[0]


def test_missing_log_is_a_clear_error(logdir, rs):
    message = statement_error(rs, "Get-EventLog nosuchlog")
    assert "No event log source found for 'nosuchlog'" in message
    assert f"{logdir}/nosuchlog.log" in message


def test_no_matches_is_an_error(logdir, rs):
    assert run(rs, "Get-EventLog system -Source nobody") == []
    assert any("No matches found" in e for e in errors(rs))


def test_bad_entry_type(logdir, rs):
    assert "EntryType" in statement_error(rs, "Get-EventLog system -EntryType Fatal")


def test_table_view(logdir, rs):
    from pshell.engine.format_render import format_to_text
    text = format_to_text(run(rs, "Get-EventLog system -Newest 2"))
    header = [line for line in text.splitlines() if line.strip()][0].split()
    assert header == ["Index", "Time", "EntryType", "Source", "InstanceID", "Message"]
    assert "job 3 finished" in text


def test_in_a_job(logdir, rs):
    out = run(rs, "Start-Job { Get-EventLog system -Newest 1 } | Receive-Job -Wait -AutoRemoveJob")
    assert [getattr(o, "Message", None) or o.get("Message") for o in out] == ["job 3 finished"]


# ---------------------------------------------------------------------------- Get-WinEvent

def test_winevent_max_events(logdir, rs):
    events = run(rs, "Get-WinEvent -LogName system -MaxEvents 2")
    assert [e.ProviderName for e in events] == ["pshell", "nginx"]
    assert events[1].LevelDisplayName == "Warning" and events[1].Level == 3
    assert isinstance(events[0].TimeCreated, dt.datetime)


def test_winevent_filter_hashtable(logdir, rs):
    events = run(rs, "Get-WinEvent -FilterHashtable @{LogName='system'; Level=2}")
    assert [e.ProviderName for e in events] == ["sshd"]


def test_winevent_oldest(logdir, rs):
    events = run(rs, "Get-WinEvent system -Oldest -MaxEvents 1")
    assert [e.ProviderName for e in events] == ["systemd"]


def test_winevent_missing_log(logdir, rs):
    assert run(rs, "Get-WinEvent -LogName nosuchlog") == []
    assert any("No event log source found for 'nosuchlog'" in e for e in errors(rs))


def test_winevent_view(logdir, rs):
    from pshell.engine.format_render import format_to_text
    text = format_to_text(run(rs, "Get-WinEvent system -MaxEvents 1"))
    assert "TimeCreated" in text and "LevelDisplayName" in text and "ProviderName: pshell" in text


# ---------------------------------------------------------------------------- the journal

def _fake_journal(tmp_path, records):
    data = tmp_path / "journal.json"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    script = tmp_path / "journalctl"
    script.write_text(f"#!{sys.executable}\n"
                      "import sys\n"
                      f"sys.stdout.write(open({str(data)!r}).read())\n")
    script.chmod(0o755)
    return script


def _stamp(when):
    return str(int(when.timestamp() * 1e6))


def test_journal_entries(tmp_path, monkeypatch, rs):
    base = dt.datetime(2024, 3, 1, 12, 0, 0)
    records = [
        {"__REALTIME_TIMESTAMP": _stamp(base), "PRIORITY": "3", "SYSLOG_IDENTIFIER": "sshd",
         "MESSAGE": "boom", "_HOSTNAME": "db1", "_PID": "77", "__SEQNUM": "12"},
        {"__REALTIME_TIMESTAMP": _stamp(base - dt.timedelta(minutes=1)), "PRIORITY": "4",
         "_COMM": "cron", "MESSAGE": [104, 105], "_HOSTNAME": "db1", "__SEQNUM": "11"},
        {"__REALTIME_TIMESTAMP": _stamp(base - dt.timedelta(minutes=2)), "PRIORITY": "6",
         "SYSLOG_IDENTIFIER": "kernel", "MESSAGE": "ok", "_HOSTNAME": "db1", "__SEQNUM": "10"},
    ]
    monkeypatch.setenv("PSHELL_JOURNALCTL", str(_fake_journal(tmp_path, records)))
    monkeypatch.setenv("PSHELL_LOG_DIR", str(tmp_path / "empty"))
    entries = run(rs, "Get-EventLog system")
    assert [(e.Index, e.EntryType, e.Source, e.Message) for e in entries] == [
        (12, "Error", "sshd", "boom"), (11, "Warning", "cron", "hi"),
        (10, "Information", "kernel", "ok")]
    assert entries[0].TimeGenerated == base
    assert entries[0].MachineName == "db1"
    assert [e.Source for e in run(rs, "Get-EventLog system -EntryType Warning")] == ["cron"]
    assert [e.LevelDisplayName for e in run(rs, "Get-WinEvent system -MaxEvents 1")] == ["Error"]


def test_empty_journal_falls_back_to_files(tmp_path, monkeypatch, logdir, rs):
    monkeypatch.setenv("PSHELL_JOURNALCTL", str(_fake_journal(tmp_path, [])))
    assert len(run(rs, "Get-EventLog system")) == 6


def test_empty_journal_and_no_file(tmp_path, monkeypatch, rs):
    monkeypatch.setenv("PSHELL_JOURNALCTL", str(_fake_journal(tmp_path, [])))
    monkeypatch.setenv("PSHELL_LOG_DIR", str(tmp_path / "nothing"))
    assert "the journal has no readable entries" in statement_error(rs, "Get-EventLog system")


def test_no_journalctl_and_no_file(tmp_path, monkeypatch, rs):
    monkeypatch.setenv("PSHELL_JOURNALCTL", "")
    monkeypatch.setenv("PSHELL_LOG_DIR", str(tmp_path / "nothing"))
    assert statement_error(rs, "Get-EventLog x") == (
        f"No event log source found for 'x': journalctl is not available "
        f"and {tmp_path}/nothing/x.log or {tmp_path}/nothing/x does not exist.")
