"""A server that lies, over real HTTP: listings that never end, Retry-After of any text, GraphQL
answers of the wrong kind, documents nested thousands deep, answers to the bot's own writes
without the fields it needs. Each ends the run with one line and exit 3, never a traceback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import PROJECT, FakeGitLab

from inc_audit.errors import SourceError
from inc_audit.sources.graphql import listing as graphql_listing
from inc_audit.sources.graphql.client import GraphQL, missing_fields
from inc_audit.sources.graphql.source import GraphQLSource
from inc_audit.sources.http.session import connect, get_json
from inc_audit.sources.rest import pages as rest_pages
from inc_audit.sources.rest.source import DEFAULT_CONCURRENCY, GitLabSource
from tests.conftest import EXAMPLE_EXPORT
from tests.hostile import servers
from tests.hostile.test_source import LABELS, SECRET, TOKENS, cli, incidents

ISSUES = r"/projects/[^/]+/issues$"
LISTS = len(LABELS) + 1
"""The candidates' lists: one per label, one of incidents; their first pages are read at once."""


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab(TOKENS) as server:
        yield server
    assert server.errors == []


def one_error(run: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    [line] = [line for line in run.stderr.splitlines() if line.startswith("inc-audit: error")]
    return line


def listing(fake: FakeGitLab) -> list[Any]:
    incidents(fake, 1)
    gl = connect(fake.url, SECRET, timeout=5.0, retry_budget=2.0)
    return list(GitLabSource(gl, project=PROJECT).candidate_issues(LABELS))


# --- listings that never end -------------------------------------------------------------------


def test_a_next_link_seen_twice_ends_the_read(fake: FakeGitLab) -> None:
    fake.answer_raw(ISSUES, servers.endless_pages(repeat=True))
    with pytest.raises(SourceError, match="looped"):
        listing(fake)
    wave = rest_pages.first_pages(DEFAULT_CONCURRENCY, LISTS)  # the lists' first pages, asked at once
    assert sum(r.path.endswith("/issues") for r in fake.requests) == sum(wave) + 1  # then the link once


def test_more_pages_than_announced_ends_the_read(fake: FakeGitLab) -> None:
    fake.answer_raw(ISSUES, servers.endless_pages(total_pages=3))
    with pytest.raises(SourceError, match="past the 3 page"):
        listing(fake)
    # the first wave holds pages of the first list past the 3 it announced and the one it may grow by
    wave = rest_pages.first_pages(DEFAULT_CONCURRENCY, LISTS)
    assert wave[0] > 3 + rest_pages.GROWTH
    assert sum(r.path.endswith("/issues") for r in fake.requests) == sum(wave)


def test_a_listing_without_totals_ends_at_the_page_cap(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rest_pages, "MAX_PAGES", 25)
    fake.answer_raw(ISSUES, servers.endless_pages())
    with pytest.raises(SourceError, match="past 25 pages"):
        listing(fake)
    wave = rest_pages.first_pages(DEFAULT_CONCURRENCY, LISTS)  # the lists' first pages, asked at once
    assert sum(r.path.endswith("/issues") for r in fake.requests) == 25 + sum(wave[1:])  # the others' first


def test_a_looping_listing_through_the_cli_is_one_line_and_exit_3(fake: FakeGitLab, tmp_path: Path) -> None:
    incidents(fake, 1)
    fake.answer_raw(ISSUES, servers.endless_pages(total_pages=2))
    run = cli(fake.url, cwd=tmp_path)
    assert run.returncode == 3
    assert "pagination went on past the 2 page(s)" in one_error(run)


# --- Retry-After of any text -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf", "1e999", "99999999999", "Mon, 99 Foo 2026"])
def test_any_retry_after_ends_in_one_line_within_the_budget(fake: FakeGitLab, tmp_path: Path, value: str) -> None:
    gl = connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0, backoff=0.2)
    fake.answer_raw(r"/version$", servers.answer(429, b"{}", {"Retry-After": value}))
    with pytest.raises(SourceError, match="HTTP 429") as failed:
        get_json(gl, "/version", "reading the version")
    assert "\n" not in str(failed.value) and len(str(failed.value)) < 400
    assert sum(r.path.endswith("/version") for r in fake.requests) <= 8  # no hammering on "0"


def test_retry_after_through_the_cli(fake: FakeGitLab, tmp_path: Path) -> None:
    fake.answer_raw(r"/user$", servers.answer(429, b"{}", {"Retry-After": "1e999"}))
    run = cli(fake.url, cwd=tmp_path)
    assert run.returncode == 3 and "HTTP 429" in one_error(run)


# --- documents nested thousands deep ------------------------------------------------------------


@pytest.mark.parametrize("path", [r"/user$", ISSUES])
def test_a_deeply_nested_answer_is_one_line_and_exit_3(fake: FakeGitLab, tmp_path: Path, path: str) -> None:
    incidents(fake, 1)
    fake.answer_raw(path, servers.answer(200, servers.nested()))
    run = cli(fake.url, cwd=tmp_path)
    assert run.returncode == 3
    line = one_error(run)
    assert "nested too deeply" in line or "not valid JSON" in line


