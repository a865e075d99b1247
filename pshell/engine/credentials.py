"""Secrets: ``SecureString`` (text that never prints, never reaches disk), ``PSCredential`` and
``NetworkCredential`` (what ``GetNetworkCredential()`` gives).

Read-Host -AsSecureString, Get-Credential, ConvertTo-SecureString, ``[securestring]::new()``,
``[pscredential]::new(...)``, New-Object and the remoting cmdlets all use these one classes.  A
SecureString shows as its type name; its text leaves only through :func:`plain_text`, for code that
must use it (an SSH password).  Every class here is marked ``ps_secret``: job spill files refuse
to pickle it (``engine/job_buffer.py``), and ``remote/protocol.serialize`` writes only its type
unless the caller asks for ``secrets=True`` - which only the SSH channel does (it is encrypted),
so the remote spool and anything else that writes values to a file never holds the text.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

__all__ = ["SecureString", "PSCredential", "NetworkCredential", "plain_text", "credential_parts",
           "CONSTRUCTORS", "is_secret"]


def _fail(message: str, error_id: str, exception_type: str = "System.Management.Automation."
          "MethodInvocationException") -> Exception:
    from pshell.engine.errors import RuntimeException
    return RuntimeException.make(message, error_id, "InvalidOperation", exception_type=exception_type)


class SecureString:
    """``System.Security.SecureString``: text that does not print itself."""

    ps_type_names = ("System.Security.SecureString",)
    ps_properties = ()          # shown by its type name, as pwsh does
    ps_secret = True

    __slots__ = ("_text", "_read_only")

    def __init__(self, text: str = "") -> None:
        self._text = text
        self._read_only = False

    @property
    def Length(self) -> int:
        return len(self._text)

    def plain_text(self) -> str:
        """The secret, for code that must use it (credentials, ConvertFrom-SecureString)."""
        return self._text

    # the methods of .NET's SecureString that scripts call
    def _change(self, name: str) -> None:
        if self._read_only:
            raise _fail(f'Exception calling "{name}": the SecureString is read-only '
                        f'(MakeReadOnly was called).', "InvalidOperationException")

    def _index(self, index: Any, name: str, end: bool = False) -> int:
        at = int(index)
        if not 0 <= at <= len(self._text) - (0 if end else 1):
            raise _fail(f'Exception calling "{name}": index {at} is outside the SecureString '
                        f'(Length {len(self._text)}).', "ArgumentOutOfRangeException")
        return at

    def AppendChar(self, char: Any) -> None:
        self._change("AppendChar")
        self._text += _one_char(char, "AppendChar")

    def InsertAt(self, index: Any, char: Any) -> None:
        self._change("InsertAt")
        at = self._index(index, "InsertAt", end=True)
        self._text = self._text[:at] + _one_char(char, "InsertAt") + self._text[at:]

    def SetAt(self, index: Any, char: Any) -> None:
        self._change("SetAt")
        at = self._index(index, "SetAt")
        self._text = self._text[:at] + _one_char(char, "SetAt") + self._text[at + 1:]

    def RemoveAt(self, index: Any) -> None:
        self._change("RemoveAt")
        at = self._index(index, "RemoveAt")
        self._text = self._text[:at] + self._text[at + 1:]

    def Clear(self) -> None:
        self._change("Clear")
        self._text = ""

    def MakeReadOnly(self) -> None:
        self._read_only = True

    def IsReadOnly(self) -> bool:
        return self._read_only

    def Copy(self) -> "SecureString":
        return SecureString(self._text)

    def Dispose(self) -> None:
        self._text = ""

    def ToString(self) -> str:
        return "System.Security.SecureString"

    def __str__(self) -> str:
        return "System.Security.SecureString"

    def __repr__(self) -> str:
        return "SecureString(****)"


def _one_char(char: Any, name: str) -> str:
    if isinstance(char, int) and not isinstance(char, bool) and 0 <= char <= 0x10FFFF:
        return chr(char)
    if isinstance(char, str) and len(char) == 1:
        return char
    raise _fail(f'Cannot convert argument "c" of "{name}" to System.Char: give one character.',
                "MethodArgumentConversionInvalidCastArgument")


class PSCredential:
    """A user name and a SecureString password (Get-Credential, -Credential)."""

    ps_type_names = ("System.Management.Automation.PSCredential",)
    ps_properties = ("UserName", "Password")
    ps_secret = True

    def __init__(self, user: Optional[str], password: Any) -> None:
        self.UserName = user
        self.Password = password if not isinstance(password, str) else SecureString(password)

    def GetNetworkCredential(self) -> Any:
        if self.UserName is None:
            return None
        user, domain = self.UserName, ""
        if "\\" in user:
            domain, user = user.split("\\", 1)
        return NetworkCredential(user, plain_text(self.Password) or "", domain)

    def ToString(self) -> str:
        return "System.Management.Automation.PSCredential"


class NetworkCredential:
    """``System.Net.NetworkCredential``: the user name, domain and the password as text."""

    ps_type_names = ("System.Net.NetworkCredential",)
    ps_properties = ("UserName", "Password", "SecurePassword", "Domain")
    ps_secret = True

    def __init__(self, user: str = "", password: str = "", domain: str = "") -> None:
        self.UserName = user
        self.Password = password
        self.Domain = domain

    @property
    def SecurePassword(self) -> SecureString:
        return SecureString(self.Password)

    def ToString(self) -> str:
        return "System.Net.NetworkCredential"


def is_secret(value: Any) -> bool:
    """Whether ``value`` holds secret text that must stay in memory."""
    return getattr(type(value), "ps_secret", False) is True


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


# ----------------------------------------------------------------- constructors from scripts

def _overload(type_name: str, args: List[Any], counts: Tuple[int, ...]) -> None:
    if len(args) not in counts:
        raise _fail(f'Cannot find an overload for "new" and the argument count: "{len(args)}" '
                    f'([{type_name}] takes {" or ".join(map(str, counts))}).',
                    "MethodCountCouldNotFindBest", "System.Management.Automation.MethodException")


def new_secure_string(args: List[Any]) -> SecureString:
    """``[securestring]::new()``: an empty SecureString (AppendChar fills it)."""
    _overload("System.Security.SecureString", args, (0,))
    return SecureString("")


def new_credential(args: List[Any]) -> PSCredential:
    """``[pscredential]::new(user, securestring)``: the password must be a SecureString."""
    from pshell.engine.values import to_str
    _overload("System.Management.Automation.PSCredential", args, (2,))
    user, password = args
    if user is None or to_str(user) == "":
        raise _fail('Exception calling "new" with "2" argument(s): "The user name of a '
                    'PSCredential cannot be null or empty."', "ArgumentException")
    if not isinstance(password, SecureString):
        from pshell.engine.values import type_names_of
        shown = "null" if password is None else type_names_of(password)[0]
        raise _fail(f'Cannot convert argument "password" ({shown}) of "new" to '
                    f'System.Security.SecureString: make one with ConvertTo-SecureString or '
                    f'Read-Host -AsSecureString.', "MethodArgumentConversionInvalidCastArgument")
    return PSCredential(to_str(user), password)


def new_network_credential(args: List[Any]) -> NetworkCredential:
    """``[System.Net.NetworkCredential]::new()``, ``(user, password)``, ``(user, password,
    domain)``; the password may be a string or a SecureString."""
    from pshell.engine.values import to_str
    _overload("System.Net.NetworkCredential", args, (0, 2, 3))
    if not args:
        return NetworkCredential()
    texts = [(plain_text(a) or "") if isinstance(a, SecureString)
             else ("" if a is None else to_str(a)) for a in args]
    return NetworkCredential(texts[0], texts[1], texts[2] if len(texts) > 2 else "")


#: type names (lower case, without "system.") -> the constructor ``::new`` and New-Object call
CONSTRUCTORS = {
    "securestring": new_secure_string, "security.securestring": new_secure_string,
    "pscredential": new_credential, "management.automation.pscredential": new_credential,
    "net.networkcredential": new_network_credential,
}
