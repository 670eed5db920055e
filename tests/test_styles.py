"""The verdict sets in new styles (tests/styles/README.md), each written by someone who never
read the code. The tuning sets agree item for item, or are held at the agreement measured
when this test was written, so a change that reads them worse fails. The held-out sets
(``heldout``, chosen before the reading changed; ``heldout2``, written after this round
began) are never tuned on: issue #17's target for ``heldout`` is 95%. A tuning set's test
prints every disagreement with its reason; a held-out set's prints its totals only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.verdict_sets import score

STYLES = Path(__file__).resolve().parent / "styles"


def test_the_tuning_set_agrees_item_for_item() -> None:
    result = score(STYLES / "tuning")
    print("\n" + "\n".join(result.lines()))
    assert result.total == 165
    assert result.agreed == result.total


@pytest.mark.parametrize(
    ("name", "total", "floor"),
    [
        ("tuning2", 67, 67), ("tuning3", 91, 91), ("tuning4", 90, 90), ("tuning5", 83, 83), ("tuning6", 90, 90),
        ("tuning7", 92, 92), ("tuning8", 88, 88), ("tuning9", 113, 112), ("tuning10", 84, 82), ("tuning11", 107, 107),
        ("tuning12", 83, 80), ("tuning13", 81, 81), ("heldout", 127, 121), ("heldout2", 83, 70), ("heldout3", 87, 74),
    ],
)
def test_the_other_sets_read_no_worse_than_when_measured(name: str, total: int, floor: int) -> None:
    result = score(STYLES / name)
    lines = result.lines()
    print("\n" + "\n".join(lines if not name.startswith("heldout") else [x for x in lines if not x.startswith(" ")]))
    assert result.total == total
    assert result.agreed >= floor
