"""Incidents from a live GitLab through its REST API, and the one retry helper all calls use.

This is the only module that imports ``gitlab``. Every request, read or write, goes
through ``call``: it sets the per-request timeout, retries 429 (honouring Retry-After),
500/502/503/504, connection failures and timeouts with backoff, bounds the time one call
may spend retrying (the retry budget), and turns what is left into one-line errors:
``ConfigError`` for a refused token, missing access or a missing project, ``SourceError``
(the audit is incomplete) for everything else. Pagination is done here, page by page,
so a failure on page 7 is retried like one on page 1 instead of ending a lazy list.

Every call is safe to make from several threads at once: the headers a retry decision
reads (Retry-After) are those of the call's own answer, and one ``RequestBudget`` per
client paces all threads (``max_rps``) and holds them back before GitLab would answer 429
(``RateLimit-Remaining`` low). ``GitLabSource`` reads the incidents' notes with up to
``concurrency`` requests in flight over python-gitlab's one keep-alive session.

Tokens travel in the PRIVATE-TOKEN header, never in URLs, and every message built from
an exception goes through ``redact`` anyway.
"""

from __future__ import annotations

import email.utils
import functools
import math
import random
import re
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import gitlab
import requests
from gitlab.utils import EncodedId
from requests.adapters import HTTPAdapter

from inc_audit.errors import ConfigError, SourceError
from inc_audit.export import issue_type_of
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard, parse_time
from inc_audit.redaction import redact, safe_url

if TYPE_CHECKING:
    from inc_audit.config import Config

Client = gitlab.Gitlab
"""The client type other modules name, so that only this module imports ``gitlab``."""

T = TypeVar("T")
R = TypeVar("R")

PER_PAGE = 100
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
MIN_ATTEMPT = 0.5
RESERVE = 0.1
"""Below this share of ``RateLimit-Limit`` left, wait for ``RateLimit-Reset`` before sending."""
POLL = 0.05
DEFAULT_CONCURRENCY = 8
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

TOKEN_HINT = (
    "create a project access token with the read_api scope (api to publish) and export it"
    " as GITLAB_TOKEN, or store it as a masked CI/CD variable"
)
SCOPE_HINT = (
    "the token needs the read_api scope (api to publish the audit issue) and its user must"
    " be a member of the project or group"
)
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
            gl.session.hooks["response"].append(state.observe)
        state.policy = policy


def limit_rate(gl: Client, max_rps: float | None) -> None:
    """At most ``max_rps`` requests a second from ``gl``, across threads (None: no pace)."""
    _state(gl).budget.set_rate(max_rps)


def ensure_pool(gl: Client, size: int) -> None:
    """Let the client's one session keep ``size`` connections alive per host.

    requests keeps 10 by default; with more threads than that, the extra connections
    would be opened for one request and discarded.
    """
    session = gl.session
    adapter = session.get_adapter(gl.url)
    if getattr(adapter, "_pool_maxsize", 0) >= size:
        return
    wider = HTTPAdapter(pool_connections=10, pool_maxsize=size, max_retries=0)
    session.mount("https://", wider)
    session.mount("http://", wider)


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


def call(
    gl: Client,
    what: str,
    attempt: Callable[[float], T],
    *,
    not_found: tuple[str, str] | None = None,
) -> T:
    """Run ``attempt(timeout)`` until it succeeds, retrying what is worth retrying.

    ``what`` says what the call does ("listing issues labelled incident"), for messages.
    ``not_found`` is the (message, hint) of a ``ConfigError`` to raise on 404; without it
    a 404 is a ``SourceError``. Gives up once the next wait would overrun the budget.
    Each attempt first waits for the client's request budget; time spent only on the
    ``max_rps`` pace is not counted against the retry budget.
    """
    state = _state(gl)
    policy = state.policy
    start = policy.clock()
    tries = 0
    capture = _Capture()
    while True:
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
            if not problem.transient:
                raise _refusal(gl, what, problem, not_found) from None
        finally:
            state.leave(previous)
            state.budget.release()
        wait = policy.delay(tries) if problem.wait is None else problem.wait
        elapsed = policy.clock() - start
        if elapsed + wait + min(policy.timeout, MIN_ATTEMPT) > policy.budget:
            raise _exhausted(gl, what, problem, tries, elapsed, policy) from None
        policy.sleep(wait)


