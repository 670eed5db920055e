"""Waivers applied to an audit's result: the findings they hold set apart, and the waivers
that no longer do anything reported (WVR001).

A waiver holds the findings of its rule on its incident until the end of its expiry day
(in the team's time zone). A waived finding is no violation: it leaves ``findings`` for
``waived``, with the waiver's reason, approver and expiry, and the reports list it apart.
A waiver that expired, names a rule code that does not exist, names an incident the
audit did not audit, or waives nothing (its incident has no finding of its rule) is a
WVR001 warning on the configuration file, at the waiver's line. Which incidents exist
is only known to a whole audit: a shard checks only its own.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from inc_audit.config.file import Config
from inc_audit.config.waivers import Waiver
from inc_audit.findings import RULES, AuditResult, Finding, IncidentResult, Waived
from inc_audit.model import IssueKey

CODE = "WVR001"


def apply(result: AuditResult, config: Config, whole: bool = True) -> AuditResult:
    """``result`` with the configuration's waivers applied; ``whole`` false for a shard."""
    if not config.waivers:
        return result
    today = result.today
    holding = [w for w in config.waivers if w.expires >= today and w.rule in RULES]
    audited = {incident.key for incident in result.incidents}
    used: set[int] = set()
    incidents = []
    for incident in result.incidents:
        if incident.location and all(f.rule == CODE for f in incident.findings):
            continue  # a shard's word on the waivers: said again here, for the whole audit
        mine = {w.rule: w for w in holding if IssueKey(w.project, w.iid) == incident.key}
        used.update(mine[w.finding.rule].index for w in incident.waived if w.finding.rule in mine)
        kept, waived = [], list(incident.waived)
        for finding in incident.findings:
            waiver = mine.get(finding.rule)
            if waiver is None:
                kept.append(finding)
                continue
            used.add(waiver.index)
            waived.append(Waived(finding, waiver.reason, waiver.approved_by, waiver.expires))
        incidents.append(replace(incident, findings=tuple(kept), waived=tuple(waived)) if mine else incident)
    problems = tuple(
        _finding(waiver, why)
        for waiver in config.waivers
        if (why := _problem(waiver, today, audited, used, whole)) is not None
    )
    if problems:
        where = config.path or "built-in defaults"
        incidents.append(IncidentResult(IssueKey(where, 0), "configuration: waivers", "", "config", False,
                                        problems, location=where))
    return replace(result, incidents=tuple(incidents))


def _problem(waiver: Waiver, today: date, audited: set[IssueKey], used: set[int], whole: bool) -> str | None:
    if waiver.rule not in RULES:
        return f"waivers[{waiver.index}] names rule {waiver.rule}, which does not exist: remove the waiver"
    if waiver.expires < today:
        return (f"waivers[{waiver.index}] ({waiver.rule} on {waiver.incident}) expired on {waiver.expires.isoformat()}:"
                " its findings are violations again; renew it through a merge request or remove it")
    key = IssueKey(waiver.project, waiver.iid)
    if key not in audited:
        if not whole:
            return None
        return (f"waivers[{waiver.index}] names {waiver.incident}, which this audit did not audit"
                " (no such incident, or not an incident any more): remove the waiver")
    if waiver.index not in used:
        return (f"waivers[{waiver.index}] waives nothing: {waiver.incident} has no {waiver.rule} finding any more;"
                " remove the waiver")
    return None


def _finding(waiver: Waiver, why: str) -> Finding:
    return Finding(CODE, RULES[CODE].severity, why, line=waiver.line, where="configuration")
