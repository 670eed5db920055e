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

The cache is written as the scan goes, and kept only when the scan completes: each
incident's listing entry, notes, links, award emoji and verdict go to SQLite as soon as they
are read or reached (``staging``: TEMP tables of the scan's connection, never the cache
file), and are merged into the cache file in one transaction once the scan is complete
(``store``); a failed read leaves the file as it was, byte for byte. Nothing is held whole:
a warm run loads each candidate's version and which of its parts are held, and the kept
verdicts' versions and deadlines; descriptions, notes, links and findings are read from
SQLite when the incident is served, and what was memoized for an incident is dropped once
the audit has judged it (``release``). A cold scan consumes the listing as a stream
(``_stream``), as far as serving has reached.

An unreadable or corrupt cache (a truncated file, an entry with a bad timestamp or the
wrong shape) is reported on stderr and read again from GitLab, never fatal; so is a folder
that is read-only or vanishes mid-run (the cache is then not written), and deleting the
folder is always safe. Shards share one cache: each keeps its own listing moment and
candidate set, and writes issue entries only where they are newer.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from inc_audit.cache.entries import (
    _UNREADABLE,
    _Entry,
    _is_candidate,
    _Kept,
    _list,
    _Loaded,
    _object,
    _reason,
    _stamp,
)
from inc_audit.cache.fingerprint import code_digest, fingerprint
from inc_audit.cache.serving import Serving
from inc_audit.cache.staging import Listing, _Feed
from inc_audit.cache.store import FILE_NAME, FORMAT
from inc_audit.findings import Finding, Timeline
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard
from inc_audit.rules import Verdict
from inc_audit.sources.entries import award_from_api, notes_from_api
from inc_audit.sources.interface import AtHand, Source
from inc_audit.sources.rest.source import GitLabSource

__all__ = [
    "FILE_NAME", "FORMAT", "FULL_READ_EVERY", "MARGIN", "RELIST_EVERY", "CachedSource", "code_digest",
    "fingerprint",
]

MARGIN = timedelta(minutes=10)
"""How far before the previous listing a warm listing starts: clock skew, slow writes."""
RELIST_EVERY = timedelta(days=1)
FULL_READ_EVERY = timedelta(days=7)