def _classify(error: Exception, headers: Any) -> _Problem | None:
    if isinstance(error, gitlab.exceptions.GitlabError) and error.response_code is not None:
        return _status_problem(error, headers)
    if isinstance(error, requests.exceptions.SSLError):
        return _Problem(f"TLS failure ({_short(error)})", transient=False)
    if isinstance(error, requests.exceptions.Timeout):
        return _Problem("no answer before the timeout")
    if isinstance(
        error,
        (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
         requests.exceptions.InvalidSchema),
    ):
        return _Problem(f"invalid URL ({_short(error)})", transient=False)
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
    detail = str(error.error_message or "").strip().splitlines()
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
    text = str(error)
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
    if problem.reason.startswith("invalid URL"):
        return ConfigError(redact(f"cannot use GitLab URL {safe_url(gl.url)}: {problem.reason}",
                                  secrets), "give the GitLab base URL, e.g. https://gitlab.com")
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


def _request(
    gl: Client, verb: str, path: str, timeout: float, **kwargs: Any
) -> requests.Response:
    return gl.http_request(
        verb, path, timeout=timeout, obey_rate_limit=False, retry_transient_errors=False,
        **kwargs,
    )


def get_json(
    gl: Client, path: str, what: str, query: dict[str, Any] | None = None,
    *, not_found: tuple[str, str] | None = None,
) -> Any:
    """GET one object."""

    def attempt(timeout: float) -> Any:
        return _request(gl, "get", path, timeout, query_data=dict(query or {})).json()

    return call(gl, what, attempt, not_found=not_found)


def send(gl: Client, verb: str, path: str, what: str, data: dict[str, Any]) -> Any:
    """POST or PUT ``data``; the answer's JSON."""

    def attempt(timeout: float) -> Any:
        return _request(gl, verb, path, timeout, post_data=data).json()

    return call(gl, what, attempt)


