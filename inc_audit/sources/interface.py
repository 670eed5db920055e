"""What the audit asks of a source of incidents, and the optional capabilities a source has.

A source that lacks a capability subclasses ``Source`` and inherits what a plain source
does: its awards are never stale. (Keeping verdicts between runs is the audit's
business: ``inc_audit.audit.KeepsVerdicts``.) The audit and the rules call every
method of the protocol directly; nothing is discovered with ``getattr``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Shard


class Unreadable(ValueError):
    """GitLab described an incident, or something a rule reads of it, in a shape that cannot
    be read (a field of the wrong type, a malformed timestamp). The message names the field.

    The audit reports that incident as unreadable (SRC001) and the run as incomplete. A
    ``ValueError``, so that code decoding its own stored copies (the cache) sees a bad value.
    """


@dataclass(frozen=True)
class AtHand:
    """What a source already holds of an incident for the rules, read with it: its links
    (None: not read) and the award emoji of the notes whose awards were read. ``refreshes``:
    the source's ``refresh_awards`` reads them afresh, which the ones held are (they were
    read this run); otherwise it answers None."""

    key: IssueKey
    links: tuple[LinkedIssue, ...] | None
    awards: Mapping[int, tuple[Award, ...]] = field(default_factory=dict)
    refreshes: bool = False
    complete: bool = False
    """``awards`` holds every note of the incident that has award emoji: the others have none
    (an export's, read whole)."""

    def awards_of(self, note_id: int) -> tuple[Award, ...] | None:
        """The note's award emoji as held; None when they were not read."""
        found = self.awards.get(note_id)
        return () if found is None and self.complete else found


class Source(Protocol):
    """Where incidents come from. Reads that fail raise ``SourceError``.

    ``candidate_issues`` yields every issue that carries one of the labels or
    is of type Incident, each once, ordered by project then iid (a cold GraphQL
    listing hands the incidents it read early first: ``GraphQLSource.key_order``;
    the report is sorted all the same); with a shard,
    only that shard's slice, chosen before any per-issue read. The other calls
    are asked only when a rule needs their answer, so a source may fetch them
    lazily. An issue whose data cannot be read is yielded with ``unreadable`` set;
    ``linked_issues`` and the award calls raise ``Unreadable`` for data of the wrong shape.
    """

    def describe(self) -> dict[str, str]:
        """What was audited, for the report: {"kind": "export", "path": ...}."""
        ...

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]: ...

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]: ...

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]: ...

    def issue_summary(self, key: IssueKey) -> LinkedIssue:
        """One issue by key, as a ``LinkedIssue``: one the audit was not handed, such as a
        change ticket that mentions an incident. An issue that cannot be read (another
        project, no access, deleted) comes back with ``unreadable`` set, never an error."""
        ...

    # -- optional capabilities: what a source without them does --------------------------

    # Told how many issues ``candidate_issues`` is about to yield, once it knows (a progress
    # bar shows done/total); a source that never knows leaves it uncalled.
    on_listed: Callable[[int], None] | None = None


    def refresh_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...] | None:
        """The note's award emoji read afresh, or None when ``note_awards`` is never stale.

        Award emoji do not move an issue's ``updated_at``, so a cache cannot tell when they
        changed. When the awards ``note_awards`` gave leave a post-mortem unapproved, the
        rules call ``refresh_awards``, which a cache reads from GitLab (at most once per note
        per run).
        """
        return None

    def answers_at_hand(self, key: IssueKey) -> AtHand | None:
        """What the source holds already of the incident ``key`` for the rules, without a
        request (a second process judges with it: ``inc_audit.judging``); None when it holds
        nothing or cannot say."""
        return None

    def release(self, key: IssueKey) -> None:
        """Called by the audit once it has judged the incident ``key`` (or passed over it):
        the source may drop what it memoized for it. A later call about it may read again."""
        return None

    def unread(self) -> tuple[str, ...]:
        """What the scan could not read that belongs to no incident it could name (a listing
        entry without an issue number), one line each. Anything here makes the audit
        incomplete."""
        return ()


class RefreshesAwards(Protocol):
    """A source whose ``note_awards`` may be stale (see ``Source.refresh_awards``)."""

    def refresh_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...] | None: ...


class ReadsAhead(Source, Protocol):
    """A source with reader threads that run ``prefetch`` on each issue they have read."""

    prefetch: Callable[[Issue], object] | None
