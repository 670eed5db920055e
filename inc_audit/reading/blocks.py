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

The scanner is three parts over what they share (``heads``): the blocks here, the containers
(``containers``: HTML blocks, tables, quotes, panels) and the lists and labels (``listing``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from inc_audit.reading import html, plaintext, wiki
from inc_audit.reading.containers import Containers
from inc_audit.reading.heads import (
    _ATX,
    _ATX_CLOSE,
    _BLOCK_STARTS,
    _DELIMITER_ROW,
    _FENCE,
    _FENCE_FIRST,
    _HR,
    _HR_FIRST,
    _HTML_OPEN,
    _HTML_TAG_LINE,
    _LIST,
    _QUOTE,
    _SETEXT,
    _SETEXT_FIRST,
    BOLD_FORMS,
    BOLD_LEVEL,
    FORM_TIERS,
    HEADING_FORMS,
    LABEL_LEVEL,
    WORK,
    Heading,
    Task,
    _first,
    _indent,
    _interrupts,
)
from inc_audit.reading.lines import (  # what one line says; re-exported for the modules that import them from here
    MAX_HEAD_CHARS,
    inline_text,
    line_label,
    split_label,
    table_cells,
)
from inc_audit.reading.listing import ListItems

__all__ = [
    "BOLD_FORMS", "BOLD_LEVEL", "FORM_TIERS", "HEADING_FORMS", "LABEL_LEVEL", "MAX_HEAD_CHARS", "WORK", "Heading",
    "Scanner", "Task", "hidden_heads", "inline_text", "line_label", "split_label", "table_cells",
]


class Scanner(Containers, ListItems):
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
        count, block, work = len(self.lines), self._block, WORK
        index = 0
        while index < count:
            work.steps += 1
            following = block(index)
            index = following if following > index else index + 1  # never stall
        self.index = index
        self._close_paragraph()
        self._read_html(self.html.close())
        for index, stop in self.stops.items():
            self.heads[index] = replace(self.heads[index], stop=stop)

    def _block(self, i: int) -> int:
        reader = self.html
        if reader.caption is not None or (reader.tables and reader.capturing):
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
            self._close_paragraph(interrupted=True)
            return self._fenced(i, fence.group(2))
        opens = _HTML_OPEN.match(line) if first == "<" else None
        if opens or (not self.paragraph and first == "<" and _HTML_TAG_LINE.match(line)):
            self._close_paragraph(interrupted=True)
            return self._html(i, opens.lastgroup if opens else "block")
        closed = first == "=" and bool(self.paragraph) and plaintext.closed_heading(line)
        adoc = plaintext.asciidoc_heading(line) if first == "=" and (not self.paragraph or closed) else None
        if adoc:
            self._close_paragraph()
            self._add_heading(i, adoc[1], adoc[0], "atx")
            return i + 1
        framed = plaintext.banner(line) if first in "-=~*_#+" else None
        if framed:
            self._close_paragraph()
            self._add_heading(i, framed, 2, "atx")
            return i + 1
        if first in _HR_FIRST and _HR.match(line):
            self._close_paragraph()
            return i + 1
        if first == ">" and _QUOTE.match(line):
            self._close_paragraph(interrupted=True)
            return self._quote(i)
        item = _LIST.match(line)
        if item and self._numbered_heading(i, item):
            return i + 2
        if item and indent < 4 and (not self.paragraph or _interrupts(item)):
            self._close_paragraph(interrupted=True)
            return self._list(i)
        if "|" in line and i + 1 < len(self.lines) and _DELIMITER_ROW.match(self.lines[i + 1]):
            self._close_paragraph(interrupted=True)
            return self._table(i)
        if first == "|" and (stripped.startswith("||") or self.wiki):
            self._close_paragraph()
            return self._wiki_table(i)
        self.paragraph.append(i)
        return i + 1

    def _close_paragraph(self, interrupted: bool = False) -> None:
        """The open paragraph's lines, read as labels; ``interrupted``: a block (a list, code, a
        quote, a table, HTML) follows it at once."""
        if not self.paragraph:
            return
        if self._numbered_line(self.paragraph[0], len(self.paragraph) > 1 or interrupted):
            self.paragraph = self.paragraph[1:]
        last = len(self.paragraph) - 1
        for k, i in enumerate(self.paragraph):
            WORK.steps += 1
            line = self.lines[i].strip()
            if line[:1] in plaintext.QUESTION_FIRST and self._question(i, line):
                continue
            if 0 < k < last and _after_a_sentence(self.lines[i - 1], line) and self._numbered_line(i, True):
                continue  # "Root cause" alone between two answers, the lines unseparated
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

    def _numbered_line(self, i: int, followed: bool) -> bool:
        """A paragraph's first line ``A. Impact`` or ``Step 2 — Impact``, its answer on the lines below,
        or a short line alone above them (``Impact``; ``followed``: text or a list follows it at once):
        a plain label, read only where it names a known section."""
        line = self.lines[i].strip()
        text = plaintext.numbered_line(line)
        if text is None and followed and (line[:1] not in _BLOCK_STARTS or line[:1].isdigit()):
            text = plaintext.title_line(line)
            if text is not None and self._right_under_a_head(i):
                return False  # "Nature:" then "Which parts were affected?": the head's own question, its text
        if text is None:
            return False
        self.heads.append(Heading(inline_text(text), LABEL_LEVEL, i + 1, True, "plain", "",
                                  self.source[i].strip(), i + 2))
        return True

    def _right_under_a_head(self, i: int) -> bool:
        """Whether line ``i`` follows a head with no answer of its own, with only blank lines between."""
        last = self.heads[-1] if self.heads else None
        if last is None or last.inline or last.line > i:
            return False
        return all(not self.lines[j].strip() for j in range(last.line, i))

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


def _after_a_sentence(previous: str, line: str) -> bool:
    """Whether a line inside a paragraph may head what follows it: the line before it ends a
    sentence, or the line is a question (a form written without blank lines)."""
    return previous.rstrip()[-1:] in ".!?)]`" or line.endswith("?")


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
