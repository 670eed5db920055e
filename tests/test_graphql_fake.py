"""The fake GitLab's GraphQL endpoint: GitLab's limits, GitLab's error shapes, the server's faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fakegitlab import FakeGitLab
from fakegitlab.server import PROJECT

from inc_audit.sources.graphql import query as q

READ = {"Authorization": "Bearer tok-read"}


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab() as server:
        yield server


def post(fake: FakeGitLab, text: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        fake.url + "/api/graphql", json={"query": text}, headers=READ if headers is None else headers, timeout=10
    )


def scoped(body: str, name: str = "") -> str:
    """A query on the project: ``body`` inside ``project(fullPath:)``."""
    return f'query {name} {{ project(fullPath: "{PROJECT}") {{ {body} }} }}'


def seed(fake: FakeGitLab, count: int, notes: int = 0) -> None:
    for number in range(count):
        issue = fake.add_issue(
            PROJECT,
            title=f"incident {number}",
            labels=["incident"],
            issue_type="incident",
            created_at=f"2026-01-01T00:{number // 60:02d}:{number % 60:02d}Z",
        )
        for index in range(notes):
            fake.add_note(issue, f"comment {index}", created_at=f"2026-01-02T00:00:{index % 60:02d}Z")


def test_complexity_is_priced_as_gitlab_prices_it(fake: FakeGitLab) -> None:
    seed(fake, 1)
    # notes: resolver, (nodes 1 + body 1 + 1) * (1 + 100 * 0.01) = 6; issues: (nodes 1 + iid 1 + 6
    # + 1 + sort 1) * (1 + 10 * 0.01) = 11; project: 11 + 1 = 12. Not multiplied by page sizes.
    cheap = scoped("issues(first: 10) { nodes { iid notes { nodes { body } } } }")
    assert "errors" not in post(fake, cheap).json()
    alias = "issues(first: 10) { nodes { iid notes { nodes { body } } } }"
    heavy = scoped(" ".join(f"a{i}: {alias}" for i in range(23)))
    answer = post(fake, heavy)
    assert answer.status_code == 200
    assert answer.json() == {
        "errors": [{"message": "Query has complexity of 254, which exceeds max complexity of 250"}]
    }


def test_the_client_prices_its_queries_as_the_server_does(fake: FakeGitLab) -> None:
    seed(fake, 1)
    for page in (1, 40, 100):
        roots = [
            q.scope(
                "project",
                PROJECT,
                [
                    q.issues(f"a{i}", {"or": {"labelNames": ["incident"]}}, q.issue_fields(q.Shape()), page)
                    for i in range(2)
                ],
            )
        ]
        expected = q.total(roots)
        answer = post(fake, q.query("Twice", roots)).json()
        if expected <= 250:
            assert "errors" not in answer
        else:
            assert answer["errors"][0]["message"].startswith(f"Query has complexity of {expected},")


def test_issues_by_iid_are_not_multiplied(fake: FakeGitLab) -> None:
    by_page = q.issues("x", {}, q.issue_fields(q.Shape()), 100)
    by_iid = q.issues("x", {"iids": [str(i) for i in range(100)]}, q.issue_fields(q.Shape()), 100)
    assert by_iid.complexity() < by_page.complexity() <= 2 * by_iid.complexity()


def test_anonymous_queries_have_the_lower_limits(fake: FakeGitLab) -> None:
    seed(fake, 1)
    levels = ["issues(first: 1)", "nodes", "notes(first: 1)", "nodes", "project"] * 3
    deep = scoped(" { ".join(levels[:14]) + " { id" + " }" * 14)
    assert post(fake, deep).json().get("errors") is None  # depth 16: within 20
    refused = post(fake, deep, headers={}).json()
    assert refused == {"errors": [{"message": "Query has depth of 16, which exceeds max depth of 15"}]}
    public = post(fake, scoped("id"), headers={}).json()
    assert public == {"data": {"project": None}}  # a private project is invisible without a token


def test_pages_hold_at_most_100_and_cursors_go_on(fake: FakeGitLab) -> None:
    seed(fake, 130)
    text = "issues(first: 500{}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ iid }} }}"
    first = post(fake, scoped(text.format(""))).json()["data"]["project"]["issues"]
    assert len(first["nodes"]) == 100 and first["pageInfo"]["hasNextPage"]
    cursor = first["pageInfo"]["endCursor"]
    second = post(fake, scoped(text.format(f', after: "{cursor}"'))).json()["data"]["project"]["issues"]
    assert len(second["nodes"]) == 30 and not second["pageInfo"]["hasNextPage"]
    iids = [n["iid"] for n in first["nodes"] + second["nodes"]]
    assert len(set(iids)) == 130


def test_errors_have_gitlabs_shape(fake: FakeGitLab) -> None:
    unknown = post(fake, 'query { project(fullPath: "x") { nope } }').json()
    assert unknown["errors"][0]["message"] == "Field 'nope' doesn't exist on type 'Project'"
    assert unknown["errors"][0]["extensions"] == {"code": "undefinedField", "typeName": "Project", "fieldName": "nope"}
    assert unknown["errors"][0]["locations"] == [{"line": 1, "column": 34}]
    assert "data" not in unknown
    too_large = post(fake, "query { " + " " * 10_001 + "}").json()
    assert too_large == {"errors": [{"message": "Query too large"}]}
    bad_token = post(fake, 'query { project(fullPath: "x") { id } }', headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and bad_token.json() == {"errors": [{"message": "Invalid token"}]}


def test_graphql_goes_through_the_servers_faults_and_log(fake: FakeGitLab) -> None:
    seed(fake, 1)
    fake.fail_every = 1
    failed = post(fake, scoped("id", "Named"))
    assert failed.status_code == 502 and "text/html" in failed.headers["Content-Type"]
    fake.fail_every = None
    fake.rate_limit = (1, 60.0)
    assert post(fake, scoped("id", "A")).status_code == 200
    throttled = post(fake, scoped("id", "B"))
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    logged = [(r.endpoint, r.query, r.status) for r in fake.requests]
    assert logged == [
        ("POST /api/graphql", (("operation", "Named"),), 502),
        ("POST /api/graphql", (("operation", "A"),), 200),
        ("POST /api/graphql", (("operation", "B"),), 429),
    ]


def test_an_older_gitlab_lacks_what_it_lacks(fake: FakeGitLab) -> None:
    fake.graphql_without = ("Issue.linkedWorkItems",)
    answer: dict[str, Any] = post(fake, 'query { __type(name: "Issue") { fields { name } } }').json()
    names = {f["name"] for f in answer["data"]["__type"]["fields"]}
    assert "notes" in names and "linkedWorkItems" not in names
    fake.graphql = False
    assert post(fake, "query { x }").status_code == 404
