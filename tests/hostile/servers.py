"""Hostile answers for the fake GitLab (``FakeGitLab.answer_raw``): functions that write raw
bytes to the socket. Each loop stops by itself (a bound in bytes or seconds) or when the
fake stops or the client goes away."""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

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

    def answer(out: Any, stopping: threading.Event, target: str) -> None:
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        out.write(head.encode() + body)

    return answer


def huge(size: int = 64 * 1024 * 1024, declared: bool = True) -> Any:
    """A plain JSON answer of ``size`` bytes, with or without its Content-Length."""

    def answer(out: Any, stopping: threading.Event, target: str) -> None:
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

    def answer(out: Any, stopping: threading.Event, target: str) -> None:
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


def endless_pages(total_pages: int | None = None, repeat: bool = False) -> Any:
    """A listing whose every page links to a next one: a new page number each time, or the
    same link again (``repeat``); ``total_pages`` is what its X-Total-Pages header says.
    The client must stop it; the test's own bound is the fake's stop."""

    def answer(out: Any, stopping: threading.Event, target: str) -> None:
        split = urlsplit(target)
        query = dict(parse_qsl(split.query))
        page = int(query.get("page", "1") or 1)
        query["page"] = str(page if repeat and page > 1 else page + 1)
        link = f"<http://{out_host(out)}{split.path}?{urlencode(query)}>; rel=\"next\""
        body = json.dumps([{"iid": page, "id": page, "title": f"page {page}", "labels": ["incident"],
                            "issue_type": "incident", "project_id": 1}]).encode()
        totals = f"X-Total-Pages: {total_pages}\r\nX-Total: {total_pages}\r\nX-Per-Page: 1\r\n" \
            if total_pages is not None else ""
        out.write((f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                   f"Link: {link}\r\n{totals}X-Page: {page}\r\nConnection: close\r\n\r\n").encode() + body)

    return answer


def out_host(out: Any) -> str:
    """host:port the client reached (the socket's own address)."""
    host, port = out._sock.getsockname()[:2]
    return f"{host}:{port}"


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Any:
    """One fixed answer, with whatever headers (a Retry-After of any text)."""

    def send(out: Any, stopping: threading.Event, target: str) -> None:
        head = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        out.write((f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                   f"{head}Connection: close\r\n\r\n").encode() + body)

    return send


def nested(depth: int = 100_000) -> bytes:
    """A JSON document nested ``depth`` deep (json.loads raises RecursionError on it)."""
    return b"[" * depth + b"]" * depth
