"""Unix users that tests create (as root): one per run of the suite, named after the run's pid.

Two suites on one machine (two developers, or a developer and a CI job) used to share one fixed
name: one run's teardown deleted the user, its home or its authorized_keys while the other used
them, and that run failed.  A name of this run's own is never touched by another run; a user left
by a run that was killed (its pid is gone) is removed by the next run that makes one."""

from __future__ import annotations

import os
import pwd
import subprocess


def user_name(prefix: str) -> str:
    """``prefix`` (ending in "-") and this run's pid: at most 32 characters, as useradd wants."""
    assert prefix.endswith("-") and len(prefix) < 24, prefix
    return f"{prefix}{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_leftovers(prefix: str) -> None:
    """Delete the users ``prefix<pid>`` whose run has ended without deleting them (and end what
    still runs as them: a pshell host outlives its sessions)."""
    for entry in pwd.getpwall():
        suffix = entry.pw_name[len(prefix):]
        if entry.pw_name.startswith(prefix) and suffix.isdigit() and not _alive(int(suffix)):
            remove_user(entry.pw_name)


def remove_user(name: str) -> None:
    """End every process of ``name`` (a pshell host and its sessions outlive a connection; userdel
    refuses a user whose processes run), then delete the user and its home."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-U", str(uid)], capture_output=True)
    subprocess.run(["userdel", "-r", name], capture_output=True)
