"""CLIXML: PowerShell's XML form of objects (Export-Clixml, Import-Clixml, ConvertTo-CliXml,
ConvertFrom-CliXml).

Writing: each value becomes one element of the ``<Objs>`` document.  Plain values have their own
element (``<S>``, ``<I32>``, ``<Db>``, ``<B>``, ``<DT>``, ``<TS>``, ``<Nil/>``, ...); an object is
``<Obj>`` with its type names (``<TN>``, written once and then named by ``<TNRef>``), its string form
(``<ToString>``) and its properties (``<Props>``, or ``<MS>`` for a custom object's notes); lists are
``<LST>``, hashtables ``<DCT>`` of ``<En>`` pairs.  Below ``depth`` levels an object is written as
its string form.  An object met twice is written once and then referred to (``<Ref>``), so a cycle
ends.  A SecureString is written encrypted under a key of this user on this computer (pshell has no
DPAPI; see ``secure_key``), so only that user here can read it back.

Reading is a trust boundary (a file may come from anywhere): the text goes through expat with a
handler that refuses any DOCTYPE (so no entity is ever declared, let alone expanded), elements may
nest at most ``MAX_NESTING`` deep, and each value is checked as it is converted; any fault is a
``CliXmlError`` naming the line.  Objects come back as property bags whose type names start with
``Deserialized.``, as in PowerShell; a PSCredential comes back as a PSCredential.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import os
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from pshell.engine.safe_xml import XmlElement, XmlReadError, read_elements

from pshell.engine.values import (AutomationNull, Guid, Hashtable, OrderedHashtable, PSChar,
                                  PSObject, get_property, properties_of, to_str, type_names_of)

__all__ = ["CliXmlError", "dumps", "loads", "MAX_NESTING", "secure_key"]

NAMESPACE = "http://schemas.microsoft.com/powershell/2004/04"
MAX_NESTING = 200               # elements inside each other: more is a hostile or broken file
_CUSTOM = "System.Management.Automation.PSCustomObject"
_CREDENTIAL = "System.Management.Automation.PSCredential"


class CliXmlError(ValueError):
    """Text that is not CLIXML pshell will read; the message says where and why."""


# --------------------------------------------------------------------------- text escapes

# characters XML 1.0 cannot hold (and '_x' that would read as an escape) are written as _xHHHH_
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def _encode_text(text: str) -> str:
    text = _UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _decode_text(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _attr(text: str) -> str:
    return _encode_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


# --------------------------------------------------------------------------- secure strings

def secure_key(environ: Mapping[str, str]) -> bytes:
    """This user's key for SecureStrings in CLIXML: 32 random bytes in a 0600 file under
    ``~/.local/share/pshell`` (made on first use).  A key file that is not a private regular file
    of 32 bytes is refused rather than trusted."""
    from pshell.engine.secure_text import check_key
    home = environ.get("HOME") or os.path.expanduser("~")
    base = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    folder = os.path.join(base, "pshell")
    path = os.path.join(folder, "clixml.key")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        key = handle.read(64)
    import stat
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077 or len(key) != 32:
        raise CliXmlError(f"The key file '{path}' is not a private 32-byte file of this user; "
                          f"remove it to have a new one made.")
    return check_key(key)


# --------------------------------------------------------------------------- writing

KeySource = Optional[Callable[[], bytes]]


def _key(source: KeySource) -> bytes:
    if source is None:
        raise CliXmlError("a SecureString needs this user's key, and none was given")
    try:
        return source()
    except OSError as exc:
        raise CliXmlError(f"this user's SecureString key cannot be read or made: "
                          f"{exc.strerror or exc} ({exc.filename})") from None


class _Writer:
    def __init__(self, depth: int, key: KeySource) -> None:
        self.depth = depth
        self.key = key
        self.out: List[str] = []
        self._type_ids: Dict[Tuple[str, ...], int] = {}
        self._refs: Dict[int, int] = {}
        self._kept: List[Any] = []          # keeps ids in _refs valid while writing

    def value(self, value: Any, level: int, name: Optional[str] = None) -> None:
        n = f' N="{_attr(name)}"' if name is not None else ""
        simple = self._simple(value)
        if simple is not None:
            tag, text = simple
            self.out.append(f"<{tag}{n} />" if text is None else f"<{tag}{n}>{text}</{tag}>")
            return
        if level >= self.depth:
            self.out.append(f"<S{n}>{_encode_text(to_str(value))}</S>")
            return
        key = id(value)
        if key in self._refs:
            self.out.append(f'<Ref{n} RefId="{self._refs[key]}" />')
            return
        ref = self._refs[key] = len(self._refs)
        self._kept.append(value)
        self.out.append(f'<Obj{n} RefId="{ref}">')
        names = list(type_names_of(value))
        if names[-1] != "System.Object":
            names.append("System.Object")
        self._type_names(names)
        if isinstance(value, (list, tuple)):
            self.out.append("<LST>")
            for item in value:
                self.value(item, level + 1)
            self.out.append("</LST>")
        elif isinstance(value, dict):
            self.out.append("<DCT>")
            for k, v in value.items():
                self.out.append("<En>")
                self.value(k, level + 1, "Key")
                self.value(v, level + 1, "Value")
                self.out.append("</En>")
            self.out.append("</DCT>")
        else:
            self._object(value, level)
        self.out.append("</Obj>")

    def _type_names(self, names: List[str]) -> None:
        key = tuple(names)
        known = self._type_ids.get(key)
        if known is not None:
            self.out.append(f'<TNRef RefId="{known}" />')
            return
        self._type_ids[key] = len(self._type_ids)
        self.out.append(f'<TN RefId="{self._type_ids[key]}">')
        self.out.extend(f"<T>{_encode_text(t)}</T>" for t in names)
        self.out.append("</TN>")

    def _object(self, value: Any, level: int) -> None:
        custom = isinstance(value, PSObject) and _CUSTOM in value.type_names
        if not custom:
            self.out.append(f"<ToString>{_encode_text(to_str(value))}</ToString>")
        pairs: List[Tuple[str, Any]] = []
        if isinstance(value, PSObject):
            pairs = list(value.items())
        else:
            for prop in properties_of(value):
                try:
                    pairs.append((prop, get_property(value, prop, None)))
                except Exception:  # noqa: BLE001 - a property that cannot be read is left out
                    continue
        tag = "MS" if custom else "Props"
        self.out.append(f"<{tag}>")
        for prop, item in pairs:
            self.value(item, level + 1, prop)
        self.out.append(f"</{tag}>")

    def _simple(self, value: Any) -> Optional[Tuple[str, Optional[str]]]:
        from pshell.engine.credentials import SecureString
        if value is None or value is AutomationNull:
            return "Nil", None
        if isinstance(value, bool):
            return "B", "true" if value else "false"
        if type(value) is int or (isinstance(value, int) and not hasattr(value, "ps_type_names")):
            return ("I32" if -2**31 <= value < 2**31 else "I64" if -2**63 <= value < 2**63
                    else "S"), str(int(value))
        if isinstance(value, float):
            return "Db", repr(value).replace("inf", "INF").replace("nan", "NaN")
        if isinstance(value, PSChar):
            return "C", str(ord(value))
        if isinstance(value, Guid):
            return "G", str.__str__(value)
        if isinstance(value, str):
            return "S", _encode_text(str.__str__(value))
        if isinstance(value, _dt.datetime):
            return "DT", value.isoformat()
        if isinstance(value, _dt.timedelta):
            return "TS", _duration(value)
        if isinstance(value, (bytes, bytearray)):
            return "BA", base64.b64encode(bytes(value)).decode("ascii")
        if isinstance(value, SecureString):
            from pshell.engine.secure_text import encrypt
            return "SS", encrypt(value.plain_text(), _key(self.key))
        return None


def _duration(value: _dt.timedelta) -> str:
    micro = (value.days * 86400 + value.seconds) * 10**6 + value.microseconds
    sign = "-" if micro < 0 else ""
    seconds, micro = divmod(abs(micro), 10**6)
    days, seconds = divmod(seconds, 86400)
    frac = f".{micro:06d}".rstrip("0") if micro else ""
    return f"{sign}P{days}DT{seconds // 3600}H{seconds // 60 % 60}M{seconds % 60}{frac}S"


def dumps(values: List[Any], depth: int = 2, key: KeySource = None) -> str:
    """The CLIXML document for ``values``, one element each; ``key`` gives the key SecureStrings
    are encrypted under (``secure_key``)."""
    writer = _Writer(depth, key)
    for value in values:
        writer.value(value, 0)
    return (f'<Objs Version="1.1.0.1" xmlns="{NAMESPACE}">' + "".join(writer.out) + "</Objs>")


# --------------------------------------------------------------------------- reading

def _parse(text: str) -> XmlElement:
    try:
        root = read_elements(text, MAX_NESTING, "CLIXML", local_names=True)
    except XmlReadError as exc:
        raise CliXmlError(str(exc)) from None
    if root.tag != "Objs":
        raise CliXmlError("line 1: the document is not an <Objs> element")
    return root


_INT_TAGS = {"I32": (-2**31, 2**31), "I64": (-2**63, 2**63), "I16": (-2**15, 2**15), "By": (0, 256),
             "SB": (-128, 128), "U16": (0, 2**16), "U32": (0, 2**32), "U64": (0, 2**64)}
_DURATION = re.compile(r"(-?)P(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?"
                       r"(?:(\d{1,12})(?:\.(\d{1,7}))?S)?)?")
_STRING_TAGS = {"S", "URI", "XD", "SBK", "Version", "PR"}


class _Reader:
    def __init__(self, key: KeySource) -> None:
        self.key = key
        self.types: Dict[str, List[str]] = {}
        self.objects: Dict[str, Any] = {}

    def fail(self, element: XmlElement, detail: str) -> CliXmlError:
        return CliXmlError(f"line {element.line}: <{element.tag}>: {detail}")

    def value(self, element: XmlElement) -> Any:
        tag = element.tag
        text = element.text
        if tag == "Nil":
            return None
        if tag in _STRING_TAGS:
            return _decode_text(text)
        if tag in _INT_TAGS:
            low, high = _INT_TAGS[tag]
            try:
                number = int(text.strip())
            except ValueError:
                raise self.fail(element, f"'{text[:40]}' is not a whole number") from None
            if not low <= number < high:
                raise self.fail(element, f"{number} is out of range")
            return number
        if tag in ("Db", "Sg", "D"):
            try:
                return float(text.strip().replace("INF", "inf"))
            except ValueError:
                raise self.fail(element, f"'{text[:40]}' is not a number") from None
        if tag == "B":
            if text.strip().lower() not in ("true", "false"):
                raise self.fail(element, f"'{text[:40]}' is not true or false")
            return text.strip().lower() == "true"
        if tag == "C":
            try:
                return PSChar(chr(int(text.strip())))
            except (ValueError, OverflowError):
                raise self.fail(element, f"'{text[:40]}' is not a character code") from None
        if tag == "G":
            return Guid(text.strip())
        if tag == "DT":
            return self._date(element, text.strip())
        if tag == "TS":
            return self._timespan(element, text.strip())
        if tag == "BA":
            try:
                return base64.b64decode(text.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise self.fail(element, "not base64") from None
        if tag == "SS":
            return self._secure(element, text.strip())
        if tag == "Ref":
            ref = element.attrs.get("RefId", "")
            if ref not in self.objects:
                raise self.fail(element, f"refers to object '{ref[:40]}', which is not defined before it")
            return self.objects[ref]
        if tag == "Obj":
            return self._object(element)
        raise self.fail(element, "not an element CLIXML has here")

    @staticmethod
    def _date(element: XmlElement, text: str) -> _dt.datetime:
        match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?", text)
        if match is None:
            raise CliXmlError(f"line {element.line}: <DT>: '{text[:40]}' is not a date")
        try:
            value = _dt.datetime.fromisoformat(match.group(1))
            if match.group(2):
                value = value.replace(microsecond=int(match.group(2)[:6].ljust(6, "0")))
            zone = match.group(3)
            if zone == "Z":
                value = value.replace(tzinfo=_dt.timezone.utc)
            elif zone:
                sign = -1 if zone[0] == "-" else 1
                value = value.replace(tzinfo=_dt.timezone(sign * _dt.timedelta(
                    hours=int(zone[1:3]), minutes=int(zone[4:6]))))
        except ValueError as exc:
            raise CliXmlError(f"line {element.line}: <DT>: {exc}") from None
        return value

    @staticmethod
    def _timespan(element: XmlElement, text: str) -> _dt.timedelta:
        match = _DURATION.fullmatch(text)
        if match is None or text in ("P", "-P"):
            raise CliXmlError(f"line {element.line}: <TS>: '{text[:40]}' is not a duration")
        sign, days, hours, minutes, seconds, frac = match.groups()
        try:
            value = _dt.timedelta(days=int(days or 0), hours=int(hours or 0),
                                  minutes=int(minutes or 0), seconds=int(seconds or 0),
                                  microseconds=int((frac or "0")[:6].ljust(6, "0")))
        except OverflowError:
            raise CliXmlError(f"line {element.line}: <TS>: '{text[:40]}' is too long a time") from None
        return -value if sign else value

    def _secure(self, element: XmlElement, text: str) -> Any:
        from pshell.engine.credentials import SecureString
        from pshell.engine.secure_text import SecureTextError, decrypt
        try:
            return SecureString(decrypt(text, _key(self.key)))
        except SecureTextError as exc:
            raise self.fail(element, f"the SecureString cannot be read here: {exc} Only the user who "
                                     f"wrote it, on the computer it was written on, can read it.") from None

    def _object(self, element: XmlElement) -> Any:
        names: List[str] = []
        props: List[Tuple[str, Any]] = []
        body: Any = None
        has_body = False
        text: Optional[str] = None
        for child in element.children:
            tag = child.tag
            if tag == "TN":
                names = [_decode_text(t.text) for t in child.children if t.tag == "T"]
                if "RefId" in child.attrs:
                    self.types[child.attrs["RefId"]] = names
            elif tag == "TNRef":
                ref = child.attrs.get("RefId", "")
                if ref not in self.types:
                    raise self.fail(child, f"refers to type names '{ref[:40]}', not defined before it")
                names = self.types[ref]
            elif tag == "ToString":
                text = _decode_text(child.text)
            elif tag in ("Props", "MS"):
                for item in child.children:
                    if "N" not in item.attrs:
                        raise self.fail(item, "a property without a name (N)")
                    props.append((_decode_text(item.attrs["N"]), self.value(item)))
            elif tag in ("LST", "IE", "STK", "QUE"):
                body, has_body = [self.value(item) for item in child.children], True
            elif tag == "DCT":
                table = Hashtable()
                for entry in child.children:
                    pair = {c.attrs.get("N"): c for c in entry.children}
                    if entry.tag != "En" or "Key" not in pair or "Value" not in pair:
                        raise self.fail(entry, "a dictionary entry needs a Key and a Value")
                    key = self.value(pair["Key"])
                    try:
                        table[key] = self.value(pair["Value"])
                    except TypeError:
                        raise self.fail(entry, "a dictionary key that cannot be one") from None
                body, has_body = table, True
            else:
                body, has_body = self.value(child), True
        if isinstance(body, Hashtable) and names and names[0].endswith(".OrderedDictionary"):
            body = OrderedHashtable(body.items())      # an [ordered] dictionary stays ordered
        result = self._made(names, props, body, has_body, text)
        if "RefId" in element.attrs:
            self.objects[element.attrs["RefId"]] = result
        return result

    @staticmethod
    def _made(names: List[str], props: List[Tuple[str, Any]], body: Any, has_body: bool,
              text: Optional[str]) -> Any:
        if names and names[0] == _CREDENTIAL:
            from pshell.engine.credentials import PSCredential, SecureString
            found = {k.lower(): v for k, v in props}
            password = found.get("password")
            if isinstance(password, SecureString):
                return PSCredential(to_str(found.get("username")), password)
        if has_body and not props:
            return body
        if not props and text is not None and not has_body:
            return text
        obj = PSObject(type_names=["Deserialized." + n for n in names] or ["Deserialized.System.Object"])
        for key, value in props:
            obj.set(key, value)
        return obj


def loads(text: str, key: KeySource = None) -> List[Any]:
    """The values of a CLIXML document; ``CliXmlError`` when it is not one pshell will read."""
    root = _parse(text)
    reader = _Reader(key)
    return [reader.value(child) for child in root.children]
