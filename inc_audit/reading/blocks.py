"""The line scanner: one pass over a document's lines finds its heads and task boxes.

A head is a heading (ATX or setext), a bold line alone, or a label with its answer on
the same line (emphasised, bullet, plain ``Label: answer``, or a table row). The scanner
follows CommonMark's block structure closely enough for issue text: fenced and indented
code, HTML blocks (a comment runs to ``-->`` or to the end), block quotes, lists and
their lazy continuation lines, tables, setext underlines. Nothing inside code, HTML or a
block quote is a head. Each line is classified once; ``WORK`` counts the inner steps so
tests can bound the work without a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from inc_audit.reading.lines import (  # what one line says; re-exported for the modules that import them from here
    MAX_HEAD_CHARS,
    MAX_LABEL_WORDS,
    inline_text,
    line_label,
    split_label,
    table_cells,
)

__all__ = [
    "BOLD_FORMS", "BOLD_LEVEL", "HEADING_FORMS", "LABEL_LEVEL", "MAX_HEAD_CHARS", "WORK", "Heading", "Scanner", "Task",
    "hidden_heads", "inline_text", "line_label", "split_label", "table_cells",
]

_BLOCK_STARTS = frozenset("#`~<*-_>+=|0123456789")  # the first characters a block other than prose starts with
BOLD_LEVEL = 7  # a bold line alone ranks below every real heading
LABEL_LEVEL = 8  # a label ranks below a bold line; one more per list depth
MAX_DEPTH = 4  # list depth beyond which labels rank as the deepest

HEADING_FORMS = ("atx", "setext")
BOLD_FORMS = ("bold",)


class _Work:
    """Inner steps of the parser, counted so tests can bound its work without a clock."""

    steps = 0


WORK = _Work()

_TASK = re.compile(r"^\[( |x|X|~)\](?:[ \t]+|$)")

_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)(.*)$")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"( *)(`{3,}|~{3,})(.*)$")
_HR = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST = re.compile(r"( *)([-+*]|\d{1,9}[.)])(?:[ \t]+|$)(.*)$")
_QUOTE = re.compile(r" {0,3}>")
_DELIMITER_ROW = re.compile(
    r" {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$|[ \t]*\|[ \t]*:?-+:?[ \t]*\|[ \t]*$"
)
_HTML_OPEN = re.compile(
    r" {0,3}<(?:(?P<comment>!--)|(?P<pi>\?)|(?P<decl>![A-Za-z])|(?P<cdata>!\[CDATA\[)"
    r"|(?P<raw>(?:script|pre|style|textarea)(?=[ \t>]|$))"
    r"|(?P<block>/?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    r"details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|"
    r"hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|"
    r"section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?=[ \t>]|/>|$)))",
    re.IGNORECASE,
)
_SETEXT_FIRST = frozenset("=-")  # the first character (after spaces) each block pattern needs
_FENCE_FIRST = frozenset("`~")
_HR_FIRST = frozenset("*-_")
_HTML_TAG_LINE = re.compile(r" {0,3}</?[A-Za-z][A-Za-z0-9-]*(?:[ \t][^<>]*)?/?>[ \t]*$")
_HTML_END = {"comment": "-->", "pi": "?>", "decl": ">", "cdata": "]]>"}
_RAW_END = re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE)



@dataclass(frozen=True, slots=True)
class Heading:
    """A head: a heading, a bold line alone, or a label with its answer on the same line."""

    text: str  # a heading's text; a label's label
    level: int
    line: int  # 1-based line of the head in the document
    bold: bool = False  # anything but a real heading
    form: str = "atx"  # atx, setext, bold, emphasis, bullet, plain or table
    inline: str = ""  # a label's answer on its own line
    raw: str = ""  # the head's line as written
    body_line: int = 0  # the first line after the head

    @property
    def is_label(self) -> bool:
        return self.form not in HEADING_FORMS + BOLD_FORMS


@dataclass(frozen=True, slots=True)
class Task:
    text: str
    checked: bool | None  # None: marked not applicable with [~]
    depth: int


def _indent(line: str) -> int:
    lead = len(line) - len(line.lstrip(" \t"))
    return lead + 3 * line.count("\t", 0, lead)


def _first(line: str) -> str:
    """The line's first character after its leading spaces: the block patterns below each start
    with spaces then one of a few characters, so a line without it need not be matched."""
    return line.lstrip(" ")[:1]


class Scanner:
    """One pass over the lines: heads, task boxes, and where an HTML comment never closes."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self.heads: list[Heading] = []
        self.tasks: dict[int, Task] = {}
        self.unclosed: int | None = None
        self.paragraph: list[int] = []  # indexes of the open paragraph's lines
        self.index = 0

    def run(self) -> None:
        lines = self.lines
        while self.index < len(lines):
            WORK.steps += 1
            start = self.index
            self.index = self._block(self.index)
            if self.index <= start:  # never stall
                self.index = start + 1
        self._close_paragraph()

    def _block(self, i: int) -> int:
        line = self.lines[i]
        stripped = line.strip()
        if not stripped:
            if self.paragraph:
                self._close_paragraph()
            return i + 1
        if stripped[0] not in _BLOCK_STARTS and line[0] not in " \t" and "|" not in line:
            self.paragraph.append(i)  # prose: no block can start here, only a setext underline can follow
            return i + 1
        first, indent = _first(line), (_indent(line) if line[0] in " \t" else 0)
        if self.paragraph and first in _SETEXT_FIRST and _SETEXT.match(line) and indent < 4:
            return self._setext(i)
        if indent >= 4 and not self.paragraph:
            return self._indented_code(i)
        atx = _ATX.match(line) if first == "#" else None
        if atx:
            self._close_paragraph()
            self._heading(i, atx)
            return i + 1
        fence = _FENCE.match(line) if first in _FENCE_FIRST else None
        if fence and len(fence.group(1)) < 4 and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            self._close_paragraph()
            return self._fenced(i, fence.group(2))
        html = _HTML_OPEN.match(line) if first == "<" else None
        if html or (not self.paragraph and first == "<" and _HTML_TAG_LINE.match(line)):
            self._close_paragraph()
            return self._html(i, html.lastgroup if html else "block")
        if first in _HR_FIRST and _HR.match(line):
            self._close_paragraph()
            return i + 1
        if first == ">" and _QUOTE.match(line):
            self._close_paragraph()
            return self._quote(i)
        item = _LIST.match(line)
        if item and self._numbered_heading(i, item):
            return i + 2
        if item and indent < 4 and (not self.paragraph or _interrupts(item)):
            self._close_paragraph()
            return self._list(i)
        if "|" in line and i + 1 < len(self.lines) and _DELIMITER_ROW.match(self.lines[i + 1]):
            self._close_paragraph()
            return self._table(i)
        self.paragraph.append(i)
        return i + 1

    def _close_paragraph(self) -> None:
        for i in self.paragraph:
            WORK.steps += 1
            self._label(i, self.lines[i].strip(), 0, paragraph=True)
        self.paragraph = []

    def _setext(self, i: int) -> int:
        first = self.paragraph[0]
        text = inline_text(" ".join(self.lines[j].strip() for j in self.paragraph))
        level = 1 if self.lines[i].strip().startswith("=") else 2
        raw = self.lines[first].strip()
        self.heads.append(Heading(text, level, first + 1, False, "setext", "", raw, i + 2))
        self.paragraph = []
        return i + 1

    def _numbered_heading(self, i: int, item: re.Match[str]) -> bool:
        """``1. Root cause`` underlined with ``---``: a numbered heading, as its writer meant it."""
        following = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        if not item.group(2)[0].isdigit() or _indent(self.lines[i]) >= 4 or not _SETEXT.match(following):
            return False
        if len(following.strip()) < 3:
            return False
        self._close_paragraph()
        level = 1 if following.strip().startswith("=") else 2
        raw = self.lines[i].strip()
        self.heads.append(Heading(inline_text(item.group(3)), level, i + 1, False, "setext", "", raw, i + 3))
        return True

    def _heading(self, i: int, match: re.Match[str]) -> None:
        text = match.group(2).strip()
        text = inline_text(_ATX_CLOSE.sub("", text) if "#" in text else text)
        raw = self.lines[i].strip()
        self.heads.append(Heading(text, len(match.group(1)), i + 1, False, "atx", "", raw, i + 2))

    def _indented_code(self, i: int) -> int:
        lines = self.lines
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= 4):
            WORK.steps += 1
            i += 1
        return i

    def _fenced(self, i: int, fence: str) -> int:
        closing = re.compile(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        i += 1
        while i < len(self.lines):
            WORK.steps += 1
            if closing.match(self.lines[i]):
                return i + 1
            i += 1
        return i

    def _html(self, i: int, kind: str | None) -> int:
        lines = self.lines
        if kind in ("block", None):
            while i < len(lines) and lines[i].strip():
                WORK.steps += 1
                i += 1
            return i
        start = i
        end = _HTML_END.get(kind)
        first = lines[i].split("<!--", 1)[1] if kind == "comment" else lines[i]
        while i < len(lines):
            WORK.steps += 1
            text = first if i == start else lines[i]
            if (end in text) if end else _RAW_END.search(text):
                return i + 1
            i += 1
        if kind == "comment":
            self.unclosed = start + 1
        return i

    def _quote(self, i: int) -> int:
        lines = self.lines
        i += 1
        while i < len(lines) and lines[i].strip():
            WORK.steps += 1
            line = lines[i]
            if not _QUOTE.match(line) and _starts_block(line):
                break
            i += 1
        return i

    def _table(self, i: int) -> int:
        lines = self.lines
        header = table_cells(lines[i])
        rows: list[tuple[int, list[str]]] = []
        end = i + 2
        while end < len(lines) and lines[end].strip() and "|" in lines[end]:
            WORK.steps += 1
            rows.append((end, table_cells(lines[end])))
            end += 1
        if len(header) >= 2:
            self._table_heads(i, header, rows)
        return end

    def _table_heads(self, i: int, header: list[str], rows: list[tuple[int, list[str]]]) -> None:
        """Two columns read as label and answer, header row included; wider tables by column too."""
        if len(header) > 2:
            raw = self.lines[i].strip()
            for column, cell in enumerate(header):
                values = " ".join(cells[column] for _, cells in rows if column < len(cells) and cells[column])
                self._table_head(i, cell, values, raw)
        else:
            rows = [(i, header), *rows]
        for number, cells in rows:
            WORK.steps += 1
            label = next((c for c in cells if c), "")
            rest = " ".join(c for c in cells[cells.index(label) + 1 :] if c) if label else ""
            self._table_head(number, label, rest, self.lines[number].strip())

    def _table_head(self, i: int, label: str, answer: str, raw: str) -> None:
        label = label.rstrip(":：").strip()
        if label and len(label.split()) <= MAX_LABEL_WORDS:
            self.heads.append(Heading(label, LABEL_LEVEL, i + 1, True, "table", answer, raw, i + 2))

    def _list(self, i: int) -> int:
        """A list, up to the line that ends it: its items' tasks and bullet labels."""
        lines = self.lines
        stack: list[int] = []  # content columns of the open items
        blank = False
        fence: str | None = None
        comment = False
        while i < len(lines):
            WORK.steps += 1
            line = lines[i]
            stripped = line.strip()
            if fence is not None or comment:
                fence, comment = self._inside(line, fence, comment)
                i += 1
                continue
            if not stripped:
                blank = True
                i += 1
                continue
            item = _LIST.match(line)
            indent = _indent(line) if line[0] in " \t" else 0
            content = stack[0] if stack else 2
            if item and not _HR.match(line) and (indent < content + 4 or not stack):
                self._item(i, item, stack)
                blank = False
                fence, comment = self._opens(item.group(3), fence, comment)
            elif indent >= min(content, 4) or (not blank and not _starts_block(line)):
                fence, comment = self._opens(stripped, fence, comment)
                if fence is None and not comment:
                    self._label(i, stripped, len(stack), paragraph=False)
                blank = False
            else:
                return i
            i += 1
        return i

    def _item(self, i: int, item: re.Match[str], stack: list[int]) -> None:
        column = len(item.group(1))
        while stack and column < stack[-1]:
            stack.pop()
        depth = len(stack)
        content_text = item.group(3)
        stack.append(column + len(item.group(2)) + 1 + (len(content_text) - len(content_text.lstrip())))
        task = _TASK.match(content_text.strip()) if "[" in content_text else None
        if task:
            mark = task.group(1)
            checked = None if mark == "~" else mark.lower() == "x"
            self.tasks[i + 1] = Task(inline_text(content_text.strip()[task.end() :]), checked, depth)
        elif content_text.strip():
            self._label(i, content_text.strip(), depth, paragraph=False, bullet=True)

    @staticmethod
    def _opens(text: str, fence: str | None, comment: bool) -> tuple[str | None, bool]:
        stripped = text.strip()
        match = _FENCE.match(stripped) if stripped[:1] in _FENCE_FIRST else None
        if match:
            return match.group(2), comment
        if stripped.startswith("<!--") and "-->" not in stripped[4:]:
            return fence, True
        return fence, comment

    @staticmethod
    def _inside(line: str, fence: str | None, comment: bool) -> tuple[str | None, bool]:
        stripped = line.strip()
        if comment:
            return fence, "-->" not in stripped
        assert fence is not None
        closed = stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0])
        return (None if closed else fence), comment

    def _label(self, i: int, content: str, depth: int, paragraph: bool, bullet: bool = False) -> None:
        found = line_label(content)
        if found is None:
            return
        form, label, answer = found
        raw = self.lines[i].strip()
        level = LABEL_LEVEL + min(depth, MAX_DEPTH)
        if form == "bold" and paragraph:
            self.heads.append(Heading(label, BOLD_LEVEL, i + 1, True, "bold", "", raw, i + 2))
            return
        if form == "dash":
            form = "plain"  # "Root cause - expired cert": a head only where the label is known
        elif bullet:
            form = "bullet"
        elif form == "bold":
            form = "emphasis"
        self.heads.append(Heading(label, level, i + 1, True, form, answer, raw, i + 2))


