"""Incidents stream through the audit: the memory an export's audit holds does not grow with
its incidents' notes. Measured with tracemalloc in a fresh process, never with time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import sys, tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from inc_audit.audit import run_audit
from inc_audit.config import file as configuration
from inc_audit.sources.export.source import ExportSource
config = configuration.load_defaults()
as_of = datetime(2026, 6, 1, tzinfo=timezone.utc)
run_audit(ExportSource(Path(sys.argv[2]) / "warm"), config, as_of)  # schemas and memos loaded first
tracemalloc.start()
result = run_audit(ExportSource(Path(sys.argv[1])), config, as_of)
print(tracemalloc.get_traced_memory()[1], len(result.incidents))
"""


def incident(iid: int, bulk: str) -> dict:
    notes = [
        {"id": iid * 100 + n, "note": f"Update {n}: {bulk}", "author_id": 101, "system": False,
         "created_at": f"2026-01-0{1 + n % 8}T09:00:00.000Z",
         "award_emoji": [{"name": "thumbsup", "user_id": 101, "created_at": "2026-01-09T09:00:00.000Z"}]}
        for n in range(6)
    ]
    return {
        "iid": iid, "title": f"Incident {iid}", "description": f"## What is the nature of the incident?\n{bulk}",
        "state": "closed", "author_id": 101, "created_at": "2026-01-01T10:00:00.000Z",
        "updated_at": "2026-01-02T10:00:00.000Z", "closed_at": "2026-01-02T10:00:00.000Z",
        "issue_type": "incident", "label_links": [{"label": {"title": "INC"}}], "notes": notes,
    }


def export(root: Path, count: int) -> Path:
    tree = root / "tree" / "project"
    tree.mkdir(parents=True)
    bulk = "The indexer stopped answering; balances were stale. " * 200  # about 10 kB a text
    with (tree / "issues.ndjson").open("w", encoding="utf-8") as out:
        for iid in range(1, count + 1):
            out.write(json.dumps(incident(iid, bulk)) + "\n")
    return root


def peak(path: Path, warm: Path) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(warm.parent)], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    traced, audited = done.stdout.split()
    return int(traced), int(audited)


@pytest.mark.parametrize("small, large", [(50, 400)])
def test_the_peak_does_not_grow_with_the_incidents_notes(tmp_path, small, large):
    export(tmp_path / "warm", 3)
    few, many = export(tmp_path / "few", small), export(tmp_path / "many", large)
    size = (many / "tree" / "project" / "issues.ndjson").stat().st_size
    assert size > 25 * 2**20  # 400 incidents of about 70 kB each
    peak_few, audited_few = peak(few, tmp_path / "warm")
    peak_many, audited_many = peak(many, tmp_path / "warm")
    assert (audited_few, audited_many) == (small, large)
    # Held whole, 8 times the incidents would hold 8 times their notes (over 25 MiB more).
    # Streamed, what grows is each incident's summary and findings: a few kB each.
    assert peak_many < size / 3, (peak_few, peak_many, size)
    assert peak_many - peak_few < (large - small) * 8 * 1024, (peak_few, peak_many)


def test_a_packed_export_streams_the_same_issues_in_the_same_order_as_its_folder(tmp_path):
    import tarfile

    from inc_audit.sources.export.source import ExportSource
    from tests.conftest import EXAMPLE_EXPORT

    packed = tmp_path / "export.tar.gz"
    with tarfile.open(packed, "w:gz") as archive:
        archive.add(EXAMPLE_EXPORT, arcname=".")
    labels = ("INC", "incident")
    folder = list(ExportSource(EXAMPLE_EXPORT, project="p").candidate_issues(labels))
    archived = ExportSource(packed, project="p")
    assert list(archived.candidate_issues(labels)) == folder
    assert list(archived.candidate_issues(labels)) == folder  # read again from the first pass's copy
    assert [i.key.iid for i in folder] == sorted(i.key.iid for i in folder) and len(folder) > 5
