"""More markups read once their lines are rewritten, line for line (as ``outline`` does): forum
BBCode (``[b]Root cause[/b]``, ``[url=...]``, ``[img]``), LaTeX (``\\subsection*{Impact}``,
``\\textbf{Impact:}``, ``\\item[Impact]``, ``verbatim``, ``\\textit{TBD}``), MediaWiki's inline marks
(``'''Impact:'''``, ``[https://... text]``, ``# item`` under ``== headings ==``, ``{| ... |}`` tables),
label and answer pairs one a line (``Label -> answer``, ``Label | answer``, a tab, CSV) and
ASCII-art boxes used as forms (``| IMPACT | none |`` between ``+----+`` borders, or
drawn with ``┌─┐│``). Documents written whole as data (INI, TOML, YAML, JSON) are ``dataforms``'.

Each rewriting reads a document only when it shows that markup at least twice, never inside a
code fence or a code span, and gives back as many lines as it is handed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable

from inc_audit.reading import dataforms, plaintext
from inc_audit.reading.dataforms import MIN_MARKS, at_line_starts, lines_match
from inc_audit.reading.dataforms import prose as _prose

_BB_TAG = re.compile(r"\[(/?)(b|i|u|s|size|color|font|url|img|h[1-6]|code|list|quote|center)(=[^\]]{0,200})?\]", re.I)
_BB_PAIRS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"\[b\](.{0,300}?)\[/b\]", re.I), r"**\1**"),
    (re.compile(r"\[(?:i)\](.{0,300}?)\[/i\]", re.I), r"*\1*"),
    (re.compile(r"\[(u|s|color|font|center)(?:=[^\]]{0,60})?\](.{0,300}?)\[/\1\]", re.I), r"\2"),
    (re.compile(r"\[url=([^\]\s]{1,500})\](.{0,300}?)\[/url\]", re.I), r"[\2](\1)"),
    (re.compile(r"\[url\]([^\[\s]{1,500})\[/url\]", re.I), r"<\1>"),
    (re.compile(r"\[img(?:=[^\]]{0,40})?\]([^\[\s]{1,500})\[/img\]", re.I), r"![](\1)"),
    (re.compile(r"\[h([1-6])\](.{0,300}?)\[/h\1\]", re.I), lambda m: "#" * int(m.group(1)) + " " + m.group(2)),
    (re.compile(r"^\s*\[\*\][ \t]*"), "- "),
    (re.compile(r"\[/?(?:list|quote|hr)(?:=[^\]]{0,60})?\]", re.I), ""),
    (re.compile(r"^\s*\[/?code\]\s*$", re.I), "```"),
)
_BB_TITLE = re.compile(r"\s*\[size=[^\]]{1,20}\](.{0,300}?)\[/size\]\s*$", re.I)
_BB_SIZE = re.compile(r"\[size=[^\]]{1,20}\](.{0,300}?)\[/size\]", re.I)

_TEX_SECTION = re.compile(r"\s*\\(chapter|section|subsection|subsubsection|paragraph|subparagraph)\*?\{(.*)\}\s*$")
_TEX_MARK = re.compile(r"\s*\\(?:(?:sub){0,2}section\*?\{|chapter\*?\{|(?:sub)?paragraph\*?\{|item\b|textbf\{|begin\{)")
_TEX_LEVEL = {"chapter": 1, "section": 2, "subsection": 3, "subsubsection": 4}
_TEX_VERBATIM = re.compile(r"\s*\\(begin|end)\{(verbatim|lstlisting|minted|Verbatim)\}(?:\{[^}]*\})?\s*$")
_TEX_DROPPED = re.compile(
    r"\s*(?:\\(?:begin|end)\{(?:itemize|enumerate|description|document|center|quote)\}|\\documentclass\b.*"
    r"|\\usepackage\b.*|\\maketitle|\\tableofcontents|%.*)\s*$"
)
_TEX_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\\textbf\{([^{}]*)\}"), r"**\1**"),
    (re.compile(r"\\(?:textit|emph)\{([^{}]*)\}"), r"*\1*"),
    (re.compile(r"\\texttt\{([^{}]*)\}"), r"`\1`"),
    (re.compile(r"\\url\{([^{}]*)\}"), r"<\1>"),
    (re.compile(r"\\href\{([^{}]*)\}\{([^{}]*)\}"), r"[\2](\1)"),
    (re.compile(r"^(\s*)\\item\[([^\]]{1,80})\]\s*"), r"\1**\2**: "),
    (re.compile(r"^(\s*)\\item\s*"), r"\1- "),
    (re.compile(r"``(.{0,300}?)''"), r'"\1"'),
    (re.compile(r"\\([#_%&$])"), r"\1"),
    (re.compile(r"\\\\\s*$"), ""),
)

_ARROW = re.compile(
    r"([A-Za-z\u00C0-\u024F][^\s>:|]*(?:[ \t]+[^\s>:|-][^\s>:|]*){0,5})[ \t]+(?:->|=>|→|⇒)[ \t]+(\S.*)$"
)
_LABEL = re.compile(r"[A-Za-z\u00C0-\u024F][^\s`]*(?:[ \t]+[^\s`]+){0,5}$")  # a label: six words at most
_TAB_PAIR = re.compile(r"[ \t]*([^\t|]{1,80}?)[ \t]*\t[ \t]*(\S.*)$")
_DELIMITER = re.compile(r"[ \t]*\|?[ \t]*:?-{3,}")
DELIMITER_LINE = at_line_starts(_DELIMITER)
_WIKI_TABLE = re.compile(r"[ \t]*\{\|")
_BORDER = re.compile(r"[ \t]*[+┌├└╒╞╘╔╠╚╭╰][-=+─━═┬┼┴┯┿┷╤╪╧╦╬╩]{3,}[+┐┤┘╕╡╛╗╣╝╮╯][ \t]*$")
WIKI_TABLE_LINE = at_line_starts(_WIKI_TABLE)
BORDER_LINE = at_line_starts(_BORDER)
_ROW = re.compile(r"[ \t]*[|│┃║](.*)[|│┃║][ \t]*$")
_CELL = re.compile(r"[|│┃║]")
_WIKI_BOLD = re.compile(r"'''(.{1,300}?)'''")
_WIKI_ITALIC = re.compile(r"''(.{1,300}?)''")
_WIKI_LINK = re.compile(r"(?<!\[)\[(https?://[^\s\]]{1,500})[ \t]+([^\]]{1,300})\]")
_WIKI_PAGE = re.compile(r"\[\[(?:[^|\]]{1,200}\|)?([^\]]{1,200})\]\]")
_WIKI_LIST = re.compile(r"(#{1,4})[ \t]*(?=\S)")


def rewrite(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The lines as the scanner should read them (see the module's docstring)."""
    lines = _bbcode(lines)
    lines = _latex(lines)
    lines = _mediawiki(lines)
    lines = _wiki_table(lines)
    lines = _pairs(lines)
    lines = _box(lines)
    return dataforms.rewrite(lines)


