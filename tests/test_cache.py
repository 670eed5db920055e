"""The incremental cache (``inc_audit.cache.source``) against the fake GitLab over real HTTP."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab
from fakegitlab.store import now

from inc_audit.audit import read_ahead, run_audit
from inc_audit.cache.source import FILE_NAME, CachedSource, fingerprint
from inc_audit.config import file as config_module
from inc_audit.errors import SourceError
from inc_audit.findings import AuditResult
from inc_audit.model import Award, IssueKey, Shard
from inc_audit.rules import Context
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import (
    AS_OF,
    MemorySource,
    filled_change,
    filled_post_mortem,
    filled_report,
    incident,
    note,
    umami_config,
)

LISTING = "GET /projects/:project/issues"
NOTES = "GET /projects/:project/issues/:iid/notes"
LINKS = "GET /projects/:project/issues/:iid/links"
AWARDS = "GET /projects/:project/issues/:iid/notes/:note/award_emoji"
CLOSED = "2026-04-01T00:00:00Z"
POSTED = "2026-04-02T00:00:00Z"
LATER = "2026-04-03T00:00:00Z"


def add_incident(
    fake: FakeGitLab,
    title: str,
    *,
    approval: str | None = "emoji",
    change: bool = True,
    closed: bool = True,
    description: str | None = None,
    labels: tuple[str, ...] = ("INC",),
) -> Any:
    """A closed incident with a post-mortem by dave; approved by alice (emoji or comment) or not."""
    with fake.lock:
        issue = fake.add_issue(
            PROJECT,
            title=title,
            description=filled_report() if description is None else description,
            labels=labels,
            issue_type="incident",
            state="closed" if closed else "opened",
            created_at="2026-03-31T00:00:00Z",
            closed_at=CLOSED if closed else None,
        )
        if closed:
            post_mortem = fake.add_note(issue, filled_post_mortem(), author="dave", created_at=POSTED)
            if approval == "emoji":
                fake.add_award(post_mortem, "thumbsup", user="alice", created_at=LATER)
            elif approval == "comment":
                fake.add_note(issue, "Approved at the weekly meeting.", author="alice", created_at=LATER)
        if change:
            ticket = fake.add_issue(
                PROJECT,
                title=f"Change for {title}",
                description=filled_change(),
                labels=["CHG"],
                created_at="2026-03-31T00:00:00Z",
            )
            fake.link(issue, ticket)
        return issue


def touch(fake: FakeGitLab, issue: Any, **changes: Any) -> None:
    """Edit an issue the way GitLab does: the change, and a new updated_at."""
    with fake.lock:
        for name, value in changes.items():
            setattr(issue, name, value)
        issue.updated_at = now()


@pytest.fixture
def config() -> config_module.Config:
    return umami_config()


class Runner:
    """Runs the audit through a ``CachedSource`` and counts each run's requests."""

    def __init__(self, fake: FakeGitLab, directory: Path, config: config_module.Config) -> None:
        self.fake = fake
        self.directory = directory
        self.config = config
        self.source: CachedSource | None = None

    def cached(self, concurrency: int = 4, budget: float = 2.0, **options: Any) -> CachedSource:
        gl = connect(self.fake.url, API_TOKEN, timeout=budget, retry_budget=budget, backoff=0.01)
        live = GitLabSource(gl, project=PROJECT, concurrency=concurrency)
        return CachedSource(live, self.directory, fingerprint(self.config, live.describe()), **options)

    def __call__(self, shard: Shard | None = None, **options: Any) -> tuple[AuditResult, dict[str, int]]:
        self.source = self.cached(**options)
        read_ahead(self.source, self.config, AS_OF)
        self.fake.clear_logs()  # the token check and project lookup aside
        result = run_audit(self.source, self.config, AS_OF, shard=shard)
        return result, dict(self.fake.counts())


@pytest.fixture
def audit(fake: FakeGitLab, tmp_path: Path, config: config_module.Config) -> Runner:
    return Runner(fake, tmp_path / "cache", config)


def rules_of(result: AuditResult) -> dict[int, list[str]]:
    return {incident.key.iid: [f.rule for f in incident.findings] for incident in result.incidents}


def by_issue(fake: FakeGitLab, endpoint: str) -> list[str]:
    return sorted(r.path.split("/issues/")[1].split("/")[0] for r in fake.requests if r.endpoint == endpoint)


def live_result(fake: FakeGitLab, config: config_module.Config) -> AuditResult:
    gl = connect(fake.url, API_TOKEN, timeout=2.0, retry_budget=2.0)
    return run_audit(GitLabSource(gl, project=PROJECT), config, AS_OF)


