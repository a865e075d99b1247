"""What the words of an ssh_config line mean, checked as OpenSSH's ``ssh`` checks them: numbers,
sizes and times, yes/no words, algorithm lists with ``+``/``-``/``^``, SetEnv and SendEnv words,
RekeyLimit; and ssh's host patterns (``*``, ``?``, ``!``).  A value ssh would refuse raises
:class:`ConfigError` naming the file and line.  :mod:`pshell.transport.ssh_config` reads the
files and walks them for a destination; this module knows the values.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["ConfigError", "DEFAULT_ALGORITHMS", "convert", "expand_algorithms", "match_pattern",
           "match_pattern_list"]


class ConfigError(Exception):
    """A config line OpenSSH would refuse; ``str()`` names the file and line."""


DEFAULT_ALGORITHMS: Dict[str, List[str]] = {   # OpenSSH 9.2's defaults, as `ssh -G` prints them
    "ciphers": "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
               "aes128-gcm@openssh.com,aes256-gcm@openssh.com".split(","),
    "macs": "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
            "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
            "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1".split(","),
    "kexalgorithms": "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
                     "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
                     "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
                     "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                     "diffie-hellman-group14-sha256".split(","),
    "hostkeyalgorithms": "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                         "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
                         "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
                         "sk-ssh-ed25519-cert-v01@openssh.com,"
                         "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                         "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,"
                         "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
                         "sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"
                         "rsa-sha2-512,rsa-sha2-256".split(","),
}

_SUPPORTED_ALGORITHMS: Dict[str, List[str]] = {   # what OpenSSH 9.2 knows (`ssh -Q ...`)
    "ciphers": "3des-cbc aes128-cbc aes192-cbc aes256-cbc aes128-ctr aes192-ctr aes256-ctr "
               "aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com".split(),
    "macs": "hmac-sha1 hmac-sha1-96 hmac-sha2-256 hmac-sha2-512 hmac-md5 hmac-md5-96 "
            "umac-64@openssh.com umac-128@openssh.com hmac-sha1-etm@openssh.com "
            "hmac-sha1-96-etm@openssh.com hmac-sha2-256-etm@openssh.com "
            "hmac-sha2-512-etm@openssh.com hmac-md5-etm@openssh.com hmac-md5-96-etm@openssh.com "
            "umac-64-etm@openssh.com umac-128-etm@openssh.com".split(),
    "kexalgorithms": "diffie-hellman-group1-sha1 diffie-hellman-group14-sha1 "
                     "diffie-hellman-group14-sha256 diffie-hellman-group16-sha512 "
                     "diffie-hellman-group18-sha512 diffie-hellman-group-exchange-sha1 "
                     "diffie-hellman-group-exchange-sha256 ecdh-sha2-nistp256 ecdh-sha2-nistp384 "
                     "ecdh-sha2-nistp521 curve25519-sha256 curve25519-sha256@libssh.org "
                     "sntrup761x25519-sha512 sntrup761x25519-sha512@openssh.com".split(),
    "hostkeyalgorithms": "ssh-ed25519 ssh-ed25519-cert-v01@openssh.com sk-ssh-ed25519@openssh.com "
                         "sk-ssh-ed25519-cert-v01@openssh.com ecdsa-sha2-nistp256 "
                         "ecdsa-sha2-nistp256-cert-v01@openssh.com ecdsa-sha2-nistp384 "
                         "ecdsa-sha2-nistp384-cert-v01@openssh.com ecdsa-sha2-nistp521 "
                         "ecdsa-sha2-nistp521-cert-v01@openssh.com sk-ecdsa-sha2-nistp256@openssh.com "
                         "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com "
                         "webauthn-sk-ecdsa-sha2-nistp256@openssh.com ssh-dss "
                         "ssh-dss-cert-v01@openssh.com ssh-rsa ssh-rsa-cert-v01@openssh.com "
                         "rsa-sha2-256 rsa-sha2-256-cert-v01@openssh.com rsa-sha2-512 "
                         "rsa-sha2-512-cert-v01@openssh.com".split(),
}

_YES_NO = {"yes": "yes", "true": "yes", "no": "no", "false": "no"}


# --------------------------------------------------------------------------- patterns

def _wildcard(text: str, pattern: str) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return text == pattern      # a plain name (most Host lines): no pattern machinery
    from fnmatch import fnmatchcase
    if "[" in pattern:     # ssh's patterns know * and ? only
        import re
        rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        return re.fullmatch(rx, text, re.S) is not None
    return fnmatchcase(text, pattern)


def match_pattern(text: str, pattern: str) -> bool:
    """One pattern (``*``, ``?``; no negation), case-sensitive: how ssh matches SendEnv's."""
    return _wildcard(text, pattern)


