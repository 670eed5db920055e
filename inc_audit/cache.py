"""An incremental cache for live audits: the next run reads only what changed on GitLab.

``CachedSource`` wraps a ``GitLabSource`` and keeps, in ``DIRECTORY/cache.sqlite3``, what a
complete scan read: each candidate's issue entry as the listing gave it, its notes, and
its links and note award emoji where a rule asked for them, keyed by (project, iid) and
the issue's ``updated_at``.

- **Cold** (no cache, or another fingerprint: config, schemas, inc-audit version, GitLab
  URL or project/group changed): everything is listed and read, as ``GitLabSource`` does.
- **Warm**: one listing of every issue updated since the previous scan's listing began
  (less ``margin``). A candidate whose ``updated_at`` moved, or that is new, has its notes
  read again, its links and award emoji again only when asked; an issue that no longer
  carries an incident label and is not of type Incident leaves the cache; every other
  incident is served from the cache without a request. The same listing shows edited
  change tickets: incidents whose cached links show an older version of one read their
  links again. Deadlines need nothing: the rules run on every run.
- **Award emoji** do not move ``updated_at``. Cached ones are used only when they approve
  the post-mortem; otherwise the rules call ``refresh_awards``, one request per note and
  run, so a new approval is never missed and a compliant incident costs nothing.
- Once a day (``relist_every``) a warm run also lists every candidate again, as a cold run
  does, so deleted incidents leave the cache; notes are still read only where changed.

The cache is written in one transaction once the scan is complete: a failed read leaves it
as it was. An unreadable or corrupt cache is reported on stderr and rebuilt, never fatal,
and deleting the folder is always safe. Shards share one cache: each keeps its own listing
moment and candidate set, and writes issue entries only where they are newer.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from inc_audit import __version__, schemas
from inc_audit.config import Config
from inc_audit.errors import ConfigError
from inc_audit.gitlab_source import (
    GitLabSource,
    _issue_type,
    _labels,
    award_from_api,
    issue_from_api,
    notes_from_api,
)
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Shard, parse_time

FORMAT = 1
"""The layout of the cache file; a file of another layout is rebuilt."""
FILE_NAME = "cache.sqlite3"
MARGIN = timedelta(minutes=10)
"""How far before the previous listing a warm listing starts: clock skew, slow writes."""
RELIST_EVERY = timedelta(days=1)

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    shard TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, labels TEXT NOT NULL,
    listed_since TEXT NOT NULL, relisted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
    shard TEXT NOT NULL, project TEXT NOT NULL, iid INTEGER NOT NULL,
    PRIMARY KEY (shard, project, iid));
CREATE TABLE IF NOT EXISTS issues (
    project TEXT NOT NULL, iid INTEGER NOT NULL, updated_at TEXT NOT NULL,
    notes_count INTEGER NOT NULL, raw TEXT NOT NULL, notes TEXT, links TEXT,
    awards TEXT NOT NULL, PRIMARY KEY (project, iid));
"""

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


