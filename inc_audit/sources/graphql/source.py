"""Incidents through GitLab's GraphQL API: a page of up to 100 incidents, with their notes,
award emoji and links, in one request.

``GraphQLSource`` is a ``GitLabSource`` whose reads go through python-gitlab's GraphQL
client (``gitlab.GraphQL``) instead of the REST endpoints; everything else (ordering,
sharding, the cache over it) is the REST source's. The listing reads what the rules ask,
so issues are served in one thread and need no read-ahead. It builds the entries the
REST source would (``graphql_nodes``: the ``slim_issue``, ``slim_note``, ``slim_award``
shapes), so the rules and the cache see the same data through either API.

- **Listing**: one query per page holds the candidates labelled with any incident label
  (``or: {labelNames:}``), each with its description, labels, type, state, dates, notes
  (each with its award emoji) and linked items (with their labels, type and description),
  beside the iids of the issues of type Incident (an alias of the same query). Incidents
  that carry no label are read afterwards by iid, 100 to a query.
- **Page sizes** come from the query's complexity, priced as GitLab prices it
  (``graphql_query``): the largest page within 250. If GitLab still answers "Query has
  complexity of N", the page shrinks and the query is sent again.
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from inc_audit.errors import ConfigError, SourceError
from inc_audit.model import Issue, IssueKey
from inc_audit.sources.entries import UNREADABLE, assemble, kind_of, number, slim_issue
from inc_audit.sources.graphql import query as q
from inc_audit.sources.graphql.client import GraphQL, QueryRefused
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
from inc_audit.sources.http.session import Client, encode_id, get_json
from inc_audit.sources.interface import Unreadable
from inc_audit.sources.rest.source import DEFAULT_CONCURRENCY, MAX_PAGES, GitLabSource
from inc_audit.text import repair

T = TypeVar("T")
R = TypeVar("R")
BATCH = 100
"""Issues read by iid in one query (GitLab's page size)."""


# --- the source ---------------------------------------------------------------------------


class GraphQLSource(GitLabSource):
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
    ) -> None:
        super().__init__(gl, project=project, group=group, concurrency=concurrency)
        self.client = client
        self.shape = q.Shape()
        self._memo_lock = threading.Lock()
        self._read_notes: dict[IssueKey, list[dict[str, Any]]] = {}

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """In order, in this thread: the listing has read what serving needs, so reader
        threads would only contend for the interpreter."""
        return (fn(item) for item in items)

    # -- listings ---------------------------------------------------------------------------

    def list_candidates(self, labels: tuple[str, ...]) -> dict[IssueKey, dict[str, Any]]:
        found: dict[IssueKey, dict[str, Any]] = {}
        incidents: set[IssueKey] = set()
        wanted = list(dict.fromkeys(labels))
        lanes: dict[str, dict[str, Any]] = {"incidents": {**self._scope_args(), "types": [q.Enum("INCIDENT")]}}
        if wanted:
            lanes["labelled"] = {**self._scope_args(), "or": {"labelNames": wanted}}
        for alias, nodes in self._pages("listing incidents", lanes, full={"labelled"}):
            for key, node in self._keyed(nodes, "listing incidents"):
                if alias == "labelled":
                    found.setdefault(key, self._absorb(key, node))
                else:
                    incidents.add(key)
        self._read_issues(sorted(incidents - set(found)), into=found)
        return found

    def list_updated(self, since: datetime) -> dict[IssueKey, dict[str, Any]]:
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        found: dict[IssueKey, dict[str, Any]] = {}
        lanes = {"updated": {**self._scope_args(), "updatedAfter": stamp}}
        what = f"listing issues updated since {stamp}"
        for _, nodes in self._pages(what, lanes, full={"updated"}):
            for key, node in self._keyed(nodes, what):
                found.setdefault(key, self._absorb(key, node))
        return found

    def _pages(self, what: str, lanes: dict[str, dict[str, Any]], full: set[str]) -> Iterator[tuple[str, list[Any]]]:
        """The nodes of every page of each lane (an ``issues`` alias), lanes advancing together."""
        cursors: dict[str, str | None] = {alias: None for alias in lanes}
        seen: set[tuple[str, str]] = set()
        ceiling = q.MAX_PAGE
        while cursors:
            build = functools.partial(self._listing, lanes, dict(cursors), full)
            size = q.largest_page(build, ceiling=ceiling)
            try:
                data = self.client.execute(what, q.query("Issues", build(size)))
            except QueryRefused as refused:
                ceiling = self._shrunk(refused, size)
                continue
            scope = data.get(self.kind)
            if not isinstance(scope, dict):
                raise ConfigError(
                    f"{self.kind} {self.path} is not visible through GitLab's GraphQL API",
                    "check that the token can see it, or run with --api rest",
                )
            for alias in list(cursors):
                nodes, cursor = _page(scope, alias, what)
                yield alias, nodes
                if cursor is not None:
                    _once(seen, (alias, cursor), what)
                    cursors[alias] = cursor
                else:
                    del cursors[alias]

    def _scope_args(self) -> dict[str, Any]:
        """A group's issues include its subgroups' (as the REST group issues list does)."""
        return {"includeSubgroups": True} if self.kind == "group" else {}

    def _listing(
        self, lanes: dict[str, dict[str, Any]], cursors: dict[str, str | None], full: set[str], size: int
    ) -> list[q.Node]:
        """The listing query for the lanes still open, ``size`` full issues a page."""
        parts = []
        for alias, cursor in cursors.items():
            children: list[q.Node | q.Fragment] = (
                q.issue_fields(self.shape) if alias in full else [q.Node("iid"), _reference()]
            )
            page = size if alias in full else q.MAX_PAGE
            parts.append(q.issues(alias, {**lanes[alias], "after": cursor}, children, page))
        return [q.scope(self.kind, self.path, parts)]

    def _shrunk(self, refused: QueryRefused, size: int) -> int:
        """A smaller page after GitLab refused a query's complexity (any other refusal stands)."""
        score = q.refused_complexity(refused.reason)
        if score is None or size <= 1 or score[0] <= 0:  # a score of 0 refused: no size would do
            raise refused
        return max(1, min(size - 1, size * score[1] // score[0]))

    # -- reading by iid -------------------------------------------------------------------------

    def _read_issues(
        self, keys: list[IssueKey], into: dict[IssueKey, dict[str, Any]] | None = None, shape: q.Shape | None = None
    ) -> dict[IssueKey, dict[str, Any]]:
        """Read ``keys`` (their notes, award emoji and links) by iid, ``BATCH`` to a query."""
        found = into if into is not None else {}
        by_project: dict[str, list[int]] = {}
        for key in keys:
            by_project.setdefault(key.project, []).append(key.iid)
        for project, iids in by_project.items():
            for start in range(0, len(iids), BATCH):
                batch = [str(iid) for iid in iids[start : start + BATCH]]
                args = {"iids": batch, "first": len(batch)}
                root = q.scope("project", project, [q.issues("found", args, q.issue_fields(shape or self.shape), None)])
                data = self.client.execute(
                    f"reading issues {', '.join(batch[:5])} of {project}", q.query("Read", [root])
                )
                what = f"reading issues {', '.join(batch[:5])} of {project}"
                nodes, _ = _page(data.get("project") or {"found": {"nodes": []}}, "found", what)
                for key, node in self._keyed(nodes, what):
                    found[key] = self._absorb(key, node)
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
        cursor = _cursor(connection, field)
        seen: set[tuple[str, str]] = set()
        while cursor:
            _once(seen, (field, cursor), f"reading the {field} of {key}")
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
            cursor = _cursor(page, field) if more_of(page, field) else None
        return nodes

    def _rest_issue(self, key: IssueKey, raw: dict[str, Any]) -> dict[str, Any]:
        """More labels than a page holds: the issue's entry over REST."""
        project = self.ids.get(key.project, key.project)
        full = get_json(self.gl, f"/projects/{encode_id(project)}/issues/{key.iid}", f"reading {key}")
        return {**raw, **slim_issue(full)} if isinstance(full, dict) else raw


def _once(seen: set[tuple[str, str]], cursor: tuple[str, str], what: str) -> None:
    """A cursor already followed, or more pages than any listing has, ends the read."""
    if cursor in seen or len(seen) >= MAX_PAGES:
        why = "came twice" if cursor in seen else f"led past {MAX_PAGES} pages"
        raise SourceError(f"GitLab's GraphQL pagination looped while {what} (a cursor {why})",
                          "run the audit again; if it persists, run it with --api rest")
    seen.add(cursor)


def _cursor(connection: Any, what: str) -> str | None:
    info = as_object(connection, what).get("pageInfo")
    cursor = info.get("endCursor") if isinstance(info, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def _page(scope: dict[str, Any], alias: str, what: str) -> tuple[list[Any], str | None]:
    """The nodes of one page of a listing, and the cursor of the next page (None: the last).
    A page whose shape is broken as a whole stops the audit: its issues cannot be named."""
    connection = scope.get(alias)
    try:
        nodes = nodes_of(connection, "the page")
        cursor = _cursor(connection, "the page") if more_of(connection, "the page") else None
    except Unreadable as problem:
        raise SourceError(
            f"GitLab's GraphQL answer could not be read while {what}: {problem}",
            "run the audit again; if it persists, run it with --api rest",
        ) from None
    return nodes, cursor


def _reference() -> q.Node:
    return q.Node("reference", {"full": True})
