"""The cheap test before parsing: what any line of a text could be read as, heading or label.

It yields a superset of the heads the parser finds (their text, and the label of a
``Label: answer`` split), so a schema that finds no two of its sections among them can
rule a comment out without parsing it. A text holding HTML tags is parsed (HTML's structure
spans lines); a wiki heading or panel is read by its title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from inc_audit.reading import wiki
from inc_audit.reading.markdown import MAX_HEAD_CHARS, line_label, parse, split_label, table_cells

if TYPE_CHECKING:
    from inc_audit.reading.schemas import DocumentSchema

_HEADING_LIKE = re.compile(r"^(?:#{1,6}(?:\s|$)|\*\*|__)")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)\s*$")
_LIST_MARK = re.compile(r"^\s*(?:>\s*)*(?:[-*+]|\d{1,9}[.)])\s+")
# The first character (after spaces) each pattern needs: a line without it is not tried.
# A list marker starts with one of these or a digit (``str.isdigit`` holds for every ``\d``).
_SETEXT_FIRST = ("=", "-")
_HEADING_FIRST = ("#", "*", "_")
_MARK_FIRST = (">", "-", "*", "+")
_MARKUP_FIRST = ("h", "H", "*", "#", "{")  # a wiki heading (h2.), list item (** or #) or panel ({panel:...})
_TAG = re.compile(r"<[A-Za-z/]")  # an HTML tag (not a comment): the text is parsed to find its heads


def could_match(schema: DocumentSchema, text: str) -> bool:
    """Whether a text could read as the schema's kind: a title naming it, or candidates naming
    the kind or two of its sections (listed, or by their concepts)."""
    if schema.titled(text):  # a title the heads do not show: "[Post-mortem](https://...)"
        return True
    parts: set[str] = set()
    for candidate in candidates(text):
        names_kind, part = schema.candidate(candidate)
        if names_kind:
            return True
        if part is not None:
            parts.add(part.name)
        if len(parts) >= 2:
            return True
    return False


def candidates(text: str) -> Iterator[str]:
    """What any line could be read as, heading or label: a superset of what the parser reads."""
    lines = text.splitlines()
    paragraph: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            paragraph = []
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if following.lstrip(" ")[:1] in _SETEXT_FIRST and _SETEXT.match(following):
            yield " ".join([*paragraph, stripped])[:MAX_HEAD_CHARS]
        paragraph = [*paragraph[-3:], stripped[:MAX_HEAD_CHARS]]
        stripped = stripped[:MAX_HEAD_CHARS]
        first = stripped[0]
        if first in _HEADING_FIRST and _HEADING_LIKE.match(stripped):
            yield stripped
        content = _LIST_MARK.sub("", stripped) if first in _MARK_FIRST or first.isdigit() else stripped
        content = content.lstrip("> ")
        yield from _line_candidates(content)
        if "|" in stripped:
            yield from table_cells(stripped)
        if first in _MARKUP_FIRST:
            yield from markup_candidates(stripped)
    if "<" in text and _TAG.search(text):
        yield from parsed_candidates(text)


def markup_candidates(line: str) -> Iterator[str]:
    """What a line of wiki markup could be read as: a heading's text, a panel's title, or a nested
    list item's text."""
    titled = wiki.heading(line)
    if titled is not None:
        yield from _line_candidates(titled.text)
    elif line[:1] == "{":
        container = wiki.container(line)
        if container is not None and container.title:
            yield from _line_candidates(container.title)
    elif line[:1] in ("*", "#"):
        yield from _line_candidates(line.lstrip("*# \t"))


def parsed_candidates(text: str) -> Iterator[str]:
    """The heads the parser reads, for a text holding HTML tags: HTML's structure (a heading or
    a cell over several lines, a table open from one block to the next) is not read line by line."""
    for head in parse(text).heads:
        yield head.text
        split = split_label(head.text)
        if split is not None:
            yield split[0]


def _line_candidates(content: str) -> Iterator[str]:
    heading = content.lstrip("#").strip()
    yield heading
    split = split_label(heading)
    if split is not None:
        yield split[0]
    label = line_label(content)
    if label is not None:
        yield label[1]
        split = split_label(label[1])
        if split is not None:
            yield split[0]
