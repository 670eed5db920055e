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
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import SplitResult, urljoin, urlsplit

import gitlab
import requests
from gitlab.utils import EncodedId
from requests.adapters import HTTPAdapter

from inc_audit.errors import ConfigError, SourceError
from inc_audit.redaction import redact, safe_url
from inc_audit.text import repair

Client = gitlab.Gitlab
"""The client type other modules name, so that only the sources package imports ``gitlab``."""

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
MIN_ATTEMPT = 0.5
RESERVE = 0.1
"""Below this share of ``RateLimit-Limit`` left, wait for ``RateLimit-Reset`` before sending."""
POLL = 0.05

TOKEN_HINT = (
    "create a project access token with the read_api scope (api to publish) and export it"
    " as GITLAB_TOKEN, or store it as a masked CI/CD variable"
)
SCOPE_HINT = (
    "the token needs the read_api scope (api to publish the audit issue) and its user must"
    " be a member of the project or group"
)
REDIRECT_HINT = (
    "the token was not sent there; if the instance moved, give its new base URL as --gitlab-url"
)
URL_HINT = "give the base URL of the instance, e.g. https://gitlab.com, without user, password or query"
UNREACHABLE_HINT = (
    "check the URL and that GitLab is up and reachable from here (proxy, firewall);"
    " the audit is incomplete, run it again"
)


def _secrets(gl: Client) -> tuple[str | None, ...]:
    password = urlsplit(gl.url).password
    return (gl.private_token, gl.oauth_token, gl.job_token, gl.http_password, password)


# --- the retry helper ------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How long one request may take, and how long one call may spend retrying."""

    timeout: float = 10.0
    budget: float = 60.0
    backoff: float = 0.5
    max_backoff: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def pause(self, seconds: float, cancel: threading.Event | None) -> None:
        """Sleep ``seconds``; a real sleep wakes early when ``cancel`` is set."""
        if cancel is not None and self.sleep is time.sleep:
            cancel.wait(seconds)
        else:
            self.sleep(seconds)

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter before retry number ``attempt`` (1-based)."""
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


class RequestBudget:
    """What all threads of one client may send: a pace (``max_rps``) and GitLab's rate limit.

    ``max_rps`` is a token bucket of one token: requests start at least 1/max_rps seconds
    apart, whichever thread sends them. From the RateLimit-* headers of every answer it
    keeps how many requests GitLab still allows in the current window; when that, less
    the requests in flight, falls to ``RESERVE`` of the limit, requests wait for
    RateLimit-Reset. A 429's Retry-After holds back every thread, not only the one that
    got it.
    """

    def __init__(self, max_rps: float | None = None) -> None:
        self.lock = threading.Lock()
        self.interval = 0.0
        self.next_slot = float("-inf")
        self.inflight = 0
        self.pause_until = float("-inf")
        self.limit: int | None = None
        self.remaining: int | None = None
        self.window: float | None = None  # the RateLimit-Reset (epoch seconds) of the known window
        self.reset_at: float | None = None  # the same moment on the policy's clock
        self.set_rate(max_rps)

    def set_rate(self, max_rps: float | None) -> None:
        if max_rps is not None and not max_rps > 0:
            raise ConfigError(f"max_rps must be above 0, not {max_rps}")
        with self.lock:
            self.interval = 1.0 / max_rps if max_rps else 0.0

    def acquire(self, policy: RetryPolicy, deadline: float) -> float:
        """Wait until a request may start; the seconds spent only pacing (not on the limit).

        Waits for GitLab's rate limit only while the wait ends before ``deadline``: past
        it, the request goes out and a 429 is handled like any other.
        """
        while True:
            with self.lock:
                now = policy.clock()
                wait = self._wait(now)
                if wait <= 0 or now + wait > deadline:
                    slot = max(now, self.next_slot) if self.interval else now
                    self.next_slot = slot + self.interval
                    self.inflight += 1
                    break
            policy.sleep(min(wait, POLL))
        if slot > now:
            policy.sleep(slot - now)
        return max(0.0, slot - now)

    def release(self) -> None:
        with self.lock:
            self.inflight -= 1

    def observe(self, status: int, headers: Any, policy: RetryPolicy) -> None:
        """Learn from one answer's headers."""
        now = policy.clock()
        if status == 429:
            wait = retry_after(headers)
            if wait:
                with self.lock:
                    self.pause_until = max(self.pause_until, now + wait)
            return
        if status >= 500:
            return  # a proxy's error page, not the application's count
        limit = _number(headers.get("RateLimit-Limit"))
        remaining = _number(headers.get("RateLimit-Remaining"))
        reset = _number(headers.get("RateLimit-Reset"))
        if not limit or remaining is None or reset is None:
            return
        with self.lock:
            if self.window is None or reset > self.window:
                self.window, self.limit, self.remaining = reset, int(limit), int(remaining)
                self.reset_at = now + max(0.0, reset - time.time())
            elif reset == self.window and self.remaining is not None:
                self.remaining = min(self.remaining, int(remaining))  # answers arrive out of order

    def _wait(self, now: float) -> float:
        wait = self.pause_until - now
        if self.limit is None or self.remaining is None:
            return wait
        if self.reset_at is not None and now >= self.reset_at:
            self.remaining, self.reset_at = self.limit, None  # a new window: assume it is whole
        reserve = max(1, math.ceil(self.limit * RESERVE))
        if self.reset_at is None:  # until an answer tells, keep the burst within the limit
            if self.inflight >= max(1, self.limit - reserve):
                wait = max(wait, POLL)
        elif self.remaining - self.inflight <= reserve:
            wait = max(wait, self.reset_at - now)
        return wait


