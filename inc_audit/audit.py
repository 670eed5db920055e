"""The audit loop: every rule over every incident a source holds, the verdicts a cache kept
reused, and the reads the rules will ask for made ahead by the source's reader threads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from inc_audit.config.file import Config
from inc_audit.findings import AuditResult, Finding, IncidentResult, Timeline
from inc_audit.judging import Helper, Judged, answered_alike
from inc_audit.model import Issue, IssueKey, Shard
from inc_audit.rules import Context, Verdict, _has_any, is_change, judge
from inc_audit.rules.owners import annotate
from inc_audit.rules.registry import is_own_issue
from inc_audit.sources.interface import AtHand, ReadsAhead, Source, Unreadable

AUDIT_MARKER = "<!-- inc-audit:audit-issue -->"
UNREADABLE = "SRC001"

Progress = Callable[[Issue], None]


@runtime_checkable
class KeepsVerdicts(Protocol):
    """A source that keeps the rules' verdicts from run to run (``inc_audit.cache``): the
    audit reuses a kept verdict instead of running the rules, and hands it each new one."""

    def cached_verdict(self, issue: Issue, as_of: datetime) -> tuple[Finding, ...] | None:
        """The findings kept for ``issue`` when they still hold at ``as_of``, else None."""
        ...

    def remember_verdict(self, issue: Issue, verdict: Verdict) -> None:
        """Keep the rules' verdict on ``issue`` (kept for the next runs once the scan completes)."""
        ...

    def cached_timeline(self, issue: Issue) -> Timeline | None:
        """The milestones kept with the verdict ``cached_verdict`` gave, if any."""
        ...

    def cached_notes(self, issue: Issue) -> tuple[str, ...]:
        """The notes kept with the verdict ``cached_verdict`` gave (sections recognised by their text)."""
        ...


def is_audited(issue: Issue, config: Config) -> bool:
    """Change tickets and incidents carrying an exempt label are not audited; everything
    else the source lists is. What an issue says never exempts it: an incident whose
    description copies the audit issue's marker is audited like any other. (The audit
    issue is no candidate either, whatever labels or type someone gives it: inc-audit's own
    issues, found by their author (``Config.own_issues``), are never incidents.)"""
    if is_own_issue(issue.key, config):
        return False
    if _has_any(issue.labels, config.exempt_labels):
        return False
    return not is_change(issue.labels, issue.issue_type, config)


def audit_issue(issue: Issue, config: Config, source: Source, as_of: datetime) -> IncidentResult:
    """The incident's findings: a verdict the source kept when it has one (``KeepsVerdicts``:
    a cache), else the rules' (handed back to the cache to keep). An incident whose data
    cannot be read has one finding, SRC001, and no rule's."""
    try:
        findings, milestones, notes = _findings(issue, config, source, as_of)
    except Unreadable as problem:
        findings, milestones, notes = (unreadable(str(problem)),), None, ()
    return _result(issue, config, findings, milestones, notes)


def _result(issue: Issue, config: Config, findings: tuple[Finding, ...], milestones: Timeline | None,
            notes: tuple[str, ...]) -> IncidentResult:
    return IncidentResult(
        key=issue.key,
        title=issue.title,
        web_url=issue.web_url,
        state=issue.state,
        confidential=issue.confidential,
        findings=annotate(issue, findings, config),
        notes=notes,
        timeline=milestones,
    )


def _findings(
    issue: Issue, config: Config, source: Source, as_of: datetime
) -> tuple[tuple[Finding, ...], Any, tuple[str, ...]]:
    """The findings, the milestones and the notes: kept with the verdict, else the rules'."""
    if issue.unreadable:
        raise Unreadable(issue.unreadable)
    keeper = source if isinstance(source, KeepsVerdicts) else None
    findings = keeper.cached_verdict(issue, as_of) if keeper is not None else None
    milestones = keeper.cached_timeline(issue) if keeper is not None and findings is not None else None
    if keeper is not None and findings is not None and milestones is not None:
        return findings, milestones, keeper.cached_notes(issue)
    verdict = judge(issue, config, source, as_of)
    if keeper is not None:
        keeper.remember_verdict(issue, verdict)
    return verdict.findings, verdict.timeline, verdict.notes


def unreadable(reason: str) -> Finding:
    message = f"GitLab's data about this incident cannot be read ({reason}); it was not audited"
    return Finding(UNREADABLE, "error", message, where="gitlab")


def is_complete(incidents: tuple[IncidentResult, ...], unread: tuple[str, ...]) -> bool:
    """False when something could not be read: an incident (SRC001), or a listing entry."""
    return not unread and not any(f.rule == UNREADABLE for i in incidents for f in i.findings)


