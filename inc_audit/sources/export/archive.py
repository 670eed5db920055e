"""The files of a GitLab project export, from its folder or its packed archive.

Nothing is extracted in place: the archive is read as a stream. The small files the audit
needs are kept in memory; the issues file is streamed, and from an archive copied as it
streams to an anonymous temporary file (gone when inc-audit exits) that later passes and
``read_at`` read, so no pass holds it whole.
"""

from __future__ import annotations

import codecs
import itertools
import json
import lzma
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from inc_audit.errors import InputError
from inc_audit.sources.export import fields

ISSUES_FILE = "tree/project/issues.ndjson"
MEMBERS_FILE = "tree/project/project_members.ndjson"
PROJECT_FILE = "tree/project.json"
WANTED = (ISSUES_FILE, MEMBERS_FILE, PROJECT_FILE)
STREAMED = (ISSUES_FILE,)
"""Read a block at a time on each pass, never kept whole: the issues, which grow with the project."""
CHUNK = 1 << 20
BOMB_RATIO = 200
BOMB_FLOOR = 256 * 1024 * 1024


class ExportTree:
    """The files of an export, from a folder or a .tar.gz.

    The small files are read once and kept; the issues file (``STREAMED``) is read as a
    stream each time ``records`` is asked for it, a line at a time, so an export of any
    size costs the memory of its largest issue, not of the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root: Path | None = None
        self.position: tuple[int, int] | None = None
        """Where the line ``records`` yielded last lies in the file: byte offset and length
        (None in a UTF-16 file), for ``read_at``."""
        self._spool: IO[bytes] | None = None
        self._spooled = False
        self.files = self._read(path)
        """Every wanted file the export holds: its bytes, or None for a streamed one."""

    def _read(self, path: Path) -> dict[str, bytes | None]:
        if path.is_dir():
            self.root = root = _tree_root(path)
            try:
                found: dict[str, bytes | None] = {}
                for name in WANTED:
                    if (root / name).is_file():
                        if name in STREAMED:
                            with (root / name).open("rb"):  # readable, or the error is said now
                                found[name] = None
                        else:
                            found[name] = (root / name).read_bytes()
                return found
            except OSError as error:
                raise InputError(
                    f"cannot read export {path}: {error.strerror}", "check the files' permissions"
                ) from None
        if not path.exists():
            raise InputError(f"export not found: {path}", "give the .tar.gz GitLab produced or its unpacked folder")
        with _archive_errors(path):
            return _read_archive(path, keep=lambda name: name not in STREAMED)

    def text(self, name: str) -> str | None:
        data = self.files.get(name)
        if data is None and name in self.files:
            data = b"".join(self._chunks(name))
        return None if data is None else decode(data, f"{self.path}: {name}")

    def records(self, name: str, only: set[int] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, object) for each line of an ndjson file; a line that is not an object is an error.
        With ``only``, the other lines are skipped unread."""
        for number, line in self._lines(name, only):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(
                    f"{self.path}: {name} line {number} is not JSON ({error.msg})",
                    "the export is damaged; export the project again",
                ) from None
            except RecursionError:
                raise InputError(
                    f"{self.path}: {name} line {number} is nested too deep", "the export is damaged"
                ) from None
            except ValueError:  # a number of thousands of digits
                raise InputError(
                    f"{self.path}: {name} line {number} holds a number too long to read", "the export is damaged"
                ) from None
            if not isinstance(record, dict):
                raise InputError(
                    f"{self.path}: {name} line {number} is not a JSON object but {fields.kind(record)}",
                    "the export is damaged; export the project again",
                )
            yield number, record

    def _lines(self, name: str, only: set[int] | None = None) -> Iterator[tuple[int, str]]:
        """(line number, text) of each line split at "\n" only (U+2028 may sit in a string).

        UTF-8 is decoded a line at a time; UTF-16 (its byte order mark first) is decoded whole."""
        if name not in self.files:
            return
        chunks = self._chunks(name)
        first = next(chunks, b"")
        self.position = None
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            content = decode(first + b"".join(chunks), f"{self.path}: {name}")
            yield from ((n, line) for n, line in enumerate(content.split("\n"), 1) if only is None or n in only)
            return
        offset = 0
        if first.startswith(codecs.BOM_UTF8):
            first, offset = first[len(codecs.BOM_UTF8):], len(codecs.BOM_UTF8)
        number, pending = 0, b""
        for block in itertools.chain((first,), chunks):
            *whole, pending = (pending + block).split(b"\n")
            for raw in whole:
                number += 1
                if only is None or number in only:
                    self.position = (offset, len(raw))
                    yield number, _utf8(raw, offset, self.path, name, number)
                offset += len(raw) + 1
        if only is None or number + 1 in only:
            self.position = (offset, len(pending))
            yield number + 1, _utf8(pending, offset, self.path, name, number + 1)

    def read_at(self, name: str, number: int, position: tuple[int, int]) -> dict[str, Any]:
        """The object on line ``number`` of a streamed file, at ``position`` (``self.position``
        when ``records`` yielded it): read from the folder's file, or from the copy a first
        pass over an archive made."""
        offset, length = position
        try:
            if self.root is not None:
                with (self.root / name).open("rb") as handle:
                    handle.seek(offset)
                    raw = handle.read(length)
            else:
                assert self._spool is not None and self._spooled, "records() has read the archive's file"
                self._spool.seek(offset)
                raw = self._spool.read(length)
        except OSError as error:
            raise InputError(
                f"cannot read export {self.path}: {error.strerror}", "check the files' permissions"
            ) from None
        record = json.loads(_utf8(raw, offset, self.path, name, number))  # checked by the pass that found it
        assert isinstance(record, dict)
        return record

    def _chunks(self, name: str) -> Iterator[bytes]:
        """The file's bytes, a block at a time."""
        data = self.files[name]
        if data is not None:
            yield data
            return
        if self.root is not None:
            try:
                with (self.root / name).open("rb") as handle:
                    while block := handle.read(CHUNK):
                        yield block
            except OSError as error:
                raise InputError(
                    f"cannot read export {self.path}: {error.strerror}", "check the files' permissions"
                ) from None
            return
        if self._spooled and self._spool is not None:  # the copy a first pass made
            self._spool.seek(0)
            while block := self._spool.read(CHUNK):
                yield block
            return
        spool = self._spool = tempfile.TemporaryFile(prefix="inc-audit-export-")
        with _archive_errors(self.path):
            for block in _stream_member(self.path, name):
                spool.write(block)
                yield block
        self._spooled = True

    def ndjson(self, name: str) -> Iterator[dict[str, Any]]:
        for _, record in self.records(name):
            yield record

    def project(self) -> dict[str, Any]:
        data = self.files.get(PROJECT_FILE)
        try:
            value = json.loads(data) if data else {}
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return {}
        return value if isinstance(value, dict) else {}


