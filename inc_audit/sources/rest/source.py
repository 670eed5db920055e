"""Incidents from a live GitLab through its REST API (``entries`` makes model values of
its answers).

Pagination follows the Link header page after page through python-gitlab's public
``http_request``, so a failure on page 7 is retried like one on page 1 (``_Pages``). ``GitLabSource`` reads the
incidents' notes with up to ``concurrency`` requests in flight over python-gitlab's one
keep-alive session.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from inc_audit.sources.http.classify import UNREACHABLE_HINT, Absent, BadAnswer
from inc_audit.sources.http.parallel import ordered_map
from inc_audit.sources.http.session import Client, encode_id, ensure_pool, failures, get_json, request
from inc_audit.sources.interface import Source, Unreadable
from inc_audit.sources.rest.projects import ProjectFailures
from inc_audit.text import repair

T = TypeVar("T")
R = TypeVar("R")

PER_PAGE = 100
DEFAULT_CONCURRENCY = 8


# --- pagination ---------------------------------------------------------------------------


class _Pages:
    """Every item of a paginated list, page after page, through python-gitlab's public
    ``http_request`` (each page retried on its own): the next page is the answer's Link header,
    kept on the configured base URL as python-gitlab's ``keep_base_url`` does. A page that is
    not a list, a next link already followed, more pages than the first page's X-Total-Pages
    (or X-Total) announced, or than ``MAX_PAGES``, ends the read with an error instead of an
    ``IndexError`` (or a list of characters, or a loop that never ends). The first page is read
    when the object is made, the next one when the items of a page run out."""

    def __init__(self, gl: Client, url: str, query: dict[str, Any]) -> None:
        self.gl = gl
        self.seen: set[str] = set()
        self.allowed: int | None = None
        self.items: Iterator[Any] = iter(())
        self.next_url: str | None = None
        self._read(url, query)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        while True:
            item = next(self.items, _END)
            if item is not _END:
                return item
            if self.next_url is None:
                raise StopIteration
            self._read(self.next_url, {})

    def _read(self, url: str, query: dict[str, Any]) -> None:
        marker = f"{url}?{sorted(query.items())}"
        if marker in self.seen:
            raise BadAnswer("its pagination looped (a next-page link came twice)")
        allowed = self.allowed
        if allowed is not None and len(self.seen) >= allowed + GROWTH:
            raise BadAnswer(f"its pagination went on past the {allowed} page(s) it announced (X-Total-Pages)")
        if len(self.seen) >= MAX_PAGES:
            raise BadAnswer(f"its pagination went on past {MAX_PAGES} pages")
        self.seen.add(marker)
        self.next_url = None
        answer = request(self.gl, "get", url, query_data=query)
        page = answer.json()
        if not isinstance(page, list):
            raise BadAnswer("a page of the list was not a list")
        if len(self.seen) == 1:
            headers = answer.headers
            self.allowed = _pages_announced(
                headers.get("X-Total-Pages"), headers.get("X-Total"), headers.get("X-Per-Page")
            )
        self.next_url = _on_base_url(self.gl, answer.links.get("next", {}).get("url"))
        self.items = iter(page)


def _on_base_url(gl: Client, url: str | None) -> str | None:
    """A next-page link with the configured base URL in place of the one GitLab wrote (its
    ``external_url`` may differ); the guard still refuses any request for another host."""
    if not url or url.startswith(gl.url):
        return url
    match = re.match(r"^(.*?)/api/", url)
    return url if match is None else gl.url + url[len(match.group(1)) :]


MAX_PAGES = 10_000
"""Pages one listing may have (a million issues or notes at 100 a page)."""
GROWTH = 1
"""Pages a listing may grow by while it is read (an issue created meanwhile)."""


def _pages_announced(total_pages: Any, total: Any, per_page: Any) -> int | None:
    """The pages a listing's first answer says it has (GitLab leaves the headers out beyond
    10,000 items: then None)."""

    def number(value: Any) -> int | None:
        text = str(value or "").strip()
        return int(text) if text.isdigit() and len(text) < 10 else None

    pages, items, size = number(total_pages), number(total), number(per_page)
    if pages is not None:
        return max(pages, 1)
    if items is not None and size:
        return max(-(-items // size), 1)
    return None


def iter_items(
    gl: Client, path: str, what: str, query: dict[str, Any] | None = None,
    *, not_found: tuple[str, str] | None = None, any_shape: bool = False, absent: tuple[int, ...] = (),
) -> Iterator[Any]:
    """Every item of a paginated list, page after page.

    Items that are not objects are skipped, or with ``any_shape`` yielded for the caller
    to report. A status in ``absent`` raises ``Absent``, for the caller to report.
    """
    with failures(gl, what, not_found=not_found, absent=absent):
        pages = _Pages(gl, f"{gl.api_url}{path}", {**(query or {}), "per_page": PER_PAGE})
    while True:
        with failures(gl, what, not_found=not_found, absent=absent):
            item = next(pages, _END)
        if item is _END:
            return
        if any_shape or isinstance(item, dict):
            yield item


_END = object()


# --- the source ---------------------------------------------------------------------------


class GitLabSource(Source):
    """A ``Source`` over one project, or every project of a group and its subgroups.

    Candidates are listed first (a few pages per label), then each candidate's notes are
    read with up to ``concurrency`` requests in flight, over the client's one session;
    issues are still yielded in (project, iid) order. Links and award emoji are read only
    when asked, each once per run.
    """

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
        self._summaries: dict[IssueKey, list[dict[str, Any]]] = {}
        self._locks: dict[tuple[int, Any], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._unread: list[str] = []
        self.projects = ProjectFailures()
        """A group audit's failed projects: each fails alone (see ``projects``)."""
        if project is not None:
            self.kind = "project"
            raw = _entry(get_json(gl, f"/projects/{encode_id(project)}", f"reading project {project}",
                                  not_found=_missing("project", project, "--project / CI_PROJECT_PATH")),
                         f"reading project {project}")
            self.path = self._remember(raw, "path_with_namespace", project)
        else:
            assert group is not None
            self.kind = "group"
            raw = _entry(get_json(gl, f"/groups/{encode_id(group)}", f"reading group {group}",
                                  not_found=_missing("group", group, "--group")), f"reading group {group}")
            self.path = _path(raw.get("full_path"), group)
        self.id = raw["id"] if type(raw.get("id")) is int else self.path

    def describe(self) -> dict[str, str]:
        return {"kind": "gitlab", "url": safe_url(self.gl.url), self.kind: self.path}

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        found = self.list_candidates(labels)
        keys = shard.pick(found) if shard else sorted(found, key=lambda k: (k.project, k.iid))
        if self.on_listed is not None:
            self.on_listed(len(keys))

        def read(key: IssueKey) -> Issue:
            return self.ready(assemble(key, found[key], lambda: self._notes(key)))

        if self.kind == "group":
            yield from self.parallel(lambda key: self.projects.read(key, found[key], lambda: read(key)), keys)
        else:
            yield from self.parallel(read, keys)

    def unread(self) -> tuple[str, ...]:
        return (*self._unread, *self.projects.lines())

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
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
                key = self._key(raw, what)
                if key is not None:
                    found.setdefault(key, raw)
        return found

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
            what = f"reading project {project_id}"
            project = _entry(get_json(self.gl, f"/projects/{project_id}", what), what)
            path = _path(project.get("path_with_namespace"), project_id)
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


def _entry(raw: Any, what: str) -> dict[str, Any]:
    """A project or group as GitLab answered it: an object, or the audit cannot go on."""
    if not isinstance(raw, dict):
        raise SourceError(f"GitLab's answer was not an object while {what}", UNREACHABLE_HINT)
    return raw


def _path(value: Any, fallback: str | int) -> str:
    return repair(value) if isinstance(value, str) and value else str(fallback)


def _missing(kind: str, name: str | int, option: str) -> tuple[str, str]:
    return f"{kind} {name} not found (404)", f"check {option} and that the token can see it"
