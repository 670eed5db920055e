"""python-gitlab's GraphQL client as inc-audit uses it: through the REST client's retry
helper (``http.call``: retries, retry budget, ``max_rps`` pace, rate-limit headers, one-line
errors), one client per thread over one keep-alive httpx session; and the check that a
GitLab offers every field the audit reads (``missing_fields``), for ``--api auto``.

gql and httpx are imported when a client is made, so a REST or export run does not load them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from inc_audit.errors import SourceError
from inc_audit.redaction import redact
from inc_audit.sources import graphql_query as q
from inc_audit.sources.http import Client, _state, call
from inc_audit.sources.rest import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    import httpx

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
    """python-gitlab's GraphQL client, one per thread over one keep-alive httpx session,
    its requests made through the REST client's ``call`` (retries, budget, pace)."""

    def __init__(
        self, gl: Client, token: str, *, timeout: float = 10.0, concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        import httpx

        self.gl = gl
        self.token = token
        self.requests = 0
        self._local = threading.local()
        state = _state(gl)
        limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)

        def observe(response: httpx.Response) -> None:
            self._local.status = response.status_code
            state.observe(response)  # type: ignore[arg-type]

        plain = gl.url.lower().startswith("http://")  # no TLS: no certificate store to load
        self.http = httpx.Client(
            verify=not plain,
            timeout=timeout,
            limits=limits,
            event_hooks={"response": [observe]},
            headers={"User-Agent": "inc-audit", "Authorization": f"Bearer {token}"},
        )
        self.url = gl.url

    def close(self) -> None:
        self.http.close()

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            import gitlab

            client = gitlab.GraphQL(
                self.url,
                token=self.token,
                client=self.http,
                max_retries=0,
                obey_rate_limit=False,
                retry_transient_errors=False,
                user_agent="inc-audit",
            )
            self._local.client = client
        return client

    def execute(self, what: str, text: str) -> dict[str, Any]:
        """The ``data`` of one query; ``QueryRefused`` when GitLab answers with errors."""

        def attempt(timeout: float) -> dict[str, Any]:
            self._local.status = None
            try:
                data = self._client().execute(text, extra_args={"timeout": timeout})
            except Exception as error:
                raise self._translate(error) from None
            if not isinstance(data, dict):
                raise ValueError("an object was expected")
            return data

        self.requests += 1
        return call(self.gl, what, attempt)

    def _translate(self, error: Exception) -> Exception:
        """gql's and httpx's exceptions as the ones ``call`` classifies."""
        import gitlab
        import httpx
        import requests
        from gql.transport.exceptions import TransportConnectionFailed, TransportProtocolError, TransportQueryError

        status = getattr(self._local, "status", None)
        if isinstance(error, TransportQueryError):
            message = _first_message(error.errors) or str(error)
            if status is not None and status >= 400:
                return gitlab.exceptions.GitlabHttpError(response_code=status, error_message=message)
            return QueryRefused(message)
        if isinstance(error, TransportConnectionFailed):
            cause = error.__cause__
            if isinstance(cause, httpx.TimeoutException):
                return requests.exceptions.Timeout(str(cause))
            return requests.exceptions.ConnectionError(str(cause or error))
        if isinstance(error, httpx.TimeoutException):
            return requests.exceptions.Timeout(str(error))
        if isinstance(error, httpx.TransportError):
            return requests.exceptions.ConnectionError(str(error))
        if isinstance(error, TransportProtocolError):
            return ValueError("the answer was not GraphQL")
        return error


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
