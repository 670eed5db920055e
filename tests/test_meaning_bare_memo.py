"""A bare answer's words are read once: ``BareWords.kind`` remembers each word's class.

Over every word of the corpus, the blind set, the verdict sets (the held-out ones aside) and
the vocabulary itself, with endings added, in every part's concepts, the remembered class is
the one read afresh. (A gate that skips stemming a word starting like no listed form, as
``Deferrals`` has, would not be: "badlying" stems to "bad", an empty word.)
"""

from __future__ import annotations

import json
from pathlib import Path

from inc_audit.files import shipped_schemas
from inc_audit.reading.bare import BareWords
from inc_audit.reading.schemas import builtin_vocabulary, load
from inc_audit.reading.words import tokens

TESTS = Path(__file__).parent


def _afresh(bare: BareWords, word: str, concepts: tuple[str, ...]) -> str:
    """The reading of a word's class, afresh (the memo of ``kind`` left aside)."""
    return bare._kind(word, concepts)


def _words() -> list[str]:
    folders = [TESTS / "corpus", TESTS / "blind"] + sorted(
        p for p in (TESTS / "styles").iterdir() if p.is_dir() and not p.name.startswith("heldout")
    )
    texts = [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in f.rglob("*.md")]
    found = {word for text in texts for word in tokens(text)}
    vocabulary = shipped_schemas() / "vocabulary.json"
    found |= set(tokens(json.dumps(json.loads(vocabulary.read_text(encoding="utf-8")), ensure_ascii=False)))
    inflected = {w + ending for w in list(found) if w.isalpha() for ending in ("s", "ing")}
    return sorted(found | inflected)


def test_the_remembered_class_is_the_one_read_afresh() -> None:
    bare = builtin_vocabulary().bare
    assert bare is not None
    concepts = {()} | {
        part.concepts for kind in ("report", "post-mortem", "change") for part in load(kind).parts if part.concepts
    }
    assert len(concepts) > 2
    words = _words()
    assert len(words) > 5000
    classes: set[str] = set()
    for each in sorted(concepts):
        for word in words:
            found = bare.kind(word, each)
            assert found == _afresh(bare, word, each), (word, each)
            assert bare.kind(word, list(each)) == found  # remembered, whatever the concepts come as
            classes.add(found)
        assert bare.kind("badlying", each) == _afresh(bare, "badlying", each) == "empty"
    assert {"", "neutral", "replies", "generic", "vague"} <= classes
