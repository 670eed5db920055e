"""The first reads of a cold GraphQL run, made before the keys' listing is done.

- ``start_first_page``: with the run's other first requests, before any key is known, the
  oldest and the newest issues carrying the first incident label, a page of each read in
  full (two queries: one page of full issues is all GitLab's complexity lets a query hold).
  They are candidates whatever the listing holds besides, so the audit takes them first
  (``take_first_page``), a round trip after the run opens, while the listing reads its
  pages; its keys then leave them out.
- ``first_wave``: once the listing's first pages have answered, the keys they hold (less
  those the first page read) by iid, while the listing reads its other pages.
- ``take_first_wave``: those keys, and their entries as their reads answer, for the audit to
  take after the first page while the listing still reads its other pages: every key the
  listing's first pages hold is a candidate, so the audit need not wait for its last page.

``key_order`` puts the first wave's keys first; ``read_entries`` takes the answers of a first
wave nobody took (``_claim_early``) and reads the others as it would have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as Pending
from typing import Any

from inc_audit.model import IssueKey
from inc_audit.sources.graphql import query as q
from inc_audit.sources.http.session import cancel_opening, opening
from inc_audit.sources.rest.keys import KeyListing

Query = list[list[IssueKey]]
"""The iids of one query: ``BATCH`` of one project to an alias."""
Found = dict[IssueKey, dict[str, Any]]

ENDS = ("CREATED_ASC", "CREATED_DESC")
"""The first page's two ends: the oldest issues, which the label's REST list pages first, and
the newest, which it pages last."""
FIRST_PAGE_WAIT = 1.0
"""Seconds ``first_wave`` waits at least for the first page, when it has not answered yet
(longer when the listing's first pages took longer: both were asked together), before
planning without it."""


class EarlyReads(KeyListing):
    """What ``GraphQLSource`` starts its first reads with."""

    early: Callable[[], bool]
    shape: q.Shape
    _early: list[tuple[Query, Future[Found]]]
    _first: list[IssueKey]
    _first_page: tuple[float, list[Future[Found]]] | None = None
    _listing: tuple[tuple[str, ...], Future[list[IssueKey]]] | None
    _waved: threading.Event
    _early_lock: threading.Lock
    _page_taken: frozenset[IssueKey] | set[IssueKey] = frozenset()
    """The first page's keys, once ``take_first_page`` has given them."""
    _begun: set[IssueKey] | None = None
    """The keys ``first_wave`` began reading, and the first page's."""

    def _forget(self, key: IssueKey) -> None:
        raise NotImplementedError

    def _plan(self, keys: list[IssueKey], shape: q.Shape) -> list[Query]:
        raise NotImplementedError

    def _ahead(self, shape: q.Shape) -> int:
        raise NotImplementedError

    def _read_query(self, batches: Query, shape: q.Shape) -> Found:
        raise NotImplementedError

    def _read_page(self, label: str, order: str, shape: q.Shape) -> Found:
        raise NotImplementedError

    def start_first_page(self, labels: tuple[str, ...]) -> None:
        """Ask, with the run's other first requests, the oldest and newest issues labelled
        ``labels[0]`` in full (``_read_page``), for a run that reads every listed incident
        (``early``) of a project named by its path. Only an advance: if it fails, its
        incidents are read by iid like the others."""
        if self.kind != "project" or not labels or not isinstance(self.given, str):
            return
        pages = [opening(self.gl, self._quiet_page, labels[0], order, self.shape) for order in ENDS]
        self._first_page = (time.monotonic(), pages)

    def _quiet_page(self, label: str, order: str, shape: q.Shape) -> Found:
        try:
            return self._read_page(label, order, shape)
        except Exception:  # noqa: BLE001  (an advance only: the reads by iid read them, and say any error)
            return {}

    def _page(self, wait: float | None) -> Found:
        """The first page's entries once it has answered: ``{}`` if it failed, if the run does
        not read early, or if it has not answered within ``wait`` seconds."""
        started = self._first_page
        if started is None or not self.early():
            return {}
        deadline = None if wait is None else time.monotonic() + wait
        found: Found = {}
        for page in started[1]:
            try:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                found.update((key, raw) for key, raw in page.result(timeout=left).items() if key not in found)
            except Pending:
                return {}
        return found

    def take_first_page(self) -> list[tuple[IssueKey, dict[str, Any]]]:
        """The first page's (key, entry) pairs in (project, iid) order, once it has answered,
        for the audit to take before the listing is done: each is a candidate. Taken once;
        ``take_first_page`` gives nothing after, nor when nothing was asked early."""
        found = self._page(wait=None)
        self._page_taken = set(found)  # before the page is let go: ``first_wave`` leaves these out
        self._first_page = None
        return sorted(found.items(), key=lambda item: (item[0].project, item[0].iid))

    def first_wave(self, known: set[IssueKey]) -> None:
        """With ``early``: start reading the keys the listing's first pages held (less the
        first page's), as many queries as the read ahead allows, while the listing reads its
        other pages (a round trip earlier than ``read_entries`` could); ``key_order`` puts them
        first."""
        try:
            self._start_wave(known)
        finally:
            self._waved.set()  # ``take_first_wave`` may look

    def _start_wave(self, known: set[IssueKey]) -> None:
        if self.kind != "project" or not known or not self.early():
            return
        started = self._first_page
        waited = time.monotonic() - started[0] if started is not None else 0.0
        paged = set(self._page(wait=max(FIRST_PAGE_WAIT, waited))) if started is not None else self._page_taken
        wanted = sorted((key for key in known if key not in paged), key=lambda k: (k.project, k.iid))
        first = self._plan(wanted, self.shape)[: self._ahead(self.shape)] if wanted else []
        self._first = [key for query in first for batch in query for key in batch]
        self._begun = set(paged) | set(self._first)
        with self._early_lock:
            self._early = [(query, opening(self.gl, self._read_query, query, self.shape)) for query in first]

    def last_wave(self, known: set[IssueKey]) -> None:
        """With ``early``, once the listing is done and ``first_wave`` began reads: start reading
        the next keys, as many queries as the read ahead allows (the audit is busy with the
        first wave's answers meanwhile, which it has taken, and ``read_entries`` would begin
        only once it is past them); ``key_order`` puts them first, ``read_entries`` takes
        their answers."""
        if self._begun is None or self.kind != "project" or not self.early():
            return
        begun, self._begun = self._begun | self._page_taken, None  # the first page's, if it came late
        wanted = sorted((key for key in known if key not in begun), key=lambda k: (k.project, k.iid))
        last = self._plan(wanted, self.shape)[: self._ahead(self.shape)] if wanted else []
        self._first += [key for query in last for batch in query for key in batch]
        with self._early_lock:
            self._early += [(query, opening(self.gl, self._read_query, query, self.shape)) for query in last]

    def take_first_wave(self, taken: set[IssueKey]) -> tuple[list[IssueKey], Iterator[tuple[IssueKey, dict[str, Any]]]]:
        """The keys ``first_wave`` is reading (less ``taken``, the first page's) and their
        (key, entry) pairs in that order as the reads answer, for the audit to take while the
        listing reads its other pages; a key GitLab did not return has no pair. Waits until
        the listing started early (``start_listing``) has called ``first_wave`` or ended (then
        the reads ``last_wave`` started come too); nothing when no listing was started early or
        it read no wave. Taken once: the listing's keys then leave these out, as they leave out
        the first page's."""
        started = self._listing
        if started is None or self.kind != "project" or not self.early():
            return [], iter(())
        started[1].add_done_callback(lambda _: self._waved.set())  # a listing of one wave, or failed
        self._waved.wait()
        with self._early_lock:
            early, self._early = self._early, []
        keys = [key for query, _ in early for batch in query for key in batch if key not in taken]
        return keys, self._wave_entries(early, taken)

    def _wave_entries(self, early: list[tuple[Query, Future[Found]]],
                      taken: set[IssueKey]) -> Iterator[tuple[IssueKey, dict[str, Any]]]:
        for index, (query, future) in enumerate(early):
            try:
                found = future.result()
            except BaseException:
                cancel_opening(self.gl)  # the scan ends here: the listing stops at its next request
                for _, other in early[index + 1:]:
                    other.cancel()
                raise
            for key in (key for batch in query for key in batch if key in found):
                if key in taken:
                    self._forget(key)  # the first page gave it already
                else:
                    yield key, found.pop(key)

    def key_order(self, keys: set[IssueKey]) -> list[IssueKey]:
        """(project, iid) order, but the keys ``first_wave`` started reading first: they are the
        first read, so the audit begins with them (its report is sorted all the same)."""
        first, self._first = [key for key in self._first if key in keys], []
        started = set(first)
        return first + [key for key in super().key_order(keys) if key not in started]

    def _claim_early(self, keys: list[IssueKey], taken: set[IssueKey]) -> list[tuple[Query, Future[Found]]]:
        """The reads ``first_wave`` started, when ``keys`` and the keys already ``taken``
        (``take_first_page``'s) hold all of theirs (the run's listing); dropped either way
        once a read by iid begins."""
        with self._early_lock:
            early, self._early = self._early, []
        wanted = set(keys) | taken
        return early if all(key in wanted for query, _ in early for batch in query for key in batch) else []
