"""The corpus: documents written the ways engineers write, each with its expected verdict.

Every file in tests/corpus/{report,post-mortem,change}/{positive,negative}/ opens with
``<!-- expect: RULE section, RULE section | why: the reason -->`` (``expect: none`` for a
document a careful reviewer passes). The audit must agree on every one: the test prints
the false positives (findings no reviewer would raise) and the false negatives (findings
missed) over the whole corpus, and both must be zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from inc_audit.cli import main
from inc_audit.documents import guess_kind
from inc_audit.rules import check_document

CORPUS = Path(__file__).parent / "corpus"
KINDS = ("report", "post-mortem", "change")
_FRONT = re.compile(r"\A<!--\s*expect:\s*(?P<expect>.*?)\s*\|\s*why:\s*(?P<why>.*?)\s*-->", re.DOTALL)


@dataclass(frozen=True)
class Example:
    path: Path
    kind: str
    polarity: str
    expected: frozenset[tuple[str, str]]
    why: str

    @property
    def name(self) -> str:
        return self.path.relative_to(CORPUS).as_posix()

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def read(path: Path) -> Example:
    match = _FRONT.match(path.read_text(encoding="utf-8"))
    assert match, f"{path}: no '<!-- expect: ... | why: ... -->' front matter"
    expect = match.group("expect").strip()
    pairs = set()
    if expect.lower() != "none":
        for item in expect.split(","):
            rule, section = item.split()
            pairs.add((rule, section))
    return Example(path, path.parts[-3], path.parts[-2], frozenset(pairs), match.group("why"))


EXAMPLES = [read(p) for p in sorted(CORPUS.glob("*/*/*.md"))]


def found(example: Example, config) -> frozenset[tuple[str, str]]:
    return frozenset((f.rule, f.section or "") for f in check_document(example.text, example.kind, config))


def test_the_corpus_is_wide():
    assert len(EXAMPLES) >= 150
    for kind in KINDS:
        for polarity in ("positive", "negative"):
            assert sum(1 for e in EXAMPLES if (e.kind, e.polarity) == (kind, polarity)) >= 12, (kind, polarity)


def test_each_example_says_what_it_expects_and_why():
    for example in EXAMPLES:
        assert example.kind in KINDS and example.polarity in ("positive", "negative"), example.name
        assert bool(example.expected) == (example.polarity == "negative"), example.name
        assert len(example.why) > 10, example.name


def test_no_false_positive_and_no_false_negative_over_the_corpus(umami, capsys):
    false_positives, false_negatives = [], []
    for example in EXAMPLES:
        got = found(example, umami)
        false_positives += [(example.name, pair) for pair in sorted(got - example.expected)]
        false_negatives += [(example.name, pair) for pair in sorted(example.expected - got)]
    with capsys.disabled():
        print(
            f"\ncorpus: {len(EXAMPLES)} documents, {len(false_positives)} false positive(s), "
            f"{len(false_negatives)} false negative(s)"
        )
        for name, (rule, section) in false_positives:
            print(f"  FP {name}: {rule} {section}")
        for name, (rule, section) in false_negatives:
            print(f"  FN {name}: {rule} {section}")
    assert (false_positives, false_negatives) == ([], [])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_each_document_reads_as_its_kind(example, umami):
    assert guess_kind(example.text, umami) == example.kind


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_inc_audit_check_reads_every_corpus_file(example):
    result = CliRunner().invoke(main, ["check", str(example.path)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert ("violation(s)" in result.output) == bool(example.expected), result.output
    for rule, _ in example.expected:
        assert rule in result.output
