"""Text as GitLab hands it over, made safe to process and to write anywhere."""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def repair(text: str) -> str:
    """Replace lone surrogates (a half emoji GitLab can return in JSON) with U+FFFD.

    Such a string cannot be encoded as UTF-8, so every writer (terminal, file, HTTP)
    would fail on it.
    """
    return _LONE_SURROGATE.sub("\ufffd", text)


# Text an issue's writer wrote (a heading, an answer), quoted in a finding's message, is
# marked where it is quoted: ``inc_audit.findings`` keeps it apart from the message, so a
# report that may not show a confidential incident's text withholds it (formats/options.py).
QUOTE_OPEN, QUOTE_CLOSE = "\ue000", "\ue001"
_QUOTED = re.compile(f"{QUOTE_OPEN}(.*?){QUOTE_CLOSE}", re.DOTALL)


def quote(text: str) -> str:
    """``text``, taken from an issue, marked as quoted in a message."""
    return f"{QUOTE_OPEN}{text.replace(QUOTE_OPEN, '').replace(QUOTE_CLOSE, '')}{QUOTE_CLOSE}"


def split_quotes(message: str) -> tuple[str, tuple[str, ...]]:
    """The message without its marks, and each text it quotes (in order, each once)."""
    quoted = tuple(dict.fromkeys(part for part in _QUOTED.findall(message) if part))
    clean = _QUOTED.sub(lambda m: m.group(1), message).replace(QUOTE_OPEN, "").replace(QUOTE_CLOSE, "")
    return clean, quoted