def run_audit(
    source: Source,
    config: Config,
    as_of: datetime,
    progress: Progress | None = None,
    shard: Shard | None = None,
    skipped: Progress | None = None,
    helper: Helper | None = None,
) -> AuditResult:
    """Audit every incident of ``source`` (or of one shard); a failed read raises ``SourceError``.

    ``progress`` is told of each incident as it is audited, ``skipped`` of each other issue
    the source hands over (a change ticket, an exempt incident, the audit issue). The source
    is told (``Source.release``) of each issue once it is judged or passed over.
    With a ``helper`` (``inc_audit.judging``), a second process judges some of the incidents.
    """
    results: list[IncidentResult] = []
    handing = _Handing(helper, source, config, as_of, results) if helper is not None else None
    for issue in source.candidate_issues(config.incident_labels, shard):
        if not is_audited(issue, config):
            if skipped is not None:
                skipped(issue)
            source.release(issue.key)
            continue
        if progress is not None:
            progress(issue)
        if handing is None or not handing.hand(issue):
            results.append(audit_issue(issue, config, source, as_of))
            source.release(issue.key)  # only its findings are kept: the source may let go of the rest
        if handing is not None:
            handing.collect()
    if handing is not None:
        handing.collect(wait=True)
    results.sort(key=lambda r: (r.key.project, r.key.iid))
    described: dict[str, Any] = dict(source.describe())
    if shard is not None:
        described["shard"] = str(shard)
    incidents, unread = tuple(results), source.unread()
    return AuditResult(as_of=as_of, source=described, incidents=incidents,
                       complete=is_complete(incidents, unread), notes=unread, calendar=config.calendar)


class _Handing:
    """The incidents handed to a helper process, and what the audit does with its verdicts."""

    def __init__(self, helper: Helper, source: Source, config: Config, as_of: datetime,
                 results: list[IncidentResult]) -> None:
        self.helper, self.source, self.config, self.as_of = helper, source, config, as_of
        self.results = results
        self.handed: dict[IssueKey, tuple[Issue, AtHand]] = {}
        helper.begin(config, as_of)

    def hand(self, issue: Issue) -> bool:
        """Hand ``issue`` to the helper when it has room and the rules will need nothing
        the source does not hold already; False: the audit judges it."""
        if issue.unreadable or not self.helper.has_room():
            return False
        held = self.source.answers_at_hand(issue.key)
        if held is None:
            return False
        if isinstance(self.source, KeepsVerdicts) and self.source.cached_verdict(issue, self.as_of) is not None:
            return False
        if not self.helper.hand(issue, held):
            return False
        self.handed[issue.key] = (issue, held)
        return True

    def collect(self, wait: bool = False) -> None:
        """Take the verdicts the helper has sent back (with ``wait``, all of them); judge
        here what it could not judge, or could not judge as the audit would."""
        for judged in self.helper.judged(wait):
            self._take(judged)
        if wait or self.helper.broken:
            for key in list(self.handed):
                self._take(Judged(key, None))

    def _take(self, judged: Judged) -> None:
        issue, held = self.handed.pop(judged.key)
        verdict = judged.verdict
        try:
            alike = verdict is not None and answered_alike(self.source, held, judged.questions)
        except Unreadable:
            alike = False
        if verdict is None or not alike:
            self.results.append(audit_issue(issue, self.config, self.source, self.as_of))
        else:
            self.helper.accepted += 1
            if isinstance(self.source, KeepsVerdicts):
                self.source.remember_verdict(issue, verdict)
            self.results.append(_result(issue, self.config, verdict.findings, verdict.timeline, verdict.notes))
        self.source.release(issue.key)


def read_ahead(source: ReadsAhead, config: Config, as_of: datetime) -> None:
    """Let ``source``'s reader threads make the reads the rules will ask for, as they go.

    Without it, the links and award emoji the rules ask for are read one at a time while
    the incidents are audited. With it, each reader thread makes them for the incident it
    has just read, so they happen ``concurrency`` at a time and the audit then finds them
    memoized. It reads exactly what the rules read, never more: the links of a closed
    incident (CHG001-CHG004) and, when none is a change, the issues that mention it
    (``issue_summary``), and the award emoji of the final post-mortem once its
    approval is due and comments do not settle it (IPM003, through ``Context.approvals``).
    A known incident's look at the links of the incidents it links is left to the audit.
    Nothing is read for an incident whose verdict the source kept (``cached_verdict``, a
    ``CachedSource``'s): the audit will not run the rules on it.
    ``source`` is a ``GitLabSource`` or a ``CachedSource``.
    """
    links = not all(config.is_ignored(code) for code in ("CHG001", "CHG002", "CHG003", "CHG004"))
    approvals = not config.is_ignored("IPM003")

    def ahead(issue: Issue) -> None:
        try:
            read_for_the_rules(issue)
        except Unreadable:
            return  # the audit asks again and reports the incident as unreadable

    def read_for_the_rules(issue: Issue) -> None:
        if not is_audited(issue, config):
            return
        if isinstance(source, KeepsVerdicts) and source.cached_verdict(issue, as_of) is not None:
            return
        context = Context(issue, config, source, as_of)
        if links and issue.is_closed:
            source.linked_issues(issue.key)
            if not context.is_known_incident and not context.changes:
                _ = context.mentioned_changes  # the issues that mention it, read only with no change linked
        if not approvals:
            return
        if context.final_post_mortem is None:
            return
        final, _ = context.final_post_mortem  # the comment IPM003 reads, chosen as the rules choose it
        started = max(filter(None, (issue.closed_at, final.created_at)))
        if as_of > context.due_after(started):
            context.approvals(final)

    source.prefetch = ahead

