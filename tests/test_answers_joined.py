"""The answer patterns asked all at once, and answers remembered, read every text as before.

``Patterns.fullmatch_any`` and ``search_any`` ask one alternation of a vocabulary's patterns
instead of each pattern in turn; ``answers`` remembers what a part's lines read to.
Over every line of the corpus, the blind set and the verdict sets (the held-out ones aside),
the alternation answers as the patterns one by one do, and a remembered answer is the one
worked out afresh.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inc_audit.reading import answers as answering
from inc_audit.reading.deferral import _ASIDE, MAX_WORDS, Deferrals
from inc_audit.reading.memo import Memo
from inc_audit.reading.patterns import Patterns
from inc_audit.reading.schemas import builtin_vocabulary, load
from inc_audit.reading.vocabulary import normalise
from inc_audit.reading.words import fold, tokens

TESTS = Path(__file__).parent
PATTERN_LISTS = ("non_answers", "negatives", "unfinished", "irreversible", "compensations", "forward_fixes", "concrete")


def _texts() -> list[str]:
    folders = [TESTS / "corpus", TESTS / "blind"] + sorted(
        p for p in (TESTS / "styles").iterdir() if p.is_dir() and not p.name.startswith("heldout")
    )
    return [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.rglob("*.md"))]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = _texts()
    assert len(found) > 100
    return found


@pytest.fixture(scope="module")
def lines(texts: list[str]) -> list[str]:
    seen = {line.strip() for text in texts for line in text.split("\n") if line.strip()}
    # the short lines the answer patterns are written for, and their parts after a label or a negative
    extra = {part.strip() for line in seen for part in re.split(r"[:.;,]", line) if part.strip()}
    return sorted(seen | extra)


@pytest.mark.parametrize("name", PATTERN_LISTS)
def test_the_alternation_answers_as_each_pattern_does(name: str, lines: list[str]) -> None:
    patterns = getattr(builtin_vocabulary(), name)
    assert isinstance(patterns, Patterns) and patterns.joined is not None  # the shipped patterns can be joined
    fullmatched = searched = 0
    for line in lines:
        for text in (normalise(line), fold(line)):
            one_by_one = any(p.fullmatch(text) for p in patterns.compiled)
            assert patterns.fullmatch_any(text) == one_by_one, (name, text)
            found = any(p.search(text) for p in patterns.compiled)
            assert patterns.search_any(text) == found, (name, text)
            fullmatched += one_by_one
            searched += found
    if name in ("non_answers", "negatives", "compensations", "concrete"):
        assert fullmatched or searched  # the lines hold some of what these patterns are about


def test_patterns_that_refer_to_groups_or_set_flags_are_asked_one_by_one() -> None:
    assert Patterns([r"(a)\1", "b"]).joined is None
    assert Patterns([r"(?P<x>a)(?P=x)", "b"]).joined is None
    assert Patterns([r"(?i)tbd", "none"]).joined is None
    assert Patterns([r"(?P<x>a)", r"(?P<x>b)"]).joined is None  # one name twice: no alternation compiles
    assert Patterns([r"(?i:tbd)", "none|n/a"]).joined is not None
    refers = Patterns([r"(a)\1", "b"])
    assert [refers.fullmatch_any(t) for t in ("aa", "b", "ab", "a")] == [True, True, False, False]
    flagged = Patterns([r"(?i)tbd", "none"])
    assert [flagged.fullmatch_any(t) for t in ("TBD", "none", "NONE")] == [True, True, False]
    assert flagged.search_any("still TBD") and not flagged.search_any("no")


def test_an_alternation_fullmatches_past_a_shorter_alternative() -> None:
    joined = Patterns(["no", "no impact"])
    assert joined.fullmatch_any("no impact") and joined.fullmatch_any("no") and not joined.fullmatch_any("no i")


def test_remembered_lines_answer_as_lines_read_afresh(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    vocabulary = builtin_vocabulary()
    schemas = [load(kind) for kind in ("report", "post-mortem", "change")]
    rules = [schema._rules[part.name] for schema in schemas for part in schema.parts if part.name in schema._rules]
    sections = sorted({chunk.strip() for text in texts for chunk in re.split(r"\n#+ [^\n]*\n", text) if chunk.strip()})
    sections = [s for s in sections if len(s) < 2000][:400]
    assert rules and len(sections) > 100

    def read() -> list[bool]:
        return [answering.answers(section, part, vocabulary) for part in rules for section in sections]

    remembered = read() + read()  # the second time, every line is remembered
    with monkeypatch.context() as patched:
        patched.setattr(answering.AnswerRules, "lines", lambda self, vocabulary: Memo(longest=-1))  # keeps nothing
        afresh = read()
    assert remembered == afresh + afresh
    assert any(afresh) and not all(afresh)


def _defers_ungated(deferrals: Deferrals, line: str) -> bool:
    """``Deferrals.defers`` without its test that a word marks the line as put off."""

    def read(words: list[str]) -> bool:
        if not words or len(words) > MAX_WORDS:
            return False
        if deferrals._idioms and any(word in deferrals._idioms for word in words):
            words = deferrals._joined(words)
        return deferrals._only_defers(words) or deferrals._defers_until(words, [deferrals.kind(w) for w in words])

    if "(" in line:
        aside = _ASIDE.sub(" ", line)
        if aside.strip(" .,;:-") and read(tokens(aside)):
            return True
    return read(tokens(line))


def test_a_line_nothing_marks_as_put_off_is_no_deferral(lines: list[str]) -> None:
    deferrals = builtin_vocabulary().deferrals
    assert deferrals is not None
    deferred = 0
    for line in lines:
        for text in (normalise(line), f"todo {normalise(line)}"):
            found = deferrals.defers(text)
            assert found == _defers_ungated(deferrals, text), text
            deferred += found
    assert deferred > 10
