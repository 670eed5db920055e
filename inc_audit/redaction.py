"""Keeping secrets out of every line inc-audit prints or writes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from inc_audit.errors import InputError
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


def check_gitlab_url(url: str, origin: str) -> str:
    """``url`` stripped, if it is fit to be the base of every request: http(s), a host, no
    user-info, query or fragment (those would put secrets in request URLs and logs). Else
    InputError naming ``origin``; the message never repeats the secret part."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(f"{origin} is not a valid URL", "write it like https://gitlab.example.com") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{origin} is not an http(s) URL with a host", "write it like https://gitlab.example.com")
    shown = f"{parts.scheme}://{parts.hostname}{f':{port}' if port else ''}"
    if "@" in parts.netloc:
        raise InputError(
            f"{origin} ({shown}) carries a user name or password",
            "drop it from the URL: the token goes in GITLAB_TOKEN, never in the URL",
        )
    if "?" in text or "#" in text:
        raise InputError(
            f"{origin} ({shown}) carries a query string or fragment", "give the bare address of the GitLab instance"
        )
    if any(c.isspace() or not c.isprintable() for c in text):
        raise InputError(f"{origin} ({shown}) holds spaces or control characters", "give the bare address")
    return text