def fingerprint(config: Config, source_description: dict[str, Any]) -> str:
    """What a cache is valid for: inc-audit's version, the config, every schema in use (its
    bytes) and the audited GitLab (URL and project or group, as ``describe()`` gives them)."""
    digest = hashlib.sha256()

    def add(name: str, data: bytes) -> None:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", str(FORMAT).encode())
    add("inc-audit", __version__.encode())
    add("config", config.digest.encode())
    for kind in sorted(schemas.KINDS):
        origin = Path(config.schema(kind).origin)
        try:
            add(f"schema {kind}", origin.read_bytes())
        except OSError as error:
            raise ConfigError(f"cannot read schema {origin}: {error.strerror}") from None
    add("source", json.dumps(source_description, sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class _Entry:
    """One candidate: its listing entry, and what was read of it for that version."""

    raw: dict[str, Any]
    notes: str | None = None  # JSON text: held for every incident until the end of the scan
    links: list[dict[str, Any]] | None = None
    awards: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    dirty: bool = True

    @property
    def updated_at(self) -> str:
        return _stamp(self.raw)

    @property
    def notes_count(self) -> int:
        count = self.raw.get("user_notes_count")
        return count if isinstance(count, int) else -1

    def same_version(self, raw: dict[str, Any]) -> bool:
        return _stamp(raw) == self.updated_at and _Entry(raw).notes_count == self.notes_count


@dataclass
class _Loaded:
    listed_since: datetime
    relisted_at: datetime
    candidates: set[IssueKey]
    entries: dict[IssueKey, _Entry]


class CachedSource:
    """A ``Source`` that serves unchanged incidents of a ``GitLabSource`` from a cache.

    ``directory`` holds the cache (created when missing); ``fingerprint`` is
    ``fingerprint(config, source.describe())``: a cache made under another is not used.
    """

    def __init__(
        self,
        source: GitLabSource,
        directory: Path | str,
        fingerprint: str,
        *,
        margin: timedelta = MARGIN,
        relist_every: timedelta | None = RELIST_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.live = source
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self.fingerprint = fingerprint
        self.margin = margin
        self.relist_every = relist_every
        self.clock = clock
        self.prefetch: Callable[[Issue], object] | None = None
        """Run by the reader thread on each issue it has served (see ``read_ahead``)."""
        self.mode = ""
        """After a scan: "cold", "warm" or "relist" (warm, with every candidate listed again)."""
        self.stats: Counter[str] = Counter()
        self.saved = False
        self._lock = threading.Lock()
        self._entries: dict[IssueKey, _Entry] = {}
        self._linked: dict[IssueKey, tuple[LinkedIssue, ...]] = {}
        self._broken = False

    # -- the Source protocol ----------------------------------------------------------------

    def describe(self) -> dict[str, str]:
        return self.live.describe()

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        shard_key = str(shard) if shard else "all"
        loaded = self._load(shard_key, labels)
        started = self.clock()
        if loaded is None:
            self.mode = "cold"
            listed = self.live.list_candidates(labels)
            candidates = set(listed)
            entries = {key: _Entry(raw) for key, raw in listed.items()}
            relisted_at = started
        else:
            candidates, entries = loaded.candidates, loaded.entries
            relisted_at = loaded.relisted_at
            self.mode = "warm"
            if self.relist_every is not None and started - loaded.relisted_at >= self.relist_every:
                self.mode, relisted_at = "relist", started
                listed = self.live.list_candidates(labels)
                candidates = set(listed)
                for key, raw in listed.items():
                    self._update(entries, key, raw)
            changed = self.live.list_updated(loaded.listed_since - self.margin)
            for key, raw in changed.items():
                if _is_candidate(raw, labels):
                    candidates.add(key)
                    self._update(entries, key, raw)
                else:
                    candidates.discard(key)
            self._forget_stale_links(entries, changed)
        with self._lock:
            self._entries = {key: entries[key] for key in candidates}
        keys = shard.pick(candidates) if shard else sorted(candidates, key=lambda k: (k.project, k.iid))
        yield from self.live.parallel(self._serve, keys)
        self._save(shard_key, labels, started, relisted_at, candidates)

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        with self._lock:
            entry = self._entries.get(key)
            cached = entry.links if entry is not None else None
            built = self._linked.get(key)
        if built is not None:
            return built
        if cached is None:
            cached = self.live.raw_links(key)
            self._store(key, links=cached)
        else:
            self._count("links from the cache")
        built = self.live.linked_from_raw(cached)
        with self._lock:
            self._linked[key] = built
        return built

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        with self._lock:
            entry = self._entries.get(key)
            cached = entry.awards.get(note_id) if entry is not None else None
        if cached is None:
            return self.refresh_awards(key, note_id)
        self._count("awards from the cache")
        return tuple(award_from_api(raw) for raw in cached)

    def refresh_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        """The note's award emoji as GitLab has them now (read at most once per run)."""
        raws = self.live.raw_awards(key, note_id)
        self._store(key, awards=(note_id, raws))
        return tuple(award_from_api(raw) for raw in raws)

    def summary(self) -> str:
        """One line on what the cache saved, for ``-v``."""
        served, read = self.stats["incidents from the cache"], self.stats["incidents read"]
        return f"cache {self.mode}: {served} incident(s) from the cache, {read} read from GitLab"

    # -- serving -----------------------------------------------------------------------------

    def _serve(self, key: IssueKey) -> Issue:
        with self._lock:
            entry = self._entries[key]
            notes = entry.notes
        self.live.project_of(entry.raw)  # learns the project's id from references.full
        if notes is None:
            raws = self.live.raw_notes(key)
            self._store(key, notes=json.dumps(raws, separators=(",", ":")))
            self._count("incidents read")
        else:
            try:
                raws = _list(json.loads(notes))
            except (ValueError, TypeError) as error:
                self._warn(f"holds an unreadable entry for {key} ({_reason(error)}); reading it again")
                raws = self.live.raw_notes(key)
                self._store(key, notes=json.dumps(raws, separators=(",", ":")))
                self._count("incidents read")
            else:
                self._count("incidents from the cache")
        issue = issue_from_api(key, entry.raw, notes_from_api(raws))
        if self.prefetch is not None:
            self.prefetch(issue)
        return issue

    def _store(
        self,
        key: IssueKey,
        *,
        notes: str | None = None,
        links: list[dict[str, Any]] | None = None,
        awards: tuple[int, list[dict[str, Any]]] | None = None,
    ) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return  # not a candidate: read live, not kept
            if notes is not None:
                entry.notes = notes
            if links is not None:
                entry.links = links
            if awards is not None:
                entry.awards[awards[0]] = awards[1]
            entry.dirty = True

    def _count(self, what: str) -> None:
        with self._lock:
            self.stats[what] += 1

    def _update(self, entries: dict[IssueKey, _Entry], key: IssueKey, raw: dict[str, Any]) -> None:
        entry = entries.get(key)
        if entry is None or not entry.same_version(raw):
            if entry is None or _stamp(raw) >= entry.updated_at:
                entries[key] = _Entry(raw)

    def _forget_stale_links(self, entries: dict[IssueKey, _Entry], changed: dict[IssueKey, dict[str, Any]]) -> None:
        """Links carry the linked issues' labels and descriptions: an edited change ticket
        does not move its incident's ``updated_at``, but it is in the listing of changes."""
        if not changed:
            return
        for entry in entries.values():
            for link in entry.links or ():
                key = IssueKey(self.live.project_of(link), int(link.get("iid") or 0))
                now = changed.get(key)
                if now is not None and _stamp(now) != _stamp(link):
                    entry.links, entry.dirty = None, True
                    break

    # -- storage ---------------------------------------------------------------------------

    def _load(self, shard_key: str, labels: tuple[str, ...]) -> _Loaded | None:
        if not self.path.exists():
            return None
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as db:
                if db.execute("PRAGMA user_version").fetchone()[0] != FORMAT:
                    self._warn("was written by another version of inc-audit; rebuilding it")
                    self._broken = True
                    return None
                meta = db.execute(
                    "SELECT fingerprint, labels, listed_since, relisted_at FROM meta WHERE shard = ?",
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
                    if key in candidates:
                        entries[key] = _Entry(
                            raw=_object(json.loads(raw)),
                            notes=None if notes is None else str(notes),
                            links=_list(json.loads(links)) if links is not None else None,
                            awards={int(n): _list(a) for n, a in _object(json.loads(awards)).items()},
                            dirty=False,
                        )
                listed_since, relisted_at = _moment(meta[2]), _moment(meta[3])
        except (sqlite3.Error, OSError, ValueError, TypeError, KeyError) as error:
            self._warn(f"is unreadable ({_reason(error)}); reading everything and rebuilding it")
            self._broken = True
            return None
        for key in candidates - set(entries):
            self._warn(f"lacks {key}; reading everything and rebuilding it")
            return None
        return _Loaded(listed_since, relisted_at, candidates, entries)

    def _save(
        self,
        shard_key: str,
        labels: tuple[str, ...],
        listed_since: datetime,
        relisted_at: datetime,
        candidates: set[IssueKey],
    ) -> None:
        with self._lock:
            entries = dict(self._entries)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if self._broken:
                for leftover in (self.path, self.path.with_name(FILE_NAME + "-journal")):
                    leftover.unlink(missing_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                db.executescript(_TABLES)
                db.execute("BEGIN IMMEDIATE")
                try:
                    self._write(db, shard_key, labels, listed_since, relisted_at, candidates, entries)
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
        self._broken = False
        self.saved = True

    def _write(
        self,
        db: sqlite3.Connection,
        shard_key: str,
        labels: tuple[str, ...],
        listed_since: datetime,
        relisted_at: datetime,
        candidates: set[IssueKey],
        entries: dict[IssueKey, _Entry],
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO meta (shard, fingerprint, labels, listed_since, relisted_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (shard_key, self.fingerprint, json.dumps(list(labels)), listed_since.isoformat(), relisted_at.isoformat()),
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

    def _warn(self, message: str) -> None:
        print(f"inc-audit: warning: the cache {self.path} {message}", file=sys.stderr)


def _is_candidate(raw: dict[str, Any], labels: tuple[str, ...]) -> bool:
    """What a cold listing would find: one of ``labels`` (as GitLab matches them), or type Incident."""
    return bool(set(_labels(raw)) & set(labels)) or _issue_type(raw) == "incident"


def _stamp(raw: dict[str, Any]) -> str:
    """``updated_at``, normalised so that text order is time order."""
    try:
        moment = parse_time(raw.get("updated_at"))
    except ValueError:
        moment = None
    return moment.isoformat(timespec="microseconds") if moment else ""


def _moment(text: str) -> datetime:
    moment = parse_time(text)
    if moment is None:
        raise ValueError("no time")
    return moment


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("an object was expected")
    return value


def _list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TypeError("a list of objects was expected")
    return value


def _reason(error: BaseException) -> str:
    return str(error).splitlines()[0][:160] if str(error) else type(error).__name__
