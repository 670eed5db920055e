"""Findings and the audit result: frozen values that reporters turn into text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inc_audit.model import IssueKey

SEVERITIES = ("warning", "error")  # in rising order


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, order=True)
class Finding:
    rule: str
    severity: str
    message: str
    section: str | None = None
    line: int | None = None
    where: str = "description"  # "description", "note ID", "linked #IID" or "unlinked #IID" (a change that mentions it)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "severity": self.severity, "message": self.message}
        if self.section:
            data["section"] = self.section
        if self.line:
            data["line"] = self.line
        data["where"] = self.where
        return data


@dataclass(frozen=True)
class IncidentResult:
    key: IssueKey
    title: str
    web_url: str
    state: str
    confidential: bool
    findings: tuple[Finding, ...] = ()
    location: str = ""  # a file, when the subject is a template rather than an incident

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.key.project,
            "iid": self.key.iid,
            "title": self.title,
            "web_url": self.web_url,
            "state": self.state,
            "confidential": self.confidential,
            "findings": [f.as_dict() for f in self.findings],
            **({"location": self.location} if self.location else {}),
        }


@dataclass(frozen=True)
class AuditResult:
    as_of: datetime
    source: dict[str, Any]
    incidents: tuple[IncidentResult, ...]
    complete: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def findings(self) -> list[Finding]:
        return [f for incident in self.incidents for f in incident.findings]

    @property
    def violating(self) -> tuple[IncidentResult, ...]:
        return tuple(i for i in self.incidents if i.findings)

    def by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.findings).items()))

    def worst(self) -> str | None:
        ranks = [severity_rank(f.severity) for f in self.findings]
        return SEVERITIES[max(ranks)] if ranks else None

    def fails(self, fail_on: str) -> bool:
        """True when a finding is at or above ``fail_on`` ("error", "warning" or "never")."""
        if fail_on == "never":
            return False
        worst = self.worst()
        return worst is not None and severity_rank(worst) >= severity_rank(fail_on)

    def summary(self) -> dict[str, Any]:
        counts = Counter(f.severity for f in self.findings)
        return {
            "incidents": len(self.incidents),
            "incidents_with_violations": len(self.violating),
            "violations": len(self.findings),
            "errors": counts.get("error", 0),
            "warnings": counts.get("warning", 0),
            "by_rule": self.by_rule(),
        }
