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
  links again.
- **Verdicts**: each audited incident's findings are kept with the version they were
  reached on, the links the rules read, and the deadlines between which they hold
  (``rules.Verdict``). An incident served unchanged, whose links are as they were, gets
  its kept findings back (``cached_verdict``) without parsing it or running a rule, until
  the audit moment crosses one of its deadlines (the post-mortem's grace period, IPM001,
  and its approval's, IPM003). A verdict that can change while the incident does not (an
  unapproved post-mortem: award emoji do not move ``updated_at``) is never kept. Verdicts
  are kept per fingerprint and per inc-audit code (``code_digest``).
- **Award emoji** do not move ``updated_at``. Cached ones are used only when they approve
  the post-mortem; otherwise the rules call ``refresh_awards``, one request per note and
  run, so a new approval is never missed and a compliant incident costs nothing. Before
  serving, a warm run hands the live source the incidents whose cached awards were read
  and who have no kept verdict (``reread_awards``): over GraphQL they are read again
  together, 100 to a request, and ``refresh_awards`` then finds them read.
- Once a day (``relist_every``) a warm run also lists every candidate again, as a cold run
  does, so deleted incidents leave the cache; notes are still read only where changed.
- **The cache never decides.** Once a week (``full_read_every``, the config's
  ``cache.full_read_days``) a run ignores everything the cache holds and reads every
  incident again, as a cold run does, then rewrites the cache: a stale or tampered cache
  hides a violation for a week at most. A cache whose moments lie in the future (a
  tampered cache, or a clock that jumped) gets a full read at once.

The cache is written in one transaction once the scan is complete: a failed read leaves it
as it was. An unreadable or corrupt cache (a truncated file, an entry with a bad timestamp
or the wrong shape) is reported on stderr and read again from GitLab, never fatal; so is a
folder that is read-only or vanishes mid-run (the cache is then not written), and deleting
the folder is always safe. Shards share one cache: each keeps its own listing
moment and candidate set, and writes issue entries only where they are newer.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
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
from inc_audit.errors import ConfigError, SourceError
from inc_audit.findings import Finding
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard, parse_time
from inc_audit.rules import Verdict
from inc_audit.sources.entries import assemble, award_from_api, issue_from_api, issue_type, labels_of, notes_from_api
from inc_audit.sources.interface import Source, Unreadable
from inc_audit.sources.rest import GitLabSource

FORMAT = 3  # 3: meta.full_read_at
"""The layout of the cache file; a file of another layout is rebuilt."""
FILE_NAME = "cache.sqlite3"
MARGIN = timedelta(minutes=10)
"""How far before the previous listing a warm listing starts: clock skew, slow writes."""
RELIST_EVERY = timedelta(days=1)
FULL_READ_EVERY = timedelta(days=7)

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


