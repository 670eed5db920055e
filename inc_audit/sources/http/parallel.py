"""Reading in parallel: an ordered thread-pool map that stops at the first failure, and calls
started beside the caller's work (``beside``)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from inc_audit.sources.http.budget import Cancelled, cancelled_by, cancelling

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int, window: int | None = None) -> Iterator[R]:
    """``fn`` of each item, in the items' order, with up to ``workers`` running at once.

    Runs a bounded window ahead of what has been consumed: ``window`` calls started and not
    yet consumed (default four per worker). ``items`` may be an iterator, taken from as the
    window moves (in the consuming thread). The first failure ends the map
    as soon as it happens, raised in place of the next result: from then on no queued item
    starts, and the calls still running stop at their next retry decision (``cancelled_by``),
    so a dead server ends the scan within one retry budget. Leaving the loop early cancels
    what is queued too.
    """
    if workers <= 1 or (isinstance(items, Sequence) and len(items) <= 1):
        for item in items:
            yield fn(item)
        return
    ahead = max(window or workers * 4, 1)
    stop = threading.Event()
    outer = cancelling()  # what cancels the caller cancels its readers
    failures: list[BaseException] = []

    def guarded(item: T) -> R:
        if stop.is_set():
            raise Cancelled()
        try:
            with cancelled_by(*outer, stop):
                return fn(item)
        except Cancelled:
            raise
        except BaseException as error:
            failures.append(error)
            stop.set()
            raise

    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inc-audit-read")
    pending: deque[Future[R]] = deque()
    upcoming = iter(items)
    try:
        for item in upcoming:
            pending.append(executor.submit(guarded, item))
            if len(pending) >= ahead:
                break
        while pending:
            result = _next_result(pending, failures)
            following = next(upcoming, _END)
            if following is not _END:
                pending.append(executor.submit(guarded, following))  # type: ignore[arg-type]
            yield result
    finally:
        stop.set()
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


def _next_result(pending: deque[Future[R]], failures: list[BaseException]) -> R:
    """The first pending result, or the first failure of any pending call once there is one."""
    head = pending[0]
    while not head.done() and not failures:
        wait([f for f in pending if not f.done()], return_when=FIRST_COMPLETED)
    if failures:
        raise failures[0]
    pending.popleft()
    return head.result()


_END = object()


def beside(fn: Callable[..., R], *args: Any, stop: threading.Event | None = None) -> Future[R]:
    """``fn(*args)`` started now in a thread of its own, its result or failure in the future
    returned: for the requests a live audit makes at once when it opens. Its calls stop
    (``Cancelled``) at their next retry decision once ``stop`` is set, as do those of the
    reader threads it starts (``ordered_map``). The thread is a daemon: a run that has failed
    does not wait for a request still in flight to end."""
    future: Future[R] = Future()
    events = (*cancelling(), *([stop] if stop is not None else []))

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            with cancelled_by(*events):
                result = fn(*args)
        except BaseException as error:
            future.set_exception(error)
        else:
            future.set_result(result)

    threading.Thread(target=run, name="inc-audit-beside", daemon=True).start()
    return future
