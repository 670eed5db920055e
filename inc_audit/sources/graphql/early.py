"""The first reads by iid of a cold GraphQL run, made while the keys' listing reads its
other pages: the keys of the lists' first pages (``first_wave``), read first and audited
first (``key_order``); ``read_entries`` takes their answers (``_claim_early``)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from inc_audit.model import IssueKey
from inc_audit.sources.graphql import query as q
from inc_audit.sources.http.session import opening
from inc_audit.sources.rest.keys import KeyListing

Query = list[list[IssueKey]]
"""The iids of one query: ``BATCH`` of one project to an alias."""


class EarlyReads(KeyListing):
    """What ``GraphQLSource`` starts its first reads with."""

    early: Callable[[], bool]
    shape: q.Shape
    _early: list[tuple[Query, Future[dict[IssueKey, dict[str, Any]]]]]
    _first: list[IssueKey]

    def _plan(self, keys: list[IssueKey], shape: q.Shape) -> list[Query]:
        raise NotImplementedError

    def _ahead(self, shape: q.Shape) -> int:
        raise NotImplementedError

    def _read_query(self, batches: Query, shape: q.Shape) -> dict[IssueKey, dict[str, Any]]:
        raise NotImplementedError

    def first_wave(self, known: set[IssueKey]) -> None:
        """With ``early``: start reading the keys the listing's first pages held, as many
        queries as the read ahead allows, while the listing reads its other pages (a round trip
        earlier than ``read_entries`` could); ``key_order`` puts them first."""
        if self.kind != "project" or not known or not self.early():
            return
        first = self._plan(sorted(known, key=lambda k: (k.project, k.iid)), self.shape)[: self._ahead(self.shape)]
        self._first = [key for query in first for batch in query for key in batch]
        self._early = [(query, opening(self.gl, self._read_query, query, self.shape)) for query in first]

    def key_order(self, keys: set[IssueKey]) -> list[IssueKey]:
        """(project, iid) order, but the keys ``first_wave`` started reading first: they are the
        first read, so the audit begins with them (its report is sorted all the same)."""
        first, self._first = [key for key in self._first if key in keys], []
        started = set(first)
        return first + [key for key in super().key_order(keys) if key not in started]

    def _claim_early(self, keys: list[IssueKey]) -> list[tuple[Query, Future[dict[IssueKey, dict[str, Any]]]]]:
        """The reads ``first_wave`` started, when ``keys`` hold all of their keys (the run's
        listing); dropped either way once a read by iid begins."""
        early, self._early = self._early, []
        wanted = set(keys)
        return early if all(key in wanted for query, _ in early for batch in query for key in batch) else []
