"""Talking to GitLab over HTTP, for every source and for publishing.

python-gitlab does the looping: every request goes through its ``Gitlab.http_request`` with
``retry_transient_errors=True, obey_rate_limit=True, max_retries=-1``, so it retries 429s,
500/502/503/504/52x, connection failures and timeouts, and ``http_list(iterator=True)``
(``rest.iter_items``) follows the Link header page after page, each page retried on its own.
``keep_base_url=True`` keeps next-page links on the configured URL whatever host GitLab
believes it has.

What python-gitlab lacks, inc-audit adds in the client's ``requests`` session (``_Session``),
which sees every attempt of every call before and after it is sent:

- a time bound instead of a count: before each attempt, the time left in the call's retry
  budget sets the attempt's timeout; after a failed one, a wait (and one more attempt) that
  would overrun the budget ends the call at once (``GaveUp``), which python-gitlab does not
  retry since it is not a ``requests`` error;
- the wait itself on a 429 or 5xx: Retry-After in seconds or as an HTTP date (python-gitlab
  calls ``int()`` on it), RateLimit-Reset, else a jittered backoff, slept so that a
  cancelled scan wakes at once; the answer is then handed on with ``Retry-After: 0`` so
  python-gitlab's own ``time.sleep`` is nil. After a connection failure python-gitlab
  sleeps ``2**n * 0.1`` seconds itself; the session counts that sleep against the budget;
- cancellation: reads made by reader threads (``parallel.ordered_map``) run under a cancel
  event, and once one read of the scan has failed for good, the others stop (``Cancelled``)
  before their next attempt;
- one pace for all threads of a client (``budget.RequestBudget``: ``max_rps``, and holding
  back before GitLab would answer 429 when RateLimit-Remaining runs low);
- the token stays home (``guard``): only the configured origin is sent to, a redirect
  elsewhere is refused before it is followed, a TLS failure is not retried.

A call is the attempts one thread makes between two final answers; the session keeps its
start and count per thread, so nothing of one call is read by another. Around each call,
``failures`` turns what python-gitlab raises into one-line, redacted errors (``classify``):
``ConfigError`` (exit 2) for a refused token, missing access or a missing project,
``SourceError`` (exit 3, the audit is incomplete) for everything else.

The sources package is the only place that imports ``gitlab``; tokens travel in the
PRIVATE-TOKEN header, never in URLs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gitlab
import requests
from gitlab.const import RETRYABLE_TRANSIENT_ERROR_CODES
from gitlab.utils import EncodedId

from inc_audit.errors import ConfigError
from inc_audit.sources.budget import RequestBudget, RetryPolicy, retry_after
from inc_audit.sources.classify import (
    SCOPE_HINT,
    UNREACHABLE_HINT,
    Absent,
    BadAnswer,
    GaveUp,
    TLSFailure,
    error_for,
    failure_reason,
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
    "REDIRECT_HINT", "SCOPE_HINT", "TOKEN_HINT", "UNREACHABLE_HINT", "URL_HINT", "Absent", "BadAnswer", "Cancelled",
    "Client", "failure_reason", "ForeignHost", "ForeignRedirect", "GaveUp", "RETRY", "RequestBudget", "RetryPolicy",
    "cancelled_by", "check_url", "configure", "connect", "encode_id", "ensure_pool", "failures", "get_json",
    "limit_rate", "limits", "request", "retry_after", "send",
]

Client = gitlab.Gitlab
"""The client type other modules name, so that only the sources package imports ``gitlab``."""

RETRY: dict[str, Any] = {"retry_transient_errors": True, "obey_rate_limit": True, "max_retries": -1}
"""What every request asks of python-gitlab: retry what is transient, for as long as the
session lets it (the session ends a call once its retry budget is spent)."""

MIN_ATTEMPT = 0.5
"""An attempt is not started with less than this (or the timeout) left of the budget."""

TOKEN_HINT = (
    "create a project access token with the read_api scope (api to publish) and export it"
    " as GITLAB_TOKEN, or store it as a masked CI/CD variable"
)


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


# --- what python-gitlab lacks: a time budget, a cancellable wait, a shared pace -------------


@dataclass
class _Call:
    """The attempts this thread has made since the last final answer."""

    start: float
    tries: int = 0
    reason: str = ""


class Limits:
    """A client's retry policy and request budget, and each thread's current call."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.budget = RequestBudget()
        self._local = threading.local()

    def begin(self) -> float:
        """Before an attempt: stop if cancelled or out of budget, keep the pace; its timeout."""
        policy = self.policy
        self._check_cancel()
        call: _Call | None = getattr(self._local, "call", None)
        if call is None:
            call = self._local.call = _Call(policy.clock())
        elapsed = policy.clock() - call.start
        if call.tries and elapsed + min(policy.timeout, MIN_ATTEMPT) > policy.budget:
            self.give_up(call.reason or "no answer")
        call.tries += 1
        call.start += self.budget.acquire(policy, call.start + policy.budget - min(policy.timeout, MIN_ATTEMPT))
        return max(min(policy.timeout, policy.budget - (policy.clock() - call.start)), 0.05)

    def failed(self, reason: str, wait: float, asked: float | None = None) -> None:
        """After a failed attempt: ``GaveUp`` unless waiting ``wait`` leaves time for another.

        ``asked`` is the wait GitLab asked for, if it did."""
        call = self._local.call
        call.reason = reason
        elapsed = self.policy.clock() - call.start
        if elapsed + wait + min(self.policy.timeout, MIN_ATTEMPT) > self.policy.budget:
            if asked is not None and asked > self.policy.budget - elapsed:
                reason += f"; GitLab asked to wait {asked:.0f}s, beyond the retry budget"
            self.give_up(reason)

    def give_up(self, reason: str) -> None:
        call = self._local.call
        self.end()
        raise GaveUp(reason, call.tries, self.policy.clock() - call.start)

    def pause(self, seconds: float) -> None:
        """Wait before the next attempt; a cancelled scan wakes at once."""
        self.policy.pause(seconds, getattr(_CANCEL, "event", None))
        self._check_cancel()

    def end(self) -> None:
        """The call has its final answer: the next attempt in this thread starts a new one."""
        self._local.call = None

    def tries(self) -> int:
        call = getattr(self._local, "call", None)
        return call.tries if call is not None else 0

    def _check_cancel(self) -> None:
        cancel: threading.Event | None = getattr(_CANCEL, "event", None)
        if cancel is not None and cancel.is_set():
            self.end()
            raise Cancelled()


