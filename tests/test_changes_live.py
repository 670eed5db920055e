"""A change that exists is found, end to end: python-gitlab writes through the fake GitLab over
real HTTP, which writes GitLab's "mentioned in issue" system notes, and the audit reads them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import pytest
import requests
from fakegitlab import API_TOKEN, PROJECT, READ_TOKEN, FakeGitLab
from fakegitlab.schemas import validator

from inc_audit.audit import read_ahead, run_audit
from inc_audit.model import IssueKey
from inc_audit.rules import judge
from inc_audit.sources.export.source import ExportSource
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import AS_OF, at, filled_change, filled_post_mortem, filled_report, umami_config

pytest_plugins = ["fakegitlab.fixtures"]


@pytest.fixture
def fake(fake_gitlab: FakeGitLab) -> Iterator[FakeGitLab]:
    """A closed incident (#1) with an approved post-mortem and no linked change."""
    incident = fake_gitlab.add_issue(
        PROJECT, title="Indexer lag", description=filled_report(), labels=["incident"], issue_type="incident",
        state="closed", author="frank", created_at=at(40), closed_at=at(30),
    )
    post_mortem = fake_gitlab.add_note(incident, filled_post_mortem(), author="dave", created_at=at(25))
    fake_gitlab.add_award(post_mortem, "thumbsup", user="alice", created_at=at(24))
    yield fake_gitlab


def api(fake: FakeGitLab, project: str = PROJECT) -> Any:
    return gitlab.Gitlab(fake.url, private_token=API_TOKEN).projects.get(project)


def audit(fake: FakeGitLab) -> list[tuple[str, str]]:
    source = GitLabSource(connect(fake.url, READ_TOKEN, timeout=2.0, retry_budget=2.0, backoff=0.01), project=PROJECT)
    result = run_audit(source, umami_config(), AS_OF)
    [incident] = result.incidents
    return [(f.rule, f.message) for f in incident.findings]


def system_notes(fake: FakeGitLab) -> list[str]:
    issue = fake.issue(PROJECT, 1)
    assert issue is not None
    return [note.body for note in issue.notes if note.system]


def test_a_change_ticket_that_mentions_the_incident_is_found_and_asked_to_be_linked(fake):
    api(fake).issues.create({"title": "Emergency change", "labels": "CHG",
                             "description": "Handles #1.\n\n" + filled_change()})
    assert system_notes(fake) == ["mentioned in issue #2"]
    [(rule, message)] = audit(fake)
    assert rule == "CHG003" and "#2 mentions this incident but is not linked" in message
    assert fake.counts()["GET /projects/:project/issues/:iid"] == 1


def test_a_comment_on_a_change_in_another_project_that_mentions_the_incident(fake):
    fake.add_project("umami-wallet/ops")
    change = api(fake, "umami-wallet/ops").issues.create({"title": "Roll back the indexer", "labels": "CHG",
                                                          "description": filled_change()})
    change.notes.create({"body": f"Deployed for {PROJECT}#1, see `#9` for the runbook."})
    assert system_notes(fake) == ["mentioned in issue umami-wallet/ops#1"]
    [(rule, message)] = audit(fake)
    assert rule == "CHG003" and "umami-wallet/ops#1" in message


def test_an_issue_that_mentions_the_incident_but_is_no_change_leaves_chg001(fake):
    api(fake).issues.create({"title": "Similar lag on testnet", "labels": "bug", "description": "Like #1."})
    assert [rule for rule, _ in audit(fake)] == ["CHG001"]


@pytest.mark.parametrize("status, reason", [(404, "not found or no access (404)"), (403, "no access (403)")])
def test_a_mentioning_issue_the_token_cannot_read_does_not_stop_the_audit(fake, status, reason):
    secret = fake.add_issue("vault/changes", title="Secret change", labels=["CHG"])
    incident = fake.issue(PROJECT, 1)
    assert incident is not None
    fake.add_note(incident, f"mentioned in issue vault/changes#{secret.iid}", system=True, created_at=at(29))
    fake.hide("vault/changes", status)
    assert [rule for rule, _ in audit(fake)] == ["CHG001"]
    source = GitLabSource(connect(fake.url, READ_TOKEN, timeout=2.0, retry_budget=2.0, backoff=0.01), project=PROJECT)
    assert source.issue_summary(IssueKey("vault/changes", secret.iid)).unreadable == reason


def test_a_linked_issue_outside_the_export_is_said_so(tmp_path: Path):
    tree = tmp_path / "tree" / "project"
    tree.mkdir(parents=True)
    incident = {
        "iid": 1, "title": "Indexer lag", "description": filled_report(), "state": "closed",
        "created_at": "2026-04-20T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z",
        "closed_at": "2026-05-01T10:00:00Z", "work_item_type": {"base_type": "incident"},
        "label_links": [{"label": {"title": "incident"}}],
        "notes": [
            {"id": 1, "note": "marked this issue as related to ops/changes#4", "system": True,
             "created_at": "2026-04-21T10:00:00Z", "author_id": 1},
            {"id": 2, "note": filled_post_mortem(), "created_at": "2026-05-05T10:00:00Z", "author_id": 1,
             "award_emoji": [{"name": "thumbsup", "user_id": 2, "created_at": "2026-05-06T10:00:00Z"}]},
        ],
    }
    (tree / "issues.ndjson").write_text(json.dumps(incident) + "\n")
    members = [{"user_id": 1, "user": {"username": "dave"}}, {"user_id": 2, "user": {"username": "alice"}}]
    (tree / "project_members.ndjson").write_text("\n".join(json.dumps(m) for m in members) + "\n")
    result = run_audit(ExportSource(tmp_path, project=PROJECT), umami_config(), AS_OF)
    [(rule, message)] = [(f.rule, f.message) for f in result.incidents[0].findings]
    assert rule == "CHG004" and "ops/changes#4 could not be read (another project, not in this export)" in message


def test_the_mention_notes_are_gitlabs_notes(fake, api_schemas):
    api(fake).issues.create({"title": "Emergency change", "labels": "CHG", "description": "Handles #1."})
    api(fake).issues.create({"title": "Again", "labels": "CHG", "description": "Handles #1 and #1 again."})
    answer = requests.get(f"{fake.api_url}/projects/{PROJECT.replace('/', '%2F')}/issues/1/notes",
                          headers={"PRIVATE-TOKEN": READ_TOKEN}, timeout=5)
    notes = answer.json()
    validator(api_schemas, "public_api/v4/notes.json").validate(notes)
    mentions = [(n["body"], n["system"], n["author"]["username"]) for n in notes if n["system"]]
    assert sorted(mentions) == [("mentioned in issue #2", True, "bot"), ("mentioned in issue #3", True, "bot")]


def test_reading_ahead_reads_the_mentioning_issue_once_for_the_rules(fake):
    change = {"title": "Emergency change", "labels": "CHG", "description": "Handles #1.\n\n" + filled_change()}
    api(fake).issues.create(change)
    source = GitLabSource(connect(fake.url, READ_TOKEN, timeout=2.0, retry_budget=2.0, backoff=0.01),
                          project=PROJECT, concurrency=4)
    read_ahead(source, umami_config(), AS_OF)
    [incident] = [i for i in source.candidate_issues(("incident",)) if i.iid == 1]
    assert fake.counts()["GET /projects/:project/issues/:iid"] == 1  # read by the reader thread
    verdict = judge(incident, umami_config(), source, AS_OF)
    assert [f.rule for f in verdict.findings] == ["CHG003"] and not verdict.settled
    assert fake.counts()["GET /projects/:project/issues/:iid"] == 1  # and not again by the rules
