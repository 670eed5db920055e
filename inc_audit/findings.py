"""Findings and the audit result: frozen values that reporters turn into text; and the
registry of the rule codes findings carry (``RULES``), read from ``schemas/rules.json``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from inc_audit.files import shipped_schemas
from inc_audit.model import IssueKey, parse_time
from inc_audit.text import split_quotes
from inc_audit.workdays import Calendar

SEVERITIES = ("warning", "error")  # in rising order
WITHHELD_TEXT = "(withheld)"


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
    owners: tuple[str, ...] = field(default=(), compare=False)
    """Who must act (usernames), after the policy's RACI chart: see ``inc_audit.rules.owners``."""
    party: str = field(default="", compare=False)  # "author", "response_team" or "approvers"
    due: date | None = field(default=None, compare=False)
    """From when the finding is due, in the team's time zone; None when no moment applies."""
    first_seen: datetime | None = field(default=None, compare=False)
    """The first audit that found it, as kept in the audit issue: see ``inc_audit.formats.state``."""
    quoted: tuple[str, ...] = field(default=(), compare=False)
    """Text from the issue that ``message`` quotes (a heading, an answer): withheld, with the
    title, wherever the incident's text may not be read (``inc_audit.formats.options``)."""

    @classmethod
    def said(cls, rule: str, severity: str, message: str, **where: Any) -> Finding:
        """A finding whose ``message`` marks what it quotes (``inc_audit.text.quote``)."""
        clean, quoted = split_quotes(message)
        return cls(rule, severity, clean, quoted=quoted, **where)

    def withheld(self) -> str:
        """``message`` with every text it quotes replaced by "(withheld)"."""
        text = self.message
        for part in sorted(self.quoted, key=len, reverse=True):
            text = text.replace(part, WITHHELD_TEXT)
        return text

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "severity": self.severity, "message": self.message}
        if self.section:
            data["section"] = self.section
        if self.line:
            data["line"] = self.line
        data["where"] = self.where
        data["owners"] = list(self.owners)
        if self.party:
            data["party"] = self.party
        data["due"] = self.due.isoformat() if self.due else None
        data["first_seen"] = timestamp(self.first_seen) if self.first_seen else None
        if self.quoted:
            data["quoted"] = list(self.quoted)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding as ``as_dict`` wrote it (a JSON report)."""
        due = data.get("due")
        return cls(
            rule=data["rule"],
            severity=data["severity"],
            message=data["message"],
            section=data.get("section"),
            line=data.get("line"),
            where=data.get("where", "description"),
            owners=tuple(data.get("owners", ())),
            party=data.get("party", ""),
            due=date.fromisoformat(due) if due else None,
            first_seen=parse_time(data.get("first_seen")),
            quoted=tuple(str(part) for part in data.get("quoted", ())),
        )

    @property
    def note_id(self) -> int | None:
        """The comment the finding is about, when it is about one."""
        kind, _, number = self.where.partition(" ")
        return int(number) if kind == "note" and number.isdigit() else None


def timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Timeline:
    """An incident's milestones, for the policy's health figures (``inc_audit.formats.health``)."""

    filed: datetime
    closed: datetime | None = None
    post_mortem: datetime | None = None
    approved: datetime | None = None


@dataclass(frozen=True)
class Waived:
    """A finding a waiver of the configuration holds: not a violation until the waiver expires."""

    finding: Finding
    reason: str
    approved_by: str
    expires: date

    def as_dict(self) -> dict[str, Any]:
        return {"finding": self.finding.as_dict(), "reason": self.reason, "approved_by": self.approved_by,
                "expires": self.expires.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Waived:
        finding = Finding.from_dict(data["finding"])
        return cls(finding, data["reason"], data["approved_by"], date.fromisoformat(data["expires"]))


@dataclass(frozen=True)
class IncidentResult:
    key: IssueKey
    title: str
    web_url: str
    state: str
    confidential: bool
    findings: tuple[Finding, ...] = ()
    location: str = ""  # a file, when the subject is a template rather than an incident
    notes: tuple[str, ...] = ()
    """What a reviewer should know that is no finding: a section recognised by its text
    (``inc_audit.reading.validity.notes``)."""
    waived: tuple[Waived, ...] = ()
    """Findings a waiver holds: listed apart, never counted as violations."""
    timeline: Timeline | None = field(default=None, compare=False)

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
            **({"notes": list(self.notes)} if self.notes else {}),
            **({"waived": [w.as_dict() for w in self.waived]} if self.waived else {}),
        }


@dataclass(frozen=True)
class AuditResult:
    as_of: datetime
    source: dict[str, Any]
    incidents: tuple[IncidentResult, ...]
    complete: bool = True
    notes: tuple[str, ...] = field(default=())
    history: tuple[tuple[date, int], ...] = ()
    """Open violations at each earlier audit whose findings changed, oldest first (``inc_audit.formats.state``)."""
    calendar: Calendar = field(default_factory=Calendar)
    """How the team counts days late."""

    @property
    def today(self) -> date:
        return self.calendar.local_date(self.as_of)

    def days_overdue(self, finding: Finding) -> int | None:
        """Days (business days with a calendar) the finding is past its due date; None without one."""
        return None if finding.due is None else self.calendar.days_late(finding.due, self.today)

    @property
    def findings(self) -> list[Finding]:
        return [f for incident in self.incidents for f in incident.findings]

    @property
    def waived(self) -> list[tuple[IncidentResult, Waived]]:
        return [(incident, waived) for incident in self.incidents for waived in incident.waived]

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
            "waived": len(self.waived),
        }


# --- the registry of rule codes ---------------------------------------------------------

Check = Callable[[Any], Iterable["Finding"]]
"""A rule's check: it reads an incident through ``inc_audit.rules.Context``."""


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    summary: str
    check: Check | None
    scope: str = "incident"  # "incident", "template" for the merge-request gate, "source", or "waiver"

    def run(self, context: Any) -> Iterator[Finding]:
        if self.check is not None:
            yield from self.check(context)


def _registered() -> dict[str, Rule]:
    """Every code of ``schemas/rules.json``, in its order, none with a check yet."""
    data = json.loads((shipped_schemas() / RULE_CODES).read_text(encoding="utf-8"))
    return {r["code"]: Rule(r["code"], r["severity"], r["summary"], None, r["scope"]) for r in data["rules"]}


RULE_CODES = "rules.json"
RULES: dict[str, Rule] = _registered()
"""Every rule code, its severity and meaning: data the rule modules register their checks into."""


def rule(code: str) -> Callable[[Check], Check]:
    """Register ``check`` as the check of ``code``, a code ``schemas/rules.json`` defines."""

    def register(check: Check) -> Check:
        if code not in RULES:
            raise KeyError(f"rule {code} is not defined in schemas/{RULE_CODES}")
        RULES[code] = replace(RULES[code], check=check)
        return check

    return register


def order_rules(families: tuple[str, ...]) -> None:
    """Run and list the rules family by family (``INC`` before ``CHG``...), then by code."""
    ordered = sorted(RULES.items(), key=lambda item: (families.index(item[0][:3]), item[0]))
    RULES.clear()
    RULES.update(ordered)
