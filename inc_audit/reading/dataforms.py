"""Documents written whole as data, read once their lines are rewritten, line for line (as
``outline`` and ``formats`` do): INI ``[section]`` lines with text under them; documents written
whole as INI or TOML settings (``root_cause = "..."``, ``[section]``, ``# comments``), as YAML
(bare, or in a ``yaml`` fence; ``null`` and ``~`` say nothing) or as a JSON object over several
lines (``null`` says nothing). Each is read only where it shows its form at least twice, never
inside a code fence, and gives back as many lines as it is handed.
"""

from __future__ import annotations

import json
import re

MIN_MARKS = 2  # lines showing a markup that make a document written in it
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_INI = re.compile(r"\[([A-Za-z\u00C0-\u024F][\w \u00C0-\u024F/-]{0,40})\][ \t]*$")
_SETTING = re.compile(r"[ \t]*[\w.-]{1,60}[ \t]*=")
_YAML_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*(?:ya?ml)[ \t]*$", re.I)
_YAML_KEY = re.compile(r"( *)([A-Za-z_\u00C0-\u024F][\w \u00C0-\u024F/-]{0,60}):(?:[ \t]+(.*))?$")
_YAML_ITEM = re.compile(r"( *)- (.*)$")
BLOCK_SCALAR = re.compile(r"[>|][+-]?[ \t]*$")
_NULL = re.compile(r"(?:null|Null|NULL|~)$")
_JSON_MEMBER = re.compile(r"[ \t]*(\"(?:[^\"\\]|\\.){1,80}\")[ \t]*:[ \t]*(.*)$")
_JSON_ITEM = re.compile(r"[ \t]*(\"(?:[^\"\\]|\\.){0,2000}\"|-?\d[\d.eE+-]{0,30}|true|false)[ \t]*,?[ \t]*$")
_JSON_CLOSE = re.compile(r"[ \t]*[\]}][ \t]*,?[ \t]*$")
MAX_JSON = 200_000  # characters of a document read as JSON
_KEY_WORD = r"[\w.\u00C0-\u024F/-]"
_KEY_VALUE = re.compile(
    rf"[ \t]*([A-Za-z_\u00C0-\u024F]{_KEY_WORD}{{0,40}}(?: {_KEY_WORD}{{1,40}})?)[ \t]*=[ \t]*(.*)$"
)  # a key of one or two words
_COMMENT = re.compile(r"[ \t]*[#;]")


