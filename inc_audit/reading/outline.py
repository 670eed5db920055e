"""Markups the scanner reads once their lines are rewritten, line for line: a document quoted
whole (every line under ``>``), a definition list (``Term`` then ``: definition``), Org-mode
(``* Title``, ``** Root cause``, ``#+BEGIN_SRC``) and YAML front matter (``---``, ``impact: >``
with its folded lines, ``---``).

``rewrite`` gives as many lines as it is handed, so every line number the scanner gives is a
line of the text as written; lines that belong to no rewriting come back as they were. Each
test is one pass over the lines.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r" {0,3}> ?")
_ORG_HEADING = re.compile(r"(\*{1,6})[ \t]+(\S.*)$")
_ORG_DEEP = re.compile(r"\*{2,6}[ \t]+\S")
_ORG_DIRECTIVE = re.compile(r"#\+(?:title|author|date|begin_|end_|options|startup)", re.IGNORECASE)
_ORG_BLOCK = re.compile(r"[ \t]*#\+(begin|end)_\w+", re.IGNORECASE)
_ATX = re.compile(r" {0,3}#{1,6}[ \t]")
_FRONT_FENCE = re.compile(r"---[ \t]*$")
_FRONT_END = re.compile(r"(?:---|\.\.\.)[ \t]*$")
_DEFINITION = re.compile(r"[ \t]{0,3}:[ \t]+(?=\S)")
_YAML_KEY = re.compile(r"([A-Za-z_\u00C0-\u024F][\w \u00C0-\u024F/-]{0,60}):(?:[ \t]+(.*))?$")
_BLOCK_SCALAR = re.compile(r"[>|][+-]?[ \t]*$")


def rewrite(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The lines as the scanner should read them (see the module's docstring)."""
    lines = _unquoted(lines)
    lines = _org(lines)
    lines = _definitions(lines)
    return _front_matter(lines)


def _unquoted(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A document every line of which is quoted is read as what it quotes (one level)."""
    written = [line for line in lines if line.strip()]
    if not written or not all(line.lstrip(" ")[:1] == ">" for line in written):
        return lines
    return tuple(_QUOTED.sub("", line, count=1) if line.strip() else line for line in lines)


def _org(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Org-mode's headings as ATX headings and its blocks as fences, in a document that shows
    Org-mode (a ``** heading`` or an ``#+`` directive) and no markdown heading."""
    org = False
    for line in lines:
        if _ATX.match(line):
            return lines
        org = org or bool(_ORG_DEEP.match(line) or _ORG_DIRECTIVE.match(line))
    if not org:
        return lines
    out = []
    for line in lines:
        heading = _ORG_HEADING.match(line)
        if heading:
            out.append("#" * len(heading.group(1)) + " " + heading.group(2))
        elif _ORG_BLOCK.match(line):
            out.append("```")
        elif line.startswith("#+"):
            out.append("")
        else:
            out.append(line)
    return tuple(out)


def _definitions(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A definition list (``Root cause`` then ``: The widget URL...``, at least two of them): each
    definition's ``:`` marker goes, so its term is a short line alone above its text."""
    marked = [i for i, line in enumerate(lines) if _DEFINITION.match(line) and i and _is_term(lines[i - 1])]
    if len(marked) < 2:
        return lines
    out = list(lines)
    for i in marked:
        out[i] = _DEFINITION.sub("", lines[i], count=1)
    return tuple(out)


def _is_term(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith(":") and len(line.split()) <= 8


def _front_matter(lines: tuple[str, ...]) -> tuple[str, ...]:
    """YAML front matter (a ``---`` line first, ``key: value`` lines, a closing ``---``): each key
    a ``key: value`` label on its line, a folded value (``key: >`` and its indented lines) joined
    onto it, quotes around a value dropped, the fences blank."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or not _FRONT_FENCE.match(lines[start]):
        return lines
    end = next((i for i in range(start + 1, len(lines)) if _FRONT_END.match(lines[i])), None)
    if end is None or end == start + 1:
        return lines
    out = list(lines)
    out[start] = out[end] = ""
    key_line: int | None = None
    for i in range(start + 1, end):
        line = lines[i]
        key = _YAML_KEY.match(line)
        if key is not None:
            key_line = i
            value = (key.group(2) or "").strip()
            value = "" if _BLOCK_SCALAR.match(value) else _unquote(value)
            out[i] = f"{key.group(1).strip()}: {value}".rstrip()
        elif line[:1] in (" ", "\t") and line.strip() and key_line is not None:
            out[key_line] = f"{out[key_line]} {line.strip()}".replace(":  ", ": ")
            out[i] = ""
        elif line.strip():
            return lines  # not front matter: a line that is neither a key nor a value's
    return tuple(out)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
