"""GitLab's GraphQL API as inc-audit uses it: each query a POST to /api/graphql through the
REST client (``http.request``), so python-gitlab's retry loop and the session's limits
(retry budget, cancellation, ``max_rps`` pace, rate-limit headers, the token kept home) and
one-line errors (``http.failures``) are the same as for REST; and the check that a GitLab
offers every field the audit reads (``missing_fields``), for ``--api auto``.

Not python-gitlab's ``gitlab.GraphQL``: its loop retries only what gql reports as
``TransportServerError``, never a connection failure or a timeout, nor a 5xx whose body
carries GraphQL errors, and it runs over a second (httpx) connection pool that the session's
limits do not see.
"""

from __future__ import annotations

from typing import Any

from inc_audit.errors import SourceError
from inc_audit.redaction import redact
from inc_audit.sources import graphql_query as q
from inc_audit.sources.classify import BadAnswer
from inc_audit.sources.http import Client, failures, request
from inc_audit.sources.rest import DEFAULT_CONCURRENCY

REQUIRED = {
    "Issue": ("notes", "linkedWorkItems", "userNotesCount", "reference", "type", "labels"),
    "Note": ("awardEmoji", "system", "body"),
    "WorkItem": ("widgets", "reference", "workItemType"),
    "UnionedIssueFilterInput": ("labelNames",),
}
"""What the audit reads, by GraphQL type: a server lacking one is audited over REST."""


class QueryRefused(SourceError):
    """GitLab answered a query with errors (HTTP 200): the audit cannot complete this way."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            redact(f"GitLab's GraphQL API refused a query: {reason[:200]}"), "run the audit again with --api rest"
        )
        self.reason = reason


class GraphQL:
    """Queries to ``gl``'s GraphQL API, over ``gl``'s session (safe from several threads)."""

    def __init__(
        self, gl: Client, token: str, *, timeout: float = 10.0, concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        self.gl = gl
        self.url = f"{gl.url}/api/graphql"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.requests = 0

    def close(self) -> None:
        """Nothing to close: the queries share the REST client's session."""

    def execute(self, what: str, text: str) -> dict[str, Any]:
        """The ``data`` of one query; ``QueryRefused`` when GitLab answers with errors."""
        self.requests += 1
        with failures(self.gl, what):
            answer = request(self.gl, "post", self.url, post_data={"query": text}, extra_headers=self.headers).json()
            if not isinstance(answer, dict):
                raise BadAnswer("the answer was not GraphQL")
            if answer.get("errors"):
                raise QueryRefused(_first_message(answer["errors"]) or str(answer["errors"]))
            if not isinstance(answer.get("data"), dict):
                raise BadAnswer("the answer was not GraphQL")
            return dict(answer["data"])


def _first_message(errors: Any) -> str:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or "")
    return ""


def missing_fields(client: GraphQL) -> str | None:
    """Why the server's GraphQL API cannot serve the audit, or None when it can."""
    parts = []
    for type_name in REQUIRED:
        kind = "inputFields" if type_name.endswith("Input") else "fields"
        parts.append(
            q.Node(
                "__type",
                {"name": type_name},
                [q.Node(kind, children=q.scalars("name"))],
                alias=type_name[0].lower() + type_name[1:],
            )
        )
    try:
        data = client.execute("reading GitLab's GraphQL schema", q.query("Capabilities", parts))
    except QueryRefused as refused:
        return f"its GraphQL API refused the schema query ({refused.reason[:120]})"
    except SourceError as error:
        if "404" in error.message:
            return "it has no GraphQL API (404)"
        raise
    for type_name, wanted in REQUIRED.items():
        found = data.get(type_name[0].lower() + type_name[1:]) or {}
        names = {f.get("name") for f in (found.get("fields") or found.get("inputFields") or [])}
        for name in wanted:
            if name not in names:
                return f"its GraphQL API has no {type_name}.{name}"
    return None
