"""The verdict sets in new styles (tests/styles/README.md), each written by someone who never
read the code. The tuning set agrees item for item. The second tuning set and the held-out
set (never tuned on) are held at the agreement measured when this test was written, so a
change that reads them worse fails; issue #17's target for the held-out set is 95%, which
the reading does not reach yet (92.9%). Each test prints every disagreement with its reason."""

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
    [("tuning2", 67, 67), ("tuning3", 91, 91), ("tuning4", 90, 90), ("tuning5", 83, 83), ("heldout", 127, 118)],
)
def test_the_other_sets_read_no_worse_than_when_measured(name: str, total: int, floor: int) -> None:
    result = score(STYLES / name)
    print("\n" + "\n".join(result.lines()))
    assert result.total == total
    assert result.agreed >= floor