def _interrupts(item: re.Match[str]) -> bool:
    """A list item may interrupt a paragraph when it has content and, if ordered, starts at 1."""
    marker, content = item.group(2), item.group(3)
    return bool(content.strip()) and (not marker[0].isdigit() or marker[:-1] == "1")


def _starts_block(line: str) -> bool:
    first = _first(line)
    return bool(
        (first == "#" and _ATX.match(line))
        or (first in _FENCE_FIRST and _FENCE.match(line) and _indent(line) < 4)
        or (first in _HR_FIRST and _HR.match(line))
        or (first == "<" and _HTML_OPEN.match(line))
        or (first == ">" and _QUOTE.match(line))
    )


def hidden_heads(lines: tuple[str, ...], start: int) -> Iterator[Heading]:
    """Heads the way they would read if the comment opened on line ``start`` were closed."""
    for i in range(start, len(lines)):
        WORK.steps += 1
        line = lines[i].strip()
        atx = _ATX.match(line)
        if atx:
            yield Heading(inline_text(_ATX_CLOSE.sub("", atx.group(2).strip())), 1, i + 1, raw=line)
            continue
        item = _LIST.match(line)
        found = line_label(item.group(3) if item else line)
        if found is not None:
            yield Heading(found[1], LABEL_LEVEL, i + 1, True, found[0], found[2], line)
