"""The GraphQL source against the fake GitLab: how few requests, and how it copes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab, graphql_limits

from inc_audit.audit import read_ahead, run_audit
from inc_audit.cache.source import CachedSource, fingerprint
from inc_audit.config import file as config_module
from inc_audit.errors import ConfigError, SourceError
from inc_audit.model import IssueKey
from inc_audit.sources.graphql import query as q
from inc_audit.sources.graphql.client import GraphQL, missing_fields
from inc_audit.sources.graphql.source import GraphQLSource
from inc_audit.sources.http.session import connect
from tests.conftest import AS_OF, EXAMPLE_CONFIG, filled_change, filled_post_mortem, filled_report, umami_config

GRAPHQL = "POST /api/graphql"
REPORT, POST_MORTEM, CHANGE = filled_report(), filled_post_mortem(), filled_change()
INC = ("INC", "incident")


def source(fake: FakeGitLab, budget: float = 20.0, **target: Any) -> GraphQLSource:
    gl = connect(fake.url, API_TOKEN, timeout=budget, retry_budget=budget, backoff=0.01)
    return GraphQLSource(gl, GraphQL(gl, API_TOKEN, timeout=budget), concurrency=4, **(target or {"project": PROJECT}))


def incidents(fake: FakeGitLab, count: int, notes: int = 12, approved: bool = True) -> list[Any]:
    made = []
    with fake.lock:
        for number in range(count):
            issue = fake.add_issue(
                PROJECT,
                title=f"incident {number}",
                description=REPORT,
                labels=["INC"],
                issue_type="incident",
                state="closed",
                created_at="2026-03-01T00:00:00Z",
                closed_at="2026-03-02T00:00:00Z",
            )
            for index in range(notes):
                fake.add_note(issue, f"comment {index}", author="bob", created_at=f"2026-03-02T01:00:{index % 60:02d}Z")
            post_mortem = fake.add_note(issue, POST_MORTEM, author="dave", created_at="2026-03-03T00:00:00Z")
            if approved:
                fake.add_award(post_mortem, "thumbsup", user="alice", created_at="2026-03-04T00:00:00Z")
            ticket = fake.add_issue(
                PROJECT,
                title=f"change {number}",
                description=CHANGE,
                labels=["CHG"],
                created_at="2026-03-01T00:00:00Z",
            )
            fake.link(issue, ticket)
            made.append(issue)
    return made


def operations(fake: FakeGitLab) -> list[str]:
    return [dict(r.query).get("operation", "") for r in fake.requests if r.endpoint == GRAPHQL]


def test_a_cold_read_costs_a_request_per_page_of_100(fake: FakeGitLab) -> None:
    incidents(fake, 201, notes=29)
    live = source(fake)
    config = umami_config()
    read_ahead(live, config, AS_OF)
    fake.clear_logs()
    result = run_audit(live, config, AS_OF)
    assert len(result.incidents) == 201
    assert not result.violating  # compliant: the awards and the links were read along
    # the keys over REST: 3 pages labelled INC, 1 of "incident" without INC, 1 of incidents without either
    assert fake.counts() == {"GET /projects/:project/issues": 5, GRAPHQL: 2}
    assert operations(fake) == ["Read"] * 2  # by iid: two aliases of 100 in a query, then one of 1
    assert sum(fake.counts().values()) / 201 <= 0.05
    assert all(len(issue.notes) == 30 for issue in live.candidate_issues(INC))


def test_the_page_size_comes_from_the_querys_complexity() -> None:
    fields = q.issue_fields(q.Shape())
    size = q.largest_page(lambda page: [q.scope("project", PROJECT, [q.issues("a", {}, fields, page)])], limit=150)
    assert q.total([q.scope("project", PROJECT, [q.issues("a", {}, fields, size)])]) <= 150
    assert q.total([q.scope("project", PROJECT, [q.issues("a", {}, fields, size + 1)])]) > 150


def test_a_refused_complexity_splits_the_read(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    made = incidents(fake, 150, notes=2)
    monkeypatch.setitem(graphql_limits.MAX_COMPLEXITY, True, 200)  # a stricter GitLab than the client knows
    live = source(fake)
    fake.clear_logs()
    assert [i.key.iid for i in live.candidate_issues(INC)] == sorted(issue.iid for issue in made)
    assert operations(fake) == ["Read"] * 3  # two aliases refused, then one query each
    assert all(r.status == 200 for r in fake.requests)


def test_a_refused_complexity_shrinks_the_page(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    incidents(fake, 30, notes=2)
    monkeypatch.setitem(graphql_limits.MAX_COMPLEXITY, True, 200)  # a stricter GitLab than the client knows
    live = source(fake)
    fake.clear_logs()
    assert len(live.list_updated(datetime(2020, 1, 1, tzinfo=timezone.utc))) == 60
    answers = [r.status for r in fake.requests]
    assert operations(fake)[0] == "Issues" and len(answers) >= 2
    assert all(status == 200 for status in answers)


def test_faults_are_retried_and_change_nothing(fake: FakeGitLab) -> None:
    incidents(fake, 5)
    calm = [(i.key, i.notes) for i in source(fake).candidate_issues(INC)]
    fake.fail_every, fake.rate_limit_every, fake.retry_after = 2, 3, 0
    stormy = [(i.key, i.notes) for i in source(fake, budget=10.0).candidate_issues(INC)]
    assert stormy == calm
    assert {r.status for r in fake.requests} >= {200, 429, 502}


def test_a_server_going_away_is_an_incomplete_read(fake: FakeGitLab) -> None:
    incidents(fake, 2)
    live = source(fake, budget=1.0)
    fake.go_away()
    with pytest.raises(SourceError) as caught:
        list(live.candidate_issues(INC))
    assert "gave up" in caught.value.message and API_TOKEN not in caught.value.message


def test_a_project_graphql_cannot_see_is_a_config_error(fake: FakeGitLab) -> None:
    incidents(fake, 1)
    live = source(fake)
    with pytest.raises(ConfigError, match="not visible through GitLab's GraphQL API"):
        list(live.read_entries([IssueKey("umami-wallet/elsewhere", 1)]))


def test_missing_fields_names_what_an_older_gitlab_lacks(fake: FakeGitLab) -> None:
    gl = connect(fake.url, API_TOKEN)
    assert missing_fields(GraphQL(gl, API_TOKEN)) is None
    fake.graphql_without = ("Issue.linkedWorkItems",)
    assert missing_fields(GraphQL(gl, API_TOKEN)) == "its GraphQL API has no Issue.linkedWorkItems"
    fake.graphql = False
    assert missing_fields(GraphQL(gl, API_TOKEN)) == "it has no GraphQL API (404)"


def test_a_warm_run_rereads_the_incidents_awaiting_approval_together(fake: FakeGitLab, tmp_path: Path) -> None:
    config = umami_config()
    incidents(fake, 100)
    waiting = incidents(fake, 20, approved=False)

    def run() -> tuple[Any, list[str]]:
        live = source(fake)
        cached = CachedSource(live, tmp_path / "cache", fingerprint(config, live.describe()))
        read_ahead(cached, config, AS_OF)
        fake.clear_logs()
        result = run_audit(cached, config, AS_OF)
        return result, operations(fake)

    cold, _ = run()
    assert {str(i.key) for i in cold.violating} == {f"{PROJECT}#{i.iid}" for i in waiting}
    warm, asked = run()
    assert asked == ["Issues", "Read"]  # what changed since the last run, then the 20 awaiting approval
    with fake.lock:
        post_mortem = next(n for n in waiting[0].notes if n.author_id == fake.find_user("dave").id)
        fake.add_award(post_mortem, "thumbsup", user="alice")  # an award does not move updated_at
    after, asked = run()
    assert asked == ["Issues", "Read"]
    assert len(after.violating) == 19


def test_the_cli_says_which_api_and_why(fake: FakeGitLab, tmp_path: Path) -> None:
    incidents(fake, 3)

    def cli(*options: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GITLAB_TOKEN": API_TOKEN}
        command = [
            sys.executable,
            "-m",
            "inc_audit",
            "run",
            "--gitlab-url",
            fake.url,
            "--project",
            PROJECT,
            "--config",
            str(EXAMPLE_CONFIG),
            "--as-of",
            "2026-06-01T00:00:00Z",
            "--format",
            "json",
            "--no-cache",
            "-v",
            *options,
        ]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    auto = cli()
    assert "reading through GraphQL" in auto.stderr
    assert fake.counts()[GRAPHQL] == 3  # the schema check, and the oldest and newest incidents' page: all 3
    assert operations(fake).count("First") == 2
    fake.graphql_without = ("Note.awardEmoji",)
    older = cli("--api", "auto")
    assert "reading through REST: its GraphQL API has no Note.awardEmoji" in older.stderr
    assert json.loads(older.stdout)["incidents"] == json.loads(auto.stdout)["incidents"]
    refused = cli("--api", "graphql")
    assert refused.returncode == 2 and "--api graphql: GitLab cannot serve the audit" in refused.stderr
    fake.graphql_without = ()
    fake.clear_logs()
    asked_before = fake._seq  # the refused run's first pages may still be answering: not this run's
    assert "reading through REST (--api rest)" in cli("--api", "rest").stderr
    assert not [r for r in fake.requests if r.seq > asked_before and r.endpoint == GRAPHQL]
    assert any(r.seq > asked_before for r in fake.requests)
    fake.go_away()
    assert cli("--api", "graphql", "--retry-budget", "1").returncode == 3


def test_the_example_config_audits_a_group_through_graphql(fake: FakeGitLab) -> None:
    incidents(fake, 2)
    with fake.lock:
        fake.add_issue(
            "umami-wallet/sub/deeper",
            title="nested",
            description="",
            labels=["INC"],
            issue_type="incident",
            created_at="2026-03-01T00:00:00Z",
        )
    config = config_module.load(EXAMPLE_CONFIG)
    live = source(fake, group="umami-wallet")
    keys = [str(issue.key) for issue in live.candidate_issues(config.incident_labels)]
    assert "umami-wallet/sub/deeper#1" in keys and len(keys) == 3
