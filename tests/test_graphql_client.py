"""The GraphQL client against ``responses``: python-gitlab's ``gitlab.GraphQL`` loop, over the
REST client's session (its budget, pace and guard), and what the transport adds to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from inc_audit.errors import ConfigError, SourceError
from inc_audit.sources.graphql.client import GraphQL, QueryRefused
from inc_audit.sources.http.budget import RetryPolicy
from inc_audit.sources.http.session import configure, connect

BASE = "https://gitlab.example.com"
GRAPHQL = f"{BASE}/api/graphql"
TOKEN = "glpat-Gr4phQL-t0ken-value"
DATA = {"data": {"currentUser": {"username": "bot"}}}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as server:
        server.get(f"{BASE}/api/v4/user", json={"username": "bot"})
        yield server


@pytest.fixture
def client(mock: responses.RequestsMock) -> Iterator[GraphQL]:
    gl = connect(BASE, TOKEN, timeout=1.0, retry_budget=30.0)
    configure(gl, RetryPolicy(timeout=1.0, budget=30.0, backoff=0.01, sleep=lambda seconds: None))
    graphql = GraphQL(gl, TOKEN)
    yield graphql
    graphql.close()


def answers(mock: responses.RequestsMock, *replies: Any) -> list[dict[str, str]]:
    """POST /api/graphql answers each reply in turn (status, headers, body), the last for good;
    the headers of every request, in a list."""
    queue, seen = list(replies), []

    def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        seen.append({name.lower(): value for name, value in request.headers.items()})
        status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(body, Exception):
            raise body
        return status, headers, json.dumps(body)

    mock.add_callback("POST", GRAPHQL, callback=reply)
    return seen


def test_a_query_goes_through_the_session_with_the_token(mock: responses.RequestsMock, client: GraphQL) -> None:
    seen = answers(mock, (200, {}, DATA))
    assert client.execute("asking", "{ currentUser { username } }") == DATA["data"]
    assert len(seen) == 1 and seen[0]["authorization"] == f"Bearer {TOKEN}"


def test_a_5xx_with_graphql_errors_is_retried(mock: responses.RequestsMock, client: GraphQL) -> None:
    seen = answers(mock, (502, {}, {"errors": [{"message": "Internal server error"}]}), (200, {}, DATA))
    assert client.execute("asking", "{ currentUser { username } }") == DATA["data"]
    assert len(seen) == 2


def test_a_connection_failure_is_retried(mock: responses.RequestsMock, client: GraphQL) -> None:
    seen = answers(mock, (200, {}, requests.exceptions.ConnectionError("reset")), (200, {}, DATA))
    assert client.execute("asking", "{ currentUser { username } }") == DATA["data"]
    assert len(seen) == 2


def test_a_429_beyond_the_budget_gives_up_at_once(mock: responses.RequestsMock, client: GraphQL) -> None:
    seen = answers(mock, (429, {"Retry-After": "3600"}, {"message": "Retry later"}))
    with pytest.raises(SourceError, match="asked to wait 3600s"):
        client.execute("asking", "{ currentUser { username } }")
    assert len(seen) == 1


def test_a_refused_token_is_a_config_error(mock: responses.RequestsMock, client: GraphQL) -> None:
    answers(mock, (401, {}, {"errors": [{"message": "Invalid token"}]}))
    with pytest.raises(ConfigError, match="refused the token"):
        client.execute("asking", "{ currentUser { username } }")


def test_errors_in_an_answer_refuse_the_query(mock: responses.RequestsMock, client: GraphQL) -> None:
    answers(mock, (200, {}, {"errors": [{"message": "Field 'nope' doesn't exist"}]}))
    with pytest.raises(QueryRefused, match="Field 'nope'"):
        client.execute("asking", "{ nope }")


def test_a_redirect_elsewhere_is_refused_before_it_is_followed(mock: responses.RequestsMock, client: GraphQL) -> None:
    mock.post(GRAPHQL, status=307, headers={"Location": "https://elsewhere.example.net/api/graphql"})
    with pytest.raises(ConfigError, match="redirected the request to another host"):
        client.execute("asking", "{ currentUser { username } }")
    assert [call.request.url for call in mock.calls][-1] == GRAPHQL
