"""Markups the scanner reads once their lines are rewritten, line for line: a document quoted
whole (every line under ``>``); markdown escaped by the editor it was exported from
(``\\#\\#\\# Root cause``, ``\\* item``: Google Docs, Word converters); Confluence's storage
format (its ``<ac:...>`` macro tags gone, a macro's parameters no text, a ``<![CDATA[...]]>``
body its text); a filled template pasted inside a code fence by mistake, when no heading
stands outside it; callouts (GitLab's alerts, ``> [!note] Root cause``, and quoted blocks
each led by a head, as Notion exports its callouts: ``> 💡 **Root cause**``); a definition
list (``Term`` then ``: definition``); reStructuredText field lists (``:Impact: 3 h``);
Org-mode (``* Title``, ``** Root cause``, ``#+BEGIN_SRC``) and YAML front matter (``---``,
``impact: >`` with its folded lines, ``---``).

``rewrite`` gives as many lines as it is handed, so every line number the scanner gives is a
line of the text as written; lines that belong to no rewriting come back as they were. Each
test is one pass over the lines.
"""

from __future__ import annotations

import re

from inc_audit.reading import formats
from inc_audit.reading.dataforms import BLOCK_SCALAR, at_line_starts, lines_match, unquote

_QUOTED = re.compile(r" {0,3}> ?")
_ALERT = re.compile(r" {0,3}> ?\[!(\w+)\][ \t]*(.*)$")
_QUOTED_HEAD = re.compile(r" {0,3}> ?(?:#{1,6}[ \t]+\S|\W{0,3}[ \t]*(?:\*\*|__)[^*_].{0,80}(?:\*\*|__)[ \t]*:?[ \t]*$)")
_ESCAPED = re.compile(r"( {0,3})((?:\\#){1,6}|\\[*+-]|\d{1,3}\\\.)(?=[ \t])|( {0,3})(\\[*_]\\[*_])(?=\S)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")  # markdown's escapable marks, escaped
MIN_ESCAPED = 2  # lines led by escaped markdown that make a document exported escaped
MIN_CALLOUTS = 2  # quoted blocks led by a head that make a document of callouts
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*(?:markdown|md|text|txt|plain)?[ \t]*$", re.IGNORECASE)
_FENCED_HEADING = re.compile(r" {0,3}#{2,6}[ \t]+\S")
MIN_HEADINGS = 2  # headings inside a fence that make it a pasted document
_CONFLUENCE_PARAMETER = re.compile(r"<ac:parameter\b[^<>]{0,300}>[^<]{0,300}</ac:parameter>", re.IGNORECASE)
_CONFLUENCE_TAG = re.compile(r"</?(?:ac|ri):[\w.-]{1,40}\b[^<>]{0,2000}/?>", re.IGNORECASE)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_FIELD = re.compile(r"([ \t]{0,3}):([^\s:`][^:`]{0,60}):(?=[ \t]|$)")
MIN_FIELDS = 2  # lines of a field list that make one
_ORG_HEADING = re.compile(r"(\*{1,6})[ \t]+(\S.*)$")
_ORG_DEEP = re.compile(r"\*{2,6}[ \t]+\S")
_ORG_DIRECTIVE = re.compile(r"#\+(?:title|author|date|begin_|end_|options|startup)", re.IGNORECASE)
_ORG_BLOCK = re.compile(r"[ \t]*#\+(begin|end)_\w+", re.IGNORECASE)
_ATX = re.compile(r" {0,3}#{1,6}[ \t]")
_FRONT_FENCE = re.compile(r"---[ \t]*$")
_FRONT_END = re.compile(r"(?:---|\.\.\.)[ \t]*$")
_DEFINITION = re.compile(r"[ \t]{0,3}:[ \t]+(?=\S)")
_YAML_KEY = re.compile(r"([A-Za-z_\u00C0-\u024F][\w \u00C0-\u024F/-]{0,60}):(?:[ \t]+(.*))?$")
DEFINITION_LINE = at_line_starts(_DEFINITION)
QUOTED_LINE = at_line_starts(_QUOTED)
FIELD_LINE = at_line_starts(re.compile(r"([ \t]{0,3}):([^\s:`][^:`\n]{0,60}):(?=[ \t]|$)"))  # _FIELD, kept to a line


