"""What one line says: a label and its answer, a heading's text without markup, a table's cells.

Inline HTML reads as the markdown it stands for (``<strong>Impact:</strong>`` as ``**Impact:**``).

The scanner (``inc_audit.reading.blocks``) and the cheap test before parsing (``inc_audit.reading.prefilter``)
read lines through these. Each is a pure function of its text, so the reading of a short one is
remembered: a template's lines recur in every incident (bounded, ``lru_cache``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from inc_audit.reading.html import inline_markdown

_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.{1,160}?)(?<=\S)\1(?![*_])(.*)$")
_PLAIN_LABEL = re.compile(
    r"([^\s:：|>#`*_\[\]<!(][^:：|`\n]{0,79}?)(?:[ \t]*：[ \t]*(?P<wide>.*)|[ \t]*::?(?:[ \t]+(?P<rest>.*))?)$"
)
_DASH = re.compile(r"[ \t]+[-–—][ \t]+")
_DASH_LABEL = re.compile(r"([^\s:：|>#`*_\[\]<!(\-–—][^:：|`\n]{0,79}?)[ \t]+[-–—][ \t]+(\S.*)$")
_SEPARATOR = re.compile(r"[ \t]*[:：][ \t]*|[ \t]+[-–—][ \t]+|(?<=\?)[ \t]+")
_INLINE_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*`]|(?<!\w)_+|_+(?!\w)")
_EMPHASIS_FIRST = ("*", "_")
_EMOJI_LEAD = re.compile(r"[^\x00-\x7f\w]{1,4}[ \t]*(?=\*\*|__)")
_ASIDE = re.compile(r"\([^()]{0,60}\)")  # "(i.e. screenshots, logs, etc)": an aside, no sentence's stop
_ABBREVIATED = re.compile(r"[^\W\d_]{2,6}\.(?:[ \t]*[^\W\d_]{2,6}\.)?")  # Det., Pot. imp.: a label abbreviated
_NUMBERED = re.compile(r"^(?:[IVXivx]{1,4}|[A-Za-z]|\d{1,3}(?:\.\d{1,3})*)[.)][ \t]+")  # II. / b) / 2.1. before a label
MAX_LABEL_WORDS = 12
MAX_HEAD_CHARS = 300  # a heading's text beyond this names nothing: it is cut, which bounds the work on it
MAX_MEMO_CHARS = 400  # texts up to this long have their inline text and label remembered (a bounded memo)


def split_label(text: str) -> tuple[str, str] | None:
    """``Root cause: expired cert`` as (``Root cause``, ``expired cert``); None without a separator."""
    match = _SEPARATOR.search(text)
    if match is None or match.start() == 0:
        return None
    label, rest = text[: match.start()].strip(), text[match.end() :].strip()
    if not rest or len(label.split()) > MAX_LABEL_WORDS:
        return None
    return label, rest


def inline_text(text: str) -> str:
    """Text without emphasis, code marks or link targets, cut at ``MAX_HEAD_CHARS``; remembered
    for short texts (a template's headings recur in every incident)."""
    return _inline_text_memo(text) if len(text) <= MAX_MEMO_CHARS else _inline_text(text)


def _inline_text(text: str) -> str:
    text = text[:MAX_HEAD_CHARS]
    if "<" in text:  # inline HTML: <b>Impact</b> reads as **Impact**
        text = inline_markdown(text)
    if "[" in text or "*" in text or "`" in text or "_" in text:  # each form of markup holds one of these
        text = _INLINE_MARKUP.sub(lambda m: m.group(1) or "", text)
    return " ".join(text.split())


def line_label(content: str) -> tuple[str, str, str] | None:
    """A label at the start of ``content``: (form, label, answer); form bold, emphasis, plain, or
    dash (``Root cause - expired cert``, a plain label with a dash for a colon). Remembered for
    short lines."""
    return _line_label_memo(content) if len(content) <= MAX_MEMO_CHARS else _line_label(content)


def _line_label(content: str) -> tuple[str, str, str] | None:
    if "<" in content:  # <b>Impact:</b> 40 min<br> reads as **Impact:** 40 min
        content = inline_markdown(content)
    if content[:1] > "\x7f" and (lead := _EMOJI_LEAD.match(content)) is not None:
        content = content[lead.end() :]  # "💡 **Root cause**": an emoji before a bold label
    match = _EMPHASIS.match(content) if content[:1] in _EMPHASIS_FIRST else None
    if match is not None:
        inner, rest = match.group(2).strip(), match.group(3).strip()
        if not rest or rest in (":", "："):
            return _checked("bold", inner.rstrip(":：").strip(), "")
        if rest[0] in ":：":
            return _checked("emphasis", inner, rest[1:].strip())
        if inner[-1] in ":：?" or _ABBREVIATED.fullmatch(inner):  # **Det.** Sentry alert at 13:02
            return _checked("emphasis", inner.rstrip(":："), rest)
        dash = _DASH.match(" " + rest)
        return _checked("emphasis", inner, rest[dash.end() - 1 :].strip()) if dash else None
    match = _PLAIN_LABEL.match(content) if ":" in content or "：" in content else None
    plain = (
        match is not None
        and ". " not in _ASIDE.sub("", _NUMBERED.sub("", match.group(1)))  # "II. Detection:" is a label, no sentence
        and "http" not in match.group(1).lower()
    )
    if match is not None and plain and not _DASH.search(match.group(1)):  # the first separator ends the label
        return _checked("plain", match.group(1).strip(), (match.group("wide") or match.group("rest") or "").strip())
    match = _DASH_LABEL.match(content) if "-" in content or "–" in content or "—" in content else None
    if match is not None and ". " not in match.group(1):
        return _checked("dash", match.group(1).strip(), match.group(2).strip())
    return None


_inline_text_memo = lru_cache(maxsize=4096)(_inline_text)
_line_label_memo = lru_cache(maxsize=4096)(_line_label)


def _checked(form: str, label: str, answer: str) -> tuple[str, str, str] | None:
    label = inline_text(label)
    if not label or len(label.split()) > MAX_LABEL_WORDS:
        return None
    return form, label, answer


def table_cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return [_cell_text(cell.strip()) for cell in cells]


_LINK = re.compile(r"!?\[[^\]]{0,200}\]\([^)\s]{1,500}\)")


def _cell_text(cell: str) -> str:
    """A cell's text as ``inline_text`` reads it, but for its links and images, kept whole: they are
    an answer's real content (``| Evidence | ![](/uploads/2b8f/restore.png) |``)."""
    if "](" not in cell:
        return inline_text(cell)
    pieces, last = [], 0
    for link in _LINK.finditer(cell):
        pieces += [inline_text(cell[last : link.start()]), link.group(0)]
        last = link.end()
    pieces.append(inline_text(cell[last:]))
    return " ".join(p for p in pieces if p)