# --- cold and warm --------------------------------------------------------------------


def test_a_cold_run_reads_what_the_rules_need_and_a_warm_one_only_lists(fake, audit, config):
    emoji = add_incident(fake, "approved by emoji")
    comment = add_incident(fake, "approved by comment", approval="comment")
    opened = add_incident(fake, "still open", closed=False, change=False)
    cold, counts = audit()
    assert audit.source is not None and audit.source.mode == "cold"
    assert rules_of(cold) == {emoji.iid: [], comment.iid: [], opened.iid: []}
    # 2 labels + issue type, and the first label's page 2 (``first_pages``: empty here), then the
    # 3 by iids[]; notes of 3; links of the closed 2; awards only where no comment approves
    assert counts == {LISTING: 5, NOTES: 3, LINKS: 2, AWARDS: 1}
    assert by_issue(fake, AWARDS) == [str(emoji.iid)]
    assert cold == live_result(fake, config)

    warm, counts = audit()
    assert audit.source.mode == "warm" and audit.source.saved
    assert warm == cold
    assert counts == {LISTING: 1}
    [listing] = fake.requests
    query = dict(listing.query)
    assert "updated_after" in query and "labels" not in query
    assert (query["state"], query["scope"], query["per_page"]) == ("all", "all", "100")
    assert audit.source.summary() == (
        "cache warm: 3 incident(s) from the cache, 0 read from GitLab; 3 kept verdict(s) used"
    )


def test_an_edited_description_is_read_again_and_its_findings_change(fake, audit):
    kept = add_incident(fake, "kept")
    edited = add_incident(fake, "edited")
    first, _ = audit()
    assert rules_of(first)[edited.iid] == []
    heading = "### What is the evidence (i.e. screenshots, logs, etc)?"
    assert heading in edited.description
    touch(fake, edited, description=edited.description.replace(heading, f"{heading}\n\nTBD\n\n### Older notes"))
    second, counts = audit()
    assert counts == {LISTING: 1, NOTES: 1, LINKS: 1, AWARDS: 1}
    assert by_issue(fake, NOTES) == [str(edited.iid)]
    assert rules_of(second)[edited.iid] == ["INC002"] and rules_of(second)[kept.iid] == []
    third, counts = audit()
    assert third == second and counts == {LISTING: 1}


def test_a_new_comment_is_read_on_the_next_run(fake, audit):
    waiting = add_incident(fake, "waiting", approval=None)
    first, _ = audit()
    assert rules_of(first)[waiting.iid] == ["IPM003"]
    with fake.lock:
        fake.add_note(waiting, "Approved, thanks.", author="alice")
    touch(fake, waiting)
    second, counts = audit()
    assert rules_of(second)[waiting.iid] == []
    assert counts == {LISTING: 1, NOTES: 1, LINKS: 1}  # approved by comment: no award read


def test_a_new_approval_emoji_is_seen_on_the_next_run_and_then_cached(fake, audit):
    approved = add_incident(fake, "approved")
    waiting = add_incident(fake, "waiting", approval=None)
    first, _ = audit()
    assert rules_of(first) == {approved.iid: [], waiting.iid: ["IPM003"]}

    second, counts = audit()  # still waiting: one request for its post-mortem's emoji
    assert second == first and counts == {LISTING: 1, AWARDS: 1}
    assert by_issue(fake, AWARDS) == [str(waiting.iid)]

    with fake.lock:  # an award emoji does not touch the issue
        fake.add_award(waiting.notes[0], "thumbsup", user="alice")
    third, counts = audit()
    assert rules_of(third) == {approved.iid: [], waiting.iid: []}
    assert counts == {LISTING: 1, AWARDS: 1}

    fourth, counts = audit()  # approved now, from the cache
    assert fourth == third and counts == {LISTING: 1}


def test_a_compliant_unchanged_incident_costs_nothing_and_an_edit_only_violation_neither(fake, audit):
    add_incident(fake, "compliant")
    broken = add_incident(fake, "no change", change=False)
    first, _ = audit()
    assert rules_of(first)[broken.iid] == ["CHG001"]
    second, counts = audit()
    assert second == first and counts == {LISTING: 1}


def test_an_edited_change_ticket_is_seen_through_its_incidents_links(fake, audit):
    subject = add_incident(fake, "subject")
    [ticket] = [i for i in fake.issues.values() if i.title == "Change for subject"]
    first, _ = audit()
    assert rules_of(first)[subject.iid] == []
    touch(fake, ticket, description="## Rollback plan\n\nTBD\n")
    second, counts = audit()
    assert counts == {LISTING: 1, LINKS: 1}  # the incident itself did not change
    assert "CHG002" in rules_of(second)[subject.iid]
    third, counts = audit()
    assert third == second and counts == {LISTING: 1}


