"""The "encrypted standard string" of ConvertFrom-SecureString -Key and ConvertTo-SecureString -Key.

Windows PowerShell protects such a string with DPAPI (no key given: only that Windows user on that
computer can read it) or with AES under a 16, 24 or 32 byte key.  pshell runs where there is no
DPAPI, and ships to remote computers with the standard library only (no AES there), so it has its
own format, documented here, under the same kinds of keys:

    pshell-ss1:<base64 of nonce (16 bytes) || ciphertext || tag (32 bytes)>

``k_enc = HMAC-SHA256(key, "pshell-ss1 enc" || nonce)``, ``k_mac = HMAC-SHA256(key, "pshell-ss1 mac"
|| nonce)``; the ciphertext is the UTF-8 text XOR a keystream of blocks ``HMAC-SHA256(k_enc,
counter as 8 bytes big-endian)`` (counter from 0); ``tag = HMAC-SHA256(k_mac, "pshell-ss1:" ||
nonce || ciphertext)``.  A wrong key or a changed string fails the tag check; nothing is decrypted
before it passes.  Strings made by Windows (DPAPI) or by Windows PowerShell's AES format are
recognised and refused with an error that says so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

__all__ = ["encrypt", "decrypt", "SecureTextError", "check_key", "PREFIX", "is_dpapi", "foreign_reason"]

PREFIX = "pshell-ss1:"
_NONCE = 16
_TAG = 32
_MAX_TEXT = 1 << 20          # a secret is short: a longer "encrypted string" is garbage
_DPAPI_HEAD = "01000000d08c9ddf0115d1118c7a00c04fc297eb"
_AES_HEAD = "76492d1116743f0423413b16050a5345"


class SecureTextError(ValueError):
    """A key or an encrypted string that cannot be used; the message says why."""


def check_key(key: bytes) -> bytes:
    if len(key) not in (16, 24, 32):
        raise SecureTextError(f"The key is {len(key)} bytes long: it must be 16, 24 or 32 bytes "
                              f"(128, 192 or 256 bits).")
    return key


def _keys(key: bytes, nonce: bytes) -> "tuple[bytes, bytes]":
    enc = hmac.new(key, b"pshell-ss1 enc" + nonce, hashlib.sha256).digest()
    mac = hmac.new(key, b"pshell-ss1 mac" + nonce, hashlib.sha256).digest()
    return enc, mac


def _xor(data: bytes, k_enc: bytes) -> bytes:
    out = bytearray(len(data))
    for block in range(0, len(data), 32):
        stream = hmac.new(k_enc, (block // 32).to_bytes(8, "big"), hashlib.sha256).digest()
        for i, byte in enumerate(data[block:block + 32]):
            out[block + i] = byte ^ stream[i]
    return bytes(out)


def encrypt(text: str, key: bytes) -> str:
    check_key(key)
    nonce = os.urandom(_NONCE)
    k_enc, k_mac = _keys(key, nonce)
    cipher = _xor(text.encode("utf-8", "surrogatepass"), k_enc)
    tag = hmac.new(k_mac, PREFIX.encode() + nonce + cipher, hashlib.sha256).digest()
    return PREFIX + base64.b64encode(nonce + cipher + tag).decode("ascii")


def decrypt(blob: str, key: bytes) -> str:
    check_key(key)
    blob = blob.strip()
    if len(blob) > _MAX_TEXT:
        raise SecureTextError(f"The encrypted string is {len(blob)} characters long: too long to "
                              f"be one.")
    if not blob.startswith(PREFIX):
        raise SecureTextError(foreign_reason(blob))
    try:
        raw = base64.b64decode(blob[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise SecureTextError("The encrypted string is damaged: its body is not base64.") from None
    if len(raw) < _NONCE + _TAG:
        raise SecureTextError("The encrypted string is damaged: it is too short.")
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    k_enc, k_mac = _keys(key, nonce)
    if not hmac.compare_digest(tag, hmac.new(k_mac, PREFIX.encode() + nonce + cipher,
                                             hashlib.sha256).digest()):
        raise SecureTextError("The key does not open this encrypted string (a different key, or "
                              "the string was changed).")
    try:
        return _xor(cipher, k_enc).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise SecureTextError("The encrypted string is damaged: its text is not UTF-8.") from None


def is_dpapi(blob: str) -> bool:
    """Whether ``blob`` looks like Windows' DPAPI-protected hex string."""
    lowered = blob.strip().lower()
    return re.fullmatch(r"[0-9a-f]+", lowered) is not None and lowered.startswith(_DPAPI_HEAD[:16])


def foreign_reason(blob: str) -> str:
    """Why a string that is not ours cannot be read."""
    if is_dpapi(blob):
        return ("This encrypted string was made on Windows with DPAPI (ConvertFrom-SecureString "
                "without -Key): only that Windows user on that computer can read it.  Make it "
                "again there with -Key, or give the text with -AsPlainText.")
    try:
        head = base64.b64decode(blob[:88] + "=" * (-len(blob[:88]) % 4)).decode("utf-16-le", "replace")
    except (binascii.Error, ValueError):
        head = ""
    if head.startswith(_AES_HEAD):
        return ("This encrypted string is in Windows PowerShell's AES format, which pshell does "
                f"not read: pshell reads its own format ('{PREFIX}...', made by "
                "ConvertFrom-SecureString -Key here).")
    return (f"This is not an encrypted standard string: pshell's start with '{PREFIX}' (made by "
            "ConvertFrom-SecureString -Key).  For plain text use -AsPlainText.")
