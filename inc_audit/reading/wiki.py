"""Jira and Confluence wiki markup in issue text: ``h2.`` headings, ``||header||`` tables,
``{code}`` and ``{noformat}`` blocks, ``{quote}``, ``bq.``, and ``#``/``**`` lists.

People paste tickets from Jira into GitLab. The scanner (``inc_audit.reading.blocks``) reads
wiki headings and tables itself (``heading``, ``row_cells``); the rest is turned into the
markdown that means the same, line for line (``view``), so the scanner's reading of code,
quotes and lists applies: a ``{code}`` block's content is code, never a heading.

``#`` starts a numbered list item in wiki markup and a heading in markdown: only a document
written in wiki markup (``is_wiki``) has its ``#`` lines read as list items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"[ \t]{0,3}h([1-6])\.[ \t]+(\S.*)$")
_MACRO = re.compile(r" {0,3}\{(code|noformat|quote)(?::[^{}\n]{0,500})?\}")
_CLOSE = {"code": "{code}", "noformat": "{noformat}", "quote": "{quote}"}
_LIST = re.compile(r"[ \t]*([*#]+)[ \t]+(\S.*)$")
_CONTAINER = re.compile(r"\{(panel|expand|info|note|tip|warning|section|column|excerpt)(?::([^{}]{0,300}))?\}$")
_TITLE = re.compile(r"(?:^|\|)\s*title\s*=\s*([^|]*)")
_QUOTE_LINE = re.compile(r"[ \t]*bq\.[ \t]+(.*)$")
_MARKDOWN_HEADING = re.compile(r" {0,3}#{2,6}[ \t]")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING_MARK = re.compile(r"h[1-6]\.")  # in any line _HEADING matches
_WIKI_FIRST = re.compile(r"\n[ \t]*(?:\{|bq\.[ \t])")  # a line led by a macro's brace or a "bq." quote
MAX_LIST_DEPTH = 3  # deeper wiki lists read as this deep: markdown reads deeper indents as code


@dataclass(frozen=True, slots=True)
class Container:
    """A line opening or closing a panel-like block: ``{panel:title=Root cause}`` ... ``{panel}``."""

    name: str
    title: str  # "" for a closing line, or a block without a title


@dataclass(frozen=True, slots=True)
class WikiHeading:
    level: int
    text: str


def heading(line: str) -> WikiHeading | None:
    """``h3. Root cause`` as a level-3 heading."""
    stripped = line.lstrip(" \t")
    if stripped[:1] not in ("h", "H") or stripped[2:3] != "." or not stripped[1:2].isdigit():
        return None
    match = _HEADING.match(line)
    return WikiHeading(int(match.group(1)), match.group(2).strip()) if match else None


def container(stripped: str) -> Container | None:
    """A line that is only a panel-like macro: its name, and its title if it has one
    (``{expand:Logs}``, ``{panel:title=Root cause|borderStyle=solid}``)."""
    match = _CONTAINER.match(stripped)
    if match is None:
        return None
    name, parameters = match.group(1), (match.group(2) or "").strip()
    title = _TITLE.search(parameters)
    if title is not None:
        return Container(name, title.group(1).strip())
    return Container(name, parameters if name == "expand" and "=" not in parameters else "")


def is_wiki(lines: tuple[str, ...]) -> bool:
    """Whether a document is written in wiki markup: more wiki headings and ``||`` header rows than
    code fences and markdown headings of two or more ``#`` (a single ``#`` may be either, and so
    may ``##`` right under a ``#`` line: a wiki list's nested item)."""
    text = "\n".join(lines)
    if "||" not in text and _HEADING_MARK.search(text) is None:
        return False  # no wiki heading and no header row: nothing counts for wiki
    wiki = markdown = 0
    listed = False  # the line before starts with "#"
    for line in lines:
        first = line.lstrip(" \t")[:1]
        if first in ("h", "H") and heading(line) is not None:
            wiki += 1
        elif first == "|" and line.lstrip(" \t").startswith("||"):
            wiki += 1
        elif first == "#" and not listed and _MARKDOWN_HEADING.match(line):
            markdown += 1
        elif first in ("`", "~") and _FENCE.match(line):
            markdown += 1
        listed = first == "#"
    return wiki > markdown


