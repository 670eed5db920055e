"""The cache is written as the scan goes and kept only by a complete scan; nothing of an
incident is held once the audit has judged it (``inc_audit.cache``, issue #21)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.audit import run_audit
from inc_audit.cache import store
from inc_audit.cache.entries import _stamp
from inc_audit.cache.source import FILE_NAME, FULL_READ_EVERY
from inc_audit.errors import SourceError
from inc_audit.model import Issue, IssueKey, Shard
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import AS_OF, MemorySource, incident, umami_config
from tests.test_cache import NOTES, Runner, add_incident, touch

START = datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def audit(fake: FakeGitLab, tmp_path: Path) -> Runner:
    return Runner(fake, tmp_path / "cache", umami_config())


def staged(runner: Runner, statement: str) -> set[Any]:
    assert runner.source is not None
    return {row if len(row) > 1 else row[0] for row in runner.source._sql(statement)}


# -- written as the scan goes ------------------------------------------------------------------


def test_each_incident_is_written_to_sqlite_once_served_and_its_verdict_once_judged(fake, audit):
    issues = [add_incident(fake, f"incident {n}", approval="comment") for n in range(4)]
    seen: list[tuple[set[Any], set[Any], bool]] = []

    def look(issue: Issue) -> None:
        if issue.iid == issues[2].iid:
            seen.append((
                staged(audit, "SELECT iid FROM temp.staged_issues WHERE notes IS NOT NULL AND links IS NOT NULL"),
                staged(audit, "SELECT iid FROM temp.staged_verdicts"),
                (audit.directory / FILE_NAME).exists(),
            ))

    audit.source = audit.cached(concurrency=1)
    result = run_audit(audit.source, audit.config, AS_OF, progress=look)
    [(read, judged, file_made)] = seen
    assert {issues[0].iid, issues[1].iid} <= read  # notes and links, of the incidents served
    assert judged == {issues[0].iid, issues[1].iid}  # the verdicts reached so far, no more
    assert not file_made  # the cache file is made only once the scan is complete
    assert audit.source.saved and len(result.incidents) == 4
    with closing(sqlite3.connect(audit.directory / FILE_NAME)) as db:
        assert {iid for (iid,) in db.execute("SELECT iid FROM verdicts")} == {i.iid for i in issues}


def test_a_warm_run_stages_only_what_changed_and_holds_nothing_of_a_judged_incident(fake, audit):
    issues = [add_incident(fake, f"incident {n}") for n in range(3)]
    audit()
    touch(fake, issues[1], title="renamed")
    result, _ = audit()
    source = audit.source
    assert source is not None and source.mode == "warm"
    assert staged(audit, "SELECT iid FROM temp.staged_issues") == {issues[1].iid}
    assert staged(audit, "SELECT iid FROM temp.staged_verdicts") == {issues[1].iid}
    assert source._linked == {} and source._full == {}  # released, incident by incident
    assert not any(hasattr(entry, "raw") or hasattr(entry, "notes") for entry in source._entries.values())
    assert [i.title for i in result.incidents if i.key.iid == issues[1].iid] == ["renamed"]


# -- a scan that does not complete leaves the file as it was ---------------------------------------


def fail_midway(fake: FakeGitLab, runner: Runner, **options: Any) -> None:
    fake.drop_after = 3
    with pytest.raises(SourceError):
        runner(concurrency=1, budget=0.3, **options)
    fake.drop_after = None
    assert runner.source is not None and not runner.source.saved


@pytest.mark.parametrize("how", ["warm", "full", "another shard, cold"])
def test_a_failed_read_mid_scan_leaves_the_file_byte_for_byte(fake, audit, how: str):
    issues = [add_incident(fake, f"incident {n}") for n in range(5)]
    audit(clock=lambda: START)
    for issue in issues:
        touch(fake, issue)
    path = audit.directory / FILE_NAME
    before = path.read_bytes()
    if how == "warm":
        fail_midway(fake, audit, clock=lambda: START + timedelta(hours=1))
    elif how == "full":
        fail_midway(fake, audit, clock=lambda: START + FULL_READ_EVERY)
    else:
        fail_midway(fake, audit, shard=Shard(1, 2), clock=lambda: START + timedelta(hours=1))
    assert path.read_bytes() == before
    assert sorted(p.name for p in audit.directory.iterdir()) == [FILE_NAME]  # no journal left behind


# -- a complete scan's cache holds what GitLab gave, as before ---------------------------------------


def test_a_complete_scan_writes_every_part_as_gitlab_gave_it(fake, audit):
    add_incident(fake, "approved by emoji")
    add_incident(fake, "approved by comment", approval="comment")
    add_incident(fake, "still open", closed=False, change=False)
    audit(shard=Shard(1, 2))  # the other shard's candidates are kept as listed
    audit()
    live = GitLabSource(connect(fake.url, API_TOKEN, timeout=2.0, retry_budget=2.0), project=PROJECT)
    listed = live.list_candidates(umami_config().incident_labels)

    def compact(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    with closing(sqlite3.connect(audit.directory / FILE_NAME)) as db:
        rows = {IssueKey(p, i): rest for p, i, *rest in db.execute(
            "SELECT project, iid, updated_at, notes_count, raw, notes, links, awards FROM issues")}
        candidates = sorted(db.execute("SELECT shard, iid FROM candidates"))
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    assert set(rows) == set(listed)
    half = Shard(1, 2).pick(listed)
    assert candidates == sorted((shard, k.iid) for shard in ("1/2", "all") for k in listed)
    for key, (stamp, count, raw, notes, links, awards) in rows.items():
        assert (stamp, count, raw) == (_stamp(listed[key]), listed[key]["user_notes_count"], compact(listed[key]))
        assert notes == compact(live.raw_notes(key))
        closed = listed[key]["state"] == "closed"
        assert links == (compact(live.raw_links(key)) if closed else None)
        held = json.loads(awards)
        assert all(compact(live.raw_awards(key, int(n))) == compact(a) for n, a in held.items())
        assert bool(held) == (closed and "comment" not in listed[key]["title"])
    assert half and set(half) < set(rows)


# -- the audit lets go of each incident --------------------------------------------------------------


class Releasing(MemorySource):
    def __init__(self, *issues: Issue) -> None:
        super().__init__()
        self.add(*issues)
        self.released: list[int] = []

    def release(self, key: IssueKey) -> None:
        self.released.append(key.iid)


def test_the_audit_releases_each_issue_once_judged_or_passed_over():
    exempt = incident(7, labels=("incident", "not-an-incident"))  # a candidate the audit passes over
    source = Releasing(incident(3), exempt, incident(5))
    seen: list[tuple[int, list[int]]] = []
    run_audit(source, umami_config(), AS_OF, progress=lambda i: seen.append((i.iid, list(source.released))))
    assert seen == [(3, []), (5, [3])]
    assert source.released == [3, 5, 7]


def test_a_cache_file_unreadable_once_loaded_is_rebuilt_never_fatal(fake, audit, monkeypatch, capsys):
    add_incident(fake, "one")
    cold, _ = audit()
    real = store.CacheStore._open

    def corrupt_on_opening(target: str) -> Any:
        if target:
            raise sqlite3.DatabaseError("file is not a database")
        return real(target)

    monkeypatch.setattr(store.CacheStore, "_open", staticmethod(corrupt_on_opening))
    again, counts = audit()
    assert audit.source is not None and audit.source.mode == "cold" and audit.source.saved
    assert again == cold and "unreadable" in capsys.readouterr().err
    monkeypatch.undo()
    _, counts = audit()
    assert audit.source.mode == "warm" and NOTES not in counts
