"""The incremental cache's file: one SQLite database, read whole and written in one transaction.

The cache is written in one transaction once the scan is complete: a failed read leaves it
as it was. An unreadable or corrupt cache is reported on stderr and read again from GitLab,
never fatal; so is a folder that is read-only or vanishes mid-run (the cache is then not
written). ``CacheStore`` holds the reading and writing of ``CachedSource``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from inc_audit.cache.entries import (
    _digest,
    _dumps,
    _Entry,
    _finding_row,
    _Kept,
    _kept_from_row,
    _list,
    _Loaded,
    _moment,
    _object,
    _readable,
    _reason,
    _stamp,
    timeline_row,
)
from inc_audit.files import refuse_odd, refuse_odd_folder
from inc_audit.model import IssueKey
from inc_audit.text import printable

FORMAT = 3  # 3: meta.full_read_at
"""The layout of the cache file; a file of another layout is rebuilt."""
FILE_NAME = "cache.sqlite3"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    shard TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, labels TEXT NOT NULL,
    listed_since TEXT NOT NULL, relisted_at TEXT NOT NULL, full_read_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
    shard TEXT NOT NULL, project TEXT NOT NULL, iid INTEGER NOT NULL,
    PRIMARY KEY (shard, project, iid));
CREATE INDEX IF NOT EXISTS candidates_by_issue ON candidates (project, iid);
CREATE TABLE IF NOT EXISTS issues (
    project TEXT NOT NULL, iid INTEGER NOT NULL, updated_at TEXT NOT NULL,
    notes_count INTEGER NOT NULL, raw TEXT NOT NULL, notes TEXT, links TEXT,
    awards TEXT NOT NULL, PRIMARY KEY (project, iid));
CREATE TABLE IF NOT EXISTS verdicts (
    project TEXT NOT NULL, iid INTEGER NOT NULL, fingerprint TEXT NOT NULL,
    updated_at TEXT NOT NULL, notes_count INTEGER NOT NULL, links TEXT NOT NULL,
    findings TEXT NOT NULL, stable_after TEXT, stable_until TEXT, PRIMARY KEY (project, iid));
"""
_WRITE_VERDICT = (
    "INSERT OR REPLACE INTO verdicts (project, iid, fingerprint, updated_at, notes_count, links, findings,"
    " stable_after, stable_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_COLUMNS = "project, iid, updated_at, notes_count, raw, notes, links, awards"
_SET = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[2:])
_WRITE_READ = (  # an entry whose notes were read: replaces any entry not newer
    f"INSERT INTO issues ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, iid)"
    f" DO UPDATE SET {_SET} WHERE excluded.updated_at >= issues.updated_at"
)
_WRITE_LISTED = (  # only listed (another shard's slice): replaces only an older version
    f"INSERT INTO issues ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, iid)"
    f" DO UPDATE SET {_SET} WHERE excluded.updated_at > issues.updated_at"
    " OR (excluded.updated_at = issues.updated_at AND excluded.notes_count != issues.notes_count)"
)


