"""Incidents from a live GitLab through its REST API: the source and its converters.

Pagination is done here, page by page, through ``http.call``, so a failure on page 7 is
retried like one on page 1 instead of ending a lazy list. ``GitLabSource`` reads the
incidents' notes with up to ``concurrency`` requests in flight over python-gitlab's one
keep-alive session.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit

from inc_audit.errors import ConfigError, SourceError
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard, parse_time
from inc_audit.redaction import safe_url
from inc_audit.sources.export import issue_type_of
from inc_audit.sources.http import (
    UNREACHABLE_HINT,
    Client,
    call,
    encode_id,
    ensure_pool,
    get_json,
    request,
)
from inc_audit.sources.interface import Source
from inc_audit.sources.parallel import ordered_map

T = TypeVar("T")
R = TypeVar("R")

PER_PAGE = 100
DEFAULT_CONCURRENCY = 8
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# --- pagination ---------------------------------------------------------------------------


def iter_items(
    gl: Client, path: str, what: str, query: dict[str, Any] | None = None,
    *, not_found: tuple[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list, page after page, each page retried on its own."""
    target: str | None = path
    params: dict[str, Any] = {**(query or {}), "per_page": PER_PAGE}
    seen: set[str] = set()
    while target is not None:
        marker = f"{target}?{sorted(params.items())}"
        if marker in seen:
            raise SourceError(f"GitLab's pagination looped while {what}", UNREACHABLE_HINT)
        seen.add(marker)
        page = functools.partial(_page, gl, target, params)
        items, following = call(gl, what, page, not_found=not_found)
        yield from items
        target, params = following if following else (None, {})


def _page(
    gl: Client, path: str, params: dict[str, Any], timeout: float
) -> tuple[list[dict[str, Any]], tuple[str, dict[str, Any]] | None]:
    response = request(gl, "get", path, timeout, query_data=dict(params))
    data = response.json()
    if not isinstance(data, list):
        raise ValueError("a list was expected")
    next_page = str(response.headers.get("X-Next-Page") or "").strip()
    if next_page:
        return [d for d in data if isinstance(d, dict)], (path, {**params, "page": int(next_page)})
    link = (response.links.get("next") or {}).get("url")
    following: tuple[str, dict[str, Any]] | None = (_api_relative(gl, link), {}) if link else None
    return [d for d in data if isinstance(d, dict)], following


def _api_relative(gl: Client, url: str) -> str:
    """A next-page link as a path under our API URL, whatever host GitLab thinks it has."""
    parts = urlsplit(url)
    marker = f"/api/v{gl.api_version}"
    path = parts.path.split(marker, 1)[1] if marker in parts.path else parts.path
    return f"{path}?{parts.query}" if parts.query else path


# --- building model objects ---------------------------------------------------------------


def _username(user: Any) -> str:
    if isinstance(user, dict) and user.get("username"):
        return str(user["username"])
    return "unknown"


def _labels(raw: dict[str, Any]) -> tuple[str, ...]:
    labels = []
    for label in raw.get("labels") or ():
        name = label.get("name") if isinstance(label, dict) else label
        if name:
            labels.append(str(name))
    return tuple(labels)


def _issue_type(raw: dict[str, Any]) -> str:
    return issue_type_of({"issue_type": raw.get("issue_type") or raw.get("type")})


def note_from_api(raw: dict[str, Any]) -> Note | None:
    """A ``Note`` as export.py builds it, from a notes endpoint entry."""
    created = parse_time(raw.get("created_at"))
    if created is None or raw.get("id") is None:
        return None
    return Note(
        id=int(raw["id"]),
        body=str(raw.get("body") or ""),
        author=_username(raw.get("author")),
        created_at=created,
        system=bool(raw.get("system")),
        updated_at=parse_time(raw.get("updated_at")),
    )


def issue_from_api(key: IssueKey, raw: dict[str, Any], notes: Iterable[Note]) -> Issue:
    """An ``Issue`` as export.py builds it, from an issues endpoint entry and its notes."""
    created = parse_time(raw.get("created_at")) or EPOCH
    updated = parse_time(raw.get("updated_at")) or created
    state = "closed" if raw.get("state") == "closed" else "opened"
    return Issue(
        key=key,
        title=str(raw.get("title") or ""),
        description=str(raw.get("description") or ""),
        labels=_labels(raw),
        issue_type=_issue_type(raw),
        state=state,
        author=_username(raw.get("author")),
        created_at=created,
        updated_at=updated,
        closed_at=(parse_time(raw.get("closed_at")) or updated) if state == "closed" else None,
        confidential=bool(raw.get("confidential")),
        web_url=str(raw.get("web_url") or ""),
        notes=tuple(sorted(notes, key=lambda n: (n.created_at, n.id))),
    )


