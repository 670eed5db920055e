"""python-gitlab's GraphQL client as inc-audit uses it, one client per thread over one
keep-alive httpx session; and the check that a GitLab offers every field the audit reads
(``missing_fields``), for ``--api auto``.

Its retries are inc-audit's own loop (``execute``) over the REST client's limits
(``http.Limits``: retry budget, cancellation, ``max_rps`` pace, rate-limit headers) and
one-line errors (``http.failures``): python-gitlab's ``GraphQL.execute`` retries only an
HTTP status that gql reports as ``TransportServerError``, never a connection failure or a
timeout, nor a 5xx whose body carries GraphQL errors, so under its loop a dropped connection
would end the scan at once.

gql and httpx are imported when a client is made, so a REST or export run does not load them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from inc_audit.errors import SourceError
from inc_audit.redaction import redact
from inc_audit.sources import graphql_query as q
from inc_audit.sources import http
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

RETRIED = frozenset({429, 500, 502, 503, 504})


class QueryRefused(SourceError):
    """GitLab answered a query with errors (HTTP 200): the audit cannot complete this way."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            redact(f"GitLab's GraphQL API refused a query: {reason[:200]}"), "run the audit again with --api rest"
        )
        self.reason = reason


class GraphQL:
    """python-gitlab's GraphQL client, one per thread over one keep-alive httpx session,
    its requests retried within the REST client's limits (budget, cancellation, pace)."""

    def __init__(
        self, gl: http.Client, token: str, *, timeout: float = 10.0, concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        import httpx

        self.gl = gl
        self.token = token
        self.requests = 0
        self._local = threading.local()
        self.limits = http.limits(gl)
        limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)

        def observe(response: httpx.Response) -> None:
            self._local.status, self._local.headers = response.status_code, response.headers
            self.limits.budget.observe(response.status_code, response.headers, self.limits.policy)

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
        self.requests += 1
        with http.failures(self.gl, what):
            while True:
                timeout = self.limits.begin()
                try:
                    return self._attempt(text, timeout)
                except Exception as error:
                    wait = self._wait(error)
                    if wait is None:
                        raise
                finally:
                    self.limits.budget.release()
                self.limits.pause(wait)

    def _attempt(self, text: str, timeout: float) -> dict[str, Any]:
        self._local.status, self._local.headers = None, {}
        try:
            data = self._client().execute(text, extra_args={"timeout": timeout})
        except Exception as error:
            raise self._translate(error) from None
        if not isinstance(data, dict):
            raise ValueError("an object was expected")
        return data

    def _wait(self, error: Exception) -> float | None:
        """How long to wait before trying again (``GaveUp`` past the budget); None: do not."""
        import gitlab
        import requests

        policy, asked = self.limits.policy, None
        if isinstance(error, (requests.ConnectionError, requests.Timeout)):
            reason = http.failure_reason(error)
        elif isinstance(error, gitlab.exceptions.GitlabHttpError) and error.response_code in RETRIED:
            reason, asked = http.failure_reason(error.response_code), http.retry_after(self._local.headers)
        else:
            return None
        wait = policy.delay(self.limits.tries()) if asked is None else asked
        self.limits.failed(reason, wait, asked)
        return wait

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
