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
