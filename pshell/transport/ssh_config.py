"""The ssh_config files read as OpenSSH's ``ssh`` reads them, evaluated per destination.

Files are parsed once per (path, mtime, size) into lines; :func:`resolve` walks them for one
destination (``Host`` patterns case-insensitive, ``!`` negation; ``Match`` host,
originalhost, user, localuser, exec, all, final; ``Include`` with globs relative to ~/.ssh;
the first value of an option wins; IdentityFile, CertificateFile and the forwardings
accumulate) and returns what ``ssh -G`` would print, as a :class:`SSHOptions`.  A config
OpenSSH would refuse (an unknown option, ``Port 99999``) raises :class:`ConfigError` naming
the file and line.

One deliberate difference: ssh 9.2 matches ``Host`` lines against the name exactly as typed
(``Host server01`` does not apply to ``ssh Server01``); pshell folds case, because PowerShell
users type computer names in any case and ``-ComputerName Server01`` must reach server01.

Which files: with ``PSHELL_SSH_CONFIG`` set, that file alone (what ``ssh -F file`` does);
otherwise ``~/.ssh/config`` then ``/etc/ssh/ssh_config``.  ``~`` is ``$HOME`` (ssh uses the
passwd entry; pshell follows HOME so a test or a sandbox can point it elsewhere).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from pshell.transport.ssh_values import (DEFAULT_ALGORITHMS, ConfigError, _send_env_names,
                                         _wildcard, convert, expand_algorithms, match_pattern,
                                         match_pattern_list)

__all__ = ["ConfigError", "SSHOptions", "resolve", "config_files", "config_lines", "home",
           "expand_algorithms", "DEFAULT_ALGORITHMS", "percent_expand", "local_user",
           "match_pattern", "match_pattern_list"]

SYSTEM_CONFIG = "/etc/ssh/ssh_config"
MAX_INCLUDE_DEPTH = 16


# Every keyword OpenSSH 9.2's client knows (older spellings included); pshell reads those in
# _HONOURED and warns about the ones in _NOT_HONOURED when they ask for something it cannot do.
_KEYWORDS = set("""
addkeystoagent addressfamily batchmode bindaddress bindinterface canonicaldomains
canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots canonicalizepermittedcnames
casignaturealgorithms certificatefile challengeresponseauthentication checkhostip ciphers
clearallforwardings compression connectionattempts connecttimeout controlmaster controlpath
controlpersist dynamicforward enableescapecommandline enablesshkeysign escapechar
exitonforwardfailure fingerprinthash forkafterauthentication forwardagent forwardx11
forwardx11timeout forwardx11trusted gatewayports globalknownhostsfile gssapiauthentication
gssapidelegatecredentials gssapikeyexchange gssapitrustdns gssapirenewalforcesrekey
gssapikexalgorithms gssapiclientidentity gssapiserveridentity hashknownhosts host
hostbasedacceptedalgorithms hostbasedauthentication hostbasedkeytypes hostkeyalgorithms
hostkeyalias hostname identitiesonly identityagent identityfile ignoreunknown include ipqos
kbdinteractiveauthentication kbdinteractivedevices kexalgorithms knownhostscommand
localcommand localforward loglevel logverbose macs match nohostauthenticationforlocalhost
numberofpasswordprompts passwordauthentication permitlocalcommand permitremoteopen
pkcs11provider port preferredauthentications proxycommand proxyjump proxyusefdpass
pubkeyacceptedalgorithms pubkeyacceptedkeytypes pubkeyauthentication rekeylimit remotecommand
remoteforward requesttty requiredrsasize revokedhostkeys securitykeyprovider sendenv
serveralivecountmax serveraliveinterval sessiontype setenv smartcarddevice stdinnull
streamlocalbindmask streamlocalbindunlink stricthostkeychecking syslogfacility tcpkeepalive
tunnel tunneldevice updatehostkeys user userknownhostsfile verifyhostkeydns visualhostkey
xauthlocation
cipher protocol useroaming rsaauthentication rhostsrsaauthentication compressionlevel
dsaauthentication fallbacktorsh usersh kerberosauthentication kerberostgtpassing
afstokenpassing skeyauthentication tisauthentication useprivilegedport
""".split())

#: options whose values accumulate instead of first-wins
_MULTI = {"identityfile", "certificatefile", "localforward", "remoteforward", "dynamicforward",
          "sendenv", "canonicaldomains"}

#: settings pshell cannot carry out, with the value that needs no warning (None: any value)
_NOT_HONOURED: Dict[str, Optional[Tuple[str, ...]]] = {
    "verifyhostkeydns": ("no",),
    "knownhostscommand": ("none",),
    "canonicalizehostname": ("no",),
    "pkcs11provider": ("none",),
    "securitykeyprovider": ("internal",),
    "bindaddress": None, "bindinterface": None,
    "proxyusefdpass": ("no",),
    "enablesshkeysign": ("no",),
    "hostbasedauthentication": ("no",),
    "pubkeyacceptedalgorithms": None, "pubkeyacceptedkeytypes": None,
    "casignaturealgorithms": None,
    "requiredrsasize": None,
    "updatehostkeys": ("no", "false"),
    "controlmaster": ("no", "auto", "autoask"),
    "forwardagent": ("no",),
}

_TOKENS_FILES = "CdhiklLnpru"       # IdentityFile, UserKnownHostsFile, ControlPath, ...


class SSHOptions:
    """One destination's resolved options: ``get(name)`` gives the value as ``ssh -G`` would
    print it (lower-case keyword; a list for the accumulating options and file lists)."""

    def __init__(self, values: Dict[str, Any], origin: Dict[str, Tuple[str, int]],
                 unhonoured: List[Tuple[str, str, int]]) -> None:
        self.values = values
        self.origin = origin              # option -> (file, line) it came from
        self.unhonoured = unhonoured      # (option, file, line) pshell cannot carry out

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name.lower(), default)

    def where(self, name: str) -> str:
        path, line = self.origin.get(name.lower(), ("", 0))
        return f"{path} line {line}" if path else "the command line"

    def __repr__(self) -> str:
        return f"SSHOptions({self.values!r})"


# --------------------------------------------------------------------------- reading files

_Line = Tuple[str, List[str], str, int]      # keyword, arguments, file, line number
_FILES: Dict[str, Tuple[Any, List[_Line]]] = {}
_FILES_LOCK = threading.Lock()


def _split_args(text: str, where: str) -> List[str]:
    """Words with "double" or 'single' quotes, as OpenSSH splits a config line."""
    args: List[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n or text[i] == "#":
            break
        word: List[str] = []
        quote = ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and i + 1 < n and text[i + 1] in (quote, "\\"):
                    i += 1
                    word.append(text[i])
                else:
                    word.append(ch)
            elif ch in "\"'":
                quote = ch
            elif ch in " \t":
                break
            else:
                word.append(ch)
            i += 1
        if quote:
            raise ConfigError(f"{where}: unterminated quote")
        args.append("".join(word))
    return args


def _parse_file(path: str) -> List[_Line]:
    """``path`` as lines, read once while it is unchanged.  A missing file is empty."""
    try:
        info = os.stat(path)
    except OSError:
        return []
    stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    with _FILES_LOCK:
        cached = _FILES.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    lines: List[_Line] = []
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, rest = _split_keyword(text)
        where = f"{path} line {number}"
        args = _split_args(rest, where)
        if key in ("host", "match") and not args:
            raise ConfigError(f"{where}: {key.capitalize()} needs an argument")
        lines.append((key, args, path, number))
    with _FILES_LOCK:
        _FILES[path] = (stamp, lines)
    return lines


def _split_keyword(text: str) -> Tuple[str, str, str]:
    """``Key value``, ``Key=value`` or ``Key = value``."""
    i = 0
    while i < len(text) and text[i] not in " \t=":
        i += 1
    key, rest = text[:i].lower(), text[i:].lstrip(" \t")
    if rest.startswith("="):
        rest = rest[1:].lstrip(" \t")
    return key, "=", rest


def config_files() -> Tuple[List[str], bool]:
    """The files ssh would read, and whether it is a ``-F``-style single file."""
    chosen = os.environ.get("PSHELL_SSH_CONFIG")
    if chosen:
        return [os.path.expanduser(chosen)], True
    return [os.path.join(_home(), ".ssh", "config"), SYSTEM_CONFIG], False


def _home() -> str:
    return os.environ.get("HOME") or os.path.expanduser("~")


def home() -> str:
    """The home directory relative Include patterns start from (~/.ssh is under it)."""
    return _home()


def config_lines(path: str) -> List[Tuple[str, List[str], str, int]]:
    """``path``'s lines as (keyword, arguments, file, line number), parsed once while the file
    is unchanged (missing: none).  Raises ConfigError for a line ssh would refuse."""
    return _parse_file(path)


def local_user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


# --------------------------------------------------------------------------- evaluation

class _Walk:
    """One pass over the files for one destination."""

    def __init__(self, host: str, values: Dict[str, Any], origin: Dict[str, Tuple[str, int]],
                 final: bool, unhonoured: List[Tuple[str, str, int]]) -> None:
        self.host = host                   # the destination as typed (Host lines match it)
        self.values = values
        self.origin = origin
        self.final = final
        self.unhonoured = unhonoured
        self.wants_final = False
        self.ignore_unknown: List[str] = []

    def run_file(self, path: str, active: bool, depth: int, never: bool = False) -> None:
        """One file; ``never``: it is included from a block that does not apply, so it is
        checked but nothing in it applies (its own Host lines included)."""
        if depth > MAX_INCLUDE_DEPTH:
            raise ConfigError(f"{path}: too many nested Include files (a loop?)")
        for key, args, where_path, number in _parse_file(path):
            where = f"{where_path} line {number}"
            if key == "host":
                active = match_pattern_list(self.host, args, fold=True) == 1 and not never
            elif key == "match":
                active = self.match(args, where) and not never
            elif key == "include":
                self.include(args, active, depth, where)
            elif active or key == "ignoreunknown":
                self.set(key, args, where_path, number)
            else:
                self.check(key, args, where)

    def include(self, args: List[str], active: bool, depth: int, where: str) -> None:
        import glob
        if not args:
            raise ConfigError(f"{where}: Include needs a file name")
        for arg in args:
            pattern = os.path.expanduser(arg) if arg.startswith("~") else arg
            if not os.path.isabs(pattern):
                pattern = os.path.join(_home(), ".ssh", pattern)
            for found in sorted(glob.glob(pattern)):
                try:
                    self.run_file(found, active, depth + 1, not active)
                except RecursionError:
                    raise ConfigError(f"{where}: too many nested Include files") from None

    def match(self, args: List[str], where: str) -> bool:
        result = True
        i = 0
        if args[0].lower() == "all" and len(args) > 1 and args[1].lower() not in ("canonical", "final"):
            raise ConfigError(f"{where}: Match all takes nothing after it")
        while i < len(args):
            word = args[i].lower()
            negate = word.startswith("!")
            word = word.lstrip("!")
            if word in ("all", "canonical", "final"):
                if word == "final":
                    self.wants_final = True
                ok = True if word == "all" else (self.final if word == "final" else False)
                i += 1
            else:
                if i + 1 >= len(args):
                    raise ConfigError(f"{where}: Match {word} needs an argument")
                value = args[i + 1]
                i += 2
                ok = self.criterion(word, value, where)
            if negate:
                ok = not ok
            result = result and ok
        return result

    def criterion(self, word: str, value: str, where: str) -> bool:
        patterns = value.split(",")
        if word == "host":
            name = self.values.get("hostname")
            name = percent_expand(name, {"h": self.host}) if name else self.host
            return match_pattern_list(name, patterns, fold=True) == 1
        if word == "originalhost":
            return match_pattern_list(self.host, patterns, fold=True) == 1
        if word == "user":
            user = self.values.get("user") or local_user()
            return match_pattern_list(user, patterns) == 1
        if word == "localuser":
            return match_pattern_list(local_user(), patterns) == 1
        if word == "exec":
            import subprocess
            command = percent_expand(value, self.tokens(), where)
            try:
                return subprocess.run(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      timeout=30).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                return False
        raise ConfigError(f"{where}: unsupported Match criterion '{word}'")

    def tokens(self) -> Dict[str, str]:
        hostname = self.values.get("hostname")
        hostname = percent_expand(hostname, {"h": self.host}).lower() if hostname else self.host.lower()
        return _tokens(self.host, hostname, str(self.values.get("port") or 22),
                       self.values.get("user") or local_user(), self.values.get("hostkeyalias"))

    def check(self, key: str, args: List[str], where: str) -> None:
        if key not in _KEYWORDS and not self._ignored(key):
            raise ConfigError(f"{where}: unknown option '{key}'")
        if key == "sendenv":            # ssh checks the names of a block that does not apply too
            _send_env_names(args, where)

    def _ignored(self, key: str) -> bool:
        return match_pattern_list(key, self.ignore_unknown, fold=True) == 1

    def set(self, key: str, args: List[str], path: str, number: int) -> None:
        where = f"{path} line {number}" if path else f"the option {key} given"
        if key == "ignoreunknown":
            if "ignoreunknown" not in self.values:
                self.values["ignoreunknown"] = args
                self.ignore_unknown = ",".join(args).split(",")
            return
        if key not in _KEYWORDS:
            if self._ignored(key):
                return
            raise ConfigError(f"{where}: unknown option '{key}'")
        if not args:
            raise ConfigError(f"{where}: {key} needs a value")
        value = convert(key, args, where)
        if key in _NOT_HONOURED:
            fine = _NOT_HONOURED[key]
            if fine is None or str(value).lower() not in fine:
                self.unhonoured.append((key, path, number))
        if key in ("proxyjump", "proxycommand") and \
                ("proxyjump" in self.values or "proxycommand" in self.values):
            return              # one way through: whichever is given first
        if key == "rekeylimit":         # the size and the time each take their first value
            size, seconds = value
            for name, part in (("rekeylimit", size), ("rekeylimit_time", seconds)):
                if part is not None and name not in self.values:
                    self.values[name] = part
                    self.origin[name] = (path, number)
            return
        if key == "sendenv":            # one list of patterns; ``-pattern`` removes the ones
            patterns = self.values.setdefault(key, [])  # given so far that it matches
            for word in value:
                if word.startswith("-"):
                    patterns[:] = [p for p in patterns if not _wildcard(p, word[1:])]
                else:
                    patterns.append(word)
            self.origin.setdefault(key, (path, number))
        elif key in _MULTI:
            self.values.setdefault(key, []).append(value)
            self.origin.setdefault(key, (path, number))
        elif key not in self.values:
            self.values[key] = value
            self.origin[key] = (path, number)


# --------------------------------------------------------------------------- %-tokens

def _tokens(original: str, hostname: str, port: str, user: str,
            alias: Optional[str]) -> Dict[str, str]:
    import hashlib
    import socket
    local_host = socket.gethostname()
    tokens = {"h": hostname, "n": original, "p": port, "r": user, "u": local_user(),
              "d": _home(), "i": str(os.getuid()), "l": local_host,
              "L": local_host.split(".", 1)[0], "k": alias or original}
    tokens["C"] = hashlib.sha1(f"{local_host}{hostname}{port}{user}".encode()).hexdigest()
    return tokens


def percent_expand(text: str, tokens: Dict[str, str], where: str = "") -> str:
    out: List[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        token = text[i + 1:i + 2]
        if token == "%":
            out.append("%")
        elif token in tokens:
            out.append(tokens[token])
        else:
            raise ConfigError(f"{where + ': ' if where else ''}unknown %-token '%{token}' in '{text}'")
        i += 2
    return out and "".join(out) or ""


def _expand_path(text: str, tokens: Dict[str, str], where: str) -> str:
    if text.startswith("~"):
        text = _home() + text[1:] if text == "~" or text.startswith("~/") else os.path.expanduser(text)
    return percent_expand(text, {k: v for k, v in tokens.items() if k in _TOKENS_FILES}, where)


# --------------------------------------------------------------------------- resolve

_Cache = Dict[Tuple[Any, ...], SSHOptions]
_RESOLVED: _Cache = {}


def resolve(host: str, user: Optional[str] = None, port: Optional[int] = None,
            overrides: Optional[Dict[str, Any]] = None,
            files: Optional[Sequence[str]] = None) -> SSHOptions:
    """What ssh would use to reach ``host``: ``user``/``port`` and ``overrides`` (``-o``-style
    options) come first, then the config files.  Raises ConfigError."""
    if files is None:
        files = config_files()[0]
    values: Dict[str, Any] = {}
    origin: Dict[str, Tuple[str, int]] = {}
    unhonoured: List[Tuple[str, str, int]] = []
    if user:
        values["user"] = user
    if port:
        values["port"] = convert("port", [str(port)], "the port given")
    walk = _Walk(host, values, origin, False, unhonoured)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        args = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        if isinstance(value, bool):
            args = ["yes" if value else "no"]
        walk.set(key.lower(), args, "", 0)
    for path in files:
        walk.run_file(path, True, 0)
    if walk.wants_final:
        final = _Walk(host, values, origin, True, unhonoured)
        final.ignore_unknown = walk.ignore_unknown
        for path in files:
            final.run_file(path, True, 0)
    return _finish(host, values, origin, unhonoured)


def _finish(host: str, values: Dict[str, Any], origin: Dict[str, Tuple[str, int]],
            unhonoured: List[Tuple[str, str, int]]) -> SSHOptions:
    """Defaults and %-tokens, as ``ssh -G`` shows them."""
    def where(key: str) -> str:
        path, line = origin.get(key, ("", 0))
        return f"{path} line {line}" if path else key

    hostname = values.get("hostname")
    hostname = percent_expand(hostname, {"h": host}, where("hostname")) if hostname else host
    values["hostname"] = hostname.lower()
    if values.get("batchmode") == "yes":
        values.setdefault("serveraliveinterval", 300)     # as ssh does in batch mode
    values.setdefault("port", 22)
    values.setdefault("user", local_user())
    for key, default in (("batchmode", "no"), ("checkhostip", "no"), ("identitiesonly", "no"),
                         ("passwordauthentication", "yes"), ("hashknownhosts", "no"),
                         ("stricthostkeychecking", "ask"), ("gssapiauthentication", "no"),
                         ("pubkeyauthentication", "yes"), ("addressfamily", "any"),
                         ("nohostauthenticationforlocalhost", "no"), ("serveralivecountmax", 3),
                         ("serveraliveinterval", 0), ("connecttimeout", None),
                         ("compression", "no"), ("tcpkeepalive", "yes"), ("rekeylimit", 0),
                         ("rekeylimit_time", 0)):
        values.setdefault(key, default)
    values.setdefault("kbdinteractiveauthentication",
                      values.get("challengeresponseauthentication", "yes"))
    for key, algorithms in DEFAULT_ALGORITHMS.items():
        values.setdefault(key, list(algorithms))
    tokens = _tokens(host, values["hostname"], str(values["port"]), values["user"],
                     values.get("hostkeyalias"))
    home = _home()
    values.setdefault("userknownhostsfile", ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"])
    values.setdefault("globalknownhostsfile", ["/etc/ssh/ssh_known_hosts",
                                               "/etc/ssh/ssh_known_hosts2"])
    for key in ("userknownhostsfile", "globalknownhostsfile"):
        values[key] = [f for f in (_expand_path(p, tokens, where(key)) for p in values[key])
                       if f.lower() != "none"]
    for key in ("identityfile", "certificatefile"):
        if key in values:
            values[key] = [_expand_path(p, tokens, where(key)) for p in values[key]]
    if "identityfile" not in values:
        values["identityfile"] = [os.path.join(home, ".ssh", name) for name in
                                  ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519",
                                   "id_ed25519_sk", "id_xmss", "id_dsa")]
        values["identityfile_default"] = True
    if "proxycommand" in values:
        if values["proxycommand"].lower() == "none":
            del values["proxycommand"]
        else:
            values["proxycommand"] = percent_expand(
                values["proxycommand"], {k: v for k, v in tokens.items() if k in "hnpr"},
                where("proxycommand"))
    if str(values.get("proxyjump", "")).lower() == "none":
        del values["proxyjump"]
    if "identityagent" in values and values["identityagent"].lower() not in ("none", "ssh_auth_sock"):
        values["identityagent"] = _expand_path(values["identityagent"], tokens, where("identityagent"))
    return SSHOptions(values, origin, unhonoured)


_SAID: set = set()


def warn_unhonoured(options: SSHOptions, say: Callable[[str], None]) -> None:
    """Say once per config line what pshell cannot carry out."""
    for mark, text in unhonoured_messages(options):
        if mark in _SAID:
            continue
        _SAID.add(mark)
        say(text)


def unhonoured_messages(options: SSHOptions) -> List[Tuple[Tuple[str, str, int], str]]:
    """(config line, what to say) for each option pshell cannot carry out."""
    out = []
    for key, path, line in options.unhonoured:
        place = f"{path} line {line}" if path else "the options given"
        value = options.get(key)
        if isinstance(value, list):
            value = " ".join(str(w) for w in value)
        out.append(((key, path, line), f"{place}: pshell cannot honour '{key} {value}'; "
                                       f"it connects without it"))
    return out
