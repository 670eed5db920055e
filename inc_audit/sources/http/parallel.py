"""Reading in parallel: an ordered thread-pool map, and the reads made ahead for the rules."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from inc_audit.model import Issue
from inc_audit.sources.budget import Cancelled, cancelled_by
from inc_audit.sources.interface import Unreadable

if TYPE_CHECKING:
    from inc_audit.config import Config
    from inc_audit.sources.interface import ReadsAhead

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[R]:
    """``fn`` of each item, in the items' order, with up to ``workers`` running at once.

    Runs a bounded window ahead of what has been consumed. The first failure ends the map
    as soon as it happens, raised in place of the next result: from then on no queued item
    starts, and the calls still running stop at their next retry decision (``cancelled_by``),
    so a dead server ends the scan within one retry budget. Leaving the loop early cancels
    what is queued too.
    """
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield fn(item)
        return
    stop = threading.Event()
    failures: list[BaseException] = []

    def guarded(item: T) -> R:
        if stop.is_set():
            raise Cancelled()
        try:
            with cancelled_by(stop):
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
            if len(pending) >= workers * 4:
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


def read_ahead(source: ReadsAhead, config: Config, as_of: datetime) -> None:
    """Let ``source``'s reader threads make the reads the rules will ask for, as they go.

    Without it, the links and award emoji the rules ask for are read one at a time while
    the incidents are audited. With it, each reader thread makes them for the incident it
    has just read, so they happen ``concurrency`` at a time and the audit then finds them
    memoized. It reads exactly what the rules read, never more: the links of a closed
    incident (CHG001-CHG004) and, when none is a change, the issues that mention it
    (``issue_summary``), and the award emoji of the final post-mortem once its
    approval is due and comments do not settle it (IPM003, through ``Context.approvals``).
    A known incident's look at the links of the incidents it links is left to the audit.
    Nothing is read for an incident whose verdict the source kept (``cached_verdict``, a
    ``CachedSource``'s): the audit will not run the rules on it.
    ``source`` is a ``GitLabSource`` or a ``CachedSource``.
    """
    from inc_audit.audit import is_audited
    from inc_audit.rules import Context

    links = not all(config.is_ignored(code) for code in ("CHG001", "CHG002", "CHG003", "CHG004"))
    approvals = not config.is_ignored("IPM003")

    def ahead(issue: Issue) -> None:
        try:
            read_for_the_rules(issue)
        except Unreadable:
            return  # the audit asks again and reports the incident as unreadable

    def read_for_the_rules(issue: Issue) -> None:
        if not is_audited(issue, config):
            return
        if source.cached_verdict(issue, as_of) is not None:
            return
        context = Context(issue, config, source, as_of)
        if links and issue.is_closed:
            source.linked_issues(issue.key)
            if not context.is_known_incident and not context.changes:
                _ = context.mentioned_changes  # the issues that mention it, read only with no change linked
        if not approvals:
            return
        if context.final_post_mortem is None:
            return
        final, _ = context.final_post_mortem  # the comment IPM003 reads, chosen as the rules choose it
        started = max(filter(None, (issue.closed_at, final.created_at)))
        if as_of > context.due_after(started):
            context.approvals(final)

    source.prefetch = ahead