PYTHON_GITLAB_BACKOFF = 0.1
"""After a connection failure python-gitlab sleeps 2**n times this before retry n + 1."""


class _Session(requests.Session):
    """The client's session: each attempt python-gitlab sends passes through ``request``."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.limits = Limits(policy)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        limits = self.limits
        kwargs["timeout"] = limits.begin()
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.exceptions.SSLError as error:  # python-gitlab would retry it
            limits.end()
            raise TLSFailure(failure_reason(error)) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout) as error:
            limits.failed(failure_reason(error), PYTHON_GITLAB_BACKOFF * 2 ** (limits.tries() - 1))
            raise  # python-gitlab sleeps, then tries again
        except BaseException:
            limits.end()
            raise
        finally:
            limits.budget.release()
        limits.budget.observe(response.status_code, response.headers, limits.policy)
        if not _retried(response):
            limits.end()
            return response
        asked = retry_after(response.headers)
        wait = limits.policy.delay(limits.tries()) if asked is None else asked
        limits.failed(failure_reason(response.status_code), wait, asked)
        limits.pause(wait)
        response.headers["Retry-After"] = "0"  # waited already: python-gitlab's sleep is nil
        return response


def _retried(response: requests.Response) -> bool:
    """Whether python-gitlab retries this answer (``utils.Retry._retryable_status_code``)."""
    status = response.status_code
    return (status == 429 or status in RETRYABLE_TRANSIENT_ERROR_CODES
            or (status == 409 and "Resource lock" in (response.reason or "")))


def limits(gl: Client) -> Limits:
    """The limits ``gl``'s requests keep; ``gl`` must come from ``connect``."""
    if not isinstance(gl.session, _Session):
        raise TypeError("a GitLab client must be made by inc_audit.sources.http.connect")
    return gl.session.limits


def configure(gl: Client, policy: RetryPolicy) -> None:
    """Give ``gl`` a retry policy (``connect`` does this; tests may do it directly)."""
    limits(gl).policy = policy


def limit_rate(gl: Client, max_rps: float | None) -> None:
    """At most ``max_rps`` requests a second from ``gl``, across threads (None: no pace)."""
    limits(gl).budget.set_rate(max_rps)


def ensure_pool(gl: Client, size: int) -> None:
    """Let the client's one session keep ``size`` connections alive per host.

    requests keeps 10 by default; with more threads than that, the extra connections
    would be opened for one request and discarded.
    """
    adapter = gl.session.get_adapter(gl.url)
    if isinstance(adapter, _HomeOnly) and getattr(adapter, "_pool_maxsize", 0) >= size:
        return
    _guard(gl, size)


@contextmanager
def failures(
    gl: Client, what: str, *, not_found: tuple[str, str] | None = None, absent: tuple[int, ...] = ()
) -> Iterator[None]:
    """The failures of the calls made meanwhile as one-line errors (``classify.error_for``).

    ``what`` says what the calls do ("listing issues labelled incident"), for messages.
    ``not_found`` is the (message, hint) of a ``ConfigError`` to raise on 404; without it
    a 404 is a ``SourceError``. A status in ``absent`` (403, 404: an issue the token may not
    see) raises ``Absent`` instead, for the caller to report as a finding.
    """
    try:
        yield
    except Exception as error:
        mapped = error_for(gl, what, error, not_found=not_found, absent=absent)
        if mapped is None:
            raise
        raise mapped from None
    finally:
        limits(gl).end()


# --- requests ---------------------------------------------------------------------------


def encode_id(value: str | int) -> str:
    """A project or group id or path, ready for a URL path segment."""
    return str(EncodedId(value))


def request(gl: Client, verb: str, path: str, **kwargs: Any) -> requests.Response:
    return gl.http_request(verb, path, **RETRY, **kwargs)


def get_json(
    gl: Client, path: str, what: str, query: dict[str, Any] | None = None,
    *, not_found: tuple[str, str] | None = None, absent: tuple[int, ...] = (),
) -> Any:
    """GET one object."""
    with failures(gl, what, not_found=not_found, absent=absent):
        return request(gl, "get", path, query_data=dict(query or {})).json()


def send(gl: Client, verb: str, path: str, what: str, data: dict[str, Any]) -> Any:
    """POST or PUT ``data``; the answer's JSON."""
    with failures(gl, what):
        return request(gl, verb, path, post_data=data).json()


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
    session = _Session(RetryPolicy(timeout=timeout, budget=retry_budget, backoff=backoff))
    gl = gitlab.Gitlab(
        url, private_token=token, timeout=timeout, retry_transient_errors=True, keep_base_url=True,
        user_agent="inc-audit", session=session,
    )
    _guard(gl)
    session.hooks["response"].append(_refuse_foreign_redirects(gl))
    limit_rate(gl, max_rps)
    get_json(gl, "/user", "checking the token (GET /user)")
    return gl
