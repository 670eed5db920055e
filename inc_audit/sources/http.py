"""Talking to GitLab over HTTP, for every source and for publishing: one retry helper.

Every request, read or write, goes through ``call``: it sets the per-request timeout,
retries 429 (honouring Retry-After), 500/502/503/504, connection failures and timeouts with
backoff, bounds the time one call may spend retrying (the retry budget), and turns what is
left into one-line errors: ``ConfigError`` for a refused token, missing access or a missing
project, ``SourceError`` (the audit is incomplete) for everything else.

Every call is safe to make from several threads at once: the headers a retry decision
reads (Retry-After) are those of the call's own answer, and one ``RequestBudget`` per
client paces all threads (``max_rps``) and holds them back before GitLab would answer 429
(``RateLimit-Remaining`` low).

The sources package is the only place that imports ``gitlab``. Tokens travel in the
PRIVATE-TOKEN header, never in URLs, and only to the configured GitLab: ``connect``
refuses a URL with user-info or a query, and a redirect to another host is refused
before it is followed. Every message built from an exception goes through ``redact``.

Reads made by reader threads (``parallel.ordered_map``) run under a cancel event: once
one read of the scan has failed for good, the others stop at their next retry decision.

Why not python-gitlab's own retries (``retry_transient_errors``, ``obey_rate_limit``,
``max_retries``): they count attempts instead of bounding time, sleep with ``time.sleep``
as long as Retry-After or RateLimit-Reset says (an hour is past any budget), raise on a
Retry-After given as an HTTP date, share no rate-limit state between threads, and cannot
be stopped when another read has failed. Its ``GitlabList`` pagination indexes a page
that is not a list and has no guard against a loop of next links; ``rest.iter_items``
checks both and retries each page on its own. So every request passes
``retry_transient_errors=False, obey_rate_limit=False`` and ``call`` does the rest.

Its parts live beside it: ``budget`` (the retry policy and the request budget), ``guard``
(the URL check and the home-only transport) and ``classify`` (what a failure means); their
public names are importable from here too.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.utils import EncodedId

from inc_audit.errors import ConfigError
from inc_audit.sources.budget import RequestBudget, RetryPolicy, retry_after
from inc_audit.sources.classify import (
    SCOPE_HINT,
    UNREACHABLE_HINT,
    _classify,
    _exhausted,
    _refusal,
)
from inc_audit.sources.guard import (
    REDIRECT_HINT,
    URL_HINT,
    ForeignHost,
    ForeignRedirect,
    _guard,
    _HomeOnly,
    _refuse_foreign_redirects,
    check_url,
)

__all__ = [
    "REDIRECT_HINT", "SCOPE_HINT", "TOKEN_HINT", "UNREACHABLE_HINT", "URL_HINT", "Absent", "Cancelled",
    "Client", "ForeignHost", "ForeignRedirect", "RequestBudget", "RetryPolicy", "call", "cancelled_by",
    "check_url", "configure", "connect", "encode_id", "ensure_pool", "get_json", "limit_rate", "request",
    "retry_after", "send",
]

Client = gitlab.Gitlab
"""The client type other modules name, so that only the sources package imports ``gitlab``."""

T = TypeVar("T")

MIN_ATTEMPT = 0.5

TOKEN_HINT = (
    "create a project access token with the read_api scope (api to publish) and export it"
    " as GITLAB_TOKEN, or store it as a masked CI/CD variable"
)


# --- the retry helper ------------------------------------------------------------------


@dataclass
class _Capture:
    """The headers of the answer to one attempt of one call."""

    headers: Any = None


class _ClientState:
    """What the helper keeps per client: its policy and its request budget.

    The response hook hands each answer's headers to the call that is waiting for it
    (a thread runs one call at a time) and to the budget; nothing of one call's answer is
    read by another.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.budget = RequestBudget()
        self._local = threading.local()

    def observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        capture = getattr(self._local, "capture", None)
        if capture is not None:
            capture.headers = response.headers
        self.budget.observe(response.status_code, response.headers, self.policy)

    def enter(self, capture: _Capture) -> _Capture | None:
        previous: _Capture | None = getattr(self._local, "capture", None)
        self._local.capture = capture
        return previous

    def leave(self, previous: _Capture | None) -> None:
        self._local.capture = previous


