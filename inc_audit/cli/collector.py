"""How a command-line run uses Python's cyclic garbage collector, and the C heap.

A run loads most of its objects once and keeps them to the end: modules and classes,
the schemas' validators, python-gitlab's, gql's and graphql-core's types. Every full
collection would walk them all again, and so would the collections Python makes while it
shuts down (about a fifth of a second once python-gitlab is loaded). ``gc.freeze`` moves
what exists into a permanent generation the collector does not walk: those objects are
still freed by reference counting, and new objects are collected as before.

The youngest generation is collected after ``YOUNG`` new objects rather than Python's 700:
an audit makes and drops many small objects a document (parsed sections, answers), nearly
none of them in a cycle, and collecting them thirty times as often cost about 0.15 s of CPU
over 1,000 incidents (``gc.callbacks``, 224 collections against 6), for no memory saved.

The C library's allocator (glibc's ``malloc``) gives each thread that allocates an arena
of its own, up to eight per core, and keeps what is freed in each for later: a live audit's
reader threads decode GitLab's answers (megabytes of JSON text a query) in theirs, and the
process kept what they freed. ``limit_arenas`` holds a run to ``ARENAS`` arenas before its
reader threads start, and ``trim`` gives the free pages back (``malloc_trim``) every
``TRIM_EVERY`` incidents: at 5,000 live incidents the peak fell from about 203 MiB to 160.
Where the C library is not glibc (musl, macOS) both do nothing.

Only the ``inc-audit`` program does this (``cli.command_line``); a program importing
inc-audit as a library, and the tests, keep Python's defaults.
"""

from __future__ import annotations

import atexit
import functools
import gc
from typing import Any

_installed = False
YOUNG = 20_000
ARENAS = 2
TRIM_EVERY = 1_000
_M_ARENA_MAX = -8  # mallopt's parameter, from glibc's malloc.h


def settle() -> None:
    """Take everything alive now out of the collector's walks (after a batch of imports)."""
    if _installed:
        gc.freeze()


def install() -> None:
    """For this process: settle now, after each ``settle()``, and once more at exit."""
    global _installed
    _installed = True
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
    gc.freeze()
    atexit.register(gc.freeze)


def limit_arenas() -> None:
    """Before the run starts threads: at most ``ARENAS`` malloc arenas for the process."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, ARENAS)


def trim() -> None:
    """Give the heap's free pages back to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _libc() -> Any:
    """glibc, for the ``inc-audit`` program only (``install``); None elsewhere."""
    return _glibc() if _installed else None


@functools.cache
def _glibc() -> Any:
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    try:
        import ctypes  # noqa: PLC0415  (only a run that reads or audits needs it)

        libc = ctypes.CDLL("libc.so.6")
    except (OSError, ImportError):
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
