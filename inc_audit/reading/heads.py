"""What the line scanner's parts share: the heads and task boxes it finds, the patterns a line
is matched against, the counter of its work, and the state ``ScannerState`` its parts read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inc_audit.reading import html, plaintext, wiki
from inc_audit.reading.lines import MAX_HEAD_CHARS, MAX_LABEL_WORDS, inline_text, line_label, split_label, table_cells  # noqa: F401

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
    "bold": 1, "summary": 1, "emphasis": 2, "bullet": 1, "table": 1, "plain": 2,
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
_HTML_TAG_LINE = re.compile(  # a tag alone, its attributes with values: "<describe impact here>" is a placeholder
    r" {0,3}</?[A-Za-z][A-Za-z0-9-]*(?:[ \t]+[A-Za-z_:][\w:.-]*[ \t]*=[^<>]*)?[ \t]*/?>[ \t]*$"
)
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


def _titles(content: str) -> bool:
    """Whether a list item's text reads as a title: a few words, not a sentence or a list entry."""
    return (
        content[-1] not in ".;,!"
        and len(content.split()) <= MAX_LABEL_WORDS
        and "http" not in content
        and "? " not in content  # "Why? still digging": a question and its answer
    )


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
        or (first == "=" and plaintext.closed_heading(line))
    )


class ScannerState:
    """What the scanner's parts share (``blocks.Scanner`` sets it): the lines, and what has
    been found in them so far; the methods one part calls on another."""

    lines: tuple[str, ...]
    source: tuple[str, ...]
    wiki: bool
    heads: list[Heading]
    tasks: dict[int, Task]
    unclosed: int | None
    paragraph: list[int]
    index: int
    html: html.HtmlReader
    details: list[int | None]
    stops: dict[int, int]
    containers: list[tuple[str, int | None]]

    def _block(self, i: int) -> int:
        raise NotImplementedError

    def _close_paragraph(self) -> None:
        raise NotImplementedError

    def _text(self, i: int, text: str) -> None:
        raise NotImplementedError

    def _add_heading(self, i: int, text: str, level: int, form: str, inline: str = "", end: int | None = None) -> None:
        raise NotImplementedError

    def _titled(self, i: int, title: str, inline: str = "", end: int | None = None) -> int | None:
        raise NotImplementedError

    def _read_html(self, events: list[Any]) -> None:
        raise NotImplementedError

    def _list_text(self, i: int, content: str, depth: int) -> bool:
        raise NotImplementedError

    def _label(self, i: int, content: str, depth: int, paragraph: bool, bullet: bool = False) -> bool:
        raise NotImplementedError
