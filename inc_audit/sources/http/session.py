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
- every answer bounded (``bounds``): streamed and refused past ``bounds.MAX_ANSWER`` bytes
  once decompressed (``TooLarge``), and cut when still arriving ``CUT_AFTER`` past its
  timeout (``TooSlow``, not retried: requests' own timeout is only a socket idle timeout);
- a ``Retry-After`` below a second (0, negative) waits the jittered backoff instead, so a
  server cannot make the client hammer it; ``budget.retry_after`` reads any text safely.

Around each call, ``failures`` turns what python-gitlab or requests raise into one-line,
redacted errors (``classify``): ``ConfigError`` (exit 2) for a refused token, missing access
or a missing project, ``SourceError`` (exit 3, the audit is incomplete) for the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.const import RETRYABLE_TRANSIENT_ERROR_CODES
from gitlab.utils import EncodedId

from inc_audit.errors import ConfigError
from inc_audit.sources.http.bounds import Deadline, TooSlow, read_body
from inc_audit.sources.http.budget import Limits, RetryPolicy, retry_after
from inc_audit.sources.http.classify import BadAnswer, TLSFailure, Unreachable, error_for, failure_reason, unreachable
from inc_audit.sources.http.guard import _guard, _HomeOnly, _refuse_foreign_redirects, check_url
from inc_audit.sources.http.parallel import beside

R = TypeVar("R")

Client = gitlab.Gitlab
"""The client type other modules name, so that only the sources package imports ``gitlab``."""

RETRY: dict[str, Any] = {"retry_transient_errors": True, "obey_rate_limit": True, "max_retries": -1}
"""What every request asks of python-gitlab: retry for as long as the session lets it."""

TOKEN_HINT = (
    "create a project access token with the read_api scope (api to publish) and export it"
    " as GITLAB_TOKEN, or store it as a masked CI/CD variable"
)
CUT_AFTER = 0.2
"""An attempt's connection is cut this long after its timeout: a silent server meets the
socket's own timeout first (retried), a trickling one is cut (``bounds.TooSlow``, not retried)."""
PYTHON_GITLAB_BACKOFF = 0.1
"""After a connection failure python-gitlab sleeps 2**n times this before retry n + 1."""


class _Session(requests.Session):
    """The client's session: each attempt python-gitlab sends passes through ``request``."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.limits = Limits(policy)
        self.reached = False  # whether any request has had an answer: then a refusal is transient
        self.token_user: Any = None  # GET /user as it answered when the connection was made
        self.token_check: Future[Any] | None = None  # that answer, while it is awaited (``connect(wait=False)``)
        self.opening = threading.Event()  # set: the requests started as a run opens stop (``cancel_opening``)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        limits = self.limits
        kwargs["timeout"] = timeout = limits.begin()
        kwargs["stream"] = True  # read_body reads it, bounded
        try:
            with Deadline(timeout + CUT_AFTER) as deadline:
                try:
                    response = super().request(_text(method), _text(url), *args, **kwargs)
                    read_body(response)
                    cut = deadline.fired  # a cut mid-headers can look like their end: the answer is not whole
                except Exception:
                    if not deadline.fired:
                        raise
                    cut = True
                if cut:
                    raise TooSlow(f"its answer was still arriving when the {timeout:.0f}s timeout was over"
                                  " (a server sending too slowly)") from None
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
        backoff = limits.policy.delay(limits.call.tries)
        wait = backoff if asked is None or asked < 1 else asked  # Retry-After: 0 is no reason to hammer
        limits.failed(failure_reason(response.status_code), wait, asked)
        limits.pause(wait)
        response.headers["Retry-After"] = "0"  # waited already: python-gitlab's sleep is nil
        return response


def _text(value: str | bytes) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


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


def send(gl: Client, verb: str, path: str, what: str, data: dict[str, Any], *, ids: tuple[str, ...] = ()) -> Any:
    """POST or PUT ``data``; the answer's JSON, an object, with a whole number in each of
    ``ids`` ("iid"): GitLab's answer to a write that lacks them ends the write in one line."""
    with failures(gl, what):
        answer = request(gl, verb, path, post_data=data).json()
        if not isinstance(answer, dict):
            raise BadAnswer("its answer was not a JSON object")
        lacking = [name for name in ids if type(answer.get(name)) is not int]
        if lacking:
            raise BadAnswer(f"its answer lacked {', '.join(lacking)}")
        return answer


# --- connecting -------------------------------------------------------------------------


def connect(
    url: str, token: str | None, *, timeout: float = 10.0, retry_budget: float = 60.0,
    backoff: float = 0.5, max_rps: float | None = None, wait: bool = True,
) -> Client:
    """A client for ``url`` whose token has been checked (GET /user) before any work.

    ``max_rps`` caps the requests a second the client sends, across all its threads. With
    ``wait=False`` the token check is only started (``beside``): the caller starts its other
    first requests meanwhile, then ``checked(gl)`` raises the check's error, if any, before
    any other's (``open_source``).
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
    if wait:
        session.token_user = get_json(gl, "/user", CHECKING)
    else:
        session.token_check = opening(gl, get_json, gl, "/user", CHECKING)
    return gl


CHECKING = "checking the token (GET /user)"


def opening(gl: Client, fn: Callable[..., R], *args: Any) -> Future[R]:
    """``fn(*args)`` started beside the caller, one of the requests a run starts at once as
    it opens: they all stop once ``cancel_opening(gl)`` is called (one of them has failed)."""
    return beside(fn, *args, stop=gl.session.opening if isinstance(gl.session, _Session) else None)


def cancel_opening(gl: Client) -> None:
    """Stop what ``opening`` started for ``gl`` (at its next retry decision)."""
    if isinstance(gl.session, _Session):
        gl.session.opening.set()


def checked(gl: Client) -> None:
    """Wait for the token check ``connect(wait=False)`` started; its error, if it failed."""
    token_user(gl)


def token_user(gl: Client, what: str = "finding the token's user (GET /user)") -> Any:
    """The token's user as ``GET /user`` answered when ``connect`` checked the token (one
    request a run), or as it answers now for a connection ``connect`` did not make."""
    session = getattr(gl, "session", None)
    if isinstance(session, _Session) and session.token_check is not None:
        session.token_user = session.token_check.result()  # raises the check's error
    if isinstance(session, _Session) and session.token_user is not None:
        return session.token_user
    return get_json(gl, "/user", what)