def view(lines: tuple[str, ...], wiki: bool) -> tuple[str, ...]:
    """The lines as the markdown scanner should read them: code and quote blocks as fences and
    quotes, and in a wiki document its lists as markdown lists. Same number of lines; a markdown
    code fence's content stays as it is."""
    if not wiki and _WIKI_FIRST.search("\n" + "\n".join(lines)) is None:
        return lines  # no macro and no quote: in markdown, nothing to change
    out: list[str] = []
    block: str | None = None  # the macro that closes the open block
    fence: str | None = None  # the markdown fence that closes the open code block
    for line in lines:
        first = line.lstrip(" \t")[:1]
        if fence is not None or (first in ("`", "~") and _FENCE.match(line)):
            fence = _fence(line, fence)
            out.append(line)
        elif block is not None:
            closes = _CLOSE[block] in line
            if block == "quote":
                out.append("" if closes else "> " + line)
            else:
                out.append("```" if closes else "")
            block = None if closes else block
        elif first == "{":
            block, translated = _macro(line)
            out.append(translated)
        elif first == "b" and _QUOTE_LINE.match(line):
            out.append("> " + line.lstrip(" \t")[3:].lstrip(" \t"))
        elif wiki and first in ("#", "*"):
            out.append(_list_item(line))
        else:
            out.append(line)
    return tuple(out)


def _fence(line: str, fence: str | None) -> str | None:
    """The markdown fence still open after ``line``."""
    match = _FENCE.match(line)
    if fence is None:
        return match.group(1) if match else None
    closes = match is not None and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
    return None if closes and not line.strip().strip(fence[0]) else fence


def _macro(line: str) -> tuple[str | None, str]:
    """A line opening a code, noformat or quote block: the block left open, and the line in markdown."""
    match = _MACRO.match(line)
    if match is None:
        return None, line
    name, rest = match.group(1), line[match.end() :]
    if _CLOSE[name] in rest:  # opened and closed on one line
        inner = rest[: rest.index(_CLOSE[name])].replace("`", "").strip()
        if name == "quote":
            return None, "> " + inner
        return None, f"`{inner}`" if inner else ""
    if name == "quote":
        return name, "> " + rest if rest.strip() else ""
    return name, "```"


def _list_item(line: str) -> str:
    """``## step`` (a numbered item one level down) as ``  - step``; other lines as they are."""
    match = _LIST.match(line)
    if match is None or ("#" not in match.group(1) and len(match.group(1)) < 2):
        return line
    depth = min(len(match.group(1)) - 1, MAX_LIST_DEPTH)
    return "  " * depth + "- " + match.group(2)


def row_cells(line: str) -> list[tuple[str, bool]]:
    """A wiki table row's cells, each with whether it is a header cell (``||``). A ``|`` inside a
    link (``[text|url]``) or a ``{{monospace}}`` run does not split cells. Linear in the line."""
    cells: list[tuple[str, bool]] = []
    text = line.strip()
    start, header, depth, braces = 0, False, 0, False
    position = 0
    while position < len(text):
        char = text[position]
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif text.startswith("{{", position):
            braces = True
            position += 1
        elif text.startswith("}}", position):
            braces = False
            position += 1
        elif char == "|" and not depth and not braces and (position == 0 or text[position - 1] != "\\"):
            if position > 0:
                cells.append((text[start:position].strip(), header))
            header = text.startswith("||", position)
            position += 2 if header else 1
            start = position
            continue
        position += 1
    if start < len(text) and text[start:].strip():
        cells.append((text[start:].strip(), header))
    return cells