def test_an_issue_that_is_no_longer_an_incident_leaves_and_a_new_one_comes(fake, audit):
    leaving = add_incident(fake, "leaving")
    staying = add_incident(fake, "staying")
    audit()
    touch(fake, leaving, labels=["bug"], issue_type="issue")
    arriving = add_incident(fake, "arriving")
    touch(fake, arriving)
    second, counts = audit()
    assert sorted(rules_of(second)) == [staying.iid, arriving.iid]
    assert by_issue(fake, NOTES) == [str(arriving.iid)]
    with closing_db(audit.directory) as db:
        cached = {iid for (iid,) in db.execute("SELECT iid FROM issues")}
    assert cached == {staying.iid, arriving.iid}


def test_a_daily_relisting_drops_deleted_incidents(fake, audit):
    deleted = add_incident(fake, "deleted")
    kept = add_incident(fake, "kept")
    audit()
    with fake.lock:
        del fake.issues[deleted.id]  # deleting an issue touches nothing the warm listing sees
    stale, _ = audit()
    assert sorted(rules_of(stale)) == [deleted.iid, kept.iid]
    fresh, counts = audit(relist_every=timedelta(0))
    assert audit.source is not None and audit.source.mode == "relist"
    assert sorted(rules_of(fresh)) == [kept.iid]
    # every candidate listed again (3 lists and the first one's page 2, 1 by iids[]), plus the changes; no notes
    assert counts == {LISTING: 6}


def test_a_config_change_rescans_everything(fake, audit, config):
    add_incident(fake, "one")
    add_incident(fake, "two", approval="comment")
    audit()
    audit.config = replace(config, digest=config.digest + "-changed")
    _, counts = audit()
    assert audit.source is not None and audit.source.mode == "cold"
    assert counts[NOTES] == 2 and counts[LISTING] == 5  # 3 lists and the first one's page 2, then the 2 by iids[]
    _, counts = audit()
    assert counts == {LISTING: 1}


def test_the_fingerprint_covers_config_schemas_version_and_gitlab(config, tmp_path):
    gitlab = {"kind": "gitlab", "url": "https://gitlab.example.com", "project": PROJECT}
    base = fingerprint(config, gitlab)
    assert fingerprint(config, dict(gitlab)) == base
    assert fingerprint(replace(config, digest="other"), gitlab) != base
    assert fingerprint(config, {**gitlab, "project": "other/project"}) != base
    assert fingerprint(config, {**gitlab, "url": "https://other.example.com"}) != base
    schema = tmp_path / "report.schema.json"
    schema.write_text(Path(config.schema("report").origin).read_text(encoding="utf-8"), encoding="utf-8")
    custom = replace(config, schema_paths={"report": str(schema)})
    first = fingerprint(custom, gitlab)
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    from inc_audit.reading import schemas

    schemas.load.cache_clear()
    assert fingerprint(custom, gitlab) != first


# --- failures ----------------------------------------------------------------------------


def test_a_failed_warm_scan_leaves_the_cache_as_it_was(fake, audit):
    for number in range(4):
        add_incident(fake, f"incident {number}")
    first, _ = audit()
    for issue in list(fake.issues.values()):
        if issue.issue_type == "incident":
            touch(fake, issue)
    before = dump(audit.directory)
    fake.drop_after = 3
    with pytest.raises(SourceError):
        audit(concurrency=1, budget=0.3)
    assert audit.source is not None and not audit.source.saved
    assert dump(audit.directory) == before
    fake.drop_after = None
    second, counts = audit()
    assert audit.source.mode == "warm" and second == first
    assert counts[NOTES] == 4  # what changed is read again: the failed run stored nothing


def test_a_corrupt_cache_is_ignored_with_a_warning_and_rebuilt(fake, audit, capsys):
    add_incident(fake, "one")
    first, _ = audit()
    (audit.directory / FILE_NAME).write_bytes(b"this is not a database" * 100)
    second, counts = audit()
    assert second == first and counts[NOTES] == 1
    assert audit.source is not None and audit.source.mode == "cold"
    err = capsys.readouterr().err
    assert "warning" in err and "cache" in err and "unreadable" in err
    _, counts = audit()
    assert counts == {LISTING: 1}
    assert capsys.readouterr().err == ""


