"""What a connection broker's request decides: the request line checked field by field, the
held-connection key (the request and every resolved ssh_config option), and the stamp of the config
files that those decisions stay valid for (``config_stamp``).  The broker (``broker_server.py``)
keeps a request line's decisions while the stamp is unchanged."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

__all__ = ["BadRequest", "check_request", "decide", "config_stamp", "Plan"]


class BadRequest(ValueError):
    pass


def _text(value: Any, what: str, limit: int = 1024) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit or \
            any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadRequest(f"{what} is not a valid name")
    return value


def check_request(line: bytes) -> Dict[str, Any]:
    """The request's fields, checked (types, sizes, no control characters); BadRequest else."""
    try:
        req = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the request is not JSON") from None
    if not isinstance(req, dict) or req.get("v") != 1:
        raise BadRequest("the request is not a version 1 request")
    host = _text(req.get("host"), "the host", 255)
    if host is None:
        raise BadRequest("the request names no host")
    port = req.get("port")
    if port is not None and (type(port) is not int or not 0 < port < 65536):
        raise BadRequest("the port is not a number from 1 to 65535")
    options = req.get("options") or {}
    if not isinstance(options, dict) or len(options) > 64:
        raise BadRequest("the options are not a table of at most 64 entries")
    for key, value in options.items():
        _text(key, "an option name", 64)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, (str, int)) or isinstance(item, bool) or \
                    (isinstance(item, str) and len(item) > 4096):
                raise BadRequest(f"option {key} has a value that is not text or a number")
    return {"host": host, "user": _text(req.get("user"), "the user", 255), "port": port,
            "key_file": _text(req.get("key_file"), "the key file", 4096), "options": options,
            "subsystem": _text(req.get("subsystem"), "the subsystem", 64),
            "environ": _environ(req.get("env"))}


MAX_ENV_NAMES = 1024            # variables in a request's environment
MAX_ENV_SIZE = 48 * 1024        # their names and values together (characters)
MAX_ENV_NAME = 256