def rewrite(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The lines as the scanner should read them (see the module's docstring and ``formats``)."""
    lines = formats.rewrite(lines)
    lines = _unescaped(lines)
    lines = _confluence(lines)
    lines = _unfenced(lines)
    lines = _callouts(lines)  # before a document quoted whole: "> [!note] Nature" blocks, each its own
    lines = _unquoted(lines)
    lines = _org(lines)
    lines = _definitions(lines)
    lines = _fields(lines)
    return _front_matter(lines)


def unquoted_text(text: str) -> str:
    """``text`` with one level of ``>`` taken off every quoted line (an e-mail forwarded whole)."""
    return "\n".join(_QUOTED.sub("", line, count=1) for line in text.split("\n"))


def _unquoted(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A document every line of which is quoted is read as what it quotes (one level)."""
    written = False
    for line in lines:  # every line written quoted: the first that is not ends the reading
        if line.strip():
            if line.lstrip(" ")[:1] != ">":
                return lines
            written = True
    if not written:
        return lines
    return tuple(_QUOTED.sub("", line, count=1) if line.strip() else line for line in lines)


def _unescaped(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Markdown escaped by an exporter read as written (``\\#\\# Title``, ``\\* item``, ``1\\. step``,
    ``\\*\\*Cause\\*\\*``), where at least ``MIN_ESCAPED`` lines are led by an escaped mark: every
    escaped mark of such a document (but on lines holding code) loses its backslash."""
    if "\\" not in "\n".join(lines):
        return lines
    marked = [i for i, line in enumerate(lines) if _ESCAPED.match(line)]
    if len(marked) < MIN_ESCAPED:
        return lines
    return tuple(_ESCAPE.sub(r"\1", line) if "\\" in line and "`" not in line else line for line in lines)


def _confluence(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Confluence's storage format read as the HTML it holds: ``<ac:structured-macro>`` and the
    other ``ac:``/``ri:`` tags gone, a macro's ``<ac:parameter>`` (its language, its title
    colour) no text, a ``<![CDATA[...]]>`` body its text."""
    text = "\n".join(lines)
    if "<ac:" not in text and "<ri:" not in text:
        return lines
    out = []
    for line in lines:
        if "<ac:" in line or "</ac:" in line or "<ri:" in line or "<![CDATA[" in line:
            line = _CONFLUENCE_PARAMETER.sub("", line)
            line = _CDATA.sub(lambda m: m.group(1), line)
            line = _CONFLUENCE_TAG.sub("", line)
        out.append(line)
    return tuple(out)


def _unfenced(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A document whose headings all stand inside code fences (``` then ``### Root cause``...):
    each fence holding ``MIN_HEADINGS`` headings or more is read as markdown, its fence
    lines blank. A heading outside the fences leaves every fence a code block."""
    text = "\n".join(lines)
    if "``" not in text and "~~" not in text:
        return lines
    fences: list[tuple[int, int]] = []
    opened: tuple[int, str] | None = None
    for i, line in enumerate(lines):
        fence = _FENCE.match(line) if opened is None else None
        if opened is None and fence is not None:
            opened = (i, fence.group(1))
        elif opened is not None and line.strip().startswith(opened[1]) and not line.strip().strip(opened[1][0]):
            fences.append((opened[0], i))
            opened = None
        elif opened is None and line.lstrip(" ")[:1] in ("`", "~") and line.strip()[:3] in ("```", "~~~"):
            return lines  # a fence with a language: code
        elif opened is None and _ATX.match(line):
            return lines
    inside = [(a, b) for a, b in fences if sum(bool(_FENCED_HEADING.match(x)) for x in lines[a:b]) >= MIN_HEADINGS]
    if opened is not None or not inside:
        return lines
    out = list(lines)
    for a, b in inside:
        out[a] = out[b] = ""
    return tuple(out)


def _callouts(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Quoted blocks that are a document's sections: a GitLab alert's title line is a heading
    (``> [!warning] Evidence`` as ``#### Evidence``; an alert without a title keeps its text),
    and where at least ``MIN_CALLOUTS`` quoted blocks each start with a head (a heading, or a bold
    line led by an emoji), those blocks are read unquoted. Other quotes stay quotes."""
    if not lines_match(QUOTED_LINE, "\n".join(lines)):
        return lines  # an alert or a callout's head is a quoted line (three spaces at most before ">")
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip(" ")[:1] == ">":
            j = i
            while j < len(lines) and lines[j].lstrip(" ")[:1] == ">":
                j += 1
            blocks.append((i, j))
            i = j
        else:
            i += 1
    alerts = [(a, b) for a, b in blocks if _ALERT.match(lines[a])]
    headed = [(a, b) for a, b in blocks if _QUOTED_HEAD.match(lines[a])]
    chosen = alerts + (headed if len(headed) + len(alerts) >= MIN_CALLOUTS else [])
    if not chosen:
        return lines
    out = list(lines)
    for start, end in chosen:
        for k in range(start, end):
            out[k] = _QUOTED.sub("", lines[k], count=1)
        alert = _ALERT.match(lines[start])
        if alert is not None:
            out[start] = f"#### {alert.group(2).strip()}" if alert.group(2).strip() else ""
    return tuple(out)


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
    if not lines_match(DEFINITION_LINE, "\n".join(lines), 2):
        return lines  # a definition is a line DEFINITION_LINE finds
    marked = [i for i, line in enumerate(lines) if _DEFINITION.match(line) and i and _is_term(lines[i - 1])]
    if len(marked) < 2:
        return lines
    out = list(lines)
    for i in marked:
        out[i] = _DEFINITION.sub("", lines[i], count=1)
    return tuple(out)


def _fields(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A reStructuredText field list (``:Root cause: the cache``, two fields at least): each field a
    ``Root cause: the cache`` label, or a label alone when its value is on the lines below."""
    if not lines_match(FIELD_LINE, "\n".join(lines), MIN_FIELDS):
        return lines  # a field is a line FIELD_LINE finds
    marked = [i for i, line in enumerate(lines) if _FIELD.match(line)]
    if len(marked) < MIN_FIELDS:
        return lines
    out = list(lines)
    for i in marked:
        out[i] = _FIELD.sub(r"\1\2:", lines[i], count=1)
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
            value = "" if BLOCK_SCALAR.match(value) else unquote(value)
            out[i] = f"{key.group(1).strip()}: {value}".rstrip()
        elif line[:1] in (" ", "\t") and line.strip() and key_line is not None:
            out[key_line] = f"{out[key_line]} {line.strip()}".replace(":  ", ": ")
            out[i] = ""
        elif line.strip():
            return lines  # not front matter: a line that is neither a key nor a value's
    return tuple(out)
