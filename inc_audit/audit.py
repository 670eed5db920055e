"""Run every rule over every incident a source holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from inc_audit.config import Config
from inc_audit.findings import AuditResult, IncidentResult
from inc_audit.model import Issue, Shard
from inc_audit.rules import _has_any, is_change, judge
from inc_audit.sources.interface import Source

AUDIT_MARKER = "<!-- inc-audit:audit-issue -->"

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
    a cache), else the rules' (handed to ``remember_verdict``)."""
    findings = source.cached_verdict(issue, as_of)
    if findings is None:
        verdict = judge(issue, config, source, as_of)
        source.remember_verdict(issue, verdict)
        findings = verdict.findings
    return IncidentResult(
        key=issue.key,
        title=issue.title,
        web_url=issue.web_url,
        state=issue.state,
        confidential=issue.confidential,
        findings=findings,
    )


def run_audit(
    source: Source,
    config: Config,
    as_of: datetime,
    progress: Progress | None = None,
    shard: Shard | None = None,
) -> AuditResult:
    """Audit every incident of ``source`` (or of one shard); a failed read raises ``SourceError``."""
    results = []
    for issue in source.candidate_issues(config.incident_labels, shard):
        if not is_audited(issue, config):
            continue
        if progress is not None:
            progress(issue)
        results.append(audit_issue(issue, config, source, as_of))
    results.sort(key=lambda r: (r.key.project, r.key.iid))
    described: dict[str, Any] = dict(source.describe())
    if shard is not None:
        described["shard"] = str(shard)
    return AuditResult(as_of=as_of, source=described, incidents=tuple(results))