def _environ(value: Any) -> Dict[bytes, bytes]:
    """The client's environment (what SendEnv sends is taken from it, not from the broker's):
    names and values as text, bytes that are not UTF-8 as the surrogates ``os.fsdecode``
    makes.  At most MAX_ENV_NAMES names and MAX_ENV_SIZE characters; a name is not empty and
    has no "=" or NUL, a value no NUL."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_ENV_NAMES:
        raise BadRequest(f"the environment is not a table of at most {MAX_ENV_NAMES} variables")
    environ: Dict[bytes, bytes] = {}
    size = 0
    for name, text in value.items():
        if not isinstance(name, str) or not name or len(name) > MAX_ENV_NAME or "=" in name or \
                "\0" in name:
            raise BadRequest(f"the environment has a variable name that is not valid: {name!r:.80}")
        if not isinstance(text, str) or "\0" in text:
            raise BadRequest(f"the environment's variable {name} has a value that is not text")
        size += len(name) + len(text)
        if size > MAX_ENV_SIZE:
            raise BadRequest(f"the environment is larger than {MAX_ENV_SIZE} characters")
        try:
            environ[os.fsencode(name)] = os.fsencode(text)
        except UnicodeError:        # a surrogate os.fsdecode never makes
            raise BadRequest(f"the environment's variable {name!r:.80} is not valid text") from None
    return environ


class Plan:
    """What one request line decides, kept while the config files are unchanged: the checked
    request, the held-connection key, what to warn about, where the host's socket is
    remembered."""

    def __init__(self, req: Dict[str, Any], key: str, said: List[str], stamp: Any,
                 cache_key: str) -> None:
        self.req = req
        self.key = key
        self.said = said
        self.stamp = stamp
        self.cache_key = cache_key
        self.answers: Dict[Optional[str], bytes] = {}   # the answer line, by the socket path
        # what SendEnv and SetEnv send for it (from the client's environment), worked out on a
        # held connection of its key; and the key of the warm channels that carry exactly that
        self.sent: Optional[Dict[bytes, bytes]] = None
        self.warm_key = ""


def decide(req: Dict[str, Any]) -> Any:
    """The held-connection key (the request and every resolved option) and what a direct
    connection would warn about the config."""
    from pshell.transport import ssh_config
    from pshell.transport.ssh_connect import SSHTarget, _overrides
    target = SSHTarget(req["host"], req["user"], req["port"], req["key_file"], None,
                       req["options"])
    try:
        resolved = ssh_config.resolve(req["host"], req["user"], req["port"], _overrides(target))
    except ssh_config.ConfigError as exc:
        from pshell.transport.ssh_connect import SSHError
        raise SSHError(f"Cannot connect to {req['host']}: {exc}") from None
    said = [text for _, text in ssh_config.unhonoured_messages(resolved)]
    decided = sorted((name, repr(value)) for name, value in resolved.values.items())
    return json.dumps([req["host"].lower(), req["user"], req["port"], req["key_file"],
                       sorted((k, repr(v)) for k, v in req["options"].items()), decided]), said


_FILE_FACTS: Dict[str, Any] = {}     # path -> (its stat, its Include patterns, Match exec in it)
_GLOBS: Dict[str, Any] = {}          # Include pattern -> (its directory's stat, the files found)


def _stat(path: str) -> Any:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino, info.st_dev)


def _file_facts(path: str, stat: Any) -> Any:
    """(Include patterns, whether a Match exec is there) of a config file, read again only
    when its stat changed.  Raises ConfigError."""
    known = _FILE_FACTS.get(path)
    if known is not None and known[0] == stat:
        return known[1], known[2]
    from pshell.transport import ssh_config
    patterns: List[str] = []
    runs = False
    for key, args, _, _ in ssh_config.config_lines(path):
        if key == "match" and any(arg.lower().lstrip("!") == "exec" for arg in args):
            runs = True
        elif key == "include":
            for arg in args:
                pattern = os.path.expanduser(arg) if arg.startswith("~") else arg
                if not os.path.isabs(pattern):
                    pattern = os.path.join(ssh_config.home(), ".ssh", pattern)
                patterns.append(pattern)
    if len(_FILE_FACTS) > 256:
        _FILE_FACTS.clear()
    _FILE_FACTS[path] = (stat, patterns, runs)
    return patterns, runs


_PATTERN_DIRS: Dict[str, Any] = {}   # Include pattern -> (its directory, wildcards in it)


def _included(pattern: str) -> Any:
    """(what decides it, the files) an Include pattern names: globbed again only when the
    directory of a pattern whose wildcards are all in its last part changed."""
    import glob
    where = _PATTERN_DIRS.get(pattern)
    if where is None:
        directory = os.path.dirname(pattern)
        where = (directory, glob.has_magic(directory))
        if len(_PATTERN_DIRS) > 256:
            _PATTERN_DIRS.clear()
        _PATTERN_DIRS[pattern] = where
    directory, magic = where
    if magic:
        found = sorted(glob.glob(pattern))
        return tuple(found), found
    stat = _stat(directory)
    known = _GLOBS.get(pattern)
    if known is None or known[0] != stat or stat is None:
        known = (stat, sorted(glob.glob(pattern)))
        if len(_GLOBS) > 256:
            _GLOBS.clear()
        _GLOBS[pattern] = known
    return stat, known[1]


def config_stamp() -> Any:
    """What the ssh_config decisions depend on besides the request: every config file that
    would be read (Include globs followed, their directories) with its stat, and the local host
    name (%l, %C).  None when a decision may change with the files unchanged (``Match exec``)
    or a file cannot be read (each request is then decided anew, and says what is wrong)."""
    from pshell.transport import ssh_config
    files, _ = ssh_config.config_files()
    stamp: List[Any] = [os.uname().nodename]
    todo = list(reversed(files))
    while todo:
        path = todo.pop()
        if len(stamp) > 512:
            return None
        stat = _stat(path)
        stamp.append((path, stat))
        if stat is None:
            continue
        try:
            patterns, runs = _file_facts(path, stat)
        except ssh_config.ConfigError:
            return None
        if runs:
            return None
        found: List[str] = []
        for pattern in patterns:
            decided, names = _included(pattern)
            stamp.append((pattern, decided))
            found.extend(names)
        todo.extend(reversed(found))
    return tuple(stamp)
