"""Incidents through GitLab's GraphQL API: a page of up to 100 incidents, with their notes,
award emoji and links, in one request.

``GraphQLSource`` is a ``GitLabSource`` whose reads go through python-gitlab's GraphQL
client (``gitlab.GraphQL``) instead of the REST endpoints; everything else (ordering,
sharding, the cache over it) is the REST source's. The reads by iid hold what the rules
ask, so issues are served in one thread and need no read-ahead; what was kept of an
incident (its notes and award emoji) is dropped by ``release`` once the audit is past it. It builds the entries the
REST source would (``graphql_nodes``: the ``slim_issue``, ``slim_note``, ``slim_award``
shapes), so the rules and the cache see the same data through either API.

- **Candidates**: their keys first, over REST (``GitLabSource.list_keys``: GitLab's REST
  lists paginate by offset, so their pages are read in parallel, where GraphQL's cursors
  would be followed one page after another). Then the issues themselves by iid
  (``read_entries``), each with its description, labels, type, state, dates, notes (each
  with its award emoji) and linked items (with their labels, type and description), 100
  iids to an ``issues(iids:)`` alias and as many aliases to a query as its complexity
  allows, up to ``concurrency`` queries in flight, a bounded window ahead of the audit.
- **Complexity** is priced as GitLab prices it (``graphql_query``): a read by iids is not
  multiplied by its page size, so two aliases of 100 fit within 250; the issues updated
  since a moment (a warm cache's listing) are read by cursor, the largest page within 250.
  If GitLab still answers "Query has complexity of N", the query is split (by iid) or its
  page shrinks, and sent again.
- **Follow-ups**: an issue with more notes or links than its page held gets queries for
  just those, a query for each further page. A note with more than 100 award emoji, or an
  issue with more than 100 labels, is read over REST.
- **Award emoji** carry no timestamp in GraphQL (an award cannot predate its note, so the
  approval rules lose nothing). ``reread_awards`` reads the award emoji of many incidents
  afresh, 100 incidents to a query: the cache calls it for the incidents whose approval
  is still open, which a warm run must read again.
- Every request travels over the REST client's session (``graphql_client``): the same
  retries, retry budget, ``max_rps`` pace and rate-limit headers, and the same one-line
  errors (``http.failures``).

GitLab's GraphQL ``Time`` has whole seconds; the REST API has milliseconds.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any, TypeVar

from inc_audit.errors import ConfigError, SourceError
from inc_audit.model import Issue, IssueKey, Shard
from inc_audit.sources.entries import UNREADABLE, assemble, kind_of, number, slim_issue, unreadable_issue
from inc_audit.sources.graphql import listing
from inc_audit.sources.graphql import query as q
from inc_audit.sources.graphql.client import GraphQL
from inc_audit.sources.graphql.nodes import (
    as_object,
    gid,
    iid_number,
    more_of,
    nodes_of,
    raw_award,
    raw_issue,
    raw_link,
    raw_note,
)
from inc_audit.sources.graphql.reads import IidReads
from inc_audit.sources.http.session import Client, encode_id, get_json
from inc_audit.sources.interface import Unreadable
from inc_audit.sources.rest.source import DEFAULT_CONCURRENCY, GitLabSource
from inc_audit.text import repair

T = TypeVar("T")
R = TypeVar("R")


# --- the source ---------------------------------------------------------------------------


class GraphQLSource(IidReads, GitLabSource):
    """A ``GitLabSource`` reading through GraphQL (see the module's docstring)."""

    api = "graphql"

    def __init__(
        self,
        gl: Client,
        client: GraphQL,
        *,
        project: str | int | None = None,
        group: str | int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        wait: bool = True,
    ) -> None:
        self.client = client
        self.shape = q.Shape()
        self.early: Callable[[], bool] = lambda: False
        """Whether the listing's first pages start the first reads by iid (``first_wave``, which
        asks it in the listing's thread): true for a run that reads every listed incident (a
        cold one, no shard) through GraphQL."""
        self._early: list[tuple[list[list[IssueKey]], Future[dict[IssueKey, dict[str, Any]]]]] = []
        self._first: list[IssueKey] = []
        self._waved = threading.Event()
        self._early_lock = threading.Lock()
        self._memo_lock = threading.Lock()
        self._read_notes: dict[IssueKey, list[dict[str, Any]]] = {}
        super().__init__(gl, project=project, group=group, concurrency=concurrency, wait=wait)

    def parallel(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """In order, in this thread: the reads by iid have read what serving needs, so reader
        threads would only contend for the interpreter."""
        return (fn(item) for item in items)

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        """The candidates as their reads arrive: the first page read early, if any
        (``take_first_page``), and the first wave of reads by iid (``take_first_wave``), then
        the keys listed over REST, the shard picked from them, then the others read by iid in
        (project, iid) order (``read_entries``)."""
        first = self.take_first_page() if shard is None else []
        for key, raw in first:
            yield self._issue(key, raw)
        taken = {key for key, _ in first}
        if shard is None:
            wave, entries = self.take_first_wave(taken)
            for key, raw in entries:
                yield self._issue(key, raw)
            taken.update(wave)
        keys = self.list_keys(labels)
        if shard:
            keys = shard.pick(keys)
        if self.on_listed is not None:
            self.on_listed(len(keys))
        for key, raw in self.read_entries([key for key in keys if key not in taken], taken=taken):
            yield self._issue(key, raw)

    def _issue(self, key: IssueKey, raw: dict[str, Any]) -> Issue:
        problem = raw.get(UNREADABLE)
        if isinstance(problem, str):
            return unreadable_issue(key, raw, problem)
        return self.ready(assemble(key, raw, functools.partial(self._notes, key)))

    def release(self, key: IssueKey) -> None:
        """Forget the notes, award emoji and links read for ``key`` (a later rule that asks for
        them has them read again)."""
        super().release(key)
        with self._memo_lock:
            self._read_notes.pop(key, None)

    def _forget(self, key: IssueKey) -> None:
        self.release(key)

    # -- listings ---------------------------------------------------------------------------

    def list_updated(self, since: datetime) -> dict[IssueKey, dict[str, Any]]:
        """Every issue updated at or after ``since``, by key, read by cursor (``listing.pages``)."""
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        found: dict[IssueKey, dict[str, Any]] = {}
        args = {"includeSubgroups": True} if self.kind == "group" else {}  # as the REST group list does
        what = f"listing issues updated since {stamp}"
        target = (self.kind, self.path)
        for nodes in listing.pages(self.client, target, self.shape, what, {**args, "updatedAfter": stamp}):
            for key, node in self._keyed(nodes, what):
                found.setdefault(key, self._absorb(key, node))
        return found

    # -- reading by iid -------------------------------------------------------------------------

    def _read_issues(
        self, keys: list[IssueKey], into: dict[IssueKey, dict[str, Any]] | None = None, shape: q.Shape | None = None
    ) -> dict[IssueKey, dict[str, Any]]:
        """Read ``keys`` (their notes, award emoji and links) by iid (``read_entries``)."""
        found = into if into is not None else {}
        for key, raw in self.read_entries(keys, shape):
            found[key] = raw
        return found

    def reread_awards(self, keys: Iterable[IssueKey]) -> None:
        """Read the notes and award emoji of ``keys`` afresh, ``BATCH`` incidents to a query."""
        wanted = sorted(set(keys))
        if wanted:
            self._read_issues(wanted)

    # -- what the rules and the cache ask -------------------------------------------------------

    def raw_notes(self, key: IssueKey) -> list[dict[str, Any]]:
        with self._memo_lock:
            notes = self._read_notes.get(key)
        if notes is None:
            self._read_issues([key])
            with self._memo_lock:
                notes = self._read_notes.get(key)
        if notes is None:
            raise SourceError(
                f"GitLab's GraphQL API did not return {key}",
                "it may have been deleted or moved during the scan; run the audit again",
            )
        return notes

    def raw_links(self, key: IssueKey) -> list[dict[str, Any]]:
        if key not in self._links:
            self._read_issues([key])
        return super().raw_links(key)  # read over REST only if GraphQL did not return it

    def raw_awards(self, key: IssueKey, note_id: int) -> list[dict[str, Any]]:
        if (key, note_id) not in self._awards and key not in self._read_notes:
            self._read_issues([key])
        return super().raw_awards(key, note_id)

    def get_issue(self, iid: int) -> Issue:
        key = IssueKey(self.path, iid)
        raw = self._read_issues([key]).get(key)
        if raw is None:
            raise ConfigError(
                f"issue {self.path}#{iid} not found", "check the issue number and that the token can see it"
            )
        return assemble(key, raw, lambda: self._notes(key))

    # -- absorbing one Issue node -----------------------------------------------------------------

    def _keyed(self, nodes: list[Any], what: str) -> Iterator[tuple[IssueKey, Any]]:
        """Each node with its key; a node without one is a line in ``unread`` (as over REST)."""
        for node in nodes:
            key = self._node_key(node)
            if key is not None:
                yield key, node
                continue
            shown = kind_of(node) if not isinstance(node, dict) else f"iid {kind_of(node.get('iid'))}"
            line = f"an entry GitLab gave while {what} cannot be read: it has no issue number ({shown})"
            with self._locks_lock:
                if line not in self._unread:
                    self._unread.append(line)

    def _node_key(self, node: Any) -> IssueKey | None:
        """The key of an Issue node: its iid, or else the number its reference ends with."""
        if not isinstance(node, dict):
            return None
        reference = node.get("reference")
        project, number = self.path, None
        if isinstance(reference, str) and "#" in reference:
            head, tail = reference.rsplit("#", 1)
            project, number = repair(head) or self.path, iid_number(tail)
        iid = iid_number(node.get("iid"))
        if type(iid) is int:
            return IssueKey(project, iid)
        return IssueKey(project, number) if type(number) is int else None

    def _absorb(self, key: IssueKey, node: dict[str, Any]) -> dict[str, Any]:
        """The entry of ``key``, marked unreadable (``UNREADABLE``) when its node cannot be read."""
        try:
            return self._read_node(key, node)
        except Unreadable as problem:
            with self._memo_lock:
                self._read_notes[key] = []
            return {
                "iid": key.iid,
                "title": node.get("title"),
                "state": node.get("state"),
                "confidential": node.get("confidential"),
                "web_url": node.get("webUrl"),
                "references": {"full": f"{key.project}#{key.iid}"},
                UNREADABLE: str(problem),
            }

    def _read_node(self, key: IssueKey, node: dict[str, Any]) -> dict[str, Any]:
        """Keep what ``node`` holds of ``key``; follow up on what did not fit its page.
        ``Unreadable`` when a part of it has the wrong shape."""
        number({"iid": iid_number(node.get("iid"))}, "iid")
        raw = raw_issue(node, key.iid)
        self.project_of(raw)
        notes = node.get("notes")
        note_nodes = nodes_of(notes, "notes")
        if more_of(notes, "notes"):
            note_nodes += self._rest_of(key, "notes", notes)
        links = node.get("linkedWorkItems")
        link_nodes = nodes_of(links, "linked items") if links is not None else []
        if links is not None and more_of(links, "linked items"):
            link_nodes += self._rest_of(key, "linkedWorkItems", links)
        awards: dict[tuple[IssueKey, int], list[Any]] = {}
        for note in note_nodes:
            emoji = note.get("awardEmoji") if isinstance(note, dict) else None
            note_id = gid(note.get("id")) if isinstance(note, dict) else None
            if emoji is not None and type(note_id) is int and not more_of(emoji, "award emoji"):
                awards[(key, note_id)] = [raw_award(a) for a in nodes_of(emoji, "award emoji")]
        linked = [r for r in map(raw_link, link_nodes) if r is not None] if links is not None else None
        with self._locks_lock:  # what ``release`` forgets
            self._award_notes.setdefault(key, set()).update(note_id for _, note_id in awards)
        with self._memo_lock:
            self._read_notes[key] = [raw_note(n) for n in note_nodes]
            self._awards.update(awards)
            if linked is not None:
                self._links[key] = linked
                self._linked.pop(key, None)
        labels = node.get("labels")
        if labels is not None and more_of(labels, "labels"):
            return self._rest_issue(key, raw)
        return raw

    def _rest_of(self, key: IssueKey, field: str, connection: Any) -> list[Any]:
        """The nodes of ``field`` after its first page, one follow-up query a page."""
        nodes: list[Any] = []
        cursor = listing.cursor_of(connection, field)
        seen: set[tuple[str, str]] = set()
        while cursor:
            listing.once(seen, (field, cursor), f"reading the {field} of {key}")
            if field == "notes":
                part = q.notes(q.MAX_PAGE, cursor)
            else:
                part = q.linked_items(q.MAX_PAGE, self.shape.labels, cursor)
            issue = q.Node("issue", {"iid": str(key.iid)}, [part], q.RESOLVER)
            data = self.client.execute(
                f"reading the {field} of {key}", q.query("More", [q.scope("project", key.project, [issue])])
            )
            project = as_object(data.get("project"), f"the project of {key}")
            page = as_object(project.get("issue"), f"{key}").get(field)
            nodes += nodes_of(page, field)
            cursor = listing.cursor_of(page, field) if more_of(page, field) else None
        return nodes

    def _rest_issue(self, key: IssueKey, raw: dict[str, Any]) -> dict[str, Any]:
        """More labels than a page holds: the issue's entry over REST."""
        project = self.ids.get(key.project, key.project)
        full = get_json(self.gl, f"/projects/{encode_id(project)}/issues/{key.iid}", f"reading {key}")
        return {**raw, **slim_issue(full)} if isinstance(full, dict) else raw
