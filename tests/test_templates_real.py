"""The team's real templates: filled in they pass, as shipped they do not."""

from __future__ import annotations

import pytest

from inc_audit.documents import guess_kind
from inc_audit.rules import check_document
from tests.conftest import TEMPLATE_FILES, fill

KIND = {
    "incident.md": "report",
    "known incident.md": "report",
    "Incident Report.md": "report",
    "Incident Request.md": "report",
    "Incident Port-Mortem.md": "post-mortem",
    "Change Emergency.md": "change",
}
EMPTY_CODE = {"report": "INC002", "post-mortem": "IPM002", "change": "CHG002"}


def test_all_six_templates_are_here():
    assert sorted(p.name for p in TEMPLATE_FILES) == sorted(KIND)


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_a_filled_template_has_no_finding(path, umami):
    assert check_document(fill(path.read_text()), KIND[path.name], umami) == []


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_a_template_as_shipped_is_reported_empty(path, umami):
    kind = KIND[path.name]
    found = check_document(path.read_text(), kind, umami)
    assert found and {f.rule for f in found} == {EMPTY_CODE[kind]}


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_each_template_is_recognised_for_what_it_is(path, umami):
    assert guess_kind(path.read_text(), umami) == KIND[path.name]


@pytest.mark.parametrize("path", [p for p in TEMPLATE_FILES if KIND[p.name] == "report"], ids=lambda p: p.name)
def test_a_half_filled_report_fails_on_the_sections_left(path, umami):
    text = fill(path.read_text())
    lines = text.split("\n")
    evidence = next(i for i, line in enumerate(lines) if "evidence" in line.lower() and line.startswith("#"))
    del lines[evidence + 1 : evidence + 2]  # the filler line under the evidence heading
    found = check_document("\n".join(lines), "report", umami)
    assert [(f.rule, f.section) for f in found] == [("INC002", "evidence")]
