"""What the audit issue and the HTML page both show: urgency order, who must act, links.

Everything here depends on the findings alone (never on the clock), so an unchanged audit
renders the same page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from inc_audit.findings import AuditResult, Finding, IncidentResult, Waived, severity_rank
from inc_audit.formats.neutral import safe_link

_ISSUE_URL = re.compile(r"/-/issues/\d+$")
_PROJECT_PATH = re.compile(r"^[\w.\-]+(?:/[\w.\-]+)+$")
_FAR = date.max


def party_title(party: str) -> str:
    """The RACI party's title (``rules.owners``, imported when a finding names one: the template
    gate with nothing to report never loads the rules)."""
    from inc_audit.rules.owners import party_title as title

    return title(party)


def finding_order(finding: Finding) -> tuple[date, int, str]:
    return (finding.due or _FAR, -severity_rank(finding.severity), finding.rule)


def by_urgency(result: AuditResult) -> list[IncidentResult]:
    """Incidents with violations, the longest overdue first, then the most severe."""

    def key(incident: IncidentResult) -> tuple[date, int, str, int]:
        first = min(finding_order(f) for f in incident.findings)
        return (first[0], first[1], incident.key.project, incident.key.iid)

    return sorted(result.violating, key=key)


def sorted_findings(incident: IncidentResult) -> list[Finding]:
    return sorted(incident.findings, key=finding_order)


def oldest_due(findings: list[Finding]) -> date | None:
    dues = [f.due for f in findings if f.due]
    return min(dues) if dues else None


def home(result: AuditResult) -> str:
    """The configured GitLab's URL the result was read from ("" for an export): every link
    an output holds must be on its host (``neutral.safe_link``)."""
    return str(result.source.get("url") or "")


def issue_url(result: AuditResult, incident: IncidentResult) -> str:
    """The incident's address for a link: its ``web_url`` when it is http(s) on the configured
    GitLab's host, else one built from that GitLab's URL, else "" (never the server's as is)."""
    base = home(result)
    url = safe_link(incident.web_url, base)
    if url or not base or not _PROJECT_PATH.match(incident.key.project):
        return url
    return safe_link(f"{base.rstrip('/')}/{incident.key.project}/-/issues/{incident.key.iid}", base)


def link(incident: IncidentResult, finding: Finding, url: str | None = None) -> tuple[str, str] | None:
    """Where the finding points: (label, URL) of the comment or linked change it is about;
    ``url`` is the incident's (``issue_url``), its ``web_url`` when not given."""
    url = incident.web_url if url is None else url
    if not url:
        return None
    if finding.note_id is not None:
        return ("comment", f"{url}#note_{finding.note_id}")
    kind, _, number = finding.where.partition(" #")
    if kind == "linked" and number.isdigit() and _ISSUE_URL.search(url):
        return (f"change #{number}", _ISSUE_URL.sub(f"/-/issues/{number}", url))
    return None


@dataclass
class Person:
    name: str
    parties: set[str] = field(default_factory=set)
    open: int = 0
    incidents: set[str] = field(default_factory=set)
    oldest: date | None = None

    @property
    def roles(self) -> str:
        return ", ".join(sorted(party_title(p) for p in self.parties))


def who_must_act(result: AuditResult) -> list[Person]:
    """Each person findings name, with how many they must act on; most first."""
    people: dict[str, Person] = {}
    for incident in result.violating:
        for finding in incident.findings:
            for name in finding.owners or ("",):
                person = people.setdefault(name, Person(name))
                person.parties.add(finding.party or "unassigned")
                person.open += 1
                person.incidents.add(str(incident.key))
                if finding.due and (person.oldest is None or finding.due < person.oldest):
                    person.oldest = finding.due
    return sorted(people.values(), key=lambda p: (-p.open, p.oldest or _FAR, p.name))


def owners_text(finding: Finding) -> str:
    if not finding.owners:
        return f"no one configured ({party_title(finding.party)})" if finding.party else "no one configured"
    return f"{', '.join(finding.owners)} ({party_title(finding.party)})"


def by_rule(result: AuditResult) -> list[tuple[str, int]]:
    return sorted(Counter(f.rule for f in result.findings).items())


def waived(result: AuditResult) -> list[tuple[IncidentResult, Waived]]:
    """Waived findings, the soonest to expire first."""
    return sorted(result.waived, key=lambda pair: (pair[1].expires, pair[0].key.project, pair[0].key.iid,
                                                   pair[1].finding.rule, pair[1].finding.message))


def label(incident: IncidentResult) -> str:
    """The incident's reference, or the file a configuration subject is about."""
    return incident.location or str(incident.key)


def short_date(day: date) -> str:
    return day.isoformat()
