"""Keeping secrets out of every line inc-audit prints or writes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from inc_audit.text import repair

SECRET_VARIABLES = ("GITLAB_TOKEN", "CI_JOB_TOKEN", "PRIVATE_TOKEN")

_REMEMBERED: set[str] = set()
_QUERY_SECRET = re.compile(r"(?i)\b(private_token|access_token|job_token|token|password|secret)=[^&\s#'\"]+")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]+@")


def remember_secret(secret: str) -> None:
    """Mask ``secret`` too from now on: a token read from a file or another variable."""
    _REMEMBERED.add(secret)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every secret (those given, and those in the environment), credential
    query parameter and URL user-info masked, and its lone surrogates repaired: every line
    inc-audit prints or writes goes through here, and must encode."""
    text = repair(text)
    known = [*secrets, *_REMEMBERED, *(os.environ.get(name) for name in SECRET_VARIABLES)]
    for secret in sorted({s for s in known if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}[redacted]@", text)


def safe_url(url: str) -> str:
    """The URL without user-info, query or fragment: fit for a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
