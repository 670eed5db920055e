"""The policy's checkable clauses, one registered rule each, with stable codes.

Each rule reads an incident through a ``Context`` that parses and fetches
lazily, so a rule that does not apply costs nothing, and no request is made
for data that no rule needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from inc_audit.config import Config
from inc_audit.findings import Finding
from inc_audit.markdown import Document, parse
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note
from inc_audit.schemas import DocumentSchema, Problem
from inc_audit.sources.interface import Source

Check = Callable[["Context"], Iterable[Finding]]

_APPROVED = re.compile(r"^[\s>*_~`#]*approved\b", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    summary: str
    check: Check | None
    scope: str = "incident"  # "incident", or "template" for the merge-request gate

    def run(self, context: Context) -> Iterator[Finding]:
        if self.check is not None:
            yield from self.check(context)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, summary: str, scope: str = "incident") -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES[code] = Rule(code, severity, summary, check, scope)
        return check

    return register


def _has_any(labels: Iterable[str], wanted: Iterable[str]) -> bool:
    return bool({label.lower() for label in labels} & {w.lower() for w in wanted})


@dataclass(frozen=True)
class Verdict:
    """An incident's findings, and for which audit moments they hold while its data stays as it is.

    The rules compare the audit moment only with deadlines (``Context.passed``), so the
    findings are the same for every ``as_of`` in ``stable_after < as_of <= stable_until``
    (``None``: unbounded). ``settled`` is False when they may change while the incident does
    not: a post-mortem the approvals fall short for (IPM003), since award emoji do not move
    ``updated_at``, or a rule that read the audit moment other than through a deadline.
    ``links`` are the issues whose links the rules read.
    """

    findings: tuple[Finding, ...]
    stable_after: datetime | None = None
    stable_until: datetime | None = None
    settled: bool = True
    links: frozenset[IssueKey] = frozenset()

    def holds_at(self, as_of: datetime) -> bool:
        return (self.stable_after is None or as_of > self.stable_after) and (
            self.stable_until is None or as_of <= self.stable_until
        )


class Context:
    """One incident, with what the rules ask of it worked out once, on demand."""

    def __init__(self, issue: Issue, config: Config, source: Source, as_of: datetime) -> None:
        self.issue = issue
        self.config = config
        self.source = source
        self._as_of = as_of
        self.deadlines: list[datetime] = []
        """Every deadline ``passed`` was asked about."""
        self.unsettled = False
        """True once the findings may change with nothing but time or award emoji: ``as_of``
        read other than through ``passed``, or approvals that fall short."""
        self.linked_read: set[IssueKey] = set()
        """Whose links the rules read (``linked_of``)."""

    @property
    def as_of(self) -> datetime:
        self.unsettled = True
        return self._as_of

    def passed(self, deadline: datetime) -> bool:
        """Whether the audit moment is past ``deadline``: how rules should ask about time."""
        self.deadlines.append(deadline)
        return self._as_of > deadline

    def linked_of(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        self.linked_read.add(key)
        return self.source.linked_issues(key)

    def verdict(self, findings: tuple[Finding, ...]) -> Verdict:
        past = [d for d in self.deadlines if self._as_of > d]
        ahead = [d for d in self.deadlines if self._as_of <= d]
        return Verdict(
            findings,
            stable_after=max(past, default=None),
            stable_until=min(ahead, default=None),
            settled=not self.unsettled,
            links=frozenset(self.linked_read),
        )

    def finding(self, code: str, message: str, **where: object) -> Finding:
        return Finding(code, RULES[code].severity, message, **where)  # type: ignore[arg-type]

    @cached_property
    def report_schema(self) -> DocumentSchema:
        return self.config.schema("report")

    @cached_property
    def post_mortem_schema(self) -> DocumentSchema:
        return self.config.schema("post-mortem")

    @cached_property
    def report_problems(self) -> list[Problem]:
        return self.report_schema.problems(parse(self.issue.description))

    @cached_property
    def has_incident_label(self) -> bool:
        return _has_any(self.issue.labels, self.config.incident_labels)

    @cached_property
    def is_known_incident(self) -> bool:
        return _has_any(self.issue.labels, self.config.known_labels)

    @cached_property
    def overdue(self) -> bool:
        """Closed longer ago than the post-mortem's grace period."""
        closed = self.issue.closed_at
        return bool(self.issue.is_closed and closed and self.passed(self.due_after(closed)))

    def due_after(self, start: datetime) -> datetime:
        """``post_mortem.due_days`` after ``start``, in the team's calendar (business days with one)."""
        return self.config.calendar.add(start, self.config.due_days)

    @cached_property
    def post_mortems(self) -> list[tuple[Note, Document]]:
        """Every comment that reads as a post-mortem, oldest first."""
        found = []
        for note in self.issue.notes:
            if note.system or not self.post_mortem_schema.could_match(note.body):
                continue
            document = parse(note.body)
            if self.post_mortem_schema.matches(document):
                found.append((note, document))
        return found

    @cached_property
    def final_post_mortem(self) -> tuple[Note, Document] | None:
        return self.post_mortems[-1] if self.post_mortems else None

    @cached_property
    def links(self) -> tuple[LinkedIssue, ...]:
        return self.linked_of(self.issue.key)

    def is_change(self, linked: LinkedIssue) -> bool:
        return is_change(linked.labels, linked.issue_type, self.config)

    def is_incident(self, linked: LinkedIssue) -> bool:
        return linked.issue_type == "incident" or _has_any(linked.labels, self.config.incident_labels)

    @cached_property
    def changes(self) -> tuple[LinkedIssue, ...]:
        return tuple(linked for linked in self.links if self.is_change(linked))

    def approvals(self, note: Note) -> set[str]:
        """Who approved the post-mortem ``note``, by a later "Approved" comment or by emoji.

        Comments come first: award emoji are read only when the comments alone fall short,
        and read afresh (``refresh_awards``: a cache's award emoji may be stale) only when the
        emoji it gave still fall short.
        """
        people = {
            later.author
            for later in self.issue.notes
            if not later.system and later.created_at > note.created_at and _APPROVED.match(later.body)
        }
        people.discard(note.author)
        if approval_gap(people, self.config) is None:
            return people
        approved = people | self._emoji_approvers(note, self.source.note_awards(self.issue.key, note.id))
        fresh = None
        if approval_gap(approved - {note.author}, self.config) is not None:
            fresh = self.source.refresh_awards(self.issue.key, note.id)
        if fresh is not None:
            approved = people | self._emoji_approvers(note, fresh)
        if approval_gap(approved - {note.author}, self.config) is not None:
            self.unsettled = True  # an award emoji may settle it without touching the issue
        return approved - {note.author}

    def _emoji_approvers(self, note: Note, awards: tuple[Award, ...]) -> set[str]:
        emoji = {name.lower() for name in self.config.approval_emoji}
        return {
            a.username
            for a in awards
            if a.name.lower() in emoji and (a.created_at is None or a.created_at >= note.created_at)
        }


