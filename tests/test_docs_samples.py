"""The documentation's samples are what the example project gives today (regenerate: python docs/samples.py)."""

from __future__ import annotations

import re
import runpy

import pytest

from tests.conftest import ROOT

SAMPLES = runpy.run_path(str(ROOT / "docs" / "samples.py"), run_name="samples")["SAMPLES"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_sample_is_up_to_date(name):
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == SAMPLES[name](), "run: python docs/samples.py"


def test_the_docs_show_both_samples():
    pages = {name: (ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("live-gitlab.md", "meeting.md")}
    for page, sample in (("live-gitlab.md", "sample-audit-issue.md"), ("meeting.md", "sample-agenda.md")):
        assert f"docs/{sample}" in pages[page] and f"]({sample})" in pages[page]
    assert re.search(r"<summary><b>umami-wallet/umami#5</b>", pages["live-gitlab.md"])
