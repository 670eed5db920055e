"""The README's samples are what the example project gives today (regenerate: python docs/samples.py)."""

from __future__ import annotations

import re
import runpy

import pytest

from tests.conftest import ROOT

SAMPLES = runpy.run_path(str(ROOT / "docs" / "samples.py"), run_name="samples")["SAMPLES"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_sample_is_up_to_date(name):
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == SAMPLES[name](), "run: python docs/samples.py"


def test_the_readme_shows_both_samples():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in SAMPLES:
        assert f"docs/{name}" in readme
    assert re.search(r"<summary><b>umami-wallet/umami#5</b>", readme)