class CacheStore:
    """Reading and writing the cache file, for ``CachedSource``."""

    directory: Path
    path: Path
    fingerprint: str
    verdict_key: str
    saved: bool
    _lock: threading.Lock
    _entries: dict[IssueKey, _Entry]
    _verdicts: dict[IssueKey, _Kept]
    _new_verdicts: dict[IssueKey, _Kept | None]
    _broken: bool
    _served: set[IssueKey]

    def _store(
        self,
        key: IssueKey,
        *,
        notes: str | None = None,
        links: list[dict[str, Any]] | None = None,
        awards: tuple[int, list[dict[str, Any]]] | None = None,
        forget: bool = False,
    ) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return  # not a candidate: read live, not kept
            if forget:
                entry.notes = None
                self._served.discard(key)
            if notes is not None:
                entry.notes = notes
            if links is not None:
                entry.set_links(links)
            if awards is not None:
                entry.awards[awards[0]] = awards[1]
            entry.dirty = True

    def _update(self, entries: dict[IssueKey, _Entry], key: IssueKey, raw: dict[str, Any]) -> None:
        entry = entries.get(key)
        if entry is None or not entry.same_version(raw):
            if entry is None or _stamp(raw) >= entry.updated_at:
                entries[key] = _Entry(raw)

    def _refuse_links(self) -> None:
        """The cache is never a symbolic link, a FIFO or a device (exit 2, naming it): sqlite
        would write wherever it points."""
        refuse_odd_folder(self.directory, "the cache folder")
        for name in (FILE_NAME, FILE_NAME + "-journal", FILE_NAME + "-wal", FILE_NAME + "-shm"):
            refuse_odd(self.directory / name, "the cache file")

    def _load(self, shard_key: str, labels: tuple[str, ...]) -> _Loaded | None:
        self._refuse_links()
        if not self.path.exists():
            return None
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as db:
                if db.execute("PRAGMA user_version").fetchone()[0] != FORMAT:
                    self._warn("was written by another version of inc-audit; rebuilding it")
                    self._broken = True
                    return None
                meta = db.execute(
                    "SELECT fingerprint, labels, listed_since, relisted_at, full_read_at FROM meta WHERE shard = ?",
                    (shard_key,),
                ).fetchone()
                if meta is None or meta[0] != self.fingerprint or json.loads(meta[1]) != list(labels):
                    return None
                candidates = {
                    IssueKey(str(project), int(iid))
                    for project, iid in db.execute("SELECT project, iid FROM candidates WHERE shard = ?", (shard_key,))
                }
                entries: dict[IssueKey, _Entry] = {}
                for project, iid, raw, notes, links, awards in db.execute(
                    "SELECT project, iid, raw, notes, links, awards FROM issues"
                ):
                    key = IssueKey(str(project), int(iid))
                    listed = _readable(key, raw) if key in candidates else None
                    if key in candidates and listed is None:
                        self._warn(f"holds an unreadable entry for {key}; reading everything and rebuilding it")
                        return None
                    if listed is not None:
                        entries[key] = _Entry(
                            raw=listed,
                            notes=None if notes is None else str(notes),
                            links=_list(json.loads(links)) if links is not None else None,
                            awards={int(n): _list(a) for n, a in _object(json.loads(awards)).items()},
                            dirty=False,
                            links_digest=None if links is None else _digest(str(links)),
                        )
                verdicts: dict[IssueKey, _Kept] = {}
                for row in db.execute(
                    "SELECT project, iid, updated_at, notes_count, links, findings, stable_after, stable_until"
                    " FROM verdicts WHERE fingerprint = ?",
                    (self.verdict_key,),
                ):
                    key = IssueKey(str(row[0]), int(row[1]))
                    if key in entries:
                        verdicts[key] = _kept_from_row(row[2:])
                listed_since, relisted_at, full_read_at = _moment(meta[2]), _moment(meta[3]), _moment(meta[4])
        except (sqlite3.Error, OSError, ValueError, TypeError, KeyError) as error:
            self._warn(f"is unreadable ({_reason(error)}); reading everything and rebuilding it")
            self._broken = True
            return None
        for key in candidates - set(entries):
            self._warn(f"lacks {key}; reading everything and rebuilding it")
            return None
        return _Loaded(listed_since, relisted_at, full_read_at, candidates, entries, verdicts)

    def _save(
        self,
        shard_key: str,
        labels: tuple[str, ...],
        moments: tuple[datetime, datetime, datetime],
        candidates: set[IssueKey],
    ) -> None:
        """Write the scan; ``moments``: listed since, relisted at, fully read at."""
        with self._lock:
            entries = dict(self._entries)
            verdicts = dict(self._new_verdicts)
        self._refuse_links()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if self._broken:
                for leftover in (self.path, self.path.with_name(FILE_NAME + "-journal")):
                    leftover.unlink(missing_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                db.executescript(_TABLES)
                db.execute("BEGIN IMMEDIATE")
                try:
                    self._write(db, shard_key, labels, moments, candidates, entries)
                    self._write_verdicts(db, verdicts)
                    db.execute(f"PRAGMA user_version = {FORMAT}")
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except (sqlite3.Error, OSError) as error:
            self._warn(f"could not be written ({_reason(error)}); the next run reads everything again")
            return
        with self._lock:
            for entry in entries.values():
                entry.dirty = False
            for key, kept in verdicts.items():
                if kept is None:
                    self._verdicts.pop(key, None)
                else:
                    self._verdicts[key] = kept
            self._new_verdicts = {}
        self._broken = False
        self.saved = True

    def _write(
        self,
        db: sqlite3.Connection,
        shard_key: str,
        labels: tuple[str, ...],
        moments: tuple[datetime, datetime, datetime],
        candidates: set[IssueKey],
        entries: dict[IssueKey, _Entry],
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO meta (shard, fingerprint, labels, listed_since, relisted_at, full_read_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (shard_key, self.fingerprint, json.dumps(list(labels)), *(m.isoformat() for m in moments)),
        )
        db.execute("DELETE FROM candidates WHERE shard = ?", (shard_key,))
        db.executemany(
            "INSERT INTO candidates (shard, project, iid) VALUES (?, ?, ?)",
            ((shard_key, key.project, key.iid) for key in candidates),
        )
        for key, entry in entries.items():
            if not entry.dirty:
                continue
            row = (
                key.project,
                key.iid,
                entry.updated_at,
                entry.notes_count,
                json.dumps(entry.raw, separators=(",", ":")),
                entry.notes,
                None if entry.links is None else json.dumps(entry.links, separators=(",", ":")),
                json.dumps({str(n): a for n, a in entry.awards.items()}, separators=(",", ":")),
            )
            db.execute(_WRITE_READ if entry.notes is not None else _WRITE_LISTED, row)
        db.execute(
            "DELETE FROM issues WHERE NOT EXISTS (SELECT 1 FROM candidates c"
            " WHERE c.project = issues.project AND c.iid = issues.iid)"
        )

    def _write_verdicts(self, db: sqlite3.Connection, verdicts: dict[IssueKey, _Kept | None]) -> None:
        db.executemany(
            "DELETE FROM verdicts WHERE project = ? AND iid = ?",
            ((key.project, key.iid) for key, kept in verdicts.items() if kept is None),
        )
        db.executemany(
            _WRITE_VERDICT,
            (
                (
                    key.project,
                    key.iid,
                    self.verdict_key,
                    kept.updated_at,
                    kept.notes_count,
                    _dumps([[k.project, k.iid, digest] for k, digest in kept.links]),
                    _dumps([*(_finding_row(f) for f in kept.findings), *timeline_row(kept.timeline, kept.notes)]),
                    None if kept.stable_after is None else kept.stable_after.isoformat(),
                    None if kept.stable_until is None else kept.stable_until.isoformat(),
                )
                for key, kept in verdicts.items()
                if kept is not None
            ),
        )
        db.execute(  # verdicts follow their issues out
            "DELETE FROM verdicts WHERE NOT EXISTS (SELECT 1 FROM issues i"
            " WHERE i.project = verdicts.project AND i.iid = verdicts.iid)"
        )

    def _warn(self, message: str) -> None:
        print(printable(f"inc-audit: warning: the cache {self.path} {message}"), file=sys.stderr)

