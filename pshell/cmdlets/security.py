"""ConvertTo-SecureString and ConvertFrom-SecureString: text to a SecureString and back.

The text comes and goes either as it is (-AsPlainText) or as an encrypted standard string under a
16, 24 or 32 byte key (-Key, -SecureKey), in pshell's own format (``engine/secure_text.py``).
Without either there is nothing to encrypt with here (no DPAPI): a clear error, never the text.
"""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.credentials import SecureString, plain_text
from pshell.engine.secure_text import SecureTextError, decrypt, encrypt, foreign_reason, is_dpapi
from pshell.engine.values import to_str, type_names_of


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional

def _key_bytes(cmdlet: Cmdlet) -> Optional[bytes]:
    """The -Key (bytes) or -SecureKey (a SecureString, its UTF-8 bytes) given, or None."""
    if cmdlet.SecureKey is not None:
        if not isinstance(cmdlet.SecureKey, SecureString):
            raise cmdlet.terminate("-SecureKey takes a SecureString (ConvertTo-SecureString, "
                                   "Read-Host -AsSecureString).", "InvalidSecureKey", "InvalidArgument")
        return cmdlet.SecureKey.plain_text().encode("utf-8", "surrogatepass")
    if cmdlet.Key is None:
        return None
    key = cmdlet.Key
    if isinstance(key, (bytes, bytearray)):
        return bytes(key)
    items = key if isinstance(key, (list, tuple)) else [key]
    try:
        numbers = [int(item) for item in items]
    except (TypeError, ValueError):
        numbers = []
    if not numbers or any(isinstance(i, bool) or not 0 <= n <= 255 for i, n in zip(items, numbers)):
        raise cmdlet.terminate("-Key takes bytes: 16, 24 or 32 numbers from 0 to 255.",
                               "InvalidKey", "InvalidArgument", key)
    return bytes(numbers)


def _fail(cmdlet: Cmdlet, exc: SecureTextError, target: Any = None) -> Exception:
    return cmdlet.terminate(str(exc), "ImportSecureString", "InvalidArgument", target)


@register
class ConvertToSecureString(Cmdlet):
    name = "ConvertTo-SecureString"
    synopsis = "Makes a SecureString from plain text (-AsPlainText) or an encrypted standard string."
    default_set = "Secure"
    params = (
        Param("String", "string", position=0, mandatory=True, pipeline=True),
        Param("AsPlainText", "switch", position=1, mandatory=("PlainText",), sets=("PlainText",)),
        Param("Force", "switch", position=2, sets=("PlainText",)),
        Param("Key", "object", sets=("Open",), mandatory=("Open",)),
        Param("SecureKey", "object", position=1, sets=("Secure",)),
    )

    def process(self) -> Iterator[Any]:
        text = to_str(self.String)
        if self.AsPlainText:
            yield SecureString(text)
            return
        key = _key_bytes(self)
        if key is None:
            if is_dpapi(text):
                raise _fail(self, SecureTextError(foreign_reason(text)), text)
            raise self.terminate(
                "ConvertTo-SecureString needs -AsPlainText for plain text, or -Key/-SecureKey for "
                "an encrypted standard string: there is no DPAPI here to open one without a key.",
                "ImportSecureString", "InvalidArgument", text)
        try:
            yield SecureString(decrypt(text, key))
        except SecureTextError as exc:
            raise _fail(self, exc) from None


@register
class ConvertFromSecureString(Cmdlet):
    name = "ConvertFrom-SecureString"
    synopsis = "Gives a SecureString's text encrypted with -Key, or as plain text with -AsPlainText."
    default_set = "Secure"
    params = (
        Param("SecureString", "object", position=0, mandatory=True, pipeline=True),
        Param("AsPlainText", "switch", sets=("AsPlainText",), mandatory=("AsPlainText",)),
        Param("Key", "object", sets=("Open",), mandatory=("Open",)),
        Param("SecureKey", "object", position=1, sets=("Secure",)),
    )

    def process(self) -> Iterator[Any]:
        secret = self.SecureString
        if not isinstance(secret, SecureString):
            raise self.terminate(f"ConvertFrom-SecureString takes a SecureString, not "
                                 f"{type_names_of(secret)[0] if secret is not None else 'null'}.",
                                 "InvalidSecureString", "InvalidArgument")
        text = plain_text(secret) or ""
        if self.AsPlainText:
            yield text
            return
        key = _key_bytes(self)
        if key is None:
            raise self.terminate(
                "ConvertFrom-SecureString needs -Key or -SecureKey (there is no DPAPI here to "
                "encrypt with), or -AsPlainText for the text itself.",
                "ExportSecureString", "InvalidArgument")
        try:
            yield encrypt(text, key)
        except SecureTextError as exc:
            raise _fail(self, exc) from None
