"""python-gitlab's GraphQL client (``gitlab.GraphQL``, over gql and httpx) as inc-audit uses
it; and the check that a GitLab offers every field the audit reads (``missing_fields``), for
``--api auto``.

One transport, one guard, one budget: the httpx client handed to ``gitlab.GraphQL`` sends
through the REST client's requests session (``_transport``), so every attempt keeps the
session's limits (retry budget, cancellation, ``max_rps`` pace, rate-limit headers, the
token kept home), and ``gitlab.GraphQL``'s own loop retries 429 and 5xx (the session has
waited already and hands it ``Retry-After: 0``). What that loop lacks, the transport adds:
it retries a connection failure or a timeout (gql reports them as
``TransportConnectionFailed``, which python-gitlab does not retry), within the same budget,
on python-gitlab's REST schedule; and it gives python-gitlab a retried answer without its
body, so that a 5xx carrying GraphQL errors is retried like any other 5xx.

gql and httpx are imported when a client is made, so a REST or export run does not load them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from inc_audit.errors import SourceError
from inc_audit.redaction import redact
from inc_audit.sources.graphql import query as q
from inc_audit.sources.http.classify import BadAnswer
from inc_audit.sources.http.session import PYTHON_GITLAB_BACKOFF, RETRY, Client, failures, limits
from inc_audit.sources.rest.source import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    import httpx

REQUIRED = {
    "Issue": ("notes", "linkedWorkItems", "userNotesCount", "reference", "type", "labels"),
    "Note": ("awardEmoji", "system", "body"),
    "WorkItem": ("widgets", "reference", "workItemType"),
    "UnionedIssueFilterInput": ("labelNames",),
}
"""What the audit reads, by GraphQL type: a server lacking one is audited over REST."""


MALFORMED = ("the answer was not", "nested too deeply", "larger than")
"""What ``classify`` says of an answer that is not GraphQL: under ``--api auto``, a reason to read over REST."""


class QueryRefused(SourceError):
    """GitLab answered a query with errors (HTTP 200): the audit cannot complete this way."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            redact(f"GitLab's GraphQL API refused a query: {reason[:200]}"), "run the audit again with --api rest"
        )
        self.reason = reason


class GraphQL:
    """``gitlab.GraphQL``, one per thread, over one httpx client that sends through ``gl``'s
    session."""

    def __init__(
        self, gl: Client, token: str, *, timeout: float = 10.0, concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        import importlib.util

        if importlib.util.find_spec("gql") is None or importlib.util.find_spec("httpx") is None:
            raise ImportError("gql and httpx are needed")  # said now; imported at the first query
        self.gl = gl
        self.token = token
        self.url = gl.url
        self.timeout = timeout
        self.requests = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        """The httpx client every thread's ``gitlab.GraphQL`` sends through, made (and httpx and
        gql imported) at the first query, in the thread that asks it: a run opening does
        not wait for the imports before its other first requests."""
        with self._lock:
            if self._http is None:
                import httpx

                headers = {"User-Agent": "inc-audit", "Authorization": f"Bearer {self.token}"}
                self._http = httpx.Client(transport=_transport(self.gl, self._local), headers=headers,
                                          timeout=self.timeout)
            return self._http

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            import gitlab

            client = self._local.client = gitlab.GraphQL(self.url, token=self.token, client=self.http,
                                                         user_agent="inc-audit", **RETRY)
        return client

    def execute(self, what: str, text: str) -> dict[str, Any]:
        """The ``data`` of one query; ``QueryRefused`` when GitLab answers with errors."""
        self.requests += 1
        with failures(self.gl, what):
            self._local.status = None
            try:
                data = self._client().execute(text)
            except Exception as error:
                raise self._translate(error) from None
            if not isinstance(data, dict):
                raise BadAnswer("the answer was not GraphQL")
            return data

    def _translate(self, error: Exception) -> Exception:
        """gql's exceptions as the ones ``http.failures`` reads."""
        import gitlab
        from gql.transport.exceptions import TransportConnectionFailed, TransportProtocolError, TransportQueryError

        status = self._local.status
        if isinstance(error, TransportQueryError):
            message = _first_message(error.errors) or str(error)
            if status is not None and status >= 400:
                return gitlab.exceptions.GitlabHttpError(response_code=status, error_message=message)
            return QueryRefused(message)
        if isinstance(error, TransportConnectionFailed) and isinstance(error.__cause__, Exception):
            return error.__cause__  # what the session raised: GaveUp, Cancelled, a foreign redirect
        if isinstance(error, TransportProtocolError):
            return BadAnswer("the answer was not GraphQL")
        if isinstance(error, AssertionError):  # gql's word for an answer with neither data nor errors
            return BadAnswer("the answer was not GraphQL (neither data nor errors)")
        return error


def _transport(gl: Client, local: threading.local) -> httpx.BaseTransport:
    """An httpx transport that sends each request through ``gl``'s requests session."""
    import httpx
    import requests

    session, bound = gl.session, limits(gl)
    dropped = {"host", "content-length", "connection", "accept-encoding"}

    class ViaSession(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
            while True:
                try:
                    answer = session.request(request.method, str(request.url), headers=headers, data=request.read())
                    break
                except (requests.ConnectionError, requests.Timeout):  # the session allowed one more try
                    bound.pause(PYTHON_GITLAB_BACKOFF * 2 ** (bound.call.tries - 1))
            local.status = answer.status_code
            retried = bound.retrying()  # the session waited already: the body is not read
            kept = {k: v for k, v in answer.headers.items()
                    if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")}
            return httpx.Response(answer.status_code, headers=kept, content=b"" if retried else answer.content,
                                  request=request)

    return ViaSession()


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
        if any(sign in error.message for sign in MALFORMED):
            return "its answer to the schema query could not be read"
        raise
    for type_name, wanted in REQUIRED.items():
        found = data.get(type_name[0].lower() + type_name[1:]) or {}
        listed = (found.get("fields") or found.get("inputFields") or []) if isinstance(found, dict) else None
        if not isinstance(listed, list):
            return f"its answer about GraphQL type {type_name} could not be read"
        names = {f.get("name") for f in listed if isinstance(f, dict)}
        for name in wanted:
            if name not in names:
                return f"its GraphQL API has no {type_name}.{name}"
    return None
