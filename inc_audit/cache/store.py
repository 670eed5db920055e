"""The incremental cache's file: one SQLite database, read in small parts, and the scan's
connection to it, whose staging tables are merged into it in one transaction at the end.

``_load`` reads, one row at a time, the shard's meta row and candidates, and of each cached
incident only its version and which parts are held (``_Entry``); of each kept verdict only
what says whether it holds (``_Kept.slim``). Descriptions, notes, links, award emoji and
findings stay in the file and are read when an incident is served (``staging``).

``_connect`` opens the scan's connection: to the cache file when the scan reads from it or
adds to it, else to a private temporary database (the file is then attached, made afresh,
only by ``_commit``). Whatever the scan reads or decides goes at once to its TEMP staging
tables (a temporary file of SQLite's, never the cache file); ``_commit`` merges them into
the cache file in one transaction once the scan is complete. A scan that fails or is
abandoned never touches the file: it stays as it was, byte for byte. An unreadable or
corrupt cache is reported on stderr and read again from GitLab, never fatal; so is a folder
that is read-only or vanishes mid-run (the cache is then not written).
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
    _Entry,
    _Kept,
    _kept_from_row,
    _list,
    _Loaded,
    _moment,
    _notes_count,
    _object,
    _readable,
    _reason,
    _stamp,
)
from inc_audit.files import refuse_odd, refuse_odd_folder
from inc_audit.model import IssueKey
from inc_audit.text import printable

FORMAT = 3  # 3: meta.full_read_at
"""The layout of the cache file; a file of another layout is rebuilt."""
FILE_NAME = "cache.sqlite3"

_TABLES = """
CREATE TABLE IF NOT EXISTS {s}.meta (
    shard TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, labels TEXT NOT NULL,
    listed_since TEXT NOT NULL, relisted_at TEXT NOT NULL, full_read_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.candidates (
    shard TEXT NOT NULL, project TEXT NOT NULL, iid INTEGER NOT NULL,
    PRIMARY KEY (shard, project, iid));
CREATE INDEX IF NOT EXISTS {s}.candidates_by_issue ON candidates (project, iid);
CREATE TABLE IF NOT EXISTS {s}.issues (
    project TEXT NOT NULL, iid INTEGER NOT NULL, updated_at TEXT NOT NULL,
    notes_count INTEGER NOT NULL, raw TEXT NOT NULL, notes TEXT, links TEXT,
    awards TEXT NOT NULL, PRIMARY KEY (project, iid));
CREATE TABLE IF NOT EXISTS {s}.verdicts (
    project TEXT NOT NULL, iid INTEGER NOT NULL, fingerprint TEXT NOT NULL,
    updated_at TEXT NOT NULL, notes_count INTEGER NOT NULL, links TEXT NOT NULL,
    findings TEXT NOT NULL, stable_after TEXT, stable_until TEXT, PRIMARY KEY (project, iid));
"""
_STAGING = """
PRAGMA temp_store = FILE;
CREATE TEMP TABLE staged_issues (
    project TEXT NOT NULL, iid INTEGER NOT NULL, updated_at TEXT NOT NULL,
    notes_count INTEGER NOT NULL, raw TEXT NOT NULL, notes TEXT, links TEXT,
    awards TEXT NOT NULL, PRIMARY KEY (project, iid));
CREATE TEMP TABLE staged_verdicts (
    project TEXT NOT NULL, iid INTEGER NOT NULL, fingerprint TEXT NOT NULL,
    updated_at TEXT NOT NULL, notes_count INTEGER NOT NULL, links TEXT NOT NULL,
    findings TEXT NOT NULL, stable_after TEXT, stable_until TEXT, PRIMARY KEY (project, iid));
CREATE TEMP TABLE dropped_verdicts (project TEXT NOT NULL, iid INTEGER NOT NULL, PRIMARY KEY (project, iid));
"""
"""This scan's rows (``staging``): an incident's row as it now is, the verdicts reached, and the
kept verdicts that no longer hold."""

COLUMNS = "project, iid, updated_at, notes_count, raw, notes, links, awards"
VERDICT_COLUMNS = "project, iid, fingerprint, updated_at, notes_count, links, findings, stable_after, stable_until"
_SET = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ")[2:])
_MERGE_READ = (  # rows whose notes were read: replace any row not newer
    "INSERT INTO {s}.issues (" + COLUMNS + ") SELECT " + COLUMNS + " FROM temp.staged_issues"
    " WHERE notes IS NOT NULL ORDER BY rowid ON CONFLICT (project, iid)"
    f" DO UPDATE SET {_SET} WHERE excluded.updated_at >= issues.updated_at"
)
_MERGE_LISTED = (  # only listed (another shard's slice): replace only an older version
    "INSERT INTO {s}.issues (" + COLUMNS + ") SELECT " + COLUMNS + " FROM temp.staged_issues"
    " WHERE notes IS NULL ORDER BY rowid ON CONFLICT (project, iid)"
    f" DO UPDATE SET {_SET} WHERE excluded.updated_at > issues.updated_at"
    " OR (excluded.updated_at = issues.updated_at AND excluded.notes_count != issues.notes_count)"
)


class CacheStore:
    """Reading the cache file, and the scan's connection to it, for ``CachedSource``."""

    directory: Path
    path: Path
    fingerprint: str
    verdict_key: str
    saved: bool
    _lock: threading.Lock
    _broken: bool
    _db: sqlite3.Connection | None
    _db_lock: threading.RLock
    _schema: str  # what the cache file is called on ``_db``: "main", or "cache" once attached

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
                for project, iid, raw, has_notes, links, awards in db.execute(
                    "SELECT project, iid, raw, notes IS NOT NULL, links, awards FROM issues"
                ):  # one row at a time: only what says which version is held, and what of it
                    key = IssueKey(str(project), int(iid))
                    if key not in candidates:
                        continue
                    listed = _readable(key, raw)
                    if listed is None:
                        self._warn(f"holds an unreadable entry for {key}; reading everything and rebuilding it")
                        return None
                    if links is not None:
                        _list(json.loads(links))
                    held = {int(n): _list(a) for n, a in _object(json.loads(awards)).items()}
                    entries[key] = _Entry(
                        _stamp(listed), _notes_count(listed), has_notes=bool(has_notes),
                        links_digest=None if links is None else _digest(str(links)), has_awards=bool(held),
                    )
                verdicts: dict[IssueKey, _Kept] = {}
                for row in db.execute(
                    "SELECT project, iid, updated_at, notes_count, links, findings, stable_after, stable_until"
                    " FROM verdicts WHERE fingerprint = ?",
                    (self.verdict_key,),
                ):
                    key = IssueKey(str(row[0]), int(row[1]))
                    if key in entries:
                        verdicts[key] = _kept_from_row(row[2:]).slim()
                listed_since, relisted_at, full_read_at = _moment(meta[2]), _moment(meta[3]), _moment(meta[4])
        except (sqlite3.Error, OSError, ValueError, TypeError, KeyError) as error:
            self._warn(f"is unreadable ({_reason(error)}); reading everything and rebuilding it")
            self._broken = True
            return None
        for key in candidates - set(entries):
            self._warn(f"lacks {key}; reading everything and rebuilding it")
            return None
        return _Loaded(listed_since, relisted_at, full_read_at, candidates, entries, verdicts)

    def _connect(self, on_file: bool) -> bool:
        """The scan's connection, with empty staging tables: on the cache file (``on_file``:
        it is read, or added to), else on a private temporary database. False: the file
        cannot be opened (it is then rebuilt, as a corrupt one is)."""
        self._close()
        try:
            self._db, self._schema = self._open(str(self.path) if on_file else ""), "main" if on_file else "cache"
        except sqlite3.Error as error:
            if not on_file:
                raise
            self._warn(f"is unreadable ({_reason(error)}); reading everything and rebuilding it")
            self._broken = True
            self._db, self._schema = self._open(""), "cache"
            return False
        return True

    @staticmethod
    def _open(target: str) -> sqlite3.Connection:
        db = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            try:
                db.executescript(_STAGING)
            except sqlite3.OperationalError:  # no temporary folder SQLite can write: the staging tables in memory
                db.executescript(_STAGING.replace("temp_store = FILE", "temp_store = MEMORY"))
        except BaseException:
            db.close()
            raise
        return db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _sql(self, statement: str, values: tuple[Any, ...] = ()) -> list[Any]:
        """One statement on the scan's connection, its rows read to the end (no read lock is
        left held on the cache file)."""
        assert self._db is not None
        with self._db_lock:
            return self._db.execute(statement.replace("{s}", self._schema), values).fetchall()

    def _commit(
        self,
        shard_key: str,
        labels: tuple[str, ...],
        moments: tuple[datetime, datetime, datetime],
        candidates: set[IssueKey],
    ) -> None:
        """Merge the scan's staging tables into the cache file in one transaction; ``moments``:
        listed since, relisted at, fully read at."""
        self._refuse_links()
        db = self._db
        assert db is not None
        try:
            with self._db_lock:
                if self._schema == "cache":  # the file made afresh, or added to the scan's connection
                    self.directory.mkdir(parents=True, exist_ok=True)
                    if self._broken:
                        for leftover in (self.path, self.path.with_name(FILE_NAME + "-journal")):
                            leftover.unlink(missing_ok=True)
                    if not any(row[1] == "cache" for row in db.execute("PRAGMA database_list")):
                        db.execute("ATTACH DATABASE ? AS cache", (str(self.path),))
                elif not self.path.exists():
                    raise OSError("the cache file is gone")
                db.executescript(_TABLES.replace("{s}", self._schema))
                db.execute("BEGIN IMMEDIATE")
                try:
                    self._merge(db, shard_key, labels, moments, candidates)
                    db.execute(f"PRAGMA {self._schema}.user_version = {FORMAT}")
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
        except (sqlite3.Error, OSError) as error:
            self._warn(f"could not be written ({_reason(error)}); the next run reads everything again")
            return
        self._broken = False
        self.saved = True

    def _merge(
        self,
        db: sqlite3.Connection,
        shard_key: str,
        labels: tuple[str, ...],
        moments: tuple[datetime, datetime, datetime],
        candidates: set[IssueKey],
    ) -> None:
        s = self._schema
        db.execute(
            f"INSERT OR REPLACE INTO {s}.meta (shard, fingerprint, labels, listed_since, relisted_at, full_read_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (shard_key, self.fingerprint, json.dumps(list(labels)), *(m.isoformat() for m in moments)),
        )
        db.execute(f"DELETE FROM {s}.candidates WHERE shard = ?", (shard_key,))
        db.executemany(
            f"INSERT INTO {s}.candidates (shard, project, iid) VALUES (?, ?, ?)",
            ((shard_key, key.project, key.iid) for key in candidates),
        )
        db.execute(_MERGE_READ.replace("{s}", s))
        db.execute(_MERGE_LISTED.replace("{s}", s))
        db.execute(
            f"DELETE FROM {s}.issues WHERE NOT EXISTS (SELECT 1 FROM {s}.candidates c"
            " WHERE c.project = issues.project AND c.iid = issues.iid)"
        )
        db.execute(
            f"DELETE FROM {s}.verdicts WHERE EXISTS (SELECT 1 FROM temp.dropped_verdicts d"
            " WHERE d.project = verdicts.project AND d.iid = verdicts.iid)"
        )
        db.execute(
            f"INSERT OR REPLACE INTO {s}.verdicts ({VERDICT_COLUMNS})"
            f" SELECT {VERDICT_COLUMNS} FROM temp.staged_verdicts ORDER BY rowid"
        )
        db.execute(  # verdicts follow their issues out
            f"DELETE FROM {s}.verdicts WHERE NOT EXISTS (SELECT 1 FROM {s}.issues i"
            " WHERE i.project = verdicts.project AND i.iid = verdicts.iid)"
        )

    def _warn(self, message: str) -> None:
        print(printable(f"inc-audit: warning: the cache {self.path} {message}"), file=sys.stderr)