def test_a_cache_of_another_layout_or_with_garbage_rows_is_rebuilt(fake, audit, capsys):
    add_incident(fake, "one")
    first, _ = audit()
    with closing_db(audit.directory) as db:
        db.execute("UPDATE issues SET notes = 'not json'")
        db.commit()
    kept, counts = audit()  # its verdict is kept: the notes are not needed
    assert kept == first and counts == {LISTING: 1} and capsys.readouterr().err == ""
    with closing_db(audit.directory) as db:
        db.execute("DELETE FROM verdicts")
        db.commit()
    second, counts = audit()
    assert second == first and "unreadable" in capsys.readouterr().err
    assert counts == {LISTING: 1, NOTES: 1}
    with closing_db(audit.directory) as db:
        db.execute("PRAGMA user_version = 99")
        db.commit()
    third, _ = audit()
    assert third == first and "another version" in capsys.readouterr().err
    _, counts = audit()
    assert counts == {LISTING: 1}


def test_an_unwritable_cache_folder_only_warns(fake, tmp_path, config, capsys):
    add_incident(fake, "one")
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    runner = Runner(fake, blocker / "cache", config)
    result, _ = runner()
    assert len(result.incidents) == 1
    assert "could not be written" in capsys.readouterr().err


# --- shards ------------------------------------------------------------------------------


def test_shards_share_one_cache_without_erasing_each_other(fake, audit):
    issues = [add_incident(fake, f"incident {n}") for n in range(5)]
    one, two = Shard(1, 2), Shard(2, 2)
    first_one, counts = audit(shard=one)
    assert counts[NOTES] == 3
    first_two, counts = audit(shard=two)
    assert counts[NOTES] == 2
    assert {i.key.iid for i in first_one.incidents} | {i.key.iid for i in first_two.incidents} == {
        i.iid for i in issues
    }
    for shard, expected in ((one, first_one), (two, first_two)):
        again, counts = audit(shard=shard)
        assert again == expected and counts == {LISTING: 1}
    whole, counts = audit()  # an unsharded run is a slicing of its own: cold the first time
    assert audit.source is not None and audit.source.mode == "cold"
    assert counts[NOTES] == 5 and len(whole.incidents) == 5
    for shard, expected in ((one, first_one), (two, first_two)):
        again, counts = audit(shard=shard)
        assert again == expected and counts == {LISTING: 1}
    touch(fake, issues[0])
    _, counts = audit(shard=one)
    assert counts == {LISTING: 1, NOTES: 1, LINKS: 1, AWARDS: 1}
    _, counts = audit(shard=two)
    assert counts == {LISTING: 1}
    _, counts = audit()  # the first shard stored the new version: nothing left to read
    assert counts == {LISTING: 1}


# --- the approval rule's reads ---------------------------------------------------------------


class Refreshing(MemorySource):
    """A source whose ``note_awards`` may be stale, as the cache's are."""

    def __init__(self, stale: tuple[Award, ...], fresh: tuple[Award, ...]) -> None:
        super().__init__()
        self.stale, self.fresh = stale, fresh

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        self.asked.append("awards")
        return self.stale

    def refresh_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        self.asked.append("refresh")
        return self.fresh


def approvals(source: MemorySource, *notes: Any) -> set[str]:
    subject = incident(notes=(note(1, filled_post_mortem(), days_ago=25), *notes))
    return Context(subject, umami_config(), source, AS_OF).approvals(subject.notes[0])


def test_award_emoji_are_read_only_when_comments_do_not_settle_approval():
    thumbs = (Award("thumbsup", "alice", AS_OF - timedelta(days=10)),)
    settled = Refreshing(stale=(), fresh=thumbs)
    assert approvals(settled, note(2, "Approved", author="alice", days_ago=24)) == {"alice"}
    assert settled.asked == []
    cached = Refreshing(stale=thumbs, fresh=())
    assert approvals(cached) == {"alice"} and cached.asked == ["awards"]
    stale = Refreshing(stale=(), fresh=thumbs)
    assert approvals(stale) == {"alice"} and stale.asked == ["awards", "refresh"]
    withdrawn = Refreshing(stale=(Award("thumbsup", "bob", AS_OF - timedelta(days=10)),), fresh=())
    assert approvals(withdrawn) == set() and withdrawn.asked == ["awards", "refresh"]


# --- helpers --------------------------------------------------------------------------------


def closing_db(directory: Path) -> Any:
    from contextlib import closing

    return closing(sqlite3.connect(directory / FILE_NAME))


def dump(directory: Path) -> list[str]:
    with closing_db(directory) as db:
        return list(db.iterdump())
