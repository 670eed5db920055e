"""Split a markdown document into sections and task lists, with mistune's AST.

A section starts at a heading of any level (ATX or setext) and runs until the
next heading of the same or a higher level. Headings inside code blocks or
HTML comments are not headings: mistune already reads them as code or HTML.
A bold line alone (``**Root cause:**``) is kept as a *bold heading*, which
the schemas use only where no real heading matches.

Whatever the text holds, parsing never fails: markdown is never bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from re import Match
from typing import Any

import mistune
from mistune.block_parser import BlockParser
from mistune.core import BlockState
from mistune.plugins import import_plugin

BOLD_LEVEL = 7  # a bold line ranks below every real heading

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_OPEN_COMMENT = re.compile(r"<!--.*\Z", re.DOTALL)
_QUICK_ACTION = re.compile(r"^[ \t]*/[a-z][a-z_]*(?:[ \t].*)?$", re.MULTILINE)
_TOC = re.compile(r"\[\[_TOC_\]\]|\[TOC\]", re.IGNORECASE)
_TASK = re.compile(r"^\[( |x|X|~)\]\s*")
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(?P<text>[^\n]+?)(?:\*\*|__)\s*:?\s*$")
DEFAULT_PLACEHOLDERS = ("tbd", "tba", "n/a", "na", "todo", "...", "…", "_no response_", "no response")


class _PositionedParser(BlockParser):
    """A block parser that remembers where each token starts in its source."""

    def parse_method(self, m: Match[str], state: BlockState) -> int | None:
        start, count = state.cursor, len(state.tokens)
        end = super().parse_method(m, state)
        for token in state.tokens[count:]:
            token.setdefault("_pos", start)
        return end


class _PositionedState(BlockState):
    """Paragraphs are added outside ``parse_method``: mark where they start too."""

    def add_paragraph(self, text: str) -> None:
        last = self.last_token()
        super().add_paragraph(text)
        if self.last_token() is not last:
            self.tokens[-1].setdefault("_pos", self.cursor)


@lru_cache(maxsize=1)
def _parser() -> mistune.Markdown:
    plugins = [import_plugin(name) for name in ("task_lists", "table", "strikethrough")]
    return mistune.Markdown(renderer=None, block=_PositionedParser(), plugins=plugins)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int
    line: int  # 1-based line of the heading in the document
    bold: bool = False


@dataclass(frozen=True)
class Task:
    text: str
    checked: bool | None  # None: marked not applicable with [~]
    depth: int


@dataclass(frozen=True)
class Section:
    heading: Heading
    body: str  # raw markdown between the heading and the section's end
    end_line: int  # 1-based line after the section's last line
    tasks: tuple[Task, ...]

    def is_empty(self, placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS) -> bool:
        return is_blank(self.body, placeholders)

    @property
    def unticked(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks if task.checked is False)


@dataclass(frozen=True)
class Document:
    text: str
    headings: tuple[Heading, ...]
    sections: tuple[Section, ...]


def meaningful_text(body: str) -> str:
    """What is left of a section once comments, quick actions and the TOC are gone."""
    text = _COMMENT.sub("", body)
    text = _OPEN_COMMENT.sub("", text)
    text = _TOC.sub("", text)
    text = _QUICK_ACTION.sub("", text)
    return text.strip()


def is_blank(body: str, placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS) -> bool:
    """Empty, or holding only a placeholder such as TBD, N/A or ``_No response_``."""
    text = meaningful_text(body)
    if not text:
        return True
    words = " ".join(text.split()).lower().strip(" .:;-*>")
    wanted = {p.lower().strip(" .:;-*>") for p in placeholders}
    return words in wanted or not words.strip("_*`~")


def parse(text: str) -> Document:
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        tokens = _top_level_tokens(source)
    except RecursionError:  # pathological nesting: keep going with no structure
        tokens = []
    headings = _headings(tokens, source)
    lines = source.split("\n")
    sections = tuple(_sections(headings, lines, tokens, source))
    return Document(text=source, headings=headings, sections=sections)


def _top_level_tokens(source: str) -> list[dict[str, Any]]:
    tokens, _ = _parser().parse(source, state=_PositionedState())
    return tokens if isinstance(tokens, list) else []


def _line_of(source: str, pos: int) -> int:
    return source.count("\n", 0, pos) + 1


def _headings(tokens: list[dict[str, Any]], source: str) -> tuple[Heading, ...]:
    found = []
    for token in tokens:
        line = _line_of(source, token.get("_pos", 0))
        if token["type"] == "heading":
            found.append(Heading(plain_text(token), token["attrs"]["level"], line))
        elif token["type"] == "paragraph":
            bold = _bold_line(source, line)
            if bold is not None:
                found.append(Heading(bold, BOLD_LEVEL, line, bold=True))
    return tuple(found)


def _bold_line(source: str, line: int) -> str | None:
    first = source.split("\n", line)[line - 1] if line > 0 else ""
    match = _BOLD_LINE.match(first)
    return match.group("text").strip().rstrip(":").strip() if match else None


def _sections(
    headings: tuple[Heading, ...], lines: list[str], tokens: list[dict[str, Any]], source: str
) -> list[Section]:
    sections = []
    for index, heading in enumerate(headings):
        end = len(lines) + 1
        for later in headings[index + 1 :]:
            if later.level <= heading.level or heading.bold:
                end = later.line
                break
        start = heading.line + 1 if heading.bold or _is_atx(lines, heading) else heading.line + 2
        start = max(start, heading.line + 1)
        body = "\n".join(lines[start - 1 : end - 1])
        tasks = _tasks_between(tokens, source, heading.line, end)
        sections.append(Section(heading, body, end, tasks))
    return sections


def _is_atx(lines: list[str], heading: Heading) -> bool:
    return lines[heading.line - 1].lstrip().startswith("#")


def _tasks_between(tokens: list[dict[str, Any]], source: str, start: int, end: int) -> tuple[Task, ...]:
    tasks: list[Task] = []
    for token in tokens:
        if token["type"] == "list" and start < _line_of(source, token.get("_pos", 0)) < end:
            _collect_tasks(token, 0, tasks)
    return tuple(tasks)


def _collect_tasks(node: dict[str, Any], depth: int, out: list[Task]) -> None:
    for item in node.get("children") or ():
        kind = item.get("type")
        if kind == "task_list_item":
            out.append(Task(_item_text(item), bool(item["attrs"]["checked"]), depth))
        elif kind == "list_item":
            text = _item_text(item)
            match = _TASK.match(text)
            if match:
                mark = match.group(1)
                checked = None if mark == "~" else mark.lower() == "x"
                out.append(Task(text[match.end() :], checked, depth))
        for child in item.get("children") or ():
            if child.get("type") == "list":
                _collect_tasks(child, depth + 1, out)


def _item_text(item: dict[str, Any]) -> str:
    for child in item.get("children") or ():
        if child.get("type") in ("block_text", "paragraph"):
            return plain_text(child).strip()
    return ""


def plain_text(node: dict[str, Any]) -> str:
    """The text of a token and its children, without markup."""
    if "raw" in node and node.get("type") not in ("block_html", "inline_html"):
        return str(node["raw"])
    if node.get("type") in ("softbreak", "linebreak"):
        return " "
    return "".join(plain_text(child) for child in node.get("children") or ())
