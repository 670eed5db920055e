"""A document's verdict does not depend on how its headings are marked: every verdict-set
document written with markdown headings is read again with each heading rewritten as a bold
line, a numbered heading, a heading led by an emoji, an HTML heading, in upper case, and as a
bold line led by an emoji, and must give the same problems; so must each document with its
sections wrapped in ``<details>`` blocks or under ``<strong>`` or wiki ``*bold*`` lines, and
with CRLF line endings, a byte order mark, typographic apostrophes or more spacing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from inc_audit.reading import schemas, validity

TESTS = Path(__file__).resolve().parent
SETS = [TESTS / "blind", *(TESTS / "styles" / f"tuning{n}" for n in ("", "2", "3", "4", "5", "6"))]
ATX = re.compile(r"^(#{2,6})[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M)
FORMS: dict[str, Callable[[re.Match[str]], str]] = {
    "bold": lambda m: f"**{m.group(2)}**",
    "numbered": lambda m: f"## 1. {m.group(2)}",
    "emoji": lambda m: f"{m.group(1)} 📌 {m.group(2)}",
    "html": lambda m: f"<h{len(m.group(1))}>{m.group(2)}</h{len(m.group(1))}>\n",  # an HTML block ends at a blank line
    "upper case": lambda m: f"{m.group(1)} {m.group(2).upper()}",
    "emoji and bold": lambda m: f"📌 **{m.group(2)}**",
}


def documents() -> list[tuple[str, str, str]]:
    found = []
    for folder in SETS:
        for case in json.loads((folder / "cases.json").read_text(encoding="utf-8"))["cases"]:
            text = (folder / case["file"]).read_text(encoding="utf-8")
            if ATX.search(text):
                found.append((f"{folder.name}/{case['file']}", case["kind"], text))
    return found


def problems(kind: str, text: str) -> set[tuple[str, str]]:
    return {(p.kind, p.part.name) for p in validity.check_text(schemas.load(kind), text)}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_documents_problems_do_not_depend_on_how_its_headings_are_marked(form):
    changed = []
    for name, kind, text in documents():
        before, after = problems(kind, text), problems(kind, ATX.sub(FORMS[form], text))
        if before != after:
            changed.append(f"{name}: {sorted(before)} -> {sorted(after)}")
    assert len(documents()) > 150
    assert changed == []


SECTIONS = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M)
WHOLE: dict[str, Callable[[str], str]] = {
    "CRLF line endings": lambda t: t.replace("\n", "\r\n"),
    "a byte order mark": lambda t: "\ufeff" + t,
    "typographic apostrophes": lambda t: t.replace("'", "\u2019"),
    "trailing spaces": lambda t: re.sub(r"$", "   ", t, flags=re.M),
    "more blank lines": lambda t: t.replace("\n\n", "\n\n\n\n"),
}


def _sections_as(form: Callable[[str, str], str], text: str) -> str:
    """Each section under a heading of level 2 or more rewritten whole by ``form(heading, body)``."""
    heads = list(SECTIONS.finditer(text))
    out = [text[: heads[0].start()] + "\n"]
    for i, m in enumerate(heads):
        body = text[m.end() : heads[i + 1].start() if i + 1 < len(heads) else len(text)].strip("\n")
        out.append(form(m.group(2), body) if len(m.group(1)) > 1 else f"{m.group(0)}\n{body}\n")
    return "\n".join(out) + "\n"


BLOCKS: dict[str, Callable[[str, str], str]] = {
    "details blocks": lambda h, b: f"<details><summary>{h}</summary>\n\n{b}\n\n</details>\n",
    "strong lines": lambda h, b: f"<strong>{h}</strong>\n\n{b}\n",
    "wiki bold lines": lambda h, b: f"*{h}*\n\n{b}\n",
}


@pytest.mark.parametrize("form", sorted(WHOLE))
def test_a_documents_problems_do_not_depend_on_its_line_endings_or_spacing(form):
    changed = [name for name, kind, text in documents() if problems(kind, text) != problems(kind, WHOLE[form](text))]
    assert changed == []


@pytest.mark.parametrize("form", sorted(BLOCKS))
def test_a_documents_problems_do_not_depend_on_how_its_sections_are_wrapped(form):
    changed = []
    for name, kind, text in documents():
        before, after = problems(kind, text), problems(kind, _sections_as(BLOCKS[form], text))
        if before != after:
            changed.append(f"{name}: {sorted(before)} -> {sorted(after)}")
    assert changed == []