class CachedSource(Serving, Source):
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
        self._db_lock = threading.RLock()
        self._db = None
        self._schema = "main"
        self._feed = None
        self._candidates: set[IssueKey] = set()
        self._entries: dict[IssueKey, _Entry] = {}
        self._linked: dict[IssueKey, tuple[LinkedIssue, ...]] = {}  # until the incident is released
        self._verdicts: dict[IssueKey, _Kept] = {}  # the kept ones, slim (``_Kept.slim``)
        self._full: dict[IssueKey, _Kept | None] = {}  # a kept one read whole, until released
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
        full = loaded is not None and self._full_read_due(loaded, started)
        order: list[IssueKey] = []
        first: list[tuple[IssueKey, dict[str, Any]]] = []
        wave: list[IssueKey] = []
        self._reset()
        if loaded is not None and not full and not self._connect(on_file=True):
            loaded = None  # unreadable since it was loaded
        if loaded is None or full:
            self.mode = "full" if full else "cold"
            self._broken = self._broken or full  # rewritten whole: nothing of the old file is kept
            if self._db is None:
                self._connect(on_file=not self._broken and self.path.exists())
            if shard is None:
                first = self.live.take_first_page()
            taken = {key for key, _ in first}
            if first:  # candidates read before the listing is done: served while it goes on
                self._candidates = set(taken)
                self._feed = _Feed(iter(first), self._keep_listed)
                yield from self._serve_all([key for key, _ in first])
            wave, arriving = self.live.take_first_wave(taken) if shard is None else ([], iter(()))
            self._feed = None
            for key, raw in arriving:  # and the reads the listing's first pages started, as they answer
                with self._lock:
                    self._candidates.add(key)
                self._keep_listed(key, raw)
                taken.add(key)
                yield from self._serve_all([key])
            keys, listing = _stream(self.live, labels, taken | set(wave))  # and the wave's GitLab did not return
            self._candidates, order = set(keys) | taken, keys  # served in the live source's order (``key_order``)
            self._feed = _Feed(listing, self._keep_listed)
            relisted_at = full_read_at = started
        else:
            self._candidates, self._entries, self._verdicts = loaded.candidates, loaded.entries, loaded.verdicts
            relisted_at, full_read_at = loaded.relisted_at, loaded.full_read_at
            self.mode = "warm"
            if self.relist_every is not None and started - loaded.relisted_at >= self.relist_every:
                self.mode, relisted_at = "relist", started
                keys, listing = _stream(self.live, labels)
                self._candidates = set(keys)
                for key, raw in listing:
                    self._update(key, raw)
            changed = self.live.list_updated(loaded.listed_since - self.margin)
            stamps = {key: _stamp(raw) for key, raw in changed.items()}
            for key, raw in changed.items():
                if _is_candidate(raw, labels):
                    self._candidates.add(key)
                    self._update(key, raw)
                else:
                    self._candidates.discard(key)
            del changed
            with self._lock:
                self._entries = {key: self._entries[key] for key in self._candidates}
            self._forget_stale_links(stamps)
        candidates = self._candidates
        if shard:
            keys = shard.pick(candidates)
        elif self.mode in ("cold", "full"):
            keys = order  # less the first page's, served already
        else:
            keys = sorted(candidates, key=lambda k: (k.project, k.iid))
        if self.mode in ("warm", "relist"):
            entries, verdicts = self._entries, self._verdicts
            self.live.reread_awards([k for k in keys if entries[k].has_awards and k not in verdicts
                                     and entries[k].has_notes])
        if self.on_listed is not None:
            self.on_listed(len(keys) + len(first) + len(wave))
        yield from self._serve_all(keys)
        if self._feed is not None:
            self._feed.until(lambda: False)  # another shard's candidates, listed after this one's last
        self._commit(shard_key, labels, (started, relisted_at, full_read_at), candidates)

    def _reset(self) -> None:
        self._close()
        with self._lock:
            self._feed, self._entries, self._verdicts, self._candidates = None, {}, {}, set()
            self._linked, self._full, self._served, self._given = {}, {}, set(), set()

    def _full_read_due(self, loaded: _Loaded, started: datetime) -> bool:
        """Whether this run must ignore the cache: its last full read is ``full_read_every``
        old, or it holds a moment in the future (tampered, or the clock jumped)."""
        if max(loaded.listed_since, loaded.relisted_at, loaded.full_read_at) > started + self.margin:
            self._warn("holds moments in the future; reading everything again")
            return True
        return self.full_read_every is not None and started - loaded.full_read_at >= self.full_read_every

    def release(self, key: IssueKey) -> None:
        """The audit has judged ``key``: what this scan read of it is in the staging tables
        already (``_store``); the links and the kept verdict memoized for it are dropped."""
        with self._lock:
            self._linked.pop(key, None)
            self._full.pop(key, None)
        self.live.release(key)

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        entry = self._entry(key)
        with self._lock:
            built = self._linked.get(key)
        if built is not None:
            return built
        if entry is not None and entry.links_digest is not None:
            try:
                built = self.live.linked_from_raw(_list(json.loads(self._part(key, "links"))))
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
        entry = self._entry(key)
        cached = None
        if entry is not None and entry.has_awards:
            cached = _object(json.loads(self._part(key, "awards") or "{}")).get(str(note_id))
        if cached is None:
            return self.refresh_awards(key, note_id)
        try:
            awards = tuple(award_from_api(_object(raw)) for raw in _list(cached))
        except _UNREADABLE as error:
            self._warn(f"holds unreadable award emoji for {key} ({_reason(error)}); reading them again")
            return self.refresh_awards(key, note_id)
        self._count("awards from the cache")
        return awards

    def answers_at_hand(self, key: IssueKey) -> AtHand | None:
        """What the live source read of ``key`` this run (a cold run, or an incident read
        again), whose award emoji ``refresh_awards`` gives afresh; None for an incident
        served from the cache."""
        held = self.live.answers_at_hand(key)
        return replace(held, refreshes=True) if held is not None else None

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
        whole = self._whole(issue.key, kept)
        if whole is None:
            return None
        with self._lock:
            self._given.add(issue.key)
        return whole.findings

    def cached_timeline(self, issue: Issue) -> Timeline | None:
        """The milestones kept with the verdict ``cached_verdict`` gave (None: the rules run again)."""
        with self._lock:
            kept = self._kept_for(issue.key)
        whole = self._whole(issue.key, kept) if kept is not None else None
        return whole.timeline if whole is not None else None

    def cached_notes(self, issue: Issue) -> tuple[str, ...]:
        """The notes kept with the verdict ``cached_verdict`` gave."""
        with self._lock:
            kept = self._kept_for(issue.key)
        whole = self._whole(issue.key, kept) if kept is not None else None
        return whole.notes if whole is not None else ()

    def remember_verdict(self, issue: Issue, verdict: Verdict) -> None:
        """Keep ``verdict``, reached this run on ``issue`` as served, for the next runs (staged
        now, saved once the scan is complete); one that may not hold drops the kept one."""
        key = issue.key
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or not entry.has_notes:
                return  # not a candidate, or not served by this scan
            kept: _Kept | None = None
            links = []
            for linked in sorted(verdict.links, key=lambda k: (k.project, k.iid)):
                other = self._entries.get(linked)
                digest = None if other is None else other.links_digest
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
                        verdict.timeline,
                        verdict.notes,
                    )
        self._stage_verdict(key, kept)

    def summary(self) -> str:
        """One line on what the cache saved, for ``-v``."""
        served, read = self.stats["incidents from the cache"], self.stats["incidents read"]
        return (
            f"cache {self.mode}: {served} incident(s) from the cache, {read} read from GitLab;"
            f" {len(self._given)} kept verdict(s) used"
        )

    def _cached_notes(self, key: IssueKey) -> tuple[Note, ...]:
        """The notes of an issue served by ``_serve_cached``, read from the cache and decoded
        (read again if the cache's copy is unreadable), in ``issue_from_api``'s order."""
        try:
            built = notes_from_api(_list(json.loads(self._part(key, "notes") or "")))
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

    def _count(self, what: str) -> None:
        with self._lock:
            self.stats[what] += 1


def _stream(
    live: GitLabSource, labels: tuple[str, ...], taken: set[IssueKey] | None = None
) -> tuple[list[IssueKey], Listing]:
    """Every candidate's key, in (project, iid) order, and their listing entries in that
    order, as a stream: the one place a cold, full or relisting scan reads the listing.

    The keys come from the live source's cheap listing (``list_keys``), the entries from its
    reads by iid (``read_entries``: concurrent, a bounded window ahead of what is taken); a
    key GitLab no longer has when its entry is read has no entry in the stream. The keys
    ``taken`` (the live source's first page and first wave, read already) are left out of
    both.
    """
    taken = taken or set()
    keys = [key for key in live.list_keys(labels) if key not in taken]
    return keys, live.read_entries(keys, taken=taken)
