"""Every answer bounded: in size after decompression, and in the total time of one attempt.

requests' timeout is a socket idle timeout: a server that sends one byte a second, in its
headers or its body, is never cut by it, and a small gzip answer can inflate to gigabytes.
So the session asks for every answer streamed, reads the body itself (``read_body``),
counting decoded bytes, and refuses it past ``MAX_ANSWER``; and a watch (``Deadline``)
shuts the connection's socket down when the attempt's time is over, whether the server is
still sending headers or a body. urllib3 (2.6 and later) inflates a gzip answer a chunk at a
time, so the count stops a bomb before it fills memory.

The transport (``guard._HomeOnly``) tells the current thread's watch which connection it
took from the pool (``watch_connection``).
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import requests

MAX_ANSWER = 8 * 1024 * 1024
"""Bytes an answer may hold once decompressed; GitLab's pages of 100 issues are far smaller."""
CHUNK = 64 * 1024


class TooLarge(Exception):
    """An answer larger than ``MAX_ANSWER`` once decompressed: refused, not read to its end."""


class TooSlow(Exception):
    """An answer still arriving when its attempt's time was over (a server trickling bytes)."""


_CURRENT = threading.local()


class Deadline:
    """Cuts the current thread's connection ``seconds`` from now, while it is watched."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._connection: Any = None
        self._over = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _CURRENT.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._over = True
            self._timer.cancel()
        _CURRENT.deadline = None

    def watch(self, connection: Any) -> None:
        with self._lock:
            self._connection = connection
            if self.fired:
                _cut(connection)

    def _fire(self) -> None:
        with self._lock:
            if self._over:
                return
            self.fired = True
            if not _cut(self._connection):  # still connecting (its own timeout): look again soon
                self._timer = threading.Timer(0.05, self._fire)
                self._timer.daemon = True
                self._timer.start()


def watch_connection(connection: Any) -> None:
    """The transport took ``connection`` for the current thread's attempt."""
    deadline: Deadline | None = getattr(_CURRENT, "deadline", None)
    if deadline is not None:
        deadline.watch(connection)


def _cut(connection: Any) -> bool:
    """Shut the connection's socket down, so that a read blocked on it returns at once;
    False when it has no socket yet."""
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


def read_body(response: requests.Response, limit: int = MAX_ANSWER) -> None:
    """Read a streamed answer's body into ``response`` (``.content``, ``.json()`` work as
    usual), refusing it once it holds more than ``limit`` bytes, decompressed."""
    declared = response.headers.get("Content-Length", "").strip()
    encoded = response.headers.get("Content-Encoding", "").strip().lower() not in ("", "identity")
    if declared.isdigit() and not encoded and int(declared) > limit:
        response.close()
        raise TooLarge(_too_large(limit))
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(_too_large(limit))
            parts.append(chunk)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(parts)  # what requests keeps once it has read a body
    vars(response)["_content_consumed"] = True  # an attribute requests' typing may or may not declare


def _too_large(limit: int) -> str:
    return f"its answer was larger than {limit // (1024 * 1024)} MiB once decompressed"
