"""The files of a GitLab project export, from its folder or its packed archive.

Nothing is extracted to disk: the archive is read as a stream, and only the few
files the audit needs are kept in memory.
"""

from __future__ import annotations

import codecs
import json
import lzma
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from inc_audit.errors import InputError
from inc_audit.sources.export import fields

ISSUES_FILE = "tree/project/issues.ndjson"
MEMBERS_FILE = "tree/project/project_members.ndjson"
PROJECT_FILE = "tree/project.json"
WANTED = (ISSUES_FILE, MEMBERS_FILE, PROJECT_FILE)
BOMB_RATIO = 200
BOMB_FLOOR = 256 * 1024 * 1024


class ExportTree:
    """The files of an export, from a folder or a .tar.gz, read once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = self._read(path)

    @staticmethod
    def _read(path: Path) -> dict[str, bytes]:
        if path.is_dir():
            root = _tree_root(path)
            try:
                return {name: (root / name).read_bytes() for name in WANTED if (root / name).is_file()}
            except OSError as error:
                raise InputError(
                    f"cannot read export {path}: {error.strerror}", "check the files' permissions"
                ) from None
        if not path.exists():
            raise InputError(f"export not found: {path}", "give the .tar.gz GitLab produced or its unpacked folder")
        try:
            return _read_archive(path)
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as error:
            raise InputError(
                f"cannot read export archive {path}: {str(error) or type(error).__name__}",
                "export the project again (Settings > General > Export project)",
            ) from None

    def text(self, name: str) -> str | None:
        data = self.files.get(name)
        return None if data is None else decode(data, f"{self.path}: {name}")

    def records(self, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, object) for each line of an ndjson file; a line that is not an object is an error."""
        content = self.text(name)
        if content is None:
            return
        for number, line in enumerate(content.split("\n"), 1):  # not splitlines: U+2028 may sit in a string
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


def _read_archive(path: Path) -> dict[str, bytes]:
    """The wanted files of a packed export, read as a stream: nothing is extracted to disk.

    A member outside the archive's root (an absolute path or ``..``), a link, or an
    archive that unpacks to far more than its size (a compression bomb) is refused.
    """
    packed = max(path.stat().st_size, 1)
    unpacked = 0
    found: dict[str, bytes] = {}
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
                    found[name] = handle.read()
    return found


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
