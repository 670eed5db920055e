"""More markups read once their lines are rewritten, line for line (as ``outline`` does): forum
BBCode (``[b]Root cause[/b]``, ``[url=...]``, ``[img]``), LaTeX sectioning (``\\subsection*{Impact}``,
``verbatim``, ``\\textit{TBD}``), INI ``[section]`` blocks, ``Label -> answer`` lines, ASCII-art
boxes used as forms (``| IMPACT | none |`` between ``+----+`` borders) and documents written
whole as YAML (bare, or in a ``yaml`` fence; ``null`` and ``~`` say nothing) or as a JSON object
over several lines (``null`` says nothing).

Each rewriting reads a document only when it shows that markup at least twice, never inside a
code fence or a code span, and gives back as many lines as it is handed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

MIN_MARKS = 2  # lines showing a markup that make a document written in it
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")

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
    (re.compile(r"^\s*\[/?(?:list|quote)(?:=[^\]]{0,40})?\]\s*$", re.I), ""),
    (re.compile(r"^\s*\[/?code\]\s*$", re.I), "```"),
)
_BB_TITLE = re.compile(r"\s*\[size=[^\]]{1,20}\](.{0,300}?)\[/size\]\s*$", re.I)
_BB_SIZE = re.compile(r"\[size=[^\]]{1,20}\](.{0,300}?)\[/size\]", re.I)

_TEX_SECTION = re.compile(r"\s*\\(chapter|section|subsection|subsubsection|paragraph)\*?\{(.*)\}\s*$")
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
    (re.compile(r"^(\s*)\\item(?:\[[^\]]*\])?\s*"), r"\1- "),
    (re.compile(r"``(.{0,300}?)''"), r'"\1"'),
    (re.compile(r"\\([#_%&$])"), r"\1"),
    (re.compile(r"\\\\\s*$"), ""),
)

_INI = re.compile(r"\[([A-Za-z\u00C0-\u024F][\w \u00C0-\u024F/-]{0,40})\][ \t]*$")
_SETTING = re.compile(r"[ \t]*[\w.-]{1,60}[ \t]*=")
_ARROW = re.compile(
    r"([A-Za-z\u00C0-\u024F][^\s>:|]*(?:[ \t]+[^\s>:|-][^\s>:|]*){0,5})[ \t]+(?:->|=>|→|⇒)[ \t]+(\S.*)$"
)
_BORDER = re.compile(r"[ \t]*\+[-=+]{3,}\+[ \t]*$")
_ROW = re.compile(r"[ \t]*\|(.*)\|[ \t]*$")

_YAML_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*(?:ya?ml)[ \t]*$", re.I)
_YAML_KEY = re.compile(r"( *)([A-Za-z_\u00C0-\u024F][\w \u00C0-\u024F/-]{0,60}):(?:[ \t]+(.*))?$")
_YAML_ITEM = re.compile(r"( *)- (.*)$")
_BLOCK_SCALAR = re.compile(r"[>|][+-]?[ \t]*$")
_NULL = re.compile(r"(?:null|Null|NULL|~)$")
_JSON_MEMBER = re.compile(r"[ \t]*(\"(?:[^\"\\]|\\.){1,80}\")[ \t]*:[ \t]*(.*?)[ \t]*,?[ \t]*$")
_JSON_ITEM = re.compile(r"[ \t]*(\"(?:[^\"\\]|\\.){0,2000}\"|-?\d[\d.eE+-]{0,30}|true|false)[ \t]*,?[ \t]*$")
_JSON_CLOSE = re.compile(r"[ \t]*[\]}][ \t]*,?[ \t]*$")
MAX_JSON = 200_000  # characters of a document read as JSON


def rewrite(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The lines as the scanner should read them (see the module's docstring)."""
    lines = _bbcode(lines)
    lines = _latex(lines)
    lines = _ini(lines)
    lines = _arrows(lines)
    lines = _box(lines)
    lines = _json(lines)
    return _yaml(lines)


def _prose(lines: tuple[str, ...]) -> list[bool]:
    """Whether each line is outside a code fence (the fence lines themselves are not)."""
    out, fence = [], ""
    for line in lines:
        mark = _FENCE.match(line)
        if fence:
            out.append(False)
            if (
                mark
                and mark.group(1)[0] == fence[0]
                and len(mark.group(1)) >= len(fence)
                and not line.strip().strip(fence[0])
            ):
                fence = ""
        elif mark:
            out.append(False)
            fence = mark.group(1)
        else:
            out.append(True)
    return out


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
    if sum(1 for i, line in enumerate(lines) if prose[i] and _TEX_SECTION.match(line)) < MIN_MARKS:
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


def _ini(lines: tuple[str, ...]) -> tuple[str, ...]:
    """INI ``[section]`` lines, each alone on its line with text below it, as headings (``[root
    cause]`` as ``### root cause``), where at least ``MIN_MARKS`` of them stand outside code."""
    if "[" not in "".join(lines):
        return lines
    prose = _prose(lines)
    heads = [
        i
        for i, line in enumerate(lines)
        if prose[i] and _INI.match(line) and i + 1 < len(lines) and _ini_text(lines[i + 1])
    ]
    if len(heads) < MIN_MARKS:
        return lines
    out = list(lines)
    for i in heads:
        name = _INI.match(lines[i])
        assert name is not None
        out[i] = "### " + name.group(1).replace("_", " ").strip()
    return tuple(out)


def _ini_text(line: str) -> bool:
    """Whether a line under an INI head is text: not empty, not another head, not a setting
    (``ExecStart=/usr/bin/signer``: a configuration file pasted, whose sections are no answers)."""
    return bool(line.strip()) and not _INI.match(line) and not _SETTING.match(line)