def _outside_code(line: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the parts of ``line`` outside its code spans."""
    if "`" not in line:
        return change(line)
    parts = line.split("`")
    return "`".join(change(p) if k % 2 == 0 else p for k, p in enumerate(parts))


def _bbcode(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Forum BBCode: ``[b]Label[/b]`` bold, ``[size=5]Title[/size]`` alone on its line a heading,
    ``[url=U]text[/url]`` and ``[img]U[/img]`` a link and an image, ``[*]`` a list item, ``[code]``
    a fence. Read where at least ``MIN_MARKS`` lines outside code hold a closed tag."""
    if "[/" not in "".join(lines):
        return lines
    prose = _prose(lines)
    marked = [i for i, line in enumerate(lines) if prose[i] and _closed_tag("".join(line.split("`")[::2]))]
    if len(marked) < MIN_MARKS:
        return lines
    out = list(lines)
    for i, line in enumerate(lines):
        if not prose[i] or "[" not in line:
            continue
        title = _BB_TITLE.match(line)
        if title is not None and "`" not in line:
            out[i] = "## " + title.group(1).strip()
            continue
        out[i] = _outside_code(line, _bb_inline)
    return tuple(out)


def _closed_tag(text: str) -> bool:
    return any(m.group(1) == "/" for m in _BB_TAG.finditer(text))


def _bb_inline(text: str) -> str:
    text = _BB_SIZE.sub(r"\1", text)
    for pattern, repl in _BB_PAIRS:
        text = pattern.sub(repl, text)
    return text


def _latex(lines: tuple[str, ...]) -> tuple[str, ...]:
    """LaTeX: ``\\section*{X}`` and its kin headings, ``\\paragraph{X}`` a bold line, a
    ``verbatim`` environment a fence, ``\\item`` a list item, ``\\textit{TBD}`` emphasis and the
    escaped marks (``\\#``, ``\\_``) as written. Read where at least ``MIN_MARKS`` lines are
    sectioning commands."""
    if "\\" not in "".join(lines):
        return lines
    prose = _prose(lines)
    if sum(1 for i, line in enumerate(lines) if prose[i] and _TEX_MARK.match(line)) < MIN_MARKS:
        return lines
    out, verbatim = list(lines), False
    for i, line in enumerate(lines):
        if not prose[i]:
            continue
        block = _TEX_VERBATIM.match(line)
        if block is not None:
            verbatim = block.group(1) == "begin"
            out[i] = "```"
            continue
        if verbatim:
            continue
        section = _TEX_SECTION.match(line)
        if section is not None:
            words = _tex_inline(section.group(2).strip())
            level = _TEX_LEVEL.get(section.group(1))
            out[i] = f"{'#' * level} {words}" if level else f"**{words}**"
        elif _TEX_DROPPED.match(line):
            out[i] = ""
        else:
            out[i] = _tex_inline(line)
    return tuple(out)


def _tex_inline(text: str) -> str:
    for pattern, repl in _TEX_INLINE:
        text = pattern.sub(repl, text)
    return text


def _mediawiki(lines: tuple[str, ...]) -> tuple[str, ...]:
    """MediaWiki's inline marks, where at least ``MIN_MARKS`` lines outside code are its closed
    headings (``== Impact ==``) or hold its bold (``'''Impact:'''``): bold and italics as
    markdown's, ``[https://... text]`` a link, ``[[Page|text]]`` its text, and a ``#`` line a
    numbered item (a heading in markdown, a list item in MediaWiki) under its headings."""
    if "==" not in "".join(lines) and "'''" not in "".join(lines):
        return lines
    prose = _prose(lines)
    headings = sum(1 for i, line in enumerate(lines) if prose[i] and plaintext.closed_heading(line))
    bold = sum(1 for i, line in enumerate(lines) if prose[i] and _WIKI_BOLD.search(line))
    if headings + bold < MIN_MARKS:
        return lines
    out, under = list(lines), False  # under: below a wiki heading, where "# x" is a numbered item
    for i, line in enumerate(lines):
        if not prose[i] or plaintext.closed_heading(line):
            under = under or bool(prose[i])
            continue
        listed = _WIKI_LIST.match(line) if headings >= MIN_MARKS and under else None
        if listed is not None:
            line = "   " * (len(listed.group(1)) - 1) + "1. " + line[listed.end() :]
        out[i] = _outside_code(line, _wiki_inline)
    return tuple(out)


def _wiki_inline(text: str) -> str:
    text = _WIKI_BOLD.sub(r"**\1**", text)
    text = _WIKI_ITALIC.sub(r"*\1*", text)
    text = _WIKI_LINK.sub(r"[\2](\1)", text)
    return _WIKI_PAGE.sub(r"\1", text)


# A mark every pair's line holds (an arrow between blanks, as _ARROW has it: not a comment's "-->");
# beside a table, a pipe is none.
_MARK = re.compile(r"[ \t](?:->|=>|→|⇒)[ \t]|\t|\||,\"|, \"")
_MARK_NOT_PIPE = re.compile(r"[ \t](?:->|=>|→|⇒)[ \t]|\t|,\"|, \"")
_MARK_TEXTS = (" ->", " =>", "→", "⇒", "\t", "|", ',"', ', "')  # one of them is in any text _MARK finds


def _pairs(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A form written as label and answer pairs, one a line: ``Label -> answer`` (``=>``, ``→``),
    ``Label | answer`` (a table with no delimiter row), ``Label<TAB>answer`` (a spreadsheet's
    cells) or ``Label,"answer"`` (its CSV), where at least ``MIN_MARKS`` lines outside code are
    such pairs and they are most of the lines written: each a ``Label: answer`` line. The label
    is a few words at the start of the line (six at most, no code span), so an arrow or a comma
    inside a paragraph of sentences is left as it is."""
    text = "\n".join(lines)
    if not any(mark in text for mark in _MARK_TEXTS) or _MARK.search(text) is None:
        return lines  # most documents: no arrow, tab, pipe or quoted cell at all
    tables = "||" in text or lines_match(DELIMITER_LINE, text)  # a markdown or a Jira table
    mark = _MARK_NOT_PIPE if tables else _MARK  # beside a table, a pipe makes no pair
    marks = [i for i, line in enumerate(lines) if mark.search(line) and line.strip()]
    if len(marks) < MIN_MARKS:
        return lines  # a pair holds a mark: fewer lines with one than a form needs
    prose = _prose(lines)
    written = sum(1 for i, line in enumerate(lines) if prose[i] and line.strip())  # the lines a pair may be
    found = {i: _pair(lines[i], tables) for i in marks if prose[i]}
    marked = {i: pair for i, pair in found.items() if pair is not None}
    if len(marked) < MIN_MARKS or 2 * len(marked) <= written:
        return lines
    out = list(lines)
    for i, (label, answer) in marked.items():
        out[i] = f"{label}: {answer}"
    return tuple(out)


def _has_pair_mark(line: str, tables: bool = False) -> bool:
    """Whether a line holds one of the marks every pair holds (``_pair`` is None without one);
    ``tables``: the document holds a table, where a pipe alone makes no pair."""
    return (_MARK_NOT_PIPE if tables else _MARK).search(line) is not None


def _pair(line: str, tables: bool) -> tuple[str, str] | None:
    """The label and answer of a line written as a pair (None for a line without a pair's mark)."""
    found: tuple[str, str] | None = None
    arrow = _ARROW.match(line)
    if arrow is not None:
        found = (arrow.group(1), arrow.group(2))
    elif "\t" in line.strip():
        tab = _TAB_PAIR.match(line)
        found = (tab.group(1), tab.group(2)) if tab else None
    elif "|" in line and not tables:
        cells = line.strip().removeprefix("|").removesuffix("|").split("|")
        found = (cells[0], cells[1].strip()) if len(cells) == 2 and cells[1].strip() and len(cells[0]) <= 80 else None
    elif ',"' in line or ", \"" in line:
        cells = next(csv.reader([line], skipinitialspace=True), [])
        found = (cells[0].strip(), cells[1].strip()) if len(cells) == 2 and cells[1].strip() else None
    if found is None or not _LABEL.match(found[0].strip()):
        return None
    return found[0].strip(), found[1].strip()


def _wiki_table(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A MediaWiki table (``{|`` ... ``|}``) of two columns: each row (``| Root cause || the
    relay``, or its cells on lines of their own) a ``Root cause: the relay`` line; the header
    (``! Field !! Answer``), the row marks (``|-``) and the table's marks blank."""
    if not lines_match(WIKI_TABLE_LINE, "\n".join(lines)):
        return lines
    prose = _prose(lines)
    out = list(lines)
    inside, row = False, list[int]()  # row: the line numbers of the open row's cells
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not prose[i]:
            continue
        if not inside and _WIKI_TABLE.match(line):
            inside, row, out[i] = True, [], ""
        elif inside and (stripped.startswith("|-") or stripped.startswith("|}")):
            _wiki_row(out, row)
            inside, row, out[i] = not stripped.startswith("|}"), [], ""
        elif inside and stripped.startswith(("!", "|+")):
            out[i] = ""
        elif inside and stripped.startswith("|"):
            row.append(i)
    return tuple(out)


def _wiki_row(out: list[str], row: list[int]) -> None:
    """A MediaWiki table's row of two cells, written on one line or two, as a label line."""
    cells = [(i, c.strip()) for i in row for c in out[i].strip()[1:].split("||")]
    if len(cells) != 2:
        return
    out[cells[0][0]] = f"{cells[0][1]}: {cells[1][1]}".rstrip()
    if cells[1][0] != cells[0][0]:
        out[cells[1][0]] = ""


def _box(lines: tuple[str, ...]) -> tuple[str, ...]:
    """An ASCII-art box of two columns used as a form (``+------+`` borders, ``| LABEL | answer |``
    rows): each row a ``LABEL: answer`` line, a row with no label joined onto the row above it,
    the borders blank."""
    if not lines_match(BORDER_LINE, "\n".join(lines)):
        return lines
    prose = _prose(lines)
    out = list(lines)
    i = 0
    while i < len(lines):
        if not (prose[i] and _BORDER.match(lines[i])):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (_ROW.match(lines[j]) or _BORDER.match(lines[j])):
            j += 1
        rows = [k for k in range(i, j) if _ROW.match(lines[k])]
        cells = [_cells(lines[k]) for k in rows]
        if rows and all(len(c) == 2 for c in cells) and cells[0][0]:
            label: int | None = None
            for k in range(i, j):
                out[k] = ""
            for k, (left, right) in zip(rows, cells, strict=True):
                if left:
                    label = k
                    out[k] = f"{left}: {right}".rstrip()
                elif label is not None and right:
                    out[label] = f"{out[label]} {right}"
        i = j
    return tuple(out)


def _cells(line: str) -> list[str]:
    row = _ROW.match(line)
    assert row is not None
    return [cell.strip() for cell in _CELL.split(row.group(1))]
