"""What one client may spend: how long a call may retry (``RetryPolicy``, ``Limits``) and how
fast all its threads may send (``RequestBudget``), from ``max_rps`` and GitLab's RateLimit-*
headers. python-gitlab counts retries; these bound them in time, across threads."""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from inc_audit.errors import ConfigError
from inc_audit.sources.http.classify import GaveUp

RESERVE = 0.1
"""Below this share of ``RateLimit-Limit`` left, wait for ``RateLimit-Reset`` before sending."""
POLL = 0.05
MAX_WAIT = 365 * 86400.0
"""The longest wait a Retry-After is taken to ask for (a larger one is still beyond any budget)."""
MIN_ATTEMPT = 0.5
"""An attempt is not started with less than this (or the timeout) left of the budget."""


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


class Cancelled(Exception):
    """A read stopped because another read of the same scan had failed for good."""


_CANCEL = threading.local()


@contextmanager
def cancelled_by(*events: threading.Event) -> Iterator[None]:
    """Calls made in this thread meanwhile stop (``Cancelled``) once one of ``events`` is set,
    or one of those this thread was already cancelled by."""
    previous = cancelling()
    _CANCEL.events = previous + tuple(e for e in events if e not in previous)
    try:
        yield
    finally:
        _CANCEL.events = previous


def cancelling() -> tuple[threading.Event, ...]:
    """The events that cancel this thread's calls (``cancelled_by``): a reader thread started
    from here passes them on, so that cancelling a scan stops its readers' readers too."""
    events: tuple[threading.Event, ...] = getattr(_CANCEL, "events", ())
    return events


@dataclass
class _Call:
    """The attempts one thread has made since its last final answer."""

    start: float
    tries: int = 0
    reason: str = "no answer"


class Limits:
    """A client's retry policy and request budget, and each thread's current call."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.budget = RequestBudget()
        self._local = threading.local()

    @property
    def call(self) -> _Call:
        if getattr(self._local, "call", None) is None:
            self._local.call = _Call(self.policy.clock())
        return self._local.call

    def begin(self) -> float:
        """Before an attempt: stop if cancelled or out of budget, keep the pace; its timeout."""
        self._check_cancel()
        call, policy = self.call, self.policy
        if call.tries:
            self.failed(call.reason, 0.0)
        call.tries += 1
        call.start += self.budget.acquire(policy, call.start + policy.budget - min(policy.timeout, MIN_ATTEMPT))
        return max(min(policy.timeout, policy.budget - (policy.clock() - call.start)), 0.05)

    def failed(self, reason: str, wait: float, asked: float | None = None) -> None:
        """After a failed attempt: ``GaveUp`` unless waiting ``wait`` leaves time for another;
        ``asked`` is the wait GitLab asked for, if it did."""
        call, policy = self.call, self.policy
        call.reason = reason
        elapsed = policy.clock() - call.start
        if elapsed + wait + min(policy.timeout, MIN_ATTEMPT) > policy.budget:
            if asked is not None and asked > policy.budget - elapsed:
                reason += f"; GitLab asked to wait {asked:.0f}s, beyond the retry budget"
            self.end()
            raise GaveUp(reason, call.tries, elapsed)

    def pause(self, seconds: float) -> None:
        """Wait before the next attempt; a cancelled scan wakes at once (within ``POLL`` when
        more than one event cancels it)."""
        events = cancelling()
        if events and self.policy.sleep is time.sleep:
            end = time.monotonic() + seconds
            while not any(e.is_set() for e in events) and (left := end - time.monotonic()) > 0:
                events[-1].wait(left if len(events) == 1 else min(left, POLL))
        else:
            self.policy.sleep(seconds)
        self._check_cancel()

    def retrying(self) -> bool:
        """Whether this thread's last answer is to be tried again (the call has not ended)."""
        return getattr(self._local, "call", None) is not None

    def end(self) -> None:
        """The call has its final answer: this thread's next attempt starts a new call."""
        self._local.call = None

    def _check_cancel(self) -> None:
        if any(event.is_set() for event in cancelling()):
            self.end()
            raise Cancelled()


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


def retry_after(headers: Any) -> float | None:
    """Seconds to wait according to Retry-After (seconds or HTTP date) or RateLimit-Reset."""
    value = str(headers.get("Retry-After") or "").strip()
    if value:
        try:
            number = float(value)
        except ValueError:
            pass
        else:  # "nan", "inf", "1e999": no answer; a year at most
            return min(max(0.0, number), MAX_WAIT) if math.isfinite(number) else None
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, OverflowError, OSError):
            return None
        return min(max(0.0, when - time.time()), MAX_WAIT)
    reset = str(headers.get("RateLimit-Reset") or "").strip()
    if reset.isdigit() and len(reset) < 16:
        return min(max(0.0, int(reset) - time.time()), MAX_WAIT)
    return None