def _arrows(lines: tuple[str, ...]) -> tuple[str, ...]:
    """``Label -> answer`` lines (``=>``, ``→`` too), where at least ``MIN_MARKS`` lines outside
    code start so and they are most of the lines written: each a ``Label: answer`` line. The
    label is a few words at the start of the line (six at most, no code span), so an arrow inside
    a paragraph of sentences is left as it is."""
    if not any(a in line for line in lines for a in ("->", "=>", "→", "⇒")):
        return lines
    prose = _prose(lines)
    marked = [i for i, line in enumerate(lines) if prose[i] and _arrow_label(line)]
    written = sum(1 for i, line in enumerate(lines) if prose[i] and line.strip())
    if len(marked) < MIN_MARKS or 2 * len(marked) <= written:
        return lines
    out = list(lines)
    for i in marked:
        arrow = _ARROW.match(lines[i])
        assert arrow is not None
        out[i] = f"{arrow.group(1)}: {arrow.group(2)}"
    return tuple(out)


def _arrow_label(line: str) -> bool:
    arrow = _ARROW.match(line)
    return arrow is not None and "`" not in arrow.group(1)


def _box(lines: tuple[str, ...]) -> tuple[str, ...]:
    """An ASCII-art box of two columns used as a form (``+------+`` borders, ``| LABEL | answer |``
    rows): each row a ``LABEL: answer`` line, a row with no label joined onto the row above it,
    the borders blank."""
    if not any(_BORDER.match(line) for line in lines):
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
    return [cell.strip() for cell in row.group(1).split("|")]


def _json(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A document written whole as a JSON object over several lines: each member a ``key: value``
    label (a string unquoted, ``null`` empty, an array on its line its items joined by ``;``, an
    array over lines a list, an object holding members saying nothing itself), brackets blank."""
    written = [i for i, line in enumerate(lines) if line.strip()]
    if len(written) < 3 or lines[written[0]].strip() != "{" or not lines[written[-1]].strip().startswith("}"):
        return lines
    text = "\n".join(lines)
    if len(text) > MAX_JSON:
        return lines
    try:
        if not isinstance(json.loads(text), dict):
            return lines
    except ValueError:
        return lines
    out = list(lines)
    for i in written:
        line = lines[i]
        member, item = _JSON_MEMBER.match(line), _JSON_ITEM.match(line)
        if line.strip() in ("{", "[") or _JSON_CLOSE.match(line):
            out[i] = ""
        elif member is not None and member.group(2).strip() == "{":
            out[i] = ""  # an object holding members: its members say what it holds
        elif member is not None:
            out[i] = f"{json.loads(member.group(1))}: {_json_value(member.group(2))}".rstrip()
        elif item is not None:
            out[i] = f"- {_json_value(item.group(1))}"
        else:
            return lines  # a shape of JSON not read line by line
    return tuple(out)


def _json_value(value: str) -> str:
    """A member's value as written on its line: a string unquoted, ``null`` and an opening
    bracket nothing, an array closed on its line its items joined by ``;``."""
    value = value.strip().rstrip(",").strip()
    if value in ("null", "{", "[", "[]", "{}", '""'):
        return ""
    try:
        found = json.loads(value)
    except ValueError:
        return value
    if isinstance(found, list):
        return "; ".join(str(x) for x in found if x is not None)
    return str(found) if not isinstance(found, dict) else ""


def _yaml(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A document written whole as YAML, bare or in one ``yaml`` fence with nothing outside it:
    each key a ``key: value`` label at the margin (a key holding only other keys, ``incident:``,
    says nothing), a folded value (``key: >``) joined onto its key, list items kept, quotes
    dropped, and ``null`` or ``~`` an empty value."""
    written = [i for i, line in enumerate(lines) if line.strip()]
    if not written:
        return lines
    start, end = written[0], written[-1] + 1
    fenced = bool(_YAML_FENCE.match(lines[start])) and _FENCE.match(lines[end - 1]) is not None and end - start > 2
    body = range(start + 1, end - 1) if fenced else range(start, end)
    keys = 0
    for i in body:
        line = lines[i]
        if not line.strip():
            continue
        if _YAML_KEY.match(line):
            keys += 1
        elif not (_YAML_ITEM.match(line) or line[:1] in (" ", "\t")):
            return lines
    if keys < MIN_MARKS or (not fenced and not any(_is_null(lines[i]) for i in body)):
        return lines  # bare key: value lines are read as labels already; only their nulls need saying
    out = list(lines)
    if fenced:
        out[start] = out[end - 1] = ""
    key_line: int | None = None
    for i in body:
        line = lines[i]
        key = _YAML_KEY.match(line)
        item = _YAML_ITEM.match(line)
        if key is not None and not item:
            value = (key.group(3) or "").strip()
            nested = (
                not value
                and i + 1 < len(lines)
                and len(lines[i + 1]) - len(lines[i + 1].lstrip(" ")) > len(key.group(1))
            )
            nested = nested and bool(_YAML_KEY.match(lines[i + 1].strip()))
            if nested:
                out[i], key_line = "", None
                continue
            key_line = i
            value = "" if _BLOCK_SCALAR.match(value) or _NULL.match(value) else _unquote(value)
            out[i] = f"{key.group(2).strip()}: {value}".rstrip()
        elif item is not None:
            out[i] = f"- {_unquote(item.group(2).strip())}"
        elif line.strip() and key_line is not None:
            out[key_line] = f"{out[key_line]} {line.strip()}".replace(":  ", ": ")
            out[i] = ""
    return tuple(out)


def _is_null(line: str) -> bool:
    key = _YAML_KEY.match(line)
    return key is not None and bool(_NULL.match((key.group(3) or "").strip()))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