def iter_items(
    gl: Client, path: str, what: str, query: dict[str, Any] | None = None,
    *, not_found: tuple[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list, page after page, each page retried on its own."""
    target: str | None = path
    params: dict[str, Any] = {**(query or {}), "per_page": PER_PAGE}
    seen: set[str] = set()
    while target is not None:
        marker = f"{target}?{sorted(params.items())}"
        if marker in seen:
            raise SourceError(f"GitLab's pagination looped while {what}", UNREACHABLE_HINT)
        seen.add(marker)
        page = functools.partial(_page, gl, target, params)
        items, following = call(gl, what, page, not_found=not_found)
        yield from items
        target, params = following if following else (None, {})


def _page(
    gl: Client, path: str, params: dict[str, Any], timeout: float
) -> tuple[list[dict[str, Any]], tuple[str, dict[str, Any]] | None]:
    response = _request(gl, "get", path, timeout, query_data=dict(params))
    data = response.json()
    if not isinstance(data, list):
        raise ValueError("a list was expected")
    next_page = str(response.headers.get("X-Next-Page") or "").strip()
    if next_page:
        return [d for d in data if isinstance(d, dict)], (path, {**params, "page": int(next_page)})
    link = (response.links.get("next") or {}).get("url")
    following: tuple[str, dict[str, Any]] | None = (_api_relative(gl, link), {}) if link else None
    return [d for d in data if isinstance(d, dict)], following


def _api_relative(gl: Client, url: str) -> str:
    """A next-page link as a path under our API URL, whatever host GitLab thinks it has."""
    parts = urlsplit(url)
    marker = f"/api/v{gl.api_version}"
    path = parts.path.split(marker, 1)[1] if marker in parts.path else parts.path
    return f"{path}?{parts.query}" if parts.query else path


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
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"not a GitLab URL: {redact(safe_url(url), (token,))!r}",
            "give the base URL of the instance, e.g. https://gitlab.com",
        )
    gl = gitlab.Gitlab(
        url.strip(), private_token=token, timeout=timeout, retry_transient_errors=False,
        user_agent="inc-audit",
    )
    configure(gl, RetryPolicy(timeout=timeout, budget=retry_budget, backoff=backoff))
    limit_rate(gl, max_rps)
    get_json(gl, "/user", "checking the token (GET /user)")
    return gl


# --- building model objects ---------------------------------------------------------------


def _username(user: Any) -> str:
    if isinstance(user, dict) and user.get("username"):
        return str(user["username"])
    return "unknown"


def _labels(raw: dict[str, Any]) -> tuple[str, ...]:
    labels = []
    for label in raw.get("labels") or ():
        name = label.get("name") if isinstance(label, dict) else label
        if name:
            labels.append(str(name))
    return tuple(labels)


def _issue_type(raw: dict[str, Any]) -> str:
    return issue_type_of({"issue_type": raw.get("issue_type") or raw.get("type")})


def note_from_api(raw: dict[str, Any]) -> Note | None:
    """A ``Note`` as export.py builds it, from a notes endpoint entry."""
    created = parse_time(raw.get("created_at"))
    if created is None or raw.get("id") is None:
        return None
    return Note(
        id=int(raw["id"]),
        body=str(raw.get("body") or ""),
        author=_username(raw.get("author")),
        created_at=created,
        system=bool(raw.get("system")),
        updated_at=parse_time(raw.get("updated_at")),
    )


def issue_from_api(key: IssueKey, raw: dict[str, Any], notes: Iterable[Note]) -> Issue:
    """An ``Issue`` as export.py builds it, from an issues endpoint entry and its notes."""
    created = parse_time(raw.get("created_at")) or EPOCH
    updated = parse_time(raw.get("updated_at")) or created
    state = "closed" if raw.get("state") == "closed" else "opened"
    return Issue(
        key=key,
        title=str(raw.get("title") or ""),
        description=str(raw.get("description") or ""),
        labels=_labels(raw),
        issue_type=_issue_type(raw),
        state=state,
        author=_username(raw.get("author")),
        created_at=created,
        updated_at=updated,
        closed_at=(parse_time(raw.get("closed_at")) or updated) if state == "closed" else None,
        confidential=bool(raw.get("confidential")),
        web_url=str(raw.get("web_url") or ""),
        notes=tuple(sorted(notes, key=lambda n: (n.created_at, n.id))),
    )


def linked_from_api(key: IssueKey, raw: dict[str, Any]) -> LinkedIssue:
    """A ``LinkedIssue`` from a links endpoint entry."""
    return LinkedIssue(
        key=key,
        title=str(raw.get("title") or ""),
        labels=_labels(raw),
        description=str(raw.get("description") or ""),
        state="closed" if raw.get("state") == "closed" else "opened",
        issue_type=_issue_type(raw),
        web_url=str(raw.get("web_url") or ""),
        confidential=bool(raw.get("confidential")),
    )


def award_from_api(raw: dict[str, Any]) -> Award:
    return Award(
        name=str(raw.get("name") or ""),
        username=_username(raw.get("user")),
        created_at=parse_time(raw.get("created_at")),
    )


ISSUE_FIELDS = (
    "id", "iid", "project_id", "title", "description", "labels", "issue_type", "type", "state",
    "created_at", "updated_at", "closed_at", "confidential", "web_url", "user_notes_count",
)
NOTE_FIELDS = ("id", "body", "created_at", "updated_at", "system")
AWARD_FIELDS = ("name", "created_at")


def _slim(raw: dict[str, Any], fields: tuple[str, ...], user: str) -> dict[str, Any]:
    """The fields inc-audit reads of an API entry; the rest (avatars, URLs...) is dropped."""
    kept = {name: raw[name] for name in fields if name in raw}
    person = raw.get(user)
    if isinstance(person, dict):
        kept[user] = {"username": person.get("username")}
    references = raw.get("references")
    if isinstance(references, dict) and "full" in references:
        kept["references"] = {"full": references["full"]}
    return kept


def slim_issue(raw: dict[str, Any]) -> dict[str, Any]:
    """An issues or links endpoint entry, cut to what ``issue_from_api`` and co. read."""
    return _slim(raw, ISSUE_FIELDS, "author")


def slim_note(raw: dict[str, Any]) -> dict[str, Any]:
    return _slim(raw, NOTE_FIELDS, "author")


def slim_award(raw: dict[str, Any]) -> dict[str, Any]:
    return _slim(raw, AWARD_FIELDS, "user")


def _iid(raw: dict[str, Any], what: str) -> int:
    try:
        return int(raw["iid"])
    except (KeyError, TypeError, ValueError):
        raise SourceError(f"GitLab returned an issue without an iid while {what}") from None


# --- reading in parallel --------------------------------------------------------------------


def ordered_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[R]:
    """``fn`` of each item, in the items' order, with up to ``workers`` running at once.

    Runs a bounded window ahead of what has been consumed. The first failure is raised
    where its result is due; what has not started by then never starts, and leaving the
    loop early (or failing) cancels what is queued.
    """
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield fn(item)
        return
    stop = threading.Event()

    def guarded(item: T) -> R:
        if stop.is_set():
            raise _Cancelled()
        return fn(item)

    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inc-audit-read")
    pending: deque[Future[R]] = deque()
    upcoming = iter(items)
    try:
        for item in upcoming:
            pending.append(executor.submit(guarded, item))
            if len(pending) >= workers * 4:
                break
        while pending:
            result = pending.popleft().result()
            following = next(upcoming, _END)
            if following is not _END:
                pending.append(executor.submit(guarded, following))  # type: ignore[arg-type]
            yield result
    finally:
        stop.set()
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


class _Cancelled(Exception):
    """A queued read that started after the scan had already failed or stopped."""


_END = object()


def read_ahead(source: Any, config: Config, as_of: datetime) -> None:
    """Let ``source``'s reader threads make the reads the rules will ask for, as they go.

    Without it, the links and award emoji the rules ask for are read one at a time while
    the incidents are audited. With it, each reader thread makes them for the incident it
    has just read, so they happen ``concurrency`` at a time and the audit then finds them
    memoized. It reads exactly what the rules read, never more: the links of a closed
    incident (CHG001, CHG002), and the award emoji of the final post-mortem once its
    approval is due and comments do not settle it (IPM003, through ``Context.approvals``).
    A known incident's look at the links of the incidents it links is left to the audit.
    Nothing is read for an incident whose verdict the source kept (``cached_verdict``, a
    ``CachedSource``'s): the audit will not run the rules on it.
    ``source`` is a ``GitLabSource`` or a ``CachedSource``.
    """
    from inc_audit.audit import is_audited
    from inc_audit.markdown import parse
    from inc_audit.rules import Context

    links = not (config.is_ignored("CHG001") and config.is_ignored("CHG002"))
    approvals = not config.is_ignored("IPM003")
    cached_verdict = getattr(source, "cached_verdict", None)

    def ahead(issue: Issue) -> None:
        if not is_audited(issue, config):
            return
        if cached_verdict is not None and cached_verdict(issue, as_of) is not None:
            return
        if links and issue.is_closed:
            source.linked_issues(issue.key)
        if not approvals:
            return
        context = Context(issue, config, source, as_of)
        schema = context.post_mortem_schema
        # IPM003 looks at the last comment that reads as a post-mortem: found from the
        # end, parsing the fewest notes.
        final = next((note for note in reversed(issue.notes) if not note.system
                      and schema.could_match(note.body) and schema.matches(parse(note.body))), None)
        if final is None:
            return
        started = max(filter(None, (issue.closed_at, final.created_at)))
        if as_of > started + context.grace:
            context.approvals(final)

    source.prefetch = ahead


# --- the source ---------------------------------------------------------------------------


class GitLabSource:
    """A ``Source`` over one project, or every project of a group and its subgroups.

    Candidates are listed first (a few pages per label), then each candidate's notes are
    read with up to ``concurrency`` requests in flight, over the client's one session;
    issues are still yielded in (project, iid) order. Links and award emoji are read only
    when asked, each once per run.
    """

    on_listed: Callable[[int], None] | None = None  # told how many issues candidate_issues will yield

    def __init__(
        self, gl: Client, *, project: str | int | None = None, group: str | int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        if (project is None) == (group is None):
            raise ConfigError("audit either a project or a group", "give --project or --group")
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, not {concurrency}")
        self.gl = gl
        self.concurrency = concurrency
        self.prefetch: Callable[[Issue], object] | None = None
        """Run by the reader thread on each issue it has read (see ``read_ahead``)."""
        ensure_pool(gl, concurrency + 2)  # the readers, and the rules asking from the main thread
        self.paths: dict[int, str] = {}
        self.ids: dict[str, int] = {}
        self._links: dict[IssueKey, list[dict[str, Any]]] = {}
        self._linked: dict[IssueKey, tuple[LinkedIssue, ...]] = {}
        self._awards: dict[tuple[IssueKey, int], list[dict[str, Any]]] = {}
        self._locks: dict[tuple[int, Any], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        if project is not None:
            self.kind = "project"
            raw = get_json(gl, f"/projects/{encode_id(project)}", f"reading project {project}",
                           not_found=_missing("project", project, "--project / CI_PROJECT_PATH"))
            self.path = self._remember(raw, "path_with_namespace", project)
        else:
            assert group is not None
            self.kind = "group"
            raw = get_json(gl, f"/groups/{encode_id(group)}", f"reading group {group}",
                           not_found=_missing("group", group, "--group"))
            self.path = str(raw.get("full_path") or group)
        self.id = raw.get("id", self.path)

    def describe(self) -> dict[str, str]:
        return {"kind": "gitlab", "url": safe_url(self.gl.url), self.kind: self.path}

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        found = self.list_candidates(labels)
        keys = shard.pick(found) if shard else sorted(found, key=lambda k: (k.project, k.iid))
        if self.on_listed is not None:
            self.on_listed(len(keys))

        def read(key: IssueKey) -> Issue:
            return self.ready(issue_from_api(key, found[key], self._notes(key)))

        yield from self.parallel(read, keys)

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``ordered_map`` with this source's concurrency."""
        return ordered_map(fn, items, self.concurrency)

    def ready(self, issue: Issue) -> Issue:
        """``issue``, once ``prefetch`` (if any) has run on it in this thread."""
        if self.prefetch is not None:
            self.prefetch(issue)
        return issue

    def get_issue(self, iid: int) -> Issue:
        """One issue of the audited project, with its notes."""
        what = f"reading issue #{iid}"
        raw = get_json(self.gl, f"/projects/{encode_id(self.id)}/issues/{iid}", what,
                       not_found=(f"issue {self.path}#{iid} not found (404)",
                                  "check the issue number and that the token can see it"))
        key = IssueKey(self.path, _iid(raw, what))
        return issue_from_api(key, raw, self._notes(key))

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        if key not in self._linked:
            self._linked[key] = self.linked_from_raw(self.raw_links(key))
        return self._linked[key]

    def linked_from_raw(self, raws: Iterable[dict[str, Any]]) -> tuple[LinkedIssue, ...]:
        what = "reading issue links"
        return tuple(linked_from_api(IssueKey(self.project_of(raw), _iid(raw, what)), raw)
                     for raw in raws)

    def raw_links(self, key: IssueKey) -> list[dict[str, Any]]:
        """The links endpoint's entries for ``key``, read once per run."""

        def read() -> list[dict[str, Any]]:
            raws = iter_items(self.gl, f"{self._issue_path(key)}/links", f"reading the links of {key}")
            return [slim_issue(raw) for raw in raws]

        return self._once(self._links, key, read)

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return tuple(award_from_api(raw) for raw in self.raw_awards(key, note_id))

    def raw_awards(self, key: IssueKey, note_id: int) -> list[dict[str, Any]]:
        """The award emoji entries of one note, read once per run."""

        def read() -> list[dict[str, Any]]:
            path = f"{self._issue_path(key)}/notes/{note_id}/award_emoji"
            raws = iter_items(self.gl, path, f"reading the awards of note {note_id} on {key}")
            return [slim_award(raw) for raw in raws]

        return self._once(self._awards, (key, note_id), read)

    def _once(self, memo: dict[Any, list[dict[str, Any]]], key: Any,
              read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """``memo[key]``, read by one thread only even when several ask at once."""
        if key in memo:
            return memo[key]
        with self._locks_lock:
            lock = self._locks.setdefault((id(memo), key), threading.Lock())
        with lock:
            if key not in memo:
                memo[key] = read()
            return memo[key]

    def list_candidates(self, labels: tuple[str, ...]) -> dict[IssueKey, dict[str, Any]]:
        """Every issue carrying one of ``labels`` or of type Incident, each once, by key."""
        queries = [(f"listing issues labelled {label}", {"labels": label})
                   for label in dict.fromkeys(labels)]
        queries.append(("listing incidents", {"issue_type": "incident"}))
        found: dict[IssueKey, dict[str, Any]] = {}
        for what, query in queries:
            for raw in self._list(what, query):
                found.setdefault(IssueKey(self.project_of(raw), _iid(raw, what)), raw)
        return found

    def list_updated(self, since: datetime) -> dict[IssueKey, dict[str, Any]]:
        """Every issue, whatever its labels and type, updated at or after ``since``, by key."""
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        what = f"listing issues updated since {stamp}"
        found: dict[IssueKey, dict[str, Any]] = {}
        for raw in self._list(what, {"updated_after": stamp}):
            found.setdefault(IssueKey(self.project_of(raw), _iid(raw, what)), raw)
        return found

    def raw_notes(self, key: IssueKey) -> list[dict[str, Any]]:
        """Every notes endpoint entry of ``key``, oldest first, every page."""
        query = {"sort": "asc", "order_by": "created_at"}
        raws = iter_items(self.gl, f"{self._issue_path(key)}/notes", f"reading notes of {key}", query)
        return [slim_note(raw) for raw in raws]

    def _list(self, what: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        base = f"/{self.kind}s/{encode_id(self.id)}/issues"
        raws = iter_items(self.gl, base, what, {**query, "state": "all", "scope": "all"})
        return (slim_issue(raw) for raw in raws)

    def _notes(self, key: IssueKey) -> list[Note]:
        return notes_from_api(self.raw_notes(key))

    def _issue_path(self, key: IssueKey) -> str:
        project = self.ids.get(key.project, key.project)
        return f"/projects/{encode_id(project)}/issues/{key.iid}"

    def project_of(self, raw: dict[str, Any]) -> str:
        """The path of the project an issue belongs to, asking GitLab only when unknown.

        ``references.full`` (in every issue and link entry) names it; GET /projects/:id
        is only for entries without it, once per project.
        """
        project_id = raw.get("project_id")
        if isinstance(project_id, int) and project_id in self.paths:
            return self.paths[project_id]
        full = (raw.get("references") or {}).get("full")
        if isinstance(full, str) and "#" in full:
            path = full.rsplit("#", 1)[0]
        elif project_id is not None:
            project = get_json(self.gl, f"/projects/{encode_id(project_id)}",
                               f"reading project {project_id}")
            path = str(project.get("path_with_namespace") or project_id)
        else:
            return self.path
        if isinstance(project_id, int):
            self.paths[project_id] = path
            self.ids.setdefault(path, project_id)
        return path

    def _remember(self, raw: dict[str, Any], field: str, fallback: str | int) -> str:
        path = str(raw.get(field) or fallback)
        if isinstance(raw.get("id"), int):
            self.paths[raw["id"]] = path
            self.ids[path] = raw["id"]
        return path


def notes_from_api(raws: Iterable[dict[str, Any]]) -> list[Note]:
    return [note for note in map(note_from_api, raws) if note is not None]


def _missing(kind: str, name: str | int, option: str) -> tuple[str, str]:
    return f"{kind} {name} not found (404)", f"check {option} and that the token can see it"
