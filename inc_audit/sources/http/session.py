"""Talking to GitLab over HTTP, for every source, for GraphQL and for publishing.

What python-gitlab does: every request is its public ``Gitlab.http_request`` with ``RETRY``,
so it retries 429s, 5xx (500-504, 520-530), connection failures and timeouts; lists
(``rest.iter_items``) follow the Link header page after page, each page a request of its
own, retried on its own, the next-page links kept on the configured URL.

What inc-audit adds, in the client's session (``_Session``), which sees every attempt of every
call, because python-gitlab lacks it (``budget.Limits``, ``budget.RequestBudget``):

- a time bound, not a count: an attempt's timeout is what is left of the call's retry
  budget, and a failed attempt whose wait would overrun it ends the call (``GaveUp``, which
  python-gitlab does not retry, as it is not a requests error);
- the wait on a 429 or 5xx: Retry-After in seconds or as an HTTP date (python-gitlab calls
  ``int()`` on it), else RateLimit-Reset, else a jittered backoff, slept so that a cancelled
  scan wakes at once; python-gitlab then gets ``Retry-After: 0``, so its ``time.sleep`` is
  nil. After a connection failure it sleeps ``2**n * 0.1`` s itself, counted in the budget;
- cancellation: once one read of a scan has failed for good, the other reader threads
  (``parallel.ordered_map``) stop (``Cancelled``) before their next attempt;
- one pace for all threads of a client: ``max_rps``, and holding back before GitLab would
  answer 429 when RateLimit-Remaining runs low (and for everyone after one 429);
- the token stays home (``guard``): requests go only to the configured origin, a redirect
  elsewhere is refused before it is followed, a TLS failure is not retried;
- a wrong URL fails at once: when the first request finds no such host or a refused
  connection (``classify.Unreachable``), it is not retried (later in a run, a refused
  connection is a restart of GitLab and retried as before).

Around each call, ``failures`` turns what python-gitlab or requests raise into one-line,
redacted errors (``classify``): ``ConfigError`` (exit 2) for a refused token, missing access
or a missing project, ``SourceError`` (exit 3, the audit is incomplete) for the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gitlab
import requests
from gitlab.const import RETRYABLE_TRANSIENT_ERROR_CODES
from gitlab.utils import EncodedId

from inc_audit.errors import ConfigError
from inc_audit.sources.http.budget import Limits, RetryPolicy, retry_after
from inc_audit.sources.http.classify import TLSFailure, Unreachable, error_for, failure_reason, unreachable
from inc_audit.sources.http.guard import _guard, _HomeOnly, _refuse_foreign_redirects, check_url

Client = gitlab.Gitlab
"""The client type other modules name, so that only the sources package imports ``gitlab``."""

RETRY: dict[str, Any] = {"retry_transient_errors": True, "obey_rate_limit": True, "max_retries": -1}
"""What every request asks of python-gitlab: retry for as long as the session lets it."""

TOKEN_HINT = (
    "create a project access token with the read_api scope (api to publish) and export it"
    " as GITLAB_TOKEN, or store it as a masked CI/CD variable"
)
PYTHON_GITLAB_BACKOFF = 0.1
"""After a connection failure python-gitlab sleeps 2**n times this before retry n + 1."""


class _Session(requests.Session):
    """The client's session: each attempt python-gitlab sends passes through ``request``."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.limits = Limits(policy)
        self.reached = False  # whether any request has had an answer: then a refusal is transient

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        limits = self.limits
        kwargs["timeout"] = limits.begin()
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.exceptions.SSLError as error:  # python-gitlab would retry it
            limits.end()
            raise TLSFailure(str(error)) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout) as error:
            why = None if self.reached else unreachable(error)
            if why is not None:  # the first request found no GitLab: a wrong URL, not worth the retry budget
                limits.end()
                raise Unreachable(why) from None
            limits.failed(failure_reason(error), PYTHON_GITLAB_BACKOFF * 2 ** (limits.call.tries - 1))
            raise  # python-gitlab sleeps, then tries again
        except BaseException:
            limits.end()
            raise
        finally:
            limits.budget.release()
        self.reached = True
        limits.budget.observe(response.status_code, response.headers, limits.policy)
        if not _retried(response):
            limits.end()
            return response
        asked = retry_after(response.headers)
        wait = limits.policy.delay(limits.call.tries) if asked is None else asked
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
        raise TypeError("a GitLab client must be made by inc_audit.sources.http.session.connect")
    return gl.session.limits


def configure(gl: Client, policy: RetryPolicy) -> None:
    """Give ``gl`` a retry policy (``connect`` does this; tests may do it directly)."""
    limits(gl).policy = policy


def limit_rate(gl: Client, max_rps: float | None) -> None:
    """At most ``max_rps`` requests a second from ``gl``, across threads (None: no pace)."""
    limits(gl).budget.set_rate(max_rps)


def ensure_pool(gl: Client, size: int) -> None:
    """Let the client's one session keep ``size`` connections alive per host (requests keeps
    10: with more threads, the extra connections would be opened for one request each)."""
    adapter = gl.session.get_adapter(gl.url)
    if isinstance(adapter, _HomeOnly) and getattr(adapter, "_pool_maxsize", 0) >= size:
        return
    _guard(gl, size)


@contextmanager
def failures(
    gl: Client, what: str, *, not_found: tuple[str, str] | None = None, absent: tuple[int, ...] = ()
) -> Iterator[None]:
    """The failures of the calls made meanwhile as one-line errors: see ``classify.error_for``
    (``what`` says what the calls do, "listing issues labelled incident")."""
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
