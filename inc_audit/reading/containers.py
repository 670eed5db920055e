"""The line scanner's containers: HTML blocks and ``<details>``, tables (markdown, HTML and
wiki) read as forms, block quotes, and titled wiki panels."""

from __future__ import annotations

from inc_audit.reading import html, tables, wiki
from inc_audit.reading.heads import (
    _ATX,
    _HOLDS_DETAILS,
    _HTML_END,
    _QUOTE,
    _RAW_END,
    BOLD_LEVEL,
    LABEL_LEVEL,
    MAX_DEPTH,
    MAX_LABEL_WORDS,
    WORK,
    Heading,
    ScannerState,
    _first,
    _has_text,
    _starts_block,
    inline_text,
    split_label,
    table_cells,
)

MAX_TIMELINE_LABEL = 4  # words of a label a timeline row's text starts with ("Root cause found: ...")


class Containers(ScannerState):
    """HTML blocks, tables, quotes and panels: see ``blocks.Scanner``."""

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
        said = split_label(answer) if label and not any(c.isalpha() for c in label) else None
        if said is not None and len(said[0].split()) <= MAX_TIMELINE_LABEL:  # | 09:55 | Root cause found: ... |
            self.heads.append(Heading(said[0], LABEL_LEVEL, i + 1, True, "table", said[1], raw, i + 2))
