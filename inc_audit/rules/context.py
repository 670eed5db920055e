"""One incident as the rules see it, with what they ask of it worked out once, on demand.

Each rule reads an incident through a ``Context`` that parses and fetches lazily, so a rule
that does not apply costs nothing, and no request is made for data that no rule needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from functools import cached_property

from inc_audit.config.file import Config
from inc_audit.findings import Finding
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note
from inc_audit.reading import validity
from inc_audit.reading.markdown import Document, parse
from inc_audit.reading.schemas import DocumentSchema
from inc_audit.reading.validity import Problem
from inc_audit.rules import approval, postmortem, standing
from inc_audit.rules import changes as change_rules
from inc_audit.rules.reading import Reading, read
from inc_audit.rules.registry import RULES, Verdict, has_any, is_own_issue
from inc_audit.sources.interface import Source

INC_AUDIT_MARKER = "<!-- inc-audit:"
"""What starts each marker inc-audit writes (the audit issue's, the meeting issue's)."""


class Context:
    """One incident, with what the rules ask of it worked out once, on demand."""

    def __init__(self, issue: Issue, config: Config, source: Source, as_of: datetime) -> None:
        # inc-audit's own comments are never evidence: all of a bot token's user's, and the
        # comment on the incident (``Config.is_bot_comment``: the bot user's, with its marker).
        bot = config.own_user.lower()
        notes = tuple(
            note
            for note in issue.notes
            if not (bot and note.author.lower() == bot) and not config.is_bot_comment(note.body, note.author)
        )
        if len(notes) != len(issue.notes):
            issue = replace(issue, notes=notes)
        self.issue = issue
        self.config = config
        self.source = source
        self._as_of = as_of
        self.deadlines: list[datetime] = []
        """Every deadline ``passed`` was asked about."""
        self.unsettled = False
        """True once the findings may change with nothing but time, award emoji or another
        issue: ``as_of`` read other than through ``passed``, approvals that fall short, or an
        issue read because it mentions this one."""
        self.linked_read: set[IssueKey] = set()
        """Whose links the rules read (``linked_of``)."""
        self.steps: dict[int, list[standing.Step]] = {}
        """The approvals and retractions ``approvals`` last read, by the post-mortem comment's ``id``."""
        self._approves: dict[int, Reading] = {}
        """How each comment read so far reads as an approval, by the comment's ``id``."""

    @property
    def as_of(self) -> datetime:
        self.unsettled = True
        return self._as_of

    def passed(self, deadline: datetime) -> bool:
        """Whether the audit moment is past ``deadline``: how rules should ask about time."""
        self.deadlines.append(deadline)
        return self._as_of > deadline

    def linked_of(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        """The issues linked to ``key``, but never one of inc-audit's own (``Config.own_issues``)."""
        self.linked_read.add(key)
        return tuple(linked for linked in self.source.linked_issues(key) if not self.is_own(linked.key))

    def is_own(self, key: IssueKey) -> bool:
        """Whether ``key`` is one of inc-audit's own issues: never a change, an incident or evidence."""
        return is_own_issue(key, self.config)

    def verdict(self, findings: tuple[Finding, ...]) -> Verdict:
        past = [d for d in self.deadlines if self._as_of > d]
        ahead = [d for d in self.deadlines if self._as_of <= d]
        return Verdict(
            findings,
            stable_after=max(past, default=None),
            stable_until=min(ahead, default=None),
            settled=not self.unsettled,
            links=frozenset(self.linked_read),
            notes=self.notes(),
        )

    def notes(self) -> tuple[str, ...]:
        """What a reviewer should know that is no finding, from the reading the rules did: the
        sections of the report, then of the final post-mortem, recognised by their text rather
        than their heading (``validity.notes``). Nothing is read for them that the rules did not."""
        found: list[str] = []
        if "report_problems" in self.__dict__:
            found += [f"Incident Report: {why}" for why in validity.notes(self.report_schema, self.report_document)]
        final = self.__dict__.get("final_post_mortem")
        if final is not None and not self.config.is_ignored("IPM002"):
            note, document = final
            reasons = validity.notes(self.post_mortem_schema, document)
            found += [f"post-mortem (note {note.id}): {why}" for why in reasons]
        return tuple(found)

    def finding(self, code: str, message: str, **where: object) -> Finding:
        return Finding.said(code, RULES[code].severity, message, **where)

    # --- the incident report ---------------------------------------------------------------

    @cached_property
    def report_schema(self) -> DocumentSchema:
        return self.config.schema("report")

    @cached_property
    def report_document(self) -> Document:
        return parse(self.issue.description)

    @cached_property
    def report_problems(self) -> list[Problem]:
        return validity.problems(self.report_schema, self.report_document)

    @cached_property
    def has_incident_label(self) -> bool:
        return has_any(self.issue.labels, self.config.incident_labels)

    @cached_property
    def is_known_incident(self) -> bool:
        return has_any(self.issue.labels, self.config.known_labels)

    @cached_property
    def overdue(self) -> bool:
        """Closed longer ago than the post-mortem's grace period."""
        closed = self.issue.closed_at
        return bool(self.issue.is_closed and closed and self.passed(self.due_after(closed)))

    def due_after(self, start: datetime) -> datetime:
        """``post_mortem.due_days`` after ``start``, in the team's calendar (business days with one)."""
        return self.config.calendar.add(start, self.config.due_days)

    # --- the post-mortem -------------------------------------------------------------------

    @cached_property
    def post_mortem_schema(self) -> DocumentSchema:
        return self.config.schema("post-mortem")

    @cached_property
    def team(self) -> frozenset[str]:
        """The incident team, in lower case: the roles' members, the incident's author and assignees."""
        members = {m for role in self.config.roles.values() for m in (role.primary, *role.backups)}
        return frozenset(name.lower() for name in (*members, self.issue.author, *self.issue.assignees))

    @cached_property
    def _spellings(self) -> dict[str, str]:
        members = {m for role in self.config.roles.values() for m in (role.primary, *role.backups)}
        return {m.lower(): m for m in members}

    def who(self, username: str) -> str:
        """A GitLab username as the configuration spells it (GitLab ignores case in usernames)."""
        return self._spellings.get(username.lower(), username)

    @cached_property
    def comments(self) -> tuple[Note, ...]:
        """The incident's comments but the audit bot's own (``Config.is_bot_comment``): the
        bot's comment never counts as a post-mortem or an approval."""
        return tuple(note for note in self.issue.notes if not self.config.is_bot_comment(note.body, note.author))

    @cached_property
    def candidates(self) -> list[postmortem.Candidate]:
        """Every comment that reads as a post-mortem, oldest first."""
        return postmortem.candidates(self.comments, self.post_mortem_schema, self.team)

    @cached_property
    def post_mortems(self) -> list[tuple[Note, postmortem.Document]]:
        return [(c.note, c.document) for c in self.candidates]

    @cached_property
    def final_post_mortem(self) -> tuple[Note, postmortem.Document] | None:
        """The final report: the most answered post-mortem (the last of equals), the team's first."""
        final = postmortem.final(self.candidates)
        return (final.note, final.document) if final is not None else None

    @cached_property
    def unreadable_post_mortems(self) -> list[postmortem.NearMiss]:
        """Comments that look like a post-mortem but cannot be read as one (when none can)."""
        if self.final_post_mortem is not None:
            return []
        return postmortem.near_misses(self.comments, self.post_mortem_schema, self.team)

    # --- changes ---------------------------------------------------------------------------

    @cached_property
    def links(self) -> tuple[LinkedIssue, ...]:
        return self.linked_of(self.issue.key)

    def is_change(self, linked: LinkedIssue) -> bool:
        if linked.unreadable or self.written_by_inc_audit(linked):
            return False
        return change_rules.is_change(linked.labels, linked.issue_type, self.config)

    def is_incident(self, linked: LinkedIssue) -> bool:
        if self.written_by_inc_audit(linked):
            return False
        return linked.issue_type == "incident" or has_any(linked.labels, self.config.incident_labels)

    def written_by_inc_audit(self, linked: LinkedIssue) -> bool:
        """One of inc-audit's own issues, by its author (``is_own``) or, where no author is
        known (an export), by an inc-audit marker: never evidence. A marker copied into a
        real change only makes the audit stricter, never quieter."""
        return self.is_own(linked.key) or INC_AUDIT_MARKER in linked.description

    @cached_property
    def changes(self) -> tuple[LinkedIssue, ...]:
        return tuple(linked for linked in self.links if self.is_change(linked))

    @cached_property
    def unreadable_links(self) -> tuple[LinkedIssue, ...]:
        return tuple(linked for linked in self.links if linked.unreadable)

    @cached_property
    def mentioned_changes(self) -> tuple[LinkedIssue, ...]:
        """Change tickets that are not linked but mention the incident ("mentioned in issue #12")."""
        if self.changes or self.reuses_change:
            return ()
        linked = {linked.key for linked in self.links}
        found = []
        for key in self.mentions:
            if key in linked or key == self.issue.key:
                continue
            self.unsettled = True  # the other issue may change without this one changing
            summary = self.source.issue_summary(key)
            if self.is_change(summary):
                found.append(summary)
        return tuple(found)

    @cached_property
    def reuses_change(self) -> bool:
        """A known incident that links an earlier incident with a change: it reuses that change."""
        if not self.is_known_incident:
            return False
        for linked in self.links:
            if self.is_incident(linked) and linked.key != self.issue.key:
                if any(self.is_change(other) for other in self.linked_of(linked.key)):
                    return True
        return False

    @cached_property
    def mentions(self) -> tuple[IssueKey, ...]:
        """The issues that mention the incident (GitLab's "mentioned in issue" notes)."""
        found = change_rules.mentioned_in(self.issue.notes, self.issue.key.project)
        return tuple(key for key in found if not self.is_own(key))

    # --- approvals -------------------------------------------------------------------------

    @cached_property
    def approving_comments(self) -> tuple[Note, ...]:
        """Every comment whose words approve, for its writer (``reading.read``)."""
        return tuple(note for note in self.comments if self.approves(note))

    def approving_after(self, moment: datetime) -> list[Note]:
        """The approving comments posted after ``moment``: only those comments are read."""
        return [note for note in self.comments if note.created_at > moment and self.approves(note)]

    def approves(self, note: Note) -> bool:
        """Whether the comment ``note`` approves, for its writer; each comment is read once."""
        return self.reading(note).approves

    def reading(self, note: Note) -> Reading:
        """How the comment ``note`` reads as an approval, for its writer (``reading.read``)."""
        found = self._approves.get(id(note))
        if found is None:
            found = Reading(False, "written by GitLab") if note.system else read(
                note.body, note.author, self.team, incident=self.issue.key.iid
            )
            self._approves[id(note)] = found
        return found

    def approval_steps(self, note: Note, awards: Iterable[Award] = ()) -> list[standing.Step]:
        """Each approval and retraction after the post-mortem ``note``, with ``awards`` on it."""
        later = [c for c in self.issue.notes if c.created_at > note.created_at and not c.system]
        given = self.approval_emoji(note, awards)
        return standing.steps(later, given, note.created_at, self.reading, self.who)

    def approvals(self, note: Note) -> set[str]:
        """Who approved the post-mortem ``note``, by a later approving comment or by emoji.

        Comments come first: award emoji are read only when the comments alone fall short,
        and read afresh (``refresh_awards``: a cache's award emoji may be stale) only when the
        emoji it gave still fall short.
        """
        author = self.who(note.author)
        steps = self.steps[note.id] = self.approval_steps(note)
        people = standing.standing(steps) - {author}
        if approval.gap(people, self.config) is None:
            return people
        ids = (*note.parts, note.id)  # a post-mortem split over comments has an award on any part
        awards = [a for part in ids for a in self.source.note_awards(self.issue.key, part)]
        steps = self.steps[note.id] = self.approval_steps(note, awards)
        approved = standing.standing(steps)
        fresh: list[Award] | None = None
        if approval.gap(approved - {author}, self.config) is not None:
            read = {part: self.source.refresh_awards(self.issue.key, part) for part in ids}
            if any(got is not None for got in read.values()):
                fresh = [
                    a
                    for part, got in read.items()
                    for a in (got if got is not None else self.source.note_awards(self.issue.key, part))
                ]
        if fresh is not None:
            steps = self.steps[note.id] = self.approval_steps(note, fresh)
            approved = standing.standing(steps)
        if approval.gap(approved - {author}, self.config) is not None:
            self.unsettled = True  # an award emoji may settle it without touching the issue
        return approved - {author}

    def emoji_approvers(self, note: Note, awards: Iterable[Award]) -> set[str]:
        return {self.who(a.username) for a in self.approval_emoji(note, awards)}

    def approval_emoji(self, note: Note, awards: Iterable[Award]) -> list[Award]:
        emoji = {name.lower() for name in self.config.approval_emoji}
        return [
            a
            for a in awards
            if a.name.lower() in emoji and (a.created_at is None or a.created_at >= note.created_at)
        ]

    def why_unapproved(self, note: Note) -> str | None:
        """Why the post-mortem ``note`` is not approved (each reason, named), or None when it is."""
        return approval.why_unapproved(self, note)
