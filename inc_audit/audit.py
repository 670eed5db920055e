"""Run every rule over every incident a source holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from inc_audit.config import Config
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.model import Issue, Shard
from inc_audit.owners import annotate
from inc_audit.rules import _has_any, is_change, judge
from inc_audit.sources.interface import Source, Unreadable

AUDIT_MARKER = "<!-- inc-audit:audit-issue -->"
UNREADABLE = "SRC001"

Progress = Callable[[Issue], None]


def is_audited(issue: Issue, config: Config) -> bool:
    """Change tickets and incidents carrying an exempt label are not audited; everything
    else the source lists is. What an issue says never exempts it: an incident whose
    description copies the audit issue's marker is audited like any other. (The audit
    issue itself is no candidate: it carries no incident label and is not of type Incident.)"""
    if _has_any(issue.labels, config.exempt_labels):
        return False
    return not is_change(issue.labels, issue.issue_type, config)


def audit_issue(issue: Issue, config: Config, source: Source, as_of: datetime) -> IncidentResult:
    """The incident's findings: a verdict the source kept when it has one (``cached_verdict``:
    a cache), else the rules' (handed to ``remember_verdict``). An incident whose data
    cannot be read has one finding, SRC001, and no rule's."""
    try:
        findings = _findings(issue, config, source, as_of)
    except Unreadable as problem:
        findings = (unreadable(str(problem)),)
    return IncidentResult(
        key=issue.key,
        title=issue.title,
        web_url=issue.web_url,
        state=issue.state,
        confidential=issue.confidential,
        findings=annotate(issue, findings, config),
    )


def _findings(issue: Issue, config: Config, source: Source, as_of: datetime) -> tuple[Finding, ...]:
    if issue.unreadable:
        raise Unreadable(issue.unreadable)
    findings = source.cached_verdict(issue, as_of)
    if findings is None:
        verdict = judge(issue, config, source, as_of)
        source.remember_verdict(issue, verdict)
        findings = verdict.findings
    return findings


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
) -> AuditResult:
    """Audit every incident of ``source`` (or of one shard); a failed read raises ``SourceError``.

    ``progress`` is told of each incident as it is audited, ``skipped`` of each other issue
    the source hands over (a change ticket, an exempt incident, the audit issue).
    """
    results = []
    for issue in source.candidate_issues(config.incident_labels, shard):
        if not is_audited(issue, config):
            if skipped is not None:
                skipped(issue)
            continue
        if progress is not None:
            progress(issue)
        results.append(audit_issue(issue, config, source, as_of))
    results.sort(key=lambda r: (r.key.project, r.key.iid))
    described: dict[str, Any] = dict(source.describe())
    if shard is not None:
        described["shard"] = str(shard)
    incidents, unread = tuple(results), source.unread()
    return AuditResult(as_of=as_of, source=described, incidents=incidents,
                       complete=is_complete(incidents, unread), notes=unread, calendar=config.calendar)