def _utf8(raw: bytes, offset: int, path: Path, name: str, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: {name} line {number}: invalid UTF-8 (byte {offset + error.start})",
            "the export is damaged; export the project again",
        ) from None


@contextmanager
def _archive_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as error:
        raise InputError(
            f"cannot read export archive {path}: {str(error) or type(error).__name__}",
            "export the project again (Settings > General > Export project)",
        ) from None


def decode(data: bytes, where: str) -> str:
    """The text of an export file: UTF-8, or UTF-16 with its byte order mark; anything else is an error."""
    encoding = "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].decode(encoding, errors="replace").count("\n") + 1
        label = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise InputError(
            f"{where} line {line}: invalid {label} (byte {error.start})",
            "the export is damaged; export the project again",
        ) from None


def _read_archive(path: Path, keep: Callable[[str], bool]) -> dict[str, bytes | None]:
    """The wanted files of a packed export, read as a stream: nothing is extracted to disk.
    Those ``keep`` refuses are only noted (None), to be streamed again when read.

    A member outside the archive's root (an absolute path or ``..``), a link, or an
    archive that unpacks to far more than its size (a compression bomb) is refused.
    """
    found: dict[str, bytes | None] = {}
    for name, handle in _members(path):
        found[name] = handle.read() if keep(name) else None
    return found


def _stream_member(path: Path, wanted: str) -> Iterator[bytes]:
    """The bytes of one wanted member, a block at a time, from a new pass over the archive."""
    for name, handle in _members(path):
        if name == wanted:
            while block := handle.read(CHUNK):
                yield block
            return


def _members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """(wanted name, stream) of each wanted file of the archive, every member checked."""
    packed = max(path.stat().st_size, 1)
    unpacked = 0
    with tarfile.open(path, "r|*") as archive:
        for member in archive:
            _check_member(path, member)
            unpacked += member.size
            if unpacked > BOMB_FLOOR and unpacked > BOMB_RATIO * packed:
                raise InputError(
                    f"export archive {path} unpacks to more than {BOMB_RATIO} times its size",
                    "this is not a GitLab export (or a compression bomb); export the project again",
                )
            name = _strip_prefix(member.name, WANTED)
            if name and member.isfile():
                handle = archive.extractfile(member)
                if handle is not None:
                    yield name, handle


def _check_member(path: Path, member: tarfile.TarInfo) -> None:
    parts = PurePosixPath(member.name).parts
    if member.name.startswith(("/", "\\")) or ".." in parts or ".." in member.name.split("\\"):
        raise InputError(
            f"export archive {path} holds {fields.shown(member.name)}, outside the archive's folder",
            "this is not a GitLab export; refusing to read it",
        )
    if member.issym() or member.islnk() or not (member.isfile() or member.isdir()):
        raise InputError(
            f"export archive {path} holds {fields.shown(member.name)}, which is a link or a device",
            "GitLab's exports hold only files and folders; refusing to read it",
        )


def _tree_root(path: Path) -> Path:
    for candidate in (path, *sorted(p for p in path.iterdir() if p.is_dir())):
        if (candidate / ISSUES_FILE).is_file():
            return candidate
    raise InputError(
        f"{path} is not a GitLab project export: {ISSUES_FILE} is missing",
        "give the folder that holds tree/project/ or the .tar.gz itself",
    )


def _strip_prefix(name: str, wanted: tuple[str, ...]) -> str | None:
    name = name.lstrip("./")
    for target in wanted:
        if name == target or name.endswith("/" + target):
            return target
    return None