def linked_from_api(key: IssueKey, raw: dict[str, Any]) -> LinkedIssue:
    """A ``LinkedIssue`` from a links endpoint entry."""
    return LinkedIssue(
        key=key,
        title=str(raw.get("title") or ""),
        labels=_labels(raw),
        description=str(raw.get("description") or ""),
        state="closed" if raw.get("state") == "closed" else "opened",
        issue_type=_issue_type(raw),
        web_url=str(raw.get("web_url") or ""),
        confidential=bool(raw.get("confidential")),
    )


def award_from_api(raw: dict[str, Any]) -> Award:
    return Award(
        name=str(raw.get("name") or ""),
        username=_username(raw.get("user")),
        created_at=parse_time(raw.get("created_at")),
    )


ISSUE_FIELDS = (
    "id", "iid", "project_id", "title", "description", "labels", "issue_type", "type", "state",
    "created_at", "updated_at", "closed_at", "confidential", "web_url", "user_notes_count",
)
NOTE_FIELDS = ("id", "body", "created_at", "updated_at", "system")
AWARD_FIELDS = ("name", "created_at")


def _slim(raw: dict[str, Any], fields: tuple[str, ...], user: str) -> dict[str, Any]:
    """The fields inc-audit reads of an API entry; the rest (avatars, URLs...) is dropped."""
    kept = {name: raw[name] for name in fields if name in raw}
    person = raw.get(user)
    if isinstance(person, dict):
        kept[user] = {"username": person.get("username")}
    references = raw.get("references")
    if isinstance(references, dict) and "full" in references:
        kept["references"] = {"full": references["full"]}
    return kept


def slim_issue(raw: dict[str, Any]) -> dict[str, Any]:
    """An issues or links endpoint entry, cut to what ``issue_from_api`` and co. read."""
    return _slim(raw, ISSUE_FIELDS, "author")


def slim_note(raw: dict[str, Any]) -> dict[str, Any]:
    return _slim(raw, NOTE_FIELDS, "author")


def slim_award(raw: dict[str, Any]) -> dict[str, Any]:
    return _slim(raw, AWARD_FIELDS, "user")


