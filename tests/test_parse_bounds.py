"""Bounded parsing: every pathological shape costs work in proportion to its lines.

The work is counted (``markdown.WORK``: the scanner's and the section builder's inner
steps), never timed. Each shape of bench/parse_bounds.py is audited at two sizes: the
steps stay under a few per line, and doubling the text at most doubles them.
"""

from __future__ import annotations

import pytest

from bench.parse_bounds import SHAPES, audit
from inc_audit.reading import validity
from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import load

SIZE = 65_536
STEPS_PER_LINE = 6


def lines(text: str) -> int:
    return text.count("\n") + 1


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_costs_a_few_steps_per_line(shape):
    text = SHAPES[shape](SIZE)
    assert len(text) == SIZE or shape == "indented-lists"
    steps = audit(text)
    assert steps <= STEPS_PER_LINE * lines(text) + 100


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_doubling_a_shape_at_most_doubles_the_work(shape):
    small, large = SHAPES[shape](SIZE // 2), SHAPES[shape](SIZE)
    assert audit(large) <= 2.2 * audit(small) + 100


def test_nested_sections_cost_each_line_once_per_level():
    text = "".join(f"{'#' * (1 + i % 6)} h{i}\nbody\n" for i in range(5000))
    steps = audit(text)
    assert steps <= 6 * STEPS_PER_LINE * lines(text)


def test_a_huge_document_still_gives_a_verdict():
    text = SHAPES["unclosed-comment"](SIZE)
    problems = validity.problems(load("report"), parse(text))
    found = {(p.kind, p.part.name) for p in problems}
    assert ("empty", "impact") in found and ("missing", "nature") in found
    empty = next(p for p in problems if p.kind == "empty")
    assert "HTML comment opened on line 2 is never closed" in empty.message