def match_pattern_list(text: str, patterns: Sequence[str], fold: bool = False) -> int:
    """1 when a positive pattern matches and no negated one does, -1 when a negated one
    matches, 0 otherwise (OpenSSH's pattern-list rule)."""
    if fold:
        text = text.lower()
    found = 0
    for pattern in patterns:
        negated = pattern.startswith("!")
        if negated:
            pattern = pattern[1:]
        if fold:
            pattern = pattern.lower()
        if _wildcard(text, pattern):
            if negated:
                return -1
            found = 1
    return found


def convert(key: str, args: List[str], where: str) -> Any:
    """Check a value the way ssh does (a clear error for nonsense) and normalise it."""
    first = args[0]
    if key == "port":
        if not first.isdigit() or not 0 < int(first) < 65536:
            raise ConfigError(f"{where}: bad port number '{first}' (1-65535)")
        return int(first)
    if key in ("connecttimeout", "serveraliveinterval", "serveralivecountmax",
               "connectionattempts"):
        if first.lower() == "none" and key == "connecttimeout":
            return None
        seconds = _seconds(first) if key != "serveralivecountmax" else (
            int(first) if first.isdigit() else None)
        if seconds is None or (key == "connectionattempts" and seconds < 1):
            raise ConfigError(f"{where}: bad value for {key}: '{first}'")
        return seconds
    if key in ("batchmode", "checkhostip", "identitiesonly", "passwordauthentication",
               "kbdinteractiveauthentication", "challengeresponseauthentication",
               "hashknownhosts", "gssapiauthentication", "nohostauthenticationforlocalhost",
               "pubkeyauthentication"):
        value = _YES_NO.get(first.lower())
        if key == "pubkeyauthentication" and first.lower() in ("unbound", "host-bound"):
            value = "yes"
        if value is None:
            raise ConfigError(f"{where}: {key} must be yes or no, not '{first}'")
        return value
    if key == "stricthostkeychecking":
        value = {"yes": "yes", "true": "yes", "no": "no", "false": "no", "off": "no",
                 "ask": "ask", "accept-new": "accept-new"}.get(first.lower())
        if value is None:
            raise ConfigError(f"{where}: StrictHostKeyChecking must be yes, no, ask or "
                              f"accept-new, not '{first}'")
        return value
    if key == "addressfamily":
        value = first.lower()
        if value not in ("any", "inet", "inet6"):
            raise ConfigError(f"{where}: AddressFamily must be any, inet or inet6")
        return value
    if key == "compression":
        if first.lower() not in ("yes", "no"):      # ssh 9.2 knows these two words only
            raise ConfigError(f"{where}: Compression must be yes or no, not '{first}'")
        return first.lower()
    if key == "tcpkeepalive":
        value = _YES_NO.get(first.lower())
        if value is None:
            raise ConfigError(f"{where}: TCPKeepAlive must be yes or no, not '{first}'")
        return value
    if key == "rekeylimit":
        return _rekey_limit(args, where)
    if key == "setenv":
        return _set_env(args, where)
    if key in DEFAULT_ALGORITHMS:
        return expand_algorithms(key, first, where)
    if key == "sendenv":
        return _send_env_names(args, where)
    if key in ("userknownhostsfile", "globalknownhostsfile",
               "canonicaldomains", "ignoreunknown"):
        return list(args)
    if key == "preferredauthentications":
        return first.split(",")
    if key == "hostname":
        return first
    if key in ("proxycommand", "remotecommand", "localcommand", "knownhostscommand"):
        return " ".join(args)
    return first if len(args) == 1 else " ".join(args)


_INT_MAX = 2 ** 31 - 1
_LLONG_MAX = 2 ** 63 - 1
_SCALES = "BKMGTPE"


def _scaled(text: str) -> Tuple[Optional[int], str]:
    """A size as ssh reads one (``1G``, ``1.5M``, ``512``; B K M G T P E in either case, powers
    of 1024): (bytes, "") or (None, why not).  The same digits, signs, fractions and limits as
    ssh's, so a value means what it means to ssh (``1.001K`` is 1025)."""
    i, n = 0, len(text)
    sign = 0
    while i < n and text[i] in "+-":
        if sign:
            return None, "not a number"
        sign = -1 if text[i] == "-" else 1
        i += 1
    whole = fraction = digits = 0
    fraction_digits = 0         # 1 after the point, +1 for each digit after it
    while i < n and (text[i].isdigit() and text[i].isascii() or text[i] == "."):
        if text[i] == ".":
            if fraction_digits:
                return None, "not a number"
            fraction_digits = 1
        elif fraction_digits:
            if fraction_digits < 20:        # further fractional digits are ignored
                fraction_digits += 1
                fraction = fraction * 10 + int(text[i])
                if fraction > _LLONG_MAX:
                    return None, "too large"
        else:
            digits += 1
            whole = whole * 10 + int(text[i])
            if digits >= 21 or whole > _LLONG_MAX:
                return None, "too large"
        i += 1
    if sign:
        whole *= sign
    if i == n:
        return whole, ""
    unit = _SCALES.find(text[i].upper()) if text[i].isascii() else -1
    if unit < 0 or (i + 1 < n and text[i + 1].isalnum()):
        return None, "not a number"
    scale = 1024 ** unit
    if whole > _LLONG_MAX // scale or whole < -(_LLONG_MAX // scale) - 1:
        return None, "too large"
    while fraction >= _LLONG_MAX // scale:
        fraction //= 10
        fraction_digits -= 1
    fraction *= scale
    for _ in range(fraction_digits - 1):
        fraction //= 10
    return whole * scale + (-fraction if sign == -1 else fraction), ""