def is_change(labels: Iterable[str], issue_type: str, config: Config) -> bool:
    """A change ticket: a change label on an issue that is not itself an incident.

    The real incident template puts ``Change::Emergency`` on incidents too.
    """
    labels = tuple(labels)
    return (
        _has_any(labels, config.change_labels)
        and issue_type != "incident"
        and not _has_any(labels, config.incident_labels)
    )


def approval_gap(approvers: set[str], config: Config) -> str | None:
    """Why the approvals fall short of the policy, or None when they suffice."""
    roles = config.roles
    if not roles:
        return None if approvers else "no one but its author approved it"
    primaries = {role.primary: name for name, role in roles.items()}
    for name in config.approvers:
        role = roles[name]
        if role.primary in approvers:
            return None
        for backup in role.backups:
            if backup not in approvers:
                continue
            other = primaries.get(backup)
            if other is None or other == name:
                return None
            consulted = set(roles[other].backups) & approvers
            if consulted:
                return None
            return (
                f"only {backup} approved, as {name.replace('_', ' ')} backup while also "
                f"{other.replace('_', ' ')}: a {other.replace('_', ' ')} backup "
                f"({', '.join(roles[other].backups) or 'none configured'}) must approve as well"
            )
    members = sorted({m for n in config.approvers for m in (roles[n].primary, *roles[n].backups)})
    return f"no approval from {' or '.join(members) or 'an approver'}"


