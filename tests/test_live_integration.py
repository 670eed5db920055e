"""The API source and publishing through python-gitlab against the fake GitLab over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import FakeGitLab

from inc_audit.errors import ConfigError, PublishError, SourceError
from inc_audit.model import Issue
from inc_audit.publishing.audit_issue import MARKER, AuditIssueSettings, publish
from inc_audit.sources.export.source import ExportSource
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource

EXPORT = Path(__file__).resolve().parents[1] / "examples" / "umami-export"
PROJECT = "umami-wallet/umami"
LABELS = ("INC", "incident", "CHG", "Change::Emergency")
SETTINGS = AuditIssueSettings("Incident policy audit", ("inc-audit",), confidential=True)
BODY = "## Incident policy audit\n\n- umami-wallet/umami#3: no post-mortem\n"


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXPORT, PROJECT) as server:
        yield server


def client(fake: FakeGitLab, token: str = "tok-api", budget: float = 5.0,
           timeout: float = 2.0) -> Any:
    return connect(fake.url, token, timeout=timeout, retry_budget=budget, backoff=0.01)


def scan(source: Any) -> tuple[list[Issue], dict[str, Any]]:
    """Every candidate, with the links and note awards the rules could ask for."""
    issues = list(source.candidate_issues(LABELS))
    extra = {
        str(issue.key): (
            source.linked_issues(issue.key),
            [source.note_awards(issue.key, note.id) for note in issue.notes],
        )
        for issue in issues
    }
    return issues, extra


def audit_issues(fake: FakeGitLab) -> list[Any]:
    with fake.lock:
        return sorted((i for i in fake.issues.values() if MARKER in i.description),
                      key=lambda i: i.iid)


def test_api_source_builds_the_same_issues_as_the_export(fake: FakeGitLab) -> None:
    exported = scan(ExportSource(EXPORT, project=PROJECT, web_base=fake.url))
    live = scan(GitLabSource(client(fake, "tok-read"), project=PROJECT))
    assert live == exported
    issues, extra = live
    assert len(issues) > 10 and any(issue.notes for issue in issues)
    assert any(links for links, _ in extra.values())
    assert any(any(awards) for _, awards in extra.values())


def test_a_group_scan_finds_the_same_issues(fake: FakeGitLab) -> None:
    by_project = list(GitLabSource(client(fake), project=PROJECT).candidate_issues(LABELS))
    source = GitLabSource(client(fake), group="umami-wallet")
    assert list(source.candidate_issues(LABELS)) == by_project
    assert source.describe() == {"kind": "gitlab", "url": fake.url, "group": "umami-wallet"}


def test_notes_are_read_across_pages(fake: FakeGitLab) -> None:
    with fake.lock:
        issue = fake.add_issue(PROJECT, title="Long incident", issue_type="incident")
        for number in range(230):
            fake.add_note(issue, f"update {number}", created_at=f"2024-01-01T00:{number // 60:02d}"
                          f":{number % 60:02d}Z")
    gl = client(fake)
    [found] = [i for i in GitLabSource(gl, project=PROJECT).candidate_issues(()) if
               i.iid == issue.iid]
    assert [n.body for n in found.notes] == [f"update {n}" for n in range(230)]
    pages = [r for r in fake.requests if r.path.endswith(f"/issues/{issue.iid}/notes")]
    assert len(pages) == 3


def test_502s_429s_and_slow_answers_change_nothing(fake: FakeGitLab) -> None:
    expected = scan(ExportSource(EXPORT, project=PROJECT, web_base=fake.url))
    fake.fail_every = 5
    fake.rate_limit_every = 7
    fake.retry_after = 0
    fake.slow_every = 23
    fake.slow_seconds = 1.0
    assert scan(GitLabSource(client(fake, timeout=0.3), project=PROJECT)) == expected
    log = sorted(fake.requests, key=lambda r: r.seq)
    statuses = [r.status for r in log]
    assert statuses.count(502) > 5 and statuses.count(429) > 5
    too_late = [a for a, b in zip(log, log[1:], strict=False)
                if (a.path, a.query) == (b.path, b.query) and a.status == 200]
    assert too_late  # a slow answer came after the timeout and the request was sent again


def test_retry_after_is_honoured(fake: FakeGitLab) -> None:
    fake.retry_after = 1
    fake.rate_limit_every = 2
    gl = client(fake)
    start = time.monotonic()
    GitLabSource(gl, project=PROJECT)
    assert time.monotonic() - start >= 1.0
    assert [r.status for r in fake.requests] == [200, 429, 200]


def test_a_server_going_away_mid_scan_is_a_source_error(fake: FakeGitLab) -> None:
    source = GitLabSource(client(fake, budget=1.0, timeout=0.5), project=PROJECT)
    fake.drop_after = 8
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        scan(source)
    assert time.monotonic() - start < 5.0
    assert fake.url in caught.value.message
    assert "tok-api" not in str(caught.value)


def test_a_server_gone_before_start_is_a_source_error(fake: FakeGitLab) -> None:
    fake.go_away()
    with pytest.raises(SourceError, match="checking the token"):
        client(fake, budget=1.0, timeout=0.5)


def test_wrong_token_and_missing_project(fake: FakeGitLab) -> None:
    with pytest.raises(ConfigError, match=r"GitLab refused the token \(401\)") as refused:
        client(fake, "tok-wrong")
    assert "tok-wrong" not in str(refused.value)
    with pytest.raises(ConfigError, match=r"project nobody/nothing not found \(404\)"):
        GitLabSource(client(fake), project="nobody/nothing")


def test_two_publishes_leave_one_issue_and_the_second_writes_nothing(fake: FakeGitLab) -> None:
    gl = client(fake)
    first = publish(gl, PROJECT, BODY, True, SETTINGS)
    assert first.action == "created" and first.url.startswith(fake.url)
    writes = fake.writes
    assert [w.method for w in writes] == ["POST", "PUT"]  # created neutral and confidential, then written
    assert writes[0].endpoint.endswith("/projects/:project/issues")
    assert writes[0].fields["confidential"] is True and "violation" not in writes[0].fields["description"]
    assert writes[1].fields["description"].startswith(BODY.rstrip())
    second = publish(gl, PROJECT, BODY, True, SETTINGS)
    assert (second.action, second.url) == ("unchanged", first.url)
    assert fake.writes == writes
    [issue] = audit_issues(fake)
    assert issue.labels == ["inc-audit"] and issue.confidential


def test_close_then_reopen(fake: FakeGitLab) -> None:
    gl = client(fake)
    publish(gl, PROJECT, BODY, True, SETTINGS)
    assert publish(gl, PROJECT, "No violations.", False, SETTINGS).action == "closed"
    assert publish(gl, PROJECT, "No violations.", False, SETTINGS).action == "unchanged"
    assert publish(gl, PROJECT, BODY, True, SETTINGS).action == "reopened"
    [issue] = audit_issues(fake)
    assert issue.state == "opened"
    assert [n.body.split(":")[0] for n in issue.notes if not n.system] == [
        "No violations left", "Violations are back",
    ]


def test_publishing_through_faults_still_leaves_one_issue(fake: FakeGitLab) -> None:
    gl = client(fake)
    fake.fail_every = 3
    fake.rate_limit_every = 4
    fake.retry_after = 0
    assert publish(gl, PROJECT, BODY, True, SETTINGS).action == "created"
    assert publish(gl, PROJECT, BODY + "\nmore\n", True, SETTINGS).action == "updated"
    assert len(audit_issues(fake)) == 1


def test_concurrent_publishes_leave_one_open_issue(fake: FakeGitLab) -> None:
    fake.latency = 0.02
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def run() -> None:
        gl = client(fake)
        barrier.wait()
        outcomes.append(publish(gl, PROJECT, BODY, True, SETTINGS).action)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 3 and "created" in outcomes, outcomes
    found = audit_issues(fake)
    assert [i.state for i in found] == ["opened"] + ["closed"] * (len(found) - 1)
    for duplicate in found[1:]:
        assert any(f"Duplicate of #{found[0].iid}" in n.body for n in duplicate.notes)
    fake.clear_logs()
    assert publish(client(fake), PROJECT, BODY, True, SETTINGS).action == "unchanged"
    assert fake.writes == []


def test_a_read_only_token_cannot_publish(fake: FakeGitLab) -> None:
    with pytest.raises(PublishError, match=r"lacks access \(403\)") as caught:
        publish(client(fake, "tok-read"), PROJECT, BODY, True, SETTINGS)
    assert "tok-read" not in str(caught.value)
    assert audit_issues(fake) == []


def test_dry_run_writes_nothing(fake: FakeGitLab) -> None:
    outcome = publish(client(fake), PROJECT, BODY, True, SETTINGS, dry_run=True)
    assert outcome.action == "created" and "+- umami-wallet/umami#3" in outcome.diff
    assert fake.writes == []
