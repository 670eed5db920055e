"""The installed `inc-audit` command, in its own process, through python-gitlab and real HTTP,
against the fake GitLab on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, READ_TOKEN, FakeGitLab

from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, filled_report, template

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
SECRET = "glpat-Sup3rSecretT0ken-xyz"


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path, monkeypatch):
    """Each run keeps its cache (.inc-audit-cache/) in a folder of its own."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    tokens = {
        READ_TOKEN: ("alice", ["read_api"]),
        API_TOKEN: ("inc-audit-bot", ["api"]),
        SECRET: ("inc-audit-bot", ["api"]),
    }
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=tokens) as server:
        yield server
    assert server.errors == []


def cli(fake: FakeGitLab, *args: str, token: str = API_TOKEN, config: Path = EXAMPLE_CONFIG, timeout: float = 60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = token
    command = [INC_AUDIT, *args[:1], "--gitlab-url", fake.url, "--config", str(config), *args[1:]]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def audit(fake: FakeGitLab, *args: str, api: str = "rest", **kw):
    """``inc-audit run`` on the project, through the REST API unless told (``--api``)."""
    return cli(fake, "run", "--project", PROJECT, "--as-of", "2026-06-01", "--retry-budget", "5", "--api", api, *args,
               **kw)


def findings(report_text: str) -> list[tuple]:
    report = json.loads(report_text)
    return [
        (i["iid"], i["title"], i["state"], f["rule"], f["message"], f.get("section"))
        for i in report["incidents"]
        for f in i["findings"]
    ]


def audit_issues(fake: FakeGitLab) -> list:
    return [i for i in fake.issues.values() if "inc-audit" in i.labels]


def export_findings() -> list[tuple]:
    run = subprocess.run(
        [
            INC_AUDIT,
            "run",
            "--export",
            str(EXAMPLE_EXPORT),
            "--config",
            str(EXAMPLE_CONFIG),
            "--as-of",
            "2026-06-01",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    return findings(run.stdout)


def test_the_audit_through_gitlab_equals_the_audit_of_the_export(fake):
    live = audit(fake, "--format", "json")
    assert live.returncode == 1, live.stderr
    assert findings(live.stdout) == export_findings()
    assert len(findings(live.stdout)) == 14  # INC003 on #11 waived by the example configuration


def test_two_publishes_leave_one_audit_issue_and_the_second_edits_nothing(fake):
    first = audit(fake, "--publish")
    assert first.returncode == 1 and "audit issue created" in first.stderr
    fake.clear_logs()
    second = audit(fake, "--publish")
    assert second.returncode == 1 and "audit issue unchanged" in second.stderr
    assert fake.writes == []
    [issue] = audit_issues(fake)
    assert issue.confidential and issue.state == "opened"
    assert "umami-wallet/umami#7" in issue.description or "#7" in issue.description


def test_without_publish_nothing_is_written(fake):
    audit(fake)
    assert fake.writes == [] and audit_issues(fake) == []


def test_dry_run_shows_the_diff_and_writes_nothing(fake):
    result = audit(fake, "--publish", "--dry-run")
    assert "+<!-- inc-audit:audit-issue -->" in result.stdout
    assert fake.writes == []


@pytest.fixture
def small() -> Iterator[FakeGitLab]:
    """One open incident whose report is half empty: INC002 until it is filled in."""
    with FakeGitLab() as server:
        server.add_issue(
            PROJECT,
            title="Indexer lag",
            description=template("incident.md"),
            labels=["incident"],
            issue_type="incident",
        )
        yield server


def test_fixing_every_violation_closes_the_audit_issue_and_a_new_one_reopens_it(small, tmp_path):
    # The example's configuration without its waiver, whose incident this small project lacks (WVR001).
    config = tmp_path / "no-waivers.yml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8").split("\n# A finding known")[0] + "\n")
    assert audit(small, "--publish", config=config).returncode == 1
    [issue] = audit_issues(small)
    incident = small.issue(PROJECT, 1)
    edit(incident, filled_report())
    fixed = audit(small, "--publish", config=config)
    assert fixed.returncode == 0 and "audit issue closed" in fixed.stderr
    assert issue.state == "closed"
    edit(incident, template("incident.md"))
    again = audit(small, "--publish", config=config)
    assert again.returncode == 1 and "audit issue reopened" in again.stderr
    assert issue.state == "opened" and len(audit_issues(small)) == 1


def edit(issue, description: str) -> None:
    """Edit a description as GitLab does: the issue's updated_at moves."""
    issue.description = description
    issue.updated_at = datetime.now(timezone.utc)


@pytest.mark.parametrize(("api", "fail_every", "rate_limit_every"), [("rest", 5, 7), ("graphql", 2, 3)])
def test_with_502s_and_429s_the_audit_completes_with_the_same_findings(fake, api, fail_every, rate_limit_every):
    fake.fail_every = fail_every
    fake.rate_limit_every = rate_limit_every
    fake.retry_after = 0
    # A generous budget: with 8 reads in flight one read can meet several faults in a row.
    result = audit(fake, "--format", "json", "--retry-budget", "60", api=api)
    assert result.returncode == 1, result.stderr
    assert findings(result.stdout) == export_findings()
    statuses = {r.status for r in fake.requests}
    assert {502, 429} <= statuses


@pytest.mark.parametrize(("api", "drop_after"), [("rest", 20), ("graphql", 3)])
def test_a_server_going_away_mid_run_exits_3_and_leaves_the_audit_issue_as_it_was(fake, api, drop_after):
    assert audit(fake, "--publish", api=api).returncode == 1
    [issue] = audit_issues(fake)
    before = (issue.description, issue.state, issue.updated_at)
    fake.clear_logs()
    fake.drop_after = drop_after  # GraphQL: three of the first requests (made at once) answered
    result = audit(fake, "--publish", "--retry-budget", "2", "--no-cache", api=api)
    assert result.returncode == 3
    assert "inc-audit: error:" in result.stderr and "Traceback" not in result.stderr
    assert fake.writes == [] and (issue.description, issue.state, issue.updated_at) == before


def test_an_unreachable_server_is_reported_quickly_with_exit_3(fake):
    url = fake.url
    fake.stop()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")} | {"GITLAB_TOKEN": API_TOKEN}
    started = time.monotonic()
    result = subprocess.run(
        [INC_AUDIT, "run", "--gitlab-url", url, "--project", PROJECT, "--retry-budget", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3 and "127.0.0.1" in result.stderr
    assert time.monotonic() - started < 30


def test_a_hostile_title_leaves_no_mention_no_quick_action_and_an_intact_table():
    with FakeGitLab() as server:
        server.add_issue(
            PROJECT,
            title="Wallet drained? @all\n/close | urgent",
            description="",
            labels=["incident"],
            issue_type="incident",
        )
        assert audit(server, "--publish").returncode == 1
        [issue] = audit_issues(server)
    body = issue.description
    assert not re.search(r"(?<![\w`\\])@all", body)
    assert not re.search(r"^\s*/[a-z]", body, re.MULTILINE)
    rows = [line for line in body.splitlines() if line.startswith("| INC00")]
    assert rows and all(len(re.split(r"(?<!\\)\|", row)) == 5 for row in rows)


@pytest.mark.parametrize(
    ("token", "message"), [(SECRET + "x", "GitLab refused the token (401)"), ("", "GITLAB_TOKEN is not set")]
)
def test_token_problems_are_one_line_and_never_show_the_token(fake, token, message):
    result = audit(fake, "--debug", "-v", token=token)
    assert result.returncode == 2
    assert message in result.stderr.splitlines()[0]
    assert SECRET not in result.stdout + result.stderr


def test_the_token_is_never_printed_even_in_debug_and_verbose_runs(fake):
    result = audit(fake, "--debug", "-v", "--publish", token=SECRET)
    fake.drop_after = 5
    failed = audit(fake, "--debug", "-v", "--publish", "--retry-budget", "1", token=SECRET)
    for run in (result, failed):
        assert SECRET not in run.stdout + run.stderr
    assert failed.returncode == 3


def test_a_read_only_token_cannot_publish_and_says_which_scope(fake):
    result = audit(fake, "--publish", token=READ_TOKEN)
    assert result.returncode == 3 and "api" in result.stderr
    assert audit_issues(fake) == []


def test_an_unknown_project_is_one_clear_line(fake):
    result = cli(fake, "run", "--project", "nobody/nothing")
    assert result.returncode == 2 and "not found (404)" in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "error" in line]  # not the listing's too
    assert "project nobody/nothing not found (404)" in line


@pytest.mark.parametrize("api", ["rest", "graphql"])
def test_a_refused_token_is_said_before_anything_else_that_failed(fake, api):
    result = audit(fake, "--debug", token=SECRET + "x", api=api)  # the project read, the lists: 401 too
    assert result.returncode == 2
    assert "GitLab refused the token (401)" in result.stderr.splitlines()[0]
    unknown = cli(fake, "run", "--project", "nobody/nothing", "--api", api, token=SECRET + "x")
    assert unknown.returncode == 2 and "GitLab refused the token (401)" in unknown.stderr.splitlines()[0]


@pytest.mark.parametrize("api", ["rest", "graphql"])
def test_the_first_requests_do_not_wait_for_the_token_check(fake, api):
    fake.fault_on(r"/user$", delay=1.0)
    result = audit(fake, "--no-cache", api=api)
    assert result.returncode == 1, result.stderr
    answered = [r.endpoint for r in fake.requests]  # in the order they were answered
    first = answered.index("GET /user")
    assert "GET /projects/:project" in answered[:first]  # the project read
    assert answered[:first].count("GET /projects/:project/issues") >= 4  # own issues, the keys' lists
    assert api == "rest" or "POST /api/graphql" in answered[:first]  # the schema check


def test_check_one_live_incident(fake):
    result = cli(fake, "check", f"{PROJECT}#7", "--as-of", "2026-06-01")
    assert result.returncode == 1
    assert [line.split()[1] for line in result.stdout.splitlines() if line.startswith("  error")] == [
        "CHG001",
        "IPM002",
        "IPM003",
    ]


def test_a_group_audit_publishes_in_the_configured_project(fake, tmp_path):
    config = tmp_path / "c.yml"
    config.write_text(EXAMPLE_CONFIG.read_text().replace("audit_issue:\n", f"audit_issue:\n  project: {PROJECT}\n"))
    result = cli(fake, "run", "--group", "umami-wallet", "--as-of", "2026-06-01", "--publish", config=config)
    assert result.returncode == 1, result.stderr
    assert len(audit_issues(fake)) == 1


def test_a_second_run_reads_only_what_changed_and_finds_the_same(fake):
    cold = audit(fake, "--format", "json")
    fake.clear_logs()
    warm = audit(fake, "--format", "json")
    assert findings(warm.stdout) == findings(cold.stdout)
    assert not [r for r in fake.requests if r.endpoint.endswith("/notes")]
    fake.clear_logs()
    audit(fake, "--no-cache")
    assert len([r for r in fake.requests if r.endpoint.endswith("/notes")]) >= 12


def test_a_cold_graphql_run_takes_the_first_page_and_a_warm_one_finds_the_same(fake):
    cold = audit(fake, "--format", "json", api="graphql")
    assert findings(cold.stdout) == export_findings()
    asked = [dict(r.query).get("operation") for r in fake.requests if r.endpoint == "POST /api/graphql"]
    assert asked.count("First") == 2 and asked.count("Read") == 1  # and those of the listing not labelled INC
    fake.clear_logs()
    warm = audit(fake, "--format", "json", api="graphql")
    assert findings(warm.stdout) == findings(cold.stdout)
    asked = [dict(r.query).get("operation") for r in fake.requests if r.endpoint == "POST /api/graphql"]
    assert "First" not in asked  # a warm run lists only what changed


def test_auto_falling_back_to_rest_lists_the_keys_once(fake):
    fake.clear_logs()
    rest = audit(fake, "--no-cache", "--format", "json", api="rest")
    plain = fake.counts()
    fake.graphql_without = ("Note.awardEmoji",)  # an older GitLab: --api auto reads over REST
    fake.clear_logs()
    auto = audit(fake, "--no-cache", "--format", "json", "-v", api="auto")
    assert "reading through REST: its GraphQL API has no Note.awardEmoji" in auto.stderr
    assert findings(auto.stdout) == findings(rest.stdout)
    fell_back = fake.counts()
    lists = "GET /projects/:project/issues"  # the keys' lists (started before the schema check answered) and reads
    assert fell_back[lists] == plain[lists]
    # the schema check, and the first page's two queries (asked with it, refused by the older
    # schema); no early read by iid
    assert fell_back["POST /api/graphql"] == 3
    assert fell_back["GET /projects/:project"] == plain["GET /projects/:project"] + 1  # each source's project read
