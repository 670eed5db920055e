"""Hostile answers for the fake GitLab (``FakeGitLab.answer_raw``): functions that write raw
bytes to the socket. Each loop stops by itself (a bound in bytes or seconds) or when the
fake stops or the client goes away."""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator
from typing import Any

TRICKLE_FOR = 30.0
"""How long a trickling answer keeps sending at most (the client must cut it long before)."""


def _gzip_of_zeros(size: int) -> Iterator[bytes]:
    """A gzip stream that inflates to ``size`` bytes, made a MiB at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1024 * 1024)
    yield compressor.compress(b'{"id": 1, "username": "')
    for _ in range(size // len(block)):
        out = compressor.compress(block)
        if out:
            yield out
    yield compressor.compress(b'"}')
    yield compressor.flush()


def gzip_bomb(size: int = 1024 * 1024 * 1024) -> Any:
    """A JSON answer of about 1 MiB that inflates to ``size`` bytes (a GiB by default)."""
    body = b"".join(_gzip_of_zeros(size))

    def answer(out: Any, stopping: threading.Event) -> None:
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        out.write(head.encode() + body)

    return answer


def huge(size: int = 64 * 1024 * 1024, declared: bool = True) -> Any:
    """A plain JSON answer of ``size`` bytes, with or without its Content-Length."""

    def answer(out: Any, stopping: threading.Event) -> None:
        length = f"Content-Length: {size}\r\n" if declared else ""
        out.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n".encode())
        out.write(b"[")
        chunk = b'"x",' * 16384
        for _ in range(size // len(chunk)):
            if stopping.is_set():
                return
            out.write(chunk)

    return answer


def trickle(in_headers: bool, every: float = 0.2) -> Any:
    """An answer that sends one byte every ``every`` seconds, in its headers or its body."""
    body = json.dumps({"id": 1, "username": "bot"}).encode() + b" " * 10_000

    def answer(out: Any, stopping: threading.Event) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "X-Slow: ").encode() + b"." * 10_000 + b"\r\n\r\n"
        if not in_headers:
            out.write(head[: head.index(b"X-Slow")] + b"\r\n")
            out.flush()
        stream = head if in_headers else body
        for index in range(int(TRICKLE_FOR / every)):
            if stopping.wait(every) or index >= len(stream):
                return
            out.write(stream[index:index + 1])
            out.flush()

    return answer
