"""Incidents from a live GitLab through its REST API (``entries`` makes model values of
its answers).

Lists are read through python-gitlab's public ``http_request`` (``pages``), so a failure on
page 7 is retried like one on page 1: the candidates' keys with their pages in parallel
(``pages.read_lists``), other lists page after page (``iter_items``). ``GitLabSource``
reads the incidents' entries (by ``iids[]``, 100 to a request) and their notes with up to
``concurrency`` requests in flight over python-gitlab's one keep-alive session, a bounded
window ahead of the audit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any, TypeVar

from inc_audit.errors import ConfigError, SourceError
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard
from inc_audit.redaction import safe_url
from inc_audit.sources.entries import (
    assemble,
    award_from_api,
    iid_of,
    linked_from_api,
    notes_from_api,
    slim_award,
    slim_issue,
    slim_note,
)
from inc_audit.sources.http.classify import UNREACHABLE_HINT, Absent
from inc_audit.sources.http.parallel import ordered_map
from inc_audit.sources.http.session import Client, encode_id, ensure_pool, get_json, opening
from inc_audit.sources.interface import AtHand, Source, Unreadable
from inc_audit.sources.rest.keys import KeyListing
from inc_audit.sources.rest.pages import MAX_PAGES, PER_PAGE, batches_of, iter_items
from inc_audit.sources.rest.projects import ProjectFailures, failed_entry
from inc_audit.text import repair

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 8
__all__ = ["DEFAULT_CONCURRENCY", "MAX_PAGES", "PER_PAGE", "GitLabSource", "batches_of", "failed_entry", "iter_items"]


# --- the source ---------------------------------------------------------------------------


class GitLabSource(KeyListing, Source):
    """A ``Source`` over one project, or every project of a group and its subgroups.

    Candidates are listed first (a few pages per label), then each candidate's notes are
    read with up to ``concurrency`` requests in flight, over the client's one session;
    issues are still yielded in (project, iid) order. Links and award emoji are read only
    when asked, each once per run.
    """

    def __init__(
        self, gl: Client, *, project: str | int | None = None, group: str | int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY, wait: bool = True,
    ) -> None:
        if (project is None) == (group is None):
            raise ConfigError("audit either a project or a group", "give --project or --group")
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, not {concurrency}")
        self.gl = gl
        self.concurrency = concurrency
        self.prefetch: Callable[[Issue], object] | None = None
        """Run by the reader thread on each issue it has read (see ``read_ahead``)."""
        ensure_pool(gl, concurrency + ENTRY_READERS + 2)  # the readers, and the rules asking from the main thread
        self.paths: dict[int, str] = {}
        self.ids: dict[str, int] = {}
        self._links: dict[IssueKey, list[dict[str, Any]]] = {}
        self._linked: dict[IssueKey, tuple[LinkedIssue, ...]] = {}
        self._awards: dict[tuple[IssueKey, int], list[dict[str, Any]]] = {}
        self._award_notes: dict[IssueKey, set[int]] = {}  # the notes of each incident in ``_awards``
        self._summaries: dict[IssueKey, list[dict[str, Any]]] = {}
        self._locks: dict[tuple[int, Any], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._projects_lock = threading.Lock()
        self._unread: list[str] = []
        self.projects = ProjectFailures()
        """A group audit's failed projects: each fails alone (see ``projects``)."""
        self.kind = "project" if project is not None else "group"
        name = project if project is not None else group
        assert name is not None
        self.path, self.id = str(name), name  # until GitLab has answered (``wait=False``)
        self.given = name
        self._opened: Future[None] | None = None
        self._listing: tuple[tuple[str, ...], Future[list[IssueKey]]] | None = None
        if wait:
            self._read_target(name)
        else:
            self._opened = opening(gl, self._read_target, name)

    def _read_target(self, name: str | int) -> None:
        """The project or group read: its path as GitLab writes it, and its id."""
        if self.kind == "project":
            raw = _entry(get_json(self.gl, f"/projects/{encode_id(name)}", f"reading project {name}",
                                  not_found=_missing("project", name, "--project / CI_PROJECT_PATH")),
                         f"reading project {name}")
            self.path = self._remember(raw, "path_with_namespace", name)
        else:
            raw = _entry(get_json(self.gl, f"/groups/{encode_id(name)}", f"reading group {name}",
                                  not_found=_missing("group", name, "--group")), f"reading group {name}")
            self.path = _path(raw.get("full_path"), name)
        self.id = raw["id"] if type(raw.get("id")) is int else self.path

    def opened(self) -> None:
        """Wait for the project or group read that ``wait=False`` started; its error, if it failed."""
        if self._opened is not None:
            self._opened.result()

    def describe(self) -> dict[str, str]:
        return {"kind": "gitlab", "url": safe_url(self.gl.url), self.kind: self.path}

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        """The candidates in (project, iid) order, as their reads arrive: the keys are listed
        first (``list_keys``), the shard picked from them, then each issue's entry and notes
        are read a bounded window ahead of the audit (``read_entries``, ``parallel``)."""
        keys = self.list_keys(labels)
        if shard:
            keys = shard.pick(keys)
        if self.on_listed is not None:
            self.on_listed(len(keys))

        def read(pair: tuple[IssueKey, dict[str, Any]]) -> Issue:
            key, raw = pair
            if self.kind == "group":  # a failing project fails alone
                return self.projects.read(key, raw, lambda: self.ready(assemble(key, raw, lambda: self._notes(key))))
            return self.ready(assemble(key, raw, lambda: self._notes(key)))

        yield from self.parallel(read, self.read_entries(keys))

    def unread(self) -> tuple[str, ...]:
        return (*self._unread, *self.projects.lines())

    def parallel(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``ordered_map`` with this source's concurrency."""
        return ordered_map(fn, items, self.concurrency)

    def ready(self, issue: Issue) -> Issue:
        """``issue``, once ``prefetch`` (if any) has run on it in this thread."""
        if self.prefetch is not None and not issue.unreadable:
            self.prefetch(issue)
        return issue

    def get_issue(self, iid: int) -> Issue:
        """One issue of the audited project, with its notes."""
        what = f"reading issue #{iid}"
        raw = get_json(self.gl, f"/projects/{encode_id(self.id)}/issues/{iid}", what,
                       not_found=(f"issue {self.path}#{iid} not found (404)",
                                  "check the issue number and that the token can see it"))
        key = IssueKey(self.path, iid)
        return assemble(key, raw, lambda: self._notes(key))

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        if key not in self._linked:
            self._linked[key] = self.linked_from_raw(self.raw_links(key))
        return self._linked[key]

    def linked_from_raw(self, raws: Iterable[Any]) -> tuple[LinkedIssue, ...]:
        """``Unreadable`` when an entry cannot be read."""
        linked = []
        for raw in raws:
            try:
                iid = iid_of(raw)
            except Unreadable as problem:
                raise Unreadable(f"its links: {problem}") from None
            linked.append(linked_from_api(IssueKey(self.project_of(raw), iid), raw))
        return tuple(linked)

    def raw_links(self, key: IssueKey) -> list[dict[str, Any]]:
        """The links endpoint's entries for ``key``, read once per run."""

        def read() -> list[dict[str, Any]]:
            raws = iter_items(self.gl, f"{self._issue_path(key)}/links", f"reading the links of {key}",
                              any_shape=True)
            return [slim_issue(raw) for raw in raws]

        return self._once(self._links, key, read)

    def reread_awards(self, keys: Iterable[IssueKey]) -> None:
        """Read ahead, in bulk, the award emoji a warm run will read afresh: over REST there
        is no bulk read, so ``raw_awards`` reads each note when asked."""

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return tuple(award_from_api(raw) for raw in self.raw_awards(key, note_id))

    def answers_at_hand(self, key: IssueKey) -> AtHand | None:
        """The links and note award emoji read for ``key`` so far (by the read-ahead, or
        with the incident over GraphQL), as ``linked_issues`` and ``note_awards`` give them;
        None when nothing was read or some of it cannot be read (the audit then judges the
        incident itself, and says why)."""
        with self._locks_lock:
            linked = key in self._links
            noted = [note_id for note_id in self._award_notes.get(key, ()) if (key, note_id) in self._awards]
        if not linked and not noted:
            return None
        try:  # memoized as the rules' own calls find them, which the audit repeats for the helper's verdict
            links = self.linked_issues(key) if linked else None
            return AtHand(key, links, {note_id: self.note_awards(key, note_id) for note_id in noted})
        except Unreadable:
            return None

    def issue_summary(self, key: IssueKey) -> LinkedIssue:
        """GET /projects/:id/issues/:iid, once per run; 403 or 404 make it ``unreadable``."""
        raws = self._once(self._summaries, key, lambda: self.raw_issue(key))
        if not raws or "unreadable" in raws[0]:
            status = raws[0].get("unreadable", 404) if raws else 404
            reason = "no access (403)" if status == 403 else "not found or no access (404)"
            return LinkedIssue(key, "", (), "", "unknown", unreadable=reason)
        try:
            return linked_from_api(key, raws[0])
        except Unreadable as problem:  # another issue's odd data says nothing about this incident
            return LinkedIssue(key, "", (), "", "unknown", unreadable=str(problem))

    def raw_issue(self, key: IssueKey) -> list[dict[str, Any]]:
        """The issue's entry (in a list, for ``_once``), or ``{"unreadable": status}``."""
        try:
            raw = get_json(self.gl, self._issue_path(key), f"reading issue {key}", absent=(403, 404))
        except Absent as refused:
            return [{"unreadable": refused.status}]
        return [slim_issue(raw)] if isinstance(raw, dict) else []

    def raw_awards(self, key: IssueKey, note_id: int) -> list[dict[str, Any]]:
        """The award emoji entries of one note, read once per run."""

        def read() -> list[dict[str, Any]]:
            path = f"{self._issue_path(key)}/notes/{note_id}/award_emoji"
            what = f"reading the awards of note {note_id} on {key}"
            try:
                return [slim_award(raw) for raw in iter_items(self.gl, path, what, any_shape=True, absent=(404,))]
            except Absent:  # the listing named a note GitLab does not know: this incident's data is wrong
                raise Unreadable(f"note {note_id}'s award emoji cannot be read (404)") from None

        with self._locks_lock:
            self._award_notes.setdefault(key, set()).add(note_id)
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
        """Every issue carrying one of ``labels`` or of type Incident, each once, by key: every
        entry at once (``list_keys`` then ``read_entries``; a cache's cold read)."""
        return dict(self.read_entries(self.list_keys(labels)))

    def read_entries(
        self, keys: Iterable[IssueKey], *, taken: set[IssueKey] | None = None
    ) -> Iterator[tuple[IssueKey, dict[str, Any]]]:
        """(key, entry) of each of ``keys`` GitLab still has, in the order of ``keys``: the
        issue as its list endpoint gives it (``slim_issue``), notes not included. (``taken``:
        the keys ``take_first_page`` gave, which a REST source never reads early.)

        Read by ``iids[]``, ``PER_PAGE`` issues of one project to a request, with up to
        ``ENTRY_READERS`` requests in flight, a bounded window ahead of what has been taken:
        a caller holds only the entries it keeps. A key GitLab no longer lists (deleted or
        moved meanwhile) is left out. In a group audit, a project whose read fails is marked
        failed (``projects``) and its keys come with an entry saying so (``UNREADABLE``).
        A failure otherwise ends the read, one line (``SourceError``).
        """
        batches = batches_of(keys, PER_PAGE)
        readers = ordered_map(self._read_batch, batches, ENTRY_READERS, window=ENTRY_READERS)
        for batch, found in zip(batches, readers, strict=True):
            for key in batch:
                raw = found.pop(key, None)
                if raw is not None:
                    yield key, raw

    def _read_batch(self, batch: list[IssueKey]) -> dict[IssueKey, dict[str, Any]]:
        project = batch[0].project
        what = f"reading issues {', '.join(str(k.iid) for k in batch[:5])} of {project}"

        def read() -> dict[IssueKey, dict[str, Any]]:
            path = f"/projects/{encode_id(self.ids.get(project, project))}/issues"
            query = {"iids[]": [key.iid for key in batch], "state": "all"}
            found: dict[IssueKey, dict[str, Any]] = {}
            for raw in (slim_issue(raw) for raw in iter_items(self.gl, path, what, query, any_shape=True)):
                key = self._key(raw, what)
                if key is not None:
                    found.setdefault(key, raw)
            return found

        if self.kind != "group":
            return read()
        found = self.projects.attempt(project, read)
        if found is None:
            reason = f"project {project} could not be read: {self.projects.failed.get(project, '')}"
            return {key: failed_entry(key, reason) for key in batch}
        return found

    def release(self, key: IssueKey) -> None:
        """Forget what was read for ``key``: the award emoji of its notes and its links (its
        summary stays). Another incident's rules that ask for its links later (a known
        incident linked to it) have them read again."""
        with self._locks_lock:
            self._links.pop(key, None)
            self._linked.pop(key, None)
            self._locks.pop((id(self._links), key), None)
            for note_id in self._award_notes.pop(key, ()):
                self._awards.pop((key, note_id), None)
                self._locks.pop((id(self._awards), (key, note_id)), None)

    def list_updated(self, since: datetime) -> dict[IssueKey, dict[str, Any]]:
        """Every issue, whatever its labels and type, updated at or after ``since``, by key."""
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        what = f"listing issues updated since {stamp}"
        found: dict[IssueKey, dict[str, Any]] = {}
        for raw in self._list(what, {"updated_after": stamp}):
            key = self._key(raw, what)
            if key is not None:
                found.setdefault(key, raw)
        return found

    def _key(self, raw: Any, what: str) -> IssueKey | None:
        """The key of a listing entry; None (and a line in ``unread``) when it has none."""
        try:
            return IssueKey(self.project_of(raw), iid_of(raw))
        except Unreadable as problem:
            line = f"an entry GitLab gave while {what} cannot be read: {problem}"
            with self._locks_lock:
                if line not in self._unread:
                    self._unread.append(line)
            return None

    def raw_notes(self, key: IssueKey) -> list[Any]:
        """Every notes endpoint entry of ``key``, oldest first, every page."""
        query = {"sort": "asc", "order_by": "created_at"}
        raws = iter_items(self.gl, f"{self._issue_path(key)}/notes", f"reading notes of {key}", query,
                          any_shape=True)
        return [slim_note(raw) for raw in raws]

    def _list(self, what: str, query: dict[str, Any]) -> Iterator[Any]:
        base = f"/{self.kind}s/{encode_id(self.id)}/issues"
        raws = iter_items(self.gl, base, what, {**query, "state": "all", "scope": "all"}, any_shape=True)
        return (slim_issue(raw) for raw in raws)

    def _notes(self, key: IssueKey) -> list[Note]:
        return notes_from_api(self.raw_notes(key))

    def _issue_path(self, key: IssueKey) -> str:
        project = self.ids.get(key.project, key.project)
        return f"/projects/{encode_id(project)}/issues/{key.iid}"

    def project_of(self, raw: Any) -> str:
        """The path of the project an issue belongs to, asking GitLab only when unknown.

        ``references.full`` (in every issue and link entry) names it; GET /projects/:id
        is only for entries without it, once per project. Fields of the wrong type count
        as missing.
        """
        entry = raw if isinstance(raw, dict) else {}
        project_id = entry.get("project_id") if type(entry.get("project_id")) is int else None
        if project_id is not None and project_id in self.paths:
            return self.paths[project_id]
        references = entry.get("references")
        full = references.get("full") if isinstance(references, dict) else None
        if isinstance(full, str) and "#" in full:
            path = repair(full.rsplit("#", 1)[0])
        elif project_id is not None:
            with self._projects_lock:  # once per project, though reader threads ask at once
                if project_id in self.paths:
                    return self.paths[project_id]
                what = f"reading project {project_id}"
                project = _entry(get_json(self.gl, f"/projects/{project_id}", what), what)
                path = self.paths[project_id] = _path(project.get("path_with_namespace"), project_id)
        else:
            return self.path
        if project_id is not None:
            self.paths[project_id] = path
            self.ids.setdefault(path, project_id)
        return path

    def _remember(self, raw: dict[str, Any], field: str, fallback: str | int) -> str:
        path = _path(raw.get(field), fallback)
        if type(raw.get("id")) is int:
            self.paths[raw["id"]] = path
            self.ids[path] = raw["id"]
        return path


ENTRY_READERS = 2
"""Requests in flight reading entries by ``iids[]`` (each holds ``PER_PAGE`` issues), beside
the ``concurrency`` reading notes."""


def _entry(raw: Any, what: str) -> dict[str, Any]:
    """A project or group as GitLab answered it: an object, or the audit cannot go on."""
    if not isinstance(raw, dict):
        raise SourceError(f"GitLab's answer was not an object while {what}", UNREACHABLE_HINT)
    return raw


def _path(value: Any, fallback: str | int) -> str:
    return repair(value) if isinstance(value, str) and value else str(fallback)


def _missing(kind: str, name: str | int, option: str) -> tuple[str, str]:
    return f"{kind} {name} not found (404)", f"check {option} and that the token can see it"
