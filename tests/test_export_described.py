"""An export's neighbours' descriptions are held a slice of candidates at a time
(``ExportSource.candidate_issues``): the audit reads the same as with every one held."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inc_audit.audit import run_audit
from inc_audit.config import file as config_module
from inc_audit.model import parse_time
from inc_audit.sources.export import source as export_source
from inc_audit.sources.export.source import ExportSource, Summary
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import synthetic  # noqa: E402

AS_OF = parse_time(synthetic.AS_OF)


def described(source: ExportSource) -> int:
    return sum(1 for packed in source.summaries.values() if Summary(packed).description is not None)


@pytest.mark.parametrize("at_once", [1, 3, 10_000])
def test_slices_of_any_size_give_the_report_of_one_slice(at_once, tmp_path, monkeypatch):
    config = config_module.load(EXAMPLE_CONFIG)
    path = synthetic.generate(40, seed=3).write(tmp_path / "export")
    whole, whole_held = audit_held(path, config)
    monkeypatch.setattr(export_source, "DESCRIBED_AT_ONCE", at_once)
    sliced, held = audit_held(path, config)
    assert sliced == whole
    assert {f.rule for i in whole.incidents for f in i.findings} >= {"CHG001", "IPM001"}
    if at_once < 10_000:  # a slice's neighbours only, and none once the scan is done
        assert max(held) < max(whole_held)


def audit_held(path, config):
    """The audit of the export, and how many descriptions were held as each incident was judged
    (and once the scan was done: none)."""
    source = ExportSource(path, project=config.gitlab_project)
    held: list[int] = []
    result = run_audit(source, config, AS_OF, progress=lambda issue: held.append(described(source)))
    assert described(source) == 0
    return result, held


def test_a_neighbour_asked_for_after_its_slice_is_read_again_whole():
    config = config_module.load(EXAMPLE_CONFIG)
    source = ExportSource(EXAMPLE_EXPORT, project=config.gitlab_project)
    run_audit(source, config, AS_OF)
    linked = next(key for key, others in source.links.items() if others)
    other = source.links[linked][0]
    assert Summary(source.summaries[other]).description is None
    described_again = source.issue_summary(other)
    assert described_again.description == source.issues[other].description != ""