@rule("INC001", "error", "A required Incident Report section is missing")
def missing_report_section(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.report_problems:
        if problem.kind == "missing" and problem.part.group == "sections":
            yield ctx.finding("INC001", f"Incident Report: {problem.message}", section=problem.part.name)


@rule("INC002", "error", "A required Incident Report section is empty or holds only template text")
def empty_report_section(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.report_problems:
        if problem.kind in ("empty", "invalid") and problem.part.group == "sections":
            yield ctx.finding(
                "INC002", f"Incident Report: {problem.message}", section=problem.part.name, line=problem.line
            )


@rule("INC003", "warning", "An issue carries an incident label but its type is not Incident")
def label_without_type(ctx: Context) -> Iterator[Finding]:
    if ctx.has_incident_label and ctx.issue.issue_type != "incident":
        yield ctx.finding(
            "INC003", f"labelled as an incident but its type is '{ctx.issue.issue_type}': set the type to Incident"
        )


@rule("INC004", "warning", "An issue of type Incident carries no incident label")
def type_without_label(ctx: Context) -> Iterator[Finding]:
    if ctx.issue.issue_type == "incident" and not ctx.has_incident_label:
        labels = " or ".join(f"~{label}" for label in ctx.config.incident_labels)
        yield ctx.finding("INC004", f"of type Incident but has no incident label: add {labels}")


@rule("INC005", "warning", "A closed incident has an unticked box in an all-required checklist")
def unticked_checklist(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed:
        return
    for problem in ctx.report_problems:
        if problem.kind == "unticked":
            yield ctx.finding("INC005", f"closed while {problem.message}", section=problem.part.name, line=problem.line)


@rule("CHG001", "error", "A closed incident has no linked change")
def no_linked_change(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed or ctx.changes:
        return
    if ctx.is_known_incident and _earlier_incident_with_change(ctx):
        return
    labels = " or ".join(f"~{label}" for label in ctx.config.change_labels)
    message = f"closed with no linked change: link the emergency change ({labels})"
    if ctx.is_known_incident:
        message += " or the earlier incident whose change it reuses"
    yield ctx.finding("CHG001", message)


def _earlier_incident_with_change(ctx: Context) -> bool:
    for linked in ctx.links:
        if ctx.is_incident(linked) and linked.key.iid != ctx.issue.iid:
            if any(ctx.is_change(other) for other in ctx.linked_of(linked.key)):
                return True
    return False


@rule("CHG002", "warning", "A linked change lacks a required section or leaves it empty")
def incomplete_change(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed:
        return
    schema = ctx.config.schema("change")
    for change in ctx.changes:
        for problem in schema.check_text(change.description):
            yield ctx.finding(
                "CHG002",
                f"linked change #{change.key.iid}: {problem.message}",
                section=problem.part.name,
                where=f"linked #{change.key.iid}",
            )


@rule("IPM001", "error", "A closed incident has no post-mortem comment after the grace period")
def missing_post_mortem(ctx: Context) -> Iterator[Finding]:
    if ctx.final_post_mortem is None and ctx.overdue:  # a post-mortem makes the deadline moot
        closed = ctx.issue.closed_at
        assert closed is not None
        due = ctx.config.calendar.local_date(ctx.due_after(closed)).isoformat()
        yield ctx.finding("IPM001", f"no post-mortem comment; it was due by {due}")


@rule("IPM002", "error", "The post-mortem lacks a required section or leaves it empty")
def incomplete_post_mortem(ctx: Context) -> Iterator[Finding]:
    if ctx.final_post_mortem is None:
        return
    note, document = ctx.final_post_mortem
    for problem in ctx.post_mortem_schema.problems(document):
        if problem.part.group == "sections":
            yield ctx.finding(
                "IPM002",
                f"post-mortem: {problem.message}",
                section=problem.part.name,
                line=problem.line,
                where=f"note {note.id}",
            )


@rule("IPM003", "error", "The post-mortem is not approved")
def unapproved_post_mortem(ctx: Context) -> Iterator[Finding]:
    if ctx.final_post_mortem is None:
        return
    note, _ = ctx.final_post_mortem
    started = max(filter(None, (ctx.issue.closed_at, note.created_at)))
    if not ctx.passed(ctx.due_after(started)):
        return
    gap = approval_gap(ctx.approvals(note), ctx.config)
    if gap:
        yield ctx.finding("IPM003", f"post-mortem not approved: {gap}", where=f"note {note.id}")


def judge(issue: Issue, config: Config, source: Source, as_of: datetime) -> Verdict:
    """Every incident rule's findings on ``issue``, with how long they hold (``Verdict``)."""
    context = Context(issue, config, source, as_of)
    findings: list[Finding] = []
    for code, registered in RULES.items():
        if registered.scope == "incident" and not config.is_ignored(code):
            findings.extend(registered.run(context))
    return context.verdict(tuple(findings))


def check_issue(issue: Issue, config: Config, source: Source, as_of: datetime) -> tuple[Finding, ...]:
    return judge(issue, config, source, as_of).findings


# The merge-request gate's rules: ``inc_audit.templates`` checks them on files, not incidents.
for _code, _summary in (
    ("TPL001", "An issue template lacks a section its schema requires"),
    ("TPL002", "The configuration or a custom schema it names is invalid"),
):
    RULES[_code] = Rule(_code, "error", _summary, check=None, scope="template")

# Reported by the audit itself (``inc_audit.audit``) when a source cannot read an incident.
RULES["SRC001"] = Rule(
    "SRC001", "error", "GitLab's data about an incident cannot be read: the audit is incomplete", None, "source"
)


DOCUMENT_RULES = {"report": ("INC001", "INC002"), "post-mortem": ("IPM002",), "change": ("CHG002",)}


def check_document(text: str, kind: str, config: Config) -> list[Finding]:
    """The findings of one document on its own, as ``inc-audit check FILE`` gives them."""
    codes = {"missing": DOCUMENT_RULES[kind][0], "empty": DOCUMENT_RULES[kind][-1]}
    codes["invalid"] = codes["empty"]
    findings = []
    for problem in config.schema(kind).check_text(text):
        if problem.part.group != "sections":
            continue
        code = codes[problem.kind]
        if not config.is_ignored(code):
            findings.append(
                Finding(code, RULES[code].severity, problem.message, section=problem.part.name, line=problem.line)
            )
    return findings