def _number(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


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


class ForeignHost(Exception):
    """A request for another host (or port, or scheme) than the configured GitLab; not sent."""

    def __init__(self, target: str) -> None:
        super().__init__(safe_url(target))
        self.target = target


class ForeignRedirect(ForeignHost):
    """GitLab redirected a request to another host (or port, or scheme); not followed."""


class _HomeOnly(HTTPAdapter):
    """The session's transport: it sends requests to the configured GitLab's origin only.

    Whatever asks for another host (a redirect, a next-page link, an absolute URL in an
    answer), the request, and the PRIVATE-TOKEN header with it, never leaves.
    """

    def __init__(self, home: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.home = home

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if _elsewhere(self.home, request.url or ""):
            raise ForeignHost(request.url or "")
        return super().send(request, *args, **kwargs)


def _elsewhere(home: str, url: str) -> bool:
    """``url`` is not on ``home``'s origin (an upgrade from http to https on the same host is)."""
    return bool(_ORIGINS.should_strip_auth(home, url))


_ORIGINS = requests.Session()
"""Only for requests' own rule of when credentials must not follow a URL."""


def _guard(gl: Client, pool_size: int = 10) -> None:
    adapter = _HomeOnly(gl.url, pool_connections=10, pool_maxsize=pool_size, max_retries=0)
    gl.session.mount("https://", adapter)
    gl.session.mount("http://", adapter)


def _refuse_foreign_redirects(gl: Client) -> Callable[..., None]:
    """A response hook that stops a redirect to anywhere but ``gl``'s own origin before
    requests follows it, since the PRIVATE-TOKEN header would go along."""
    home = gl.url

    def refuse(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if not response.is_redirect:
            return
        target = urljoin(response.url, response.headers.get("location") or "")
        if _elsewhere(home, target):
            raise ForeignRedirect(target)

    return refuse


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


@dataclass(frozen=True)
class _Problem:
    """One failed attempt, classified."""

    reason: str
    status: int | None = None
    transient: bool = True
    wait: float | None = None
    hint: str | None = None
    """For a refusal that is a configuration problem (exit 2): how to fix it."""


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


def _classify(error: Exception, headers: Any) -> _Problem | None:
    if isinstance(error, ForeignRedirect):
        return _Problem(f"it redirected the request to another host ({error})", transient=False, hint=REDIRECT_HINT)
    if isinstance(error, ForeignHost):
        return _Problem(f"a request for another host ({error}) was stopped", transient=False, hint=REDIRECT_HINT)
    if isinstance(error, gitlab.exceptions.GitlabError) and error.response_code is not None:
        return _status_problem(error, headers)
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return _Problem("its redirects went round in circles", transient=False, hint=URL_HINT)
    if isinstance(error, requests.exceptions.SSLError):
        return _Problem(f"TLS failure ({_short(error)})", transient=False)
    if isinstance(error, requests.exceptions.Timeout):
        return _Problem("no answer before the timeout")
    if isinstance(
        error,
        (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
         requests.exceptions.InvalidSchema),
    ):
        return _Problem(f"invalid URL ({_short(error)})", transient=False, hint=URL_HINT)
    if isinstance(
        error,
        (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
         requests.exceptions.ContentDecodingError),
    ):
        return _Problem(f"connection failed ({_short(error)})")
    if isinstance(error, gitlab.exceptions.RedirectError):
        return _Problem("GitLab redirected the request; use the final (https) URL", transient=False)
    if isinstance(error, (gitlab.exceptions.GitlabParsingError, ValueError)):
        return _Problem("the answer was not valid JSON")
    return None


def _status_problem(error: gitlab.exceptions.GitlabError, headers: Any) -> _Problem:
    code = int(error.response_code or 0)
    if code == 429:
        wait = retry_after(headers)
        return _Problem("HTTP 429 (rate limited)", code, wait=wait)
    if code in TRANSIENT_STATUS:
        return _Problem(f"HTTP {code}", code)
    detail = repair(str(error.error_message or "")).strip().splitlines()
    suffix = f": {detail[0][:200]}" if detail else ""
    return _Problem(f"HTTP {code}{suffix}", code, transient=False)


def retry_after(headers: Any) -> float | None:
    """Seconds to wait according to Retry-After (seconds or HTTP date) or RateLimit-Reset."""
    value = str(headers.get("Retry-After") or "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(0.0, when.timestamp() - time.time())
    reset = str(headers.get("RateLimit-Reset") or "").strip()
    if reset.isdigit():
        return max(0.0, int(reset) - time.time())
    return None


def _short(error: Exception) -> str:
    text = repair(str(error))
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    if "RemoteDisconnected" in text or "closed connection" in text:
        return "the server closed the connection"
    return text.splitlines()[0][:160] if text else type(error).__name__


def _refusal(
    gl: Client, what: str, problem: _Problem, not_found: tuple[str, str] | None
) -> ConfigError | SourceError:
    secrets = _secrets(gl)
    if problem.status == 401:
        return ConfigError(
            "GitLab refused the token (401)", "check GITLAB_TOKEN: it may be expired or revoked"
        )
    if problem.status == 403:
        message = redact(f"the token lacks access (403) while {what}", secrets)
        return ConfigError(message, SCOPE_HINT)
    if problem.status == 404 and not_found is not None:
        return ConfigError(redact(not_found[0], secrets), not_found[1])
    if problem.status == 404:
        return SourceError(
            redact(f"GitLab answered 404 while {what}", secrets),
            "it may have been deleted or moved during the scan; run the audit again",
        )
    if problem.hint is not None:
        message = f"cannot use GitLab at {safe_url(gl.url)}: {problem.reason} while {what}"
        return ConfigError(redact(message, secrets), problem.hint)
    return SourceError(
        redact(f"GitLab at {safe_url(gl.url)} failed while {what}: {problem.reason}", secrets),
        "the audit is incomplete; check the message above and run it again",
    )


def _exhausted(
    gl: Client, what: str, problem: _Problem, tries: int, elapsed: float, policy: RetryPolicy
) -> SourceError:
    reason = problem.reason
    if problem.wait is not None and problem.wait > policy.budget - elapsed:
        reason += f"; GitLab asked to wait {problem.wait:.0f}s, beyond the retry budget"
    message = (
        f"GitLab at {safe_url(gl.url)} failed while {what}: {reason}"
        f" (gave up after {tries} attempt{'s' if tries > 1 else ''} in {elapsed:.1f}s)"
    )
    return SourceError(redact(message, _secrets(gl)), UNREACHABLE_HINT)


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
    url = check_url(url, (token,))
    gl = gitlab.Gitlab(
        url, private_token=token, timeout=timeout, retry_transient_errors=False,
        user_agent="inc-audit",
    )
    configure(gl, RetryPolicy(timeout=timeout, budget=retry_budget, backoff=backoff))
    limit_rate(gl, max_rps)
    get_json(gl, "/user", "checking the token (GET /user)")
    return gl


def check_url(url: str, secrets: tuple[str, ...] = ()) -> str:
    """``url`` stripped, once it is fit to be the base of every request: http(s), a host,
    no user-info, query or fragment (those would put secrets in request URLs and logs).

    Raises ``ConfigError`` naming what is wrong; the message never repeats the secret part.
    """
    text = url.strip()
    parts = _split(text)
    if parts is None or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ConfigError(f"the GitLab URL {redact(text, secrets)[:80]!r} is malformed", URL_HINT)
    shown = redact(safe_url(text), secrets)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"the GitLab URL is not an http(s) URL with a host: {shown!r}", URL_HINT)
    if "@" in parts.netloc:
        raise ConfigError(f"the GitLab URL {shown} carries a user name or password", URL_HINT)
    if "?" in text or "#" in text:
        raise ConfigError(f"the GitLab URL {shown} carries a query or fragment", URL_HINT)
    return text


def _split(text: str) -> SplitResult | None:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return None
    return parts
