"""What a scan reads, written to its staging tables as it goes (``store``: merged into the
cache file once the scan is complete), and each incident's parts read back when asked.

An incident's row is staged as soon as a listing gives a version the cache does not hold
(``_stage_listed``; a cold scan's listing streams through ``_Feed``, staged as far as serving
has reached), and updated as its notes, links and award emoji are read (``_store``); a
verdict as soon as it is reached (``_stage_verdict``). Memory holds only each candidate's
``_Entry``: its parts are read from the staging table, or from the cache file while the
cache's version is the one served (``_part``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from inc_audit.cache.entries import _digest, _dumps, _Entry, _finding_row, _Kept, _list, _stamp, timeline_row
from inc_audit.cache.store import COLUMNS, VERDICT_COLUMNS, CacheStore
from inc_audit.model import IssueKey
from inc_audit.sources.rest.source import GitLabSource

Listing = Iterator[tuple[IssueKey, dict[str, Any]]]


class _Feed:
    """A cold or full scan's listing entries, staged as serving reaches them: a reader
    thread asking for an incident stages the entries before it, so the stream is read
    only as far as the scan has come."""

    def __init__(self, entries: Listing, keep: Callable[[IssueKey, dict[str, Any]], None]) -> None:
        self._entries = entries
        self._keep = keep
        self._lock = threading.Lock()

    def until(self, reached: Callable[[], bool]) -> None:
        """Stage entries until ``reached()`` (never: every entry left)."""
        with self._lock:
            while not reached():
                item = next(self._entries, None)
                if item is None:
                    return
                self._keep(*item)


class Staging(CacheStore):
    """The write path of ``CachedSource``, and its reads of an incident's parts."""

    _entries: dict[IssueKey, _Entry]
    _served: set[IssueKey]
    _candidates: set[IssueKey]
    _feed: _Feed | None
    live: GitLabSource

    def _reach(self, key: IssueKey) -> None:
        """In a cold or full scan, stage the listing as far as ``key``, one of its candidates."""
        feed = self._feed
        if feed is not None and key in self._candidates:
            feed.until(lambda: key in self._entries)

    def _entry(self, key: IssueKey) -> _Entry | None:
        self._reach(key)
        with self._lock:
            return self._entries.get(key)

    def _keep_listed(self, key: IssueKey, raw: dict[str, Any]) -> None:
        """A listing's version of ``key``, staged with nothing read of it."""
        entry = _Entry.listed(raw)
        self._sql(
            f"INSERT OR REPLACE INTO temp.staged_issues ({COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, NULL, '{{}}')",
            (key.project, key.iid, entry.updated_at, entry.notes_count, _dumps(raw)),
        )
        with self._lock:
            self._entries[key] = entry

    def _update(self, key: IssueKey, raw: dict[str, Any]) -> None:
        """A warm listing's entry: staged when it is a version the cache does not hold (and not older)."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or not entry.same_version(raw):
            if entry is None or _Entry.listed(raw).updated_at >= entry.updated_at:
                self._keep_listed(key, raw)

    def _part(self, key: IssueKey, column: str) -> Any:
        """One part of the incident's row (``raw``, ``notes``, ``links``, ``awards``), as stored."""
        entry = self._entry(key)
        if entry is None:
            return None
        table = "temp.staged_issues" if entry.staged else "{s}.issues"
        rows = self._sql(f"SELECT {column} FROM {table} WHERE project = ? AND iid = ?", (key.project, key.iid))
        return rows[0][0] if rows else None

    def _store(
        self,
        key: IssueKey,
        *,
        notes: str | None = None,
        links: list[dict[str, Any]] | None = None,
        awards: tuple[int, list[dict[str, Any]]] | None = None,
        forget: bool = False,
        forget_links: bool = False,
    ) -> None:
        """Write what was read of a candidate to its staged row (a non-candidate's is not kept)."""
        entry = self._entry(key)
        if entry is None:
            return
        where = (key.project, key.iid)
        with self._db_lock:
            if not entry.staged:  # the cache's row, staged to be changed
                self._sql(f"INSERT OR REPLACE INTO temp.staged_issues ({COLUMNS}) SELECT {COLUMNS}"
                          " FROM {s}.issues WHERE project = ? AND iid = ?", where)
                entry.staged = True
            changes: dict[str, Any] = {}
            if forget:
                changes["notes"] = None
            if notes is not None:
                changes["notes"] = notes
            if forget_links or links is not None:
                changes["links"] = None if links is None else _dumps(links)
            if awards is not None:
                rows = self._sql("SELECT awards FROM temp.staged_issues WHERE project = ? AND iid = ?", where)
                held = json.loads(rows[0][0]) if rows else {}
                held[str(awards[0])] = awards[1]
                changes["awards"] = _dumps(held)
            if changes:
                sets = ", ".join(f"{column} = ?" for column in changes)
                self._sql(f"UPDATE temp.staged_issues SET {sets} WHERE project = ? AND iid = ?",
                          (*changes.values(), *where))
        with self._lock:
            if forget:
                entry.has_notes = False
                self._served.discard(key)
            if notes is not None:
                entry.has_notes = True
            if "links" in changes:
                entry.links_digest = None if changes["links"] is None else _digest(changes["links"])
            if awards is not None:
                entry.has_awards = True

    def _stage_verdict(self, key: IssueKey, kept: _Kept | None) -> None:
        """A verdict reached this scan; None: the one kept no longer holds, and is dropped."""
        where = (key.project, key.iid)
        with self._db_lock:
            self._sql("DELETE FROM temp.staged_verdicts WHERE project = ? AND iid = ?", where)
            self._sql("DELETE FROM temp.dropped_verdicts WHERE project = ? AND iid = ?", where)
            if kept is None:
                self._sql("INSERT INTO temp.dropped_verdicts (project, iid) VALUES (?, ?)", where)
                return
            self._sql(
                f"INSERT INTO temp.staged_verdicts ({VERDICT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *where,
                    self.verdict_key,
                    kept.updated_at,
                    kept.notes_count,
                    _dumps([[k.project, k.iid, digest] for k, digest in kept.links]),
                    _dumps([*(_finding_row(f) for f in kept.findings), *timeline_row(kept.timeline, kept.notes)]),
                    None if kept.stable_after is None else kept.stable_after.isoformat(),
                    None if kept.stable_until is None else kept.stable_until.isoformat(),
                ),
            )

    def _forget_stale_links(self, stamps: dict[IssueKey, str]) -> None:
        """Links carry the linked issues' labels and descriptions: an edited change ticket
        does not move its incident's ``updated_at``, but it is in the listing of changes
        (``stamps``: each issue's ``updated_at`` there). The cache's links are read one row
        at a time."""
        if not stamps:
            return
        stale = []
        with self._db_lock:
            assert self._db is not None
            rows = self._db.execute("SELECT project, iid, links FROM main.issues WHERE links IS NOT NULL")
            for project, iid, links in rows:
                key = IssueKey(str(project), int(iid))
                entry = self._entries.get(key)
                if entry is None or entry.staged or entry.links_digest is None:
                    continue
                for link in _list(json.loads(links)):
                    linked = IssueKey(self.live.project_of(link), int(link.get("iid") or 0))
                    now = stamps.get(linked)
                    if now is not None and now != _stamp(link):
                        stale.append(key)
                        break
            rows.close()
        for key in stale:
            self._store(key, forget_links=True)
