"""How a command-line run uses Python's cyclic garbage collector.

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

Only the ``inc-audit`` program does this (``cli.command_line``); a program importing
inc-audit as a library, and the tests, keep Python's defaults.
"""

from __future__ import annotations

import atexit
import gc

_installed = False
YOUNG = 20_000


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