def _convtime(text: str) -> Optional[int]:
    """A time as ssh reads one (``30``, ``1h30m``, ``1h30``: s m h d w in either case, at most
    2^31-1 seconds in all), or None."""
    import re
    total, i = 0, 0
    if not text:
        return None
    while i < len(text):
        found = re.match(r"[ \t\n\v\f\r]*[+-]?[0-9]+", text[i:])
        if not found:
            return None
        seconds = int(found.group().strip())
        i += found.end()
        unit = text[i:i + 1]
        scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}.get(unit.lower())
        if seconds < 0 or scale is None or seconds > _INT_MAX // scale:
            return None
        i += len(unit)
        seconds *= scale
        if total > _INT_MAX - seconds:
            return None
        total += seconds
    return total


def _rekey_limit(args: List[str], where: str) -> Tuple[Optional[int], Optional[int]]:
    """``RekeyLimit size [time]``: (bytes, seconds); 0 bytes is ``default`` (the cipher's own
    limit), 0 seconds no time limit; None where the line says nothing (``none`` included: as
    in ssh, it leaves the time to a later line)."""
    if len(args) > 2:
        raise ConfigError(f"{where}: RekeyLimit takes a size and a time, not also "
                          f"'{' '.join(args[2:])}'")
    size: Optional[int] = 0
    if args[0] != "default":
        size, why = _scaled(args[0])
        if size is None:
            raise ConfigError(f"{where}: bad RekeyLimit size '{args[0]}' ({why}: a number of "
                              f"bytes, with K, M, G, T, P or E for powers of 1024, or default)")
        if 0 != size < 16:
            raise ConfigError(f"{where}: RekeyLimit '{args[0]}' is too small (at least 16 bytes)")
    if len(args) < 2 or args[1] == "none":
        return size, None
    seconds = _convtime(args[1])
    if seconds is None:
        raise ConfigError(f"{where}: bad RekeyLimit time '{args[1]}' (seconds, or a time such "
                          f"as 1h30m, at most 2147483647 seconds; or none)")
    return size, seconds


def _set_env(args: List[str], where: str) -> List[str]:
    """``SetEnv NAME=value ...``: the words, each naming a variable; a name given twice keeps
    its first value, as in ssh."""
    words: List[str] = []
    names = set()
    for word in args:
        name, eq, _ = word.partition("=")
        if not eq or not name:
            raise ConfigError(f"{where}: bad SetEnv '{word}' (each word is NAME=value)")
        if name not in names:
            names.add(name)
            words.append(word)
    return words


def _send_env_names(args: List[str], where: str) -> List[str]:
    """``SendEnv NAME-PATTERN ... -PATTERN``: the words, checked as ssh checks them (a name
    never holds ``=``)."""
    for word in args:
        if not word or "=" in word:
            raise ConfigError(f"{where}: bad SendEnv name '{word}' (a variable name or pattern, "
                              f"without '=')")
    return list(args)


def _seconds(text: str) -> Optional[int]:
    """``30``, ``1m30s``, ``2h``: seconds, or None when it is not a time."""
    import re
    if text.isdigit():
        return int(text)
    parts = re.fullmatch(r"((\d+)[wdhmsWDHMS])+", text)
    if not parts:
        return None
    scale = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(n) * scale[u.lower()] for n, u in re.findall(r"(\d+)([a-zA-Z])", text))


def expand_algorithms(key: str, text: str, where: str = "") -> List[str]:
    """An algorithm list with OpenSSH's ``+`` (append), ``-`` (remove, wildcards), ``^``
    (prepend) against the default list; only ``-`` takes wildcards."""
    default = DEFAULT_ALGORITHMS[key]
    known = _SUPPORTED_ALGORITHMS[key]
    if text[:1] in "+-^":
        mode, names = text[0], text[1:].split(",")
    else:
        mode, names = "", text.split(",")
    names = [n for n in names if n]
    if mode == "-":
        return [a for a in default if match_pattern_list(a, names) != 1]
    bad = [n for n in names if n not in known]
    if bad:
        raise ConfigError(f"{where or key}: unknown algorithm '{bad[0]}' in {key}")
    if mode == "+":
        return default + [n for n in names if n not in default]
    if mode == "^":
        return names + [a for a in default if a not in names]
    if not names:
        raise ConfigError(f"{where or key}: empty {key} list")
    return names
