"""Secrets: ``SecureString`` (text that never prints, never reaches disk) and ``PSCredential``.

Read-Host -AsSecureString, Get-Credential and the remoting cmdlets all use these one classes.  A
SecureString shows as its type name; its text leaves only through :func:`plain_text`, for code that
must use it (an SSH password).  Job spill files refuse to pickle it (``engine/job_buffer.py``) and
the remote spool writes only its type: the text stays in memory.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

__all__ = ["SecureString", "PSCredential", "plain_text", "credential_parts"]


class SecureString:
    """``System.Security.SecureString``: text that does not print itself."""

    ps_type_names = ("System.Security.SecureString",)
    ps_properties = ()          # shown by its type name, as pwsh does

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    @property
    def Length(self) -> int:
        return len(self._text)

    def plain_text(self) -> str:
        """The secret, for code that must use it (credentials, ConvertFrom-SecureString)."""
        return self._text

    def ToString(self) -> str:
        return "System.Security.SecureString"

    def __str__(self) -> str:
        return "System.Security.SecureString"

    def __repr__(self) -> str:
        return "SecureString(****)"


class PSCredential:
    """A user name and a SecureString password (Get-Credential, -Credential)."""

    ps_type_names = ("System.Management.Automation.PSCredential",)
    ps_properties = ("UserName", "Password")

    def __init__(self, user: str, password: Any) -> None:
        self.UserName = user
        self.Password = password if not isinstance(password, str) else SecureString(password)

    def GetNetworkCredential(self) -> Any:
        from pshell.engine.values import PSObject
        return PSObject({"UserName": self.UserName, "Password": plain_text(self.Password)})

    def ToString(self) -> str:
        return "System.Management.Automation.PSCredential"


def plain_text(secret: Any) -> Optional[str]:
    """The clear text of a password given as a SecureString or a plain string; None otherwise."""
    if isinstance(secret, SecureString):
        return secret.plain_text()
    if isinstance(secret, str):
        return secret
    return None


def credential_parts(cred: Any) -> Tuple[Optional[str], Optional[str]]:
    """(user, password) of a -Credential value: a PSCredential, anything with UserName and
    Password, or a plain user name."""
    from pshell.engine.values import get_property, to_str
    if cred is None:
        return None, None
    if isinstance(cred, str):
        return cred, None
    user = get_property(cred, "UserName", None)
    password = plain_text(get_property(cred, "Password", None))
    return (None if user is None else to_str(user)), password
