"""New-TemporaryFile, New-TemporaryDirectory, Get-FileHash."""

from __future__ import annotations

import os

from pshell.cmdlets.item import PathCmdlet, make_item
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import PSObject, to_str
from pshell.engine.wildcards import has_wildcards


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List

def temp_folder(rs: Any) -> str:
    """The temporary folder, as [System.IO.Path]::GetTempPath() names it: the runspace's
    $env:TMPDIR when that is a folder, else Python's choice (/tmp)."""
    import tempfile
    given = rs.environ.get("TMPDIR") or ""
    if given and os.path.isdir(given):
        return given.rstrip("/") or "/"
    return tempfile.gettempdir()


@register
class NewTemporaryFile(Cmdlet):
    name = "New-TemporaryFile"
    synopsis = "Creates an empty file with a unique name in the temporary folder."
    output_type = "System.IO.FileInfo"
    params = SHOULD_PROCESS_PARAMS

    def process(self) -> Iterator[Any]:
        import tempfile
        folder = temp_folder(self.runspace)
        if not self.should_process(folder, "New-TemporaryFile"):
            return
        try:
            handle, path = tempfile.mkstemp(suffix=".tmp", prefix="tmp", dir=folder)
        except OSError as exc:
            raise self.terminate(f"Cannot create a temporary file in '{folder}': "
                                 f"{exc.strerror or exc}.", "NewTemporaryFileWriteError",
                                 "WriteError", folder) from None
        os.close(handle)
        yield make_item(path)


#: what a -Prefix may not hold: it names a file inside the temporary folder, nothing else
_BAD_PREFIX_CHARS = frozenset("/\\\0")


@register
class NewTemporaryDirectory(Cmdlet):
    name = "New-TemporaryDirectory"
    synopsis = "Creates an empty folder with a unique name in the temporary folder."
    output_type = "System.IO.DirectoryInfo"
    params = (Param("Prefix", "string", position=0),) + SHOULD_PROCESS_PARAMS

    def process(self) -> Iterator[Any]:
        import tempfile
        prefix = "" if self.Prefix is None else to_str(self.Prefix)
        if prefix in (".", "..") or any(c in _BAD_PREFIX_CHARS or ord(c) < 32 or ord(c) == 127
                                        for c in prefix):
            raise self.terminate(
                f"The prefix {prefix!r} cannot be used: a prefix is the start of a folder name, "
                f"so it may not be '.' or '..' nor hold '/', '\\' or control characters.",
                "NewTemporaryDirectoryInvalidPrefix", "InvalidArgument", prefix)
        folder = temp_folder(self.runspace)
        target = f"{folder} (a new folder with prefix '{prefix}')" if prefix else folder
        if not self.should_process(target, "New-TemporaryDirectory"):
            return
        try:
            path = tempfile.mkdtemp(prefix=prefix or "tmp", dir=folder)
        except OSError as exc:
            raise self.terminate(f"Cannot create a temporary folder in '{folder}': "
                                 f"{exc.strerror or exc}.", "NewTemporaryDirectoryWriteError",
                                 "WriteError", folder) from None
        yield make_item(path)


_ALGORITHMS = ("SHA1", "SHA256", "SHA384", "SHA512", "MD5")


@register
class GetFileHash(PathCmdlet):
    name = "Get-FileHash"
    synopsis = "Computes the hash of files' contents (SHA256 by default)."
    output_type = "Microsoft.PowerShell.Commands.FileHashInfo"
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        Param("LiteralPath", "string[]", aliases=("PSPath", "LP"), by_property=True),
        Param("InputStream", "object"),
        Param("Algorithm", "string", position=1, default="SHA256", validate_set=_ALGORITHMS),
    )

    def process(self) -> Iterator[Any]:
        if self.InputStream is not None:
            data = self.InputStream
            if isinstance(data, str):
                data = data.encode("utf-8")
            yield self._result(self._digest_bytes(bytes(data)), None)
            return
        self.require_path()
        literal = self.LiteralPath is not None
        for raw in (self.LiteralPath if literal else self.Path) or []:
            if raw is None:
                continue
            text = to_str(raw)
            if not literal and has_wildcards(text):
                paths: List[str] = self.expand(text)[0]
            else:
                paths = [self.absolute(text)]
            for full in paths:
                yield from self._hash_file(full)

    def _digest_bytes(self, data: bytes) -> str:
        import hashlib
        digest = hashlib.new(to_str(self.Algorithm).lower())
        digest.update(data)
        return digest.hexdigest().upper()

    def _hash_file(self, full: str) -> Iterator[Any]:
        import hashlib
        if os.path.isdir(full):
            self.write_error(self.error_record(
                f"'{full}' is a folder: Get-FileHash hashes files.", "UnauthorizedAccessError",
                "InvalidArgument", target=full))
            return
        digest = hashlib.new(to_str(self.Algorithm).lower())
        try:
            with open(full, "rb") as handle:
                while True:
                    block = handle.read(1 << 20)
                    if not block:
                        break
                    digest.update(block)
        except FileNotFoundError:
            self.write_error(self.error_record(
                f"Cannot find path '{full}' because it does not exist.", "FileNotFound",
                "ObjectNotFound", target=full))
            return
        except OSError as exc:
            self.write_error(self.error_record(
                f"Cannot read '{full}': {exc.strerror or exc}.", "FileReadError", "ReadError",
                target=full))
            return
        yield self._result(digest.hexdigest().upper(), full)

    def _result(self, digest: str, path: Any) -> PSObject:
        return PSObject({"Algorithm": to_str(self.Algorithm).upper(), "Hash": digest, "Path": path},
                        type_names=("Microsoft.PowerShell.Commands.FileHashInfo",
                                    "System.Object"))


__all__ = ["NewTemporaryFile", "NewTemporaryDirectory", "GetFileHash"]
