"""HTML in issue text, read for its structure: headings, bold labels, tables, lists, collapsible blocks.

GitLab passes HTML blocks through, and people paste HTML from other tools. ``HtmlReader`` reads
the lines of a document's HTML blocks, in order, and says what they hold, as the markdown
scanner (``inc_audit.reading.blocks``) would have them:

- ``Head``: an ``<h1>``..``<h6>`` (its level), or the ``<summary>`` of a ``<details>`` block;
- ``Text``: a line of text, bold as ``**`` and links as markdown, for the scanner to read as
  a label (``<strong>Impact:</strong> 40 min``), a bold line alone, or a list item's text;
- ``Table``: the rows of a ``<table>`` (or ``<dl>``), each cell's text and whether it is a
  header cell (``<th>``, ``<dt>``, or in ``<thead>``);
- ``Details``: where a ``<details>`` block opens and closes.

Text breaks at block elements (``<p>``, ``<br>``, ``<li>``, ...) and at the end of a source
line: people who write HTML by hand put one field on a line. Text inside ``<pre>`` and
``<blockquote>`` is content, never a head; ``<script>`` and ``<style>`` hold no text.

Reading is linear: each line is scanned once from ``<`` to ``<``; a tag's attributes are
bounded and never cross a ``<``, so no pattern backtracks over the line. The reader keeps its
state from one HTML block to the next, as a browser sees one document: a table or a details
block may span blank lines and markdown between them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from inc_audit.reading.tables import Row

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,15})(?=[\s/>])([^<>]{0,2000})>")
_ATTRIBUTE = re.compile(r"""([A-Za-z-]{1,30})(?:\s*=\s*(?:"([^"]{0,1000})"|'([^']{0,1000})'|([^\s"'>]{1,1000})))?""")
_TEXT_BREAKS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr html legend li main nav ol p pre section summary table tbody td "
    "tfoot th thead tr ul br".split()
)
_MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`", "kbd": "`", "tt": "`", "s": "~~",
          "del": "~~", "strike": "~~"}
_QUIET = frozenset(("pre", "blockquote", "textarea"))  # their text is content, never a head
_INLINE = frozenset("a img input span font u sup sub small big mark abbr cite q ins label".split())
_RAW = frozenset(("script", "style"))  # no text at all
_CAPTIONS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6", "summary"))
_ROWS = frozenset(("table", "dl"))
_CELLS = {"th": True, "td": False, "dt": True, "dd": False}
_BREAK = re.compile(r"<br[ \t]*/?>", re.IGNORECASE)
_STYLED = frozenset(("span", "font"))
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.IGNORECASE)
MAX_OPEN = 64  # nesting beyond this is not followed: closing tags still match what is open


@dataclass(frozen=True, slots=True)
class Head:
    """A heading (``<h3>``: level 3) or a details block's summary (level 0)."""

    line: int  # 0-based index of the line it starts on
    text: str
    level: int
    end: int  # 0-based index of the line it closes on
    inline: str = ""  # text after it on its closing line


@dataclass(frozen=True, slots=True)
class Text:
    """A line of text outside headings and tables, in markdown: ``**Impact:** 40 min``."""

    line: int
    text: str
    depth: int  # list depth of a list item's text; 0 otherwise
    item: bool  # the text opens a list item (``<li>``)


@dataclass(frozen=True, slots=True)
class Table:
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Details:
    line: int
    opens: bool


Event = Head | Text | Table | Details


@dataclass
class _Cell:
    header: bool
    line: int = -1
    text: list[str] = field(default_factory=list)


@dataclass
class _Rows:
    """A table (or definition list) being read: its finished rows, the open row and cell."""

    head: bool = False  # inside <thead>
    rows: list[Row] = field(default_factory=list)
    row: list[_Cell] | None = None
    cell: _Cell | None = None

    def add(self, text: str, line: int) -> None:
        """Text of the open cell, read from ``line`` on."""
        if self.cell is not None and text:
            self.cell.text.append(text)
            if self.cell.line < 0:
                self.cell.line = line

    def close_cell(self, text: str, line: int) -> None:
        if self.cell is not None:
            self.add(text, line)
            if self.row is None:
                self.row = []
            self.row.append(self.cell)
            self.cell = None

    def close_row(self) -> None:
        if self.row:
            cells = tuple(" ".join(" ".join(c.text).split()) for c in self.row)
            lines = [c.line for c in self.row if c.line >= 0]
            line = lines[0] if lines else -1
            self.rows.append(Row(line, cells, tuple(c.header for c in self.row)))
        self.row = None


class HtmlReader:
    """Reads the HTML lines of one document in order; ``feed`` says what each line holds."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.text: list[str] = []  # the pieces of the line of text being read
        self.start = -1  # the line it starts on
        self.caption: tuple[str, int] | None = None  # an open heading or summary: its tag and line
        self.tables: list[_Rows] = []
        self.lists = 0
        self.item = False  # the text being read opens a list item
        self.quiet = 0
        self.raw: str | None = None  # inside <script> or <style>: the tag that ends it
        self.comment = False
        self.links: list[str] = []
        self.after: tuple[int, int] | None = None  # (event index, line) of a heading just closed
        self.spans: list[bool] = []  # the open <span>s: whether each is bold by its style

    @property
    def capturing(self) -> bool:
        """Inside a heading, a summary or a table cell: the lines that follow belong to it."""
        return self.caption is not None or (bool(self.tables) and any(t.cell is not None for t in self.tables))

    def feed(self, i: int, line: str) -> list[Event]:
        """Read line ``i``; return what it completed (heads, texts, tables, details)."""
        self.events = []
        position = 0
        while position < len(line):
            position = self._step(i, line, position)
        self._line_end(i)
        return self.events

    def close(self) -> list[Event]:
        """The end of the document: whatever is still open is complete."""
        self.events = []
        end = max(self.start, 0)
        if self.caption is not None:
            self._close_caption(self.caption[0], end)
        self._flush(end)
        while self.tables:
            self._close_rows(end)
        return self.events

    def _step(self, i: int, line: str, position: int) -> int:
        if self.comment:
            closed = line.find("-->", position)
            if closed < 0:
                return len(line)
            self.comment = False
            return closed + 3
        opened = line.find("<", position)
        if opened < 0:
            self._add(i, line[position:])
            return len(line)
        self._add(i, line[position:opened])
        if line.startswith("<!--", opened):
            self.comment = True
            return opened + 4
        tag = _TAG.match(line, opened)
        if tag is None:
            self._add(i, "<")
            return opened + 1
        self._tag(i, tag.group(1) == "/", tag.group(2).lower(), tag.group(3))
        return tag.end()

    def _add(self, i: int, text: str) -> None:
        if not text or self.raw is not None:
            return
        if self.start < 0 and text.strip():
            self.start = i
        self.text.append(text)

    def _line_end(self, i: int) -> None:
        if self.capturing:
            self.text.append(" " if self.caption is not None else "\n")
        else:
            self._flush(i)
        self.after = None

    def _tag(self, i: int, closing: bool, name: str, attributes: str) -> None:
        if self.raw is not None:
            if closing and name == self.raw:
                self.raw = None
            return
        if name in _MARKS:
            self._add(i, _MARKS[name])
        elif name in _STYLED:
            self._add(i, _styled(self.spans, closing, attributes))
        elif name in ("a", "img", "input"):
            self._inline(i, closing, name, attributes)
        elif name in _TEXT_BREAKS:
            self._block(i, closing, name)
        elif name in _RAW and not closing and not attributes.endswith("/"):
            self.raw = name

    def _inline(self, i: int, closing: bool, name: str, attributes: str) -> None:
        """A link keeps its target, an image its source (both are real content), a checkbox its mark."""
        values = _attributes(attributes) if not closing else {}
        if name == "a" and not closing:
            self.links.append(values.get("href", ""))
            self._add(i, "[")
        elif name == "a" and self.links:
            target = self.links.pop()
            self._add(i, f"]({target})" if target else "]")
        elif name == "img" and values.get("src"):
            self._add(i, f"![{values.get('alt', '')}]({values['src']})")
        elif name == "input" and values.get("type", "").lower() == "checkbox":
            self._add(i, "[x] " if "checked" in values else "[ ] ")

    def _block(self, i: int, closing: bool, name: str) -> None:
        if self.caption is not None:
            if closing and name == self.caption[0]:
                self._close_caption(name, i)
            else:
                self._add(i, " ")  # a heading's text runs over its inner blocks
            return
        if name in _CAPTIONS and not closing and not self._in_cell() and not self.quiet:
            self._flush(i)
            self.caption = (name, i)
        elif name in _ROWS or name in _CELLS or name in ("tr", "thead"):
            self._rows(i, closing, name)
        else:
            self._flush(i)
            self._container(i, closing, name)

    def _container(self, i: int, closing: bool, name: str) -> None:
        if name in ("ul", "ol"):
            self.lists = max(0, self.lists + (-1 if closing else 1))
        elif name == "li":
            self.item = not closing
        elif name in _QUIET:
            self.quiet = max(0, self.quiet + (-1 if closing else 1))
        elif name == "details" and not self._in_cell() and not self.quiet:
            self.events.append(Details(i, not closing))

    def _in_cell(self) -> bool:
        return bool(self.tables) and self.tables[-1].cell is not None

    def _close_caption(self, name: str, i: int) -> None:
        assert self.caption is not None
        tag, line = self.caption
        text = " ".join(html.unescape("".join(self.text)).split())
        self.text, self.start, self.caption = [], -1, None
        level = int(tag[1]) if tag[0] == "h" else 0
        self.after = (len(self.events), i)
        self.events.append(Head(line, text, level, i))

    def _rows(self, i: int, closing: bool, name: str) -> None:
        if name in _ROWS:
            if not closing:
                self._flush(i)
                if len(self.tables) < MAX_OPEN:
                    self.tables.append(_Rows())
            elif self.tables:
                self._close_rows(i)
            return
        if not self.tables:
            if closing:
                return
            self._flush(i)
            self.tables.append(_Rows())  # cells without a table: a browser reads them as one
        rows = self.tables[-1]
        if name == "thead":
            rows.head = not closing
            return
        rows.close_cell(*self._taken(i))
        if name == "tr" or (name == "dt" and not closing):
            rows.close_row()
        if name in _CELLS and not closing:
            rows.cell = _Cell(_CELLS[name] or rows.head)

    def _close_rows(self, i: int) -> None:
        text, line = self._taken(i)
        rows = self.tables.pop()
        rows.close_cell(text, line)
        rows.close_row()
        if rows.rows and not self.quiet:
            self.events.append(Table(tuple(rows.rows)))

    def _taken(self, i: int) -> tuple[str, int]:
        """The text read so far and the line it starts on, taken away (for the cell it belongs to)."""
        text = " ".join(html.unescape("".join(self.text)).split())
        line = self.start if self.start >= 0 else i
        self.text, self.start = [], -1
        return text, line

    def _flush(self, i: int) -> None:
        """The line of text read so far is complete: it goes to its cell, its heading, or out as text."""
        if self._in_cell():
            self.tables[-1].add(*self._taken(i))
            return
        text = html.unescape("".join(self.text)).strip()
        start, self.text, self.start = self.start, [], -1
        if not text or self.quiet:
            return  # (text in a table but out of its cells shows above the table: it is read)
        if self.after is not None and self.after[1] == i and self.events:
            index = self.after[0]
            head = self.events[index]
            assert isinstance(head, Head)
            self.events[index] = Head(head.line, head.text, head.level, head.end, text)
            return
        self.events.append(Text(start, text, max(0, self.lists - 1) if self.item else 0, self.item))
        self.item = False


def _styled(spans: list[bool], closing: bool, attributes: str) -> str:
    """``**`` where a ``<span style="font-weight:600">`` (Teams, Outlook) opens or closes."""
    if closing:
        return "**" if spans and spans.pop() else ""
    bold = bool(_BOLD_STYLE.search(attributes)) if "weight" in attributes else False
    if len(spans) < MAX_OPEN:
        spans.append(bold)
    return "**" if bold else ""


def _attributes(text: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTRIBUTE.finditer(text)}


def broken(line: str) -> list[str] | None:
    """The pieces of a line of markdown that ``<br>`` breaks, or None when it holds none."""
    if "<" not in line or not _BREAK.search(line):
        return None
    return [piece.strip() for piece in _BREAK.split(line)]


def inline_markdown(text: str) -> str:
    """``<strong>Impact:</strong> 40 min<br>`` as ``**Impact:** 40 min``: inline HTML as markdown,
    other HTML tags gone; what is no HTML tag (``<describe the incident>``) stays. Linear, like the reader."""
    out: list[str] = []
    position = 0
    links: list[str] = []
    spans: list[bool] = []
    while position < len(text):
        opened = text.find("<", position)
        if opened < 0:
            out.append(text[position:])
            break
        out.append(text[position:opened])
        tag = _TAG.match(text, opened)
        name = tag.group(2).lower() if tag is not None else ""
        if tag is None or not (name in _MARKS or name in _INLINE or name in _TEXT_BREAKS):
            out.append("<")
            position = opened + 1
            continue
        closing = tag.group(1) == "/"
        if name in _MARKS:
            out.append(_MARKS[name])
        elif name in _STYLED:
            out.append(_styled(spans, closing, tag.group(3)))
        elif name == "a" and not closing:
            links.append(_attributes(tag.group(3)).get("href", ""))
            out.append("[")
        elif name == "a" and links:
            target = links.pop()
            out.append(f"]({target})" if target else "]")
        elif name in _TEXT_BREAKS:
            out.append(" ")
        position = tag.end()
    return html.unescape("".join(out)).strip() if "&" in text else "".join(out).strip()
