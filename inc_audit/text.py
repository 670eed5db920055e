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


_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` fit for a terminal or a job log: its lines and tabs kept, and nothing a terminal
    would act on rather than show. Every escape sequence (ANSI colours and cursor moves, OSC 8
    links, OSC 52 clipboard writes) starts with ESC or a C1 control character: those and
    every other C0 control become a space, so what followed is shown as inert text (and a
    whole document, XML or JSON, keeps its markup); a carriage return that would overwrite
    a line becomes a line break; bidirectional overrides that would reorder what is shown
    and lone surrogates go. Every place inc-audit prints goes through it."""
    text = _LINE_BREAK.sub("\n", repair(text))
    return _BIDI.sub("", _CONTROL.sub(" ", text))


_JSON_UNPRINTABLE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_printable(text: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) whose characters a terminal
    would act on are written as ``\\uXXXX`` escapes: the same data, safe to print. JSON
    escapes C0 controls itself; these can stand only inside strings."""
    return _JSON_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
