"""Tests generated from the markdown corpus in tests/corpus/{kind}/{positive,negative}/."""

from __future__ import annotations

from pathlib import Path

import pytest

from inc_audit.rules import check_document

CORPUS = Path(__file__).parent / "corpus"

# What each negative example must yield, as (rule, section) pairs, in order.
EXPECTED = {
    "report/negative/half-empty.md": [("INC002", "discovery"), ("INC002", "impact"), ("INC002", "evidence")],
    "report/negative/headings-only-in-code-and-comments.md": [("INC001", "nature"), ("INC001", "discovery")],
    "report/negative/unclosed-comment.md": [("INC002", "evidence")],
    "post-mortem/negative/no-impact.md": [("IPM002", "actual_impact")],
    "post-mortem/negative/follow-up-placeholder.md": [("IPM002", "follow_up")],
    "change/negative/no-rollback.md": [("CHG002", "rollback")],
    "change/negative/empty-rollback.md": [("CHG002", "rollback")],
}


def examples(polarity: str) -> list[Path]:
    return sorted(CORPUS.glob(f"*/{polarity}/*.md"))


def name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


@pytest.mark.parametrize("path", examples("positive"), ids=name)
def test_positive_example_has_no_finding(path, umami):
    kind = path.parts[-3]
    assert check_document(path.read_text(encoding="utf-8"), kind, umami) == []


@pytest.mark.parametrize("path", examples("negative"), ids=name)
def test_negative_example_yields_its_findings(path, umami):
    kind = path.parts[-3]
    found = check_document(path.read_text(encoding="utf-8"), kind, umami)
    assert [(f.rule, f.section) for f in found] == EXPECTED[name(path)]


def test_every_negative_example_says_what_it_expects():
    assert sorted(EXPECTED) == [name(p) for p in examples("negative")]
