"""Serving a cached scan's incidents, in order: those whose kept verdict may hold from the
cache in the audit's thread, the others by the live source's reader threads, each with its
parts read from SQLite as it is served (``staging``); and the kept verdicts, checked on what
was loaded of them and read whole when used."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

from inc_audit.cache.entries import _UNREADABLE, _Kept, _kept_from_row, _LazyNotesIssue, _list, _object, _reason
from inc_audit.cache.staging import Staging
from inc_audit.model import Issue, IssueKey, Note
from inc_audit.sources.entries import assemble, notes_from_api
from inc_audit.sources.rest.source import GitLabSource


class Serving(Staging):
    """The serving half of ``CachedSource``, and its reading of kept verdicts."""

    live: GitLabSource
    prefetch: Callable[[Issue], object] | None
    _verdicts: dict[IssueKey, _Kept]  # the kept ones, slim (``_Kept.slim``)
    _full: dict[IssueKey, _Kept | None]  # a kept one read whole, until released

    def _count(self, what: str) -> None:
        raise NotImplementedError

    def _cached_notes(self, key: IssueKey) -> tuple[Note, ...]:
        raise NotImplementedError

    def _whole(self, key: IssueKey, kept: _Kept) -> _Kept | None:
        """The kept verdict with its findings, milestones and notes, read from the file (None
        if its row no longer is the one loaded)."""
        with self._lock:
            if key in self._full:
                return self._full[key]
        rows = self._sql(
            "SELECT updated_at, notes_count, links, findings, stable_after, stable_until FROM {s}.verdicts"
            " WHERE project = ? AND iid = ? AND fingerprint = ?", (key.project, key.iid, self.verdict_key),
        )
        try:
            whole = _kept_from_row(rows[0]) if rows else None
        except _UNREADABLE:
            whole = None
        if whole is not None and not whole.same_as(kept):
            whole = None
        with self._lock:
            self._full[key] = whole
        return whole

    def _kept_for(self, key: IssueKey) -> _Kept | None:
        """The verdict kept for ``key`` (slim) if it was reached on the version the cache holds
        and on the links it holds now (called with the lock held)."""
        kept = self._verdicts.get(key)
        entry = self._entries.get(key)
        if kept is None or entry is None or not entry.has_notes:
            return None
        if (kept.updated_at, kept.notes_count) != (entry.updated_at, entry.notes_count):
            return None
        for linked, digest in kept.links:
            other = self._entries.get(linked)
            if other is None or other.links_digest != digest:
                return None
        return kept

    def _serve_all(self, keys: list[IssueKey]) -> Iterator[Issue]:
        """Every issue of ``keys``, in order. Those whose kept verdict may hold (it was reached
        on the version and links the cache holds) are served here, without ``prefetch``: they
        need no request, and most need no rule. The others are served by reader threads."""
        with self._lock:
            inline = {key for key in keys if self._kept_for(key) is not None}
        serve: Callable[[IssueKey], Issue | None] = self._serve
        if self.live.kind == "group":  # a failing project fails alone (``sources.rest.projects``)
            serve = self._serve_alone
        pooled = self.live.parallel(serve, [key for key in keys if key not in inline])
        try:
            for key in keys:
                issue = self._serve_cached(key) if key in inline else next(pooled)
                if issue is not None:
                    yield issue
        finally:
            close = getattr(pooled, "close", None)
            if close is not None:
                close()

    def _raw(self, key: IssueKey) -> dict[str, Any]:
        return _object(json.loads(self._part(key, "raw")))

    def _serve_alone(self, key: IssueKey) -> Issue | None:
        """``_serve``, in a group audit: a project that cannot be read fails alone."""
        if self._entry(key) is None:
            self._gone(key)
            return None
        raw = self._raw(key)
        return self.live.projects.read(key, raw, lambda: self._serve(key, raw))

    def _serve_cached(self, key: IssueKey) -> Issue:
        """The issue, its notes decoded only if something reads them (a kept verdict that
        holds needs none): about a fifth of a warm run's time otherwise."""
        raw = self._raw(key)
        with self._lock:
            self._served.add(key)
        self.live.project_of(raw)
        self._count("incidents from the cache")
        plain = assemble(key, raw, tuple)
        if plain.unreadable:
            return plain
        fields = {f.name: getattr(plain, f.name) for f in dataclasses.fields(Issue) if f.name != "notes"}
        return _LazyNotesIssue(lambda: self._cached_notes(key), **fields)

    def _gone(self, key: IssueKey) -> None:
        """A listed key GitLab no longer had when its entry was read (deleted, moved or hidden
        since the listing): not a candidate any more, nothing to serve or keep of it."""
        with self._lock:
            self._candidates.discard(key)

    def _serve(self, key: IssueKey, raw: dict[str, Any] | None = None) -> Issue | None:
        entry = self._entry(key)
        if entry is None:
            self._gone(key)
            return None
        raw = self._raw(key) if raw is None else raw
        notes = self._part(key, "notes") if entry.has_notes else None
        self.live.project_of(raw)  # learns the project's id from references.full
        built: list[Note] | None = None
        if notes is not None:
            try:
                built = _notes(notes)
            except _UNREADABLE as error:
                self._warn(f"holds an unreadable entry for {key} ({_reason(error)}); reading it again")
            else:
                self._count("incidents from the cache")
                with self._lock:
                    self._served.add(key)
        if built is None:  # not kept, or kept unreadable: GitLab's copy, which may be unreadable itself
            raws = self.live.raw_notes(key)
            self._store(key, notes=json.dumps(raws, separators=(",", ":")))
            self._count("incidents read")
            issue = assemble(key, raw, lambda: notes_from_api(raws))
        else:
            kept = built
            issue = assemble(key, raw, lambda: kept)
        if issue.unreadable:
            self._store(key, forget=True)  # read again next time, never kept as it is
        elif self.prefetch is not None:
            self.prefetch(issue)
        return issue


def _notes(text: str) -> list[Note]:
    """Cached notes (JSON text), decoded and built."""
    return notes_from_api(_list(json.loads(text)))