def _iid(raw: dict[str, Any], what: str) -> int:
    try:
        return int(raw["iid"])
    except (KeyError, TypeError, ValueError):
        raise SourceError(f"GitLab returned an issue without an iid while {what}") from None


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
        self._locks: dict[tuple[int, Any], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        if project is not None:
            self.kind = "project"
            raw = get_json(gl, f"/projects/{encode_id(project)}", f"reading project {project}",
                           not_found=_missing("project", project, "--project / CI_PROJECT_PATH"))
            self.path = self._remember(raw, "path_with_namespace", project)
        else:
            assert group is not None
            self.kind = "group"
            raw = get_json(gl, f"/groups/{encode_id(group)}", f"reading group {group}",
                           not_found=_missing("group", group, "--group"))
            self.path = str(raw.get("full_path") or group)
        self.id = raw.get("id", self.path)

    def describe(self) -> dict[str, str]:
        return {"kind": "gitlab", "url": safe_url(self.gl.url), self.kind: self.path}

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        found = self.list_candidates(labels)
        keys = shard.pick(found) if shard else sorted(found, key=lambda k: (k.project, k.iid))

        def read(key: IssueKey) -> Issue:
            return self.ready(issue_from_api(key, found[key], self._notes(key)))

        yield from self.parallel(read, keys)

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``ordered_map`` with this source's concurrency."""
        return ordered_map(fn, items, self.concurrency)

    def ready(self, issue: Issue) -> Issue:
        """``issue``, once ``prefetch`` (if any) has run on it in this thread."""
        if self.prefetch is not None:
            self.prefetch(issue)
        return issue

    def get_issue(self, iid: int) -> Issue:
        """One issue of the audited project, with its notes."""
        what = f"reading issue #{iid}"
        raw = get_json(self.gl, f"/projects/{encode_id(self.id)}/issues/{iid}", what,
                       not_found=(f"issue {self.path}#{iid} not found (404)",
                                  "check the issue number and that the token can see it"))
        key = IssueKey(self.path, _iid(raw, what))
        return issue_from_api(key, raw, self._notes(key))

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        if key not in self._linked:
            self._linked[key] = self.linked_from_raw(self.raw_links(key))
        return self._linked[key]

    def linked_from_raw(self, raws: Iterable[dict[str, Any]]) -> tuple[LinkedIssue, ...]:
        what = "reading issue links"
        return tuple(linked_from_api(IssueKey(self.project_of(raw), _iid(raw, what)), raw)
                     for raw in raws)

    def raw_links(self, key: IssueKey) -> list[dict[str, Any]]:
        """The links endpoint's entries for ``key``, read once per run."""

        def read() -> list[dict[str, Any]]:
            raws = iter_items(self.gl, f"{self._issue_path(key)}/links", f"reading the links of {key}")
            return [slim_issue(raw) for raw in raws]

        return self._once(self._links, key, read)

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return tuple(award_from_api(raw) for raw in self.raw_awards(key, note_id))

    def raw_awards(self, key: IssueKey, note_id: int) -> list[dict[str, Any]]:
        """The award emoji entries of one note, read once per run."""

        def read() -> list[dict[str, Any]]:
            path = f"{self._issue_path(key)}/notes/{note_id}/award_emoji"
            raws = iter_items(self.gl, path, f"reading the awards of note {note_id} on {key}")
            return [slim_award(raw) for raw in raws]

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
                found.setdefault(IssueKey(self.project_of(raw), _iid(raw, what)), raw)
        return found

    def list_updated(self, since: datetime) -> dict[IssueKey, dict[str, Any]]:
        """Every issue, whatever its labels and type, updated at or after ``since``, by key."""
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        what = f"listing issues updated since {stamp}"
        found: dict[IssueKey, dict[str, Any]] = {}
        for raw in self._list(what, {"updated_after": stamp}):
            found.setdefault(IssueKey(self.project_of(raw), _iid(raw, what)), raw)
        return found

    def raw_notes(self, key: IssueKey) -> list[dict[str, Any]]:
        """Every notes endpoint entry of ``key``, oldest first, every page."""
        query = {"sort": "asc", "order_by": "created_at"}
        raws = iter_items(self.gl, f"{self._issue_path(key)}/notes", f"reading notes of {key}", query)
        return [slim_note(raw) for raw in raws]

    def _list(self, what: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        base = f"/{self.kind}s/{encode_id(self.id)}/issues"
        raws = iter_items(self.gl, base, what, {**query, "state": "all", "scope": "all"})
        return (slim_issue(raw) for raw in raws)

    def _notes(self, key: IssueKey) -> list[Note]:
        return notes_from_api(self.raw_notes(key))

    def _issue_path(self, key: IssueKey) -> str:
        project = self.ids.get(key.project, key.project)
        return f"/projects/{encode_id(project)}/issues/{key.iid}"

    def project_of(self, raw: dict[str, Any]) -> str:
        """The path of the project an issue belongs to, asking GitLab only when unknown.

        ``references.full`` (in every issue and link entry) names it; GET /projects/:id
        is only for entries without it, once per project.
        """
        project_id = raw.get("project_id")
        if isinstance(project_id, int) and project_id in self.paths:
            return self.paths[project_id]
        full = (raw.get("references") or {}).get("full")
        if isinstance(full, str) and "#" in full:
            path = full.rsplit("#", 1)[0]
        elif project_id is not None:
            project = get_json(self.gl, f"/projects/{encode_id(project_id)}",
                               f"reading project {project_id}")
            path = str(project.get("path_with_namespace") or project_id)
        else:
            return self.path
        if isinstance(project_id, int):
            self.paths[project_id] = path
            self.ids.setdefault(path, project_id)
        return path

    def _remember(self, raw: dict[str, Any], field: str, fallback: str | int) -> str:
        path = str(raw.get(field) or fallback)
        if isinstance(raw.get("id"), int):
            self.paths[raw["id"]] = path
            self.ids[path] = raw["id"]
        return path


def notes_from_api(raws: Iterable[dict[str, Any]]) -> list[Note]:
    return [note for note in map(note_from_api, raws) if note is not None]


def _missing(kind: str, name: str | int, option: str) -> tuple[str, str]:
    return f"{kind} {name} not found (404)", f"check {option} and that the token can see it"
