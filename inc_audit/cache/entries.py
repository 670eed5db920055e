"""What the incremental cache holds of one incident, and how a stored row is decoded.

``_Entry`` is one candidate as a scan knows it (its version, and which of its parts are held),
``_Kept`` one kept verdict, ``_Loaded`` what a cache file held for one shard. The helpers decode
stored JSON and raise on a tampered or corrupt entry (``_UNREADABLE``), for the cache to read it again from GitLab.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inc_audit.errors import SourceError
from inc_audit.findings import Finding, Timeline
from inc_audit.model import Issue, IssueKey, Note, parse_time
from inc_audit.sources.entries import issue_from_api, issue_type, labels_of
from inc_audit.sources.interface import Unreadable


@dataclass(slots=True)  # slots: a warm run keeps one a candidate
class _Entry:
    """One candidate as a scan knows it: its version, and what the cache holds of it. The
    parts themselves (its listing entry, notes, links, award emoji) stay in SQLite, read
    when asked: in this scan's staging table once it is ``staged``, else in the cache file."""

    updated_at: str
    notes_count: int
    has_notes: bool = False  # its notes are held for this version
    links_digest: str | None = None  # of the links held (``_digest``); None: none held
    has_awards: bool = False
    staged: bool = False

    @classmethod
    def listed(cls, raw: dict[str, Any]) -> _Entry:
        """A version only listed so far: nothing read of it."""
        return cls(_stamp(raw), _notes_count(raw), staged=True)

    def same_version(self, raw: dict[str, Any]) -> bool:
        return _stamp(raw) == self.updated_at and _notes_count(raw) == self.notes_count


def _notes_count(raw: dict[str, Any]) -> int:
    count = raw.get("user_notes_count")
    return count if isinstance(count, int) else -1


@dataclass(frozen=True, slots=True)
class _Kept:
    """A verdict as kept: its findings, and what they hold for."""

    updated_at: str  # the version of the issue they were reached on (``_Entry.updated_at``)
    notes_count: int
    links: tuple[tuple[IssueKey, str], ...]  # the links the rules read, by the digest of what they read
    findings: tuple[Finding, ...]
    stable_after: datetime | None
    stable_until: datetime | None
    timeline: Timeline | None = None
    notes: tuple[str, ...] = ()  # sections recognised by their text (``Verdict.notes``)
    full: bool = True  # False: findings, milestones and notes left in the file (``slim``)

    def slim(self) -> _Kept:
        """What says whether it holds; the findings, milestones and notes are read when used."""
        return dataclasses.replace(self, findings=(), timeline=None, notes=(), full=False)

    def same_as(self, other: _Kept) -> bool:
        """Reached on the same version, links and deadlines as ``other``."""
        mine = (self.updated_at, self.notes_count, self.links, self.stable_after, self.stable_until)
        return mine == (other.updated_at, other.notes_count, other.links, other.stable_after, other.stable_until)

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


def timeline_row(timeline: Timeline | None, notes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The milestones and the notes, kept after a verdict's findings as one mapping (a verdict
    without milestones is never used again: the rules run, and make its notes afresh)."""
    if timeline is None:
        return []
    moments = (timeline.filed, timeline.closed, timeline.post_mortem, timeline.approved)
    row: dict[str, Any] = {"timeline": [None if m is None else m.isoformat() for m in moments]}
    if notes:
        row["notes"] = list(notes)
    return [row]


def notes_from(row: dict[str, Any]) -> tuple[str, ...]:
    notes = row.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise TypeError("notes were expected")
    return tuple(notes)


def timeline_from(row: dict[str, Any]) -> Timeline:
    moments = row.get("timeline")
    if not isinstance(moments, list) or len(moments) != 4 or moments[0] is None:
        raise TypeError("milestones were expected")
    filed, closed, post_mortem, approved = (None if m is None else _moment(str(m)) for m in moments)
    assert filed is not None
    return Timeline(filed, closed, post_mortem, approved)


def _finding_row(finding: Finding) -> list[Any]:
    return [finding.rule, finding.severity, finding.message, finding.section, finding.line, finding.where,
            list(finding.quoted)]


def _finding_from(row: Any) -> Finding:
    """A finding as kept; a row without what it quotes (an older cache) is no finding."""
    if not isinstance(row, list) or len(row) != 7:
        raise TypeError("a finding was expected")
    rule, severity, message, section, line, where, quoted = row
    if not all(isinstance(text, str) for text in (rule, severity, message, where)):
        raise TypeError("a finding was expected")
    if not isinstance(quoted, list) or not all(isinstance(part, str) for part in quoted):
        raise TypeError("a finding was expected")
    if not (section is None or isinstance(section, str)) or not (line is None or type(line) is int):
        raise TypeError("a finding was expected")
    return Finding(rule, severity, message, section=section, line=line, where=where, quoted=tuple(quoted))


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
    last = found.pop() if found and isinstance(found[-1], dict) else None
    milestones = timeline_from(last) if last is not None else None
    notes = notes_from(last) if last is not None else ()
    return _Kept(
        updated_at=str(updated_at),
        notes_count=int(notes_count),
        links=tuple(linked),
        findings=tuple(_finding_from(item) for item in found),
        stable_after=None if after is None else _moment(after),
        stable_until=None if until is None else _moment(until),
        timeline=milestones,
        notes=notes,
    )


_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, SourceError)
"""What decoding a tampered or corrupt cache entry may raise."""


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
