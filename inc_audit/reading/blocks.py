"""The line scanner: one pass over a document's lines finds its heads and task boxes.

A head is a heading (ATX, setext, HTML ``<h2>`` or wiki ``h2.``), a bold line alone, a
collapsible block's title (``<summary>``, ``{panel:title=...}``), or a label with its answer
on the same line (emphasised, bullet, plain ``Label: answer``, a list item used as a heading,
or a table's question). The scanner follows CommonMark's block structure closely enough for
issue text: fenced and indented code, HTML blocks (a comment runs to ``-->`` or to the end),
block quotes, lists and their lazy continuation lines, tables, setext underlines. HTML
blocks go to ``html.HtmlReader``, which keeps its state from block to block; wiki tables,
headings and panels are read here, and ``wiki.view`` has already turned wiki code blocks,
quotes and lists into markdown. Nothing inside code or a quote is a head. Each line is
classified once; ``WORK`` counts the inner steps so tests can bound the work without a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from inc_audit.reading import html, plaintext, tables, wiki
from inc_audit.reading.lines import (  # what one line says; re-exported for the modules that import them from here
    MAX_HEAD_CHARS,
    MAX_LABEL_WORDS,
    inline_text,
    line_label,
    split_label,
    table_cells,
)

__all__ = [
    "BOLD_FORMS", "BOLD_LEVEL", "FORM_TIERS", "HEADING_FORMS", "LABEL_LEVEL", "MAX_HEAD_CHARS", "WORK", "Heading",
    "Scanner", "Task", "hidden_heads", "inline_text", "line_label", "split_label", "table_cells",
]

_BLOCK_STARTS = frozenset("#`~<*-_>+=|0123456789^\"':.")  # the first characters a block other than prose starts with
BOLD_LEVEL = 7  # a bold line alone ranks below every real heading
LABEL_LEVEL = 8  # a label ranks below a bold line; one more per list depth
MAX_DEPTH = 4  # list depth beyond which labels rank as the deepest

_HOLDS_DETAILS = ("bold", "emphasis", "bullet", "plain")  # heads a details block right under them answers
HEADING_FORMS = ("atx", "setext", "html", "wiki")  # headings: markdown's, HTML's <h2>, wiki markup's h2.
BOLD_FORMS = ("bold", "summary")  # a bold line alone; a <details> block's <summary>
# How much a head's form says it names a section, strongest first: a heading, then a bold line,
# a summary or a label, then a plain "Label: answer" line.
FORM_TIERS = {form: 0 for form in HEADING_FORMS} | {
    "bold": 1, "summary": 1, "emphasis": 1, "bullet": 1, "table": 1, "plain": 2,
}


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
    """A head: a heading, a bold line alone, a details block's summary, or a label with its answer
    on the same line (a table row's first cell is one)."""

    text: str  # a heading's text; a label's label
    level: int
    line: int  # 1-based line of the head in the document
    bold: bool = False  # anything but a real heading
    form: str = "atx"  # atx, setext, bold, emphasis, bullet, plain or table
    inline: str = ""  # a label's answer on its own line
    raw: str = ""  # the head's line as written
    body_line: int = 0  # the first line after the head
    stop: int = 0  # the line its section ends before at the latest (a details block's end); 0: none

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
    """One pass over the lines: heads, task boxes, and where an HTML comment never closes.

    ``lines`` are read as markdown (``wiki.view`` has turned wiki code blocks, quotes and lists
    into it); ``source`` are the lines as written, which heads quote. ``wiki``: the document is
    written in wiki markup, so a run of ``|`` rows is a table without a delimiter row.
    """

    def __init__(self, lines: tuple[str, ...], source: tuple[str, ...] | None = None, wiki: bool = False) -> None:
        self.lines = lines
        self.source = source if source is not None else lines
        self.wiki = wiki
        self.heads: list[Heading] = []
        self.tasks: dict[int, Task] = {}
        self.unclosed: int | None = None
        self.paragraph: list[int] = []  # indexes of the open paragraph's lines
        self.index = 0
        self.html = html.HtmlReader()
        self.details: list[int | None] = []  # the open details blocks: each one's summary head, if any
        self.stops: dict[int, int] = {}  # head index -> the line its section ends before
        self.containers: list[tuple[str, int | None]] = []  # open wiki panels: name, title head index

    def run(self) -> None:
        lines = self.lines
        while self.index < len(lines):
            WORK.steps += 1
            start = self.index
            self.index = self._block(self.index)
            if self.index <= start:  # never stall
                self.index = start + 1
        self._close_paragraph()
        self._read_html(self.html.close())
        for index, stop in self.stops.items():
            self.heads[index] = replace(self.heads[index], stop=stop)

    def _block(self, i: int) -> int:
        if self.html.capturing:
            return self._html_capture(i)
        line = self.lines[i]
        stripped = line.strip()
        if not stripped:
            if self.paragraph:
                self._close_paragraph()
            return i + 1
        container = wiki.container(stripped) if stripped[0] == "{" else None
        if container is not None:
            self._container(i, container)
            return i + 1
        titled = wiki.heading(line) if stripped[0] in "hH" else None
        if titled is not None:
            self._close_paragraph()
            self._add_heading(i, titled.text, titled.level, "wiki")
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
        if len(self.paragraph) == 1 and indent < 4 and plaintext.underlines(line, self.lines[i - 1]):
            return self._setext(i)
        fence = _FENCE.match(line) if first in _FENCE_FIRST else None
        if fence and len(fence.group(1)) < 4 and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            self._close_paragraph()
            return self._fenced(i, fence.group(2))
        opens = _HTML_OPEN.match(line) if first == "<" else None
        if opens or (not self.paragraph and first == "<" and _HTML_TAG_LINE.match(line)):
            self._close_paragraph()
            return self._html(i, opens.lastgroup if opens else "block")
        adoc = plaintext.asciidoc_heading(line) if first == "=" and not self.paragraph else None
        if adoc:
            self._add_heading(i, adoc[1], adoc[0], "atx")
            return i + 1
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
        if first == "|" and (stripped.startswith("||") or self.wiki):
            self._close_paragraph()
            return self._wiki_table(i)
        self.paragraph.append(i)
        return i + 1

    def _close_paragraph(self) -> None:
        if self.paragraph and self._numbered_line(self.paragraph[0]):
            self.paragraph = self.paragraph[1:]
        for i in self.paragraph:
            WORK.steps += 1
            line = self.lines[i].strip()
            if line[:1] in plaintext.QUESTION_FIRST and self._question(i, line):
                continue
            pieces = html.broken(line)  # <b>Impact:</b> 40 min<br><b>Cause:</b> ...
            if pieces is not None:
                for piece in pieces:
                    self._text(i, piece)
            else:
                self._label(i, line, 0, paragraph=True)
        self.paragraph = []

    def _text(self, i: int, text: str) -> None:
        """A piece of a line: a label, or more of the answer of the head just read on the same line."""
        if not text or self._label(i, text, 0, paragraph=True):
            return
        last = self.heads[-1] if self.heads else None
        if last is not None and last.line == i + 1 and last.form != "table":
            inline = f"{last.inline} {text}" if last.inline else text
            self.heads[-1] = replace(last, inline=inline)

    def _question(self, i: int, line: str) -> bool:
        """``Q: How did we find out?`` with ``A: ...`` on the next line: the question heads a section
        (ranked as a bold line), the answer below is its text."""
        question = plaintext.question(line, self.lines[i + 1] if i + 1 < len(self.lines) else "")
        if question is None:
            return False
        self.heads.append(Heading(inline_text(question), BOLD_LEVEL, i + 1, False, "bold", "", line, i + 2))
        return True

    def _numbered_line(self, i: int) -> bool:
        """A paragraph's first line ``A. Impact`` or ``Step 2 — Impact``, its answer on the lines below:
        a plain label, read only where it names a known section."""
        text = plaintext.numbered_line(self.lines[i].strip())
        if text is None:
            return False
        self.heads.append(Heading(inline_text(text), LABEL_LEVEL, i + 1, True, "plain", "",
                                  self.source[i].strip(), i + 2))
        return True

    def _setext(self, i: int) -> int:
        first = self.paragraph[0]
        text = inline_text(" ".join(self.lines[j].strip() for j in self.paragraph))
        level = 1 if self.lines[i].strip().startswith("=") else 2
        raw = self.source[first].strip()
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
        raw = self.source[i].strip()
        self.heads.append(Heading(inline_text(item.group(3)), level, i + 1, False, "setext", "", raw, i + 3))
        return True

    def _heading(self, i: int, match: re.Match[str]) -> None:
        text = match.group(2).strip()
        self._add_heading(i, _ATX_CLOSE.sub("", text) if "#" in text else text, len(match.group(1)), "atx")

    def _add_heading(self, i: int, text: str, level: int, form: str, inline: str = "", end: int | None = None) -> None:
        """A heading on line ``i`` (its text may run to line ``end``), its section from the next line."""
        after = (i if end is None else end) + 2
        raw = self.source[i].strip()
        self.heads.append(Heading(inline_text(text), level, i + 1, False, form, inline, raw, after))

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
                self._read_html(self.html.feed(i, lines[i]))
                i += 1
            return i
        start = i
        end = _HTML_END.get(kind)
        first = lines[i].split("<!--", 1)[1] if kind == "comment" else lines[i]
        while i < len(lines):
            WORK.steps += 1
            text = first if i == start else lines[i]
            if end and end in text:
                return i + 1
            closed = _RAW_END.search(text) if not end else None
            if closed:  # </pre></details>: the tags after the raw block's end still count
                self._read_html(self.html.feed(i, text[closed.end() :]))
                return i + 1
            i += 1
        if kind == "comment":
            self.unclosed = start + 1
        return i

    def _html_capture(self, i: int) -> int:
        """Lines inside an HTML heading, summary or table cell belong to it, blank or markdown, up to
        the tag that closes it; a markdown or wiki heading closes it first (a tag left open)."""
        lines = self.lines
        while i < len(lines) and self.html.capturing:
            WORK.steps += 1
            line = lines[i]
            first = _first(line)
            if (first == "#" and _ATX.match(line)) or (first in "hH" and wiki.heading(line) is not None):
                self._read_html(self.html.close())
                return i
            self._read_html(self.html.feed(i, line))
            i += 1
        return i

    def _read_html(self, events: list[html.Event]) -> None:
        for event in events:
            WORK.steps += 1
            if isinstance(event, html.Head) and event.level:
                self._add_heading(event.line, event.text, event.level, "html", event.inline, event.end)
            elif isinstance(event, html.Head):
                self._summary(event)
            elif isinstance(event, html.Text) and event.item:
                self._list_text(event.line, event.text, event.depth)
            elif isinstance(event, html.Text):
                self._text(event.line, event.text)
            elif isinstance(event, html.Table):
                self._table_fields(list(event.rows), tables.header_row(event.rows[0]))
            elif isinstance(event, html.Details) and event.opens:
                self.details.append(None)
            elif isinstance(event, html.Details) and self.details:
                summary = self.details.pop()
                if summary is not None:
                    self.stops[summary] = event.line + 1

    def _summary(self, event: html.Head) -> None:
        """A details block's summary names what the block holds, up to ``</details>``."""
        index = self._titled(event.line, event.text, event.inline, event.end)
        if index is not None and self.details and self.details[-1] is None:
            self.details[-1] = index

    def _titled(self, i: int, title: str, inline: str = "", end: int | None = None) -> int | None:
        """A block's title (a details block's summary, a wiki panel's title) as a head; its index.
        Right under a bold line or label that holds nothing yet, the block is that head's answer:
        its title nests under it."""
        text = inline_text(title)
        if not text:
            return None
        level = BOLD_LEVEL
        last = self.heads[-1] if self.heads else None
        if last is not None and last.level >= BOLD_LEVEL and last.form in _HOLDS_DETAILS and not last.inline:
            if not any(_has_text(self.lines[j]) for j in range(last.line, i)):
                level = min(last.level + 1, LABEL_LEVEL + MAX_DEPTH + 1)
        raw = self.source[i].strip()
        after = (i if end is None else end) + 2
        self.heads.append(Heading(text, level, i + 1, True, "summary", inline, raw, after))
        return len(self.heads) - 1

    def _container(self, i: int, found: wiki.Container) -> None:
        """A wiki panel or expand block opens or closes; a titled one is a section up to its end."""
        self._close_paragraph()
        if self.containers and self.containers[-1][0] == found.name and not found.title:
            _, index = self.containers.pop()
            if index is not None:
                self.stops[index] = i + 1
            return
        index = self._titled(i, found.title) if found.title else None
        self.containers.append((found.name, index))

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
        rows = [tables.Row(i, tuple(header))]
        end = i + 2
        while end < len(lines) and lines[end].strip() and "|" in lines[end]:
            WORK.steps += 1
            rows.append(tables.Row(end, tuple(table_cells(lines[end]))))
            end += 1
        if len(header) >= 2:
            self._table_fields(rows, True)
        return end

    def _wiki_table(self, i: int) -> int:
        """A wiki table: rows of ``|`` cells, ``||`` for header cells; a row not closed by ``|`` goes
        on over the lines that follow it, up to one that is."""
        lines = self.lines
        rows: list[tables.Row] = []
        end = i
        while end < len(lines) and lines[end].lstrip(" \t").startswith("|"):
            WORK.steps += 1
            start, parts = end, [lines[end].strip()]
            end += 1
            while not parts[-1].endswith("|") and end < len(lines) and lines[end].strip():
                if lines[end].lstrip(" \t").startswith("|"):
                    break
                WORK.steps += 1
                parts.append(lines[end].strip())
                end += 1
            cells = wiki.row_cells(" ".join(parts))
            rows.append(tables.Row(start, tuple(inline_text(c) for c, _ in cells), tuple(h for _, h in cells)))
        if rows:
            self._table_fields(rows, tables.header_row(rows[0]))
        return end

    def _table_fields(self, rows: list[tables.Row], header_row: bool) -> None:
        for field in tables.fields(rows, header_row):
            WORK.steps += 1
            self._table_head(field.line, field.label, field.answer, self.source[field.line].strip())

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
        content = content_text.strip()
        if content and not self._list_text(i, content, depth) and _titles(content):
            if self._has_body(i, stack[-1], item.group(2)[0].isdigit()):
                self._title_item(i, content, depth)

    def _list_text(self, i: int, content: str, depth: int) -> bool:
        """A list item's text: a task box, or a label; whether it was either."""
        task = _TASK.match(content) if "[" in content else None
        if task:
            mark = task.group(1)
            checked = None if mark == "~" else mark.lower() == "x"
            self.tasks[i + 1] = Task(inline_text(content[task.end() :]), checked, depth)
            return True
        return self._label(i, content, depth, paragraph=False, bullet=True)

    def _has_body(self, i: int, column: int, numbered: bool) -> bool:
        """Whether text follows the item on line ``i`` as its body: on the next line (prose, code, a
        quote, a table), or after blank lines indented under it (at ``column``), or for a numbered
        item any block after it. Another item, a heading or a rule is no body."""
        lines = self.lines
        j = i + 1
        if j < len(lines) and lines[j].strip():
            return not _no_body(lines[j])
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j >= len(lines):
            return False
        if _indent(lines[j]) >= column:
            return not _SETEXT.match(lines[j])
        return numbered and not _no_body(lines[j])

    def _title_item(self, i: int, content: str, depth: int) -> None:
        """A list item used as a heading, its text under it: ``- Root cause`` then an indented paragraph."""
        level = LABEL_LEVEL + min(depth, MAX_DEPTH)
        text = inline_text(content)
        if text:
            self.heads.append(Heading(text, level, i + 1, True, "bullet", "", self.source[i].strip(), i + 2))

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

    def _label(self, i: int, content: str, depth: int, paragraph: bool, bullet: bool = False) -> bool:
        """A label on line ``i``, if ``content`` holds one; whether it did."""
        found = line_label(content)
        if found is None:
            return False
        form, label, answer = found
        raw = self.source[i].strip()
        level = LABEL_LEVEL + min(depth, MAX_DEPTH)
        if form == "bold" and paragraph:
            self.heads.append(Heading(label, BOLD_LEVEL, i + 1, True, "bold", "", raw, i + 2))
            return True
        if form == "dash":
            form = "plain"  # "Root cause - expired cert": a head only where the label is known
        elif bullet:
            form = "bullet"
        elif form == "bold":
            form = "emphasis"
        self.heads.append(Heading(label, level, i + 1, True, form, answer, raw, i + 2))
        return True


def _titles(content: str) -> bool:
    """Whether a list item's text reads as a title: a few words, not a sentence or a list entry."""
    return content[-1] not in ".;,!" and len(content.split()) <= MAX_LABEL_WORDS and "http" not in content


def _no_body(line: str) -> bool:
    """A line that cannot begin a list item's body: another item, a heading, a rule, an underline."""
    first = _first(line)
    return bool(
        _LIST.match(line)
        or (first == "#" and _ATX.match(line))
        or (first in "hH" and wiki.heading(line) is not None)
        or (first in _HR_FIRST and _HR.match(line))
        or (first in _SETEXT_FIRST and _SETEXT.match(line))
    )


def _has_text(line: str) -> bool:
    """Whether a line shows any text, once its HTML tags are gone."""
    return bool(line.strip()) and bool(html.inline_markdown(line).strip("* _`~\t"))


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
        or (first in "hH" and wiki.heading(line) is not None)
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
