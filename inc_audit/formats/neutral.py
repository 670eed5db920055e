"""Text from issues, made inert before it is written where GitLab or a terminal reads it.

Issue titles, usernames and section names flow into the audit issue, its comments and
the Markdown, JUnit, HTML and text reports. Whoever writes an incident's title must not be
able to make those outputs do anything but show the text:

- no live reference: ``@mention`` (also as ``&#64;all`` or ``&commat;all``, which GitLab
  may render as one), ``#issue``, ``!merge-request``, ``~label``, ``%milestone``,
  ``$snippet``, ``&epic``, ``^alert#1``, ``*iteration:1``, ``[vulnerability:1]``, or a URL GitLab
  turns into a link: each notifies people or cross-links issues;
- no markup: links and images (``[x](javascript:...)``, a tracking pixel), HTML
  (``<details>``, ``<img>``), ``[[_TOC_]]``, emphasis, code, math, table cells (``|``);
- no second line (quick actions such as ``/close`` live on a line of their own; ``\\n``,
  ``\\r``, U+2028 and every other line break become a space) and no ``/`` at the start;
- no right-to-left override or other bidirectional control that reorders what is shown,
  no terminal control sequence, no lone surrogate, no character XML forbids;
- no unbounded length.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from inc_audit.text import printable, repair

TITLE_LIMIT = 255
"""GitLab's own limit for an issue title."""
TEXT_LIMIT = 1000

_XML_INVALID = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SIGIL = re.compile(r"([@#!~%$&])(?=\S)|(\^)(?=alert)|(\*)(?=iteration)", re.IGNORECASE)
_SCHEME = re.compile(r":(?=/)")
_WWW = re.compile(r"(?i)\b(www)\.")
_MARKDOWN = re.compile(r"([\\`*_\[\]|~$])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
ZWSP = "\u200b"


def plain(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` on one line, shown as it reads: no control character, bidirectional
    override or lone surrogate; at most ``limit`` characters. Fit for a terminal or XML."""
    text = " ".join(printable(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def neutral(text: str, limit: int = TEXT_LIMIT) -> str:
    """Text from an issue, made safe for one Markdown table cell or line (GitLab Flavored
    Markdown): ``plain``, then every reference broken by a zero-width space, every
    Markdown character escaped and every HTML character written as an entity."""
    text = plain(text, limit)
    text = _SIGIL.sub(lambda m: m.group(0) + ZWSP, text)
    text = _SCHEME.sub(":" + ZWSP, text)  # no URL: GitLab links them, and reads issue URLs as references
    text = _WWW.sub(lambda m: m.group(1) + ZWSP + ".", text)
    text = text.replace("[", "[" + ZWSP)  # [[_TOC_]], [vulnerability:1]
    text = _MARKDOWN.sub(r"\\\1", text)
    text = "".join(_ENTITIES.get(char, char) for char in text)
    return "\\" + text if text.startswith(("/", "#", "-", "+", "=")) else text


_REFERENCE = re.compile(r"^[\w.\-]+(?:/[\w.\-]+)*#\d+$")


def reference(key: str) -> str:
    """An issue's "group/project#iid", built by inc-audit from GitLab's identifiers: kept a
    live reference (it names an incident the audit issue is about); anything else ``neutral``."""
    return key if _REFERENCE.match(key) else neutral(key)


def xml_safe(text: str) -> str:
    """``text`` with its lone surrogates repaired and the characters XML 1.0 forbids dropped."""
    return _XML_INVALID.sub("", repair(text))


_SAFE_URL = re.compile(r"^https?://[^\s<>()\[\]\"'`\\]+$", re.IGNORECASE)


def safe_link(url: str, home: str = "") -> str:
    """``url`` when it is a plain http(s) address fit for a Markdown or HTML link target, on
    ``home``'s host (the configured GitLab, when there is one), else "": a ``web_url`` from
    the server or a file is never trusted as it is."""
    if not isinstance(url, str) or not _SAFE_URL.match(url):
        return ""
    if home and _host(url) != _host(home):
        return ""
    return url


def _host(url: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(url)
        return ((parts.hostname or "").lower(), parts.port)
    except ValueError:
        return None
