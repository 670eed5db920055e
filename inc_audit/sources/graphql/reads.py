"""Reading issues by iid through GraphQL: ``BATCH`` iids of one project to an ``issues``
alias, as many aliases to a query as the complexity allows, up to ``concurrency`` queries in
flight and ``READ_AHEAD`` incidents ahead of the audit (``read_entries``); and the first
page of the oldest or newest issues a label carries, read in full (``_read_page``).

``IidReads`` is part of ``GraphQLSource``: it asks the queries, the source turns their nodes
into entries (``_keyed``, ``_absorb``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from inc_audit.errors import ConfigError
from inc_audit.model import IssueKey
from inc_audit.sources.graphql import listing
from inc_audit.sources.graphql import query as q
from inc_audit.sources.graphql.client import GraphQL, QueryRefused
from inc_audit.sources.graphql.early import EarlyReads
from inc_audit.sources.http.parallel import ordered_map
from inc_audit.sources.rest.projects import ProjectFailures
from inc_audit.sources.rest.source import batches_of, failed_entry

BATCH = 100
"""Issues read by iid in one ``issues`` alias (GitLab's largest page)."""
MAX_ALIASES = 4
"""``issues`` aliases in one query at most, whatever the complexity would allow (an answer
of 400 issues with their notes nears ``bounds.MAX_ANSWER``)."""
READ_AHEAD = 600
"""Incidents read ahead of the audit at most: their answers are what a cold read holds in memory
(three queries of 200 at a time: 145 MiB at the peak of 5,000 incidents, 219 MiB with eight;
at 1 s an answer, the rules take longer over 600 incidents than GitLab over the next query)."""


class IidReads(EarlyReads):
    """What ``GraphQLSource`` reads its incidents with."""

    client: GraphQL
    path: str
    projects: ProjectFailures

    def _keyed(self, nodes: list[Any], what: str) -> Iterator[tuple[IssueKey, Any]]:
        raise NotImplementedError

    def _absorb(self, key: IssueKey, node: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _forget(self, key: IssueKey) -> None:
        """Drop what was read of ``key`` (``GraphQLSource.release``)."""
        raise NotImplementedError

    def read_entries(
        self, keys: Iterable[IssueKey], shape: q.Shape | None = None, *, taken: set[IssueKey] | None = None
    ) -> Iterator[tuple[IssueKey, dict[str, Any]]]:
        """(key, entry) of each of ``keys`` GitLab still has, in the order of ``keys``; the
        notes, award emoji and links read with it are kept for ``raw_notes``, ``raw_awards``
        and ``raw_links`` until ``release``.

        ``BATCH`` iids of one project to an ``issues`` alias, as many aliases to a query as
        the complexity allows (``MAX_ALIASES`` at most), up to ``concurrency`` queries in
        flight and no more than ``READ_AHEAD`` incidents ahead of what has been taken. A key GitLab does not return
        (deleted or moved meanwhile) is left out. In a group audit, a project whose read
        fails is marked failed (``projects``) and its keys come with an entry saying so
        (``UNREADABLE``); a failure otherwise ends the read, one line (``SourceError``).
        """
        keys = list(keys)
        early = self._claim_early(keys, taken or set()) if shape is None else []
        shape = shape or self.shape
        started = {key for query, _ in early for batch in query for key in batch}
        plan = [query for query, _ in early] + self._plan([k for k in keys if k not in started], shape)

        def read(index: int) -> dict[IssueKey, dict[str, Any]]:
            if index < len(early):
                return early[index][1].result()  # a read ``first_wave`` started
            return self._read_query(plan[index], shape)

        owner = {key: i for i, query in enumerate(plan) for batch in query for key in batch}
        listed = set(keys)
        reads = ordered_map(read, range(len(plan)), self.concurrency, window=self._ahead(shape))
        loaded: dict[IssueKey, dict[str, Any]] = {}
        done = 0
        for key in keys:
            while done <= owner[key]:
                found = next(reads)
                for k in (k for batch in plan[done] for k in batch if k in found):
                    if k in listed:
                        loaded[k] = found[k]
                    else:
                        self._forget(k)  # taken already, with the first page (``take_first_page``)
                done += 1
            raw = loaded.pop(key, None)
            if raw is not None:
                yield key, raw

    def _read_page(self, label: str, order: str, shape: q.Shape) -> dict[IssueKey, dict[str, Any]]:
        """The first issues labelled ``label`` in ``order`` (by creation), in full, the largest
        page a query holds within the complexity (``start_first_page``)."""
        def build(size: int) -> list[q.Node]:
            args = {"labelName": [label], "sort": q.Enum(order)}
            return [q.scope("project", self.path, [q.issues("first", args, q.issue_fields(shape), size)])]

        what = f"reading the first issues labelled {label} ({order.lower()})"
        data = self.client.execute(what, q.query("First", build(q.largest_page(build, ceiling=BATCH))))
        scope = data.get("project")
        if not isinstance(scope, dict):
            return {}
        nodes, _ = listing.page_of(scope, "first", what)
        return {key: self._absorb(key, node) for key, node in self._keyed(nodes, what)}

    def _plan(self, keys: list[IssueKey], shape: q.Shape) -> list[list[list[IssueKey]]]:
        """``keys`` as ``read_entries`` asks them: ``BATCH`` iids of one project to an alias,
        as many aliases to a query as the complexity allows."""
        width = self._aliases(shape)
        queries: list[list[list[IssueKey]]] = []
        for batch in batches_of(keys, BATCH):
            last = queries[-1] if queries else None
            if last is not None and last[0][0].project == batch[0].project and len(last) < width:
                last.append(batch)
            else:
                queries.append([batch])
        return queries

    def _ahead(self, shape: q.Shape) -> int:
        """Queries read ahead of the audit at most: ``READ_AHEAD`` incidents' worth."""
        return max(1, min(self.concurrency, READ_AHEAD // (BATCH * self._aliases(shape))))

    def _aliases(self, shape: q.Shape) -> int:
        """How many ``issues`` aliases of ``BATCH`` iids one query holds within the complexity."""
        def build(count: int) -> list[q.Node]:
            return [q.scope("project", "p", [_by_iid(f"found{i}", list(range(BATCH)), shape) for i in range(count)])]
        return max([n for n in range(1, MAX_ALIASES + 1) if q.total(build(n)) <= q.MAX_COMPLEXITY], default=1)

    def _read_query(self, batches: list[list[IssueKey]], shape: q.Shape) -> dict[IssueKey, dict[str, Any]]:
        """One query's issues; in a group audit, a failing project fails alone."""
        if self.kind != "group":
            return self._ask(batches, shape)
        project = batches[0][0].project
        found = self.projects.attempt(project, lambda: self._ask(batches, shape))
        if found is None:
            reason = f"project {project} could not be read: {self.projects.failed.get(project, '')}"
            return {key: failed_entry(key, reason) for batch in batches for key in batch}
        return found

    def _ask(self, batches: list[list[IssueKey]], shape: q.Shape) -> dict[IssueKey, dict[str, Any]]:
        """The issues of ``batches`` (one project's), one query; split when GitLab refuses its complexity."""
        project = batches[0][0].project
        iids = [str(key.iid) for batch in batches for key in batch]
        what = f"reading issues {', '.join(iids[:5])} of {project}"
        aliases = [f"found{i}" for i in range(len(batches))]
        parts = [_by_iid(alias, [k.iid for k in batch], shape) for alias, batch in zip(aliases, batches, strict=True)]
        try:
            data = self.client.execute(what, q.query("Read", [q.scope("project", project, parts)]))
        except QueryRefused as refused:
            score = q.refused_complexity(refused.reason)
            if score is None or score[0] <= 0 or len(iids) <= 1:  # a score of 0 refused: no split would do
                raise
            keys = [key for batch in batches for key in batch]
            middle = len(keys) // 2
            halves = [[b] for b in batches] if len(batches) > 1 else [[keys[:middle]], [keys[middle:]]]
            found: dict[IssueKey, dict[str, Any]] = {}
            for half in halves:
                found.update(self._ask(half, shape))
            return found
        scope = data.get("project")
        if not isinstance(scope, dict):
            raise ConfigError(
                f"project {project} is not visible through GitLab's GraphQL API",
                "check that the token can see it, or run with --api rest",
            )
        found = {}
        for alias in aliases:
            nodes, _ = listing.page_of(scope, alias, what)
            for key, node in self._keyed(nodes, what):
                found[key] = self._absorb(key, node)
        return found


def _by_iid(alias: str, iids: Sequence[int], shape: q.Shape) -> q.Node:
    """An ``issues`` alias reading ``iids`` with every field the audit reads."""
    return q.issues(alias, {"iids": [str(iid) for iid in iids], "first": len(iids)}, q.issue_fields(shape), None)
