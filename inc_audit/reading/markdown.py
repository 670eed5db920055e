"""Split a document into sections, labels and task lists, in one pass over its lines.

Documents are written in markdown, in HTML, or in Jira/Confluence wiki markup (pasted from
another tool), often mixed; each markup's structure is read. A section starts at a *head*
and runs until the next head of the same or a higher level:

- a heading, levels 1 to 6: ATX or setext, ``<h1>``..``<h6>``, or wiki ``h1.``..``h6.``;
- a bold line alone (``**Root cause:**``, ``<p><strong>Root cause:</strong></p>``), level 7;
- the title of a collapsible block (a ``<details>`` block's ``<summary>``, a wiki
  ``{panel:title=...}`` or ``{expand:...}``), level 7: its section ends with the block;
- a label with its answer on the same line, level 8 and deeper in nested lists: an
  emphasised label (``**Root cause:** expired cert``, Slack's and Jira's ``*Impact:* 40
  min``, ``<b>Impact:</b> 40 min``), a bullet label (``- Impact: 40 minutes``), a list item
  used as a heading with its text below it (``1) What happened`` then a paragraph), a plain
  ``Label: answer`` line, or a question of a table used as a form (``inc_audit.reading.tables``:
  a row whose first cell names the section, in markdown, wiki or HTML).

Plain ``Label: answer`` lines are everywhere in prose ("Note: ..."), so they only become
heads where the schema knows the label (``Document.sections_for``). Headings, labels and
task boxes inside code blocks (fenced, indented, ``<pre>``, ``{code}``, ``{noformat}``),
HTML comments and quotes (``>``, ``<blockquote>``, ``{quote}``, ``bq.``: someone else's
words) are none. The scanner follows CommonMark's block structure closely enough for issue
text: fenced and indented code, HTML blocks (read by ``inc_audit.reading.html``; a comment
runs to ``-->`` or to the end), block quotes, lists and their lazy continuation lines,
tables, setext underlines; ``inc_audit.reading.wiki`` turns wiki markup's blocks into them.

Parsing is linear in the text: inc_audit.reading.blocks classifies each line once, and sections
are closed with a stack. ``WORK`` counts the inner steps so tests can hold that bound
without a clock. Whatever the text holds, parsing never fails: markdown is never bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from inc_audit.reading import outline, wiki
from inc_audit.reading.blocks import (
    BOLD_FORMS,
    BOLD_LEVEL,
    FORM_TIERS,
    HEADING_FORMS,
    LABEL_LEVEL,
    MAX_HEAD_CHARS,
    WORK,
    Heading,
    Scanner,
    Task,
    hidden_heads,
    inline_text,
    line_label,
    split_label,
    table_cells,
)

__all__ = [
    "BOLD_FORMS",
    "BOLD_LEVEL",
    "FORM_TIERS",
    "HEADING_FORMS",
    "LABEL_LEVEL",
    "MAX_HEAD_CHARS",
    "WORK",
    "Document",
    "Heading",
    "Section",
    "Task",
    "inline_text",
    "is_blank",
    "line_label",
    "meaningful_text",
    "parse",
    "split_label",
    "strip_comments",
    "table_cells",
]

_QUICK_ACTION = re.compile(r"^[ \t]*/[a-z][a-z_]*(?:[ \t].*)?$", re.MULTILINE)
_STRUCK = re.compile(r"(?<!~)~~(?=[^~\s])[^~\n]*?[^~\s]~~(?!~)")  # GitLab's strikethrough, on one line
_TOC = re.compile(r"\[\[_TOC_\]\]|\[TOC\]", re.IGNORECASE)
DEFAULT_PLACEHOLDERS = ("tbd", "tba", "n/a", "na", "todo", "...", "…", "_no response_", "no response")


@dataclass(frozen=True, slots=True)
class Section:
    heading: Heading
    body: str  # raw markdown between the head and the section's end
    end_line: int  # 1-based line after the section's last line
    tasks: tuple[Task, ...]

    def is_empty(self, placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS) -> bool:
        return is_blank(self.answer, placeholders)

    @property
    def answer(self) -> str:
        """What the section says: a label's answer on its line, then the body."""
        return f"{self.heading.inline}\n{self.body}" if self.heading.inline else self.body

    @property
    def unticked(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks if task.checked is False)


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    headings: tuple[Heading, ...]  # real headings and bold lines alone
    heads: tuple[Heading, ...] = ()  # every head, labels included, in document order
    lines: tuple[str, ...] = ()
    task_lines: dict[int, Task] = field(default_factory=dict, compare=False, repr=False)
    unclosed_comment: int | None = None  # the line of an HTML comment that never closes
    hidden: tuple[Heading, ...] = ()  # heads inside that comment
    cache: dict[Hashable, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sections(self) -> tuple[Section, ...]:
        """Sections of every head but plain ``Label: answer`` lines."""
        return self.sections_for(lambda head: head.form != "plain", "structural")

    def sections_for(self, include: Callable[[Heading], bool], key: Hashable = None) -> tuple[Section, ...]:
        """Sections of every head but the plain labels ``include`` leaves out."""
        heads, ends = self.extents(include)
        return tuple(_section(head, end, self.lines, self.task_lines) for head, end in zip(heads, ends, strict=True))

    def extents(self, include: Callable[[Heading], bool]) -> tuple[list[Heading], list[int]]:
        """The heads ``include`` keeps (every head but plain labels it leaves out), each with the line
        its section ends before. Choices that keep the same plain labels share the answer."""
        kept = tuple(i for i, head in enumerate(self.heads) if head.form == "plain" and include(head))
        cached = self.cache.get(("extents", kept))
        if cached is None:
            chosen = set(kept)
            heads = [h for i, h in enumerate(self.heads) if h.form != "plain" or i in chosen]
            cached = (heads, _ends(heads, len(self.lines)))
            self.cache[("extents", kept)] = cached
        return cached  # type: ignore[return-value]

    def section(self, head: Heading, end_line: int) -> Section:
        return _section(head, end_line, self.lines, self.task_lines)


def meaningful_text(body: str) -> str:
    """What is left of a section once comments, quick actions and the TOC are gone."""
    text = strip_comments(body)
    if "[" in text:  # a TOC marker is bracketed, a quick action starts with a slash
        text = _TOC.sub("", text)
    if "/" in text:
        text = _QUICK_ACTION.sub("", text)
    if "~~" in text:  # struck through: taken back by its writer, as a struck approval is
        text = _STRUCK.sub("", text)
    return text.strip()


def strip_comments(text: str) -> str:
    """``text`` without HTML comments; one never closed runs to the end. Linear: ``find``, no regex."""
    parts = []
    start = 0
    while True:
        opened = text.find("<!--", start)
        if opened < 0:
            parts.append(text[start:])
            break
        parts.append(text[start:opened])
        closed = text.find("-->", opened + 4)
        if closed < 0:
            break
        start = closed + 3
    return "".join(parts)


def is_blank(body: str, placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS) -> bool:
    """Empty, or holding only a placeholder such as TBD, N/A or ``_No response_``."""
    text = meaningful_text(body)
    if not text:
        return True
    words = " ".join(text.split()).lower().strip(" .:;-*>")
    wanted = {p.lower().strip(" .:;-*>") for p in placeholders}
    return words in wanted or not words.strip("_*`~")


def parse(text: str) -> Document:
    source = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")  # a BOM is no text
    written = tuple(source.split("\n"))
    lines = outline.rewrite(written)
    written_in_wiki = wiki.is_wiki(lines)
    scanner = Scanner(wiki.view(lines, written_in_wiki), written, written_in_wiki)
    scanner.run()
    heads = tuple(scanner.heads)
    headings = tuple(h for h in heads if not h.is_label)
    hidden: tuple[Heading, ...] = ()
    if scanner.unclosed is not None:
        hidden = tuple(hidden_heads(lines, scanner.unclosed))
    return Document(
        text=source,
        headings=headings,
        heads=heads,
        lines=lines,
        task_lines=scanner.tasks,
        unclosed_comment=scanner.unclosed,
        hidden=hidden,
    )


def _ends(heads: list[Heading], count: int) -> list[int]:
    """Where each head's section ends: at the next head of the same or a higher level (a stack),
    and at the latest where the block holding it ends (a details block: the heads inside it are
    its own, whatever their level)."""
    ends = [count + 1] * len(heads)
    limits = [head.stop or count + 1 for head in heads]
    open_heads: list[int] = []
    for index, head in enumerate(heads):
        WORK.steps += 1
        while open_heads and limits[open_heads[-1]] <= head.line:  # its block ended before this head
            ends[open_heads.pop()] = head.line
        if head.form == "table":
            ends[index] = head.line + 1
            continue
        while open_heads and heads[open_heads[-1]].level >= head.level and not heads[open_heads[-1]].stop:
            ends[open_heads.pop()] = head.line
        if open_heads:
            limits[index] = min(limits[index], limits[open_heads[-1]])
        open_heads.append(index)
    return [min(end, limit) for end, limit in zip(ends, limits, strict=True)]


def _section(head: Heading, end: int, lines: tuple[str, ...], tasks: dict[int, Task]) -> Section:
    if head.form == "table":
        return Section(head, "", head.line + 1, ())
    start = max(head.body_line, head.line + 1)
    WORK.steps += max(0, end - start)
    body = "\n".join(lines[start - 1 : end - 1])
    found = tuple(tasks[n] for n in range(head.line, end) if n in tasks) if tasks else ()
    return Section(head, body, end, found)
