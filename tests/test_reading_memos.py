"""A schema remembers its readings of a head's text (the part it names, whether a plain label
may head a section): remembered or read afresh, the answers are the same, over the heads of
the corpus, the blind set and the tuning sets, for each kind of document."""

from __future__ import annotations

from pathlib import Path

import pytest

from inc_audit.reading import prefilter
from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import DocumentSchema, load

TESTS = Path(__file__).resolve().parent
FOLDERS = [TESTS / "corpus", TESTS / "blind", *sorted((TESTS / "styles").glob("tuning*"))]
TEXTS = [p.read_text(encoding="utf-8", errors="replace") for f in FOLDERS for p in sorted(f.rglob("*.md"))]


@pytest.mark.parametrize("kind", ["report", "post-mortem", "change"])
def test_remembered_readings_equal_fresh_ones(kind: str) -> None:
    remembering = load(kind)
    fresh = DocumentSchema(remembering.schema, remembering.origin, remembering.vocabulary)
    named = plain = 0
    for text in TEXTS[::3]:
        for candidate in prefilter.candidates(text):
            once = remembering.part_named(candidate)
            assert remembering.part_named(candidate) is once
            expected = fresh._listed(candidate) or fresh._by_meaning(candidate)
            assert (once and once.name) == (expected and expected.name)
            named += once is not None
            names_kind, part = remembering.candidate(candidate)
            assert names_kind == (fresh.vocabulary.key(candidate) in fresh.identify)
            assert (part and part.name) == (expected and expected.name)
        for head in parse(text).heads:
            if head.form == "plain":
                plain += 1
                assert remembering._includes(head) == fresh._includes_label(head.text, bool(head.inline))
                assert remembering._includes(head) == fresh._includes_label(head.text, bool(head.inline))
    assert named > 50 and plain > 20
