"""A document's verdict does not depend on how its headings are marked: every verdict-set
document written with markdown headings is read again with each heading rewritten as a bold
line, a numbered heading, a heading led by an emoji, an HTML heading, in upper case, and as a
bold line led by an emoji, and must give the same problems."""

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