def fingerprint(config: Config, source_description: dict[str, Any]) -> str:
    """What a cache is valid for: inc-audit's version, the config, every schema in use (its
    bytes, the approval phrasings too) and the audited GitLab (URL and project or group, as
    ``describe()`` gives them)."""
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
    try:  # the phrasings that say what a comment must say to approve
        add("approval", (schemas.SCHEMA_DIR / "approval.json").read_bytes())
    except OSError as error:
        raise ConfigError(f"cannot read {schemas.SCHEMA_DIR / 'approval.json'}: {error.strerror}") from None
    add("source", json.dumps(source_description, sort_keys=True).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """inc-audit's own code, every module of it: verdicts reached by other code are not used,
    even under the same version number (a checkout being worked on)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    try:
        for path in sorted(package.rglob("*.py")):
            data = path.read_bytes()
            digest.update(f"{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:  # unreadable: a digest no other run shares
        return os.urandom(16).hex()
    return digest.hexdigest()


@dataclass
class _Entry:
    """One candidate: its listing entry, and what was read of it for that version."""

    raw: dict[str, Any]
    notes: str | None = None  # JSON text: held for every incident until the end of the scan
    links: list[dict[str, Any]] | None = None
    awards: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    dirty: bool = True
    links_digest: str | None = None  # of ``links`` (``_digest``), once asked for

    def digest_of_links(self) -> str | None:
        if self.links is None:
            return None
        if self.links_digest is None:
            self.links_digest = _digest(_dumps(self.links))
        return self.links_digest

    def set_links(self, links: list[dict[str, Any]] | None) -> None:
        self.links, self.links_digest = links, None

    @functools.cached_property
    def updated_at(self) -> str:
        return _stamp(self.raw)

    @functools.cached_property
    def notes_count(self) -> int:
        count = self.raw.get("user_notes_count")
        return count if isinstance(count, int) else -1

    def same_version(self, raw: dict[str, Any]) -> bool:
        return _stamp(raw) == self.updated_at and _Entry(raw).notes_count == self.notes_count


@dataclass(frozen=True)
class _Kept:
    """A verdict as kept: its findings, and what they hold for."""

    updated_at: str  # the version of the issue they were reached on (``_Entry.updated_at``)
    notes_count: int
    links: tuple[tuple[IssueKey, str], ...]  # the links the rules read, by the digest of what they read
    findings: tuple[Finding, ...]
    stable_after: datetime | None
    stable_until: datetime | None

    def holds_at(self, as_of: datetime) -> bool:
        return (self.stable_after is None or as_of > self.stable_after) and (
            self.stable_until is None or as_of <= self.stable_until
        )


@dataclass
class _Loaded:
    listed_since: datetime
    relisted_at: datetime
    full_read_at: datetime
    candidates: set[IssueKey]
    entries: dict[IssueKey, _Entry]
    verdicts: dict[IssueKey, _Kept]


class CachedSource(Source):
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
        full_read_every: timedelta | None = FULL_READ_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.live = source
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self.fingerprint = fingerprint
        self.verdict_key = hashlib.sha256(f"{fingerprint}\0{code_digest()}".encode()).hexdigest()
        """What kept verdicts are valid for: the fingerprint, and inc-audit's code."""
        self.margin = margin
        self.relist_every = relist_every
        self.full_read_every = full_read_every
        self.clock = clock
        self.prefetch: Callable[[Issue], object] | None = None
        """Run by the reader thread on each issue it has served (see ``read_ahead``)."""
        self.mode = ""
        """After a scan: "cold", "full" (the cache ignored: ``full_read_every``), "warm" or
        "relist" (warm, with every candidate listed again)."""
        self.stats: Counter[str] = Counter()
        self.saved = False
        self._lock = threading.Lock()
        self._entries: dict[IssueKey, _Entry] = {}
        self._linked: dict[IssueKey, tuple[LinkedIssue, ...]] = {}
        self._verdicts: dict[IssueKey, _Kept] = {}
        self._new_verdicts: dict[IssueKey, _Kept | None] = {}  # None: the kept one no longer holds
        self._served: set[IssueKey] = set()  # served from the cache this run, as they were
        self._given: set[IssueKey] = set()  # whose kept verdict ``cached_verdict`` gave
        self._broken = False

    # -- the Source protocol ----------------------------------------------------------------

    def describe(self) -> dict[str, str]:
        return self.live.describe()

    def unread(self) -> tuple[str, ...]:
        return self.live.unread()

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        shard_key = str(shard) if shard else "all"
        loaded = self._load(shard_key, labels)
        started = self.clock()
        verdicts: dict[IssueKey, _Kept] = {}
        full = loaded is not None and self._full_read_due(loaded, started)
        if loaded is None or full:
            self.mode = "full" if full else "cold"
            self._broken = self._broken or full  # rewritten whole: nothing of the old file is kept
            listed = self.live.list_candidates(labels)
            candidates = set(listed)
            entries = {key: _Entry(raw) for key, raw in listed.items()}
            relisted_at = full_read_at = started
        else:
            candidates, entries, verdicts = loaded.candidates, loaded.entries, loaded.verdicts
            relisted_at, full_read_at = loaded.relisted_at, loaded.full_read_at
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
            self._verdicts = verdicts
            self._new_verdicts, self._served, self._given = {}, set(), set()
        keys = shard.pick(candidates) if shard else sorted(candidates, key=lambda k: (k.project, k.iid))
        if loaded is not None:
            self.live.reread_awards([k for k in keys if entries[k].awards and k not in verdicts and entries[k].notes])
        if self.on_listed is not None:
            self.on_listed(len(keys))
        yield from self._serve_all(keys)
        self._save(shard_key, labels, (started, relisted_at, full_read_at), candidates)

    def _full_read_due(self, loaded: _Loaded, started: datetime) -> bool:
        """Whether this run must ignore the cache: its last full read is ``full_read_every``
        old, or it holds a moment in the future (tampered, or the clock jumped)."""
        if max(loaded.listed_since, loaded.relisted_at, loaded.full_read_at) > started + self.margin:
            self._warn("holds moments in the future; reading everything again")
            return True
        return self.full_read_every is not None and started - loaded.full_read_at >= self.full_read_every

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        with self._lock:
            entry = self._entries.get(key)
            cached = entry.links if entry is not None else None
            built = self._linked.get(key)
        if built is not None:
            return built
        built = None
        if cached is not None:
            try:
                built = self.live.linked_from_raw(cached)
            except _UNREADABLE as error:
                self._warn(f"holds unreadable links for {key} ({_reason(error)}); reading them again")
            else:
                self._count("links from the cache")
        if built is None:
            cached = self.live.raw_links(key)
            built = self.live.linked_from_raw(cached)  # raises Unreadable before anything is kept
            self._store(key, links=cached)
        with self._lock:
            self._linked[key] = built
        return built

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        with self._lock:
            entry = self._entries.get(key)
            cached = entry.awards.get(note_id) if entry is not None else None
        if cached is None:
            return self.refresh_awards(key, note_id)
        try:
            awards = tuple(award_from_api(_object(raw)) for raw in cached)
        except _UNREADABLE as error:
            self._warn(f"holds unreadable award emoji for {key} ({_reason(error)}); reading them again")
            return self.refresh_awards(key, note_id)
        self._count("awards from the cache")
        return awards

    def issue_summary(self, key: IssueKey) -> LinkedIssue:
        """Read live (once per run): a verdict that read one is not kept (``Verdict.settled``)."""
        return self.live.issue_summary(key)

    def refresh_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        """The note's award emoji as GitLab has them now (read at most once per run)."""
        raws = self.live.raw_awards(key, note_id)
        awards = tuple(award_from_api(raw) for raw in raws)  # raises Unreadable before anything is kept
        self._store(key, awards=(note_id, raws))
        return awards

    def cached_verdict(self, issue: Issue, as_of: datetime) -> tuple[Finding, ...] | None:
        """The findings kept for ``issue``, when they still hold, else None: the issue was
        served from the cache as it was when they were reached, the links the rules read are
        the same, and ``as_of`` lies between the same deadlines."""
        with self._lock:
            if issue.key not in self._served:
                return None
            kept = self._kept_for(issue.key)
        if kept is None or not kept.holds_at(as_of):
            return None
        with self._lock:
            self._given.add(issue.key)
        return kept.findings

    def _kept_for(self, key: IssueKey) -> _Kept | None:
        """The verdict kept for ``key`` if it was reached on the version the cache holds and
        on the links it holds now (called with the lock held)."""
        kept = self._verdicts.get(key)
        entry = self._entries.get(key)
        if kept is None or entry is None or entry.notes is None:
            return None
        if (kept.updated_at, kept.notes_count) != (entry.updated_at, entry.notes_count):
            return None
        for linked, digest in kept.links:
            other = self._entries.get(linked)
            if other is None or other.digest_of_links() != digest:
                return None
        return kept

    def remember_verdict(self, issue: Issue, verdict: Verdict) -> None:
        """Keep ``verdict``, reached this run on ``issue`` as served, for the next runs (saved
        with the rest once the scan is complete); one that may not hold drops the kept one."""
        key = issue.key
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.notes is None:
                return  # not a candidate, or not served by this scan
            kept: _Kept | None = None
            links = []
            for linked in sorted(verdict.links, key=lambda k: (k.project, k.iid)):
                other = self._entries.get(linked)
                digest = None if other is None else other.digest_of_links()
                if digest is None:
                    break  # links read live, not kept: nothing to check them against
                links.append((linked, digest))
            else:
                if verdict.settled:
                    kept = _Kept(
                        entry.updated_at,
                        entry.notes_count,
                        tuple(links),
                        verdict.findings,
                        verdict.stable_after,
                        verdict.stable_until,
                    )
            self._new_verdicts[key] = kept

    def summary(self) -> str:
        """One line on what the cache saved, for ``-v``."""
        served, read = self.stats["incidents from the cache"], self.stats["incidents read"]
        return (
            f"cache {self.mode}: {served} incident(s) from the cache, {read} read from GitLab;"
            f" {len(self._given)} kept verdict(s) used"
        )

    # -- serving -----------------------------------------------------------------------------

    def _serve_all(self, keys: list[IssueKey]) -> Iterator[Issue]:
        """Every issue of ``keys``, in order. Those whose kept verdict may hold (it was reached
        on the version and links the cache holds) are served here, without ``prefetch``: they
        need no request, and most need no rule. The others are served by reader threads."""
        with self._lock:
            inline = {key for key in keys if self._kept_for(key) is not None}
        pooled = self.live.parallel(self._serve, [key for key in keys if key not in inline])
        try:
            for key in keys:
                yield self._serve_cached(key) if key in inline else next(pooled)
        finally:
            close = getattr(pooled, "close", None)
            if close is not None:
                close()

    def _serve_cached(self, key: IssueKey) -> Issue:
        """The issue, its notes decoded only if something reads them (a kept verdict that
        holds needs none): about a fifth of a warm run's time otherwise."""
        with self._lock:
            entry = self._entries[key]
            self._served.add(key)
        self.live.project_of(entry.raw)
        self._count("incidents from the cache")
        plain = assemble(key, entry.raw, tuple)
        if plain.unreadable:
            return plain
        fields = {f.name: getattr(plain, f.name) for f in dataclasses.fields(Issue) if f.name != "notes"}
        return _LazyNotesIssue(lambda: self._cached_notes(key), **fields)

    def _cached_notes(self, key: IssueKey) -> tuple[Note, ...]:
        """The notes of an issue served by ``_serve_cached``, decoded (read again if the
        cache's copy is unreadable), in ``issue_from_api``'s order."""
        with self._lock:
            notes = self._entries[key].notes
        try:
            built = _notes(notes or "")
        except _UNREADABLE as error:
            self._warn(f"holds an unreadable entry for {key} ({_reason(error)}); reading it again")
            with self._lock:
                self._served.discard(key)
                self.stats["incidents from the cache"] -= 1
            raws = self.live.raw_notes(key)
            self._store(key, notes=json.dumps(raws, separators=(",", ":")))
            self._count("incidents read")
            built = notes_from_api(raws)
        return tuple(sorted(built, key=lambda n: (n.created_at, n.id)))

    def _serve(self, key: IssueKey) -> Issue:
        with self._lock:
            entry = self._entries[key]
            notes = entry.notes
        self.live.project_of(entry.raw)  # learns the project's id from references.full
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
            issue = assemble(key, entry.raw, lambda: notes_from_api(raws))
        else:
            kept = built
            issue = assemble(key, entry.raw, lambda: kept)
        if issue.unreadable:
            self._store(key, notes=None, forget=True)  # read again next time, never kept as it is
        elif self.prefetch is not None:
            self.prefetch(issue)
        return issue

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
                    entry.set_links(None)
                    entry.dirty = True
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
                    _dumps([_finding_row(f) for f in kept.findings]),
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
        print(f"inc-audit: warning: the cache {self.path} {message}", file=sys.stderr)


class _LazyNotesIssue(Issue):
    """An ``Issue`` whose notes are made by ``load`` when first read (once; thread-safe).

    For everything else it is the ``Issue`` it was built as; it equals only another
    ``_LazyNotesIssue`` (dataclass equality compares classes), and nothing compares issues.
    """

    def __init__(self, load: Callable[[], tuple[Note, ...]] | None = None, **fields: Any) -> None:
        object.__setattr__(self, "_load", load)  # None: the notes are in ``fields`` (``replace``)
        object.__setattr__(self, "_notes_lock", threading.Lock())
        super().__init__(**fields)

    @property
    def notes(self) -> tuple[Note, ...]:
        state = self.__dict__
        if "_notes" not in state:
            with state["_notes_lock"]:
                if "_notes" not in state:
                    state["_notes"] = tuple(state["_load"]())
        notes: tuple[Note, ...] = state["_notes"]
        return notes

    @notes.setter
    def notes(self, value: tuple[Note, ...]) -> None:
        """Only the dataclass ``__init__`` sets notes: ignored while ``load`` will make them."""
        if self.__dict__["_load"] is None:
            self.__dict__["_notes"] = tuple(value)


def _is_candidate(raw: dict[str, Any], labels: tuple[str, ...]) -> bool:
    """What a cold listing would find: one of ``labels`` (as GitLab matches them), or type Incident.

    An entry whose labels or type cannot be read is one: it is reported as unreadable."""
    try:
        return bool(set(labels_of(raw)) & set(labels)) or issue_type(raw) == "incident"
    except Unreadable:
        return True


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _digest(links_json: str) -> str:
    """An issue's links as the cache stores them (``_dumps``), as a short digest."""
    return hashlib.sha256(links_json.encode()).hexdigest()[:32]


def _finding_row(finding: Finding) -> list[Any]:
    return [finding.rule, finding.severity, finding.message, finding.section, finding.line, finding.where]


def _finding_from(row: Any) -> Finding:
    if not isinstance(row, list) or len(row) != 6:
        raise TypeError("a finding was expected")
    rule, severity, message, section, line, where = row
    if not all(isinstance(text, str) for text in (rule, severity, message, where)):
        raise TypeError("a finding was expected")
    if not (section is None or isinstance(section, str)) or not (line is None or type(line) is int):
        raise TypeError("a finding was expected")
    return Finding(rule, severity, message, section=section, line=line, where=where)


def _kept_from_row(row: tuple[Any, ...]) -> _Kept:
    updated_at, notes_count, links, findings, after, until = row
    linked = []
    for item in json.loads(links):
        if not isinstance(item, list) or len(item) != 3:
            raise TypeError("a link digest was expected")
        linked.append((IssueKey(str(item[0]), int(item[1])), str(item[2])))
    found = json.loads(findings)
    if not isinstance(found, list):
        raise TypeError("a list of findings was expected")
    return _Kept(
        updated_at=str(updated_at),
        notes_count=int(notes_count),
        links=tuple(linked),
        findings=tuple(_finding_from(item) for item in found),
        stable_after=None if after is None else _moment(after),
        stable_until=None if until is None else _moment(until),
    )


_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, SourceError)
"""What decoding a tampered or corrupt cache entry may raise."""


def _notes(text: str) -> list[Note]:
    """Cached notes (JSON text), decoded and built."""
    return notes_from_api(_list(json.loads(text)))


def _readable(key: IssueKey, text: Any) -> dict[str, Any] | None:
    """A cached listing entry, if it builds an issue (it is an object, its timestamps
    parse); else None: the entry is dropped, and read again from GitLab."""
    try:
        raw = _object(json.loads(text))
        issue_from_api(key, raw, ())
    except (ValueError, TypeError, AttributeError):
        return None
    return raw


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