def at_line_starts(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` (one read line by line with ``match``, holding no ``^``) after a line break: searched
    over a text of lines joined, a line break put before it, it finds each line ``pattern`` matches
    (``$`` ends a line under MULTILINE). Its first character a literal, the search skips to each
    line break in C, where a pattern tried line by line costs a Python step a line."""
    return re.compile(r"\n(?:" + pattern.pattern + ")", pattern.flags | re.MULTILINE)


def lines_match(found: re.Pattern[str], text: str, count: int = 1) -> bool:
    """Whether at least ``count`` lines of ``text`` (lines joined by line breaks) match the pattern
    ``found`` was made from by ``at_line_starts`` (the search stops there)."""
    seen = 0
    for _ in found.finditer("\n" + text):
        seen += 1
        if seen >= count:
            return True
    return seen >= count


INI_LINE = at_line_starts(_INI)


def rewrite(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The lines as the scanner should read them (see the module's docstring)."""
    lines = _settings(lines)
    lines = _ini(lines)
    lines = _json(lines)
    return _yaml(lines)


def prose(lines: tuple[str, ...]) -> list[bool]:
    """Whether each line is outside a code fence (the fence lines themselves are not). The
    rewritings ask it of the same lines one after another: the last answer is kept (callers
    only read it)."""
    last = _LAST_PROSE[0]
    if last[0] is lines:
        return last[1]
    out = _prose(lines)
    _LAST_PROSE[0] = (lines, out)
    return out


def _prose(lines: tuple[str, ...]) -> list[bool]:
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


def _ini(lines: tuple[str, ...]) -> tuple[str, ...]:
    """INI ``[section]`` lines, each alone on its line with text below it, as headings (``[root
    cause]`` as ``### root cause``), where at least ``MIN_MARKS`` of them stand outside code."""
    if "[" not in "".join(lines) or not lines_match(INI_LINE, "\n".join(lines), MIN_MARKS):
        return lines  # a head is a line INI_LINE finds: fewer of them than a form needs
    outside = prose(lines)
    heads = [
        i
        for i, line in enumerate(lines)
        if outside[i] and _INI.match(line) and i + 1 < len(lines) and _ini_text(lines[i + 1])
    ]
    if len(heads) < MIN_MARKS:
        return lines
    out = list(lines)
    for i in heads:
        name = _INI.match(lines[i])
        assert name is not None
        out[i] = "### " + name.group(1).replace("_", " ").strip()
    return tuple(out)


def _settings(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A document written whole as INI or TOML settings, ``MIN_MARKS`` of them at least: each
    ``key = value`` a ``key: value`` label (quotes dropped, an array's items joined by ``;``), each
    ``[section]`` a heading, comments blank; an array over lines (``key = [`` ... ``]``) a list."""
    if "=" not in "".join(lines):
        return lines
    out, settings, array = list(lines), 0, False
    for i, line in enumerate(lines):
        stripped = line.strip()
        setting = _KEY_VALUE.match(line)
        if not stripped:
            continue
        if array:
            array = not stripped.startswith("]")
            out[i] = "" if not array else f"- {_data_value(stripped.rstrip(','))}"
        elif _INI.match(line):
            out[i] = "### " + stripped[1:-1].replace("_", " ").strip()
        elif _COMMENT.match(line):
            out[i] = ""
        elif setting is not None:
            settings += 1
            value = setting.group(2).strip()
            array = value == "["
            out[i] = f"{setting.group(1).strip()}: {'' if array else _data_value(value)}".rstrip()
        else:
            return lines
    return tuple(out) if settings >= MIN_MARKS else lines


def _data_value(value: str) -> str:
    """A setting's value as written: quotes dropped, an array on one line its items joined."""
    if value.startswith("[") and value.endswith("]"):
        items = [unquote(x.strip()) for x in value[1:-1].split(",")]
        return "; ".join(x for x in items if x)
    return unquote(value)


def _ini_text(line: str) -> bool:
    """Whether a line under an INI head is text: not empty, not another head, not a setting
    (``ExecStart=/usr/bin/signer``: a configuration file pasted, whose sections are no answers)."""
    return bool(line.strip()) and not _INI.match(line) and not _SETTING.match(line)


def _json(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A document written whole as a JSON object over several lines: each member a ``key: value``
    label (a string unquoted, ``null`` empty, an array on its line its items joined by ``;``, an
    array over lines a list, an object holding members saying nothing itself), brackets blank."""
    first = next((line for line in lines if line.strip()), "")
    last = next((line for line in reversed(lines) if line.strip()), "")
    if first.strip() != "{" or not last.strip().startswith("}"):
        return lines
    written = [i for i, line in enumerate(lines) if line.strip()]
    if len(written) < 3:
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
    dropped, comments and ``---`` blank, and ``null`` or ``~`` an empty value."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        return lines
    end = next(i for i in range(len(lines) - 1, start - 1, -1) if lines[i].strip()) + 1
    fenced = bool(_YAML_FENCE.match(lines[start])) and _FENCE.match(lines[end - 1]) is not None and end - start > 2
    body = range(start + 1, end - 1) if fenced else range(start, end)
    keys = 0
    for i in body:
        line = lines[i]
        if not line.strip() or _yaml_aside(line):
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
        if _yaml_aside(line):
            out[i] = ""
        elif key is not None and not item:
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
            value = "" if BLOCK_SCALAR.match(value) or _NULL.match(value) else unquote(value)
            out[i] = f"{key.group(2).strip()}: {value}".rstrip()
        elif item is not None:
            out[i] = f"- {unquote(item.group(2).strip())}"
        elif line.strip() and key_line is not None:
            out[key_line] = f"{out[key_line]} {line.strip()}".replace(":  ", ": ")
            out[i] = ""
    return tuple(out)


def _yaml_aside(line: str) -> bool:
    """A YAML comment (``# ...``) or a document marker (``---``), which say nothing."""
    stripped = line.strip()
    return stripped.startswith("#") or stripped in ("---", "...")


def _is_null(line: str) -> bool:
    key = _YAML_KEY.match(line)
    return key is not None and bool(_NULL.match((key.group(3) or "").strip()))


def unquote(value: str) -> str:
    """A YAML or TOML value without the quotes around it."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


_LAST_PROSE: list[tuple[tuple[str, ...], list[bool]]] = [((), [])]  # the lines last read, and their answer
