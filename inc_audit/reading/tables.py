"""Tables read as forms, whatever their markup (markdown, wiki ``||`` tables, HTML ``<table>``).

A table is a form in one of two shapes:

- one row per question: the row's first cell that holds text (a number alone, ``| 1 |``, is
  the row's numbering) names it, the cells after it answer it (``| Root cause | expired cert |``,
  ``<tr><th>Impact</th><td>40 min</td></tr>``);
- one column per question, under a header row of more than two cells: each header cell
  names its column, the column's cells answer it.

A two-column table is read by rows, its header row included: people put a question and its
answer in the header row as often as "Question | Answer". A wider table is read both ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_NUMBERING = re.compile(r"#|(?:#|n°|no\.?)?[ \t]*\d{1,3}[.)]?|[ivxIVX]{1,4}[.)]?|[A-Za-z][.)]")


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # 0-based index of the line its first cell holding text is on
    cells: tuple[str, ...]  # each cell's text, without markup
    headers: tuple[bool, ...] = ()  # which cells are header cells, when the markup says


@dataclass(frozen=True, slots=True)
class Field:
    """One question of the form and its answer, at the line that names it."""

    line: int
    label: str
    answer: str


def fields(rows: list[Row] | tuple[Row, ...], header_row: bool) -> Iterator[Field]:
    """The questions a table asks and their answers; ``header_row``: its first row is a header
    row (markdown's always is; wiki and HTML say so with header cells)."""
    if not rows or max(len(row.cells) for row in rows) < 2:
        return
    first = rows[0]
    if header_row and len(first.cells) > 2:
        for column, cell in enumerate(first.cells):
            values = " ".join(row.cells[column] for row in rows[1:] if column < len(row.cells) and row.cells[column])
            yield Field(first.line, cell, values)
        rows = rows[1:]
    for row in rows:
        label = next((c for c in row.cells if c and not _NUMBERING.fullmatch(c)), "")
        if not label:
            continue
        rest = row.cells[row.cells.index(label) + 1 :]
        yield Field(row.line, label, " ".join(c for c in rest if c))


def header_row(row: Row) -> bool:
    """A row of header cells only (``||a||b||``, ``<th>`` cells, or in ``<thead>``)."""
    return bool(row.headers) and all(row.headers)
