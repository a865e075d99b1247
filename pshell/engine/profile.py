"""``$PROFILE``: the paths of the profile scripts, a string (the current user's, for this host)
with the four paths as properties, as pwsh has it.

pshell has one host, so "all hosts" and "current host" differ only in the file name; the shell
runs the ones that exist in this order: all users all hosts, all users this host, current user all
hosts, current user this host (``cli._run_profile``).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List

__all__ = ["ProfilePaths", "profile_paths"]

SYSTEM_DIR = "/etc/pshell"


class ProfilePaths(str):
    """The current user's profile path, carrying all four as properties."""

    ps_properties = ("AllUsersAllHosts", "AllUsersCurrentHost", "CurrentUserAllHosts",
                     "CurrentUserCurrentHost")

    AllUsersAllHosts: str
    AllUsersCurrentHost: str
    CurrentUserAllHosts: str
    CurrentUserCurrentHost: str

    def in_load_order(self) -> List[str]:
        return [self.AllUsersAllHosts, self.AllUsersCurrentHost, self.CurrentUserAllHosts,
                self.CurrentUserCurrentHost]


def profile_paths(environ: "os._Environ[str] | dict | None" = None) -> ProfilePaths:
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    base = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    user = os.path.join(base, "pshell")
    paths = ProfilePaths(os.path.join(user, "profile.ps1"))
    paths.AllUsersAllHosts = os.path.join(SYSTEM_DIR, "profile_all_hosts.ps1")
    paths.AllUsersCurrentHost = os.path.join(SYSTEM_DIR, "profile.ps1")
    paths.CurrentUserAllHosts = os.path.join(user, "profile_all_hosts.ps1")
    paths.CurrentUserCurrentHost = str(paths)
    return paths
