"""Files inc-audit creates on its own (``init``'s configuration and CI file, the cache) and
files it reads from a repository (templates): never through a symbolic link someone placed
there, never into or out of a FIFO or a device, which would hang the run or write elsewhere.

Each refusal is an ``InputError`` (exit 2) naming the path.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from inc_audit.errors import InputError


def shipped_schemas() -> Path:
    """The folder of the JSON schemas inc-audit ships, the package ``inc_audit.builtin_schemas``
    (``schemas/`` in a checkout): what ``importlib.resources.files`` finds, without the few
    milliseconds importing ``importlib.resources`` costs every command at start-up."""
    package = importlib.import_module("inc_audit.builtin_schemas")
    return Path(next(iter(package.__path__)))


HINT = "remove it or give another path: inc-audit writes and reads only regular files, never through a link"


def refuse_odd(path: Path, what: str) -> None:
    """``InputError`` when ``path`` is a symbolic link, or exists and is not a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # absent, or unreachable: whoever opens it says so
        return
    if stat.S_ISLNK(mode):
        raise InputError(f"{what} {path} is a symbolic link; not followed", HINT)
    if not stat.S_ISREG(mode):
        raise InputError(f"{what} {path} is not a regular file (a FIFO, a device or a folder)", HINT)


def refuse_odd_folder(path: Path, what: str) -> None:
    """``InputError`` when ``path`` is a symbolic link, or exists and is not a folder."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # absent, or unreachable: whoever opens it says so
        return
    if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a folder"
        raise InputError(f"{what} {path} is {kind}; not used", HINT)


def write_new_text(path: Path, text: str, what: str, *, replace: bool = True) -> None:
    """Write ``text`` to ``path`` without following a symbolic link or opening a FIFO or a
    device (``O_NOFOLLOW``, ``O_NONBLOCK``, then checked as a regular file); with
    ``replace`` False, only a file that does not exist yet."""
    refuse_odd(path, what)
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_TRUNC if replace else os.O_EXCL)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, flags, 0o644)
    except OSError as error:
        raise InputError(f"cannot write {what} {path}: {error.strerror}", HINT) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise InputError(f"{what} {path} is not a regular file", HINT)
        handle.write(text)


def write_whole(path: Path, pieces: Iterable[str]) -> None:
    """Write ``pieces`` to ``path`` as one file that appears whole or not at all: into a new
    file beside it, renamed over it once the last piece is written. Until then a reader sees
    the file as it was (or none), and a failure while the pieces are made (an ``OSError`` or
    the maker's own) removes the new file and leaves the old one. The file keeps the old
    one's permissions (a new one has the umask's). A symbolic link is kept and its target
    written; a FIFO or a device (``/dev/stdout``) is written to as it is, piece by piece.
    ``OSError`` is raised as it comes."""
    target = path.resolve() if path.is_symlink() else path
    try:
        mode: int | None = os.stat(target).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with target.open("w", encoding="utf-8") as handle:
            handle.writelines(pieces)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.part")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.writelines(pieces)
        if mode is not None:
            os.chmod(fresh, stat.S_IMODE(mode))
        os.replace(fresh, target)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise


def read_regular_text(path: Path, what: str, inside: tuple[Path, ...] = ()) -> str:
    """The text of ``path``, a regular file; a symbolic link is followed only to a file
    inside one of ``inside`` (the repository), a FIFO or a device is never opened."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            target = path.resolve(strict=True)
            if not any(target.is_relative_to(root.resolve()) for root in inside):
                raise InputError(f"{what} {path} is a symbolic link out of the repository; not read", HINT)
            mode = os.stat(target).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{what} {path} is not a regular file (a FIFO, a device or a folder); not read", HINT)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except InputError:
        raise
    except (OSError, RuntimeError) as error:
        raise InputError(f"cannot read {what} {path}: {getattr(error, 'strerror', None) or error}") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # swapped since it was looked at
            raise InputError(f"{what} {path} is not a regular file; not read", HINT)
        return handle.read().decode("utf-8", errors="replace")