def test_a_deeply_nested_graphql_answer_is_one_line(fake: FakeGitLab, tmp_path: Path) -> None:
    incidents(fake, 1)
    fake.answer_raw(r"/api/graphql$", servers.answer(200, servers.nested()))
    run = cli(fake.url, "--api", "graphql", cwd=tmp_path)
    assert run.returncode in (2, 3)
    one_error(run)


# --- GraphQL answers of the wrong kind -------------------------------------------------------


@pytest.fixture
def umami() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=TOKENS) as server:
        yield server
    assert server.errors == []


def graphql_run(fake: FakeGitLab, tmp_path: Path, api: str = "graphql") -> subprocess.CompletedProcess[str]:
    return cli(fake.url, "--api", api, "-v", cwd=tmp_path)


def listing_only(mangle: Any) -> Any:
    """Mangle the answers to the queries that read a project's issues (listing, or by iid)."""
    def change(body: Any) -> Any:
        project = (body.get("data") or {}).get("project") if isinstance(body, dict) else None
        aliases = project if isinstance(project, dict) else {}
        reads = any(k in ("labelled", "incidents") or k.startswith("found") for k in aliases)
        return mangle(body) if reads else body

    return change


@pytest.mark.parametrize(
    "case, mangle",
    [
        ("data is null", lambda body: {"data": None}),
        ("data is null with errors", lambda body: {"data": None, "errors": [{"message": "boom"}]}),
        ("partial data with errors", lambda body: {**body, "errors": [{"message": "Timeout on issues"}]}),
        ("data is a list", lambda body: {"data": [1, 2]}),
        ("errors is not a list", lambda body: {"data": body.get("data"), "errors": "all wrong"}),
    ],
)
def test_a_graphql_answer_of_the_wrong_kind_is_one_line_and_exit_3(
    umami: FakeGitLab, tmp_path: Path, case: str, mangle: Any
) -> None:
    umami.corrupt_graphql = listing_only(mangle)
    run = graphql_run(umami, tmp_path)
    assert run.returncode == 3, run.stderr
    one_error(run)
    assert umami.writes == []


def test_a_complexity_score_of_zero_is_one_line(umami: FakeGitLab, tmp_path: Path) -> None:
    refusal = {"errors": [{"message": "Query has complexity of 0, which exceeds max complexity of 0"}]}
    umami.corrupt_graphql = listing_only(lambda body: refusal)
    run = graphql_run(umami, tmp_path)
    assert run.returncode == 3, run.stderr
    assert "complexity of 0" in one_error(run)


def test_a_cursor_seen_twice_ends_the_graphql_read(umami: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    first: list[str] = []

    def again(value: Any) -> Any:
        if isinstance(value, dict):
            if "hasNextPage" in value and (first or isinstance(value.get("endCursor"), str)):
                first.append(value.get("endCursor"))
                return {**value, "hasNextPage": True, "endCursor": first[0]}  # the first page's, again
            return {name: again(item) for name, item in value.items()}
        return [again(item) for item in value] if isinstance(value, list) else value

    umami.corrupt_graphql = again
    gl = connect(umami.url, SECRET, timeout=5.0, retry_budget=2.0)
    source = GraphQLSource(gl, GraphQL(gl, SECRET), project=PROJECT)
    with pytest.raises(SourceError, match="looped"):
        list(source.candidate_issues(LABELS))
    assert graphql_listing.MAX_PAGES >= 1000


@pytest.mark.parametrize(
    "schema",
    [
        {"data": {"issue": "a string", "note": None}},
        {"data": {"issue": {"fields": "name"}}},
        {"data": {"issue": {"fields": [1, None, "x"]}}},
        {"data": None},
        {"data": 7},
    ],
)
def test_a_malformed_introspection_answer_falls_back_to_rest_and_says_why(
    umami: FakeGitLab, tmp_path: Path, schema: dict[str, Any]
) -> None:
    umami.corrupt_graphql = lambda body: schema if "__type" in json.dumps(body) or "issue" in body.get("data", {}) \
        and "fields" in json.dumps(body) else body
    gl = connect(umami.url, SECRET, timeout=5.0, retry_budget=2.0)
    reason = missing_fields(GraphQL(gl, SECRET))
    assert reason is not None
    run = graphql_run(umami, tmp_path, api="auto")
    assert run.returncode == 1, run.stderr  # the audit ran, over REST, and found violations
    assert "reading through REST:" in run.stderr


# --- answers to the bot's own writes ------------------------------------------------------------


@pytest.mark.parametrize("created", [{}, {"iid": "3"}, {"iid": None}, [], "ok", {"iid": True}])
def test_an_answer_to_creating_the_audit_issue_without_its_number_is_one_line(
    umami: FakeGitLab, tmp_path: Path, created: Any
) -> None:
    umami.corrupt = {"POST /projects/:project/issues": lambda body, args: created}
    run = cli(umami.url, "--publish", cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    line = one_error(run)
    assert "creating the audit issue" in line and ("lacked iid" in line or "not a JSON object" in line)


def test_listed_audit_issues_without_a_number_are_not_the_bots(umami: FakeGitLab, tmp_path: Path) -> None:
    first = cli(umami.url, "--publish", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    umami.corrupt = {"GET /projects/:project/issues": lambda body, args: [
        {**entry, "iid": str(entry.get("iid"))} if "inc-audit" in entry.get("labels", []) else entry
        for entry in body]}
    run = cli(umami.url, "--publish", cwd=tmp_path)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