_STATES: weakref.WeakKeyDictionary[Client, _ClientState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def configure(gl: Client, policy: RetryPolicy) -> None:
    """Give ``gl`` a retry policy (``connect`` does this; tests may do it directly)."""
    with _STATES_LOCK:
        state = _STATES.get(gl)
        if state is None:
            state = _ClientState(policy)
            _STATES[gl] = state
            _guard(gl)
            gl.session.hooks["response"].append(_refuse_foreign_redirects(gl))
            gl.session.hooks["response"].append(state.observe)
        state.policy = policy


class Cancelled(Exception):
    """A read stopped because another read of the same scan had failed for good."""


_CANCEL = threading.local()


@contextmanager
def cancelled_by(event: threading.Event) -> Iterator[None]:
    """Calls made in this thread meanwhile stop (``Cancelled``) once ``event`` is set."""
    previous = getattr(_CANCEL, "event", None)
    _CANCEL.event = event
    try:
        yield
    finally:
        _CANCEL.event = previous


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def limit_rate(gl: Client, max_rps: float | None) -> None:
    """At most ``max_rps`` requests a second from ``gl``, across threads (None: no pace)."""
    _state(gl).budget.set_rate(max_rps)


def ensure_pool(gl: Client, size: int) -> None:
    """Let the client's one session keep ``size`` connections alive per host.

    requests keeps 10 by default; with more threads than that, the extra connections
    would be opened for one request and discarded.
    """
    adapter = gl.session.get_adapter(gl.url)
    if isinstance(adapter, _HomeOnly) and getattr(adapter, "_pool_maxsize", 0) >= size:
        return
    _guard(gl, size)


def _state(gl: Client) -> _ClientState:
    if gl not in _STATES:
        configure(gl, RetryPolicy(timeout=float(gl.timeout or 10.0)))
    return _STATES[gl]


class Absent(Exception):
    """A read GitLab refused with a status the caller asked to hear about (``absent``)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def call(
    gl: Client,
    what: str,
    attempt: Callable[[float], T],
    *,
    not_found: tuple[str, str] | None = None,
    absent: tuple[int, ...] = (),
) -> T:
    """Run ``attempt(timeout)`` until it succeeds, retrying what is worth retrying.

    ``what`` says what the call does ("listing issues labelled incident"), for messages.
    ``not_found`` is the (message, hint) of a ``ConfigError`` to raise on 404; without it
    a 404 is a ``SourceError``. A status in ``absent`` (403, 404: an issue the token may not
    see) raises ``Absent`` instead, for the caller to report as a finding rather than end the
    scan. Gives up once the next wait would overrun the budget.
    Each attempt first waits for the client's request budget; time spent only on the
    ``max_rps`` pace is not counted against the retry budget.
    """
    state = _state(gl)
    policy = state.policy
    cancel: threading.Event | None = getattr(_CANCEL, "event", None)
    start = policy.clock()
    tries = 0
    capture = _Capture()
    while True:
        _check_cancel(cancel)
        tries += 1
        deadline = start + policy.budget - min(policy.timeout, MIN_ATTEMPT)
        start += state.budget.acquire(policy, deadline)
        left = policy.budget - (policy.clock() - start)
        capture.headers = None
        previous = state.enter(capture)
        try:
            return attempt(max(min(policy.timeout, left), 0.05))
        except Exception as error:  # classified below; anything unknown is re-raised
            problem = _classify(error, capture.headers or {})
            if problem is None:
                raise
            if not problem.transient and problem.status in absent:
                raise Absent(problem.status) from None
            if not problem.transient:
                raise _refusal(gl, what, problem, not_found) from None
        finally:
            state.leave(previous)
            state.budget.release()
        wait = policy.delay(tries) if problem.wait is None else problem.wait
        elapsed = policy.clock() - start
        if elapsed + wait + min(policy.timeout, MIN_ATTEMPT) > policy.budget:
            raise _exhausted(gl, what, problem, tries, elapsed, policy) from None
        policy.pause(wait, cancel)


# --- requests through the helper ------------------------------------------------------


def encode_id(value: str | int) -> str:
    """A project or group id or path, ready for a URL path segment."""
    return str(EncodedId(value))


def request(
    gl: Client, verb: str, path: str, timeout: float, **kwargs: Any
) -> requests.Response:
    return gl.http_request(
        verb, path, timeout=timeout, obey_rate_limit=False, retry_transient_errors=False,
        **kwargs,
    )


def get_json(
    gl: Client, path: str, what: str, query: dict[str, Any] | None = None,
    *, not_found: tuple[str, str] | None = None, absent: tuple[int, ...] = (),
) -> Any:
    """GET one object."""

    def attempt(timeout: float) -> Any:
        return request(gl, "get", path, timeout, query_data=dict(query or {})).json()

    return call(gl, what, attempt, not_found=not_found, absent=absent)


def send(gl: Client, verb: str, path: str, what: str, data: dict[str, Any]) -> Any:
    """POST or PUT ``data``; the answer's JSON."""

    def attempt(timeout: float) -> Any:
        return request(gl, verb, path, timeout, post_data=data).json()

    return call(gl, what, attempt)


# --- connecting -------------------------------------------------------------------------


def connect(
    url: str, token: str | None, *, timeout: float = 10.0, retry_budget: float = 60.0,
    backoff: float = 0.5, max_rps: float | None = None,
) -> Client:
    """A client for ``url`` whose token has been checked (GET /user) before any work.

    ``max_rps`` caps the requests a second the client sends, across all its threads.
    """
    token = (token or "").strip()
    if not token:
        raise ConfigError("GITLAB_TOKEN is not set", hint=TOKEN_HINT)
    url = check_url(url)
    gl = gitlab.Gitlab(
        url, private_token=token, timeout=timeout, retry_transient_errors=False,
        user_agent="inc-audit",
    )
    configure(gl, RetryPolicy(timeout=timeout, budget=retry_budget, backoff=backoff))
    limit_rate(gl, max_rps)
    get_json(gl, "/user", "checking the token (GET /user)")
    return gl
